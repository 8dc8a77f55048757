"""Orders: what we intend to send, the normalised order state machine, and fills.

The state machine every venue's order statuses are normalised into::

    NEW ──▶ ACCEPTED ──▶ PARTIALLY_FILLED ──▶ FILLED
     │         │               │  ▲   │
     │         │               └──┘   ├──▶ CANCELED
     │         └──────────────────────┴──▶ EXPIRED
     └──▶ REJECTED

A ``NEW`` order may also be filled, canceled or expire directly: a venue can
report a fill or an immediate-or-cancel outcome before its acknowledgement
arrives.  ``REJECTED`` is only reachable from ``NEW``.  ``FILLED``,
``CANCELED``, ``REJECTED`` and ``EXPIRED`` are terminal: nothing leaves them.
The filled quantity never decreases and never exceeds the order's count.

Prices are ``Decimal`` dollars in ``(0, payout)`` with at most 4 decimals,
counts ``Decimal`` contracts with at most 2 decimals and fees ``Decimal``
dollars; ``bool``, ``int`` and ``float`` are refused (:mod:`actors._checks`).

:meth:`Order.advance` is the machine's only transition, and the ledger
(:mod:`actors.persistence`) applies every order update through it.
"""

from __future__ import annotations

import enum
from decimal import Decimal

from attrs import evolve, field, frozen

from actors import _checks
from actors.domain._sides import Action, Side
from actors.errors import IllegalTransitionError


class OrderState(enum.Enum):
    """The normalised lifecycle state of an order at the venue."""

    NEW = "new"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """True for the final states, which no transition leaves."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {OrderState.FILLED, OrderState.CANCELED, OrderState.REJECTED, OrderState.EXPIRED}
)

TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    OrderState.NEW: frozenset(OrderState) - {OrderState.NEW},
    OrderState.ACCEPTED: frozenset(
        {
            OrderState.PARTIALLY_FILLED,
            OrderState.FILLED,
            OrderState.CANCELED,
            OrderState.EXPIRED,
        }
    ),
    OrderState.PARTIALLY_FILLED: frozenset(
        {
            OrderState.PARTIALLY_FILLED,
            OrderState.FILLED,
            OrderState.CANCELED,
            OrderState.EXPIRED,
        }
    ),
    OrderState.FILLED: frozenset(),
    OrderState.CANCELED: frozenset(),
    OrderState.REJECTED: frozenset(),
    OrderState.EXPIRED: frozenset(),
}
"""For each state, the states an order may move to next."""


@frozen
class OrderIntent:
    """A limit order we mean to send: ``action`` ``count`` ``side`` contracts at ``price``.

    ``client_order_id`` is our idempotency key at the venue.  Raises
    :class:`~actors.errors.InvalidFieldError` naming the field, value, ticker
    and order id for a bad id or ticker, a side or action that is not a
    :class:`Side` / :class:`Action`, a price that is not a ``Decimal`` in
    ``(0, payout)`` with at most 4 decimals, or a count that is not a
    ``Decimal`` > 0 with at most 2 decimals.
    """

    client_order_id: str = field(validator=_checks.identifier)
    ticker: str = field(validator=_checks.identifier)
    side: Side = field(validator=_checks.instance_of(Side))
    action: Action = field(validator=_checks.instance_of(Action))
    price: Decimal = field(validator=_checks.price)
    count: Decimal = field(validator=_checks.size)
    payout: Decimal = field(kw_only=True, default=_checks.DEFAULT_PAYOUT, validator=_checks.payout)


@frozen
class Fill:
    """An execution at the venue: ``count`` contracts of an order traded at ``price``.

    ``fill_id`` is the venue's trade id (the key for de-duplicating fills);
    ``fee`` is what the venue charged for it, in dollars (Kalshi's
    ``fee_cost``).  Raises :class:`~actors.errors.InvalidFieldError` like
    :class:`OrderIntent`, and for a fee that is not a ``Decimal`` >= 0.
    """

    fill_id: str = field(validator=_checks.identifier)
    client_order_id: str = field(validator=_checks.identifier)
    ticker: str = field(validator=_checks.identifier)
    side: Side = field(validator=_checks.instance_of(Side))
    action: Action = field(validator=_checks.instance_of(Action))
    price: Decimal = field(validator=_checks.price)
    count: Decimal = field(validator=_checks.size)
    fee: Decimal = field(default=Decimal(0), kw_only=True, validator=_checks.non_negative_amount)
    payout: Decimal = field(kw_only=True, default=_checks.DEFAULT_PAYOUT, validator=_checks.payout)

    def as_direction(self, side: Side, action: Action) -> Fill:
        """This fill stated as ``action`` of ``side``: itself, or, for the equivalent
        opposite (buying YES at ``p`` is selling NO at ``payout - p``), the same
        trade restated. Venues that report only the outcome a trade is long (Kalshi's
        ``outcome_side``) say "bought NO" for our "sold YES".

        Raises :class:`~actors.errors.InvalidFieldError` if the fill is not
        ``action`` of ``side`` in either statement (it belongs to another order).
        """
        if (self.side, self.action) == (side, action):
            return self
        if self.side is side or self.action is action:
            _checks.fail(self, "side", self.side, f"is not {action.value} {side.value} either way")
        return evolve(self, side=side, action=action, price=self.payout - self.price)

    def recorded_row(self, recorded_at: float) -> FillRow:
        """This fill as a :data:`FillRow`, recorded at wall time ``recorded_at``."""
        return (
            self.fill_id,
            self.client_order_id,
            self.ticker,
            self.side,
            self.action,
            self.price,
            self.count,
            self.fee,
            self.payout,
            recorded_at,
        )


FillRow = tuple[str, str, str, Side, Action, Decimal, Decimal, Decimal, Decimal, float]
"""A recorded fill as plain values, no object per fill: :class:`Fill`'s fields in
their order, then the wall time it was recorded (what the ledger reads in bulk and
risk books at start)."""


@frozen
class Order:
    """An :class:`OrderIntent` and what the venue has done with it so far.

    :meth:`advance` is its one transition: it returns a new ``Order`` and raises
    :class:`~actors.errors.IllegalTransitionError` (naming the order id and both
    states) when :data:`TRANSITIONS` forbids the move; ``self`` never changes.
    Construction raises
    :class:`~actors.errors.InvalidFieldError` if ``filled_count`` is not a
    ``Decimal`` in ``[0, count]`` with at most 2 decimals or does not agree with ``state`` (0 while
    ``NEW``/``ACCEPTED``/``REJECTED``, ``count`` iff ``FILLED``, in between
    while ``PARTIALLY_FILLED``, below ``count`` once ``CANCELED``/``EXPIRED``).
    """

    intent: OrderIntent = field(validator=_checks.instance_of(OrderIntent))
    state: OrderState = field(default=OrderState.NEW, validator=_checks.instance_of(OrderState))
    filled_count: Decimal = field(default=Decimal(0), validator=_checks.non_negative_size)
    venue_order_id: str | None = field(default=None, validator=_checks.optional_identifier)

    def __attrs_post_init__(self) -> None:
        count, filled, state = self.intent.count, self.filled_count, self.state
        if filled > count:
            _checks.fail(self, "filled_count", filled, f"must not exceed count {count}")
        consistent = {
            OrderState.FILLED: filled == count,
            OrderState.PARTIALLY_FILLED: 0 < filled < count,
            OrderState.CANCELED: filled < count,
            OrderState.EXPIRED: filled < count,
        }.get(state, filled == 0)
        if not consistent:
            _checks.fail(self, "filled_count", filled, f"is inconsistent with state {state.name}")

    @property
    def client_order_id(self) -> str:
        """The intent's client order id."""
        return self.intent.client_order_id

    @property
    def ticker(self) -> str:
        """The intent's market ticker."""
        return self.intent.ticker

    def advance(
        self, state: OrderState, filled_count: Decimal, venue_order_id: str | None = None
    ) -> Order:
        """The order as the venue now reports it: in ``state`` with ``filled_count`` filled.

        The one transition of the state machine, for the ledger and anyone else
        who learns an order's state. A report is absolute, so repeating one is
        legal (and returns an equal order), and a terminal order may still be
        corrected upward in ``filled_count`` with the same state: a venue can
        report a fill that raced the cancel. ``venue_order_id=None`` keeps the
        known id. Returns a new ``Order``; ``self`` never changes.

        Raises :class:`~actors.errors.InvalidFieldError` naming ``filled_count``
        if it is not a ``Decimal`` (at most 2 decimals, >= 0) or would
        decrease, ``venue_order_id`` if a known id would change, and whatever
        construction raises for a count that contradicts ``state``;
        :class:`~actors.errors.IllegalTransitionError` if ``state`` is neither
        the current one nor in :data:`TRANSITIONS` from it.
        Checked in that order, so the first broken rule is the one named.
        """
        if not _checks.is_decimal(filled_count):
            _checks.fail(self, "filled_count", filled_count, "must be a finite Decimal")
        if filled_count < self.filled_count:
            _checks.fail(
                self,
                "filled_count",
                filled_count,
                f"would decrease from {self.filled_count} to {filled_count}",
            )
        if state is not self.state and state not in TRANSITIONS[self.state]:
            raise IllegalTransitionError(
                self.client_order_id, self.ticker, self.state.name, state.name
            )
        known = self.venue_order_id
        if venue_order_id is not None and known not in (None, venue_order_id):
            _checks.fail(
                self,
                "venue_order_id",
                venue_order_id,
                f"would change from {known!r} to {venue_order_id!r}",
            )
        return Order(self.intent, state, filled_count, venue_order_id or known)
