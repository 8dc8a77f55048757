"""The messages the five trading actors exchange (DESIGN.md §5). All frozen.

Who sends what (actor names are the supervision names)::

    feed ──EventsListed / BookUpdate──▶ strategy ──Reserve──▶ risk ──Execute──▶ execution ──▶ venue
      ▲                     │  ▲                 ▲                  │
      └────BookConsumed─────┘  └────Holdings─────┤ (HoldingsWanted) └─ExecutionReport──┤
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

from actors._checks import is_identifier
from actors.domain import (
    MAX_LEGS,
    Action,
    Basket,
    BookSnapshot,
    Event,
    Fill,
    OrderIntent,
    OrderRole,
    OrderState,
    Position,
    Purpose,
    Side,
)
from actors.money import EXACT, ONE, LotSize, PriceGrid

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


@attrs.frozen
class MarketInfo:
    """What the strategy needs of one market beyond its book: its event, tick grid and lot."""

    ticker: str
    event_ticker: str
    grid: PriceGrid
    lot: LotSize


@attrs.frozen
class EventsListed:
    """The venue's events and markets as the feed found them, sent before it subscribes
    (each session). A market the venue lists in no event is its own single event."""

    events: tuple[Event, ...]
    markets: tuple[MarketInfo, ...]


# -- strategy <-> risk ----------------------------------------------------------------


@attrs.frozen
class Reserve:
    """Ask risk to reserve exposure for ``basket``, all legs or none. ``basket.basket_id``
    is stable: the same id always yields the same client order ids."""

    basket: Basket
    detected_at: float

    @property
    def reservation_id(self) -> str:
        return self.basket.basket_id


@attrs.frozen
class HeldContracts:
    """Contracts held of one side of a market and not bound in a complete set; ``cost``
    is their open cost in dollars (fees included)."""

    ticker: str
    side: Side
    count: Decimal
    cost: Decimal
    event_ticker: str


@attrs.frozen
class Holdings:
    """Risk's view of what is held, for strategies that exit positions."""

    contracts: tuple[HeldContracts, ...]


@attrs.frozen
class HoldingsWanted:
    """The strategy asks risk for ``Holdings`` now (at its start) and after every change."""


# -- risk <-> execution -------------------------------------------------------------


class ReservationState(enum.Enum):
    HELD = "held"  # owned by a running execution incarnation
    IN_DOUBT = "in_doubt"  # its owner died; orders may be live until the venue says otherwise
    RELEASED = "released"


MAX_COMPLETE_ATTEMPTS = 9
"""The most completion orders per leg a reservation may allow (ids carry one digit)."""

MAX_UNWIND_ATTEMPTS = 2
"""Unwind orders per leg: the owner's, then one in-doubt resolver's."""


def leg_client_order_id(
    basket_id: str, index: int, role: OrderRole = OrderRole.ENTRY, attempt: int = 0
) -> str:
    """The one client order id of (basket, leg ``index``, ``role``, ``attempt``): 25
    characters, deterministic, so it is the same across retries and restarts and the
    venue's duplicate check stops a second send. Raises ``ValueError`` for an index
    outside ``0..63`` or an attempt outside ``0..9``."""
    if not (type(index) is int and 0 <= index < MAX_LEGS):
        raise ValueError(f"leg index {index!r} must be an int in 0..{MAX_LEGS - 1}")
    if not (type(attempt) is int and 0 <= attempt <= MAX_COMPLETE_ATTEMPTS):
        raise ValueError(f"attempt {attempt!r} must be an int in 0..{MAX_COMPLETE_ATTEMPTS}")
    key = f"{basket_id}:{role.value}:{index}:{attempt}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return f"w{digest}{role.value[0]}{index:02d}{attempt}"


@attrs.frozen
class LegOrder:
    """Which order of a reservation a client order id is: leg, role and attempt."""

    index: int
    role: OrderRole
    attempt: int


@attrs.frozen
class ReservedLeg:
    """One leg of a reservation. ``price`` is the entry limit; ``max_price`` the most a
    completion order of a BUY leg may pay (risk sets it; ``price`` for a SELL);
    ``amount`` the worst-case cash of the leg in dollars (0 for a SELL);
    ``client_order_id`` its ENTRY order's id."""

    index: int
    ticker: str
    side: Side
    action: Action
    count: Decimal
    price: Decimal
    max_price: Decimal
    amount: Decimal
    client_order_id: str
    payout: Decimal = ONE


@attrs.frozen
class MissingLeg:
    """A leg short of the most-held leg: the hedge it lacks (``short`` contracts)."""

    index: int
    ticker: str
    side: Side
    short: Decimal
    client_order_id: str


@attrs.frozen
class Settlement:
    """Per leg, contracts held net (``held``), and the legs short of the most-held one."""

    held: tuple[Decimal, ...]
    missing: tuple[MissingLeg, ...]

    @property
    def balanced(self) -> bool:
        """Every leg holds as many as every other: hedged (or nothing held)."""
        return not self.missing


def _reserved_legs(instance: Reservation, _attribute: object, legs: object) -> None:
    if not isinstance(legs, tuple) or not 1 <= len(legs) <= MAX_LEGS:
        raise ValueError(f"reservation {instance.reservation_id}: legs must be 1..{MAX_LEGS}")
    for position, leg in enumerate(legs):
        if not isinstance(leg, ReservedLeg) or leg.index != position:
            raise ValueError(
                f"reservation {instance.reservation_id}: legs[{position}] must be a"
                f" ReservedLeg with index {position}, got {leg!r}"
            )
        if not is_identifier(leg.client_order_id):
            raise ValueError(
                f"reservation {instance.reservation_id}: legs[{position}] has a bad"
                f" client order id {leg.client_order_id!r}"
            )


@attrs.frozen
class Reservation:
    """Exposure risk has set aside for one basket: every leg, all or none.

    ``amount`` (dollars) is what counts against the limits: the sum of the
    legs' worst-case amounts. ``complete_within_s`` and
    ``max_complete_attempts`` are the partial-fill policy risk chose (0: no
    completion; exits and reservations migrated from schema v3). ``outcome``,
    ``held``, ``missing`` and ``detail`` are set by risk when RELEASED.

    Client order ids: leg ``i``'s ENTRY id is ``legs[i].client_order_id``;
    its COMPLETE ids are :func:`leg_client_order_id` for attempts ``0 ..
    max_complete_attempts - 1`` and its UNWIND ids for attempts ``0 ..
    MAX_UNWIND_ATTEMPTS - 1``. :meth:`order_ids` enumerates them all.
    """

    reservation_id: str
    event: Event
    purpose: Purpose
    legs: tuple[ReservedLeg, ...] = attrs.field(validator=_reserved_legs)
    amount: Decimal
    complete_within_s: float
    max_complete_attempts: int
    owner_epoch: int | None = None
    state: ReservationState = ReservationState.HELD
    outcome: Outcome | None = None
    held: tuple[Decimal, ...] = ()
    missing: tuple[MissingLeg, ...] = ()
    detail: str = ""

    @property
    def event_ticker(self) -> str:
        return self.event.event_ticker

    @property
    def tickers(self) -> tuple[str, ...]:
        """The markets of its legs, each once, in leg order."""
        return tuple(dict.fromkeys(leg.ticker for leg in self.legs))

    @property
    def client_order_ids(self) -> tuple[str, ...]:
        """The ENTRY order id of every leg, in leg order."""
        return tuple(leg.client_order_id for leg in self.legs)

    def amount_by_market(self) -> dict[str, Decimal]:
        """The legs' amounts summed per market."""
        by_market: dict[str, Decimal] = {}
        for leg in self.legs:
            by_market[leg.ticker] = EXACT.add(by_market.get(leg.ticker, Decimal(0)), leg.amount)
        return by_market

    def order_ids(self) -> dict[str, LegOrder]:
        """Every client order id this reservation may ever send, and what each is."""
        ids: dict[str, LegOrder] = {}
        for leg in self.legs:
            ids[leg.client_order_id] = LegOrder(leg.index, OrderRole.ENTRY, 0)
            for attempt in range(self.max_complete_attempts):
                order_id = leg_client_order_id(
                    self.reservation_id, leg.index, OrderRole.COMPLETE, attempt
                )
                ids[order_id] = LegOrder(leg.index, OrderRole.COMPLETE, attempt)
            for attempt in range(MAX_UNWIND_ATTEMPTS):
                order_id = leg_client_order_id(
                    self.reservation_id, leg.index, OrderRole.UNWIND, attempt
                )
                ids[order_id] = LegOrder(leg.index, OrderRole.UNWIND, attempt)
        return ids

    def _as_sent(self, fill: Fill, order: LegOrder) -> Fill:
        """``fill`` stated as the order ``order`` was sent (an unwind sells its leg's
        side; entries and completions trade as the leg does): a venue that reports
        only the outcome a fill is long says "bought NO" for a sale of YES
        (:meth:`~actors.domain.Fill.as_direction`). A fill that is neither statement
        of its order is counted as given."""
        leg = self.legs[order.index]
        action = Action.SELL if order.role is OrderRole.UNWIND else leg.action
        if (fill.side is leg.side) != (fill.action is action):
            return fill
        return fill.as_direction(leg.side, action)

    def settlement(self, fills: tuple[Fill, ...] | list[Fill]) -> Settlement:
        """What ``fills`` leave held per leg (pure). Fills of ids it does not own are
        ignored, and a fill id met again is counted once (the ledger's and the venue's
        lists of one fill may both be given). Arbitrage: held = BUY fills - SELL fills
        of the leg's ids; legs below the most-held one are ``missing`` by the
        difference. Exit: held = contracts sold, never missing."""
        ids = self.order_ids()
        held = [Decimal(0)] * len(self.legs)
        seen: set[str] = set()
        for given in fills:
            order = ids.get(given.client_order_id)
            if order is None or given.fill_id in seen:
                continue
            seen.add(given.fill_id)
            fill = self._as_sent(given, order)
            bought = fill.action is Action.BUY
            if self.purpose is Purpose.EXIT:
                change = fill.count if not bought else -fill.count
            else:
                change = fill.count if bought else -fill.count
            held[order.index] = EXACT.add(held[order.index], change)
        if self.purpose is Purpose.EXIT:
            return Settlement(tuple(held), ())
        top = max(held)
        missing = tuple(
            MissingLeg(
                leg.index,
                leg.ticker,
                leg.side,
                EXACT.subtract(top, held[leg.index]),
                leg.client_order_id,
            )
            for leg in self.legs
            if held[leg.index] < top
        )
        return Settlement(tuple(held), missing)


@attrs.frozen
class Execute:
    """Place every leg of ``reservation`` (IOC limit orders at its prices), then
    follow the partial-fill policy it carries (docs/baskets.md §4).

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
    FILLED = "filled"  # every leg holds its count (after completion if any)
    PARTIAL = "partial"  # balanced below the count (smaller, or unwound to a balanced level)
    UNHEDGED = "unhedged"  # unbalanced: ``missing`` names every short leg
    NONE = "none"  # nothing filled, every leg placed (e.g. the opportunity was gone)
    FAILED = "failed"  # nothing filled and a leg could not be placed, or nothing sent; see detail


@attrs.frozen
class ExecutionReport:
    """The end of one reservation's execution: nothing of it is live at the venue any more.

    ``fills`` are every fill of its orders (entry, completion and unwind);
    ``held`` the net contracts per leg; ``missing`` the legs left short (only
    with ``UNHEDGED``).
    """

    reservation_id: str
    outcome: Outcome
    fills: tuple[Fill, ...] = ()
    detail: str = ""
    held: tuple[Decimal, ...] = ()
    missing: tuple[MissingLeg, ...] = ()


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
    """The venue confirmed no order of the reservation can still be live; ``outcome``,
    ``held`` and ``missing`` as in :class:`ExecutionReport` (after any unwind)."""

    reservation_id: str
    fills: tuple[Fill, ...] = ()
    outcome: Outcome = Outcome.NONE
    held: tuple[Decimal, ...] = ()
    missing: tuple[MissingLeg, ...] = ()
    detail: str = ""


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
    """An order we are about to send. Durable before the send, always.
    ``opportunity_id`` holds the reservation id; ``leg``/``role`` say which order of
    the reservation it is."""

    intent: OrderIntent
    opportunity_id: str
    leg: int
    role: OrderRole


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
    """Reconciliation saw these client order ids at the venue (listed, or looked up one
    by one when the listing was bounded by the ledger's venue point); every ledger
    intent not in terminal state and not among them is finished by the fills the
    ledger recorded for it: FILLED when they add up to its count, CANCELED when some
    did, EXPIRED (never sent) when none did."""

    client_order_ids_at_venue: tuple[str, ...]


@attrs.frozen
class IntentsAbandoned:
    """These intents' orders were never sent (the venue has no order with these ids):
    mark each EXPIRED if the ledger holds it as NEW; ids it does not hold are
    ignored (the intent's own Record may never have committed)."""

    client_order_ids: tuple[str, ...]
    reason: str


class BasketPhase(enum.Enum):
    """Where a basket's execution is (docs/baskets.md §4)."""

    PLACING = "placing"
    LEGS_SETTLED = "legs_settled"
    COMPLETING = "completing"
    UNWINDING = "unwinding"
    SETTLED = "settled"


@attrs.frozen
class BasketProgress:
    """One step of a basket's execution, appended to the ledger by execution.
    ``deadline_at`` (wall clock) is set on LEGS_SETTLED: when completion must end."""

    reservation_id: str
    phase: BasketPhase
    attempt: int = 0
    deadline_at: float | None = None
    held: tuple[Decimal, ...] = ()
    outcome: Outcome | None = None
    detail: str = ""


LedgerEvent = (
    IntentRecorded
    | BasketProgress
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
