"""The feed actor: order books from the venue's websocket to the strategy (DESIGN.md §5).

Snapshot plus sequenced deltas per market, contiguous ``seq`` per
subscription (a gap, a duplicate or a reordered frame asks the venue for a
fresh snapshot of that market, or resubscribes it), reconnect with jittered
backoff, liveness by websocket ping and pong (a quiet market is not a dead
connection), per-market staleness, rejection (counted per reason and market) of
malformed, non-finite, negative, off-grid, over-precise or over-crossed data
(prices and sizes are exact ``Decimal`` dollars and contracts), and
conflated delivery: at most one unacknowledged ``BookUpdate`` per market.
Everything venue-specific (discovery, commands, frames, error codes, signing)
is the venue protocol's (:class:`~actors.venues.MarketDataProtocol`).
"""

from actors.feed._actor import FeedActor, FeedLoopFailed
from actors.feed._books import FeedBooks, FeedCounts, MarketPhase
from actors.feed._config import FeedConfig
from actors.feed._delivery import Delivery, DeliveryCounts
from actors.feed._process import FeedProcessActor, FeedProcessUnavailable, FeedWorkerLost
from actors.feed._status import ConnectionStatus, FeedStatus, MarketFeedStatus
from actors.venues import Frame, PriceGrids, Rejected, RejectReason
from actors.venues.kalshi import parse_frame

__all__ = [
    "ConnectionStatus",
    "Delivery",
    "DeliveryCounts",
    "FeedActor",
    "FeedBooks",
    "FeedConfig",
    "FeedCounts",
    "FeedLoopFailed",
    "FeedProcessActor",
    "FeedProcessUnavailable",
    "FeedStatus",
    "FeedWorkerLost",
    "Frame",
    "MarketFeedStatus",
    "MarketPhase",
    "PriceGrids",
    "RejectReason",
    "Rejected",
    "parse_frame",
]
