"""The risk actor: the single owner of exposure (DESIGN.md §5 "Risk").

It does no I/O of its own (the ledger is read through the sources it is given,
and the background roll of its checkpoint runs in a thread of its own that shares
nothing with it) and keeps all its state to itself; ``Reserve`` is atomic because
the actor handles one message at a time: the limit check, the hand-over to
execution and the booking of the reservation happen in one handler, so two
opportunities can never both pass a check that only one of them fits.

Messages handled (see :mod:`actors.messages` for the contract):

- ``Reserve(basket)`` -> ``Execute`` to execution (which records the HELD
  reservation with its order intents); answers an ``ask`` with the
  :class:`Reservation` or a :class:`Rejected`.  All legs or none: every check
  runs against the books with all legs added, in one handler.  Refused, in this
  order: when halted, before ``Reconciled(ok=True)``, while the breaker is OPEN
  (or HALF_OPEN with its probes in use; ``VENUE_HALTED`` instead while a venue
  halt opened it), for a basket id already used (closed); when a leg's market
  or the event has its live reservations (busy); when risk's own fee schedule
  refuses the basket or finds no edge (invalid); an exit selling more than the
  unbound contracts held (``NOT_HELD``); or when a limit would break
  (docs/baskets.md §3).
- ``ExecutionReport`` -> fills booked, the HELD reservation released with the
  report's outcome, held and missing legs; a FILLED/PARTIAL/UNHEDGED/NONE
  outcome is a breaker success; FAILED counts nothing.
- ``VenueErrorReport`` -> TRANSIENT: breaker failure; CRITICAL: halt.  A venue
  halt (``error_type`` ``VenueTradingHalted``: the venue is paused or
  cancel-only) trips the breaker OPEN at once, whatever the count, naming the
  reason; see "Venue halts" below.
- ``Down(execution)`` -> the dead incarnation's reservations become IN_DOUBT.
- ``ExecutionReady`` -> ``ResolveInDoubt`` for each IN_DOUBT reservation (now
  owned by the new incarnation), and ``CancelAll`` again while halted.
- ``InDoubtResolved`` -> fills booked, the IN_DOUBT reservation released (with
  its outcome, held and missing legs).  This is the only way an IN_DOUBT
  reservation is ever released: no timeout does it.
- ``HoldingsWanted`` -> ``Holdings`` to the strategy (also sent whenever fills
  or an adoption change what is held; the strategy unavailable: dropped).
- ``Halt`` / ``Resume`` -> kill switch on (with ``CancelAll``) / off; audited.
  ``Resume`` does not touch the breaker: the breaker measures the venue and
  heals by itself through HALF_OPEN probes; an operator clears decisions, not facts.
- ``Reconciled`` -> ``ok`` allows trading, ``ok=False`` stops new reservations
  again.  The venue's fills it lists are booked (once each), so a loss realised
  while no risk incarnation listened still counts today.  When no reservation is
  live, the venue's positions are adopted as the truth (markets whose net
  positions agree keep risk's exact cost basis).  While some are live, risk
  keeps its own books and counts the mismatch: their pending fills still arrive
  with ``InDoubtResolved`` and would otherwise count twice.
- ``RecordFailed`` (from persistence), a Record unanswered past ``record_timeout``,
  or ``Down(persistence)`` while Records are in flight -> halt: the ledger cannot
  write (fail closed).  What the lost Records held is written again at the next
  ``Recorded``, on ``Resume``, or at the ledger client's jittered retry
  (:mod:`actors.risk._records`); its deadlines are swept at every message.

Venue halts: from the first ``VenueErrorReport`` of a
:class:`~actors.errors.VenueTradingHalted` every ``Reserve`` is refused with
``VENUE_HALTED`` and the ``Rejected`` carries the venue's reason (``"venue is
cancel-only: HTTP 503: ..."``), also in the status (``breaker.halt_reason``).
"Cleared" is detected by the breaker's own recovery: after ``cooldown_s`` it
goes HALF_OPEN and lets its probe reservation(s) through; a probe whose orders
are accepted (a FILLED, PARTIAL, UNHEDGED or NONE report) closes it and clears
the reason; a probe refused again (another halt report) re-opens it for another
cooldown.  Risk never blocks a cancel: ``CancelAll`` and execution's cancels of
working orders go on while the venue is cancel-only.  A halt is not a kill
switch (``halted`` stays False, no ``CancelAll`` is sent, no ``Resume`` is needed):
it is a fact about the venue, and heals by itself like the breaker.

History: each reservation's reserve / reject / in_doubt / release, each halt and
resume, and each ``Reconciled`` heard is a line of the daemon's JSONL history
(see :mod:`actors.risk._history`).

Failure behaviour: no handler raises on bad input.  A fill that cannot be
booked (another payout, selling more than held) halts trading, since risk's
books no longer match the venue.  Unknown messages are counted (the runtime's
``unknown_messages``) and logged.
Start: a new incarnation restores from the ledger a standing halt, the
reservations left open, the events it knew and every recorded fill (positions and
realised P&L, so no restart resets the daily loss limit; with ``ledger_fills``,
from its last checkpoint plus the fills recorded after it), then tells execution
``RiskReady``; the leftovers are settled at the first ``Reconciled(ok=True)`` (see
:mod:`actors.risk._recovery`; ledger unreadable or its fills unbookable: it starts
halted).  It refuses every ``Reserve`` until execution answers with a
``Reconciled`` -- re-run for this incarnation if execution had reconciled
already, so a restart of risk alone returns to ready by itself.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs
from loguru import logger

from actors.domain import Basket, Event, Fill, FillRow
from actors.errors import VenueTradingHalted
from actors.fees import FeeModel
from actors.ledger_client import (
    DEFAULT_LEDGER_RETRY,
    DEFAULT_RECORD_TIMEOUT,
)
from actors.messages import (
    AuditEvent,
    CancelAll,
    ErrorClass,
    Execute,
    ExecutionReady,
    ExecutionReport,
    Halt,
    Holdings,
    HoldingsWanted,
    InDoubtResolved,
    LedgerEvent,
    Outcome,
    Reconciled,
    Recorded,
    RecordFailed,
    Reservation,
    ReservationChanged,
    ReservationState,
    Reserve,
    ResolveInDoubt,
    Resume,
    RiskReady,
    VenueErrorReport,
)
from actors.money import EXACT
from actors.risk import _history as history
from actors.risk._admission import Books, admit
from actors.risk._amounts import BasketPolicy
from actors.risk._book import ReservationBook
from actors.risk._breaker import BreakerConfig, BreakerState, CircuitBreaker
from actors.risk._checkpoint import FillSource
from actors.risk._exposure import EventMap, exposure_of
from actors.risk._fills import book_fills, holdings_of
from actors.risk._history import risk_log
from actors.risk._limits import Exposure, RejectReason, RiskLimits
from actors.risk._positions import PositionBook
from actors.risk._records import RiskRecords
from actors.risk._recovery import (
    SETTLED_WHY,
    LedgerSources,
    Leftovers,
    restore,
    roll_checkpoint,
)
from actors.risk._snapshot import (
    breaker_status,
    exposure_status,
    position_views,
    reservations_status,
)
from actors.risk._status import RejectionCounts, RiskCounts, RiskStatus
from supervision import BackoffPolicy, ChildUnavailable, Down, SupervisedActor

CHECKPOINT_EVERY = 50_000
"""Fills booked between two background rolls of the checkpoint of risk's books: a
start books at most about this many fills (plus those of the last run before its
first roll), whatever the ledger's history."""

_SUCCESS = frozenset({Outcome.FILLED, Outcome.PARTIAL, Outcome.UNHEDGED, Outcome.NONE})
_ZERO = Decimal(0)
_VENUE_HALTED = VenueTradingHalted.__name__


@attrs.frozen
class Rejected:
    """The answer to an asked ``Reserve`` that risk refused: nothing of it was booked.
    ``detail`` says more where there is more to say (``VENUE_HALTED``: the venue's
    reason, e.g. ``"venue is cancel-only: ..."``), else it is empty."""

    reservation_id: str
    event_ticker: str
    reason: RejectReason
    detail: str = ""


class RiskActor(SupervisedActor):
    """Owns exposure, reservations, the circuit breaker and the kill switch.

    ``execution``, ``persistence`` and ``strategy`` are the supervision names it
    talks to; ``fees`` is the fee model it prices a basket with (its own, never
    the strategy's; the venue's: ``FeeModel.polymarket(...)`` for Polymarket,
    Kalshi's ``FeeModel()`` by default); ``basket_policy`` the partial-fill policy
    every arbitrage reservation carries (it sets the legs' ``max_price`` and ``amount``).
    Raises ``TypeError`` for a config of the wrong type.
    """

    def __init__(
        self,
        limits: RiskLimits,
        breaker: BreakerConfig,
        *,
        basket_policy: BasketPolicy,
        recorded_events: Callable[[], Iterable[Event]] | None = None,
        strategy: str = "strategy",
        execution: str = "execution",
        persistence: str = "persistence",
        fees: FeeModel | None = None,
        standing_halt: Callable[[], tuple[str, str] | None] | None = None,
        open_reservations: Callable[[], tuple[Reservation, ...]] | None = None,
        recorded_fills: Callable[[], Iterable[tuple[Fill, float]]] | None = None,
        recorded_fill_rows: Callable[[], Iterable[FillRow]] | None = None,
        ledger_fills: FillSource | None = None,
        checkpoint_every: int = CHECKPOINT_EVERY,
        record_timeout: float | None = DEFAULT_RECORD_TIMEOUT,
        ledger_retry: BackoffPolicy = DEFAULT_LEDGER_RETRY,
    ) -> None:
        """``standing_halt``, ``open_reservations``, ``recorded_events`` and
        ``recorded_fills`` (or, faster, ``recorded_fill_rows``; or, from a checkpoint of
        risk's books, ``ledger_fills``) read the ledger when an incarnation starts (what
        each gives: :class:`~actors.risk._recovery.LedgerSources`);
        if one cannot be read (raises), the incarnation starts halted.  Without them,
        nothing is restored.

        With ``ledger_fills``, every ``checkpoint_every`` fills booked the checkpoint is
        brought up to date in the background (:meth:`_roll_checkpoint`); raises
        ``TypeError`` unless it is an int >= 1.

        ``record_timeout`` (seconds, ``None``: wait for ever) and ``ledger_retry``
        configure the ledger client: how long a Record may go unanswered, and the
        jittered backoff before what failed Records lost is written again."""
        super().__init__()
        self._sources = LedgerSources(
            standing_halt=standing_halt,
            open_reservations=open_reservations,
            recorded_events=recorded_events,
            recorded_fills=recorded_fills,
            recorded_fill_rows=recorded_fill_rows,
            ledger_fills=ledger_fills,
        )
        self._leftovers = Leftovers()
        if type(checkpoint_every) is not int or checkpoint_every < 1:
            raise TypeError(f"checkpoint_every must be an int >= 1, got {checkpoint_every!r}")
        self._checkpoint_every = checkpoint_every
        self._since_checkpoint = 0
        self._roller: threading.Thread | None = None
        if not isinstance(limits, RiskLimits) or not isinstance(breaker, BreakerConfig):
            raise TypeError("RiskActor needs a RiskLimits and a BreakerConfig")
        if not isinstance(basket_policy, BasketPolicy):
            raise TypeError("RiskActor needs a BasketPolicy")
        if fees is not None and not isinstance(fees, FeeModel):
            raise TypeError("RiskActor's fees must be a FeeModel")
        self._limits = limits
        self._policy = basket_policy
        self._strategy = strategy
        self._events = EventMap()
        self._execution = execution
        self._persistence = persistence
        self._fees = fees if fees is not None else FeeModel()
        self._book = ReservationBook()
        self._positions = PositionBook()
        self._breaker = CircuitBreaker(breaker)
        self._probe_ids: set[str] = set()
        self._halted = False
        self._halt_reason: str | None = None
        self._reconciled = False
        self._reconcile_detail = "waiting for the first Reconciled"
        self._rejections = RejectionCounts()
        self._counts = RiskCounts()
        self._records = RiskRecords(
            self,
            persistence=persistence,
            timeout=record_timeout,
            retry=ledger_retry,
            counts=self._counts,
            is_live=self._book.is_live,
            on_failed=self._ledger_failed,
        )
        self._ledger = self._records.client

    # -- lifecycle ---------------------------------------------------------------------

    def on_start(self) -> None:
        self.monitor(self._execution)
        self._ledger.start()  # Down(persistence) fails the Records it held
        restored = restore(
            self._sources,
            actor=self.name,
            events=self._events,
            positions=self._positions,
            leftovers=self._leftovers,
            wall=self.clock.wall,
        )
        if restored.halt_reason is not None:
            self._halted, self._halt_reason = True, restored.halt_reason
        self._counts.fills_rebuilt = restored.fills_rebuilt
        self._counts.fills_from_checkpoint = restored.from_checkpoint
        # Unavailable: execution reconciles when it starts, and tells this incarnation.
        with contextlib.suppress(ChildUnavailable):
            self.send(self._execution, RiskReady())

    # -- dispatch ----------------------------------------------------------------------

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {
            Reserve: self._on_reserve,
            ExecutionReport: self._on_execution_report,
            VenueErrorReport: self._on_venue_error,
            Down: self._on_down,
            ExecutionReady: self._on_execution_ready,
            InDoubtResolved: self._on_in_doubt_resolved,
            Halt: self._on_halt,
            Resume: self._on_resume,
            Reconciled: self._on_reconciled,
            HoldingsWanted: self._on_holdings_wanted,
            Recorded: self._on_recorded,
            RecordFailed: self._on_record_failed,
        }

    def on_receive(self, message: Any) -> Any:
        """Risk has no timer: every message is a tick of its clock.  The ledger
        client's deadlines are swept and an OPEN breaker whose cooldown has passed
        turns HALF_OPEN (audited) before the message is handled."""
        self._ledger.sweep()
        self._set_breaker(self._breaker.at(self.clock.monotonic()), "cooldown over")
        return super().on_receive(message)

    # -- Reserve -----------------------------------------------------------------------

    def _on_reserve(self, message: Reserve) -> Reservation | Rejected:
        admitted = self._admit(message.basket)
        if isinstance(admitted, RejectReason):
            return self._reject(message, admitted)
        try:
            owner = self.send(self._execution, Execute(admitted))
        except ChildUnavailable:
            return self._reject(message, RejectReason.EXECUTION_UNAVAILABLE)
        reservation = attrs.evolve(admitted, owner_epoch=owner)
        self._events.learn(reservation.event)
        if self._breaker.state is BreakerState.HALF_OPEN:
            self._probe_ids.add(reservation.reservation_id)
        self._breaker = self._breaker.reserve(self.clock.monotonic())
        self._book.add(reservation)
        self._counts.reserved += 1
        history.reserved(self.name, reservation, owner)
        # Its HELD state is written by execution, in the same transaction as the
        # reservation's order intents (one commit on the tick-to-order path; a
        # reservation nothing was recorded for cannot have an order at the venue).
        # Every later state is risk's to write.
        self._records.track(reservation)
        return reservation

    def _admit(self, basket: Basket) -> Reservation | RejectReason:
        """The reservation of ``basket``, or why it cannot be made; changes nothing."""
        closed = self._closed_reason(basket.basket_id)
        if closed is not None:
            return closed
        realised_today = self._positions.realised_today(self.clock.wall())
        books = Books(
            book=self._book,
            holdings=self._positions.holdings(),
            events=self._events,
            realised_loss=max(_ZERO, EXACT.minus(realised_today)),
        )
        return admit(
            basket, books, limits=self._limits, policy=self._policy, schedule=self._fees.schedule
        )

    def _closed_reason(self, reservation_id: str) -> RejectReason | None:
        """Why no reservation at all may be made now, whatever its size."""
        if self._halted:
            return RejectReason.HALTED
        if not self._reconciled:
            return RejectReason.NOT_RECONCILED
        if not self._breaker.allows_reservation(self.clock.monotonic()):
            return self._breaker_reason()
        if self._book.is_used(reservation_id):
            return RejectReason.DUPLICATE
        return None

    def _breaker_reason(self) -> RejectReason:
        """Why the breaker refuses: the venue's halt while it lasts, else its state."""
        if self._breaker.halt_reason is not None:
            return RejectReason.VENUE_HALTED
        if self._breaker.state is BreakerState.HALF_OPEN:
            return RejectReason.BREAKER_HALF_OPEN
        return RejectReason.BREAKER_OPEN

    def _reject(self, message: Reserve, reason: RejectReason) -> Rejected:
        self._rejections.add(reason)
        event_ticker = message.basket.event_ticker
        detail = ""
        if reason is RejectReason.VENUE_HALTED:
            detail = self._breaker.halt_reason or ""
        history.rejected(self.name, message.reservation_id, event_ticker, reason.value, detail)
        return Rejected(message.reservation_id, event_ticker, reason, detail)

    # -- what execution reports --------------------------------------------------------

    def _on_execution_report(self, message: ExecutionReport) -> None:
        self._book_fills(message.fills)
        now = self.clock.monotonic()
        if message.outcome in _SUCCESS:
            self._set_breaker(self._breaker.record_success(now), "a venue call succeeded")
        reservation = self._book.get(message.reservation_id)
        if reservation is None:
            self._counts.reports_for_unknown_reservations += 1
            self._log("unknown_report").warning(
                "execution report for unknown reservation {}", message.reservation_id
            )
            return
        if reservation.state is ReservationState.IN_DOUBT:
            # only InDoubtResolved may release it: it says no order can still be live
            self._counts.reports_for_in_doubt += 1
            self._log("report_for_in_doubt", reservation).warning(
                "report for in-doubt {} kept until InDoubtResolved", reservation.reservation_id
            )
            return
        if message.outcome is Outcome.FAILED:
            self._abandon_probe(reservation.reservation_id)
        self._release(reservation, f"execution report: {message.outcome.value}", message)

    def _on_venue_error(self, message: VenueErrorReport) -> None:
        if message.error_class is ErrorClass.CRITICAL:
            self._halt(
                f"critical venue error {message.error_type} at {message.endpoint}:"
                f" {message.detail}",
                self.message_sender or "venue",
            )
            return
        self._counts.transient_errors += 1
        now = self.clock.monotonic()
        if message.error_type == _VENUE_HALTED:
            self._counts.venue_halts += 1
            reason = message.detail[:300] or f"venue halted at {message.endpoint}"
            self._set_breaker(self._breaker.trip(now, reason), reason)
            return
        self._set_breaker(
            self._breaker.record_failure(now), f"{message.error_type} at {message.endpoint}"
        )

    def _on_in_doubt_resolved(self, message: InDoubtResolved) -> None:
        self._book_fills(message.fills)
        reservation = self._book.get(message.reservation_id)
        if reservation is None or reservation.state is not ReservationState.IN_DOUBT:
            self._counts.resolutions_not_in_doubt += 1
            self._log("resolution_not_in_doubt").warning(
                "InDoubtResolved for {}, which is not in doubt; ignored", message.reservation_id
            )
            return
        self._abandon_probe(reservation.reservation_id)
        self._release(reservation, f"resolved at the venue: {message.outcome.value}", message)

    # -- execution's lifecycle ---------------------------------------------------------

    def _on_down(self, message: Down) -> None:
        if self._ledger.on_down(message):
            return
        if message.name != self._execution:
            return
        for reservation in self._book.mark_in_doubt(message.epoch):
            self._counts.marked_in_doubt += 1
            history.in_doubt(
                self.name, reservation, message.name, message.epoch, message.reason.value
            )
            self._record(ReservationChanged(reservation))

    def _on_execution_ready(self, _message: ExecutionReady) -> None:
        if self._halted:
            self._cancel_all(self._halt_reason or "halted")
        for reservation in self._book.in_doubt():
            try:
                owner = self.send(self._execution, ResolveInDoubt(reservation))
            except ChildUnavailable:
                self._log("resolve_undelivered", reservation).warning(
                    "execution unavailable; {} waits for the next ExecutionReady",
                    reservation.reservation_id,
                )
                return
            self._counts.resolutions_requested += 1
            self._record(
                ReservationChanged(self._book.set_owner(reservation.reservation_id, owner))
            )

    def _on_reconciled(self, message: Reconciled) -> None:
        self._reconcile_detail = message.detail
        if not message.ok:
            self._reconciled = False
            history.reconciled(self.name, False, message.detail)
            return
        for released in self._leftovers.settle(message.fills):
            self._counts.recovered_released += 1
            history.released(self.name, released, SETTLED_WHY, settled=True)
            self._record(ReservationChanged(released))
        self._book_fills(message.fills, reconciling=True)
        if len(self._book) > 0:
            differ = self._positions.differences(message.positions)
            if differ:
                self._counts.reconciled_position_mismatches += len(differ)
                self._log("position_mismatch").warning(
                    "venue positions differ in {}; risk's books kept while reservations are live",
                    differ,
                )
        else:
            changed = self._positions.adopt(message.positions)
            if changed:
                self._log("positions_adopted").info("positions taken from the venue: {}", changed)
                self._tell_holdings()
        self._reconciled = True
        history.reconciled(self.name, True, message.detail)

    # -- kill switch and ledger --------------------------------------------------------

    def _halt(self, reason: str, source: str) -> None:
        if not self._halted:
            self._halted, self._halt_reason = True, reason
        self._counts.halts += 1
        history.halted(self.name, reason, source)
        self._cancel_all(reason)
        self._record(AuditEvent("halt", reason, source))

    def _on_halt(self, message: Halt) -> None:
        if self._halted and self.message_sender == self._persistence:
            # The ledger failed again: auditing that would fail too, and persistence
            # would answer with another Halt -- a loop for as long as the disk is full.
            self._counts.ledger_halts_while_halted += 1
            return
        self._halt(message.reason, message.source)

    def _on_resume(self, message: Resume) -> None:
        was = self._halt_reason
        self._halted, self._halt_reason = False, None
        history.resumed(self.name, message.source, was)
        # What was lost first: a lost halt audit written after this resume would make
        # the audit trail end halted, and the next incarnation start halted.
        self._records.catch_up()
        self._record(AuditEvent("resume", f"was halted: {was}", message.source))

    def _on_recorded(self, message: Recorded) -> None:
        self._records.recorded(message)

    def _on_record_failed(self, message: RecordFailed) -> None:
        self._records.record_failed(message)

    def _ledger_failed(self, reason: str) -> None:
        if not self._halted:  # already halted: do not audit again, or a dead ledger loops
            self._halt(reason, self._persistence)

    def _cancel_all(self, reason: str) -> None:
        try:
            self.send(self._execution, CancelAll(reason))
        except ChildUnavailable:
            self._counts.cancel_all_undelivered += 1
            self._log("cancel_all_undelivered").error(
                "execution unavailable for CancelAll; resent on its next ExecutionReady"
            )

    def _record(self, *events: LedgerEvent) -> None:
        self._records.record(*events)

    # -- books -------------------------------------------------------------------------

    def _release(
        self, reservation: Reservation, why: str, report: ExecutionReport | InDoubtResolved
    ) -> None:
        """Release a live reservation with what its execution reported (``outcome``,
        ``held``, ``missing``, ``detail``), copied onto the RELEASED state risk
        records (so the ledger's record of a partial is risk's)."""
        released = attrs.evolve(
            self._book.release(reservation.reservation_id),
            outcome=report.outcome,
            held=report.held,
            missing=report.missing,
            detail=report.detail,
        )
        self._counts.released += 1
        history.released(self.name, released, why)
        self._record(ReservationChanged(released))

    def _book_fills(self, fills: Iterable[Fill], *, reconciling: bool = False) -> None:
        """Book each fill once; one that does not fit the holding halts trading.
        At reconciliation the venue lists every fill: only the new ones are counted.
        When any was booked, the strategy is told the new holdings."""
        booked = book_fills(self._positions, fills, self.clock.wall)
        for fill, error in booked.unbookable:
            self._halt(f"fill {fill.fill_id} cannot be booked: {error}", self.name)
        self._since_checkpoint += booked.new
        self._roll_checkpoint()
        if reconciling:
            self._counts.fills_from_reconciliation += booked.new
        else:
            self._counts.fills += booked.new
            self._counts.duplicate_fills += booked.duplicates
        if booked.new:
            self._tell_holdings()

    def _roll_checkpoint(self) -> None:
        """Every ``checkpoint_every`` fills booked, bring the checkpoint of the ledger's
        fills up to date in a thread of its own (one at a time), so the next start books
        only the fills since (:func:`~actors.risk._recovery.roll_checkpoint`). It reads
        the ledger and writes the checkpoint file, and shares nothing with this actor."""
        fills = self._sources.ledger_fills
        if fills is None or self._since_checkpoint < self._checkpoint_every:
            return
        if self._roller is not None and self._roller.is_alive():
            return  # the next fill booked asks again
        self._since_checkpoint = 0
        self._counts.checkpoints_started += 1
        self._roller = threading.Thread(
            target=roll_checkpoint,
            args=(fills,),
            kwargs={"actor": self.name, "wall": self.clock.wall},
            name=f"{self.name}-checkpoint",
            daemon=True,  # a roll cut short leaves the last checkpoint whole (renamed over)
        )
        self._roller.start()

    def _on_holdings_wanted(self, _message: HoldingsWanted) -> Holdings:
        return self._tell_holdings()

    def _tell_holdings(self) -> Holdings:
        """Send the strategy what is held outside complete sets (unavailable: dropped;
        it asks with ``HoldingsWanted`` when it starts)."""
        holdings = holdings_of(self._events, self._positions)
        try:
            self.send(self._strategy, holdings)
        except ChildUnavailable:
            self._counts.holdings_undelivered += 1
        else:
            self._counts.holdings_sent += 1
        return holdings

    def exposure(self) -> Exposure:
        """Exposure in dollars per market, per event and in total: what is held can still
        lose plus the live reservations' amounts (docs/baskets.md §3), summed exactly."""
        return exposure_of(self._events, self._positions.holdings(), self._book)

    def _abandon_probe(self, reservation_id: str) -> None:
        if reservation_id in self._probe_ids:
            self._probe_ids.discard(reservation_id)
            self._breaker = self._breaker.probe_abandoned(self.clock.monotonic())

    def _set_breaker(self, breaker: CircuitBreaker, why: str) -> None:
        before, self._breaker = self._breaker.state, breaker
        if breaker.state is before:
            return
        if breaker.state is not BreakerState.HALF_OPEN:
            self._probe_ids.clear()
        detail = f"{before.value} -> {breaker.state.value}: {why}"
        logger.bind(event="breaker", actor=self.name, reason=detail).warning("breaker {}", detail)
        self._record(AuditEvent("breaker", detail, self.name))

    def _log(self, event: str, reservation: Reservation | None = None) -> Any:
        return risk_log(self.name, event, reservation)

    # -- introspection -----------------------------------------------------------------

    def state_summary(self) -> RiskStatus:
        """A :class:`RiskStatus` of fresh copies: nothing in it is a live object."""
        now = self.clock.monotonic()
        exposure = exposure_status(self.exposure())
        realised_today = self._positions.realised_today(self.clock.wall())  # sets the day
        return RiskStatus(
            halted=self._halted,
            halt_reason=self._halt_reason,
            reconciled=self._reconciled,
            reconcile_detail=self._reconcile_detail,
            breaker=breaker_status(self._breaker.at(now), now),
            reservations=reservations_status(self._book),
            recovered_pending=self._leftovers.pending(),
            exposure=exposure,
            limits=self._limits,
            positions=position_views(self._positions),
            realised_pnl_today=realised_today,
            realised_pnl_total=self._positions.realised_total,
            day=self._positions.day,
            rejections=attrs.evolve(self._rejections),
            counts=attrs.evolve(self._counts),
            records_in_flight=self._ledger.in_flight,
            ledger_client=self._ledger.status(),
            unknown_messages=self.unknown_messages,
        )
