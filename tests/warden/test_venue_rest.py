"""The REST API over a real hypercorn server on loopback, in Kalshi's fixed-point fields."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
import trio

from actors.money import KalshiFees
from tests.warden.conftest import order_body, rest_bid, served
from warden.venue import VenueServer

ORDERS = "/trade-api/v2/portfolio/orders"
FEES = KalshiFees()
D = Decimal


@pytest.fixture
async def venue_and_rest() -> AsyncIterator[tuple[VenueServer, httpx.AsyncClient]]:
    async with served(ticks={"SIM-002": D("0.001")}) as pair:
        yield pair


@pytest.fixture
def venue(venue_and_rest: tuple[VenueServer, httpx.AsyncClient]) -> VenueServer:
    return venue_and_rest[0]


@pytest.fixture
def rest(venue_and_rest: tuple[VenueServer, httpx.AsyncClient]) -> httpx.AsyncClient:
    return venue_and_rest[1]


def _fee(count: str, price: str) -> Decimal:
    return FEES.buy_cost(D(count), D(price)) - D(count) * D(price)


async def test_markets_are_listed_with_their_best_bids_asks_and_price_ranges(
    venue: VenueServer, rest: httpx.AsyncClient
) -> None:
    rest_bid(venue, "yes", "0.40", "5")
    rest_bid(venue, "no", "0.55", "5")

    markets = (await rest.get("/trade-api/v2/markets")).json()["markets"]

    assert [m["ticker"] for m in markets] == ["SIM-001", "SIM-002"]
    keys = ("yes_bid_dollars", "yes_ask_dollars", "no_bid_dollars", "no_ask_dollars")
    assert {k: markets[0][k] for k in keys} == {
        "yes_bid_dollars": "0.4000",
        "yes_ask_dollars": "0.4500",
        "no_bid_dollars": "0.5500",
        "no_ask_dollars": "0.6000",
    }
    assert [m["price_ranges"] for m in markets] == [
        [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}],
        [{"start": "0.0000", "end": "1.0000", "step": "0.0010"}],
    ]
    book = (await rest.get("/trade-api/v2/markets/SIM-001/orderbook")).json()["orderbook_fp"]
    assert book == {"yes_dollars": [["0.4000", "5.00"]], "no_dollars": [["0.5500", "5.00"]]}


async def test_an_order_crossing_the_book_fills_across_levels_with_taker_fees_and_rests_the_rest(
    venue: VenueServer, rest: httpx.AsyncClient
) -> None:
    rest_bid(venue, "no", "0.58", "4")  # YES ask 0.42
    rest_bid(venue, "no", "0.56", "6")  # YES ask 0.44

    reply = await rest.post(
        ORDERS,
        json=order_body(count_fp="15", yes_price_dollars="0.44", client_order_id="cross-1"),
    )

    assert reply.status_code == 201
    order = reply.json()["order"]
    assert (order["status"], order["fill_count_fp"], order["remaining_count_fp"]) == (
        "resting",
        "10.00",
        "5.00",
    )
    expected_fees = _fee("4", "0.42") + _fee("6", "0.44")
    assert D(order["taker_fees_dollars"]) == expected_fees
    fills = (await rest.get("/trade-api/v2/portfolio/fills")).json()["fills"]
    assert [(f["count_fp"], f["yes_price_dollars"], D(f["fee_cost"])) for f in fills] == [
        ("4.00", "0.4200", _fee("4", "0.42")),
        ("6.00", "0.4400", _fee("6", "0.44")),
    ]
    balance = (await rest.get("/trade-api/v2/portfolio/balance")).json()
    free = D("1000.00") - 4 * D("0.42") - 6 * D("0.44") - expected_fees - 5 * D("0.44")
    assert balance["balance"] == int(free * 100)
    assert balance["balance_dollars"] == f"{free:.4f}"
    assert balance["portfolio_value"] == int((4 * D("0.42") + 6 * D("0.44")) * 100)
    assert abs(balance["updated_ts"] - time.time()) < 60
    accounts = (await rest.get("/sim/accounts")).json()["accounts"]
    assert [a["reserved_dollars"] for a in accounts if a["account"] == "trader"] == ["2.2000"]
    positions = (await rest.get("/trade-api/v2/portfolio/positions")).json()["market_positions"]
    assert positions[0]["position_fp"] == "10.00"
    assert D(positions[0]["market_exposure_dollars"]) == 4 * D("0.42") + 6 * D("0.44")
    assert D(positions[0]["fees_paid_dollars"]) == expected_fees
    assert positions[0]["exchange_index"] == 0
    assert positions[0]["last_updated_ts"].endswith("Z")
    assert "resting_orders_count" not in positions[0]  # only with legacy_fields
    resting = (await rest.get(ORDERS, params={"status": "resting"})).json()["orders"]
    assert [o["order_id"] for o in resting] == [order["order_id"]]


async def test_a_fill_or_kill_order_that_cannot_fill_is_canceled_whole(
    venue: VenueServer, rest: httpx.AsyncClient
) -> None:
    rest_bid(venue, "no", "0.58", "4")

    reply = await rest.post(
        ORDERS,
        json=order_body(count_fp="5", yes_price_dollars="0.42", time_in_force="fill_or_kill"),
    )

    order = reply.json()["order"]
    assert (reply.status_code, order["status"], order["fill_count_fp"]) == (201, "canceled", "0.00")
    assert (await rest.get("/trade-api/v2/portfolio/fills")).json()["fills"] == []
    assert venue.sim.engine.book("SIM-001").levels("no") == [[D("0.58"), D(4)]]


async def test_a_duplicate_client_order_id_answers_409_with_kalshis_conflict_error(
    rest: httpx.AsyncClient,
) -> None:
    first = await rest.post(
        ORDERS, json=order_body(yes_price_dollars="0.30", client_order_id="dup")
    )
    again = await rest.post(
        ORDERS, json=order_body(yes_price_dollars="0.31", count_fp="3", client_order_id="dup")
    )

    assert (first.status_code, again.status_code) == (201, 409)
    assert set(again.json()) == {"code", "message"}  # ErrorResponse: no order echo
    assert again.json()["code"] == "order_already_exists"
    assert len((await rest.get(ORDERS)).json()["orders"]) == 1


async def test_an_order_can_be_read_found_by_listing_and_canceled_once(
    rest: httpx.AsyncClient,
) -> None:
    placed = (await rest.post(ORDERS, json=order_body(count_fp="3", client_order_id="c-7"))).json()
    order_id = placed["order"]["order_id"]

    listed = (await rest.get(ORDERS, params={"ticker": "SIM-001"})).json()["orders"]
    found = [o for o in listed if o["client_order_id"] == "c-7"]
    canceled = await rest.delete(f"{ORDERS}/{order_id}")
    again = await rest.delete(f"{ORDERS}/{order_id}")

    assert [o["order_id"] for o in found] == [order_id]
    assert canceled.status_code == 200
    assert (canceled.json()["order"]["status"], canceled.json()["reduced_by_fp"]) == (
        "canceled",
        "3.00",
    )
    assert (await rest.get(f"{ORDERS}/{order_id}")).json()["order"]["status"] == "canceled"
    # cancel-order.md documents only 404 for an order that cannot be canceled
    assert (again.status_code, again.json()["code"]) == (404, "not_found")
    assert (await rest.get(f"{ORDERS}/nope")).status_code == 404


async def test_the_truth_log_holds_exactly_the_fills_reported_to_the_trader(
    venue: VenueServer, rest: httpx.AsyncClient
) -> None:
    rest_bid(venue, "no", "0.60", "3")
    rest_bid(venue, "yes", "0.45", "4")
    await rest.post(
        ORDERS, json=order_body(count_fp="5", yes_price_dollars="0.40", client_order_id="a")
    )
    await rest.post(
        ORDERS,
        json=order_body(
            side="no",
            count_fp="6",
            yes_price_dollars=None,
            no_price_dollars="0.55",
            client_order_id="b",
        ),
    )
    await rest.post(ORDERS, json=order_body(yes_price_dollars="0"))  # rejected: bad price

    fills = (await rest.get("/trade-api/v2/portfolio/fills")).json()["fills"]
    truth = (await rest.get("/sim/truth", params={"account": "trader"})).json()["entries"]

    assert [e["record"] for e in truth if e["kind"] == "fill"] == fills
    assert len(fills) == 2
    kinds = [e["kind"] for e in truth]
    assert kinds.count("order_accepted") == 2
    assert kinds[-1] == "order_rejected"
    assert truth[-1]["record"]["field"] == "yes_price_dollars"
    assert [e["seq"] for e in truth] == sorted(e["seq"] for e in truth)


@pytest.mark.parametrize(
    ("call", "status", "field"),
    [
        (("POST", ORDERS, b"{not json"), 400, "body"),
        (("POST", ORDERS, b"[1, 2]"), 400, "body"),
        (("POST", ORDERS, b'{"ticker": "SIM-001", "count_fp": NaN}'), 400, "body"),
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
    assert reply.json().get("details") == field
    assert (await rest.get("/trade-api/v2/markets")).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ticker": 5}, "ticker"),
        ({"side": "maybe"}, "side"),
        ({"action": "hold"}, "action"),
        ({"count_fp": "0"}, "count_fp"),
        ({"count_fp": "2.555"}, "count_fp"),  # more than 2 decimals
        ({"count_fp": "-1.00"}, "count_fp"),
        ({"count_fp": 2}, "count_fp"),  # a number where a string is required
        ({"count_fp": True}, "count_fp"),
        ({"yes_price_dollars": "1.0000"}, "yes_price_dollars"),
        ({"yes_price_dollars": "-0.30"}, "yes_price_dollars"),
        ({"yes_price_dollars": 0.5}, "yes_price_dollars"),  # a number, not a string
        ({"yes_price_dollars": "0.45001"}, "yes_price_dollars"),  # more than 4 decimals
        ({"yes_price_dollars": "0.455"}, "yes_price_dollars"),  # off SIM-001's 0.01 grid
        ({"yes_price_dollars": "0.5e0"}, "yes_price_dollars"),
        ({"ticker": "SIM-002", "yes_price_dollars": "0.4555"}, "yes_price_dollars"),  # 0.001
        ({"no_price_dollars": "0.40"}, "no_price_dollars"),  # two prices that disagree
        ({"count": 2}, "count_fp"),  # count and count_fp must match
        ({"count": 0}, "count"),
        ({"count": "1"}, "count"),
        ({"yes_price": 40}, "yes_price_dollars"),  # disagrees with yes_price_dollars
        ({"yes_price": 100}, "yes_price"),
        ({"post_only": True}, "post_only"),  # documented, not simulated
        ({"subaccount": 2}, "subaccount"),
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
    assert reply.json()["details"] == field
    assert (await rest.get(ORDERS)).json()["orders"] == []


async def test_an_off_grid_price_names_the_tick_and_an_on_grid_sub_penny_price_is_taken(
    rest: httpx.AsyncClient,
) -> None:
    off = await rest.post(ORDERS, json=order_body(yes_price_dollars="0.455"))
    on = await rest.post(
        ORDERS, json=order_body(ticker="SIM-002", yes_price_dollars="0.455", count_fp="0.5")
    )

    assert off.status_code == 400
    assert "0.01" in off.json()["message"]
    assert on.status_code == 201
    order = on.json()["order"]
    assert (order["yes_price_dollars"], order["initial_count_fp"]) == ("0.4550", "0.50")


async def test_orders_the_venue_refuses_are_400_with_a_reason(rest: httpx.AsyncClient) -> None:
    broke = await rest.post(ORDERS, json=order_body(count_fp="100000", yes_price_dollars="0.90"))
    short = await rest.post(ORDERS, json=order_body(action="sell"))
    unknown = await rest.post(ORDERS, json=order_body(ticker="SIM-999"))

    assert (broke.status_code, broke.json()["code"]) == (400, "available_balance_too_low")
    assert (short.status_code, short.json()["code"]) == (400, "insufficient_position")
    # create-order.md documents no 404: an unknown market is a 400
    assert (unknown.status_code, unknown.json()["code"]) == (400, "market_not_found")


async def test_many_concurrent_clients_are_served(rest: httpx.AsyncClient) -> None:
    statuses: list[int] = []

    async def one(number: int) -> None:
        reply = await rest.post(
            ORDERS, json=order_body(yes_price_dollars="0.10", client_order_id=f"n{number}")
        )
        statuses.append(reply.status_code)

    async with trio.open_nursery() as nursery:
        for number in range(20):
            nursery.start_soon(one, number)

    assert statuses == [201] * 20
    assert len((await rest.get(ORDERS, params={"status": "resting"})).json()["orders"]) == 20
