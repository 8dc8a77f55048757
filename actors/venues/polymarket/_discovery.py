"""Polymarket's market discovery: which markets to follow, their events and grids.

:func:`list_markets` reads Gamma (public, no headers) and, where Gamma's answer
lacks what trading needs, the CLOB, with absolute URLs through the client the
feed opens (its deadline)::

    GET {gamma}/events/slug/{slug}            one event, its markets nested (404: none)
    GET {gamma}/markets?condition_ids={cid}   the Gamma market(s) of one condition id
    GET {clob}/markets/{cid}                  the CLOB's market (tokens with outcomes,
                                              minimum_tick_size, neg_risk, ...)

(docs.polymarket.com "Fetch markets guide": ``GET /events/slug/{slug}``; the
Gamma ``/markets`` list filters by ``condition_ids``; the CLOB market shape is
recorded in /work/shared/venues/polymarket/frames/rest/market.json.)  A Gamma
market that lacks ``clobTokenIds``, ``outcomes``, ``orderPriceMinTickSize``,
``active`` or ``closed`` (the recorded event lists only condition ids, the
recorded ``/markets/slug`` answer no outcomes or tick), or a condition id Gamma
does not list, is read from the CLOB instead; a malformed one is refused.

Selection (:class:`~actors.venues.MarketSelection`): ``events`` are Gamma event
slugs (every market of each, in the event's order), ``tickers`` condition ids.
Polymarket has no series: a selected series is refused, and so is an empty
selection (following every Polymarket market, thousands of tokens, is not
supported), and so is a selection of more than :data:`MAX_MARKETS` markets
(one connection follows them all).

Events: a negative-risk event (Gamma ``negRisk`` on the event or, when the
event does not say, on every one of its markets) of two markets or more is an
exclusive :class:`~actors.domain.Event` named by its slug over all its
markets; every other market is its own single event (``events`` is None when
no exclusive event was found).  Each market's grid is its tick's, with
``payout``.  Anything that is not the documented shape raises
:class:`~actors.venues.MarketListError` naming the request and the offending
value; an HTTP error status raises ``httpx.HTTPStatusError``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

import attrs
import httpx

from actors.domain import Event
from actors.errors import DomainError
from actors.money import PriceGrid
from actors.venues._market_data import MarketListError, MarketListing, MarketSelection
from actors.venues.polymarket._markets import (
    PolymarketDataError,
    PolymarketMarket,
    market_from_clob_market,
    markets_from_gamma_event,
    markets_from_gamma_market,
)

__all__ = ["CLOB_URL", "GAMMA_URL", "MAX_MARKETS", "PolymarketListing", "list_markets"]

GAMMA_URL = "https://gamma-api.polymarket.com"
CLOB_URL = "https://clob.polymarket.com"

MAX_MARKETS = 200
"""Markets one connection may follow: past 500 subscribed assets Polymarket sends no
initial books (undocumented); NautilusTrader caps a connection at 200
(polymarket.md §1, "Subscriptions per connection")."""


@attrs.frozen
class PolymarketListing:
    """What discovery found: the feed's :class:`MarketListing` and every market
    followed, as :class:`PolymarketMarket` (in ``listing.tickers`` order)."""

    listing: MarketListing
    markets: tuple[PolymarketMarket, ...]


async def list_markets(
    client: httpx.AsyncClient,
    selection: MarketSelection,
    *,
    payout: Decimal,
    gamma_url: str = GAMMA_URL,
    clob_url: str = CLOB_URL,
) -> PolymarketListing:
    """The markets of ``selection``, their events and grids; see the module docstring."""
    if selection.series:
        raise MarketListError(f"Polymarket has no series: {', '.join(selection.series)}")
    if selection.everything:
        raise MarketListError("Polymarket: name the events or markets to follow")
    found: dict[str, PolymarketMarket] = {}
    for ticker in selection.tickers:
        if ticker not in found:
            found[ticker] = await _market(client, ticker, gamma_url, clob_url)
    events: list[Event] = []
    for slug in selection.events:
        event, markets = await _event(client, slug, payout, gamma_url, clob_url)
        for market in markets:
            found.setdefault(market.condition_id, market)
        if event is not None:
            events.append(event)
    tickers = tuple(found)
    if len(tickers) > MAX_MARKETS:
        raise MarketListError(f"Polymarket: {len(tickers)} markets, more than {MAX_MARKETS}")
    grids = {ticker: _grid(market, payout) for ticker, market in found.items()}
    listing = MarketListing(tickers, _unique(events) or None, grids)
    return PolymarketListing(listing, tuple(found.values()))


async def _market(
    client: httpx.AsyncClient, cid: str, gamma_url: str, clob_url: str
) -> PolymarketMarket:
    """Condition id ``cid``'s market: Gamma's item if it is complete, else the CLOB's."""
    url = f"{gamma_url}/markets"
    body = await _json(client, url, params={"condition_ids": cid})
    if not isinstance(body, list):
        raise MarketListError(f"GET {url}?condition_ids={cid}: the answer is not a list")
    for item in body:
        if isinstance(item, dict) and item.get("conditionId") == cid:
            try:
                return markets_from_gamma_market(item)
            except PolymarketDataError as bad:
                if not bad.missing:
                    raise MarketListError(f"GET {url}?condition_ids={cid}: {bad}") from None
            break
    return await _clob_market(client, cid, clob_url)


async def _clob_market(client: httpx.AsyncClient, cid: str, clob_url: str) -> PolymarketMarket:
    url = f"{clob_url}/markets/{cid}"
    response = await client.get(url)
    if response.status_code == 404:
        raise MarketListError(f"GET {url}: no such market")
    try:
        market = market_from_clob_market(_decoded(response, url))
    except PolymarketDataError as bad:
        raise MarketListError(f"GET {url}: {bad}") from None
    if market.condition_id != cid:
        raise MarketListError(f"GET {url}: the answer is market {market.condition_id}")
    return market


async def _event(
    client: httpx.AsyncClient, slug: str, payout: Decimal, gamma_url: str, clob_url: str
) -> tuple[Event | None, tuple[PolymarketMarket, ...]]:
    url = f"{gamma_url}/events/slug/{quote(slug, safe='')}"
    response = await client.get(url)
    if response.status_code == 404:
        raise MarketListError(f"GET {url}: no such event")
    wire = _decoded(response, url)
    if isinstance(wire, list) and len(wire) == 1:
        wire = wire[0]  # the /events?slug= list shape
    if not isinstance(wire, dict) or not isinstance(wire.get("markets"), list):
        raise MarketListError(f"GET {url}: not an event with a markets list")
    markets = []
    for item in wire["markets"]:
        try:
            (market,) = markets_from_gamma_event({**wire, "markets": [item]})
        except PolymarketDataError as bad:
            cid = item.get("conditionId") if isinstance(item, dict) else None
            if not bad.missing or not isinstance(cid, str) or bad.field == "conditionId":
                raise MarketListError(f"GET {url}: {bad}") from None
            market = attrs.evolve(await _clob_market(client, cid, clob_url), event=slug)
        markets.append(market)
    exclusive = wire.get("negRisk")
    if exclusive is None:
        exclusive = bool(markets) and all(market.neg_risk for market in markets)
    if exclusive is not True or len(markets) < 2:
        return None, tuple(markets)
    try:
        event = Event(slug, tuple(m.condition_id for m in markets), True, payout=payout)
    except DomainError as bad:
        raise MarketListError(f"GET {url}: {bad}") from None
    return event, tuple(markets)


async def _json(client: httpx.AsyncClient, url: str, params: dict[str, str]) -> Any:
    return _decoded(await client.get(url, params=params), url)


def _decoded(response: httpx.Response, url: str) -> Any:
    response.raise_for_status()
    try:
        return response.json()
    except ValueError:
        raise MarketListError(f"GET {url}: the answer is not JSON") from None


def _grid(market: PolymarketMarket, payout: Decimal) -> PriceGrid:
    try:
        return PriceGrid(market.tick, payout, ticker=market.condition_id)
    except DomainError as bad:
        raise MarketListError(f"{market.condition_id}: {bad}") from None


def _unique(events: list[Event]) -> tuple[Event, ...]:
    """The events, each once, none sharing a market with an earlier one (a market in
    two events is refused)."""
    seen: dict[str, str] = {}
    kept = {}
    for event in events:
        if event.event_ticker in kept:
            continue
        for ticker in event.markets:
            if ticker in seen:
                detail = f"{ticker} is in {seen[ticker]} and {event.event_ticker}"
                raise MarketListError(f"events: {detail}")
            seen[ticker] = event.event_ticker
        kept[event.event_ticker] = event
    return tuple(kept.values())
