"""The orders a flight sends, built from its reservation: entry, completion and unwind.

Pure: values in, values out. Every order is an IOC limit order with a
deterministic client order id, :func:`actors.messages.leg_client_order_id` of
(reservation, leg, role, attempt), except the ENTRY order of a leg, which goes
out under the id the reservation carries for it (``ReservedLeg.client_order_id``:
the same id, or a legacy one on a reservation migrated from v3).

Prices are checked before anything is recorded (:func:`priced_for`): every
leg's entry ``price`` must lie on its market's grid (never rounded: a price
off the grid is a bug upstream), and its ``max_price`` (the ceiling of a
completion order) is floored onto the grid (:func:`limit_at_most`), so a
completion never pays above what risk reserved. One bad leg fails the whole
reservation (``InvalidFieldError`` naming the leg).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from actors.domain import Action, OrderIntent, OrderRole
from actors.errors import InvalidFieldError
from actors.messages import (
    IntentRecorded,
    LedgerEvent,
    Reservation,
    ReservedLeg,
    leg_client_order_id,
)
from actors.money import EXACT, PriceGrid

__all__ = [
    "completion_intent",
    "entry_intents",
    "intent_events",
    "limit_at_most",
    "priced_for",
    "unwind_intent",
]


def limit_at_most(ceiling: Decimal, grid: PriceGrid, field_name: str = "max_price") -> Decimal:
    """The highest price on ``grid`` at or below ``ceiling`` (rounded *down* to a tick,
    exactly, and at most ``grid.max_price``): the mirror of
    :func:`~actors.execution._workflows.limit_below`. Raises ``InvalidFieldError``
    naming ``field_name`` when no grid price is that low."""
    units, _rest = EXACT.divmod(ceiling, grid.tick)
    limit = min(EXACT.multiply(units, grid.tick), grid.max_price)
    if limit < grid.min_price:
        raise InvalidFieldError(
            "PriceGrid",
            field_name,
            ceiling,
            f"no price of tick {grid.tick} in [{grid.min_price}, {grid.max_price}] at or below it",
            ticker=grid.ticker,
        )
    return limit


def priced_for(reservation: Reservation, grids: Mapping[str, PriceGrid]) -> Reservation:
    """``reservation`` with every leg's ``max_price`` floored onto its market's grid,
    after checking every leg's ``price`` is on it (``grids`` maps ticker to grid;
    the caller supplies a default for markets it does not know). Raises
    ``InvalidFieldError`` naming ``legs[i].price`` / ``legs[i].max_price`` for the
    first bad leg; nothing else is done with it."""
    legs: list[ReservedLeg] = []
    for leg in reservation.legs:
        grid = grids[leg.ticker]
        grid.check(leg.price, f"legs[{leg.index}].price")
        ceiling = limit_at_most(leg.max_price, grid, f"legs[{leg.index}].max_price")
        legs.append(attrs.evolve(leg, max_price=ceiling))
    return attrs.evolve(reservation, legs=tuple(legs))


def entry_intents(reservation: Reservation) -> tuple[OrderIntent, ...]:
    """One order per leg: its action, side and count at its ``price``, under its
    ENTRY id; in leg order."""
    return tuple(
        OrderIntent(
            leg.client_order_id,
            leg.ticker,
            leg.side,
            leg.action,
            leg.price,
            leg.count,
            payout=leg.payout,
        )
        for leg in reservation.legs
    )


def completion_intent(
    reservation: Reservation, index: int, count: Decimal, attempt: int
) -> OrderIntent:
    """Buy ``count`` more of leg ``index`` at its ``max_price`` (floored onto the grid
    by :func:`priced_for`), under its COMPLETE id of ``attempt``."""
    leg = reservation.legs[index]
    cid = leg_client_order_id(reservation.reservation_id, index, OrderRole.COMPLETE, attempt)
    return OrderIntent(
        cid, leg.ticker, leg.side, Action.BUY, leg.max_price, count, payout=leg.payout
    )


def unwind_intent(
    reservation: Reservation, index: int, count: Decimal, price: Decimal, attempt: int
) -> OrderIntent:
    """Sell ``count`` of leg ``index`` at ``price`` under its UNWIND id of ``attempt``."""
    leg = reservation.legs[index]
    cid = leg_client_order_id(reservation.reservation_id, index, OrderRole.UNWIND, attempt)
    return OrderIntent(cid, leg.ticker, leg.side, Action.SELL, price, count, payout=leg.payout)


def intent_events(
    reservation: Reservation, intents: Iterable[OrderIntent]
) -> tuple[LedgerEvent, ...]:
    """An ``IntentRecorded`` per intent, naming its leg and role."""
    orders = reservation.order_ids()
    events: list[LedgerEvent] = []
    for intent in intents:
        order = orders[intent.client_order_id]
        events.append(IntentRecorded(intent, reservation.reservation_id, order.index, order.role))
    return tuple(events)
