"""Feed ingest, gated, comparable across commits.

    PYTHONPATH=/tmp/wt-X python benchmarks/ingest_compare.py /tmp/wt-X [DELTAS] [RUNS]

Run it with ``PYTHONPATH`` pointing at a worktree of any commit since integer
cents (it imports that commit's feed, strategy and venue; only the frame type's
home moved). The feed is held while ``DELTAS`` deltas are queued in its mailbox,
then released: the rate is deltas / time to drain them through the feed and the
strategy, and the feed's CPU time per frame is its thread's ``thread_time``. No
sending thread competes for the interpreter, so the figure is the feed's and the
strategy's own cost; ``benchmarks/pipeline.py`` also measures ingest with a sending
thread, closer to a live feed but spread widely on a 2-core VM. Prints one line:
the worktree, each run's deltas/s and the feed's µs per frame.
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from loguru import logger

from actors.domain import Side
from actors.feed import FeedActor, FeedStatus
from actors.feed._connection import FramesRead
from actors.fees import FeeModel
from actors.strategy import ComplementArbitrage, StrategyActor
from supervision import ChildSpec, SupervisionTree, SupervisorSpec, TreeThread
from warden.config import parse_config
from warden.wiring import VenueUrls, feed_config

try:  # the frame's home: actors.venues since the venue seam, actors.feed before
    from actors.venues import Delta
except ImportError:
    from actors.feed._protocol import Delta  # type: ignore[no-redef,import-not-found]

sys.path.insert(0, str(Path(sys.argv[1] if len(sys.argv) > 1 else ".") / "benchmarks"))
import pipeline

CPU: list[float] = []
EXACT_MONEY = "Decimal" in str(Delta.__annotations__["change"])


class Gate:
    def __init__(self) -> None:
        self.opened = threading.Event()


class GatedFeed(FeedActor):
    frames = 0
    _counted = -(10**9)
    _cpu_at = 0.0

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Gate):
            message.opened.wait(60)
            self._counted, self._cpu_at = 0, time.thread_time()
            return None
        answer = super().on_receive(message)
        if isinstance(message, FramesRead):
            self._counted += len(message.frames)
            if self._counted == GatedFeed.frames:
                CPU.append((time.thread_time() - self._cpu_at) / self._counted * 1e6)
        return answer


def _strategy() -> StrategyActor:
    """The strategy as the commit under test builds it (before the strategy interface
    of issue 12 it took one strategy and no fee schedule)."""
    if "schedule" in inspect.signature(StrategyActor.__init__).parameters:
        return StrategyActor([ComplementArbitrage()], schedule=FeeModel().schedule)
    return StrategyActor(ComplementArbitrage())  # type: ignore[arg-type,call-arg]


def run(deltas: int) -> float:
    venue = pipeline.VenueHost(markets=2)
    config = parse_config({"feed": {"stale_after_s": 60.0, "silence_timeout_s": 60.0}})
    urls = VenueUrls.from_base(venue.url)
    spec = SupervisorSpec(
        name="ingest",
        children=(
            ChildSpec(name="risk", factory=pipeline.Sink),
            ChildSpec(name="strategy", factory=_strategy),
            ChildSpec(name="feed", factory=lambda: GatedFeed(feed_config(config, urls))),
        ),
    )
    host = TreeThread(SupervisionTree(spec)).start()
    tree = host.tree
    try:
        pipeline.wait_until(lambda: pipeline._live(tree))
        feed = tree.snapshot().status_of("feed", FeedStatus)
        market = pipeline._market(tree)
        assert feed is not None
        assert market is not None
        sid, seq = market.sid, market.seq
        assert sid is not None
        assert seq is not None
        price = venue.call(venue.sim.engine.book, pipeline.TICKER).levels("yes")[0][0]
        one: Any = Decimal(1) if EXACT_MONEY else 1
        frames = [
            FramesRead(
                feed.connection.number,
                [Delta(sid, seq + i, pipeline.TICKER, Side.YES, price, one if i % 2 else -one)],
                time.monotonic(),
            )
            for i in range(1, deltas + 1)
        ]
        GatedFeed.frames = deltas
        gate = Gate()
        tree.tell("feed", gate)
        for frame in frames:
            tree.tell("feed", frame)
        started = time.perf_counter()
        gate.opened.set()
        pipeline.wait_until(
            lambda: (m := pipeline._market(tree)) is not None and m.seq == seq + deltas,
            timeout=120,
        )
        return deltas / (time.perf_counter() - started)
    finally:
        host.stop()
        venue.stop()


def main() -> None:
    logger.remove()
    deltas = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    rates = [run(deltas) for _ in range(runs)]
    print(
        sys.argv[1] if len(sys.argv) > 1 else ".",
        " ".join(f"{rate / 1000:.1f}k" for rate in rates),
        "deltas/s; feed µs/frame",
        " ".join(f"{cpu:.2f}" for cpu in CPU),
    )


if __name__ == "__main__":
    main()
