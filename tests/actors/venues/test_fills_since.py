"""``list_fills(since=)`` against the simulated venue on loopback, in both dialects:
Kalshi's ``min_ts`` and Polymarket's ``after`` are sent, and the venue lists the
fills at or after them (the edge in: the docs do not say, and in is the side on
which nothing is missed)."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import httpx

from actors.domain import Action, OrderIntent, Side
from actors.venues.kalshi import KalshiClient
from actors.venues.kalshi._client import min_ts
from actors.venues.polymarket import PolymarketClient
from actors.venues.polymarket._client import after_param
from tests.actors.venue_clients import RecordingTransport, Settings, polymarket_client
from tests.warden.conftest import quiet_config
from tests.warden.venue.polymarket_sim import Sim, polymarket_sim
from warden.venue import HOUSE, TRADER, OrderRequest, TimeInForce, open_venue
from warden.venue._model import ManualClock

START = 1_800_000_000.0


def test_the_bound_sent_is_the_second_before_since_rounded_down() -> None:
    for bound in (min_ts, after_param):
        assert bound(1_800_000_010.0) == 1_800_000_009
        assert bound(1_800_000_010.9) == 1_800_000_009
        assert bound(0.5) == 0


async def test_kalshi_lists_only_the_fills_from_since_and_the_edge_second_is_in() -> None:
    clock = ManualClock(current=START)
    async with open_venue(quiet_config(), clock=clock) as server:
        engine = server.sim.engine
        for n in range(3):  # one fill at START, START + 10, START + 20
            engine.place(HOUSE, OrderRequest("SIM-001", "no", "buy", Decimal(1), Decimal("0.58")))
            engine.place(
                TRADER,
                OrderRequest(
                    "SIM-001",
                    "yes",
                    "buy",
                    Decimal(1),
                    Decimal("0.42"),
                    time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL,
                    client_order_id=f"take-{n}",
                ),
            )
            clock.advance(10.0)
        transport = RecordingTransport()
        async with KalshiClient(Settings(server.rest_url), transport=transport) as client:
            recent = await client.list_fills(since=START + 10.5)
            every = await client.list_fills()
        async with httpx.AsyncClient(base_url=server.rest_url) as http:
            edge = await http.get("/portfolio/fills", params={"min_ts": str(int(START) + 10)})

    assert [f.client_order_id for f in recent] == ["take-1", "take-2"]
    assert [f.client_order_id for f in every] == ["take-0", "take-1", "take-2"]
    asked = transport.queries("/portfolio/fills")
    assert asked == [{"min_ts": str(int(START) + 9), "limit": "1000"}, {"limit": "1000"}]
    # the venue's own edge: a fill at exactly min_ts is listed
    assert [f["ts"] for f in edge.json()["fills"]] == [int(START) + 10, int(START) + 20]


async def _client(sim: Sim, tmp_path: Path) -> PolymarketClient:
    return await polymarket_client(sim, tmp_path, ("sim-001",))


async def test_polymarket_lists_only_the_trades_after_since_and_the_edge_second_is_in(
    tmp_path: Path,
) -> None:
    async with polymarket_sim() as sim:
        cid = sim.pm.catalog.by_ticker["SIM-001"].condition_id
        async with await _client(sim, tmp_path) as client:
            await client.list_markets()
            book = await client.get_orderbook(cid)
            ask = Decimal(1) - max(price for price, _ in book.no)
            times = []
            for n in range(2):
                times.append(math.floor(sim.clock.now()))
                taken = await client.create_order(
                    OrderIntent(f"take-{n}", cid, Side.YES, Action.BUY, ask, Decimal(5))
                )
                assert taken.status == "executed"
                sim.clock.advance(100.0)
            recent = await client.list_fills(since=times[1] + 0.5)
            every = await client.list_fills()
        edge = await sim.signed("GET", "/data/trades", after=str(times[1]))
        late = await sim.signed("GET", "/data/trades", after=str(times[1] + 1))
        refused = await sim.signed("GET", "/data/trades", after="yesterday")

    assert [f.client_order_id for f in recent] == ["take-1"]
    assert [f.client_order_id for f in every] == ["take-0", "take-1"]
    assert [t["match_time"] for t in edge.json()["data"]] == [str(times[1])]
    assert late.json()["data"] == []
    assert refused.status_code == 400
