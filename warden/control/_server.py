"""Serving the control plane: hypercorn's trio worker on the daemon's own loop.

::

    control = await nursery.start(serve_control, tree, ControlConfig(runtime_dir=Path("var")))
    # control.url == "http://127.0.0.1:<port>"; var/warden.json and var/warden.token exist

``serve_control`` binds (127.0.0.1 and an ephemeral port by default), then
writes the runtime file and the 0600 token file (see :mod:`._runtime`), then
reports started. The app answers only requests whose ``Host`` names the bound
socket (:mod:`._hosts`); a request that arrives between the bind and that
moment is refused. With ``chaos`` (an :class:`~warden.chaos_clock.OffsetClock`,
the one the tree's actors read) the chaos routes are served as well (see
:mod:`warden.control._chaos`). When the surrounding scope is cancelled -- or the server
fails -- it removes both files on the way out. A port that cannot be bound
raises ``OSError`` from the start call, before any file is written.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import cast

import attrs
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve
from hypercorn.typing import ASGIFramework
from loguru import logger

from supervision import SupervisionTree, validators
from warden.chaos_clock import OffsetClock
from warden.control._app import ControlApp
from warden.control._chaos import ChaosRoutes
from warden.control._runtime import (
    RuntimeFiles,
    new_token,
    remove_runtime_files,
    write_runtime_files,
)

LOOPBACK = "127.0.0.1"


@attrs.frozen
class ControlConfig:
    """Where to listen (``port=0``: any free port) and where the runtime files go."""

    runtime_dir: Path
    host: str = LOOPBACK
    port: int = attrs.field(default=0, validator=validators.port())


@attrs.frozen
class ControlServer:
    url: str
    files: RuntimeFiles


def _hypercorn_config(config: ControlConfig) -> HypercornConfig:
    hyper = HypercornConfig()
    host = f"[{config.host}]" if ":" in config.host else config.host
    hyper.bind = [f"{host}:{config.port}"]
    hyper.accesslog = None
    hyper.errorlog = logging.getLogger("warden.control.hypercorn")
    hyper.graceful_timeout = 1.0
    return hyper


async def serve_control(
    tree: SupervisionTree,
    config: ControlConfig,
    chaos: OffsetClock | None = None,
    *,
    task_status: trio.TaskStatus[ControlServer] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``tree``'s control plane until cancelled; ``started`` gets a :class:`ControlServer`."""
    files: RuntimeFiles | None = None
    try:
        async with trio.open_nursery() as nursery:
            token = new_token()  # before the bind: the app never runs without one
            extra = ChaosRoutes(chaos).routes() if chaos is not None else ()
            app = ControlApp(tree, token, extra_routes=extra)
            # a plain ASGI callable: it reads events as dicts, hypercorn names each as a TypedDict
            asgi = cast("ASGIFramework", app)
            binds = await nursery.start(partial(serve, asgi, _hypercorn_config(config)))
            app.listening(binds[0])  # from now on the Host names of this socket are answered
            files = write_runtime_files(config.runtime_dir, binds[0], token)
            logger.bind(child="control").info(
                "control plane at {} (runtime file {})", binds[0], files.runtime_file
            )
            task_status.started(ControlServer(binds[0], files))
    finally:
        if files is not None:
            remove_runtime_files(files)
