"""A session always ends: even with trio-websocket's reader blocked handing a message
to a reader that stopped reading (the wedge found at 5,000 markets, issue 15)."""

from __future__ import annotations

import contextlib
import random
from typing import Any

import trio
import trio.testing
from trio_websocket import ConnectionClosed, WebSocketRequest, serve_websocket

from actors.domain import Event
from actors.feed import FeedConfig
from actors.feed._connection import COMMAND_QUEUE_SIZE, Connected, FeedConnection
from actors.messages import EventsListed
from supervision import ManualClock

FLOOD = 10_000
"""Messages the venue sends (until its socket buffer is full): far more than
trio-websocket's one-message queue holds."""


async def _flood(sent: list[int], request: WebSocketRequest) -> None:
    ws = await request.accept()
    with contextlib.suppress(ConnectionClosed):  # the feed drops the socket when it ends
        for _ in range(FLOOD):
            await ws.send_message('{"type": "heartbeat"}' + " " * 1_000)
            sent[0] += 1
        await trio.sleep_forever()


async def _run_until_overflow(paused: bool) -> tuple[str, list[Any]]:
    """Connect to a flooding venue, stop reading (``paused``: the feed actor is behind),
    then overflow the command queue; returns why the session ended."""
    reported: list[Any] = []
    backlog = [0]
    sent = [0]
    async with trio.open_nursery() as nursery:
        server = await nursery.start(
            serve_websocket, lambda r: _flood(sent, r), "127.0.0.1", 0, None
        )
        connection = FeedConnection(
            FeedConfig(ws_url=f"ws://127.0.0.1:{server.port}/x", tickers=("SIM-001",)),
            clock=ManualClock(),
            rng=random.Random(0),
            report=reported.append,
            backlog=lambda: backlog[0],
        )

        async def listed() -> tuple[tuple[str, ...], EventsListed]:
            return ("SIM-001",), EventsListed((Event.single("SIM-001"),), ())

        connection._list_markets = listed  # type: ignore[method-assign]
        backlog[0] = 10**9 if paused else 0
        ended: list[tuple[bool, str]] = []

        async def session() -> None:
            ended.append(await connection._session())

        nursery.start_soon(session)
        with trio.fail_after(10):
            while sent[0] < 10 if paused else not reported:
                await trio.sleep(0.01)
        await trio.testing.wait_all_tasks_blocked()
        number = next(m.connection for m in reported if isinstance(m, Connected))
        for _ in range(COMMAND_QUEUE_SIZE + 10):  # as the actor's resubscribe of 5,000 did
            connection.send(number, '{"id": 1, "cmd": "subscribe"}')
        with trio.fail_after(10):  # before the fix: forever
            while not ended:
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    ((was_up, reason),) = ended
    assert was_up
    return reason, reported


async def test_a_command_overflow_ends_the_session_while_the_reader_is_blocked_mid_send() -> None:
    reason, _reported = await _run_until_overflow(paused=True)
    assert reason == "command queue overflow"


async def test_a_command_overflow_ends_a_session_that_is_reading() -> None:
    reason, _reported = await _run_until_overflow(paused=False)
    assert reason == "command queue overflow"
