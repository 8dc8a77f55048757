"""A real daemon with its control plane, and the real CLI, for the control-plane tests.

:func:`serving_plane` serves the control plane in-process: a real tree of
light stand-in actors (:class:`StandIn`, publishing :data:`STATUSES`) and the
real HTTP server, sharing the test's trio loop as they share the daemon's;
requests go over loopback with a real HTTP client.

:func:`running_daemon` starts ``warden venue-sim`` and ``warden run
--control-port 0`` as subprocesses (runtime files in a tmp dir), waits until
the runtime file names the daemon, and always stops both. :func:`warden`
runs one CLI command as a subprocess and returns its result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs
import httpx
import trio

from actors.execution import ExecutionCounts
from actors.messages import Halt, Record, Recorded, Resume
from actors.risk import RiskCounts, RiskStatus
from supervision import (
    ActorSnapshot,
    ChildSpec,
    SupervisedActor,
    SupervisionTree,
    SupervisorSpec,
)
from tests.supervision.conftest import Journal, eventually
from tests.warden import statuses
from tests.warden.daemon_harness import ROOT, Process, start_daemon, venue_sim, write_config
from warden.control import ControlConfig, ControlServer, read_snapshot, serve_control

S = TypeVar("S")

NAMES = ("persistence", "risk", "execution", "strategy", "feed")
STATUSES: dict[str, object] = {
    "persistence": statuses.persistence(),
    "risk": statuses.risk(
        exposure=statuses.exposure({"SIM-001": Decimal("1.20")}), counts=RiskCounts(fills=3)
    ),
    "execution": statuses.execution(counts=ExecutionCounts(orders_sent=4)),
    "strategy": statuses.strategy(),
    "feed": statuses.feed({"SIM-001": statuses.market(seq=5, last_update_age_s=0.2)}),
}


class StandIn(SupervisedActor):
    """Publishes a fixed status of its name's actor (the real class, as the daemon's
    actors do); risk applies Halt/Resume to it, persistence answers Record. Every
    message is journaled."""

    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal
        self.status: object | None = None

    def on_start(self) -> None:
        self.status = STATUSES[self.name]

    def handlers(self) -> Mapping[type, Callable[[Any], Any]]:
        return {Halt: self._halt, Resume: self._resume, Record: self._record}

    def on_receive(self, message: Any) -> Any:
        self.journal.add(self.name, message)
        return super().on_receive(message)

    def _halt(self, message: Halt) -> None:
        if isinstance(self.status, RiskStatus):
            self.status = attrs.evolve(self.status, halted=True, halt_reason=message.reason)

    def _resume(self, _message: Resume) -> None:
        if isinstance(self.status, RiskStatus):
            self.status = attrs.evolve(self.status, halted=False, halt_reason=None)

    def _record(self, message: Record) -> Recorded:
        return Recorded(message.request_id)

    def state_summary(self) -> object | None:
        return self.status


@attrs.frozen
class Plane:
    tree: SupervisionTree
    server: ControlServer
    journal: Journal
    http: httpx.AsyncClient

    @property
    def token(self) -> str:
        return self.server.files.token

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def received(self, name: str, kind: type) -> list[Any]:
        return [e[1] for e in self.journal.entries if e[0] == name and isinstance(e[1], kind)]


def plane_tree(journal: Journal) -> SupervisionTree:
    children = tuple(ChildSpec(name=n, factory=lambda: StandIn(journal)) for n in NAMES)
    return SupervisionTree(SupervisorSpec(name="warden", children=children))


@asynccontextmanager
async def serving_plane(tmp_path: Path, host: str = "127.0.0.1") -> AsyncIterator[Plane]:
    """The stand-in tree running, its control plane served on ``host`` (any free port)."""
    journal = Journal()
    tree = plane_tree(journal)
    async with trio.open_nursery() as nursery:
        await nursery.start(tree.run)
        config = ControlConfig(tmp_path / "run", host=host)
        server = await nursery.start(serve_control, tree, config)
        async with httpx.AsyncClient(base_url=server.url, timeout=10, trust_env=False) as http:
            yield Plane(tree, server, journal, http)
        nursery.cancel_scope.cancel()


FAST_MARKET = ("--seed", "7", "--markets", "3", "--tick", "0.1", "--arb-rate", "0.05")


@attrs.frozen
class Daemon:
    process: Process
    venue_url: str
    db: Path
    runtime_file: Path
    url: str
    token_file: Path
    config: Path | None = None  # the --config it runs with

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10, trust_env=False)

    def post(self, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.post(
            f"{self.url}{path}", headers=headers, timeout=30, trust_env=False, **kwargs
        )

    def actor(self, name: str) -> ActorSnapshot:
        """The actor's node as served, read back with its typed status."""
        response = self.get(f"/actors/{name}")
        assert response.status_code == 200, response.text
        return read_snapshot(response.json())

    def status(self, name: str, kind: type[S]) -> S:
        """The actor's status, which must be a ``kind``."""
        status = self.actor(name).status_of(name, kind)
        assert status is not None, f"{name} publishes no {kind.__name__}"
        return status

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """``warden ARGS --runtime-file <this daemon's>``."""
        return warden(*args, "--runtime-file", str(self.runtime_file), timeout=timeout)


def poll(predicate: Callable[[], Any], *, timeout: float = 30.0, what: str = "") -> Any:
    """``eventually``, at a pace fit for HTTP calls and subprocesses (every 0.1 s)."""
    return eventually(predicate, timeout=timeout, what=what, interval=0.1)


def warden(*args: str, timeout: float = 60.0, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m warden ARGS`` in ``cwd`` (default: the repository)."""
    return subprocess.run(
        [sys.executable, "-m", "warden", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _runtime(runtime_file: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(runtime_file.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data


@contextmanager
def running_daemon(tmp_path: Path, *venue_args: str) -> Iterator[Daemon]:
    """A trading daemon (against a separate venue-sim) whose control plane is listening.

    Its config names ``runtime_dir = "run"``, relative: it resolves against the
    config file's directory (``tmp_path``), whatever the current directory.
    """
    runtime_dir = tmp_path / "run"
    config = write_config(
        tmp_path / "warden.toml",
        daemon={"runtime_dir": "run", "status_interval_s": 1.0},
        supervision={"backoff_base_s": 0.05, "backoff_cap_s": 0.5},
    )
    db = tmp_path / "warden.db"
    with venue_sim(*(venue_args or FAST_MARKET)) as (_venue, base):
        process = start_daemon(base, db, config, "--control-port", "0")
        try:
            process.wait_for_line("warden: control plane at ")
            runtime_file = runtime_dir / "warden.json"
            info = eventually(lambda: _runtime(runtime_file), what="the runtime file")
            assert info["pid"] == process.popen.pid
            token_file = Path(info["token_file"])
            yield Daemon(process, base, db, runtime_file, info["url"], token_file, config)
        finally:
            process.close()
