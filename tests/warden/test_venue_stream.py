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
import wsproto
from trio_websocket import ConnectionClosed, WebSocketConnection, open_websocket_url
from wsproto.events import Ping, Request, TextMessage

from tests.warden.conftest import order_body, quiet_config, rest_bid
from warden.venue import WS_PATH, VenueServer, open_venue
from warden.venue._stream import market_id

DEADLINE = 10  # seconds; generous for a loaded 2-core machine, never waited on when green
FILL_FIELDS = {
    "trade_id", "order_id", "market_ticker", "exchange_index", "is_taker", "side",
    "yes_price_dollars", "count_fp", "fee_cost", "action", "outcome_side", "book_side", "ts",
    "ts_ms", "post_position_fp", "purchased_side",
}  # fmt: skip
"""asyncapi.yaml ``fillPayload.msg.required``."""
USER_ORDER_FIELDS = {
    "order_id", "user_id", "ticker", "status", "side", "is_yes", "outcome_side", "book_side",
    "yes_price_dollars", "fill_count_fp", "remaining_count_fp", "initial_count_fp",
    "taker_fill_cost_dollars", "maker_fill_cost_dollars", "taker_fees_dollars",
    "maker_fees_dollars", "client_order_id", "created_time", "created_ts_ms",
}  # fmt: skip
"""asyncapi.yaml ``userOrderPayload.msg.required``."""


async def _next(ws: WebSocketConnection) -> dict[str, Any]:
    with trio.fail_after(DEADLINE):
        frame = json.loads(await ws.get_message())
    assert isinstance(frame, dict)
    return frame


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
        "market_id": market_id("SIM-001"),
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
            assert frame["msg"]["market_id"] == market_id("SIM-001")
            assert isinstance(frame["msg"]["ts_ms"], int)
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
    assert snapshot["msg"] == {
        "market_ticker": "SIM-001",
        "market_id": market_id("SIM-001"),
        "no_dollars_fp": [["0.5500", "2.00"]],
    }

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


async def test_fills_and_order_updates_reach_the_private_channels_in_kalshis_shapes(
    venue: VenueServer, ws: WebSocketConnection, rest: httpx.AsyncClient
) -> None:
    fill_sid, orders_sid = await _subscribe(ws, ["fill", "user_orders"])
    rest_bid(venue, "no", "0.60", "2")

    await rest.post(
        "/trade-api/v2/portfolio/orders",
        json=order_body(count_fp="3", yes_price_dollars="0.40", client_order_id="p-1"),
    )

    fill, order = await _next(ws), await _next(ws)
    reported = (await rest.get("/trade-api/v2/portfolio/fills")).json()["fills"][0]
    assert (fill["type"], fill["sid"], fill["seq"]) == ("fill", fill_sid, 1)
    assert set(fill["msg"]) == FILL_FIELDS | {"client_order_id"}  # asyncapi fillPayload
    same = ("trade_id", "order_id", "yes_price_dollars", "count_fp", "fee_cost", "is_taker")
    assert {k: fill["msg"][k] for k in same} == {k: reported[k] for k in same}
    assert (fill["msg"]["client_order_id"], fill["msg"]["post_position_fp"]) == ("p-1", "2.00")
    assert (fill["msg"]["outcome_side"], fill["msg"]["book_side"]) == ("yes", "bid")
    assert (order["type"], order["sid"], order["seq"]) == ("user_order", orders_sid, 1)
    assert set(order["msg"]) >= USER_ORDER_FIELDS  # asyncapi userOrderPayload's required
    assert (order["msg"]["client_order_id"], order["msg"]["status"]) == ("p-1", "resting")
    assert (order["msg"]["fill_count_fp"], order["msg"]["is_yes"]) == ("2.00", True)


async def test_a_delta_caused_by_the_traders_order_carries_its_client_order_id(
    venue: VenueServer, ws: WebSocketConnection, rest: httpx.AsyncClient
) -> None:
    await _subscribe(ws, ["orderbook_delta"], ["SIM-001"])
    await _next(ws)  # the snapshot
    rest_bid(venue, "yes", "0.30", "1")
    await rest.post(
        "/trade-api/v2/portfolio/orders",
        json=order_body(yes_price_dollars="0.20", client_order_id="mine"),
    )

    house, mine = (await _next(ws))["msg"], (await _next(ws))["msg"]
    assert "client_order_id" not in house
    assert (mine["price_dollars"], mine["client_order_id"]) == ("0.2000", "mine")


async def test_one_subscription_covers_several_markets_with_one_sid_and_one_sequence(
    venue: VenueServer, ws: WebSocketConnection
) -> None:
    (sid,) = await _subscribe(ws, ["orderbook_delta"], ["SIM-001", "SIM-002"])
    first, second = await _next(ws), await _next(ws)
    rest_bid(venue, "yes", "0.30", "1", ticker="SIM-002")
    delta = await _next(ws)

    assert [(f["sid"], f["seq"]) for f in (first, second, delta)] == [(sid, 1), (sid, 2), (sid, 3)]
    assert [f["msg"]["market_ticker"] for f in (first, second, delta)] == [
        "SIM-001",
        "SIM-002",
        "SIM-002",
    ]


async def test_get_snapshot_resends_the_snapshot_and_update_takes_exactly_one_sid(
    venue: VenueServer, ws: WebSocketConnection
) -> None:
    (sid,) = await _subscribe(ws, ["orderbook_delta"], ["SIM-001"])
    await _next(ws)  # the first snapshot
    (other,) = await _subscribe(ws, ["fill"])
    rest_bid(venue, "yes", "0.30", "1")
    await _next(ws)  # its delta: seq 2

    update = {"id": 9, "cmd": "update_subscription", "params": {"sids": [sid], "action": ""}}
    update["params"]["action"] = "get_snapshot"
    await ws.send_message(json.dumps(update))
    snapshot, ok = await _next(ws), await _next(ws)
    assert (snapshot["type"], snapshot["seq"]) == ("orderbook_snapshot", 3)
    assert snapshot["msg"]["yes_dollars_fp"] == [["0.3000", "1.00"]]
    assert ok == {
        "type": "ok",
        "id": 9,
        "sid": sid,
        "seq": 3,
        "msg": {"market_tickers": ["SIM-001"], "market_ids": [market_id("SIM-001")]},
    }

    update["params"]["sids"] = [sid, other]
    await ws.send_message(json.dumps(update))
    assert (await _next(ws))["msg"]["code"] == 12  # exactly one sid


async def test_bad_commands_get_numeric_error_codes_and_the_connection_keeps_working(
    ws: WebSocketConnection,
) -> None:
    for garbage, code in [
        ("{nope", 1),
        ("[]", 1),
        ('{"id": 4, "cmd": "dance"}', 5),
        ('{"id": 5, "cmd": "subscribe"}', 3),
        ('{"id": 5, "cmd": "subscribe", "params": {"channels": ["gossip"]}}', 8),
    ]:
        await ws.send_message(garbage)
        error = await _next(ws)
        assert (error["type"], error["msg"]["code"]) == ("error", code), garbage
    await ws.send_message(
        json.dumps(
            {
                "id": 6,
                "cmd": "subscribe",
                "params": {"channels": ["orderbook_delta"], "market_tickers": ["NOPE"]},
            }
        )
    )
    assert (await _next(ws))["msg"]["code"] == 16  # market not found

    (sid,) = await _subscribe(ws, ["orderbook_delta"], ["SIM-002"])
    assert (await _next(ws))["type"] == "orderbook_snapshot"
    again = {"id": 3, "cmd": "subscribe", "params": {"channels": ["orderbook_delta"]}}
    await ws.send_message(json.dumps(again))
    assert (await _next(ws))["msg"]["code"] == 6  # already subscribed
    for bad, code in (([sid + 100], 7), ([True], 11), ([float(sid)], 11), ([[sid]], 11), ([], 4)):
        unsubscribe = {"id": 8, "cmd": "unsubscribe", "params": {"sids": bad}}
        await ws.send_message(json.dumps(unsubscribe))
        assert (await _next(ws))["msg"]["code"] == code, bad
    await ws.send_message(json.dumps({"id": 7, "cmd": "unsubscribe", "params": {"sids": [sid]}}))
    assert await _next(ws) == {"type": "unsubscribed", "id": 7, "sid": sid, "seq": 1}
    await ws.send_message(json.dumps({"id": 10, "cmd": "list_subscriptions"}))
    assert await _next(ws) == {"type": "ok", "id": 10, "msg": []}


async def _pings(url: str, count: int) -> list[bytes]:
    """Open a raw websocket (wsproto over a trio socket: trio-websocket answers PINGs
    without showing them) and return the payloads of the first ``count`` PINGs."""
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    client = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    payloads: list[bytes] = []
    with trio.fail_after(DEADLINE):
        stream = await trio.open_tcp_stream(host, int(port))
        async with stream:
            await stream.send_all(client.send(Request(host=host, target=WS_PATH)))
            while len(payloads) < count:
                client.receive_data(await stream.receive_some(65536) or None)
                for event in client.events():
                    if isinstance(event, Ping):
                        payloads.append(event.payload)
                        await stream.send_all(client.send(event.response()))
                    else:
                        assert not isinstance(event, TextMessage), event  # no JSON heartbeat
    return payloads


async def test_the_server_pings_with_a_heartbeat_body_and_sends_no_json_heartbeat() -> None:
    async with open_venue(quiet_config(heartbeat_seconds=None, ping_interval_s=0.05)) as venue:
        assert await _pings(venue.ws_url, 3) == [b"heartbeat"] * 3


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


async def test_silence_keeps_the_socket_open_but_sends_nothing_not_even_pings() -> None:
    async with (
        open_venue(quiet_config(heartbeat_seconds=None, ping_interval_s=0.05)) as venue,
        httpx.AsyncClient(base_url=venue.url) as client,
    ):
        await client.post("/sim/faults", json={"stream": {"silence": True}})
        with trio.move_on_after(0.5) as quiet:
            await _pings(venue.ws_url, 1)
        assert quiet.cancelled_caught, "a silent stream sent a PING"
        await client.delete("/sim/faults")
        assert await _pings(venue.ws_url, 1) == [b"heartbeat"]


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


async def test_use_yes_price_prices_the_no_side_in_the_yes_leg(
    venue: VenueServer, ws: WebSocketConnection
) -> None:
    rest_bid(venue, "no", "0.60", "2")
    rest_bid(venue, "no", "0.55", "1")
    params = {"channels": ["orderbook_delta"], "market_tickers": ["SIM-001"], "use_yes_price": True}
    await ws.send_message(json.dumps({"id": 1, "cmd": "subscribe", "params": params}))
    assert (await _next(ws))["type"] == "subscribed"

    snapshot = (await _next(ws))["msg"]
    rest_bid(venue, "no", "0.50", "3")
    delta = (await _next(ws))["msg"]

    # NO bids at 0.60 and 0.55 are YES asks at 0.40 and 0.45
    assert snapshot["no_dollars_fp"] == [["0.4000", "2.00"], ["0.4500", "1.00"]]
    assert (delta["side"], delta["price_dollars"], delta["delta_fp"]) == ("no", "0.5000", "3.00")


async def test_update_subscription_adds_and_deletes_markets_of_one_sid(
    venue: VenueServer, ws: WebSocketConnection
) -> None:
    (sid,) = await _subscribe(ws, ["orderbook_delta"], ["SIM-001"])
    await _next(ws)  # SIM-001's snapshot

    add = {"sids": [sid], "action": "add_markets", "market_tickers": ["SIM-002"]}
    await ws.send_message(json.dumps({"id": 2, "cmd": "update_subscription", "params": add}))
    snapshot, ok = await _next(ws), await _next(ws)
    delete = {"sid": sid, "action": "delete_markets", "market_tickers": ["SIM-001"]}
    await ws.send_message(json.dumps({"id": 3, "cmd": "update_subscription", "params": delete}))
    deleted = await _next(ws)
    rest_bid(venue, "yes", "0.30", "1")  # SIM-001: no longer subscribed
    rest_bid(venue, "yes", "0.20", "1", ticker="SIM-002")
    delta = await _next(ws)

    assert (snapshot["msg"]["market_ticker"], snapshot["seq"]) == ("SIM-002", 2)
    assert ok["msg"]["market_tickers"] == ["SIM-001", "SIM-002"]
    assert deleted["msg"]["market_tickers"] == ["SIM-002"]
    assert (delta["msg"]["market_ticker"], delta["seq"]) == ("SIM-002", 3)
