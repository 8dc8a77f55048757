"""Polymarket's CLOB V2 behind the venue seam of :mod:`actors.venues`.

- Market data (:class:`PolymarketMarketData`): discovery through Gamma (event slugs,
  condition ids; negative-risk events are exclusive events) and the public market
  channel, whose ``book`` / ``price_change`` events a per-connection
  :class:`PolymarketSession` turns into the seam's snapshots and deltas (it numbers
  each market's updates itself: Polymarket has no sequence numbers).
- Trading (:class:`PolymarketTrading`): CLOB V2 orders signed as EIP-712 (the
  digest is the order id, journalled before sending so a retry sends the same
  order), L2 HMAC on every call, the dead-man heartbeat; or paper trading
  (:class:`PaperTrading`): fills simulated against the public book, no key.
- Secrets (:mod:`._keys`): the wallet key and API credentials from owner-only files
  or the environment; never logged.
"""

from actors.venues.polymarket._client import (
    PolymarketAccount,
    PolymarketClient,
    PolymarketTrading,
)
from actors.venues.polymarket._discovery import CLOB_URL, GAMMA_URL
from actors.venues.polymarket._journal import OrderJournal, OrderJournalError
from actors.venues.polymarket._keys import (
    ApiCredentials,
    PolymarketKeyError,
    load_api_credentials,
    load_wallet_key,
)
from actors.venues.polymarket._markets import PolymarketDataError, PolymarketMarket
from actors.venues.polymarket._paper import PaperClient, PaperTrading
from actors.venues.polymarket._stream import PolymarketMarketData, PolymarketSession
from actors.venues.polymarket._wire import DigestMismatch, TradingHalted

__all__ = [
    "CLOB_URL",
    "GAMMA_URL",
    "ApiCredentials",
    "DigestMismatch",
    "OrderJournal",
    "OrderJournalError",
    "PaperClient",
    "PaperTrading",
    "PolymarketAccount",
    "PolymarketClient",
    "PolymarketDataError",
    "PolymarketKeyError",
    "PolymarketMarket",
    "PolymarketMarketData",
    "PolymarketSession",
    "PolymarketTrading",
    "TradingHalted",
    "load_api_credentials",
    "load_wallet_key",
]
