"""The execution actor: turns risk's reservations into orders at the venue, safely.

A non-blocking state machine (its plumbing, reconciliation and ledger repair
are :class:`~actors.execution._base.ExecutionBase`'s). All venue I/O runs on a
private trio loop whose clock is the actor's injected clock; loop tasks tell
their results back to the mailbox, so a ``CancelAll`` is never stuck behind an
order. Messages are dispatched by exact type through :meth:`handlers`; anything
else is counted in ``unknown_messages`` and ignored.

Start-up: ``ExecutionReady`` to risk, then reconciliation (cancel every resting
order, read orders, fills, positions and price grids, ``Record`` them, then
``Reconciled``). ``Execute`` before that is refused with
``ExecutionReport(FAILED, "not_reconciled")``, never queued. ``RiskReady``:
answer ``ExecutionReady`` and reconcile again once nothing is in flight.

``Execute(reservation)`` starts a **flight** (docs/baskets.md section 4), once per
reservation id per incarnation (repeats are counted and ignored; the last
``SEEN_AT_MOST`` ids are remembered):

1. every leg's ``price`` is checked on its market's grid and its ``max_price``
   floored onto it; one bad leg fails it (``FAILED "invalid: ..."``), nothing
   recorded or sent;
2. RECORDING_INTENTS: **R1** = ``ReservationChanged(HELD, this epoch)``, an
   ``IntentRecorded`` (leg, ENTRY) per leg and ``BasketProgress(PLACING)`` in one
   Record; nothing is sent before ``Recorded`` (failed, timed out, ``CancelAll``
   or dry run: ``FAILED``/``NONE`` and the intents abandoned);
3. PLACING: every leg at once, IOC (``basket placing`` history line); then
   **R2** (orders, fills, ``BasketProgress(LEGS_SETTLED, held, deadline_at)``) and
   the policy decides (:func:`~actors.execution._outcome.next_step`);
4. an unbalanced basket is completed while the deadline lasts
   (RECORDING_COMPLETION: **R3**, then COMPLETING: BUY IOC at ``max_price``), unless
   halted; otherwise unwound down to its least-held leg (PRICING_UNWIND: the books
   are read; RECORDING_UNWIND: **R4**; UNWINDING: SELL IOC at ``best bid -
   unwind_slippage``, ``basket unwinding`` line). ``CancelAll`` stops completions,
   never unwinds;
5. SETTLED: **R5** ``BasketProgress(SETTLED)``, ``ExecutionReport(outcome, fills,
   held, missing)`` to risk. An unwind that fails (no bid, a refused or partly
   filled order, a ledger failure) settles UNHEDGED, ``missing`` naming every short
   leg. EXIT reservations: one SELL IOC, PLACING then SETTLED.

``ResolveInDoubt``: once the settle period has passed, look up every id the
reservation may ever have sent (``order_ids()``), cancel what rests, record the
orders and fills; balanced: answer ``InDoubtResolved(outcome, held, missing)``;
unbalanced: unwind (never buy after a crash) under the first unwind attempt
after the last one found at the venue (never the owner's attempt 0: its intents
may sit in the ledger unsent), then answer. ``CancelAll``: cancel every resting
order (retried until it gets through), abort flights still recording their
intents, stop completions, record an ``AuditEvent``.

Dry run: intents are recorded, no order is created; the report is
``NONE "dry-run"``. Start-up reconciliation only reads (it cancels nothing);
``CancelAll`` and ``ResolveInDoubt`` still cancel, as safety commands.

Failure: a loop task that fails unexpectedly (a bug, or a critical venue error
while finding out what an order did) crashes this incarnation; risk then sees
``Down`` and treats the reservations it held as in doubt.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
from loguru import logger

from actors.domain import OrderIntent, OrderRole, Purpose, Side
from actors.errors import DomainError, VenueError
from actors.execution import _bookkeeping, _events, _history, _orders, _outcome
from actors.execution._base import ExecutionBase
from actors.execution._status import ExecutionStatus, FlightView, Phase
from actors.messages import (
    BasketPhase,
    BasketProgress,
    CancelAll,
    Execute,
    ExecutionReport,
    InDoubtResolved,
    Outcome,
    Recorded,
    RecordFailed,
    Reservation,
    ReservationChanged,
    ResolveInDoubt,
    RiskReady,
)
from supervision import Down

__all__ = ["SEEN_AT_MOST", "ExecutionActor"]

SEEN_AT_MOST = 10_000
"""Reservation ids an incarnation remembers to ignore a repeated ``Execute``: hours of
trading at the rates measured, a few hundred kilobytes."""


class ExecutionActor(ExecutionBase):
    """See the module docstring. ``risk`` and ``persistence`` name the actors it talks to."""

    # -- dispatch ------------------------------------------------------------------------

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {
            Execute: self._on_execute,
            Recorded: self._ledger.answer,
            RecordFailed: self._ledger.answer,
            _events.LegsDone: self._on_legs_done,
            _events.CompletionDue: self._on_completion_due,
            _events.UnwindPriced: self._on_unwind_priced,
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

    # -- Execute: one flight per reservation -------------------------------------------------

    def _forget_seen(self) -> None:
        """Keep the ids of the last ``SEEN_AT_MOST`` reservations (and of every flight
        still going): risk repeats an ``Execute`` only while it waits for the report,
        so an id long settled is never repeated, and memory stays flat however long
        the incarnation lives. A repeat that came even so would find its orders by
        their deterministic client order ids, never send them twice."""
        excess = len(self._seen) - SEEN_AT_MOST
        if excess <= 0:
            return
        for rid in [r for r in itertools.islice(self._seen, excess) if r not in self._flights]:
            del self._seen[rid]

    def _on_execute(self, message: Execute) -> None:
        reservation = message.reservation
        rid = reservation.reservation_id
        if rid in self._seen:
            self._counts.duplicates_ignored += 1
            return
        if not self._reconciled:
            self._report(ExecutionReport(rid, Outcome.FAILED, detail="not_reconciled"))
            return
        self._seen[rid] = None
        self._forget_seen()
        default = self.config.venue.default_grid
        grids = {t: self._grids.get(t, default) for t in reservation.tickers}
        try:
            priced = _orders.priced_for(reservation, grids)
            intents = _orders.entry_intents(reservation)
        except (DomainError, ArithmeticError) as error:
            self._report(ExecutionReport(rid, Outcome.FAILED, detail=f"invalid: {error}"))
            return
        flight = _events.InFlight(
            reservation,
            priced,
            Phase.RECORDING_INTENTS,
            legs={i.client_order_id: "recording intent" for i in intents},
            pending=intents,
        )
        self._flights[rid] = flight
        held = ReservationChanged(attrs.evolve(reservation, owner_epoch=self.epoch))
        placing = BasketProgress(rid, BasketPhase.PLACING)
        events = (held, *_orders.intent_events(reservation, intents), placing)
        self._record(_events.Purpose.INTENTS, rid, events)

    def _intents_recorded(self, rid: str, error: str | None) -> None:
        flight = self._flights.get(rid)
        if flight is None:
            return
        intents, flight.pending = flight.pending, ()
        if error is not None:
            # The intents may still commit late (a locked ledger): the ledger repair
            # marks them abandoned once it can write (see _record_answered).
            self._finish(ExecutionReport(rid, Outcome.FAILED, detail=f"ledger: {error}"))
        elif flight.aborted is not None:
            self._abandon(intents, flight.aborted)
            self._finish(ExecutionReport(rid, Outcome.FAILED, detail=flight.aborted))
        elif self.config.dry_run:
            self._abandon(intents, "dry-run: never sent")
            self._finish(ExecutionReport(rid, Outcome.NONE, detail="dry-run"))
        else:
            now = self.clock.monotonic()
            cws = flight.reservation.complete_within_s
            flight.phase, flight.placed_at, flight.deadline = Phase.PLACING, now, now + cws
            flight.deadline_at = self.clock.wall() + cws
            _history.basket_line(flight.reservation, BasketProgress(rid, BasketPhase.PLACING))
            self._spawn(self._place_task, rid, OrderRole.ENTRY, intents)

    async def _place_task(
        self, rid: str, role: OrderRole, intents: tuple[OrderIntent, ...]
    ) -> None:
        assert self._work is not None
        self._tell(_events.LegsDone(rid, role, await self._work.place_all(rid, intents)))

    def _on_legs_done(self, message: _events.LegsDone) -> None:
        flight = self._flights[message.reservation_id]
        legs = message.legs
        flight.results.extend(legs)
        flight.errored = flight.errored or any(leg.error is not None for leg in legs)
        fills = tuple(fill for leg in legs for fill in leg.fills)
        events = _bookkeeping.ledger_events((leg.order for leg in legs), fills)
        if message.role is OrderRole.COMPLETE:
            flight.completions_used += 1
        if message.role is OrderRole.UNWIND:
            flight.unwound, flight.may_unwind = True, False
        elif flight.reservation.purpose is Purpose.ARBITRAGE:
            settled = BasketProgress(
                flight.reservation.reservation_id,
                BasketPhase.LEGS_SETTLED,
                attempt=flight.completions_used,
                deadline_at=flight.deadline_at,
                held=self._held(flight),
            )
            events += (settled,)
            _history.basket_line(flight.reservation, settled)
        self._record_info(events)
        self._abandon_unplaced(legs)
        self._decide(flight)

    def _held(self, flight: _events.InFlight) -> tuple[Decimal, ...]:
        return flight.reservation.settlement(flight.fills()).held

    def _decide(self, flight: _events.InFlight) -> None:
        """Ask the policy (:func:`_outcome.next_step`) and do what it says."""
        now = self.clock.monotonic()
        step = _outcome.next_step(
            flight.priced,
            self._held(flight),
            now=now,
            deadline=flight.deadline,
            completions_used=flight.completions_used,
            unwinds_used=flight.unwinds_used,
            may_complete=not (flight.halted or flight.resolving),
            errored=flight.errored,
            unwound=flight.unwound,
            may_unwind=flight.may_unwind,
        )
        if isinstance(step, _outcome.Settle):
            self._settle(flight, step)
        elif isinstance(step, _outcome.Complete):
            if step.due_at > now:  # a later attempt: wait for its time
                flight.phase, flight.waiting_for = Phase.COMPLETING, step.attempt
                due = _events.CompletionDue(flight.reservation.reservation_id, step.attempt)
                self._spawn(self._tell_at, step.due_at, due)
            else:
                self._record_completion(flight, step)
        else:
            flight.phase, flight.unwind = Phase.PRICING_UNWIND, step
            self._spawn(self._unwind_price_task, flight.priced, step)

    def _on_completion_due(self, message: _events.CompletionDue) -> None:
        flight = self._flights.get(message.reservation_id)
        if flight is not None and flight.waiting_for == message.attempt:
            flight.waiting_for = None
            self._decide(flight)

    def _record_completion(self, flight: _events.InFlight, step: _outcome.Complete) -> None:
        rid = flight.reservation.reservation_id
        flight.phase, flight.pending = Phase.RECORDING_COMPLETION, step.intents
        for intent in step.intents:
            flight.legs[intent.client_order_id] = "recording intent"
        progress = BasketProgress(
            rid, BasketPhase.COMPLETING, attempt=step.attempt, held=self._held(flight)
        )
        events = (*_orders.intent_events(flight.reservation, step.intents), progress)
        self._record(_events.Purpose.COMPLETION, rid, events)
        _history.basket_line(flight.reservation, progress)

    def _completion_recorded(self, rid: str, error: str | None) -> None:
        flight = self._flights.get(rid)
        if flight is None or flight.phase is not Phase.RECORDING_COMPLETION:
            return
        intents, flight.pending = flight.pending, ()
        if error is not None or flight.halted:
            # No new buy: with a halt none may go out, and a completion the ledger may
            # not hold must not either. What is held unbalanced is unwound instead.
            why = f"ledger: {error}" if error is not None else "halted"
            self._abandon(intents, f"completion not sent: {why}")
            flight.completions_used = flight.reservation.max_complete_attempts
            flight.phase = Phase.PRICING_UNWIND
            self._decide(flight)
            return
        flight.phase = Phase.COMPLETING
        self._spawn(self._place_task, rid, OrderRole.COMPLETE, intents)

    async def _unwind_price_task(self, reservation: Reservation, step: _outcome.Unwind) -> None:
        """Price each leg's unwind, never selling more than the venue holds of its side:
        a leg bought into a market where the account held the other side was netted
        at once (each pair paid out), so that part is already flat and selling it
        would be refused (``insufficient_position``)."""
        assert self._work is not None
        net = await self._work.held_at_venue()
        prices: list[_events.LegPrice] = []
        for index, count in step.need:
            leg = reservation.legs[index]
            sellable = count if net is None else min(count, _held(net, leg.ticker, leg.side))
            if sellable <= 0:
                why = f"the venue holds no {leg.side.value} of {leg.ticker} (netted)"
                prices.append(_events.LegPrice(index, None, why))
                continue
            try:
                price = await self._work.unwind_price(
                    leg.ticker, leg.side, self.config.unwind_slippage
                )
            except VenueError as error:
                prices.append(_events.LegPrice(index, None, f"{type(error).__name__}: {error}"))
                continue
            why = "" if price is not None else "no bid"
            if price is not None and sellable < count:
                why = f"sells {sellable} of {count}: the rest was netted at the venue"
            prices.append(_events.LegPrice(index, price, why, count=sellable))
        self._tell(_events.UnwindPriced(reservation.reservation_id, tuple(prices)))

    def _on_unwind_priced(self, message: _events.UnwindPriced) -> None:
        flight = self._flights[message.reservation_id]
        step = flight.unwind
        assert step is not None
        counts = dict(step.need)
        intents = tuple(
            _orders.unwind_intent(
                flight.priced,
                p.index,
                p.count if p.count is not None else counts[p.index],
                p.price,
                step.attempt,
            )
            for p in message.prices
            if p.price is not None
        )
        flight.notes.extend(f"leg {p.index}: {p.why}" for p in message.prices if p.price and p.why)
        unpriced = [f"leg {p.index}: {p.why}" for p in message.prices if p.price is None]
        if not intents:
            why = f"unwind not sent: {'; '.join(unpriced)}"
            self._settle(flight, self._unhedged(flight, why))
            return
        rid = message.reservation_id
        flight.notes.extend(f"not unwound: {why}" for why in unpriced)
        flight.phase, flight.pending = Phase.RECORDING_UNWIND, intents
        flight.unwinds_used = step.attempt + 1
        for intent in intents:
            flight.legs[intent.client_order_id] = "recording intent"
        progress = BasketProgress(
            rid,
            BasketPhase.UNWINDING,
            attempt=step.attempt,
            held=self._held(flight),
            detail="; ".join(unpriced),
        )
        events = (*_orders.intent_events(flight.reservation, intents), progress)
        self._record(_events.Purpose.UNWIND, rid, events)

    def _unwind_recorded(self, rid: str, error: str | None) -> None:
        flight = self._flights.get(rid)
        if flight is None or flight.phase is not Phase.RECORDING_UNWIND:
            return
        intents, flight.pending = flight.pending, ()
        if error is not None:
            self._abandon(intents, f"unwind not sent: ledger: {error}")
            self._settle(flight, self._unhedged(flight, f"unwind not sent: ledger: {error}"))
            return
        flight.phase = Phase.UNWINDING
        assert flight.unwind is not None
        progress = BasketProgress(
            rid, BasketPhase.UNWINDING, attempt=flight.unwind.attempt, held=self._held(flight)
        )
        _history.basket_line(flight.reservation, progress)  # the unwind goes out now
        self._spawn(self._place_task, rid, OrderRole.UNWIND, intents)

    def _unhedged(self, flight: _events.InFlight, why: str) -> _outcome.Settle:
        held = self._held(flight)
        return _outcome.Settle(Outcome.UNHEDGED, _outcome.shortfall(flight.reservation, held), why)

    def _settle(self, flight: _events.InFlight, step: _outcome.Settle) -> None:
        """The flight is over: record SETTLED (R5), log it, answer risk."""
        reservation, fills = flight.reservation, flight.fills()
        rid = reservation.reservation_id
        settlement = reservation.settlement(fills)
        flight.phase = Phase.SETTLED
        why = "; ".join([*flight.notes, step.why])
        detail = _history.describe(reservation, flight.results, why)
        progress = BasketProgress(
            rid,
            BasketPhase.SETTLED,
            attempt=flight.unwinds_used,
            held=settlement.held,
            outcome=step.outcome,
            detail=detail,
        )
        self._record_info((progress,))
        _history.basket_line(reservation, progress, settlement.missing)
        self._flights.pop(rid, None)
        if flight.resolving:
            self._resolving.discard(rid)
            answer = InDoubtResolved(
                rid, fills, step.outcome, settlement.held, settlement.missing, detail
            )
            self._send(self._risk, answer)
        else:
            report = ExecutionReport(
                rid, step.outcome, fills, detail, settlement.held, settlement.missing
            )
            self._report(report)
        self._reconcile_for_risk_when_idle()

    def _finish(self, report: ExecutionReport) -> None:
        """A flight that sent nothing ends (failed, aborted, dry run)."""
        self._flights.pop(report.reservation_id, None)
        self._report(report)
        self._reconcile_for_risk_when_idle()

    def _report(self, report: ExecutionReport) -> None:
        self._counts.reports += 1
        if report.outcome in (Outcome.FAILED, Outcome.PARTIAL, Outcome.UNHEDGED):
            logger.info("{}: {} {}", self.name, report.reservation_id, report.detail)
        self._send(self._risk, report)

    # -- ResolveInDoubt and CancelAll ------------------------------------------------------

    def _on_resolve_in_doubt(self, message: ResolveInDoubt) -> None:
        reservation = message.reservation
        rid = reservation.reservation_id
        if rid in self._resolving or rid in self._flights:
            return
        self._resolving.add(rid)
        self._spawn(self._resolve_task, reservation)

    async def _resolve_task(self, reservation: Reservation) -> None:
        assert self._work is not None
        await self._until_settled()  # the dead owner's requests land first
        ids = tuple(reservation.order_ids())
        resolution = await self._work.resolve(ids, reservation.reservation_id)
        self._tell(_events.InDoubtDone(reservation, resolution))

    def _on_in_doubt_done(self, message: _events.InDoubtDone) -> None:
        """Every order found is settled: balanced, answer; unbalanced, unwind (never
        buy after a crash) under the first unwind attempt no earlier one reached. Not
        before this incarnation has reconciled: an unwind is an order, and no order
        goes out before reconciliation (DESIGN §6); until then the answer waits."""
        if not self._reconciled:
            self._in_doubt_waiting.append(message)
            return
        reservation, resolution = message.reservation, message.resolution
        rid = reservation.reservation_id
        self._record_info(_bookkeeping.ledger_events(resolution.orders, resolution.fills))
        orders = reservation.order_ids()
        unwinds = [
            orders[o.client_order_id].attempt
            for o in resolution.orders
            if o.client_order_id in orders and orders[o.client_order_id].role is OrderRole.UNWIND
        ]
        # After the last unwind attempt seen at the venue, and never the owner's (0): its
        # intents may be in the ledger unsent, and the same ids at another price conflict.
        first = max([*unwinds, 0]) + 1
        flight = _events.InFlight(
            reservation,
            reservation,
            Phase.PRICING_UNWIND,
            legs={},
            found=resolution.fills,
            deadline=self.clock.monotonic(),
            completions_used=reservation.max_complete_attempts,
            unwinds_used=first,
            unwound=bool(unwinds),
            resolving=True,
        )
        self._flights[rid] = flight
        self._decide(flight)

    def _after_reconciled(self) -> None:
        waiting, self._in_doubt_waiting = self._in_doubt_waiting, []
        for message in waiting:
            self._on_in_doubt_done(message)

    def _on_cancel_all(self, message: CancelAll) -> None:
        reason = message.reason
        for flight in self._flights.values():
            flight.halted = True  # no completion buys from now on; unwinds go on
            if flight.phase is Phase.RECORDING_INTENTS:
                flight.aborted = f"cancelled before sending: {reason}"
        for flight in list(self._flights.values()):
            if flight.waiting_for is not None:  # waiting for a completion: unwind now
                flight.waiting_for = None
                self._decide(flight)
        self._spawn(self._cancel_all_task, reason)

    def _flight_recorded(self, purpose: _events.Purpose, rid: str, error: str | None) -> None:
        if purpose is _events.Purpose.INTENTS:
            self._intents_recorded(rid, error)
        elif purpose is _events.Purpose.COMPLETION:
            self._completion_recorded(rid, error)
        elif purpose is _events.Purpose.UNWIND:
            self._unwind_recorded(rid, error)

    # -- introspection ---------------------------------------------------------------------------

    def _view(self, flight: _events.InFlight) -> FlightView:
        deadline_in_s = None
        if flight.placed_at is not None and flight.reservation.complete_within_s > 0:
            deadline_in_s = flight.deadline - self.clock.monotonic()
        return FlightView(flight.phase, dict(flight.legs), deadline_in_s)

    def state_summary(self) -> ExecutionStatus:
        return ExecutionStatus(
            reconciled=self._reconciled,
            reconcile_attempts=self._reconcile_attempts,
            reconcile_detail=self._reconcile_detail,
            dry_run=self.config.dry_run,
            in_flight={rid: self._view(flight) for rid, flight in self._flights.items()},
            resolving_in_doubt=tuple(sorted(self._resolving)),
            pending_records=self._ledger.in_flight,
            ledger_repair_pending=tuple(sorted(self._needs_repair)),
            counts=attrs.evolve(self._counts),
            last_error=self._last_error,
            ledger_client=self._ledger.status(),
            unknown_messages=self.unknown_messages,
            in_doubt_awaiting_reconciliation=tuple(
                sorted(m.reservation.reservation_id for m in self._in_doubt_waiting)
            ),
        )


def _held(net: dict[str, Decimal], ticker: str, side: Side) -> Decimal:
    """Contracts of ``side`` the venue holds in ``ticker``, from its net position."""
    position = net.get(ticker, Decimal(0))
    return max(position, Decimal(0)) if side is Side.YES else max(-position, Decimal(0))
