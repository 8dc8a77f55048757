"""Benchmark: tick-to-order latency and feed ingest of the real pipeline, in one run.

    python benchmarks/pipeline.py [--opportunities N] [--deltas N] [--wire]

1. Raw pykka hop (baseline): one-way latency of a ``tell`` between two bare
   pykka actors, measured in the same run.
2. Tick-to-order: the five real actors (persistence on a real SQLite file,
   risk, execution, strategy, feed) against the simulated venue on loopback.
   The benchmark makes the venue's house account post an arbitrage (a YES bid
   and a NO bid that overlap by $0.04); the clock starts when the feed actor
   receives the websocket frame that completes the overlap and stops when the
   execution actor's venue client starts the first ``create_order`` request.
   Execution paces orders at 1,000/s here, not the daemon's 20/s: rounds back
   to back would otherwise wait for pacing tokens after that stamp (~20 ms,
   left out of every figure before 2026-12-03).
   Venue I/O is excluded; the ledger write of the order intents (SQLite,
   synchronous=FULL, durable before any send) is included, because it is on
   the path by design.
3. Feed ingest: contiguous deltas injected into the feed actor's mailbox as
   fast as one thread can tell them, flowing through the feed and the real
   strategy with conflation; reports deltas/s and the largest mailbox depth
   seen at the feed and at the strategy (conflation should keep the latter
   at most one per market).
4. With ``--wire``: the same ingest with the sending thread parsing each delta
   from Kalshi's wire text with the Kalshi adapter's parser (what the feed's
   network thread does), and the cost of signing one Kalshi request.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pykka
import trio
from cryptography.hazmat.primitives.asymmetric import rsa
from loguru import logger

import actors.venues.kalshi._client as kalshi_client
from actors.domain import Side
from actors.feed import FeedActor, FeedStatus, MarketFeedStatus
from actors.feed._connection import FramesRead
from actors.money import format_price
from actors.risk import RiskStatus
from actors.venues import Delta, PriceGrids
from actors.venues.kalshi import KALSHI_MARKET_DATA
from actors.venues.kalshi._signing import KalshiSigner
from supervision import ChildSpec, SupervisedActor, SupervisionTree, SupervisorSpec, TreeThread
from warden.config import parse_config
from warden.daemon import tree_spec
from warden.venue import DynamicsConfig, VenueConfig, open_venue
from warden.wiring import VenueUrls, feed_config

TICKER = "SIM-001"


# -- instrumentation ------------------------------------------------------------------

FRAME_STAMPS: list[float] = []  # when the feed actor took each delta frame
ORDER_STAMPS: list[float] = []  # when execution's client began each create_order


class StampedFeed(FeedActor):
    def on_receive(self, message: Any) -> Any:
        if isinstance(message, FramesRead) and any(type(f) is Delta for f in message.frames):
            FRAME_STAMPS.append(time.perf_counter())
        return super().on_receive(message)


_original_create_order = kalshi_client.KalshiClient.create_order


async def _stamped_create_order(self: Any, intent: Any, **kwargs: Any) -> Any:
    ORDER_STAMPS.append(time.perf_counter())
    return await _original_create_order(self, intent, **kwargs)


kalshi_client.KalshiClient.create_order = _stamped_create_order  # type: ignore[method-assign]


# -- helpers --------------------------------------------------------------------------


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _market(tree: SupervisionTree) -> MarketFeedStatus | None:
    """The feed's status of ``TICKER`` now; None before the feed publishes it."""
    feed = tree.snapshot().status_of("feed", FeedStatus)
    return feed.markets[TICKER] if feed is not None and TICKER in feed.markets else None


def _live(tree: SupervisionTree) -> bool:
    market = _market(tree)
    return market is not None and market.phase == "live"


def _risk(tree: SupervisionTree) -> RiskStatus | None:
    return tree.snapshot().status_of("risk", RiskStatus)


def wait_until(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not _holds(predicate):
        if time.monotonic() > deadline:
            raise TimeoutError(f"benchmark condition not met within {timeout}s")
        time.sleep(0.001)


def _holds(predicate: Any) -> bool:
    try:
        return bool(predicate())
    except (KeyError, TypeError):  # not there yet (e.g. a market not subscribed so far)
        return False


class VenueHost:
    """The simulated venue on loopback in its own trio thread, markets frozen."""

    def __init__(self, markets: int) -> None:
        self.config = VenueConfig(
            port=0, seed=3, markets=markets, dynamics=DynamicsConfig(tick_seconds=0)
        )
        self.ready = threading.Event()
        self.sim: Any = None
        self.url = ""
        self._stop: trio.Event | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        threading.Thread(target=trio.run, args=(self._serve,), daemon=True).start()
        self.ready.wait(10)

    async def _serve(self) -> None:
        async with open_venue(self.config) as server:
            self.sim, self.url = server.sim, server.url
            self._stop, self._token = trio.Event(), trio.lowlevel.current_trio_token()
            self.ready.set()
            await self._stop.wait()

    def call(self, fn: Any, *args: Any) -> Any:
        return trio.from_thread.run_sync(fn, *args, trio_token=self._token)

    def stop(self) -> None:
        if self._stop is not None:
            self.call(self._stop.set)


class PykkaHop(pykka.ThreadingActor):
    use_daemon_thread = True

    def __init__(self, samples: list[float], done: threading.Event, n: int) -> None:
        super().__init__()
        self.samples, self.done, self.n = samples, done, n

    def on_receive(self, sent_at: float) -> None:
        self.samples.append(time.perf_counter() - sent_at)
        if len(self.samples) >= self.n:
            self.done.set()


def pykka_hops(n: int) -> list[float]:
    samples: list[float] = []
    done = threading.Event()
    ref = PykkaHop.start(samples, done, n)
    for _ in range(n):
        ref.tell(time.perf_counter())
        time.sleep(0.0002)  # one message in flight at a time, like a market tick
    done.wait(30)
    ref.stop()
    return samples


# -- the floor: the same hops with bare parts -------------------------------------------


class BareStage(pykka.ThreadingActor):
    """One stage of the floor: optional ``work``, then a tell to the next stage."""

    use_daemon_thread = True

    def __init__(self, next_stage: Any, work: Any = None) -> None:
        super().__init__()
        self.next_stage, self.work = next_stage, work

    def on_receive(self, message: Any) -> None:
        if self.work is not None:
            self.work(message)
        self.next_stage(message)


def bare_floor(rounds: int, gap_s: float, intent_sync: str) -> list[float]:
    """The tick-to-order path's hops with nothing of warden in them: bare pykka
    actors feed -> strategy -> risk -> execution -> persistence (one SQLite WAL
    commit of two rows, ``intent_sync``) -> execution -> a trio loop, with
    ``gap_s`` idle between rounds like the real run. What this machine charges for
    the shape of the path; warden's figure divided by it is our overhead."""
    stamps: list[tuple[float, float]] = []
    started: list[float] = []
    done = threading.Event()
    token_box: list[Any] = []
    loop_ready = threading.Event()

    async def loop() -> None:
        token_box.append(trio.lowlevel.current_trio_token())
        loop_ready.set()
        await trio.sleep_forever()

    threading.Thread(target=lambda: trio.run(loop), daemon=True).start()
    loop_ready.wait(10)

    def on_loop(_message: Any) -> None:
        stamps.append((started[-1], time.perf_counter()))
        done.set()

    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA synchronous = {intent_sync.upper()}")
        db.execute("CREATE TABLE intents (id TEXT PRIMARY KEY, body TEXT)")

        def commit(message: Any) -> None:
            db.execute("BEGIN IMMEDIATE")
            for leg in ("yes", "no"):
                db.execute("INSERT INTO intents VALUES (?, ?)", (f"{message}-{leg}", "x" * 200))
            db.execute("COMMIT")

        refs = [BareStage.start(lambda m: token_box[0].run_sync_soon(on_loop, m))]
        refs.append(BareStage.start(refs[-1].tell, work=commit))  # persistence
        for _stage in ("execution", "risk", "strategy"):
            refs.append(BareStage.start(refs[-1].tell))
        refs.append(
            BareStage.start(refs[-1].tell, work=lambda _m: started.append(time.perf_counter()))
        )  # feed
        try:
            for round_number in range(rounds):
                done.clear()
                refs[-1].tell(round_number)
                done.wait(10)
                time.sleep(gap_s)
        finally:
            for ref in refs:
                ref.stop()
            db.close()
    return [end - start for start, end in stamps]


# -- tick to order ----------------------------------------------------------------------


def tick_to_order(opportunities: int, intent_sync: str = "full") -> tuple[list[float], list[float]]:
    """Latencies, and the idle time between one round's order and the next tick.

    The venue runs in its own process (as a real venue would be remote), so its
    matching and streaming do not compete with the pipeline for this process's GIL."""
    venue = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("venue_process.py")), "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert venue.stdin is not None
    assert venue.stdout is not None
    url = venue.stdout.readline().split()[1]
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config(
            {
                "daemon": {"db": str(Path(tmp) / "bench.db"), "intent_sync": intent_sync},
                "strategy": {"repeat_after_s": 0.0},
                "execution": {"orders_per_second": 1000.0},  # see the docstring, 2.
                "risk": {
                    "max_market_exposure": "10000000.00",
                    "max_total_exposure": "10000000.00",
                    "max_daily_loss": "10000000.00",
                },
            }
        )
        urls = VenueUrls.from_base(url)
        spec = tree_spec(config, urls)
        feed = feed_config(config, urls)
        children = tuple(
            attrs.evolve(c, factory=lambda: StampedFeed(feed))
            if isinstance(c, ChildSpec) and c.name == "feed"
            else c
            for c in spec.children
        )
        host = TreeThread(SupervisionTree(attrs.evolve(spec, children=children))).start()
        tree = host.tree
        try:
            wait_until(lambda: (risk := _risk(tree)) is not None and risk.reconciled)
            wait_until(lambda: _live(tree))
            latencies: list[float] = []
            gaps: list[float] = []
            for round_number in range(1, opportunities + 1):
                orders_before = len(ORDER_STAMPS)
                venue.stdin.write(f"cross {TICKER}\n")
                venue.stdin.flush()
                assert venue.stdout.readline().strip() == "ok"
                wait_until(lambda b=orders_before: len(ORDER_STAMPS) >= b + 2)
                sent = ORDER_STAMPS[orders_before]
                tick = max(s for s in FRAME_STAMPS if s <= sent)
                if orders_before:
                    gaps.append(tick - ORDER_STAMPS[orders_before - 1])
                latencies.append(sent - tick)
                wait_until(
                    lambda r=round_number: (
                        (risk := _risk(tree)) is not None and risk.counts.released >= r
                    )
                )
            return latencies, gaps
        finally:
            host.stop()
            venue.stdin.close()
            venue.wait(10)


# -- feed ingest ------------------------------------------------------------------------


class Sink(SupervisedActor):
    def on_receive(self, _message: Any) -> None:
        return None


class Gate:
    """Told to the gated feed first: it holds the feed until :attr:`opened` is set."""

    def __init__(self) -> None:
        self.opened = threading.Event()


class GatedFeed(FeedActor):
    """The feed, held by a :class:`Gate` while the mailbox fills; it then measures the
    CPU time its own thread spends on the next ``frames`` frames (``CPU_PER_FRAME``)."""

    frames = 0
    _counted = -1
    _cpu_at = 0.0

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Gate):
            message.opened.wait(60)
            self._counted, self._cpu_at = 0, time.thread_time()
            return None
        answer = super().on_receive(message)
        if self._counted >= 0 and isinstance(message, FramesRead):
            self._counted += len(message.frames)
            if self._counted == GatedFeed.frames:
                CPU_PER_FRAME.append((time.thread_time() - self._cpu_at) / self._counted)
        return answer


CPU_PER_FRAME: list[float] = []


def feed_ingest(deltas: int, *, wire: bool = False, gated: bool = False) -> tuple[float, int, int]:
    """Deltas/s through feed and strategy, and the largest mailbox depths seen. With
    ``wire`` the sending thread parses each delta from Kalshi's wire text (fixed-point
    strings, as the venue sends them) with the Kalshi adapter's parser first, as the
    feed's network thread does; without, it sends parsed frames. With ``gated`` the
    feed is held while every delta is queued, then released: the rate is the feed's
    and the strategy's own, without a sending thread competing for the interpreter
    (and the feed's CPU time per frame is appended to ``CPU_PER_FRAME``)."""
    venue = VenueHost(markets=2)
    with tempfile.TemporaryDirectory():
        config = parse_config({"feed": {"stale_after_s": 60.0, "silence_timeout_s": 60.0}})
        urls = VenueUrls.from_base(venue.url)
        from actors.fees import FeeModel  # noqa: PLC0415
        from actors.strategy import ComplementArbitrage, StrategyActor  # noqa: PLC0415

        spec = SupervisorSpec(
            name="ingest",
            children=(
                ChildSpec(name="risk", factory=Sink),
                ChildSpec(
                    name="strategy",
                    factory=lambda: StrategyActor(
                        [ComplementArbitrage()], schedule=FeeModel().schedule
                    ),
                ),
                ChildSpec(
                    name="feed",
                    factory=lambda: (GatedFeed if gated else FeedActor)(feed_config(config, urls)),
                ),
            ),
        )
        host = TreeThread(SupervisionTree(spec)).start()
        tree = host.tree
        try:
            wait_until(lambda: _live(tree))
            feed = tree.snapshot().status_of("feed", FeedStatus)
            market = _market(tree)
            assert feed is not None
            assert market is not None
            assert market.sid is not None
            assert market.seq is not None
            connection = feed.connection.number
            sid, seq = market.sid, market.seq
            book = venue.call(venue.sim.engine.book, TICKER)
            price = book.levels("yes")[0][0]  # an existing level: +1 / -1 keeps it alive
            depth = {"feed": 0, "strategy": 0}
            stop = threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    snap = tree.snapshot(summary_timeout=0.01)
                    for name, seen in depth.items():
                        depth[name] = max(seen, snap.find(name).mailbox)
                    time.sleep(0.01)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            texts = [
                _delta_text(sid, seq + i, price, 1 if i % 2 else -1) for i in range(1, deltas + 1)
            ]
            parse, grids = KALSHI_MARKET_DATA.parse_frame, PriceGrids()
            gate = Gate()
            if gated:
                GatedFeed.frames = deltas
                tree.tell("feed", gate)
            started = time.perf_counter()
            up, down = Decimal(1), Decimal(-1)
            for i in range(1, deltas + 1):
                if wire:
                    frame: Any = parse(texts[i - 1], grids=grids)
                else:
                    frame = Delta(sid, seq + i, TICKER, Side.YES, price, up if i % 2 else down)
                tree.tell("feed", FramesRead(connection, [frame], time.monotonic()))
            if gated:
                started = time.perf_counter()
                gate.opened.set()
            wait_until(
                lambda: (market := _market(tree)) is not None and market.seq == seq + deltas,
                timeout=120,
            )
            elapsed = time.perf_counter() - started
            stop.set()
            sampler.join(5)
            return deltas / elapsed, depth["feed"], depth["strategy"]
        finally:
            host.stop()
            venue.stop()


def _delta_text(sid: int, seq: int, price: Decimal, change: int) -> str:
    """An ``orderbook_delta`` frame as Kalshi documents it (asyncapi.yaml)."""
    msg = {
        "market_ticker": TICKER,
        "market_id": "9b0f6b43-5b68-4f6a-9f0e-5b0d3c1c6a11",
        "price_dollars": format_price(price, 4),
        "delta_fp": f"{change}.00",
        "side": "yes",
        "ts_ms": 1_764_633_600_000 + seq,
    }
    return json.dumps({"type": "orderbook_delta", "sid": sid, "seq": seq, "msg": msg})


def signing_cost(orders: int) -> list[float]:
    """Seconds to sign one Kalshi request (RSA-PSS, 2048-bit key), per order."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = KalshiSigner("a952bcbe-ec3b-4b5b-b8f9-11dae589608c", key)
    samples = []
    for _ in range(orders):
        began = time.perf_counter()
        signer.headers("POST", "/trade-api/v2/portfolio/events/orders")
        samples.append(time.perf_counter() - began)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=200)
    parser.add_argument("--deltas", type=int, default=100_000)
    parser.add_argument(
        "--wire",
        action="store_true",
        help="also: ingest of Kalshi wire text through the adapter's parser, and signing cost",
    )
    parser.add_argument(
        "--intent-sync", choices=("full", "normal"), default="full", help="daemon.intent_sync"
    )
    parser.add_argument(
        "--switch-interval-us", type=float, default=None, help="sys.setswitchinterval, µs"
    )
    args = parser.parse_args()
    if args.switch_interval_us is not None:
        sys.setswitchinterval(args.switch_interval_us / 1e6)
    interval = sys.getswitchinterval() * 1e6
    print(f"GIL switch interval {interval:.0f} µs, intent_sync {args.intent_sync}")
    logger.remove()  # measure the pipeline, not the log sink

    hops = pykka_hops(5_000)
    print("raw pykka tell hop (one way, same run):")
    print(f"  p50 {pct(hops, 50) * 1e6:7.1f} µs   p99 {pct(hops, 99) * 1e6:7.1f} µs")

    latencies, gaps = tick_to_order(args.opportunities, args.intent_sync)
    gap = statistics.median(gaps)
    floor = bare_floor(args.opportunities, gap, args.intent_sync)
    print(f"tick-to-order, {len(latencies)} opportunities (feed frame in -> create_order out):")
    for name, samples in (("warden", latencies), ("bare floor", floor)):
        print(
            f"  {name:10s} p50 {pct(samples, 50) * 1e6:7.1f} µs   p99 {pct(samples, 99) * 1e6:7.1f}"
            f" µs   mean {statistics.mean(samples) * 1e6:7.1f} µs"
        )
    print(
        f"  warden / bare floor p50 = {pct(latencies, 50) / pct(floor, 50):.2f}"
        f"  (floor: the same 6 thread hops + 1 SQLite commit, bare; {gap * 1e3:.0f} ms idle"
        " between rounds, as measured in the warden run)"
    )
    print("  (targets: p50 <= 300 µs, p99 <= 2 ms)")

    rate, feed_depth, strategy_depth = feed_ingest(args.deltas)
    print(f"feed ingest, {args.deltas:,} deltas through feed + strategy:")
    print(f"  {rate:,.0f} deltas/s   max mailbox: feed {feed_depth:,}, strategy {strategy_depth}")
    print("  (target >= 50k deltas/s; strategy mailbox bounded by markets with conflation)")
    gated_rate, _, _ = feed_ingest(args.deltas, gated=True)
    print(f"feed ingest, gated ({args.deltas:,} deltas queued first, then drained):")
    print(
        f"  {gated_rate:,.0f} deltas/s   feed CPU {CPU_PER_FRAME[-1] * 1e6:.2f} µs/frame"
        "   (no sending thread competing: the feed's and the strategy's own cost)"
    )
    if args.wire:
        wire_rate, feed_depth, strategy_depth = feed_ingest(args.deltas, wire=True)
        print(f"feed ingest of Kalshi wire text, parsed by the adapter, {args.deltas:,} deltas:")
        print(
            f"  {wire_rate:,.0f} deltas/s   ({wire_rate / rate:.2f}x the parsed-frame figure"
            f" above)   max mailbox: feed {feed_depth:,}, strategy {strategy_depth}"
        )
        signing = signing_cost(2_000)
        print("Kalshi request signing (RSA-PSS SHA-256, 2048-bit), per order:")
        print(
            f"  p50 {pct(signing, 50) * 1e6:7.1f} µs   p99 {pct(signing, 99) * 1e6:7.1f} µs"
            f"   (tick-to-order p50 above: {pct(latencies, 50) * 1e6:.1f} µs)"
        )


if __name__ == "__main__":
    main()
