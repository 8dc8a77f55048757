"""The feed's websocket (actors/feed/_socket.py) against a wsproto server on loopback
that writes exactly the frames each test needs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial

import pytest
import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Message,
    Ping,
    Pong,
    RejectConnection,
    Request,
    TextMessage,
)

from actors.feed import _socket
from actors.feed._socket import FrameSocket, HandshakeRefused, SocketClosed, open_frame_socket

Script = Callable[["ServerSide"], Awaitable[None]]


class ServerSide:
    """The venue's end of one connection: accepted, then driven by a test's script."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.ws = WSConnection(ConnectionType.SERVER)
        self.request: Request | None = None

    async def events(self) -> list[object]:
        data = await self.stream.receive_some(65_536)
        self.ws.receive_data(data or None)
        return list(self.ws.events())

    async def wait_request(self) -> Request:
        while self.request is None:
            for event in await self.events():
                if isinstance(event, Request):
                    self.request = event
        return self.request

    async def send(self, *events: object) -> None:
        await self.stream.send_all(b"".join(self.ws.send(e) for e in events))  # type: ignore[arg-type]


@asynccontextmanager
async def venue(script: Script, *, accept: bool = True) -> AsyncIterator[str]:
    """A one-connection server on 127.0.0.1 running ``script``; yields its URL."""
    async with trio.open_nursery() as nursery:

        async def serve(stream: trio.SocketStream) -> None:
            side = ServerSide(stream)
            await side.wait_request()
            if not accept:
                await side.send(RejectConnection(status_code=401))
                await trio.sleep_forever()
            await side.send(AcceptConnection())
            await script(side)

        listeners = await nursery.start(partial(trio.serve_tcp, serve, 0, host="127.0.0.1"))
        port = listeners[0].socket.getsockname()[1]
        yield f"ws://127.0.0.1:{port}/trade-api/ws/v2?x=1"
        nursery.cancel_scope.cancel()


async def _read(socket: FrameSocket, count: int) -> list[list[str]]:
    """Batches until ``count`` messages have been read."""
    batches: list[list[str]] = []
    with trio.fail_after(10):
        while sum(map(len, batches)) < count:
            batches.append(await socket.receive_batch())
    return batches


async def test_messages_written_together_are_read_as_one_batch_in_order() -> None:
    async def script(side: ServerSide) -> None:
        await side.send(*(TextMessage(data=f'{{"n": {i}}}') for i in range(200)))
        await trio.sleep_forever()

    async with venue(script) as url:
        socket = await open_frame_socket(url, [("X-Test", "1")])
        batches = await _read(socket, 200)
        await socket.abort()
    assert [m for batch in batches for m in batch] == [f'{{"n": {i}}}' for i in range(200)]
    assert len(batches) < 200 / 10  # one hand-off per read, not per message


async def test_texts_sent_together_arrive_in_order_in_one_write() -> None:
    heard: list[str] = []
    reads: list[int] = []

    async def script(side: ServerSide) -> None:
        while len(heard) < 300:
            events = await side.events()
            reads.append(len(events))
            heard.extend(e.data for e in events if isinstance(e, TextMessage))
        await trio.sleep_forever()

    async with venue(script) as url:
        socket = await open_frame_socket(url, [])
        await socket.send_texts([f"cmd-{i}" for i in range(300)])
        with trio.fail_after(10):
            while len(heard) < 300:
                await trio.sleep(0.01)
        await socket.abort()
    assert heard == [f"cmd-{i}" for i in range(300)]
    assert len(reads) < 30  # one write the venue reads in a few reads, not 300 sends


async def test_the_upgrade_carries_the_target_and_the_headers() -> None:
    seen: list[Request] = []

    async def script(side: ServerSide) -> None:
        assert side.request is not None
        seen.append(side.request)
        await side.send(TextMessage(data="hello"))
        await trio.sleep_forever()

    async with venue(script) as url:
        socket = await open_frame_socket(url, [("KALSHI-ACCESS-KEY", "key-1")])
        assert await socket.receive_batch() == ["hello"]
        await socket.abort()
    (request,) = seen
    assert request.target == "/trade-api/ws/v2?x=1"
    assert (b"kalshi-access-key", b"key-1") in [(k.lower(), v) for k, v in request.extra_headers]


async def test_a_fragmented_message_is_put_back_together() -> None:
    async def script(side: ServerSide) -> None:
        for part, last in (('{"a": ', False), ('"b', False), ('c"}', True)):
            await side.send(Message(data=part, message_finished=last))
            await trio.sleep(0.01)  # each part in a read of its own
        await trio.sleep_forever()

    async with venue(script) as url:
        socket = await open_frame_socket(url, [])
        batches = await _read(socket, 1)
        await socket.abort()
    assert batches == [['{"a": "bc"}']]


async def test_a_venue_ping_is_answered_and_our_ping_returns_on_its_pong() -> None:
    pongs: list[bytes] = []
    pinged: list[bytes] = []

    async def script(side: ServerSide) -> None:
        await side.send(Ping(payload=b"venue-1"))
        while not (pongs and pinged):
            for event in await side.events():
                if isinstance(event, Pong):
                    pongs.append(bytes(event.payload))
                elif isinstance(event, Ping):
                    pinged.append(bytes(event.payload))
                    await side.send(event.response(), TextMessage(data="after-pong"))
        await trio.sleep_forever()

    async with venue(script) as url:
        socket = await open_frame_socket(url, [])
        async with trio.open_nursery() as nursery:
            nursery.start_soon(socket.ping, b"ours")
            batches = await _read(socket, 1)  # reading is what hears the pong
        await socket.abort()
    assert pongs == [b"venue-1"]
    assert pinged == [b"ours"]
    assert batches == [["after-pong"]]


async def test_a_close_frame_ends_reading_with_its_code_and_reason() -> None:
    async def script(side: ServerSide) -> None:
        await side.send(TextMessage(data="last"), CloseConnection(code=1011, reason="overload"))
        await trio.sleep_forever()

    async with venue(script) as url:
        socket = await open_frame_socket(url, [])
        with trio.fail_after(10):
            messages = await socket.receive_batch()
            with pytest.raises(SocketClosed) as closed:
                await socket.receive_batch()
        with pytest.raises(SocketClosed):
            await socket.send_text("too late")
        await socket.abort()
    assert messages == ["last"]
    assert closed.value.reason == "code 1011: overload"


async def test_a_tcp_stream_that_ends_without_a_close_frame_is_a_close() -> None:
    async def script(side: ServerSide) -> None:
        await side.stream.aclose()

    async with venue(script) as url:
        socket = await open_frame_socket(url, [])
        with trio.fail_after(10), pytest.raises(SocketClosed) as closed:
            await socket.receive_batch()
        await socket.abort()
    assert "without a close frame" in closed.value.reason


async def test_an_oversized_message_closes_the_socket_instead_of_growing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_socket, "MAX_MESSAGE_BYTES", 1_000)

    async def script(side: ServerSide) -> None:
        for _ in range(5):
            await side.send(Message(data="x" * 400, message_finished=False))
            await trio.sleep(0.01)
        await trio.sleep_forever()

    async with venue(script) as url:
        socket = await open_frame_socket(url, [])
        with trio.fail_after(10), pytest.raises(SocketClosed) as closed:
            await _read(socket, 1)
        await socket.abort()
    assert closed.value.reason == "protocol error: a message exceeded 1000 bytes"


async def test_a_refused_upgrade_names_the_status_and_no_header_value() -> None:
    async def script(_side: ServerSide) -> None:
        raise AssertionError("never accepted")

    async with venue(script, accept=False) as url:
        with trio.fail_after(10), pytest.raises(HandshakeRefused) as refused:
            await open_frame_socket(url, [("KALSHI-ACCESS-SIGNATURE", "TOPSECRET")])
    assert refused.value.status == 401
    assert "401" in str(refused.value)
    assert "TOPSECRET" not in str(refused.value)


def test_a_url_that_is_not_a_websocket_url_is_refused() -> None:
    with pytest.raises(ValueError, match="not a websocket URL"):
        trio.run(open_frame_socket, "http://127.0.0.1:9/x", [])
