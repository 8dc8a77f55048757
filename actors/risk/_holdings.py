"""What risk holds in one market: the position, the cost of its unmatched contracts,
and the profit or loss already realised.

A YES+NO pair pays the payout whatever the outcome, so once both legs are held
its profit is certain: risk *realises* it when the pair forms
(``payout - cost of both legs - fees``).  What is left at risk is the cost
basis of the unmatched contracts (the excess of one side): the worst case is
that this side loses.  Costs are average costs in ``Decimal`` dollars, counts
``Decimal`` contracts, all arithmetic under :data:`actors.money.EXACT`.

Bookkeeping identity, checked by the tests for any sequence of fills::

    position.worst_case_pnl == realised - open_cost

Selling contracts realises ``proceeds - fee - their average cost``.  Selling a
side beyond its unmatched excess breaks pairs: the pair profit was realised
already, so the contract left on the other side takes a cost basis of
``payout - sale price`` and the sale realises only its fee (this keeps the
identity exact).

The one division is a pro-rata share (the average cost of some of the
unmatched contracts, the part of a fill's fee that belongs to some of its
contracts).  It is exact when the quotient has at most :data:`SHARE_QUANTUM`'s
six decimals (a 4-decimal price times a 2-decimal count) and otherwise rounded
*down* to it: the share taken out is never more than its due, so what stays in
``open_cost`` (the exposure) is never understated, and the identity holds
whatever the rounding, because the same amount moves on both of its sides.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import attrs
from attrs import frozen

from actors.domain import Action, Fill, Position, Side
from actors.money import EXACT

ZERO = Decimal(0)

SHARE_QUANTUM = Decimal("0.000001")
"""The finest amount a pro-rata share is kept to: a $0.0001 price times 0.01 contracts."""


def _share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``amount x part / whole`` for ``0 <= part <= whole``, ``whole > 0`` and
    ``amount >= 0``: exact when that has at most six decimals, otherwise rounded
    down to :data:`SHARE_QUANTUM`."""
    with localcontext(EXACT):
        return share_in_context(amount, part, whole)


def share_in_context(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """:func:`_share` computed in the current decimal context, for a caller that is
    under :data:`EXACT` already (a replay of many fills enters it once)."""
    numerator = amount * part
    # // truncates toward zero: a floor, as every operand is >= 0
    floored = numerator // (whole * SHARE_QUANTUM) * SHARE_QUANTUM
    if floored * whole == numerator:
        return numerator / whole  # the same value, without padding zeros
    return floored


def share_up(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``amount x part / whole`` (the same domain as :func:`_share`) rounded *up* to
    :data:`SHARE_QUANTUM` when not exact: a cost that bounds a loss from above."""
    with localcontext(EXACT):
        numerator = amount * part
        units, rest = divmod(numerator, whole * SHARE_QUANTUM)
        if rest:
            return (units + 1) * SHARE_QUANTUM
        return numerator / whole


@frozen
class Holding:
    """One market's position plus ``open_cost`` (cost basis of the unmatched
    contracts in dollars, never negative, zero when the sides are even) and
    ``realised`` (profit in dollars realised since this holding was created or
    seeded; signed)."""

    position: Position
    open_cost: Decimal = ZERO
    realised: Decimal = ZERO

    @classmethod
    def empty(cls, ticker: str, payout: Decimal) -> Holding:
        return cls(Position(ticker, payout=payout))

    @classmethod
    def seeded(cls, position: Position) -> Holding:
        """A holding for a position reported by the venue, whose cost split is unknown.

        The unmatched contracts are costed at what the position's cash says was
        paid (``-cash``; a venue that nets pairs has already credited their
        payout there, so this is the position's worst-case loss), and at most the
        payout each; if the cash says nothing was paid, the payout each (nothing
        is known, so assume the worst).  ``realised`` is set so the bookkeeping
        identity holds.
        """
        with localcontext(EXACT):
            excess = abs(position.yes_count - position.no_count)
            bound = excess * position.payout
            open_cost = bound if position.cash >= 0 else min(bound, -position.cash)
            return cls(position, open_cost, position.worst_case_pnl + open_cost)

    @property
    def ticker(self) -> str:
        return self.position.ticker

    @property
    def exposure(self) -> Decimal:
        """What this market can still lose: the cost basis of the unmatched contracts."""
        return self.open_cost

    @property
    def excess_side(self) -> Side | None:
        """The side holding more contracts, or ``None`` when even."""
        yes, no = self.position.yes_count, self.position.no_count
        if yes == no:
            return None
        return Side.YES if yes > no else Side.NO

    @property
    def excess(self) -> Decimal:
        with localcontext(EXACT):
            return abs(self.position.yes_count - self.position.no_count)

    def apply(self, fill: Fill) -> Holding:
        """The holding after ``fill``; ``self`` never changes.

        Raises :class:`~actors.errors.InvalidFieldError` (from
        :meth:`Position.apply_fill`) for a fill of another market or payout, or
        one that sells more than is held.
        """
        position = self.position.apply_fill(fill)  # validates before any arithmetic
        with localcontext(EXACT):
            if fill.action is Action.BUY:
                open_cost, realised = self._after_buy(fill)
            else:
                open_cost, realised = self._after_sell(fill)
        return attrs.evolve(self, position=position, open_cost=open_cost, realised=realised)

    def _after_buy(self, fill: Fill) -> tuple[Decimal, Decimal]:
        cost = fill.price * fill.count + fill.fee
        excess_side, excess = self.excess_side, self.excess
        if excess_side is None or excess_side is fill.side:
            return self.open_cost + cost, self.realised
        paired = min(fill.count, excess)  # contracts of this fill that complete a pair
        matched_cost = _share(self.open_cost, paired, excess)
        fill_cost_paired = fill.price * paired + _share(fill.fee, paired, fill.count)
        pair_profit = paired * fill.payout - matched_cost - fill_cost_paired
        open_cost = self.open_cost - matched_cost + (cost - fill_cost_paired)
        return open_cost, self.realised + pair_profit

    def _after_sell(self, fill: Fill) -> tuple[Decimal, Decimal]:
        unmatched = self.excess if self.excess_side is fill.side else ZERO
        from_excess = min(fill.count, unmatched)
        from_pairs = fill.count - from_excess
        fee_excess = _share(fill.fee, from_excess, fill.count)
        fee_pairs = fill.fee - fee_excess
        open_cost, realised = self.open_cost, self.realised
        if from_excess > 0:
            sold_cost = _share(open_cost, from_excess, unmatched)
            open_cost -= sold_cost
            realised += fill.price * from_excess - fee_excess - sold_cost
        if from_pairs > 0:
            # the other leg of each broken pair stays, worth payout - price to the book
            open_cost += (fill.payout - fill.price) * from_pairs
            realised -= fee_pairs
        return open_cost, realised
