"""Backpressure: the feed's loop stops reading the socket while its actor is behind."""

from __future__ import annotations

import random
from typing import Any

import trio
import trio.testing

from actors.feed import FeedConfig
from actors.feed._connection import FeedConnection, FramesRead
from actors.venues import PriceGrids
from actors.venues.kalshi import KALSHI_MARKET_DATA
from supervision import ManualClock

KALSHI_SESSION = KALSHI_MARKET_DATA.session(PriceGrids())

HEARTBEAT = '{"type": "heartbeat"}'


class FakeSocket:
    """Hands out heartbeats, counting how often it was read."""

    def __init__(self) -> None:
        self.reads = 0

    async def receive_batch(self) -> list[str]:
        self.reads += 1
        await trio.sleep(0)
        return [HEARTBEAT]


async def test_reading_pauses_while_the_actor_backlog_exceeds_the_limit() -> None:
    backlog = [5_000]
    reported: list[Any] = []
    connection = FeedConnection(
        FeedConfig(ws_url="ws://127.0.0.1:9/x", tickers=("SIM-001",), max_backlog_frames=2_000),
        clock=ManualClock(),
        rng=random.Random(0),
        report=reported.append,
        backlog=lambda: backlog[0],
    )
    socket = FakeSocket()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(connection._read, socket, 1, KALSHI_SESSION)
        await trio.testing.wait_all_tasks_blocked()
        for _ in range(20):
            await trio.sleep(0.001)
        assert socket.reads == 0  # over the limit: the socket is not read at all
        assert reported == []

        backlog[0] = 2_000  # at the limit is fine
        with trio.fail_after(5):
            while len(reported) < 3:
                await trio.sleep(0.001)
        assert socket.reads >= 3
        assert all(isinstance(message, FramesRead) for message in reported)

        backlog[0] = 2_001
        await trio.sleep(0.01)
        paused_at = socket.reads
        for _ in range(20):
            await trio.sleep(0.001)
        assert socket.reads == paused_at  # paused again
        nursery.cancel_scope.cancel()


async def test_while_reading_is_paused_the_pong_deadline_is_held_ahead(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A pong waits behind the frames we do not read: the venue is not declared dead
    for our own backlog."""
    connection = FeedConnection(
        FeedConfig(ws_url="ws://127.0.0.1:9/x", tickers=("SIM-001",), silence_timeout_s=1.0),
        clock=ManualClock(),
        rng=random.Random(0),
        report=[].append,
        backlog=lambda: 5_000,  # over the limit for good: nothing is read
    )
    socket = FakeSocket()
    started = trio.current_time()
    with trio.CancelScope(deadline=started + 1.0) as session:
        connection._session_scope = session
        async with trio.open_nursery() as nursery:
            nursery.start_soon(connection._read, socket, 1, KALSHI_SESSION)
            await trio.sleep(5.0)  # on the autojump clock: five deadlines' worth
            held = session.deadline - trio.current_time()
            nursery.cancel_scope.cancel()
    assert not session.cancelled_caught
    assert held >= 0.99
    assert socket.reads == 0
