"""Parsing what clients send: JSON bodies, order requests, query parameters.

Everything here raises :class:`BadRequest` naming the offending field and
never anything else, whatever the input — that is what lets the venue answer
garbage with a 4xx and keep serving.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar

from actors import money
from actors.errors import InvalidFieldError
from warden.json_types import Json
from warden.venue._errors import BadRequest
from warden.venue._model import (
    LOT,
    PAYOUT,
    PRICE_PLACES,
    OrderRequest,
    OrderStatus,
    SelfTradePrevention,
    TimeInForce,
    WireAction,
    WireSide,
)

_E = TypeVar("_E", WireSide, WireAction, TimeInForce, OrderStatus, SelfTradePrevention)

MAX_COUNT = Decimal(1_000_000)
MAX_CLIENT_ORDER_ID = 100
PRICE_FIELDS = ("yes_price_dollars", "no_price_dollars")
STP_FIELD = "self_trade_prevention_type"
ORDER_FIELDS = frozenset(
    {
        "ticker",
        "side",
        "action",
        "count_fp",
        "type",
        *PRICE_FIELDS,
        "time_in_force",
        "client_order_id",
    }
)
_ANY_PRICE = money.PriceGrid(Decimal("0.0001"), PAYOUT, places=PRICE_PLACES)
"""The finest grid: checks the format of a price for a ticker the venue does not know."""


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def load_json(raw: bytes, field: str = "body") -> Json:
    """Decode strict JSON (no NaN or Infinity); ``BadRequest(field)`` otherwise."""
    try:
        value: Json = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BadRequest(field, f"not valid JSON: {error}") from None
    return value


def dump_json(value: object) -> bytes:
    """``value`` (JSON data: dicts, lists, strings, numbers, bools, None) as compact JSON.

    Raises ``ValueError`` for a NaN or infinite float and ``TypeError`` for anything
    ``json`` cannot encode."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def _choice(kind: type[_E], field: str, value: object) -> _E:
    if not isinstance(value, str) or value not in {member.value for member in kind}:
        raise BadRequest(field, f"must be one of {sorted(member.value for member in kind)}")
    return kind(value)


def _int(field: str, value: object, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise BadRequest(field, f"must be an integer in [{low}, {high}]")
    return value


def _wire_text(field: str, value: object) -> str:
    """``value`` if it is a string; a JSON number where a string is required is refused."""
    if not isinstance(value, str):
        raise BadRequest(field, f"must be a fixed-point decimal string, not {value!r}")
    return value


def _count(field: str, value: object) -> Decimal:
    text = _wire_text(field, value)
    try:
        count = money.parse_size(text, LOT)
    except InvalidFieldError as error:
        raise BadRequest(field, f"{text!r} {error.rule}") from None
    if not LOT.contains(count) or count > MAX_COUNT:
        raise BadRequest(field, f"must be a multiple of {LOT.step} in [{LOT.step}, {MAX_COUNT}]")
    return count


def _price(field: str, value: object, grid: money.PriceGrid) -> Decimal:
    text = _wire_text(field, value)
    try:
        return money.parse_price(text, grid)
    except InvalidFieldError as error:
        raise BadRequest(field, f"{text!r} {error.rule}") from None


def parse_order(
    body: Json, grids: Mapping[str, money.PriceGrid], *, stp: bool = False
) -> OrderRequest:
    """A ``POST /portfolio/orders`` body as an :class:`OrderRequest`.

    Kalshi's fixed-point fields: ``count_fp`` (a string, 0 to 2 decimals)
    and exactly one of ``yes_price_dollars`` and ``no_price_dollars`` (a
    string, 1 to 4 decimals, on the market's tick grid from ``grids``).  A
    YES order may give its price as ``no_price_dollars`` (meaning ``yes price
    = 1 - no price``) and vice versa.  A JSON number where a string is
    required, an over-precise or off-grid price, and unknown fields (the old
    integer ``count``/``yes_price`` among them) are refused, naming the field.
    An unknown ticker passes here (its price is checked for format only) and
    is refused by the engine with a 404.  With ``stp`` (the realistic mode)
    ``self_trade_prevention_type`` (``taker_at_cross`` or ``maker``) is accepted;
    otherwise it is an unknown field like any other.
    """
    if not isinstance(body, dict):
        raise BadRequest("body", "must be a JSON object")
    allowed = ORDER_FIELDS | {STP_FIELD} if stp else ORDER_FIELDS
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(str(unknown[0]), "unknown field")
    for name in ("ticker", "side", "action", "count_fp", "type"):
        if name not in body:
            raise BadRequest(name, "required")
    ticker = body["ticker"]
    if not isinstance(ticker, str) or not ticker or len(ticker) > 64:
        raise BadRequest("ticker", "must be a non-empty string of at most 64 characters")
    if body["type"] != "limit":
        raise BadRequest("type", "only 'limit' orders are supported")
    side = _choice(WireSide, "side", body["side"])
    action = _choice(WireAction, "action", body["action"])
    count = _count("count_fp", body["count_fp"])
    tif = _choice(TimeInForce, "time_in_force", body.get("time_in_force", "good_till_canceled"))
    prices = {k: body[k] for k in PRICE_FIELDS if body.get(k) is not None}
    if len(prices) != 1:
        raise BadRequest(
            "yes_price_dollars", "give exactly one of yes_price_dollars and no_price_dollars"
        )
    ((name, value),) = prices.items()
    price = _price(name, value, grids.get(ticker, _ANY_PRICE))
    if name != f"{side}_price_dollars":
        price = PAYOUT - price
    client_order_id = body.get("client_order_id")
    if client_order_id is not None and (
        not isinstance(client_order_id, str) or not 0 < len(client_order_id) <= MAX_CLIENT_ORDER_ID
    ):
        raise BadRequest("client_order_id", f"must be a string of 1 to {MAX_CLIENT_ORDER_ID}")
    prevention = None
    if body.get(STP_FIELD) is not None:
        prevention = _choice(SelfTradePrevention, STP_FIELD, body[STP_FIELD])
    return OrderRequest(ticker, side, action, count, price, tif, client_order_id, prevention)


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
