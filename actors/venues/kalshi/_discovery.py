"""Kalshi's market discovery: which markets to follow, their events and price grids.

:func:`list_markets` reads Kalshi's REST listings through a client the feed
opens (base URL ``…/trade-api/v2``, the feed's deadline, signed headers)::

    GET /markets?limit=1000[&cursor=…]                      every market (no selector)
    GET /markets?series_ticker=S&limit=1000[&cursor=…]      the markets of series S
    GET /markets?event_ticker=E&limit=1000[&cursor=…]       the markets of event E
    GET /events?with_nested_markets=true&limit=200[&series_ticker=S][&cursor=…]
    GET /events/E?with_nested_markets=true                  one event (404: none)

Every list is followed through its ``cursor`` to the end (an empty or absent
cursor ends it; page sizes are the documented maxima, 1000 markets and 200
events), but at most :data:`MAX_PAGES` pages: a cursor that never ends, or that
repeats, is refused.  Shapes: ``{"markets": [Market], "cursor": str}``,
``{"events": [Event], "cursor": str}`` and ``{"event": Event, "markets"?:
[Market]}``, a Market carrying ``ticker`` and optionally ``price_ranges``
(its grid), an Event ``event_ticker``, ``mutually_exclusive`` and, nested,
``markets`` (docs.kalshi.com api-reference get-markets, get-events,
get-event; getting_started/pagination).

Selection (:class:`~actors.venues.MarketSelection`):

- explicit tickers only: nothing is asked; each is its own single event and
  keeps the configured grid (today's behaviour, and what a venue without a
  REST API needs);
- no selector at all: every market of ``GET /markets`` and every event of
  ``GET /events``;
- series and event tickers: their markets (``GET /markets`` filtered), the
  events of those series (``GET /events?series_ticker=``) and those events
  (``GET /events/{E}``), plus any explicit tickers.

An event is listed only if every one of its markets is followed (an event
missing a leg must not be hedged as exclusive): its other markets become
single events.  A ``404`` on ``GET /events`` (the legacy simulated venue)
means the venue has no events at all.  Anything that is not the documented
shape raises :class:`~actors.venues.MarketListError` naming the request and
the offending value (never a header: the client's signed headers are not
ours to print).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import httpx

from actors.domain import Event
from actors.money import PriceGrid
from actors.venues._amounts import grid_of_price_ranges
from actors.venues._frames import TICKER
from actors.venues._market_data import MarketListError, MarketListing, MarketSelection

__all__ = ["EVENTS_PAGE", "MARKETS_PAGE", "MAX_PAGES", "list_markets"]

MARKETS_PAGE = 1_000
"""Markets asked per ``GET /markets`` page (Kalshi's documented maximum)."""

EVENTS_PAGE = 200
"""Events asked per ``GET /events`` page (Kalshi's documented maximum)."""

MAX_PAGES = 1_000
"""Pages followed per listing before it is refused: a venue whose cursor never ends."""


async def list_markets(
    client: httpx.AsyncClient, selection: MarketSelection, *, payout: Decimal
) -> MarketListing:
    """The markets of ``selection``, their events and grids; see the module docstring."""
    if selection.by_ticker_only:
        return MarketListing(selection.tickers, None, {})
    if selection.everything:
        markets = await _pages(client, "/markets", "markets", {}, MARKETS_PAGE)
    else:
        markets = []
        for series in selection.series:
            params = {"series_ticker": series}
            markets += await _pages(client, "/markets", "markets", params, MARKETS_PAGE)
        for event_ticker in selection.events:
            params = {"event_ticker": event_ticker}
            markets += await _pages(client, "/markets", "markets", params, MARKETS_PAGE)
    listed = [_ticker(market, "GET /markets") for market in markets]
    grids = _grids(markets, payout)
    if selection.everything:
        events = await _event_pages(client, {}, payout)
    else:
        events = await _selected_events(client, selection, payout)
    tickers = tuple(dict.fromkeys((*selection.tickers, *listed)))
    return MarketListing(tickers, _followed(events, set(tickers)), grids)


async def _selected_events(
    client: httpx.AsyncClient, selection: MarketSelection, payout: Decimal
) -> list[Event] | None:
    """The events of the selected series and the selected events; None if the venue has
    no events (404 on ``GET /events``)."""
    found: dict[str, Event] = {}
    for series in selection.series:
        events = await _event_pages(client, {"series_ticker": series}, payout)
        if events is None:
            return None
        found.update((event.event_ticker, event) for event in events)
    for event_ticker in selection.events:
        if event_ticker in found:
            continue
        path = f"/events/{event_ticker}"
        response = await client.get(path, params={"with_nested_markets": "true"})
        if response.status_code == 404:
            continue  # no such event: GET /markets?event_ticker= listed none of it either
        body = _body(response, path)
        wire = body.get("event")
        if isinstance(wire, dict) and "markets" not in wire and "markets" in body:
            wire = {**wire, "markets": body["markets"]}  # the un-nested answer
        event = _event_of(wire, payout, path)
        if event is not None:
            found[event.event_ticker] = event
    return list(found.values())


async def _event_pages(
    client: httpx.AsyncClient, params: dict[str, str], payout: Decimal
) -> list[Event] | None:
    query = {"with_nested_markets": "true", **params}
    wires = await _paged(client, "/events", "events", query, EVENTS_PAGE, absent_ok=True)
    if wires is None:
        return None
    return [event for wire in wires if (event := _event_of(wire, payout, "GET /events"))]


async def _pages(
    client: httpx.AsyncClient, path: str, key: str, params: dict[str, str], size: int
) -> list[Any]:
    """Every item of ``GET path`` under ``key``, page by page."""
    items = await _paged(client, path, key, params, size, absent_ok=False)
    assert items is not None, "only a 404 makes None, and only if absent_ok"
    return items


async def _paged(
    client: httpx.AsyncClient,
    path: str,
    key: str,
    params: dict[str, str],
    size: int,
    *,
    absent_ok: bool,
) -> list[Any] | None:
    """Every item of ``GET path`` under ``key``, page by page (None for a 404 if
    ``absent_ok``)."""
    items: list[Any] = []
    cursor = ""
    for _page in range(MAX_PAGES):
        query = {**params, "limit": str(size)}
        if cursor:
            query["cursor"] = cursor
        response = await client.get(path, params=query)
        if absent_ok and response.status_code == 404:
            return None
        body = _body(response, f"GET {path}")
        page = body.get(key)
        if not isinstance(page, list):
            raise MarketListError(f"GET {path}: no {key!r} list")
        items.extend(page)
        following = body.get("cursor") or ""
        if not following:
            return items
        if not isinstance(following, str) or following == cursor:
            raise MarketListError(f"GET {path}: bad cursor {following!r}")
        cursor = following
    raise MarketListError(f"GET {path}: more than {MAX_PAGES} pages")


def _body(response: httpx.Response, what: str) -> dict[str, Any]:
    response.raise_for_status()
    try:
        body = response.json()
    except ValueError:
        raise MarketListError(f"{what}: the answer is not JSON") from None
    if not isinstance(body, dict):
        raise MarketListError(f"{what}: the answer is not an object")
    return body


def _ticker(market: object, what: str) -> str:
    ticker = market.get("ticker") if isinstance(market, dict) else market
    if not isinstance(ticker, str) or not TICKER.fullmatch(ticker):
        raise MarketListError(f"{what}: bad ticker {ticker!r}")
    return ticker


def _event_of(wire: object, payout: Decimal, what: str) -> Event | None:
    """One Kalshi event object as an :class:`Event`; None for an event of no market.
    A ``mutually_exclusive`` event of a single market is taken as not exclusive
    (nothing to hedge it with)."""
    if not isinstance(wire, dict):
        raise MarketListError(f"{what}: not an event: {wire!r}")
    event_ticker, markets = wire.get("event_ticker"), wire.get("markets")
    exclusive = wire.get("mutually_exclusive")
    if not isinstance(markets, list) or not isinstance(exclusive, bool):
        raise MarketListError(f"{what}: event {event_ticker!r} lacks markets or flag")
    if not isinstance(event_ticker, str) or not TICKER.fullmatch(event_ticker):
        raise MarketListError(f"{what}: bad event ticker {event_ticker!r}")
    names = tuple(_ticker(market, f"{what}: event {event_ticker}") for market in markets)
    if not names:
        return None
    try:
        return Event(event_ticker, names, exclusive and len(names) >= 2, payout=payout)
    except ValueError as bad:
        raise MarketListError(f"{what}: event {event_ticker!r}: {bad}") from None


def _followed(events: Iterable[Event] | None, followed: set[str]) -> tuple[Event, ...] | None:
    """The events all of whose markets are followed (see the module docstring)."""
    if events is None:
        return None
    return tuple(event for event in events if set(event.markets) <= followed)


def _grids(markets: list[Any], payout: Decimal) -> dict[str, PriceGrid]:
    """The grid of each listed market that carries ``price_ranges``."""
    grids = {}
    for market in markets:
        ranges = market.get("price_ranges") if isinstance(market, dict) else None
        if ranges is None:
            continue  # the configured or default grid
        ticker = market["ticker"]
        try:
            grids[ticker] = grid_of_price_ranges(ranges, payout=payout, ticker=ticker)
        except ValueError as bad:
            raise MarketListError(f"GET /markets: {ticker}: bad price_ranges: {bad}") from None
    return grids
