"""The execution actor: turns risk's reservations into orders at the venue, safely.

A non-blocking state machine.  All venue I/O runs on a private trio loop
(:class:`~supervision.TrioLoop`, started in ``on_start``, stopped in
``on_stop``/``on_failure``) whose trio clock is the actor's injected clock, so
every wait and deadline (retries, rate limits, call deadlines, the settle
period, Record timeouts) is measured on one clock; loop tasks tell their
results back to this actor's mailbox, so a ``CancelAll`` is never stuck behind
an order.  Messages are dispatched by exact type through :meth:`handlers`;
anything else is counted in ``unknown_messages`` and ignored.

Start-up: ``ExecutionReady`` to risk, then reconciliation: cancel every resting
order at the venue (after a restart we hold no working orders), read every
order, fill and position, ``Record`` them with persistence (fills are inserted
idempotently by fill id), and only once persistence answered ``Recorded`` send
risk ``Reconciled(ok=True, ...)``.  If the venue (or the ledger) fails,
``Reconciled(ok=False, detail)`` goes to risk and the attempt is repeated after
a jittered backoff, for ever.

``RiskReady`` (a new risk incarnation, e.g. risk restarted alone): answer
``ExecutionReady``; if this incarnation had reconciled already, reconcile again
once no reservation is in flight (their reports reach the new risk first), so
the new risk hears a fresh ``Reconciled`` and the daemon becomes ready again.

``Execute`` before reconciliation finished is refused with
``ExecutionReport(FAILED, "not_reconciled")``, never queued: an opportunity
queued behind a slow reconciliation would be stale, and the refusal releases
the reservation at once (no order was sent).

``Execute(reservation)``: a reservation id is executed at most once per
incarnation (a repeat is ignored and counted).  A price off the market's grid
(read from the venue's market list at reconciliation; Kalshi's ``linear_cent``
for a market it did not list) fails it at once with
``ExecutionReport(FAILED, "invalid: ...")``: nothing recorded, nothing sent.
Both intents are recorded, with the reservation's HELD state in the same
transaction, and nothing is sent before persistence answers ``Recorded``;
``RecordFailed`` (or no answer within ``record_timeout``, or persistence going
down) means no order and ``ExecutionReport(FAILED)``. Every ``Record`` goes
through the actor's :class:`~actors.ledger_client.LedgerClient`, which times it
out, fails it when persistence goes down, and schedules the ledger repair that
follows a failure (see "ledger repair" below). Then both legs go out
concurrently as IOC limit buys (see :mod:`actors.execution._workflows` for
retries and unknown outcomes); uneven fills are unwound after the unwind intent
is recorded too (see :mod:`actors.execution._outcome`).  Order states and fills go to
persistence; the report goes to risk.  Every venue error is forwarded to risk
as a ``VenueErrorReport`` classified by type.

``ResolveInDoubt``: once the settle period since this incarnation started has
passed (``reconcile_settle_s``: a request the dead owner had in flight may land
until then, so an earlier "not found" would prove nothing), look both legs (and
any unwind) up by client order id, cancel what rests, record fills, answer
``InDoubtResolved``.  ``CancelAll``:
cancel every resting order (retried until it gets through), abort reservations
still waiting for their intents to be recorded, record an ``AuditEvent``.

Dry run: intents are recorded, no order is created; the report is
``NONE "dry-run"``.  Start-up reconciliation only reads (it cancels nothing);
``CancelAll`` and ``ResolveInDoubt`` still cancel, as safety commands.

Failure: a loop task that fails unexpectedly (a bug, or a critical venue error
while finding out what an order did) crashes this incarnation; risk then sees
``Down`` and treats the reservations it held as in doubt.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import pykka
import trio
from loguru import logger

from actors.domain import OrderIntent
from actors.errors import CriticalVenueError, DomainError, VenueError
from actors.execution import _events, _outcome
from actors.execution._client import VenueClient
from actors.execution._config import ExecutionConfig
from actors.execution._outcome import UnwindNeeded
from actors.execution._status import (
    CountName,
    ExecutionCounts,
    ExecutionStatus,
    FlightView,
    Phase,
)
from actors.execution._wire import DEFAULT_GRID
from actors.execution._workflows import LegResult, ReconcileResult, Workflows
from actors.ledger_client import LedgerClient, RecordOutcome
from actors.messages import (
    AuditEvent,
    CancelAll,
    ErrorClass,
    Execute,
    ExecutionReady,
    ExecutionReport,
    FillRecorded,
    InDoubtResolved,
    IntentRecorded,
    IntentsAbandoned,
    LedgerEvent,
    OrderUpdated,
    Outcome,
    Reconciled,
    Recorded,
    RecordFailed,
    Reservation,
    ReservationChanged,
    ResolveInDoubt,
    RiskReady,
    VenueErrorReport,
)
from actors.money import PriceGrid
from supervision import ChildUnavailable, Down, SupervisedActor, TrioLoop

__all__ = ["ExecutionActor"]


class ExecutionActor(SupervisedActor):
    """See the module docstring. ``risk`` and ``persistence`` name the actors it talks to."""

    def __init__(
        self, config: ExecutionConfig, *, risk: str = "risk", persistence: str = "persistence"
    ) -> None:
        super().__init__()
        self.config = config
        self._risk = risk
        self._loop: TrioLoop | None = None
        self._work: Workflows | None = None
        self._reconciled = False
        self._reconcile_attempts = 0
        self._reconcile_detail: str | None = None
        self._reconcile_result: ReconcileResult | None = None
        self._grids: Mapping[str, PriceGrid] = {}
        self._reconciling = False
        self._reconcile_for_risk = False
        self._settled_at = 0.0
        self._flights: dict[str, _events.InFlight] = {}
        self._seen: set[str] = set()
        self._resolving: set[str] = set()
        self._ledger: LedgerClient[_events.RecordFor] = LedgerClient(
            self,
            self._record_outcome,
            persistence=persistence,
            timeout=config.record_timeout,
            retry=config.ledger_retry,
            on_retry=self._start_repair,
        )
        self._needs_repair: set[str] = set()
        self._counts = ExecutionCounts()
        self._last_error: str | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def on_start(self) -> None:
        # One clock: the loop's trio time is this actor's clock, so every wait and
        # deadline on the loop (retries, rate limits, call deadlines, the settle period)
        # is measured on the same clock as the ledger client's Record deadlines.
        self._loop = TrioLoop(
            f"{self.name}-venue",
            lambda exc: self._tell(_events.LoopFailed(exc)),
            clock=self.clock,
        )
        self._loop.start()
        try:
            client = VenueClient(
                self.config,
                on_rate_limit_wait=lambda _e, _s: self._tell(
                    _events.Counted(CountName.RATE_LIMIT_WAITS)
                ),
            )
            self._work = Workflows(
                client,
                retry=self.config.retry,
                resolve_retry=self.config.resolve_retry,
                rng=random.Random(self.rng.getrandbits(64)),  # the loop's own generator
                reporter=_events.MailboxReporter(self._tell),
            )
            self._loop.spawn(_own_client, client)
            self._loop.spawn(self._sweep_records_task)
            self._ledger.start()
        except BaseException:
            self._loop.stop()
            raise
        # Until then, a request a previous incarnation (or a killed process) had in
        # flight may still land at the venue: a lookup before it proves nothing.
        self._settled_at = self.clock.monotonic() + self.config.reconcile_settle_s
        self._send(self._risk, ExecutionReady())
        self._start_reconcile()

    def on_stop(self) -> None:
        self._stop_loop()

    def on_fenced(self) -> None:
        # Hung (or crashed): no request of this incarnation may start from now on; the
        # successor treats its reservations as in doubt. Cancel, do not wait.
        if self._loop is not None:
            self._loop.stop(timeout=0)

    def on_failure(self, *_exc_info: object) -> None:
        self._stop_loop()

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.stop()

    # -- dispatch ------------------------------------------------------------------------

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {
            Execute: self._on_execute,
            Recorded: self._ledger.answer,
            RecordFailed: self._ledger.answer,
            _events.LegsDone: self._on_legs_done,
            _events.UnwindPriced: self._on_unwind_priced,
            _events.UnwindDone: self._on_unwind_done,
            RiskReady: self._on_risk_ready,
            ResolveInDoubt: self._on_resolve_in_doubt,
            _events.InDoubtDone: self._on_in_doubt_done,
            CancelAll: self._on_cancel_all,
            _events.CancelAllDone: self._on_cancel_all_done,
            _events.ReconcileDone: self._on_reconcile_done,
            _events.ReconcileFailed: self._on_reconcile_failed,
            _events.Reconcile: self._on_reconcile,
            _events.VenueErrorSeen: self._on_venue_error,
            _events.Counted: self._on_counted,
            _events.LegState: self._on_leg_state,
            _events.RepairDone: self._on_repair_done,
            _events.SweepRecords: self._on_sweep,
            Down: self._ledger.on_down,
            _events.LoopFailed: self._on_loop_failed,
        }

    def _on_counted(self, message: _events.Counted) -> None:
        self._counts.add(message.counter, message.n)

    def _on_leg_state(self, message: _events.LegState) -> None:
        flight = self._flights.get(message.reservation_id)
        if flight is not None:
            flight.legs[message.client_order_id] = message.state

    def _on_sweep(self, _message: _events.SweepRecords) -> None:
        self._ledger.sweep()

    def _on_loop_failed(self, message: _events.LoopFailed) -> None:
        raise message.error

    # -- reconciliation --------------------------------------------------------------------

    def _start_reconcile(self) -> None:
        self._reconcile_attempts += 1
        self._reconciling = True
        self._spawn(self._reconcile_task)

    def _on_reconcile(self, _message: _events.Reconcile) -> None:
        self._start_reconcile()

    def _on_reconcile_failed(self, message: _events.ReconcileFailed) -> None:
        self._reconcile_failed(f"venue: {message.error}")

    def _on_risk_ready(self, _message: RiskReady) -> None:
        self._send(self._risk, ExecutionReady())
        if self._reconciled:  # else the reconciliation under way answers the new risk
            self._reconcile_for_risk = True
            self._reconcile_for_risk_when_idle()

    def _reconcile_for_risk_when_idle(self) -> None:
        """Reconcile for a new risk once nothing is in flight: a reservation of the old
        risk still placing its orders is reported (fills and all) before the venue is
        read, so the Reconciled that releases what the ledger shows open comes after."""
        if self._reconcile_for_risk and not self._flights and not self._reconciling:
            self._reconcile_for_risk = False
            self._counts.reconciled_for_risk += 1
            self._start_reconcile()

    async def _reconcile_task(self) -> None:
        assert self._work is not None
        await self._until_settled()  # let the requests of earlier incarnations land
        try:
            result = await self._work.reconcile(cancel=not self.config.dry_run)
        except VenueError as error:
            self._tell(_events.ReconcileFailed(error))
        else:
            self._tell(_events.ReconcileDone(result))

    def _on_reconcile_done(self, message: _events.ReconcileDone) -> None:
        self._reconcile_result = message.result
        self._record(_events.Purpose.RECONCILE, None, _outcome.reconcile_events(message.result))

    def _reconcile_recorded(self, error: str | None) -> None:
        result, self._reconcile_result = self._reconcile_result, None
        if error is not None or result is None:
            self._reconcile_failed(f"ledger: {error}")
            return
        self._reconciling = False
        self._reconciled = True
        self._reconcile_detail = "ok"
        self._grids = result.grids
        self._send(
            self._risk,
            Reconciled(
                ok=True,
                open_orders_cancelled=len(result.cancelled),
                fills_recovered=len(result.fills),
                positions=_outcome.positions_from(result.fills, result.positions),
                fills=result.fills,
            ),
        )
        self._reconcile_for_risk_when_idle()

    def _reconcile_failed(self, detail: str) -> None:
        self._reconciling = False  # the retry below starts another attempt
        self._reconcile_detail = detail
        self._last_error = detail
        self._send(self._risk, Reconciled(ok=False, detail=detail))
        delay = self.config.reconcile_retry.delay(self._reconcile_attempts - 1, self.rng)
        self._spawn(self._tell_after, delay, _events.Reconcile())

    # -- Execute ----------------------------------------------------------------------------

    def _on_execute(self, message: Execute) -> None:
        reservation = message.reservation
        rid = reservation.reservation_id
        if rid in self._seen:
            self._counts.duplicates_ignored += 1
            return
        if not self._reconciled:
            self._report(ExecutionReport(rid, Outcome.FAILED, detail="not_reconciled"))
            return
        self._seen.add(rid)
        try:
            intents = _outcome.intents_for(
                reservation, self._grids.get(reservation.ticker, DEFAULT_GRID)
            )
        except DomainError as error:
            self._report(ExecutionReport(rid, Outcome.FAILED, detail=f"invalid: {error}"))
            return
        self._flights[rid] = _events.InFlight(
            reservation,
            intents,
            phase=Phase.RECORDING_INTENTS,
            legs={i.client_order_id: "recording intent" for i in intents},
        )
        held = ReservationChanged(attrs.evolve(reservation, owner_epoch=self.epoch))
        self._record(_events.Purpose.INTENTS, rid, (held, *_outcome.intent_events(rid, intents)))

    def _intents_recorded(self, rid: str, error: str | None) -> None:
        flight = self._flights.get(rid)
        if flight is None:
            return
        if error is not None:
            # The intents may still commit late (a locked ledger): the ledger repair
            # marks them abandoned once it can write (see _record_answered).
            self._finish(ExecutionReport(rid, Outcome.FAILED, detail=f"ledger: {error}"))
        elif flight.aborted is not None:
            self._abandon(flight.intents, flight.aborted)
            self._finish(ExecutionReport(rid, Outcome.FAILED, detail=flight.aborted))
        elif self.config.dry_run:
            self._abandon(flight.intents, "dry-run: never sent")
            self._finish(ExecutionReport(rid, Outcome.NONE, detail="dry-run"))
        else:
            flight.phase = Phase.PLACING
            self._spawn(self._place_pair_task, rid, flight.intents)

    async def _place_pair_task(self, rid: str, intents: tuple[OrderIntent, OrderIntent]) -> None:
        assert self._work is not None
        self._tell(_events.LegsDone(rid, await self._work.place_pair(rid, intents)))

    def _on_legs_done(self, message: _events.LegsDone) -> None:
        flight = self._flights[message.reservation_id]
        flight.results = legs = message.legs
        self._record_info(
            _outcome.ledger_events((leg.order for leg in legs), legs[0].fills + legs[1].fills)
        )
        self._abandon_unplaced(legs)
        decision = _outcome.pair_outcome(flight.reservation, legs)
        if isinstance(decision, ExecutionReport):
            self._finish(decision)
            return
        flight.unwind, flight.phase = decision, Phase.PRICING_UNWIND
        self._spawn(self._unwind_price_task, message.reservation_id, flight.reservation, decision)

    async def _unwind_price_task(self, rid: str, res: Reservation, need: UnwindNeeded) -> None:
        assert self._work is not None
        try:
            price = await self._work.unwind_price(
                res.ticker, need.side, self.config.unwind_slippage
            )
        except VenueError as error:
            self._tell(_events.UnwindPriced(rid, None, f"{type(error).__name__}: {error}"))
        else:
            self._tell(_events.UnwindPriced(rid, price, "" if price is not None else "no bid"))

    def _on_unwind_priced(self, message: _events.UnwindPriced) -> None:
        flight = self._flights[message.reservation_id]
        assert flight.unwind is not None
        if message.price is None:
            self._finish_unwind(flight, None, message.why)
            return
        intent = _outcome.unwind_intent(flight.reservation, flight.unwind, message.price)
        flight.unwind_intent, flight.phase = intent, Phase.RECORDING_UNWIND_INTENT
        flight.legs[intent.client_order_id] = "recording intent"
        rid = message.reservation_id
        self._record(_events.Purpose.UNWIND, rid, _outcome.intent_events(rid, (intent,)))

    def _unwind_recorded(self, rid: str, error: str | None) -> None:
        flight = self._flights.get(rid)
        if flight is None or flight.unwind_intent is None:
            return
        if error is not None:
            self._finish_unwind(flight, None, f"ledger: {error}")
            return
        flight.phase = Phase.UNWINDING
        self._spawn(self._unwind_task, rid, flight.unwind_intent)

    async def _unwind_task(self, rid: str, intent: OrderIntent) -> None:
        assert self._work is not None
        self._tell(_events.UnwindDone(rid, await self._work.place(rid, intent)))

    def _on_unwind_done(self, message: _events.UnwindDone) -> None:
        flight = self._flights[message.reservation_id]
        leg = message.leg
        self._record_info(_outcome.ledger_events((leg.order,), leg.fills))
        self._abandon_unplaced((leg,))
        self._finish_unwind(flight, leg, "")

    def _finish_unwind(self, flight: _events.InFlight, leg: LegResult | None, why: str) -> None:
        assert flight.results is not None
        assert flight.unwind is not None
        self._finish(
            _outcome.unwind_outcome(flight.reservation, flight.results, flight.unwind, leg, why)
        )

    def _finish(self, report: ExecutionReport) -> None:
        self._flights.pop(report.reservation_id, None)
        self._report(report)
        self._reconcile_for_risk_when_idle()

    def _report(self, report: ExecutionReport) -> None:
        self._counts.reports += 1
        if report.outcome in (Outcome.FAILED, Outcome.PARTIAL):
            logger.info("{}: {} {}", self.name, report.reservation_id, report.detail)
        self._send(self._risk, report)

    # -- ResolveInDoubt and CancelAll ------------------------------------------------------

    def _on_resolve_in_doubt(self, message: ResolveInDoubt) -> None:
        reservation = message.reservation
        rid = reservation.reservation_id
        if rid in self._resolving:
            return
        self._resolving.add(rid)
        ids = reservation.client_order_ids + _outcome.unwind_client_order_ids(rid)
        self._spawn(self._resolve_task, rid, ids)

    async def _resolve_task(self, rid: str, client_order_ids: tuple[str, ...]) -> None:
        assert self._work is not None
        await self._until_settled()  # the dead owner's requests land first
        resolution = await self._work.resolve(client_order_ids, rid)
        self._tell(_events.InDoubtDone(rid, resolution))

    def _on_in_doubt_done(self, message: _events.InDoubtDone) -> None:
        self._resolving.discard(message.reservation_id)
        resolution = message.resolution
        self._record_info(_outcome.ledger_events(resolution.orders, resolution.fills))
        self._send(self._risk, InDoubtResolved(message.reservation_id, resolution.fills))

    def _on_cancel_all(self, message: CancelAll) -> None:
        reason = message.reason
        for flight in self._flights.values():
            if flight.phase is Phase.RECORDING_INTENTS:
                flight.aborted = f"cancelled before sending: {reason}"
        self._spawn(self._cancel_all_task, reason)

    async def _cancel_all_task(self, reason: str) -> None:
        assert self._work is not None
        self._tell(_events.CancelAllDone(reason, await self._work.cancel_resting(persist=True)))

    def _on_cancel_all_done(self, message: _events.CancelAllDone) -> None:
        audit = AuditEvent(
            "cancel_all", f"{len(message.cancelled)} orders cancelled: {message.reason}", self.name
        )
        self._record_info((*_outcome.ledger_events(message.cancelled, ()), audit))

    # -- venue errors ------------------------------------------------------------------------

    def _on_venue_error(self, message: _events.VenueErrorSeen) -> None:
        error = message.error
        self._counts.venue_errors += 1
        self._last_error = f"{type(error).__name__}: {error}"
        critical = isinstance(error, CriticalVenueError)
        self._send(
            self._risk,
            VenueErrorReport(
                ErrorClass.CRITICAL if critical else ErrorClass.TRANSIENT,
                type(error).__name__,
                error.endpoint,
                str(error),
            ),
        )

    # -- persistence ---------------------------------------------------------------------------

    def _record(
        self, purpose: _events.Purpose, rid: str | None, events: Iterable[LedgerEvent]
    ) -> None:
        self._ledger.record(events, _events.RecordFor(purpose, rid))

    async def _sweep_records_task(self) -> None:
        """One timer for every pending Record (a timer task per Record would wake the
        loop thread on the tick-to-order path): the ledger client fails a Record at
        the first sweep past its deadline on the actor's clock, between
        ``record_timeout`` and 1.25 x ``record_timeout`` after it was sent."""
        while True:
            await trio.sleep(self.config.record_timeout / 4)
            self._tell(_events.SweepRecords())

    def _abandon(self, intents: Iterable[OrderIntent], reason: str) -> None:
        """Recorded intents whose orders will never be sent: no open order in the ledger."""
        ids = tuple(intent.client_order_id for intent in intents)
        self._record_info((IntentsAbandoned(ids, reason),))

    def _abandon_unplaced(self, legs: Iterable[LegResult]) -> None:
        """A leg without an order was never accepted by the venue (refused, or given up
        on after a lookup found nothing): its intent must not stay open in the ledger."""
        unplaced = [leg.intent for leg in legs if leg.order is None]
        if unplaced:
            reasons = {type(leg.error).__name__ for leg in legs if leg.order is None and leg.error}
            self._abandon(unplaced, f"not placed: {', '.join(sorted(reasons)) or 'no order'}")

    def _record_info(self, events: tuple[LedgerEvent, ...]) -> None:
        if events:
            self._record(_events.Purpose.INFO, None, events)

    def _record_outcome(self, outcome: RecordOutcome[_events.RecordFor]) -> None:
        """The ledger client's answer for one Record (exactly once per Record)."""
        pending, error = outcome.context, outcome.detail
        if error is not None:
            self._counts.records_failed += 1
            self._last_error = error
            self._needs_repair.update(_order_ids(outcome.events))
            self._schedule_repair()
        if pending.purpose is _events.Purpose.INTENTS and pending.reservation_id is not None:
            self._intents_recorded(pending.reservation_id, error)
        elif pending.purpose is _events.Purpose.UNWIND and pending.reservation_id is not None:
            self._unwind_recorded(pending.reservation_id, error)
        elif pending.purpose is _events.Purpose.RECONCILE:
            self._reconcile_recorded(error)

    # -- ledger repair ---------------------------------------------------------------------------
    #
    # A Record that failed or timed out may or may not have committed (a locked ledger
    # commits it late; a full one never). Retrying the same events is unsafe (an old
    # order update after a newer one is a conflict), so the venue is asked instead: the
    # orders' current state and fills are recorded again (idempotent), and intents
    # whose order the venue never saw are marked abandoned. Retried after the ledger
    # client's jittered backoff (``config.ledger_retry``) until a repair finds nothing
    # left to repair.

    def _schedule_repair(self) -> None:
        if not self._needs_repair:
            return
        delay = self._ledger.schedule_retry()
        if delay is not None:  # else one is scheduled already: it repairs these ids too
            self._spawn(self._tell_after, delay, _events.SweepRecords())  # wakes the sweep

    def _start_repair(self) -> None:
        """The ledger client's retry: due now."""
        ids = tuple(sorted(self._needs_repair))
        if not ids:
            return
        self._needs_repair.clear()
        self._counts.ledger_repairs += 1
        self._spawn(self._repair_task, ids)

    async def _repair_task(self, client_order_ids: tuple[str, ...]) -> None:
        assert self._work is not None
        resolution = await self._work.resolve(client_order_ids)
        found = {order.client_order_id for order in resolution.orders}
        missing = tuple(cid for cid in client_order_ids if cid not in found)
        self._tell(_events.RepairDone(resolution, missing))

    def _on_repair_done(self, message: _events.RepairDone) -> None:
        resolution = message.resolution
        events: tuple[LedgerEvent, ...] = _outcome.ledger_events(
            resolution.orders, resolution.fills
        )
        if message.missing:
            events += (IntentsAbandoned(message.missing, "ledger repair: not at the venue"),)
        if events:
            self._record(_events.Purpose.INFO, None, events)
        if not self._needs_repair:
            self._ledger.retry_succeeded()

    # -- plumbing --------------------------------------------------------------------------------

    def _send(self, to: str, message: Any) -> None:
        try:
            self.send(to, message)
        except ChildUnavailable:
            logger.warning("{}: {} unavailable, dropped {!r}", self.name, to, message)

    def _tell(self, message: Any) -> None:
        """From the loop: into our mailbox (dropped once this incarnation has ended)."""
        with contextlib.suppress(pykka.ActorDeadError):
            self.actor_ref.tell(message)

    def _spawn(self, async_fn: Any, *args: Any) -> None:
        assert self._loop is not None
        self._loop.spawn(async_fn, *args)

    async def _tell_after(self, delay: float, message: Any) -> None:
        await trio.sleep(delay)
        self._tell(message)

    async def _until_settled(self) -> None:
        """Wait until ``_settled_at``: a deadline on the actor's clock, which is also the
        loop's trio clock (see ``on_start``)."""
        await trio.sleep_until(self._settled_at)

    # -- introspection ---------------------------------------------------------------------------

    def state_summary(self) -> ExecutionStatus:
        return ExecutionStatus(
            reconciled=self._reconciled,
            reconcile_attempts=self._reconcile_attempts,
            reconcile_detail=self._reconcile_detail,
            dry_run=self.config.dry_run,
            in_flight={
                rid: FlightView(flight.phase, dict(flight.legs))
                for rid, flight in self._flights.items()
            },
            resolving_in_doubt=tuple(sorted(self._resolving)),
            pending_records=self._ledger.in_flight,
            ledger_repair_pending=tuple(sorted(self._needs_repair)),
            counts=attrs.evolve(self._counts),
            last_error=self._last_error,
            ledger_client=self._ledger.status(),
            unknown_messages=self.unknown_messages,
        )


async def _own_client(client: VenueClient) -> None:
    """Keep the client open while the loop runs; close it when the loop is cancelled."""
    try:
        await trio.sleep_forever()
    finally:
        with trio.CancelScope(shield=True), trio.move_on_after(1.0):
            await client.aclose()


def _order_ids(events: tuple[LedgerEvent, ...]) -> tuple[str, ...]:
    """The client order ids a Record's events are about (for a ledger repair)."""
    ids: list[str] = []
    for event in events:
        if isinstance(event, IntentRecorded):
            ids.append(event.intent.client_order_id)
        elif isinstance(event, OrderUpdated):
            ids.append(event.client_order_id)
        elif isinstance(event, FillRecorded):
            ids.append(event.fill.client_order_id)
        elif isinstance(event, IntentsAbandoned):
            ids.extend(event.client_order_ids)
    return tuple(dict.fromkeys(ids))
