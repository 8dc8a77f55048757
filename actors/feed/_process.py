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

With ``workers = N`` (``[feed] workers``) it runs N workers, each a feed of its own
connection following one shard of the markets (``FeedConfig.shard``: whole events,
:func:`~actors.feed._config.shard_of`), so the venue's stream is read and parsed on
N cores. They are one feed to the rest of the daemon: one name in the tree, one
consumer, one ``EventsListed`` (the union of the workers' latest listings, sent
again whenever one of them lists anew) and one status (:func:`merged_status`:
``starting`` until every worker has reported). Any worker's exit or silence crashes
this actor, and its restart starts every worker again.

Time: the worker stamps books with ``time.monotonic()``, the machine's monotonic
clock, which every process shares: so the daemon's clock must be one whose
``monotonic`` is ``time.monotonic`` (:class:`~supervision.SystemClock`, or ``warden
run --chaos``'s offset clock, whose wall time alone jumps); on any other (a test's
manual clock) this actor refuses to start (:class:`FeedProcessUnavailable`). The
worker's wall time (a frame's lag behind the venue's stamp) is the machine's, so
under the chaos clock's jumps the feed's venue lag is still measured against the
venue's real time, as the venue keeps it.
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
from actors.feed._status import ConnectionStatus, FeedStatus, MarketFeedStatus, merged_status
from actors.feed._worker import (
    STATUS_INTERVAL_S,
    Ack,
    Stop,
    WorkerLog,
    WorkerStatus,
    run_feed_worker,
)
from actors.messages import BookConsumed, BookStale, BookUpdate, EventsListed
from supervision import Down, SupervisedActor

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
class _FromWorker:
    """From worker ``index``'s reader thread: what the worker wrote (a batch is a list)."""

    index: int
    body: Any


@attrs.frozen
class _WorkerGone:
    """From worker ``index``'s reader thread: the pipe closed (the worker exited)."""

    index: int


@attrs.frozen
class _CheckWorker:
    """From worker ``index``'s reader thread, every ``STATUS_INTERVAL_S``: time to check
    its heartbeat and retry deliveries."""

    index: int


@attrs.frozen
class ShardRecipe:
    """``recipe``'s config for shard ``index`` of ``count`` (picklable when ``recipe`` is)."""

    recipe: Callable[[], FeedConfig]
    index: int
    count: int

    def __call__(self) -> FeedConfig:
        return attrs.evolve(self.recipe(), shard=(self.index, self.count))


@attrs.define
class _Worker:
    """One worker process as this incarnation sees it (its place in the list is its index)."""

    process: multiprocessing.process.BaseProcess
    conn: Connection
    heard_at: float  # time.monotonic() of its last message
    status: WorkerStatus | None = None
    listed: EventsListed | None = None  # its session's latest listing
    acks: list[Ack] = attrs.Factory(list)  # to it, written together


class FeedProcessActor(SupervisedActor):
    """The feed, run in ``workers`` worker processes; see the module docstring."""

    def __init__(
        self, recipe: Callable[[], FeedConfig], *, consumer: str = "strategy", workers: int = 1
    ) -> None:
        super().__init__()
        if type(workers) is not int or workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {workers!r}")
        self.recipe = recipe
        self.consumer = consumer
        self.workers = workers
        self._workers: list[_Worker] = []
        self._delivery = Delivery(self._send_to_consumer)
        self._unacked: dict[str, tuple[int, int]] = {}  # ticker -> (worker, seq it waits on)
        self._listing = ListingDelivery(self._send_to_consumer)
        self._worker_logs = 0
        self._from = 0  # the worker whose message is being handled

    # -- lifecycle ----------------------------------------------------------------

    def on_start(self) -> None:
        if self.clock.monotonic is not time.monotonic:
            raise FeedProcessUnavailable(
                "the feed runs in its own process only on the system clock's monotonic time"
                f" (this tree runs on {type(self.clock).__name__})"
            )
        self.monitor(self.consumer)
        for index in range(self.workers):
            self._workers.append(self._start_worker(index))

    def _start_worker(self, index: int) -> _Worker:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        recipe = ShardRecipe(self.recipe, index, self.workers)
        data = pickle.dumps(recipe, pickle.HIGHEST_PROTOCOL)  # unpicklable: fails the start
        suffix = "" if self.workers == 1 else f"-{index}"
        process = context.Process(
            target=run_feed_worker,
            args=(theirs, self.rng.getrandbits(32)),
            name=f"{self.name}{suffix}-worker",
            daemon=True,
        )
        process.start()
        theirs.close()  # the worker's end lives in the worker only: its exit closes the pipe
        # The recipe goes down the pipe, not as an argument (see actors.feed._worker): a
        # socket buffer takes it at once unless it is hundreds of kilobytes.
        with contextlib.suppress(OSError):  # the worker died already: its reader says so
            ours.send_bytes(data)
        worker = _Worker(process, ours, heard_at=time.monotonic())
        threading.Thread(
            target=_read_worker,
            args=(ours, self.actor_ref, index),
            name=f"{self.name}{suffix}-reader",
            daemon=True,
        ).start()
        logger.bind(event="feed_worker_started", child=self.name, worker_index=index).info(
            "feed: worker process {} started{}", process.pid, self._of(index)
        )
        return worker

    def _of(self, index: int) -> str:
        """`` (worker i of n)`` when there are several, else nothing."""
        return "" if self.workers == 1 else f" (worker {index} of {self.workers})"

    def on_stop(self) -> None:
        self._stop_workers()

    def on_failure(self, *_exc_info: object) -> None:
        self._stop_workers()

    def _stop_workers(self) -> None:
        """Ask every worker to stop, then wait for each (terminate, then kill, one that
        does not exit within ``WORKER_STOP_S``)."""
        workers, self._workers = self._workers, []
        for worker in workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send_bytes(pickle.dumps(Stop()))
        for worker in workers:
            process = worker.process
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
            worker.conn.close()  # the reader thread sees the pipe closed and ends

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
        if type(message) is _FromWorker:
            self._from = message.index
            body = message.body
            for item in body if type(body) is list else (body,):  # a batch, in order
                super().on_receive(item)
        else:
            super().on_receive(message)
        if not self.mailbox_waiting():
            for worker in self._workers:
                acks = worker.acks
                if acks:
                    worker.acks = []
                    with contextlib.suppress(OSError, ValueError):  # gone: _WorkerGone follows
                        worker.conn.send_bytes(pickle.dumps(acks, pickle.HIGHEST_PROTOCOL))

    def _on_update(self, update: BookUpdate) -> None:
        self._unacked[update.ticker] = (self._from, update.book.seq)
        self._delivery.offer(update)

    def _on_listed(self, listed: EventsListed) -> None:
        worker = self._worker(self._from)
        if worker is None:
            return
        worker.listed = listed
        listings = [w.listed for w in self._workers if w.listed is not None]
        self._listing.new_session(
            EventsListed(
                tuple(event for one in listings for event in one.events),
                tuple(market for one in listings for market in one.markets),
            )
        )

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
        """Acknowledge to its worker each of ``tickers`` that is waited on and has nothing
        waiting here (so this side holds at most one book per market beyond the one in
        flight)."""
        delivery, workers = self._delivery, self._workers
        for ticker in tickers:
            if delivery.has_pending(ticker) or (waited := self._unacked.pop(ticker, None)) is None:
                continue
            index, seq = waited
            if index < len(workers):
                workers[index].acks.append(Ack(ticker, seq))  # written once the mailbox is empty

    def _worker(self, index: int) -> _Worker | None:
        workers = self._workers
        return workers[index] if index < len(workers) else None

    def _on_status(self, status: WorkerStatus) -> None:
        worker = self._worker(self._from)
        if worker is not None:
            worker.status, worker.heard_at = status, time.monotonic()

    def _on_log(self, line: WorkerLog) -> None:
        self._worker_logs += 1
        extra = {**line.extra, "child": self.name, "worker": True}
        if self.workers > 1:
            extra["worker_index"] = self._from
        logger.bind(**extra).log(line.level, "{}", line.text)

    def _on_check(self, message: _CheckWorker) -> None:
        worker = self._worker(message.index)
        if worker is not None:
            silent = time.monotonic() - worker.heard_at
            if silent > WORKER_SILENCE_S:
                worker.process.kill()
                raise FeedWorkerLost(
                    f"the feed's worker process{self._of(message.index)} reported nothing"
                    f" for {silent:.1f}s"
                )
        if self._listing.deliver():
            self._delivery.flush()

    def _on_gone(self, message: _WorkerGone) -> None:
        worker = self._worker(message.index)
        code = None
        if worker is not None:
            worker.process.join(1.0)
            code = worker.process.exitcode
        raise FeedWorkerLost(
            f"the feed's worker process{self._of(message.index)} exited (exit code {code})"
        )

    def _send_to_consumer(self, message: Any) -> int:
        return self.send(self.consumer, message)

    # -- introspection ------------------------------------------------------------

    def state_summary(self) -> FeedStatus:
        """The workers' latest statuses, merged (:func:`merged_status`), with this side's
        delivery state in place of their relays' (``starting`` until every worker has
        reported)."""
        parts = [None if w.status is None else w.status.decoded() for w in self._workers]
        delivery = self._delivery
        if not parts or any(part is None for part in parts):
            return FeedStatus(
                self.consumer,
                ConnectionStatus(state="starting"),
                updates=attrs.evolve(delivery.counts),
                unknown_messages=self.unknown_messages,
            )
        worker = merged_status([part for part in parts if part is not None])
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


def _read_worker(conn: Connection, actor: pykka.ActorRef[Any], index: int) -> None:
    """The reader thread of worker ``index``: tell the actor every message of the
    worker's (as :class:`_FromWorker`), and a :class:`_CheckWorker` every
    ``STATUS_INTERVAL_S``; :class:`_WorkerGone` when the pipe closes. Ends when the
    actor is gone."""
    next_check = time.monotonic() + STATUS_INTERVAL_S
    try:
        while True:
            timeout = max(0.0, next_check - time.monotonic())
            try:
                if conn.poll(timeout):
                    message = pickle.loads(conn.recv_bytes())  # noqa: S301 - our child
                    actor.tell(_FromWorker(index, message))
            except (EOFError, OSError, ValueError):
                actor.tell(_WorkerGone(index))
                return
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + STATUS_INTERVAL_S
                actor.tell(_CheckWorker(index))
    except pykka.ActorDeadError:
        return  # this incarnation ended: a new one has its own reader
