"""Kalshi's market discovery: selection by tickers, series and events, every page of
every listing, events over followed markets only, grids from ``price_ranges``.

The venue here is a small in-test Kalshi REST (``httpx.MockTransport``) answering
the documented shapes: ``{"markets": [Market], "cursor"}`` and ``{"events":
[Event], "cursor"}`` with ``limit``/``cursor`` paging (getting_started/pagination,
api-reference/market/get-markets: limit 1..1000; get-events: limit 1..200),
``{"event": Event}`` for ``GET /events/{event_ticker}``; a Market's ``ticker``,
``event_ticker`` and ``price_ranges`` as in api-reference/market/get-market.md.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from actors.domain import Event
from actors.venues._market_data import MarketListError, MarketSelection
from actors.venues.kalshi import KalshiMarketData
from actors.venues.kalshi import _discovery as discovery

D = Decimal
BASE = "https://venue.test/trade-api/v2"


class FakeKalshi:
    """Series -> events -> markets, listed page by page as Kalshi documents it."""

    def __init__(self, series: dict[str, dict[str, tuple[bool, list[str]]]]) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.markets: list[dict[str, Any]] = []
        for series_ticker, events in series.items():
            for event_ticker, (exclusive, tickers) in events.items():
                markets = [{"ticker": t, "event_ticker": event_ticker} for t in tickers]
                self.markets += markets
                self.events[event_ticker] = {
                    "event_ticker": event_ticker,
                    "series_ticker": series_ticker,
                    "mutually_exclusive": exclusive,
                    "markets": markets,
                }
        self.requests: list[httpx.Request] = []
        self.events_missing = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/trade-api/v2")
        query = request.url.params
        if path == "/markets":
            chosen = [
                m
                for m in self.markets
                if query.get("event_ticker") in (None, m["event_ticker"])
                and query.get("series_ticker")
                in (None, self.events[m["event_ticker"]]["series_ticker"])
            ]
            return self._page("markets", chosen, query, 1_000)
        if self.events_missing:
            return httpx.Response(404, json={"error": "not found"})
        if path == "/events":
            assert query["with_nested_markets"] == "true"
            series = query.get("series_ticker")
            chosen = [e for e in self.events.values() if series in (None, e["series_ticker"])]
            return self._page("events", chosen, query, 200)
        if path.startswith("/events/"):
            event = self.events.get(path.removeprefix("/events/"))
            if event is None:
                return httpx.Response(404, json={"error": "not found"})
            return httpx.Response(200, json={"event": event})
        return httpx.Response(404)

    def _page(
        self, key: str, items: list[Any], query: httpx.QueryParams, most: int
    ) -> httpx.Response:
        limit = int(query["limit"])
        assert 1 <= limit <= most, f"limit {limit} outside the documented 1..{most}"
        start = int(query.get("cursor") or 0)
        page = items[start : start + limit]
        following = str(start + limit) if start + limit < len(items) else ""
        return httpx.Response(200, json={key: page, "cursor": following})

    def asked(self, path: str) -> list[dict[str, str]]:
        return [dict(r.url.params) for r in self.requests if r.url.path == f"/trade-api/v2{path}"]


async def _list(venue: FakeKalshi, selection: MarketSelection) -> Any:
    async with httpx.AsyncClient(
        base_url=BASE, transport=httpx.MockTransport(venue.handle)
    ) as client:
        return await KalshiMarketData().list_markets(client, selection, payout=D(1))


def _venue() -> FakeKalshi:
    return FakeKalshi(
        {
            "KXA": {"KXA-1": (True, ["KXA-1-X", "KXA-1-Y"]), "KXA-2": (False, ["KXA-2-X"])},
            "KXB": {"KXB-1": (True, ["KXB-1-X", "KXB-1-Y", "KXB-1-Z"])},
        }
    )


async def test_explicit_tickers_alone_ask_the_venue_nothing() -> None:
    venue = _venue()
    listing = await _list(venue, MarketSelection(tickers=("KXA-1-X",)))
    assert (listing.tickers, listing.events, dict(listing.grids)) == (("KXA-1-X",), None, {})
    assert venue.requests == []


async def test_without_selectors_every_page_of_markets_and_events_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discovery, "MARKETS_PAGE", 2)
    monkeypatch.setattr(discovery, "EVENTS_PAGE", 2)
    venue = _venue()
    listing = await _list(venue, MarketSelection())
    assert listing.tickers == ("KXA-1-X", "KXA-1-Y", "KXA-2-X", "KXB-1-X", "KXB-1-Y", "KXB-1-Z")
    assert [q.get("cursor") for q in venue.asked("/markets")] == [None, "2", "4"]
    assert [q.get("cursor") for q in venue.asked("/events")] == [None, "2"]
    assert listing.events == (
        Event("KXA-1", ("KXA-1-X", "KXA-1-Y"), True),
        Event("KXA-2", ("KXA-2-X",), False),
        Event("KXB-1", ("KXB-1-X", "KXB-1-Y", "KXB-1-Z"), True),
    )


async def test_pages_are_asked_at_kalshis_documented_maxima() -> None:
    venue = _venue()
    await _list(venue, MarketSelection())
    assert {q["limit"] for q in venue.asked("/markets")} == {"1000"}
    assert {q["limit"] for q in venue.asked("/events")} == {"200"}


async def test_series_and_events_expand_into_their_markets_after_the_explicit_tickers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discovery, "MARKETS_PAGE", 1)  # every expansion pages too
    venue = _venue()
    selection = MarketSelection(tickers=("KXB-1-Z",), series=("KXA",), events=("KXB-1",))
    listing = await _list(venue, selection)

    assert listing.tickers == ("KXB-1-Z", "KXA-1-X", "KXA-1-Y", "KXA-2-X", "KXB-1-X", "KXB-1-Y")
    assert len(venue.asked("/markets")) == 3 + 3  # one market per page: KXA 3, KXB-1 3
    assert {q.get("series_ticker") for q in venue.asked("/markets")} == {"KXA", None}
    assert {q.get("event_ticker") for q in venue.asked("/markets")} == {"KXB-1", None}
    assert [q["series_ticker"] for q in venue.asked("/events")] == ["KXA"]
    assert venue.asked("/events/KXB-1") == [{"with_nested_markets": "true"}]
    assert {e.event_ticker for e in listing.events} == {"KXA-1", "KXA-2", "KXB-1"}


async def test_an_event_not_every_market_of_which_is_followed_is_not_listed() -> None:
    venue = _venue()
    listing = await _list(venue, MarketSelection(tickers=("KXA-1-X",), series=("KXB",)))
    assert listing.tickers == ("KXA-1-X", "KXB-1-X", "KXB-1-Y", "KXB-1-Z")
    # KXA-1 is not listed: without KXA-1-Y it must not be hedged as exclusive
    assert [e.event_ticker for e in listing.events] == ["KXB-1"]


async def test_a_venue_without_events_lists_none_and_an_unknown_event_is_skipped() -> None:
    venue = _venue()
    venue.events_missing = True
    listing = await _list(venue, MarketSelection())
    assert listing.events is None
    assert len(listing.tickers) == 6

    venue = _venue()
    listing = await _list(venue, MarketSelection(events=("KXA-2", "NO-SUCH")))
    assert listing.tickers == ("KXA-2-X",)
    assert listing.events == (Event("KXA-2", ("KXA-2-X",), False),)


async def test_price_ranges_give_their_markets_a_grid() -> None:
    venue = _venue()
    venue.markets[0]["price_ranges"] = [{"start": "0.0000", "end": "1.0000", "step": "0.0010"}]
    listing = await _list(venue, MarketSelection(series=("KXA",)))
    assert set(listing.grids) == {"KXA-1-X"}
    assert listing.grids["KXA-1-X"].tick == D("0.001")


def _answering(body: object, status: int = 200) -> FakeKalshi:
    venue = _venue()

    def handle(request: httpx.Request) -> httpx.Response:
        venue.requests.append(request)
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    venue.handle = handle  # type: ignore[method-assign]
    return venue


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"<html>", "not JSON"),
        ([], "not an object"),
        ({"cursor": ""}, "no 'markets' list"),
        ({"markets": [{"ticker": "bad ticker"}], "cursor": ""}, "bad ticker"),
        ({"markets": [{"ticker": "A"}], "cursor": 7}, "bad cursor"),
        ({"markets": [{"ticker": "A", "price_ranges": "x"}], "cursor": ""}, "price_ranges"),
    ],
)
async def test_an_answer_that_is_not_a_market_list_is_refused_by_name(
    body: object, complaint: str
) -> None:
    with pytest.raises(MarketListError, match=complaint):
        await _list(_answering(body), MarketSelection(series=("KXA",)))


async def test_a_cursor_that_repeats_or_never_ends_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    same = _answering({"markets": [{"ticker": "A"}], "cursor": "again"})
    with pytest.raises(MarketListError, match="bad cursor 'again'"):
        await _list(same, MarketSelection(series=("KXA",)))
    assert len(same.requests) == 2

    monkeypatch.setattr(discovery, "MAX_PAGES", 3)
    venue = _venue()
    counter = iter(range(10**6))

    def endless(request: httpx.Request) -> httpx.Response:
        venue.requests.append(request)
        return httpx.Response(200, json={"markets": [], "cursor": f"c{next(counter)}"})

    venue.handle = endless  # type: ignore[method-assign]
    with pytest.raises(MarketListError, match="more than 3 pages"):
        await _list(venue, MarketSelection())
    assert len(venue.requests) == 3


async def test_a_venue_error_is_an_http_error_the_feed_retries() -> None:
    with pytest.raises(httpx.HTTPStatusError):
        await _list(_answering({"error": "x"}, status=500), MarketSelection())


def test_the_listing_shapes_are_json_documented_ones() -> None:
    # what the fake serves is what the module docstring says Kalshi serves
    venue = _venue()
    request = httpx.Request("GET", f"{BASE}/markets?limit=1000")
    body = json.loads(venue.handle(request).content)
    assert set(body) == {"markets", "cursor"}
    assert set(body["markets"][0]) == {"ticker", "event_ticker"}
