"""The venue's websocket frames, parsed into typed frames; anything bad becomes :class:`Rejected`.

Wire shapes (Kalshi trade API v2 with fixed-point money, see docs/venue-sim.md)::

    {"type": "subscribed", "id": 1, "msg": {"channel": "orderbook_delta", "sid": 1}}
    {"type": "orderbook_snapshot", "sid": 1, "seq": 1,
     "msg": {"market_ticker": "SIM-001", "yes_dollars_fp": [["0.5500", "40.00"]],
             "no_dollars_fp": [["0.4200", "30.00"]]}}
    {"type": "orderbook_delta", "sid": 1, "seq": 2,
     "msg": {"market_ticker": "SIM-001", "price_dollars": "0.4200", "delta_fp": "-5.00",
             "side": "no"}}
    {"type": "heartbeat", "ts": 1700000000.0}
    {"type": "unsubscribed", "id": 2, "sid": 1}
    {"type": "error", "id": 3, "msg": {"code": "bad_sids", "msg": "..."}}

A snapshot side's key is absent when that side is empty.  Prices and sizes
become exact ``Decimal`` dollars and contracts (:mod:`._amounts`): a price is
checked against its market's grid (:class:`~._amounts.PriceGrids`, Kalshi's
``linear_cent`` 0.01 unless told otherwise) and never rounded.

:func:`parse_frame` never raises for bad input: text that is not JSON, a
``NaN`` or ``Infinity`` (which Python's ``json`` would otherwise accept), a
number where a decimal string belongs, a string that is not plain fixed point,
too many decimals, a price off its grid or outside ``(0, payout)``, a negative
size, a zero size or change, a float, bool or string where an integer (``sid``,
``seq``) belongs, a repeated price or a missing field all yield a
:class:`Rejected` naming the reason, the field and, as far as they could be
read, the market, ``sid`` and ``seq`` (even from cut-off JSON, so the caller
can tell which market's stream is broken).  Book-level checks (crossing, a
level driven below zero, seq contiguity) belong to the holder of the book: see
``_books``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from actors.domain import Levels, Side
from actors.venues._amounts import (
    CHANGES,
    SIZES,
    AmountError,
    NonFinite,
    PriceGrids,
    PriceParser,
    parse_change,
    parse_size,
)
from actors.venues._frames import (
    TICKER,
    Delta,
    ErrorReply,
    Frame,
    Heartbeat,
    Rejected,
    Snapshot,
    Subscribed,
    Unsubscribed,
)
from actors.venues._reasons import RejectReason

__all__ = [
    "Delta",
    "ErrorReply",
    "Frame",
    "Heartbeat",
    "RejectReason",
    "Rejected",
    "Snapshot",
    "Subscribed",
    "Unsubscribed",
    "parse_frame",
    "subscribe_command",
    "unsubscribe_command",
]


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
        data = json.loads(text, parse_constant=NonFinite)
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
    if side == "yes":
        return Delta(context["sid"], context["seq"], ticker, Side.YES, price, change)
    if side == "no":
        return Delta(context["sid"], context["seq"], ticker, Side.NO, price, change)
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


def _error(data: dict[str, Any], _context: dict[str, Any], _grids: PriceGrids) -> ErrorReply:
    msg = data.get("msg")
    msg = msg if isinstance(msg, dict) else {}
    return ErrorReply(_request_id(data), str(msg.get("code", "")), str(msg.get("msg", "")))


_PARSERS: dict[str, Callable[[dict[str, Any], dict[str, Any], PriceGrids], Frame]] = {
    "orderbook_snapshot": _snapshot,
    "orderbook_delta": _delta,
    "subscribed": _subscribed,
    "unsubscribed": _unsubscribed,
    "heartbeat": _heartbeat,
    "error": _error,
}


def subscribe_command(request_id: int, ticker: str) -> str:
    """The text of a subscription to ``ticker``'s order book (one market per subscription)."""
    params = {"channels": ["orderbook_delta"], "market_tickers": [ticker]}
    return json.dumps({"id": request_id, "cmd": "subscribe", "params": params})


def unsubscribe_command(request_id: int, sid: int) -> str:
    return json.dumps({"id": request_id, "cmd": "unsubscribe", "params": {"sids": [sid]}})


@attrs.frozen
class KalshiMarketData:
    """Kalshi's ``orderbook_delta`` channel as the feed's
    :class:`~actors.venues.MarketDataProtocol`."""

    def parse_frame(self, text: str | bytes, *, grids: PriceGrids) -> Frame:
        return parse_frame(text, grids=grids)

    def subscribe_command(self, request_id: int, ticker: str) -> str:
        return subscribe_command(request_id, ticker)

    def unsubscribe_command(self, request_id: int, sid: int) -> str:
        return unsubscribe_command(request_id, sid)


KALSHI_MARKET_DATA = KalshiMarketData()
