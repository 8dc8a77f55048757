"""The venue REST client: answers become values or typed errors (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import trio
import trio.testing

from actors.domain import Action, OrderIntent, OrderState, Side
from actors.errors import (
    CriticalVenueError,
    InsufficientBalance,
    InvalidOrder,
    TransientVenueError,
    VenueAuthError,
    VenueDisconnected,
    VenueRateLimited,
    VenueServerError,
    VenueTimeout,
)
from actors.execution import Deadlines, ExecutionConfig, RateLimit, VenueClient
from actors.execution._wire import error_for

URL = "http://venue.test/trade-api/v2"
INTENT = OrderIntent("cid-1", "SIM-001", Side.YES, Action.BUY, 42, 5)


def order_json(**fields: Any) -> dict[str, Any]:
    order = {
        "order_id": "o00000001",
        "client_order_id": "cid-1",
        "ticker": "SIM-001",
        "side": "yes",
        "action": "buy",
        "status": "executed",
        "yes_price": 42,
        "no_price": 58,
        "initial_count": 5,
        "fill_count": 5,
        "remaining_count": 0,
        "cancel_reason": None,
    }
    order.update(fields)
    return order


def client_for(handler: Callable[[httpx.Request], httpx.Response], **config: Any) -> VenueClient:
    settings: dict[str, Any] = {"rest_url": URL, "rate_limits": {"*": RateLimit(1000.0, 1000)}}
    settings.update(config)
    return VenueClient(ExecutionConfig(**settings), transport=httpx.MockTransport(handler))


def answer(status: int, body: Any = None, **headers: str) -> Callable[[httpx.Request], Any]:
    return lambda _request: httpx.Response(status, json=body, headers=headers)


def venue_error(code: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": f"{code} happened"}}


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "branch"),
    [
        (429, venue_error("rate_limited"), {"Retry-After": "2"}, VenueRateLimited,
         TransientVenueError),
        (500, venue_error("server_error"), {}, VenueServerError, TransientVenueError),
        (503, None, {}, VenueServerError, TransientVenueError),
        (401, venue_error("unauthorized"), {}, VenueAuthError, CriticalVenueError),
        (403, venue_error("forbidden"), {}, VenueAuthError, CriticalVenueError),
        (400, venue_error("insufficient_balance"), {}, InsufficientBalance, CriticalVenueError),
        (400, venue_error("bad_request"), {}, InvalidOrder, CriticalVenueError),
        (404, venue_error("market_not_found"), {}, InvalidOrder, CriticalVenueError),
    ],
)  # fmt: skip
async def test_each_http_failure_becomes_its_typed_venue_error(
    status: int, body: Any, headers: dict[str, str], error: type, branch: type
) -> None:
    async with client_for(answer(status, body, **headers)) as client:
        with pytest.raises(error) as raised:
            await client.create_order(INTENT)
    assert isinstance(raised.value, branch)
    assert raised.value.endpoint == "POST /portfolio/orders"
    assert raised.value.client_order_id == "cid-1"


def test_retry_after_is_read_in_seconds_and_garbage_counts_as_zero() -> None:
    def limited(header: str | None) -> float:
        error = error_for(429, None, endpoint="e", retry_after=header)
        assert isinstance(error, VenueRateLimited)
        return error.retry_after

    assert (limited("2"), limited("0.5"), limited(None), limited("Wed, 21 Oct")) == (2, 0.5, 0, 0)
    server_error = error_for(502, None, endpoint="e")
    assert isinstance(server_error, VenueServerError)
    assert server_error.status == 502


async def test_a_connection_failure_is_a_disconnect() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with client_for(refuse) as client:
        with pytest.raises(VenueDisconnected):
            await client.list_orders()


async def test_a_call_past_its_deadline_is_a_timeout(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await trio.sleep(10)
        return httpx.Response(200, json={"orders": []})

    async with client_for(slow, deadlines=Deadlines(query=0.5)) as client:
        began = trio.current_time()
        with pytest.raises(VenueTimeout):
            await client.list_orders()
        assert trio.current_time() - began == pytest.approx(0.5)


async def test_a_duplicate_client_order_id_returns_the_original_order() -> None:
    body = {"error": {"code": "duplicate_client_order_id", "message": "dup"}, "order": order_json()}
    async with client_for(answer(409, body)) as client:
        order = await client.create_order(INTENT)
    assert (order.order_id, order.client_order_id, order.fill_count) == ("o00000001", "cid-1", 5)
    assert order.state is OrderState.FILLED


async def test_create_sends_an_ioc_limit_order_under_the_intents_client_order_id() -> None:
    sent: list[dict[str, Any]] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"order": order_json()})

    async with client_for(record) as client:
        await client.create_order(INTENT)
    assert sent == [
        {
            "ticker": "SIM-001",
            "side": "yes",
            "action": "buy",
            "count": 5,
            "type": "limit",
            "yes_price": 42,
            "time_in_force": "immediate_or_cancel",
            "client_order_id": "cid-1",
        }
    ]


async def test_cancelling_an_order_that_no_longer_rests_returns_it_as_it_is() -> None:
    def venue(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return httpx.Response(400, json=venue_error("order_not_cancelable"))
        return httpx.Response(200, json={"order": order_json()})

    async with client_for(venue) as client:
        resting = await client.get_order("o00000001")
        order = await client.cancel_order(resting)
    assert order.status == "executed"


async def test_a_malformed_answer_is_a_server_error_not_a_crash() -> None:
    async with client_for(answer(200, {"orders": [{"order_id": 7}]})) as client:
        with pytest.raises(VenueServerError, match="malformed"):
            await client.list_orders()


async def test_lookup_by_client_order_id_finds_the_order_or_none() -> None:
    def venue(request: httpx.Request) -> httpx.Response:
        wanted = request.url.params.get("client_order_id")
        orders = [order_json()] if wanted == "cid-1" else []
        return httpx.Response(200, json={"orders": orders, "cursor": ""})

    async with client_for(venue) as client:
        found = await client.find_order("cid-1")
        missing = await client.find_order("cid-2")
    assert found is not None
    assert found.order_id == "o00000001"
    assert missing is None


async def test_a_429_holds_the_endpoint_back_for_retry_after(
    autojump_clock: trio.testing.MockClock,
) -> None:
    calls: list[float] = []

    def venue(request: httpx.Request) -> httpx.Response:
        calls.append(trio.current_time())
        if len(calls) == 1:
            return httpx.Response(
                429, json=venue_error("rate_limited"), headers={"Retry-After": "3"}
            )
        return httpx.Response(201, json={"order": order_json()})

    async with client_for(venue) as client:
        with pytest.raises(VenueRateLimited):
            await client.create_order(INTENT)
        await client.create_order(INTENT)
    assert calls[1] - calls[0] == pytest.approx(3.0)
