"""HTTP and matching fault knobs, set at run time through /sim/faults or at start."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
import trio

from tests.warden.conftest import order_body, quiet_config, rest_bid
from warden.venue import Faults, HttpFaults, VenueServer, open_venue

ORDERS = "/trade-api/v2/portfolio/orders"


async def test_timeout_after_apply_leaves_an_order_a_client_order_id_lookup_finds(
    rest: httpx.AsyncClient,
) -> None:
    await rest.post("/sim/faults", json={"http": {"create_order": {"timeout_after_apply_rate": 1}}})

    with pytest.raises(httpx.ReadTimeout):
        await rest.post(ORDERS, json=order_body(client_order_id="lost-1"), timeout=0.5)
    found = (await rest.get(ORDERS, params={"client_order_id": "lost-1"})).json()["orders"]

    assert [(o["client_order_id"], o["status"]) for o in found] == [("lost-1", "resting")]
    await rest.delete("/sim/faults")
    retry = await rest.post(ORDERS, json=order_body(client_order_id="lost-1"), timeout=0.5)
    assert retry.status_code == 409  # never blindly re-sent: the venue holds it once


async def test_a_429_has_kalshis_body_and_only_hits_its_endpoint(
    rest: httpx.AsyncClient,
) -> None:
    await rest.post(
        "/sim/faults", json={"http": {"get_balance": {"error_429_rate": 1, "retry_after_s": 3}}}
    )

    limited = await rest.get("/trade-api/v2/portfolio/balance")
    other = await rest.get("/trade-api/v2/markets")
    await rest.delete("/sim/faults", params={"scope": "http.get_balance"})
    after = await rest.get("/trade-api/v2/portfolio/balance")

    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert limited.json() == {"error": "too many requests"}  # getting_started/rate_limits.md
    assert (other.status_code, after.status_code) == (200, 200)


async def test_an_injected_5xx_does_not_apply_the_order(rest: httpx.AsyncClient) -> None:
    await rest.post("/sim/faults", json={"http": {"create_order": {"error_5xx_rate": 1}}})

    reply = await rest.post(ORDERS, json=order_body(client_order_id="never"))

    assert reply.status_code in {500, 502, 503}
    assert (await rest.get(ORDERS)).json()["orders"] == []


async def test_a_hung_endpoint_never_answers_while_the_others_do(rest: httpx.AsyncClient) -> None:
    await rest.post("/sim/faults", json={"http": {"list_markets": {"hang_rate": 1}}})

    with pytest.raises(httpx.ReadTimeout):
        await rest.get("/trade-api/v2/markets", timeout=0.3)
    assert (await rest.get("/trade-api/v2/portfolio/balance")).status_code == 200
    await rest.delete("/sim/faults")
    assert (await rest.get("/trade-api/v2/markets")).status_code == 200


async def test_latency_delays_the_answer_by_at_least_the_configured_time(
    rest: httpx.AsyncClient,
) -> None:
    await rest.post("/sim/faults", json={"http": {"*": {"latency_ms": 300, "jitter_ms": 50}}})

    start = trio.current_time()
    reply = await rest.get("/trade-api/v2/portfolio/balance")

    assert reply.status_code == 200
    assert trio.current_time() - start >= 0.3


async def test_the_partial_fill_knob_lets_a_competitor_take_part_of_the_liquidity(
    venue: VenueServer, rest: httpx.AsyncClient
) -> None:
    rest_bid(venue, "no", "0.60", "6")
    rest_bid(venue, "no", "0.59", "4")
    await rest.post("/sim/faults", json={"partial_fill_rate": 1.0})
    money_before = venue.sim.engine.conservation().total

    order = (
        await rest.post(
            ORDERS,
            json=order_body(
                count_fp="10", yes_price_dollars="0.41", time_in_force="immediate_or_cancel"
            ),
        )
    ).json()["order"]

    filled = Decimal(order["fill_count_fp"])
    assert 1 <= filled < 10
    assert order["status"] == "canceled"
    truth = (await rest.get("/sim/truth", params={"account": "competitor"})).json()["entries"]
    competitor_fills = sum(Decimal(e["record"]["count_fp"]) for e in truth if e["kind"] == "fill")
    assert competitor_fills + filled == 10
    assert venue.sim.engine.conservation().total == money_before


async def test_faults_given_at_start_apply_to_rest_but_never_to_sim_endpoints() -> None:
    faults = Faults(http={"*": HttpFaults(error_5xx_rate=1.0)})
    async with (
        open_venue(quiet_config(faults=faults)) as venue,
        httpx.AsyncClient(base_url=venue.url) as client,
    ):
        failing = await client.get("/trade-api/v2/markets")
        current = await client.get("/sim/faults")
        await client.delete("/sim/faults", params={"scope": "http"})
        healed = await client.get("/trade-api/v2/markets")

    assert failing.status_code >= 500
    assert current.json()["faults"]["http"]["*"]["error_5xx_rate"] == 1.0
    assert healed.status_code == 200


async def test_a_create_order_knob_also_faults_the_v2_create(rest: httpx.AsyncClient) -> None:
    await rest.post("/sim/faults", json={"http": {"create_order": {"error_5xx_rate": 1}}})
    v2 = {
        "ticker": "SIM-001",
        "side": "bid",
        "count": "1.00",
        "price": "0.5000",
        "time_in_force": "good_till_canceled",
        "self_trade_prevention_type": "taker_at_cross",
    }

    legacy = await rest.post(ORDERS, json=order_body())
    events = await rest.post("/trade-api/v2/portfolio/events/orders", json=v2)

    assert legacy.status_code in {500, 502, 503}
    assert events.status_code in {500, 502, 503}
    assert (await rest.get(ORDERS)).json()["orders"] == []  # neither was applied
