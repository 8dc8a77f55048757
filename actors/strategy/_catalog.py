"""What a strategy knows of the venue's events and markets: the latest ``EventsListed``."""

from __future__ import annotations

from decimal import Decimal

from actors.domain import Event
from actors.messages import EventsListed, MarketInfo
from actors.money import ONE


class Catalog:
    """Events by market and market details, replaced whole by each :meth:`update`.

    A market no event names is its own single event (:meth:`Event.single`),
    which is also what every market is before the first ``EventsListed``.
    When two events name one market (a venue error) the first listed wins.
    """

    def __init__(self) -> None:
        self._events: dict[str, Event] = {}
        self._markets: dict[str, MarketInfo] = {}

    def update(self, listed: EventsListed) -> None:
        events: dict[str, Event] = {}
        for event in listed.events:
            for ticker in event.markets:
                events.setdefault(ticker, event)
        self._events = events
        self._markets = {market.ticker: market for market in listed.markets}

    def event_of(self, ticker: str, payout: Decimal = ONE) -> Event:
        """``ticker``'s event; a single event of ``payout`` if it is in none."""
        event = self._events.get(ticker)
        return event if event is not None else Event.single(ticker, payout)

    def market(self, ticker: str) -> MarketInfo | None:
        """``ticker``'s grid and lot, if the venue listed it."""
        return self._markets.get(ticker)
