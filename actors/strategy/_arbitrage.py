"""Complement arbitrage: buy YES and NO of one market for less than one payout.

The strategy is pure money logic on the book it is given; the strategy actor
decides *whether* the book may be traded (fresh, not stale, not a repeat) and
prices the two legs into a :class:`~actors.domain.Basket`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import attrs

from actors import _checks
from actors.domain import Action, BookSnapshot, Leg, Side, TopOfBook
from actors.fees import FeeModel
from actors.messages import EventsListed, Holdings
from actors.money import EXACT, LotSize
from actors.strategy._catalog import Catalog
from actors.strategy._protocol import Proposal

_LOT = LotSize(_checks.SIZE_STEP)
"""Order sizes on Kalshi: multiples of 0.01 contract."""


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


def asks_sum(payout: Decimal, best_yes_bid: Decimal, best_no_bid: Decimal) -> Decimal:
    """The YES ask plus the NO ask of a bids-only book, ``(payout - best NO bid) +
    (payout - best YES bid)``, exactly (:data:`~actors.money.EXACT`)."""
    return EXACT.subtract(EXACT.add(payout, payout), EXACT.add(best_yes_bid, best_no_bid))


@attrs.define
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
    can clear a threshold a larger one misses, and vice versa.

    :meth:`on_book` answers one two-leg proposal (index 0 YES, 1 NO) in the
    market's event as the last ``EventsListed`` gave it (a single event if
    none), or nothing when a side is empty or no count clears ``min_edge``.

    ``min_edge`` is a ``Decimal`` > 0 in dollars; ``max_count`` a ``Decimal``
    > 0 with at most 2 decimals.  Construction raises
    :class:`~actors.errors.InvalidFieldError` otherwise (``int``, ``bool`` and
    ``float`` included).
    """

    fees: FeeModel = attrs.field(factory=FeeModel, validator=_checks.instance_of(FeeModel))
    min_edge: Decimal = attrs.field(default=Decimal("0.01"), validator=_min_edge)
    max_count: Decimal = attrs.field(default=Decimal(10), validator=_checks.size)
    name: str = "complement_arbitrage"
    wants_holdings: bool = attrs.field(default=False, init=False)
    max_event_markets: int | None = attrs.field(default=1, init=False)
    _catalog: Catalog = attrs.field(factory=Catalog, init=False)

    def on_events(self, listed: EventsListed) -> None:
        self._catalog.update(listed)

    def on_stale(self, ticker: str) -> None:
        """Nothing to forget: every proposal is made from the book just given."""

    def on_holdings(self, holdings: Holdings) -> None:
        """Not used."""

    # `now` is the protocol's; this strategy needs no clock
    def on_book(self, book: BookSnapshot, now: float) -> Sequence[Proposal]:  # noqa: ARG002
        found = self.best(book)
        if found is None:
            return ()
        count, yes_ask, no_ask = found
        payout = self.fees.payout
        legs = (
            Leg(book.ticker, Side.YES, Action.BUY, yes_ask, count, payout=payout),
            Leg(book.ticker, Side.NO, Action.BUY, no_ask, count, payout=payout),
        )
        edge = self.fees.complement_edge(count, yes_ask, no_ask)
        return (
            Proposal(
                self._catalog.event_of(book.ticker, payout),
                legs,
                reason=f"complement {count}x yes@{yes_ask} no@{no_ask} edge ${edge}",
            ),
        )

    def best(self, book: BookSnapshot) -> tuple[Decimal, Decimal, Decimal] | None:
        """``(count, yes_ask, no_ask)`` of the trade :meth:`on_book` proposes, or None.

        Most books offer nothing: their asks (``payout`` less the other side's best
        bid) sum to a payout or more. That is decided from the best bids alone,
        exactly as from the asks (:func:`asks_sum`), before the top of the book is
        built (it costs more than the rest of a book's evaluation together)."""
        yes_bids, no_bids = book.yes_bids, book.no_bids
        if not yes_bids or not no_bids:
            return None
        if asks_sum(book.payout, yes_bids[-1][0], no_bids[-1][0]) >= self.fees.payout:
            return None  # not even before fees
        return self._sized(book.top_of_book())

    def _sized(self, top: TopOfBook) -> tuple[Decimal, Decimal, Decimal] | None:
        """The largest count at ``top``'s asks whose net edge clears ``min_edge``."""
        yes_ask, no_ask = top.yes_ask, top.no_ask
        if yes_ask is None or no_ask is None:
            return None
        if yes_ask.price + no_ask.price >= self.fees.payout:
            return None
        largest = _LOT.round_down(min(yes_ask.size, no_ask.size, self.max_count))
        if largest <= 0:
            return None
        for count in _counts(largest):
            if self.fees.complement_edge(count, yes_ask.price, no_ask.price) >= self.min_edge:
                return count, yes_ask.price, no_ask.price
        return None
