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
CENT_FIELDS = ("yes_price", "no_price")
STP_FIELD = "self_trade_prevention_type"
_COMMON_FIELDS = frozenset(
    {
        "ticker",
        "client_order_id",
        "time_in_force",
        STP_FIELD,
        "post_only",
        "reduce_only",
        "cancel_order_on_pause",
        "order_group_id",
        "subaccount",
        "exchange_index",
    }
)
ORDER_FIELDS = _COMMON_FIELDS | {
    "side",
    "action",
    "count",
    "count_fp",
    "type",  # not in create-order.md, but the SDK's CreateOrderRequest sends it
    *CENT_FIELDS,
    *PRICE_FIELDS,
    "expiration_ts",
    "buy_max_cost",
    "sell_position_floor",
}
"""CreateOrderRequest's fields (create-order.md)."""
ORDER_V2_FIELDS = _COMMON_FIELDS | {"side", "count", "price", "expiration_time"}
"""CreateOrderV2Request's fields (create-order-v2.md)."""
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


def _object(body: Json, allowed: frozenset[str]) -> dict[str, Json]:
    if not isinstance(body, dict):
        raise BadRequest("body", "must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(str(unknown[0]), "unknown field")
    return body


def _ticker(body: dict[str, Json]) -> str:
    ticker = body.get("ticker")
    if not isinstance(ticker, str) or not ticker or len(ticker) > 64:
        raise BadRequest("ticker", "required: a non-empty string of at most 64 characters")
    return ticker


def _options(body: dict[str, Json]) -> tuple[str | None, SelfTradePrevention | None]:
    """The client order id and self-trade prevention; refuses the documented options the
    venue does not simulate when they ask for anything but the default."""
    client_order_id = body.get("client_order_id")
    if client_order_id is not None and (
        not isinstance(client_order_id, str) or not 0 < len(client_order_id) <= MAX_CLIENT_ORDER_ID
    ):
        raise BadRequest("client_order_id", f"must be a string of 1 to {MAX_CLIENT_ORDER_ID}")
    for flag in ("post_only", "reduce_only", "cancel_order_on_pause"):
        value = body.get(flag)
        if value is not None and type(value) is not bool:
            raise BadRequest(flag, "must be a boolean")
        if value is True and flag != "cancel_order_on_pause":  # trading never pauses here
            raise BadRequest(flag, "not supported by the simulated venue")
    for name, allowed_values in (
        ("subaccount", {0}),
        ("exchange_index", {0, -1}),
        ("sell_position_floor", {0}),
    ):
        value = body.get(name)
        if value is not None and (type(value) is not int or value not in allowed_values):
            raise BadRequest(name, f"the simulated venue has only {sorted(allowed_values)}")
    for name in ("order_group_id", "expiration_ts", "expiration_time", "buy_max_cost"):
        if body.get(name) is not None:
            raise BadRequest(name, "not supported by the simulated venue")
    prevention = None
    if body.get(STP_FIELD) is not None:
        prevention = _choice(SelfTradePrevention, STP_FIELD, body[STP_FIELD])
    return (client_order_id if isinstance(client_order_id, str) else None), prevention


def _legacy_count(body: dict[str, Json]) -> Decimal:
    """``count`` (whole contracts) or ``count_fp``; "if both provided they must match"."""
    counts: list[tuple[str, Decimal]] = []
    if body.get("count") is not None:
        whole = _int("count", body["count"], 1, int(MAX_COUNT))
        counts.append(("count", Decimal(whole)))
    if body.get("count_fp") is not None:
        counts.append(("count_fp", _count("count_fp", body["count_fp"])))
    if not counts:
        raise BadRequest("count", "provide count or count_fp")
    if len({value for _, value in counts}) > 1:
        raise BadRequest("count_fp", "count and count_fp must match")
    return counts[0][1]


def _legacy_yes_price(body: dict[str, Json], side: WireSide, grid: money.PriceGrid) -> Decimal:
    """The order's price in its own side's terms, from any of ``yes_price``/``no_price``
    (cents 1-99) and ``*_price_dollars``; all given must name the same price."""
    yes_prices: list[tuple[str, Decimal]] = []
    for name in CENT_FIELDS:
        if body.get(name) is not None:
            cents = Decimal(_int(name, body[name], 1, 99)) / 100
            price = _price(name, money.format_price(cents, PRICE_PLACES), grid)
            yes_prices.append((name, price if name == "yes_price" else PAYOUT - price))
    for name in PRICE_FIELDS:
        if body.get(name) is not None:
            price = _price(name, body[name], grid)
            yes_prices.append((name, price if name == "yes_price_dollars" else PAYOUT - price))
    if not yes_prices:
        raise BadRequest("yes_price_dollars", "give a price: yes_price_dollars or no_price_dollars")
    if len({value for _, value in yes_prices}) > 1:
        raise BadRequest(yes_prices[-1][0], "the prices given do not match")
    yes = yes_prices[0][1]
    return yes if side is WireSide.YES else PAYOUT - yes


def parse_order(body: Json, grids: Mapping[str, money.PriceGrid]) -> OrderRequest:
    """A legacy ``POST /portfolio/orders`` body (CreateOrderRequest, create-order.md).

    Required ``ticker``, ``side`` (yes/no), ``action`` (buy/sell), a count
    (``count`` whole contracts or ``count_fp``, matching if both) and a limit
    price: ``yes_price``/``no_price`` (cents) or ``yes_price_dollars``/
    ``no_price_dollars`` (fixed-point strings on the market's grid); a YES
    order may give its price as a NO price (``1 - price``) and vice versa.
    ``type`` (sent by Kalshi's SDK) must be ``limit``.  A JSON number where a
    string is required, an over-precise or off-grid price, and unknown fields
    are refused, naming the field; so are documented options the venue does
    not simulate (``post_only``, ``reduce_only``, expirations, order groups,
    subaccounts) set to anything but their default.  An unknown ticker passes
    here (its price is checked for format only) and is refused by the engine.
    """
    order = _object(body, ORDER_FIELDS)
    ticker = _ticker(order)
    for name in ("side", "action"):
        if name not in order:
            raise BadRequest(name, "required")
    if order.get("type", "limit") != "limit":
        raise BadRequest("type", "only 'limit' orders are supported")
    side = _choice(WireSide, "side", order["side"])
    action = _choice(WireAction, "action", order["action"])
    count = _legacy_count(order)
    tif = _choice(TimeInForce, "time_in_force", order.get("time_in_force", "good_till_canceled"))
    price = _legacy_yes_price(order, side, grids.get(ticker, _ANY_PRICE))
    client_order_id, prevention = _options(order)
    return OrderRequest(ticker, side, action, count, price, tif, client_order_id, prevention)


def parse_order_v2(body: Json, grids: Mapping[str, money.PriceGrid]) -> OrderRequest:
    """A ``POST /portfolio/events/orders`` body (CreateOrderV2Request, create-order-v2.md).

    Required ``ticker``, ``side`` (``bid`` = buy YES at ``price``; ``ask`` = sell
    YES at ``price``, booked as buying NO at ``1 - price``), ``count``
    (FixedPointCount string), ``price`` (FixedPointDollars string, the YES
    leg), ``time_in_force`` and ``self_trade_prevention_type``.  Refusals as
    :func:`parse_order`.
    """
    order = _object(body, ORDER_V2_FIELDS)
    ticker = _ticker(order)
    for name in ("side", "count", "price", "time_in_force", STP_FIELD):
        if order.get(name) is None:
            raise BadRequest(name, "required")
    side = order["side"]
    if side not in ("bid", "ask"):
        raise BadRequest("side", "must be one of ['ask', 'bid']")
    count = _count("count", order["count"])
    price = _price("price", order["price"], grids.get(ticker, _ANY_PRICE))
    tif = _choice(TimeInForce, "time_in_force", order["time_in_force"])
    client_order_id, prevention = _options(order)
    if side == "bid":
        return OrderRequest(
            ticker, WireSide.YES, WireAction.BUY, count, price, tif, client_order_id, prevention
        )
    return OrderRequest(
        ticker, WireSide.NO, WireAction.BUY, count, PAYOUT - price, tif, client_order_id, prevention
    )


def query_csv(value: str | None) -> set[str] | None:
    """A comma-separated query parameter as a set (``None`` when absent or empty)."""
    if not value:
        return None
    return {part for part in value.split(",") if part}


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
