"""What risk reports about itself: :class:`RiskStatus` and its parts.

The status values are frozen and registered with :func:`supervision.status_type`,
so a snapshot carries them across threads and through JSON (the control plane,
the CLI) as the same classes.  The two counter classes, :class:`RejectionCounts`
and :class:`RiskCounts`, are mutable: the actor keeps one of each and counts
into it, and a status holds a copy (``attrs.evolve``), never the live one.

Money is ``Decimal`` dollars and contract counts ``Decimal`` contracts; in JSON
each travels as its exact string (``"9.8413"``), never a number.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from actors.ledger_client import LedgerClientStatus
from actors.risk._limits import RejectReason, RiskLimits
from supervision import status_type


@attrs.define
class RejectionCounts:
    """Refused ``Reserve`` messages, one field per :class:`RejectReason` value."""

    halted: int = 0
    not_reconciled: int = 0
    breaker_open: int = 0
    breaker_half_open: int = 0
    venue_halted: int = 0
    duplicate: int = 0
    market_busy: int = 0
    event_busy: int = 0
    invalid: int = 0
    not_held: int = 0
    market_exposure: int = 0
    event_exposure: int = 0
    total_exposure: int = 0
    concurrent_markets: int = 0
    daily_loss: int = 0
    execution_unavailable: int = 0

    def add(self, reason: RejectReason) -> None:
        """Count one rejection for ``reason`` (its value names the field)."""
        setattr(self, reason.value, getattr(self, reason.value) + 1)


@attrs.define
class RiskCounts:
    """What risk has done since this incarnation started (``fills_rebuilt``: the
    ledger's fills its books hold at start, ``fills_from_checkpoint`` of them loaded
    with a checkpoint rather than booked one by one; ``checkpoints_started``: rolls of
    the checkpoint started in the background while running)."""

    reserved: int = 0
    released: int = 0
    fills: int = 0
    duplicate_fills: int = 0
    fills_from_reconciliation: int = 0
    fills_rebuilt: int = 0
    fills_from_checkpoint: int = 0
    checkpoints_started: int = 0
    halts: int = 0
    ledger_halts_while_halted: int = 0
    transient_errors: int = 0
    venue_halts: int = 0
    marked_in_doubt: int = 0
    resolutions_requested: int = 0
    resolutions_not_in_doubt: int = 0
    reports_for_unknown_reservations: int = 0
    reports_for_in_doubt: int = 0
    reconciled_position_mismatches: int = 0
    recovered_released: int = 0
    records_confirmed: int = 0
    records_failed: int = 0
    records_undelivered: int = 0
    ledger_catch_ups: int = 0
    cancel_all_undelivered: int = 0
    holdings_sent: int = 0
    holdings_undelivered: int = 0


@attrs.frozen
class BreakerStatus:
    """The circuit breaker as of the summary (``state`` is a ``BreakerState`` value;
    ``halt_reason``: why the venue takes no new orders, from a venue halt until a
    probe succeeds, e.g. ``"venue is cancel-only: ..."``; None otherwise)."""

    state: str
    failures_in_window: int
    probes_in_flight: int
    times_opened: int
    open_for_s: float | None
    halt_reason: str | None = None


@attrs.frozen
class ReservationView:
    """One live reservation: its id, event, its legs' markets (each once, in leg
    order), worst-case amount (dollars) and owning execution epoch."""

    id: str
    event_ticker: str
    tickers: tuple[str, ...]
    amount: Decimal
    owner_epoch: int | None  # None only before execution took it; never in the book


@attrs.frozen
class ReservationsStatus:
    """Live reservations, HELD and IN_DOUBT, in the book's order."""

    held: tuple[ReservationView, ...]
    in_doubt: tuple[ReservationView, ...]


@attrs.frozen
class ExposureStatus:
    """Exposure in dollars per market and per event (by event ticker) that has any,
    and in total (the sum over events; docs/baskets.md §3)."""

    by_market: dict[str, Decimal]
    by_event: dict[str, Decimal]
    total: Decimal


@attrs.frozen
class PositionView:
    """One market's holding: contracts on each side and the cash in dollars paid
    (negative) or received."""

    yes: Decimal
    no: Decimal
    cash: Decimal


@status_type
@attrs.frozen
class RiskStatus:
    """Risk's state for introspection (see :meth:`RiskActor.state_summary`).

    ``recovered_pending``: ids of a previous incarnation's reservations still to be
    released at the first successful reconciliation; ``day``: the UTC day
    ``realised_pnl_today`` belongs to; ``exposure``, ``realised_pnl_today`` and
    ``realised_pnl_total`` are dollars; ``unknown_messages``: messages no
    handler took (counted by the runtime).
    """

    halted: bool
    halt_reason: str | None
    reconciled: bool
    reconcile_detail: str | None
    breaker: BreakerStatus
    reservations: ReservationsStatus
    recovered_pending: tuple[str, ...]
    exposure: ExposureStatus
    limits: RiskLimits
    positions: dict[str, PositionView]
    realised_pnl_today: Decimal
    realised_pnl_total: Decimal
    day: str | None
    rejections: RejectionCounts
    counts: RiskCounts
    records_in_flight: int
    ledger_client: LedgerClientStatus
    unknown_messages: int
