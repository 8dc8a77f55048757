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
"""

from __future__ import annotations

import enum

from attrs import evolve, field, frozen

from actors import _checks
from actors.domain._market import Action, Side
from actors.errors import IllegalTransitionError, InvalidFieldError


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
    :class:`Side` / :class:`Action`, a price outside ``(0, payout)`` or a
    count that is not a positive ``int``.
    """

    client_order_id: str = field(validator=_checks.identifier)
    ticker: str = field(validator=_checks.identifier)
    side: Side = field(validator=_checks.instance_of(Side))
    action: Action = field(validator=_checks.instance_of(Action))
    price: int = field(validator=_checks.price)
    count: int = field(validator=_checks.positive_int)
    payout_cents: int = field(
        kw_only=True, default=_checks.DEFAULT_PAYOUT_CENTS, validator=_checks.payout_cents
    )


@frozen
class Fill:
    """An execution at the venue: ``count`` contracts of an order traded at ``price``.

    ``fill_id`` is the venue's trade id (the key for de-duplicating fills);
    ``fee_cents`` is what the venue charged for it.  Raises
    :class:`~actors.errors.InvalidFieldError` like :class:`OrderIntent`, and
    for a fee that is not a non-negative ``int``.
    """

    fill_id: str = field(validator=_checks.identifier)
    client_order_id: str = field(validator=_checks.identifier)
    ticker: str = field(validator=_checks.identifier)
    side: Side = field(validator=_checks.instance_of(Side))
    action: Action = field(validator=_checks.instance_of(Action))
    price: int = field(validator=_checks.price)
    count: int = field(validator=_checks.positive_int)
    fee_cents: int = field(default=0, kw_only=True, validator=_checks.non_negative_int)
    payout_cents: int = field(
        kw_only=True, default=_checks.DEFAULT_PAYOUT_CENTS, validator=_checks.payout_cents
    )


@frozen
class Order:
    """An :class:`OrderIntent` and what the venue has done with it so far.

    Transitions (:meth:`accept`, :meth:`fill`, :meth:`cancel`, ...) return a
    new ``Order`` and raise :class:`~actors.errors.IllegalTransitionError`
    (naming the order id and both states) when :data:`TRANSITIONS` forbids
    them; ``self`` never changes.  Construction raises
    :class:`~actors.errors.InvalidFieldError` if ``filled_count`` is not an
    ``int`` in ``[0, count]`` or does not agree with ``state`` (0 while
    ``NEW``/``ACCEPTED``/``REJECTED``, ``count`` iff ``FILLED``, in between
    while ``PARTIALLY_FILLED``, below ``count`` once ``CANCELED``/``EXPIRED``).
    """

    intent: OrderIntent = field(validator=_checks.instance_of(OrderIntent))
    state: OrderState = field(default=OrderState.NEW, validator=_checks.instance_of(OrderState))
    filled_count: int = field(default=0, validator=_checks.non_negative_int)
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

    @property
    def remaining(self) -> int:
        """Contracts not yet filled (still live unless the state is terminal)."""
        return self.intent.count - self.filled_count

    @property
    def is_terminal(self) -> bool:
        """True once the order can never change again."""
        return self.state.is_terminal

    def accept(self, venue_order_id: str | None = None) -> Order:
        """The venue acknowledged the order (``NEW`` -> ``ACCEPTED``)."""
        return self._to(OrderState.ACCEPTED, venue_order_id)

    def reject(self) -> Order:
        """The venue refused the order (``NEW`` -> ``REJECTED``)."""
        return self._to(OrderState.REJECTED)

    def cancel(self) -> Order:
        """The rest of the order was canceled; whatever filled stays filled."""
        return self._to(OrderState.CANCELED)

    def expire(self) -> Order:
        """The rest of the order expired; whatever filled stays filled."""
        return self._to(OrderState.EXPIRED)

    def fill(self, count: int) -> Order:
        """``count`` more contracts filled: ``PARTIALLY_FILLED``, or ``FILLED`` when none remain.

        Raises :class:`~actors.errors.InvalidFieldError` if ``count`` is not a
        positive ``int`` or would fill more than the order's count, and
        :class:`~actors.errors.IllegalTransitionError` if the order is terminal.
        """
        if not _checks.is_int(count) or count <= 0:
            _checks.fail(self, "fill count", count, "must be a positive integer")
        filled = self.filled_count + count
        target = OrderState.FILLED if filled >= self.intent.count else OrderState.PARTIALLY_FILLED
        self._check_transition(target)
        if filled > self.intent.count:
            _checks.fail(
                self,
                "filled_count",
                filled,
                f"would exceed count {self.intent.count} after a fill of {count}",
            )
        return evolve(self, state=target, filled_count=filled)

    def apply_fill(self, fill: Fill) -> Order:
        """:meth:`fill` by ``fill.count`` after checking the fill belongs to this order.

        Raises :class:`~actors.errors.InvalidFieldError` if the fill's client
        order id, ticker, side or action differ from the intent's, or its price
        is worse than the limit (above it for a buy, below it for a sell).
        """
        for name in ("client_order_id", "ticker", "side", "action", "payout_cents"):
            if getattr(fill, name) != getattr(self.intent, name):
                raise InvalidFieldError(
                    "Fill",
                    name,
                    getattr(fill, name),
                    f"does not match the order's {getattr(self.intent, name)!r}",
                    ticker=self.ticker,
                    order_id=self.client_order_id,
                )
        limit = self.intent.price
        worse = fill.price > limit if self.intent.action is Action.BUY else fill.price < limit
        if worse:
            raise InvalidFieldError(
                "Fill",
                "price",
                fill.price,
                f"is worse than the order's limit {limit} for a {self.intent.action.value}",
                ticker=self.ticker,
                order_id=self.client_order_id,
            )
        return self.fill(fill.count)

    def _to(self, target: OrderState, venue_order_id: str | None = None) -> Order:
        self._check_transition(target)
        if venue_order_id is None:
            venue_order_id = self.venue_order_id
        return evolve(self, state=target, venue_order_id=venue_order_id)

    def _check_transition(self, target: OrderState) -> None:
        if target not in TRANSITIONS[self.state]:
            raise IllegalTransitionError(
                self.client_order_id, self.ticker, self.state.name, target.name
            )
