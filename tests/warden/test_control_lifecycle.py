"""The runtime and token files over a daemon's life, and the CLI when no daemon runs."""

from __future__ import annotations

import json
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.warden.control_harness import running_daemon, warden
from tests.warden.daemon_harness import Process, write_config

pytestmark = pytest.mark.slow


def test_the_runtime_files_exist_while_the_daemon_runs_and_go_on_a_clean_stop(
    tmp_path: Path,
) -> None:
    with running_daemon(tmp_path) as daemon:
        info = json.loads(daemon.runtime_file.read_text())
        assert info == {
            "pid": daemon.process.popen.pid,
            "url": daemon.url,
            "token_file": str(daemon.token_file),
        }
        assert daemon.url.startswith("http://127.0.0.1:")
        assert stat.S_IMODE(daemon.token_file.stat().st_mode) == 0o600
        assert len(daemon.token_file.read_text().strip()) >= 32
        daemon.process.popen.send_signal(signal.SIGTERM)
        assert daemon.process.wait(timeout=60) == 0, daemon.process.output
        assert not daemon.runtime_file.exists()
        assert not daemon.token_file.exists()
        assert "Traceback" not in daemon.process.output


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(child.stdout)


@pytest.mark.parametrize("command", [["ps"], ["health"], ["halt"], ["restart", "risk"]])
def test_the_cli_says_in_one_line_that_no_daemon_runs_and_exits_3(
    tmp_path: Path, command: list[str]
) -> None:
    stale = tmp_path / "stale.json"
    stale.write_text(
        json.dumps(
            {"pid": _dead_pid(), "url": "http://127.0.0.1:1", "token_file": str(tmp_path / "t")}
        )
    )
    cases = {
        "no runtime file": ["--runtime-file", str(tmp_path / "missing.json")],
        "dead pid": ["--runtime-file", str(stale)],
        "nothing listening": ["--url", f"http://127.0.0.1:{_closed_port()}"],
    }
    for case, where in cases.items():
        done = warden(*command, *where)
        assert done.returncode == 3, (case, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, (case, done.stderr)
        assert lines[0].startswith(f"warden {command[0]}: no daemon running")
        assert done.stdout == ""


def test_a_control_port_that_is_taken_stops_the_daemon_with_exit_1_and_one_line(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "warden.toml", daemon={"runtime_dir": str(tmp_path / "run")})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        daemon = Process(
            [
                "run",
                "--config",
                str(config),
                "--db",
                str(tmp_path / "w.db"),
                "--control-port",
                port,
                "--duration",
                "60",
            ],
            name="warden run",
        )
        try:
            assert daemon.wait(timeout=60) == 1
        finally:
            daemon.close()
    assert f"warden: control plane cannot listen on 127.0.0.1:{port}: " in daemon.output
    assert "Traceback" not in daemon.output
    assert not (tmp_path / "run" / "warden.json").exists()


def test_with_a_config_and_no_daemon_the_cli_names_the_config_relative_runtime_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "conf").mkdir()
    config = write_config(tmp_path / "conf" / "w.toml", daemon={"runtime_dir": "state"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = warden("ps", "--config", str(config), cwd=elsewhere)
    assert done.returncode == 3, done.stderr
    expected = tmp_path / "conf" / "state" / "warden.json"
    assert done.stderr.strip() == f"warden ps: no daemon running (no runtime file at {expected})"
    as_json = warden("halt", "--config", str(config), "--json", cwd=elsewhere)
    assert as_json.returncode == 3
    answer = json.loads(as_json.stdout)
    assert answer == {
        "ok": False,
        "command": "halt",
        "error": f"no daemon running (no runtime file at {expected})",
        "exit_code": 3,
        "no_daemon": True,
    }


def test_an_unusable_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = write_config(tmp_path / "bad.toml", daemon={"status_interval_s": -1})
    for config in (bad, tmp_path / "missing.toml"):
        done = warden("health", "--config", str(config))
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"warden health: unusable config: {config}")
        assert "Traceback" not in done.stderr
