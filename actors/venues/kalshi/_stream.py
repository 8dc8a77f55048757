"""Kalshi's ``orderbook_delta`` websocket channel: frames parsed into typed frames
(anything bad becomes :class:`Rejected`), the commands the feed sends, and
:class:`KalshiMarketData`, Kalshi's :class:`~actors.venues.MarketDataProtocol`.

Wire shapes (Kalshi trade API v2 with fixed-point money; asyncapi.yaml and
websockets/orderbook-updates.md)::

    {"type": "subscribed", "id": 1, "msg": {"channel": "orderbook_delta", "sid": 1}}
    {"type": "orderbook_snapshot", "sid": 1, "seq": 1,
     "msg": {"market_ticker": "SIM-001", "yes_dollars_fp": [["0.5500", "40.00"]],
             "no_dollars_fp": [["0.4200", "30.00"]]}}
    {"type": "orderbook_delta", "sid": 1, "seq": 2,
     "msg": {"market_ticker": "SIM-001", "price_dollars": "0.4200", "delta_fp": "-5.00",
             "side": "no", "ts_ms": 1669149841000}}
    {"type": "unsubscribed", "id": 2, "sid": 1, "seq": 7}
    {"type": "ok", "id": 3, "sid": 1, "seq": 9, "msg": {"market_tickers": ["SIM-001"]}}
    {"type": "error", "id": 4, "msg": {"code": 6, "msg": "Already subscribed"}}
    {"type": "heartbeat"}                    (not Kalshi's: legacy simulated venue only)

Kalshi keeps the connection alive with websocket ping frames (every 10 s),
never with JSON; a ``heartbeat`` frame still parses (:class:`Heartbeat`) for
the legacy simulated venue.  ``ts_ms`` of a delta (optional) becomes
``Delta.venue_ts_ms``; ``ts`` (RFC 3339, deprecated) is ignored.  An error's
``code`` is an integer 1..28 (a string of digits is read too; anything else
leaves ``code`` None with the text kept in ``message``); its ``sid`` and
``market_ticker``, when present, say which subscription it concerns.

A snapshot side's key is absent when that side is empty.  Prices and sizes
become exact ``Decimal`` dollars and contracts (:mod:`._amounts`): a price is
checked against its market's grid (:class:`~._amounts.PriceGrids`, Kalshi's
``linear_cent`` 0.01 unless told otherwise) and never rounded.

:func:`parse_frame` never raises for bad input: text that is not JSON, a
``NaN`` or ``Infinity`` (which Python's ``json`` would otherwise accept), a
number where a decimal string belongs, a string that is not plain fixed point,
too many decimals, a price off its grid or outside ``(0, payout)``, a negative
size, a zero size or change, a float, bool or string where an integer (``sid``,
``seq``, ``ts_ms``) belongs, a repeated price or a missing field all yield a
:class:`Rejected` naming the reason, the field and, as far as they could be
read, the market, ``sid`` and ``seq`` (even from cut-off JSON, so the caller
can tell which market's stream is broken).  Book-level checks (crossing, a
level driven below zero, seq contiguity) belong to the holder of the book: see
``actors.feed._books``.

Commands: one market per subscription; a gap is repaired with
``update_subscription`` ``get_snapshot`` on exactly one sid (error 12
otherwise), which re-sends the snapshot without ending the subscription.
Error codes 10 (channel error), 17 (internal error) and 25 (subscription
buffer overflow) are terminal: the subscription must be made again.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

import attrs
import httpx

from actors.domain import Levels, Side
from actors.venues._amounts import (
    CHANGES,
    SIZES,
    AmountError,
    NonFinite,
    PriceGrids,
    PriceParser,
    decode_frame,
    parse_change,
    parse_size,
)
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
from actors.venues._market_data import ErrorAction, MarketListing, MarketSelection
from actors.venues._reasons import RejectReason
from actors.venues.kalshi._discovery import list_markets as _list_markets

__all__ = [
    "ALREADY_SUBSCRIBED",
    "KALSHI_MARKET_DATA",
    "TERMINAL_CODES",
    "UNKNOWN_SID",
    "Acknowledged",
    "Delta",
    "ErrorReply",
    "Frame",
    "Heartbeat",
    "KalshiMarketData",
    "RejectReason",
    "Rejected",
    "Snapshot",
    "StreamSigner",
    "Subscribed",
    "Unsubscribed",
    "error_action",
    "parse_frame",
    "resync_command",
    "subscribe_command",
    "unsubscribe_command",
]

TERMINAL_CODES = frozenset({10, 17, 25})
"""Error codes after which the subscription is gone and must be made again (asyncapi
info.description, "Terminal Errors")."""

ALREADY_SUBSCRIBED = 6
UNKNOWN_SID = 7

MAX_TS_MS = 2**53
"""``ts_ms`` above this is not a time (and would lose precision as a JSON number elsewhere)."""


class _Bad(Exception):
    """Internal control flow of the parser; never leaves this module."""

    def __init__(self, reason: RejectReason, field: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.field = field
        self.detail = detail


_SALVAGE = {
    "ticker": re.compile(r'"market_ticker"\s*:\s*"(' + TICKER.pattern + ')"'),
    "sid": re.compile(r'"sid"\s*:\s*(\d{1,18})\b'),
    "seq": re.compile(r'"seq"\s*:\s*(\d{1,18})\b'),
}

_KALSHI = PriceGrids()
"""Every market on Kalshi's ``linear_cent`` grid, payout $1: the default of :func:`parse_frame`."""


def parse_frame(text: str | bytes, *, grids: PriceGrids = _KALSHI) -> Frame:
    """The typed frame ``text`` holds, or :class:`Rejected` saying what is wrong with it.

    Prices are checked against ``grids.grid(ticker)``.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        data = decode_frame(text)
    except (ValueError, RecursionError):
        return _salvaged(text)
    if not isinstance(data, dict):
        return Rejected(RejectReason.BAD_SHAPE, "frame", "a frame must be a JSON object")
    kind = data.get("type")
    parse = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parse is None:
        return Rejected(RejectReason.UNKNOWN_TYPE, "type", f"unexpected frame type {kind!r}")
    context: dict[str, Any] = {}
    try:
        return parse(data, context, grids)
    except _Bad as bad:
        return Rejected(bad.reason, bad.field, bad.detail, **context)


def _salvaged(text: str) -> Rejected:
    found = {name: pattern.search(text) for name, pattern in _SALVAGE.items()}
    return Rejected(
        RejectReason.BAD_JSON,
        "frame",
        f"not valid JSON ({len(text)} characters)",
        ticker=found["ticker"].group(1) if found["ticker"] else None,
        sid=int(found["sid"].group(1)) if found["sid"] else None,
        seq=int(found["seq"].group(1)) if found["seq"] else None,
    )


def _int(value: object, field: str, *, low: int, high: int | None = None) -> int:
    """``value`` if it is an ``int`` in ``[low, high]``; else :class:`_Bad` with the reason."""
    if isinstance(value, NonFinite) or (isinstance(value, float) and not math.isfinite(value)):
        raise _Bad(RejectReason.NOT_FINITE, field, f"{field}={value!r} is not a finite number")
    if value is None:
        raise _Bad(RejectReason.BAD_SHAPE, field, f"{field} is missing")
    if type(value) is not int:
        raise _Bad(RejectReason.NOT_INTEGER, field, f"{field}={value!r} is not an integer")
    if value < 0 and low >= 0:
        raise _Bad(RejectReason.NEGATIVE, field, f"{field}={value} is negative")
    if value < low or (high is not None and value > high):
        bounds = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise _Bad(RejectReason.OUT_OF_RANGE, field, f"{field}={value} is not in {bounds}")
    return value


def _amount(parse: Callable[[object], Decimal], value: object, field: str) -> Decimal:
    """``parse(value)``, or :class:`_Bad` naming ``field`` (a missing value is ``bad_shape``)."""
    if value is None:
        raise _Bad(RejectReason.BAD_SHAPE, field, f"{field} is missing")
    try:
        return parse(value)
    except AmountError as bad:
        raise _Bad(bad.reason, field, f"{field}: {bad.detail}") from None


def _object(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(RejectReason.BAD_SHAPE, field, f"{field} must be an object")
    return value


def _request_id(data: dict[str, Any]) -> int | None:
    ident = data.get("id")
    return ident if type(ident) is int else None


def _sequenced(data: dict[str, Any], context: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Read ``msg.market_ticker``, ``sid`` and ``seq`` into ``context``, ticker first."""
    msg = data.get("msg")
    ticker = msg.get("market_ticker") if isinstance(msg, dict) else None
    if isinstance(ticker, str) and TICKER.fullmatch(ticker):
        context["ticker"] = ticker
    context["sid"] = _int(data.get("sid"), "sid", low=1)
    context["seq"] = _int(data.get("seq"), "seq", low=1)
    msg = _object(msg, "msg")
    if "ticker" not in context:
        raise _Bad(RejectReason.BAD_SHAPE, "msg.market_ticker", "market_ticker is missing or bad")
    return msg, context["ticker"]


def _levels(value: object, field: str, prices: PriceParser) -> Levels:
    """One snapshot side: ``[[price_dollars, count_fp], ...]``; absent (``None``) is empty."""
    if value is None:
        return ()
    if type(value) is not list:
        raise _Bad(RejectReason.BAD_SHAPE, field, f"{field} must be a list of [price, size]")
    known_prices, known_sizes = prices.accepted, SIZES  # the hot path: one dict lookup each
    levels: dict[Decimal, Decimal] = {}
    for pair in value:
        if type(pair) is not list or len(pair) != 2:
            raise _Bad(RejectReason.BAD_SHAPE, field, f"{field} must hold [price, size] pairs")
        price_text, size_text = pair
        price = known_prices.get(price_text) if type(price_text) is str else None
        if price is None:
            price = _amount(prices.parse, price_text, f"{field}.price")
        size = known_sizes.get(size_text) if type(size_text) is str else None
        if size is None:
            size = _amount(parse_size, size_text, f"{field}[{price_text}].size")
        if price in levels:
            detail = f"{field} lists {price_text} twice"
            raise _Bad(RejectReason.DUPLICATE_PRICE, f"{field}.price", detail)
        levels[price] = size
    return tuple(sorted(levels.items()))


def _snapshot(data: dict[str, Any], context: dict[str, Any], grids: PriceGrids) -> Snapshot:
    msg, ticker = _sequenced(data, context)
    prices = grids.parser(ticker)
    yes = _levels(msg.get("yes_dollars_fp"), "yes_dollars_fp", prices)
    no = _levels(msg.get("no_dollars_fp"), "no_dollars_fp", prices)
    return Snapshot(context["sid"], context["seq"], ticker, yes, no)


def _delta(data: dict[str, Any], context: dict[str, Any], grids: PriceGrids) -> Delta:
    msg, ticker = _sequenced(data, context)
    prices = grids.parser(ticker)
    text = msg.get("price_dollars")
    price = prices.accepted.get(text) if type(text) is str else None
    if price is None:
        price = _amount(prices.parse, text, "price_dollars")
    text = msg.get("delta_fp")
    change = CHANGES.get(text) if type(text) is str else None
    if change is None:
        change = _amount(parse_change, text, "delta_fp")
    side = msg.get("side")
    ts_ms = msg.get("ts_ms")
    if ts_ms is not None:
        ts_ms = _int(ts_ms, "msg.ts_ms", low=0, high=MAX_TS_MS)
    if side == "yes":
        return Delta(context["sid"], context["seq"], ticker, Side.YES, price, change, ts_ms)
    if side == "no":
        return Delta(context["sid"], context["seq"], ticker, Side.NO, price, change, ts_ms)
    raise _Bad(RejectReason.BAD_SHAPE, "side", f"side={side!r} is not 'yes' or 'no'")


def _subscribed(data: dict[str, Any], _context: dict[str, Any], _grids: PriceGrids) -> Subscribed:
    msg = _object(data.get("msg"), "msg")
    channel = msg.get("channel")
    if not isinstance(channel, str):
        raise _Bad(RejectReason.BAD_SHAPE, "msg.channel", "channel is missing")
    return Subscribed(_request_id(data), channel, _int(msg.get("sid"), "msg.sid", low=1))


def _unsubscribed(
    data: dict[str, Any], _context: dict[str, Any], _grids: PriceGrids
) -> Unsubscribed:
    return Unsubscribed(_request_id(data), _int(data.get("sid"), "sid", low=1))


def _heartbeat(_data: dict[str, Any], _context: dict[str, Any], _grids: PriceGrids) -> Heartbeat:
    return Heartbeat()


def _ok(data: dict[str, Any], _context: dict[str, Any], _grids: PriceGrids) -> Acknowledged:
    return Acknowledged(_request_id(data), _optional_sid(data.get("sid")))


def _optional_sid(value: object) -> int | None:
    return value if type(value) is int and value >= 1 else None


def _error(data: dict[str, Any], _context: dict[str, Any], _grids: PriceGrids) -> ErrorReply:
    msg = data.get("msg")
    msg = msg if isinstance(msg, dict) else {}
    raw, text = msg.get("code"), str(msg.get("msg", ""))[:200]
    code: int | None = None
    if type(raw) is int:
        code = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 9:
        code = int(raw)
    elif raw is not None:
        text = f"{str(raw)[:40]}: {text}"
    sid = _optional_sid(data.get("sid"))
    if sid is None:
        sid = _optional_sid(msg.get("sid"))
    ticker = msg.get("market_ticker")
    ticker = ticker if isinstance(ticker, str) and TICKER.fullmatch(ticker) else None
    return ErrorReply(_request_id(data), code, text, sid, ticker)


_PARSERS: dict[str, Callable[[dict[str, Any], dict[str, Any], PriceGrids], Frame]] = {
    "orderbook_snapshot": _snapshot,
    "orderbook_delta": _delta,
    "subscribed": _subscribed,
    "unsubscribed": _unsubscribed,
    "heartbeat": _heartbeat,
    "ok": _ok,
    "error": _error,
}


def subscribe_command(request_id: int, ticker: str) -> str:
    """The text of a subscription to ``ticker``'s order book (one market per subscription)."""
    params = {"channels": ["orderbook_delta"], "market_tickers": [ticker]}
    return json.dumps({"id": request_id, "cmd": "subscribe", "params": params})


def unsubscribe_command(request_id: int, sid: int) -> str:
    return json.dumps({"id": request_id, "cmd": "unsubscribe", "params": {"sids": [sid]}})


def resync_command(request_id: int, sid: int, ticker: str) -> str:
    """``update_subscription`` ``get_snapshot``: re-send ``ticker``'s snapshot on ``sid``
    (exactly one sid per command) without ending the subscription."""
    params = {"sids": [sid], "market_tickers": [ticker], "action": "get_snapshot"}
    return json.dumps({"id": request_id, "cmd": "update_subscription", "params": params})


def error_action(reply: ErrorReply) -> ErrorAction:
    """Kalshi's error codes as the feed's :class:`~actors.venues.ErrorAction`."""
    if reply.code in TERMINAL_CODES:
        return ErrorAction.RESUBSCRIBE
    if reply.code == ALREADY_SUBSCRIBED:
        return ErrorAction.ALREADY_SUBSCRIBED
    if reply.code == UNKNOWN_SID:
        return ErrorAction.UNKNOWN_SUBSCRIPTION
    return ErrorAction.REFUSED


class StreamSigner(Protocol):
    """What signs Kalshi's requests (``actors.venues.kalshi._signing.KalshiSigner``):
    the websocket upgrade's headers, and each REST request's. Their values are
    secrets: nothing here logs, prints or keeps them."""

    def websocket_headers(self) -> dict[str, str]: ...

    def headers(self, method: str, path: str) -> dict[str, str]: ...


@attrs.frozen
class KalshiSession:
    """One connection of Kalshi's stream: one frame per message, nothing kept."""

    grids: PriceGrids

    def parse(self, text: str | bytes) -> tuple[Frame]:
        return (parse_frame(text, grids=self.grids),)

    def outgoing(self, text: str) -> str:
        return text  # Kalshi's commands are sent as the protocol wrote them


@attrs.frozen
class KalshiMarketData:
    """Kalshi's ``orderbook_delta`` channel and market listing as the feed's
    :class:`~actors.venues.MarketDataProtocol`.

    ``signer`` (optional: the embedded simulated venue needs none) signs the
    websocket handshake and each discovery request; it is left out of the repr
    and of equality so that no key material can be printed through this object.
    """

    signer: StreamSigner | None = attrs.field(default=None, repr=False, eq=False)

    def session(self, grids: PriceGrids) -> KalshiSession:
        return KalshiSession(grids)

    def keepalive_text(self) -> str | None:
        return None  # Kalshi sends websocket pings and answers ours; no text keep-alive

    def parse_frame(self, text: str | bytes, *, grids: PriceGrids) -> Frame:
        return parse_frame(text, grids=grids)

    def subscribe_command(self, request_id: int, ticker: str) -> str:
        return subscribe_command(request_id, ticker)

    def unsubscribe_command(self, request_id: int, sid: int) -> str:
        return unsubscribe_command(request_id, sid)

    def resync_command(self, request_id: int, sid: int, ticker: str) -> str | None:
        return resync_command(request_id, sid, ticker)

    def error_action(self, reply: ErrorReply) -> ErrorAction:
        return error_action(reply)

    def handshake_headers(self) -> list[tuple[str, str]]:
        """The signed headers of ``GET /trade-api/ws/v2`` (none without a signer)."""
        return [] if self.signer is None else list(self.signer.websocket_headers().items())

    def rest_headers(self, method: str, path: str) -> list[tuple[str, str]]:
        """The signed headers of one REST request (none without a signer)."""
        return [] if self.signer is None else list(self.signer.headers(method, path).items())

    async def list_markets(
        self, client: httpx.AsyncClient, selection: MarketSelection, *, payout: Decimal
    ) -> MarketListing:
        return await _list_markets(client, selection, payout=payout)


KALSHI_MARKET_DATA = KalshiMarketData()
