"""Strategies: pure functions from a book to at most one opportunity.

A strategy never sees time, I/O or actor state: the strategy actor decides
*whether* a book may be traded (fresh, not stale); the strategy decides
*what* is worth trading in it. That split keeps the money logic testable
with nothing but values.
"""

from __future__ import annotations

from typing import Protocol

import attrs

from actors.domain import BookSnapshot, Opportunity
from actors.errors import UnprofitableOpportunityError
from actors.fees import FeeModel
from supervision import validators


class Strategy(Protocol):
    """Anything that turns a validated, fresh book into an opportunity or nothing."""

    @property
    def name(self) -> str:
        """A short name for logs and introspection."""

    def evaluate(self, book: BookSnapshot) -> Opportunity | None:
        """The opportunity in ``book``, or ``None``. Must not raise for a valid book."""


@attrs.frozen
class ComplementArbitrage:
    """Buy YES and NO of one market when ``ask_yes + ask_no + fees < payout``.

    With bids-only books the YES ask is ``payout - best NO bid`` (at that bid's
    size) and the NO ask is ``payout - best YES bid``. The size is the smaller
    of the two top levels, capped at ``max_count``: only the top level is taken
    because the orders are IOC limits at the top prices. Sizing then shrinks
    the count until the net edge (after both taker fees, rounded up per leg)
    is at least ``min_edge_cents`` — fees are not linear in the count, so a
    smaller lot can clear a threshold a larger one misses, and vice versa.
    No opportunity (``None``) when a side is empty or no count clears it.
    """

    fees: FeeModel = attrs.field(factory=FeeModel)
    min_edge_cents: int = attrs.field(default=1, validator=validators.integer(1))
    max_count: int = attrs.field(default=10, validator=validators.integer(1))
    name: str = "complement_arbitrage"

    def evaluate(self, book: BookSnapshot) -> Opportunity | None:
        top = book.top_of_book()
        yes_ask, no_ask = top.yes_ask, top.no_ask
        if yes_ask is None or no_ask is None:
            return None
        if yes_ask.price + no_ask.price >= self.fees.payout_cents:
            return None  # not even before fees
        for count in range(min(yes_ask.size, no_ask.size, self.max_count), 0, -1):
            edge = self.fees.complement_edge_cents(count, yes_ask.price, no_ask.price)
            if edge >= self.min_edge_cents:
                try:
                    return Opportunity(
                        book.ticker, yes_ask.price, no_ask.price, count, fees=self.fees
                    )
                except UnprofitableOpportunityError:  # pragma: no cover - edge checked above
                    return None
        return None
