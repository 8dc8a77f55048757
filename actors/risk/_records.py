"""Every Record risk sends to persistence, and what failed ones lost.

:class:`RiskRecords` owns risk's :class:`~actors.ledger_client.LedgerClient`:
every Record goes through :meth:`RiskRecords.record`, and the client's answer
for each (exactly once per Record) is handled here.  A confirmed Record lets a
released reservation's state be forgotten.  A failed or undelivered one is kept
(:class:`Unwritten`) and written again at the next ``Recorded``, at the client's
jittered retry, or when the actor asks (:meth:`RiskRecords.catch_up`, on
``Resume``): each lost reservation's LATEST state (an upsert, so an older state
can never overwrite a newer one), then the lost audits.

Failure behaviour: an undelivered Record (persistence unavailable) is counted
(``records_undelivered``) and logged, nothing more; a failed one (the ledger
cannot write, a timeout, ``Down(persistence)``) is counted (``records_failed``)
and reported to the actor's ``on_failed`` with its reason, which decides (risk
halts).  Nothing here raises.

This is a collaborator, not a mixin: it counts into the actor's
:class:`~actors.risk._status.RiskCounts` and asks the actor, through the
callables it was given, which reservations are live and what a failure means.
:class:`Unwritten` is pure bookkeeping: it sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from actors.ledger_client import Failure, LedgerClient, LedgerOwner, RecordOutcome
from actors.messages import LedgerEvent, Recorded, RecordFailed, Reservation, ReservationChanged
from actors.risk._history import risk_log
from actors.risk._status import RiskCounts
from supervision import BackoffPolicy


class RiskRecords:
    """Risk's Records (see the module docstring).

    ``owner`` is the actor; ``persistence``, ``timeout`` and ``retry`` configure
    the ledger client (see :class:`~actors.ledger_client.LedgerClient`);
    ``is_live`` tells whether a reservation id is live in risk's book;
    ``on_failed`` is called with the reason when a Record failed.  Raises
    ``ValueError`` for a timeout that is not ``None`` or > 0 (the client's check).
    """

    def __init__(
        self,
        owner: LedgerOwner,
        *,
        persistence: str,
        timeout: float | None,
        retry: BackoffPolicy,
        counts: RiskCounts,
        is_live: Callable[[str], bool],
        on_failed: Callable[[str], None],
    ) -> None:
        self._owner = owner
        self._counts = counts
        self._is_live = is_live
        self._on_failed = on_failed
        self.client: LedgerClient[None] = LedgerClient(
            owner,
            self._outcome,
            persistence=persistence,
            timeout=timeout,
            retry=retry,
            on_retry=self.catch_up,
        )
        self._unwritten = Unwritten()

    def track(self, reservation: Reservation) -> None:
        """``reservation``'s latest state, recorded by another actor."""
        self._unwritten.track(reservation)

    def record(self, *events: LedgerEvent) -> None:
        """Send one Record of ``events``."""
        self._unwritten.sent(events)
        self.client.record(events, None)

    def catch_up(self) -> None:
        """Write again what failed Records lost, if anything (one Record)."""
        events = self._unwritten.take()
        if events is None:
            return
        self._counts.ledger_catch_ups += 1
        self.record(*events)

    def recorded(self, message: Recorded) -> None:
        """Persistence confirmed a Record: the ledger writes again, so catch up."""
        self._counts.records_confirmed += 1
        self.client.answer(message)
        self.catch_up()

    def record_failed(self, message: RecordFailed) -> None:
        """Persistence failed a Record (one not in flight was failed already)."""
        self.client.answer(message)

    def _outcome(self, outcome: RecordOutcome[None]) -> None:
        """The ledger client's answer for one Record (exactly once per Record)."""
        if outcome.ok:
            self.client.retry_succeeded()
            self._unwritten.written(outcome.events, self._is_live)
            return
        self._unwritten.lost(outcome.events)
        self.client.schedule_retry()
        if outcome.failure in (Failure.UNDELIVERED, Failure.STOPPED):
            # nothing of it was written and the ledger is not known to be broken: it
            # is written again when persistence answers (no halt, as for a Record
            # with no persistence to take it)
            self._counts.records_undelivered += 1
            risk_log(self._owner.name, "record_undelivered").warning(
                "persistence unavailable ({}); {} not recorded yet: {}",
                outcome.error,
                outcome.request_id,
                outcome.events,
            )
            return
        self._counts.records_failed += 1
        self._on_failed(f"ledger cannot write: {outcome.error}")


class Unwritten:
    """The latest state of each reservation, and what failed Records lost."""

    def __init__(self) -> None:
        self._latest: dict[str, Reservation] = {}
        self._unwritten: dict[str, None] = {}
        self._audit: list[LedgerEvent] = []

    def track(self, reservation: Reservation) -> None:
        """``reservation``'s latest state, written by another actor (execution
        writes a HELD reservation with its order intents)."""
        self._latest[reservation.reservation_id] = reservation

    def sent(self, events: Iterable[LedgerEvent]) -> None:
        """``events`` are being recorded: their states are the latest, and
        supersede any lost state of the same reservation."""
        for event in events:
            if isinstance(event, ReservationChanged):
                self._latest[event.reservation.reservation_id] = event.reservation
                self._unwritten.pop(event.reservation.reservation_id, None)

    def written(self, events: Iterable[LedgerEvent], is_live: Callable[[str], bool]) -> None:
        """A Record of ``events`` was confirmed: a reservation no longer live, not
        waiting to be written again, and whose confirmed state is its latest, is on
        disk and forgotten.  (A later state still in flight is kept: if its Record
        fails, it is the state to write again.)  So each released reservation is
        forgotten at the confirmation of its last Record: what is kept is bounded by
        the live reservations and the Records in flight or lost."""
        for event in events:
            if isinstance(event, ReservationChanged):
                rid = event.reservation.reservation_id
                if (
                    rid not in self._unwritten
                    and not is_live(rid)
                    and self._latest.get(rid) == event.reservation
                ):
                    del self._latest[rid]

    def __len__(self) -> int:
        """How many reservations' latest states are kept."""
        return len(self._latest)

    def lost(self, events: Iterable[LedgerEvent]) -> None:
        """A Record of ``events`` failed: keep them to be written again."""
        for event in events:
            if isinstance(event, ReservationChanged):
                self._unwritten[event.reservation.reservation_id] = None
            else:
                self._audit.append(event)

    def take(self) -> list[LedgerEvent] | None:
        """What is to be written again (each lost reservation's latest state, then
        the audits, in the order they were lost), now forgotten; ``None``: nothing
        was lost."""
        if not self._unwritten and not self._audit:
            return None
        events: list[LedgerEvent] = [
            ReservationChanged(self._latest[rid]) for rid in self._unwritten if rid in self._latest
        ]
        events.extend(self._audit)
        self._unwritten.clear()
        self._audit.clear()
        return events
