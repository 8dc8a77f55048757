"""Basket arbitrage as a strategy: every market of an exclusive event, bought on one side.

The money logic is :func:`actors.strategy._basket.propose_basket`; this module
keeps what it needs between books (the latest book of every market, each
market's event, grid and lot) and turns its answer into a
:class:`~actors.strategy.Proposal` whose legs follow the event's market order.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from actors import _checks
from actors.domain import Action, BookSnapshot, Event, Leg, Level
from actors.messages import EventsListed, Holdings
from actors.money import FeeSchedule, KalshiFees
from actors.strategy._basket import Ask, OutcomeBook, propose_basket
from actors.strategy._catalog import Catalog
from actors.strategy._protocol import Proposal


def _min_edge(instance: Any, attribute: Any, value: Any) -> None:
    if not _checks.is_decimal(value) or value <= 0:
        _checks.fail(instance, attribute.name, value, "must be a finite Decimal > 0 (dollars)")


def _max_markets(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (type(value) is not int or value < 2):
        _checks.fail(instance, attribute.name, value, "must be None or an integer >= 2")


def _ask(level: Level | None) -> Ask | None:
    return None if level is None else Ask(level.price, level.size)


@attrs.define
class BasketArbitrage:
    """Buy YES of every market of an exclusive event for less than one payout, or NO of
    every market for less than ``N - 1`` payouts (``docs/strategies.md``).

    On a book of a market of an exclusive event whose every market has a book
    and a grid (``EventsListed``), prices both baskets at the best asks with
    ``schedule``'s taker fees and proposes the better one if its worst-case
    edge is at least ``min_edge``; one size for every leg, at most
    ``max_count``, within every leg's top level and on every leg's lot.
    Nothing for a market of a non-exclusive or unknown event, an event of
    more than ``max_markets`` markets (``None``: any size), or while a market
    of the event has no book (never had one, or went stale).

    Construction raises :class:`~actors.errors.InvalidFieldError` for a
    ``min_edge`` that is not a ``Decimal`` > 0, a bad ``max_count`` or a
    ``max_markets`` that is not ``None`` or an integer >= 2.
    """

    schedule: FeeSchedule = attrs.field(factory=KalshiFees)
    min_edge: Decimal = attrs.field(default=Decimal("0.01"), validator=_min_edge)
    max_count: Decimal = attrs.field(default=Decimal(10), validator=_checks.size)
    max_markets: int | None = attrs.field(default=None, validator=_max_markets)
    name: str = "basket_arbitrage"
    wants_holdings: bool = attrs.field(default=False, init=False)
    _catalog: Catalog = attrs.field(factory=Catalog, init=False)
    _books: dict[str, BookSnapshot] = attrs.field(factory=dict, init=False)

    @property
    def max_event_markets(self) -> int | None:
        return self.max_markets

    def on_events(self, listed: EventsListed) -> None:
        self._catalog.update(listed)

    def on_stale(self, ticker: str) -> None:
        self._books.pop(ticker, None)

    def on_holdings(self, holdings: Holdings) -> None:
        """Not used."""

    # `now` is the protocol's; this strategy needs no clock
    def on_book(self, book: BookSnapshot, now: float) -> Sequence[Proposal]:  # noqa: ARG002
        self._books[book.ticker] = book
        event = self._catalog.event_of(book.ticker, book.payout)
        if not event.exclusive:
            return ()
        if self.max_markets is not None and len(event.markets) > self.max_markets:
            return ()
        outcomes = self._outcomes(event)
        if outcomes is None:
            return ()
        found = propose_basket(
            outcomes, payout=event.payout, min_edge=self.min_edge, max_size=self.max_count
        )
        if found is None:
            return ()
        legs = tuple(
            Leg(leg.ticker, leg.side, Action.BUY, leg.price, leg.size, payout=event.payout)
            for leg in found.legs
        )
        reason = f"{found.kind.value} {found.size}x edge ${found.worst_case_edge}"
        return (Proposal(event, legs, reason=reason),)

    def _outcomes(self, event: Event) -> list[OutcomeBook] | None:
        """Each market's best asks, grid and lot, in the event's order; None if one is missing."""
        outcomes = []
        for ticker in event.markets:
            book, market = self._books.get(ticker), self._catalog.market(ticker)
            if book is None or market is None or book.payout != event.payout:
                return None
            top = book.top_of_book()
            outcomes.append(
                OutcomeBook(
                    ticker,
                    _ask(top.yes_ask),
                    _ask(top.no_ask),
                    market.grid,
                    market.lot,
                    self.schedule,
                )
            )
        return outcomes
