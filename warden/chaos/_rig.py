"""The rig: a ``warden venue-sim`` and a ``warden run`` as subprocesses, and the
:class:`~warden.chaos._faults.Targets` faults act on.

Both processes run in their own session (a Ctrl-C at the terminal reaches the
harness only) with output in the report directory. :meth:`Rig.close` always
kills whatever still runs, whatever happened before. Every action the harness
takes is appended to ``harness.jsonl`` with the real wall time ``t``.
HTTP calls carry short timeouts; a daemon that does not answer raises
:class:`~warden.chaos._faults.FaultError`, never hangs the harness.

Each daemon process's lifetime is journaled (``daemon_start`` when it is
spawned, ``daemon_exit`` once it has been reaped, both with its pid), and so is
each *second* daemon the ``process.second_daemon`` fault starts on the same
config and ledger while the first runs (``second_daemon_start`` /
``second_daemon_exit`` with its exit code, its stderr lines and whether the
first was still alive): the evidence for "one process per ledger".
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO, TypeVar

import httpx

from actors.execution import ExecutionStatus
from actors.risk import RiskStatus
from supervision import ActorSnapshot
from warden.chaos._faults import FaultError
from warden.control import Readiness, read_snapshot
from warden.json_types import Json, JsonObject

S = TypeVar("S")


def _stat_after_name(proc: Path) -> list[str]:
    """The fields of ``proc``/stat after the command name (state first, then the
    parent's pid). Raises ``OSError`` when the process is gone."""
    return (proc / "stat").read_text().rsplit(")", 1)[1].split()


def process_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie is not: it has exited)."""
    try:
        return _stat_after_name(Path(f"/proc/{pid}"))[0] != "Z"
    except (OSError, IndexError):
        return False


class HarnessError(Exception):
    """The harness itself failed (a process would not start, a deadline passed)."""


def chaos_routes_available() -> bool:
    """Whether this daemon has ``warden run --chaos`` (the daemon-side fault routes)."""
    done = subprocess.run(
        [sys.executable, "-m", "warden", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return "--chaos" in done.stdout


class Journal:
    """The append-only ``harness.jsonl``; every line is flushed as written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: TextIO = path.open("a")
        # the journal's lines as written: plain JSON-able values (a value json cannot
        # encode is written as its ``str``)
        self.events: list[dict[str, object]] = []
        self._lock = threading.Lock()  # the poller thread writes too

    def write(self, kind: str, **fields: object) -> dict[str, object]:
        """Append ``{"t": now, "kind": kind, **fields}``; the line as written."""
        return self.write_at(time.time(), kind, **fields)

    def write_at(self, t: float, kind: str, **fields: object) -> dict[str, object]:
        """Append a line stamped ``t`` (a record that took its own time, e.g. a poll)."""
        with self._lock:
            event = {"t": t, "kind": kind, **fields}
            self.events.append(event)
            self._file.write(json.dumps(event, default=str) + "\n")
            self._file.flush()
        return event

    def close(self) -> None:
        self._file.close()


class Child:
    """One subprocess with its output in ``log``."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self._out = log.open("a")
        self.popen = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "warden", *args],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: signal.Signals, timeout_s: float) -> int | None:
        """Send ``sig``, wait up to ``timeout_s``, then SIGKILL; the exit code."""
        if self.alive():
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=30)
        self._out.close()
        return self.popen.returncode


class SecondDaemon:
    """A second ``warden run`` on the first's config and ledger: stdout in
    ``<stem>.log``, stderr apart in ``<stem>.err`` (the refusal is one line there)."""

    MAX_STDERR_LINES = 5  # a refusal is one line; a daemon that started logs on and on

    def __init__(self, args: list[str], stem: Path, *, first_pid: int) -> None:
        self.first_pid = first_pid
        self.err = stem.with_suffix(".err")
        self.started = time.monotonic()
        with stem.with_suffix(".log").open("a") as out, self.err.open("a") as err:
            self.popen = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "warden", *args],
                stdout=out,
                stderr=err,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                start_new_session=True,
            )
        self.exited_at: float | None = None  # monotonic, when it was reaped
        self._exited = threading.Event()
        threading.Thread(target=self._reap, name="chaos-second-daemon", daemon=True).start()

    def _reap(self) -> None:
        self.popen.wait()
        self.exited_at = time.monotonic()
        self._exited.set()

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def lived_s(self) -> float:
        """From its start until it exited (or until now)."""
        return (self.exited_at or time.monotonic()) - self.started

    def wait_until(self, deadline: float) -> str:
        """``"itself"`` if it exits by ``deadline`` (monotonic), else SIGKILL: ``"killed"``."""
        if self._exited.wait(max(0.0, deadline - time.monotonic())):
            return "itself"
        self.popen.kill()
        self._exited.wait(30)
        return "killed"

    def stderr_lines(self) -> tuple[list[str], int]:
        """The first non-blank lines of its stderr, and how many there were."""
        try:
            lines = self.err.read_text(errors="replace").splitlines()
        except OSError:
            return [], 0
        lines = [line for line in lines if line.strip()]
        return lines[: self.MAX_STDERR_LINES], len(lines)


def feed_worker_pids(parent: int) -> list[int]:
    """The pids of ``parent``'s feed worker processes, lowest first: its children
    started by ``multiprocessing``'s spawn (``spawn_main`` on their command line; the
    resource tracker it may also start is not one). Read from ``/proc``; a process
    that exits while it is read is skipped."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(_stat_after_name(entry)[1])
            if ppid == parent and b"spawn_main" in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue  # gone while read
    return sorted(pids)


class Rig:
    """The venue, the daemon (restartable on the same ledger) and the ways to hurt them."""

    def __init__(
        self, workdir: Path, journal: Journal, *, venue_args: list[str], chaos: bool
    ) -> None:
        self.workdir = workdir
        self.journal = journal
        self.venue_args = venue_args
        self.chaos = chaos
        self.config = workdir / "warden.toml"
        self.db = workdir / "warden.db"
        self.runtime_dir = workdir / "run"
        self.venue: Child | None = None
        self.daemon: Child | None = None
        self.venue_url = ""
        self.url = ""
        self.token = ""
        self.http = httpx.Client(timeout=3.0, trust_env=False)
        self._lock_release: threading.Event | None = None
        self._lock_thread: threading.Thread | None = None
        self.second: SecondDaemon | None = None
        self._seconds_started = 0
        self._feed_workers_killed = 0

    # --- processes ----------------------------------------------------------------------

    def start_venue(self, timeout_s: float = 60.0) -> None:
        self.venue = Child(
            ["venue-sim", "--port", "0", *self.venue_args], self.workdir / "venue.log"
        )
        deadline = time.monotonic() + timeout_s
        prefix = "venue-sim listening on "
        while time.monotonic() < deadline:
            for line in self.venue.log.read_text().splitlines():
                if line.startswith(prefix):
                    self.venue_url = line.removeprefix(prefix).strip()
                    self.journal.write("venue_start", pid=self.venue.pid, url=self.venue_url)
                    return
            if not self.venue.alive():
                raise HarnessError(f"venue-sim exited {self.venue.popen.returncode}")
            time.sleep(0.05)  # polling a log file against a deadline
        raise HarnessError(f"venue-sim did not listen within {timeout_s}s")

    def daemon_args(self) -> list[str]:
        """How the daemon is started (every daemon of a run, the second one included:
        same venue, config and ledger; control port 0, so each gets a port of its own)."""
        args = ["run", "--venue-url", self.venue_url, "--config", str(self.config)]
        args += ["--db", str(self.db), "--control-port", "0"]
        if self.chaos:
            args.append("--chaos")
        return args

    def start_daemon(self, timeout_s: float = 60.0) -> None:
        self.daemon = Child(self.daemon_args(), self.workdir / "daemon.log")
        self.journal.write("daemon_start", pid=self.daemon.pid)
        runtime = self.runtime_dir / "warden.json"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                info = json.loads(runtime.read_text())
            except (FileNotFoundError, ValueError):
                info = {}
            if info.get("pid") == self.daemon.pid:
                self.url = info["url"]
                self.token = Path(info["token_file"]).read_text().strip()
                self.journal.write("daemon_up", pid=self.daemon.pid, url=self.url)
                return
            if not self.daemon.alive():
                raise HarnessError(f"warden run exited {self.daemon.popen.returncode}")
            time.sleep(0.05)  # polling the runtime file against a deadline
        raise HarnessError(f"warden run wrote no runtime file within {timeout_s}s")

    def daemon_alive(self) -> bool:
        return self.daemon is not None and self.daemon.alive()

    def note_daemon_exit(self) -> int | None:
        """Record the daemon's exit if it ended by itself (e.g. escalation)."""
        if self.daemon is not None and not self.daemon.alive():
            code = self.daemon.stop(signal.SIGKILL, 1.0)
            self.journal.write("daemon_exit", pid=self.daemon.pid, code=code, by="itself")
            self.daemon = None
            return code
        return None

    def stop_daemon(self, timeout_s: float) -> int | None:
        """Graceful stop (SIGTERM), SIGKILL after ``timeout_s``; the exit code."""
        if self.daemon is None:
            return None
        pid = self.daemon.pid
        code = self.daemon.stop(signal.SIGTERM, timeout_s)
        self.journal.write("daemon_exit", pid=pid, code=code, by="sigterm")
        self.daemon = None
        return code

    def close(self) -> None:
        """Kill everything still running; safe to call twice."""
        self.unlock_ledger()
        if self.second is not None:
            self.finish_second_daemon(0.0)
        for child in (self.daemon, self.venue):
            if child is not None and child.alive():
                child.stop(signal.SIGKILL, 10.0)
        self.daemon = None
        self.http.close()

    # --- observation --------------------------------------------------------------------

    def get(self, path: str, client: httpx.Client | None = None) -> httpx.Response | None:
        """GET from the daemon's control plane (``client``: another thread's own)."""
        url, daemon = self.url, self.daemon
        if not url or daemon is None or not daemon.alive():
            return None
        try:
            return (client or self.http).get(f"{url}{path}")
        except httpx.HTTPError:
            return None

    def ready(self, client: httpx.Client | None = None) -> bool:
        return self.readiness(client)[0]

    def readiness(
        self, client: httpx.Client | None = None
    ) -> tuple[bool, list[str], list[str] | None]:
        """``/readyz``: ready, the reasons it gives when it is not, and the checks it
        fails (``None`` when it did not answer or did not say)."""
        answer = self.get("/readyz", client)
        if answer is None:
            return False, ["no answer"], None
        if answer.status_code == 200:
            return True, [], []
        try:
            ready = Readiness.from_json(answer.json())
        except ValueError:  # not JSON, or no readiness (e.g. the tree is not running)
            return False, [f"/readyz {answer.status_code}"], None
        failing = sorted(name for name, passed in ready.checks.items() if not passed)
        return False, list(ready.reasons) or [f"/readyz {answer.status_code}"], failing

    def actors(self, client: httpx.Client | None = None) -> ActorSnapshot | None:
        """The daemon's tree (``GET /actors``) with typed statuses, or ``None`` if the
        daemon does not answer; :class:`HarnessError` if it answers what cannot be read."""
        answer = self.get("/actors", client)
        if answer is None or answer.status_code != 200:
            return None
        try:
            return read_snapshot(answer.json())
        except ValueError as error:  # not JSON, or an UnreadableSnapshot
            raise HarnessError(f"GET /actors: {error}") from error

    def status_of(self, name: str, kind: type[S]) -> S | None:
        """The status of the actor ``name`` if it publishes a ``kind`` now; ``None`` when
        the daemon does not answer, the actor is absent or publishes no such status."""
        tree = self.actors()
        return tree.status_of(name, kind) if tree is not None else None

    # --- Targets ------------------------------------------------------------------------

    def venue_faults(self, knobs: JsonObject) -> None:
        try:
            answer = self.http.post(f"{self.venue_url}/sim/faults", json=knobs)
        except httpx.HTTPError as error:
            raise FaultError("venue", str(error)) from error
        if answer.status_code != 200:
            raise FaultError("venue", f"POST /sim/faults {answer.status_code}: {answer.text}")

    def venue_reset(self, scope: str) -> None:
        try:
            answer = self.http.delete(f"{self.venue_url}/sim/faults", params={"scope": scope})
        except httpx.HTTPError as error:
            raise FaultError("venue", str(error)) from error
        if answer.status_code != 200:
            raise FaultError("venue", f"DELETE /sim/faults {answer.status_code}: {answer.text}")

    def daemon_post(self, path: str, body: JsonObject) -> JsonObject:
        """POST ``body`` to the daemon's control plane with its token; the JSON object it
        answers (``{}`` for no body). Raises :class:`FaultError` if the daemon is not
        running, does not answer, refuses, or answers what is not a JSON object."""
        if not self.daemon_alive():
            raise FaultError("daemon", f"POST {path}: the daemon is not running")
        try:
            answer = self.http.post(
                f"{self.url}{path}",
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=10.0,
            )
        except httpx.HTTPError as error:
            raise FaultError("daemon", f"POST {path}: {error}") from error
        if answer.status_code not in (200, 202):
            raise FaultError("daemon", f"POST {path} {answer.status_code}: {answer.text[:200]}")
        try:
            decoded: Json = answer.json() if answer.content else {}
        except ValueError as error:
            raise FaultError("daemon", f"POST {path}: not JSON: {error}") from error
        if not isinstance(decoded, dict):
            raise FaultError("daemon", f"POST {path}: not a JSON object: {decoded!r}")
        result = decoded
        if path.endswith("/restart") and "epoch" in result and self.daemon is not None:
            actor = path.split("/")[2]
            self.journal.write(
                "operator_restart", pid=self.daemon.pid, actor=actor, epoch=result["epoch"]
            )
        if path == "/resume":
            self.journal.write("resume")
        return result

    def wait_in_flight(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            execution = self.status_of("execution", ExecutionStatus)
            if execution is not None and execution.in_flight:
                return True
            time.sleep(0.01)  # racing an order in flight, against a deadline
        return False

    def kill_daemon(self) -> None:
        """SIGKILL the daemon. Its feed workers (if any) must then end by themselves
        within 10 s (their socket to it closed): any that has not is journaled
        (``feed_workers_outlived``, which the tests require never to appear) and
        killed, and the fault goes on (its heal restarts the daemon)."""
        if self.daemon is None or not self.daemon.alive():
            raise FaultError("process.sigkill", "the daemon is not running")
        pid = self.daemon.pid
        workers = feed_worker_pids(pid)
        code = self.daemon.stop(signal.SIGKILL, 10.0)
        self.journal.write("daemon_exit", pid=pid, code=code, by="sigkill")
        self.daemon = None
        deadline = time.monotonic() + 10.0
        while (alive := [w for w in workers if process_running(w)]) and time.monotonic() < deadline:
            time.sleep(0.05)  # the workers notice their daemon is gone, against a deadline
        if alive:
            for worker in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker, signal.SIGKILL)
            self.journal.write("feed_workers_outlived", pid=pid, workers=list(alive))

    def kill_feed_worker(self) -> JsonObject:
        """SIGKILL one of the daemon's feed workers, the next in turn (by pid). The
        answer carries the feed's epoch before the kill (its restart is the
        recovery), the worker's pid and ``sent_t``. Raises :class:`FaultError` when
        the daemon is not running or has no feed worker."""
        if self.daemon is None or not self.daemon.alive():
            raise FaultError("process.feed_worker", "the daemon is not running")
        tree = self.actors()
        node = tree.get("feed") if tree is not None else None
        if node is None:
            raise FaultError("process.feed_worker", "the daemon shows no feed actor")
        workers = feed_worker_pids(self.daemon.pid)
        if not workers:
            raise FaultError(
                "process.feed_worker", f"daemon {self.daemon.pid} has no feed worker process"
            )
        worker = workers[self._feed_workers_killed % len(workers)]
        self._feed_workers_killed += 1
        sent_t = time.time()
        try:
            os.kill(worker, signal.SIGKILL)
        except ProcessLookupError as error:
            raise FaultError("process.feed_worker", f"worker {worker} is gone") from error
        self.journal.write(
            "feed_worker_killed", pid=self.daemon.pid, worker=worker, of=len(workers)
        )
        return {"epoch": node.epoch, "worker": worker, "workers": len(workers), "sent_t": sent_t}

    def restart_daemon(self) -> None:
        try:
            self.start_daemon()
        except HarnessError as error:
            raise FaultError("process.sigkill", f"restart failed: {error}") from error

    def start_second_daemon(self) -> JsonObject:
        """Start another ``warden run`` exactly as the first was started, while it runs."""
        if self.second is not None:
            raise FaultError("process.second_daemon", "a second daemon is already running")
        if self.daemon is None or not self.daemon.alive():
            raise FaultError("process.second_daemon", "the first daemon is not running")
        self._seconds_started += 1
        stem = self.workdir / f"second-daemon-{self._seconds_started}"
        self.second = SecondDaemon(self.daemon_args(), stem, first_pid=self.daemon.pid)
        self.journal.write(
            "second_daemon_start",
            pid=self.second.pid,
            first_pid=self.second.first_pid,
            db=str(self.db.absolute()),
            db_resolved=str(self.db.resolve()),
            args=self.daemon_args(),
        )
        return {"pid": self.second.pid, "first_pid": self.second.first_pid}

    def finish_second_daemon(self, deadline_s: float) -> JsonObject:
        """Wait until ``deadline_s`` after its start for the second daemon to exit;
        SIGKILL it if it has not (that is a violation, journaled as ``killed``).
        Journals and returns its exit code and stderr lines, and whether the first
        daemon (the same pid) was still alive when it ended."""
        second, self.second = self.second, None
        if second is None:
            raise FaultError("process.second_daemon", "no second daemon was started")
        by = second.wait_until(second.started + deadline_s)
        first_alive = (
            self.daemon is not None and self.daemon.pid == second.first_pid and self.daemon.alive()
        )
        lines, stderr_count = second.stderr_lines()
        stderr: list[Json] = list(lines)
        result: JsonObject = {
            "pid": second.pid,
            "first_pid": second.first_pid,
            "code": second.popen.returncode,
            "by": by,
            "lived_s": round(second.lived_s, 3),
            "stderr": stderr,
            "stderr_lines": stderr_count,
            "first_alive": first_alive,
        }
        self.journal.write("second_daemon_exit", **result)
        return result

    def lock_ledger(self) -> None:
        if self._lock_thread is not None:
            raise FaultError("storage.locked", "already locked")
        acquired, release = threading.Event(), threading.Event()
        failure: list[str] = []

        def hold() -> None:
            try:
                conn = sqlite3.connect(self.db, timeout=5.0, isolation_level=None)
                try:
                    conn.execute("BEGIN EXCLUSIVE")
                    acquired.set()
                    release.wait(120.0)
                    conn.execute("ROLLBACK")
                finally:
                    conn.close()
            except sqlite3.Error as error:
                failure.append(str(error))
                acquired.set()

        self._lock_release = release
        self._lock_thread = threading.Thread(target=hold, name="chaos-ledger-lock", daemon=True)
        self._lock_thread.start()
        acquired.wait(10.0)
        if failure or not acquired.is_set():
            self.unlock_ledger()
            raise FaultError("storage.locked", f"could not lock the ledger: {failure}")

    def unlock_ledger(self) -> None:
        if self._lock_release is not None:
            self._lock_release.set()
        if self._lock_thread is not None:
            self._lock_thread.join(10.0)
        self._lock_release = self._lock_thread = None

    def resume_if_halted_by(self, reason_part: str) -> None:
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            risk = self.status_of("risk", RiskStatus)
            if risk is not None and risk.halted and reason_part in (risk.halt_reason or ""):
                self.daemon_post("/resume", {})
                return
            if risk is not None and not risk.halted:
                return
            time.sleep(0.1)  # waiting for risk to hear of the failure, against a deadline

    def seconds_to_midnight(self) -> float:
        now = datetime.now(tz=UTC)
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight - now).total_seconds()

    def seconds_since_midnight(self) -> float:
        now = datetime.now(tz=UTC)
        return (now - now.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
