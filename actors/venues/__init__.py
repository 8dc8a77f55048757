"""The venue seam: what differs per venue lives behind two small interfaces.

- :class:`MarketDataProtocol` (the feed's side): how to list a venue's markets
  and events, the websocket's URL and handshake, the commands that subscribe,
  unsubscribe and resynchronise, and the parser of its frames into the domain's
  :mod:`frames <actors.venues._frames>` (snapshots, deltas, replies, rejections).
- :class:`TradingVenue` / :class:`TradingClient` (execution's side): place,
  cancel, look up by client order id, list open orders, fills, positions and
  balance (every list paged to its end), each call with a deadline and
  failures mapped onto :mod:`actors.errors`; request signing and rate-limit
  costs are the client's own business.

The feed and the execution actor speak only these; one package per venue
implements them (:mod:`actors.venues.kalshi`; the embedded simulated venue
speaks Kalshi's wire, so its adapter is Kalshi's without signing). This package
never imports the feed or execution: the dependency points one way.
"""

from actors.venues._amounts import PriceGrids
from actors.venues._frames import (
    TICKER,
    Acknowledged,
    Delta,
    ErrorReply,
    Frame,
    Heartbeat,
    Rejected,
    Snapshot,
    Subscribed,
    Unsubscribed,
)
from actors.venues._market_data import (
    ErrorAction,
    MarketDataProtocol,
    MarketListError,
    MarketListing,
    MarketSelection,
    StreamSession,
)
from actors.venues._rate_limit import RateLimiter, TokenBucket
from actors.venues._reasons import RejectReason
from actors.venues._trading import (
    ChannelDown,
    ChannelUp,
    ClientSettings,
    Deadlines,
    FillHeard,
    OrderHeard,
    PrivateChannel,
    PrivateEvent,
    RateLimit,
    TradingClient,
    TradingVenue,
    VenueBook,
    VenueOrder,
    VenuePosition,
)

__all__ = [
    "TICKER",
    "Acknowledged",
    "ChannelDown",
    "ChannelUp",
    "ClientSettings",
    "Deadlines",
    "Delta",
    "ErrorAction",
    "ErrorReply",
    "FillHeard",
    "Frame",
    "Heartbeat",
    "MarketDataProtocol",
    "MarketListError",
    "MarketListing",
    "MarketSelection",
    "OrderHeard",
    "PriceGrids",
    "PrivateChannel",
    "PrivateEvent",
    "RateLimit",
    "RateLimiter",
    "RejectReason",
    "Rejected",
    "Snapshot",
    "StreamSession",
    "Subscribed",
    "TokenBucket",
    "TradingClient",
    "TradingVenue",
    "Unsubscribed",
    "VenueBook",
    "VenueOrder",
    "VenuePosition",
]
