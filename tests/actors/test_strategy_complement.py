"""Complement arbitrage: the right two-leg proposal, sized and priced at the top of the book."""

from __future__ import annotations

from decimal import Decimal
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Basket, BookSnapshot, Event, Side
from actors.fees import FeeModel
from actors.messages import EventsListed
from actors.strategy import ComplementArbitrage, Proposal
from actors.strategy._arbitrage import asks_sum


def _book(yes: Any, no: Any, seq: int = 1, ticker: str = "MKT-1") -> BookSnapshot:
    # Overlapping bids are how an arbitrage looks in a bids-only book.
    return BookSnapshot(ticker, seq, yes, no, crossing_tolerance=D("0.50"))


def levels(mapping: dict[str, int | str]) -> dict[Decimal, Decimal]:
    """``{"0.50": 9}`` as Decimal dollars and contracts."""
    return {D(price): D(size) for price, size in mapping.items()}


def one(strategy: ComplementArbitrage, book: BookSnapshot) -> Proposal:
    proposals = strategy.on_book(book, 0.0)
    assert len(proposals) == 1
    return proposals[0]


def test_an_overlap_wider_than_the_fees_is_a_yes_then_no_proposal_at_the_top_prices() -> None:
    strategy = ComplementArbitrage(FeeModel(), min_edge=D("0.01"), max_count=D(10))
    # YES ask = 1 - 0.55 = 0.45 (size 4); NO ask = 1 - 0.52 = 0.48 (size 7)
    proposal = one(
        strategy, _book(levels({"0.50": 9, "0.52": 7}), levels({"0.55": 4, "0.30": 100}))
    )
    yes, no = proposal.legs
    assert (yes.ticker, yes.side, yes.action, yes.price, yes.count) == (
        "MKT-1",
        Side.YES,
        Action.BUY,
        D("0.45"),
        D(4),
    )
    assert (no.side, no.action, no.price, no.count) == (Side.NO, Action.BUY, D("0.48"), D(4))
    assert proposal.event == Event.single("MKT-1")  # no EventsListed yet
    basket = Basket(basket_id="b", event=proposal.event, legs=proposal.legs)
    fees = FeeModel()
    expected = (
        D(4) * (1 - D("0.45") - D("0.48"))
        - fees.taker_fee(D(4), D("0.45"))
        - fees.taker_fee(D(4), D("0.48"))
    )
    assert basket.worst_case_edge == expected == D("0.28") - D("0.07") - D("0.07")


def test_the_proposal_names_the_markets_event_once_the_venue_listed_it() -> None:
    strategy = ComplementArbitrage()
    event = Event("EV", ("MKT-1", "MKT-2"), True)
    strategy.on_events(EventsListed((event,), ()))
    proposal = one(strategy, _book(levels({"0.52": 7}), levels({"0.55": 4})))
    assert proposal.event == event
    basket = Basket(basket_id="b", event=event, legs=proposal.legs)
    assert basket.guaranteed_payout == D(4)  # one leg pays in every outcome


def test_no_proposal_when_fees_eat_the_edge() -> None:
    strategy = ComplementArbitrage(FeeModel(), min_edge=D("0.01"))
    # asks 0.49 + 0.50 = 0.99 < 1, but one contract pays 2c fees per leg: edge 0.01 - 0.04 < 0
    assert strategy.on_book(_book(levels({"0.50": 1}), levels({"0.51": 1})), 0.0) == ()


def test_no_proposal_from_an_uncrossed_or_one_sided_book() -> None:
    strategy = ComplementArbitrage()
    assert strategy.best(_book(levels({"0.40": 10}), levels({"0.55": 10}))) is None
    assert strategy.best(_book(levels({"0.40": 10}), {})) is None
    assert strategy.best(_book({}, {})) is None


def test_the_count_is_capped_and_shrunk_until_the_edge_clears_the_minimum() -> None:
    fees = FeeModel()
    book = _book(levels({"0.52": 50}), levels({"0.55": 50}))
    assert ComplementArbitrage(fees, min_edge=D("0.01"), max_count=D(3)).best(book) == (
        D(3),
        D("0.45"),
        D("0.48"),
    )
    assert ComplementArbitrage(fees, min_edge=D(10**4), max_count=D(3)).best(book) is None


def test_a_fractional_top_level_is_taken_whole_and_rounded_down_to_the_lot() -> None:
    # YES ask 0.45 (size 2.75), NO ask 0.48 (size 7): 2.75 pairs, capped at 2.5
    book = _book(levels({"0.52": 7}), levels({"0.55": "2.75"}))
    assert ComplementArbitrage(max_count=D("2.5")).best(book) == (D("2.50"), D("0.45"), D("0.48"))


def test_a_count_below_one_contract_is_proposed_when_it_clears_the_edge() -> None:
    # YES ask 1 - 0.70 = 0.30, NO ask 1 - 0.60 = 0.40, half a contract each:
    # 0.50 - ceil(0.15 + 0.0074) - ceil(0.20 + 0.0084) = 0.50 - 0.16 - 0.21 = 0.13
    book = _book(levels({"0.60": "0.50"}), levels({"0.70": "0.50"}))
    proposal = one(ComplementArbitrage(), book)
    basket = Basket(basket_id="b", event=proposal.event, legs=proposal.legs)
    assert (basket.count, basket.worst_case_edge) == (D("0.50"), D("0.13"))
    assert ComplementArbitrage(min_edge=D("0.14")).best(book) is None


@given(
    yes_bid=st.integers(min_value=1, max_value=98),
    no_bid=st.integers(min_value=1, max_value=98),
    size=st.integers(min_value=1, max_value=500),
)
def test_every_proposal_is_a_basket_whose_edge_is_the_complement_edge(
    yes_bid: int, no_bid: int, size: int
) -> None:
    yes_price, no_price = D(yes_bid) / 100, D(no_bid) / 100
    book = BookSnapshot(
        "MKT-1", 1, {yes_price: D(size)}, {no_price: D(size)}, crossing_tolerance=D("0.99")
    )
    strategy = ComplementArbitrage()
    proposals = strategy.on_book(book, 0.0)
    if not proposals:
        largest = min(D(size), strategy.max_count)
        edge = FeeModel().complement_edge(largest, 1 - no_price, 1 - yes_price)
        assert yes_price + no_price <= 1 or edge < strategy.min_edge
        return
    (proposal,) = proposals
    basket = Basket(basket_id="b", event=proposal.event, legs=proposal.legs)
    count = proposal.legs[0].count
    assert basket.worst_case_edge == FeeModel().complement_edge(count, 1 - no_price, 1 - yes_price)
    assert basket.worst_case_edge >= strategy.min_edge


@pytest.mark.parametrize("bad", [D(0), D(-1), True, 1.5, 10, D("0.001"), D("NaN")])
def test_the_count_cap_is_validated(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_count"):
        ComplementArbitrage(max_count=bad)


@pytest.mark.parametrize("bad", [D(0), D(-1), True, 0.01, 1, D("Infinity")])
def test_the_minimum_edge_is_validated_in_dollars(bad: Any) -> None:
    with pytest.raises(ValueError, match="min_edge"):
        ComplementArbitrage(min_edge=bad)


PRICES = st.integers(1, 9_999).map(lambda n: D(n).scaleb(-4))


@given(PRICES, PRICES, st.sampled_from([D(1), D("2.0000")]))
def test_the_asks_sum_from_the_best_bids_is_the_top_of_books(
    yes_bid: Decimal, no_bid: Decimal, payout: Decimal
) -> None:
    """The shortcut ``best`` takes before building the top of the book decides exactly
    what the top of the book's asks decide."""
    book = BookSnapshot(
        "MKT-1", 1, {yes_bid: D(3)}, {no_bid: D(5)}, payout=payout, crossing_tolerance=payout
    )
    top = book.top_of_book()
    assert top.yes_ask is not None
    assert top.no_ask is not None
    assert asks_sum(payout, yes_bid, no_bid) == top.yes_ask.price + top.no_ask.price
