"""The trading half of the venue seam: what the execution actor asks of a venue.

A venue adapter (``actors.venues.<venue>``) provides a :class:`TradingVenue`;
the execution actor opens one :class:`TradingClient` per incarnation from it and
speaks only this interface, so a new venue changes no execution code.

Every client call has a deadline and either returns these values or raises a
typed :class:`~actors.errors.VenueError`; nothing else escapes::

    no answer within the deadline            VenueTimeout      (outcome unknown)
    connection refused / reset / dropped     VenueDisconnected (outcome unknown)
    the venue's rate limit                   VenueRateLimited
    5xx, or an answer that cannot be read    VenueServerError
    refused credentials or signature         VenueAuthError
    not enough money                         InsufficientBalance
    any other refusal of the request         InvalidOrder

A client may also hear the venue's private events while it is open
(:class:`PrivateChannel`: Kalshi's ``user_orders`` and ``fill`` websocket
channels): order updates carrying their client order id and fills carrying
their trade id and fee, delivered as :data:`PrivateEvent` values between a
:class:`ChannelUp` and a :class:`ChannelDown`. Nothing is promised about what
falls between two connections: what a caller needs from that gap it reads with
the calls above (an order by client order id, an order's fills), which stay the
source of truth. A venue without such a channel does not implement it.

Two answers are not errors on any venue: a submit whose id the venue already
holds (the first submit landed) resolves to that order, and cancelling an order
that is no longer resting returns it as it is. Clients never retry: retrying is
the caller's policy (:mod:`actors.execution._workflows`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Protocol, TypeAlias, runtime_checkable

import attrs

from actors.domain import Action, Fill, OrderIntent, OrderState, Side
from actors.messages import OrderUpdated
from actors.money import ONE, PriceGrid
from supervision.validators import integer, seconds

__all__ = [
    "ChannelDown",
    "ChannelUp",
    "ClientSettings",
    "Deadlines",
    "FillHeard",
    "OrderHeard",
    "PrivateChannel",
    "PrivateEvent",
    "RateLimit",
    "TradingClient",
    "TradingVenue",
    "VenueBook",
    "VenueOrder",
    "VenuePosition",
]

_positive_seconds = seconds(0)


@attrs.frozen
class Deadlines:
    """The longest each kind of venue call may take before it counts as a timeout."""

    submit: float = attrs.field(default=5.0, validator=_positive_seconds)
    query: float = attrs.field(default=5.0, validator=_positive_seconds)
    cancel: float = attrs.field(default=5.0, validator=_positive_seconds)


@attrs.frozen
class RateLimit:
    """A token bucket: ``per_second`` tokens refill continuously up to ``burst``."""

    per_second: float = attrs.field(validator=_positive_seconds)
    burst: int = attrs.field(validator=integer(1))


@attrs.frozen
class VenueOrder:
    """An order as the venue reports it. ``price`` (dollars) is the price of ``side``;
    the counts are contracts."""

    order_id: str
    client_order_id: str | None
    ticker: str
    side: Side
    action: Action
    status: str  # resting | executed | canceled
    price: Decimal
    initial_count: Decimal
    fill_count: Decimal
    remaining_count: Decimal
    cancel_reason: str | None = None

    @property
    def is_resting(self) -> bool:
        return self.status == "resting"

    @property
    def state(self) -> OrderState:
        """The normalised state (see :class:`~actors.domain.OrderState`)."""
        if self.status == "executed":
            return OrderState.FILLED
        if self.status == "canceled":
            return OrderState.CANCELED
        return OrderState.PARTIALLY_FILLED if self.fill_count else OrderState.ACCEPTED

    def as_direction(self, side: Side, action: Action) -> VenueOrder:
        """This order stated as ``action`` of ``side`` (see
        :meth:`~actors.domain.Fill.as_direction`): itself, or the equivalent opposite
        restated (``price`` becomes ``payout - price``, payout $1). Raises
        ``ValueError`` if it is neither."""
        if (self.side, self.action) == (side, action):
            return self
        if self.side is not side and self.action is not action:
            return attrs.evolve(self, side=side, action=action, price=ONE - self.price)
        raise ValueError(f"order {self.order_id} is not {action.value} {side.value} either way")

    def update(self) -> OrderUpdated | None:
        """The ledger event for this order, or None if it has no client order id."""
        if self.client_order_id is None:
            return None
        return OrderUpdated(self.client_order_id, self.state, self.fill_count, self.order_id)


@attrs.frozen
class VenuePosition:
    """One market's position as the venue reports it, in contracts and dollars.

    ``position`` is YES minus NO contracts held (the venue nets pairs at once);
    ``market_exposure`` is the cost of what is held; ``realized_pnl`` (signed)
    and ``fees_paid`` are what trading the market has realised and paid so far.
    """

    ticker: str
    position: Decimal
    market_exposure: Decimal
    realized_pnl: Decimal
    fees_paid: Decimal


@attrs.frozen
class VenueBook:
    """Resting bids per side, ``(price, size)`` in dollars and contracts, as the venue
    lists them."""

    yes: tuple[tuple[Decimal, Decimal], ...]
    no: tuple[tuple[Decimal, Decimal], ...]

    def best_bid(self, side: Side) -> Decimal | None:
        levels = self.yes if side is Side.YES else self.no
        return max((price for price, size in levels if size > 0), default=None)


@attrs.frozen
class ChannelUp:
    """The private channel is subscribed: every event from here on is delivered until
    the :class:`ChannelDown` of this ``connection`` (numbered from 1 per client)."""

    connection: int


@attrs.frozen
class ChannelDown:
    """The private channel of ``connection`` ended (closed, silent, refused, or a frame
    that could not be read or was missed): events may be lost from here until the
    next :class:`ChannelUp`."""

    connection: int
    reason: str


@attrs.frozen
class OrderHeard:
    """An order's state as the venue pushed it (Kalshi's ``user_order``): stated as the
    venue states it (see :meth:`VenueOrder.as_direction`); its ``client_order_id`` as
    sent, when it has one."""

    order: VenueOrder


@attrs.frozen
class FillHeard:
    """A fill as the venue pushed it (Kalshi's ``fill``), of the order ``order_id``:
    the same :class:`~actors.domain.Fill` its fill list gives (``fill_id`` = trade id,
    ``fee``), named by the order's client id when the venue sent it, else
    ``venue-<order_id>``."""

    order_id: str
    fill: Fill


PrivateEvent: TypeAlias = ChannelUp | ChannelDown | OrderHeard | FillHeard
"""What a :class:`PrivateChannel` delivers."""


@runtime_checkable
class PrivateChannel(Protocol):
    """A client that can hear the venue's private events (optional: a
    :class:`TradingClient` that lacks this delivers none, and its caller reads
    orders and fills with the client's calls instead)."""

    async def serve_private(self, deliver: Callable[[PrivateEvent], None]) -> None:
        """Keep the private channel up, calling ``deliver`` (on the calling trio
        thread, in the order heard) for every event, until cancelled; reconnects
        after every :class:`ChannelDown`. A client configured without a channel
        sleeps and delivers nothing. Raises only what the loop should crash on."""
        ...


class ClientSettings(Protocol):
    """What a client is opened with (the execution actor's config provides it)."""

    @property
    def rest_url(self) -> str: ...

    @property
    def deadlines(self) -> Deadlines: ...

    @property
    def rate_limits(self) -> Mapping[str, RateLimit]: ...


class TradingClient(Protocol):
    """One venue's trading API, as the execution actor uses it (see the module docstring).

    Lists (orders, fills, positions) are complete: a client follows the venue's
    paging to the end. Use it from a trio task, inside ``async with``."""

    async def __aenter__(self) -> TradingClient: ...

    async def __aexit__(self, *_exc: object) -> None: ...

    async def aclose(self) -> None: ...

    async def serve(self) -> None:
        """The client's own background work while it is open, until cancelled: none
        for Kalshi; Polymarket's dead-man heartbeat (stop sending it and the venue
        cancels every open order). Raises only what the loop should crash on."""
        ...

    async def create_order(self, intent: OrderIntent, *, time_in_force: str = ...) -> VenueOrder:
        """Place ``intent`` as a limit order under its client order id (or the venue's
        equivalent key); raises ``InvalidOrder`` before any request if its price is off
        the market's grid."""
        ...

    async def find_order(
        self, client_order_id: str, *, ticker: str | None = None
    ) -> VenueOrder | None:
        """The order placed under ``client_order_id`` (of ``ticker``, when the caller
        knows it: a venue may list one market's orders faster), or None."""
        ...

    async def list_orders(
        self,
        *,
        client_order_id: str | None = None,
        status: str | None = None,
        since: float | None = None,
    ) -> list[VenueOrder]:
        """Every order (all pages), optionally of one ``client_order_id`` and
        ``status``; with ``since`` (Unix seconds) only those placed at or after it, as
        far as the venue can filter (as :meth:`list_fills`: more, never fewer)."""
        ...

    async def get_order(self, order_id: str) -> VenueOrder: ...

    async def cancel_order(self, order: VenueOrder) -> VenueOrder:
        """Cancel the rest of ``order``; returns it afterwards (as it is, if it was no
        longer resting)."""
        ...

    async def list_fills(
        self, *, order_id: str | None = None, since: float | None = None
    ) -> list[Fill]:
        """Every fill (all pages), or those of ``order_id``; with ``since`` (Unix
        seconds) only those executed at or after it, as far as the venue can filter
        (its resolution is whole seconds, rounded down): a venue may list more than
        asked (one that cannot filter lists every fill), never fewer."""
        ...

    async def list_positions(self) -> list[VenuePosition]: ...

    async def get_balance(self) -> Decimal: ...

    async def get_orderbook(self, ticker: str) -> VenueBook: ...

    async def lists_complete_since(self) -> str | None:
        """Since when the venue's lists of finished orders and fills are complete (its
        own timestamp text), or None when they hold everything: older records moved
        elsewhere (Kalshi's ``/historical/*``) are not in what reconciliation reads."""
        ...

    async def list_markets(self) -> Mapping[str, PriceGrid]:
        """Every market's price grid; remembered for :meth:`grid`."""
        ...

    def grid(self, ticker: str) -> PriceGrid: ...


class TradingVenue(Protocol):
    """A venue adapter's trading side: opens clients; knows the default grid."""

    @property
    def default_grid(self) -> PriceGrid:
        """A market's grid until the venue's market list says otherwise."""
        ...

    def open_client(
        self,
        settings: ClientSettings,
        *,
        on_rate_limit_wait: Callable[[str, float], None] | None = None,
    ) -> TradingClient: ...
