"""The order path's floor on this machine right now: what it costs without warden.

    python benchmarks/order_floor.py [--rounds 60] [--dir DIR]

warden's detect-to-order path is six thread hand-offs (feed -> strategy -> risk ->
execution -> persistence -> execution -> the venue client's loop) and one durable
SQLite commit (the intents Record: WAL mode, ``synchronous = FULL``). This script
times that skeleton with nothing of warden in it, so a figure from
``order_load.py`` can be read against the machine it ran on (this VM's speed moves
~2x within the hour, its disk's fsync too):

- ``fsync``: one 4 KB page overwritten and ``fdatasync``-ed, in ``--dir`` (the
  ledger's file system), p50;
- ``commit``: one WAL transaction of ``STATEMENTS`` small INSERTs committed with
  ``synchronous = FULL`` in that directory, p50;
- ``floor``: a token through ``HOPS`` threads joined by ``queue.Queue``, the
  ``WRITER_HOP``-th of which makes that commit before passing it on, p50.

Each figure is the p50 of ``--rounds`` rounds after a few warm-up ones. It costs
well under a second; ``order_load.py`` measures it before each run, in that run's
directory, with nothing else running.
"""

from __future__ import annotations

import argparse
import os
import queue
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

HOPS = 6
"""Thread hand-offs from the feed taking a frame to ``create_order``."""

WRITER_HOP = 4
"""The hop that writes (persistence), counted from 1."""

STATEMENTS = 10
"""INSERTs in the floor's commit: the intents Record runs about a dozen statements."""

WARMUP = 5


def _p50(action: Callable[[], object], rounds: int, pause_s: float = 0.0) -> float:
    """Seconds: p50 of ``action`` over ``rounds`` calls after ``WARMUP`` more, with
    ``pause_s`` of sleep (not timed) after each."""
    samples = []
    for n in range(WARMUP + rounds):
        began = time.perf_counter()
        action()
        if n >= WARMUP:
            samples.append(time.perf_counter() - began)
        if pause_s:
            time.sleep(pause_s)
    return statistics.median(samples)


def fsync_p50(directory: Path, rounds: int) -> float:
    """Seconds: p50 of overwriting one 4 KB page of a file in ``directory`` and
    ``fdatasync``-ing it."""
    path = directory / "fsync-probe"
    page = os.urandom(4096)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def overwrite() -> None:
        os.pwrite(fd, page, 0)
        os.fdatasync(fd)

    try:
        os.pwrite(fd, page, 0)
        os.fsync(fd)
        return _p50(overwrite, rounds)
    finally:
        os.close(fd)
        path.unlink()


class _Writer:
    """One SQLite WAL database in ``directory``; :meth:`commit` writes one durable
    transaction of ``STATEMENTS`` INSERTs."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "floor.db"
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute(
            "CREATE TABLE rows (id INTEGER PRIMARY KEY, key TEXT UNIQUE, a TEXT, b TEXT, c REAL)"
        )
        self.serial = 0

    def commit(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        for _ in range(STATEMENTS):
            self.serial += 1
            self.conn.execute(
                "INSERT INTO rows (key, a, b, c) VALUES (?, ?, ?, ?)",
                (f"order-{self.serial}", "0.4200", "5.00", time.time()),
            )
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def floor_p50(writer: _Writer, rounds: int) -> float:
    """Seconds: p50 of a token's trip through ``HOPS`` threads joined by queues, the
    ``WRITER_HOP``-th committing with ``writer`` on the way."""
    queues: list[queue.Queue[float | None]] = [queue.Queue() for _ in range(HOPS + 1)]

    def hop(index: int) -> None:
        inbox, outbox = queues[index], queues[index + 1]
        while True:
            token = inbox.get()
            if token is not None and index + 1 == WRITER_HOP:
                writer.commit()
            outbox.put(token)
            if token is None:
                return

    threads = [
        threading.Thread(target=hop, args=(i,), name=f"floor-hop-{i}", daemon=True)
        for i in range(HOPS)
    ]
    for thread in threads:
        thread.start()

    def trip() -> None:
        queues[0].put(0.0)
        queues[-1].get(timeout=10)

    try:  # each trip starts from idle threads, as a quiet round does
        return _p50(trip, rounds, pause_s=0.002)
    finally:
        queues[0].put(None)
        for thread in threads:
            thread.join(10)


def measure(directory: Path, rounds: int = 60) -> dict[str, float]:
    """``fsync``, ``commit`` and ``floor`` (seconds, p50 each) in ``directory``."""
    writer = _Writer(directory)
    try:
        return {
            "fsync": fsync_p50(directory, rounds),
            "commit": _p50(writer.commit, rounds),
            "floor": floor_p50(writer, rounds),
        }
    finally:
        writer.close()


def describe(figures: dict[str, float]) -> str:
    return (
        f"floor {figures['floor'] * 1e3:.2f} ms (commit {figures['commit'] * 1e3:.2f},"
        f" fsync {figures['fsync'] * 1e3:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--dir", type=Path, default=None, help="default: a new temporary one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        print(describe(measure(Path(tmp), args.rounds)))


if __name__ == "__main__":
    main()
