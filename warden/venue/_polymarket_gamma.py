"""Gamma (Polymarket's public listing API) for the simulated venue, under ``/gamma``.

A client's ``gamma_url`` is ``http://127.0.0.1:<port>/gamma``; the paths below it
are Gamma's (docs.polymarket.com "Fetch markets guide", the recorded
``rest/event.json``):

=====================================  =============================================
``GET /gamma/events/slug/{slug}``      one event, its markets nested; 404 if none
``GET /gamma/events?slug=&id=``        a list of events (every event without a filter)
``GET /gamma/markets?condition_ids=``  a list of markets (also ``slug=``,
                                       ``clob_token_ids=``; repeatable or comma-separated)
``GET /gamma/markets/{id}``            one market by Gamma id; 404 if none
=====================================  =============================================

Shapes are built by :class:`~warden.venue._polymarket_markets.PolymarketCatalog`.
A 404 is ``{"error": "not found"}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from warden.venue._polymarket_markets import PolymarketCatalog

__all__ = ["PREFIX", "gamma"]

PREFIX = "/gamma"

Answer = tuple[int, object]
_NOT_FOUND: Answer = (404, {"error": "not found"})


def _values(query: Mapping[str, list[str]], key: str) -> set[str]:
    return {part for value in query.get(key, []) for part in value.split(",") if part}


def gamma(catalog: PolymarketCatalog, path: str, query: Mapping[str, list[str]]) -> Answer:
    """The answer to ``GET {path}`` (``path`` under :data:`PREFIX`)."""
    rest = path.removeprefix(PREFIX)
    if rest.startswith("/events/slug/"):
        event = catalog.events.get(rest.removeprefix("/events/slug/"))
        return _NOT_FOUND if event is None else (200, catalog.gamma_event(event))
    if rest == "/events":
        slugs, ids = _values(query, "slug"), _values(query, "id")
        events = [
            catalog.gamma_event(event)
            for event in catalog.events.values()
            if (not slugs or event.slug in slugs) and (not ids or event.event_id in ids)
        ]
        return 200, events
    if rest == "/markets":
        cids = {c.lower() for c in _values(query, "condition_ids")}
        slugs, tokens = _values(query, "slug"), _values(query, "clob_token_ids")
        markets = [
            catalog.gamma_market(market)
            for market in catalog.markets.values()
            if (not cids or market.condition_id in cids)
            and (not slugs or market.ticker.lower() in slugs)
            and (not tokens or {market.yes_token, market.no_token} & tokens)
        ]
        return 200, markets
    if rest.startswith("/markets/"):
        wanted = rest.removeprefix("/markets/")
        for market in catalog.markets.values():
            wire = catalog.gamma_market(market)
            if wire["id"] == wanted:
                return 200, wire
        return _NOT_FOUND
    return _NOT_FOUND
