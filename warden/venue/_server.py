"""Starting the venue: hypercorn's trio worker on 127.0.0.1, in-process or standalone.

Two equivalent ways in a trio program::

    async with open_venue(VenueConfig(seed=7)) as venue:
        ...  # venue.url == "http://127.0.0.1:<port>"

    venue = await nursery.start(serve_venue, VenueConfig(seed=7))

The server stops when the surrounding scope is cancelled (leaving the
``async with`` block does that).  A port already in use raises ``OSError``
from the start call; nothing is left running then.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import cast

import trio
from attrs import frozen
from hypercorn.config import Config as HypercornConfig
from hypercorn.protocol.ws_stream import WSStream
from hypercorn.trio import serve
from hypercorn.typing import ASGIFramework
from wsproto.events import Ping

from warden.venue._http import REST, VenueApp
from warden.venue._model import Clock
from warden.venue._polymarket_state import watch_heartbeats
from warden.venue._stream import WS_PATH
from warden.venue._venue import SimVenue, VenueConfig

HOST = "127.0.0.1"
HEARTBEAT = b"heartbeat"
"""The body of the venue's websocket PINGs, as Kalshi sends them."""
_PING_PAYLOAD = "warden_ping_payload"
_PING_GATE = "warden_ping_gate"


@frozen
class VenueServer:
    """A running venue: where it listens, and its state for in-process inspection."""

    url: str
    port: int
    sim: SimVenue

    @property
    def rest_url(self) -> str:
        return f"{self.url}{REST}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}{WS_PATH}"

    @property
    def polymarket_market_ws_url(self) -> str:
        """The Polymarket dialect's market channel (its CLOB is :attr:`url`, Gamma
        ``{url}/gamma``)."""
        return f"ws://{HOST}:{self.port}/ws/market"


def _hypercorn_config(config: VenueConfig, sim: SimVenue | None = None) -> HypercornConfig:
    hyper = HypercornConfig()
    hyper.bind = [f"{HOST}:{config.port}"]
    hyper.accesslog = None
    # hypercorn logs "Running on ..." at INFO; the caller reports the URL itself
    hyper.errorlog = logging.getLogger("warden.venue.hypercorn")
    hyper.graceful_timeout = 1.0
    # the app stamps Date itself, from the venue's clock (a test's ManualClock, a
    # replay's), which is not the server's time.time()
    hyper.include_date_header = False
    if 0 < config.ping_seconds < math.inf:
        hyper.websocket_ping_interval = config.ping_seconds
        setattr(hyper, _PING_PAYLOAD, HEARTBEAT)  # read by _send_pings below
        if sim is not None:  # the stream's silence fault withholds PINGs too
            setattr(hyper, _PING_GATE, lambda: not sim.dice.faults.stream.silence)
    return hyper


async def _send_pings(self: WSStream) -> None:
    """Hypercorn's ping loop, Kalshi's way: wait an interval, then PING with the payload
    the server's config names (``heartbeat`` for the venue; any other server runs
    hypercorn's own loop), websockets/connection-keep-alive.md; none while the
    config's gate (the venue's silence fault) says no."""
    payload = getattr(self.config, _PING_PAYLOAD, None)
    if payload is None:  # not the venue's server: hypercorn's own loop
        await _hypercorn_send_pings(self)
        return
    gate = getattr(self.config, _PING_GATE, None)
    interval = self.config.websocket_ping_interval
    assert interval is not None  # hypercorn starts this loop only with an interval
    while True:
        await self.context.sleep(interval)
        if self.closed:  # the connection closed while we slept
            break
        if gate is None or gate():
            await self._send_wsproto_event(Ping(payload=payload))


# Hypercorn sends empty PINGs at a fixed interval and has no setting for their body;
# Kalshi's carry "heartbeat".  The replacement keeps hypercorn's behaviour for every
# config that does not name a payload (only the venue's does).
_hypercorn_send_pings = WSStream._send_pings
WSStream._send_pings = _send_pings  # type: ignore[method-assign]


async def serve_venue(
    config: VenueConfig | None = None,
    *,
    clock: Clock | None = None,
    task_status: trio.TaskStatus[VenueServer] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve a venue until cancelled; ``task_status.started`` gets its :class:`VenueServer`.

    With ``config.dynamics.tick_seconds > 0`` the market dynamics step that
    often (on trio's clock); otherwise they move only through ``POST
    /sim/step`` or ``server.sim.dynamics.step()``.
    """
    config = config if config is not None else VenueConfig()
    sim = SimVenue(config, clock)
    async with trio.open_nursery() as nursery:
        # a plain ASGI 3 callable: it reads events as dicts, hypercorn names each as a TypedDict
        app = cast("ASGIFramework", VenueApp(sim))
        binds = await nursery.start(partial(serve, app, _hypercorn_config(config, sim)))
        url = binds[0]
        port = int(url.rsplit(":", 1)[1])
        if config.dynamics.tick_seconds > 0:
            nursery.start_soon(_tick, sim, config.dynamics.tick_seconds)
        if config.polymarket is not None:  # the dead-man switch of POST /v1/heartbeats
            nursery.start_soon(watch_heartbeats, sim)
        task_status.started(VenueServer(url, port, sim))


async def _tick(sim: SimVenue, seconds: float) -> None:
    while True:
        await trio.sleep(seconds)
        sim.dynamics.step()


@asynccontextmanager
async def open_venue(
    config: VenueConfig | None = None, *, clock: Clock | None = None
) -> AsyncIterator[VenueServer]:
    """Run a venue for the duration of the block; it is listening when the block starts."""
    async with trio.open_nursery() as nursery:
        server: VenueServer = await nursery.start(partial(serve_venue, config, clock=clock))
        try:
            yield server
        finally:
            nursery.cancel_scope.cancel()
