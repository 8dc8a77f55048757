"""Polymarket's market discovery against an in-test Gamma and CLOB
(``httpx.MockTransport``) answering the recorded answers as sent
(tests/fixtures/polymarket/SOURCES.md): events by slug, markets by condition id,
the CLOB where Gamma's answer lacks the tokens or the tick, negative-risk events
as exclusive events, a grid per market tick, and the registry filled."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from actors.domain import Event
from actors.money import PriceGrid
from actors.venues._market_data import MarketListError, MarketSelection
from actors.venues.polymarket._discovery import list_markets
from actors.venues.polymarket._stream import PolymarketMarketData

D = Decimal
FIXTURES = Path(__file__).parent.parent / "fixtures" / "polymarket"
GAMMA = "https://gamma.test"
CLOB = "https://clob.test"
SLUG = "highest-temperature-in-nyc-on-january-26"
TRUMP = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
TRUMP_YES = "21742633143463906290569050155826241533067272736897614950488156847949938836455"
HARRIS = "0x270d5aa3b23be0d4e713361d603b187dd1919c71c74226ad867699f33972c5f2"
EVENT_MARKETS = (
    "0xed7d522e06d2f1f9015a468884cfdb2be7e737a33f130c1237a40f18bc739267",
    "0x35c268a9ba1b27115c9b42415a667177d9959310d2c9b3131bca9e7942a13f3a",
    "0x86603a152e53352e41f1d15a989e856d6c372ac0540d5360fdeae19089df29f2",
)


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def clob_answer_for(cid: str, index: int) -> dict[str, Any]:
    """The recorded CLOB market answer moved to condition id ``cid`` (fresh token ids):
    the recording holds one CLOB market only, and the event's markets need theirs."""
    answer: dict[str, Any] = recorded("clob_market.json")
    answer["condition_id"] = cid
    answer["tokens"][0]["token_id"] = str(1000 + index)
    answer["tokens"][1]["token_id"] = str(2000 + index)
    return answer


class FakePolymarket:
    """Gamma and the CLOB as far as discovery asks them."""

    def __init__(self) -> None:
        self.events: dict[str, Any] = {SLUG: recorded("gamma_event.json")}
        self.gamma_markets: dict[str, list[Any]] = {HARRIS: [recorded("gamma_market_slug.json")]}
        self.clob: dict[str, Any] = {TRUMP: recorded("clob_market.json")}
        for index, cid in enumerate(EVENT_MARKETS):
            self.clob[cid] = clob_answer_for(cid, index)
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url.copy_with(query=None))
        if url.startswith(f"{GAMMA}/events/slug/"):
            event = self.events.get(url.rsplit("/", 1)[1])
            return httpx.Response(404) if event is None else httpx.Response(200, json=event)
        if url == f"{GAMMA}/markets":
            cid = request.url.params["condition_ids"]
            return httpx.Response(200, json=self.gamma_markets.get(cid, []))
        if url.startswith(f"{CLOB}/markets/"):
            market = self.clob.get(url.rsplit("/", 1)[1])
            return httpx.Response(404) if market is None else httpx.Response(200, json=market)
        return httpx.Response(500)

    def urls(self) -> list[str]:
        return [str(request.url) for request in self.requests]


async def discover(
    fake: FakePolymarket, protocol: PolymarketMarketData | None = None, **selection: Any
) -> Any:
    protocol = protocol or PolymarketMarketData(gamma_url=GAMMA, clob_url=CLOB)
    transport = httpx.MockTransport(fake.handle)
    async with httpx.AsyncClient(base_url="https://venue.test", transport=transport) as client:
        return await protocol.list_markets(client, MarketSelection(**selection), payout=D(1))


async def test_a_condition_id_gamma_does_not_list_is_read_from_the_clob_and_registered() -> None:
    fake = FakePolymarket()
    protocol = PolymarketMarketData(gamma_url=GAMMA, clob_url=CLOB)
    listing = await discover(fake, protocol, tickers=[TRUMP])
    assert listing.tickers == (TRUMP,)
    assert listing.events is None
    assert listing.grids == {TRUMP: PriceGrid(D("0.001"), D(1), ticker=TRUMP)}
    assert fake.urls() == [f"{GAMMA}/markets?condition_ids={TRUMP}", f"{CLOB}/markets/{TRUMP}"]
    market = protocol.markets[TRUMP]
    assert (market.yes_token, market.neg_risk, market.min_order_size) == (TRUMP_YES, True, D(5))


async def test_an_event_by_slug_with_neg_risk_markets_is_one_exclusive_event() -> None:
    fake = FakePolymarket()
    protocol = PolymarketMarketData(gamma_url=GAMMA, clob_url=CLOB)
    listing = await discover(fake, protocol, events=[SLUG])
    assert listing.tickers == EVENT_MARKETS
    assert listing.events == (Event(SLUG, EVENT_MARKETS, True, payout=D(1)),)
    assert fake.urls()[0] == f"{GAMMA}/events/slug/{SLUG}"
    assert fake.urls()[1:] == [f"{CLOB}/markets/{cid}" for cid in EVENT_MARKETS]
    assert [protocol.markets[cid].yes_token for cid in EVENT_MARKETS] == ["1000", "1001", "1002"]
    assert {protocol.markets[cid].event for cid in EVENT_MARKETS} == {SLUG}
    assert set(listing.grids) == set(EVENT_MARKETS)


async def test_an_event_gamma_says_is_not_neg_risk_lists_single_markets() -> None:
    fake = FakePolymarket()
    fake.events[SLUG]["negRisk"] = False
    listing = await discover(fake, events=[SLUG], tickers=[TRUMP])
    assert listing.tickers == (TRUMP, *EVENT_MARKETS)  # explicit tickers first
    assert listing.events is None


async def test_a_complete_live_gamma_market_needs_no_clob_request() -> None:
    fake = FakePolymarket()
    item = fake.gamma_markets[HARRIS][0]
    first_token = item["clobTokenIds"][0]
    item.update(
        clobTokenIds=json.dumps(item["clobTokenIds"]),
        outcomes='["Yes", "No"]',
        orderPriceMinTickSize=0.01,
        orderMinSize=5,
        negRisk=False,
    )
    protocol = PolymarketMarketData(gamma_url=GAMMA, clob_url=CLOB)
    listing = await discover(fake, protocol, tickers=[HARRIS])
    assert listing.grids == {HARRIS: PriceGrid(D("0.01"), ticker=HARRIS)}
    assert fake.urls() == [f"{GAMMA}/markets?condition_ids={HARRIS}"]
    assert protocol.markets[HARRIS].yes_token == first_token


async def test_a_clob_answer_about_another_market_is_refused() -> None:
    fake = FakePolymarket()
    fake.clob[HARRIS] = recorded("clob_market.json")  # the recorded Gamma item lacks outcomes
    with pytest.raises(MarketListError, match=f"{CLOB}/markets/{HARRIS}: the answer is market"):
        await discover(fake, tickers=[HARRIS])


async def test_a_malformed_gamma_market_is_refused_not_looked_up_elsewhere() -> None:
    fake = FakePolymarket()
    fake.gamma_markets[HARRIS][0]["outcomes"] = '["Yes", "No"'
    with pytest.raises(MarketListError, match="outcomes"):
        await discover(fake, tickers=[HARRIS])
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ({"series": ["nba"]}, "no series: nba"),
        ({}, "name the events or markets"),
        ({"events": ["no-such-event"]}, "no such event"),
        ({"tickers": ["0x" + "0" * 64]}, "no such market"),
    ],
)
async def test_what_cannot_be_listed_is_refused_by_name(
    selection: dict[str, Any], message: str
) -> None:
    with pytest.raises(MarketListError, match=message):
        await discover(FakePolymarket(), **selection)


async def test_more_markets_than_one_connection_can_follow_are_refused() -> None:
    fake = FakePolymarket()
    tickers = [f"0x{index:064x}" for index in range(1, 202)]
    for index, cid in enumerate(tickers):
        fake.clob[cid] = clob_answer_for(cid, index)
    with pytest.raises(MarketListError, match="201 markets, more than 200"):
        await discover(fake, tickers=tickers)


async def test_an_http_error_status_is_raised_as_httpx_error() -> None:
    fake = FakePolymarket()
    fake.handle = lambda request: httpx.Response(503, request=request)  # type: ignore[method-assign]
    with pytest.raises(httpx.HTTPStatusError):
        await discover(fake, tickers=[TRUMP])


async def test_the_module_function_returns_the_listing_and_its_markets_in_order() -> None:
    transport = httpx.MockTransport(FakePolymarket().handle)
    async with httpx.AsyncClient(transport=transport) as client:
        found = await list_markets(
            client, MarketSelection(events=[SLUG]), payout=D(1), gamma_url=GAMMA, clob_url=CLOB
        )
    assert tuple(m.condition_id for m in found.markets) == found.listing.tickers == EVENT_MARKETS
