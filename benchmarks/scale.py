"""Many markets in one process: the feed against a synthetic Kalshi stream (issue 15).

    python benchmarks/scale.py [--markets 100,1000,5000] [--rate 20000] [--seconds 10]
                               [--process [--workers N]] [--no-bare]

For each market count N, a synthetic venue on 127.0.0.1 speaks Kalshi's
market-data wire (``subscribed``, ``orderbook_snapshot``, ``orderbook_delta``
with ``ts_ms``, ``get_snapshot`` resyncs) and sends ``--rate`` deltas a second
spread over the N markets (0 = as fast as it can). The real feed actor, under a
supervision tree, subscribes to every market (one subscription each, as it
does with Kalshi) and hands books to a consumer that acknowledges at once.
Printed per N, after the feed reported every market live (or the settle
deadline passed):

- ``offered``: deltas/s the venue sent in the window; ``delivered``: deltas/s
  the feed accepted into books (its ``books_accepted`` counter);
- ``to consumer``: books/s handed to the consumer (after conflation);
- ``cpu``: the process's CPU time over the window (100% = one core); with
  ``--process`` (the feed in a worker process, :class:`~actors.feed.FeedProcessActor`)
  ``worker`` is the worker's (with ``--workers N``, the sum of the N workers', each
  following a shard of the markets on its own connection), ``cpu`` what is left in
  the daemon's process; ``rss``;
- ``live``: markets the feed had live at the end, of N; ``fresh``: of those, the
  ones not stale (confirmed current within ``stale_after_s`` by venue time);
  ``lag``: how far behind the venue's ``ts_ms`` the last delta read was (the
  feed's measured stream lag, :mod:`actors.feed._venue_time`);
- ``bare``: the same stream read by a bare trio websocket client that decodes
  each frame with ``json.loads`` and hands it to a consumer thread through a
  ``queue.Queue`` -- what decoding and one hand-off cost without warden.

Detect-to-order under load: benchmarks/order_load.py. Loopback only; every server stops by itself.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import queue
import resource
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import trio
from loguru import logger
from trio_websocket import open_websocket_url

from actors.feed import FeedActor, FeedConfig, FeedProcessActor, FeedStatus
from actors.messages import BookConsumed, BookStale, BookUpdate, EventsListed
from supervision import (
    ChildSpec,
    SupervisedActor,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
)
from warden.venue.synthetic import SyntheticKalshi, synthetic_tickers


class AckingSink(SupervisedActor):
    """Stands in for the strategy: acknowledges every book at once."""

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {BookUpdate: self._ack, BookStale: _ignore, EventsListed: _ignore}

    def _ack(self, update: BookUpdate) -> None:
        self.send("feed", BookConsumed(update.ticker, update.book.seq))


def _ignore(_message: object) -> None:
    pass


def _rss_mb() -> float:
    statm = Path(f"/proc/{os.getpid()}/statm").read_text()
    return int(statm.split()[1]) * resource.getpagesize() / 2**20


def _worker_cpu_s() -> float:
    """CPU seconds of the feed's worker process (``--process``), 0 without one."""
    total = 0.0
    for child in multiprocessing.active_children():
        if child.name.endswith("-worker") and child.pid is not None:
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def warden_run(
    markets: int, rate: float, seconds: float, *, process: bool = False, workers: int = 1
) -> dict[str, float]:
    venue = SyntheticKalshi(rate).start()
    settings: dict[str, Any] = {
        "ws_url": venue.url,
        "rest_url": "http://127.0.0.1:9/unused",
        "tickers": synthetic_tickers(markets),
        "stale_after_s": 5.0,  # the daemon's default: fresh means fresh by venue time
        "subscribe_timeout_s": 10.0,
    }
    recipe = functools.partial(FeedConfig, **settings)

    def feed() -> SupervisedActor:
        return FeedProcessActor(recipe, workers=workers) if process else FeedActor(recipe())

    spec = SupervisorSpec(
        name="scale",
        children=(
            ChildSpec(name="strategy", factory=AckingSink),
            ChildSpec(name="feed", factory=feed),
        ),
    )
    host = TreeThread(SupervisionTree(spec)).start()
    try:
        settle_until = time.monotonic() + max(30.0, markets / 100)
        status = _feed_status(host.tree)
        while time.monotonic() < settle_until:
            status = _feed_status(host.tree)
            if status is not None and _live(status) == markets:
                break
            time.sleep(0.2)
        before, sent_before = _answered(host.tree), venue.sent
        cpu_before, wall_before = time.process_time(), time.monotonic()
        worker_before = _worker_cpu_s()
        time.sleep(seconds)
        sent_after, cpu_after, wall_after = venue.sent, time.process_time(), time.monotonic()
        worker_after = _worker_cpu_s()
        after = _answered(host.tree)
        elapsed = wall_after - wall_before
        accepted = after.counts.books_accepted - before.counts.books_accepted
        return {
            "offered": (sent_after - sent_before) / elapsed,
            "delivered": accepted / elapsed,
            "cpu": (cpu_after - cpu_before) / elapsed * 100,
            "worker_cpu": (worker_after - worker_before) / elapsed * 100,
            "consumed": (after.updates.sent - before.updates.sent) / elapsed,
            "rss": _rss_mb(),
            "live": _live(after),
            "fresh": sum(1 for market in after.markets.values() if not market.stale),
            "lag": after.venue_lag_s or 0.0,
        }
    finally:
        host.stop()
        venue.stop()


def _feed_status(tree: SupervisionTree) -> FeedStatus | None:
    return tree.snapshot().status_of("feed", FeedStatus)


def _answered(tree: SupervisionTree) -> FeedStatus:
    """The feed's status, asked again until it answers (a feed flat out may let one
    summary request time out)."""
    deadline = time.monotonic() + 30.0
    while (status := _feed_status(tree)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the feed answered no status request for 30 s")
        time.sleep(0.05)
    return status


def _live(status: FeedStatus) -> int:
    return sum(1 for market in status.markets.values() if market.phase == "live")


def bare_run(markets: int, rate: float, seconds: float) -> float:
    """Deltas/s a bare client decodes and hands to a consumer thread (no warden)."""
    venue = SyntheticKalshi(rate).start()
    handed: queue.Queue[Any] = queue.Queue()
    consumed = [0]

    def consume() -> None:
        while handed.get() is not None:
            consumed[0] += 1

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()

    async def client() -> None:
        async with open_websocket_url(venue.url) as ws:
            for i, ticker in enumerate(synthetic_tickers(markets)):
                params = {"channels": ["orderbook_delta"], "market_tickers": [ticker]}
                command = {"id": i + 1, "cmd": "subscribe", "params": params}
                await ws.send_message(json.dumps(command))
            with trio.move_on_after(seconds + 2):
                while True:
                    message = await ws.get_message()
                    try:
                        handed.put(json.loads(message))
                    except ValueError:
                        print(f"bare client: not JSON: {message[:300]!r}", file=sys.stderr)
                        raise

    thread = threading.Thread(target=trio.run, args=(client,), daemon=True)
    thread.start()
    time.sleep(2)  # subscribed and flowing
    start_count, started = consumed[0], time.monotonic()
    time.sleep(seconds)
    rate_seen = (consumed[0] - start_count) / (time.monotonic() - started)
    thread.join(10)
    handed.put(None)
    venue.stop()
    return rate_seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", default="100,1000,5000")
    parser.add_argument("--rate", type=float, default=20_000.0, help="deltas/s; 0: flat out")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--process", action="store_true", help="the feed in its own process (FeedProcessActor)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="with --process: worker processes (shards)"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare baseline")
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level=os.environ.get("SCALE_LOG_LEVEL", "ERROR"))
    where = f"in {args.workers} worker process(es)" if args.process else "in process"
    print(f"offered rate {args.rate:.0f}/s, window {args.seconds:.0f}s, feed {where}")
    for markets in (int(n) for n in args.markets.split(",")):
        figures = warden_run(
            markets, args.rate, args.seconds, process=args.process, workers=args.workers
        )
        bare = 0.0 if args.no_bare else bare_run(markets, args.rate, args.seconds)
        worker = f" worker {figures['worker_cpu']:5.1f}%" if args.process else ""
        print(
            f"N={markets:5d}  offered {figures['offered']:8.0f}/s  delivered"
            f" {figures['delivered']:8.0f}/s  to consumer {figures['consumed']:7.0f}/s"
            f"  cpu {figures['cpu']:5.1f}%{worker}"
            f"  rss {figures['rss']:6.1f} MB  live {figures['live']:.0f}/{markets}"
            f"  fresh {figures['fresh']:.0f}  lag {figures['lag']:.2f}s"
            f"  | bare {bare:8.0f}/s",
            flush=True,
        )


if __name__ == "__main__":
    main()
