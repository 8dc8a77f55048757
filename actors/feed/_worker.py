"""The feed's own process: a :class:`~actors.feed.FeedActor` under its own supervisor,
its books handed to the daemon's process through a pipe (issue 15).

::

    daemon process                                  feed worker process
    FeedProcessActor ◀──pipe: books, stale, listed── Relay ◀── FeedActor ◀──ws── venue
         (name "feed")──pipe: Ack, Stop────────────▶ (reader thread) ──BookConsumed──▶

:func:`run_feed_worker` is the worker process's whole life (started by
:class:`~actors.feed._process.FeedProcessActor` with the ``spawn`` method). The
first thing it reads from the pipe is the picklable ``recipe`` of the feed's
config (sent down the pipe rather than as the process's argument: ``spawn``
writes its arguments into a pipe the parent blocks on until the child has
imported enough to read them, seconds for a recipe of thousands of tickers). It
builds the config by calling the recipe (so a key is loaded from its file or the
environment here, never sent down the pipe),
and runs a supervision tree of two actors: the real :class:`FeedActor` and
:class:`Relay`, its consumer, which writes every ``BookUpdate``, ``BookStale`` and
``EventsListed`` to the pipe. Conflation holds end to end: the feed sends a
market's next book only when the relay passes on the daemon's :class:`Ack` of the
previous one, so the daemon's process receives at most one book per market per
book its strategy consumed, however fast the venue streams.

Besides those, the worker writes:

- the feed's messages in batches (lists, in order; see :class:`Relay`);
- :class:`WorkerStatus` every ``STATUS_INTERVAL_S``: the feed's
  :class:`~actors.feed.FeedStatus`, pickled here and unpickled in the daemon only
  when someone asks (``None`` when the feed did not answer in time: the worker is
  alive, the feed is busy or restarting); it doubles as the worker's heartbeat;
- :class:`WorkerLog` for each log line (level, text, the bound ``extra``): the
  daemon logs it with its own sinks, so the history file and the log format are
  the daemon's.

It ends when the daemon writes :class:`Stop`, when the pipe closes (the daemon
died: the worker never outlives it) or when its supervisor gives up (exit 1),
giving its tree ``WORKER_EXIT_S`` to stop. One thread writes the pipe, fed by a
queue (actors, the status thread and loguru hand it messages from different
threads).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import sys
import threading
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from typing import Any

import attrs
from loguru import logger

from actors.feed._actor import FeedActor
from actors.feed._config import FeedConfig
from actors.feed._status import FeedStatus
from actors.messages import BookConsumed, BookStale, BookUpdate, EventsListed
from supervision import (
    ChildSpec,
    ChildUnavailable,
    SupervisedActor,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
)

STATUS_INTERVAL_S = 1.0
"""How often the worker reports the feed's status (and so that it is alive)."""

WORKER_EXIT_S = 1.5
"""How long the worker gives its tree to stop before it exits anyway: it holds nothing
that outlives it (books are rebuilt from snapshots), and the daemon waits for it."""

RELAY = "relay"
"""The feed's consumer inside the worker."""

RELAY_BATCH = 256
"""The most books (and staleness notices) the relay holds before it writes them."""


@attrs.frozen
class Ack:
    """Daemon → worker: the daemon's strategy is done with ``ticker``'s book ``seq``."""

    ticker: str
    seq: int


@attrs.frozen
class Stop:
    """Daemon → worker: stop the feed and exit."""


@attrs.frozen(eq=False)
class WorkerStatus:
    """Worker → daemon: the pid, and the feed's pickled ``FeedStatus`` (None: no answer)."""

    pid: int
    status: bytes | None

    def decoded(self) -> FeedStatus | None:
        return None if self.status is None else pickle.loads(self.status)  # noqa: S301 - our child


@attrs.frozen
class WorkerLog:
    """Worker → daemon: one log line of the worker's."""

    level: str
    text: str
    extra: dict[str, Any]


class Pipe:
    """The worker's end of the pipe: whole pickled messages, written by one thread of
    its own in the order they were handed over (actors, the status thread and loguru
    hand them over from different threads; a queue orders them, no lock)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._writer = threading.Thread(
            target=self._write_all, name="feed-worker-pipe", daemon=True
        )
        self._writer.start()

    def write(self, message: object) -> bool:
        """Hand ``message`` over for sending; False once the pipe is closed (the daemon
        is gone)."""
        if self._closed.is_set():
            return False
        self._outbox.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        return True

    def close(self, timeout: float) -> None:
        """Send what was handed over (waiting at most ``timeout``), then stop writing."""
        self._outbox.put(None)
        self._writer.join(timeout)

    def _write_all(self) -> None:
        while (data := self._outbox.get()) is not None:
            try:
                self._conn.send_bytes(data)
            except (OSError, ValueError):
                self._closed.set()
                return


class Relay(SupervisedActor):
    """The feed's consumer in the worker: what the feed sends goes down the pipe, and the
    daemon's acknowledgements (told by the reader thread as :class:`Ack`) go to the feed.

    What the feed sends is written in batches (a list, in order): held while more
    waits in the mailbox, written when it is empty or ``RELAY_BATCH`` are held, so
    the daemon wakes once per batch, not once per book."""

    def __init__(self, pipe: Pipe, *, feed: str = "feed") -> None:
        super().__init__()
        self._pipe = pipe
        self._feed = feed
        self._held: list[object] = []

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {
            BookUpdate: self._hold,
            BookStale: self._hold,
            EventsListed: self._hold,
            Ack: self._on_ack,
        }

    def on_receive(self, message: Any) -> Any:
        result = super().on_receive(message)
        held = self._held
        if held and (len(held) >= RELAY_BATCH or not self.mailbox_waiting()):
            self._held = []
            self._pipe.write(held)
        return result

    def _hold(self, message: object) -> None:
        self._held.append(message)

    def _on_ack(self, ack: Ack) -> None:
        with contextlib.suppress(ChildUnavailable):  # a restarting feed has nothing in flight
            self.send(self._feed, BookConsumed(ack.ticker, ack.seq))


def run_feed_worker(conn: Connection, seed: int) -> None:
    """The worker process: see the module docstring. Exits 0 on :class:`Stop` or a closed
    pipe, 1 if the feed's supervisor gave up or the config could not be built (its
    recipe unreadable, or raising)."""
    try:
        data = conn.recv_bytes()
    except (EOFError, OSError):
        os._exit(0)  # the daemon went away before it sent the recipe
    pipe = Pipe(conn)
    _log_to(pipe)
    try:
        recipe: Callable[[], FeedConfig] = pickle.loads(data)  # noqa: S301 - our parent
        config = recipe()
    except Exception as error:  # noqa: BLE001 - any failure: said, and the process ends
        logger.bind(event="feed_worker_config").error(
            "feed worker: cannot build the feed's config: {}: {}", type(error).__name__, error
        )
        pipe.close(timeout=WORKER_EXIT_S)  # the line reaches the daemon before the exit
        sys.exit(1)
    spec = SupervisorSpec(
        name="feed-worker",
        children=(
            ChildSpec(name=RELAY, factory=lambda: Relay(pipe)),
            ChildSpec(name="feed", factory=lambda: FeedActor(config, consumer=RELAY)),
        ),
    )
    host = TreeThread(SupervisionTree(spec, seed=seed)).start()
    stopped = threading.Event()
    threading.Thread(
        target=_report_status, args=(host, pipe, stopped), name="feed-worker-status", daemon=True
    ).start()
    try:
        _serve_daemon(conn, host, stopped)
    finally:
        stopped.set()
        with contextlib.suppress(TimeoutError):  # a feed flat out: the books die with us
            host.stop(timeout=WORKER_EXIT_S)
        pipe.close(timeout=WORKER_EXIT_S)  # the last log lines reach the daemon
    os._exit(1 if host.error is not None else 0)  # no thread of ours is worth waiting for


def _serve_daemon(conn: Connection, host: TreeThread, stopped: threading.Event) -> None:
    """Read the daemon's messages until :class:`Stop`, a closed pipe, or the tree ends."""
    while host.running and not stopped.is_set():
        try:
            if not conn.poll(0.5):
                continue
            message = pickle.loads(conn.recv_bytes())  # noqa: S301 - our parent
        except (EOFError, OSError):
            return  # the daemon is gone
        if isinstance(message, Stop):
            return
        for ack in message if isinstance(message, list) else (message,):
            if isinstance(ack, Ack):
                with contextlib.suppress(ChildUnavailable):  # restarting: its feed is gone too
                    host.tree.tell(RELAY, ack)


def _report_status(host: TreeThread, pipe: Pipe, stopped: threading.Event) -> None:
    pid = os.getpid()
    while not stopped.wait(STATUS_INTERVAL_S):
        status = host.tree.snapshot().status_of("feed", FeedStatus)
        data = None if status is None else pickle.dumps(status, pickle.HIGHEST_PROTOCOL)
        if not pipe.write(WorkerStatus(pid, data)):
            stopped.set()  # the daemon is gone


def _log_to(pipe: Pipe) -> None:
    """Every log line of the worker goes to the daemon as a :class:`WorkerLog`."""

    def sink(message: Any) -> None:
        record = message.record
        extra = {k: v for k, v in record["extra"].items() if _plain(v)}
        pipe.write(WorkerLog(record["level"].name, record["message"], extra))

    logger.remove()
    logger.add(sink, level="DEBUG", format="{message}", diagnose=False, backtrace=False)


def _plain(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
