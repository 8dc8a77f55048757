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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import cast

import trio
from attrs import frozen
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve
from hypercorn.typing import ASGIFramework

from warden.venue._http import REST, VenueApp
from warden.venue._model import Clock
from warden.venue._stream import WS_PATH
from warden.venue._venue import SimVenue, VenueConfig

HOST = "127.0.0.1"


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


def _hypercorn_config(config: VenueConfig) -> HypercornConfig:
    hyper = HypercornConfig()
    hyper.bind = [f"{HOST}:{config.port}"]
    hyper.accesslog = None
    # hypercorn logs "Running on ..." at INFO; the caller reports the URL itself
    hyper.errorlog = logging.getLogger("warden.venue.hypercorn")
    hyper.graceful_timeout = 1.0
    if config.heartbeat_seconds > 0:
        hyper.websocket_ping_interval = config.heartbeat_seconds
    return hyper


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
        binds = await nursery.start(partial(serve, app, _hypercorn_config(config)))
        url = binds[0]
        port = int(url.rsplit(":", 1)[1])
        if config.dynamics.tick_seconds > 0:
            nursery.start_soon(_tick, sim, config.dynamics.tick_seconds)
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
