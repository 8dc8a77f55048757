"""The messages the five trading actors exchange (DESIGN.md §5). All frozen.

Who sends what (actor names are the supervision names)::

    feed ──BookUpdate──▶ strategy ──Reserve──▶ risk ──Execute──▶ execution ──▶ venue
      ▲                     │                    ▲                  │
      └────BookConsumed─────┘                    └─ExecutionReport──┤
                                                 └─VenueErrorReport─┤
                                                 └─InDoubtResolved──┤
                                                 └─Reconciled───────┘
    risk ──ResolveInDoubt / CancelAll / RiskReady──▶ execution ──ExecutionReady──▶ risk
    anyone ──Halt / Resume──▶ risk
    execution, risk ──Record──▶ persistence ──Recorded / RecordFailed──▶ the sender

Conflation (feed → strategy): the feed keeps at most one unacknowledged
``BookUpdate`` per market in flight; newer books for that market replace the
pending one (counted as dropped by policy) until the strategy answers
``BookConsumed``. A slow strategy therefore sees the latest book, never a backlog.

Ownership (risk → execution): a reservation belongs to the execution
incarnation whose epoch ``send`` returned when risk handed it over. When risk
receives ``Down("execution", epoch)`` every reservation owned by that epoch
becomes IN_DOUBT and risk asks the next incarnation to ``ResolveInDoubt``; it
is released only when ``InDoubtResolved`` says no order for it can still be live.

Durability (execution → persistence): an order is sent to the venue only after
persistence answered ``Recorded`` for the ``Record`` holding its
``IntentRecorded``. ``RecordFailed`` means the ledger cannot write: the sender
must not send the order, and risk halts (fail closed).
"""

from __future__ import annotations

import enum
import hashlib
from decimal import Decimal

import attrs

from actors.domain import (
    BookSnapshot,
    Fill,
    Opportunity,
    OrderIntent,
    OrderState,
    Position,
    Side,
)

# -- feed <-> strategy --------------------------------------------------------------


@attrs.frozen
class BookUpdate:
    """The latest validated book of one market. ``received_at`` is the feed clock's
    monotonic time when the frame that produced it arrived."""

    book: BookSnapshot
    received_at: float

    @property
    def ticker(self) -> str:
        return self.book.ticker


@attrs.frozen
class BookStale:
    """No update for ``ticker`` within the staleness window (or its stream broke).
    Until a new ``BookUpdate`` arrives the strategy must not trade it."""

    ticker: str
    reason: str


@attrs.frozen
class BookConsumed:
    """The strategy is done with the update of ``ticker`` at ``seq``: the feed may send the next."""

    ticker: str
    seq: int


# -- strategy -> risk -----------------------------------------------------------------


@attrs.frozen
class Reserve:
    """Ask risk to reserve exposure for an opportunity. ``opportunity_id`` is stable:
    the same id always yields the same client order ids."""

    opportunity_id: str
    opportunity: Opportunity
    detected_at: float


# -- risk <-> execution -------------------------------------------------------------


class ReservationState(enum.Enum):
    HELD = "held"  # owned by a running execution incarnation
    IN_DOUBT = "in_doubt"  # its owner died; orders may be live until the venue says otherwise
    RELEASED = "released"


def client_order_id(opportunity_id: str, leg: Side) -> str:
    """The one client order id of (opportunity, leg): deterministic, so it is the same
    across retries and restarts, and the venue's duplicate check stops a second send."""
    digest = hashlib.sha256(f"{opportunity_id}:{leg.value}".encode()).hexdigest()[:20]
    return f"w{digest}{leg.value[0]}"


@attrs.frozen
class Reservation:
    """Exposure risk has set aside for one opportunity: both legs, ``count`` each.

    ``count`` is ``Decimal`` contracts, the prices ``Decimal`` dollars; ``amount``
    is the worst-case cash at risk in ``Decimal`` dollars: both legs' cost plus
    taker fees.
    """

    reservation_id: str
    ticker: str
    count: Decimal
    yes_price: Decimal
    no_price: Decimal
    amount: Decimal
    owner_epoch: int | None = None
    state: ReservationState = ReservationState.HELD

    @property
    def client_order_ids(self) -> tuple[str, str]:
        return (
            client_order_id(self.reservation_id, Side.YES),
            client_order_id(self.reservation_id, Side.NO),
        )


@attrs.frozen
class Execute:
    """Place both legs of ``reservation`` (IOC limit buys at its prices).

    Execution records the reservation's HELD state (owned by its own epoch) in
    the same ``Record`` as the legs' intents; risk writes every later state.
    """

    reservation: Reservation


@attrs.frozen
class ResolveInDoubt:
    """Find out at the venue what became of the reservation's orders (lookup by client
    order id), cancel any still open, and answer ``InDoubtResolved``."""

    reservation: Reservation


@attrs.frozen
class CancelAll:
    """Kill switch: cancel every working order now."""

    reason: str


class Outcome(enum.Enum):
    FILLED = "filled"  # both legs filled in full
    PARTIAL = "partial"  # legs filled unevenly; remainder cancelled, excess unwound or recorded
    NONE = "none"  # nothing filled (e.g. the opportunity was gone)
    FAILED = "failed"  # could not be placed (error before any fill); see detail


@attrs.frozen
class ExecutionReport:
    """The end of one reservation's execution: nothing of it is live at the venue any more.

    ``fills`` are every fill of its orders (and of unwind orders); ``missing_leg``
    names the leg left short after a partial fill, if it could not be unwound.
    """

    reservation_id: str
    outcome: Outcome
    fills: tuple[Fill, ...] = ()
    detail: str = ""
    missing_leg: Side | None = None


class ErrorClass(enum.Enum):
    TRANSIENT = "transient"  # timeout, 429, 5xx, disconnect: circuit breaker counts it
    CRITICAL = "critical"  # auth, insufficient balance, invalid order: halt


@attrs.frozen
class VenueErrorReport:
    """One classified venue failure, for the circuit breaker. ``error_type`` is the
    class name of the :class:`~actors.errors.VenueError` raised."""

    error_class: ErrorClass
    error_type: str
    endpoint: str
    detail: str


@attrs.frozen
class InDoubtResolved:
    """The venue confirmed no order of the reservation can still be live."""

    reservation_id: str
    fills: tuple[Fill, ...] = ()


@attrs.frozen
class ExecutionReady:
    """An execution incarnation has started and takes work (risk re-sends any
    ``ResolveInDoubt`` that the previous incarnation never answered)."""


@attrs.frozen
class Reconciled:
    """Start-up reconciliation with the venue finished (``ok``) or could not (``detail``).
    Risk allows no new reservation before an ``ok`` one. ``positions`` is the
    venue's view after reconciliation (risk's starting exposure); ``fills`` every
    fill the venue listed (risk books the ones it has not seen, so a loss realised
    while no risk incarnation was listening still counts against the daily limit)."""

    ok: bool
    detail: str = ""
    open_orders_cancelled: int = 0
    fills_recovered: int = 0
    positions: tuple[Position, ...] = ()
    fills: tuple[Fill, ...] = ()


# -- risk -> execution (lifecycle) ---------------------------------------------------


@attrs.frozen
class RiskReady:
    """A risk incarnation has started with empty books and refuses every ``Reserve``
    until it hears ``Reconciled(ok=True)``. Execution answers ``ExecutionReady`` and,
    if it had already reconciled (for an earlier risk incarnation), reconciles again
    once no reservation of its own is in flight, so the new risk hears a fresh
    ``Reconciled``. An execution still reconciling sends its ``Reconciled`` anyway."""


# -- anyone -> risk ------------------------------------------------------------------


@attrs.frozen
class Halt:
    """Kill switch on: no new risk; risk tells execution to ``CancelAll``."""

    reason: str
    source: str


@attrs.frozen
class Resume:
    source: str


# -- to persistence ------------------------------------------------------------------


@attrs.frozen
class IntentRecorded:
    """An order we are about to send. Durable before the send, always."""

    intent: OrderIntent
    opportunity_id: str


@attrs.frozen
class OrderUpdated:
    client_order_id: str
    state: OrderState
    filled_count: Decimal
    venue_order_id: str | None = None


@attrs.frozen
class FillRecorded:
    fill: Fill


@attrs.frozen
class ReservationChanged:
    reservation: Reservation


@attrs.frozen
class AuditEvent:
    """An operator or safety action (halt, resume, restart, breaker change)."""

    kind: str
    detail: str
    source: str


@attrs.frozen
class VenueReconciled:
    """Reconciliation saw these client order ids at the venue; every ledger intent not
    in terminal state and not among them was never sent: mark it EXPIRED."""

    client_order_ids_at_venue: tuple[str, ...]


@attrs.frozen
class IntentsAbandoned:
    """These intents' orders were never sent (the venue has no order with these ids):
    mark each EXPIRED if the ledger holds it as NEW; ids it does not hold are
    ignored (the intent's own Record may never have committed)."""

    client_order_ids: tuple[str, ...]
    reason: str


LedgerEvent = (
    IntentRecorded
    | OrderUpdated
    | FillRecorded
    | ReservationChanged
    | AuditEvent
    | VenueReconciled
    | IntentsAbandoned
)


@attrs.frozen
class Record:
    """Write ``events`` in one transaction; answer the sender with ``Recorded`` or
    ``RecordFailed`` carrying ``request_id``."""

    request_id: str
    events: tuple[LedgerEvent, ...]


@attrs.frozen
class Recorded:
    request_id: str


@attrs.frozen
class RecordFailed:
    """The transaction did not commit. ``error`` is the LedgerError's message."""

    request_id: str
    error: str
