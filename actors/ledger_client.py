"""One write path to the ledger for any actor: :class:`LedgerClient`.

An actor that writes to persistence owns one client: a plain object, touched
only from the actor's own thread (no threads, no locks, no timers of its own).
It owns everything between a ``Record`` and its fate:

- request ids (``<name>-<epoch>-<n>``, unique per incarnation);
- the Records in flight, each with the persistence incarnation it was
  delivered to and its deadline on the actor's injected clock;
- the answers: ``Recorded`` / ``RecordFailed`` from persistence, no answer by
  the deadline (:meth:`LedgerClient.sweep`, which the owning actor drives),
  ``Down`` of the persistence incarnation a Record was delivered to, or no
  persistence to deliver to at all;
- the retry schedule after a failure: the runtime's jittered
  :class:`~supervision.Backoff`, drawn from the actor's seeded ``rng``.

Every Record ends exactly once, in a call of ``on_outcome`` with a
:class:`RecordOutcome` carrying the context the actor attached (what the
Record was for). What a failure means is the actor's decision: the client never
re-sends events (an old state written after a newer one is a conflict); it only
says when a retry is due, through ``on_retry``.

Failure behaviour: the client raises nothing on bad answers -- an answer for a
request id not in flight (late, after a timeout or a ``Down``, or foreign) is
counted as ``late_answers`` and otherwise ignored. Exceptions raised by the
callbacks propagate to the actor's handler.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar

import attrs

from actors.messages import LedgerEvent, Record, Recorded, RecordFailed
from supervision import Backoff, BackoffPolicy, ChildUnavailable, Clock, Down, DownReason, Jitter

__all__ = [
    "DEFAULT_LEDGER_RETRY",
    "DEFAULT_RECORD_TIMEOUT",
    "Failure",
    "LedgerClient",
    "LedgerClientStatus",
    "LedgerOwner",
    "RecordOutcome",
]

DEFAULT_RECORD_TIMEOUT = 10.0
"""Seconds a Record may go unanswered before it counts as failed."""

DEFAULT_LEDGER_RETRY = BackoffPolicy(jitter=Jitter.FULL, base=0.5, cap=10.0)
"""Delay before retrying after a failed Record: ``U(0, min(10, 0.5 * 2**attempt))``."""

C = TypeVar("C")


class LedgerOwner(Protocol):
    """What the client needs of the actor that owns it; a running
    :class:`~supervision.SupervisedActor` is one."""

    @property
    def name(self) -> str: ...

    @property
    def epoch(self) -> int: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def rng(self) -> random.Random: ...

    def send(self, to: str, message: Any) -> int: ...

    def monitor(self, name: str) -> None: ...


class Failure(enum.Enum):
    """Why a Record did not end ``Recorded``."""

    REFUSED = "refused"  # persistence answered RecordFailed: nothing of it committed
    TIMED_OUT = "timed_out"  # no answer by the deadline: it may still commit late
    PERSISTENCE_DOWN = "persistence_down"  # the incarnation holding it ended abnormally
    STOPPED = "stopped"  # it was stopped in order (shutdown, restart) before it read the Record
    UNDELIVERED = "undelivered"  # no running persistence to deliver it to


@attrs.frozen
class RecordOutcome(Generic[C]):
    """How one Record ended. ``failure`` is ``None`` when it was recorded;
    ``error`` then is ``None`` too, else the reason: persistence's own error text
    for ``REFUSED``, else what happened ("no answer from persistence", ...)."""

    request_id: str
    events: tuple[LedgerEvent, ...]
    context: C
    failure: Failure | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def detail(self) -> str | None:
        """``error`` saying which side failed: ``"record failed: <persistence's error>"``."""
        if self.failure is Failure.REFUSED:
            return f"record failed: {self.error}"
        return self.error


@attrs.frozen
class LedgerClientStatus:
    """What the client holds, for an actor's ``state_summary``."""

    in_flight: int
    oldest_in_flight_s: float | None
    retry_attempt: int
    retry_due_in_s: float | None
    recorded: int
    failed: int
    late_answers: int


@attrs.frozen
class _InFlight(Generic[C]):
    events: tuple[LedgerEvent, ...]
    context: C
    sent_at: float
    delivered_to: int  # the persistence epoch that accepted it


class LedgerClient(Generic[C]):
    """Writes ``Record`` messages to ``persistence`` for ``owner`` (see the module doc).

    ``on_outcome`` is called once per Record with its :class:`RecordOutcome`;
    ``on_retry`` when a retry asked for with :meth:`schedule_retry` is due (at a
    :meth:`sweep`). ``timeout`` (seconds, ``None``: never) bounds the wait for an
    answer; ``retry`` is the backoff policy of the retry schedule.

    Call :meth:`start` from the owner's ``on_start`` (it monitors persistence),
    hand it every ``Recorded`` / ``RecordFailed`` (:meth:`answer`) and ``Down``
    (:meth:`on_down`) the owner receives, and call :meth:`sweep` often enough:
    a Record times out at the first sweep at or after its deadline.
    """

    def __init__(
        self,
        owner: LedgerOwner,
        on_outcome: Callable[[RecordOutcome[C]], None],
        *,
        persistence: str = "persistence",
        timeout: float | None = DEFAULT_RECORD_TIMEOUT,
        retry: BackoffPolicy = DEFAULT_LEDGER_RETRY,
        on_retry: Callable[[], None] | None = None,
    ) -> None:
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds or None, got {timeout!r}")
        self._owner = owner
        self._on_outcome = on_outcome
        self._on_retry = on_retry
        self.persistence = persistence
        self.timeout = timeout
        self.retry_policy = retry
        self._backoff: Backoff | None = None  # the owner's rng exists once it runs
        self._retry_at: float | None = None
        self._seq = 0
        # Insertion order is send order, so deadlines (sent_at + timeout) are sorted.
        self._in_flight: dict[str, _InFlight[C]] = {}
        self._recorded = 0
        self._failed = 0
        self._late_answers = 0

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Monitor persistence: its Down fails what its incarnation held."""
        self._owner.monitor(self.persistence)

    # -- writing -----------------------------------------------------------------------

    def record(self, events: Iterable[LedgerEvent], context: C) -> str:
        """Send ``events`` in one ``Record``; returns its request id. If persistence
        is not running, the outcome (``UNDELIVERED``) is reported before this returns."""
        self._seq += 1
        owner = self._owner
        request_id = f"{owner.name}-{owner.epoch}-{self._seq}"
        events = tuple(events)
        try:
            epoch = owner.send(self.persistence, Record(request_id, events))
        except ChildUnavailable as error:
            self._failed += 1
            self._on_outcome(
                RecordOutcome(
                    request_id,
                    events,
                    context,
                    Failure.UNDELIVERED,
                    f"persistence unavailable: {error}",
                )
            )
            return request_id
        self._in_flight[request_id] = _InFlight(events, context, owner.clock.monotonic(), epoch)
        return request_id

    # -- answers -----------------------------------------------------------------------

    def answer(self, message: Recorded | RecordFailed) -> bool:
        """Settle the Record ``message`` answers; ``False`` if it was not in flight."""
        pending = self._in_flight.pop(message.request_id, None)
        if pending is None:
            self._late_answers += 1
            return False
        if isinstance(message, Recorded):
            self._recorded += 1
            self._on_outcome(RecordOutcome(message.request_id, pending.events, pending.context))
        else:
            self._fail(message.request_id, pending, Failure.REFUSED, message.error)
        return True

    def on_down(self, message: Down) -> bool:
        """Fail every Record the ended persistence incarnation held; ``False`` if
        ``message`` is not about persistence (the owner handles it)."""
        if message.name != self.persistence:
            return False
        held = [rid for rid, p in self._in_flight.items() if p.delivered_to == message.epoch]
        # Stopped in order, the incarnation handled every message queued before its stop
        # and answered each (the answers reach the owner before this Down): a Record
        # still unanswered was never read, so nothing of it was written (STOPPED). Any
        # other end (crash, hang, abandoned stop) may have left it half done.
        failure = (
            Failure.STOPPED
            if message.reason in (DownReason.SHUTDOWN, DownReason.NORMAL)
            else Failure.PERSISTENCE_DOWN
        )
        for request_id in held:
            pending = self._in_flight.pop(request_id)
            why = f"persistence down ({message.reason.value})"
            self._fail(request_id, pending, failure, why)
        return True

    def sweep(self) -> None:
        """Fail the Records past their deadline, then run a retry that is due; both
        read the owner's clock. Cheap when nothing is due: it looks at the oldest only."""
        now = self._owner.clock.monotonic()
        if self.timeout is not None:
            while self._in_flight:
                request_id, pending = next(iter(self._in_flight.items()))
                if now - pending.sent_at < self.timeout:
                    break
                del self._in_flight[request_id]
                self._fail(request_id, pending, Failure.TIMED_OUT, "no answer from persistence")
        if self._retry_at is not None and now >= self._retry_at:
            self._retry_at = None
            if self._on_retry is not None:
                self._on_retry()

    def _fail(self, request_id: str, pending: _InFlight[C], failure: Failure, why: str) -> None:
        self._failed += 1
        self._on_outcome(RecordOutcome(request_id, pending.events, pending.context, failure, why))

    # -- the retry schedule ------------------------------------------------------------

    def schedule_retry(self) -> float | None:
        """Ask for ``on_retry`` after the schedule's next jittered delay; returns the
        delay (so an owner with a timer can sweep then), or ``None`` if a retry is
        already scheduled (it is not moved)."""
        if self._retry_at is not None:
            return None
        if self._backoff is None:
            self._backoff = Backoff(self.retry_policy, self._owner.rng)
        delay = self._backoff.next_delay()
        self._retry_at = self._owner.clock.monotonic() + delay
        return delay

    def retry_succeeded(self) -> None:
        """The ledger writes again: the next failure starts the schedule from attempt 0."""
        if self._backoff is not None:
            self._backoff.reset()

    # -- introspection -----------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def status(self) -> LedgerClientStatus:
        now = self._owner.clock.monotonic()
        oldest = next(iter(self._in_flight.values()), None)
        return LedgerClientStatus(
            in_flight=len(self._in_flight),
            oldest_in_flight_s=None if oldest is None else now - oldest.sent_at,
            retry_attempt=0 if self._backoff is None else self._backoff.attempt,
            retry_due_in_s=None if self._retry_at is None else max(0.0, self._retry_at - now),
            recorded=self._recorded,
            failed=self._failed,
            late_answers=self._late_answers,
        )
