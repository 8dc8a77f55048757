"""What a venue's market-data stream says, in the domain's terms: the frames every
market-data protocol (:class:`~actors.venues.MarketDataProtocol`) parses its wire into
and the feed acts on. Prices and sizes are exact ``Decimal`` dollars and contracts.

A frame that cannot be trusted is a :class:`Rejected` naming the reason, the field
and, as far as they could be read, the market, ``sid`` and ``seq``: parsers never
raise for bad input.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TypeAlias

import attrs

from actors.domain import Levels, Side
from actors.venues._reasons import RejectReason

__all__ = [
    "TICKER",
    "Acknowledged",
    "Delta",
    "ErrorReply",
    "Frame",
    "Heartbeat",
    "Rejected",
    "Snapshot",
    "Subscribed",
    "Unsubscribed",
]

TICKER = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
"""What a market ticker may look like on any venue's wire."""


@attrs.frozen
class Subscribed:
    request_id: int | None
    channel: str
    sid: int


@attrs.frozen
class Unsubscribed:
    request_id: int | None
    sid: int


@attrs.frozen
class Snapshot:
    """The full book of ``ticker``: frame ``seq`` of subscription ``sid``.

    ``yes`` and ``no`` are ``(price, size)`` pairs of ``Decimal`` dollars and
    contracts in ascending price order."""

    sid: int
    seq: int
    ticker: str
    yes: Levels
    no: Levels


@attrs.frozen
class Delta:
    """``change`` contracts (signed, non-zero ``Decimal``) at ``price`` dollars on the
    ``side`` bid book. ``venue_ts_ms`` is when the venue says the change happened
    (Unix milliseconds), None when its frame carries no time."""

    sid: int
    seq: int
    ticker: str
    side: Side
    price: Decimal
    change: Decimal
    venue_ts_ms: int | None = None


@attrs.frozen
class Heartbeat:
    """A venue's JSON keep-alive frame (Kalshi sends none: it pings at the websocket
    level). Counted; the feed's liveness rests on websocket pings, not on these."""


@attrs.frozen
class Acknowledged:
    """The venue carried out command ``request_id`` (on subscription ``sid``, if it names
    one); e.g. Kalshi's ``ok`` reply to ``update_subscription``."""

    request_id: int | None
    sid: int | None = None


@attrs.frozen
class ErrorReply:
    """The venue refused command ``request_id``, or reports that subscription ``sid``
    failed. ``code`` is the venue's numeric error code (None when it sent none that
    reads as an integer: ``message`` then starts with what it sent); ``ticker`` is the
    market the error names, if any. What the feed does about it is the protocol's
    call (:meth:`~actors.venues.MarketDataProtocol.error_action`)."""

    request_id: int | None
    code: int | None
    message: str
    sid: int | None = None
    ticker: str | None = None


@attrs.frozen
class Rejected:
    """A frame the feed refuses. ``ticker``, ``sid`` and ``seq`` are whatever could be read."""

    reason: RejectReason
    field: str
    detail: str
    ticker: str | None = None
    sid: int | None = None
    seq: int | None = None


Frame: TypeAlias = (
    Subscribed | Unsubscribed | Snapshot | Delta | Heartbeat | Acknowledged | ErrorReply | Rejected
)
