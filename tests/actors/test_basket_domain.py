"""The basket contract: events, legs, baskets, reservation ids, settlement (docs/baskets.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Basket, Event, Fill, Leg, OrderRole, Purpose, Side
from actors.errors import InvalidFieldError, UnprofitableBasketError
from actors.fees import FeeModel
from actors.messages import (
    MAX_UNWIND_ATTEMPTS,
    LegOrder,
    Reservation,
    ReservedLeg,
    leg_client_order_id,
)
from actors.money import KalshiFees, LotSize, PriceGrid
from actors.strategy._basket import Ask, BasketKind, OutcomeBook, price_basket

D = Decimal
cents = st.integers(1, 99).map(lambda c: D(c).scaleb(-2))
counts = st.integers(1, 5000).map(lambda c: D(c).scaleb(-2))


def buy(ticker: str, side: Side, price: str | Decimal, count: str | Decimal = "1") -> Leg:
    return Leg(ticker, side, Action.BUY, D(price), D(count))


THREE = Event("EV", ("A", "B", "C"), True)


def test_an_all_yes_basket_pays_the_payout_and_an_all_no_basket_n_minus_one_payouts() -> None:
    yes = Basket("y", THREE, tuple(buy(t, Side.YES, "0.30", "2") for t in THREE.markets))
    no = Basket("n", THREE, tuple(buy(t, Side.NO, "0.60", "2") for t in THREE.markets))
    assert yes.payout_by_outcome == (("A", D(2)), ("B", D(2)), ("C", D(2)))
    assert yes.guaranteed_payout == D(2)
    assert no.guaranteed_payout == D(4)  # (3 - 1) x 2 contracts x $1
    assert no.cost == D("3.60")
    assert no.worst_case_edge == no.guaranteed_payout - no.cost - no.fees
    assert no.fees > 0


@given(cents, cents, counts)
def test_the_complement_is_a_two_leg_basket_whose_edge_is_the_fee_models(
    yes: Decimal, no: Decimal, count: Decimal
) -> None:
    edge = FeeModel().complement_edge(count, yes, no)
    legs = (buy("T", Side.YES, yes, count), buy("T", Side.NO, no, count))
    if edge <= 0:
        with pytest.raises(UnprofitableBasketError) as raised:
            Basket("c", Event.single("T"), legs)
        assert raised.value.edge == edge
        return
    basket = Basket("c", Event.single("T"), legs)
    assert basket.payout_by_outcome == (("T=yes", count), ("T=no", count))
    assert basket.worst_case_edge == edge


@given(st.lists(st.tuples(cents, st.integers(1, 500)), min_size=2, max_size=6), st.booleans())
def test_a_basket_of_the_pricer_s_legs_has_the_pricer_s_edge(
    asks: list[tuple[Decimal, int]], all_yes: bool
) -> None:
    kind = BasketKind.ALL_YES if all_yes else BasketKind.ALL_NO
    tickers = [f"M{i}" for i in range(len(asks))]
    grid, lot, fees = PriceGrid(D("0.01")), LotSize(D(1)), KalshiFees()
    books = [
        OutcomeBook(t, Ask(p, D(n)), Ask(p, D(n)), grid, lot, fees)
        for t, (p, n) in zip(tickers, asks, strict=True)
    ]
    proposal = price_basket(books, kind, payout=D(1))
    assert proposal is not None
    event = Event("EV", tuple(tickers), True)
    legs = tuple(buy(leg.ticker, leg.side, leg.price, leg.size) for leg in proposal.legs)
    if proposal.worst_case_edge <= 0:
        with pytest.raises(UnprofitableBasketError):
            Basket("b", event, legs, schedule=fees)
        return
    basket = Basket("b", event, legs, schedule=fees)
    assert basket.worst_case_edge == proposal.worst_case_edge
    assert basket.guaranteed_payout == proposal.guaranteed_payout


def test_an_exit_sells_one_leg_and_has_no_edge_rule() -> None:
    sell = Leg("A", Side.YES, Action.SELL, D("0.10"), D(3))
    basket = Basket("x", Event.single("A"), (sell,), Purpose.EXIT)
    assert basket.payout_by_outcome == ()
    assert basket.worst_case_edge == 0
    assert basket.fees == sell.price * sell.count - KalshiFees().sell_proceeds(D(3), D("0.10"))


@pytest.mark.parametrize(
    ("event", "legs", "purpose", "field"),
    [
        (THREE, (buy("A", Side.YES, "0.1"),), Purpose.ARBITRAGE, "legs"),
        (
            THREE,
            (buy("A", Side.YES, "0.1"), buy("Z", Side.YES, "0.1")),
            Purpose.ARBITRAGE,
            "legs[1].ticker",
        ),
        (THREE, (buy("A", Side.YES, "0.1"), buy("A", Side.YES, "0.2")), Purpose.ARBITRAGE, "legs"),
        (
            THREE,
            (buy("A", Side.NO, "0.1", "1"), buy("B", Side.NO, "0.1", "2")),
            Purpose.ARBITRAGE,
            "legs[1].count",
        ),
        (
            Event("E2", ("A", "B"), False),
            (buy("A", Side.YES, "0.1"), buy("B", Side.NO, "0.1")),
            Purpose.ARBITRAGE,
            "legs",
        ),
        (
            THREE,
            (Leg("A", Side.NO, Action.SELL, D("0.1"), D(1)), buy("B", Side.NO, "0.1")),
            Purpose.ARBITRAGE,
            "legs[0].action",
        ),
        (THREE, (buy("A", Side.NO, "0.1"),), Purpose.EXIT, "legs"),
    ],
)
def test_bad_baskets_are_refused_naming_the_field(
    event: Event, legs: tuple[Leg, ...], purpose: Purpose, field: str
) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        Basket("bad", event, legs, purpose)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("E", (), False), "markets"),
        (("E", ("A", "A"), False), "markets"),
        (("E", ("A",), True), "markets"),
        (("E", ("A", "b d"), True), "markets"),
        (("E v", ("A", "B"), True), "event_ticker"),
    ],
)
def test_bad_events_are_refused_naming_the_field(args: tuple[object, ...], field: str) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        Event(*args)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_leg_ids_are_deterministic_distinct_and_25_characters() -> None:
    ids = {
        leg_client_order_id("basket-1", index, role, attempt)
        for index in range(64)
        for role in OrderRole
        for attempt in range(10)
    }
    assert len(ids) == 64 * 3 * 10
    assert {len(order_id) for order_id in ids} == {25}
    assert leg_client_order_id("basket-1", 3) == leg_client_order_id(
        "basket-1", 3, OrderRole.ENTRY, 0
    )
    assert leg_client_order_id("basket-1", 3) != leg_client_order_id("basket-2", 3)
    for bad in ((64, 0), (-1, 0), (0, 10), (True, 0)):
        with pytest.raises(ValueError, match="must be an int"):
            leg_client_order_id("b", bad[0], OrderRole.ENTRY, bad[1])


def reservation(rid: str = "r1", count: str = "2", attempts: int = 1) -> Reservation:
    legs = tuple(
        ReservedLeg(
            i,
            t,
            Side.NO,
            Action.BUY,
            D(count),
            D("0.60"),
            D("0.62"),
            D("1.30"),
            leg_client_order_id(rid, i),
        )
        for i, t in enumerate(THREE.markets)
    )
    return Reservation(rid, THREE, Purpose.ARBITRAGE, legs, D("3.90"), 2.0, attempts)


def fill(order_id: str, ticker: str, count: str, action: Action = Action.BUY, n: int = 0) -> Fill:
    return Fill(f"f{n}-{order_id}", order_id, ticker, Side.NO, action, D("0.60"), D(count))


def test_order_ids_name_every_order_a_reservation_may_send() -> None:
    held = reservation(attempts=2)
    ids = held.order_ids()
    assert len(ids) == 3 * (1 + 2 + MAX_UNWIND_ATTEMPTS)
    assert ids[held.legs[1].client_order_id] == LegOrder(1, OrderRole.ENTRY, 0)
    assert ids[leg_client_order_id("r1", 2, OrderRole.COMPLETE, 1)] == LegOrder(
        2, OrderRole.COMPLETE, 1
    )
    assert ids[leg_client_order_id("r1", 0, OrderRole.UNWIND, 1)] == LegOrder(
        0, OrderRole.UNWIND, 1
    )
    assert held.amount_by_market() == {"A": D("1.30"), "B": D("1.30"), "C": D("1.30")}
    assert held.tickers == ("A", "B", "C")


def test_settlement_names_the_legs_short_of_the_most_held() -> None:
    held = reservation()
    entry = held.client_order_ids
    unwind_a = leg_client_order_id("r1", 0, OrderRole.UNWIND, 0)
    complete_c = leg_client_order_id("r1", 2, OrderRole.COMPLETE, 0)
    fills = (
        fill(entry[0], "A", "2"),
        fill(entry[1], "B", "1"),
        fill("w-not-ours", "C", "5"),
    )
    partial = held.settlement(fills)
    assert partial.held == (D(2), D(1), D(0))
    assert [(m.index, m.short) for m in partial.missing] == [(1, D(1)), (2, D(2))]
    assert not partial.balanced
    # unwound to the lowest leg, then completed: balanced
    unwound = held.settlement((*fills, fill(unwind_a, "A", "1", Action.SELL, 1)))
    assert unwound.held == (D(1), D(1), D(0))
    done = held.settlement(
        (*fills, fill(unwind_a, "A", "1", Action.SELL, 1), fill(complete_c, "C", "1", n=2))
    )
    assert done.held == (D(1), D(1), D(1))
    assert done.balanced
    assert done.missing == ()
    assert held.settlement(()).balanced


def test_settlement_counts_a_fill_given_twice_once() -> None:
    """Recovery settles with the ledger's fills and the venue's list of the same fills."""
    held = reservation()
    entry = held.client_order_ids
    fills = (fill(entry[0], "A", "2"), fill(entry[1], "B", "1"))
    twice = held.settlement((*fills, *fills))
    assert twice == held.settlement(fills)
    assert twice.held == (D(2), D(1), D(0))
