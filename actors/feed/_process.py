"""The feed in a process of its own: the daemon's side (issue 15).

One feed reads, parses and keeps books on one core flat out at 25-55k deltas/s,
and every one of those frames takes the interpreter lock the order path needs
too. :class:`FeedProcessActor` stands where :class:`~actors.feed.FeedActor`
stands in the daemon's tree (same name, same consumer contract, same status
class) and runs the real feed in a worker process
(:mod:`actors.feed._worker`), so the daemon's process handles only the books its
strategy consumes: conflated per market end to end, one in flight at a time.

Supervision semantics are the in-process feed's:

- ``on_start`` starts the worker (``spawn``: a fresh interpreter, none of the
  daemon's threads or locks) and a reader thread that tells this actor what the
  worker writes; ``on_stop`` and ``on_failure`` stop it (:class:`Stop`, then
  ``terminate`` and ``kill`` if it does not exit within ``WORKER_STOP_S``);
- the worker's exit, or silence (no :class:`WorkerStatus` within
  ``WORKER_SILENCE_S``), crashes this actor with :class:`FeedWorkerLost`: its
  supervisor restarts it, which starts a new worker. A feed actor crash inside the
  worker is the worker's own supervisor's business (restarted there, logged here);
- the worker never outlives the daemon: it exits when its pipe closes.

Delivery to the consumer is a :class:`~actors.feed._delivery.Delivery` (as in the
feed): ``BookUpdate`` at most one in flight per market, ``BookStale`` at once,
``EventsListed`` to every new incarnation of the consumer before its books. The
worker is acknowledged (:class:`Ack`) for a market's book once the consumer has
taken it and nothing of that market waits here, and, when an incarnation of the
consumer ends, for whatever it held (its latest books are re-offered to the next
one, as the feed does).

Time: the worker stamps books with ``time.monotonic()``, which is the daemon's
clock only when the daemon runs on the system clock; on any other clock (tests,
chaos' clock faults) this actor refuses to start (:class:`FeedProcessUnavailable`).
The worker builds its config by calling ``recipe`` (picklable, so it is sent to
the new interpreter; it loads any key there, from the file or the environment).
``state_summary()`` is the worker's latest :class:`~actors.feed.FeedStatus`
(at most ``STATUS_INTERVAL_S`` old) with this side's delivery counts and
in-flight state in place of the worker's relay's.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import threading
import time
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from typing import Any

import attrs
import pykka
from loguru import logger

from actors.feed._config import FeedConfig
from actors.feed._delivery import Delivery, ListingDelivery
from actors.feed._status import ConnectionStatus, FeedStatus, MarketFeedStatus
from actors.feed._worker import (
    STATUS_INTERVAL_S,
    Ack,
    Stop,
    WorkerLog,
    WorkerStatus,
    run_feed_worker,
)
from actors.messages import BookConsumed, BookStale, BookUpdate, EventsListed
from supervision import Down, SupervisedActor, SystemClock

WORKER_SILENCE_S = 10 * STATUS_INTERVAL_S
"""A worker that reports nothing for this long is taken for wedged: killed, and this
actor crashes (restarted by its supervisor with a new worker)."""

WORKER_STOP_S = 2.5
"""How long a stopping worker may take before it is terminated (then killed a second
later): within the runtime's default 5 s ``shutdown_timeout`` of an orderly stop."""


class FeedWorkerLost(RuntimeError):
    """The feed's worker process exited or went silent (this actor crashes with it)."""


class FeedProcessUnavailable(RuntimeError):
    """The feed cannot run in its own process here (see the module docstring)."""


@attrs.frozen
class _WorkerGone:
    """From the reader thread: the pipe closed (the worker exited)."""


@attrs.frozen
class _CheckWorker:
    """From the reader thread, every ``STATUS_INTERVAL_S``: time to check the worker's
    heartbeat and retry deliveries."""


class FeedProcessActor(SupervisedActor):
    """The feed, run in a worker process; see the module docstring."""

    def __init__(self, recipe: Callable[[], FeedConfig], *, consumer: str = "strategy") -> None:
        super().__init__()
        self.recipe = recipe
        self.consumer = consumer
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._reader: threading.Thread | None = None
        self._delivery = Delivery(self._send_to_consumer)
        self._unacked: dict[str, int] = {}  # ticker -> seq the worker waits to hear of
        self._listing = ListingDelivery(self._send_to_consumer)
        self._status: WorkerStatus | None = None
        self._heard_at = 0.0  # time.monotonic() of the worker's last message
        self._worker_logs = 0
        self._acks: list[Ack] = []  # to the worker, written together

    # -- lifecycle ----------------------------------------------------------------

    def on_start(self) -> None:
        if not isinstance(self.clock, SystemClock):
            raise FeedProcessUnavailable(
                "the feed runs in its own process only on the system clock"
                f" (this tree runs on {type(self.clock).__name__})"
            )
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=run_feed_worker,
            args=(self.recipe, theirs, self.rng.getrandbits(32)),
            name=f"{self.name}-worker",
            daemon=True,
        )
        process.start()
        theirs.close()  # the worker's end lives in the worker only: its exit closes the pipe
        self._process, self._conn = process, ours
        self._heard_at = time.monotonic()
        self.monitor(self.consumer)
        reader = threading.Thread(
            target=_read_worker,
            args=(ours, self.actor_ref),
            name=f"{self.name}-reader",
            daemon=True,
        )
        reader.start()
        self._reader = reader
        logger.bind(event="feed_worker_started", child=self.name).info(
            "feed: worker process {} started", process.pid
        )

    def on_stop(self) -> None:
        self._stop_worker()

    def on_failure(self, *_exc_info: object) -> None:
        self._stop_worker()

    def _stop_worker(self) -> None:
        process, conn = self._process, self._conn
        if process is None or conn is None:
            return
        self._process = None
        with contextlib.suppress(OSError, ValueError):
            conn.send_bytes(pickle.dumps(Stop()))
        process.join(WORKER_STOP_S)
        if process.is_alive():
            logger.bind(event="feed_worker_stuck", child=self.name).warning(
                "feed: worker process {} did not stop in {}s; terminating it",
                process.pid,
                WORKER_STOP_S,
            )
            process.terminate()
            process.join(1.0)
            if process.is_alive():
                process.kill()
                process.join(1.0)
        conn.close()  # the reader thread sees the pipe closed and ends

    # -- messages -----------------------------------------------------------------

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {
            BookUpdate: self._on_update,
            BookStale: self._delivery.stale,
            EventsListed: self._on_listed,
            BookConsumed: self._on_consumed,
            Down: self._on_down,
            WorkerStatus: self._on_status,
            WorkerLog: self._on_log,
            _CheckWorker: self._on_check,
            _WorkerGone: self._on_gone,
        }

    def on_receive(self, message: Any) -> Any:
        if type(message) is list:  # a batch of the worker's, in order
            for item in message:
                super().on_receive(item)
        else:
            super().on_receive(message)
        acks = self._acks
        if acks and not self.mailbox_waiting():
            self._acks = []
            conn = self._conn
            if conn is not None:
                with contextlib.suppress(OSError, ValueError):  # gone: _WorkerGone follows
                    conn.send_bytes(pickle.dumps(acks, pickle.HIGHEST_PROTOCOL))

    def _on_update(self, update: BookUpdate) -> None:
        self._unacked[update.ticker] = update.book.seq
        self._delivery.offer(update)

    def _on_listed(self, listed: EventsListed) -> None:
        self._listing.new_session(listed)

    def _on_consumed(self, message: BookConsumed) -> None:
        self._delivery.consumed(message.ticker, message.seq)
        self._ack_worker((message.ticker,))

    def _on_down(self, message: Down) -> None:
        if message.name != self.consumer:
            self.on_unknown(message)  # we monitor nobody else
            return
        self._listing.consumer_down()
        self._delivery.consumer_down(message.epoch)
        self._ack_worker(tuple(self._unacked))

    def _ack_worker(self, tickers: tuple[str, ...]) -> None:
        """Acknowledge to the worker each of ``tickers`` it waits on and that has nothing
        waiting here (so this side holds at most one book per market beyond the one in
        flight)."""
        delivery = self._delivery
        for ticker in tickers:
            if delivery.has_pending(ticker) or (seq := self._unacked.pop(ticker, None)) is None:
                continue
            self._acks.append(Ack(ticker, seq))  # written once the mailbox is empty

    def _on_status(self, status: WorkerStatus) -> None:
        self._status, self._heard_at = status, time.monotonic()

    def _on_log(self, line: WorkerLog) -> None:
        self._worker_logs += 1
        extra = {**line.extra, "child": self.name, "worker": True}
        logger.bind(**extra).log(line.level, "{}", line.text)

    def _on_check(self, _message: _CheckWorker) -> None:
        silent = time.monotonic() - self._heard_at
        if silent > WORKER_SILENCE_S:
            process = self._process
            if process is not None:
                process.kill()
            raise FeedWorkerLost(f"the feed's worker process reported nothing for {silent:.1f}s")
        if self._listing.deliver():
            self._delivery.flush()

    def _on_gone(self, _message: _WorkerGone) -> None:
        process = self._process
        code = None
        if process is not None:
            process.join(1.0)
            code = process.exitcode
        raise FeedWorkerLost(f"the feed's worker process exited (exit code {code})")

    def _send_to_consumer(self, message: Any) -> int:
        return self.send(self.consumer, message)

    # -- introspection ------------------------------------------------------------

    def state_summary(self) -> FeedStatus:
        """The worker's latest status with this side's delivery state in place of its
        relay's (``starting`` until the worker first reports)."""
        worker = None if self._status is None else self._status.decoded()
        delivery = self._delivery
        if worker is None:
            return FeedStatus(
                self.consumer,
                ConnectionStatus(state="starting"),
                updates=attrs.evolve(delivery.counts),
                unknown_messages=self.unknown_messages,
            )
        in_flight, pending = delivery.in_flight, set(delivery.pending)
        markets: dict[str, MarketFeedStatus] = {
            ticker: attrs.evolve(
                market, in_flight_seq=in_flight.get(ticker), pending=ticker in pending
            )
            for ticker, market in worker.markets.items()
        }
        return attrs.evolve(
            worker,
            consumer=self.consumer,
            markets=markets,
            updates=attrs.evolve(delivery.counts),
            unknown_messages=worker.unknown_messages + self.unknown_messages,
        )


def _read_worker(conn: Connection, actor: pykka.ActorRef[Any]) -> None:
    """The reader thread: tell the actor every message of the worker's, and a
    :class:`_CheckWorker` every ``STATUS_INTERVAL_S``; :class:`_WorkerGone` when the
    pipe closes. Ends when the actor is gone."""
    next_check = time.monotonic() + STATUS_INTERVAL_S
    try:
        while True:
            timeout = max(0.0, next_check - time.monotonic())
            try:
                if conn.poll(timeout):
                    message = pickle.loads(conn.recv_bytes())  # noqa: S301 - our child
                    actor.tell(message)
            except (EOFError, OSError, ValueError):
                actor.tell(_WorkerGone())
                return
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + STATUS_INTERVAL_S
                actor.tell(_CheckWorker())
    except pykka.ActorDeadError:
        return  # this incarnation ended: a new one has its own reader
