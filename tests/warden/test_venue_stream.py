"""The websocket stream over a real server, read with a real trio-websocket client."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, open_websocket_url

from tests.warden.conftest import order_body, quiet_config, rest_bid
from warden.venue import VenueServer, open_venue

DEADLINE = 10  # seconds; generous for a loaded 2-core machine, never waited on when green


async def _next(ws: WebSocketConnection, *, skip: str = "heartbeat") -> dict[str, Any]:
    with trio.fail_after(DEADLINE):
        while True:
            frame = json.loads(await ws.get_message())
            if frame.get("type") != skip:
                return frame  # type: ignore[no-any-return]


async def _subscribe(
    ws: WebSocketConnection, channels: list[str], tickers: list[str] | None = None
) -> list[int]:
    params: dict[str, Any] = {"channels": channels}
    if tickers is not None:
        params["market_tickers"] = tickers
    await ws.send_message(json.dumps({"id": 1, "cmd": "subscribe", "params": params}))
    sids = []
    for channel in channels:
        reply = await _next(ws)
        assert reply["type"] == "subscribed"
        assert (reply["id"], reply["msg"]["channel"]) == (1, channel)
        sids.append(reply["msg"]["sid"])
    return sids


@pytest.fixture
async def ws(venue: VenueServer) -> AsyncIterator[WebSocketConnection]:
    async with open_websocket_url(venue.ws_url) as connection:
        yield connection


def _apply(book: dict[str, dict[Decimal, Decimal]], delta: dict[str, Any]) -> None:
    side = book[delta["side"]]
    assert isinstance(delta["price_dollars"], str)
    assert isinstance(delta["delta_fp"], str)
    price = Decimal(delta["price_dollars"])
    side[price] = side.get(price, Decimal(0)) + Decimal(delta["delta_fp"])
    if side[price] == 0:
        del side[price]


def _levels(msg: dict[str, Any], key: str) -> dict[Decimal, Decimal]:
    return {Decimal(price): Decimal(size) for price, size in msg.get(key, [])}


async def test_a_subscription_gets_a_snapshot_then_contiguous_deltas_that_rebuild_the_book(
    venue: VenueServer, ws: WebSocketConnection, rest: httpx.AsyncClient
) -> None:
    rest_bid(venue, "yes", "0.40", "5")
    rest_bid(venue, "no", "0.55", "7.5")
    (sid,) = await _subscribe(ws, ["orderbook_delta"], ["SIM-001"])

    snapshot = await _next(ws)
    assert (snapshot["type"], snapshot["sid"], snapshot["seq"]) == ("orderbook_snapshot", sid, 1)
    assert snapshot["msg"] == {
        "market_ticker": "SIM-001",
        "yes_dollars_fp": [["0.4000", "5.00"]],
        "no_dollars_fp": [["0.5500", "7.50"]],
    }

    await rest.post(
        "/trade-api/v2/portfolio/orders",
        json=order_body(count_fp="10", yes_price_dollars="0.45"),
    )
    rest_bid(venue, "yes", "0.41", "2", ticker="SIM-002")  # another market: not subscribed
    rest_bid(venue, "yes", "0.39", "3")

    book = {side: _levels(snapshot["msg"], f"{side}_dollars_fp") for side in ("yes", "no")}
    seqs = [1]
    expected = venue.sim.engine.book("SIM-001")
    with trio.fail_after(DEADLINE):
        while book != {s: dict(map(tuple, expected.levels(s))) for s in ("yes", "no")}:
            frame = await _next(ws)
            assert frame["type"] == "orderbook_delta"
            assert frame["msg"]["market_ticker"] == "SIM-001"
            seqs.append(frame["seq"])
            _apply(book, frame["msg"])
    assert seqs == list(range(1, len(seqs) + 1))
    assert book == {
        "yes": {Decimal("0.39"): 3, Decimal("0.40"): 5, Decimal("0.45"): Decimal("2.5")},
        "no": {},
    }


async def test_a_snapshot_leaves_out_an_empty_side_and_deltas_are_signed_strings(
    venue: VenueServer, ws: WebSocketConnection
) -> None:
    rest_bid(venue, "no", "0.55", "2")
    await _subscribe(ws, ["orderbook_delta"], ["SIM-001"])
    snapshot = await _next(ws)
    assert snapshot["msg"] == {"market_ticker": "SIM-001", "no_dollars_fp": [["0.5500", "2.00"]]}

    venue.sim.engine.cancel("house", rest_bid(venue, "yes", "0.30", "1.25"))

    added, removed = (await _next(ws))["msg"], (await _next(ws))["msg"]
    assert (added["price_dollars"], added["delta_fp"], added["side"]) == ("0.3000", "1.25", "yes")
    assert (removed["price_dollars"], removed["delta_fp"]) == ("0.3000", "-1.25")


async def test_the_sequence_gap_knob_makes_a_detectable_gap(
    venue: VenueServer, ws: WebSocketConnection, rest: httpx.AsyncClient
) -> None:
    await _subscribe(ws, ["orderbook_delta"], ["SIM-001"])
    assert (await _next(ws))["seq"] == 1

    await rest.post("/sim/faults", json={"stream": {"gap_rate": 1.0}})
    rest_bid(venue, "yes", "0.30", "1")  # seq 2, withheld
    await rest.delete("/sim/faults", params={"scope": "stream"})
    rest_bid(venue, "yes", "0.31", "1")  # seq 3

    frame = await _next(ws)
    assert (frame["seq"], frame["msg"]["price_dollars"]) == (3, "0.3100")


async def test_fills_and_order_updates_reach_the_private_channels(
    venue: VenueServer, ws: WebSocketConnection, rest: httpx.AsyncClient
) -> None:
    fill_sid, orders_sid = await _subscribe(ws, ["fill", "orders"])
    rest_bid(venue, "no", "0.60", "2")

    await rest.post(
        "/trade-api/v2/portfolio/orders",
        json=order_body(count_fp="3", yes_price_dollars="0.40", client_order_id="p-1"),
    )

    fill, order = await _next(ws), await _next(ws)
    reported = (await rest.get("/trade-api/v2/portfolio/fills")).json()["fills"]
    assert (fill["type"], fill["sid"], fill["seq"]) == ("fill", fill_sid, 1)
    assert {k: v for k, v in fill["msg"].items() if k != "market_ticker"} == reported[0]
    assert (order["type"], order["sid"], order["seq"]) == ("order", orders_sid, 1)
    assert (order["msg"]["client_order_id"], order["msg"]["status"]) == ("p-1", "resting")
    assert order["msg"]["fill_count_fp"] == "2.00"
    assert fill["msg"]["count_fp"] == "2.00"


async def test_bad_commands_get_error_frames_and_the_connection_keeps_working(
    ws: WebSocketConnection,
) -> None:
    for garbage in ["{nope", "[]", '{"id": 4, "cmd": "dance"}', '{"id": 5, "cmd": "subscribe"}']:
        await ws.send_message(garbage)
        assert (await _next(ws))["type"] == "error"
    await ws.send_message(
        json.dumps(
            {
                "id": 6,
                "cmd": "subscribe",
                "params": {"channels": ["orderbook_delta"], "market_tickers": ["NOPE"]},
            }
        )
    )
    assert (await _next(ws))["msg"]["code"] == "bad_market_tickers"

    (sid,) = await _subscribe(ws, ["orderbook_delta"], ["SIM-002"])
    assert (await _next(ws))["type"] == "orderbook_snapshot"
    # a repeated, boolean, float or nested sid is one bad_sids error, and the
    # connection lives on (these used to end it with close 1011)
    for bad in ([sid, sid], [True], [float(sid)], [[sid]]):
        unsubscribe = {"id": 8, "cmd": "unsubscribe", "params": {"sids": bad}}
        await ws.send_message(json.dumps(unsubscribe))
        assert (await _next(ws))["msg"]["code"] == "bad_sids", bad
    await ws.send_message(json.dumps({"id": 7, "cmd": "unsubscribe", "params": {"sids": [sid]}}))
    assert await _next(ws) == {"type": "unsubscribed", "id": 7, "sid": sid}


async def test_heartbeats_arrive_while_nothing_else_happens() -> None:
    async with (
        open_venue(quiet_config(heartbeat_seconds=0.05)) as venue,
        open_websocket_url(venue.ws_url) as ws,
    ):
        frame = await _next(ws, skip="")
    assert frame["type"] == "heartbeat"


async def test_stream_faults_duplicate_reorder_and_malform_frames(
    venue: VenueServer, ws: WebSocketConnection, rest: httpx.AsyncClient
) -> None:
    await _subscribe(ws, ["orderbook_delta"], ["SIM-001"])
    assert (await _next(ws))["seq"] == 1

    await rest.post("/sim/faults", json={"stream": {"duplicate_rate": 1.0}})
    rest_bid(venue, "yes", "0.30", "1")
    assert [(await _next(ws))["seq"] for _ in range(2)] == [2, 2]

    await rest.post("/sim/faults", json={"stream": {"reorder_rate": 1.0}})
    rest_bid(venue, "yes", "0.31", "1")
    rest_bid(venue, "yes", "0.32", "1")
    assert [(await _next(ws))["seq"] for _ in range(2)] == [4, 3]

    await rest.post("/sim/faults", json={"stream": {"malformed_rate": 1.0}})
    for cents in range(33, 39):
        rest_bid(venue, "yes", f"0.{cents}", "1")
    with trio.fail_after(DEADLINE):
        spoiled = [await ws.get_message() for _ in range(6)]
    for text in spoiled:
        try:
            frame = json.loads(text)
        except ValueError:
            continue  # cut-off JSON
        assert any(isinstance(v, float) and math.isnan(v) for v in frame["msg"].values())


async def test_silence_keeps_the_socket_open_but_sends_nothing_not_even_heartbeats() -> None:
    async with (
        open_venue(quiet_config(heartbeat_seconds=0.05)) as venue,
        httpx.AsyncClient(base_url=venue.url) as client,
    ):
        await client.post("/sim/faults", json={"stream": {"silence": True}})
        async with open_websocket_url(venue.ws_url) as ws:
            with trio.move_on_after(0.5):
                await ws.get_message()
                pytest.fail("a silent stream sent a frame")
            await client.delete("/sim/faults")
            assert (await _next(ws, skip=""))["type"] == "heartbeat"


async def test_the_drop_knob_closes_the_connection(
    venue: VenueServer, ws: WebSocketConnection, rest: httpx.AsyncClient
) -> None:
    await _subscribe(ws, ["orderbook_delta"], ["SIM-001"])
    await _next(ws)
    await rest.post("/sim/faults", json={"stream": {"drop_rate": 1.0}})
    rest_bid(venue, "yes", "0.30", "1")

    with trio.fail_after(DEADLINE), pytest.raises(ConnectionClosed):
        await ws.get_message()
    # trio-websocket 0.12 never closes its TCP socket when the server closed first
    # (its aclose() returns early once a close reason is set): close it by hand.
    await ws._stream.aclose()
    await rest.delete("/sim/faults")
    async with open_websocket_url(venue.ws_url) as again:
        assert (await _subscribe(again, ["fill"]))[0] > 0
