"""warden's Polymarket adapter (discovery and the CLOB trading client) against the
simulated venue's Polymarket dialect on loopback, end to end: every request is
signed, sent over HTTP and answered by the real matching engine."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import trio
from trio_websocket import WebSocketConnection, open_websocket_url

from actors.domain import Action, OrderIntent, Side
from actors.errors import VenueError
from actors.venues import Deadlines, MarketSelection
from actors.venues._amounts import PriceGrids
from actors.venues._frames import Delta, Rejected, Snapshot, Subscribed
from actors.venues.polymarket import (
    PolymarketAccount,
    PolymarketClient,
    PolymarketMarketData,
    PolymarketTrading,
)
from actors.venues.polymarket._discovery import list_markets
from tests.actors.venue_clients import Settings, polymarket_client
from tests.warden.venue.polymarket_sim import CREDS, WALLET, Sim, polymarket_sim
from warden.venue import HOUSE, TRADER, OrderRequest, RealismConfig, TimeInForce


async def _client(sim: Sim, tmp_path: Path, **settings: object) -> PolymarketClient:
    """The adapter's client for the markets its own discovery finds on the sim's Gamma."""
    return await polymarket_client(sim, tmp_path, ("sim-001", "sim-002"), **settings)


async def test_the_adapter_places_sees_fills_and_cancels_against_the_sim(tmp_path: Path) -> None:
    async with polymarket_sim() as sim:
        market = sim.pm.catalog.by_ticker["SIM-001"]
        cid = market.condition_id
        async with await _client(sim, tmp_path) as client:
            grids = await client.list_markets()
            assert grids[cid].tick == Decimal("0.01")
            book = await client.get_orderbook(cid)
            ask = Decimal(1) - max(price for price, _ in book.no)  # best YES ask
            low = max(price for price, _ in book.yes) - Decimal("0.05")

            resting = await client.create_order(
                OrderIntent("rest-1", cid, Side.YES, Action.BUY, low, Decimal(10)),
                time_in_force="good_till_canceled",
            )
            assert (resting.status, resting.fill_count) == ("resting", Decimal(0))
            assert resting.order_id == sim.pm.order_id(
                sim.venue.sim.engine.order_states(TRADER)[0].order_id
            )
            listed = await client.list_orders()
            assert [(o.order_id, o.client_order_id) for o in listed] == [
                (resting.order_id, "rest-1")
            ]

            taken = await client.create_order(
                OrderIntent("take-1", cid, Side.YES, Action.BUY, ask, Decimal(5))
            )
            assert (taken.status, taken.fill_count) == ("executed", Decimal(5))
            fills = await client.list_fills(order_id=taken.order_id)
            assert [(f.count, f.price, f.client_order_id) for f in fills] == [
                (Decimal(5), ask, "take-1")
            ]
            truth = [f for f in sim.venue.sim.engine.fill_values(TRADER) if f.is_taker]
            assert [f.fee for f in fills] == [
                f.fee for f in truth
            ]  # the adapter's fee is the venue's

            # a maker of the sim sells YES into our resting bid (books a NO bid at 1 - low)
            sim.venue.sim.engine.place(
                HOUSE,
                OrderRequest(
                    "SIM-001", "no", "buy", Decimal(3), 1 - low, TimeInForce.IMMEDIATE_OR_CANCEL
                ),
            )
            partly = await client.get_order(resting.order_id)
            assert (partly.status, partly.fill_count) == ("resting", Decimal(3))
            maker_fills = await client.list_fills(order_id=resting.order_id)
            assert [(f.count, f.price, f.fee) for f in maker_fills] == [
                (Decimal(3), low, Decimal(0))
            ]

            canceled = await client.cancel_order(partly)
            assert (canceled.status, canceled.fill_count) == ("canceled", Decimal(3))
            assert await client.list_orders() == []
            positions = {p.ticker: p.position for p in await client.list_positions()}
            assert positions == {cid: Decimal(8)}
            free, _ = sim.venue.sim.engine.cash(TRADER)
            assert await client.get_balance() == free
            await client.heartbeat()
            assert sim.pm.heartbeat.last is not None


async def test_an_unknown_submit_is_resolved_by_its_digest(tmp_path: Path) -> None:
    async with polymarket_sim() as sim:
        cid = sim.pm.catalog.by_ticker["SIM-002"].condition_id
        short = Deadlines(submit=0.5, query=5.0, cancel=5.0)
        async with await _client(sim, tmp_path, deadlines=short) as client:
            await sim.http.post(
                "/sim/faults", json={"http": {"create_order": {"timeout_after_apply_rate": 1}}}
            )
            intent = OrderIntent("lost-1", cid, Side.NO, Action.BUY, Decimal("0.02"), Decimal(6))
            with pytest.raises(VenueError):  # no answer: the outcome is unknown
                await client.create_order(intent, time_in_force="good_till_canceled")
            await sim.http.delete("/sim/faults")
            found = await client.find_order("lost-1")
            assert found is not None
            assert (found.status, found.side, found.initial_count) == (
                "resting",
                Side.NO,
                Decimal(6),
            )
            assert sim.pm.knows_digest(found.order_id)
            again = await client.create_order(intent, time_in_force="good_till_canceled")
            assert again.order_id == found.order_id  # the same signed order, not a second one
            assert len(sim.venue.sim.engine.order_states(TRADER)) == 1


async def test_the_adapters_market_session_follows_the_sims_market_channel(
    tmp_path: Path,
) -> None:
    """The feed's Polymarket session (actors/venues/polymarket/_stream.py) reads the
    sim's channel: its snapshot is the REST book, and its deltas replayed onto it give
    the REST book again after our orders and the makers' moves."""
    async with polymarket_sim() as sim:
        market = sim.pm.catalog.by_ticker["SIM-001"]
        cid = market.condition_id
        protocol = PolymarketMarketData(gamma_url=f"{sim.venue.url}/gamma", clob_url=sim.venue.url)
        async with httpx.AsyncClient() as http:
            await protocol.list_markets(http, MarketSelection(tickers=(cid,)), payout=Decimal(1))
        session = protocol.session(PriceGrids())
        books: dict[Side, dict[Decimal, Decimal]] = {}

        async def read(ws: WebSocketConnection) -> list[object]:
            frames: list[object] = []
            wait = 10.0  # for the first message: a loaded machine may be slow
            while True:
                with trio.move_on_after(wait) as quiet:
                    text = await ws.get_message()
                if quiet.cancelled_caught:
                    return frames
                wait = 0.2
                for frame in session.parse(text):
                    frames.append(frame)
                    if isinstance(frame, Snapshot):
                        books[Side.YES], books[Side.NO] = dict(frame.yes), dict(frame.no)
                    elif isinstance(frame, Delta):
                        level = books[frame.side]
                        level[frame.price] = level.get(frame.price, Decimal(0)) + frame.change
                        if not level[frame.price]:
                            del level[frame.price]

        async def rest_book() -> dict[Side, dict[Decimal, Decimal]]:
            async with await _client_for(sim, protocol, tmp_path / "book.sqlite") as client:
                book = await client.get_orderbook(cid)
            return {Side.YES: dict(book.yes), Side.NO: dict(book.no)}

        async with open_websocket_url(sim.venue.polymarket_market_ws_url) as ws:
            wire = session.outgoing(protocol.subscribe_command(1, cid))
            assert wire is not None
            await ws.send_message(wire)
            first = await read(ws)
            assert [type(f) for f in first] == [Subscribed, Snapshot]
            assert books == await rest_book()
            assert (
                await sim.post_order(sim.order("SIM-001", "BUY", "0.05", "9"))
            ).status_code == 200
            for _ in range(30):
                sim.venue.sim.dynamics.step()
            later = await read(ws)
            with trio.fail_after(10):
                while books != await rest_book():  # the last deltas may still be on the way
                    later += await read(ws)
            assert any(isinstance(f, Delta) for f in later)
            assert not [f for f in later if isinstance(f, Rejected)]
            assert books[Side.YES][Decimal("0.05")] == Decimal(9)


async def _client_for(sim: Sim, protocol: PolymarketMarketData, path: Path) -> PolymarketClient:
    account = PolymarketAccount(credentials=CREDS, wallet=WALLET, journal_path=path)
    trading = PolymarketTrading(dict(protocol.markets), account, clock=sim.clock.now)
    return trading.open_client(Settings(sim.venue.url))


async def test_negative_risk_events_are_discovered_and_traded_on_their_exchange(
    tmp_path: Path,
) -> None:
    async with polymarket_sim(realism=RealismConfig(), seed=3) as sim:
        async with httpx.AsyncClient() as http:
            found = await list_markets(
                http,
                MarketSelection(events=("simev-01", "simev-02", "simev-03")),
                payout=Decimal(1),
                gamma_url=f"{sim.venue.url}/gamma",
                clob_url=sim.venue.url,
            )
        events = {e.event_ticker: (e.exclusive, len(e.markets)) for e in found.listing.events or ()}
        assert events == {"simev-01": (True, 3), "simev-02": (True, 4)}  # simev-03: not exclusive
        by_event = {m.event: m for m in found.markets}
        assert (by_event["simev-02"].neg_risk, by_event["simev-02"].tick) == (
            True,
            Decimal("0.001"),
        )
        assert by_event["simev-03"].neg_risk is False
        account = PolymarketAccount(
            credentials=CREDS, wallet=WALLET, journal_path=tmp_path / "orders.sqlite"
        )
        trading = PolymarketTrading(
            {m.condition_id: m for m in found.markets}, account, clock=sim.clock.now
        )
        cid = by_event["simev-02"].condition_id
        async with trading.open_client(Settings(sim.venue.url)) as client:
            order = await client.create_order(
                OrderIntent("nr-1", cid, Side.YES, Action.BUY, Decimal("0.003"), Decimal(5)),
                time_in_force="good_till_canceled",
            )
            # accepted under the digest of the Neg-Risk CTF Exchange V2 domain
            assert order.status == "resting"
            assert sim.pm.knows_digest(order.order_id)


async def test_an_ioc_that_meets_nothing_is_a_canceled_order_with_nothing_filled(
    tmp_path: Path,
) -> None:
    """The venue's 400 for a FAK that matched nothing ("no orders found to match with
    FAK order") is the order's outcome, not an error: killed, nothing filled; looking
    the order up later says the same."""
    async with polymarket_sim() as sim:
        cid = sim.pm.catalog.by_ticker["SIM-002"].condition_id
        async with await _client(sim, tmp_path) as client:
            intent = OrderIntent("ioc-1", cid, Side.YES, Action.BUY, Decimal("0.01"), Decimal(5))
            order = await client.create_order(intent)
            assert (order.status, order.fill_count, order.remaining_count) == (
                "canceled",
                Decimal(0),
                Decimal(0),
            )
            found = await client.find_order("ioc-1", ticker=cid)
            assert found is not None
            assert (found.order_id, found.status, found.fill_count) == (
                order.order_id,
                "canceled",
                Decimal(0),
            )
