"""Polymarket's binary markets as warden sees them, read from Gamma (and the CLOB).

A warden market (a "ticker") is one Polymarket binary market named by its
condition id (``"0x"`` + 64 hex digits); its YES and NO outcome tokens are
attributes of it (:class:`PolymarketMarket`).  Three listings describe one:

- Gamma ``GET /markets`` items and the ``markets`` of ``GET /events`` items
  (camelCase): ``conditionId``; ``clobTokenIds`` and ``outcomes``, each a
  JSON-encoded string list (``"[\\"123\\", \\"456\\"]"``; a real list is read
  too: recorded ``market_slug.json`` has one); ``orderPriceMinTickSize`` and
  ``orderMinSize`` (numbers); ``negRisk``, ``active``, ``closed``,
  ``acceptingOrders`` (booleans); ``feeSchedule.rate`` (the taker fee rate).
- The CLOB's ``GET /markets/{condition_id}`` (snake_case, recorded
  ``market.json``): ``tokens[{token_id, outcome}]``, ``minimum_tick_size``,
  ``minimum_order_size``, ``neg_risk``, ``active``, ``closed``,
  ``accepting_orders``.

Which token is YES: the token paired (by position) with the outcome ``"Yes"``
(any case); a market whose two outcomes are not Yes and No (e.g. two teams)
takes its first-listed outcome as YES, as Polymarket's own clients do.  The
tick must be one of Polymarket's ticks (:data:`TICKS`).  ``negRisk`` absent
means False (Gamma leaves it out of plain markets); an event's ``negRisk``
applies to its markets that do not state their own.  ``active`` is
``active and not closed and acceptingOrders`` (``acceptingOrders`` absent:
not held against it).  ``fee_rate`` is Gamma's ``feeSchedule.rate`` (the rate
of ``fee = C x rate x p(1-p)``); absent, or read from the CLOB listing (whose
``taker_base_fee`` is CLOB V1's signed bps, not this rate), it is 0.

Parsing is strict and all-or-nothing: anything missing or malformed raises
:class:`PolymarketDataError` naming the field and the market (or event); a
parser never returns half a market.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from actors.venues._wire import load_strict

__all__ = [
    "TICKS",
    "PolymarketDataError",
    "PolymarketMarket",
    "market_from_clob_market",
    "markets_from_gamma_event",
    "markets_from_gamma_market",
]

TICKS = frozenset(Decimal(tick) for tick in ("0.1", "0.01", "0.005", "0.0025", "0.001", "0.0001"))
"""Polymarket's minimum tick sizes (its clients' ROUNDING_CONFIG)."""

CONDITION_ID = re.compile(r"0x[0-9a-fA-F]{64}")
TOKEN_ID = re.compile(r"[0-9]{1,78}")
"""A token id: a uint256 in decimal."""

_PLAIN = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


class PolymarketDataError(ValueError):
    """A Polymarket listing that cannot be read as markets: ``field`` is the bad or
    missing field, ``market`` the condition id (or event slug, or Gamma id) it
    belongs to as far as it could be read; ``missing`` is True when the field is
    absent (rather than malformed)."""

    def __init__(
        self, field: str, detail: str, *, market: str | None = None, missing: bool = False
    ) -> None:
        where = market if market is not None else "unnamed market"
        super().__init__(f"{where}: {field}: {detail}")
        self.field = field
        self.detail = detail
        self.market = market
        self.missing = missing


@attrs.frozen
class PolymarketMarket:
    """One binary market: ``condition_id`` is warden's ticker; ``yes_token`` and
    ``no_token`` are its outcome token ids (decimal strings); ``tick`` its minimum
    tick; ``neg_risk`` whether it trades on the negative-risk exchange; ``event``
    the event slug (or id) it belongs to, if known; ``min_order_size`` the least
    shares of a resting order (0 if unknown); ``fee_rate`` the taker fee rate (0
    if unknown); ``active`` whether it accepts orders."""

    condition_id: str
    yes_token: str
    no_token: str
    tick: Decimal
    neg_risk: bool
    event: str | None
    min_order_size: Decimal
    fee_rate: Decimal
    active: bool


def markets_from_gamma_event(wire: object) -> tuple[PolymarketMarket, ...]:
    """The markets of one Gamma ``/events`` item, in its order, each with ``event``
    set to the event's slug (its id if it has no slug).

    Raises :class:`PolymarketDataError` for an item that is not an event with a
    ``markets`` list, or for any market it cannot read.
    """
    if not isinstance(wire, dict):
        raise PolymarketDataError("event", f"not an object: {type(wire).__name__}")
    name = _event_name(wire)
    markets = wire.get("markets")
    if not isinstance(markets, list):
        raise PolymarketDataError("markets", "missing or not a list", market=name)
    neg_risk = _optional_bool(wire, "negRisk", name)
    return tuple(_gamma_market(item, event=name, neg_risk=bool(neg_risk)) for item in markets)


def markets_from_gamma_market(wire: object) -> PolymarketMarket:
    """One Gamma ``/markets`` item (``event`` from its ``events[0].slug``, if any).

    Raises :class:`PolymarketDataError` naming the field and the market.
    """
    event = None
    if isinstance(wire, dict):
        events = wire.get("events")
        if isinstance(events, list) and events and isinstance(events[0], dict):
            event = _event_name(events[0])
    return _gamma_market(wire, event=event, neg_risk=False)


def market_from_clob_market(wire: object) -> PolymarketMarket:
    """One CLOB ``GET /markets/{condition_id}`` answer (no event, fee rate 0).

    Raises :class:`PolymarketDataError` naming the field and the market.
    """
    if not isinstance(wire, dict):
        raise PolymarketDataError("market", f"not an object: {type(wire).__name__}")
    cid = _condition_id(wire, "condition_id")
    tokens = wire.get("tokens")
    if not isinstance(tokens, list):
        raise PolymarketDataError("tokens", "missing or not a list", market=cid, missing=True)
    if len(tokens) != 2 or not all(isinstance(token, dict) for token in tokens):
        raise PolymarketDataError("tokens", "must be two token objects", market=cid)
    ids = [_token(token.get("token_id"), "tokens.token_id", cid) for token in tokens]
    outcomes = [token.get("outcome") for token in tokens]
    yes, no = _yes_no(ids, _outcomes(outcomes, "tokens.outcome", cid), "tokens", cid)
    return PolymarketMarket(
        condition_id=cid,
        yes_token=yes,
        no_token=no,
        tick=_tick(wire, "minimum_tick_size", cid),
        neg_risk=bool(_optional_bool(wire, "neg_risk", cid)),
        event=None,
        min_order_size=_min_size(wire, "minimum_order_size", cid),
        fee_rate=Decimal(0),
        active=_active(wire, "active", "closed", "accepting_orders", cid),
    )


def _gamma_market(wire: object, *, event: str | None, neg_risk: bool) -> PolymarketMarket:
    if not isinstance(wire, dict):
        where = f"event {event}" if event else None
        raise PolymarketDataError("market", f"not an object: {type(wire).__name__}", market=where)
    cid = _condition_id(wire, "conditionId")
    ids = _json_list(wire, "clobTokenIds", cid)
    tokens = [_token(token, "clobTokenIds", cid) for token in ids]
    outcomes = _outcomes(_json_list(wire, "outcomes", cid), "outcomes", cid)
    yes, no = _yes_no(tokens, outcomes, "clobTokenIds", cid)
    own = _optional_bool(wire, "negRisk", cid)
    return PolymarketMarket(
        condition_id=cid,
        yes_token=yes,
        no_token=no,
        tick=_tick(wire, "orderPriceMinTickSize", cid),
        neg_risk=neg_risk if own is None else own,
        event=event,
        min_order_size=_min_size(wire, "orderMinSize", cid),
        fee_rate=_fee_rate(wire, cid),
        active=_active(wire, "active", "closed", "acceptingOrders", cid),
    )


def _event_name(wire: dict[str, Any]) -> str | None:
    for key in ("slug", "id"):
        value = wire.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _condition_id(wire: dict[str, Any], key: str) -> str:
    value = wire.get(key)
    if value is None:
        raise PolymarketDataError(key, "missing", missing=True)
    if not isinstance(value, str) or not CONDITION_ID.fullmatch(value):
        raise PolymarketDataError(key, f"{str(value)[:80]!r} is not 0x + 64 hex digits")
    return value


def _json_list(wire: dict[str, Any], key: str, cid: str) -> list[Any]:
    """``wire[key]``: a JSON-encoded list (Gamma's way) or a list."""
    value = wire.get(key)
    if value is None:
        raise PolymarketDataError(key, "missing", market=cid, missing=True)
    if isinstance(value, str):
        try:
            value = load_strict(value)
        except ValueError:
            raise PolymarketDataError(key, "not a JSON-encoded list", market=cid) from None
    if not isinstance(value, list):
        raise PolymarketDataError(key, "not a list", market=cid)
    return value


def _token(value: object, field: str, cid: str) -> str:
    if not isinstance(value, str) or not TOKEN_ID.fullmatch(value):
        raise PolymarketDataError(field, f"{str(value)[:80]!r} is not a token id", market=cid)
    return value


def _outcomes(values: list[Any], field: str, cid: str) -> list[str]:
    if not all(isinstance(value, str) and value for value in values):
        raise PolymarketDataError(field, "outcomes must be non-empty strings", market=cid)
    return values


def _yes_no(tokens: list[str], outcomes: list[str], field: str, cid: str) -> tuple[str, str]:
    """(YES token, NO token): tokens and outcomes pair by position."""
    if len(tokens) != 2 or len(outcomes) != 2:
        detail = f"{len(tokens)} tokens and {len(outcomes)} outcomes: a binary market has 2 of each"
        raise PolymarketDataError(field, detail, market=cid)
    if tokens[0] == tokens[1]:
        raise PolymarketDataError(field, "both outcomes have the same token", market=cid)
    names = [outcome.casefold() for outcome in outcomes]
    if names == ["no", "yes"]:
        return tokens[1], tokens[0]
    return tokens[0], tokens[1]


def _number(wire: dict[str, Any], key: str, cid: str) -> Decimal | None:
    """``wire[key]`` as an exact ``Decimal`` (a JSON number or plain decimal text);
    None when absent."""
    value = wire.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PolymarketDataError(key, f"{value!r} is not a number", market=cid)
    if isinstance(value, float) and not math.isfinite(value):
        raise PolymarketDataError(key, f"{value!r} is not a finite number", market=cid)
    text = repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str) and not _PLAIN.fullmatch(value):
        raise PolymarketDataError(key, f"{value[:40]!r} is not plain decimal text", market=cid)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise PolymarketDataError(key, f"{text[:40]!r} is not a number", market=cid) from None


def _tick(wire: dict[str, Any], key: str, cid: str) -> Decimal:
    tick = _number(wire, key, cid)
    if tick is None:
        raise PolymarketDataError(key, "missing", market=cid, missing=True)
    if tick not in TICKS:
        ticks = ", ".join(str(t) for t in sorted(TICKS))
        raise PolymarketDataError(key, f"{tick} is not one of {ticks}", market=cid)
    return next(t for t in TICKS if t == tick)  # the canonical spelling ("0.010" -> 0.01)


def _min_size(wire: dict[str, Any], key: str, cid: str) -> Decimal:
    size = _number(wire, key, cid)
    if size is None:
        return Decimal(0)
    if size < 0:
        raise PolymarketDataError(key, f"{size} is negative", market=cid)
    return size


def _fee_rate(wire: dict[str, Any], cid: str) -> Decimal:
    schedule = wire.get("feeSchedule")
    if schedule is None:
        return Decimal(0)
    if not isinstance(schedule, dict):
        raise PolymarketDataError("feeSchedule", "not an object", market=cid)
    rate = _number(schedule, "rate", cid)
    if rate is None:
        raise PolymarketDataError("feeSchedule.rate", "missing", market=cid, missing=True)
    if not 0 <= rate < 1:
        raise PolymarketDataError("feeSchedule.rate", f"{rate} is not in [0, 1)", market=cid)
    return rate


def _optional_bool(wire: dict[str, Any], key: str, where: str | None) -> bool | None:
    value = wire.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise PolymarketDataError(key, f"{value!r} is not a boolean", market=where)


def _active(wire: dict[str, Any], active: str, closed: str, accepting: str, cid: str) -> bool:
    flags = {}
    for key in (active, closed):
        flags[key] = _optional_bool(wire, key, cid)
        if flags[key] is None:
            raise PolymarketDataError(key, "missing", market=cid, missing=True)
    accepts = _optional_bool(wire, accepting, cid)
    return bool(flags[active]) and not flags[closed] and accepts is not False
