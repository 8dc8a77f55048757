"""The matching engine on its own: no server, a manual clock, exact Decimal money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.money import KalshiFees
from warden.venue import (
    DuplicateClientOrderId,
    ManualClock,
    MatchingEngine,
    OrderRejected,
    OrderRequest,
    TruthKind,
)

FEES = KalshiFees()
D = Decimal


def _engine(ticks: dict[str, Decimal] | None = None, **cash: Decimal) -> MatchingEngine:
    accounts = {"trader": D("100.00"), "maker": D("10000.00"), **cash}
    return MatchingEngine(["M1"], accounts=accounts, clock=ManualClock(), ticks=ticks)


def _order(side: str, price: str, count: str, action: str = "buy", **kw: object) -> OrderRequest:
    return OrderRequest("M1", side, action, D(count), D(price), **kw)


def _fee(count: str, price: str) -> Decimal:
    """What a taker pays beyond count x price: Kalshi's trade fee plus rounding fee."""
    return FEES.buy_cost(D(count), D(price)) - D(count) * D(price)


def test_a_yes_buy_sweeps_no_bids_best_first_at_the_makers_prices_with_taker_fees() -> None:
    engine = _engine()
    engine.place("maker", _order("no", "0.55", "3"))  # YES ask 0.45
    engine.place("maker", _order("no", "0.53", "4"))  # YES ask 0.47
    engine.place("maker", _order("no", "0.50", "9"))  # YES ask 0.50: beyond the limit below

    order = engine.place("trader", _order("yes", "0.48", "10", client_order_id="c1"))

    assert (order["status"], order["fill_count_fp"], order["remaining_count_fp"]) == (
        "resting",
        "7.00",
        "3.00",
    )
    fills = engine.fills("trader")
    assert [
        (f["count_fp"], f["yes_price_dollars"], f["no_price_dollars"], f["fee_cost"]) for f in fills
    ] == [
        ("3.00", "0.4500", "0.5500", "0.0600"),  # ceil(0.07 x 3 x 0.45 x 0.55) = $0.06
        ("4.00", "0.4700", "0.5300", "0.0700"),
    ]
    assert D(fills[0]["fee_cost"]) == _fee("3", "0.45")
    fee = _fee("3", "0.45") + _fee("4", "0.47")
    assert D(order["taker_fees_dollars"]) == fee
    assert engine.book("M1").levels("no") == [[D("0.50"), D(9)]]
    assert engine.book("M1").levels("yes") == [[D("0.48"), D(3)]]
    free = D("100.00") - 3 * D("0.45") - 4 * D("0.47") - fee - 3 * D("0.48")
    assert engine.cash("trader") == (free, 3 * D("0.48"))
    assert engine.balance("trader") == {
        "balance": int(free * 100),
        "balance_dollars": f"{free:.4f}",
        "portfolio_value": int((3 * D("0.45") + 4 * D("0.47")) * 100),  # held contracts at cost
        "updated_ts": 1_700_000_000,
    }
    accounts = {a["account"]: a for a in engine.accounts()}
    assert accounts["trader"]["reserved_dollars"] == "1.4400"
    assert engine.positions("trader")[0]["position_fp"] == "7.00"


def test_orders_at_one_price_fill_oldest_first() -> None:
    engine = _engine(other=D("10000.00"))
    first = engine.place("maker", _order("no", "0.60", "2"))
    second = engine.place("other", _order("no", "0.60", "2"))

    engine.place("trader", _order("yes", "0.40", "3", time_in_force="immediate_or_cancel"))

    assert engine.order("maker", first["order_id"])["status"] == "executed"
    assert engine.order("other", second["order_id"])["fill_count_fp"] == "1.00"


def test_a_fill_or_kill_that_cannot_fill_completely_is_canceled_whole() -> None:
    engine = _engine()
    engine.place("maker", _order("no", "0.60", "5"))

    order = engine.place("trader", _order("yes", "0.40", "6", time_in_force="fill_or_kill"))

    reason = engine.order_state("trader", order["order_id"]).cancel_reason
    assert (order["status"], order["fill_count_fp"], reason) == (
        "canceled",
        "0.00",
        "fill_or_kill_unfilled",
    )
    assert engine.book("M1").levels("no") == [[D("0.60"), D(5)]]
    assert engine.fills("trader") == []
    assert engine.cash("trader") == (D("100.00"), 0)


def test_an_immediate_or_cancel_order_cancels_what_it_could_not_fill() -> None:
    engine = _engine()
    engine.place("maker", _order("no", "0.60", "5"))

    order = engine.place("trader", _order("yes", "0.40", "8", time_in_force="immediate_or_cancel"))

    assert (order["status"], order["fill_count_fp"], order["remaining_count_fp"]) == (
        "canceled",
        "5.00",
        "0.00",
    )
    assert engine.book("M1").levels("yes") == []


def test_a_duplicate_client_order_id_is_rejected_naming_the_original_order() -> None:
    engine = _engine()
    original = engine.place("trader", _order("yes", "0.30", "1", client_order_id="same"))

    with pytest.raises(DuplicateClientOrderId) as caught:
        engine.place("trader", _order("no", "0.30", "1", client_order_id="same"))

    assert caught.value.order_id == original["order_id"]
    assert [e.kind for e in engine.truth] == [TruthKind.ORDER_ACCEPTED, TruthKind.ORDER_REJECTED]


def test_orders_of_one_account_never_trade_with_each_other() -> None:
    engine = _engine()
    engine.place("maker", _order("yes", "0.55", "1"))
    engine.place("maker", _order("no", "0.55", "1"))

    assert engine.book("M1").levels("yes") == [[D("0.55"), D(1)]]
    assert engine.book("M1").levels("no") == [[D("0.55"), D(1)]]
    assert engine.fills("maker") == []


def test_selling_yes_trades_with_yes_bids_and_nets_the_position() -> None:
    engine = _engine()
    engine.place("maker", _order("no", "0.60", "5"))
    engine.place("trader", _order("yes", "0.40", "5"))
    cash_before, _ = engine.cash("trader")
    engine.place("maker", _order("yes", "0.45", "5"))

    sale = engine.place("trader", _order("yes", "0.44", "5", action="sell"))

    assert (sale["status"], sale["fill_count_fp"]) == ("executed", "5.00")
    position = engine.positions("trader")[0]
    assert position["position_fp"] == "0.00"
    assert position["market_exposure_dollars"] == "0.0000"
    fee = _fee("5", "0.55")
    assert engine.cash("trader")[0] == cash_before + 5 * D("0.45") - fee
    assert D(position["realized_pnl_dollars"]) == 5 * (D("0.45") - D("0.40"))


def test_selling_more_than_the_account_holds_is_rejected() -> None:
    engine = _engine()
    with pytest.raises(OrderRejected) as caught:
        engine.place("trader", _order("yes", "0.44", "1", action="sell"))
    assert caught.value.code == "insufficient_position"


def test_an_order_the_free_cash_cannot_cover_is_rejected_and_logged() -> None:
    engine = _engine(trader=D("1.00"))
    with pytest.raises(OrderRejected) as caught:
        engine.place("trader", _order("yes", "0.50", "2"))
    assert caught.value.code == "available_balance_too_low"  # Kalshi changelog, Jan 26, 2026
    assert [e.kind for e in engine.truth] == [TruthKind.ORDER_REJECTED]


def test_canceling_a_resting_order_releases_its_cash() -> None:
    engine = _engine()
    order = engine.place("trader", _order("yes", "0.30", "10"))
    assert engine.cash("trader") == (D("97.00"), D("3.00"))

    engine.cancel("trader", order["order_id"])

    assert engine.cash("trader") == (D("100.00"), 0)
    assert engine.book("M1").levels("yes") == []


@pytest.mark.parametrize(
    ("tick", "price"),
    [("0.01", "0.455"), ("0.01", "0.4501"), ("0.001", "0.4505"), ("0.01", "0.995")],
)
def test_an_order_off_its_markets_grid_is_rejected_and_logged(tick: str, price: str) -> None:
    engine = _engine({"M1": D(tick)})

    with pytest.raises(OrderRejected) as caught:
        engine.place("trader", _order("yes", price, "1"))

    assert caught.value.code == "off_grid_price"
    assert tick in caught.value.reason
    assert [e.kind for e in engine.truth] == [TruthKind.ORDER_REJECTED]
    assert engine.book("M1").levels("yes") == []


def test_a_sub_penny_market_trades_fractional_counts_with_kalshis_fee_rounding() -> None:
    """Kalshi's worked example (docs fee_rounding.md): 0.03 contracts at $0.3301."""
    engine = _engine({"M1": D("0.0001")})
    engine.place("maker", _order("no", "0.6699", "0.09"))  # YES ask 0.3301

    engine.place("trader", _order("yes", "0.3301", "0.03", time_in_force="fill_or_kill"))

    (fill,) = engine.fills("trader")
    # trade fee ceil(0.07 x 0.03 x 0.3301 x 0.6699) = $0.0005; -0.009903 - 0.0005 floored
    # to -$0.02: fee_cost = 0.02 - 0.009903 = $0.010097 (6 decimals, as Kalshi prints it)
    assert (fill["count_fp"], fill["yes_price_dollars"], fill["fee_cost"]) == (
        "0.03",
        "0.3301",
        "0.010097",
    )
    assert engine.cash("trader")[0] == D("99.98")
    market = engine.market("M1")
    assert market["price_ranges"] == [{"start": "0.0000", "end": "1.0000", "step": "0.0001"}]
    assert market["price_level_structure"] == "centi_cent"


ACCOUNTS = ("a", "b", "c")


def _operations(prices: st.SearchStrategy[Decimal], counts: st.SearchStrategy[Decimal]) -> object:
    placements = st.tuples(
        st.just("place"),
        st.sampled_from(ACCOUNTS),
        st.sampled_from(["yes", "no"]),
        st.sampled_from(["buy", "buy", "sell"]),
        prices,
        counts,
        st.sampled_from(["good_till_canceled", "immediate_or_cancel", "fill_or_kill"]),
    )
    cancels = st.tuples(st.just("cancel"), st.sampled_from(ACCOUNTS), st.integers(0, 50))
    return st.lists(st.one_of(placements, cancels), max_size=60)


def _run(engine: MatchingEngine, operations: list, *, cents: bool) -> None:
    """Apply ``operations`` and check the money after each one.

    Every matched YES+NO pair is backed by one dollar taken from its two
    buyers, so ``cash of all accounts + fees collected + 1 x open pairs``
    never changes (exactly), YES and NO contracts held both equal the open
    pairs, every cash balance stays on whole cents, no two accounts' resting
    orders cross, and the truth log's fills are exactly the fills the accounts
    were told about.  On whole cents and whole contracts no free cash goes
    negative; with sub-cent pieces a maker's may, by less than a cent a fill.
    """
    start = engine.conservation().total
    placed: list[tuple[str, str]] = []
    for operation in operations:
        if operation[0] == "place":
            _, account, side, action, price, count, tif = operation
            request = OrderRequest("M1", side, action, count, price, tif)
            try:
                order = engine.place(account, request)
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
        for a in ACCOUNTS:
            free, held = engine.cash(a)
            assert (free + held) % D("0.01") == 0
            maker_fills = sum(1 for f in engine.fill_values(a) if not f.is_taker)
            assert free >= (0 if cents else -D("0.0101") * maker_fills)
        resting = [o for a in ACCOUNTS for o in engine.orders(a, status="resting")]
        for order in resting:
            assert D(order["fill_count_fp"]) + D(order["remaining_count_fp"]) == D(
                order["initial_count_fp"]
            )
        bids = {
            (a, o["order_id"]): _book_bid(o)
            for a in ACCOUNTS
            for o in engine.orders(a)
            if o["status"] == "resting"
        }
        for (owner, _), (side, price) in bids.items():
            for (other, _), (other_side, other_price) in bids.items():
                if owner != other and side != other_side:
                    assert price + other_price < 1
    truth_fills = [e.record for e in engine.truth if e.kind is TruthKind.FILL]
    told = sorted(
        (f for a in ACCOUNTS for f in engine.fills(a)), key=lambda f: (f["trade_id"], f["is_taker"])
    )
    assert sorted(truth_fills, key=lambda f: (f["trade_id"], f["is_taker"])) == told
    assert sum((D(f["fee_cost"]) for f in truth_fills), D(0)) == engine.fees_collected


@settings(max_examples=150, deadline=None)
@given(_operations(st.integers(1, 99).map(lambda c: D(c) / 100), st.integers(1, 30).map(D)))
def test_cash_fees_and_open_pairs_are_conserved_by_any_order_sequence(operations: list) -> None:
    engine = MatchingEngine(
        ["M1"], accounts=dict.fromkeys(ACCOUNTS, D("30.00")), clock=ManualClock()
    )
    _run(engine, operations, cents=True)


@settings(max_examples=150, deadline=None)
@given(
    _operations(
        st.integers(1, 999).map(lambda p: D(p) / 1000),
        st.integers(1, 500).map(lambda c: D(c) / 100),
    )
)
def test_money_is_conserved_exactly_with_sub_penny_prices_and_fractional_counts(
    operations: list,
) -> None:
    engine = MatchingEngine(
        ["M1"],
        accounts=dict.fromkeys(ACCOUNTS, D("30.00")),
        clock=ManualClock(),
        ticks={"M1": D("0.001")},
        fees=KalshiFees(maker_rate=D("0.0175")),
    )
    _run(engine, operations, cents=False)


def _book_bid(order: dict) -> tuple[str, Decimal]:
    """The side and price at which ``order`` rests in the bid books."""
    if order["action"] == "buy":
        return order["side"], D(order[f"{order['side']}_price_dollars"])
    other = "no" if order["side"] == "yes" else "yes"
    return other, D(order[f"{other}_price_dollars"])


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["0.01", "0.001", "0.0001"]),
    st.integers(1, 9999).map(lambda n: D(n) / 10_000),
)
def test_a_price_is_taken_exactly_when_it_is_on_the_markets_grid(tick: str, price: Decimal) -> None:
    engine = _engine({"M1": D(tick)})
    if price % D(tick):
        with pytest.raises(OrderRejected, match="off_grid_price"):
            engine.place("trader", _order("yes", str(price), "0.01"))
        return
    order = engine.place("trader", _order("yes", str(price), "0.01"))
    assert D(order["yes_price_dollars"]) == price  # never rounded
    assert order["yes_price_dollars"] == f"{price:.4f}"
