"""The venue REST client: answers become values or typed errors (httpx.MockTransport).

Money crosses as Kalshi's fixed-point strings: the request's ``count_fp`` and
``*_price_dollars`` are written exactly, answers are read into ``Decimal``, and
malformed money is a venue-data error naming the field and the order.
"""

from __future__ import annotations

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
from actors.venues import VenuePosition
from actors.venues.kalshi import KalshiClient
from actors.venues.kalshi._wire import error_for
from actors.execution._workflows import limit_below
from actors.money import ONE, PriceGrid

URL = "http://venue.test/trade-api/v2"
INTENT = OrderIntent("cid-1", "SIM-001", Side.YES, Action.BUY, Decimal("0.42"), Decimal(5))


def order_json(**fields: Any) -> dict[str, Any]:
    order = {
        "order_id": "o00000001",
        "client_order_id": "cid-1",
        "ticker": "SIM-001",
        "side": "yes",
        "action": "buy",
        "status": "executed",
        "yes_price_dollars": "0.4200",
        "no_price_dollars": "0.5800",
        "initial_count_fp": "5.00",
        "fill_count_fp": "5.00",
        "remaining_count_fp": "0.00",
        "cancel_reason": None,
    }
    order.update(fields)
    return order


def fill_json(**fields: Any) -> dict[str, Any]:
    fill = {
        "trade_id": "t1",
        "order_id": "o00000001",
        "client_order_id": "cid-1",
        "ticker": "SIM-001",
        "side": "no",
        "action": "buy",
        "count_fp": "2.50",
        "yes_price_dollars": "0.4450",
        "no_price_dollars": "0.5550",
        "is_taker": True,
        "fee_cost": "0.004341",
        "created_time": "2026-12-01T00:00:00Z",
    }
    fill.update(fields)
    return fill


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
    assert (order.order_id, order.client_order_id, order.fill_count) == (
        "o00000001",
        "cid-1",
        Decimal(5),
    )
    assert (order.price, order.initial_count, order.remaining_count) == (
        Decimal("0.42"),
        Decimal(5),
        Decimal(0),
    )
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
            "type": "limit",
            "client_order_id": "cid-1",
            "time_in_force": "immediate_or_cancel",
            "count_fp": "5.00",
            "yes_price_dollars": "0.4200",
        }
    ]


async def test_a_no_order_sends_its_price_as_no_price_dollars_and_a_fractional_count() -> None:
    sent: list[dict[str, Any]] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"order": order_json(side="no")})

    intent = OrderIntent("cid-1", "SIM-001", Side.NO, Action.SELL, Decimal("0.07"), Decimal("0.5"))
    async with client_for(record) as client:
        await client.create_order(intent)
    (body,) = sent
    assert (body["side"], body["action"], body["count_fp"]) == ("no", "sell", "0.50")
    assert body["no_price_dollars"] == "0.0700"
    assert "yes_price_dollars" not in body


async def test_a_price_off_the_default_one_cent_grid_is_refused_before_any_request() -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(201, json={"order": order_json()})

    intent = OrderIntent("cid-1", "SIM-001", Side.YES, Action.BUY, Decimal("0.425"), Decimal(5))
    async with client_for(record) as client:
        with pytest.raises(InvalidOrder, match=r"0\.425.*tick 0\.01") as raised:
            await client.create_order(intent)
    assert requests == []
    assert raised.value.client_order_id == "cid-1"
    assert raised.value.endpoint == "POST /portfolio/orders"


async def test_the_market_list_sets_each_markets_grid_and_a_sub_penny_price_is_sent_exactly() -> (
    None
):
    sent: list[dict[str, Any]] = []

    def venue(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/markets"):
            return httpx.Response(200, json=markets_json(DECI_CENT))
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"order": order_json(yes_price_dollars="0.4250")})

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
    assert [body["yes_price_dollars"] for body in sent] == ["0.4250"]
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


async def test_fills_are_read_exactly_with_the_fee_from_fee_cost() -> None:
    async with client_for(answer(200, {"fills": [fill_json()], "cursor": ""})) as client:
        (fill,) = await client.list_fills()
    assert (fill.fill_id, fill.client_order_id, fill.side) == ("t1", "cid-1", Side.NO)
    assert (fill.price, fill.count, fill.fee) == (
        Decimal("0.555"),
        Decimal("2.5"),
        Decimal("0.004341"),
    )
    assert str(fill.fee) == "0.004341"  # as the venue sent it


@pytest.mark.parametrize(
    ("field", "value"),
    [("fee_cost", 1), ("fee_cost", "0.0000001"), ("count_fp", "0.00"), ("no_price_dollars", None)],
)
async def test_a_malformed_fill_is_a_server_error_naming_the_fill(field: str, value: Any) -> None:
    body = {"fills": [fill_json(**{field: value})], "cursor": ""}
    async with client_for(answer(200, body)) as client:
        with pytest.raises(VenueServerError, match="fill trade_id 't1'"):
            await client.list_fills()


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
        return httpx.Response(201, json={"order": order_json()})

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
    text, size = body[f"{side.value}_price_dollars"], body["count_fp"]
    assert (Decimal(text), Decimal(size)) == (price, count)  # exact, never rounded
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
