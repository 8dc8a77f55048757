"""Real processes for end-to-end tests: ``warden venue-sim`` and ``warden run``.

Both are started with ``python -m warden`` as subprocesses, talk over loopback,
and are always stopped (killed if need be) when the test ends. Waits poll a
condition against a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.supervision.conftest import eventually

ROOT = Path(__file__).resolve().parents[2]
REST = "/trade-api/v2"


class Process:
    """A subprocess whose output lines are collected by a reader thread."""

    def __init__(self, args: list[str], *, name: str) -> None:
        self.name = name
        self.lines: list[str] = []
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "warden", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, prefix: str, timeout: float = 30.0) -> str:
        def found() -> str | None:
            if self.popen.poll() is not None and not any(
                line.startswith(prefix) for line in self.lines
            ):
                raise AssertionError(f"{self.name} exited {self.popen.returncode}:\n{self.output}")
            return next((line for line in self.lines if line.startswith(prefix)), None)

        return eventually(found, timeout=timeout, what=f"{self.name}: {prefix!r}")

    def wait(self, timeout: float = 60.0) -> int:
        code = self.popen.wait(timeout=timeout)
        self._reader.join(10)
        return code

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.wait()

    def close(self) -> None:
        self.kill()
        if self.popen.stdout is not None:
            self.popen.stdout.close()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


@contextmanager
def venue_sim(*extra: str) -> Iterator[tuple[Process, str]]:
    """A ``warden venue-sim`` on an ephemeral loopback port; yields (process, base URL)."""
    process = Process(["venue-sim", "--port", "0", *extra], name="venue-sim")
    try:
        line = process.wait_for_line("venue-sim listening on ")
        yield process, line.removeprefix("venue-sim listening on ").strip()
    finally:
        process.close()


def start_daemon(venue_url: str, db: Path, config: Path, *extra: str) -> Process:
    return Process(
        ["run", "--venue-url", venue_url, "--db", str(db), "--config", str(config), *extra],
        name="warden run",
    )


def write_config(path: Path, **sections: dict[str, Any]) -> Path:
    """A TOML config from ``section={key: value}`` keyword arguments."""
    lines: list[str] = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in values.items())
    path.write_text("\n".join(lines) + "\n")
    return path


def ledger(db: Path) -> dict[str, Any]:
    """``warden report --json`` of ``db`` (read-only)."""
    done = subprocess.run(
        [sys.executable, "-m", "warden", "report", "--db", str(db), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def venue_get(base: str, path: str) -> Any:
    return httpx.get(f"{base}{path}", timeout=10).json()
