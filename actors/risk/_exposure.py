"""Risk's exposure views: which event each market belongs to, and what is exposed where.

:class:`EventMap` is risk's ``ticker -> Event``: learned from every ``Reserve``
(and the reservations and events the ledger holds at start); a market it never
saw is its own :meth:`~actors.domain.Event.single` event.  When a market is
learned again in another event, the newer event wins; an event's exposure is
then computed over the markets still mapped to it only, so a stale event can
never form a complete set (never hedge) with a market it lost.

:func:`exposure_of` builds the :class:`~actors.risk.Exposure` the limits are
checked against (docs/baskets.md §3): per event ``event_exposure + live amounts
in the event``; per market ``min(open_cost, its event's exposure) + live leg
amounts in it``; the total is the sum over events.  With only single-market
events all three are the plain per-market figures (open cost plus live
amounts).  :func:`unbound_contracts` is what is held outside complete sets:
what an exit may sell, and what the strategy is told (``Holdings``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, localcontext

from actors.domain import Event, Side
from actors.messages import HeldContracts
from actors.money import EXACT
from actors.risk._book import ReservationBook
from actors.risk._events import complete_sets, event_exposure
from actors.risk._holdings import Holding, _share
from actors.risk._limits import Exposure

ZERO = Decimal(0)


class EventMap:
    """``ticker -> Event`` as last learned (a plain mutable object owned by the actor)."""

    def __init__(self) -> None:
        self._events: dict[str, Event] = {}

    def __len__(self) -> int:
        return len(self._events)

    def learn(self, event: Event) -> None:
        """Every market of ``event`` belongs to it from now on."""
        for ticker in event.markets:
            self._events[ticker] = event

    def with_event(self, event: Event) -> EventMap:
        """A copy that has also learned ``event`` (this map is unchanged)."""
        copy = EventMap()
        copy._events = dict(self._events)
        copy.learn(event)
        return copy

    def of(self, ticker: str, payout: Decimal | None = None) -> Event:
        """The event of ``ticker``: as learned, else its single event (``payout``
        when given)."""
        found = self._events.get(ticker)
        if found is not None:
            return found
        return Event.single(ticker) if payout is None else Event.single(ticker, payout)

    def groups(self, holdings: Mapping[str, Holding]) -> list[tuple[Event, dict[str, Holding]]]:
        """``holdings`` grouped by event: each event with the holdings of the markets
        mapped to it (in first-seen order)."""
        grouped: dict[Event, dict[str, Holding]] = {}
        for ticker, holding in holdings.items():
            event = self.of(ticker, holding.position.payout)
            grouped.setdefault(event, {})[ticker] = holding
        return list(grouped.items())


def exposure_of(
    events: EventMap, holdings: Mapping[str, Holding], book: ReservationBook
) -> Exposure:
    """The exposure of ``holdings`` plus the live reservations of ``book`` (module doc).

    Markets and events without any exposure are left out; a live reservation's
    markets and event are always in (its amount may be 0, an exit's)."""
    by_market = book.amounts_by_market()
    by_event = book.amounts_by_event()
    with localcontext(EXACT):
        for event, held in events.groups(holdings):
            lost = event_exposure(event, held)
            if lost > 0:
                by_event[event.event_ticker] = by_event.get(event.event_ticker, ZERO) + lost
            for ticker, holding in held.items():
                own = min(holding.open_cost, lost)
                if own > 0:
                    by_market[ticker] = by_market.get(ticker, ZERO) + own
        total = sum(by_event.values(), ZERO)
    return Exposure(by_market=by_market, by_event=by_event, total=total)


def unbound_contracts(events: EventMap, holdings: Mapping[str, Holding]) -> list[HeldContracts]:
    """Per market, the excess contracts not bound in a complete set of its event,
    with their open cost (the sets' share of it, rounded down, taken out)."""
    found: list[HeldContracts] = []
    with localcontext(EXACT):
        for event, held in events.groups(holdings):
            set_side, sets = complete_sets(event, held)
            for ticker, holding in held.items():
                side = holding.excess_side
                if side is None:
                    continue
                bound = sets if side is set_side else ZERO
                count = holding.excess - bound
                if count <= 0:
                    continue
                cost = holding.open_cost - _share(holding.open_cost, bound, holding.excess)
                found.append(HeldContracts(ticker, side, count, cost, event.event_ticker))
    return found


def unbound_of(contracts: Iterable[HeldContracts], ticker: str, side: Side) -> HeldContracts | None:
    """The entry of ``(ticker, side)`` in ``contracts``, if any."""
    return next((c for c in contracts if c.ticker == ticker and c.side is side), None)
