"""Booking a ledger's fills at start in bulk (``PositionBook.book_recorded``) makes the
very books booking each fill with ``PositionBook.book`` makes: the same holdings, cost
basis, realised P&L per UTC day and in total (value and digits), the same fill refused
with the same error, and every booked fill remembered."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Sequence
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.domain import Action, Fill, Side
from actors.errors import DomainError
from actors.risk._positions import PositionBook, RecordedBooked
from actors.risk._seen import SeenKeys, fingerprint, pair_fingerprint

NOON = datetime.datetime(2027, 1, 15, 12, tzinfo=datetime.UTC).timestamp()
DAY = 86_400.0


def per_fill(
    positions: PositionBook, recorded: Sequence[tuple[Fill, float]], keep: Collection[str] = ()
) -> RecordedBooked:
    """The rule as risk's start applied it before the bulk path: ``book`` each fill,
    in passes over those that did not fit, until a pass books none."""
    kept: list[Fill] = []
    waiting = list(recorded)
    while waiting:
        unfit, why = [], None
        for fill, at in waiting:
            try:
                positions.book(fill, at)
            except (DomainError, ArithmeticError) as error:
                unfit.append((fill, at))
                why = why or error
                continue
            if fill.client_order_id in keep:
                kept.append(fill)
        if len(unfit) == len(waiting):
            assert why is not None
            return RecordedBooked(tuple(kept), (unfit[0][0], why))
        waiting = unfit
    return RecordedBooked(tuple(kept), None)


def figures(positions: PositionBook, walls: Collection[float]) -> object:
    """Everything the books say, with every Decimal's digits (``str``), not only its value."""
    holdings = {
        ticker: tuple(
            str(v)
            for v in (
                h.position.yes_count,
                h.position.no_count,
                h.position.cash,
                h.position.payout,
                h.open_cost,
                h.realised,
            )
        )
        for ticker, h in positions.holdings().items()
    }
    days = {str(positions.realised_today(wall)) for wall in walls}
    by_day = {}
    for wall in sorted(walls):
        realised = str(positions.realised_today(wall))
        by_day[positions.day] = realised
    return holdings, days, by_day, str(positions.realised_total), positions.fills_remembered


def outcome(booked: RecordedBooked) -> object:
    unbooked = booked.unbooked
    why = None if unbooked is None else (unbooked[0], type(unbooked[1]), str(unbooked[1]))
    return booked.kept, why


def assert_same_books(
    recorded: list[tuple[Fill, float]], keep: Collection[str] = (), remember: int = 200_000
) -> tuple[PositionBook, RecordedBooked]:
    bulk, reference = PositionBook(remember_fills=remember), PositionBook(remember_fills=remember)
    got = bulk.book_recorded(recorded, keep=keep)
    want = per_fill(reference, recorded, keep)
    walls = {at for _, at in recorded} | {NOON}
    assert figures(bulk, walls) == figures(reference, walls)
    assert outcome(got) == outcome(want)
    assert bulk.positions() == reference.positions()
    assert bulk.exposure_by_market() == reference.exposure_by_market()
    return bulk, got


TICKERS = st.sampled_from(["KX-A", "KX-B", "KX-C"])
COUNTS = st.integers(1, 2_000).map(lambda n: D(n).scaleb(-2))
FEES = st.integers(0, 500).map(lambda n: D(n).scaleb(-4))


@st.composite
def ledgers(draw: st.DrawFn) -> list[tuple[Fill, float]]:
    """Fills as a ledger may hold them: mostly buys, sales that may sell more than held
    (so they wait, or never fit), now and then another payout, over a few UTC days."""
    rows = []
    for n in range(draw(st.integers(0, 40))):
        payout = draw(st.sampled_from([D("1.0000")] * 9 + [D("2.0000")]))
        price = D(draw(st.integers(1, int(payout.scaleb(4)) - 1))).scaleb(-4)
        fill = Fill(
            f"t-{n}",
            f"c-{draw(st.integers(0, 6))}",
            draw(TICKERS),
            draw(st.sampled_from(Side)),
            draw(st.sampled_from([Action.BUY, Action.BUY, Action.SELL])),
            price,
            draw(COUNTS),
            fee=draw(FEES),
            payout=payout,
        )
        rows.append((fill, NOON + draw(st.sampled_from([-DAY, 0.0, 0.5, DAY]))))
    return rows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_booking_recorded_fills_together_makes_the_books_booking_each_makes(
    recorded: list[tuple[Fill, float]],
) -> None:
    bulk, booked = assert_same_books(recorded, keep={"c-1", "c-2"})
    if booked.unbooked is None:  # every fill booked: each is remembered
        assert not any(bulk.book(fill, at) for fill, at in recorded)


@settings(max_examples=100, deadline=None)
@given(ledgers(), st.integers(1, 12))
def test_a_small_memory_or_a_repeated_fill_gives_the_same_books(
    recorded: list[tuple[Fill, float]], remember: int
) -> None:
    repeated = recorded + recorded[:3]  # the same keys again: booked once
    assert_same_books(repeated, keep={"c-3"}, remember=remember)


def test_fills_the_books_already_remember_are_not_booked_again() -> None:
    bought = Fill("t-1", "c-1", "KX-A", Side.YES, Action.BUY, D("0.40"), D(10), fee=D("0.17"))
    sold = Fill("t-2", "c-2", "KX-A", Side.YES, Action.SELL, D("0.15"), D(10), fee=D("0.09"))
    bulk, reference = PositionBook(), PositionBook()
    for book in (bulk, reference):
        book.book(bought, NOON)
    got = bulk.book_recorded([(bought, NOON), (sold, NOON)], keep={"c-1"})
    want = per_fill(reference, [(bought, NOON), (sold, NOON)], {"c-1"})
    assert figures(bulk, {NOON}) == figures(reference, {NOON})
    assert outcome(got) == outcome(want) == ((bought,), None)
    assert bulk.realised_total == -(D("2.50") + D("0.17") + D("0.09"))


def test_a_sale_recorded_before_its_purchase_waits_for_it_and_one_that_never_fits_is_named() -> (
    None
):
    bought = Fill("t-1", "c-1", "KX-A", Side.NO, Action.BUY, D("0.55"), D(4))
    sold = Fill("t-2", "c-2", "KX-A", Side.NO, Action.SELL, D("0.60"), D(4))
    oversold = Fill("t-3", "c-3", "KX-B", Side.YES, Action.SELL, D("0.50"), D(5))
    _, booked = assert_same_books([(sold, NOON), (bought, NOON)])
    assert booked.unbooked is None
    bulk, booked = assert_same_books([(sold, NOON), (oversold, NOON), (bought, NOON)])
    assert booked.unbooked is not None
    fill, why = booked.unbooked
    assert fill == oversold
    assert "would go negative" in str(why)
    assert bulk.realised_total == D("0.20")  # what was booked stays booked


@pytest.mark.parametrize(
    ("first", "second"), [("t-1", "c-1"), ("", "x"), ("2:ab", "c"), ("é", "∂")]
)
def test_a_fills_key_is_its_two_part_fingerprint(first: str, second: str) -> None:
    assert pair_fingerprint(first, second) == fingerprint(first, second)


@pytest.mark.parametrize("count", [0, 1, 7, 8, 9, 30, 100])
def test_keys_added_together_are_held_as_if_added_one_by_one(count: int) -> None:
    keys = [fingerprint(f"k-{n}") for n in range(count)]
    together, one_by_one = SeenKeys(8), SeenKeys(8)
    together.add_new(keys[0] if keys else fingerprint("first"))
    one_by_one.add_new(keys[0] if keys else fingerprint("first"))
    together.add_new_many(keys[1:])
    for key in keys[1:]:
        one_by_one.add_new(key)
    assert len(together) == len(one_by_one)
    assert [key in together for key in keys] == [key in one_by_one for key in keys]
    assert together._newest == one_by_one._newest
    assert list(together._older) == list(one_by_one._older)
    assert together.room == one_by_one.room >= 0
