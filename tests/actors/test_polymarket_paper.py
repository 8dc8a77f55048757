"""Paper trading on Polymarket: real public books (here the recorded ``GET /book``
answer, served through ``httpx.MockTransport``), fills simulated against them and
kept in a real SQLite file.

The recorded book (tests/fixtures/polymarket/rest_book.json) lists its asks from
worst to best (0.98 ... 0.14) and its bids from worst to best (0.01 ... 0.1).
"""

from __future__ import annotations

import functools
import json
import random
import sqlite3
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import trio
import trio.testing

from actors.domain import Action, OrderIntent, OrderState, Side
from actors.errors import (
    InsufficientBalance,
    InvalidFieldError,
    InvalidOrder,
    VenueDisconnected,
    VenueError,
    VenueRateLimited,
    VenueServerError,
    VenueTimeout,
)
from actors.execution._config import RetryPolicy
from actors.execution._workflows import Workflows
from actors.money import PriceGrid
from actors.venues import Deadlines, RateLimit, VenuePosition
from actors.venues.polymarket._markets import PolymarketMarket
from actors.venues.polymarket._paper import PaperClient, PaperTrading

FIXTURES = Path(__file__).parent.parent / "fixtures" / "polymarket"
RECORDED = json.loads((FIXTURES / "rest_book.json").read_text())
CID = RECORDED["market"]
YES = RECORDED["asset_id"]
NO = "4242"
URL = "http://clob.test"

MARKET = PolymarketMarket(
    condition_id=CID,
    yes_token=YES,
    no_token=NO,
    tick=Decimal("0.01"),
    neg_risk=False,
    event=None,
    min_order_size=Decimal(5),
    fee_rate=Decimal("0.04"),
    active=True,
)


@attrs.frozen
class Settings:
    """What the execution actor's config gives a client (ClientSettings)."""

    rest_url: str = URL
    deadlines: Deadlines = attrs.field(factory=Deadlines)
    rate_limits: Mapping[str, RateLimit] = attrs.field(factory=lambda: {"*": RateLimit(1e3, 1000)})


def book(
    *,
    bids: list[tuple[str, str]] = (),  # type: ignore[assignment]
    asks: list[tuple[str, str]] = (),  # type: ignore[assignment]
    asset: str = YES,
    book_hash: str | None = None,
) -> dict[str, Any]:
    """A ``GET /book`` answer in the recorded shape."""
    answer: dict[str, Any] = {
        "market": CID,
        "asset_id": asset,
        "bids": [{"price": p, "size": s} for p, s in bids],
        "asks": [{"price": p, "size": s} for p, s in asks],
        "timestamp": "1728799418260",
    }
    if book_hash is not None:
        answer["hash"] = book_hash
    return answer


NO_BOOK = book(bids=[("0.8", "40")], asks=[("0.95", "3"), ("0.87", "10")], asset=NO)


class Venue:
    """Serves one book per token and records every request."""

    def __init__(self, books: dict[str, Any] | None = None) -> None:
        self.books = {YES: RECORDED, NO: NO_BOOK} if books is None else books
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert (request.method, request.url.path) == ("GET", "/book")
        return httpx.Response(200, json=self.books[request.url.params["token_id"]])


def paper(
    path: Path,
    handler: Callable[[httpx.Request], Any],
    *,
    cash: str = "1000",
    market: PolymarketMarket = MARKET,
    **settings: Any,
) -> PaperClient:
    venue = PaperTrading([market], path, cash=Decimal(cash), transport=httpx.MockTransport(handler))
    return venue.open_client(Settings(**settings))


def intent(
    cid: str, side: Side, action: Action, price: str, count: str, *, ticker: str = CID
) -> OrderIntent:
    return OrderIntent(cid, ticker, side, action, Decimal(price), Decimal(count))


@pytest.fixture
def account(tmp_path: Path) -> Path:
    return tmp_path / "paper.sqlite"


async def test_a_buy_walks_the_asks_best_first_and_stops_at_the_books_depth(
    account: Path,
) -> None:
    venue = Venue()
    async with paper(account, venue) as client:
        order = await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "800"))
        fills = await client.list_fills(order_id=order.order_id)
        balance = await client.get_balance()
    assert [r.url.params["token_id"] for r in venue.requests] == [YES]
    assert (order.order_id, order.status, order.fill_count, order.remaining_count) == (
        "paper-b1",
        "canceled",
        Decimal(775),
        Decimal(0),
    )
    assert order.state is OrderState.CANCELED
    assert [(f.fill_id, f.price, f.count, f.fee) for f in fills] == [
        ("paper-b1-1", Decimal("0.14"), Decimal(705), Decimal("3.39528")),  # 705x.04x.14x.86
        ("paper-b1-2", Decimal("0.20"), Decimal(70), Decimal("0.448")),  # 70x.04x.2x.8
    ]
    assert all((f.side, f.action, f.ticker) == (Side.YES, Action.BUY, CID) for f in fills)
    assert balance == Decimal(1000) - Decimal("98.7") - Decimal("3.39528") - 14 - Decimal("0.448")
    assert balance == Decimal("883.45672")


async def test_nothing_beyond_the_limit_is_taken(account: Path) -> None:
    async with paper(account, Venue()) as client:
        order = await client.create_order(intent("b1", Side.YES, Action.BUY, "0.14", "1000"))
        fills = await client.list_fills()
    assert (order.status, order.fill_count) == ("canceled", Decimal(705))
    assert [(f.price, f.count) for f in fills] == [(Decimal("0.14"), Decimal(705))]


async def test_a_full_fill_is_executed(account: Path) -> None:
    async with paper(account, Venue()) as client:
        order = await client.create_order(intent("b1", Side.YES, Action.BUY, "0.38", "800"))
        fills = await client.list_fills()
    assert (order.status, order.fill_count, order.state) == ("executed", 800, OrderState.FILLED)
    assert [(f.price, f.count) for f in fills] == [
        (Decimal("0.14"), Decimal(705)),
        (Decimal("0.2"), Decimal(70)),
        (Decimal("0.38"), Decimal(25)),
    ]


async def test_a_buy_then_a_sell_leave_cash_and_holdings_exact(account: Path) -> None:
    async with paper(account, Venue()) as client:
        await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "800"))
        sale = await client.create_order(intent("s1", Side.YES, Action.SELL, "0.09", "500"))
        fills = await client.list_fills(order_id="paper-s1")
        balance = await client.get_balance()
        positions = await client.list_positions()
    assert (sale.status, sale.fill_count) == ("canceled", Decimal(419))
    # the bids are listed worst first: the best (0.1) is hit first, nothing below 0.09
    assert [(f.fill_id, f.price, f.count, f.fee) for f in fills] == [
        ("paper-s1-1", Decimal("0.1"), Decimal(125), Decimal("0.45")),  # 125x.04x.1x.9
        ("paper-s1-2", Decimal("0.09"), Decimal(294), Decimal("0.96315")),  # 0.963144 up
    ]
    assert balance == Decimal("883.45672") + (Decimal("12.5") - Decimal("0.45")) + (
        Decimal("26.46") - Decimal("0.96315")
    )
    assert balance == Decimal("921.00357")
    # average cost: 112.7 for 775 shares; each fill of the sale takes its share, to
    # $0.000001: 125 take 18.177419 (of 18.1774193...), then 294 of the 650 left take
    # 42.753290 of the 94.522581 left (of 42.7532904...)
    sold_cost = Decimal("18.177419") + Decimal("42.753290")
    assert positions == [
        VenuePosition(
            ticker=CID,
            position=Decimal(356),
            market_exposure=Decimal("112.7") - sold_cost,
            realized_pnl=Decimal("38.96") - sold_cost,
            fees_paid=Decimal("3.39528") + Decimal("0.448") + Decimal("0.45") + Decimal("0.96315"),
        )
    ]


async def test_a_buy_of_no_takes_the_no_tokens_asks_and_counts_as_a_negative_position(
    account: Path,
) -> None:
    venue = Venue()
    async with paper(account, venue) as client:
        order = await client.create_order(intent("n1", Side.NO, Action.BUY, "0.90", "12"))
        fills = await client.list_fills()
        positions = await client.list_positions()
    assert [r.url.params["token_id"] for r in venue.requests] == [NO]
    assert (order.side, order.action, order.fill_count) == (Side.NO, Action.BUY, Decimal(10))
    assert [(f.side, f.price, f.count) for f in fills] == [(Side.NO, Decimal("0.87"), 10)]
    assert [(p.ticker, p.position, p.market_exposure) for p in positions] == [
        (CID, Decimal(-10), Decimal("8.7"))
    ]


@pytest.mark.parametrize(
    ("price", "size", "rate", "fee"),
    [
        ("0.14", "1.23", "0.04", "0.00593"),  # 0.00592368, rounded up to 5 decimals
        ("0.01", "0.01", "0.04", "0.00001"),  # 0.00000396: a fee is at least $0.00001
        ("0.50", "10", "0.072", "0.18"),  # 10 x 0.072 x 0.25, exact
        ("0.50", "10", "0", "0"),  # a market without fees
    ],
)
async def test_the_taker_fee_is_polymarkets_rounded_up_to_five_decimals(
    account: Path, price: str, size: str, rate: str, fee: str
) -> None:
    market = attrs.evolve(MARKET, fee_rate=Decimal(rate))
    venue = Venue({YES: book(asks=[(price, size)])})
    async with paper(account, venue, market=market) as client:
        await client.create_order(intent("b1", Side.YES, Action.BUY, price, size))
        (fill,) = await client.list_fills()
        balance = await client.get_balance()
    assert fill.fee == Decimal(fee)
    assert balance == Decimal(1000) - Decimal(price) * Decimal(size) - Decimal(fee)


async def test_a_sale_of_more_than_is_held_is_refused_as_the_venue_would(account: Path) -> None:
    venue = Venue()
    async with paper(account, venue) as client:
        await client.create_order(intent("b1", Side.YES, Action.BUY, "0.14", "10"))
        with pytest.raises(InvalidOrder, match="not enough balance") as refused:
            await client.create_order(intent("s1", Side.YES, Action.SELL, "0.05", "10.01"))
        with pytest.raises(InvalidOrder, match="not enough balance"):  # NO shares: none held
            await client.create_order(intent("s2", Side.NO, Action.SELL, "0.05", "1"))
        orders = await client.list_orders()
        positions = await client.list_positions()
    assert refused.value.client_order_id == "s1"
    assert len(venue.requests) == 1  # refused before reading a book
    assert [o.client_order_id for o in orders] == ["b1"]
    assert [p.position for p in positions] == [Decimal(10)]


async def test_a_buy_needs_the_cash_for_the_whole_order_and_its_fee(account: Path) -> None:
    # 100 x 0.20 = 20 plus 100 x 0.04 x 0.2 x 0.8 = 0.64: 20.64 needed
    async with paper(account, Venue(), cash="20.63") as client:
        with pytest.raises(InsufficientBalance) as refused:
            await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "100"))
        assert await client.list_orders() == []
        assert await client.get_balance() == Decimal("20.63")
    assert refused.value.client_order_id == "b1"
    async with paper(account.with_name("rich.sqlite"), Venue(), cash="20.64") as client:
        order = await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "100"))
    assert order.fill_count == 100


async def test_the_same_client_order_id_twice_fills_once(account: Path) -> None:
    venue = Venue()
    async with paper(account, venue) as client:
        first = await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "100"))
        again = await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "100"))
        fills = await client.list_fills()
        balance = await client.get_balance()
    assert again == first
    assert len(venue.requests) == 1
    assert [f.fill_id for f in fills] == ["paper-b1-1"]
    assert balance == Decimal(1000) - Decimal(14) - Decimal("0.4816")  # 100x.04x.14x.86


async def test_concurrent_creates_of_one_id_fill_once(account: Path) -> None:
    async with paper(account, Venue()) as client:
        results = []

        async def create() -> None:
            results.append(
                await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "100"))
            )

        async with trio.open_nursery() as nursery:
            nursery.start_soon(create)
            nursery.start_soon(create)
        fills = await client.list_fills()
    assert results[0] == results[1]
    assert len(fills) == 1


async def test_liquidity_taken_from_an_unchanged_book_is_not_taken_again(account: Path) -> None:
    unchanged = book(asks=[("0.30", "5"), ("0.20", "10")], book_hash="h1")
    venue = Venue({YES: unchanged})
    async with paper(account, venue) as client:
        first = await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "8"))
        second = await client.create_order(intent("b2", Side.YES, Action.BUY, "0.30", "8"))
        venue.books[YES] = book(asks=[("0.30", "5"), ("0.20", "10")], book_hash="h2")
        third = await client.create_order(intent("b3", Side.YES, Action.BUY, "0.20", "8"))
        fills = await client.list_fills()
    assert (first.fill_count, second.fill_count, third.fill_count) == (8, 7, 8)
    assert [(f.client_order_id, f.price, f.count) for f in fills] == [
        ("b1", Decimal("0.2"), 8),
        ("b2", Decimal("0.2"), 2),  # what b1 left at 0.20 of the same book (hash h1)
        ("b2", Decimal("0.3"), 5),
        ("b3", Decimal("0.2"), 8),  # a new book (hash h2): all there again
    ]


async def test_a_fill_or_kill_that_cannot_fill_in_full_fills_nothing(account: Path) -> None:
    async with paper(account, Venue()) as client:
        killed = await client.create_order(
            intent("k1", Side.YES, Action.BUY, "0.20", "800"), time_in_force="FOK"
        )
        whole = await client.create_order(
            intent("k2", Side.YES, Action.BUY, "0.20", "775"), time_in_force="FOK"
        )
        fills = await client.list_fills()
    assert (killed.status, killed.fill_count, killed.cancel_reason) == (
        "canceled",
        0,
        "FOK: not fully fillable",
    )
    assert (whole.status, whole.fill_count) == ("executed", 775)
    assert {f.client_order_id for f in fills} == {"k2"}


async def test_a_restarted_client_on_the_same_file_sees_the_same_account(account: Path) -> None:
    async with paper(account, Venue()) as client:
        await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "800"))
        await client.create_order(intent("s1", Side.YES, Action.SELL, "0.09", "500"))
        await client.create_order(intent("n1", Side.NO, Action.BUY, "0.90", "12"))
        before = (
            await client.list_orders(),
            await client.list_fills(),
            await client.list_positions(),
            await client.get_balance(),
        )
    venue = Venue()
    async with paper(account, venue, cash="5") as restarted:  # starting cash: first time only
        after = (
            await restarted.list_orders(),
            await restarted.list_fills(),
            await restarted.list_positions(),
            await restarted.get_balance(),
        )
        found = await restarted.find_order("s1", ticker=CID)
        again = await restarted.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "800"))
    assert after == before
    assert before[3] == Decimal("921.00357") - Decimal("8.7") - Decimal("0.04524")
    assert [o.client_order_id for o in after[0]] == ["b1", "s1", "n1"]
    assert found == before[0][1]
    assert again == before[0][0]
    assert venue.requests == []  # nothing was read again


async def test_lookups_filter_and_cancel_returns_the_order_as_it_is(account: Path) -> None:
    async with paper(account, Venue()) as client:
        order = await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "800"))
        assert await client.find_order("b1", ticker="0x" + "0" * 64) is None
        assert await client.find_order("nope") is None
        assert await client.list_orders(status="resting") == []
        assert await client.list_orders(client_order_id="b1") == [order]
        assert await client.get_order("paper-b1") == order
        assert await client.cancel_order(order) == order
        assert await client.lists_complete_since() is None
        with pytest.raises(InvalidOrder):
            await client.get_order("paper-nope")


async def test_a_price_off_the_markets_tick_is_refused_without_a_request(account: Path) -> None:
    venue = Venue()
    async with paper(account, venue) as client:
        with pytest.raises(InvalidOrder, match=r"0\.145.*tick 0\.01") as refused:
            await client.create_order(intent("b1", Side.YES, Action.BUY, "0.145", "10"))
        with pytest.raises(InvalidOrder, match="FAK or FOK"):
            await client.create_order(
                intent("b2", Side.YES, Action.BUY, "0.14", "10"), time_in_force="GTC"
            )
        with pytest.raises(InvalidOrder, match="not a configured market"):
            await client.create_order(
                intent("b3", Side.YES, Action.BUY, "0.14", "10", ticker="0x" + "0" * 64)
            )
    assert refused.value.client_order_id == "b1"
    assert venue.requests == []


async def test_an_inactive_market_takes_no_orders(account: Path) -> None:
    venue = Venue()
    async with paper(account, venue, market=attrs.evolve(MARKET, active=False)) as client:
        with pytest.raises(InvalidOrder, match="not accepting orders"):
            await client.create_order(intent("b1", Side.YES, Action.BUY, "0.14", "10"))
    assert venue.requests == []


async def test_the_book_is_the_yes_tokens_with_no_bids_mirrored_from_its_asks(
    account: Path,
) -> None:
    async with paper(account, Venue()) as client:
        venue_book = await client.get_orderbook(CID)
        grids = await client.list_markets()
    assert venue_book.yes == tuple(
        (Decimal(p), Decimal(s))
        for p, s in [("0.01", "1000"), ("0.06", "200"), ("0.08", "120"), ("0.09", "294"),
                     ("0.1", "125")]
    )  # fmt: skip
    assert venue_book.no == tuple(
        (Decimal(p), Decimal(s))
        for p, s in [("0.02", "5000"), ("0.5", "30"), ("0.53", "50"), ("0.54", "10"),
                     ("0.62", "192.3"), ("0.8", "70"), ("0.86", "705")]
    )  # fmt: skip
    assert venue_book.best_bid(Side.YES) == Decimal("0.1")
    assert venue_book.best_bid(Side.NO) == Decimal("0.86")
    assert grids == {CID: PriceGrid(Decimal("0.01"), ticker=CID)}
    assert client.grid(CID).tick == Decimal("0.01")


async def test_a_book_read_past_its_deadline_is_a_timeout_and_fills_nothing(
    account: Path, autojump_clock: trio.testing.MockClock
) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await trio.sleep(10)
        return httpx.Response(200, json=RECORDED)

    async with paper(account, slow, deadlines=Deadlines(submit=0.5)) as client:
        began = trio.current_time()
        with pytest.raises(VenueTimeout) as raised:
            await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "10"))
        assert trio.current_time() - began == pytest.approx(0.5)
        assert await client.find_order("b1") is None
        assert await client.get_balance() == Decimal(1000)
    assert raised.value.client_order_id == "b1"
    assert raised.value.endpoint == "GET /book"


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        (book(asks=[("0.14", "5"), ("0.2", "12.5.3")]), r"asks\[1\]\.size"),
        (book(bids=[("1.5", "5")]), r"bids\[0\]\.price"),
        (book(asks=[("0.14", "-5")]), r"asks\[0\]\.size"),
        ({**book(), "asks": None}, "asks"),
        ({"bids": [], "asks": [{"price": 0.14, "size": "5"}]}, r"asks\[0\]\.price"),
        (book(asset="999"), "asset_id"),
        ([], "book"),
    ],
)
async def test_a_malformed_book_is_a_server_error_naming_the_field(
    account: Path, answer: Any, field: str
) -> None:
    async with paper(account, lambda _r: httpx.Response(200, json=answer)) as client:
        with pytest.raises(VenueServerError, match=field) as raised:
            await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "10"))
        assert await client.list_orders() == []
    assert raised.value.status == 200


async def test_http_failures_of_the_book_read_are_typed_venue_errors(account: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    cases: list[tuple[Callable[[httpx.Request], httpx.Response], type[VenueError]]] = [
        (lambda _r: httpx.Response(500, json={"error": "boom"}), VenueServerError),
        (lambda _r: httpx.Response(200, content=b"<html>"), VenueServerError),
        (lambda _r: httpx.Response(429, headers={"Retry-After": "2"}), VenueRateLimited),
        (lambda _r: httpx.Response(404, json={"error": "no orderbook"}), InvalidOrder),
        (refuse, VenueDisconnected),
    ]
    for index, (handler, error) in enumerate(cases):
        async with paper(account.with_name(f"p{index}.sqlite"), handler) as client:
            with pytest.raises(error) as raised:
                await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "10"))
        assert raised.value.client_order_id == "b1"
        if isinstance(raised.value, VenueRateLimited):
            assert raised.value.retry_after == 2


async def test_the_account_file_is_wal_and_created_on_the_first_call(account: Path) -> None:
    async with paper(account, Venue()) as client:
        assert not account.exists()
        assert await client.get_balance() == Decimal(1000)
    with sqlite3.connect(account) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_an_account_file_that_cannot_be_opened_fails_the_call_as_a_server_error(
    tmp_path: Path,
) -> None:
    async with paper(tmp_path / "missing" / "paper.sqlite", Venue()) as client:
        with pytest.raises(VenueServerError, match="paper account"):
            await client.get_balance()


def test_a_market_whose_fee_rate_is_not_a_rate_is_refused_at_construction(
    tmp_path: Path,
) -> None:
    with pytest.raises(InvalidFieldError, match="taker_rate"):
        PaperTrading([attrs.evolve(MARKET, fee_rate=Decimal(4))], tmp_path / "p.sqlite")
    with pytest.raises(InvalidFieldError, match="cash"):
        PaperTrading([MARKET], tmp_path / "p.sqlite", cash=Decimal("-1"))


async def test_a_client_order_id_too_long_for_fill_ids_is_refused_before_a_request(
    account: Path,
) -> None:
    venue = Venue()
    async with paper(account, venue) as client:
        await client.create_order(intent("c" * 116, Side.YES, Action.BUY, "0.20", "1"))
        with pytest.raises(InvalidOrder, match="longer than 116"):
            await client.create_order(intent("c" * 117, Side.YES, Action.BUY, "0.20", "1"))
    assert len(venue.requests) == 1


async def test_a_paper_order_over_loopback_reads_the_book_from_a_real_http_server(
    account: Path,
) -> None:
    """The real httpx path: ``GET {rest_url}/book?token_id=`` to a server on 127.0.0.1."""
    request_lines: list[bytes] = []
    body = (FIXTURES / "rest_book.json").read_bytes()

    async def serve_book(stream: trio.SocketStream) -> None:
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = await stream.receive_some()
            if not chunk:
                return
            received += chunk
        request_lines.append(received.split(b"\r\n", 1)[0])
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        await stream.send_all(head.encode() + body)
        await stream.aclose()

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            functools.partial(trio.serve_tcp, serve_book, 0, host="127.0.0.1")
        )
        port = listeners[0].socket.getsockname()[1]
        venue = PaperTrading([MARKET], account, cash=Decimal(1000))
        async with venue.open_client(Settings(rest_url=f"http://127.0.0.1:{port}/")) as client:
            order = await client.create_order(intent("b1", Side.YES, Action.BUY, "0.20", "800"))
            balance = await client.get_balance()
        nursery.cancel_scope.cancel()
    assert request_lines == [f"GET /book?token_id={YES} HTTP/1.1".encode()]
    assert (order.fill_count, balance) == (Decimal(775), Decimal("883.45672"))


class Reporter:
    """What execution's procedures report, kept."""

    def __init__(self) -> None:
        self.errors: list[VenueError] = []

    def venue_error(self, error: VenueError) -> None:
        self.errors.append(error)

    def count(self, counter: object, n: int = 1) -> None:
        pass

    def leg_state(self, reservation_id: str, client_order_id: str, state: str) -> None:
        pass


async def test_executions_procedures_place_and_reconcile_through_the_paper_client(
    account: Path, autojump_clock: trio.testing.MockClock
) -> None:
    """Execution's own code, unchanged: a leg whose first book read fails (500) is
    looked up by its id, sent again under the same id, filled once; reconciliation
    then reads the paper account."""
    served = Venue()
    failures = [httpx.Response(500, json={"error": "busy"})]

    def venue(request: httpx.Request) -> httpx.Response:
        return failures.pop() if failures else served(request)

    reporter = Reporter()
    async with paper(account, venue) as client:
        workflows = Workflows(
            client,
            retry=RetryPolicy(),
            resolve_retry=RetryPolicy(),
            rng=random.Random(7),
            reporter=reporter,
        )
        leg = await workflows.place("r1", intent("r1-0", Side.YES, Action.BUY, "0.20", "800"))
        reconciled = await workflows.reconcile(cancel=True)
    assert [type(e) for e in reporter.errors] == [VenueServerError]
    assert leg.order is not None
    assert (leg.order.order_id, leg.order.fill_count, leg.filled) == ("paper-r1-0", 775, 775)
    assert [f.fill_id for f in leg.fills] == ["paper-r1-0-1", "paper-r1-0-2"]
    assert reconciled.orders == (leg.order,)
    assert reconciled.fills == leg.fills
    assert [p.position for p in reconciled.positions] == [Decimal(775)]
    assert reconciled.grids == {CID: PriceGrid(Decimal("0.01"), ticker=CID)}
