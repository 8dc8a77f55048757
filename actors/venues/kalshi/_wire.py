"""The venue's JSON, read strictly: orders, fills, positions, books, markets, errors.

Money arrives as Kalshi's fixed-point strings and leaves as ``Decimal``
(docs/money.md): prices as ``*_dollars`` (1-4 decimals, inside ``(0, 1)``),
counts as ``*_fp`` (0-2 decimals), other dollar amounts (``fee_cost``,
``*_dollars`` of positions and balance) with up to 6 decimals, the most
Kalshi's responses emit.  A JSON number where a string is required, a
malformed or over-precise string, or a missing field raises ``Malformed``
naming the field and the order (or fill, or market) it belongs to; the client
turns that into a :class:`~actors.errors.VenueServerError`, so malformed venue
data fails closed exactly like any other unreadable answer.
:func:`error_for` maps a non-2xx answer onto the typed venue errors (table in
:mod:`._client`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from actors.domain import Action, Fill, OrderIntent, Side
from actors.errors import (
    InsufficientBalance,
    InvalidFieldError,
    InvalidOrder,
    VenueAuthError,
    VenueError,
    VenueRateLimited,
    VenueServerError,
)
from actors.money import EXACT, ONE, LotSize, PriceGrid, parse_price, parse_size
from actors.venues._trading import VenueOrder, VenuePosition
from actors.venues._wire import Malformed, get, naming, retry_after_seconds

__all__ = [
    "DEFAULT_GRID",
    "PRICE_PLACES",
    "SIZE_PLACES",
    "Malformed",
    "balance_from_wire",
    "created_from_wire",
    "cutoff_from_wire",
    "error_for",
    "fill_from_wire",
    "get",
    "grids_from_wire",
    "levels_from_wire",
    "order_from_wire",
    "position_from_wire",
    "private_fill_from_wire",
    "user_order_from_wire",
]

_ORDER_STATUSES = frozenset({"resting", "executed", "canceled"})

PRICE_PLACES = 4
"""Decimals of a Kalshi price string: always 4 on output, 1-4 accepted."""

SIZE_PLACES = 2
"""Decimals of a Kalshi count string (``*_fp``): always 2 on output, 0-2 accepted."""

_AMOUNT_PLACES = 6
"""Kalshi's ``FixedPointDollars`` responses carry up to 6 decimals."""

DEFAULT_GRID = PriceGrid(Decimal("0.01"), places=PRICE_PLACES)
"""Kalshi's ``linear_cent`` structure: what a market's grid is unless its ``price_ranges``
say otherwise."""

_WIRE_PRICES = PriceGrid(Decimal("0.0001"), places=PRICE_PLACES)
"""Any price the wire can carry: 4 decimals, inside ``(0, 1)``.  Prices read back from
the venue are checked against this, not a market's grid (the venue is the grid's owner)."""

_WIRE_COUNTS = LotSize(Decimal("0.01"), places=SIZE_PLACES)
_WIRE_AMOUNTS = LotSize(Decimal("0.000001"), places=_AMOUNT_PLACES)


# -- parsing ---------------------------------------------------------------------------


def _optional_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise Malformed(f"{key!r} is not a string: {value!r}")
    return value


def _fixed(
    key: str, value: object, parse: Callable[[object], Decimal], *, signed: bool = False
) -> Decimal:
    """``value`` read by ``parse`` (a checked money parser); ``signed`` allows one leading
    ``-``.  Raises ``Malformed`` naming ``key`` and saying which rule the value broke."""
    negative = signed and isinstance(value, str) and value.startswith("-")
    try:
        parsed = parse(value[1:] if negative and isinstance(value, str) else value)
    except InvalidFieldError as error:
        raise Malformed(f"{key!r} {error.rule}, got {value!r}") from None
    return -parsed if negative else parsed


def _price(text: object, key: str = "price") -> Decimal:
    return _fixed(key, text, lambda v: parse_price(v, _WIRE_PRICES))


def _count(text: object, key: str = "count", *, signed: bool = False) -> Decimal:
    return _fixed(key, text, lambda v: parse_size(v, _WIRE_COUNTS), signed=signed)


def _amount(text: object, key: str = "amount", *, signed: bool = False) -> Decimal:
    """A dollar amount with the decimals the venue sent (``"0.0100"`` stays 0.0100):
    unlike prices and counts, amounts have no one canonical width (Kalshi: up to 6)."""

    def as_sent(value: object) -> Decimal:
        parse_size(value, _WIRE_AMOUNTS)  # the format check; raises
        assert isinstance(value, str)  # parse_size accepts only strings
        return Decimal(value)

    return _fixed(key, text, as_sent, signed=signed)


def _field(record: Any, key: str, read: Callable[[object, str], Decimal]) -> Decimal:
    if not isinstance(record, dict) or key not in record:
        raise Malformed(f"missing {key!r}")
    return read(record[key], key)


def _signed_count(text: object, key: str) -> Decimal:
    return _count(text, key, signed=True)


def _signed_amount(text: object, key: str) -> Decimal:
    return _amount(text, key, signed=True)


def _side_price(record: dict[str, Any], side: Side) -> Decimal:
    return _field(record, f"{side.value}_price_dollars", _price)


def order_from_wire(record: Any) -> VenueOrder:
    """Parse the venue's order object; raises ``Malformed`` naming the order."""
    try:
        return _order(record)
    except Malformed as error:
        named = naming(record, "order", "order_id", "client_order_id")
        raise Malformed(f"{named}: {error}") from None


def _direction(record: Any) -> Side:
    """The outcome a record is long: ``outcome_side`` (Kalshi's canonical direction
    field; the legacy ``side``/``action`` are deprecated and never read). Buy-YES and
    sell-NO are both ``yes``; buy-NO and sell-YES both ``no``."""
    try:
        return Side(get(record, "outcome_side", str))
    except ValueError as error:
        raise Malformed(str(error)) from None


def _order(record: Any) -> VenueOrder:
    side = _direction(record)
    status = get(record, "status", str)
    if status not in _ORDER_STATUSES:
        raise Malformed(f"unknown order status {status!r}")
    return VenueOrder(
        order_id=get(record, "order_id", str),
        client_order_id=_optional_str(record, "client_order_id") or None,
        ticker=get(record, "ticker", str),
        side=side,
        action=Action.BUY,
        status=status,
        price=_side_price(record, side),
        initial_count=_field(record, "initial_count_fp", _count),
        fill_count=_field(record, "fill_count_fp", _count),
        remaining_count=_field(record, "remaining_count_fp", _count),
        cancel_reason=_optional_str(record, "cancel_reason"),
    )


def created_from_wire(answer: Any, intent: OrderIntent, time_in_force: str) -> VenueOrder:
    """The order V2's create answer describes (``order_id``, ``fill_count``,
    ``remaining_count``), stated as ``intent`` (side, action, price, count).

    The answer has no status: nothing remaining is ``executed`` if all filled,
    else ``canceled`` (an immediate-or-cancel order's unfilled rest is cancelled
    before the answer: its ``remaining_count`` "reflects the final state"); some
    remaining is ``resting``. Raises ``Malformed`` for counts that do not add up."""
    try:
        return _created(answer, intent, time_in_force)
    except Malformed as error:
        raise Malformed(f"created order {intent.client_order_id!r}: {error}") from None


def _created(answer: Any, intent: OrderIntent, time_in_force: str) -> VenueOrder:
    filled = _field(answer, "fill_count", _count)
    remaining = _field(answer, "remaining_count", _count)
    if filled + remaining > intent.count:
        raise Malformed(f"fill_count {filled} + remaining_count {remaining} > {intent.count}")
    if remaining and time_in_force != "good_till_canceled":
        raise Malformed(f"{time_in_force} order with remaining_count {remaining}")
    status = "resting" if remaining else "executed" if filled == intent.count else "canceled"
    return VenueOrder(
        order_id=get(answer, "order_id", str),
        client_order_id=intent.client_order_id,
        ticker=intent.ticker,
        side=intent.side,
        action=intent.action,
        status=status,
        price=intent.price,
        initial_count=intent.count,
        fill_count=filled,
        remaining_count=remaining,
    )


def cutoff_from_wire(answer: Any) -> Mapping[str, str]:
    """``GET /historical/cutoff``'s timestamps, by name (strings as sent)."""
    if not isinstance(answer, dict):
        raise Malformed(f"cutoff is not an object: {answer!r}")
    cutoffs = {k: v for k, v in answer.items() if isinstance(v, str)}
    if not cutoffs:
        raise Malformed(f"no cutoff timestamps in {sorted(answer)!r}")
    return cutoffs


def fill_from_wire(record: Any, client_order_id: str | None = None) -> Fill:
    """Parse the venue's fill object into a domain :class:`Fill`; raises ``Malformed``
    naming the fill (trade id and order id).

    Kalshi's fills carry no client order id (removed 2026-03-30): the caller
    passes the one it knows for the fill's ``order_id``; a fill of an order placed
    without one (by hand, not by us) gets ``venue-<order_id>`` so it can still be
    recorded and de-duplicated. The direction is the canonical one: a BUY of
    ``outcome_side`` at that side's price (see :func:`_direction`); the caller that
    knows the order's intent restates it (:meth:`~actors.domain.Fill.as_direction`).
    """
    try:
        return _fill(record, client_order_id)
    except Malformed as error:
        raise Malformed(f"{naming(record, 'fill', 'trade_id', 'order_id')}: {error}") from None


def _fill(record: Any, client_order_id: str | None) -> Fill:
    side = _direction(record)
    fill_id = get(record, "fill_id", str) if "fill_id" in record else get(record, "trade_id", str)
    try:
        return Fill(
            fill_id=fill_id,
            client_order_id=client_order_id or f"venue-{get(record, 'order_id', str)}",
            ticker=get(record, "ticker", str),
            side=side,
            action=Action.BUY,
            price=_side_price(record, side),
            count=_field(record, "count_fp", _count),
            fee=_field(record, "fee_cost", _amount),
        )
    except ValueError as error:  # a domain validator refused a field
        raise Malformed(str(error)) from None


def _yes_leg_price(record: Any, side: Side) -> Decimal:
    """The price of ``side`` from ``yes_price_dollars``, the one price the private
    channels carry (a NO price is ``1 - yes``, exactly as the REST lists state it)."""
    yes = _field(record, "yes_price_dollars", _price)
    return yes if side is Side.YES else ONE - yes


def user_order_from_wire(msg: Any) -> VenueOrder:
    """The ``msg`` of a ``user_order`` frame (asyncapi ``userOrderPayload``) as a
    :class:`VenueOrder`, stated as Kalshi states it (a BUY of ``outcome_side``, like
    :func:`order_from_wire`); raises ``Malformed`` naming the order."""
    try:
        return _user_order(msg)
    except Malformed as error:
        named = naming(msg, "user_order", "order_id", "client_order_id")
        raise Malformed(f"{named}: {error}") from None


def _user_order(msg: Any) -> VenueOrder:
    side = _direction(msg)
    status = get(msg, "status", str)
    if status not in _ORDER_STATUSES:
        raise Malformed(f"unknown order status {status!r}")
    return VenueOrder(
        order_id=get(msg, "order_id", str),
        client_order_id=_optional_str(msg, "client_order_id") or None,
        ticker=get(msg, "ticker", str),
        side=side,
        action=Action.BUY,
        status=status,
        price=_yes_leg_price(msg, side),
        initial_count=_field(msg, "initial_count_fp", _count),
        fill_count=_field(msg, "fill_count_fp", _count),
        remaining_count=_field(msg, "remaining_count_fp", _count),
    )


def private_fill_from_wire(msg: Any) -> tuple[str, Fill]:
    """The ``msg`` of a ``fill`` frame (asyncapi ``fillPayload``): ``(order_id, fill)``,
    the fill read exactly as :func:`fill_from_wire` reads a listed one (``trade_id`` is
    the listed ``fill_id``; price from ``yes_price_dollars``; ``fee_cost``), named by
    the frame's ``client_order_id`` when it carries one, else ``venue-<order_id>``.
    Raises ``Malformed`` naming the fill."""
    try:
        side = _direction(msg)
        order_id = get(msg, "order_id", str)
        try:
            fill = Fill(
                fill_id=get(msg, "trade_id", str),
                client_order_id=_optional_str(msg, "client_order_id") or f"venue-{order_id}",
                ticker=get(msg, "market_ticker", str),
                side=side,
                action=Action.BUY,
                price=_yes_leg_price(msg, side),
                count=_field(msg, "count_fp", _count),
                fee=_field(msg, "fee_cost", _amount),
            )
        except ValueError as error:  # a domain validator refused a field
            raise Malformed(str(error)) from None
    except Malformed as error:
        raise Malformed(f"{naming(msg, 'fill', 'trade_id', 'order_id')}: {error}") from None
    return order_id, fill


def position_from_wire(record: Any) -> VenuePosition:
    """Parse one of the venue's ``market_positions``; raises ``Malformed`` naming it."""
    try:
        return VenuePosition(
            ticker=get(record, "ticker", str),
            position=_field(record, "position_fp", _signed_count),
            market_exposure=_field(record, "market_exposure_dollars", _amount),
            realized_pnl=_field(record, "realized_pnl_dollars", _signed_amount),
            fees_paid=_field(record, "fees_paid_dollars", _amount),
        )
    except Malformed as error:
        raise Malformed(f"{naming(record, 'position', 'ticker')}: {error}") from None


def balance_from_wire(answer: Any) -> Decimal:
    """Free cash in dollars, from ``balance_dollars`` (the integer ``balance`` in
    cents is Kalshi's legacy copy and is not read).  Signed: the simulated venue's
    free cash can dip below zero by rounding fees (docs/venue-sim.md)."""
    return _field(answer, "balance_dollars", _signed_amount)


def levels_from_wire(book: Any, key: str) -> tuple[tuple[Decimal, Decimal], ...]:
    """One side of a book: ``[[price_dollars, count_fp], ...]`` under ``key``.

    An absent key is an empty side (as on Kalshi's websocket snapshot); a level
    that is not a pair of fixed-point strings raises ``Malformed`` naming it.
    """
    if not isinstance(book, dict):
        raise Malformed(f"book is not an object: {book!r}")
    if key not in book:
        return ()
    levels = get(book, key, list)
    out = []
    for level in levels:
        if not (isinstance(level, list) and len(level) == 2):
            raise Malformed(f"bad {key} level {level!r}")
        out.append((_price(level[0], f"{key} price"), _count(level[1], f"{key} count")))
    return tuple(out)


def grids_from_wire(markets: Any) -> Mapping[str, PriceGrid]:
    """Each listed market's :class:`PriceGrid`, from its ``price_ranges``.

    A market without ``price_ranges`` is on :data:`DEFAULT_GRID` (``linear_cent``).
    Raises ``Malformed`` naming the market for ranges that are not Kalshi's
    ``[{"start", "end", "step"}]`` dollar strings or do not make a grid.
    """
    if not isinstance(markets, list):
        raise Malformed(f"markets is not a list: {markets!r}")
    grids: dict[str, PriceGrid] = {}
    for market in markets:
        ticker = get(market, "ticker", str)
        try:
            grids[ticker] = _grid(ticker, market.get("price_ranges"))
        except Malformed as error:
            raise Malformed(f"market {ticker!r}: {error}") from None
    return grids


def _grid(ticker: str, ranges: object) -> PriceGrid:
    if ranges is None:
        return attrs.evolve(DEFAULT_GRID, ticker=ticker)
    if not isinstance(ranges, list) or not ranges:
        raise Malformed(f"'price_ranges' is not a non-empty list: {ranges!r}")
    # normalised, so the grid (and every error about it) says 0.001, not 0.001000
    bands = [
        tuple(_field(band, key, _amount).normalize(EXACT) for key in ("start", "end", "step"))
        for band in ranges
    ]
    # One grid per market for now: with several bands (a tapered structure) the finest
    # step is used over the whole range, which accepts every valid price and a few more;
    # one grid per band comes with issue 13.
    start = min(band[0] for band in bands)
    end = max(band[1] for band in bands)
    step = min(band[2] for band in bands)
    try:
        return PriceGrid(
            step,
            payout=ONE,
            min_price=start if start > 0 else step,
            max_price=end if end < ONE else ONE - step,
            places=PRICE_PLACES,
            ticker=ticker,
        )
    except InvalidFieldError as error:
        raise Malformed(f"'price_ranges' {ranges!r} make no grid: {error}") from None


# -- errors ----------------------------------------------------------------------------


def error_for(
    status: int,
    body: Any,
    *,
    endpoint: str,
    client_order_id: str | None = None,
    retry_after: str | None = None,
) -> VenueError:
    """The typed error for a non-2xx answer (see the module docstring's table).

    Kalshi's error body is ``{"code", "message", "details"}`` (its OpenAPI
    ``ErrorResponse``); a 429 says ``{"error": "too many requests"}``; an older
    nesting ``{"error": {"code", "message"}}`` is read too. None of it is trusted
    beyond a short code and message for the operator."""
    code, message = _error_text(body)
    text = f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    cid = client_order_id
    if status == 429:
        seconds = retry_after_seconds(retry_after)
        return VenueRateLimited(text, endpoint=endpoint, retry_after=seconds, client_order_id=cid)
    if status >= 500:
        return VenueServerError(text, endpoint=endpoint, status=status, client_order_id=cid)
    if status in (401, 403):
        return VenueAuthError(text, endpoint=endpoint, client_order_id=cid)
    if code in _NO_MONEY:
        return InsufficientBalance(text, endpoint=endpoint, client_order_id=cid)
    if 400 <= status < 500:
        return InvalidOrder(text, endpoint=endpoint, client_order_id=cid)
    unexpected = f"unexpected HTTP {status}"
    return VenueServerError(unexpected, endpoint=endpoint, status=status, client_order_id=cid)


_NO_MONEY = frozenset({"insufficient_balance", "available_balance_too_low"})
"""Kalshi's codes for an order the account cannot pay for (``available_balance_too_low``
replaced the generic code on 2026-01-26: docs changelog)."""


def _error_text(body: Any) -> tuple[str | None, str | None]:
    """``(code, message)`` of an error body, each a short string or None."""
    if not isinstance(body, dict):
        return None, None
    nested = body.get("error")
    if isinstance(nested, dict):
        body = nested
    elif isinstance(nested, str) and "message" not in body:
        return None, nested[:200]
    code, message = body.get("code"), body.get("message")
    return (
        code[:80] if isinstance(code, str) and code else None,
        message[:200] if isinstance(message, str) and message else None,
    )
