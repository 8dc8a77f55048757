"""Book snapshots, deltas and top of book: validation, delta application, best prices."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from decimal import Decimal
from decimal import Decimal as D
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import BookDelta, BookSnapshot, Level, Side, TopOfBook
from actors.errors import (
    CrossedBookError,
    DomainError,
    InvalidFieldError,
    NegativeLevelError,
    SequenceGapError,
)
from tests.actors.strategies import (
    PAYOUT,
    PRICE_STEP,
    SIZE_STEP,
    bad_counts,
    bad_prices,
    counts,
    not_a_decimal,
    not_an_int,
    payouts,
    prices,
    prices_between,
    sides,
    size_units,
    tickers,
    uncrossed_sides,
)

Side_ = dict[Decimal, Decimal]


def cents(n: int) -> Decimal:
    """``n`` cents as dollars (``cents(5) == Decimal("0.05")``)."""
    return Decimal(n).scaleb(-2)


def book(yes: Any, no: Any, seq: int = 1) -> BookSnapshot:
    return BookSnapshot("KX-A", seq, yes, no)


@given(tickers, st.integers(min_value=0), uncrossed_sides())
def test_an_uncrossed_book_constructs_with_levels_sorted_by_price(
    ticker: str, seq: int, sides: tuple[Side_, Side_]
) -> None:
    yes, no = sides
    snapshot = BookSnapshot(ticker, seq, list(reversed(yes.items())), no)
    assert snapshot.yes_bids == tuple(sorted(yes.items()))
    assert snapshot.no_bids == tuple(sorted(no.items()))
    assert isinstance(snapshot.yes_bids, tuple)
    assert snapshot == BookSnapshot(ticker, seq, yes, no)


def test_a_snapshot_cannot_be_changed_in_place() -> None:
    snapshot = book({D("0.40"): D(1)}, {D("0.50"): D(2)})
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        snapshot.yes_bids = ()  # type: ignore[misc]
    assert isinstance(snapshot.no_bids, tuple)
    assert all(isinstance(level, tuple) for level in snapshot.no_bids)


@given(bad_prices, st.sampled_from(["yes_bids", "no_bids"]))
def test_a_snapshot_rejects_a_price_outside_the_payout(price: object, side: str) -> None:
    levels: dict[str, list[tuple[object, Decimal]]] = {"yes_bids": [], "no_bids": []}
    levels[side] = [(price, D(1))]  # a list: Decimal("sNaN") cannot be a dict key
    with pytest.raises(InvalidFieldError) as caught:
        BookSnapshot("KX-A", 1, **levels)  # type: ignore[arg-type]
    assert caught.value.field == f"{side}.price"
    assert caught.value.value is price
    assert caught.value.ticker == "KX-A"
    assert "KX-A" in str(caught.value)


@given(bad_counts, prices)
def test_a_snapshot_rejects_a_size_that_is_not_positive(size: object, price: Decimal) -> None:
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
    "levels",
    [
        None,
        5,
        "ab",
        [(D("0.01"), D(2), D(3))],
        [(D("0.40"), D(1)), (D("0.40"), D(2))],
        [(D("0.40"), D(1)), (D("0.4000"), D(2))],
        [D(1), D(2)],
        [[D("0.40"), D(1), D(9)]],
    ],
)
def test_a_snapshot_rejects_levels_that_are_not_unique_price_size_pairs(levels: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        BookSnapshot("KX-A", 1, levels, {})  # type: ignore[arg-type]
    assert caught.value.field.startswith("yes_bids")


@given(prices, st.data())
def test_a_book_whose_best_bids_reach_the_payout_is_crossed(
    yes_bid: Decimal, data: st.DataObject
) -> None:
    no_bid = data.draw(prices_between(PAYOUT - yes_bid, PAYOUT - PRICE_STEP))
    with pytest.raises(CrossedBookError) as caught:
        book(
            {PRICE_STEP: D(5), yes_bid: D(1)},
            {no_bid: D(3)},
        )
    assert caught.value.best_yes_bid == yes_bid
    assert caught.value.best_no_bid == no_bid
    assert caught.value.value == yes_bid + no_bid
    assert caught.value.ticker == "KX-A"
    assert isinstance(caught.value, ValueError)


def test_a_book_one_tick_below_the_payout_is_not_crossed() -> None:
    top = book({D("0.6000"): D(1)}, {D("0.3999"): D("0.01")}).top_of_book()
    assert top.yes_ask == Level(D("0.6001"), D("0.01"))
    top = book({D("0.60"): D(1)}, {D("0.39"): D(1)}).top_of_book()
    assert top.best_yes_bid == Level(D("0.60"), D(1))
    assert top.yes_ask == Level(D("0.61"), D(1))
    assert top.yes_ask.price == D("0.61")  # exact: 1 - 0.39


def test_the_top_of_book_derives_each_ask_from_the_other_sides_bid() -> None:
    top = book(
        {D("0.30"): D(5), D("0.40"): D(10)}, {D("0.50"): D(7), D("0.20"): D(1)}, seq=9
    ).top_of_book()
    assert top == TopOfBook("KX-A", 9, Level(D("0.40"), D(10)), Level(D("0.50"), D(7)))
    assert top.best_yes_bid == Level(D("0.40"), D(10))
    assert top.best_no_bid == Level(D("0.50"), D(7))
    assert top.yes_ask == Level(D("0.50"), D(7))  # $1 - best NO bid $0.50
    assert top.no_ask == Level(D("0.60"), D(10))  # $1 - best YES bid $0.40


def test_an_empty_side_has_no_bid_and_leaves_the_other_side_without_an_ask() -> None:
    top = book({D("0.40"): D(10)}, {}).top_of_book()
    assert top.best_no_bid is None
    assert top.yes_ask is None
    assert top.no_ask == Level(D("0.60"), D(10))


@given(uncrossed_sides())
def test_the_top_of_book_holds_the_highest_bid_of_each_side(
    sides: tuple[Side_, Side_],
) -> None:
    yes, no = sides
    top = book(yes, no).top_of_book()
    if yes:
        assert top.best_yes_bid == Level(max(yes), yes[max(yes)])
        assert top.no_ask == Level(PAYOUT - max(yes), yes[max(yes)])
    else:
        assert top.best_yes_bid is None
    if no:
        assert top.yes_ask == Level(PAYOUT - max(no), no[max(no)])
    if top.best_yes_bid is not None and top.yes_ask is not None:
        assert top.best_yes_bid.price < top.yes_ask.price


def test_a_top_of_book_rejects_crossed_or_malformed_bids() -> None:
    with pytest.raises(CrossedBookError):
        TopOfBook("KX-A", 1, Level(D("0.50"), D(1)), Level(D("0.50"), D(1)))
    with pytest.raises(InvalidFieldError) as caught:
        TopOfBook("KX-A", 1, (D("0.50"), D(1)), None)  # type: ignore[arg-type]
    assert caught.value.field == "best_yes_bid"
    with pytest.raises(InvalidFieldError) as caught:
        TopOfBook("KX-A", 1, None, Level(D("1.00"), D(1)))
    assert caught.value.field == "best_no_bid.price"
    assert caught.value.value == 1


@pytest.mark.parametrize(
    ("price", "size"),
    [
        (D(0), D(1)),
        (D("0.50"), D(0)),
        (0.5, D(1)),
        (True, D(1)),
        (D("0.50"), D(-2)),
        (50, D(1)),
        (D("0.50"), 1),
        (D("0.00005"), D(1)),
        (D("0.50"), D("0.001")),
        (D("NaN"), D(1)),
        (D("0.50"), D("Infinity")),
    ],
)
def test_a_level_rejects_a_price_or_size_that_is_not_positive(price: object, size: object) -> None:
    with pytest.raises(InvalidFieldError):
        Level(price, size)  # type: ignore[arg-type]


def apply_to_model(levels: Side_, changes: Side_) -> Side_ | None:
    """What applying ``changes`` should give, or None if some size goes negative."""
    result = dict(levels)
    for price, change in changes.items():
        result[price] = result.get(price, D(0)) + change
        if result[price] < 0:
            return None
        if result[price] == 0:
            del result[price]
    return result


@given(uncrossed_sides(), st.data())
def test_applying_a_delta_adds_signed_changes_and_drops_empty_levels(
    sides: tuple[Side_, Side_], data: st.DataObject
) -> None:
    yes, no = sides
    before = book(yes, no, seq=4)
    changes = size_units(-2000, 2000).filter(bool)
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
    # exact: every size is the model's sum, to the cent of a contract
    assert dict(after.yes_bids) == expected_yes
    assert all(size % SIZE_STEP == 0 for _, size in after.yes_bids + after.no_bids)
    assert before == book(yes, no, seq=4)  # the old snapshot is untouched


def test_a_level_that_reaches_zero_is_removed() -> None:
    after = book({D("0.40"): D(3), D("0.45"): D(1)}, {}).apply(
        BookDelta("KX-A", 2, {D("0.45"): D(-1)})
    )
    assert after.yes_bids == ((D("0.40"), D(3)),)


def test_a_delta_that_drives_a_level_negative_is_an_error_naming_the_level() -> None:
    with pytest.raises(NegativeLevelError) as caught:
        book({D("0.40"): D(3)}, {D("0.20"): D(1)}).apply(
            BookDelta("KX-A", 2, no_changes={D("0.20"): D(-2)})
        )
    assert caught.value.field == "no_bids[0.20]"
    assert caught.value.value == -1
    assert caught.value.ticker == "KX-A"
    assert "no_bids[0.20]" in str(caught.value)


def test_a_delta_that_crosses_the_book_is_rejected() -> None:
    with pytest.raises(CrossedBookError):
        book({D("0.40"): D(3)}, {D("0.50"): D(1)}).apply(BookDelta("KX-A", 2, {D("0.60"): D(1)}))


@pytest.mark.parametrize("seq", [1, 3, 100, 0])
def test_a_delta_out_of_sequence_is_a_gap(seq: int) -> None:
    with pytest.raises(SequenceGapError) as caught:
        book({D("0.40"): D(3)}, {}, seq=1).apply(BookDelta("KX-A", seq, {D("0.40"): D(1)}))
    assert caught.value.expected == 2
    assert caught.value.received == seq
    assert caught.value.field == "seq"


def test_a_delta_for_another_market_is_rejected() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        book({D("0.40"): D(3)}, {}).apply(BookDelta("KX-B", 2, {D("0.40"): D(1)}))
    assert caught.value.field == "ticker"
    assert caught.value.value == "KX-B"
    assert caught.value.ticker == "KX-A"


def test_a_delta_for_another_payout_is_rejected() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        book({D("0.40"): D(3)}, {}).apply(BookDelta("KX-A", 2, {D("0.40"): D(1)}, payout=D(10)))
    assert caught.value.field == "payout"


@given(st.one_of(not_a_decimal, st.just(D(0)), st.just(D("0.001")), st.just(D("-1.005"))), prices)
def test_a_delta_rejects_a_change_that_is_not_a_non_zero_decimal_of_two_places(
    change: object, price: Decimal
) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        BookDelta("KX-A", 2, no_changes={price: change})  # type: ignore[arg-type]
    assert caught.value.field == f"no_changes[{price}].size"
    assert caught.value.value is change


def test_a_negative_change_is_allowed_in_a_delta_but_not_in_a_snapshot() -> None:
    assert BookDelta("KX-A", 2, {D("0.40"): D(-3)}).yes_changes == ((D("0.40"), D(-3)),)
    with pytest.raises(InvalidFieldError):
        book({D("0.40"): D(-3)}, {})


@given(payouts, st.data())
def test_prices_are_bounded_by_the_books_own_payout(payout: Decimal, data: st.DataObject) -> None:
    price = data.draw(prices_between(PRICE_STEP, payout - PRICE_STEP))
    size = data.draw(counts)
    snapshot = BookSnapshot("KX-A", 0, {price: size}, {}, payout=payout)
    assert snapshot.top_of_book().no_ask == Level(payout - price, size)
    with pytest.raises(InvalidFieldError):
        BookSnapshot("KX-A", 0, {payout: size}, {}, payout=payout)


def test_an_unsortable_side_reports_the_bad_price_not_a_repeat() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        book([(D("0.50"), D(1)), (D("0.40"), D(1)), (0.15, D(1))], {})
    assert caught.value.field == "yes_bids.price"
    assert caught.value.value == 0.15


# -- crossing tolerance: a crossed binary book is an arbitrage opportunity ---------------


@given(prices_between(PRICE_STEP, D("0.39")), st.data())
def test_a_book_crossed_by_less_than_the_tolerance_is_accepted_and_shows_cheap_asks(
    tolerance: Decimal, data: st.DataObject
) -> None:
    overlap = data.draw(prices_between(D(0), tolerance - PRICE_STEP))
    no_bid = PAYOUT - D("0.60") + overlap
    snapshot = BookSnapshot(
        "KX-A", 1, {D("0.60"): D(2)}, {no_bid: D(3)}, crossing_tolerance=tolerance
    )
    top = snapshot.top_of_book()
    assert top.crossing_tolerance == tolerance
    assert top.yes_ask == Level(PAYOUT - no_bid, D(3))
    assert top.yes_ask.price + top.no_ask.price == PAYOUT - overlap  # type: ignore[union-attr]


@given(prices_between(D(0), D("0.40")), prices_between(D(0), D("0.30")))
def test_a_book_crossed_by_the_tolerance_or_more_is_rejected_naming_the_tolerance(
    tolerance: Decimal, beyond: Decimal
) -> None:
    yes_bid = D("0.70")
    no_bid = PAYOUT - yes_bid + tolerance + beyond
    if no_bid >= PAYOUT:
        return  # not a price: another rule rejects it
    with pytest.raises(CrossedBookError) as caught:
        BookSnapshot("KX-A", 1, {yes_bid: D(1)}, {no_bid: D(1)}, crossing_tolerance=tolerance)
    assert caught.value.value == PAYOUT + tolerance + beyond
    assert caught.value.tolerance == tolerance
    assert caught.value.ticker == "KX-A"
    if tolerance:
        assert f"tolerance {tolerance}" in str(caught.value)


def test_the_default_tolerance_keeps_rejecting_every_crossed_book() -> None:
    assert book({D("0.60"): D(1)}, {D("0.39"): D(1)}).crossing_tolerance == 0
    with pytest.raises(CrossedBookError) as caught:
        book({D("0.60"): D(1)}, {D("0.40"): D(1)})
    assert caught.value.tolerance == 0
    assert "tolerance" not in str(caught.value)


def test_applying_a_delta_keeps_the_tolerance_and_checks_the_result_against_it() -> None:
    tolerant = BookSnapshot(
        "KX-A", 1, {D("0.60"): D(2)}, {D("0.30"): D(1)}, crossing_tolerance=cents(10)
    )
    crossed = tolerant.apply(BookDelta("KX-A", 2, no_changes={D("0.45"): D(4)}))
    assert crossed.crossing_tolerance == D("0.10")
    assert crossed.top_of_book().best_no_bid == Level(D("0.45"), D(4))
    with pytest.raises(CrossedBookError) as caught:
        crossed.apply(BookDelta("KX-A", 3, no_changes={D("0.50"): D(1)}))
    assert caught.value.value == D("1.10")


def test_a_top_of_book_accepts_bids_crossed_within_its_tolerance_only() -> None:
    top = TopOfBook(
        "KX-A", 1, Level(D("0.55"), D(1)), Level(D("0.50"), D(2)), crossing_tolerance=cents(6)
    )
    assert top.yes_ask == Level(D("0.50"), D(2))
    assert top.best_yes_bid is not None
    assert top.yes_ask.price < top.best_yes_bid.price  # the opportunity: buy below the bid
    with pytest.raises(CrossedBookError):
        TopOfBook(
            "KX-A", 1, Level(D("0.55"), D(1)), Level(D("0.51"), D(2)), crossing_tolerance=cents(6)
        )


@pytest.mark.parametrize(
    "tolerance", [D(-1), D("-0.01"), 1.5, 0.05, True, 5, 0, "5", None, D("NaN"), D("Infinity")]
)
def test_a_tolerance_that_is_not_a_non_negative_decimal_is_an_invalid_field(
    tolerance: object,
) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        BookSnapshot("KX-A", 1, {}, {}, crossing_tolerance=tolerance)  # type: ignore[arg-type]
    assert caught.value.field == "crossing_tolerance"
    with pytest.raises(InvalidFieldError):
        TopOfBook("KX-A", 1, None, None, crossing_tolerance=tolerance)  # type: ignore[arg-type]


# -- the trusted fast path: the same books and the same errors as full validation ------


def validated_apply(before: BookSnapshot, delta: BookDelta) -> BookSnapshot:
    """The reference update: merge in a dict, then rebuild through the validating constructor."""
    if delta.seq != before.seq + 1:
        raise SequenceGapError(before.ticker, before.seq + 1, delta.seq)
    merged = []
    for side, levels, changes in (
        ("yes", before.yes_bids, delta.yes_changes),
        ("no", before.no_bids, delta.no_changes),
    ):
        sizes = dict(levels)
        for price, change in changes:
            size = sizes.get(price, D(0))
            if size + change < 0:
                raise NegativeLevelError(before.ticker, side, price, size, change)
            sizes[price] = size + change
        merged.append({price: size for price, size in sizes.items() if size})
    return BookSnapshot(
        before.ticker,
        delta.seq,
        merged[0],
        merged[1],
        payout=before.payout,
        crossing_tolerance=before.crossing_tolerance,
    )


def outcome(update: Callable[[], BookSnapshot]) -> tuple[object, ...]:
    """A book, or everything that identifies the error (``repr`` because NaN != NaN)."""
    try:
        after = update()
    except DomainError as error:
        return (type(error), str(error), error.field, repr(error.value), error.ticker)
    return (after,)


def assert_fully_valid(after: BookSnapshot) -> None:
    """``after`` is what the validating constructor builds from its own fields."""
    rebuilt = BookSnapshot(
        after.ticker,
        after.seq,
        after.yes_bids,
        after.no_bids,
        payout=after.payout,
        crossing_tolerance=after.crossing_tolerance,
    )
    assert after == rebuilt
    assert hash(after) == hash(rebuilt)
    assert rebuilt.yes_bids == after.yes_bids  # the converter found them already sorted
    assert all(type(n) is Decimal for level in after.yes_bids + after.no_bids for n in level)


@st.composite
def tolerant_books(draw: st.DrawFn) -> BookSnapshot:
    """A valid book, possibly crossed by less than its (random) tolerance."""
    tolerance = draw(st.one_of(st.just(D(0)), prices_between(D(0), D("0.30"))))
    yes = draw(st.dictionaries(prices, counts, max_size=8))
    top = PAYOUT - PRICE_STEP
    ceiling = top if not yes else min(top, PAYOUT + tolerance - max(yes) - PRICE_STEP)
    no = {}
    if ceiling >= PRICE_STEP:
        no = draw(st.dictionaries(prices_between(PRICE_STEP, ceiling), counts, max_size=8))
    seq = draw(st.integers(min_value=0, max_value=2**40))
    return BookSnapshot("KX-A", seq, yes, no, crossing_tolerance=tolerance)


def near_a_level(before: BookSnapshot, side: Side) -> st.SearchStrategy[Decimal]:
    """Prices where the edge cases are: ``side``'s levels and their neighbours (removals,
    negatives), and the bids that bring the book to its crossing limit or one tick short."""
    levels, other = (
        (before.yes_bids, before.no_bids) if side is Side.YES else (before.no_bids, before.yes_bids)
    )
    near = {p + step for p, _ in levels for step in (-PRICE_STEP, D(0), PRICE_STEP)}
    if other:
        limit = before.payout + before.crossing_tolerance - other[-1][0]
        near |= {limit - PRICE_STEP, limit}
    near = {p for p in near if 0 < p < before.payout}
    return st.sampled_from(sorted(near)) if near else prices


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` seven times in eight, so most examples get past the field checks."""
    return st.integers(min_value=0, max_value=7).flatmap(lambda k: bad if k == 0 else good)


@given(tolerant_books(), sides, st.data())
def test_a_single_level_change_gives_the_book_or_the_error_of_the_validated_path(
    before: BookSnapshot, side: Side, data: st.DataObject
) -> None:
    edges = st.sampled_from([-PRICE_STEP, D(0), PAYOUT, PAYOUT + PRICE_STEP, D("0.00005")])
    price = data.draw(
        mostly(st.one_of(near_a_level(before, side), prices), st.one_of(edges, bad_prices))
    )
    levels = before.yes_bids if side is Side.YES else before.no_bids
    # a signalling NaN (one of the bad prices) raises on ==, so only a finite price is looked up
    finite = type(price) is Decimal and price.is_finite()
    size = next((n for p, n in levels if finite and p == price), D(0))
    units = int(size / SIZE_STEP)
    changes = st.one_of(
        size_units(-units - 200, units + 200).filter(bool),
        st.just(-size) if size else st.nothing(),  # empties the level
        size_units(-(2**70), 2**70).filter(bool),
    )
    bad_changes = st.one_of(st.just(D(0)), st.just(D("0.005")), not_a_decimal)
    change = data.draw(mostly(changes, bad_changes))
    expected = before.seq + 1
    seq = data.draw(
        mostly(
            st.one_of(
                st.just(expected),
                st.integers(min_value=max(0, expected - 2), max_value=expected + 2),
            ),
            st.one_of(not_an_int, st.integers(max_value=-1)),
        )
    )

    def validated() -> BookSnapshot:
        delta = BookDelta("KX-A", seq, **{f"{side.value}_changes": [(price, change)]})  # type: ignore[arg-type]
        return validated_apply(before, delta)

    fast = outcome(lambda: before.with_level_change(side, price, change, seq))
    assert fast == outcome(validated)
    if len(fast) == 1:
        assert_fully_valid(fast[0])  # type: ignore[arg-type]
    assert before == BookSnapshot(
        "KX-A",
        before.seq,
        before.yes_bids,
        before.no_bids,
        crossing_tolerance=before.crossing_tolerance,
    )  # untouched


@given(tolerant_books(), st.data())
def test_applying_any_delta_gives_the_book_or_the_error_of_the_validated_path(
    before: BookSnapshot, data: st.DataObject
) -> None:
    changes = size_units(-3000, 3000).filter(bool)
    yes_prices = st.one_of(near_a_level(before, Side.YES), prices)
    no_prices = st.one_of(near_a_level(before, Side.NO), prices)
    delta = BookDelta(
        "KX-A",
        data.draw(
            mostly(
                st.just(before.seq + 1),
                st.integers(min_value=max(0, before.seq - 1), max_value=before.seq + 2),
            )
        ),
        data.draw(st.dictionaries(yes_prices, changes, max_size=4)),
        data.draw(st.dictionaries(no_prices, changes, max_size=4)),
    )
    fast = outcome(lambda: before.apply(delta))
    assert fast == outcome(lambda: validated_apply(before, delta))
    if len(fast) == 1:
        assert_fully_valid(fast[0])  # type: ignore[arg-type]


def test_a_level_change_reports_a_bad_side_and_keeps_the_book_frozen() -> None:
    before = book({D("0.40"): D(3)}, {D("0.20"): D(1)})
    with pytest.raises(InvalidFieldError) as caught:
        before.with_level_change("yes", D("0.40"), D(1), 2)  # type: ignore[arg-type]
    assert caught.value.field == "side"
    assert caught.value.ticker == "KX-A"
    after = before.with_level_change(Side.NO, D("0.20"), D(4), 2)
    assert after.no_bids == ((D("0.20"), D(5)),)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        after.no_bids = ()  # type: ignore[misc]
    assert before.no_bids == ((D("0.20"), D(1)),)


@pytest.mark.parametrize(
    "price", [D(0), D(-1), PAYOUT, PAYOUT + PRICE_STEP, True, 0.5, 50, D("0.12345")]
)
@pytest.mark.parametrize("side", list(Side))
def test_a_level_change_rejects_a_price_outside_the_payout_like_a_delta_does(
    price: object, side: Side
) -> None:
    before = BookSnapshot(
        "KX-A", 1, {D("0.40"): D(3)}, {D("0.20"): D(1)}, crossing_tolerance=cents(5)
    )
    with pytest.raises(InvalidFieldError) as fast:
        before.with_level_change(side, price, D(1), 2)  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError) as validated:
        BookDelta("KX-A", 2, **{f"{side.value}_changes": [(price, D(1))]})  # type: ignore[arg-type]
    assert fast.value.field == f"{side.value}_changes.price"
    assert str(fast.value) == str(validated.value)


@given(prices, size_units(1, 10**9), size_units(-(10**9), 10**9).filter(bool))
def test_a_level_change_keeps_the_size_exact_to_the_hundredth_of_a_contract(
    price: Decimal, size: Decimal, change: Decimal
) -> None:
    before = BookSnapshot("KX-A", 1, {price: size}, {})
    exact = Fraction(size) + Fraction(change)
    if exact < 0:
        with pytest.raises(NegativeLevelError):
            before.with_level_change(Side.YES, price, change, 2)
        return
    after = before.with_level_change(Side.YES, price, change, 2)
    assert Fraction(dict(after.yes_bids).get(price, D(0))) == exact
    assert after == before.apply(BookDelta("KX-A", 2, {price: change}))


@pytest.mark.parametrize(
    ("bad", "bad_change_too"),
    [(D("sNaN"), True), (D("NaN"), True), (D("0.40005"), True), (D(0), False)],
)
def test_a_value_the_fast_path_has_not_seen_is_checked_even_after_good_ones(
    bad: D, bad_change_too: bool
) -> None:
    """with_level_change remembers values it found valid (the feed's hot path); a bad
    one, a signalling NaN included (unhashable), is still refused naming the field."""
    book = BookSnapshot("KX-A", 1, (), ())
    book.with_level_change(Side.YES, D("0.40"), D(1), 2)  # remembered as valid
    with pytest.raises(InvalidFieldError, match=r"yes_changes\.price"):
        book.with_level_change(Side.YES, bad, D(1), 2)
    if bad_change_too:
        with pytest.raises(InvalidFieldError, match=r"yes_changes\[0\.40\]\.size"):
            book.with_level_change(Side.YES, D("0.40"), bad, 2)


@given(tolerant_books())
def test_a_pickled_book_comes_back_equal_to_the_digit(original: BookSnapshot) -> None:
    copy = pickle.loads(pickle.dumps(original, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - ours
    assert copy == original
    assert hash(copy) == hash(original)
    for side in ("yes_bids", "no_bids"):
        before, after = getattr(original, side), getattr(copy, side)
        assert [tuple(map(str, level)) for level in after] == [
            tuple(map(str, level)) for level in before
        ]  # the same Decimal texts: exponents too, not only values
        assert all(type(n) is Decimal for level in after for n in level)
    assert str(copy.crossing_tolerance) == str(original.crossing_tolerance)
    assert copy.top_of_book() == original.top_of_book()
