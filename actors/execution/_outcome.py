"""Pure decisions of the execution actor: which orders to send, what their fills mean.

No I/O and no state: every function maps values to values, so the rules are
tested directly.

Outcomes of a reservation of ``count`` per leg (``y``, ``n`` contracts filled):

- ``y == n == count``: FILLED;
- ``y == n == 0``: NONE, or FAILED when a leg could not be placed (error named);
- ``y == n`` otherwise: PARTIAL with no missing leg (hedged, just smaller);
- ``y != n``: the excess of the longer leg is unwound (sold IOC); if all of it
  is sold the result is PARTIAL with no missing leg, otherwise PARTIAL with
  ``missing_leg`` = the shorter side, the detail naming both client order ids.

Counts are ``Decimal`` contracts and prices and cash ``Decimal`` dollars; sums
and products run under :data:`actors.money.EXACT`, so nothing is rounded.
Both legs' prices are checked against the market's price grid before anything
is recorded or sent (:func:`intents_for`).

Unwind price: the unwind sells the excess IOC at ``best bid - unwind_slippage``
(moved up onto the market's grid, at least its lowest price) read from the book
just before.  A resting bid at or above
the limit fills at its own price (the resting order sets the price), so the
unwind takes the best bids first and never sells below the limit: the loss of
leaving the hedge is bounded by the slippage allowance, and whatever the book
cannot absorb within it is reported as a partial position instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import attrs

from actors.domain import Action, Fill, OrderIntent, Position, Side
from actors.execution._client import VenueOrder, VenuePosition
from actors.execution._workflows import LegResult, ReconcileResult
from actors.messages import (
    ExecutionReport,
    FillRecorded,
    IntentRecorded,
    LedgerEvent,
    Outcome,
    Reservation,
    VenueReconciled,
    client_order_id,
)
from actors.money import EXACT, ONE, PriceGrid

__all__ = [
    "UnwindNeeded",
    "intent_events",
    "intents_for",
    "ledger_events",
    "pair_outcome",
    "positions_from",
    "reconcile_events",
    "unwind_client_order_ids",
    "unwind_intent",
    "unwind_outcome",
]


@attrs.frozen
class UnwindNeeded:
    """The legs filled unevenly: sell ``count`` of ``side`` (the longer leg)."""

    side: Side
    count: Decimal


def intents_for(
    reservation: Reservation, grid: PriceGrid | None = None
) -> tuple[OrderIntent, OrderIntent]:
    """Buy YES at ``yes_price`` and NO at ``no_price``, ``count`` each, with the
    reservation's deterministic client order ids. Raises ``InvalidFieldError`` for
    a bad field, or for a price off ``grid`` (the market's grid, when known)."""
    yes_id, no_id = reservation.client_order_ids
    if grid is not None:
        grid.check(reservation.yes_price, "yes_price")
        grid.check(reservation.no_price, "no_price")
    return (
        OrderIntent(
            yes_id, reservation.ticker, Side.YES, Action.BUY, reservation.yes_price,
            reservation.count,
        ),
        OrderIntent(
            no_id, reservation.ticker, Side.NO, Action.BUY, reservation.no_price,
            reservation.count,
        ),
    )  # fmt: skip


def unwind_client_order_ids(reservation_id: str) -> tuple[str, str]:
    """The ids an unwind of the YES / NO leg of ``reservation_id`` is sent under."""
    return (
        client_order_id(f"{reservation_id}:unwind", Side.YES),
        client_order_id(f"{reservation_id}:unwind", Side.NO),
    )


def unwind_intent(reservation: Reservation, need: UnwindNeeded, price: Decimal) -> OrderIntent:
    yes_id, no_id = unwind_client_order_ids(reservation.reservation_id)
    return OrderIntent(
        yes_id if need.side is Side.YES else no_id,
        reservation.ticker,
        need.side,
        Action.SELL,
        price,
        need.count,
    )


def intent_events(reservation_id: str, intents: Iterable[OrderIntent]) -> tuple[LedgerEvent, ...]:
    return tuple(IntentRecorded(intent, reservation_id) for intent in intents)


def ledger_events(
    orders: Iterable[VenueOrder | None], fills: Iterable[Fill]
) -> tuple[LedgerEvent, ...]:
    """``OrderUpdated`` for each order with a client order id, ``FillRecorded`` per fill."""
    events: list[LedgerEvent] = []
    for order in orders:
        update = None if order is None else order.update()
        if update is not None:
            events.append(update)
    events.extend(FillRecorded(fill) for fill in fills)
    return tuple(events)


def _describe(leg: LegResult) -> str:
    state = f"filled {leg.filled}/{leg.intent.count}"
    if leg.error is not None:
        state += f" ({type(leg.error).__name__}: {leg.error})"
    return f"{leg.intent.side.value} {leg.intent.client_order_id} {state}"


def pair_outcome(
    reservation: Reservation, legs: tuple[LegResult, LegResult]
) -> ExecutionReport | UnwindNeeded:
    """The report for two settled legs, or the unwind they need first."""
    yes, no = legs
    fills = yes.fills + no.fills
    rid, count = reservation.reservation_id, reservation.count
    detail = f"{_describe(yes)}; {_describe(no)}"
    if yes.filled != no.filled:
        longer = Side.YES if yes.filled > no.filled else Side.NO
        return UnwindNeeded(longer, abs(EXACT.subtract(yes.filled, no.filled)))
    if yes.filled == count:
        return ExecutionReport(rid, Outcome.FILLED, fills, detail)
    if yes.filled > 0:
        return ExecutionReport(rid, Outcome.PARTIAL, fills, f"balanced, {detail}")
    errors = yes.error is not None or no.error is not None
    return ExecutionReport(rid, Outcome.FAILED if errors else Outcome.NONE, (), detail)


def unwind_outcome(
    reservation: Reservation,
    legs: tuple[LegResult, LegResult],
    need: UnwindNeeded,
    unwind: LegResult | None,
    why: str = "",
) -> ExecutionReport:
    """The report after an unwind attempt (``unwind`` None: none was sent, see ``why``)."""
    fills = legs[0].fills + legs[1].fills + (unwind.fills if unwind is not None else ())
    sold = unwind.filled if unwind is not None else Decimal(0)
    detail = f"{_describe(legs[0])}; {_describe(legs[1])}; unwind {need.side.value} "
    if unwind is not None:
        detail += f"{unwind.intent.client_order_id} sold {sold}/{need.count}"
        if unwind.error is not None:
            detail += f" ({type(unwind.error).__name__}: {unwind.error})"
    else:
        detail += f"not sent: {why}"
    missing = None if sold == need.count else need.side.other
    return ExecutionReport(reservation.reservation_id, Outcome.PARTIAL, fills, detail, missing)


def reconcile_events(result: ReconcileResult) -> tuple[LedgerEvent, ...]:
    """Every venue fill, every venue order with a client order id, then what was seen."""
    seen = tuple(o.client_order_id for o in result.orders if o.client_order_id is not None)
    fills = tuple(FillRecorded(fill) for fill in result.fills)
    updates = ledger_events(result.orders, ())
    return (*fills, *updates, VenueReconciled(seen))


def positions_from(
    fills: Iterable[Fill], venue_positions: Iterable[VenuePosition]
) -> tuple[Position, ...]:
    """Positions as the venue holds them: YES/NO counts from the venue's net
    position (it nets pairs at once), cash from the fills (price x count and fees)
    plus the payout of every pair the venue netted.  All in exact ``Decimal``."""
    zero = Decimal(0)
    cash: dict[str, Decimal] = {}
    payouts: dict[str, Decimal] = {}
    bought: dict[str, dict[Side, Decimal]] = {}
    for fill in fills:
        notional = EXACT.multiply(fill.price, fill.count)
        change = notional if fill.action is Action.SELL else EXACT.minus(notional)
        so_far = cash.get(fill.ticker, zero)
        cash[fill.ticker] = EXACT.subtract(EXACT.add(so_far, change), fill.fee)
        payouts[fill.ticker] = fill.payout
        held = bought.setdefault(fill.ticker, {Side.YES: zero, Side.NO: zero})
        if fill.action is Action.BUY:
            held[fill.side] = EXACT.add(held[fill.side], fill.count)
        else:
            held[fill.side] = EXACT.subtract(held[fill.side], fill.count)
    net = {p.ticker: p.position for p in venue_positions}
    positions = []
    for ticker in sorted(set(cash) | {t for t, n in net.items() if n}):
        held = bought.get(ticker, {Side.YES: zero, Side.NO: zero})
        position = net.get(ticker)
        if position is None:
            position = EXACT.subtract(held[Side.YES], held[Side.NO])
        yes, no = max(position, zero), max(EXACT.minus(position), zero)
        netted_pairs = max(zero, EXACT.subtract(held[Side.YES], yes))
        payout = payouts.get(ticker, ONE)
        settled = EXACT.multiply(payout, netted_pairs)
        positions.append(
            Position(
                ticker,
                yes_count=yes,
                no_count=no,
                cash=EXACT.add(cash.get(ticker, zero), settled),
                payout=payout,
            )
        )
    return tuple(positions)
