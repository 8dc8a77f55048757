"""One market's order book: two bid books (YES and NO) with price-time priority.

A Kalshi-style binary market has no asks: a YES bid at ``p`` and a NO bid
at ``q`` trade with each other when ``p + q >= 1`` (dollars).  The best YES
ask is therefore ``1 - best NO bid`` and the best NO ask ``1 - best YES bid``.
Prices and sizes are exact ``Decimal``; the book never rounds.

The book only stores and orders resting entries; deciding who trades with
whom is :mod:`warden.venue._engine`'s job.  Entries are any object with
``order_id``, ``account`` and a mutable ``remaining`` count; the book keeps
the per-level total in step with them through :meth:`reduce` and
:meth:`remove`, and raises ``KeyError`` for an entry it does not hold.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from decimal import Decimal
from typing import Protocol

from warden.venue._model import PAYOUT, ZERO, WireSide


class Resting(Protocol):
    order_id: str
    account: str
    remaining: Decimal


class OrderBook:
    """The resting bids of one market, FIFO within each price level."""

    def __init__(self, ticker: str) -> None:
        self.ticker = ticker
        self._queues: dict[WireSide, dict[Decimal, deque[Resting]]] = {
            WireSide.YES: {},
            WireSide.NO: {},
        }
        self._sizes: dict[WireSide, dict[Decimal, Decimal]] = {WireSide.YES: {}, WireSide.NO: {}}

    def add(self, side: WireSide, price: Decimal, entry: Resting) -> None:
        """Queue ``entry`` at the back of its level (it arrived last)."""
        assert entry.remaining > 0, entry
        self._queues[side].setdefault(price, deque()).append(entry)
        self._sizes[side][price] = self._sizes[side].get(price, ZERO) + entry.remaining

    def reduce(self, side: WireSide, price: Decimal, entry: Resting, count: Decimal) -> None:
        """Take ``count`` off ``entry`` (it traded); drop it once nothing remains."""
        assert 0 < count <= entry.remaining, (count, entry)
        entry.remaining -= count
        self._shrink(side, price, count)
        if entry.remaining == 0:
            self._queues[side][price].remove(entry)
            self._drop_empty(side, price)

    def remove(self, side: WireSide, price: Decimal, entry: Resting) -> Decimal:
        """Take ``entry`` off the book (it was canceled); return the size it had."""
        self._queues[side][price].remove(entry)
        self._shrink(side, price, entry.remaining)
        self._drop_empty(side, price)
        return entry.remaining

    def levels(self, side: WireSide) -> list[list[Decimal]]:
        """``[[price, size], ...]`` in ascending price, as Kalshi sends it."""
        side = WireSide(side)
        return [[price, size] for price, size in sorted(self._sizes[side].items())]

    def size_at(self, side: WireSide, price: Decimal) -> Decimal:
        """The resting size at ``price`` on the ``side`` bid book (0 if no level)."""
        return self._sizes[WireSide(side)].get(price, ZERO)

    def best_bid(self, side: WireSide) -> Decimal | None:
        sizes = self._sizes[WireSide(side)]
        return max(sizes) if sizes else None

    def best_ask(self, side: WireSide) -> Decimal | None:
        """The cheapest price at which ``side`` can be bought now: 1 - best opposite bid."""
        bid = self.best_bid(WireSide(side).other)
        return None if bid is None else PAYOUT - bid

    def makers_for(self, side: WireSide, limit: Decimal) -> Iterator[tuple[Decimal, Resting]]:
        """Resting entries an incoming ``side`` bid at ``limit`` may trade with.

        Those are bids on the other side at ``>= 1 - limit``, best price
        first, oldest first within a price.  Iterate over a copy if the book is
        changed meanwhile.
        """
        other = side.other
        floor = PAYOUT - limit
        for price in sorted((p for p in self._queues[other] if p >= floor), reverse=True):
            for entry in list(self._queues[other][price]):
                yield price, entry

    def _shrink(self, side: WireSide, price: Decimal, count: Decimal) -> None:
        self._sizes[side][price] -= count
        assert self._sizes[side][price] >= 0

    def _drop_empty(self, side: WireSide, price: Decimal) -> None:
        if not self._queues[side][price]:
            del self._queues[side][price]
            assert self._sizes[side][price] == 0
            del self._sizes[side][price]
