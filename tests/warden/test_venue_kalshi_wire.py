"""The venue's Kalshi wire against Kalshi's documentation: objects, V2 orders, paging, signatures.

Field lists and examples come from the docs (tests/fixtures/kalshi/, see SOURCES.md there).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Generator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
import wsproto
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from loguru import logger
from wsproto.events import AcceptConnection, RejectConnection, RejectData, Request

from tests.warden.conftest import order_body, rest_bid, served
from warden.venue import VenueConfig, VenueServer

FIXTURES = Path(__file__).parents[1] / "fixtures" / "kalshi"
REQUIRED: dict[str, list[str]] = json.loads((FIXTURES / "required_fields.json").read_text())[
    "required"
]
V2 = "/trade-api/v2/portfolio/events/orders"
ORDERS = "/trade-api/v2/portfolio/orders"
D = Decimal


def _fixture(name: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / name).read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture
async def pair() -> AsyncIterator[tuple[VenueServer, httpx.AsyncClient]]:
    async with served() as both:
        yield both


# ------------------------------------------------------------------ objects


async def test_every_object_carries_the_fields_the_docs_require(
    pair: tuple[VenueServer, httpx.AsyncClient],
) -> None:
    venue, rest = pair
    rest_bid(venue, "no", "0.60", "2")
    await rest.post(ORDERS, json=order_body(count_fp="3", yes_price_dollars="0.40"))

    market = (await rest.get("/trade-api/v2/markets/SIM-001")).json()["market"]
    orders = (await rest.get(ORDERS)).json()
    fills = (await rest.get("/trade-api/v2/portfolio/fills")).json()
    positions = (await rest.get("/trade-api/v2/portfolio/positions")).json()
    balance = (await rest.get("/trade-api/v2/portfolio/balance")).json()
    book = (await rest.get("/trade-api/v2/markets/SIM-001/orderbook")).json()["orderbook_fp"]

    for name, value in (
        ("Market", market),
        ("GetOrdersResponse", orders),
        ("Order", orders["orders"][0]),
        ("GetFillsResponse", fills),
        ("Fill", fills["fills"][0]),
        ("GetPositionsResponse", positions),
        ("MarketPosition", positions["market_positions"][0]),
        ("EventPosition", positions["event_positions"][0]),
        ("GetBalanceResponse", balance),
        ("OrderbookCountFp", book),
    ):
        assert set(REQUIRED[name]) <= set(value), (name, set(REQUIRED[name]) - set(value))
    assert (market["status"], market["market_type"], market["event_ticker"]) == (
        "active",
        "binary",
        "SIM",
    )
    # the NO bid was taken whole and the rest of the YES order rests at 0.40
    assert (market["yes_ask_dollars"], market["yes_bid_dollars"]) == ("1.0000", "0.4000")
    assert market["last_price_dollars"] == "0.4000"
    fill = fills["fills"][0]
    assert "client_order_id" not in fill  # removed from fills (changelog, 2026-03-30)
    assert fill["fill_id"] == fill["trade_id"]
    assert (fill["outcome_side"], fill["book_side"], fill["ts"]) == ("yes", "bid", fill["ts"])
    order = orders["orders"][0]
    assert (order["user_id"], order["client_order_id"], order["book_side"]) == (
        "trader",
        "",
        "bid",
    )
    assert "cancel_reason" not in order
    assert "time_in_force" not in order


async def test_an_empty_side_shows_a_zero_bid_and_a_one_dollar_ask(
    pair: tuple[VenueServer, httpx.AsyncClient],
) -> None:
    _venue, rest = pair
    market = (await rest.get("/trade-api/v2/markets/SIM-002")).json()["market"]
    prices = ("yes_bid_dollars", "yes_ask_dollars", "no_bid_dollars", "no_ask_dollars")
    assert [market[k] for k in prices] == ["0.0000", "1.0000", "0.0000", "1.0000"]


async def test_errors_are_kalshis_error_response(
    pair: tuple[VenueServer, httpx.AsyncClient],
) -> None:
    _venue, rest = pair
    missing = await rest.get("/trade-api/v2/markets/NOPE")
    bad = await rest.post(ORDERS, json=order_body(side="maybe"))

    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert set(missing.json()) == {"code", "message"}
    assert bad.status_code == 400
    assert set(bad.json()) == {"code", "message", "details"}
    assert bad.json()["details"] == "side"


# ------------------------------------------------------------------ V2 orders


async def test_the_documented_v2_request_is_accepted_and_answered_in_the_documented_shape(
    pair: tuple[VenueServer, httpx.AsyncClient],
) -> None:
    _venue, rest = pair
    request = _fixture("create_order_v2_request.json") | {"ticker": "SIM-001"}

    reply = await rest.post(V2, json=request)

    assert reply.status_code == 201
    body = reply.json()
    assert set(body) == set(_fixture("create_order_v2_response.json"))  # nothing filled
    assert (body["client_order_id"], body["fill_count"], body["remaining_count"]) == (
        request["client_order_id"],
        "0.00",
        "10.00",
    )
    assert abs(body["ts_ms"] - time.time() * 1000) < 60_000
    order = (await rest.get(f"{ORDERS}/{body['order_id']}")).json()["order"]
    assert (order["book_side"], order["yes_price_dollars"], order["status"]) == (
        "bid",
        "0.5600",
        "resting",
    )


async def test_a_v2_bid_that_fills_reports_its_average_price_and_fee(
    pair: tuple[VenueServer, httpx.AsyncClient],
) -> None:
    venue, rest = pair
    rest_bid(venue, "no", "0.60", "1")  # YES ask 0.40
    rest_bid(venue, "no", "0.58", "2")  # YES ask 0.42
    request = {
        "ticker": "SIM-001",
        "side": "bid",
        "count": "3",
        "price": "0.42",
        "time_in_force": "immediate_or_cancel",
        "self_trade_prevention_type": "taker_at_cross",
    }

    body = (await rest.post(V2, json=request)).json()

    fills = (await rest.get("/trade-api/v2/portfolio/fills")).json()["fills"]
    fees = sum(D(f["fee_cost"]) for f in fills)
    assert (body["fill_count"], body["remaining_count"]) == ("3.00", "0.00")
    assert D(body["average_fill_price"]) == ((D("0.40") + 2 * D("0.42")) / 3).quantize(
        D("0.000001")
    )
    assert D(body["average_fee_paid"]) == (fees / 3).quantize(D("0.000001"))


async def test_a_v2_ask_sells_yes_as_a_no_bid_without_holding_yes(
    pair: tuple[VenueServer, httpx.AsyncClient],
) -> None:
    venue, rest = pair
    request = {
        "ticker": "SIM-001",
        "side": "ask",
        "count": "2.00",
        "price": "0.7000",
        "time_in_force": "good_till_canceled",
        "self_trade_prevention_type": "maker",
        "client_order_id": "ask-1",
    }

    body = (await rest.post(V2, json=request)).json()

    order = (await rest.get(f"{ORDERS}/{body['order_id']}")).json()["order"]
    assert (order["outcome_side"], order["book_side"], order["yes_price_dollars"]) == (
        "no",
        "ask",
        "0.7000",
    )
    assert venue.sim.engine.book("SIM-001").levels("no") == [[D("0.3000"), D(2)]]
    canceled = await rest.delete(f"{V2}/{body['order_id']}")
    again = await rest.delete(f"{V2}/{body['order_id']}")
    assert canceled.status_code == 200
    assert set(canceled.json()) == set(_fixture("cancel_order_v2_response.json"))
    assert (canceled.json()["client_order_id"], canceled.json()["reduced_by"]) == ("ask-1", "2.00")
    assert (again.status_code, again.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"side": "yes"}, "side"),
        ({"count": 10}, "count"),  # a number where FixedPointCount is a string
        ({"price": "0.555"}, "price"),  # off SIM-001's cent grid
        ({"time_in_force": None}, "time_in_force"),
        ({"self_trade_prevention_type": None}, "self_trade_prevention_type"),
        ({"self_trade_prevention_type": "both"}, "self_trade_prevention_type"),
        ({"expiration_time": 1_900_000_000}, "expiration_time"),  # not simulated
        ({"action": "buy"}, "action"),  # a legacy field: unknown here
    ],
)
async def test_a_bad_v2_order_is_a_400_naming_the_field(
    pair: tuple[VenueServer, httpx.AsyncClient], change: dict[str, object], field: str
) -> None:
    _venue, rest = pair
    request = _fixture("create_order_v2_request.json") | {"ticker": "SIM-001"} | change
    request = {k: v for k, v in request.items() if v is not None}

    reply = await rest.post(V2, json=request)

    assert (reply.status_code, reply.json()["details"]) == (400, field)


async def test_a_reused_client_order_id_is_a_409_conflict_on_either_endpoint(
    pair: tuple[VenueServer, httpx.AsyncClient],
) -> None:
    _venue, rest = pair
    request = _fixture("create_order_v2_request.json") | {"ticker": "SIM-001"}
    first = await rest.post(V2, json=request)
    again = await rest.post(V2, json=request)
    legacy = await rest.post(ORDERS, json=order_body(client_order_id=request["client_order_id"]))

    assert (first.status_code, again.status_code, legacy.status_code) == (201, 409, 409)
    assert again.json()["code"] == legacy.json()["code"] == "order_already_exists"
    assert "order" not in again.json()
    assert len((await rest.get(ORDERS)).json()["orders"]) == 1


# ------------------------------------------------------------------ paging and filters


async def _all_pages(rest: httpx.AsyncClient, path: str, key: str, **params: object) -> list[Any]:
    items, cursors = [], []
    cursor = ""
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = (await rest.get(path, params=query)).json()
        items.extend(body[key])
        cursor = body["cursor"]
        if not cursor:
            return items
        cursors.append(cursor)
        assert not cursor.isdigit()  # opaque, not an offset a client could compute


async def test_lists_page_with_limit_and_an_opaque_cursor_ending_empty(
    pair: tuple[VenueServer, httpx.AsyncClient],
) -> None:
    venue, rest = pair
    for number in range(5):
        await rest.post(
            ORDERS, json=order_body(yes_price_dollars="0.10", client_order_id=f"p{number}")
        )
    rest_bid(venue, "no", "0.50", "5")
    for _ in range(3):
        await rest.post(ORDERS, json=order_body(yes_price_dollars="0.50"))

    first = (await rest.get(ORDERS, params={"limit": 2})).json()
    orders = await _all_pages(rest, ORDERS, "orders", limit=2)
    resting = await _all_pages(rest, ORDERS, "orders", limit=2, status="resting")
    fills = await _all_pages(rest, "/trade-api/v2/portfolio/fills", "fills", limit=1)
    markets = await _all_pages(rest, "/trade-api/v2/markets", "markets", limit=1)
    everything = (await rest.get(ORDERS)).json()

    assert len(first["orders"]) == 2
    assert first["cursor"]
    assert [o["client_order_id"] for o in orders][:5] == [f"p{n}" for n in range(5)]
    assert len(orders) == 8
    assert everything["cursor"] == ""
    assert [o["client_order_id"] for o in resting] == [f"p{n}" for n in range(5)]
    assert len({f["fill_id"] for f in fills}) == len(fills) == 3
    assert [m["ticker"] for m in markets] == ["SIM-001", "SIM-002"]
    for bad in ({"limit": 0}, {"limit": 1001}, {"cursor": "nope"}, {"cursor": "MTox"}):
        reply = await rest.get(ORDERS, params=bad)
        assert reply.status_code == 400, bad
        assert reply.json()["details"] in {"limit", "cursor"}


async def test_the_documented_filters_narrow_the_lists(
    pair: tuple[VenueServer, httpx.AsyncClient],
) -> None:
    venue, rest = pair
    rest_bid(venue, "no", "0.50", "5", ticker="SIM-002")
    placed = (
        await rest.post(ORDERS, json=order_body(ticker="SIM-002", yes_price_dollars="0.50"))
    ).json()["order"]
    await rest.post(ORDERS, json=order_body(yes_price_dollars="0.10"))
    later = int(time.time()) + 3600

    by_ticker = (await rest.get(ORDERS, params={"ticker": "SIM-002"})).json()["orders"]
    executed = (await rest.get(ORDERS, params={"status": "executed"})).json()["orders"]
    none_yet = (await rest.get(ORDERS, params={"min_ts": later})).json()["orders"]
    by_order = (
        await rest.get("/trade-api/v2/portfolio/fills", params={"order_id": placed["order_id"]})
    ).json()["fills"]
    markets = (await rest.get("/trade-api/v2/markets", params={"tickers": "SIM-002"})).json()
    held = (
        await rest.get("/trade-api/v2/portfolio/positions", params={"count_filter": "position"})
    ).json()["market_positions"]

    assert [o["order_id"] for o in by_ticker] == [placed["order_id"]]
    assert [o["order_id"] for o in executed] == [placed["order_id"]]
    assert none_yet == []
    assert [f["order_id"] for f in by_order] == [placed["order_id"]]
    assert [m["ticker"] for m in markets["markets"]] == ["SIM-002"]
    assert [p["ticker"] for p in held] == ["SIM-002"]  # SIM-001 has only a resting order


# ------------------------------------------------------------------ signatures


class _Signer(httpx.Auth):
    """Kalshi's signature written out here (api_keys.md), independent of the venue's
    verifier: RSA-PSS SHA-256, MGF1 SHA-256, salt = digest length, over
    ``timestamp + METHOD + path`` (no query)."""

    def __init__(self, key_id: str, key: rsa.RSAPrivateKey) -> None:
        self.key_id, self.key = key_id, key

    def headers(self, method: str, path: str) -> dict[str, str]:
        timestamp = str(int(time.time() * 1000))
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
        signature = self.key.sign(f"{timestamp}{method}{path}".encode(), pss, hashes.SHA256())
        return {
            "KALSHI-ACCESS-KEY": self.key_id,
            "KALSHI-ACCESS-TIMESTAMP": timestamp,
            "KALSHI-ACCESS-SIGNATURE": base64.b64encode(signature).decode(),
        }

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self.headers(request.method, request.url.path))
        yield request


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


async def test_with_public_keys_every_trade_api_request_must_be_signed(
    keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey],
) -> None:
    good, stranger = keys
    logged: list[str] = []
    sink = logger.add(logged.append, level="DEBUG")
    async with served(kalshi_public_keys={"key-1": _public_pem(good)}) as (venue, plain):
        signed = httpx.AsyncClient(base_url=venue.url, auth=_Signer("key-1", good))
        forged = httpx.AsyncClient(base_url=venue.url, auth=_Signer("key-1", stranger))
        unknown = httpx.AsyncClient(base_url=venue.url, auth=_Signer("key-2", good))
        async with signed, forged, unknown:
            ok = await signed.get("/trade-api/v2/markets", params={"limit": 1})
            made = await signed.post(ORDERS, json=order_body(yes_price_dollars="0.10"))
            bare = await plain.get("/trade-api/v2/markets")
            bad = await forged.get("/trade-api/v2/portfolio/balance")
            who = await unknown.get("/trade-api/v2/portfolio/balance")
            nowhere = await plain.get("/trade-api/v2/nowhere")
            sim = await plain.get("/sim/stats")
            replay_headers = _Signer("key-1", good).headers("GET", "/trade-api/v2/markets")
            replayed = await plain.get("/trade-api/v2/portfolio/balance", headers=replay_headers)

    assert (ok.status_code, made.status_code, sim.status_code) == (200, 201, 200)
    for reply, reason in (
        (bare, "missing KALSHI-ACCESS-KEY"),
        (bad, "bad signature"),
        (who, "unknown KALSHI-ACCESS-KEY"),
        (nowhere, "missing KALSHI-ACCESS-KEY"),
        (replayed, "bad signature"),  # signed for another path
    ):
        assert reply.status_code == 401
        assert reply.json() == {
            "code": "unauthorized",
            "message": "authentication failed",
            "details": reason,
        }
    logger.remove(sink)
    assert replay_headers["KALSHI-ACCESS-SIGNATURE"] not in replayed.text
    assert not [line for line in logged if replay_headers["KALSHI-ACCESS-SIGNATURE"] in line]
    assert "BEGIN" not in repr(venue.sim.config)  # the public keys are in no repr either


async def _handshake(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """The HTTP status and body a websocket handshake gets (a raw wsproto client over
    a trio socket it closes itself: trio-websocket leaks the socket of a rejection)."""
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    client = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    extra = [(k.encode(), v.encode()) for k, v in headers.items()]
    status, body = 0, b""
    with trio.fail_after(10):
        async with await trio.open_tcp_stream(host, int(port)) as stream:
            request = Request(host=host, target="/trade-api/ws/v2", extra_headers=extra)
            await stream.send_all(client.send(request))
            while True:
                client.receive_data(await stream.receive_some(65536) or None)
                for event in client.events():
                    if isinstance(event, AcceptConnection):
                        return 101, b""
                    if isinstance(event, RejectConnection):
                        status = event.status_code
                        if not event.has_body:
                            return status, body
                    elif isinstance(event, RejectData):
                        body += bytes(event.data)
                        if event.body_finished:
                            return status, body


async def test_the_websocket_handshake_is_verified_over_get_and_the_ws_path(
    keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey],
) -> None:
    good, stranger = keys
    async with served(kalshi_public_keys={"key-1": _public_pem(good)}) as (venue, _rest):
        bare = await _handshake(venue.ws_url, {})
        forged = await _handshake(
            venue.ws_url, _Signer("key-1", stranger).headers("GET", "/trade-api/ws/v2")
        )
        wrong_path = await _handshake(
            venue.ws_url, _Signer("key-1", good).headers("GET", "/trade-api/v2/markets")
        )
        signed = await _handshake(
            venue.ws_url, _Signer("key-1", good).headers("GET", "/trade-api/ws/v2")
        )

    assert [status for status, _ in (bare, forged, wrong_path)] == [401, 401, 401]
    assert json.loads(forged[1])["details"] == "bad signature"
    assert json.loads(bare[1])["code"] == "unauthorized"
    assert signed == (101, b"")


def test_a_bad_public_key_is_refused_at_configuration_naming_its_id() -> None:
    with pytest.raises(ValueError, match="key-9"):
        VenueConfig(kalshi_public_keys={"key-9": "-----BEGIN PUBLIC KEY-----\nnope\n"})


# ------------------------------------------------------------------ legacy fields


async def test_legacy_fields_add_the_integer_fields_beside_the_fixed_point_ones() -> None:
    async with served(legacy_fields=True) as (venue, rest):
        rest_bid(venue, "no", "0.60", "2")
        order = (
            await rest.post(ORDERS, json=order_body(count_fp="3", yes_price_dollars="0.40"))
        ).json()["order"]
        fill = (await rest.get("/trade-api/v2/portfolio/fills")).json()["fills"][0]
        market = (await rest.get("/trade-api/v2/markets/SIM-001")).json()["market"]
        position = (await rest.get("/trade-api/v2/portfolio/positions")).json()["market_positions"][
            0
        ]

    assert (order["yes_price"], order["fill_count"], order["remaining_count"]) == (40, 2, 1)
    assert order["yes_price_dollars"] == "0.4000"
    assert (fill["count"], fill["yes_price"], fill["yes_price_fixed"]) == (2, 40, "0.4000")
    assert (market["yes_bid"], market["yes_ask"], market["tick_size"]) == (40, 100, 1)
    assert (position["position"], position["resting_orders_count"]) == (2, 1)


async def test_without_legacy_fields_no_integer_field_is_sent(
    pair: tuple[VenueServer, httpx.AsyncClient],
) -> None:
    venue, rest = pair
    rest_bid(venue, "no", "0.60", "2")
    order = (await rest.post(ORDERS, json=order_body(count_fp="3"))).json()["order"]
    market = (await rest.get("/trade-api/v2/markets/SIM-001")).json()["market"]
    assert not {"yes_price", "fill_count", "count"} & set(order)
    assert not {"yes_bid", "volume", "tick_size"} & set(market)
