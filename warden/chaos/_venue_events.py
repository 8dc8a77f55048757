"""The venue's events, for the checkers that judge exposure per event.

:func:`fetch_venue_events` reads Kalshi's ``GET /events?with_nested_markets=true``
(cursor paging) into domain :class:`~actors.domain.Event`\\ s: the event's
markets in the venue's order, ``exclusive`` from ``mutually_exclusive``, the
payout Kalshi's markets pay ($1). The legacy venue answers 404 (it lists no
events): ``()``, every market its own event. :func:`events_by_market` indexes
them; a market the venue lists in no event is :meth:`Event.single
<actors.domain.Event.single>` (its own), as risk treats a market it was told of
in no event.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from actors.domain import Event
from warden.json_types import Json, JsonObject

#: Kalshi's page size limit for ``GET /events``
_PAGE = 200
#: the most pages read (a venue that pages forever is an error, not a hang)
_MAX_PAGES = 1000


def _object(value: Json, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise TypeError(f"{what}: not a JSON object: {value!r}")
    return value


def _array(value: Json, what: str) -> list[Json]:
    if not isinstance(value, list):
        raise TypeError(f"{what}: not a JSON array: {value!r}")
    return value


def event_from_wire(wire: JsonObject) -> Event:
    """One Kalshi Event object with its nested ``markets``. Raises ``KeyError`` for a
    missing field, ``TypeError`` for a mistyped one, ``ValueError``
    (:class:`~actors.errors.InvalidFieldError`) for an event the domain refuses
    (no markets, a market twice, an exclusive event of one market)."""
    ticker, exclusive = wire["event_ticker"], wire["mutually_exclusive"]
    if not isinstance(ticker, str) or not isinstance(exclusive, bool):
        raise TypeError(f"an event's event_ticker / mutually_exclusive: {wire!r}")
    markets: list[str] = []
    for market in _array(wire["markets"], f"{ticker} markets"):
        name = _object(market, f"a market of {ticker}")["ticker"]
        if not isinstance(name, str):
            raise TypeError(f"a market of {ticker} has ticker {name!r}")
        markets.append(name)
    return Event(ticker, tuple(markets), exclusive)


def event_json(event: Event) -> dict[str, object]:
    """An event as ``venue-events.json`` keeps it (the evidence exposure is judged on)."""
    return {
        "event_ticker": event.event_ticker,
        "markets": list(event.markets),
        "exclusive": event.exclusive,
        "payout": f"{event.payout:f}",
    }


def fetch_venue_events(
    venue_url: str, *, timeout_s: float = 10.0, auth: httpx.Auth | None = None
) -> tuple[Event, ...]:
    """Every event the venue lists, with its markets; ``()`` on a 404 (the legacy
    venue has none). Raises ``httpx.HTTPError`` (another failed answer included),
    ``ValueError`` (not JSON, an event the domain refuses, endless paging) or
    ``KeyError`` / ``TypeError`` for an answer not of Kalshi's shape: the caller
    records ``None`` (unknown), never ``()``. ``auth`` signs each request (a venue
    that checks Kalshi signatures)."""
    events: list[Event] = []
    cursor = ""
    with httpx.Client(base_url=venue_url, timeout=timeout_s, trust_env=False, auth=auth) as client:
        for _page in range(_MAX_PAGES):
            params = {"with_nested_markets": "true", "limit": str(_PAGE)}
            if cursor:
                params["cursor"] = cursor
            answer = client.get("/trade-api/v2/events", params=params)
            if answer.status_code == httpx.codes.NOT_FOUND and not events and not cursor:
                return ()
            answer.raise_for_status()
            page = _object(answer.json(), "/events")
            events += [
                event_from_wire(_object(wire, "an event"))
                for wire in _array(page["events"], "events")
            ]
            next_cursor = page.get("cursor") or ""
            if not isinstance(next_cursor, str):
                raise TypeError(f"/events cursor: {next_cursor!r}")
            if not next_cursor:
                return tuple(events)
            cursor = next_cursor
    raise ValueError(f"/events: still paging after {_MAX_PAGES} pages")


def events_by_market(events: Iterable[Event]) -> dict[str, Event]:
    """Each listed market's event. Raises ``ValueError`` if two events list one market
    (the venue's events are then not a partition: exposure per event is undefined)."""
    found: dict[str, Event] = {}
    for event in events:
        for ticker in event.markets:
            other = found.setdefault(ticker, event)
            if other != event:
                raise ValueError(
                    f"market {ticker} is in two events: {other.event_ticker}, {event.event_ticker}"
                )
    return found
