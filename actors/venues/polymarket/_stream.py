"""Polymarket's ``market`` websocket channel behind the feed's Kalshi-shaped seam:
:class:`PolymarketMarketData` (the :class:`~actors.venues.MarketDataProtocol`) and
:class:`PolymarketSession` (one connection's :class:`~actors.venues.StreamSession`).

Polymarket's channel has no subscription ids, no sequence numbers, no replies to
commands, absolute level sizes, and messages that hold one event object or an
array of them (/work/shared/venues/polymarket.md §1)::

    {"event_type": "book", "market": <condition id>, "asset_id": <token id>,
     "bids": [{"price": "0.49", "size": "20"}, ...], "asks": [...],
     "timestamp": "1728799418260", "hash": "..."}
    {"event_type": "price_change", "market": ..., "timestamp": ...,
     "price_changes": [{"asset_id", "price", "size", "side": "BUY"|"SELL", ...}]}
    {"event_type": "price_change", "asset_id", "price", "size", "side", ...}   (legacy)
    {"event_type": "tick_size_change", "asset_id", "old_tick_size", "new_tick_size", ...}
    last_trade_price, best_bid_ask, new_market, market_resolved: not book data
    PONG, NO NEW ASSETS: plain text

The session emulates what the feed expects (actors/feed/_books.py):

- A warden market is a condition id; the feed follows it through its YES token
  (the registry of :class:`~._markets.PolymarketMarket` maps one to the other).
  Only the YES token is subscribed: its bids are the domain's YES bids and its
  asks at ``payout - price`` the NO bids (the NO token's book mirrors them).
- Commands are internal texts (``{"warden": "subscribe", "id", "ticker"}``,
  ``{"warden": "unsubscribe", "id", "sid"}``) that :meth:`PolymarketSession.outgoing`
  turns into the wire: the connection's first subscription is
  ``{"assets_ids": [token], "type": "market"}``, later ones
  ``{"assets_ids": [token], "operation": "subscribe"}``; an unsubscribe is
  ``{"assets_ids": [token], "operation": "unsubscribe"}``.  A subscription of a
  market the registry does not hold sends nothing and is answered (with the next
  message parsed) by an :class:`ErrorReply` naming it (refused: retried after
  the market's backoff, by which time a new listing may know it).
- The first ``book`` of a subscribed token yields ``Subscribed(request id,
  "market", sid)`` (a fresh ``sid`` per subscription) and ``Snapshot(sid, 1)``;
  each later ``book`` a ``Snapshot`` with the next ``seq``.  Book levels arrive
  worst to best as strings; each side is re-sorted by ascending price.
- Each changed level of a ``price_change`` of a token with a book becomes a
  :class:`Delta` (``change = new size - old size``; size ``"0"`` removes the
  level; no change, no frame) with the next ``seq`` and ``venue_ts_ms`` from
  ``timestamp``.  Changes of tokens not followed (the NO token, other markets)
  are ignored, as are those of a token still waiting for its book.
- ``tick_size_change`` of a followed token: the session moves the market to
  the new grid, drops its deltas until a fresh ``book``, and emits a
  :class:`Rejected` (:data:`TICK_CHANGED`, field ``new_tick_size``) naming its
  ``sid``, which makes the feed resync it.  :meth:`PolymarketMarketData.resync_command`
  is None (Polymarket has no "send the book again" command, and one command
  text can carry one wire message): the feed then unsubscribes the ``sid`` and
  subscribes again, and the new subscription's first ``book`` is the fresh
  snapshot.
- ``last_trade_price``, ``best_bid_ask``, ``new_market`` and ``market_resolved``
  carry no level sizes: they yield no frame.  ``PONG`` and ``NO NEW ASSETS``
  yield :class:`Heartbeat`.

:meth:`PolymarketSession.parse` never raises for bad input: text that is not
JSON, non-finite numbers, prices off the market's grid or outside it, negative
sizes, a side other than BUY/SELL, a missing field or an unknown event type
yield a :class:`Rejected` naming the reason, the field and, as far as they
could be read, the market and ``sid``; a followed token whose data was
refused drops its deltas until its next ``book`` (the feed resyncs it).
"""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import httpx

from actors.domain import Levels, Side
from actors.money import EXACT, PriceGrid
from actors.venues._amounts import (
    AmountError,
    PriceGrids,
    PriceParser,
    decode_frame,
    parse_size,
)
from actors.venues._frames import (
    Delta,
    ErrorReply,
    Frame,
    Heartbeat,
    Rejected,
    Snapshot,
    Subscribed,
)
from actors.venues._market_data import ErrorAction, MarketListing, MarketSelection
from actors.venues._reasons import RejectReason
from actors.venues.polymarket._discovery import CLOB_URL, GAMMA_URL
from actors.venues.polymarket._discovery import list_markets as _list_markets
from actors.venues.polymarket._markets import TICKS, PolymarketMarket

__all__ = [
    "CHANNEL",
    "IGNORED_EVENTS",
    "TICK_CHANGED",
    "PolymarketMarketData",
    "PolymarketSession",
]

CHANNEL = "market"
"""The channel name of every :class:`Subscribed` the session emits."""

TICK_CHANGED = RejectReason.OUT_OF_RANGE
"""The reason of the :class:`Rejected` a ``tick_size_change`` yields (any reason
resyncs a subscribed market; a dedicated ``RejectReason`` would count these apart
from bad data)."""

IGNORED_EVENTS = frozenset({"last_trade_price", "best_bid_ask", "new_market", "market_resolved"})
"""Event types that say nothing about level sizes: no frame."""

HEARTBEAT_TEXTS = frozenset({"PONG", "NO NEW ASSETS"})

MAX_TS_MS = 2**53

_ZERO_SIZE = re.compile(r"0(\.0{1,2})?")
_ASSET_SALVAGE = re.compile(r'"asset_id"\s*:\s*"([0-9]{1,78})"')
_MARKET_SALVAGE = re.compile(r'"market"\s*:\s*"(0x[0-9a-fA-F]{64})"')
_TICK_TEXT = re.compile(r"0\.[0-9]{1,8}")
_ZERO = Decimal("0.00")


class _Bad(Exception):
    """Internal control flow of the parser; never leaves this module."""

    def __init__(self, reason: RejectReason, field: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.field = field
        self.detail = detail


@attrs.define
class _Asset:
    """One followed YES token on this connection."""

    market: PolymarketMarket
    request_id: int | None  # a subscription waiting for its first book
    sid: int | None = None
    seq: int = 0
    stale: bool = True  # no trusted book: deltas are dropped
    bids: dict[Decimal, Decimal] = attrs.Factory(dict)
    asks: dict[Decimal, Decimal] = attrs.Factory(dict)

    @property
    def ticker(self) -> str:
        return self.market.condition_id


class PolymarketSession:
    """One connection's reader and command translator (see the module docstring).

    ``markets`` is the protocol's registry (condition id -> market), read when a
    subscription is sent; ``grids`` the feed's grids (a market missing from them
    gets its registry tick's grid).  Not thread-safe: the feed's reader and
    writer run on one trio thread.
    """

    def __init__(self, markets: MutableMapping[str, PolymarketMarket], grids: PriceGrids) -> None:
        self._markets = markets
        self._grids = grids
        self._assets: dict[str, _Asset] = {}  # YES token id -> its state
        self._by_sid: dict[int, str] = {}  # current sid -> YES token id
        self._last_sid = 0
        self._started = False  # the connection's first subscription went out
        self._queued: list[Frame] = []  # answers to commands, given with the next message

    @property
    def grids(self) -> PriceGrids:
        """The grids prices are checked against (tick changes included)."""
        return self._grids

    # ---- commands -------------------------------------------------------------------

    def outgoing(self, text: str) -> str | None:
        """The wire text of an internal command (see the module docstring); a text
        that is not one is sent as it is."""
        try:
            command = json.loads(text)
        except ValueError:
            return text
        if not isinstance(command, dict) or "warden" not in command:
            return text
        if command["warden"] == "subscribe":
            return self._subscribe(command["id"], command["ticker"])
        if command["warden"] == "unsubscribe":
            return self._unsubscribe(command["sid"])
        return None

    def _subscribe(self, request_id: int, ticker: str) -> str | None:
        market = self._markets.get(ticker)
        if market is None:
            detail = f"unknown market {ticker}: not in the Polymarket listing"
            self._queued.append(ErrorReply(request_id, None, detail, ticker=ticker))
            return None
        old = self._assets.get(market.yes_token)
        if old is not None and old.sid is not None:
            self._by_sid.pop(old.sid, None)  # the feed gave that subscription up
        self._assets[market.yes_token] = _Asset(market, request_id)
        if ticker not in self._grids.grids:
            self._grids = self._grids.with_grids({ticker: _grid(market.tick, ticker, self._grids)})
        if not self._started:
            self._started = True
            return json.dumps({"assets_ids": [market.yes_token], "type": CHANNEL})
        return json.dumps({"assets_ids": [market.yes_token], "operation": "subscribe"})

    def _unsubscribe(self, sid: int) -> str | None:
        token = self._by_sid.pop(sid, None)
        if token is None:
            return None  # not a current subscription: nothing to end at the venue
        self._assets.pop(token, None)
        return json.dumps({"assets_ids": [token], "operation": "unsubscribe"})

    # ---- messages -------------------------------------------------------------------

    def parse(self, text: str | bytes) -> Sequence[Frame]:
        """The frames one message holds, in order; never raises for bad input."""
        frames, self._queued = self._queued, []
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        if text.strip() in HEARTBEAT_TEXTS:
            frames.append(Heartbeat())
            return frames
        try:
            data = decode_frame(text)
        except (ValueError, RecursionError):
            frames.append(self._salvaged(text))
            return frames
        for event in data if isinstance(data, list) else [data]:
            frames.extend(self._event(event))
        return frames

    def _salvaged(self, text: str) -> Rejected:
        """A message that is not JSON, naming the followed market it seems to be about."""
        asset = None
        for match in _ASSET_SALVAGE.finditer(text):
            asset = self._assets.get(match.group(1))
            if asset is not None:
                break
        market = _MARKET_SALVAGE.search(text)
        ticker = asset.ticker if asset else (market.group(1) if market else None)
        if asset is not None and asset.sid is not None:
            asset.stale = True
        detail = f"not valid JSON ({len(text)} characters)"
        return Rejected(
            RejectReason.BAD_JSON, "frame", detail, ticker=ticker, sid=asset.sid if asset else None
        )

    def _event(self, event: object) -> list[Frame]:
        if not isinstance(event, dict):
            return [Rejected(RejectReason.BAD_SHAPE, "frame", "an event must be a JSON object")]
        kind = event.get("event_type")
        if kind == "book":
            return self._guarded(event.get("asset_id"), event, self._book)
        if kind == "price_change":
            return self._price_change(event)
        if kind == "tick_size_change":
            return self._guarded(event.get("asset_id"), event, self._tick_size_change)
        if kind in IGNORED_EVENTS:
            return []
        detail = f"unexpected event type {str(kind)[:40]!r}"
        return [Rejected(RejectReason.UNKNOWN_TYPE, "event_type", detail)]

    def _guarded(self, token: object, event: dict[str, Any], handle: Any) -> list[Frame]:
        """``handle(asset, event)`` for a followed token; a refusal becomes a
        :class:`Rejected` and makes the token stale."""
        if not isinstance(token, str):
            return [Rejected(RejectReason.BAD_SHAPE, "asset_id", "asset_id is missing")]
        asset = self._assets.get(token)
        if asset is None:
            return []  # not followed (the NO token, a market given up)
        market = event.get("market")
        if market is not None and market != asset.ticker:
            asset.stale = True
            detail = f"asset {token[:12]}... belongs to {asset.ticker}, not {str(market)[:70]}"
            return [
                Rejected(
                    RejectReason.WRONG_MARKET, "market", detail, ticker=asset.ticker, sid=asset.sid
                )
            ]
        try:
            frames: list[Frame] = handle(asset, event)
        except _Bad as bad:
            asset.stale = True
            return [Rejected(bad.reason, bad.field, bad.detail, ticker=asset.ticker, sid=asset.sid)]
        return frames

    def _book(self, asset: _Asset, event: dict[str, Any]) -> list[Frame]:
        prices = self._grids.parser(asset.ticker)
        bids = _levels(event.get("bids"), "bids", prices)
        asks = _levels(event.get("asks"), "asks", prices)
        frames: list[Frame] = []
        if asset.sid is None:
            self._last_sid += 1
            asset.sid, asset.seq = self._last_sid, 0
            self._by_sid[asset.sid] = asset.market.yes_token
            frames.append(Subscribed(asset.request_id, CHANNEL, asset.sid))
            asset.request_id = None
        asset.bids, asset.asks, asset.stale = bids, asks, False
        asset.seq += 1
        payout = prices.grid.payout
        yes: Levels = tuple(sorted(bids.items()))
        no: Levels = tuple(sorted((_mirror(price, payout), size) for price, size in asks.items()))
        frames.append(Snapshot(asset.sid, asset.seq, asset.ticker, yes, no))
        return frames

    def _price_change(self, event: dict[str, Any]) -> list[Frame]:
        changes = event.get("price_changes")
        if changes is None:
            changes = [event]  # the legacy schema: one change at the top level
        elif not isinstance(changes, list):
            return [Rejected(RejectReason.BAD_SHAPE, "price_changes", "must be a list")]
        by_token: dict[str, list[dict[str, Any]]] = {}
        frames: list[Frame] = []
        for change in changes:
            token = change.get("asset_id") if isinstance(change, dict) else None
            if not isinstance(token, str):
                frames.append(Rejected(RejectReason.BAD_SHAPE, "asset_id", "asset_id is missing"))
                continue
            if token in self._assets:
                by_token.setdefault(token, []).append(change)
        for token, listed in by_token.items():
            asset = self._assets[token]
            if asset.stale or asset.sid is None:
                continue  # waiting for a book: it will replace everything
            frames.extend(self._guarded(token, event, lambda a, e, c=listed: self._deltas(a, e, c)))
        return frames

    def _deltas(
        self, asset: _Asset, event: dict[str, Any], changes: list[dict[str, Any]]
    ) -> list[Frame]:
        """All of one token's changes, checked before any is applied."""
        prices = self._grids.parser(asset.ticker)
        ts_ms = _timestamp(event.get("timestamp"))
        parsed = [_change(change, prices) for change in changes]
        payout = prices.grid.payout
        frames: list[Frame] = []
        assert asset.sid is not None, "only a token with a book has deltas"
        for buy, price, size in parsed:
            book = asset.bids if buy else asset.asks
            old = book.get(price, _ZERO)
            if size:
                book[price] = size
            else:
                book.pop(price, None)
            change = EXACT.subtract(size, old)
            if not change:
                continue
            asset.seq += 1
            side, level = (Side.YES, price) if buy else (Side.NO, _mirror(price, payout))
            frames.append(Delta(asset.sid, asset.seq, asset.ticker, side, level, change, ts_ms))
        return frames

    def _tick_size_change(self, asset: _Asset, event: dict[str, Any]) -> list[Frame]:
        new = _tick(event.get("new_tick_size"))
        ticker = asset.ticker
        self._grids = self._grids.with_grids({ticker: _grid(new, ticker, self._grids)})
        asset.market = attrs.evolve(asset.market, tick=new)
        asset.bids, asset.asks = {}, {}
        if asset.sid is None:
            return []  # its first book is still to come, on the new grid
        asset.stale = True
        old = event.get("old_tick_size")
        detail = f"tick size changed from {str(old)[:10]} to {new}: a fresh book is needed"
        return [Rejected(TICK_CHANGED, "new_tick_size", detail, ticker=ticker, sid=asset.sid)]


def _grid(tick: Decimal, ticker: str, grids: PriceGrids) -> PriceGrid:
    return PriceGrid(tick, grids.grid(ticker).payout, ticker=ticker)


def _mirror(price: Decimal, payout: Decimal) -> Decimal:
    """The NO price of a YES ask at ``price`` (printed with as many decimals)."""
    return EXACT.subtract(payout, price).quantize(price, context=EXACT)


def _tick(text: object) -> Decimal:
    """A ``tick_size_change``'s ``new_tick_size``: one of Polymarket's ticks."""
    if not isinstance(text, str):
        raise _Bad(RejectReason.NOT_STRING, "new_tick_size", f"{text!r} is not a decimal string")
    value = Decimal(text) if _TICK_TEXT.fullmatch(text) else None
    for tick in TICKS:
        if value == tick:
            return tick
    raise _Bad(RejectReason.OUT_OF_RANGE, "new_tick_size", f"{text[:20]!r} is not a tick")


def _amount(parse: Any, value: object, field: str) -> Decimal:
    if value is None:
        raise _Bad(RejectReason.BAD_SHAPE, field, f"{field} is missing")
    try:
        amount: Decimal = parse(value)
    except AmountError as bad:
        raise _Bad(bad.reason, field, f"{field}: {bad.detail}") from None
    return amount


def _size(value: object, field: str) -> Decimal:
    """A level's absolute size: >= 0 with at most 2 decimals (0 removes the level)."""
    if type(value) is str and _ZERO_SIZE.fullmatch(value):
        return _ZERO
    return _amount(parse_size, value, field)


def _levels(value: object, field: str, prices: PriceParser) -> dict[Decimal, Decimal]:
    """One side of a ``book``: ``[{"price", "size"}, ...]`` in any order (a zero size is
    no level)."""
    if type(value) is not list:
        raise _Bad(RejectReason.BAD_SHAPE, field, f"{field} must be a list of levels")
    levels: dict[Decimal, Decimal] = {}
    for level in value:
        if not isinstance(level, dict):
            raise _Bad(RejectReason.BAD_SHAPE, field, f"{field} must hold price/size objects")
        price = _amount(prices.parse, level.get("price"), f"{field}.price")
        size = _size(level.get("size"), f"{field}[{level.get('price')}].size")
        if price in levels:
            detail = f"{field} lists {level.get('price')} twice"
            raise _Bad(RejectReason.DUPLICATE_PRICE, f"{field}.price", detail)
        if size:
            levels[price] = size
    return levels


def _change(change: dict[str, Any], prices: PriceParser) -> tuple[bool, Decimal, Decimal]:
    """(is a bid, price, new size) of one ``price_change`` entry."""
    side = change.get("side")
    if side not in ("BUY", "SELL"):
        raise _Bad(RejectReason.BAD_SHAPE, "side", f"side={str(side)[:20]!r} is not BUY or SELL")
    price = _amount(prices.parse, change.get("price"), "price")
    return side == "BUY", price, _size(change.get("size"), "size")


def _timestamp(value: object) -> int | None:
    """``timestamp`` (Unix ms, a digit string or an integer); None when absent."""
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 16:
        value = int(value)
    if type(value) is not int:
        raise _Bad(RejectReason.BAD_NUMBER, "timestamp", f"{str(value)[:30]!r} is not Unix ms")
    if not 0 <= value <= MAX_TS_MS:
        raise _Bad(RejectReason.OUT_OF_RANGE, "timestamp", f"{value} is not a time")
    return value


@attrs.frozen
class PolymarketMarketData:
    """Polymarket's ``market`` channel and Gamma listing as the feed's
    :class:`~actors.venues.MarketDataProtocol`.

    ``markets`` is the mutable registry condition id -> :class:`PolymarketMarket`
    that :meth:`list_markets` fills (and that sessions read when they subscribe);
    it may be shared with the trading client. The channel is public: no headers.
    """

    markets: MutableMapping[str, PolymarketMarket] = attrs.field(factory=dict, eq=False)
    gamma_url: str = GAMMA_URL
    clob_url: str = CLOB_URL

    def session(self, grids: PriceGrids) -> PolymarketSession:
        return PolymarketSession(self.markets, grids)

    def parse_frame(self, text: str | bytes, *, grids: PriceGrids) -> Frame:
        """The one frame of a message that needs no subscription state (``PONG``,
        bad JSON, an ignored or unknown event); anything else is refused: a
        Polymarket stream is read through :meth:`session`."""
        frames = list(self.session(grids).parse(text))
        if len(frames) == 1:
            return frames[0]
        detail = f"the message holds {len(frames)} frames: read Polymarket through a session"
        return Rejected(RejectReason.BAD_SHAPE, "frame", detail)

    def keepalive_text(self) -> str | None:
        return "PING"  # answered by "PONG"

    def subscribe_command(self, request_id: int, ticker: str) -> str:
        return json.dumps({"warden": "subscribe", "id": request_id, "ticker": ticker})

    def unsubscribe_command(self, request_id: int, sid: int) -> str:
        return json.dumps({"warden": "unsubscribe", "id": request_id, "sid": sid})

    def resync_command(self, request_id: int, sid: int, ticker: str) -> str | None:  # noqa: ARG002
        return None  # no such command: the feed unsubscribes and subscribes again

    def error_action(self, reply: ErrorReply) -> ErrorAction:  # noqa: ARG002 - protocol
        return ErrorAction.REFUSED  # the channel sends no errors; ours are refusals

    def handshake_headers(self) -> list[tuple[str, str]]:
        return []

    def rest_headers(self, method: str, path: str) -> list[tuple[str, str]]:  # noqa: ARG002
        return []

    async def list_markets(
        self, client: httpx.AsyncClient, selection: MarketSelection, *, payout: Decimal
    ) -> MarketListing:
        """The markets of ``selection`` (see :mod:`._discovery`); each found market is
        put into :attr:`markets`, replacing what it held for that condition id."""
        found = await _list_markets(
            client, selection, payout=payout, gamma_url=self.gamma_url, clob_url=self.clob_url
        )
        self.markets.update((market.condition_id, market) for market in found.markets)
        return found.listing
