"""Risk's memories of fills booked and reservation ids released stay bounded under a
long run, and still refuse every duplicate that can come within what they remember."""

from __future__ import annotations

from decimal import Decimal as D

import attrs
import pytest

from actors.domain import Action, Fill, Side
from actors.messages import (
    ExecutionReport,
    Outcome,
    Reconciled,
    Reservation,
    ReservationChanged,
    ReservationState,
)
from actors.risk._book import ReservationBook
from actors.risk._positions import PositionBook
from actors.risk._records import Unwritten
from actors.risk._seen import SeenKeys, _holds, fingerprint
from tests.actors.risk_harness import fill, reservation, risk_tree

WALL = 1_800_000_000.0


def _fill(n: int, ticker: str = "KX-A") -> Fill:
    """A purchase of one YES contract at 0.40: always bookable, each with its own ids."""
    return Fill(f"trade-{n:08d}", f"w{n:020d}e000", ticker, Side.YES, Action.BUY, D("0.40"), D(1))


# -- SeenKeys --------------------------------------------------------------------------


def test_seen_keys_remember_at_least_the_most_recent_and_hold_at_most_a_quarter_more() -> None:
    seen = SeenKeys(1_000)
    most = 0
    for n in range(20_000):
        seen.add(f"key-{n}")
        most = max(most, len(seen))
        recent = range(max(0, n - 999), n + 1)
        if n % 997 == 0:  # now and then: every one of the last 1,000 is still there
            assert all(seen.seen(f"key-{k}") for k in recent)
    assert most <= 1_250
    assert not seen.seen("key-0")  # long forgotten
    assert not seen.seen("key-20000")  # never added


def test_a_key_added_again_is_not_held_twice() -> None:
    seen = SeenKeys(8)
    for _ in range(100):
        seen.add("same")
    assert len(seen) == 1


def test_fingerprints_tell_apart_keys_whose_parts_split_differently() -> None:
    assert fingerprint("ab", "c") != fingerprint("a", "bc")
    assert fingerprint("ab", "c") == fingerprint("ab", "c")
    assert fingerprint("abc") != fingerprint("ab", "c")
    assert fingerprint("2:abc") != fingerprint("ab", "c")
    assert fingerprint("1|2:abc") != fingerprint("ab", "c")
    assert len(fingerprint("x")) == 16


def test_a_fingerprint_straddling_two_held_ones_is_not_taken_for_one() -> None:
    a, b = fingerprint("a"), fingerprint("b")
    straddling = a[8:] + b[:8]
    assert _holds(a + b, a)
    assert _holds(a + b, b)
    assert not _holds(a + b, straddling)
    assert _holds(a + b + straddling, straddling)  # held itself, after the false match
    assert not _holds(b"", a)


@pytest.mark.parametrize("remember", [0, -1, 1.5, "10"])
def test_seen_keys_refuse_a_bad_size(remember: object) -> None:
    with pytest.raises(ValueError, match="remember"):
        SeenKeys(remember)  # type: ignore[arg-type]


# -- PositionBook ----------------------------------------------------------------------


def test_the_fills_remembered_stop_growing_after_many_fills() -> None:
    book = PositionBook(remember_fills=2_000)
    for n in range(30_000):
        assert book.book(_fill(n), WALL)
        assert book.fills_remembered <= 2_500
    assert book.positions()["KX-A"].yes_count == D(30_000)


def test_a_fill_booked_again_within_what_is_remembered_is_refused() -> None:
    book = PositionBook(remember_fills=2_000)
    for n in range(30_000):
        book.book(_fill(n), WALL)

    again = [book.book(_fill(n), WALL) for n in range(28_000, 30_000)]  # the last 2,000

    assert again == [False] * 2_000
    assert book.positions()["KX-A"].yes_count == D(30_000)  # nothing counted twice


def test_the_same_venue_fill_of_another_order_is_another_fill() -> None:
    book = PositionBook()
    first = _fill(1)
    assert book.book(first, WALL)
    other_order = Fill(
        first.fill_id, "w99999e000", first.ticker, first.side, first.action, first.price, D(1)
    )
    assert book.book(other_order, WALL)
    assert not book.book(first, WALL)


# -- ReservationBook -------------------------------------------------------------------


def test_the_released_ids_remembered_stop_growing_and_the_recent_ones_stay_refused() -> None:
    book = ReservationBook(remember=500)
    for n in range(10_000):
        book.add(reservation(f"r-{n}"))
        book.release(f"r-{n}")
        assert book.released_remembered <= 625
    for n in range(9_500, 10_000):  # the most recent 500 released
        assert book.is_used(f"r-{n}")
        with pytest.raises(ValueError, match=f"r-{n}"):
            book.add(reservation(f"r-{n}"))
    assert not book.is_used("r-0")


def test_a_live_id_is_refused_however_many_were_released_since() -> None:
    book = ReservationBook(remember=10)
    book.add(reservation("long-lived"))
    for n in range(1_000):
        book.add(reservation(f"r-{n}"))
        book.release(f"r-{n}")
    with pytest.raises(ValueError, match="long-lived"):
        book.add(reservation("long-lived"))


def test_the_default_book_remembers_the_last_8192_released_ids_and_at_most_a_quarter_more() -> None:
    book = ReservationBook()
    for n in range(12_000):
        book.add(reservation(f"EV-{n}"))
        book.release(f"EV-{n}")
    assert 8_192 <= book.released_remembered <= 10_240
    assert all(book.is_used(f"EV-{n}") for n in range(12_000 - 8_192, 12_000))


# -- Unwritten: each released reservation is forgotten once its last state is on disk ------


def _changed(r: Reservation) -> tuple[ReservationChanged]:
    return (ReservationChanged(r),)


def test_released_reservations_are_forgotten_once_their_records_are_confirmed() -> None:
    unwritten = Unwritten()
    for n in range(5_000):
        held = reservation(f"r-{n}", owner_epoch=1)
        unwritten.track(held)
        released = attrs.evolve(held, state=ReservationState.RELEASED, outcome=Outcome.FILLED)
        events = _changed(released)
        unwritten.sent(events)
        unwritten.written(events, is_live=lambda _rid: False)
        assert len(unwritten) == 0
    assert unwritten.take() is None


def test_a_later_state_in_flight_is_kept_when_an_earlier_one_is_confirmed() -> None:
    unwritten = Unwritten()
    in_doubt = reservation("r-1", owner_epoch=1, state=ReservationState.IN_DOUBT)
    released = attrs.evolve(in_doubt, state=ReservationState.RELEASED, outcome=Outcome.FILLED)
    unwritten.sent(_changed(in_doubt))
    unwritten.sent(_changed(released))

    unwritten.written(_changed(in_doubt), is_live=lambda _rid: False)  # the earlier Record
    unwritten.lost(_changed(released))  # the later one failed

    assert unwritten.take() == [ReservationChanged(released)]  # written again, not lost


# -- the actor: a reconciliation re-listing every fill since it started counts none twice ---


def test_a_reconciliation_listing_every_fill_of_the_run_again_books_none_twice() -> None:
    with risk_tree() as risk:
        risk.reconcile()
        fills: list[Fill] = []
        for n in range(40):
            rid = f"opp-{n}"
            assert isinstance(risk.reserve(rid), Reservation)
            mine = (
                fill(rid, Side.YES, D(10), D("0.40"), fill_id=f"t-{n}-y"),
                fill(rid, Side.NO, D(10), D("0.55"), fill_id=f"t-{n}-n"),
            )
            risk.ask(ExecutionReport(rid, Outcome.FILLED, mine, held=(D(10), D(10))))
            fills.extend(mine)
        before = risk.summary()

        risk.ask(Reconciled(ok=True, fills=tuple(fills)))  # an execution restart re-lists all

        after = risk.summary()
        assert after.counts.fills == before.counts.fills == 80
        assert after.counts.fills_from_reconciliation == 0
        assert after.positions == before.positions
        assert after.realised_pnl_total == before.realised_pnl_total
