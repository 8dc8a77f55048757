"""The market-data half of the venue seam: what the feed asks of a venue's stream.

A venue adapter provides a :class:`MarketDataProtocol`; the feed holds one in its
config and never reads a venue's wire itself. The stream side is pure (text in,
text or frames out): the feed owns the sockets, the clocks and the books. The
one asynchronous method, :meth:`MarketDataProtocol.list_markets`, runs on an HTTP
client the feed opens (with the venue's base URL, the feed's deadline and
:meth:`~MarketDataProtocol.rest_headers` on every request), so discovery is the
venue's business but its sockets and deadlines are still the feed's.

Liveness is not the protocol's business: the feed pings the websocket itself
(every venue with a websocket answers a ping with a pong) and needs no JSON
heartbeat, so a quiet market is never mistaken for a dead connection.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol

import attrs
import httpx

from actors.domain import Event
from actors.money import PriceGrid
from actors.venues._amounts import PriceGrids
from actors.venues._frames import ErrorReply, Frame

__all__ = [
    "ErrorAction",
    "MarketDataProtocol",
    "MarketListError",
    "MarketListing",
    "MarketSelection",
    "StreamSession",
]


class MarketListError(ValueError):
    """The venue's market or event listing answered something that is not a list of
    markets or events (or a cursor that never ends). The feed treats it like a
    network failure: reported, then retried after the reconnect backoff."""


class ErrorAction(enum.Enum):
    """What the feed does about an :class:`~actors.venues.ErrorReply`, as the venue's
    protocol classifies it.

    - ``RESUBSCRIBE``: the subscription the error concerns is dead (Kalshi's
      terminal codes): discard its book and subscribe again.
    - ``ALREADY_SUBSCRIBED``: the venue holds a subscription of that market the
      feed does not know of (its reply was lost): the feed unsubscribes the
      unknown ``sid`` when its frames show it, and the market's subscribe
      timeout tries again.
    - ``UNKNOWN_SUBSCRIPTION``: the venue no longer knows the ``sid`` a command
      named: fine for an unsubscribe; a resync request for it subscribes anew.
    - ``REFUSED``: the command was refused (bad parameters, rate limit ...): a
      refused subscription or resync is retried after its market's backoff;
      anything else is logged and counted.
    """

    RESUBSCRIBE = "resubscribe"
    ALREADY_SUBSCRIBED = "already_subscribed"
    UNKNOWN_SUBSCRIPTION = "unknown_subscription"
    REFUSED = "refused"


def _strings(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list | tuple) else value  # type: ignore[return-value]


@attrs.frozen
class MarketSelection:
    """Which markets to follow: ``tickers`` by name, plus every market of the
    ``series`` and of the ``events`` named. All empty means every market the venue
    lists. The feed's config validates the names."""

    tickers: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    series: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    events: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    @property
    def everything(self) -> bool:
        return not (self.tickers or self.series or self.events)

    @property
    def by_ticker_only(self) -> bool:
        """Only explicit tickers: nothing needs asking the venue."""
        return bool(self.tickers) and not (self.series or self.events)


@attrs.frozen
class MarketListing:
    """What discovery found: the markets to follow (in order, no repeats), the
    venue's events over them (None when the venue has no events at all: every
    market is then its own single event), and the grid of each market whose
    listing states one (the others keep the configured or default grid)."""

    tickers: tuple[str, ...]
    events: tuple[Event, ...] | None
    grids: Mapping[str, PriceGrid] = attrs.field(factory=dict)


class StreamSession(Protocol):
    """One connection's reader: each websocket message in, the frames it holds out.

    A venue whose stream is not Kalshi-shaped keeps what it needs here, for the
    life of one connection: a venue that sends several events in one message
    returns several frames; a venue with no sequence numbers or subscription ids
    (Polymarket) numbers each market's updates itself and answers a subscription
    with a ``Subscribed`` frame when the market's first snapshot arrives; a
    venue that sends absolute level sizes turns them into changes of the book it
    keeps. :meth:`parse` never raises for bad input (a :class:`Rejected` names what
    is wrong).
    """

    def parse(self, text: str | bytes) -> Sequence[Frame]: ...

    def outgoing(self, text: str) -> str | None:
        """The wire text of a command the feed made with the protocol's
        ``*_command`` methods (None: nothing to send). A venue whose commands
        carry no request id records here which request a later frame answers."""
        ...


class MarketDataProtocol(Protocol):
    """One venue's order-book stream and market listing.

    - :meth:`session` is a fresh :class:`StreamSession` for one connection,
      checking every price against its market's grid in ``grids``.
      :meth:`parse_frame` turns one message into one frame (a stateless venue's
      session is ``(parse_frame(text),)``).
    - :meth:`keepalive_text` is a text message the venue wants every
      ``ping_interval_s`` besides websocket pings (Polymarket: ``"PING"``), or
      None.
    - :meth:`subscribe_command` / :meth:`unsubscribe_command` are the text of
      the commands that start and end one market's book subscription; the
      venue answers with ``Subscribed`` / ``Unsubscribed`` frames carrying
      ``request_id``.
    - :meth:`resync_command` asks for a fresh snapshot of subscription ``sid``
      (market ``ticker``) without ending it; None when the venue has no such
      command (the feed then unsubscribes and subscribes again).
    - :meth:`error_action` classifies an error reply (:class:`ErrorAction`).
    - :meth:`handshake_headers` go with the websocket upgrade (authentication),
      :meth:`rest_headers` with each discovery request (``path`` is the URL's
      full path, without the query). Their values are secrets: never logged.
    - :meth:`list_markets` finds the markets of ``selection`` through
      ``client`` (whose base URL is the venue's REST root); raises
      :class:`MarketListError` or an ``httpx`` error.
    """

    def session(self, grids: PriceGrids) -> StreamSession: ...

    def parse_frame(self, text: str | bytes, *, grids: PriceGrids) -> Frame: ...

    def keepalive_text(self) -> str | None: ...

    def subscribe_command(self, request_id: int, ticker: str) -> str: ...

    def unsubscribe_command(self, request_id: int, sid: int) -> str: ...

    def resync_command(self, request_id: int, sid: int, ticker: str) -> str | None: ...

    def error_action(self, reply: ErrorReply) -> ErrorAction: ...

    def handshake_headers(self) -> list[tuple[str, str]]: ...

    def rest_headers(self, method: str, path: str) -> list[tuple[str, str]]: ...

    async def list_markets(
        self, client: httpx.AsyncClient, selection: MarketSelection, *, payout: Decimal
    ) -> MarketListing: ...
