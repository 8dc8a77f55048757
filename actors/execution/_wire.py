"""The venue's JSON, read strictly: orders, fills, positions, books, and error answers.

Parsing raises ``Malformed`` (a 2xx answer we cannot read); the client turns
that into a :class:`~actors.errors.VenueServerError`.  :func:`error_for` maps a
non-2xx answer onto the typed venue errors (table in :mod:`._client`).
"""

from __future__ import annotations

from typing import Any

import attrs

from actors.domain import Action, Fill, OrderState, Side
from actors.errors import (
    InsufficientBalance,
    InvalidOrder,
    VenueAuthError,
    VenueError,
    VenueRateLimited,
    VenueServerError,
)
from actors.messages import OrderUpdated

__all__ = [
    "Malformed",
    "VenueBook",
    "VenueOrder",
    "VenuePosition",
    "error_for",
    "fill_from_wire",
    "get",
    "levels_from_wire",
    "order_from_wire",
    "position_from_wire",
]

_ORDER_STATUSES = frozenset({"resting", "executed", "canceled"})


class Malformed(Exception):
    """The venue answered 2xx with a body we cannot read."""


@attrs.frozen
class VenueOrder:
    """An order as the venue reports it. ``price`` is the price of ``side``."""

    order_id: str
    client_order_id: str | None
    ticker: str
    side: Side
    action: Action
    status: str  # resting | executed | canceled
    price: int
    initial_count: int
    fill_count: int
    remaining_count: int
    cancel_reason: str | None = None

    @property
    def is_resting(self) -> bool:
        return self.status == "resting"

    @property
    def state(self) -> OrderState:
        """The normalised state (see :class:`~actors.domain.OrderState`)."""
        if self.status == "executed":
            return OrderState.FILLED
        if self.status == "canceled":
            return OrderState.CANCELED
        return OrderState.PARTIALLY_FILLED if self.fill_count else OrderState.ACCEPTED

    def update(self) -> OrderUpdated | None:
        """The ledger event for this order, or None if it has no client order id."""
        if self.client_order_id is None:
            return None
        return OrderUpdated(self.client_order_id, self.state, self.fill_count, self.order_id)


@attrs.frozen
class VenuePosition:
    """``position`` is YES minus NO contracts held (the venue nets pairs at once)."""

    ticker: str
    position: int
    fees_paid: int
    resting_orders_count: int


@attrs.frozen
class VenueBook:
    """Resting bids per side, ``(price, size)`` ascending by price."""

    yes: tuple[tuple[int, int], ...]
    no: tuple[tuple[int, int], ...]

    def best_bid(self, side: Side) -> int | None:
        levels = self.yes if side is Side.YES else self.no
        return max((price for price, size in levels if size > 0), default=None)


# -- parsing ---------------------------------------------------------------------------


def get(record: Any, key: str, kind: type) -> Any:
    if not isinstance(record, dict) or key not in record:
        raise Malformed(f"missing {key!r}")
    value = record[key]
    if kind is int and type(value) is not int:
        raise Malformed(f"{key!r} is not an integer: {value!r}")
    if not isinstance(value, kind):
        raise Malformed(f"{key!r} is not {kind.__name__}: {value!r}")
    return value


def _optional_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise Malformed(f"{key!r} is not a string: {value!r}")
    return value


def _side_price(record: dict[str, Any], side: Side) -> int:
    price: int = get(record, f"{side.value}_price", int)
    return price


def order_from_wire(record: Any) -> VenueOrder:
    """Parse the venue's order object; raises ``Malformed``."""
    try:
        side, action = Side(get(record, "side", str)), Action(get(record, "action", str))
    except ValueError as error:
        raise Malformed(str(error)) from None
    status = get(record, "status", str)
    if status not in _ORDER_STATUSES:
        raise Malformed(f"unknown order status {status!r}")
    return VenueOrder(
        order_id=get(record, "order_id", str),
        client_order_id=_optional_str(record, "client_order_id"),
        ticker=get(record, "ticker", str),
        side=side,
        action=action,
        status=status,
        price=_side_price(record, side),
        initial_count=get(record, "initial_count", int),
        fill_count=get(record, "fill_count", int),
        remaining_count=get(record, "remaining_count", int),
        cancel_reason=_optional_str(record, "cancel_reason"),
    )


def fill_from_wire(record: Any) -> Fill:
    """Parse the venue's fill object into a domain :class:`Fill`; raises ``Malformed``.

    A fill of an order placed without a client order id (by hand, not by us)
    gets ``venue-<order_id>`` so it can still be recorded and de-duplicated.
    """
    try:
        side, action = Side(get(record, "side", str)), Action(get(record, "action", str))
        client_id = _optional_str(record, "client_order_id")
        if client_id is None:
            client_id = f"venue-{get(record, 'order_id', str)}"
        return Fill(
            fill_id=get(record, "trade_id", str),
            client_order_id=client_id,
            ticker=get(record, "ticker", str),
            side=side,
            action=action,
            price=_side_price(record, side),
            count=get(record, "count", int),
            fee_cents=get(record, "fee", int),
        )
    except ValueError as error:  # a domain validator refused a field
        raise Malformed(str(error)) from None


def position_from_wire(record: Any) -> VenuePosition:
    return VenuePosition(
        ticker=get(record, "ticker", str),
        position=get(record, "position", int),
        fees_paid=get(record, "fees_paid", int),
        resting_orders_count=get(record, "resting_orders_count", int),
    )


def levels_from_wire(book: Any, side: str) -> tuple[tuple[int, int], ...]:
    levels = get(book, side, list)
    out = []
    for level in levels:
        if not (isinstance(level, list) and len(level) == 2 and all(type(x) is int for x in level)):
            raise Malformed(f"bad {side} level {level!r}")
        out.append((level[0], level[1]))
    return tuple(out)


# -- errors ----------------------------------------------------------------------------


def _retry_after_seconds(header: str | None) -> float:
    """Retry-After in seconds; an HTTP-date or garbage counts as 0 (caller backs off)."""
    if header is None:
        return 0.0
    try:
        seconds = float(header)
    except ValueError:
        return 0.0
    return seconds if 0 <= seconds < float("inf") else 0.0


def error_for(
    status: int,
    body: Any,
    *,
    endpoint: str,
    client_order_id: str | None = None,
    retry_after: str | None = None,
) -> VenueError:
    """The typed error for a non-2xx answer (see the module docstring's table)."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    text = f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    cid = client_order_id
    if status == 429:
        seconds = _retry_after_seconds(retry_after)
        return VenueRateLimited(text, endpoint=endpoint, retry_after=seconds, client_order_id=cid)
    if status >= 500:
        return VenueServerError(text, endpoint=endpoint, status=status, client_order_id=cid)
    if status in (401, 403):
        return VenueAuthError(text, endpoint=endpoint, client_order_id=cid)
    if code == "insufficient_balance":
        return InsufficientBalance(text, endpoint=endpoint, client_order_id=cid)
    if 400 <= status < 500:
        return InvalidOrder(text, endpoint=endpoint, client_order_id=cid)
    unexpected = f"unexpected HTTP {status}"
    return VenueServerError(unexpected, endpoint=endpoint, status=status, client_order_id=cid)
