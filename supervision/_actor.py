"""The base class of every supervised worker: a pykka ThreadingActor that reports its life.

pykka's own loop is replaced (``_actor_loop``) to close the gaps DESIGN.md §3
measured in pykka 4.5, while keeping pykka's handler contract:

- a handler raising while serving an ``ask`` fails that ask; the actor lives on;
- a handler raising while serving a ``tell`` crashes the incarnation: ``on_failure``
  runs, queued messages are dead-lettered (counted) and the supervisor hears ``Ended``;
- ``on_start`` raising is reported as a start failure (pykka would say nothing);
- a ``BaseException`` (``SystemExit``, ``KeyboardInterrupt``) becomes
  :class:`HandlerAborted` and crashes this actor only (pykka would stop every actor);
- threads are daemon threads, so an abandoned hung handler cannot block exit.
"""

from __future__ import annotations

import bisect
import queue
import random
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pykka
from loguru import logger
from pykka.messages import ProxyCall, ProxyGetAttr, ProxySetAttr, _ActorStop

from supervision._clock import Clock
from supervision._directory import Directory
from supervision._errors import HandlerAborted
from supervision._faults import ArmedFault, suffer
from supervision._messages import DownReason, Ended, Started, SummaryRequest, Tagged

_RUNTIME_MESSAGES = frozenset({_ActorStop, ProxyCall, ProxyGetAttr, ProxySetAttr, ArmedFault})
"""pykka's own messages keep pykka's meaning; an :class:`ArmedFault` (only a tree
built with ``fault_injection=True`` sends one) is carried out by the runtime."""

_BOOKKEEPING = frozenset({_ActorStop, SummaryRequest})
"""Envelopes counted as ``runtime_handled``, not as messages of the actor's."""

LATENCY_BOUNDS_S: tuple[float, ...] = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
)  # fmt: skip
"""Upper bounds of the handler-latency buckets; one more bucket holds the rest."""

LATENCY_SAMPLE_MASK = 15
"""Handler latency is sampled on one message in 16: timing every message would
cost the hot path a second clock read and a bucket search (see docs/benchmarks.md)."""


class CountingInbox(queue.Queue[Any]):
    """An actor's mailbox: a FIFO that counts every envelope ever put in it.

    The count is taken under the queue's own lock, so it is exact with any
    number of sending threads; it is the "sent" side of message accounting
    (DESIGN.md §6 invariant 10): every envelope put here is processed, dropped
    as stale, dead-lettered, still queued, or arrived after its incarnation
    ended (counted by the supervisor as lost after end).
    """

    # The count costs the hot path nothing: ``queue.Queue.put`` already adds one to
    # ``unfinished_tasks`` under its lock for every item, and only ``task_done``
    # (which no mailbox needs, so it is refused here) ever takes it down.

    @property
    def received(self) -> int:
        return self.unfinished_tasks

    def task_done(self) -> None:
        raise TypeError("a CountingInbox counts puts in unfinished_tasks; task_done is refused")

    def take_or_total(self) -> tuple[Any | None, int]:
        """The next envelope (or ``None`` if empty) and the count so far, atomically."""
        with self.mutex:
            return (self.queue.popleft() if self.queue else None), self.unfinished_tasks

    def counts(self) -> tuple[int, int]:
        """``(received so far, queued now)``, read together."""
        with self.mutex:
            return self.unfinished_tasks, len(self.queue)

    def waiting(self) -> int:
        """How many envelopes are queued now, read without the queue's lock: a hint
        (a sender may be adding one this instant), for an actor deciding whether more
        is on its way. Taking the lock on every message would contend with the
        threads that send them."""
        return len(self.queue)

    def queued_runtime(self) -> int:
        """How many queued envelopes are the runtime's own (stop, summary request)."""
        with self.mutex:
            return sum(type(e.message) in _BOOKKEEPING for e in self.queue)


@attrs.frozen
class Binding:
    """What one incarnation knows of its place in the tree; set before its thread starts."""

    name: str
    path: str
    epoch: int
    clock: Clock
    rng: random.Random
    directory: Directory
    report: Callable[[Started | Ended], None]


class SupervisedActor(pykka.ThreadingActor):
    """Subclass this and declare :meth:`handlers` (and optionally ``on_start``,
    ``on_stop``, ``on_failure``, ``state_summary``).

    Dispatch is one idiom for every actor: :meth:`handlers` maps each message
    type the actor takes to the method that handles it; :meth:`on_receive`
    looks the message's exact type up there and hands anything else to
    :meth:`on_unknown` (counted in ``unknown_messages`` and logged, never
    raised). An actor that must do something before every message overrides
    ``on_receive`` and calls ``super().on_receive(message)``.

    While running, an incarnation has ``name``, ``epoch``, ``clock`` and ``rng``
    (a generator seeded from the tree seed, the name and the epoch). Use
    :meth:`send` to talk to other actors by name and :meth:`monitor` to hear
    when another actor's incarnation ends. ``message_sender`` names the sender
    of the message being handled when it came through :meth:`send`.
    """

    use_daemon_thread = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._binding: Binding | None = None
        self._inflight_since: float | None = None
        self._processed = 0
        self._stale_dropped = 0
        self._runtime_handled = 0  # stop and summary requests: not messages of the actor's
        self._dead_letters = 0  # left in the mailbox at the end
        self._stop_error: BaseException | None = None
        # Introspection: at most one SummaryRequest queued at a time; the last answer kept.
        self._summary_pending = False
        self._last_summary: object | None = None
        self._handler_table: dict[type[Any], Callable[[Any], Any]] | None = None
        self.unknown_messages = 0
        self._latency_counts = [0] * (len(LATENCY_BOUNDS_S) + 1)
        self._latency_sum = 0.0
        self._sampled_at = 0
        self.message_sender: str | None = None

    # -- what subclasses use ----------------------------------------------------

    @property
    def binding(self) -> Binding:
        if self._binding is None:
            raise RuntimeError(f"{type(self).__name__} is not running under a supervisor")
        return self._binding

    @property
    def name(self) -> str:
        return self.binding.name

    @property
    def epoch(self) -> int:
        return self.binding.epoch

    @property
    def clock(self) -> Clock:
        return self.binding.clock

    @property
    def rng(self) -> random.Random:
        return self.binding.rng

    def send(self, to: str, message: Any) -> int:
        """Tell ``message`` to the running incarnation of ``to``, tagged with our epoch;
        returns the epoch of the incarnation it was delivered to (so a sender can tie
        what it handed over to that incarnation and act on its ``Down``).

        Raises :class:`ChildUnavailable` if ``to`` has no running incarnation.
        If this incarnation has been fenced, the receiver drops the message as stale.
        """
        binding = self.binding
        return binding.directory.tell(to, Tagged(binding.name, binding.epoch, message))

    def monitor(self, name: str) -> None:
        """Receive :class:`Down` each time an incarnation of ``name`` ends (until this
        incarnation ends or calls :meth:`demonitor`)."""
        self.binding.directory.monitor(name, self.name, self.epoch)

    def demonitor(self, name: str) -> None:
        self.binding.directory.demonitor(name, self.name, self.epoch)

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        """The actor's message table: exact message type -> handler (a bound method
        taking the message). Read once per incarnation, on its first message."""
        return {}

    def on_receive(self, message: Any) -> Any:
        """Hand ``message`` to its handler from :meth:`handlers`, or to :meth:`on_unknown`."""
        table = self._handler_table
        if table is None:
            table = self._handler_table = dict(self.handlers())
        handler = table.get(type(message))
        if handler is None:
            return self.on_unknown(message)
        return handler(message)

    def on_unknown(self, message: Any) -> None:
        """A message no handler takes: counted and logged, and otherwise ignored."""
        self.unknown_messages += 1
        logger.bind(event="unknown_message", child=self.name, epoch=self.epoch).warning(
            "{} ignored a {} from {}", self.name, type(message).__name__, self.message_sender
        )

    def mailbox_waiting(self) -> int:
        """How many messages wait in this incarnation's mailbox now: a hint
        (:meth:`CountingInbox.waiting`), for holding work back while more is queued
        and doing it in one go when the mailbox is empty."""
        inbox: CountingInbox = self.actor_inbox  # type: ignore[assignment]
        return inbox.waiting()

    def state_summary(self) -> object | None:
        """This actor's status for introspection: an instance of a frozen attrs class
        registered with :func:`~supervision.status_type` (so the snapshot can be
        turned into JSON and back), or ``None`` for nothing to say.

        Runs in the actor's thread, between messages. Override it; keep it cheap,
        and never hand out a mutable object the actor keeps changing.
        """
        return None

    # -- runtime internals ------------------------------------------------------

    def _bind(self, binding: Binding) -> None:
        self._binding = binding

    @staticmethod
    def _create_actor_inbox() -> Any:
        return CountingInbox()

    def _fence(self) -> None:
        """Cut a hung incarnation off: it takes no new messages and leaves the registry.

        Called from the supervisor's thread; the hung handler keeps its thread
        until it returns (if ever), then the loop exits without serving more.
        """
        self.actor_stopped.set()
        pykka.ActorRegistry.unregister(self.actor_ref)
        try:
            self.on_fenced()
        except Exception as exc:  # noqa: BLE001 - fencing must go through whatever the hook does
            self._log_failure("on_fenced raised", exc)

    def on_fenced(self) -> None:
        """Called once this incarnation is cut off (hung, crashed or failed to start),
        possibly from the supervisor's thread while a handler still blocks this
        actor's own. Override it to stop side effects that run on other threads
        (an I/O loop); it must not block. ``on_stop``/``on_failure`` still run
        if the blocked handler ever returns."""

    def _stop(self) -> None:
        # pykka's _stop swallows an on_stop error after logging it; we report it.
        pykka.ActorRegistry.unregister(self.actor_ref)
        self.actor_stopped.set()
        try:
            self.on_stop()
        except Exception as exc:  # noqa: BLE001 - reported to the supervisor as a crash
            self._stop_error = exc

    def _handle_receive(self, message: Any) -> Any:
        # The hot path: one type lookup, then straight to on_receive for plain messages.
        kind = type(message)
        if kind is Tagged:
            return self._receive_tagged(message)
        if kind is SummaryRequest:
            self._runtime_handled += 1
            self._last_summary = self.state_summary()
            self._summary_pending = False
            return self._last_summary
        if kind in _RUNTIME_MESSAGES:
            if kind is _ActorStop:
                self._runtime_handled += 1
            else:
                self._processed += 1
            if kind is ArmedFault:
                binding = self.binding
                return suffer(message, binding.name, binding.epoch, self.actor_stopped)
            return super()._handle_receive(message)
        self._processed += 1
        return self.on_receive(message)

    def _receive_tagged(self, message: Tagged) -> Any:
        binding = self.binding
        if not binding.directory.is_current(message.sender, message.epoch):
            self._stale_dropped += 1
            logger.bind(
                event="stale_dropped",
                supervisor=binding.path.rpartition("/")[0],
                child=binding.name,
                epoch=binding.epoch,
                reason="stale_epoch",
                sender=message.sender,
                sender_epoch=message.epoch,
            ).info(
                "{} dropped a message from stale incarnation {}#{}",
                binding.name,
                message.sender,
                message.epoch,
            )
            return None
        self._processed += 1
        self.message_sender = message.sender
        try:
            return self.on_receive(message.body)
        finally:
            self.message_sender = None

    def _actor_loop(self) -> None:
        # Every log line from this thread names the incarnation it came from.
        with logger.contextualize(child=self.binding.name, epoch=self.binding.epoch):
            self._run_incarnation()

    def _run_incarnation(self) -> None:
        binding = self.binding
        reason, error = DownReason.NORMAL, None
        try:
            try:
                self.on_start()
            except BaseException as exc:  # noqa: BLE001 - any start failure ends only this actor
                self._fence()
                reason, error = DownReason.START_FAILURE, exc
                self._log_failure("start failure", exc)
            else:
                binding.report(Started(binding.name, binding.epoch))
                reason, error = self._serve()
        finally:
            dead_letters, received = self._drain_mailbox()
            binding.report(
                Ended(
                    binding.name,
                    binding.epoch,
                    reason,
                    error,
                    self._processed,
                    self._stale_dropped,
                    dead_letters,
                    tuple(self._latency_counts),
                    self._latency_sum,
                    received=received,
                    runtime_handled=self._runtime_handled,
                )
            )

    def _serve(self) -> tuple[DownReason, BaseException | None]:
        next_envelope = self.actor_inbox.get
        stopped = self.actor_stopped
        now = self.binding.clock.monotonic
        handle = self._handle_receive
        while not stopped.is_set():
            envelope = next_envelope()
            self._inflight_since = now()
            try:
                response = handle(envelope.message)
            except Exception as exc:  # noqa: BLE001 - pykka contract: fail the ask or crash
                if envelope.reply_to is not None:
                    envelope.reply_to.set_exception()
                    continue
                return self._crash(exc)
            except BaseException as exc:  # noqa: BLE001 - see module docstring
                aborted = HandlerAborted(self.binding.name, exc)
                if envelope.reply_to is not None:
                    envelope.reply_to.set_exception((HandlerAborted, aborted, exc.__traceback__))
                return self._crash(aborted)
            else:
                if envelope.reply_to is not None:
                    envelope.reply_to.set(response)
            finally:
                if not self._processed & LATENCY_SAMPLE_MASK:
                    self._sample_latency(now())
                self._inflight_since = None
        if self._stop_error is not None:
            return self._crash(self._stop_error)
        return DownReason.NORMAL, None

    def _sample_latency(self, finished: float) -> None:
        # Runtime messages (summaries, stop) do not count as processed: sample once
        # per 16 processed messages, never on the runtime's own.
        if self._processed == self._sampled_at:
            return
        self._sampled_at = self._processed
        started = self._inflight_since
        if started is not None:
            took = finished - started
            self._latency_counts[bisect.bisect_left(LATENCY_BOUNDS_S, took)] += 1
            self._latency_sum += took

    def _crash(self, exc: BaseException) -> tuple[DownReason, BaseException]:
        self._fence()
        self._log_failure("crash", exc)
        try:
            self.on_failure(type(exc), exc, exc.__traceback__)
        except Exception as hook_error:  # noqa: BLE001 - the crash is already being reported
            self._log_failure("on_failure raised", hook_error)
        return DownReason.CRASH, exc

    def _drain_mailbox(self) -> tuple[int, int]:
        """Fail pending asks and count the messages this incarnation will never handle.

        Returns ``(dead letters, envelopes received)``, the second read in the same
        locked step that found the mailbox empty: whatever arrives later was never
        this incarnation's to account for (the supervisor counts it as lost after end).
        """
        inbox: CountingInbox = self.actor_inbox  # type: ignore[assignment]
        while True:
            envelope, received = inbox.take_or_total()
            if envelope is None:
                return self._dead_letters, received
            if isinstance(envelope.message, _ActorStop):
                self._runtime_handled += 1
                if envelope.reply_to is not None:
                    envelope.reply_to.set(None)
                continue
            if isinstance(envelope.message, SummaryRequest):
                self._runtime_handled += 1
                continue
            self._dead_letters += 1  # read live by the supervisor if this one was fenced
            if envelope.reply_to is not None:
                envelope.reply_to.set_exception(
                    (
                        pykka.ActorDeadError,
                        pykka.ActorDeadError(
                            f"{self.binding.name}#{self.binding.epoch} ended first"
                        ),
                        None,
                    )
                )

    def _log_failure(self, what: str, exc: BaseException) -> None:
        binding = self.binding
        logger.bind(
            event=what.replace(" ", "_"),
            supervisor=binding.path.rpartition("/")[0],
            child=binding.name,
            epoch=binding.epoch,
            reason=repr(exc),
        ).opt(exception=exc).warning("{}#{} {}: {!r}", binding.name, binding.epoch, what, exc)
