"""Risk's start from a checkpoint of its books: on a real ledger file, a start loads
the last checkpoint and books only the fills recorded after its mark, with the books
booking every fill gives (to the digit); a checkpoint that is missing, unreadable or
another ledger's is ignored, never trusted; one that cannot be written costs nothing
but the next start's time; a ledger whose fills came out of order gets none."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from collections.abc import Collection, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loguru import logger

from actors.domain import Action, Fill, FillRow, Side
from actors.messages import FillRecorded, Outcome, Reconciled
from actors.persistence import (
    FillMark,
    FillMarkMismatch,
    Ledger,
    LedgerFills,
    checkpoint_path,
    recorded_fills,
)
from actors.risk import RiskActor
from actors.risk._checkpoint import CheckpointUnreadable, decode, encode
from actors.risk._exposure import EventMap
from actors.risk._positions import PositionBook, RecordedBooked
from actors.risk._recovery import LedgerSources, Leftovers, Restored, restore
from actors.risk._seen import SeenKeys, fingerprint
from tests.actors.risk_harness import (
    BREAKER,
    NO_COMPLETION,
    WIDE,
    fill,
    reservation,
    risk_tree,
)
from tests.actors.test_persistence_fill_reads import write_fills
from tests.actors.test_risk_replay import NOON, figures, ledgers, per_fill
from tests.supervision.conftest import eventually

WALL = 1_800_000_000.0  # 2027-01-15T08:00:00Z
DAY = 86_400.0
D = Decimal
WALLS = {WALL + n * DAY for n in range(-1, 6)}


def append_fills(db: Path, prefix: str, count: int, *, seed: int, start: float = WALL) -> None:
    """``count`` fills ``f-<prefix>-<n>`` over 5 markets (:func:`write_fills`)."""
    write_fills(db, count, markets=5, seed=seed, ids=f"{prefix}-", start=start)


class CountingFills(LedgerFills):
    """The daemon's source, noting how many rows each start read after the mark."""

    read: list[int]

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        object.__setattr__(self, "read", [])

    def rows_after(self, mark: FillMark | None) -> tuple[tuple[FillRow, ...], FillMark | None]:
        rows, last = super().rows_after(mark)
        self.read.append(len(rows))
        return rows, last


def start(source: LedgerFills, leftovers: Leftovers | None = None) -> tuple[Restored, PositionBook]:
    """What a new risk incarnation's start restores from ``source``."""
    positions = PositionBook()
    restored = restore(
        LedgerSources(ledger_fills=source),
        actor="risk",
        events=EventMap(),
        positions=positions,
        leftovers=leftovers or Leftovers(),
        wall=lambda: WALL,
    )
    return restored, positions


def reference(db: Path) -> PositionBook:
    """The books of booking each of the ledger's fills, one by one, in order."""
    positions = PositionBook()
    recorded = [(r.fill, r.recorded_at) for r in recorded_fills(db)]
    assert per_fill(positions, recorded).unbooked is None
    return positions


@pytest.fixture
def logged() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(f"{m.record['extra'].get('event')}: {m}"))
    yield lines
    logger.remove(sink)


def test_a_start_books_only_the_fills_after_the_last_checkpoint_with_the_same_books(
    tmp_path: Path,
) -> None:
    db = tmp_path / "ledger.db"
    append_fills(db, "a", 2_000, seed=3)
    source = CountingFills(db)

    first, books = start(source)
    assert (first.halt_reason, first.fills_rebuilt, first.from_checkpoint) == (None, 2_000, 0)
    assert figures(books, WALLS) == figures(reference(db), WALLS)
    written = checkpoint_path(db)
    assert written.exists()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600  # owner-only, like the ledger

    append_fills(db, "b", 500, seed=4, start=WALL + 2 * DAY)
    second, books = start(source)
    assert (second.halt_reason, second.fills_rebuilt, second.from_checkpoint) == (
        None,
        2_500,
        2_000,
    )
    assert source.read == [2_000, 500]  # the second start read the 500 after the mark
    assert figures(books, WALLS) == figures(reference(db), WALLS)
    # every fill, before the mark and after, is remembered: listed again, none counts
    assert not any(books.book(r.fill, r.recorded_at) for r in recorded_fills(db))

    third, books = start(source)  # nothing new: nothing read, the checkpoint stays
    assert (third.fills_rebuilt, third.from_checkpoint, source.read[-1]) == (2_500, 2_500, 0)
    assert figures(books, WALLS) == figures(reference(db), WALLS)


def test_a_checkpoint_of_another_ledger_is_ignored_and_every_fill_booked(
    tmp_path: Path, logged: list[str]
) -> None:
    mine, theirs = tmp_path / "mine.db", tmp_path / "theirs.db"
    append_fills(mine, "a", 300, seed=5)
    append_fills(theirs, "a", 400, seed=6)  # the same fill ids, other fills
    start(LedgerFills(theirs))
    shutil.copy(checkpoint_path(theirs), checkpoint_path(mine))

    restored, books = start(LedgerFills(mine))
    assert (restored.halt_reason, restored.fills_rebuilt, restored.from_checkpoint) == (
        None,
        300,
        0,
    )
    assert figures(books, WALLS) == figures(reference(mine), WALLS)
    ignored = [line for line in logged if line.startswith("checkpoint_ignored")]
    assert len(ignored) == 1
    assert "its mark is not this ledger's" in ignored[0]
    # and a checkpoint of this ledger is written in its place
    assert decode(checkpoint_path(mine).read_bytes()).mark.count == 300


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda data: data[: len(data) // 2], "bytes of fingerprints"),
        (lambda data: b"{not json\n" + data.partition(b"\n")[2], "header is not JSON"),
        (lambda data: data.replace(b'"format":1', b'"format":9', 1), "format 9"),
        (
            lambda data: data.replace(b'"realised_total":"', b'"realised_total":"x', 1),
            "not a number",
        ),
        (lambda data: data.replace(b'"mark":[', b'"mark":[-', 1), "ValueError"),
        (lambda _: b"", "no header line"),
    ],
)
def test_an_unreadable_checkpoint_is_ignored_naming_why_and_every_fill_booked(
    tmp_path: Path, logged: list[str], damage: object, why: str
) -> None:
    db = tmp_path / "ledger.db"
    append_fills(db, "a", 300, seed=7)
    start(LedgerFills(db))
    path = checkpoint_path(db)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with pytest.raises(CheckpointUnreadable, match=why):
        decode(path.read_bytes())

    restored, books = start(LedgerFills(db))
    assert (restored.halt_reason, restored.fills_rebuilt, restored.from_checkpoint) == (
        None,
        300,
        0,
    )
    assert figures(books, WALLS) == figures(reference(db), WALLS)
    assert any(line.startswith("checkpoint_ignored") and why in line for line in logged)


def test_a_checkpoint_that_cannot_be_written_is_logged_and_the_start_goes_on(
    tmp_path: Path, logged: list[str]
) -> None:
    class Unwritable(LedgerFills):
        def write_checkpoint(self, data: bytes) -> None:
            raise OSError(28, f"No space left on device for {len(data)} bytes")

    db = tmp_path / "ledger.db"
    append_fills(db, "a", 200, seed=8)
    restored, books = start(Unwritable(db))
    assert (restored.halt_reason, restored.fills_rebuilt) == (None, 200)
    assert figures(books, WALLS) == figures(reference(db), WALLS)
    assert not checkpoint_path(db).exists()
    assert any(
        line.startswith("checkpoint_unwritten") and "No space left" in line for line in logged
    )


def test_fills_recorded_out_of_order_are_booked_but_no_checkpoint_is_taken_of_them(
    tmp_path: Path, logged: list[str]
) -> None:
    """A sale written before the purchase it sold (the purchase's Record was repaired
    later) is booked in a second pass: a checkpoint there could differ from booking
    every fill later, so none is written."""
    db = tmp_path / "ledger.db"
    bought = Fill("t-1", "c-1", "KX-A", Side.NO, Action.BUY, D("0.55"), D(4))
    sold = Fill("t-2", "c-2", "KX-A", Side.NO, Action.SELL, D("0.60"), D(4))
    with Ledger.open(db, wall=lambda: WALL) as ledger:
        ledger.write("r-1", [FillRecorded(sold)])
        ledger.write("r-2", [FillRecorded(bought)])
    restored, books = start(LedgerFills(db))
    assert (restored.halt_reason, restored.fills_rebuilt) == (None, 2)
    assert books.realised_total == D("0.20")
    assert not checkpoint_path(db).exists()
    assert any(line.startswith("checkpoint_skipped") for line in logged)


def test_a_leftover_keeps_its_fills_recorded_before_the_mark(tmp_path: Path) -> None:
    """A reservation left open has fills on both sides of the checkpoint's mark: it is
    settled with all of them, as if every fill had been booked."""
    db = tmp_path / "ledger.db"
    held = reservation("opp-old-1", "KX-L")
    before = fill("opp-old-1", Side.YES, D(6), D("0.40"), ticker="KX-L")
    after = fill("opp-old-1", Side.NO, D(3), D("0.55"), ticker="KX-L")
    with Ledger.open(db, wall=lambda: WALL) as ledger:
        ledger.write("r-1", [FillRecorded(before)])
    start(LedgerFills(db))  # the checkpoint's mark is after the YES fill
    with Ledger.open(db, wall=lambda: WALL) as ledger:
        ledger.write("r-2", [FillRecorded(after)])

    leftovers = Leftovers()
    leftovers.add([held])
    restored, _ = start(LedgerFills(db), leftovers)
    assert (restored.from_checkpoint, restored.fills_rebuilt) == (1, 2)
    (released,) = leftovers.settle(())
    assert (released.outcome, released.held) == (Outcome.UNHEDGED, (D(6), D(3)))


def test_a_ledger_that_cannot_be_read_still_starts_risk_halted(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    append_fills(db, "a", 100, seed=9)
    start(LedgerFills(db))
    with sqlite3.connect(db) as conn:  # a fill after the mark that is no fill
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute(
            "INSERT INTO fills (fill_id, client_order_id, ticker, side, action, price, count,"
            " fee, payout, recorded_at) VALUES ('f-bad', 'c-bad', 'KX-A', 'yes', 'buy',"
            " '0.4000', '-2.00', '0.0000', '1.0000', ?)",
            (WALL,),
        )
    restored, books = start(LedgerFills(db))
    assert str(restored.halt_reason).startswith("recorded fills unknown: fills row")
    assert "(fill_id 'f-bad')" in str(restored.halt_reason)
    assert restored.fills_rebuilt == 0
    assert books.holdings() == {}


def test_a_mark_is_checked_against_the_ledger_before_it_is_used(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    append_fills(db, "a", 100, seed=10)
    with Ledger.open_read_only(db) as ledger:
        rows, mark = ledger.fill_rows_after(None)
        assert mark is not None
        assert (len(rows), mark.count, mark.fill_id) == (100, 100, rows[-1][0])
        assert ledger.fill_rows_after(mark) == ((), mark)
        wrong = [
            FillMark(mark.rowid + 1, mark.count, mark.fill_id, mark.client_order_id),
            FillMark(mark.rowid, mark.count, "f-a-0", mark.client_order_id),
            FillMark(mark.rowid, mark.count - 1, mark.fill_id, mark.client_order_id),
        ]
        for bad in wrong:
            with pytest.raises(FillMarkMismatch):
                ledger.fill_rows_after(bad)
    with pytest.raises(FillMarkMismatch, match="no ledger"):
        LedgerFills(tmp_path / "missing.db").rows_after(mark)
    assert LedgerFills(tmp_path / "missing.db").rows_after(None) == ((), None)


@pytest.mark.parametrize("count", [0, 1, 7, 8, 9, 30, 100])
def test_remembered_keys_dumped_and_added_again_make_the_same_memory(count: int) -> None:
    keys = [fingerprint(f"k-{n}") for n in range(count)]
    held = SeenKeys(8)
    held.add_new_many(keys)
    dumped = held.dump()
    again = SeenKeys(8)
    again.add_new_many([dumped[at : at + 16] for at in range(0, len(dumped), 16)])
    assert len(again) == len(held)
    assert [key in again for key in keys] == [key in held for key in keys]
    assert again._newest == held._newest
    assert list(again._older) == list(held._older)


def _in_order_prefix(rows: list[FillRow], most: int) -> int:
    """The longest prefix, at most ``most`` rows, that books in one pass."""
    for k in range(most, 0, -1):
        booked = PositionBook().book_recorded_rows(rows[:k])
        if booked.in_order:
            return k
    return 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.integers(0, 40), st.sampled_from([3, 200_000]))
def test_books_from_a_checkpoint_and_the_fills_after_it_are_the_books_of_every_fill(
    recorded: list[tuple[Fill, float]], split: int, remember: int
) -> None:
    keep: Collection[str] = {"c-1", "c-2"}
    rows = [f.recorded_row(at) for f, at in recorded]
    k = _in_order_prefix(rows, min(split, len(rows)))
    books = PositionBook(remember_fills=remember)
    if k:
        prefix = PositionBook(remember_fills=remember)
        prefix.book_recorded_rows(rows[:k])
        mark = FillMark(k, k, rows[k - 1][0], rows[k - 1][1])
        books.load(decode(encode(prefix.checkpoint(mark))))
    got = books.book_recorded_rows(rows[k:], keep=keep, new=True)
    want_books = PositionBook(remember_fills=remember)
    want = per_fill(want_books, recorded, keep)
    walls = {at for _, at in recorded} | {NOON}
    assert figures(books, walls) == figures(want_books, walls)
    assert _unbooked(got) == _unbooked(want)  # the same fill left unbooked, for the same reason


def _unbooked(booked: RecordedBooked) -> object:
    if booked.unbooked is None:
        return None
    made, why = booked.unbooked
    return made, type(why), str(why)


def test_a_running_risk_rolls_the_checkpoint_forward_every_so_many_fills(tmp_path: Path) -> None:
    """The start writes a checkpoint at the ledger's last fill; after ``checkpoint_every``
    fills booked while running, a background roll brings it up to the ledger's new last
    fill, and the next start books only what came after that."""
    db = tmp_path / "ledger.db"
    append_fills(db, "a", 100, seed=11)
    with risk_tree(ledger_fills=LedgerFills(db), checkpoint_every=15) as risk:
        summary = risk.summary()
        assert (summary.counts.fills_rebuilt, summary.counts.fills_from_checkpoint) == (100, 0)
        assert decode(checkpoint_path(db).read_bytes()).mark.count == 100
        append_fills(db, "b", 20, seed=12, start=WALL + DAY)
        new = tuple(r.fill for r in recorded_fills(db)[100:])
        risk.ask(Reconciled(ok=True, fills=new[:10]))  # 10 booked: not yet
        assert risk.summary().counts.checkpoints_started == 0
        risk.ask(Reconciled(ok=True, fills=new))  # 10 more: 20 since the start
        assert risk.summary().counts.checkpoints_started == 1
        eventually(lambda: decode(checkpoint_path(db).read_bytes()).mark.count == 120)
    source = CountingFills(db)
    restored, books = start(source)
    assert (restored.from_checkpoint, source.read) == (120, [0])
    assert figures(books, WALLS) == figures(reference(db), WALLS)


@pytest.mark.parametrize("bad", [0, -5, 2.5, True])
def test_risk_refuses_a_checkpoint_interval_that_is_not_a_count(bad: object) -> None:
    with pytest.raises(TypeError, match="checkpoint_every"):
        RiskActor(WIDE, BREAKER, basket_policy=NO_COMPLETION, checkpoint_every=bad)  # type: ignore[arg-type]
