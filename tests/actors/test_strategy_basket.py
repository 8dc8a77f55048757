"""basket_arbitrage: on a 3-market exclusive event, all YES or all NO, legs in event order."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Basket, BookSnapshot, Event, Side
from actors.messages import EventsListed, MarketInfo
from actors.money import KalshiFees, LotSize, PriceGrid
from actors.strategy import BasketArbitrage, Proposal

EVENT = Event("EV", ("EV-A", "EV-B", "EV-C"), True)
OTHER = Event("OT", ("OT-A", "OT-B"), False)
GRID = PriceGrid(D("0.01"))
LOT = LotSize(D("0.01"))
LISTED = EventsListed(
    (EVENT, OTHER),
    tuple(MarketInfo(t, e.event_ticker, GRID, LOT) for e in (EVENT, OTHER) for t in e.markets),
)


def bids(ticker: str, yes: str, no: str, size: str = "5") -> BookSnapshot:
    """One level per side: the YES ask is 1 - the NO bid, and the NO ask 1 - the YES bid."""
    return BookSnapshot(ticker, 1, {D(yes): D(size)}, {D(no): D(size)})


def listed(strategy: BasketArbitrage) -> BasketArbitrage:
    strategy.on_events(LISTED)
    return strategy


def feed(strategy: BasketArbitrage, *books: BookSnapshot) -> list[Proposal]:
    """Every proposal the books give, in order."""
    return [p for book in books for p in strategy.on_book(book, 0.0)]


def test_cheap_yes_asks_give_an_all_yes_basket_in_the_events_market_order() -> None:
    strategy = listed(BasketArbitrage(KalshiFees(), max_count=D(3)))
    # YES asks 1 - 0.70 = 0.30 each (sum 0.90 < $1); NO asks 0.90 each (sum 2.70 >= $2)
    books = [bids(t, "0.10", "0.70", size) for t, size in zip(EVENT.markets, "794", strict=True)]
    proposals = feed(strategy, books[2], books[0], books[1])  # the order books arrive in
    (proposal,) = proposals  # nothing until the third market had a book
    assert proposal.event == EVENT
    assert [(leg.ticker, leg.side, leg.action, leg.price) for leg in proposal.legs] == [
        (t, Side.YES, Action.BUY, D("0.30")) for t in EVENT.markets
    ]
    assert {leg.count for leg in proposal.legs} == {D(3)}  # capped by max_count (depths 7, 9, 4)
    basket = Basket(basket_id="b", event=proposal.event, legs=proposal.legs)
    # pays $1 x 3 whoever wins; costs 3 x (0.90 + ceil_cent(0.07 x 0.3 x 0.7 x 3) = 0.05)
    assert basket.payout_by_outcome == tuple((t, D(3)) for t in EVENT.markets)
    assert basket.worst_case_edge == D(3) - D("2.70") - D("0.15")
    assert proposal.reason.startswith("all_yes 3")


def test_cheap_no_asks_give_an_all_no_basket_paying_n_minus_one() -> None:
    strategy = listed(BasketArbitrage(KalshiFees(), max_count=D(10)))
    # NO asks 1 - 0.40 = 0.60 each (sum 1.80 < $2); YES asks 0.70 each (sum 2.10 >= $1)
    books = [bids(t, "0.40", "0.30", "2") for t in EVENT.markets]
    (proposal,) = feed(strategy, *books)
    assert [(leg.ticker, leg.side, leg.price, leg.count) for leg in proposal.legs] == [
        (t, Side.NO, D("0.60"), D(2)) for t in EVENT.markets
    ]
    basket = Basket(basket_id="b", event=proposal.event, legs=proposal.legs)
    assert basket.guaranteed_payout == D(4)  # two of the three NO legs pay, 2 contracts each
    # fees: ceil_cent(1.20 + 0.07 x 2 x 0.6 x 0.4 = 1.2336) - 1.20 = 0.04 per leg
    assert basket.worst_case_edge == D(4) - D("3.60") - D("0.12")
    assert proposal.reason.startswith("all_no")


def test_no_basket_when_the_fees_eat_the_edge_or_min_edge_is_not_reached() -> None:
    # YES asks 0.33 each: 0.99 < $1 before fees, 3 x $0.02 of fees after
    books = [bids(t, "0.10", "0.67", "1") for t in EVENT.markets]
    assert feed(listed(BasketArbitrage(KalshiFees())), *books) == []
    cheap = [bids(t, "0.10", "0.70", "1") for t in EVENT.markets]  # edge $0.04
    assert feed(listed(BasketArbitrage(KalshiFees(), min_edge=D("0.05"))), *cheap) == []
    assert len(feed(listed(BasketArbitrage(KalshiFees(), min_edge=D("0.04"))), *cheap)) == 1


def test_nothing_for_a_market_of_a_non_exclusive_or_unlisted_event() -> None:
    strategy = listed(BasketArbitrage(KalshiFees()))
    assert feed(strategy, *(bids(t, "0.10", "0.70") for t in OTHER.markets)) == []
    unlisted = BasketArbitrage(KalshiFees())  # no EventsListed: every market is single
    assert feed(unlisted, *(bids(t, "0.10", "0.70") for t in EVENT.markets)) == []


def test_a_stale_market_withholds_the_basket_until_its_next_book() -> None:
    strategy = listed(BasketArbitrage(KalshiFees()))
    books = [bids(t, "0.10", "0.70") for t in EVENT.markets]
    assert len(feed(strategy, *books)) == 1
    strategy.on_stale("EV-B")
    assert feed(strategy, books[0]) == []
    assert len(feed(strategy, books[1])) == 1  # EV-B's book is back


def test_an_event_larger_than_max_markets_is_not_traded() -> None:
    strategy = listed(BasketArbitrage(KalshiFees(), max_markets=2))
    assert strategy.max_event_markets == 2
    assert feed(strategy, *(bids(t, "0.10", "0.70") for t in EVENT.markets)) == []
    assert BasketArbitrage().max_event_markets is None


def test_the_strategys_edge_is_the_baskets_under_the_same_fees() -> None:
    fees = KalshiFees(balance_precision=D("0.0001"))
    strategy = listed(BasketArbitrage(fees, max_count=D("7.5")))
    books = [
        bids("EV-A", "0.05", "0.71", "8"),
        bids("EV-B", "0.05", "0.67", "9.25"),
        bids("EV-C", "0.05", "0.70", "7.75"),
    ]
    (proposal,) = feed(strategy, *books)
    basket = Basket(basket_id="b", event=EVENT, legs=proposal.legs, schedule=fees)
    assert [leg.price for leg in proposal.legs] == [D("0.29"), D("0.33"), D("0.30")]
    assert basket.count == D("7.50")
    assert f"edge ${basket.worst_case_edge}" in proposal.reason


@pytest.mark.parametrize("bad", [1, 0, True, 2.0])
def test_max_markets_is_none_or_an_integer_of_at_least_2(bad: object) -> None:
    with pytest.raises(ValueError, match="max_markets"):
        BasketArbitrage(max_markets=bad)  # type: ignore[arg-type]


@st.composite
def event_books(draw: st.DrawFn) -> list[BookSnapshot]:
    """A book per market of EVENT, bids near fair so baskets are sometimes cheap."""
    books = []
    for ticker in EVENT.markets:
        yes = draw(st.integers(min_value=1, max_value=60))
        no = draw(st.integers(min_value=1, max_value=99 - yes))  # never crossed
        sizes = draw(st.tuples(*[st.integers(min_value=1, max_value=900)] * 2))
        books.append(
            BookSnapshot(
                ticker,
                1,
                {D(yes).scaleb(-2): D(sizes[0]).scaleb(-2)},
                {D(no).scaleb(-2): D(sizes[1]).scaleb(-2)},
            )
        )
    return books


@given(books=event_books(), max_count=st.integers(min_value=1, max_value=900))
def test_every_proposal_is_a_basket_the_domain_accepts_with_at_least_min_edge(
    books: list[BookSnapshot], max_count: int
) -> None:
    cap = D(max_count).scaleb(-2)
    strategy = listed(BasketArbitrage(KalshiFees(), min_edge=D("0.01"), max_count=cap))
    proposals = feed(strategy, *books)
    assert len(proposals) <= 1  # the first two books lack a third market
    for proposal in proposals:
        basket = Basket(basket_id="b", event=proposal.event, legs=proposal.legs)
        assert basket.worst_case_edge >= D("0.01")
        assert [leg.ticker for leg in basket.legs] == list(EVENT.markets)
        side = basket.legs[0].side
        for leg, book in zip(basket.legs, books, strict=True):
            ask = book.top_of_book().yes_ask if side is Side.YES else book.top_of_book().no_ask
            assert ask is not None
            assert (leg.side, leg.price) == (side, ask.price)
            assert leg.count <= min(ask.size, cap)
