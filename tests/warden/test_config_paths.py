"""The daemon's paths against the real filesystem: checked by check-config without
creating anything, prepared (created, probed) by run, every problem one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warden.config import DaemonSection, check_config_file, check_daemon_paths

ROOT = Path(__file__).resolve().parents[2]
AS_ROOT = os.geteuid() == 0
ROOT_SKIP = "root bypasses permission bits: a chmod'ed directory stays writable"


def daemon(
    tmp_path: Path, *, db: Path | None = None, runtime_dir: Path | None = None
) -> DaemonSection:
    return DaemonSection(
        db=str(db if db is not None else tmp_path / "ledger" / "warden.db"),
        runtime_dir=str(runtime_dir if runtime_dir is not None else tmp_path / "run"),
    )


def tree(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def test_missing_directories_are_creatable_and_the_check_creates_nothing(tmp_path: Path) -> None:
    assert check_daemon_paths(daemon(tmp_path), create=False) == []
    assert tree(tmp_path) == []


def test_run_creates_both_directories_and_leaves_no_probe_behind(tmp_path: Path) -> None:
    assert check_daemon_paths(daemon(tmp_path), create=True) == []
    assert tree(tmp_path) == ["ledger", "run"]


@pytest.mark.parametrize("create", [False, True])
def test_a_file_where_the_runtime_dir_should_be_is_named_with_its_path(
    tmp_path: Path, create: bool
) -> None:
    in_the_way = tmp_path / "run"
    in_the_way.write_text("not a directory")
    (problem,) = check_daemon_paths(daemon(tmp_path, runtime_dir=in_the_way), create=create)
    assert (
        str(problem) == f"daemon.runtime_dir {in_the_way}: not a directory (a file is in the way)"
    )


@pytest.mark.parametrize("create", [False, True])
def test_a_ledger_under_a_regular_file_cannot_get_its_directory(
    tmp_path: Path, create: bool
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    db = blocker / "sub" / "warden.db"
    (problem,) = check_daemon_paths(daemon(tmp_path, db=db), create=create, db_key="--db")
    assert (problem.key, problem.path) == ("--db", db)
    assert str(problem).startswith(
        f"--db {db}: its directory {blocker / 'sub'}: cannot create directory: [Errno 20] "
    )
    assert "Not a directory" in problem.reason
    assert blocker.read_text() == ""


def test_a_ledger_path_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    db.mkdir()
    (problem,) = check_daemon_paths(daemon(tmp_path, db=db), create=False)
    assert str(problem) == f"daemon.db {db}: is a directory, not a ledger file"


def test_both_problems_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    problems = check_daemon_paths(
        daemon(tmp_path, db=tmp_path / "f" / "w.db", runtime_dir=tmp_path / "f"), create=True
    )
    assert [problem.key for problem in problems] == ["daemon.runtime_dir", "daemon.db"]


@pytest.mark.skipif(AS_ROOT, reason=ROOT_SKIP)
@pytest.mark.parametrize("create", [False, True])
def test_a_directory_without_write_permission_is_not_writable(tmp_path: Path, create: bool) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        (problem,) = check_daemon_paths(daemon(tmp_path, runtime_dir=locked), create=create)
        assert (
            str(problem)
            == f"daemon.runtime_dir {locked}: not writable: [Errno 13] Permission denied"
        )
        (problem,) = check_daemon_paths(daemon(tmp_path, runtime_dir=locked / "sub"), create=create)
        assert str(problem).startswith(
            f"daemon.runtime_dir {locked / 'sub'}: cannot create directory: [Errno 13] "
            "Permission denied"
        )
    finally:
        locked.chmod(0o700)


@pytest.mark.skipif(AS_ROOT, reason=ROOT_SKIP)
def test_a_read_only_ledger_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "warden.db"
    db.write_bytes(b"")
    db.chmod(0o400)
    (problem,) = check_daemon_paths(daemon(tmp_path, db=db), create=False)
    assert str(problem) == f"daemon.db {db}: ledger not writable: [Errno 13] Permission denied"


def test_check_config_names_bad_keys_and_unusable_paths_together(tmp_path: Path) -> None:
    (tmp_path / "in-the-way").write_text("")
    config = tmp_path / "warden.toml"
    config.write_text(
        '[daemon]\nruntime_dir = "in-the-way"\nstatus_interval_s = 0\n'
        "[risk]\nbreaker_failures = 0\n"
    )
    assert check_config_file(config) == [
        "daemon.status_interval_s = 0: must be a finite number of seconds > 0.0",
        "risk.breaker_failures = 0: must be an integer >= 1",
        f"daemon.runtime_dir {tmp_path / 'in-the-way'}: not a directory (a file is in the way)",
    ]


def test_check_config_subprocess_reports_everything_in_one_line_and_creates_nothing(
    tmp_path: Path,
) -> None:
    (tmp_path / "blocker").write_text("")
    config = tmp_path / "warden.toml"
    config.write_text(
        "risk = 5\n"
        '[daemon]\ndb = "blocker/w.db"\nruntime_dir = "state/run"\n'
        "[execution]\nmax_retries = 99\nretry_base_s = -1\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "warden", "check-config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    for expected in (
        "risk: must be a table ([risk] with keys), got int 5",
        "execution.max_retries = 99: must be an integer >= 0 and <= 20",
        "execution.retry_base_s = -1: must be a finite number of seconds > 0.0",
        f"daemon.db {tmp_path / 'blocker' / 'w.db'}: its directory {tmp_path / 'blocker'}: "
        "not a directory (a file is in the way)",
    ):
        assert expected in line
    assert str(tmp_path / "state") not in line  # creatable: no problem, and not created
    assert tree(tmp_path) == ["blocker", "warden.toml"]
