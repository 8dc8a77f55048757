"""Execution's lines in the daemon's history (``kind: order``): what was asked of the venue.

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

from decimal import Decimal

from loguru import logger

from actors.domain import OrderIntent
from actors.execution._wire import VenueOrder


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
