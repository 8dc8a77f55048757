"""break_even_exit: sell what is held once the best bid recovers its cost; IMPOSSIBLE counted."""

from __future__ import annotations

from decimal import ROUND_CEILING
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Basket, BookSnapshot, Event, Purpose, Side
from actors.messages import EventsListed, HeldContracts, Holdings, MarketInfo
from actors.money import BreakEven, KalshiFees, LotSize, PriceGrid, break_even_price
from actors.strategy import BreakEvenExit, Proposal

GRID = PriceGrid(D("0.01"))
FEES = KalshiFees()


CENT_LOT = LotSize(D("0.01"))


def strategy(*held: HeldContracts, lot: LotSize = CENT_LOT, **options: D) -> BreakEvenExit:
    exit_ = BreakEvenExit(FEES, **options)
    exit_.on_events(EventsListed((Event.single("M"),), (MarketInfo("M", "M", GRID, lot),)))
    exit_.on_holdings(Holdings(held))
    return exit_


def yes_held(count: str = "10", cost: str = "4.80") -> HeldContracts:
    return HeldContracts("M", Side.YES, D(count), D(cost), "M")


def book(yes: dict[str, str] | None = None, no: dict[str, str] | None = None) -> BookSnapshot:
    return BookSnapshot(
        "M",
        1,
        {D(p): D(s) for p, s in (yes or {}).items()},
        {D(p): D(s) for p, s in (no or {}).items()},
    )


def test_a_bid_at_break_even_sells_the_part_its_size_allows_at_the_break_even_price() -> None:
    exit_ = strategy(yes_held())
    (proposal,) = exit_.on_book(book(yes={"0.50": "4", "0.40": "100"}), 0.0)
    (leg,) = proposal.legs
    assert (leg.ticker, leg.side, leg.action, leg.count) == ("M", Side.YES, Action.SELL, D(4))
    # 4 of 10 bear 4.80 x 4 / 10 = 1.92 of the cost; at 0.49 selling 4 nets
    # floor_cent(1.96 - 0.0700) = 1.89 < 1.92, at 0.50 floor_cent(2.00 - 0.07) = 1.93
    assert leg.price == D("0.50") == break_even_price(D("1.92"), D(4), GRID, FEES)
    assert (proposal.purpose, proposal.event) == (Purpose.EXIT, Event.single("M"))
    basket = Basket(basket_id="x", event=proposal.event, legs=proposal.legs, purpose=Purpose.EXIT)
    assert basket.count == D(4)
    assert exit_.counts() == {"exits_proposed": 1, "exits_impossible": 0}


def test_a_bid_below_break_even_proposes_nothing() -> None:
    exit_ = strategy(yes_held())
    assert exit_.on_book(book(yes={"0.49": "4"}), 0.0) == []
    assert exit_.counts() == {"exits_proposed": 0, "exits_impossible": 0}


def test_a_cost_no_price_on_the_grid_recovers_is_impossible_and_counted() -> None:
    exit_ = strategy(yes_held(count="2", cost="2.50"))  # $1.25 a contract that pays $1 at most
    assert exit_.on_book(book(yes={"0.99": "5"}), 0.0) == []
    assert exit_.on_book(book(yes={"0.98": "5"}), 0.0) == []
    assert exit_.counts() == {"exits_proposed": 0, "exits_impossible": 2}
    assert break_even_price(D("2.50"), D(2), GRID, FEES) is BreakEven.IMPOSSIBLE


def test_profit_raises_the_target_above_break_even() -> None:
    # selling 4 at 0.50 nets 1.93: enough for 1.92 + 0.01, not for 1.92 + 0.02
    assert len(strategy(yes_held(), profit=D("0.01")).on_book(book(yes={"0.50": "4"}), 0.0)) == 1
    assert strategy(yes_held(), profit=D("0.02")).on_book(book(yes={"0.50": "4"}), 0.0) == []
    (proposal,) = strategy(yes_held(), profit=D("0.02")).on_book(book(yes={"0.51": "4"}), 0.0)
    assert proposal.legs[0].price == D("0.51")


def test_held_no_contracts_sell_into_the_no_bid_and_yes_bids_are_ignored() -> None:
    held = HeldContracts("M", Side.NO, D(3), D("1.20"), "M")
    exit_ = strategy(held)
    assert exit_.on_book(book(yes={"0.90": "50"}), 0.0) == []
    (proposal,) = exit_.on_book(book(no={"0.45": "50"}), 0.0)
    assert (proposal.legs[0].side, proposal.legs[0].count) == (Side.NO, D(3))


def test_the_part_is_the_held_count_capped_by_the_bid_and_rounded_down_to_the_lot() -> None:
    exit_ = strategy(yes_held(count="2.50", cost="1.00"), lot=LotSize(D(1), places=2))
    (proposal,) = exit_.on_book(book(yes={"0.60": "100"}), 0.0)
    assert proposal.legs[0].count == D(2)
    thin = strategy(yes_held(count="2.50", cost="1.00"), lot=LotSize(D(1), places=2))
    assert thin.on_book(book(yes={"0.60": "0.50"}), 0.0) == []  # half a contract: no lot


def test_nothing_for_a_market_not_held_not_listed_or_no_longer_held() -> None:
    exit_ = strategy(yes_held())
    other = BookSnapshot("N", 1, {D("0.90"): D(5)}, {})
    assert exit_.on_book(other, 0.0) == []
    unlisted = BreakEvenExit(FEES)
    unlisted.on_holdings(Holdings((yes_held(),)))
    assert unlisted.on_book(book(yes={"0.90": "5"}), 0.0) == []  # no grid or lot known
    exit_.on_holdings(Holdings(()))
    assert exit_.on_book(book(yes={"0.90": "5"}), 0.0) == []


def test_it_wants_holdings_and_trades_one_market_at_a_time() -> None:
    exit_ = BreakEvenExit()
    assert (exit_.wants_holdings, exit_.max_event_markets, exit_.name) == (
        True,
        1,
        "break_even_exit",
    )


@pytest.mark.parametrize("bad", [D(-1), 0, 0.5, D("NaN")])
def test_profit_must_be_dollars_of_at_least_zero(bad: object) -> None:
    with pytest.raises(ValueError, match="profit"):
        BreakEvenExit(profit=bad)  # type: ignore[arg-type]


def test_a_proposal_is_the_only_answer_shape() -> None:
    (proposal,) = strategy(yes_held()).on_book(book(yes={"0.55": "20"}), 0.0)
    assert isinstance(proposal, Proposal)
    assert proposal.legs[0].count == D(10)


@given(
    count=st.integers(min_value=1, max_value=5_000).map(lambda n: D(n).scaleb(-2)),
    unit_cost=st.integers(min_value=1, max_value=120).map(lambda n: D(n).scaleb(-2)),
    bid=st.integers(min_value=1, max_value=99).map(lambda n: D(n).scaleb(-2)),
    depth=st.integers(min_value=1, max_value=5_000).map(lambda n: D(n).scaleb(-2)),
    profit=st.integers(min_value=0, max_value=50).map(lambda n: D(n).scaleb(-2)),
)
def test_an_exit_always_recovers_its_share_of_the_cost_plus_profit_after_fees(
    count: D, unit_cost: D, bid: D, depth: D, profit: D
) -> None:
    cost = unit_cost * count
    exit_ = strategy(yes_held(str(count), str(cost)), profit=profit)
    proposals = exit_.on_book(book(yes={str(bid): str(depth)}), 0.0)
    part = min(count, depth)
    share = (cost * part / count).quantize(D("0.0001"), rounding=ROUND_CEILING) + profit
    target = break_even_price(share, part, GRID, FEES)
    if not proposals:
        assert target is BreakEven.IMPOSSIBLE or bid < target
        return
    (proposal,) = proposals
    (leg,) = proposal.legs
    assert (leg.count, leg.price) == (part, target)
    assert leg.price <= bid  # the bid pays at least the limit
    assert FEES.sell_proceeds(part, leg.price) >= share
    if leg.price > GRID.min_price:  # and one tick less would not
        assert FEES.sell_proceeds(part, leg.price - GRID.tick) < share
