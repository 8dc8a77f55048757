"""A real daemon with its control plane, and the real CLI, for the control-plane tests.

:func:`running_daemon` starts ``warden venue-sim`` and ``warden run
--control-port 0`` as subprocesses (runtime files in a tmp dir), waits until
the runtime file names the daemon, and always stops both. :func:`warden`
runs one CLI command as a subprocess and returns its result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx

from tests.supervision.conftest import eventually
from tests.warden.daemon_harness import ROOT, Process, start_daemon, venue_sim, write_config

FAST_MARKET = ("--seed", "7", "--markets", "3", "--tick", "0.1", "--arb-rate", "0.05")


@attrs.frozen
class Daemon:
    process: Process
    venue_url: str
    db: Path
    runtime_file: Path
    url: str
    token_file: Path

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10, trust_env=False)

    def post(self, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.post(
            f"{self.url}{path}", headers=headers, timeout=30, trust_env=False, **kwargs
        )

    def actor(self, name: str) -> dict[str, Any]:
        response = self.get(f"/actors/{name}")
        assert response.status_code == 200, response.text
        node: dict[str, Any] = response.json()
        return node

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """``warden ARGS --runtime-file <this daemon's>``."""
        return warden(*args, "--runtime-file", str(self.runtime_file), timeout=timeout)


def poll(predicate: Callable[[], Any], *, timeout: float = 30.0, what: str = "") -> Any:
    """``eventually``, at a pace fit for HTTP calls and subprocesses (every 0.1 s)."""
    return eventually(predicate, timeout=timeout, what=what, interval=0.1)


def warden(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warden", *args],
        cwd=ROOT,
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
    """A trading daemon (against a separate venue-sim) whose control plane is listening."""
    runtime_dir = tmp_path / "run"
    config = write_config(
        tmp_path / "warden.toml",
        daemon={"runtime_dir": str(runtime_dir), "status_interval_s": 1.0},
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
            yield Daemon(process, base, db, runtime_file, info["url"], Path(info["token_file"]))
        finally:
            process.close()
