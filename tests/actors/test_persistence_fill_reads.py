"""Reading every fill of a real ledger file at start: the fast decoder gives exactly what
the strict per-row decoder gives, refuses a corrupt row naming it, and risk restored
from the file has the books booking each fill gives (or starts halted, fail closed)."""

from __future__ import annotations

import random
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from actors.domain import Action, Fill, Side
from actors.errors import LedgerError, LedgerSerializationError
from actors.messages import FillRecorded
from actors.persistence import FillRecord, Ledger, recorded_fills
from actors.persistence._codec import FAST_FILLS
from actors.persistence._recovery import recorded_fill_rows
from actors.persistence._rows import fill_record
from actors.risk import RejectReason
from actors.risk._exposure import EventMap
from actors.risk._positions import PositionBook
from actors.risk._recovery import LedgerSources, Leftovers, restore
from tests.actors.risk_harness import WIDE, risk_tree
from tests.actors.test_risk_replay import figures, per_fill

WALL = 1_800_000_000.0  # 2027-01-15T08:00:00Z
DAY = 86_400.0
D = Decimal


def write_fills(
    db: Path, count: int, *, markets: int = 7, seed: int = 3, ids: str = "", start: float = WALL
) -> None:
    """``count`` fills (``f-<ids><n>`` of orders ``c-<ids><n // 2>``) through the ledger's
    write path, 50 per Record, over 3 UTC days from ``start``: buys and sales of both
    sides (never more than this call bought), sub-penny prices, fractions."""
    rng = random.Random(seed)
    held: dict[tuple[str, Side], Decimal] = {}
    now = start
    with Ledger.open(db, wall=lambda: now) as ledger:
        for first in range(0, count, 50):
            events = []
            for n in range(first, min(first + 50, count)):
                ticker = f"KX-{rng.randrange(markets)}"
                side = rng.choice([Side.YES, Side.NO])
                size = D(rng.randrange(1, 1_000)).scaleb(-2)
                have = held.get((ticker, side), D(0))
                action = Action.SELL if have > 0 and rng.random() < 0.3 else Action.BUY
                size = min(size, have) if action is Action.SELL else size
                held[(ticker, side)] = have + (size if action is Action.BUY else -size)
                price = D(rng.randrange(1, 10_000)).scaleb(-4)
                fee = D(rng.randrange(0, 300)).scaleb(-4)
                fill_id, order_id = f"f-{ids}{n}", f"c-{ids}{n // 2}"
                fill = Fill(fill_id, order_id, ticker, side, action, price, size, fee=fee)
                events.append(FillRecorded(fill))
            ledger.write(f"r-{ids}{first}", events)
            now += 3 * DAY / (count / 50)


def strict_records(db: Path) -> list[FillRecord]:
    """Each row through the per-row decoder risk's start used before (``sqlite3.Row``
    and the strict cattrs converter)."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM fills ORDER BY rowid").fetchall()
    return [fill_record(row, operation="read fills") for row in rows]


@pytest.fixture(scope="module")
def ledger_of_fills(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("fills") / "ledger.db"
    write_fills(db, 2_000)
    return db


def test_the_fast_decoder_builds_fills_by_assignment_as_fill_stays_a_plain_attrs_class() -> None:
    assert FAST_FILLS  # if Fill grows a converter or an init hook, review decode_fill_rows


def test_every_fill_reads_back_exactly_as_the_strict_per_row_decoder_reads_it(
    ledger_of_fills: Path,
) -> None:
    got, want = recorded_fills(ledger_of_fills), strict_records(ledger_of_fills)
    assert len(got) == 2_000
    assert list(got) == want
    for mine, theirs in zip(got, want, strict=True):
        assert type(mine.recorded_at) is type(theirs.recorded_at) is float
        for name in ("price", "count", "fee", "payout"):
            value = getattr(mine.fill, name)
            assert type(value) is Decimal
            assert str(value) == str(getattr(theirs.fill, name))  # the digits too
        assert mine.fill.side is theirs.fill.side
        assert mine.fill.action is theirs.fill.action
    assert len({r.recorded_at for r in got}) > 1
    rows = recorded_fill_rows(ledger_of_fills)  # the same, as plain values
    assert list(rows) == [r.fill.recorded_row(r.recorded_at) for r in want]
    assert [str(v) for row in rows for v in row[5:9]] == [
        str(v) for r in want for v in (r.fill.price, r.fill.count, r.fill.fee, r.fill.payout)
    ]


@pytest.mark.parametrize("source", ["fill rows", "fills"])
def test_risk_restored_from_the_ledger_has_the_books_of_booking_each_fill(
    ledger_of_fills: Path, source: str
) -> None:
    positions, leftovers = PositionBook(), Leftovers()
    sources = (
        LedgerSources(recorded_fill_rows=lambda: recorded_fill_rows(ledger_of_fills))
        if source == "fill rows"
        else LedgerSources(
            recorded_fills=lambda: [
                (r.fill, r.recorded_at) for r in recorded_fills(ledger_of_fills)
            ]
        )
    )
    restored = restore(
        sources,
        actor="risk",
        events=EventMap(),
        positions=positions,
        leftovers=leftovers,
        wall=lambda: WALL,
    )
    reference = PositionBook()
    recorded = [(r.fill, r.recorded_at) for r in strict_records(ledger_of_fills)]
    assert per_fill(reference, recorded).unbooked is None
    walls = {WALL + n * DAY for n in range(-1, 5)}
    assert (restored.halt_reason, restored.fills_rebuilt) == (None, 2_000)
    assert figures(positions, walls) == figures(reference, walls)
    assert len(positions.holdings()) == 7
    assert positions.realised_total != 0
    # every restored fill is remembered as booked: the venue listing it again adds nothing
    assert not any(positions.book(fill, at) for fill, at in recorded)
    assert figures(positions, walls) == figures(reference, walls)


GOOD = {
    "fill_id": "f-bad",
    "client_order_id": "c-bad",
    "ticker": "KX-A",
    "side": "yes",
    "action": "buy",
    "price": "0.4000",
    "count": "2.00",
    "fee": "0.0100",
    "payout": "1.0000",
    "recorded_at": WALL,
}


def _insert_unchecked(db: Path, row: dict[str, object]) -> int:
    """Write ``row`` into fills as a corrupting hand or disk would: past the CHECKs."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        names = ", ".join(row)
        cursor = conn.execute(
            f"INSERT INTO fills ({names}) VALUES ({', '.join('?' * len(row))})",  # noqa: S608 - fixed names
            tuple(row.values()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("price", b"0.4000"),  # a blob where text belongs (a number would become text)
        ("price", "4e-1"),
        ("price", "1.5000"),  # not below the payout
        ("count", "0.00"),
        ("count", "2.005"),  # finer than a contract's hundredth
        ("fee", "-0.0100"),
        ("payout", "0.0000"),
        ("side", "maybe"),
        ("action", "hold"),
        ("ticker", "KX A"),
        ("client_order_id", b"c-bad"),
        ("fill_id", ""),
        ("recorded_at", "soon"),
    ],
)
def test_a_corrupt_fill_row_fails_closed_naming_its_row_and_column(
    tmp_path: Path, column: str, value: object
) -> None:
    db = tmp_path / "ledger.db"
    write_fills(db, 120, markets=2)
    rowid = _insert_unchecked(db, {**GOOD, column: value})
    write_fills_after = {**GOOD, "fill_id": "f-after", "client_order_id": "c-after"}
    _insert_unchecked(db, write_fills_after)  # a good row after it: reading stops at the bad one
    with pytest.raises(LedgerSerializationError) as caught:
        recorded_fill_rows(db)
    with pytest.raises(LedgerSerializationError) as caught_as_records:
        recorded_fills(db)
    assert str(caught_as_records.value) == str(caught.value)
    error = caught.value
    assert isinstance(error, LedgerError)
    assert f"fills row {rowid} (fill_id {GOOD['fill_id'] if column != 'fill_id' else ''!r})" in (
        str(error)
    )
    assert error.field == column
    assert error.operation == "read fills"


def test_risk_restored_from_a_corrupt_ledger_starts_halted_naming_the_row(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    write_fills(db, 60, markets=2)
    rowid = _insert_unchecked(db, {**GOOD, "count": "-2.00"})
    with risk_tree(
        WIDE, recorded_fills=lambda: [(r.fill, r.recorded_at) for r in recorded_fills(db)]
    ) as risk:
        risk.reconcile()
        summary = risk.summary()
        assert summary.halted is True
        assert str(summary.halt_reason).startswith("recorded fills unknown: fills row")
        assert f"row {rowid} (fill_id 'f-bad')" in str(summary.halt_reason)
        answer = risk.reserve("opp-1")
        assert getattr(answer, "reason", None) is RejectReason.HALTED


def test_a_restore_from_the_rows_of_a_corrupt_ledger_starts_halted_naming_the_row(
    tmp_path: Path,
) -> None:
    db = tmp_path / "ledger.db"
    write_fills(db, 60, markets=2)
    rowid = _insert_unchecked(db, {**GOOD, "price": "0.40"})  # not 4 decimals: still a price
    bad = _insert_unchecked(db, {**GOOD, "fill_id": "f-worse", "fee": "0.01x"})
    positions = PositionBook()
    restored = restore(
        LedgerSources(recorded_fill_rows=lambda: recorded_fill_rows(db)),
        actor="risk",
        events=EventMap(),
        positions=positions,
        leftovers=Leftovers(),
        wall=lambda: WALL,
    )
    assert restored.fills_rebuilt == 0
    assert str(restored.halt_reason).startswith(
        f"recorded fills unknown: fills row {bad} (fill_id 'f-worse'): cannot decode Fill"
    )
    assert rowid == bad - 1  # the row before it was read: "0.40" is a good price
    assert positions.holdings() == {}  # nothing booked from a ledger that cannot be read
