"""Kalshi's private channels ``user_orders`` and ``fill`` (actors.venues.kalshi._private),
against the simulated venue on loopback speaking Kalshi's websocket, and the strict
readers of their frames (asyncapi ``userOrderPayload`` / ``fillPayload``)."""

from __future__ import annotations

import gc
import json
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import pytest
import trio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from actors.domain import Action, Fill, OrderIntent, Side
from actors.execution import ExecutionConfig, RateLimit
from actors.venues._trading import (
    ChannelDown,
    ChannelUp,
    FillHeard,
    OrderHeard,
    PrivateChannel,
    PrivateEvent,
)
from actors.venues.kalshi import KalshiClient, PrivateSettings
from actors.venues.kalshi._private import Broken, Heard, SubscribedTo, parse_private
from actors.venues.kalshi._signing import KalshiSigner
from supervision import NO_BACKOFF, BackoffPolicy, Jitter
from tests.warden.conftest import served
from warden.venue import HOUSE, OrderRequest, VenueServer

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = (
    KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll ``condition`` on the trio loop until it holds; fail naming ``what``."""
    with trio.move_on_after(timeout):
        while not condition():
            await trio.sleep(0.01)
        return
    pytest.fail(f"timed out waiting for {what}")


def private_settings(server: VenueServer, **overrides: Any) -> PrivateSettings:
    settings: dict[str, Any] = {
        "ws_url": server.ws_url,
        "ping_interval_s": 0.5,
        "silence_timeout_s": 2.0,
        "connect_timeout_s": 5.0,
        "reconnect": NO_BACKOFF,
    }
    settings.update(overrides)
    return PrivateSettings(**settings)


def client_of(server: VenueServer, **private: Any) -> KalshiClient:
    config = ExecutionConfig(rest_url=server.rest_url, rate_limits={"*": RateLimit(1000.0, 1000)})
    return KalshiClient(config, private=private_settings(server, **private))


def house_bids_no(server: VenueServer, *levels: tuple[str, int]) -> None:
    """The house bids NO at each ``(price, count)``: what a YES buyer takes."""
    for price, count in levels:
        request = OrderRequest("SIM-001", "no", "buy", Decimal(count), Decimal(price))
        assert server.sim.engine.place(HOUSE, request)["status"] == "resting"


@asynccontextmanager
async def hearing(client: KalshiClient) -> AsyncIterator[list[PrivateEvent]]:
    """The client open, its private channel served into the yielded list."""
    heard: list[PrivateEvent] = []
    async with client, trio.open_nursery() as nursery:
        nursery.start_soon(client.serve_private, heard.append)
        yield heard
        nursery.cancel_scope.cancel()


def of(kind: type, heard: list[PrivateEvent]) -> list[Any]:
    return [event for event in heard if isinstance(event, kind)]


def one_yes(cid: str) -> OrderIntent:
    return OrderIntent(cid, "SIM-001", Side.YES, Action.BUY, Decimal("0.58"), Decimal(1))


BUY_YES = OrderIntent("cid-p1", "SIM-001", Side.YES, Action.BUY, Decimal("0.59"), Decimal(5))


async def test_an_orders_update_and_fills_are_heard_exactly_as_the_venue_lists_them() -> None:
    async with served() as (server, _http):
        house_bids_no(server, ("0.42", 3), ("0.41", 3))  # two fills: 3 at 0.58, 2 at 0.59
        client = client_of(server)
        assert isinstance(client, PrivateChannel)
        async with hearing(client) as heard:
            await until(lambda: bool(of(ChannelUp, heard)), "the channel to come up")
            order = await client.create_order(BUY_YES)
            await until(lambda: len(of(FillHeard, heard)) == 2, "two fills heard")
            await until(lambda: bool(of(OrderHeard, heard)), "the order heard")
            listed = await client.list_fills(order_id=order.order_id)

    (update,) = of(OrderHeard, heard)
    assert update.order.client_order_id == "cid-p1"
    assert update.order.order_id == order.order_id
    assert (update.order.status, update.order.fill_count) == ("executed", Decimal(5))
    assert update.order.as_direction(Side.YES, Action.BUY).price == Decimal("0.59")
    fills = of(FillHeard, heard)
    assert {f.order_id for f in fills} == {order.order_id}
    assert [f.fill for f in fills] == listed  # same ids, prices, counts, fees, names
    assert [(f.fill.price, f.fill.count) for f in fills] == [
        (Decimal("0.58"), Decimal(3)),
        (Decimal("0.59"), Decimal(2)),
    ]
    assert all(f.fill.fee > 0 for f in fills)
    assert of(ChannelUp, heard) == [ChannelUp(1)]


async def test_a_no_fill_is_priced_from_the_yes_price_as_the_list_prices_it() -> None:
    async with served() as (server, _http):
        request = OrderRequest("SIM-001", "yes", "buy", Decimal(4), Decimal("0.30"))
        server.sim.engine.place(HOUSE, request)
        client = client_of(server)
        intent = OrderIntent("cid-no", "SIM-001", Side.NO, Action.BUY, Decimal("0.70"), Decimal(4))
        async with hearing(client) as heard:
            await until(lambda: bool(of(ChannelUp, heard)), "the channel to come up")
            order = await client.create_order(intent)
            await until(lambda: bool(of(FillHeard, heard)), "the fill heard")
            listed = await client.list_fills(order_id=order.order_id)
    fill = of(FillHeard, heard)[0].fill
    assert fill == listed[0]
    assert (fill.side, fill.price) == (Side.NO, Decimal("0.70"))


async def test_a_dropped_connection_is_reported_down_and_comes_back_up() -> None:
    async with served() as (server, http):
        client = client_of(server)
        async with hearing(client) as heard:
            await until(lambda: bool(of(ChannelUp, heard)), "the channel to come up")
            faults = {"stream": {"drop_rate": 1.0}}
            (await http.post("/sim/faults", json=faults)).raise_for_status()
            house_bids_no(server, ("0.42", 1))
            await client.create_order(BUY_YES)  # its frames: the first closes the socket
            await until(lambda: bool(of(ChannelDown, heard)), "the channel down")
            (await http.delete("/sim/faults")).raise_for_status()
            await until(lambda: len(of(ChannelUp, heard)) >= 2, "the channel up again")
    down = of(ChannelDown, heard)[0]
    assert down.connection == 1
    assert of(ChannelUp, heard)[1].connection > 1


async def test_a_skipped_frame_ends_the_session_and_a_repeated_one_is_dropped() -> None:
    async with served() as (server, http):
        client = client_of(server)
        async with hearing(client) as heard:
            await until(lambda: bool(of(ChannelUp, heard)), "the channel to come up")
            house_bids_no(server, ("0.42", 3))
            repeat = {"stream": {"duplicate_rate": 1.0}}
            (await http.post("/sim/faults", json=repeat)).raise_for_status()
            await client.create_order(one_yes("cid-d"))
            await until(lambda: bool(of(OrderHeard, heard)), "the order heard")
            gap = {"stream": {"gap_rate": 1.0}}
            (await http.post("/sim/faults", json=gap)).raise_for_status()
            await client.create_order(one_yes("cid-g"))  # its frames are skipped
            (await http.delete("/sim/faults")).raise_for_status()
            await client.create_order(one_yes("cid-after"))  # its first frame shows the gap
            await until(lambda: bool(of(ChannelDown, heard)), "the gap to end the session")
    assert len(of(FillHeard, heard)) == 1  # sent twice, delivered once
    assert len(of(OrderHeard, heard)) == 1
    assert of(ChannelDown, heard)[0].reason.startswith("gap: ")


@pytest.fixture
def rejected_handshakes_collected() -> Iterator[None]:
    """trio-websocket 0.12 leaves a rejected handshake's stream to the garbage
    collector (``ConnectionRejected`` is raised in its reader task, which never closes
    the stream); collect it here."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.mark.usefixtures("rejected_handshakes_collected")
# trio-websocket 0.12 leaves each rejected handshake's socket to the garbage collector,
# which may run (and warn) while this test still runs: the library's leak, not ours.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_the_handshake_is_signed_and_an_unsigned_one_is_refused() -> None:
    async with served(kalshi_public_keys={"key-1": PUBLIC_PEM}) as (server, _http):
        config = ExecutionConfig(
            rest_url=server.rest_url, rate_limits={"*": RateLimit(1000.0, 1000)}
        )
        signed = KalshiClient(
            config, signer=KalshiSigner("key-1", KEY), private=private_settings(server)
        )
        async with hearing(signed) as heard:
            await until(lambda: bool(of(ChannelUp, heard)), "the signed channel to come up")
        slowly = BackoffPolicy(Jitter.NONE, base=0.4, cap=0.4)  # a few refusals, not hundreds
        unsigned = KalshiClient(config, private=private_settings(server, reconnect=slowly))
        with trio.move_on_after(1.0):
            async with hearing(unsigned) as refused:
                await trio.sleep_forever()
    assert refused == []  # never up, so never down either


async def test_a_client_without_private_settings_never_delivers() -> None:
    config = ExecutionConfig(rest_url="http://127.0.0.1:9/trade-api/v2")
    heard: list[PrivateEvent] = []
    async with KalshiClient(config) as client:
        with trio.move_on_after(0.2):
            await client.serve_private(heard.append)
    assert heard == []


# -- the readers ------------------------------------------------------------------------

FILL_MSG: dict[str, Any] = {
    "trade_id": "t-1",
    "order_id": "o-1",
    "market_ticker": "SIM-001",
    "exchange_index": 0,
    "is_taker": True,
    "side": "no",
    "yes_price_dollars": "0.3500",
    "count_fp": "2.50",
    "fee_cost": "0.0123",
    "action": "buy",
    "ts": 1700000000,
    "ts_ms": 1700000000000,
    "post_position_fp": "-2.50",
    "purchased_side": "no",
    "outcome_side": "no",
    "book_side": "ask",
}


def frame(kind: str, msg: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"type": kind, "sid": 3, "msg": msg, **extra})


def test_a_fill_frame_reads_into_the_domain_fill_named_by_its_order_id() -> None:
    parsed = parse_private(frame("fill", FILL_MSG))
    assert parsed == Heard(
        FillHeard(
            "o-1",
            Fill(
                "t-1",
                "venue-o-1",
                "SIM-001",
                Side.NO,
                Action.BUY,
                Decimal("0.65"),
                Decimal("2.5"),
                fee=Decimal("0.0123"),
            ),
        ),
        3,
        None,
    )
    named = parse_private(frame("fill", {**FILL_MSG, "client_order_id": "c-9"}, seq=4))
    assert isinstance(named, Heard)
    assert isinstance(named.event, FillHeard)
    assert (named.event.fill.client_order_id, named.seq) == ("c-9", 4)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("yes_price_dollars", 0.35, "yes_price_dollars"),
        ("count_fp", "2.555", "count_fp"),
        ("fee_cost", "-0.01", "fee_cost"),
        ("outcome_side", "maybe", "'maybe' is not a valid Side"),
        ("trade_id", None, "trade_id"),
    ],
)
def test_a_malformed_fill_frame_breaks_the_session_naming_the_field(
    field: str, value: Any, named: str
) -> None:
    msg = {**FILL_MSG, field: value}
    if value is None:
        del msg[field]
    parsed = parse_private(frame("fill", msg))
    assert isinstance(parsed, Broken)
    assert named in parsed.reason


def test_a_user_order_frame_reads_its_client_order_id_and_counts() -> None:
    msg = {
        "order_id": "o-2",
        "user_id": "u",
        "ticker": "SIM-002",
        "status": "canceled",
        "side": "yes",
        "is_yes": True,
        "outcome_side": "yes",
        "book_side": "bid",
        "yes_price_dollars": "0.4100",
        "fill_count_fp": "1.00",
        "remaining_count_fp": "0.00",
        "initial_count_fp": "3.00",
        "taker_fill_cost_dollars": "0.4100",
        "maker_fill_cost_dollars": "0.0000",
        "taker_fees_dollars": "0.0200",
        "maker_fees_dollars": "0.0000",
        "client_order_id": "c-2",
        "created_time": "2026-01-01T00:00:00Z",
        "created_ts_ms": 1,
    }
    parsed = parse_private(frame("user_order", msg, seq=1))
    assert isinstance(parsed, Heard)
    assert isinstance(parsed.event, OrderHeard)
    order = parsed.event.order
    assert (order.client_order_id, order.status, order.price) == (
        "c-2",
        "canceled",
        Decimal("0.41"),
    )
    assert (order.initial_count, order.fill_count) == (Decimal(3), Decimal(1))
    broken = parse_private(frame("user_order", {**msg, "status": "open"}))
    assert isinstance(broken, Broken)
    assert "status" in broken.reason


def test_answers_errors_and_nonsense_are_told_apart() -> None:
    subscribed = {"type": "subscribed", "id": 1, "msg": {"channel": "fill", "sid": 7}}
    assert parse_private(json.dumps(subscribed)) == SubscribedTo("fill", 7)
    error = {"type": "error", "id": 1, "msg": {"code": 9, "msg": "Authentication required"}}
    refused = parse_private(json.dumps(error))
    assert isinstance(refused, Broken)
    assert "9" in refused.reason
    assert parse_private(json.dumps({"type": "ok", "id": 2, "msg": []})) is None
    assert isinstance(parse_private('{"type": "fill", "sid": 1, "msg": {"count_fp": NaN}}'), Broken)
    assert isinstance(parse_private("{not json"), Broken)


def test_settings_refuse_a_url_that_is_not_a_websocket() -> None:
    with pytest.raises(ValueError, match="ws://"):
        PrivateSettings("http://127.0.0.1/trade-api/ws/v2")
