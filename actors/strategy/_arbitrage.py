"""Strategies: pure functions from a book to at most one opportunity.

A strategy never sees time, I/O or actor state: the strategy actor decides
*whether* a book may be traded (fresh, not stale); the strategy decides
*what* is worth trading in it. That split keeps the money logic testable
with nothing but values.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Protocol

import attrs

from actors import _checks
from actors.domain import BookSnapshot, Opportunity
from actors.errors import UnprofitableOpportunityError
from actors.fees import FeeModel
from actors.money import LotSize

_LOT = LotSize(_checks.SIZE_STEP)
"""Order sizes on Kalshi: multiples of 0.01 contract."""


class Strategy(Protocol):
    """Anything that turns a validated, fresh book into an opportunity or nothing."""

    @property
    def name(self) -> str:
        """A short name for logs and introspection."""

    def evaluate(self, book: BookSnapshot) -> Opportunity | None:
        """The opportunity in ``book``, or ``None``. Must not raise for a valid book."""


def _min_edge(instance: Any, attribute: Any, value: Any) -> None:
    if not _checks.is_decimal(value) or value <= 0:
        _checks.fail(instance, attribute.name, value, "must be a finite Decimal > 0 (dollars)")


def _counts(largest: Decimal) -> Iterator[Decimal]:
    """``largest``, then the whole counts below it down to 1, largest first."""
    yield largest
    whole = largest.to_integral_value(rounding=ROUND_FLOOR)
    if whole == largest:
        whole -= 1
    while whole >= 1:
        yield whole
        whole -= 1


@attrs.frozen
class ComplementArbitrage:
    """Buy YES and NO of one market when ``ask_yes + ask_no + fees < payout``.

    With bids-only books the YES ask is ``payout - best NO bid`` (at that bid's
    size) and the NO ask is ``payout - best YES bid``. The count is the smaller
    of the two top levels, capped at ``max_count`` and rounded down to the lot
    (0.01 contract): only the top level is taken because the orders are IOC
    limits at the top prices. Sizing then tries that count and every whole
    count below it, largest first, until the net edge (after both taker fees,
    with Kalshi's rounding; :meth:`FeeModel.complement_edge`) is at least
    ``min_edge`` dollars — fees are not linear in the count, so a smaller count
    can clear a threshold a larger one misses, and vice versa.  No opportunity
    (``None``) when a side is empty or no count clears it.

    ``min_edge`` is a ``Decimal`` > 0 in dollars; ``max_count`` a ``Decimal``
    > 0 with at most 2 decimals.  Construction raises
    :class:`~actors.errors.InvalidFieldError` otherwise (``int``, ``bool`` and
    ``float`` included).
    """

    fees: FeeModel = attrs.field(factory=FeeModel, validator=_checks.instance_of(FeeModel))
    min_edge: Decimal = attrs.field(default=Decimal("0.01"), validator=_min_edge)
    max_count: Decimal = attrs.field(default=Decimal(10), validator=_checks.size)
    name: str = "complement_arbitrage"

    def evaluate(self, book: BookSnapshot) -> Opportunity | None:
        top = book.top_of_book()
        yes_ask, no_ask = top.yes_ask, top.no_ask
        if yes_ask is None or no_ask is None:
            return None
        if yes_ask.price + no_ask.price >= self.fees.payout:
            return None  # not even before fees
        largest = _LOT.round_down(min(yes_ask.size, no_ask.size, self.max_count))
        if largest <= 0:
            return None
        for count in _counts(largest):
            edge = self.fees.complement_edge(count, yes_ask.price, no_ask.price)
            if edge >= self.min_edge:
                try:
                    return Opportunity(
                        book.ticker, yes_ask.price, no_ask.price, count, fees=self.fees
                    )
                except UnprofitableOpportunityError:  # pragma: no cover - edge checked above
                    return None
        return None
