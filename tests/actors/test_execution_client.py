"""Kalshi's REST client: answers become values or typed errors (httpx.MockTransport).

The answers here follow Kalshi's documented objects (Order, Fill, positions,
balance, CreateOrderV2Response, ErrorResponse: docs/api-reference in
../shared/venues/kalshi/docs). Money crosses as fixed-point strings: the V2
order's ``count`` and YES ``price`` are written exactly, answers are read into
``Decimal``, and malformed money is a venue-data error naming the field and the
order.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest
import trio
import trio.testing
from hypothesis import given
from hypothesis import strategies as st

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
from actors.execution import Deadlines, ExecutionConfig, RateLimit
from actors.execution._workflows import limit_below
from actors.money import ONE, PriceGrid
from actors.venues import VenuePosition
from actors.venues.kalshi import KalshiClient
from actors.venues.kalshi._wire import error_for

URL = "http://venue.test/trade-api/v2"
INTENT = OrderIntent("cid-1", "SIM-001", Side.YES, Action.BUY, Decimal("0.42"), Decimal(5))


def order_json(**fields: Any) -> dict[str, Any]:
    """Kalshi's Order object with its required fields (get-orders.md), no deprecated ones."""
    order = {
        "order_id": "o00000001",
        "user_id": "u1",
        "client_order_id": "cid-1",
        "ticker": "SIM-001",
        "outcome_side": "yes",
        "book_side": "bid",
        "type": "limit",
        "status": "executed",
        "yes_price_dollars": "0.4200",
        "no_price_dollars": "0.5800",
        "initial_count_fp": "5.00",
        "fill_count_fp": "5.00",
        "remaining_count_fp": "0.00",
        "taker_fees_dollars": "0.0700",
        "maker_fees_dollars": "0.0000",
        "taker_fill_cost_dollars": "2.1000",
        "maker_fill_cost_dollars": "0.0000",
    }
    order.update(fields)
    return order


def fill_json(**fields: Any) -> dict[str, Any]:
    """Kalshi's Fill object with its required fields (get-fills.md): no client order id."""
    fill = {
        "fill_id": "t1",
        "exchange_index": 0,
        "trade_id": "t1",
        "order_id": "o00000001",
        "ticker": "SIM-001",
        "market_ticker": "SIM-001",
        "outcome_side": "no",
        "book_side": "ask",
        "count_fp": "2.50",
        "yes_price_dollars": "0.4450",
        "no_price_dollars": "0.5550",
        "is_taker": True,
        "fee_cost": "0.004341",
        "created_time": "2026-12-01T00:00:00Z",
    }
    fill.update(fields)
    return fill


def created_json(**fields: Any) -> dict[str, Any]:
    """Kalshi's CreateOrderV2Response (create-order-v2.md)."""
    created: dict[str, Any] = {
        "order_id": "o00000001",
        "client_order_id": "cid-1",
        "fill_count": "5.00",
        "remaining_count": "0.00",
        "average_fill_price": "0.4200",
        "average_fee_paid": "0.0140",
        "ts_ms": 1715793600123,
    }
    created.update(fields)
    return created


def markets_json(*ranges: dict[str, str], ticker: str = "SIM-001") -> dict[str, Any]:
    market: dict[str, Any] = {"ticker": ticker, "status": "open"}
    if ranges:
        market["price_ranges"] = list(ranges)
    return {"markets": [market], "cursor": ""}


DECI_CENT = {"start": "0.0000", "end": "1.0000", "step": "0.0010"}


def client_for(handler: Callable[[httpx.Request], httpx.Response], **config: Any) -> KalshiClient:
    settings: dict[str, Any] = {"rest_url": URL, "rate_limits": {"*": RateLimit(1000.0, 1000)}}
    settings.update(config)
    return KalshiClient(ExecutionConfig(**settings), transport=httpx.MockTransport(handler))


def answer(status: int, body: Any = None, **headers: str) -> Callable[[httpx.Request], Any]:
    return lambda _request: httpx.Response(status, json=body, headers=headers)


def venue_error(code: str) -> dict[str, Any]:
    """Kalshi's ErrorResponse: ``{code, message, details}``."""
    return {"code": code, "message": f"{code} happened", "details": ""}


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
        (400, venue_error("available_balance_too_low"), {}, InsufficientBalance,
         CriticalVenueError),
        (404, venue_error("market_not_found"), {}, InvalidOrder, CriticalVenueError),
        (429, {"error": "too many requests"}, {}, VenueRateLimited, TransientVenueError),
    ],
)  # fmt: skip
async def test_each_http_failure_becomes_its_typed_venue_error(
    status: int, body: Any, headers: dict[str, str], error: type, branch: type
) -> None:
    async with client_for(answer(status, body, **headers)) as client:
        with pytest.raises(error) as raised:
            await client.create_order(INTENT)
    assert isinstance(raised.value, branch)
    assert raised.value.endpoint == "POST /portfolio/events/orders"
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


async def test_a_409_is_resolved_by_listing_the_markets_orders_never_by_sending_again() -> None:
    requests: list[httpx.Request] = []

    def venue(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.method == "POST":
            return httpx.Response(409, json=venue_error("conflict"))
        listed = [order_json(order_id="o-other", client_order_id="cid-9"), order_json()]
        return httpx.Response(200, json={"orders": listed, "cursor": ""})

    async with client_for(venue) as client:
        order = await client.create_order(INTENT)
    assert (order.order_id, order.client_order_id, order.fill_count) == (
        "o00000001",
        "cid-1",
        Decimal(5),
    )
    assert order.state is OrderState.FILLED
    assert [r.method for r in requests] == ["POST", "GET"]  # one submit, then a lookup
    assert requests[1].url.path == "/trade-api/v2/portfolio/orders"
    assert requests[1].url.params["ticker"] == "SIM-001"
    assert "client_order_id" not in requests[1].url.params  # Kalshi has no such filter


async def test_a_409_for_an_order_not_listed_yet_stays_unknown_a_transient_error() -> None:
    def venue(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(409, json=venue_error("conflict"))
        return httpx.Response(200, json={"orders": [], "cursor": ""})

    async with client_for(venue) as client:
        with pytest.raises(VenueServerError, match="409") as raised:
            await client.create_order(INTENT)
    assert isinstance(raised.value, TransientVenueError)
    assert raised.value.client_order_id == "cid-1"


async def test_create_sends_a_v2_ioc_order_under_the_intents_client_order_id() -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(201, json=created_json())

    async with client_for(record) as client:
        order = await client.create_order(INTENT)
    (request,) = sent
    assert (request.method, request.url.path) == ("POST", "/trade-api/v2/portfolio/events/orders")
    assert json.loads(request.content) == {
        "ticker": "SIM-001",
        "client_order_id": "cid-1",
        "side": "bid",
        "count": "5.00",
        "price": "0.4200",
        "time_in_force": "immediate_or_cancel",
        "self_trade_prevention_type": "taker_at_cross",
    }
    assert (order.order_id, order.status, order.fill_count, order.price) == (
        "o00000001",
        "executed",
        Decimal(5),
        Decimal("0.42"),
    )


@pytest.mark.parametrize(
    ("filled", "remaining", "time_in_force", "status"),
    [
        ("5.00", "0.00", "immediate_or_cancel", "executed"),
        ("2.00", "0.00", "immediate_or_cancel", "canceled"),  # the rest was cancelled
        ("0.00", "0.00", "immediate_or_cancel", "canceled"),
        ("2.00", "3.00", "good_till_canceled", "resting"),
    ],
)
async def test_the_v2_answer_gives_the_orders_state_without_a_status_field(
    filled: str, remaining: str, time_in_force: str, status: str
) -> None:
    reply = created_json(fill_count=filled, remaining_count=remaining)
    async with client_for(answer(201, reply)) as client:
        order = await client.create_order(INTENT, time_in_force=time_in_force)
    assert (order.status, order.fill_count, order.remaining_count) == (
        status,
        Decimal(filled),
        Decimal(remaining),
    )


@pytest.mark.parametrize(
    "reply",
    [
        created_json(fill_count="4.00", remaining_count="2.00"),  # more than was sent
        created_json(fill_count="2.00", remaining_count="3.00"),  # an IOC left resting
        created_json(fill_count=5),  # a number, not a fixed-point string
    ],
)
async def test_a_v2_answer_that_does_not_add_up_is_malformed(reply: dict[str, Any]) -> None:
    async with client_for(answer(201, reply)) as client:
        with pytest.raises(VenueServerError, match="created order 'cid-1'"):
            await client.create_order(INTENT)


@pytest.mark.parametrize(
    ("side", "action", "price", "book_side", "yes_price"),
    [
        (Side.YES, Action.BUY, "0.07", "bid", "0.0700"),
        (Side.YES, Action.SELL, "0.07", "ask", "0.0700"),
        (Side.NO, Action.BUY, "0.07", "ask", "0.9300"),
        (Side.NO, Action.SELL, "0.07", "bid", "0.9300"),
    ],
)
async def test_every_direction_is_one_side_of_the_yes_book_and_a_fractional_count_is_exact(
    side: Side, action: Action, price: str, book_side: str, yes_price: str
) -> None:
    sent: list[dict[str, Any]] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json=created_json(fill_count="0.50"))

    intent = OrderIntent("cid-1", "SIM-001", side, action, Decimal(price), Decimal("0.5"))
    async with client_for(record) as client:
        order = await client.create_order(intent)
    (body,) = sent
    assert (body["side"], body["price"], body["count"]) == (book_side, yes_price, "0.50")
    assert (order.side, order.action, order.price) == (side, action, Decimal(price))


async def test_a_price_off_the_default_one_cent_grid_is_refused_before_any_request() -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(201, json=created_json())

    intent = OrderIntent("cid-1", "SIM-001", Side.YES, Action.BUY, Decimal("0.425"), Decimal(5))
    async with client_for(record) as client:
        with pytest.raises(InvalidOrder, match=r"0\.425.*tick 0\.01") as raised:
            await client.create_order(intent)
    assert requests == []
    assert raised.value.client_order_id == "cid-1"
    assert raised.value.endpoint == "POST /portfolio/events/orders"


async def test_the_market_list_sets_each_markets_grid_and_a_sub_penny_price_is_sent_exactly() -> (
    None
):
    sent: list[dict[str, Any]] = []

    def venue(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/markets"):
            return httpx.Response(200, json=markets_json(DECI_CENT))
        sent.append(json.loads(request.content))
        return httpx.Response(201, json=created_json())

    intent = OrderIntent("cid-1", "SIM-001", Side.YES, Action.BUY, Decimal("0.425"), Decimal(5))
    async with client_for(venue) as client:
        grids = await client.list_markets()
        order = await client.create_order(intent)
        with pytest.raises(InvalidOrder, match=r"tick 0\.001\b"):
            await client.create_order(attrs.evolve(intent, price=Decimal("0.4255")))
    assert grids["SIM-001"].tick == Decimal("0.001")
    assert (grids["SIM-001"].min_price, grids["SIM-001"].max_price) == (
        Decimal("0.001"),
        Decimal("0.999"),
    )
    assert client.grid("OTHER").tick == Decimal("0.01")  # not listed: linear_cent
    assert [body["price"] for body in sent] == ["0.4250"]
    assert order.price == Decimal("0.425")


async def test_a_market_without_price_ranges_is_on_the_one_cent_grid() -> None:
    async with client_for(answer(200, markets_json())) as client:
        grids = await client.list_markets()
    assert (grids["SIM-001"].tick, grids["SIM-001"].max_price) == (Decimal("0.01"), Decimal("0.99"))


@pytest.mark.parametrize(
    "ranges",
    [
        [{"start": "0.0000", "end": "1.0000", "step": 0.01}],  # a number, not a string
        [{"start": "0.0000", "end": "1.0000", "step": "0.0000"}],
        [{"start": "0.0000", "end": "1.0000"}],
        "linear_cent",
    ],
)
async def test_malformed_price_ranges_are_a_server_error_naming_the_market(ranges: Any) -> None:
    body = {"markets": [{"ticker": "SIM-001", "price_ranges": ranges}], "cursor": ""}
    async with client_for(answer(200, body)) as client:
        with pytest.raises(VenueServerError, match="market 'SIM-001'"):
            await client.list_markets()
        assert client.grid("SIM-001").tick == Decimal("0.01")  # nothing half-learnt


async def test_cancelling_an_order_that_no_longer_rests_returns_it_as_it_is() -> None:
    requests: list[tuple[str, str]] = []

    def venue(request: httpx.Request) -> httpx.Response:
        requests.append((request.method, request.url.path))
        if request.method == "DELETE":
            return httpx.Response(404, json=venue_error("not_found"))
        return httpx.Response(200, json={"order": order_json()})

    async with client_for(venue) as client:
        resting = attrs.evolve(await client.get_order("o00000001"), status="resting")
        order = await client.cancel_order(resting)
    assert order.status == "executed"
    assert requests[1:] == [
        ("DELETE", "/trade-api/v2/portfolio/events/orders/o00000001"),
        ("GET", "/trade-api/v2/portfolio/orders/o00000001"),
    ]


async def test_a_cancel_answers_the_order_as_the_venue_reads_it_back() -> None:
    def venue(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            cancelled = {"order_id": "o00000001", "client_order_id": "cid-1", "reduced_by": "3.00"}
            return httpx.Response(200, json={**cancelled, "ts_ms": 1715793660456})
        read = order_json(status="canceled", fill_count_fp="2.00", remaining_count_fp="0.00")
        return httpx.Response(200, json={"order": read})

    resting = attrs.evolve(
        await _an_order(), status="resting", fill_count=Decimal(2), remaining_count=Decimal(3)
    )
    async with client_for(venue) as client:
        order = await client.cancel_order(resting)
    assert (order.status, order.fill_count, order.state) == (
        "canceled",
        Decimal(2),
        OrderState.CANCELED,
    )


async def _an_order() -> Any:
    async with client_for(answer(200, {"order": order_json()})) as client:
        return await client.get_order("o00000001")


async def test_a_malformed_answer_is_a_server_error_not_a_crash() -> None:
    async with client_for(answer(200, {"orders": [{"order_id": 7}]})) as client:
        with pytest.raises(VenueServerError, match="malformed"):
            await client.list_orders()


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("fill_count_fp", 5, "must be a fixed-point decimal string"),
        ("yes_price_dollars", 0.42, "must be a fixed-point decimal string"),
        ("yes_price_dollars", "0.42001", "has 5 decimals, more than the 4 allowed"),
        ("initial_count_fp", "5.001", "has 3 decimals, more than the 2 allowed"),
        ("remaining_count_fp", "-1.00", "must be plain fixed-point digits"),
        ("yes_price_dollars", "1.0000", "must be a Decimal multiple of tick 0.0001"),
        ("yes_price_dollars", "4.2e-1", "must be plain fixed-point digits"),
    ],
)
async def test_malformed_money_in_an_order_is_a_server_error_naming_the_field_and_the_order(
    field: str, value: Any, rule: str
) -> None:
    async with client_for(answer(200, {"order": order_json(**{field: value})})) as client:
        with pytest.raises(VenueServerError) as raised:
            await client.get_order("o00000001")
    message = str(raised.value)
    assert "malformed" in message
    assert "order_id 'o00000001'" in message
    assert f"{field!r}" in message
    assert rule in message


async def test_an_order_missing_its_fixed_point_count_is_malformed() -> None:
    record = order_json()
    del record["fill_count_fp"]
    record["fill_count"] = 5  # the legacy integer field is not read
    async with client_for(answer(200, {"order": record})) as client:
        with pytest.raises(VenueServerError, match="missing 'fill_count_fp'"):
            await client.get_order("o00000001")


def fills_venue(
    *fills: dict[str, Any], orders: dict[str, dict[str, Any]] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    """A venue with ``fills`` and the orders they belong to (``order_id`` -> object)."""
    known = orders if orders is not None else {"o00000001": order_json()}

    def venue(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/portfolio/fills"):
            return httpx.Response(200, json={"fills": list(fills), "cursor": ""})
        if request.url.path.endswith("/portfolio/orders"):
            return httpx.Response(200, json={"orders": list(known.values()), "cursor": ""})
        order_id = request.url.path.rsplit("/", 1)[1]
        if order_id not in known:
            return httpx.Response(404, json=venue_error("not_found"))
        return httpx.Response(200, json={"order": known[order_id]})

    return venue


async def test_fills_are_read_exactly_with_the_fee_from_fee_cost_and_their_orders_client_id() -> (
    None
):
    async with client_for(fills_venue(fill_json())) as client:
        (fill,) = await client.list_fills()
    assert (fill.fill_id, fill.client_order_id, fill.side, fill.action) == (
        "t1",
        "cid-1",  # from its order: Kalshi's fills carry no client order id
        Side.NO,
        Action.BUY,  # outcome_side "no": long NO
    )
    assert (fill.price, fill.count, fill.fee) == (
        Decimal("0.555"),
        Decimal("2.5"),
        Decimal("0.004341"),
    )
    assert str(fill.fee) == "0.004341"  # as the venue sent it


async def test_a_fill_of_an_order_the_venue_no_longer_lists_is_named_by_its_order_id() -> None:
    async with client_for(fills_venue(fill_json(order_id="o-gone"))) as client:
        (fill,) = await client.list_fills()
    assert fill.client_order_id == "venue-o-gone"


async def test_the_orders_of_a_listings_fills_are_listed_once_not_asked_for_one_by_one() -> None:
    asked: list[str] = []
    venue = fills_venue(fill_json(), fill_json(fill_id="t2", trade_id="t2"))

    def counting(request: httpx.Request) -> httpx.Response:
        if "/portfolio/orders" in request.url.path:
            asked.append(request.url.path)
        return venue(request)

    async with client_for(counting) as client:
        fills = await client.list_fills()
        assert [f.fill_id for f in fills] == ["t1", "t2"]
        assert asked == ["/trade-api/v2/portfolio/orders"]
        await client.list_fills()  # the orders are remembered now
    assert asked == ["/trade-api/v2/portfolio/orders"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("fee_cost", 1), ("fee_cost", "0.0000001"), ("count_fp", "0.00"), ("no_price_dollars", None)],
)
async def test_a_malformed_fill_is_a_server_error_naming_the_fill(field: str, value: Any) -> None:
    async with client_for(fills_venue(fill_json(**{field: value}))) as client:
        with pytest.raises(VenueServerError, match="fill trade_id 't1'"):
            await client.list_fills()


async def test_a_record_with_only_the_deprecated_direction_fields_is_malformed() -> None:
    record = order_json(side="yes", action="buy")
    del record["outcome_side"]
    async with client_for(answer(200, {"order": record})) as client:
        with pytest.raises(VenueServerError, match="missing 'outcome_side'"):
            await client.get_order("o00000001")


async def test_positions_and_balance_are_read_in_contracts_and_dollars() -> None:
    def venue(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/balance"):
            return httpx.Response(200, json={"balance": 123456, "balance_dollars": "1234.5600"})
        position = {
            "ticker": "SIM-001",
            "position_fp": "-3.50",
            "market_exposure_dollars": "1.9250",
            "realized_pnl_dollars": "-0.120000",
            "fees_paid_dollars": "0.0300",
        }
        return httpx.Response(200, json={"market_positions": [position], "cursor": ""})

    async with client_for(venue) as client:
        positions = await client.list_positions()
        balance = await client.get_balance()
    assert positions == [
        VenuePosition(
            "SIM-001", Decimal("-3.5"), Decimal("1.925"), Decimal("-0.12"), Decimal("0.03")
        )
    ]
    assert balance == Decimal("1234.56")


@pytest.mark.parametrize(
    "body",
    [
        {"balance": 123456},  # the legacy cents only
        {"balance": 123456, "balance_dollars": 1234.56},
        {"balance": 123456, "balance_dollars": "1.0000001"},
    ],
)
async def test_a_balance_without_a_valid_balance_dollars_is_malformed(body: Any) -> None:
    async with client_for(answer(200, body)) as client:
        with pytest.raises(VenueServerError, match="balance_dollars"):
            await client.get_balance()


async def test_the_orderbook_is_read_as_dollar_prices_and_fixed_point_sizes() -> None:
    book = {"orderbook_fp": {"yes_dollars": [["0.4000", "10.00"], ["0.4450", "2.50"]]}}
    async with client_for(answer(200, book)) as client:
        read = await client.get_orderbook("SIM-001")
    assert read.yes == ((Decimal("0.40"), Decimal(10)), (Decimal("0.445"), Decimal("2.5")))
    assert read.no == ()  # an absent side is empty
    assert (read.best_bid(Side.YES), read.best_bid(Side.NO)) == (Decimal("0.445"), None)


async def test_an_orderbook_level_with_a_number_is_malformed() -> None:
    book = {"orderbook_fp": {"yes_dollars": [[0.4, "10.00"]], "no_dollars": []}}
    async with client_for(answer(200, book)) as client:
        with pytest.raises(VenueServerError, match="yes_dollars price"):
            await client.get_orderbook("SIM-001")


def paged_orders(
    pages: list[list[dict[str, Any]]], seen: list[httpx.Request]
) -> Callable[[httpx.Request], httpx.Response]:
    """A venue listing ``pages`` of orders, one per cursor ("", "c1", "c2", ...)."""

    def venue(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        cursor = request.url.params.get("cursor", "")
        index = int(cursor[1:]) if cursor else 0
        following = f"c{index + 1}" if index + 1 < len(pages) else ""
        return httpx.Response(200, json={"orders": pages[index], "cursor": following})

    return venue


async def test_lookup_by_client_order_id_pages_every_order_and_matches_here() -> None:
    seen: list[httpx.Request] = []
    pages = [
        [order_json(order_id=f"o{n}", client_order_id=f"cid-{n}") for n in range(2, 5)],
        [order_json(order_id="o-last", client_order_id="cid-1")],
    ]
    async with client_for(paged_orders(pages, seen)) as client:
        found = await client.find_order("cid-1")
        missing = await client.find_order("cid-404")
    assert found is not None
    assert found.order_id == "o-last"  # on the second page
    assert missing is None
    assert [r.url.params.get("cursor") for r in seen] == [None, "c1", None, "c1"]
    assert {r.url.params["limit"] for r in seen} == {"1000"}  # the documented maximum


async def test_a_cursor_that_repeats_is_a_server_error_not_an_endless_listing() -> None:
    def venue(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"orders": [], "cursor": "same"})

    async with client_for(venue) as client:
        with pytest.raises(VenueServerError, match="bad cursor 'same'"):
            await client.list_orders()


async def test_signed_requests_verify_with_the_public_key_over_the_path_without_query() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    from actors.venues.kalshi._signing import KalshiSigner, verify_headers  # noqa: PLC0415

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = KalshiSigner("a952bcbe-ec3b-4b5b-b8f9-11dae589608c", key, clock_ms=lambda: 1_000)
    verdicts: list[str | None] = []

    def venue(request: httpx.Request) -> httpx.Response:
        verdicts.append(
            verify_headers(
                key.public_key(),
                request.method,
                request.url.path,
                request.headers,
                now_ms=1_000,
                max_skew_ms=5_000,
            )
        )
        return httpx.Response(200, json={"orders": [], "cursor": ""})

    settings = ExecutionConfig(rest_url=URL, rate_limits={"*": RateLimit(1000.0, 1000)})
    async with KalshiClient(
        settings, signer=signer, transport=httpx.MockTransport(venue)
    ) as client:
        await client.list_orders(status="resting")
    assert verdicts == [None]


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
        return httpx.Response(201, json=created_json())

    async with client_for(venue) as client:
        with pytest.raises(VenueRateLimited):
            await client.create_order(INTENT)
        await client.create_order(INTENT)
    assert calls[1] - calls[0] == pytest.approx(3.0)


# -- properties ------------------------------------------------------------------------------

TICKS = [Decimal("0.01"), Decimal("0.001"), Decimal("0.0001")]


@st.composite
def grid_and_price(draw: st.DrawFn) -> tuple[PriceGrid, Decimal]:
    grid = PriceGrid(draw(st.sampled_from(TICKS)), places=4)
    return grid, grid.price_at(draw(st.integers(0, grid.steps)))


counts = st.integers(1, 10**8).map(lambda hundredths: Decimal(hundredths).scaleb(-2))


def exchange(grid: PriceGrid, intent: OrderIntent, sent: list[dict[str, Any]]) -> None:
    """Send ``intent`` to a venue whose market list puts it on ``grid``; bodies into ``sent``."""
    step = format(grid.tick, "f")

    def venue(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/markets"):
            band = {"start": "0.0000", "end": "1.0000", "step": step}
            return httpx.Response(200, json=markets_json(band))
        sent.append(json.loads(request.content))
        return httpx.Response(201, json=created_json(fill_count=format(intent.count, ".2f")))

    async def main() -> None:
        async with client_for(venue) as client:
            await client.list_markets()
            await client.create_order(intent)

    trio.run(main)


@given(grid_and_price(), counts, st.sampled_from(list(Side)))
def test_an_on_grid_price_and_any_lot_count_cross_the_wire_exactly(
    grid_price: tuple[PriceGrid, Decimal], count: Decimal, side: Side
) -> None:
    grid, price = grid_price
    sent: list[dict[str, Any]] = []
    exchange(grid, OrderIntent("cid-1", "SIM-001", side, Action.BUY, price, count), sent)
    (body,) = sent
    text, size = body["price"], body["count"]
    yes_price = price if side is Side.YES else ONE - price
    assert (Decimal(text), Decimal(size)) == (yes_price, count)  # exact, never rounded
    assert len(text.partition(".")[2]) == 4
    assert len(size.partition(".")[2]) == 2


@given(st.sampled_from(TICKS[:2]), st.data())
def test_a_price_between_two_ticks_is_refused_before_any_request_and_never_rounded(
    tick: Decimal, data: st.DataObject
) -> None:
    grid = PriceGrid(tick, places=4)
    below = grid.price_at(data.draw(st.integers(0, grid.steps - 1)))
    offset = data.draw(st.integers(1, int(tick.scaleb(4)) - 1))  # in ten-thousandths
    price = below + Decimal(offset).scaleb(-4)
    sent: list[dict[str, Any]] = []
    with pytest.raises(InvalidOrder, match=re.escape(f"tick {tick} ")):
        exchange(grid, OrderIntent("cid-1", "SIM-001", Side.YES, Action.BUY, price, ONE), sent)
    assert sent == []


@given(
    st.integers(1, 9999).map(lambda n: Decimal(n).scaleb(-4)),
    st.integers(0, 10**6).map(lambda n: Decimal(n).scaleb(-2)),
)
def test_an_order_read_back_formats_to_the_strings_the_venue_sent(
    price: Decimal, filled: Decimal
) -> None:
    price_text, filled_text = format(price, ".4f"), format(filled, ".2f")
    reply = order_json(yes_price_dollars=price_text, fill_count_fp=filled_text)

    async def main() -> Any:
        async with client_for(answer(200, {"order": reply})) as client:
            return await client.get_order("o00000001")

    order = trio.run(main)
    assert (format(order.price, ".4f"), format(order.fill_count, ".2f")) == (
        price_text,
        filled_text,
    )
    assert (order.price, order.fill_count) == (price, filled)


@given(
    grid_and_price(),
    st.integers(0, 2000).map(lambda n: Decimal(n).scaleb(-4)),
)
def test_the_unwind_limit_is_on_the_grid_and_never_below_best_bid_less_slippage(
    grid_price: tuple[PriceGrid, Decimal], slippage: Decimal
) -> None:
    grid, best = grid_price
    limit = limit_below(best, slippage, grid)
    assert grid.contains(limit)
    assert limit <= best
    floor = best - slippage
    if floor >= grid.min_price:
        assert floor <= limit < floor + grid.tick  # the nearest tick at or above
    else:
        assert limit == grid.min_price


async def test_a_429_without_retry_after_holds_kalshis_bucket_back_jittered_and_growing(
    autojump_clock: trio.testing.MockClock,
) -> None:
    from actors.venues.kalshi._limits import KalshiRateLimiter  # noqa: PLC0415

    calls: list[float] = []

    def venue(request: httpx.Request) -> httpx.Response:
        calls.append(trio.current_time())
        if len(calls) <= 3:
            return httpx.Response(429, json={"error": "too many requests"})
        return httpx.Response(201, json=created_json())

    settings = ExecutionConfig(rest_url=URL)
    limiter = KalshiRateLimiter("basic", backoff_base=1.0, backoff_cap=60.0)
    holds: list[tuple[float, int]] = []
    async with KalshiClient(
        settings, limiter=limiter, transport=httpx.MockTransport(venue)
    ) as client:
        for _ in range(3):
            with pytest.raises(VenueRateLimited) as raised:
                await client.create_order(INTENT)
            assert raised.value.retry_after == 0  # Kalshi sends none
            state = limiter.snapshot()
            holds.append((state.write_held_for, state.write_consecutive_429s))
        await client.create_order(INTENT)
    # full jitter under a ceiling that doubles: U(0, 1), U(0, 2), U(0, 4) seconds
    assert [streak for _, streak in holds] == [1, 2, 3]
    assert all(0 <= held <= ceiling for (held, _), ceiling in zip(holds, (1, 2, 4), strict=True))
    # and each next request waited out the hold before it went
    assert all(
        later - earlier >= held - 1e-9
        for (earlier, later), (held, _) in zip(itertools.pairwise(calls), holds, strict=True)
    )
    assert limiter.snapshot().write_consecutive_429s == 0  # the success ended the streak


async def test_kalshis_tier_buckets_never_lift_the_operators_order_pacing(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """``[execution] orders_per_second`` is warden's own throttle: with Kalshi's tier
    buckets in use (every live Kalshi client) it still paces orders, and the tier's
    buckets still see every request."""
    from actors.venues.kalshi._limits import KalshiRateLimiter  # noqa: PLC0415

    sent: list[float] = []

    def venue(request: httpx.Request) -> httpx.Response:
        sent.append(trio.current_time())
        return httpx.Response(201, json=created_json())

    two_a_second = RateLimit(2.0, 1)
    settings = ExecutionConfig(
        rest_url=URL,
        rate_limits={"create_order": two_a_second, "*": RateLimit(100.0, 100)},
    )
    buckets = KalshiRateLimiter("prestige")  # 8,000 write tokens/s: never the bound here
    drawn: list[str] = []
    take = buckets.acquire

    async def counted(endpoint: str) -> float:
        drawn.append(endpoint)
        return await take(endpoint)

    buckets.acquire = counted  # type: ignore[method-assign]
    async with KalshiClient(
        settings, limiter=buckets, transport=httpx.MockTransport(venue)
    ) as client:
        for _ in range(4):
            await client.create_order(INTENT)
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert gaps == pytest.approx([0.5, 0.5, 0.5], abs=1e-6)
    assert drawn == ["create_order"] * 4  # and every order drew on Kalshi's buckets too


async def test_with_kalshis_tier_buckets_warden_paces_only_the_endpoints_it_names(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Reads are the tier's to pace: warden's generic ``"*"`` limit does not slow the
    reads a higher tier allows (without a tier it paces them, as before)."""
    from actors.venues.kalshi._limits import KalshiRateLimiter  # noqa: PLC0415

    sent: list[float] = []

    def venue(request: httpx.Request) -> httpx.Response:
        sent.append(trio.current_time())
        return httpx.Response(200, json={"orders": [], "cursor": ""})

    settings = ExecutionConfig(rest_url=URL, rate_limits={"*": RateLimit(1.0, 1)})
    for buckets, gap in ((KalshiRateLimiter("prestige"), 0.0), (None, 1.0)):
        sent.clear()
        async with KalshiClient(
            settings, limiter=buckets, transport=httpx.MockTransport(venue)
        ) as client:
            for _ in range(3):
                await client.list_orders()
        gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
        assert gaps == pytest.approx([gap, gap], abs=1e-6), buckets


async def test_the_lists_are_complete_since_the_later_of_the_orders_and_trades_cutoffs() -> None:
    cutoff = {
        "market_settled_ts": "2026-09-01T00:00:00Z",
        "trades_created_ts": "2026-09-02T00:00:00Z",
        "orders_updated_ts": "2026-09-01T12:00:00Z",
    }
    async with client_for(answer(200, cutoff)) as client:
        assert await client.lists_complete_since() == "2026-09-02T00:00:00Z"
    async with client_for(answer(200, {"market_settled_ts": "x"})) as client:
        with pytest.raises(VenueServerError, match="no orders/trades cutoff"):
            await client.lists_complete_since()
