"""The Polymarket dialect's websocket channels, over the real venue on loopback."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

from tests.warden.venue.polymarket_sim import CREDS, Sim, best_ask, polymarket_sim
from warden.venue import polymarket_hub

Side = dict[Decimal, Decimal]


def _levels(levels: list[dict[str, str]]) -> Side:
    return {Decimal(level["price"]): Decimal(level["size"]) for level in levels}


async def _rest_book(sim: Sim, token: str) -> tuple[Side, Side]:
    book = (await sim.http.get("/book", params={"token_id": token})).json()
    return _levels(book["bids"]), _levels(book["asks"])


async def _drain(
    ws: Any, books: dict[str, tuple[Side, Side]], events: list[dict[str, Any]]
) -> None:
    """Wait for a message (10 s at most), then apply every message that follows within
    a short quiet period to ``books``."""
    first = True
    while True:
        with trio.move_on_after(10 if first else 0.2) as quiet:
            text = await ws.get_message()
        if quiet.cancelled_caught:
            return
        first = False
        if text == "PONG":
            events.append({"event_type": "PONG"})
            continue
        data = json.loads(text)
        for event in data if isinstance(data, list) else [data]:
            events.append(event)
            if event["event_type"] == "book":
                books[event["asset_id"]] = (_levels(event["bids"]), _levels(event["asks"]))
            elif event["event_type"] == "price_change":
                for change in event["price_changes"]:
                    bids, asks = books[change["asset_id"]]
                    side = bids if change["side"] == "BUY" else asks
                    price, size = Decimal(change["price"]), Decimal(change["size"])
                    if size:
                        side[price] = size
                    else:
                        side.pop(price, None)


async def _until(
    check: Any, ws: Any, books: dict[str, tuple[Side, Side]], events: list[dict[str, Any]]
) -> None:
    """Drain until ``await check()`` holds (10 s at most: a loaded machine may pause)."""
    with trio.fail_after(10):
        while not await check():
            with trio.move_on_after(0.5):
                await _drain(ws, books, events)


async def test_the_market_channel_book_and_price_changes_track_the_rest_book() -> None:
    async with polymarket_sim() as sim:
        market = sim.pm.catalog.by_ticker["SIM-001"]
        url = f"ws://127.0.0.1:{sim.venue.port}/ws/market"
        async with open_websocket_url(url) as ws:
            await ws.send_message(json.dumps({"assets_ids": [market.yes_token], "type": "market"}))
            books: dict[str, tuple[Side, Side]] = {}
            events: list[dict[str, Any]] = []
            await _drain(ws, books, events)
            assert [e["event_type"] for e in events] == ["book"]
            assert books[market.yes_token] == await _rest_book(sim, market.yes_token)
            await ws.send_message(
                json.dumps({"assets_ids": [market.no_token], "operation": "subscribe"})
            )
            await _drain(ws, books, events)
            assert books[market.no_token] == await _rest_book(sim, market.no_token)

            # our order, a trade, and the makers' moves: every change arrives as an
            # absolute size, and the replayed books equal the REST books
            yes_book = (await sim.http.get("/book", params={"token_id": market.yes_token})).json()
            rest = sim.order("SIM-001", "BUY", "0.05", "9")
            assert (await sim.post_order(rest)).status_code == 200
            take = sim.order("SIM-001", "BUY", str(best_ask(yes_book)), "3")
            assert (await sim.post_order(take, "FAK")).json()["status"] == "matched"
            for _ in range(20):
                sim.venue.sim.dynamics.step()
            await ws.send_message("PING")

            async def caught_up() -> bool:
                kinds = {e["event_type"] for e in events}
                if not {"price_change", "last_trade_price", "PONG"} <= kinds:
                    return False
                tokens = (market.yes_token, market.no_token)
                return all([books[t] == await _rest_book(sim, t) for t in tokens])

            await _until(caught_up, ws, books, events)
            assert books[market.yes_token][0][Decimal("0.05")] == Decimal(9)

            polymarket_hub(sim.venue.sim).change_tick("SIM-001", Decimal("0.001"))

            def tick_changes() -> list[dict[str, Any]]:
                return [e for e in events if e["event_type"] == "tick_size_change"]

            async def both_ticks() -> bool:
                return len(tick_changes()) >= 2

            await _until(both_ticks, ws, books, events)
            ticks = tick_changes()
            assert [(t["old_tick_size"], t["new_tick_size"]) for t in ticks] == [
                ("0.01", "0.001"),
                ("0.01", "0.001"),
            ]


async def test_the_user_channel_sends_the_accounts_orders_and_trades() -> None:
    async with polymarket_sim() as sim:
        market = sim.pm.catalog.by_ticker["SIM-001"]
        url = f"ws://127.0.0.1:{sim.venue.port}/ws/user"
        async with open_websocket_url(url) as ws:
            auth = {"apiKey": CREDS.api_key, "secret": CREDS.secret, "passphrase": CREDS.passphrase}
            await ws.send_message(
                json.dumps({"auth": auth, "markets": [market.condition_id], "type": "user"})
            )
            events: list[dict[str, Any]] = []
            await sim.signed("GET", "/data/orders")  # the subscription is read by now
            rest = sim.order("SIM-001", "BUY", "0.05", "9")
            await sim.post_order(rest)
            book = (await sim.http.get("/book", params={"token_id": market.yes_token})).json()
            take = sim.order("SIM-001", "BUY", str(best_ask(book)), "3")
            await sim.post_order(take, "FAK")
            await sim.signed("DELETE", "/order", json.dumps({"orderID": rest.digest}))

            async def all_sent() -> bool:
                kinds = [(e["event_type"], e.get("status")) for e in events]
                return ("order", "CANCELED") in kinds and ("trade", "CONFIRMED") in kinds

            await _until(all_sent, ws, {}, events)
            seen = [(e["event_type"], e.get("type"), e["id"]) for e in events if "id" in e]
            trade_ids = [e["id"] for e in events if e["event_type"] == "trade"]
            assert ("order", "PLACEMENT", rest.digest) in seen
            assert ("order", "CANCELLATION", rest.digest) in seen
            assert ("order", "PLACEMENT", take.digest) in seen
            assert [e["status"] for e in events if e["event_type"] == "trade"] == [
                "MATCHED",
                "CONFIRMED",
            ]
            assert all(
                e["taker_order_id"] == take.digest for e in events if e["event_type"] == "trade"
            )
            assert len(set(trade_ids)) == 1

        async with open_websocket_url(url) as ws:
            wrong = {"apiKey": CREDS.api_key, "secret": CREDS.secret, "passphrase": "nope"}
            await ws.send_message(json.dumps({"auth": wrong, "markets": [], "type": "user"}))
            with trio.fail_after(10), pytest.raises(ConnectionClosed) as closed:
                await ws.get_message()
            reason = closed.value.reason
            assert reason is not None
            assert reason.code == 1008
            # trio-websocket 0.12 never closes its TCP socket when the server closed
            # first (see tests/warden/test_venue_stream.py): close it by hand.
            await ws._stream.aclose()
