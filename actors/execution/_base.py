"""The execution actor's machinery below its flights (see :mod:`actors.execution._actor`).

:class:`ExecutionBase` owns the private trio loop, the venue client and its
procedures (and the client's private channel, when it has one, feeding
:class:`~actors.execution._heard.Heard`), the ledger client (every ``Record``,
its timeout, the ledger repair after a failed one), start-up reconciliation (and
the one a new risk incarnation asks for), venue error reports and the kill
switch's cancel task.
:class:`~actors.execution._actor.ExecutionActor` adds the flights: one state
machine per reservation, told by :meth:`ExecutionBase._flight_recorded` when a
flight's ``Record`` is answered.
"""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Iterable, Mapping
from typing import Any

import pykka
import trio
from loguru import logger

from actors.domain import OrderIntent
from actors.errors import CriticalVenueError, VenueError
from actors.execution import _bookkeeping, _events
from actors.execution._config import ExecutionConfig
from actors.execution._heard import Heard
from actors.execution._status import CountName, ExecutionCounts
from actors.execution._workflows import LegResult, ReconcileResult, Workflows
from actors.ledger_client import LedgerClient, RecordOutcome
from actors.messages import (
    AuditEvent,
    ErrorClass,
    ExecutionReady,
    FillRecorded,
    IntentRecorded,
    IntentsAbandoned,
    LedgerEvent,
    OrderUpdated,
    Reconciled,
    RiskReady,
    VenueErrorReport,
)
from actors.money import PriceGrid
from actors.persistence import reconcile_basis
from actors.venues import TradingClient
from actors.venues._trading import ChannelDown, ChannelUp, PrivateChannel, PrivateEvent
from supervision import ChildUnavailable, SupervisedActor, TrioLoop

__all__ = ["ExecutionBase"]


class ExecutionBase(SupervisedActor):
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
        self._seen: dict[str, None] = {}  # reservation ids, oldest first (bounded: _forget_seen)
        self._resolving: set[str] = set()
        self._in_doubt_waiting: list[_events.InDoubtDone] = []  # resolved before reconciled
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
            client = self.config.venue.open_client(
                self.config,
                on_rate_limit_wait=lambda _e, _s: self._tell(
                    _events.Counted(CountName.RATE_LIMIT_WAITS)
                ),
            )
            heard = Heard()
            self._work = Workflows(
                client,
                retry=self.config.retry,
                resolve_retry=self.config.resolve_retry,
                rng=random.Random(self.rng.getrandbits(64)),  # the loop's own generator
                reporter=_events.MailboxReporter(self._tell),
                heard=heard,
                hear_fills_s=self.config.hear_fills_s,
                reconcile_basis=(
                    None
                    if self.config.ledger_path is None
                    else functools.partial(reconcile_basis, self.config.ledger_path)
                ),
            )
            self._loop.spawn(_own_client, client)
            if isinstance(client, PrivateChannel):  # else nothing is heard: all by REST
                self._loop.spawn(client.serve_private, functools.partial(self._hear, heard))
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

    def _hear(self, heard: Heard, event: PrivateEvent) -> None:
        """On the loop: the private channel's ``deliver``; its sessions are counted."""
        heard(event)
        if isinstance(event, ChannelUp):
            self._tell(_events.Counted(CountName.PRIVATE_CHANNEL_UPS))
        elif isinstance(event, ChannelDown):
            self._tell(_events.Counted(CountName.PRIVATE_CHANNEL_DOWNS))

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
        self._record(
            _events.Purpose.RECONCILE,
            None,
            _bookkeeping.reconcile_events(message.result, source=self.name),
        )

    def _reconcile_recorded(self, error: str | None) -> None:
        result, self._reconcile_result = self._reconcile_result, None
        if error is not None or result is None:
            self._reconcile_failed(f"ledger: {error}")
            return
        self._reconciling = False
        self._reconciled = True
        self._reconcile_detail = "ok"
        if result.complete_since is not None:
            self._reconcile_detail = (
                f"ok; the venue lists orders and fills since {result.complete_since}"
            )
            logger.bind(event="reconciled", complete_since=result.complete_since).info(
                "{}: reconciled; the venue's order and fill lists are complete since {}"
                " (older ones are in its history, not read)",
                self.name,
                result.complete_since,
            )
        self._grids = result.grids
        self._send(
            self._risk,
            Reconciled(
                ok=True,
                open_orders_cancelled=len(result.cancelled),
                fills_recovered=len(result.fills),
                positions=_bookkeeping.positions_from(
                    result.fills, result.positions, fills_complete=result.listed_since is None
                ),
                fills=result.fills,
            ),
        )
        self._after_reconciled()
        self._reconcile_for_risk_when_idle()

    def _reconcile_failed(self, detail: str) -> None:
        self._reconciling = False  # the retry below starts another attempt
        self._reconcile_detail = detail
        self._last_error = detail
        self._send(self._risk, Reconciled(ok=False, detail=detail))
        delay = self.config.reconcile_retry.delay(self._reconcile_attempts - 1, self.rng)
        self._spawn(self._tell_after, delay, _events.Reconcile())

    async def _cancel_all_task(self, reason: str) -> None:
        assert self._work is not None
        self._tell(_events.CancelAllDone(reason, await self._work.cancel_resting(persist=True)))

    def _on_cancel_all_done(self, message: _events.CancelAllDone) -> None:
        audit = AuditEvent(
            "cancel_all", f"{len(message.cancelled)} orders cancelled: {message.reason}", self.name
        )
        self._record_info((*_bookkeeping.ledger_events(message.cancelled, ()), audit))

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
        if pending.purpose is _events.Purpose.RECONCILE:
            self._reconcile_recorded(error)
        elif pending.purpose is not _events.Purpose.INFO and pending.reservation_id is not None:
            self._flight_recorded(pending.purpose, pending.reservation_id, error)

    def _flight_recorded(self, purpose: _events.Purpose, rid: str, error: str | None) -> None:
        """A flight's Record (its intents, completion or unwind) was answered: the
        actor's flight machine takes it from here."""
        raise NotImplementedError

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
        events: tuple[LedgerEvent, ...] = _bookkeeping.ledger_events(
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

    async def _tell_at(self, deadline: float, message: Any) -> None:
        """Tell ``message`` once the actor's clock (the loop's) reaches ``deadline``."""
        await trio.sleep_until(deadline)
        self._tell(message)

    def _after_reconciled(self) -> None:
        """What waited for this incarnation's first reconciliation (an override's)."""

    async def _until_settled(self) -> None:
        """Wait until ``_settled_at``: a deadline on the actor's clock, which is also the
        loop's trio clock (see ``on_start``)."""
        await trio.sleep_until(self._settled_at)


async def _own_client(client: TradingClient) -> None:
    """Keep the client open, doing its background work (:meth:`TradingClient.serve`),
    while the loop runs; close it when the loop is cancelled."""
    try:
        await client.serve()
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
