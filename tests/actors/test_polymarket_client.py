"""Polymarket's CLOB client: answers become values or typed errors (httpx.MockTransport).

The answers are the recorded CLOB responses of tests/fixtures/polymarket/user_*.json
(hand-written in the venue's schema, from NautilusTrader's suite: SOURCES.md) served
as sent; where a test needs our own order's id in one, it builds a copy of the
recorded record in the test with that field set (the fixture file is never edited).
The journal is a real SQLite file; a "restart" is a new client on the same file.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
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
    CriticalVenueError,
    InsufficientBalance,
    InvalidOrder,
    TransientVenueError,
    VenueAuthError,
    VenueDisconnected,
    VenueError,
    VenueRateLimited,
    VenueServerError,
    VenueTimeout,
    VenueTradingHalted,
)
from actors.execution import RetryPolicy
from actors.execution._workflows import Workflows
from actors.venues import Deadlines, RateLimit, TradingClient, VenueOrder
from actors.venues.polymarket._client import (
    PolymarketAccount,
    PolymarketClient,
    PolymarketTrading,
)
from actors.venues.polymarket._eth import Account
from actors.venues.polymarket._journal import JournalEntry, OrderJournal, OrderJournalError
from actors.venues.polymarket._keys import ApiCredentials
from actors.venues.polymarket._markets import PolymarketMarket
from actors.venues.polymarket._signing import (
    BUY,
    OrderV2,
    deterministic_salt,
    l2_signature,
    order_digest,
)
from actors.venues.polymarket._wire import DigestMismatch, TradingHalted

FIXTURES = Path(__file__).parent.parent / "fixtures" / "polymarket"
VECTORS = json.loads((FIXTURES / "vectors.json").read_text())
URL = "https://clob.test"
CID = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
YES = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
NO = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
API_KEY = "00000000-0000-0000-0000-000000000001"  # the recorded answers' owner
SECRET = VECTORS["l2_hmac"]["secret"]
PASSPHRASE = "correct-horse-battery-staple"  # noqa: S105 - a test passphrase
NOW = 1_713_398_400.0
MARKET = PolymarketMarket(
    condition_id=CID,
    yes_token=YES,
    no_token=NO,
    tick=Decimal("0.01"),
    neg_risk=False,
    event=None,
    min_order_size=Decimal(5),
    fee_rate=Decimal(0),
    active=True,
)


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / f"user_{name}.json").read_text())


@attrs.frozen
class Settings:
    rest_url: str = URL
    deadlines: Deadlines = attrs.field(factory=lambda: Deadlines(submit=1.0, query=1.0, cancel=1.0))
    rate_limits: dict[str, RateLimit] = attrs.field(factory=lambda: {"*": RateLimit(1e6, 10**6)})


Handler = Callable[[httpx.Request], httpx.Response]


class Venue:
    """Routes ``METHOD path`` to queued answers (the last one repeats) and keeps
    every request."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Handler]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, route: str, *answers: Any, status: int = 200) -> None:
        for answer in answers:
            handler = answer if callable(answer) else _respond(answer, status)
            self.routes.setdefault(route, []).append(handler)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = f"{request.method} {request.url.path}"
        queue = self.routes.get(route)
        if not queue:
            return httpx.Response(404, json={"error": f"no route {route}"})
        handler = queue.pop(0) if len(queue) > 1 else queue[0]
        return handler(request)

    def sent(self, route: str) -> list[httpx.Request]:
        return [r for r in self.requests if f"{r.method} {r.url.path}" == route]


def _respond(answer: Any, status: int) -> Handler:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=answer)

    return handler


def account(tmp_path: Path) -> PolymarketAccount:
    return PolymarketAccount(
        credentials=ApiCredentials(API_KEY, SECRET, PASSPHRASE),
        wallet=Account.from_key(VECTORS["private_key"]),
        journal_path=tmp_path / "orders.sqlite",
    )


def client_for(
    venue: Venue, tmp_path: Path, *, clock: Callable[[], float] = lambda: NOW
) -> PolymarketClient:
    trading = PolymarketTrading(
        {CID: MARKET}, account(tmp_path), transport=httpx.MockTransport(venue), clock=clock
    )
    return trading.open_client(Settings())


def intent(
    cid: str = "leg-1", *, side: Side = Side.YES, action: Action = Action.BUY, **kw: Any
) -> OrderIntent:
    price = kw.pop("price", Decimal("0.50"))
    count = kw.pop("count", Decimal(100))
    return OrderIntent(cid, CID, side, action, price, count)


@pytest.fixture
def venue() -> Venue:
    return Venue()


# -- orders ------------------------------------------------------------------------------


async def test_a_buy_of_yes_is_a_signed_fak_buy_of_the_yes_token_sent_as_one_body(
    venue: Venue, tmp_path: Path
) -> None:
    venue.on("POST /order", lambda r: httpx.Response(200, json=answer_for_entry(r)))
    async with client_for(venue, tmp_path) as client:
        order = await client.create_order(intent())
        entry = client.journal.get("leg-1")
    assert entry is not None
    (request,) = venue.sent("POST /order")
    body = json.loads(request.content)
    assert request.content == json.dumps(body, separators=(",", ":")).encode()
    assert body["orderType"] == "FAK"
    assert body["owner"] == API_KEY
    signed = body["order"]
    assert signed["tokenId"] == YES
    assert signed["side"] == "BUY"
    assert (signed["makerAmount"], signed["takerAmount"]) == ("50000000", "100000000")
    assert signed["maker"] == signed["signer"] == VECTORS["address"]
    assert signed["timestamp"] == str(int(NOW * 1000))
    assert order.order_id == entry.digest
    assert order.status == "resting"  # the recorded ok answer has no status: not final
    assert entry.acknowledged


def answer_for_entry(request: httpx.Request, **fields: Any) -> dict[str, Any]:
    """The recorded ok answer with the id the venue gives our order: its digest, read
    from our journal (the test's stand-in for the venue computing it)."""
    body = json.loads(request.content)
    digest = _journal_digest(body["order"]["salt"])
    return {**recorded("http_order_response_ok"), "orderID": digest, **fields}


_JOURNALS: list[Path] = []


def _journal_digest(salt: int) -> str:
    for path in _JOURNALS:
        journal = OrderJournal(path)
        try:
            for row in journal._db.execute("SELECT digest, signed_order FROM signed_orders"):
                if json.loads(row[1])["salt"] == salt:
                    return str(row[0])
        finally:
            journal.close()
    raise AssertionError("no journalled order with that salt")


@pytest.fixture(autouse=True)
def _journals(tmp_path: Path) -> Any:
    _JOURNALS.append(tmp_path / "orders.sqlite")
    yield
    _JOURNALS.clear()


@pytest.mark.parametrize(
    ("side", "action", "token", "wire_side", "amounts"),
    [
        (Side.NO, Action.BUY, NO, "BUY", ("3000000", "10000000")),
        (Side.YES, Action.SELL, YES, "SELL", ("10000000", "3000000")),
        (Side.NO, Action.SELL, NO, "SELL", ("10000000", "3000000")),
    ],
)
async def test_each_side_and_action_is_an_order_on_that_sides_token(  # noqa: PLR0917 - parametrized
    venue: Venue,
    tmp_path: Path,
    side: Side,
    action: Action,
    token: str,
    wire_side: str,
    amounts: tuple[str, str],
) -> None:
    venue.on("POST /order", lambda r: httpx.Response(200, json=answer_for_entry(r)))
    async with client_for(venue, tmp_path) as client:
        await client.create_order(
            intent(side=side, action=action, price=Decimal("0.30"), count=Decimal(10))
        )
    signed = json.loads(venue.sent("POST /order")[0].content)["order"]
    assert (signed["tokenId"], signed["side"]) == (token, wire_side)
    assert (signed["makerAmount"], signed["takerAmount"]) == amounts


async def test_the_l2_headers_sign_the_exact_body_bytes_sent(venue: Venue, tmp_path: Path) -> None:
    venue.on("POST /order", lambda r: httpx.Response(200, json=answer_for_entry(r)))
    venue.on("GET /data/orders", recorded("http_open_orders_page"))
    async with client_for(venue, tmp_path) as client:
        await client.create_order(intent())
        await client.list_orders()
    post, listing = venue.sent("POST /order")[0], venue.sent("GET /data/orders")[0]
    for request, method, path, body in (
        (post, "POST", "/order", post.content),
        (listing, "GET", "/data/orders", None),
    ):
        headers = request.headers
        assert headers["POLY_ADDRESS"] == VECTORS["address"]
        assert headers["POLY_API_KEY"] == API_KEY
        assert headers["POLY_PASSPHRASE"] == PASSPHRASE
        assert headers["POLY_TIMESTAMP"] == str(int(NOW))
        expected = l2_signature(SECRET, int(NOW), method, path, body)
        assert headers["POLY_SIGNATURE"] == expected
    assert "next_cursor=MA%3D%3D" in str(listing.url)  # the query is not signed


async def test_the_hmac_matches_the_published_vector() -> None:
    vector = VECTORS["l2_hmac"]
    signature = l2_signature(
        vector["secret"],
        vector["timestamp"],
        vector["method"],
        vector["request_path"],
        vector["body"],
    )
    assert signature == vector["signature"]


async def test_a_retry_sends_the_same_signed_order_even_after_a_timeout_and_a_later_clock(
    venue: Venue, tmp_path: Path
) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    venue.on("POST /order", timeout, lambda r: httpx.Response(200, json=answer_for_entry(r)))
    now = [NOW]
    async with client_for(venue, tmp_path, clock=lambda: now[0]) as client:
        with pytest.raises(VenueTimeout):
            await client.create_order(intent())
        now[0] += 60
        order = await client.create_order(intent())
    first, second = venue.sent("POST /order")
    assert json.loads(first.content)["order"] == json.loads(second.content)["order"]
    assert first.content == second.content
    assert first.headers["POLY_TIMESTAMP"] != second.headers["POLY_TIMESTAMP"]
    assert order.order_id == _journal_digest(json.loads(first.content)["order"]["salt"])


async def test_a_new_client_on_the_same_journal_sends_the_same_signed_order(
    venue: Venue, tmp_path: Path
) -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("reset", request=request)

    venue.on("POST /order", drop, lambda r: httpx.Response(200, json=answer_for_entry(r)))
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(VenueDisconnected):
            await client.create_order(intent())
    async with client_for(venue, tmp_path, clock=lambda: NOW + 3600) as restarted:
        order = await restarted.create_order(intent())
        assert restarted.journal.get("leg-1") is not None
    first, second = venue.sent("POST /order")
    assert first.content == second.content
    assert order.client_order_id == "leg-1"


async def test_a_client_order_id_signed_for_another_order_is_refused_unsent(
    venue: Venue, tmp_path: Path
) -> None:
    venue.on("POST /order", lambda r: httpx.Response(200, json=answer_for_entry(r)))
    async with client_for(venue, tmp_path) as client:
        await client.create_order(intent())
        with pytest.raises(InvalidOrder, match="signed for another order"):
            await client.create_order(intent(price=Decimal("0.51")))
    assert len(venue.sent("POST /order")) == 1


async def test_a_price_off_the_tick_or_an_unknown_market_is_refused_without_a_request(
    venue: Venue, tmp_path: Path
) -> None:
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(InvalidOrder, match="tick"):
            await client.create_order(intent(price=Decimal("0.505")))
        other = OrderIntent(
            "leg-2", "0x" + "ab" * 32, Side.YES, Action.BUY, Decimal("0.5"), Decimal(1)
        )
        with pytest.raises(InvalidOrder, match="not a market this client trades"):
            await client.create_order(other)
        assert client.journal.get("leg-1") is None
    assert venue.requests == []


@pytest.mark.parametrize(
    ("fields", "tif", "status", "filled"),
    [
        (
            {"status": "matched", "takingAmount": "100", "makingAmount": "50"},
            "ioc",
            "executed",
            100,
        ),
        ({"status": "matched", "takingAmount": "40", "makingAmount": "20"}, "ioc", "canceled", 40),
        ({"status": "matched", "takingAmount": "40", "makingAmount": "20"}, "gtc", "resting", 40),
        ({"status": "live", "takingAmount": "", "makingAmount": ""}, "gtc", "resting", 0),
        ({"status": "delayed", "takingAmount": "", "makingAmount": ""}, "ioc", "resting", 0),
        ({"status": "unmatched"}, "ioc", "resting", 0),
    ],
)
async def test_the_answers_status_and_amounts_make_the_order(  # noqa: PLR0917 - parametrized
    venue: Venue,
    tmp_path: Path,
    fields: dict[str, str],
    tif: str,
    status: str,
    filled: int,
) -> None:
    venue.on("POST /order", lambda r: httpx.Response(200, json=answer_for_entry(r, **fields)))
    async with client_for(venue, tmp_path) as client:
        order = await client.create_order(intent(), time_in_force=tif)
    assert (order.status, order.fill_count) == (status, Decimal(filled))
    assert order.remaining_count == (Decimal(100 - filled) if status == "resting" else 0)
    assert json.loads(venue.sent("POST /order")[0].content)["orderType"] == (
        "FAK" if tif == "ioc" else "GTC"
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "matched", "takingAmount": "100000000"},  # base units: not shares
        {"status": "matched", "takingAmount": ""},
        {"status": "filled"},
    ],
)
async def test_an_answer_that_cannot_be_read_is_a_server_error(
    venue: Venue, tmp_path: Path, fields: dict[str, str]
) -> None:
    venue.on("POST /order", lambda r: httpx.Response(200, json=answer_for_entry(r, **fields)))
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(VenueServerError, match="malformed"):
            await client.create_order(intent())


async def test_an_order_id_that_is_not_our_digest_halts(venue: Venue, tmp_path: Path) -> None:
    venue.on("POST /order", recorded("http_order_response_ok"))  # a placeholder id
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(DigestMismatch, match="not the signed order's digest") as caught:
            await client.create_order(intent())
    assert isinstance(caught.value, CriticalVenueError)


# -- the error table -------------------------------------------------------------------


def _error(status: int, body: Any, headers: dict[str, str] | None = None) -> Handler:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return handler


@pytest.mark.parametrize(
    ("handler", "kind", "text"),
    [
        (_error(200, recorded("http_order_response_failed")), InsufficientBalance, "Insufficient"),
        (
            _error(200, {"success": False, "errorMsg": "not enough balance / allowance"}),
            InsufficientBalance,
            "allowance",
        ),
        (
            _error(
                200, {"success": False, "errorMsg": "invalid post-only order: order crosses book"}
            ),
            InvalidOrder,
            "crosses",
        ),
        (_error(400, {"error": "not enough balance / allowance"}), InsufficientBalance, "balance"),
        (_error(400, {"error": "Invalid order payload"}), InvalidOrder, "payload"),
        (_error(401, {"error": "Unauthorized/Invalid api key"}), VenueAuthError, "401"),
        (
            _error(429, {"error": "Too Many Requests"}, {"Retry-After": "2"}),
            VenueRateLimited,
            "429",
        ),
        (_error(500, recorded("http_order_response_error_500")), VenueServerError, "Internal"),
        (
            _error(
                503,
                {
                    "error": "Trading is currently cancel-only. New orders are not accepted, but"
                    " cancels are allowed."
                },
            ),
            TradingHalted,
            "cancel-only",
        ),
        (
            _error(
                503, {"error": "Trading is currently disabled. Check polymarket.com for updates"}
            ),
            TradingHalted,
            "disabled",
        ),
        (_error(200, ["not", "an", "object"]), VenueServerError, "malformed"),
    ],
)
async def test_each_failure_is_its_typed_error_naming_the_order(
    venue: Venue, tmp_path: Path, handler: Handler, kind: type[VenueError], text: str
) -> None:
    venue.on("POST /order", handler)
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(kind, match=text) as caught:
            await client.create_order(intent())
    assert type(caught.value) is kind
    assert caught.value.client_order_id == "leg-1"
    assert caught.value.endpoint == "POST /order"


async def test_halts_are_transient_and_say_whether_cancels_still_work(
    venue: Venue, tmp_path: Path
) -> None:
    venue.on(
        "POST /order",
        _error(503, {"error": "Trading is currently cancel-only. New orders are not accepted"}),
        _error(503, {"error": "Trading is currently disabled. Check polymarket.com for updates"}),
    )
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(TradingHalted) as cancel_only:
            await client.create_order(intent())
        with pytest.raises(TradingHalted) as disabled:
            await client.create_order(intent())
    assert isinstance(cancel_only.value, TransientVenueError)
    assert (cancel_only.value.cancel_only, disabled.value.cancel_only) == (True, False)
    assert cancel_only.value.status == 503


async def test_a_429_holds_the_endpoint_for_its_retry_after(venue: Venue, tmp_path: Path) -> None:
    venue.on("POST /order", _error(429, {"error": "Too Many Requests"}, {"Retry-After": "2"}))
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(VenueRateLimited) as caught:
            await client.create_order(intent())
        assert caught.value.retry_after == 2.0
        for limiter in client.limiter.limiters:  # type: ignore[attr-defined]
            # the venue's documented buckets and warden's own pacing both hold back
            assert limiter.bucket("create_order").wait_needed(trio.current_time()) > 1.9


async def test_no_answer_within_the_deadline_is_a_timeout(venue: Venue, tmp_path: Path) -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await trio.sleep_forever()
        raise AssertionError

    trading = PolymarketTrading(
        {CID: MARKET}, account(tmp_path), transport=_AsyncTransport(never), clock=lambda: NOW
    )
    async with trading.open_client(Settings()) as client:
        with pytest.raises(VenueTimeout, match=r"no answer within 1\.0s"):
            await client.create_order(intent())
        assert client.journal.get("leg-1") is not None  # journalled before it was sent


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, handler: Callable[[httpx.Request], Any]) -> None:
        self.handler = handler

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.handler(request)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("version", "why"), [(1, "signs versions 2, 3 only"), (2, "already signed for it")]
)
async def test_a_version_mismatch_it_cannot_re_sign_for_is_refused_naming_the_version(
    venue: Venue, tmp_path: Path, version: int, why: str
) -> None:
    venue.on("POST /order", _error(400, {"error": "order_version_mismatch"}))
    venue.on("GET /version", {"version": version})
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(InvalidOrder, match=f"version is {version}; .*{why}"):
            await client.create_order(intent())
        assert client.journal.get("leg-1").version == 2  # type: ignore[union-attr]
    assert len(venue.sent("GET /version")) == 1
    assert len(venue.sent("POST /order")) == 1


async def test_a_refused_resend_of_a_landed_order_resolves_to_that_order(
    venue: Venue, tmp_path: Path
) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def live(request: httpx.Request) -> httpx.Response:
        digest = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, json={**recorded("http_open_order"), "id": digest})

    venue.on("POST /order", timeout, _error(400, {"error": "order already exists"}))
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(VenueTimeout):
            await client.create_order(intent())
        venue.on("GET /data/order/" + client.journal.get("leg-1").digest, live)  # type: ignore[union-attr]
        order = await client.create_order(intent())
    assert (order.status, order.fill_count, order.client_order_id) == (
        "resting",
        Decimal(25),
        "leg-1",
    )


async def test_a_journal_that_cannot_be_written_sends_nothing(venue: Venue, tmp_path: Path) -> None:
    async with client_for(venue, tmp_path) as client:
        client.journal.close()
        with pytest.raises(OrderJournalError) as caught:
            await client.create_order(intent())
        client.journal = OrderJournal(tmp_path / "orders.sqlite")
    assert isinstance(caught.value, CriticalVenueError)
    assert venue.requests == []


# -- lookups ---------------------------------------------------------------------------


async def test_find_order_of_an_unsigned_id_is_none_without_a_request(
    venue: Venue, tmp_path: Path
) -> None:
    async with client_for(venue, tmp_path) as client:
        assert await client.find_order("never-sent") is None
    assert venue.requests == []


def _trade_of(order_id: str, size: str, **fields: Any) -> dict[str, Any]:
    (trade,) = recorded("http_trades_page")["data"]
    return {**trade, "taker_order_id": order_id, "size": size, **fields}


async def test_find_order_reads_a_finished_order_from_every_page_of_its_trades(
    venue: Venue, tmp_path: Path
) -> None:
    venue.on(
        "POST /order", lambda r: httpx.Response(200, json=answer_for_entry(r, status="delayed"))
    )
    async with client_for(venue, tmp_path) as client:
        await client.create_order(intent())
        digest = client.journal.get("leg-1").digest  # type: ignore[union-attr]
        venue.on(f"GET /data/order/{digest}", "")  # not live: nothing
        venue.on(
            "GET /data/trades",
            {"data": [_trade_of(digest, "30.0000", id="t-a")], "next_cursor": "MTAw"},
            {"data": [_trade_of(digest, "20.0000", id="t-b")], "next_cursor": "MjAw"},
            recorded("http_trades_page"),  # someone else's order: not counted
        )
        order = await client.find_order("leg-1")
    assert order is not None
    assert (order.status, order.fill_count, order.state) == (
        "canceled",
        Decimal(50),
        OrderState.CANCELED,
    )
    cursors = [r.url.params["next_cursor"] for r in venue.sent("GET /data/trades")]
    assert cursors == ["MA==", "MTAw", "MjAw"]
    assert {r.url.params["market"] for r in venue.sent("GET /data/trades")} == {CID}


async def test_a_signed_order_the_venue_never_acknowledged_nor_traded_is_not_found(
    venue: Venue, tmp_path: Path
) -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    venue.on("POST /order", drop)
    venue.on("GET /data/trades", recorded("http_trades_page"))
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(VenueDisconnected):
            await client.create_order(intent())
        digest = client.journal.get("leg-1").digest  # type: ignore[union-attr]
        venue.on(f"GET /data/order/{digest}", None)
        assert await client.find_order("leg-1") is None


async def test_open_orders_follow_the_cursor_to_the_end(venue: Venue, tmp_path: Path) -> None:
    venue.on(
        "GET /data/orders",
        {"data": [recorded("http_open_order")], "next_cursor": "MTAw"},
        recorded("http_open_orders_page"),
    )
    async with client_for(venue, tmp_path) as client:
        orders = await client.list_orders()
        assert await client.list_orders(status="executed") == []
    assert [o.initial_count for o in orders] == [Decimal(100), Decimal(200), Decimal(150)]
    first, _, sale = orders
    assert (first.side, first.action, first.status, first.fill_count) == (
        Side.YES,
        Action.BUY,
        "resting",
        Decimal(25),
    )
    assert first.remaining_count == Decimal(75)
    assert (sale.side, sale.action, sale.price, sale.remaining_count) == (
        Side.NO,
        Action.SELL,
        Decimal("0.4"),
        Decimal(100),
    )
    assert first.client_order_id is None  # not signed here
    assert len(venue.sent("GET /data/orders")) == 2


async def test_an_order_listed_with_a_size_other_than_signed_is_refused(
    venue: Venue, tmp_path: Path
) -> None:
    venue.on("POST /order", lambda r: httpx.Response(200, json=answer_for_entry(r, status="live")))
    async with client_for(venue, tmp_path) as client:
        await client.create_order(intent(count=Decimal(100)))
        digest = client.journal.get("leg-1").digest  # type: ignore[union-attr]
        venue.on(
            f"GET /data/order/{digest}",
            {**recorded("http_open_order"), "id": digest, "original_size": "100000000"},
        )
        with pytest.raises(VenueServerError, match="original_size"):
            await client.find_order("leg-1")


async def test_a_matched_order_record_is_executed(venue: Venue, tmp_path: Path) -> None:
    record = recorded("http_open_order_sell_fok")
    venue.on(f"GET /data/order/{record['id']}", record)
    async with client_for(venue, tmp_path) as client:
        order = await client.get_order(record["id"])
    assert (order.status, order.side, order.action, order.fill_count) == (
        "executed",
        Side.NO,
        Action.SELL,
        Decimal(50),
    )


# -- cancelling --------------------------------------------------------------------------


def _resting(order_id: str, count: int = 10) -> VenueOrder:
    return VenueOrder(
        order_id,
        "leg-9",
        CID,
        Side.YES,
        Action.BUY,
        "resting",
        Decimal("0.5"),
        Decimal(count),
        Decimal(0),
        Decimal(count),
    )


async def test_cancel_deletes_the_order_and_returns_it_as_its_trades_show_it(
    venue: Venue, tmp_path: Path
) -> None:
    canceled = recorded("http_cancel_response_ok")
    order_id = canceled["canceled"][0]
    venue.on("DELETE /order", canceled)
    venue.on("GET /data/trades", {"data": [_trade_of(order_id, "4.0000")], "next_cursor": "LTE="})
    async with client_for(venue, tmp_path) as client:
        after = await client.cancel_order(_resting(order_id))
    (request,) = venue.sent("DELETE /order")
    assert request.content == json.dumps({"orderID": order_id}, separators=(",", ":")).encode()
    assert request.headers["POLY_SIGNATURE"] == l2_signature(
        SECRET, int(NOW), "DELETE", "/order", request.content
    )
    assert (after.status, after.fill_count, after.remaining_count) == ("canceled", Decimal(4), 0)


async def test_cancelling_an_order_already_matched_is_no_error(
    venue: Venue, tmp_path: Path
) -> None:
    failed = recorded("http_cancel_response_failed")
    (order_id,) = failed["not_canceled"]
    venue.on("DELETE /order", failed)
    venue.on("GET /data/trades", {"data": [_trade_of(order_id, "10.0000")], "next_cursor": "LTE="})
    async with client_for(venue, tmp_path) as client:
        after = await client.cancel_order(_resting(order_id))
    assert (after.status, after.fill_count) == ("executed", Decimal(10))


async def test_another_not_canceled_reason_is_refused_naming_it(
    venue: Venue, tmp_path: Path
) -> None:
    order_id = "0x" + "cd" * 32
    venue.on("DELETE /order", {"canceled": [], "not_canceled": {order_id: "market paused"}})
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(InvalidOrder, match="market paused"):
            await client.cancel_order(_resting(order_id))


async def test_fewer_listed_fills_than_reported_is_transient(venue: Venue, tmp_path: Path) -> None:
    fields = {"status": "matched", "takingAmount": "40", "makingAmount": "20"}
    venue.on("POST /order", lambda r: httpx.Response(200, json=answer_for_entry(r, **fields)))
    async with client_for(venue, tmp_path) as client:
        order = await client.create_order(intent())
        venue.on(
            "GET /data/trades", {"data": [_trade_of(order.order_id, "25")], "next_cursor": "LTE="}
        )
        with pytest.raises(VenueServerError, match="25 of the 40"):
            await client.list_fills(order_id=order.order_id)


# -- fills, positions, balance, book, markets, heartbeat -----------------------------------


async def test_fills_are_our_trades_with_the_journals_client_order_id(
    venue: Venue, tmp_path: Path
) -> None:
    venue.on("POST /order", lambda r: httpx.Response(200, json=answer_for_entry(r, status="live")))
    async with client_for(venue, tmp_path) as client:
        order = await client.create_order(intent())
        ours = _trade_of(order.order_id, "10.0000", id="t-ours", fee_rate_bps="400")
        venue.on(
            "GET /data/trades",
            {"data": [ours, recorded("http_trade_report")], "next_cursor": "MTAw"},
            recorded("http_trades_page"),
        )
        fills = await client.list_fills()
        venue.routes.pop("GET /data/trades")
        venue.on("GET /data/trades", {"data": [ours], "next_cursor": "LTE="})
        only = await client.list_fills(order_id=order.order_id)
    mine, report, page = fills
    assert (mine.fill_id, mine.client_order_id, mine.ticker) == ("t-ours", "leg-1", CID)
    assert (mine.side, mine.action, mine.price, mine.count) == (
        Side.YES,
        Action.BUY,
        Decimal("0.5"),
        Decimal(10),
    )
    assert mine.fee == Decimal("0.1")  # 10 x 0.04 x 0.5 x 0.5
    taker_order = recorded("http_trade_report")["taker_order_id"]
    assert (report.fill_id, report.client_order_id) == (
        "trade-0xabcdef1234",
        f"venue-{taker_order}",
    )
    assert (report.count, report.fee) == (Decimal(25), Decimal(0))
    assert page.fill_id == "trade-0x001"
    assert only == [mine]


async def test_a_maker_fill_is_ours_by_owner_at_its_own_price_without_fee(
    venue: Venue, tmp_path: Path
) -> None:
    report = recorded("http_trade_report")
    maker = {**report["maker_orders"][1], "owner": API_KEY}
    trade = {**report, "trader_side": "MAKER", "maker_orders": [report["maker_orders"][0], maker]}
    failed = {**recorded("http_trades_page")["data"][0], "status": "FAILED"}
    venue.on("GET /data/trades", {"data": [trade, failed], "next_cursor": "LTE="})
    async with client_for(venue, tmp_path) as client:
        (fill,) = await client.list_fills()
    assert fill.fill_id == f"trade-0xabcdef1234:{maker['order_id']}"
    assert (fill.side, fill.action, fill.count, fill.fee) == (
        Side.YES,
        Action.SELL,
        Decimal(5),
        Decimal(0),
    )


async def test_positions_are_yes_minus_no_token_balances(venue: Venue, tmp_path: Path) -> None:
    def balance(request: httpx.Request) -> httpx.Response:
        held = {YES: "15000000", NO: "5250000"}[request.url.params["token_id"]]
        return httpx.Response(200, json={"balance": held, "allowance": "0"})

    venue.on("GET /balance-allowance", balance)
    async with client_for(venue, tmp_path) as client:
        (position,) = await client.list_positions()
    assert (position.ticker, position.position) == (CID, Decimal("9.75"))
    assert {r.url.params["asset_type"] for r in venue.requests} == {"CONDITIONAL"}


async def test_the_balance_is_base_units_in_dollars_and_a_decimal_one_is_refused(
    venue: Venue, tmp_path: Path
) -> None:
    venue.on(
        "GET /balance-allowance",
        recorded("http_balance_allowance_collateral"),
        recorded("http_balance_allowance_no_allowance"),
    )
    async with client_for(venue, tmp_path) as client:
        assert await client.get_balance() == Decimal(1000)
        with pytest.raises(VenueServerError, match="base units"):
            await client.get_balance()
    assert venue.requests[0].url.params["asset_type"] == "COLLATERAL"


async def test_the_book_is_the_yes_tokens_with_no_bids_from_its_asks(
    venue: Venue, tmp_path: Path
) -> None:
    venue.on("GET /book", json.loads((FIXTURES / "rest_book.json").read_text()))
    async with client_for(venue, tmp_path) as client:
        book = await client.get_orderbook(CID)
    assert venue.requests[0].url.params["token_id"] == YES
    assert "POLY_SIGNATURE" not in venue.requests[0].headers  # public
    assert book.best_bid(Side.YES) == Decimal("0.1")
    assert book.best_bid(Side.NO) == Decimal("0.86")  # 1 - best ask 0.14
    assert (Decimal("0.62"), Decimal("192.3")) in book.no


async def test_list_markets_refreshes_tick_and_neg_risk(venue: Venue, tmp_path: Path) -> None:
    # No recorded /clob-markets answer exists: TSV2's MarketDetails shape.
    details = {
        "c": CID,
        "t": [{"t": YES, "o": "Yes"}, {"t": NO, "o": "No"}],
        "mts": 0.001,
        "nr": True,
        "fd": {"r": 0.04, "e": 1, "to": True},
    }
    venue.on(f"GET /clob-markets/{CID}", details)
    async with client_for(venue, tmp_path) as client:
        assert client.grid(CID).tick == Decimal("0.01")
        grids = await client.list_markets()
        assert client.markets[CID].neg_risk is True
    assert grids[CID].tick == Decimal("0.001")
    assert grids[CID].max_price == Decimal("0.999")


async def test_a_market_whose_tokens_differ_is_refused(venue: Venue, tmp_path: Path) -> None:
    venue.on(f"GET /clob-markets/{CID}", {"t": [{"t": NO}, {"t": YES}], "mts": 0.01, "nr": False})
    async with client_for(venue, tmp_path) as client:
        with pytest.raises(VenueServerError, match="not its YES and NO tokens"):
            await client.list_markets()


async def test_the_heartbeat_carries_the_last_id_it_was_given(venue: Venue, tmp_path: Path) -> None:
    venue.on("POST /v1/heartbeats", {"heartbeat_id": "hb-1"}, {"heartbeat_id": "hb-2"})
    async with client_for(venue, tmp_path) as client:
        await client.heartbeat()
        await client.heartbeat()
    first, second = venue.sent("POST /v1/heartbeats")
    assert (first.content, second.content) == (b'{"heartbeat_id":""}', b'{"heartbeat_id":"hb-1"}')
    assert second.headers["POLY_SIGNATURE"] == l2_signature(
        SECRET, int(NOW), "POST", "/v1/heartbeats", second.content
    )


# -- secrets -------------------------------------------------------------------------------


async def test_no_secret_passphrase_key_or_signature_in_reprs_or_errors(
    venue: Venue, tmp_path: Path
) -> None:
    venue.on(
        "POST /order",
        _error(401, {"error": "Invalid L1 Request headers"}),
        _error(400, {"error": "Invalid order payload"}),
    )
    errors: list[BaseException] = []
    trading = PolymarketTrading(
        {CID: MARKET}, account(tmp_path), transport=httpx.MockTransport(venue), clock=lambda: NOW
    )
    async with trading.open_client(Settings()) as client:
        for _ in range(2):
            try:
                await client.create_order(intent())
            except VenueError as error:
                errors.append(error)
        entry = client.journal.get("leg-1")
        texts = [
            repr(trading),
            repr(client),
            repr(entry),
            repr(client.account),
            repr(client.journal),
        ]
    signature = json.loads(venue.sent("POST /order")[0].content)["order"]["signature"]
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    private_key = VECTORS["private_key"]
    for text in texts:
        for secret in (SECRET, PASSPHRASE, signature, private_key, private_key[2:]):
            assert secret not in text
    assert len(errors) == 2


async def test_the_client_is_a_trading_client(tmp_path: Path) -> None:
    client: TradingClient = client_for(Venue(), tmp_path)
    async with client:
        assert client.grid("unknown").tick == Decimal("0.01")


# -- as execution uses it ------------------------------------------------------------------


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


async def test_executions_place_resolves_a_lost_submit_by_resending_the_same_order(
    venue: Venue, tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    matched = {"status": "matched", "takingAmount": "40", "makingAmount": "20"}
    venue.on(
        "POST /order", timeout, lambda r: httpx.Response(200, json=answer_for_entry(r, **matched))
    )
    reporter = Reporter()
    async with client_for(venue, tmp_path) as client:
        workflows = Workflows(
            client,
            retry=RetryPolicy(max_attempts=3),
            resolve_retry=RetryPolicy(max_attempts=3),
            rng=random.Random(7),
            reporter=reporter,
        )

        digest = _future_digest(client)
        fill = _trade_of(digest, "40.0000", id="t-1", fee_rate_bps="400")

        def trades(_request: httpx.Request) -> httpx.Response:
            # the lost first submit never arrived: no trade until the resend matched
            landed = len(venue.sent("POST /order")) >= 2
            return httpx.Response(
                200, json={"data": [fill] if landed else [], "next_cursor": "LTE="}
            )

        venue.on("GET /data/trades", trades)
        venue.on(f"GET /data/order/{digest}", None)  # never live
        result = await workflows.place("r-1", intent())
    assert result is not None
    first, second = venue.sent("POST /order")
    assert first.content == second.content
    assert (result.order.status, result.order.fill_count) == ("canceled", Decimal(40))
    assert result.filled == Decimal(40)
    assert [f.fill_id for f in result.fills] == ["t-1"]
    assert type(reporter.errors[0]) is VenueTimeout


async def test_a_cancel_only_venue_refuses_the_leg_once_without_retries_or_lookups(
    venue: Venue, tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    """A 503 cancel-only is a refusal, not an unknown outcome: the leg gives up at once
    (risk stops new risk on the report), with no re-send and no lookup."""
    venue.on(
        "POST /order",
        _error(503, {"error": "Trading is currently cancel-only. New orders are not accepted"}),
    )
    reporter = Reporter()
    async with client_for(venue, tmp_path) as client:
        workflows = Workflows(
            client,
            retry=RetryPolicy(max_attempts=5),
            resolve_retry=RetryPolicy(max_attempts=3),
            rng=random.Random(7),
            reporter=reporter,
        )
        result = await workflows.place("r-1", intent())
    assert result.order is None
    assert isinstance(result.error, VenueTradingHalted)
    assert len(venue.sent("POST /order")) == 1
    assert venue.sent("GET /data/trades") == []
    assert [type(error) for error in reporter.errors] == [VenueTradingHalted]


def _future_digest(client: PolymarketClient) -> str:
    """The digest the client will sign for ``intent()``: signed the same way (the
    order is deterministic for a client order id, its ms timestamp and the key)."""
    market = MARKET
    order = OrderV2(
        salt=deterministic_salt("leg-1"),
        maker=VECTORS["address"],
        signer=VECTORS["address"],
        token_id=market.yes_token,
        maker_amount=50_000_000,
        taker_amount=100_000_000,
        side=BUY,
        signature_type=0,
        timestamp_ms=int(NOW * 1000),
    )
    return order_digest(order, neg_risk=False)


async def test_the_journal_is_wal_with_full_sync_and_keeps_the_first_signature(
    tmp_path: Path,
) -> None:
    journal = OrderJournal(tmp_path / "j.sqlite")
    try:
        assert journal._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert journal._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        first = JournalEntry(
            "c1", "0xaa", CID, YES, "yes", "buy", Decimal("0.5"), Decimal(1), "FAK", "{}"
        )
        second = attrs.evolve(first, digest="0xbb", signed_order='{"x":1}')
        assert journal.record(first) == first
        assert journal.record(second) == first
        assert journal.by_digest("0xbb") is None
        journal.replace(second)  # refused outright (not acknowledged): replaceable
        assert journal.get("c1") == second
        journal.acknowledge("c1")
        with pytest.raises(OrderJournalError, match="no unacknowledged order"):
            journal.replace(first)
        assert journal.get("c1") == attrs.evolve(second, acknowledged=True)
    finally:
        journal.close()


async def test_a_lookup_whose_trades_lag_behind_the_answer_is_transient(
    venue: Venue, tmp_path: Path
) -> None:
    matched = {"status": "matched", "takingAmount": "40", "makingAmount": "20"}
    venue.on("POST /order", lambda r: httpx.Response(200, json=answer_for_entry(r, **matched)))
    async with client_for(venue, tmp_path) as client:
        order = await client.create_order(intent())
        venue.on(f"GET /data/order/{order.order_id}", None)
        venue.on("GET /data/trades", {"data": [], "next_cursor": "LTE="})
        with pytest.raises(VenueServerError, match="not all listed yet") as caught:
            await client.find_order("leg-1")
        venue.routes.pop("GET /data/trades")
        venue.on("GET /data/trades", {"data": [_trade_of(order.order_id, "40")], "next_cursor": ""})
        found = await client.find_order("leg-1")
    assert isinstance(caught.value, TransientVenueError)
    assert found is not None
    assert (found.status, found.fill_count) == ("canceled", Decimal(40))
