"""Execution's lines in the daemon's history: what was asked of the venue (``kind:
order``) and each step of a basket (``kind: basket``, :func:`basket_line`).

Logged at DEBUG with ``history="order"`` bound; the daemon's history sink turns
each call into one JSONL line (see ``warden.history``); no sink, no file.
``price`` (dollars) and ``count``/``fill_count`` (contracts) are ``Decimal``
and reach the line as their exact strings (``"0.42"``, ``"5.00"``). The
phases of one client order id:

``invoke``
    right before its create-order request leaves the client;
``ok``
    the venue answered with the order (``status``, ``fill_count``);
``fail``
    the venue refused it; ``error`` names the typed error (nothing was placed);
``unknown``
    no usable answer after sending (timeout, dropped connection, 5xx):
    the order may or may not exist;
``resolved``
    a lookup by client order id settled it: ``status``/``fill_count`` of what
    the venue has, or ``status: null`` when it has no such order.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from loguru import logger

from actors.domain import OrderIntent
from actors.messages import BasketProgress, MissingLeg, Reservation
from actors.venues import VenueOrder

if TYPE_CHECKING:
    from actors.execution._workflows import LegResult


def order_line(
    phase: str,
    reservation_id: str | None,
    intent: OrderIntent,
    *,
    detail: str = "",
    error: str | None = None,
    order: VenueOrder | None = None,
) -> None:
    """One ``kind: order`` history line for ``intent``."""
    _line(
        phase,
        reservation_id,
        intent.client_order_id,
        detail=detail,
        error=error,
        order=order,
        ticker=intent.ticker,
        side=intent.side.value,
        action=intent.action.value,
        price=intent.price,
        count=intent.count,
    )


def resolved_line(
    reservation_id: str | None, client_order_id: str, order: VenueOrder | None, detail: str
) -> None:
    """A ``resolved`` line for a lookup that knew only the client order id."""
    if order is None:
        _line("resolved", reservation_id, client_order_id, detail=detail)
        return
    _line(
        "resolved",
        reservation_id,
        client_order_id,
        detail=detail,
        order=order,
        ticker=order.ticker,
        side=order.side.value,
        action=order.action.value,
        price=order.price,
        count=order.initial_count,
    )


def _line(
    phase: str,
    reservation_id: str | None,
    client_order_id: str,
    *,
    detail: str,
    error: str | None = None,
    order: VenueOrder | None = None,
    **order_fields: object,
) -> None:
    outcome: dict[str, object] = {}
    if error is not None:
        outcome["error"] = error
    if phase in ("ok", "resolved"):
        outcome["status"] = order.status if order is not None else None
        outcome["fill_count"] = order.fill_count if order is not None else Decimal(0)
    logger.bind(
        history="order",
        phase=phase,
        client_order_id=client_order_id,
        reservation_id=reservation_id,
        detail=detail,
        **order_fields,
        **outcome,
    ).debug("order {} {}", client_order_id, phase)


def basket_line(
    reservation: Reservation, progress: BasketProgress, missing: Iterable[MissingLeg] = ()
) -> None:
    """One ``kind: basket`` line for ``progress`` (``actors.history.BasketLine``):
    ``placing`` when the entry orders are sent, ``unwinding`` when unwind orders are,
    the other phases when they are recorded; ``missing`` names the short legs by index."""
    logger.bind(
        history="basket",
        reservation_id=progress.reservation_id,
        event_ticker=reservation.event_ticker,
        phase=progress.phase.value,
        attempt=progress.attempt,
        held=progress.held,
        missing=tuple(leg.index for leg in missing),
        outcome=None if progress.outcome is None else progress.outcome.value,
        detail=progress.detail,
    ).debug("basket {} {}", progress.reservation_id, progress.phase.value)


def describe(reservation: Reservation, results: Iterable[LegResult], why: str) -> str:
    """A report's detail: every order the flight placed (leg, role, id, filled, error),
    then ``why`` it settled as it did."""
    orders = reservation.order_ids()
    parts: list[str] = []
    for leg in results:
        intent = leg.intent
        known = orders.get(intent.client_order_id)
        name = f"leg {known.index} {known.role.value}" if known else "order"
        state = f"filled {leg.filled}/{intent.count}"
        if leg.error is not None:
            state += f" ({type(leg.error).__name__}: {leg.error})"
        parts.append(f"{name} {intent.side.value} {intent.client_order_id} {state}")
    parts.append(why)
    return "; ".join(part for part in parts if part)
