"""The exposure of one event: what its holdings can still lose (docs/baskets.md §3).

Pure functions over :class:`~actors.risk.Holding` values, shared by risk and the
chaos checker (``warden.chaos``); no I/O, no state.

A :class:`Holding` per market already nets YES+NO pairs of that market (the venue
nets them) and keeps ``open_cost``, the cost basis of the market's excess side.
On top, in a mutually exclusive and exhaustive event (exactly one market settles
YES), holding the same side of *every* market forms **complete sets**: one YES of
each pays ``payout`` whatever wins, one NO of each pays ``(N - 1) x payout``.
Only complete sets hedge: nothing is hedged until every leg is held, so a partly
filled basket's exposure is the cost of its filled legs and a complete one's is 0
(or its loss, if it was bought above what it pays).  The true worst case of a
partial set (two NO legs of three, say) is lower; it is ignored on purpose.
Cross-market sets are never *realised* (the venue does not net them): a complete
basket shows exposure 0, never a profit.

Every sum is exact (:data:`actors.money.EXACT`); the one division, a set's
share of a market's open cost, rounds *down* (as ``Holding`` does), so the part
left outside the sets, counted in full, is never understated.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext

from actors.domain import Event, Side
from actors.money import EXACT
from actors.risk._holdings import Holding, _share

ZERO = Decimal(0)


def complete_sets(event: Event, holdings: Mapping[str, Holding]) -> tuple[Side | None, Decimal]:
    """``(side, k)``: ``k`` complete sets of ``side`` held in ``event``.

    ``k`` is the smallest excess over ALL of the event's markets when every
    market's excess is on ``side``; ``(None, 0)`` when the event is not
    exclusive, a market of it is not in ``holdings`` or even, or the excess
    sides differ.  Holdings of markets outside the event are ignored.
    """
    if not event.exclusive:
        return None, ZERO
    side: Side | None = None
    smallest: Decimal | None = None
    for ticker in event.markets:
        holding = holdings.get(ticker)
        if holding is None or holding.excess_side is None:
            return None, ZERO
        if side is None:
            side = holding.excess_side
        elif holding.excess_side is not side:
            return None, ZERO
        excess = holding.excess
        smallest = excess if smallest is None else min(smallest, excess)
    if side is None or smallest is None:  # an event has >= 1 market: never, kept for mypy
        return None, ZERO
    return side, smallest


def set_cost(event: Event, holdings: Mapping[str, Holding]) -> Decimal:
    """The open cost of the complete sets held in ``event`` (each market's share
    of its open cost, rounded down); 0 without sets."""
    side, sets = complete_sets(event, holdings)
    if side is None or sets <= 0:
        return ZERO
    with localcontext(EXACT):
        return sum(
            (_share(holdings[t].open_cost, sets, holdings[t].excess) for t in event.markets),
            ZERO,
        )


def event_exposure(event: Event, holdings: Mapping[str, Holding]) -> Decimal:
    """What the holdings of ``event``'s markets can still lose, in dollars (>= 0).

    ``(sum of open_cost - set_cost) + max(0, set_cost - hedged)`` where
    ``set_cost`` is the complete sets' share of the open cost and ``hedged``
    what they pay whatever wins: ``payout x k`` for YES sets, ``payout x k x
    (N - 1)`` for NO sets (``N`` markets).  Without complete sets it is the
    sum of the markets' open cost; for an event of one market, that market's
    ``open_cost`` exactly.  Never below the true worst case ``max(0, open
    cost - min over outcomes of what the holdings pay)``.  Holdings of
    markets outside the event are ignored.
    """
    with localcontext(EXACT):
        total = sum(
            (holdings[t].open_cost for t in event.markets if t in holdings),
            ZERO,
        )
        side, sets = complete_sets(event, holdings)
        if side is None or sets <= 0:
            return total
        cost = set_cost(event, holdings)
        winners = 1 if side is Side.YES else len(event.markets) - 1
        hedged = event.payout * sets * winners
        return (total - cost) + max(ZERO, cost - hedged)
