"""Book snapshots, deltas and top of book: validation, delta application, best prices."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import BookDelta, BookSnapshot, Level, TopOfBook
from actors.errors import (
    CrossedBookError,
    InvalidFieldError,
    NegativeLevelError,
    SequenceGapError,
)
from tests.actors.strategies import (
    PAYOUT,
    bad_counts,
    bad_prices,
    counts,
    not_an_int,
    prices,
    tickers,
    uncrossed_sides,
)


def book(yes: dict[int, int], no: dict[int, int], seq: int = 1) -> BookSnapshot:
    return BookSnapshot("KX-A", seq, yes, no)


@given(tickers, st.integers(min_value=0), uncrossed_sides())
def test_an_uncrossed_book_constructs_with_levels_sorted_by_price(
    ticker: str, seq: int, sides: tuple[dict[int, int], dict[int, int]]
) -> None:
    yes, no = sides
    snapshot = BookSnapshot(ticker, seq, list(reversed(yes.items())), no)
    assert snapshot.yes_bids == tuple(sorted(yes.items()))
    assert snapshot.no_bids == tuple(sorted(no.items()))
    assert isinstance(snapshot.yes_bids, tuple)
    assert snapshot == BookSnapshot(ticker, seq, yes, no)


def test_a_snapshot_cannot_be_changed_in_place() -> None:
    snapshot = book({40: 1}, {50: 2})
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        snapshot.yes_bids = ()  # type: ignore[misc]
    assert isinstance(snapshot.no_bids, tuple)
    assert all(isinstance(level, tuple) for level in snapshot.no_bids)


@given(bad_prices, st.sampled_from(["yes_bids", "no_bids"]))
def test_a_snapshot_rejects_a_price_outside_the_payout(price: object, side: str) -> None:
    levels: dict[str, list[tuple[object, int]]] = {"yes_bids": [], "no_bids": []}
    levels[side] = [(price, 1)]  # a list: Decimal("sNaN") cannot be a dict key
    with pytest.raises(InvalidFieldError) as caught:
        BookSnapshot("KX-A", 1, **levels)  # type: ignore[arg-type]
    assert caught.value.field == f"{side}.price"
    assert caught.value.value is price
    assert caught.value.ticker == "KX-A"
    assert "KX-A" in str(caught.value)


@given(bad_counts, prices)
def test_a_snapshot_rejects_a_size_that_is_not_positive(size: object, price: int) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        BookSnapshot("KX-A", 1, {price: size}, {})  # type: ignore[arg-type]
    assert caught.value.field == f"yes_bids[{price}].size"
    assert caught.value.value is size


@given(st.one_of(not_an_int, st.integers(max_value=-1)))
def test_a_snapshot_rejects_a_seq_that_is_not_a_non_negative_int(seq: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        BookSnapshot("KX-A", seq, {}, {})  # type: ignore[arg-type]
    assert caught.value.field == "seq"
    assert caught.value.value is seq


@pytest.mark.parametrize("ticker", ["", "has space", "x" * 129, 7, None, "tab\t"])
def test_a_snapshot_rejects_a_malformed_ticker(ticker: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        BookSnapshot(ticker, 1, {}, {})  # type: ignore[arg-type]
    assert caught.value.field == "ticker"


@pytest.mark.parametrize(
    "levels", [None, 5, "ab", [(1, 2, 3)], [(40, 1), (40, 2)], [1, 2], [[40, 1, 9]]]
)
def test_a_snapshot_rejects_levels_that_are_not_unique_price_size_pairs(levels: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        BookSnapshot("KX-A", 1, levels, {})  # type: ignore[arg-type]
    assert caught.value.field.startswith("yes_bids")


@given(st.integers(min_value=1, max_value=PAYOUT - 1), st.data())
def test_a_book_whose_best_bids_reach_the_payout_is_crossed(
    yes_bid: int, data: st.DataObject
) -> None:
    no_bid = data.draw(st.integers(min_value=PAYOUT - yes_bid, max_value=PAYOUT - 1))
    with pytest.raises(CrossedBookError) as caught:
        book({yes_bid: 1, 1: 5}, {no_bid: 3})
    assert caught.value.best_yes_bid == yes_bid
    assert caught.value.best_no_bid == no_bid
    assert caught.value.value == yes_bid + no_bid
    assert caught.value.ticker == "KX-A"
    assert isinstance(caught.value, ValueError)


def test_a_book_one_cent_below_the_payout_is_not_crossed() -> None:
    top = book({60: 1}, {39: 1}).top_of_book()
    assert top.yes_bid == Level(60, 1)
    assert top.yes_ask == Level(61, 1)


def test_the_top_of_book_derives_each_ask_from_the_other_sides_bid() -> None:
    top = book({30: 5, 40: 10}, {50: 7, 20: 1}, seq=9).top_of_book()
    assert top == TopOfBook("KX-A", 9, Level(40, 10), Level(50, 7))
    assert top.yes_bid == Level(40, 10)
    assert top.no_bid == Level(50, 7)
    assert top.yes_ask == Level(50, 7)  # 100 - best NO bid 50
    assert top.no_ask == Level(60, 10)  # 100 - best YES bid 40


def test_an_empty_side_has_no_bid_and_leaves_the_other_side_without_an_ask() -> None:
    top = book({40: 10}, {}).top_of_book()
    assert top.no_bid is None
    assert top.yes_ask is None
    assert top.no_ask == Level(60, 10)


@given(uncrossed_sides())
def test_the_top_of_book_holds_the_highest_bid_of_each_side(
    sides: tuple[dict[int, int], dict[int, int]],
) -> None:
    yes, no = sides
    top = book(yes, no).top_of_book()
    if yes:
        assert top.yes_bid == Level(max(yes), yes[max(yes)])
        assert top.no_ask == Level(PAYOUT - max(yes), yes[max(yes)])
    else:
        assert top.yes_bid is None
    if no:
        assert top.yes_ask == Level(PAYOUT - max(no), no[max(no)])
    if top.yes_bid is not None and top.yes_ask is not None:
        assert top.yes_bid.price < top.yes_ask.price


def test_a_top_of_book_rejects_crossed_or_malformed_bids() -> None:
    with pytest.raises(CrossedBookError):
        TopOfBook("KX-A", 1, Level(50, 1), Level(50, 1))
    with pytest.raises(InvalidFieldError) as caught:
        TopOfBook("KX-A", 1, (50, 1), None)  # type: ignore[arg-type]
    assert caught.value.field == "best_yes_bid"
    with pytest.raises(InvalidFieldError) as caught:
        TopOfBook("KX-A", 1, None, Level(100, 1))
    assert caught.value.field == "best_no_bid.price"
    assert caught.value.value == 100


@pytest.mark.parametrize(("price", "size"), [(0, 1), (50, 0), (50.0, 1), (True, 1), (50, -2)])
def test_a_level_rejects_a_price_or_size_that_is_not_positive(price: object, size: object) -> None:
    with pytest.raises(InvalidFieldError):
        Level(price, size)  # type: ignore[arg-type]


def apply_to_model(levels: dict[int, int], changes: dict[int, int]) -> dict[int, int] | None:
    """What applying ``changes`` should give, or None if some size goes negative."""
    result = dict(levels)
    for price, change in changes.items():
        result[price] = result.get(price, 0) + change
        if result[price] < 0:
            return None
        if result[price] == 0:
            del result[price]
    return result


@given(uncrossed_sides(), st.data())
def test_applying_a_delta_adds_signed_changes_and_drops_empty_levels(
    sides: tuple[dict[int, int], dict[int, int]], data: st.DataObject
) -> None:
    yes, no = sides
    before = book(yes, no, seq=4)
    changes = st.integers(min_value=-20, max_value=20).filter(bool)
    yes_changes = data.draw(st.dictionaries(prices, changes, max_size=5))
    no_changes = data.draw(st.dictionaries(prices, changes, max_size=5))
    delta = BookDelta("KX-A", 5, yes_changes, no_changes)
    expected_yes = apply_to_model(yes, yes_changes)
    expected_no = apply_to_model(no, no_changes)
    if expected_yes is None or expected_no is None:
        with pytest.raises(NegativeLevelError):
            before.apply(delta)
        return
    crossed = expected_yes and expected_no and max(expected_yes) + max(expected_no) >= PAYOUT
    if crossed:
        with pytest.raises(CrossedBookError):
            before.apply(delta)
        return
    after = before.apply(delta)
    assert after == book(expected_yes, expected_no, seq=5)
    assert all(size > 0 for _, size in after.yes_bids + after.no_bids)
    assert before == book(yes, no, seq=4)  # the old snapshot is untouched


def test_a_level_that_reaches_zero_is_removed() -> None:
    after = book({40: 3, 45: 1}, {}).apply(BookDelta("KX-A", 2, {45: -1}))
    assert after.yes_bids == ((40, 3),)


def test_a_delta_that_drives_a_level_negative_is_an_error_naming_the_level() -> None:
    with pytest.raises(NegativeLevelError) as caught:
        book({40: 3}, {20: 1}).apply(BookDelta("KX-A", 2, no_changes={20: -2}))
    assert caught.value.field == "no_bids[20]"
    assert caught.value.value == -1
    assert caught.value.ticker == "KX-A"
    assert "no_bids[20]" in str(caught.value)


def test_a_delta_that_crosses_the_book_is_rejected() -> None:
    with pytest.raises(CrossedBookError):
        book({40: 3}, {50: 1}).apply(BookDelta("KX-A", 2, {60: 1}))


@pytest.mark.parametrize("seq", [1, 3, 100, 0])
def test_a_delta_out_of_sequence_is_a_gap(seq: int) -> None:
    with pytest.raises(SequenceGapError) as caught:
        book({40: 3}, {}, seq=1).apply(BookDelta("KX-A", seq, {40: 1}))
    assert caught.value.expected == 2
    assert caught.value.received == seq
    assert caught.value.field == "seq"


def test_a_delta_for_another_market_is_rejected() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        book({40: 3}, {}).apply(BookDelta("KX-B", 2, {40: 1}))
    assert caught.value.field == "ticker"
    assert caught.value.value == "KX-B"
    assert caught.value.ticker == "KX-A"


def test_a_delta_for_another_payout_is_rejected() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        book({40: 3}, {}).apply(BookDelta("KX-A", 2, {40: 1}, payout_cents=1000))
    assert caught.value.field == "payout_cents"


@given(st.one_of(not_an_int, st.just(0)), prices)
def test_a_delta_rejects_a_change_that_is_not_a_non_zero_int(change: object, price: int) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        BookDelta("KX-A", 2, no_changes={price: change})  # type: ignore[arg-type]
    assert caught.value.field == f"no_changes[{price}].size"
    assert caught.value.value is change


def test_a_negative_change_is_allowed_in_a_delta_but_not_in_a_snapshot() -> None:
    assert BookDelta("KX-A", 2, {40: -3}).yes_changes == ((40, -3),)
    with pytest.raises(InvalidFieldError):
        book({40: -3}, {})


@given(st.integers(min_value=2, max_value=1000), st.data())
def test_prices_are_bounded_by_the_books_own_payout(payout: int, data: st.DataObject) -> None:
    price = data.draw(st.integers(min_value=1, max_value=payout - 1))
    size = data.draw(counts)
    snapshot = BookSnapshot("KX-A", 0, {price: size}, {}, payout_cents=payout)
    assert snapshot.top_of_book().no_ask == Level(payout - price, size)
    with pytest.raises(InvalidFieldError):
        BookSnapshot("KX-A", 0, {payout: size}, {}, payout_cents=payout)


def test_an_unsortable_side_reports_the_bad_price_not_a_repeat() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        book([(50, 1), (40, 1), (1.5, 1)], {})  # type: ignore[arg-type]
    assert caught.value.field == "yes_bids.price"
    assert caught.value.value == 1.5


# -- crossing tolerance: a crossed binary book is an arbitrage opportunity ---------------


@given(st.integers(min_value=1, max_value=39), st.data())
def test_a_book_crossed_by_less_than_the_tolerance_is_accepted_and_shows_cheap_asks(
    tolerance: int, data: st.DataObject
) -> None:
    overlap = data.draw(st.integers(min_value=0, max_value=tolerance - 1))
    no_bid = PAYOUT - 60 + overlap
    snapshot = BookSnapshot("KX-A", 1, {60: 2}, {no_bid: 3}, crossing_tolerance_cents=tolerance)
    top = snapshot.top_of_book()
    assert top.crossing_tolerance_cents == tolerance
    assert top.yes_ask == Level(PAYOUT - no_bid, 3)
    assert top.yes_ask.price + top.no_ask.price == PAYOUT - overlap  # type: ignore[union-attr]


@given(st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=30))
def test_a_book_crossed_by_the_tolerance_or_more_is_rejected_naming_the_tolerance(
    tolerance: int, beyond: int
) -> None:
    yes_bid = 70
    no_bid = PAYOUT - yes_bid + tolerance + beyond
    if no_bid >= PAYOUT:
        return  # not a price: another rule rejects it
    with pytest.raises(CrossedBookError) as caught:
        BookSnapshot("KX-A", 1, {yes_bid: 1}, {no_bid: 1}, crossing_tolerance_cents=tolerance)
    assert caught.value.value == PAYOUT + tolerance + beyond
    assert caught.value.tolerance_cents == tolerance
    assert caught.value.ticker == "KX-A"
    if tolerance:
        assert f"tolerance {tolerance}" in str(caught.value)


def test_the_default_tolerance_keeps_rejecting_every_crossed_book() -> None:
    assert book({60: 1}, {39: 1}).crossing_tolerance_cents == 0
    with pytest.raises(CrossedBookError) as caught:
        book({60: 1}, {40: 1})
    assert caught.value.tolerance_cents == 0
    assert "tolerance" not in str(caught.value)


def test_applying_a_delta_keeps_the_tolerance_and_checks_the_result_against_it() -> None:
    tolerant = BookSnapshot("KX-A", 1, {60: 2}, {30: 1}, crossing_tolerance_cents=10)
    crossed = tolerant.apply(BookDelta("KX-A", 2, no_changes={45: 4}))
    assert crossed.crossing_tolerance_cents == 10
    assert crossed.top_of_book().no_bid == Level(45, 4)
    with pytest.raises(CrossedBookError) as caught:
        crossed.apply(BookDelta("KX-A", 3, no_changes={50: 1}))
    assert caught.value.value == 110


def test_a_top_of_book_accepts_bids_crossed_within_its_tolerance_only() -> None:
    top = TopOfBook("KX-A", 1, Level(55, 1), Level(50, 2), crossing_tolerance_cents=6)
    assert top.yes_ask == Level(50, 2)
    assert top.yes_bid is not None
    assert top.yes_ask.price < top.yes_bid.price  # the opportunity: buy below the bid
    with pytest.raises(CrossedBookError):
        TopOfBook("KX-A", 1, Level(55, 1), Level(51, 2), crossing_tolerance_cents=6)


@pytest.mark.parametrize("tolerance", [-1, 1.5, True, "5", None])
def test_a_tolerance_that_is_not_a_non_negative_int_is_an_invalid_field(tolerance: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        BookSnapshot("KX-A", 1, {}, {}, crossing_tolerance_cents=tolerance)  # type: ignore[arg-type]
    assert caught.value.field == "crossing_tolerance_cents"
    with pytest.raises(InvalidFieldError):
        TopOfBook("KX-A", 1, None, None, crossing_tolerance_cents=tolerance)  # type: ignore[arg-type]
