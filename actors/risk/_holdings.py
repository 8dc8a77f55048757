"""What risk holds in one market: the position, the cost of its unmatched contracts,
and the profit or loss already realised.

A YES+NO pair pays the payout whatever the outcome, so once both legs are held
its profit is certain: risk *realises* it when the pair forms
(``payout - cost of both legs - fees``).  What is left at risk is the cost
basis of the unmatched contracts (the excess of one side): the worst case is
that this side loses.  Costs are average costs, kept in exact integer cents.

Bookkeeping identity, checked by the tests for any sequence of fills::

    position.worst_case_pnl_cents == realised_cents - open_cost_cents

Selling contracts realises ``proceeds - fee - their average cost``.  Selling a
side beyond its unmatched excess breaks pairs: the pair profit was realised
already, so the contract left on the other side takes a cost basis of
``payout - sale price`` and the sale realises only its fee (this keeps the
identity exact).
"""

from __future__ import annotations

import attrs
from attrs import frozen

from actors.domain import Action, Fill, Position, Side


@frozen
class Holding:
    """One market's position plus ``open_cost_cents`` (cost basis of the unmatched
    contracts, never negative, zero when the sides are even) and ``realised_cents``
    (profit realised since this holding was created or seeded; signed)."""

    position: Position
    open_cost_cents: int = 0
    realised_cents: int = 0

    @classmethod
    def empty(cls, ticker: str, payout_cents: int) -> Holding:
        return cls(Position(ticker, payout_cents=payout_cents))

    @classmethod
    def seeded(cls, position: Position) -> Holding:
        """A holding for a position reported by the venue, whose cost split is unknown.

        The unmatched contracts are costed at what the position's cash says was
        paid (``-cash_cents``; a venue that nets pairs has already credited their
        payout there, so this is the position's worst-case loss), and at most the
        payout each; if the cash says nothing was paid, the payout each (nothing
        is known, so assume the worst).  ``realised_cents`` is set so the
        bookkeeping identity holds.
        """
        excess = abs(position.yes_count - position.no_count)
        bound = excess * position.payout_cents
        open_cost = bound if position.cash_cents >= 0 else min(bound, -position.cash_cents)
        return cls(position, open_cost, position.worst_case_pnl_cents + open_cost)

    @property
    def ticker(self) -> str:
        return self.position.ticker

    @property
    def exposure_cents(self) -> int:
        """What this market can still lose: the cost basis of the unmatched contracts."""
        return self.open_cost_cents

    @property
    def excess_side(self) -> Side | None:
        """The side holding more contracts, or ``None`` when even."""
        yes, no = self.position.yes_count, self.position.no_count
        if yes == no:
            return None
        return Side.YES if yes > no else Side.NO

    @property
    def excess(self) -> int:
        return abs(self.position.yes_count - self.position.no_count)

    def apply(self, fill: Fill) -> Holding:
        """The holding after ``fill``; ``self`` never changes.

        Raises :class:`~actors.errors.InvalidFieldError` (from
        :meth:`Position.apply_fill`) for a fill of another market or payout, or
        one that sells more than is held.
        """
        position = self.position.apply_fill(fill)  # validates before any arithmetic
        if fill.action is Action.BUY:
            open_cost, realised = self._after_buy(fill)
        else:
            open_cost, realised = self._after_sell(fill)
        return attrs.evolve(
            self, position=position, open_cost_cents=open_cost, realised_cents=realised
        )

    def _after_buy(self, fill: Fill) -> tuple[int, int]:
        cost = fill.price * fill.count + fill.fee_cents
        excess_side, excess = self.excess_side, self.excess
        if excess_side is None or excess_side is fill.side:
            return self.open_cost_cents + cost, self.realised_cents
        paired = min(fill.count, excess)  # contracts of this fill that complete a pair
        matched_cost = self.open_cost_cents * paired // excess
        fill_cost_paired = fill.price * paired + fill.fee_cents * paired // fill.count
        pair_profit = paired * fill.payout_cents - matched_cost - fill_cost_paired
        open_cost = self.open_cost_cents - matched_cost + (cost - fill_cost_paired)
        return open_cost, self.realised_cents + pair_profit

    def _after_sell(self, fill: Fill) -> tuple[int, int]:
        unmatched = self.excess if self.excess_side is fill.side else 0
        from_excess = min(fill.count, unmatched)
        from_pairs = fill.count - from_excess
        fee_excess = fill.fee_cents * from_excess // fill.count
        fee_pairs = fill.fee_cents - fee_excess
        open_cost, realised = self.open_cost_cents, self.realised_cents
        if from_excess:
            sold_cost = open_cost * from_excess // unmatched
            open_cost -= sold_cost
            realised += fill.price * from_excess - fee_excess - sold_cost
        if from_pairs:
            # the other leg of each broken pair stays, worth payout - price to the book
            open_cost += (fill.payout_cents - fill.price) * from_pairs
            realised -= fee_pairs
        return open_cost, realised
