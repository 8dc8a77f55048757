"""The REST API over a real hypercorn server on loopback."""

from __future__ import annotations

import httpx
import pytest
import trio

from actors.fees import FeeModel
from tests.warden.conftest import order_body, rest_bid
from warden.venue import VenueServer

ORDERS = "/trade-api/v2/portfolio/orders"
FEES = FeeModel()


async def test_markets_are_listed_with_their_best_bids_and_asks(
    venue: VenueServer, rest: httpx.AsyncClient
) -> None:
    rest_bid(venue, "yes", 40, 5)
    rest_bid(venue, "no", 55, 5)

    markets = (await rest.get("/trade-api/v2/markets")).json()["markets"]

    assert [m["ticker"] for m in markets] == ["SIM-001", "SIM-002"]
    assert {k: markets[0][k] for k in ("yes_bid", "yes_ask", "no_bid", "no_ask")} == {
        "yes_bid": 40,
        "yes_ask": 45,
        "no_bid": 55,
        "no_ask": 60,
    }
    book = (await rest.get("/trade-api/v2/markets/SIM-001/orderbook")).json()["orderbook"]
    assert book == {"yes": [[40, 5]], "no": [[55, 5]]}


async def test_an_order_crossing_the_book_fills_across_levels_with_taker_fees_and_rests_the_rest(
    venue: VenueServer, rest: httpx.AsyncClient
) -> None:
    rest_bid(venue, "no", 58, 4)  # YES ask 42
    rest_bid(venue, "no", 56, 6)  # YES ask 44

    reply = await rest.post(
        ORDERS, json=order_body(count=15, yes_price=44, client_order_id="cross-1")
    )

    assert reply.status_code == 201
    order = reply.json()["order"]
    assert (order["status"], order["fill_count"], order["remaining_count"]) == ("resting", 10, 5)
    expected_fees = FEES.taker_fee(4, 42) + FEES.taker_fee(6, 44)
    assert order["taker_fees"] == expected_fees
    fills = (await rest.get("/trade-api/v2/portfolio/fills")).json()["fills"]
    assert [(f["count"], f["yes_price"], f["fee"]) for f in fills] == [
        (4, 42, FEES.taker_fee(4, 42)),
        (6, 44, FEES.taker_fee(6, 44)),
    ]
    balance = (await rest.get("/trade-api/v2/portfolio/balance")).json()
    assert balance == {
        "balance": 100_000 - 4 * 42 - 6 * 44 - expected_fees - 5 * 44,
        "reserved": 5 * 44,
    }
    positions = (await rest.get("/trade-api/v2/portfolio/positions")).json()["market_positions"]
    assert positions[0]["position"] == 10
    assert positions[0]["resting_orders_count"] == 1
    resting = (await rest.get(ORDERS, params={"status": "resting"})).json()["orders"]
    assert [o["order_id"] for o in resting] == [order["order_id"]]


async def test_a_fill_or_kill_order_that_cannot_fill_is_canceled_whole(
    venue: VenueServer, rest: httpx.AsyncClient
) -> None:
    rest_bid(venue, "no", 58, 4)

    reply = await rest.post(
        ORDERS, json=order_body(count=5, yes_price=42, time_in_force="fill_or_kill")
    )

    order = reply.json()["order"]
    assert (reply.status_code, order["status"], order["fill_count"]) == (201, "canceled", 0)
    assert (await rest.get("/trade-api/v2/portfolio/fills")).json()["fills"] == []
    assert venue.sim.engine.book("SIM-001").levels("no") == [[58, 4]]


async def test_a_duplicate_client_order_id_answers_409_with_the_original_order(
    rest: httpx.AsyncClient,
) -> None:
    first = await rest.post(ORDERS, json=order_body(yes_price=30, client_order_id="dup"))
    again = await rest.post(ORDERS, json=order_body(yes_price=31, count=3, client_order_id="dup"))

    assert (first.status_code, again.status_code) == (201, 409)
    assert again.json()["order"] == first.json()["order"]
    assert again.json()["error"]["code"] == "order_already_exists"
    assert len((await rest.get(ORDERS)).json()["orders"]) == 1


async def test_an_order_can_be_read_found_by_client_order_id_and_canceled(
    rest: httpx.AsyncClient,
) -> None:
    placed = (await rest.post(ORDERS, json=order_body(count=3, client_order_id="c-7"))).json()
    order_id = placed["order"]["order_id"]

    found = (await rest.get(ORDERS, params={"client_order_id": "c-7"})).json()["orders"]
    canceled = await rest.delete(f"{ORDERS}/{order_id}")
    again = await rest.delete(f"{ORDERS}/{order_id}")

    assert [o["order_id"] for o in found] == [order_id]
    assert canceled.status_code == 200
    assert (canceled.json()["order"]["status"], canceled.json()["reduced_by"]) == ("canceled", 3)
    assert (await rest.get(f"{ORDERS}/{order_id}")).json()["order"]["status"] == "canceled"
    assert (again.status_code, again.json()["error"]["code"]) == (400, "order_not_cancelable")
    assert (await rest.get(f"{ORDERS}/nope")).status_code == 404


async def test_the_truth_log_holds_exactly_the_fills_reported_to_the_trader(
    venue: VenueServer, rest: httpx.AsyncClient
) -> None:
    rest_bid(venue, "no", 60, 3)
    rest_bid(venue, "yes", 45, 4)
    await rest.post(ORDERS, json=order_body(count=5, yes_price=40, client_order_id="a"))
    await rest.post(
        ORDERS,
        json=order_body(side="no", count=6, yes_price=None, no_price=55, client_order_id="b"),
    )
    await rest.post(ORDERS, json=order_body(count=1, yes_price=0))  # rejected: bad price

    fills = (await rest.get("/trade-api/v2/portfolio/fills")).json()["fills"]
    truth = (await rest.get("/sim/truth", params={"account": "trader"})).json()["entries"]

    assert [e["record"] for e in truth if e["kind"] == "fill"] == fills
    assert len(fills) == 2
    kinds = [e["kind"] for e in truth]
    assert kinds.count("order_accepted") == 2
    assert kinds[-1] == "order_rejected"
    assert truth[-1]["record"]["field"] == "yes_price"
    assert [e["seq"] for e in truth] == sorted(e["seq"] for e in truth)


@pytest.mark.parametrize(
    ("call", "status", "field"),
    [
        (("POST", ORDERS, b"{not json"), 400, "body"),
        (("POST", ORDERS, b"[1, 2]"), 400, "body"),
        (("POST", ORDERS, b'{"ticker": "SIM-001", "count": NaN}'), 400, "body"),
        (("POST", ORDERS, b"\xff\xfe"), 400, "body"),
        (("POST", ORDERS, b"[" * 100_000 + b"]" * 100_000), 413, None),
        (("POST", ORDERS, b"[" * 50_000), 400, "body"),
        (("GET", "/trade-api/v2/nowhere", b""), 404, None),
        (("PUT", ORDERS, b""), 405, None),
        (("GET", "/sim/truth?after=minus", b""), 400, "after"),
        (("GET", "/sim/truth?kind=gossip", b""), 400, "kind"),
        (("GET", f"{ORDERS}?status=sleeping", b""), 400, "status"),
        (("DELETE", "/sim/faults?scope=weather", b""), 400, "scope"),
        (("POST", "/sim/faults", b'{"stream": {"gap_rate": 7}}'), 400, "faults"),
    ],
)
async def test_garbage_gets_a_4xx_naming_the_problem_and_the_venue_keeps_serving(
    rest: httpx.AsyncClient, call: tuple[str, str, bytes], status: int, field: str | None
) -> None:
    method, path, content = call
    reply = await rest.request(method, path, content=content)

    assert reply.status_code == status
    assert reply.json()["error"].get("field") == field
    assert (await rest.get("/trade-api/v2/markets")).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ticker": 5}, "ticker"),
        ({"side": "maybe"}, "side"),
        ({"action": "hold"}, "action"),
        ({"count": 0}, "count"),
        ({"count": 2.5}, "count"),
        ({"count": True}, "count"),
        ({"yes_price": 100}, "yes_price"),
        ({"yes_price": -3}, "yes_price"),
        ({"yes_price": "50"}, "yes_price"),
        ({"no_price": 40}, "yes_price"),  # both prices given
        ({"type": "market"}, "type"),
        ({"time_in_force": "forever"}, "time_in_force"),
        ({"client_order_id": ""}, "client_order_id"),
        ({"leverage": 10}, "leverage"),
    ],
)
async def test_a_bad_order_field_is_named_in_a_400(
    rest: httpx.AsyncClient, fields: dict[str, object], field: str
) -> None:
    reply = await rest.post(ORDERS, json=order_body(**fields))

    assert reply.status_code == 400
    assert reply.json()["error"]["field"] == field


async def test_orders_the_venue_refuses_are_400_with_a_reason(rest: httpx.AsyncClient) -> None:
    broke = await rest.post(ORDERS, json=order_body(count=100_000, yes_price=90))
    short = await rest.post(ORDERS, json=order_body(action="sell"))
    unknown = await rest.post(ORDERS, json=order_body(ticker="SIM-999"))

    assert (broke.status_code, broke.json()["error"]["code"]) == (400, "insufficient_balance")
    assert (short.status_code, short.json()["error"]["code"]) == (400, "insufficient_position")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "market_not_found")


async def test_many_concurrent_clients_are_served(rest: httpx.AsyncClient) -> None:
    statuses: list[int] = []

    async def one(number: int) -> None:
        reply = await rest.post(ORDERS, json=order_body(yes_price=10, client_order_id=f"n{number}"))
        statuses.append(reply.status_code)

    async with trio.open_nursery() as nursery:
        for number in range(20):
            nursery.start_soon(one, number)

    assert statuses == [201] * 20
    assert len((await rest.get(ORDERS, params={"status": "resting"})).json()["orders"]) == 20
