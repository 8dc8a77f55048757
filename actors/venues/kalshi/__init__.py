"""Kalshi's Trade API v2: the first real venue behind the seam of :mod:`actors.venues`.

- :data:`KALSHI_TRADING`: the trading side (:class:`~actors.venues.TradingVenue`),
  unsigned: what the embedded simulated venue (which speaks Kalshi's wire) takes.
- :class:`KalshiClient`: the REST client (fixed-point money, V2 order endpoints).
- :data:`KALSHI_MARKET_DATA` (:class:`~actors.venues.MarketDataProtocol`),
  :func:`parse_frame`, :func:`subscribe_command`, :func:`unsubscribe_command`:
  the ``orderbook_delta`` websocket channel.
- :class:`PrivateSettings` / :class:`KalshiPrivateChannel`: the private ``user_orders``
  and ``fill`` channels (a client opened with them is a
  :class:`~actors.venues.PrivateChannel`).
"""

from actors.venues.kalshi._client import KALSHI_TRADING, KalshiClient, KalshiTrading
from actors.venues.kalshi._discovery import list_markets
from actors.venues.kalshi._private import KalshiPrivateChannel, PrivateSettings
from actors.venues.kalshi._stream import (
    KALSHI_MARKET_DATA,
    TERMINAL_CODES,
    KalshiMarketData,
    StreamSigner,
    error_action,
    parse_frame,
    resync_command,
    subscribe_command,
    unsubscribe_command,
)

__all__ = [
    "KALSHI_MARKET_DATA",
    "KALSHI_TRADING",
    "TERMINAL_CODES",
    "KalshiClient",
    "KalshiMarketData",
    "KalshiPrivateChannel",
    "KalshiTrading",
    "PrivateSettings",
    "StreamSigner",
    "error_action",
    "list_markets",
    "parse_frame",
    "resync_command",
    "subscribe_command",
    "unsubscribe_command",
]
