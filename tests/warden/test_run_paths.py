"""``warden run`` refuses unusable paths and an exposed control plane before anything
starts (exit 2, one line), and resolves a config's paths against the config file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warden.cli import _is_loopback

AS_ROOT = os.geteuid() == 0


def run(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warden", "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def refused(done: subprocess.CompletedProcess[str]) -> str:
    """Exit 2, nothing on stdout (no venue, no tree), exactly one line on stderr."""
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    return line


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory that is neither the repo nor the config's: the cwd of every run."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return elsewhere


def test_a_file_in_the_way_of_the_runtime_dir_exits_2_naming_the_path(
    tmp_path: Path, workdir: Path
) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "run").write_text("a file, not a directory")
    config = tmp_path / "etc" / "warden.toml"
    config.write_text('[daemon]\nruntime_dir = "run"\ndb = "../data/w.db"\n')
    line = refused(run(workdir, "--config", str(config), "--duration", "1"))
    # relative to the config file, not to the cwd
    assert line == (
        f"warden run: daemon.runtime_dir {tmp_path / 'etc' / 'run'}: "
        "not a directory (a file is in the way)"
    )
    assert not (tmp_path / "data" / "w.db").exists()


def test_a_db_under_a_regular_file_exits_2_naming_the_flag_and_the_os_error(
    tmp_path: Path, workdir: Path
) -> None:
    (workdir / "blocker").write_text("")
    config = tmp_path / "warden.toml"
    config.write_text(f'[daemon]\nruntime_dir = "{tmp_path / "run"}"\n')
    line = refused(run(workdir, "--config", str(config), "--db", "blocker/sub/w.db"))
    blocker = workdir / "blocker"  # --db is relative to the cwd, as any flag
    assert line.startswith(
        f"warden run: --db {blocker / 'sub' / 'w.db'}: its directory {blocker / 'sub'}: "
        "cannot create directory: [Errno 20] Not a directory"
    )
    assert not (tmp_path / "run" / "history.jsonl").exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_runtime_dir_that_cannot_be_created_exits_2_with_the_os_error(
    tmp_path: Path, workdir: Path
) -> None:
    config = tmp_path / "warden.toml"
    config.write_text(
        f'[daemon]\nruntime_dir = "/proc/warden-test/run"\ndb = "{tmp_path / "w.db"}"\n'
    )
    line = refused(run(workdir, "--config", str(config)))
    assert line.startswith(
        "warden run: daemon.runtime_dir /proc/warden-test/run: cannot create directory: [Errno "
    )
    assert not (tmp_path / "w.db").exists()


@pytest.mark.skipif(AS_ROOT, reason="root bypasses permission bits: chmod 500 stays writable")
def test_a_runtime_dir_without_write_permission_exits_2(tmp_path: Path, workdir: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        config = tmp_path / "warden.toml"
        config.write_text(f'[daemon]\nruntime_dir = "{locked}"\ndb = "{tmp_path / "w.db"}"\n')
        line = refused(run(workdir, "--config", str(config)))
        assert line == (
            f"warden run: daemon.runtime_dir {locked}: not writable: [Errno 13] Permission denied"
        )
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "warden.example.com"])  # noqa: S104 - refused
def test_a_non_loopback_control_host_needs_the_explicit_flag(
    tmp_path: Path, workdir: Path, host: str
) -> None:
    config = tmp_path / "warden.toml"
    config.write_text('[daemon]\nruntime_dir = "run"\n')
    line = refused(run(workdir, "--config", str(config), "--control-host", host))
    assert line.startswith(f"warden run: --control-host {host} is not a loopback address")
    assert "--control-allow-remote" in line
    assert not (tmp_path / "run").exists()  # refused before any directory was made


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),  # noqa: S104 - a value, not a bind
        ("::", False),
        ("10.0.0.1", False),
        ("::ffff:8.8.8.8", False),
        ("localhost.example.com", False),
        ("", False),
    ],
)
def test_loopback_is_127_0_0_0_slash_8_ipv6_one_and_localhost(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback


def test_an_allowed_remote_control_plane_warns_it_is_plain_http_and_paths_follow_the_config(
    tmp_path: Path, workdir: Path
) -> None:
    (tmp_path / "etc").mkdir()
    config = tmp_path / "etc" / "warden.toml"
    config.write_text(
        '[daemon]\nruntime_dir = "run"\ndb = "../data/w.db"\nstatus_interval_s = 1.0\n'
    )
    done = run(
        workdir,
        "--config",
        str(config),
        "--control-host",
        "0.0.0.0",  # noqa: S104 - the point of the test
        "--control-allow-remote",
        "--duration",
        "0.5",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warden run:")]
    assert warnings == [
        "warden run: WARNING: the control plane listens on 0.0.0.0, reachable from the "
        "network, over plain HTTP: the bearer token and every command travel in clear"
    ]
    assert (tmp_path / "data" / "w.db").is_file()
    assert (tmp_path / "etc" / "run" / "history.jsonl").is_file()
    assert sorted(p.name for p in workdir.iterdir()) == []  # nothing landed in the cwd
