"""Risk and baskets (docs/baskets.md §3): all legs or none, busy markets and events,
leg amounts, event exposure, exits, holdings told to the strategy, history lines."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal as D
from typing import Any

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from loguru import logger

from actors.domain import Action, Basket, Event, Fill, Leg, Position, Side
from actors.history import ReservationLine, read_line
from actors.messages import (
    Execute,
    ExecutionReport,
    HeldContracts,
    Holdings,
    HoldingsWanted,
    InDoubtResolved,
    MissingLeg,
    Outcome,
    Reservation,
    ReservationState,
)
from actors.money import KalshiFees
from actors.risk import (
    BasketPolicy,
    Exposure,
    Rejected,
    RejectReason,
    RiskLimits,
    limit_breached,
    reservation_for,
)
from actors.risk._amounts import leg_amount, max_price
from tests.actors.risk_harness import (
    WIDE,
    RiskHarness,
    complement,
    exit_basket,
    fill,
    risk_tree,
)
from tests.supervision.conftest import eventually

EV = Event("KX-EV", ("KX-A", "KX-B", "KX-C"), True)
THREE_AT_30 = D("9.45")  # 3 legs of 10 at 0.30: buy_cost 3.00 + fee 0.147 -> 3.15 each
POLICY = BasketPolicy(complete_within_s=5.0, complete_slippage=D("0.02"), max_complete_attempts=2)


def _yes_basket(basket_id: str, price: D = D("0.30"), count: D = D(10)) -> Basket:
    """YES of every market of EV: one pays, whichever wins."""
    legs = tuple(Leg(t, Side.YES, Action.BUY, price, count) for t in EV.markets)
    return Basket(basket_id, EV, legs)


def _reason(answer: object) -> RejectReason:
    assert isinstance(answer, Rejected), answer
    return answer.reason


def _limits(**overrides: Any) -> RiskLimits:
    return attrs.evolve(WIDE, **overrides)


def _leg_fills(rid: str, legs: range, price: D = D("0.30"), count: D = D(10)) -> tuple[Fill, ...]:
    return tuple(
        fill(rid, Side.YES, count, price, ticker=EV.markets[i], leg=i, fee=D("0.15")) for i in legs
    )


@pytest.fixture
def risk() -> Iterator[RiskHarness]:
    with risk_tree() as harness:
        harness.reconcile()
        yield harness


# -- leg amounts (pure) --------------------------------------------------------------------


def test_a_legs_ceiling_is_its_price_plus_slippage_below_the_payout() -> None:
    leg = Leg("KX-A", Side.YES, Action.BUY, D("0.40"), D(10))
    assert max_price(leg, POLICY) == D("0.42")
    high = Leg("KX-A", Side.YES, Action.BUY, D("0.99"), D(10))
    assert max_price(high, POLICY) == D("0.9999")
    no_completion = attrs.evolve(POLICY, max_complete_attempts=0)
    assert max_price(leg, no_completion) == D("0.40")  # nothing is bought above the entry


def test_a_reservation_carries_the_policy_and_each_legs_ceiling_and_amount() -> None:
    schedule = KalshiFees()
    made = reservation_for(complement("b-1"), POLICY, schedule)
    # buy_cost(10, 0.42) = 4.20 + 0.1706 -> 4.38; + 2 x 0.01 + round_up(3 x 0.0001) = 0.03
    assert [leg.max_price for leg in made.legs] == [D("0.42"), D("0.57")]
    assert made.legs[0].amount == schedule.buy_cost(D(10), D("0.42")) + D("0.03") == D("4.41")
    assert made.amount == made.legs[0].amount + made.legs[1].amount
    assert (made.complete_within_s, made.max_complete_attempts) == (5.0, 2)


_prices = st.integers(min_value=1, max_value=9_998).map(lambda n: n * D("0.0001"))
_slippage = st.integers(min_value=0, max_value=500).map(lambda n: n * D("0.0001"))


@settings(max_examples=500)
@given(
    price=_prices,
    slippage=_slippage,
    attempts=st.integers(0, 9),
    count=st.integers(min_value=2, max_value=20_000).map(lambda n: n * D("0.01")),
    data=st.data(),
    direct=st.booleans(),
)
@example(  # the design's k x (balance step + fee quantum) is a rounding short here
    price=D("0.8991"),
    slippage=D(0),
    attempts=1,
    count=D("26.23"),
    data=None,
    direct=False,
)
def test_any_split_over_entry_and_completions_at_most_the_ceiling_costs_at_most_the_amount(
    *,
    price: D,
    slippage: D,
    attempts: int,
    count: D,
    data: st.DataObject | None,
    direct: bool,
) -> None:
    schedule = KalshiFees(balance_precision=D("0.0001") if direct else D("0.01"))
    policy = BasketPolicy(
        complete_within_s=1.0, complete_slippage=slippage, max_complete_attempts=attempts
    )
    leg = Leg("KX-A", Side.YES, Action.BUY, price, count)
    amount = leg_amount(schedule, leg, policy)
    ceiling = max_price(leg, policy)
    if data is None:  # the explicit example: entry 14.49 at the price, completion 11.74
        pieces = [(D("14.49"), price), (D("11.74"), price)]
    else:
        hundredths = int(count * 100)
        cuts = data.draw(st.lists(st.integers(1, hundredths - 1), max_size=attempts, unique=True))
        bounds = [0, *sorted(cuts), hundredths]
        sizes = [D(high - low) / 100 for low, high in itertools.pairwise(bounds)]
        tick = D("0.0001")
        entry = data.draw(st.integers(1, int(price / tick))) * tick
        pieces = [(sizes[0], entry)]
        pieces += [
            (size, data.draw(st.integers(1, int(ceiling / tick))) * tick) for size in sizes[1:]
        ]

    spent = sum((schedule.buy_cost(size, p) for size, p in pieces), D(0))

    assert spent <= amount
    if attempts == 0:
        assert amount == schedule.buy_cost(count, price)  # today's figure, exactly


# -- all legs or none ----------------------------------------------------------------------


def test_one_leg_over_its_market_limit_rejects_the_whole_basket_and_books_nothing() -> None:
    # a live complement in KX-B leaves room for less than the basket's KX-B leg
    with risk_tree(_limits(max_market_exposure=D("10.00"))) as risk:
        risk.reconcile()
        assert isinstance(risk.reserve("c-1", ticker="KX-B"), Reservation)  # 9.85 in KX-B
        before = risk.summary()

        answer = risk.reserve_basket(_yes_basket("b-1"))

        assert answer == Rejected("b-1", "KX-EV", RejectReason.MARKET_EXPOSURE)
        after = risk.summary()
        assert after.exposure == before.exposure
        assert [r.id for r in after.reservations.held] == ["c-1"]
        assert after.counts.reserved == 1
        assert [m.reservation.reservation_id for m in risk.execution.of(Execute)] == ["c-1"]
        # with room in every leg market, the whole basket is booked in one Execute
        risk.ask(ExecutionReport("c-1", Outcome.NONE))
        booked = risk.reserve_basket(_yes_basket("b-2"))
        assert isinstance(booked, Reservation)
        assert booked.tickers == EV.markets
        eventually(lambda: len(risk.execution.of(Execute)) == 2)
        assert risk.execution.of(Execute)[1].reservation == attrs.evolve(booked, owner_epoch=None)


def test_the_event_limit_counts_the_whole_basket_and_defaults_to_the_total_limit() -> None:
    with risk_tree(_limits(max_event_exposure=THREE_AT_30 - D("0.01"))) as risk:
        risk.reconcile()
        assert _reason(risk.reserve_basket(_yes_basket("b-1"))) is RejectReason.EVENT_EXPOSURE
        assert isinstance(risk.reserve("c-1", count=D(1)), Reservation)  # not KX-EV's
    with risk_tree(_limits(max_total_exposure=THREE_AT_30 - D("0.01"))) as risk:
        risk.reconcile()
        assert _reason(risk.reserve_basket(_yes_basket("b-1"))) is RejectReason.EVENT_EXPOSURE
    with risk_tree(_limits(max_event_exposure=THREE_AT_30)) as risk:
        risk.reconcile()
        assert isinstance(risk.reserve_basket(_yes_basket("b-1")), Reservation)  # exactly at it


def test_concurrent_markets_count_every_leg_market() -> None:
    with risk_tree(_limits(max_concurrent_markets=2)) as risk:
        risk.reconcile()
        assert _reason(risk.reserve_basket(_yes_basket("b-1"))) is RejectReason.CONCURRENT_MARKETS
    exposure = Exposure({"KX-A": D(1)}, {"KX-A": D(1)}, D(1))
    made = reservation_for(_yes_basket("b-1"), POLICY, KalshiFees())
    three = RiskLimits(D(100), D(100), 3, D(100))
    assert limit_breached(three, exposure, made, realised_loss_today=D(0)) is None
    two = attrs.evolve(three, max_concurrent_markets=2)
    assert limit_breached(two, exposure, made, realised_loss_today=D(0)) is (
        RejectReason.CONCURRENT_MARKETS
    )


def test_a_market_or_an_event_with_a_live_reservation_is_busy() -> None:
    with risk_tree(_limits(max_reservations_per_market=1, max_reservations_per_event=1)) as risk:
        risk.reconcile()
        assert isinstance(risk.reserve("c-1", ticker="KX-B"), Reservation)
        assert _reason(risk.reserve_basket(_yes_basket("b-1"))) is RejectReason.MARKET_BUSY
        risk.ask(ExecutionReport("c-1", Outcome.NONE))
        assert isinstance(risk.reserve_basket(_yes_basket("b-2")), Reservation)
        # another basket of the event, in other markets: the event is busy
        other = Basket(
            "b-3",
            attrs.evolve(EV, markets=(*EV.markets, "KX-D")),
            (
                Leg("KX-D", Side.NO, Action.BUY, D("0.30"), D(1)),
                Leg("KX-A", Side.NO, Action.BUY, D("0.30"), D(1)),
                Leg("KX-B", Side.NO, Action.BUY, D("0.30"), D(1)),
                Leg("KX-C", Side.NO, Action.BUY, D("0.30"), D(1)),
            ),
        )
        with_more = attrs.evolve(
            _limits(max_reservations_per_market=5, max_reservations_per_event=1)
        )
        assert with_more.max_reservations_per_event == 1
        assert _reason(risk.reserve_basket(other)) is RejectReason.MARKET_BUSY
        summary = risk.summary()
        assert (summary.rejections.market_busy, summary.rejections.event_busy) == (2, 0)
    with risk_tree(_limits(max_reservations_per_event=1)) as risk:
        risk.reconcile()
        assert isinstance(risk.reserve_basket(_yes_basket("b-1")), Reservation)
        assert _reason(risk.reserve_basket(_yes_basket("b-2"))) is RejectReason.EVENT_BUSY
        risk.ask(ExecutionReport("b-1", Outcome.NONE))
        assert isinstance(risk.reserve_basket(_yes_basket("b-3")), Reservation)
        assert risk.summary().rejections.event_busy == 1


def test_a_basket_whose_edge_risks_own_fees_do_not_confirm_is_invalid(risk: RiskHarness) -> None:
    # no edge left once the taker fees are paid, but the strategy priced it fee-free
    free = KalshiFees(taker_rate=D(0))
    legs = tuple(Leg(t, Side.YES, Action.BUY, D("0.33"), D(10)) for t in EV.markets)
    basket = Basket("b-1", EV, legs, schedule=free)
    assert basket.worst_case_edge > 0

    assert risk.reserve_basket(basket) == Rejected("b-1", "KX-EV", RejectReason.INVALID)
    assert risk.summary().rejections.invalid == 1
    assert risk.summary().exposure.total == 0


def test_the_reservation_handed_to_execution_carries_the_policy_and_leg_ceilings() -> None:
    with risk_tree(basket_policy=POLICY) as risk:
        risk.reconcile()
        made = risk.reserve_basket(_yes_basket("b-1"))
        assert isinstance(made, Reservation)
        assert made == attrs.evolve(
            reservation_for(_yes_basket("b-1"), POLICY, KalshiFees()), owner_epoch=1
        )
        assert {leg.max_price for leg in made.legs} == {D("0.32")}
        view = risk.summary().reservations.held[0]
        assert (view.event_ticker, view.tickers, view.amount) == ("KX-EV", EV.markets, made.amount)


# -- exposure of baskets -------------------------------------------------------------------


def test_a_complete_basket_shows_no_exposure_and_a_partial_one_the_cost_of_its_legs(
    risk: RiskHarness,
) -> None:
    risk.reserve_basket(_yes_basket("b-1"))
    assert risk.summary().exposure.by_event == {"KX-EV": THREE_AT_30}

    risk.ask(ExecutionReport("b-1", Outcome.FILLED, _leg_fills("b-1", range(3))))

    summary = risk.summary()
    assert (summary.exposure.by_market, summary.exposure.by_event) == ({}, {})
    assert summary.exposure.total == 0
    assert {t: p.yes for t, p in summary.positions.items()} == dict.fromkeys(EV.markets, D(10))

    risk.reserve_basket(_yes_basket("b-2"))
    risk.ask(ExecutionReport("b-2", Outcome.UNHEDGED, _leg_fills("b-2", range(2))))

    summary = risk.summary()
    assert summary.exposure.by_event == {"KX-EV": D("6.30")}
    assert summary.exposure.total == D("6.30")
    # per market: the smaller of its own open cost and its event's exposure
    assert summary.exposure.by_market == {"KX-A": D("6.30"), "KX-B": D("6.30"), "KX-C": D("3.15")}


def test_with_single_market_events_the_exposure_is_todays(risk: RiskHarness) -> None:
    risk.reserve("c-1")
    risk.reserve("c-2", ticker="KX-B")
    risk.ask(
        ExecutionReport(
            "c-1", Outcome.UNHEDGED, (fill("c-1", Side.YES, D(10), D("0.40"), fee=D("0.17")),)
        )
    )
    summary = risk.summary()
    assert summary.exposure.by_market == {"KX-A": D("4.17"), "KX-B": D("9.85")}
    assert summary.exposure.by_event == summary.exposure.by_market
    assert summary.exposure.total == D("14.02")


# -- exits ---------------------------------------------------------------------------------


def _held_yes(counts: dict[str, D], price: D = D("0.30")) -> list[tuple[Fill, float]]:
    """Recorded fills: ``counts`` YES bought in each market at ``price`` (fee 0.15)."""
    return [
        (fill(f"old-{t}", Side.YES, c, price, ticker=t, fee=D("0.15"), fill_id=f"f-{t}"), 0.0)
        for t, c in counts.items()
    ]


def test_an_exit_may_sell_only_contracts_not_bound_in_a_complete_set() -> None:
    counts = {"KX-A": D(11), "KX-B": D(10), "KX-C": D(10)}
    recorded = _held_yes(counts)
    with risk_tree(recorded_fills=lambda: recorded, recorded_events=lambda: [EV]) as risk:
        risk.reconcile(*(Position(t, yes_count=c, cash=-3 * c / 10) for t, c in counts.items()))

        def sell(rid: str, ticker: str, count: D, event: Event = EV) -> object:
            return risk.reserve_basket(
                exit_basket(rid, ticker, Side.YES, price=D("0.29"), count=count, event=event)
            )

        assert _reason(sell("x-1", "KX-B", D(1))) is RejectReason.NOT_HELD  # bound in a set
        assert _reason(sell("x-2", "KX-A", D(2))) is RejectReason.NOT_HELD  # 1 beyond the sets
        nothing = Event.single("KX-D")
        assert _reason(sell("x-3", "KX-D", D(1), nothing)) is RejectReason.NOT_HELD
        made = sell("x-4", "KX-A", D(1))
        assert isinstance(made, Reservation)
        assert (made.amount, made.legs[0].action, made.max_complete_attempts) == (
            D(0),
            Action.SELL,
            0,
        )
        assert risk.summary().rejections.not_held == 3


def test_an_exit_counts_its_loss_below_average_cost_against_the_daily_limit() -> None:
    # 10 YES at 0.40 cost 4.17; selling them at 0.10 brings 0.93 (a 3.24 loss), at 0.20 1.88
    recorded = [(fill("old", Side.YES, D(10), D("0.40"), fee=D("0.17")), 0.0)]
    with risk_tree(_limits(max_daily_loss=D("3.00")), recorded_fills=lambda: recorded) as risk:
        risk.reconcile(Position("KX-A", yes_count=D(10), cash=D("-4.17")))
        single = Event.single("KX-A")

        def sell(rid: str, price: D) -> object:
            return risk.reserve_basket(
                exit_basket(rid, "KX-A", Side.YES, price=price, count=D(10), event=single)
            )

        assert _reason(sell("x-1", D("0.10"))) is RejectReason.DAILY_LOSS
        assert isinstance(sell("x-2", D("0.20")), Reservation)
        # a second exit of the same contracts while the first is live: not held any more
        assert _reason(sell("x-3", D("0.30"))) is RejectReason.NOT_HELD


# -- holdings for the strategy -------------------------------------------------------------


def test_the_strategy_is_told_the_unbound_holdings_after_fills_and_when_it_asks(
    risk: RiskHarness,
) -> None:
    risk.reserve_basket(_yes_basket("b-1"))
    risk.ask(ExecutionReport("b-1", Outcome.UNHEDGED, _leg_fills("b-1", range(2))))

    partial = Holdings(
        (
            HeldContracts("KX-A", Side.YES, D(10), D("3.15"), "KX-EV"),
            HeldContracts("KX-B", Side.YES, D(10), D("3.15"), "KX-EV"),
        )
    )
    eventually(lambda: risk.strategy.of(Holdings) == [partial], what="holdings after fills")

    risk.reserve_basket(_yes_basket("b-2"))
    risk.ask(ExecutionReport("b-2", Outcome.FILLED, _leg_fills("b-2", range(3))))
    eventually(lambda: len(risk.strategy.of(Holdings)) == 2)
    # 10 complete sets are bound; the 10 more YES of KX-A and KX-B are not
    last = risk.strategy.of(Holdings)[-1]
    assert {(c.ticker, c.count) for c in last.contracts} == {("KX-A", D(10)), ("KX-B", D(10))}

    assert risk.ask(HoldingsWanted()) == last
    eventually(lambda: len(risk.strategy.of(Holdings)) == 3)
    assert risk.summary().counts.holdings_sent == 3


def test_holdings_for_a_strategy_that_is_not_running_are_dropped() -> None:
    with risk_tree(with_strategy=False) as risk:
        risk.reconcile()
        assert risk.ask(HoldingsWanted()) == Holdings(())
        assert risk.summary().counts.holdings_undelivered == 1


# -- release and history -------------------------------------------------------------------


def _reservation_lines(records: list[dict[str, Any]]) -> list[ReservationLine]:
    lines = []
    for extra in records:
        entry = {"t": 1.0, "pid": 1, "kind": extra["history"]}
        entry |= {k: v for k, v in extra.items() if k != "history"}
        line = read_line(entry)
        assert isinstance(line, ReservationLine)
        lines.append(line)
    return lines


def test_a_release_records_the_outcome_and_the_short_legs_and_logs_them(
    risk: RiskHarness,
) -> None:
    records: list[dict[str, Any]] = []
    sink = logger.add(
        lambda message: records.append(dict(message.record["extra"])),
        filter=lambda record: record["extra"].get("history") == "reservation",
    )
    try:
        made = risk.reserve_basket(_yes_basket("b-1"))
        assert isinstance(made, Reservation)
        short = MissingLeg(2, "KX-C", Side.YES, D(10), made.legs[2].client_order_id)
        risk.ask(
            ExecutionReport(
                "b-1",
                Outcome.UNHEDGED,
                _leg_fills("b-1", range(2)),
                detail="unwind refused",
                held=(D(10), D(10), D(0)),
                missing=(short,),
            )
        )
        risk.reserve_basket(_yes_basket("b-2"))  # busy? no: per-event limit is wide here
        released = eventually(
            lambda: [r for r in risk.recorded_reservations() if r.reservation_id == "b-1"],
            what="the release recorded",
        )
    finally:
        logger.remove(sink)

    assert released == [
        attrs.evolve(
            made,
            state=ReservationState.RELEASED,
            outcome=Outcome.UNHEDGED,
            held=(D(10), D(10), D(0)),
            missing=(short,),
            detail="unwind refused",
        )
    ]
    lines = _reservation_lines(records)
    reserve, release = (line for line in lines if line.reservation_id == "b-1")
    assert (reserve.phase, reserve.ticker, reserve.tickers) == ("reserve", "KX-EV", EV.markets)
    assert (reserve.outcome, reserve.missing) == (None, None)
    assert (release.phase, release.outcome, release.missing) == ("release", "unhedged", (2,))
    assert release.amount == THREE_AT_30


def test_a_rejection_names_the_basket_and_its_event_in_history() -> None:
    records: list[dict[str, Any]] = []
    sink = logger.add(
        lambda message: records.append(dict(message.record["extra"])),
        filter=lambda record: record["extra"].get("history") == "reservation",
    )
    try:
        with risk_tree() as risk:
            assert _reason(risk.reserve_basket(_yes_basket("b-1"))) is (RejectReason.NOT_RECONCILED)
    finally:
        logger.remove(sink)
    (line,) = _reservation_lines(records)
    assert (line.phase, line.ticker, line.reservation_id, line.amount, line.tickers) == (
        "reject",
        "KX-EV",
        "b-1",
        None,
        None,
    )


def test_an_in_doubt_basket_is_released_with_what_the_resolution_found() -> None:
    with risk_tree() as risk:
        risk.reconcile()
        made = risk.reserve_basket(_yes_basket("b-1"))
        assert isinstance(made, Reservation)
        risk.crash_execution()
        short = MissingLeg(1, "KX-B", Side.YES, D(10), made.legs[1].client_order_id)
        risk.ask(
            InDoubtResolved(
                "b-1",
                _leg_fills("b-1", range(0, 3, 2)),
                outcome=Outcome.UNHEDGED,
                held=(D(10), D(0), D(10)),
                missing=(short,),
                detail="unwind found no bid",
            )
        )
        released = eventually(
            lambda: [
                r
                for r in risk.recorded_reservations()
                if r.state is ReservationState.RELEASED and r.reservation_id == "b-1"
            ],
        )
        assert [(r.outcome, r.held, r.missing, r.detail) for r in released] == [
            (Outcome.UNHEDGED, (D(10), D(0), D(10)), (short,), "unwind found no bid")
        ]
        assert risk.summary().exposure.by_event == {"KX-EV": D("6.30")}


def test_risk_starts_halted_when_the_events_it_knew_cannot_be_read() -> None:
    def unreadable() -> list[Event]:
        raise OSError("disk on fire")

    with risk_tree(recorded_events=unreadable) as risk:
        risk.reconcile()
        assert _reason(risk.reserve("c-1")) is RejectReason.HALTED
        assert "recorded events unknown: disk on fire" in str(risk.summary().halt_reason)
