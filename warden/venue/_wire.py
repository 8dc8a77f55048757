"""Parsing what clients send: JSON bodies, order requests, query parameters.

Everything here raises :class:`BadRequest` naming the offending field and
never anything else, whatever the input — that is what lets the venue answer
garbage with a 4xx and keep serving.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from warden.venue._errors import BadRequest
from warden.venue._model import (
    MAX_PRICE,
    MIN_PRICE,
    PAYOUT_CENTS,
    OrderRequest,
    OrderStatus,
    TimeInForce,
    WireAction,
    WireSide,
)

_E = TypeVar("_E", WireSide, WireAction, TimeInForce, OrderStatus)

MAX_COUNT = 1_000_000
MAX_CLIENT_ORDER_ID = 100
ORDER_FIELDS = frozenset(
    {
        "ticker",
        "side",
        "action",
        "count",
        "type",
        "yes_price",
        "no_price",
        "time_in_force",
        "client_order_id",
    }
)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def load_json(raw: bytes, field: str = "body") -> Any:
    """Decode strict JSON (no NaN or Infinity); ``BadRequest(field)`` otherwise."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BadRequest(field, f"not valid JSON: {error}") from None


def dump_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def _choice(kind: type[_E], field: str, value: object) -> _E:
    if not isinstance(value, str) or value not in {member.value for member in kind}:
        raise BadRequest(field, f"must be one of {sorted(member.value for member in kind)}")
    return kind(value)


def _int(field: str, value: object, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise BadRequest(field, f"must be an integer in [{low}, {high}]")
    return value


def parse_order(body: object) -> OrderRequest:
    """A ``POST /portfolio/orders`` body as an :class:`OrderRequest`.

    Exactly one of ``yes_price`` and ``no_price`` must be given; a YES order
    may give its price as ``no_price`` (meaning ``yes_price = 100 - no_price``)
    and vice versa.  Unknown fields are refused rather than ignored.
    """
    if not isinstance(body, dict):
        raise BadRequest("body", "must be a JSON object")
    unknown = sorted(set(body) - ORDER_FIELDS)
    if unknown:
        raise BadRequest(str(unknown[0]), "unknown field")
    for name in ("ticker", "side", "action", "count", "type"):
        if name not in body:
            raise BadRequest(name, "required")
    ticker = body["ticker"]
    if not isinstance(ticker, str) or not ticker or len(ticker) > 64:
        raise BadRequest("ticker", "must be a non-empty string of at most 64 characters")
    if body["type"] != "limit":
        raise BadRequest("type", "only 'limit' orders are supported")
    side = _choice(WireSide, "side", body["side"])
    action = _choice(WireAction, "action", body["action"])
    count = _int("count", body["count"], 1, MAX_COUNT)
    tif = _choice(TimeInForce, "time_in_force", body.get("time_in_force", "good_till_canceled"))
    prices = {k: body[k] for k in ("yes_price", "no_price") if body.get(k) is not None}
    if len(prices) != 1:
        raise BadRequest("yes_price", "give exactly one of yes_price and no_price")
    ((name, value),) = prices.items()
    price = _int(name, value, MIN_PRICE, MAX_PRICE)
    if name != f"{side}_price":
        price = PAYOUT_CENTS - price
    client_order_id = body.get("client_order_id")
    if client_order_id is not None and (
        not isinstance(client_order_id, str) or not 0 < len(client_order_id) <= MAX_CLIENT_ORDER_ID
    ):
        raise BadRequest("client_order_id", f"must be a string of 1 to {MAX_CLIENT_ORDER_ID}")
    return OrderRequest(ticker, side, action, count, price, tif, client_order_id)


def query_status(value: str | None) -> OrderStatus | None:
    return None if value is None else _choice(OrderStatus, "status", value)


def query_int(field: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(field, "must be an integer") from None
    return _int(field, number, low, high)
