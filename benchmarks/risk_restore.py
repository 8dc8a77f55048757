"""Risk's start from a long history: rebuilding its books from a 100,000-fill ledger.

    python benchmarks/risk_restore.py [--fills 100000] [--markets 300] [--days 5] [--runs 3]
                                      [--ledger PATH]

The ledger is a real SQLite file built by the persistence layer's own write path:
``--fills`` fills (``FillRecorded``, 1,000 per Record, through :meth:`Ledger.write`)
spread over ``--markets`` markets and ``--days`` UTC days of the writer's wall clock,
buys and sells of both sides at sub-penny prices, fractional counts and fees, drawn
from a seeded generator so every sale sells what is held. ``--ledger PATH`` keeps the
file (built once if missing) for later runs.

Each run then times, on that file:

- ``baseline``: bare ``sqlite3``, the same rows ``SELECT``-ed into tuples (what no
  reader can beat: the ratio of the other figures to it holds on a noisy machine);
- ``read``: :func:`actors.persistence.recorded_fills` (the rows decoded into exact
  ``Decimal`` :class:`~actors.domain.Fill` values, checked);
- ``restore``: risk's start as the actor runs it (``RiskActor.on_start`` calls
  :func:`actors.risk._recovery.restore`) with ``warden.wiring``'s ``recorded_fills``
  lambda, reading included: the part of restart-to-ready that grows with the ledger;
- ``book``: the booking alone (the fills read beforehand);
- ``before``: what risk's start did before the bulk paths, for a ratio in the same
  run: each row decoded through the strict cattrs converter, each fill booked with
  :meth:`PositionBook.book`;
- ``read rows`` / ``restore rows``: the same through
  :func:`actors.persistence._recovery.recorded_fill_rows` (plain values, no object per
  fill), the source the daemon's wiring passes as ``recorded_fill_rows``.

Wall and CPU (``time.process_time``) seconds are printed, with ratios to the baseline
of the same run: on a loaded 2-core machine the CPU figures are the steadier.

It checks the restored books against a reference rebuilt the per-fill way
(:meth:`PositionBook.book` for each fill, in order): positions, cost basis,
realised P&L per UTC day and in total, every fill remembered.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from loguru import logger

from actors.domain import Action, Fill, Side
from actors.messages import FillRecorded
from actors.persistence import Ledger, recorded_fills
from actors.persistence._codec import structure_row
from actors.persistence._recovery import recorded_fill_rows
from actors.persistence._rows import FILL_COLUMNS
from actors.risk._exposure import EventMap
from actors.risk._positions import PositionBook
from actors.risk._recovery import LedgerSources, Leftovers, restore
from actors.risk._seen import fingerprint

DAY = 86_400.0
PER_RECORD = 1_000
START = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC).timestamp()


def synthetic_fills(count: int, markets: int, seed: int = 15) -> Iterator[Fill]:
    """``count`` fills over ``markets`` markets; a sale never sells more than is held."""
    rng = random.Random(seed)
    held: dict[tuple[str, Side], Decimal] = {}
    for n in range(count):
        ticker = f"KX-BENCH-{rng.randrange(markets):04d}"
        side = Side.YES if rng.random() < 0.5 else Side.NO
        count_ = Decimal(rng.randrange(1, 2_000)).scaleb(-2)  # 0.01 .. 19.99
        have = held.get((ticker, side), Decimal(0))
        action = Action.SELL if have > 0 and rng.random() < 0.35 else Action.BUY
        if action is Action.SELL:
            count_ = min(count_, have)
        held[(ticker, side)] = have + (count_ if action is Action.BUY else -count_)
        price = Decimal(rng.randrange(1, 10_000)).scaleb(-4)  # 0.0001 .. 0.9999
        fee = Decimal(rng.randrange(0, 500)).scaleb(-4)
        yield Fill(f"f-{n}", f"c-{n // 3}", ticker, side, action, price, count_, fee=fee)


def build_ledger(path: Path, count: int, markets: int, days: int) -> float:
    """Write the fills to ``path`` through :meth:`Ledger.write`; seconds it took."""
    records = -(-count // PER_RECORD)
    step = days * DAY / records
    now = START

    def wall() -> float:
        return now

    began = time.perf_counter()
    fills = synthetic_fills(count, markets)
    with Ledger.open(path, wall=wall, intent_sync="NORMAL") as ledger:
        for record in range(records):
            batch = [FillRecorded(f) for _, f in zip(range(PER_RECORD), fills, strict=False)]
            ledger.write(f"fills-{record}", batch)
            now += step
    return time.perf_counter() - began


def bare_rows(path: Path) -> list[tuple[object, ...]]:
    """The fill rows as plain tuples, with nothing decoded or checked."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT fill_id, client_order_id, ticker, side, action, price, count, fee, payout,"
            " recorded_at FROM fills ORDER BY rowid"
        ).fetchall()
    finally:
        conn.close()


def strict_fills(path: Path) -> list[tuple[Fill, float]]:
    """The fills as the per-row decoder reads them (each row through the strict cattrs
    converter, :func:`actors.persistence._codec.structure_row`): the reference."""
    return [
        (structure_row(dict(zip(FILL_COLUMNS, row[:9], strict=True)), Fill, operation="x"), at)
        for row in bare_rows(path)
        if isinstance(at := row[9], float)
    ]


def restore_as_the_actor_does(path: Path, *, rows: bool = True) -> tuple[PositionBook, int]:
    """``RiskActor.on_start``'s restore with the daemon's fills source: ``rows``, the
    proposed wiring (``recorded_fill_rows=lambda: recorded_fill_rows(db)``), else the
    wiring of today (``recorded_fills=lambda: [(r.fill, r.recorded_at) for r in
    recorded_fills(db)]``)."""
    positions = PositionBook()
    sources = (
        LedgerSources(recorded_fill_rows=lambda: recorded_fill_rows(path))
        if rows
        else LedgerSources(
            recorded_fills=lambda: [(r.fill, r.recorded_at) for r in recorded_fills(path)]
        )
    )
    restored = restore(
        sources,
        actor="risk",
        events=EventMap(),
        positions=positions,
        leftovers=Leftovers(),
        wall=time.time,
    )
    if restored.halt_reason is not None:
        raise SystemExit(f"restore halted: {restored.halt_reason}")
    return positions, restored.fills_rebuilt


def book_only(fills: list[tuple[Fill, float]]) -> PositionBook:
    positions = PositionBook()
    restored = restore(
        LedgerSources(recorded_fills=lambda: fills),
        actor="risk",
        events=EventMap(),
        positions=positions,
        leftovers=Leftovers(),
        wall=time.time,
    )
    if restored.halt_reason is not None:
        raise SystemExit(f"restore halted: {restored.halt_reason}")
    return positions


def per_fill_reference(fills: list[tuple[Fill, float]]) -> PositionBook:
    """Each fill booked on its own, in order: the books every faster path must equal."""
    positions = PositionBook()
    for fill, at in fills:
        positions.book(fill, at)
    return positions


def check_same(got: PositionBook, want: PositionBook, fills: list[tuple[Fill, float]]) -> None:
    days = sorted({datetime.datetime.fromtimestamp(at, tz=datetime.UTC) for _, at in fills})
    noons = [d.replace(hour=12, minute=0, second=0, microsecond=0).timestamp() for d in days]
    mine, theirs = got.holdings(), want.holdings()
    problems = []
    if mine != theirs:
        problems.append("holdings differ")
    if got.realised_total != want.realised_total:
        problems.append(f"realised total {got.realised_total} != {want.realised_total}")
    for noon in noons:
        if got.realised_today(noon) != want.realised_today(noon):
            problems.append(f"realised on {got.day} differs")
    if not all(fingerprint(f.fill_id, f.client_order_id) in got._seen for f, _ in fills):
        problems.append("a restored fill is not remembered as booked")
    if problems:
        raise SystemExit(
            "restored books differ from the per-fill reference: " + "; ".join(problems)
        )


@contextmanager
def timed(wall: list[float], cpu: list[float]) -> Iterator[None]:
    began, began_cpu = time.perf_counter(), time.process_time()
    yield
    wall.append(time.perf_counter() - began)
    cpu.append(time.process_time() - began_cpu)


def line(
    name: str, wall: list[float], base: list[float], cpu: list[float], cpu_base: list[float]
) -> str:
    median, cpu_median = statistics.median(wall), statistics.median(cpu)
    ratio = median / statistics.median(base)
    cpu_ratio = cpu_median / statistics.median(cpu_base)
    runs = ", ".join(f"{f:.3f}" for f in wall)
    return (
        f"{name:9} median {median:6.3f} s ({ratio:4.1f}x baseline), CPU {cpu_median:6.3f} s"
        f" ({cpu_ratio:4.1f}x); runs {runs}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--fills", type=int, default=100_000)
    parser.add_argument("--markets", type=int, default=300)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ledger", type=Path, default=None, help="keep (or reuse) this file")
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")

    with tempfile.TemporaryDirectory() as tmp:
        path = args.ledger or Path(tmp) / "ledger.sqlite"
        if not path.exists():
            took = build_ledger(path, args.fills, args.markets, args.days)
            print(f"built {path}: {args.fills} fills in {took:.1f} s through Ledger.write")
        rows = bare_rows(path)
        days = {datetime.datetime.fromtimestamp(float(r[9]), tz=datetime.UTC).date() for r in rows}  # type: ignore[arg-type]
        sells = sum(1 for r in rows if r[4] == "sell")
        print(
            f"ledger: {len(rows)} fills, {len({r[2] for r in rows})} markets, {len(days)} UTC days,"
            f" {sells} sells"
        )
        phases: list[tuple[str, Callable[[], object]]] = [
            ("baseline", lambda: bare_rows(path)),
            ("before", lambda: per_fill_reference(strict_fills(path))),
            ("read", lambda: recorded_fills(path)),
            ("read rows", lambda: recorded_fill_rows(path)),
            ("restore", lambda: restore_as_the_actor_does(path, rows=False)),
            ("restore rows", lambda: restore_as_the_actor_does(path)),
        ]
        figures: dict[str, list[float]] = {name: [] for name, _ in phases}
        figures["book"] = []
        cpu: dict[str, list[float]] = {name: [] for name in figures}
        for _ in range(args.runs):
            for name, run in phases:
                with timed(figures[name], cpu[name]):
                    run()
            fills = [(r.fill, r.recorded_at) for r in recorded_fills(path)]
            with timed(figures["book"], cpu["book"]):
                book_only(fills)
            del fills
        for name, values in figures.items():
            print(line(name, values, figures["baseline"], cpu[name], cpu["baseline"]))
        fills = strict_fills(path)
        if fills != [(r.fill, r.recorded_at) for r in recorded_fills(path)]:
            raise SystemExit("recorded_fills differs from the strict per-row decode")
        if list(recorded_fill_rows(path)) != [f.recorded_row(at) for f, at in fills]:
            raise SystemExit("recorded_fill_rows differs from the strict per-row decode")
        reference = per_fill_reference(fills)
        restored, rebuilt = restore_as_the_actor_does(path, rows=False)
        check_same(restored, reference, fills)
        restored, rebuilt = restore_as_the_actor_does(path)
        check_same(restored, reference, fills)
        print(
            f"checked: {rebuilt} fills read as the strict per-row decode reads them; books"
            " equal to booking each with PositionBook.book"
        )


if __name__ == "__main__":
    main()
