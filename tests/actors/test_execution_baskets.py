"""Baskets of N legs at a real simulated venue on loopback: completion within the
deadline, unwinds and what happens when they fail, the kill switch during a
completion, exits, and an in-doubt resolution that unwinds once after a crash.

The venue runs its legacy mode with three markets: a YES buy at ``p`` takes a
house NO bid at ``1 - p``; an unwind (a YES sell) takes a house YES bid.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from loguru import logger

from actors.domain import Action, OrderRole, Side
from actors.execution import Phase
from actors.history import BasketLine, read_line
from actors.messages import (
    BasketPhase,
    BasketProgress,
    CancelAll,
    Execute,
    ExecutionReport,
    InDoubtResolved,
    IntentRecorded,
    IntentsAbandoned,
    MissingLeg,
    Outcome,
    Reconciled,
    Record,
    Reservation,
    ResolveInDoubt,
    VenueErrorReport,
    leg_client_order_id,
)
from supervision import ManualClock
from tests.actors.execution_harness import (
    REST,
    Harness,
    Release,
    SetMode,
    VenueThread,
    as_bought,
    basket,
    exit_reservation,
    fast_config,
    reservation,
    start_execution,
)
from tests.supervision.conftest import eventually
from tests.warden.conftest import quiet_config

D = Decimal
TICKERS = ("SIM-001", "SIM-002", "SIM-003")


@pytest.fixture
def venue() -> Iterator[VenueThread]:
    thread = VenueThread(quiet_config(markets=3)).start()
    yield thread
    thread.stop()


@pytest.fixture
def harness(venue: VenueThread) -> Iterator[Harness]:
    with contextlib.contextmanager(start_execution)(
        fast_config(venue.rest_url), venue=venue
    ) as running:
        (reconciled,) = running.risk.wait_for(Reconciled)
        assert reconciled.ok
        yield running


@pytest.fixture
def basket_lines() -> Iterator[list[BasketLine]]:
    """Every ``kind: basket`` history line execution logs, read as the sink reads it."""
    lines: list[BasketLine] = []

    def sink(message: Any) -> None:
        extra = dict(message.record["extra"])
        if extra.pop("history", None) == "basket":
            line = read_line({"t": 0.0, "pid": 1, "kind": "basket", **extra})
            assert isinstance(line, BasketLine)
            lines.append(line)

    handle = logger.add(sink, level="DEBUG")
    yield lines
    logger.remove(handle)


def three_legs(rid: str = "b-1", **policy: Any) -> Reservation:
    """YES of each of three exclusive markets at $0.30, 5 each; completion up to $0.32."""
    legs = [(t, Side.YES, "0.30", "5") for t in TICKERS]
    settings: dict[str, Any] = {
        "max_prices": ["0.32"] * 3,
        "complete_within_s": 5.0,
        "max_complete_attempts": 1,
    }
    settings.update(policy)
    return basket(rid, legs, **settings)


def asks(venue: VenueThread, depths: tuple[int, int, int], price: str = "0.70") -> None:
    """YES asks at ``1 - price`` of each market, ``depths`` contracts deep."""
    for ticker, depth in zip(TICKERS, depths, strict=True):
        if depth:
            venue.house_bid("no", price, depth, ticker)


def report_of(harness: Harness, rid: str) -> ExecutionReport:
    def found() -> ExecutionReport | None:
        reports = [r for r in harness.risk.of(ExecutionReport) if r.reservation_id == rid]
        return reports[0] if reports else None

    report: ExecutionReport = eventually(found, timeout=30, what=f"report for {rid}")
    return report


def accepted(venue: VenueThread) -> list[str]:
    return [record["client_order_id"] for record in venue.truth("order_accepted")]


def progress(harness: Harness, rid: str) -> list[tuple[BasketPhase, int]]:
    return [(e.phase, e.attempt) for e in harness.events(BasketProgress) if e.reservation_id == rid]


def cid(rid: str, index: int, role: OrderRole = OrderRole.ENTRY, attempt: int = 0) -> str:
    return leg_client_order_id(rid, index, role, attempt)


def missing(res: Reservation, index: int, short: str) -> MissingLeg:
    leg = res.legs[index]
    return MissingLeg(index, leg.ticker, leg.side, D(short), leg.client_order_id)


def record_with(harness: Harness, role: OrderRole) -> Record:
    """The first Record holding an intent of ``role`` (waits for it)."""

    def found() -> Record | None:
        records: list[Record] = harness.ledger.of(Record)
        for record in records:
            if any(isinstance(e, IntentRecorded) and e.role is role for e in record.events):
                return record
        return None

    record: Record = eventually(found, what=f"a Record of {role.value} intents")
    return record


# -- completion ----------------------------------------------------------------------------


def test_a_short_leg_is_completed_within_the_deadline_at_a_bounded_worse_price(
    venue: VenueThread, harness: Harness, basket_lines: list[BasketLine]
) -> None:
    asks(venue, (5, 5, 2))
    venue.house_bid("no", "0.68", 10, "SIM-003")  # deeper, at $0.32: within max_price
    venue.house_bid("no", "0.67", 10, "SIM-003")  # at $0.33: above it, never taken
    res = three_legs()

    harness.tree.tell("execution", Execute(res))

    report = report_of(harness, "b-1")
    assert (report.outcome, report.held, report.missing) == (Outcome.FILLED, (D(5),) * 3, ())
    completion = cid("b-1", 2, OrderRole.COMPLETE)
    sent = accepted(venue)
    assert (sorted(sent[:3]), sent[3:]) == (sorted(res.client_order_ids), [completion])
    bought = {(f.client_order_id, f.price, f.count) for f in report.fills}
    assert (completion, D("0.32"), D(3)) in bought
    assert as_bought(report.fills) == venue.fills()
    (intent,) = [
        e for e in harness.events(IntentRecorded) if e.role is OrderRole.COMPLETE
    ]  # recorded before it was sent, naming its leg
    assert (intent.leg, intent.intent.price, intent.intent.count) == (2, D("0.32"), D(3))
    assert progress(harness, "b-1") == [
        (BasketPhase.PLACING, 0),
        (BasketPhase.LEGS_SETTLED, 0),
        (BasketPhase.COMPLETING, 0),
        (BasketPhase.LEGS_SETTLED, 1),
        (BasketPhase.SETTLED, 0),
    ]
    settled = [e for e in harness.events(BasketProgress) if e.phase is BasketPhase.SETTLED]
    assert (settled[0].outcome, settled[0].held) == (Outcome.FILLED, (D(5),) * 3)
    first_settled = harness.events(BasketProgress)[1]
    assert first_settled.held == (D(5), D(5), D(2))
    assert first_settled.deadline_at is not None
    phases = [line.phase for line in basket_lines if line.reservation_id == "b-1"]
    assert phases == ["placing", "legs_settled", "completing", "legs_settled", "settled"]
    assert basket_lines[-1].outcome == "filled"
    assert harness.summary().in_flight == {}


def test_a_completion_that_finds_nothing_is_followed_by_an_unwind_to_a_partial(
    venue: VenueThread, harness: Harness
) -> None:
    asks(venue, (5, 5, 2))  # nothing more at $0.32 or below on SIM-003
    venue.house_bid("yes", "0.28", 10, "SIM-001")
    venue.house_bid("yes", "0.27", 10, "SIM-002")
    res = three_legs()

    harness.tree.tell("execution", Execute(res))

    report = report_of(harness, "b-1")
    assert (report.outcome, report.held, report.missing) == (Outcome.PARTIAL, (D(2),) * 3, ())
    assert "unwound to 2" in report.detail
    sells = sorted(
        (f.client_order_id, f.price, f.count) for f in report.fills if f.action is Action.SELL
    )
    assert sells == sorted([
        (cid("b-1", 0, OrderRole.UNWIND), D("0.28"), D(3)),
        (cid("b-1", 1, OrderRole.UNWIND), D("0.27"), D(3)),
    ])  # fmt: skip
    assert cid("b-1", 2, OrderRole.COMPLETE) in accepted(venue)  # tried, filled nothing
    assert progress(harness, "b-1")[-2:] == [
        (BasketPhase.UNWINDING, 0),
        (BasketPhase.SETTLED, 1),
    ]
    positions = venue.get("/trade-api/v2/portfolio/positions")["market_positions"]
    assert {p["ticker"]: D(p["position_fp"]) for p in positions} == dict.fromkeys(TICKERS, D(2))


def test_a_second_completion_attempt_waits_for_its_share_of_the_window(
    venue: VenueThread,
) -> None:
    clock = ManualClock()
    asks(venue, (5, 5, 2))  # attempt 0 finds nothing at $0.32 or below on SIM-003
    res = three_legs(complete_within_s=10.0, max_complete_attempts=2)
    with contextlib.contextmanager(start_execution)(
        fast_config(venue.rest_url), venue=venue, clock=clock
    ) as harness:
        harness.risk.wait_for(Reconciled)
        harness.tree.tell("execution", Execute(res))
        first = cid("b-1", 2, OrderRole.COMPLETE, 0)
        eventually(
            lambda: progress(harness, "b-1")[-1:] == [(BasketPhase.LEGS_SETTLED, 1)],
            what="completion attempt 0 settled",
        )
        view = harness.summary().in_flight["b-1"]
        assert (view.phase, view.deadline_in_s) == (Phase.COMPLETING, 10.0)
        second = cid("b-1", 2, OrderRole.COMPLETE, 1)
        assert first in accepted(venue)
        assert second not in accepted(venue)  # due 5 s after placing, on the actor's clock

        venue.house_bid("no", "0.68", 10, "SIM-003")  # liquidity at $0.32 appears
        clock.advance(5.0)

        report = report_of(harness, "b-1")
        assert (report.outcome, report.held) == (Outcome.FILLED, (D(5),) * 3)
        assert accepted(venue)[-1] == second


# -- unwinds that fail ---------------------------------------------------------------------


def test_an_unwind_with_no_bid_is_unhedged_naming_the_short_leg(
    venue: VenueThread, harness: Harness, basket_lines: list[BasketLine]
) -> None:
    asks(venue, (5, 5, 2))  # and nobody bids for the excess
    res = three_legs()

    harness.tree.tell("execution", Execute(res))

    report = report_of(harness, "b-1")
    assert report.outcome is Outcome.UNHEDGED
    assert report.held == (D(5), D(5), D(2))
    assert report.missing == (missing(res, 2, "3"),)
    assert "no bid" in report.detail
    assert not [c for c in accepted(venue) if c[-4] == "u"]  # no unwind order went out
    assert basket_lines[-1].phase == "settled"
    assert (basket_lines[-1].outcome, basket_lines[-1].missing) == ("unhedged", (2,))


def test_an_unwind_that_sells_only_where_bids_are_leaves_every_short_leg_named(
    venue: VenueThread, harness: Harness
) -> None:
    asks(venue, (5, 5, 2))
    venue.house_bid("yes", "0.28", 10, "SIM-001")  # SIM-002 has no bid
    res = three_legs()

    harness.tree.tell("execution", Execute(res))

    report = report_of(harness, "b-1")
    assert report.outcome is Outcome.UNHEDGED
    assert report.held == (D(2), D(5), D(2))
    assert report.missing == (missing(res, 0, "3"), missing(res, 2, "3"))
    assert "not unwound: leg 1: no bid" in report.detail


def test_an_unwind_sells_only_what_the_venue_holds_after_netting_the_other_side(
    venue: VenueThread, harness: Harness
) -> None:
    """The account already holds 2 NO of SIM-001; buying 5 YES there nets 2 pairs at
    once, so the venue holds 3 YES. The unwind sells those 3 (selling 5 would be
    refused as ``insufficient_position``, a critical error that halts trading)."""
    venue.house_bid("yes", "0.30", 2)  # a NO ask at $0.70
    placed = venue.place(
        side="no", no_price_dollars="0.70", count_fp="2.00", time_in_force="immediate_or_cancel"
    )
    assert placed.status_code in (200, 201), placed.text
    assert venue.get(f"{REST}/portfolio/positions")["market_positions"][0]["position_fp"] == "-2.00"
    asks(venue, (5, 0, 0), price="0.70")  # YES asks at $0.30 in SIM-001 only
    venue.house_bid("yes", "0.28", 10)  # someone to sell the excess to
    res = three_legs(max_complete_attempts=0, complete_within_s=0.0)

    harness.tree.tell("execution", Execute(res))

    report = report_of(harness, "b-1")
    sells = [(f.client_order_id, f.count) for f in report.fills if f.action is Action.SELL]
    assert sells == [(cid("b-1", 0, OrderRole.UNWIND), D(3))]
    assert report.held == (D(2), D(0), D(0))  # by the basket's own fills
    assert report.outcome is Outcome.UNHEDGED
    assert report.missing == (missing(res, 1, "2"), missing(res, 2, "2"))
    assert "sells 3.00 of 5.00: the rest was netted at the venue" in report.detail
    assert not [e for e in harness.risk.of(VenueErrorReport) if "insufficient" in e.detail]
    positions = venue.get(f"{REST}/portfolio/positions")["market_positions"]
    assert {p["ticker"]: p["position_fp"] for p in positions}.get("SIM-001", "0.00") == "0.00"


def test_an_unwind_whose_book_cannot_be_read_is_unhedged_and_sends_nothing(
    venue: VenueThread, harness: Harness
) -> None:
    venue.house_bid("no", "0.58", 5)
    venue.house_bid("yes", "0.45", 2)
    venue.house_bid("yes", "0.40", 10)  # a bid there is, but the book read fails
    venue.faults({"http": {"get_orderbook": {"error_5xx_rate": 1}}})
    res = reservation()

    harness.tree.tell("execution", Execute(res))

    report = report_of(harness, "opp-1")
    assert (report.outcome, report.held) == (Outcome.UNHEDGED, (D(5), D(2)))
    assert report.missing == (missing(res, 1, "3"),)
    assert "VenueServerError" in report.detail
    assert sorted(accepted(venue)) == sorted(res.client_order_ids)  # no unwind order
    errors = {e.endpoint for e in harness.risk.of(VenueErrorReport)}
    assert any("orderbook" in endpoint for endpoint in errors)


def test_an_unwind_filled_in_part_is_unhedged_naming_the_short_leg(
    venue: VenueThread, harness: Harness
) -> None:
    venue.house_bid("no", "0.58", 5)  # YES ask 0.42
    venue.house_bid("yes", "0.45", 2)  # NO ask 0.55, 2 deep
    venue.house_bid("yes", "0.40", 1)  # one contract bid for the YES excess of 3
    res = reservation()

    harness.tree.tell("execution", Execute(res))

    report = report_of(harness, "opp-1")
    assert report.outcome is Outcome.UNHEDGED
    assert report.held == (D(4), D(2))
    assert report.missing == (missing(res, 1, "2"),)
    sells = [(f.client_order_id, f.price, f.count) for f in report.fills if f.action is Action.SELL]
    assert sells == [(cid("opp-1", 0, OrderRole.UNWIND), D("0.40"), D(1))]
    assert as_bought(report.fills) == venue.fills()


def unwind_recorded(
    venue: VenueThread, venue_harness: Callable[..., Harness]
) -> tuple[Harness, Reservation]:
    """YES fills 5 and NO 2 of ``reservation()``; its unwind of the YES excess (a bid
    at $0.40) is recorded and held unanswered by the ledger until the test releases it."""
    venue.house_bid("no", "0.58", 5)
    venue.house_bid("yes", "0.45", 2)
    venue.house_bid("yes", "0.40", 10)
    harness = venue_harness(persistence_mode="hold")
    res = reservation()
    harness.tree.tell("execution", Execute(res))
    record_with(harness, OrderRole.ENTRY)
    harness.tree.tell("persistence", Release())
    record_with(harness, OrderRole.UNWIND)
    return harness, res


def drain_free_cash(venue: VenueThread, *, below: Decimal) -> None:
    """Resting bids at $0.01 placed by hand until the trader has less than ``below``
    free (the venue checks a taker's cost with fees, $0.0107 a contract here, but
    holds only $0.01 for a resting bid: a few rounds)."""
    for round_number in range(10):
        accounts = venue.get("/sim/accounts")["accounts"]
        (free,) = [Decimal(a["free_dollars"]) for a in accounts if a["account"] == "trader"]
        if free < below:
            return
        count = ((free - below / 2) / Decimal("0.0107")).quantize(Decimal(1), "ROUND_FLOOR")
        placed = venue.place(
            side="yes",
            yes_price_dollars="0.01",
            count_fp=f"{max(count, 1)}.00",
            client_order_id=f"by-hand-{round_number}",
        )
        assert placed.is_success, placed.text
    raise AssertionError(f"free cash still {free}")


def test_an_unwind_the_venue_refuses_is_unhedged_and_reported_as_critical(
    venue: VenueThread, venue_harness: Callable[..., Harness]
) -> None:
    harness, res = unwind_recorded(venue, venue_harness)
    # Before the unwind goes out, an order placed by hand holds every free dollar; a
    # V2 sale of YES is a purchase of NO at 1 - price, which the venue now refuses:
    drain_free_cash(venue, below=Decimal("0.50"))
    harness.tree.tell("persistence", SetMode("auto"))
    harness.tree.tell("persistence", Release())

    report = report_of(harness, "opp-1")
    assert report.outcome is Outcome.UNHEDGED
    assert report.missing == (missing(res, 1, "3"),)
    assert "InsufficientBalance" in report.detail
    assert [(e.error_class.value, e.error_type) for e in harness.risk.of(VenueErrorReport)] == [
        ("critical", "InsufficientBalance")
    ]
    unwind_id = cid("opp-1", 0, OrderRole.UNWIND)
    eventually(
        lambda: any(unwind_id in e.client_order_ids for e in harness.events(IntentsAbandoned)),
        what="the refused unwind's intent abandoned",
    )


def test_an_unwind_the_ledger_cannot_record_is_not_sent_and_is_unhedged(
    venue: VenueThread, venue_harness: Callable[..., Harness]
) -> None:
    harness, res = unwind_recorded(venue, venue_harness)

    harness.tree.tell("persistence", Release(fail=True))

    report = report_of(harness, "opp-1")
    assert report.outcome is Outcome.UNHEDGED
    assert report.missing == (missing(res, 1, "3"),)
    assert "unwind not sent: ledger: record failed: disk full" in report.detail
    assert sorted(accepted(venue)) == sorted(res.client_order_ids)  # no unwind order


# -- the kill switch -----------------------------------------------------------------------


def test_cancel_all_during_a_completion_stops_the_buy_but_not_the_unwind(
    venue: VenueThread, venue_harness: Callable[..., Harness]
) -> None:
    asks(venue, (5, 5, 2))
    venue.house_bid("no", "0.68", 10, "SIM-003")  # the completion would fill ...
    venue.house_bid("yes", "0.28", 10, "SIM-001")
    venue.house_bid("yes", "0.28", 10, "SIM-002")
    harness = venue_harness(persistence_mode="hold")
    res = three_legs()
    harness.tree.tell("execution", Execute(res))
    record_with(harness, OrderRole.ENTRY)
    harness.tree.tell("persistence", Release())
    record_with(harness, OrderRole.COMPLETE)
    assert harness.summary().in_flight["b-1"].phase is Phase.RECORDING_COMPLETION

    harness.tree.tell("execution", CancelAll("operator halt"))  # ... but halted first
    harness.tree.tell("persistence", SetMode("auto"))
    harness.tree.tell("persistence", Release())

    report = report_of(harness, "b-1")
    assert (report.outcome, report.held) == (Outcome.PARTIAL, (D(2),) * 3)
    completion = cid("b-1", 2, OrderRole.COMPLETE)
    assert completion not in accepted(venue)
    assert cid("b-1", 0, OrderRole.UNWIND) in accepted(venue)
    abandoned = {c for e in harness.events(IntentsAbandoned) for c in e.client_order_ids}
    assert completion in abandoned


# -- exits -------------------------------------------------------------------------------------


def test_an_exit_is_one_sell_ioc_and_settles_on_what_it_sold(
    venue: VenueThread, harness: Harness
) -> None:
    venue.house_bid("no", "0.58", 3)
    assert venue.place(
        side="yes", yes_price_dollars="0.42", count_fp="3", client_order_id="bought",
        time_in_force="immediate_or_cancel",
    ).is_success  # fmt: skip
    venue.house_bid("yes", "0.61", 2)
    exit_ = exit_reservation("x-1", "SIM-001", Side.YES, "0.60", "3")

    harness.tree.tell("execution", Execute(exit_))

    report = report_of(harness, "x-1")
    assert (report.outcome, report.held, report.missing) == (Outcome.PARTIAL, (D(2),), ())
    (sent,) = [r for r in venue.truth("order_accepted") if r["client_order_id"] == cid("x-1", 0)]
    # V2: a sale of YES is an ask on the YES book (long NO, in Kalshi's direction fields)
    assert (sent["book_side"], sent["outcome_side"], sent["yes_price_dollars"]) == (
        "ask",
        "no",
        "0.6000",
    )
    assert progress(harness, "x-1") == [(BasketPhase.PLACING, 0), (BasketPhase.SETTLED, 0)]


# -- in doubt ------------------------------------------------------------------------------------


def test_an_in_doubt_basket_left_mid_unwind_is_unwound_once_and_never_bought(
    venue: VenueThread, harness: Harness
) -> None:
    res = reservation("opp-doubt", complete_within_s=5.0, max_complete_attempts=1)
    yes_id, no_id = res.client_order_ids
    # What the dead owner left: 5 YES, 2 NO, and 1 of its 3-contract unwind sold.
    venue.house_bid("no", "0.58", 5)
    venue.house_bid("yes", "0.45", 2)
    for fields in (
        {"side": "yes", "yes_price_dollars": "0.42", "count_fp": "5", "client_order_id": yes_id},
        {"side": "no", "no_price_dollars": "0.55", "count_fp": "5", "client_order_id": no_id},
    ):
        assert venue.place(time_in_force="immediate_or_cancel", **fields).is_success
    venue.house_bid("yes", "0.40", 1)
    assert venue.place(
        side="yes", action="sell", yes_price_dollars="0.35", count_fp="3",
        client_order_id=cid("opp-doubt", 0, OrderRole.UNWIND),
        time_in_force="immediate_or_cancel",
    ).is_success  # fmt: skip
    venue.house_bid("no", "0.50", 10)  # a completion would fill: it must not be sent
    venue.house_bid("yes", "0.39", 10)  # the resolver's unwind sells here
    before = len(accepted(venue))

    harness.tree.tell("execution", ResolveInDoubt(res))

    (resolved,) = harness.risk.wait_for(InDoubtResolved)
    assert (resolved.outcome, resolved.held, resolved.missing) == (
        Outcome.PARTIAL,
        (D(2), D(2)),
        (),
    )
    assert as_bought(resolved.fills) == venue.fills()
    assert accepted(venue)[before:] == [cid("opp-doubt", 0, OrderRole.UNWIND, 1)]
    assert harness.summary().resolving_in_doubt == ()

    harness.tree.tell("execution", ResolveInDoubt(res))  # asked again: nothing more to do

    _, again = harness.risk.wait_for(InDoubtResolved, count=2)
    assert (again.outcome, again.held) == (Outcome.PARTIAL, (D(2), D(2)))
    assert accepted(venue)[before:] == [cid("opp-doubt", 0, OrderRole.UNWIND, 1)]


def test_after_a_crash_mid_unwind_the_next_incarnation_unwinds_once(
    venue: VenueThread, venue_harness: Callable[..., Harness]
) -> None:
    harness, res = unwind_recorded(venue, venue_harness)  # recorded, not yet answered: then it dies

    assert harness.tree.restart("execution") == 2
    harness.tree.tell("persistence", SetMode("auto"))
    harness.tree.tell("persistence", Release())
    harness.risk.wait_for(Reconciled, count=2)
    harness.tree.tell("execution", ResolveInDoubt(res))

    (resolved,) = harness.risk.wait_for(InDoubtResolved)
    assert (resolved.outcome, resolved.held, resolved.missing) == (
        Outcome.PARTIAL,
        (D(2), D(2)),
        (),
    )
    unwinds = [c for c in accepted(venue) if c[-4] == "u"]
    assert unwinds == [cid("opp-1", 0, OrderRole.UNWIND, 1)]  # one unwind, never attempt 0
    assert harness.risk.of(ExecutionReport) == []  # the dead owner never reported


@pytest.fixture
def venue_harness(venue: VenueThread) -> Iterator[Callable[..., Harness]]:
    """Start execution against ``venue`` with a persistence mode of the test's choosing;
    with ``hold`` the reconciliation's Record is answered before this returns."""
    with contextlib.ExitStack() as stack:

        def run(**kwargs: Any) -> Harness:
            running = stack.enter_context(
                contextlib.contextmanager(start_execution)(
                    fast_config(venue.rest_url), venue=venue, **kwargs
                )
            )
            if kwargs.get("persistence_mode") == "hold":
                running.ledger.wait_for(Record)
                running.tree.tell("persistence", Release())
            (reconciled,) = running.risk.wait_for(Reconciled)
            assert reconciled.ok
            return running

        yield run
