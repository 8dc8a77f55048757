"""What the ledger's read API returns: frozen rows wrapping the domain types.

Times are the writer's wall clock (``Clock.wall()``, seconds since the epoch)
when the transaction that wrote the row committed; days are ISO dates in UTC.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from actors.domain import Fill, Order, OrderRole
from actors.messages import BasketProgress, Reservation


@attrs.frozen
class OrderRecord:
    """One order intent and its latest recorded state. ``opportunity_id`` holds its
    reservation's id; ``leg``/``role`` say which order of the reservation it is
    (``None`` only for orders migrated from schema version 3 that no version 3
    reservation could have sent)."""

    order: Order
    opportunity_id: str
    created_at: float
    updated_at: float
    leg: int | None = None
    role: OrderRole | None = None

    @property
    def client_order_id(self) -> str:
        return self.order.client_order_id


@attrs.frozen
class FillRecord:
    fill: Fill
    recorded_at: float


@attrs.frozen
class ReservationRecord:
    """A reservation (its legs joined, and at release their ``held``/``missing``) as
    last recorded."""

    reservation: Reservation
    updated_at: float


@attrs.frozen
class BasketProgressRecord:
    """One appended step of a basket's execution; ``id`` orders them."""

    id: int
    progress: BasketProgress
    at: float


@attrs.frozen
class AuditRecord:
    id: int
    kind: str
    detail: str
    source: str
    at: float


@attrs.frozen
class DailyStats:
    """Counters for one UTC day. ``contracts`` (filled, in contracts), ``fees`` and
    ``cash_flow`` (dollars) are exact ``Decimal`` sums; ``cash_flow`` is what fills
    moved: sells bring in price x count, buys spend it, fees always cost."""

    day: str
    records: int = 0
    orders_recorded: int = 0
    orders_expired: int = 0
    fills: int = 0
    contracts: Decimal = Decimal("0.00")
    fees: Decimal = Decimal("0.0000")
    cash_flow: Decimal = Decimal("0.0000")
    audit_events: int = 0


@attrs.frozen
class WriteResult:
    """What one committed Record changed. Duplicates (the same intent or fill
    recorded again) are counted, not written."""

    request_id: str
    record_id: int
    committed_at: float
    events: int
    orders_recorded: int = 0
    fills_recorded: int = 0
    duplicates: int = 0
    orders_expired: int = 0
