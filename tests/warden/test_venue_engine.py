"""The matching engine on its own: no server, a manual clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.fees import FeeModel
from warden.venue import (
    DuplicateClientOrderId,
    ManualClock,
    MatchingEngine,
    OrderRejected,
    OrderRequest,
    TruthKind,
)

FEES = FeeModel()


def _engine(**cash: int) -> MatchingEngine:
    accounts = {"trader": 10_000, "maker": 1_000_000, **cash}
    return MatchingEngine(["M1"], accounts=accounts, clock=ManualClock())


def _order(side: str, price: int, count: int, action: str = "buy", **kw: object) -> OrderRequest:
    return OrderRequest("M1", side, action, count, price, **kw)


def test_a_yes_buy_sweeps_no_bids_best_first_at_the_makers_prices_with_taker_fees() -> None:
    engine = _engine()
    engine.place("maker", _order("no", 55, 3))  # YES ask 45
    engine.place("maker", _order("no", 53, 4))  # YES ask 47
    engine.place("maker", _order("no", 50, 9))  # YES ask 50: beyond the limit below

    order = engine.place("trader", _order("yes", 48, 10, client_order_id="c1"))

    assert (order["status"], order["fill_count"], order["remaining_count"]) == ("resting", 7, 3)
    fills = engine.fills("trader")
    assert [(f["count"], f["yes_price"], f["no_price"], f["fee"]) for f in fills] == [
        (3, 45, 55, FEES.taker_fee(3, 45)),
        (4, 47, 53, FEES.taker_fee(4, 47)),
    ]
    assert order["taker_fees"] == FEES.taker_fee(3, 45) + FEES.taker_fee(4, 47)
    assert engine.book("M1").levels("no") == [[50, 9]]
    assert engine.book("M1").levels("yes") == [[48, 3]]
    fee = order["taker_fees"]
    assert engine.balance("trader") == {
        "balance": 10_000 - 3 * 45 - 4 * 47 - fee - 3 * 48,
        "reserved": 3 * 48,
    }
    assert engine.positions("trader")[0]["position"] == 7


def test_orders_at_one_price_fill_oldest_first() -> None:
    engine = _engine(other=1_000_000)
    first = engine.place("maker", _order("no", 60, 2))
    second = engine.place("other", _order("no", 60, 2))

    engine.place("trader", _order("yes", 40, 3, time_in_force="immediate_or_cancel"))

    assert engine.order("maker", first["order_id"])["status"] == "executed"
    assert engine.order("other", second["order_id"])["fill_count"] == 1


def test_a_fill_or_kill_that_cannot_fill_completely_is_canceled_whole() -> None:
    engine = _engine()
    engine.place("maker", _order("no", 60, 5))

    order = engine.place("trader", _order("yes", 40, 6, time_in_force="fill_or_kill"))

    assert (order["status"], order["fill_count"], order["cancel_reason"]) == (
        "canceled",
        0,
        "fill_or_kill_unfilled",
    )
    assert engine.book("M1").levels("no") == [[60, 5]]
    assert engine.fills("trader") == []
    assert engine.balance("trader") == {"balance": 10_000, "reserved": 0}


def test_an_immediate_or_cancel_order_cancels_what_it_could_not_fill() -> None:
    engine = _engine()
    engine.place("maker", _order("no", 60, 5))

    order = engine.place("trader", _order("yes", 40, 8, time_in_force="immediate_or_cancel"))

    assert (order["status"], order["fill_count"], order["remaining_count"]) == ("canceled", 5, 0)
    assert engine.book("M1").levels("yes") == []


def test_a_duplicate_client_order_id_is_rejected_with_the_original_order() -> None:
    engine = _engine()
    original = engine.place("trader", _order("yes", 30, 1, client_order_id="same"))

    with pytest.raises(DuplicateClientOrderId) as caught:
        engine.place("trader", _order("no", 30, 1, client_order_id="same"))

    assert caught.value.order == original
    assert [e.kind for e in engine.truth] == [TruthKind.ORDER_ACCEPTED, TruthKind.ORDER_REJECTED]


def test_orders_of_one_account_never_trade_with_each_other() -> None:
    engine = _engine()
    engine.place("maker", _order("yes", 55, 1))
    engine.place("maker", _order("no", 55, 1))

    assert engine.book("M1").levels("yes") == [[55, 1]]
    assert engine.book("M1").levels("no") == [[55, 1]]
    assert engine.fills("maker") == []


def test_selling_yes_trades_with_yes_bids_and_nets_the_position() -> None:
    engine = _engine()
    engine.place("maker", _order("no", 60, 5))
    engine.place("trader", _order("yes", 40, 5))
    cash_before = engine.balance("trader")["balance"]
    engine.place("maker", _order("yes", 45, 5))

    sale = engine.place("trader", _order("yes", 44, 5, action="sell"))

    assert (sale["status"], sale["fill_count"]) == ("executed", 5)
    assert engine.positions("trader")[0]["position"] == 0
    fee = FEES.taker_fee(5, 55)
    assert engine.balance("trader")["balance"] == cash_before + 5 * 45 - fee


def test_selling_more_than_the_account_holds_is_rejected() -> None:
    engine = _engine()
    with pytest.raises(OrderRejected) as caught:
        engine.place("trader", _order("yes", 44, 1, action="sell"))
    assert caught.value.code == "insufficient_position"


def test_an_order_the_free_cash_cannot_cover_is_rejected_and_logged() -> None:
    engine = _engine(trader=100)
    with pytest.raises(OrderRejected) as caught:
        engine.place("trader", _order("yes", 50, 2))
    assert caught.value.code == "insufficient_balance"
    assert [e.kind for e in engine.truth] == [TruthKind.ORDER_REJECTED]


def test_canceling_a_resting_order_releases_its_cash() -> None:
    engine = _engine()
    order = engine.place("trader", _order("yes", 30, 10))
    assert engine.balance("trader") == {"balance": 9_700, "reserved": 300}

    engine.cancel("trader", order["order_id"])

    assert engine.balance("trader") == {"balance": 10_000, "reserved": 0}
    assert engine.book("M1").levels("yes") == []


ACCOUNTS = ("a", "b", "c")
placements = st.tuples(
    st.just("place"),
    st.sampled_from(ACCOUNTS),
    st.sampled_from(["yes", "no"]),
    st.sampled_from(["buy", "buy", "sell"]),
    st.integers(1, 99),
    st.integers(1, 30),
    st.sampled_from(["good_till_canceled", "immediate_or_cancel", "fill_or_kill"]),
)
cancels = st.tuples(st.just("cancel"), st.sampled_from(ACCOUNTS), st.integers(0, 50))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(placements, cancels), max_size=60))
def test_cash_fees_and_open_pairs_are_conserved_by_any_order_sequence(operations: list) -> None:
    """Every matched YES+NO pair is backed by 100 cents taken from its two buyers.

    So ``cash of all accounts + fees collected + 100 * open pairs`` never
    changes, YES and NO contracts held both equal the open pairs, no account's
    free cash goes negative, no two accounts' resting orders cross, and the
    truth log's fills are exactly the fills the accounts were told about.
    """
    engine = MatchingEngine(["M1"], accounts=dict.fromkeys(ACCOUNTS, 3_000), clock=ManualClock())
    start = engine.conservation().total
    placed: list[tuple[str, str]] = []
    for operation in operations:
        if operation[0] == "place":
            _, account, side, action, price, count, tif = operation
            try:
                order = engine.place(account, _order(side, price, count, action, time_in_force=tif))
            except OrderRejected:
                continue
            placed.append((account, order["order_id"]))
        elif placed:
            account, order_id = placed[operation[2] % len(placed)]
            if engine.order(account, order_id)["status"] == "resting":
                engine.cancel(account, order_id)

        money = engine.conservation()
        assert money.total == start
        assert money.yes_held == money.no_held == money.open_pairs
        assert all(engine.balance(a)["balance"] >= 0 for a in ACCOUNTS)
        resting = [o for a in ACCOUNTS for o in engine.orders(a, status="resting")]
        for order in resting:
            assert order["fill_count"] + order["remaining_count"] == order["initial_count"]
        bids = {
            (a, o["order_id"]): _book_bid(o)
            for a in ACCOUNTS
            for o in engine.orders(a)
            if o["status"] == "resting"
        }
        for (owner, _), (side, price) in bids.items():
            for (other, _), (other_side, other_price) in bids.items():
                if owner != other and side != other_side:
                    assert price + other_price < 100
    truth_fills = [e.record for e in engine.truth if e.kind is TruthKind.FILL]
    told = sorted(
        (f for a in ACCOUNTS for f in engine.fills(a)), key=lambda f: (f["trade_id"], f["is_taker"])
    )
    assert sorted(truth_fills, key=lambda f: (f["trade_id"], f["is_taker"])) == told
    assert sum(f["fee"] for f in truth_fills) == engine.fees_collected


def _book_bid(order: dict) -> tuple[str, int]:
    """The side and price at which ``order`` rests in the bid books."""
    if order["action"] == "buy":
        return order["side"], order[f"{order['side']}_price"]
    other = "no" if order["side"] == "yes" else "yes"
    return other, order[f"{other}_price"]
