"""Detect-to-order latency while a second feed ingests N markets, in one process (issue 15).

    python benchmarks/order_load.py [--markets 0,100,1000] [--rate 2000] [--opportunities 100]
                                    [--repeats 2] [--consumer strategy|sink]
                                    [--switch-interval-us US] [--threads] [--daemon-logs]
                                    [--feed-process [--feed-workers N]]
                                    [--intent-sync full|normal] [--rounds release|quiet]
                                    [--orders-per-second N]

The order path is ``benchmarks/pipeline.py``'s ``tick_to_order``, measured the
same way: the daemon's five actors (persistence on a real SQLite file, risk,
execution, strategy, feed) trade one market (``SIM-001``) of the simulated
venue, which runs in its own process; the venue's house account posts an
arbitrage and the clock runs from the feed actor taking the delta frame that
reveals it to the first order's request going out: the execution actor's venue
client has taken the order's pacing token (``p50``/``p99``). Every figure before
2026-12-03 stopped earlier, at the client's ``create_order`` call, before that
token (printed as ``create_order p50`` beside it): rounds back to back outran the
daemon's pacing of 20 orders/s, so those figures left out a wait of ~20 ms p50
(measured 2026-12-03). The benchmark now paces orders at ``--orders-per-second``
(default 1,000, so the pacing never binds and the figure is the order path's);
with ``--orders-per-second 20`` the wait shows. Also printed: ``read``, the same
end point timed from when the feed's network thread read that frame off the
socket (the loop message's ``received_at``), which the pipeline's definition
leaves out and a busy interpreter lengthens too. The pipeline's few helpers and
its ``create_order`` stamp are repeated here rather than imported, and the feed's
stamp takes either loop message (one frame, or a read's batch of ``frames``), so
this ran while the feed's messages changed under it (issue 15's batched reads).

The load: for N > 0, a second, real :class:`~actors.feed.FeedActor`
(``bgfeed``) in the same tree and process follows N markets of
:class:`~warden.venue.synthetic.SyntheticKalshi` (its own process) sending
``--rate`` deltas/s in all (0: as fast as it can). Its books go, by default
(``--consumer strategy``), to **the daemon's strategy actor itself**, as one
feed following N + 1 markets would hand them: the strategy runs its configured
strategies on every background book (the synthetic books never cross, so they
cost evaluation, not orders), and the opportunity's book waits behind
whatever background books are in its mailbox. The strategy actor acknowledges
books to one feed by name, so it runs here as :class:`SharedStrategy`, which
routes each acknowledgement to the feed that sent the book and ignores the
background feed's market listing (each background market stays its own single
event, as before any listing); nothing else of it changes. ``--consumer sink``
hands the background books to an acking sink instead (:class:`BackgroundSink`,
like ``scale.py``'s ``AckingSink``): the difference between the two is the
strategy's own share of the slow-down, the rest is the feed's.

N = 0 is the idle figure, the baseline of the same run: each repeat runs every
N in turn (interleaved, so machine noise falls on all of them) and prints
``p50(N) / p50(idle)`` against that repeat's idle run. So the reader can see the
load was real, each line also prints the window's offered and delivered
deltas/s (``bgfeed``'s ``books_accepted``), the background books the consumer
took per second, this process's CPU (100% = one core) and the synthetic
venue's. The window is the measured rounds (the first ``WARMUP_ROUNDS`` are
discarded: first request, first SQLite pages).

``stages`` (p50, ms) splits the path: feed actor -> strategy taking the book,
strategy -> ``Reserve`` sent, ``Reserve`` -> the request going out. ``--threads``
also prints the CPU each thread used in the window, a GIL probe (how late a
thread that sleeps 1 ms wakes: what every hop of the path pays to get the
interpreter back), and when each actor after ``Reserve`` began handling its
message (``@``, ms after ``Reserve``) and for how long (``+``); it patches the
runtime's dispatch to time them, so its own figures are a little slower.

``--daemon-logs`` runs with the daemon's own log sinks (``warden run``'s: stderr in
the human format, here into a file, and the history file) instead of none: what
the order path pays for the lines it logs on the way.

``--rounds`` is when the next round's opportunity is posted. ``release`` (the
default, and every figure before 2026-12-03): as soon as risk releases the last
round's reservation, so the new intents Record queues behind the last round's
tail (execution's settle Record, risk's release Record, ~0.3-0.9 ms each) in
persistence's mailbox: an opportunity that comes right after a trade. ``quiet``:
once persistence has had nothing to write for 20 ms: an opportunity that finds
the daemon idle, as one that comes at a random moment mostly does.

Before each run, with nothing else running yet, the run's line also gets the
machine's own floor in that run's directory (``benchmarks/order_floor.py``): the
same six thread hand-offs and one durable SQLite commit with nothing of warden in
them, and a bare ``fdatasync``; the summary gives p50 as a multiple of it. This
VM's speed (and its disk's) moves ~2x within the hour, so a p50 read against the
floor measured beside it says what warden adds, where the bare milliseconds also
say which spell the machine was in.

A round with no order within ``ROUND_TIMEOUT_S`` is *missed* (printed on
stderr with what the order path's actors say, counted on the run's line): the
strategy refuses a book older than ``max_book_age_s`` (1 s), so under heavy
load the tail beyond ~1 s becomes missed rounds, not latencies; read p99 as
censored there.

Loopback only; both venues are child processes stopped (or, the simulated
venue, ended by closing its stdin) when each run ends, and die with us.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import order_floor  # this script's sibling: python puts benchmarks/ on sys.path
from loguru import logger

import actors.risk._history as risk_history
import actors.venues.kalshi._client as kalshi_client
from actors.domain import BookSnapshot
from actors.execution import ExecutionStatus
from actors.feed import FeedActor, FeedConfig, FeedProcessActor, FeedStatus
from actors.messages import BookConsumed, BookStale, BookUpdate, EventsListed, Reserve
from actors.persistence import PersistenceActor
from actors.risk import RiskStatus
from actors.strategy import StrategyActor, StrategyStatus
from actors.venues._rate_limit import RateLimiter
from supervision import ChildSpec, SupervisedActor, SupervisionTree, TreeThread
from warden.config import parse_config
from warden.daemon import GIL_SWITCH_INTERVAL_S, tree_spec
from warden.history import open_history
from warden.logs import configure_logging
from warden.venue.synthetic import SyntheticKalshi, synthetic_tickers
from warden.wiring import VenueUrls, feed_config, strategies_of, venue_fees

TICKER = "SIM-001"  # the order path's market (benchmarks/venue_process.py's only one)
BACKGROUND_FEED = "bgfeed"
BACKGROUND_SINK = "bgsink"
BACKGROUND_PREFIX = synthetic_tickers(1)[0].split("-")[0] + "-"  # "SCALE-"
WARMUP_ROUNDS = 3
ORDERS_PER_SECOND = 1000.0
"""``execution.orders_per_second`` here: rounds come faster than a daemon's pacing of
20 orders/s (its default) would let two orders a round out, so with it every round's
orders would wait for tokens (~20 ms p50, measured)."""
ROUND_TIMEOUT_S = 3.0
"""A round with no order this long after the opportunity is *missed*: the strategy
refuses a book older than ``max_book_age_s`` (1 s), so a later order never comes.
Missed rounds are reported (stderr, and counted on the run's line) and skipped; more
than a quarter of the rounds end the run."""


# -- instrumentation (module-level stamps, perf_counter; one run at a time) ---------------

ORDER_STAMPS: list[float] = []  # execution's client began a create_order
PACED: list[float] = []  # a create_order took its rate-limit token: its request goes out now
TAKEN: list[tuple[float, float]] = []  # (feed actor took a SIM-001 delta, socket read it)
BEHIND: list[float] = []  # per SIM-001 delta: our wall time at its read - its ts_ms (s)
STRATEGY_TOOK: list[float] = []  # the strategy began handling a SIM-001 book
RESERVE_SENT: list[float] = []  # the strategy sent Reserve
RELEASED = threading.Event()  # risk released a reservation (the round is over)
BACKGROUND_BOOKS = [0]  # background books the consumer took (one writer: the consumer)

_original_released = risk_history.released


def _stamped_released(*args: Any, **kwargs: Any) -> None:
    _original_released(*args, **kwargs)
    RELEASED.set()


risk_history.released = _stamped_released

_original_create_order = kalshi_client.KalshiClient.create_order


async def _stamped_create_order(self: Any, intent: Any, **kwargs: Any) -> Any:
    ORDER_STAMPS.append(time.perf_counter())
    return await _original_create_order(self, intent, **kwargs)


kalshi_client.KalshiClient.create_order = _stamped_create_order  # type: ignore[method-assign]

_original_acquire = RateLimiter.acquire


async def _stamped_acquire(self: RateLimiter, endpoint: str) -> float:
    waited = await _original_acquire(self, endpoint)
    if endpoint == "create_order":
        PACED.append(time.perf_counter())
    return waited


RateLimiter.acquire = _stamped_acquire  # type: ignore[method-assign]

_original_record = PersistenceActor._record
LEDGER: list[Any] = [None, 0]  # [the persistence actor, Records being written (0 or 1)]


def _tracked_record(self: PersistenceActor, record: Any) -> Any:
    LEDGER[0] = self
    LEDGER[1] += 1
    try:
        return _original_record(self, record)
    finally:
        LEDGER[1] -= 1


PersistenceActor._record = _tracked_record  # type: ignore[method-assign]


def wait_for_quiet_ledger(quiet_for_s: float = 0.02, timeout: float = 2.0) -> None:
    """``--rounds quiet``: return once persistence has had nothing to write (no Record
    in hand, an empty mailbox) for ``quiet_for_s``, polled every 0.5 ms: the previous
    round's tail (its settle and release Records) is on disk. With 2 ms, one run in
    five missed rounds: the strategy made one more reservation on ``SIM-001`` after
    the check (the positions show a trade no round counted), which held the market
    when the round's own opportunity came; with 20 ms none did in 12 runs."""
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        actor = LEDGER[0]
        idle = actor is None or (LEDGER[1] == 0 and actor.actor_inbox.qsize() == 0)
        now = time.monotonic()
        if not idle:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_for_s:
            return
        time.sleep(0.0005)


def _frames(message: Any) -> tuple[Any, ...]:
    """The frames a loop message carries: one (``FrameReceived``) or a batch (``frames``)."""
    if hasattr(message, "frame"):
        return (message.frame,)
    return tuple(getattr(message, "frames", ()))


class StampedFeed(FeedActor):
    """The order path's feed: stamps each ``SIM-001`` delta it takes (and its socket read),
    and how far behind the venue's own stamp (``ts_ms``) the read was (``BEHIND``)."""

    def on_receive(self, message: Any) -> Any:
        received_at = getattr(message, "received_at", None)
        if received_at is not None:
            deltas = [f for f in _frames(message) if type(f).__name__ == "Delta"]
            if deltas:
                now = time.perf_counter()
                read_ago = time.monotonic() - received_at
                TAKEN.append((now, now - read_ago))
                for delta in deltas:
                    stamp = getattr(delta, "venue_ts_ms", None)
                    if stamp is not None:
                        BEHIND.append(time.time() - read_ago - stamp / 1000)
        return super().on_receive(message)


class SharedStrategy(StrategyActor):
    """The daemon's strategy actor, following the order path's feed and ``bgfeed``.

    Acknowledges each background book (``SCALE-…``) to ``bgfeed`` instead of
    ``feed``, and ignores ``bgfeed``'s ``EventsListed`` (a listing replaces the
    strategies' catalog whole, which would forget ``SIM-001``'s event). Stamps
    when it takes an order-path book and when it sends ``Reserve``."""

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        table = dict(super().handlers())
        on_update, on_events = table[BookUpdate], table[EventsListed]

        def update(message: BookUpdate) -> None:
            if message.book.ticker == TICKER:
                STRATEGY_TOOK.append(time.perf_counter())
            else:
                BACKGROUND_BOOKS[0] += 1
            on_update(message)

        def events(listed: EventsListed) -> None:
            if not any(m.ticker.startswith(BACKGROUND_PREFIX) for m in listed.markets):
                on_events(listed)

        table[BookUpdate], table[EventsListed] = update, events
        return table

    def send(self, to: str, message: Any) -> int:
        kind = type(message)
        if kind is BookConsumed and message.ticker.startswith(BACKGROUND_PREFIX):
            to = BACKGROUND_FEED
        elif kind is Reserve:
            RESERVE_SENT.append(time.perf_counter())
        return super().send(to, message)


class BackgroundSink(SupervisedActor):
    """``--consumer sink``: acknowledges every background book at once."""

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {BookUpdate: self._ack, BookStale: _ignore, EventsListed: _ignore}

    def _ack(self, update: BookUpdate) -> None:
        book: BookSnapshot = update.book
        BACKGROUND_BOOKS[0] += 1
        self.send(BACKGROUND_FEED, BookConsumed(book.ticker, book.seq))


def _ignore(_message: object) -> None:
    pass


# -- helpers (as benchmarks/pipeline.py's; not imported, so this runs while that file
#    follows the feed's message changes) ------------------------------------------------


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll ``predicate`` (set-up only: a snapshot asks every actor for its summary)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"benchmark condition not met within {timeout}s")
        time.sleep(0.01)


def _reconciled(tree: SupervisionTree) -> bool:
    risk = tree.snapshot().status_of("risk", RiskStatus)
    return risk is not None and risk.reconciled


def _order_path_live(tree: SupervisionTree) -> bool:
    feed = tree.snapshot().status_of("feed", FeedStatus)
    market = feed.markets.get(TICKER) if feed is not None else None
    return market is not None and market.phase == "live"


def _diagnosis(tree: SupervisionTree) -> str:
    """What the order path's actors say, for a round that produced no order."""
    snapshot = tree.snapshot()
    feed = snapshot.status_of("feed", FeedStatus)
    parts = [
        f"feed {feed.markets.get(TICKER)!r}" if feed is not None else "feed: no status",
        f"strategy {snapshot.status_of('strategy', StrategyStatus)!r}",
        f"risk {snapshot.status_of('risk', RiskStatus)!r}",
        f"execution {snapshot.status_of('execution', ExecutionStatus)!r}",
    ]
    return "; ".join(parts)


# -- CPU accounting ---------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(stat_path: str) -> float:
    """utime + stime (s) from a /proc ``stat`` file; 0 if it is gone."""
    try:
        fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _threads_cpu() -> dict[str, float]:
    """CPU seconds so far of each of this process's Python threads, by name."""
    return {
        thread.name: _proc_cpu(f"/proc/self/task/{thread.native_id}/stat")
        for thread in threading.enumerate()
        if thread.native_id is not None
    }


PROFILED = frozenset({"risk", "execution", "persistence"})
HANDLED: list[tuple[float, float, str, str]] = []  # (began, ended, actor, message type)


def record_handling() -> None:
    """``--threads``: time every message the actors between ``Reserve`` and
    ``create_order`` handle (``HANDLED``), by patching the runtime's dispatch."""
    original = SupervisedActor._handle_receive

    def handle(self: SupervisedActor, message: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(self, message)
        finally:
            if self.name in PROFILED:
                kind = type(getattr(message, "body", message)).__name__  # Tagged: its body
                HANDLED.append((began, time.perf_counter(), self.name, kind))

    SupervisedActor._handle_receive = handle  # type: ignore[method-assign]


def _timeline(spans: list[tuple[float, float]]) -> str:
    """The commonest sequence of handlers between ``Reserve`` and the request: each
    step's median start after ``Reserve`` ``@`` and run time ``+``, in ms."""
    rounds: list[list[tuple[str, float, float]]] = []
    for reserve, sent in spans:
        steps = [
            (f"{actor}.{kind}", began - reserve, ended - began)
            for began, ended, actor, kind in HANDLED
            if reserve <= began <= sent
        ]
        steps.append(("request out", sent - reserve, 0.0))
        rounds.append(steps)
    shapes = Counter(tuple(label for label, _, _ in steps) for steps in rounds)
    shape, seen = shapes.most_common(1)[0]
    same = [steps for steps in rounds if tuple(label for label, _, _ in steps) == shape]
    parts = [
        f"{label} @{statistics.median(r[i][1] for r in same) * 1e3:.2f}"
        f" +{statistics.median(r[i][2] for r in same) * 1e3:.2f}"
        for i, label in enumerate(shape)
    ]
    return f"({seen}/{len(rounds)} rounds) " + ", ".join(parts)


class GilProbe:
    """A thread that sleeps 1 ms at a time and records how late it wakes."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gil-probe", daemon=True)

    def start(self) -> GilProbe:
        self._thread.start()
        return self

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join(5)
        return self.late

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.perf_counter()
            time.sleep(0.001)
            self.late.append(time.perf_counter() - began - 0.001)


# -- one run ------------------------------------------------------------------------------


def order_load_run(
    markets: int,
    rate: float,
    opportunities: int,
    consumer: str,
    *,
    threads: bool = False,
    process: bool = False,
    workers: int = 1,
    intent_sync: str = "full",
    rounds: str = "release",
    orders_per_second: float = ORDERS_PER_SECOND,
) -> dict[str, Any]:
    """Tick-to-order rounds on ``SIM-001`` while ``bgfeed`` follows ``markets`` synthetic
    markets at ``rate`` deltas/s (no background at all for 0); the figures of the window."""
    for stamps in (TAKEN, BEHIND, STRATEGY_TOOK, RESERVE_SENT, ORDER_STAMPS, PACED, HANDLED):
        stamps.clear()
    venue = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("venue_process.py")), "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert venue.stdin is not None
    assert venue.stdout is not None
    background = SyntheticKalshi(rate).start() if markets else None
    host: TreeThread | None = None
    try:
        url = venue.stdout.readline().split()[1]
        with tempfile.TemporaryDirectory() as tmp:
            machine = order_floor.measure(Path(tmp))  # before anything else runs
            config = parse_config(
                {
                    "daemon": {"db": str(Path(tmp) / "bench.db"), "intent_sync": intent_sync},
                    "strategy": {"repeat_after_s": 0.0},
                    "execution": {"orders_per_second": orders_per_second},
                    "risk": {
                        "max_market_exposure": "10000000.00",
                        "max_total_exposure": "10000000.00",
                        "max_daily_loss": "10000000.00",
                    },
                }
            )
            urls = VenueUrls.from_base(url)
            spec = tree_spec(config, urls)
            children = _children(spec, config, urls)
            if background is not None:
                children += _background(
                    background, markets, consumer, process=process, workers=workers
                )
            host = TreeThread(SupervisionTree(attrs.evolve(spec, children=children)))
            host.start()
            figures = _measure(
                host.tree,
                venue=venue,
                background=background,
                markets=markets,
                opportunities=opportunities,
                threads=threads,
                rounds=rounds,
            )
            return {**figures, "machine": machine}
    finally:
        if host is not None:
            host.stop()
        venue.stdin.close()
        try:
            venue.wait(10)
        except subprocess.TimeoutExpired:
            venue.kill()  # it ends when its stdin closes; one that did not is stuck
            venue.wait(10)
        if background is not None:
            background.stop()


def _children(spec: Any, config: Any, urls: VenueUrls) -> tuple[Any, ...]:
    """The daemon's children, the feed stamped and the strategy shared (see above)."""
    feed, fees, strategy = feed_config(config, urls), venue_fees(urls), config.strategy

    def shared() -> SharedStrategy:
        return SharedStrategy(
            strategies_of(config, fees),
            schedule=fees.schedule,
            max_book_age_s=strategy.max_book_age_s,
            repeat_after_s=strategy.repeat_after_s,
        )

    replaced = {"feed": lambda: StampedFeed(feed), "strategy": shared}
    return tuple(
        attrs.evolve(child, factory=replaced[child.name])
        if isinstance(child, ChildSpec) and child.name in replaced
        else child
        for child in spec.children
    )


def _background(
    venue: SyntheticKalshi, markets: int, consumer: str, *, process: bool = False, workers: int = 1
) -> tuple[ChildSpec, ...]:
    recipe = functools.partial(
        FeedConfig,
        ws_url=venue.url,
        rest_url="http://127.0.0.1:9/unused",
        tickers=synthetic_tickers(markets),
        stale_after_s=60.0,
        subscribe_timeout_s=10.0,
    )
    to = "strategy" if consumer == "strategy" else BACKGROUND_SINK

    def background_feed() -> SupervisedActor:
        if process:  # the feed's I/O, parsing and books in a worker process
            return FeedProcessActor(recipe, consumer=to, workers=workers)
        return FeedActor(recipe(), consumer=to)

    feed = ChildSpec(name=BACKGROUND_FEED, factory=background_feed)
    if consumer == "strategy":
        return (feed,)
    return ChildSpec(name=BACKGROUND_SINK, factory=BackgroundSink), feed


def _background_live(tree: SupervisionTree) -> tuple[int, FeedStatus | None]:
    status = tree.snapshot().status_of(BACKGROUND_FEED, FeedStatus)
    if status is None:
        return 0, None
    return sum(1 for m in status.markets.values() if m.phase == "live"), status


def _measure(
    tree: SupervisionTree,
    *,
    venue: subprocess.Popen[str],
    background: SyntheticKalshi | None,
    markets: int,
    opportunities: int,
    threads: bool,
    rounds: str,
) -> dict[str, Any]:
    assert venue.stdin is not None
    assert venue.stdout is not None
    wait_until(lambda: _reconciled(tree))
    wait_until(lambda: _order_path_live(tree))
    if background is not None:
        settle_until = time.monotonic() + max(30.0, markets / 50)
        while _background_live(tree)[0] < markets and time.monotonic() < settle_until:
            time.sleep(0.2)
    venue_stat = f"/proc/{background._process.pid}/stat" if background else ""
    latencies: list[float] = []
    entered: list[float] = []
    from_read: list[float] = []
    stages: list[tuple[float, float, float]] = []
    spans: list[tuple[float, float]] = []
    missed: list[str] = []
    probe: GilProbe | None = None
    live_before, before = _background_live(tree)
    books_before, sent_before = BACKGROUND_BOOKS[0], background.sent if background else 0
    cpu_before, venue_cpu_before = time.process_time(), _proc_cpu(venue_stat)
    threads_before, wall_before = _threads_cpu() if threads else {}, time.monotonic()
    if threads:
        probe = GilProbe().start()
    for round_number in range(WARMUP_ROUNDS + opportunities):
        if rounds == "quiet":
            wait_for_quiet_ledger()
        orders_before, taken_before, behind_before = len(ORDER_STAMPS), len(TAKEN), len(BEHIND)
        paced_before = len(PACED)
        RELEASED.clear()
        venue.stdin.write(f"cross {TICKER}\n")
        venue.stdin.flush()
        assert venue.stdout.readline().strip() == "ok"
        if not RELEASED.wait(ROUND_TIMEOUT_S) or len(PACED) < paced_before + 2:
            missed.append(
                f"round {round_number} at N={markets}: no order and release within"
                f" {ROUND_TIMEOUT_S}s ({len(ORDER_STAMPS) - orders_before} orders,"
                f" {len(TAKEN) - taken_before} order-path deltas taken, read"
                f" {[round(b - min(BEHIND), 3) for b in BEHIND[behind_before:]]} s behind"
                f" their ts_ms beyond the run's least); {_diagnosis(tree)}"
            )
            print(f"MISSED {missed[-1]}", file=sys.stderr, flush=True)
            if len(missed) > (WARMUP_ROUNDS + opportunities) // 4:
                raise TimeoutError(missed[0])
            continue
        if round_number < WARMUP_ROUNDS:
            continue
        sent = PACED[paced_before]  # the request goes out (its pacing token taken)
        taken, read = max(stamp for stamp in TAKEN if stamp[0] <= sent)
        reserve = max(s for s in RESERVE_SENT if s <= sent)
        took = max(s for s in STRATEGY_TOOK if s <= reserve)
        latencies.append(sent - taken)
        entered.append(ORDER_STAMPS[orders_before] - taken)
        from_read.append(sent - read)
        stages.append((took - taken, reserve - took, sent - reserve))
        spans.append((reserve, sent))
    elapsed = time.monotonic() - wall_before
    cpu = (time.process_time() - cpu_before) / elapsed
    venue_cpu = (_proc_cpu(venue_stat) - venue_cpu_before) / elapsed
    used = {n: c - threads_before.get(n, 0.0) for n, c in _threads_cpu().items()} if threads else {}
    late = probe.stop() if probe is not None else []
    sent_after = background.sent if background else 0
    live, after = _background_live(tree)
    if after is not None and live < markets:
        phases = Counter(m.phase for m in after.markets.values())
        counts = after.counts
        print(
            f"N={markets}: {live} of {markets} background markets live; phases {dict(phases)};"
            f" gaps {counts.gaps}, resyncs {counts.resyncs}, subscribe timeouts"
            f" {counts.subscribe_timeouts}, reconnects {after.reconnects}",
            file=sys.stderr,
            flush=True,
        )
    books = BACKGROUND_BOOKS[0] - books_before
    accepted = (
        after.counts.books_accepted - before.counts.books_accepted
        if after is not None and before is not None
        else 0
    )
    return {
        "latencies": latencies,
        "entered": entered,
        "from_read": from_read,
        "stages": stages,
        "offered": (sent_after - sent_before) / elapsed,
        "delivered": accepted / elapsed,
        "consumed": books / elapsed,
        "cpu": cpu * 100,
        "venue_cpu": venue_cpu * 100,
        "live": min(live, live_before),
        "elapsed": elapsed,
        "threads": used,
        "gil_late": late,
        "timeline": _timeline(spans) if threads else "",
        "missed": len(missed),
    }


# -- report -------------------------------------------------------------------------------


def _ms(samples: list[float], p: float) -> float:
    return pct(samples, p) * 1e3


def _floor_multiple(figures: dict[str, Any]) -> float:
    """A run's p50 as a multiple of the machine's floor measured before it."""
    return pct(figures["latencies"], 50) / figures["machine"]["floor"]


def _line(markets: int, figures: dict[str, Any], idle_p50: float | None) -> str:
    latencies = figures["latencies"]
    p50 = pct(latencies, 50)
    ratio = f"{p50 / idle_p50:5.2f}x" if idle_p50 else "  idle"
    stages = figures["stages"]
    split = "/".join(f"{statistics.median(s[i] for s in stages) * 1e3:.2f}" for i in range(3))
    load = (
        f"offered {figures['offered']:7.0f}/s delivered {figures['delivered']:7.0f}/s"
        f" consumed {figures['consumed']:6.0f}/s live {figures['live']}/{markets}"
        if markets
        else "no background feed" + " " * 48
    )
    return (
        f"N={markets:5d}  p50 {p50 * 1e3:6.2f} ms  p99 {_ms(latencies, 99):7.2f} ms  {ratio}"
        f"  read p50 {_ms(figures['from_read'], 50):6.2f}"
        f"  create_order p50 {_ms(figures['entered'], 50):6.2f}  stages {split}"
        f"  | {load}  cpu {figures['cpu']:5.1f}%  venue cpu {figures['venue_cpu']:5.1f}%"
        + (f"  MISSED {figures['missed']} rounds" if figures["missed"] else "")
        + f"\n      machine before the run: {order_floor.describe(figures['machine'])};"
        f" p50 = {_floor_multiple(figures):.1f}x the floor"
    )


def _thread_lines(figures: dict[str, Any]) -> list[str]:
    elapsed, used = figures["elapsed"], figures["threads"]
    busiest = sorted(used.items(), key=lambda item: -item[1])[:8]
    shares = ", ".join(f"{name} {seconds / elapsed * 100:.0f}%" for name, seconds in busiest)
    late = figures["gil_late"]
    probe = (
        f"GIL probe (1 ms sleep, lateness): p50 {_ms(late, 50):.2f} ms  p99 {_ms(late, 99):.2f} ms"
        if late
        else ""
    )
    return [
        f"      threads: {shares}",
        f"      {probe}",
        f"      Reserve->request: {figures['timeline']}",
    ]


def daemon_logs() -> None:
    """The daemon's sinks, as ``warden run`` sets them up: stderr in the human format
    (here into a file, as a service manager would take it) and the history file,
    both in a temporary directory removed at exit."""
    logs = Path(tempfile.mkdtemp(prefix="order_load_logs-"))
    atexit.register(shutil.rmtree, logs, ignore_errors=True)
    stderr = sys.stderr
    sys.stderr = (logs / "stderr.log").open("w", encoding="utf-8")
    configure_logging(json=False)
    history = open_history(logs)
    atexit.register(history.close)
    sys.stderr, errors = stderr, sys.stderr
    atexit.register(errors.close)
    print(f"log sinks: the daemon's, into {logs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", default="0,100,1000", help="background market counts")
    parser.add_argument("--rate", type=float, default=2_000.0, help="deltas/s; 0: flat out")
    parser.add_argument("--opportunities", type=int, default=100, help="measured rounds per run")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved runs of every N")
    parser.add_argument("--consumer", choices=("strategy", "sink"), default="strategy")
    parser.add_argument(
        "--switch-interval-us",
        type=float,
        default=GIL_SWITCH_INTERVAL_S * 1e6,
        help="sys.setswitchinterval, µs (default: the daemon's)",
    )
    parser.add_argument(
        "--threads", action="store_true", help="per-thread CPU, a GIL probe, the hops after Reserve"
    )
    parser.add_argument(
        "--feed-process",
        action="store_true",
        help="run bgfeed in its own process (FeedProcessActor)",
    )
    parser.add_argument(
        "--feed-workers",
        type=int,
        default=1,
        help="with --feed-process: worker processes (--rate is per worker: one connection each)",
    )
    parser.add_argument(
        "--intent-sync", choices=("full", "normal"), default="full", help="daemon.intent_sync"
    )
    parser.add_argument(
        "--rounds",
        choices=("release", "quiet"),
        default="release",
        help="start each round when risk releases the last one's reservation (its settle"
        " and release Records may still be writing), or once the ledger is quiet",
    )
    parser.add_argument(
        "--orders-per-second",
        type=float,
        default=ORDERS_PER_SECOND,
        help="execution.orders_per_second (the daemon's default is 20: rounds back to back"
        " outrun it, and the wait for a token is then in every figure)",
    )
    parser.add_argument(
        "--daemon-logs",
        action="store_true",
        help="the daemon's log sinks (stderr, human format, into a file; the history file)",
    )
    args = parser.parse_args()
    sys.setswitchinterval(args.switch_interval_us / 1e6)
    if args.threads:
        record_handling()
    if args.daemon_logs:
        daemon_logs()
    else:
        logger.remove()  # measure the pipeline, not the log sinks
        logger.add(sys.stderr, level="ERROR")
    counts = [int(n) for n in args.markets.split(",")]
    if 0 not in counts:
        counts.insert(0, 0)  # the idle baseline is always measured
    rate = "flat out" if args.rate == 0 else f"{args.rate:.0f} deltas/s"
    where = f"in {args.feed_workers} worker process(es)" if args.feed_process else "in process"
    print(
        f"background: {rate} over N markets into {args.consumer}; {args.opportunities}"
        f" rounds per run (+{WARMUP_ROUNDS} warm-up);"
        f" bgfeed {where};"
        f" intent_sync {args.intent_sync}; rounds start at {args.rounds};"
        f" execution paces orders at {args.orders_per_second:g}/s;"
        " GIL switch interval"
        f" {sys.getswitchinterval() * 1e6:.0f} µs; {os.cpu_count()} cores, load average"
        f" {os.getloadavg()[0]:.2f}"
    )
    print(
        "detect-to-order (feed takes the frame -> the create_order request goes out, its pacing"
        " token taken), ms; create_order p50: to the client's create_order call (before the"
        " token; every figure before 2026-12-03 ended there); stages p50: feed->strategy"
        " / strategy / Reserve->request"
    )
    results: dict[int, list[dict[str, Any]]] = {n: [] for n in counts}
    for repeat in range(args.repeats):
        idle_p50: float | None = None
        for markets in counts:
            figures = order_load_run(
                markets,
                args.rate,
                args.opportunities,
                args.consumer,
                threads=args.threads,
                process=args.feed_process,
                workers=args.feed_workers,
                intent_sync=args.intent_sync,
                rounds=args.rounds,
                orders_per_second=args.orders_per_second,
            )
            results[markets].append(figures)
            if markets == 0:
                idle_p50 = pct(figures["latencies"], 50)
            print(f"[{repeat + 1}] " + _line(markets, figures, idle_p50), flush=True)
            if args.threads:
                print("\n".join(_thread_lines(figures)), flush=True)
    print("summary over repeats (p50 of each run; ratio to the same repeat's idle p50):")
    idles = [pct(f["latencies"], 50) for f in results[0]]
    for markets in counts:
        p50s = [pct(f["latencies"], 50) * 1e3 for f in results[markets]]
        p99s = [pct(f["latencies"], 99) * 1e3 for f in results[markets]]
        ratios = [
            pct(f["latencies"], 50) / idle for f, idle in zip(results[markets], idles, strict=True)
        ]
        floors = [_floor_multiple(f) for f in results[markets]]
        print(
            f"  N={markets:5d}  p50 {min(p50s):6.2f}-{max(p50s):6.2f} ms"
            f"  p99 {min(p99s):7.2f}-{max(p99s):7.2f} ms"
            f"  ratio {min(ratios):5.2f}-{max(ratios):5.2f}x  (target: p50 <= 2x idle, <= 5 ms)"
            f"  floor {min(floors):4.1f}-{max(floors):4.1f}x"
        )


if __name__ == "__main__":
    main()
