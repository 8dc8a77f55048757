"""The venue's websocket frames, parsed into typed frames; anything bad becomes :class:`Rejected`.

Wire shapes (Kalshi trade API v2, see docs/venue-sim.md)::

    {"type": "subscribed", "id": 1, "msg": {"channel": "orderbook_delta", "sid": 1}}
    {"type": "orderbook_snapshot", "sid": 1, "seq": 1,
     "msg": {"market_ticker": "SIM-001", "yes": [[55, 40]], "no": [[42, 30]]}}
    {"type": "orderbook_delta", "sid": 1, "seq": 2,
     "msg": {"market_ticker": "SIM-001", "price": 42, "delta": -5, "side": "no"}}
    {"type": "heartbeat", "ts": 1700000000.0}
    {"type": "unsubscribed", "id": 2, "sid": 1}
    {"type": "error", "id": 3, "msg": {"code": "bad_sids", "msg": "..."}}

:func:`parse_frame` never raises for bad input: text that is not JSON, a
``NaN`` or ``Infinity`` (which Python's ``json`` would otherwise accept), a
float, bool or string where an integer belongs, a negative or out-of-range
number, a repeated price or a missing field all yield a :class:`Rejected`
naming the reason, the field and, as far as they could be read, the market,
``sid`` and ``seq`` (even from cut-off JSON, so the caller can tell which
market's stream is broken).  Book-level checks (crossing, a level driven below
zero, seq contiguity) belong to the holder of the book: see ``_books``.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Callable
from typing import Any, TypeAlias

import attrs

from actors.domain import Levels, Side
from actors.feed._config import TICKER


class RejectReason(enum.Enum):
    """Why a frame (or the book it would make) was refused."""

    BAD_JSON = "bad_json"  # not JSON at all (e.g. cut off)
    NOT_FINITE = "not_finite"  # NaN or +-Infinity where a number belongs
    NOT_INTEGER = "not_integer"  # float, bool, string ... where an integer belongs
    NEGATIVE = "negative"  # a negative price, size, sid or seq
    OUT_OF_RANGE = "out_of_range"  # price outside (0, payout), zero size or change
    BAD_SHAPE = "bad_shape"  # missing field, wrong container, unknown side
    DUPLICATE_PRICE = "duplicate_price"  # a snapshot lists one price twice on a side
    UNKNOWN_TYPE = "unknown_type"  # a frame type the feed does not subscribe to
    WRONG_MARKET = "wrong_market"  # the frame's market is not its subscription's
    CROSSED = "crossed"  # best bids overlap by more than the allowed overlap
    NEGATIVE_LEVEL = "negative_level"  # a delta would leave a level below zero


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
    """The full book of ``ticker``: frame ``seq`` of subscription ``sid``."""

    sid: int
    seq: int
    ticker: str
    yes: Levels
    no: Levels


@attrs.frozen
class Delta:
    """``change`` contracts (signed, non-zero) at ``price`` on the ``side`` bid book."""

    sid: int
    seq: int
    ticker: str
    side: Side
    price: int
    change: int


@attrs.frozen
class Heartbeat:
    """The venue is alive; carries nothing the feed relies on."""


@attrs.frozen
class ErrorReply:
    """The venue refused command ``request_id``."""

    request_id: int | None
    code: str
    message: str


@attrs.frozen
class Rejected:
    """A frame the feed refuses. ``ticker``, ``sid`` and ``seq`` are whatever could be read."""

    reason: RejectReason
    field: str
    detail: str
    ticker: str | None = None
    sid: int | None = None
    seq: int | None = None


Frame: TypeAlias = Subscribed | Unsubscribed | Snapshot | Delta | Heartbeat | ErrorReply | Rejected


class _NonFinite:
    """What a ``NaN`` / ``Infinity`` literal parses to, so the field that held it can be named."""

    __slots__ = ("literal",)

    def __init__(self, literal: str) -> None:
        self.literal = literal

    def __repr__(self) -> str:
        return self.literal


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


def parse_frame(text: str | bytes, *, payout_cents: int = 100) -> Frame:
    """The typed frame ``text`` holds, or :class:`Rejected` saying what is wrong with it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        data = json.loads(text, parse_constant=_NonFinite)
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
        return parse(data, context, payout_cents)
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
    if isinstance(value, _NonFinite) or (isinstance(value, float) and not math.isfinite(value)):
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


def _levels(value: object, field: str, payout: int) -> Levels:
    if not isinstance(value, list):
        raise _Bad(RejectReason.BAD_SHAPE, field, f"{field} must be a list of [price, size]")
    levels: dict[int, int] = {}
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            raise _Bad(RejectReason.BAD_SHAPE, field, f"{field} must hold [price, size] pairs")
        price = _int(pair[0], f"{field}.price", low=1, high=payout - 1)
        size = _int(pair[1], f"{field}[{price}].size", low=1)
        if price in levels:
            raise _Bad(
                RejectReason.DUPLICATE_PRICE, f"{field}.price", f"{field} lists {price} twice"
            )
        levels[price] = size
    return tuple(sorted(levels.items()))


def _snapshot(data: dict[str, Any], context: dict[str, Any], payout: int) -> Snapshot:
    msg, ticker = _sequenced(data, context)
    yes = _levels(msg.get("yes"), "yes", payout)
    no = _levels(msg.get("no"), "no", payout)
    return Snapshot(context["sid"], context["seq"], ticker, yes, no)


def _delta(data: dict[str, Any], context: dict[str, Any], payout: int) -> Delta:
    msg, ticker = _sequenced(data, context)
    price = _int(msg.get("price"), "price", low=1, high=payout - 1)
    change = _int(msg.get("delta"), "delta", low=-(2**63), high=2**63)
    if change == 0:
        raise _Bad(RejectReason.OUT_OF_RANGE, "delta", "delta=0 changes nothing")
    side = msg.get("side")
    if side not in ("yes", "no"):
        raise _Bad(RejectReason.BAD_SHAPE, "side", f"side={side!r} is not 'yes' or 'no'")
    return Delta(context["sid"], context["seq"], ticker, Side(side), price, change)


def _subscribed(data: dict[str, Any], _context: dict[str, Any], _payout: int) -> Subscribed:
    msg = _object(data.get("msg"), "msg")
    channel = msg.get("channel")
    if not isinstance(channel, str):
        raise _Bad(RejectReason.BAD_SHAPE, "msg.channel", "channel is missing")
    return Subscribed(_request_id(data), channel, _int(msg.get("sid"), "msg.sid", low=1))


def _unsubscribed(data: dict[str, Any], _context: dict[str, Any], _payout: int) -> Unsubscribed:
    return Unsubscribed(_request_id(data), _int(data.get("sid"), "sid", low=1))


def _heartbeat(_data: dict[str, Any], _context: dict[str, Any], _payout: int) -> Heartbeat:
    return Heartbeat()


def _error(data: dict[str, Any], _context: dict[str, Any], _payout: int) -> ErrorReply:
    msg = data.get("msg")
    msg = msg if isinstance(msg, dict) else {}
    return ErrorReply(_request_id(data), str(msg.get("code", "")), str(msg.get("msg", "")))


_PARSERS: dict[str, Callable[[dict[str, Any], dict[str, Any], int], Frame]] = {
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
