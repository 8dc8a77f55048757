"""What the venue told execution, as ledger events and positions (pure).

Counts are ``Decimal`` contracts and prices and cash ``Decimal`` dollars; sums
and products run under :data:`actors.money.EXACT`, so nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from actors.domain import Action, Fill, Position, Side
from actors.execution._workflows import ReconcileResult
from actors.messages import FillRecorded, LedgerEvent, VenueReconciled
from actors.money import EXACT, ONE
from actors.persistence import venue_point_audit
from actors.venues import VenueOrder, VenuePosition

__all__ = ["ledger_events", "positions_from", "reconcile_events"]


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


def reconcile_events(
    result: ReconcileResult, *, source: str = "execution"
) -> tuple[LedgerEvent, ...]:
    """Every venue fill, every venue order with a client order id, then what was seen
    (the orders listed or looked up) and, when read, the venue's clock before listing
    (:func:`~actors.persistence.venue_point_audit`, by ``source``): the next
    reconciliation's point, so in the same Record. The ledger finishes an order the
    venue did not list by its fills (recorded first, in the same Record): an order
    with fills was sent, so it is never expired as never sent (``EXPIRED ->
    FILLED``, found by chaos runs)."""
    seen = tuple(o.client_order_id for o in result.orders if o.client_order_id is not None)
    fills = tuple(FillRecorded(fill) for fill in result.fills)
    updates = ledger_events(result.orders, ())
    point = () if result.venue_point is None else (venue_point_audit(result.venue_point, source),)
    return (*fills, *updates, VenueReconciled(seen), *point)


def positions_from(
    fills: Iterable[Fill],
    venue_positions: Iterable[VenuePosition],
    *,
    fills_complete: bool = True,
) -> tuple[Position, ...]:
    """Positions as the venue holds them: YES/NO counts from the venue's net
    position (it nets pairs at once), cash from the fills (price x count and fees)
    plus the payout of every pair the venue netted.  All in exact ``Decimal``.

    Without ``fills_complete`` (reconciliation listed only the recent fills:
    :attr:`ReconcileResult.listed_since`) the fills say nothing of what a position
    cost, so every cash is 0: "nothing known", which risk costs at the worst
    (:meth:`~actors.risk.Holding.seeded`) where it adopts the venue's position."""
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
        if position is None:  # the venue lists none: what the fills add up to (if all)
            position = EXACT.subtract(held[Side.YES], held[Side.NO]) if fills_complete else zero
        yes, no = max(position, zero), max(EXACT.minus(position), zero)
        netted_pairs = max(zero, EXACT.subtract(held[Side.YES], yes))
        payout = payouts.get(ticker, ONE)
        settled = EXACT.multiply(payout, netted_pairs)
        positions.append(
            Position(
                ticker,
                yes_count=yes,
                no_count=no,
                cash=EXACT.add(cash.get(ticker, zero), settled) if fills_complete else zero,
                payout=payout,
            )
        )
    return tuple(positions)
