"""The single-writer locks: exclusive per ledger and per runtime directory, owner-only,
and released by the kernel when the holder dies (SIGKILL included)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.warden.daemon_harness import ROOT
from warden.single_writer import LockHeld, hold_single_writer, ledger_lock_path

HOLDER = """
import sys, time
from pathlib import Path
from warden.single_writer import hold_single_writer
with hold_single_writer(Path(sys.argv[1]), Path(sys.argv[2])):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes stdin, or kills us
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the locks of tmp_path/warden.db and tmp_path/run."""
    (tmp_path / "run").mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "warden.db"), str(tmp_path / "run")],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def test_a_held_ledger_is_refused_naming_the_ledger_the_holder_and_the_lock(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    db = tmp_path / "warden.db"
    with (
        pytest.raises(LockHeld) as refused,
        hold_single_writer(db, tmp_path / "elsewhere"),
    ):
        pass
    assert str(refused.value) == (
        f"ledger {db} is held by pid {holder.pid} (lock {db}.lock); refusing to start"
    )


def test_a_held_runtime_directory_is_refused_even_for_another_ledger(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    with (
        pytest.raises(LockHeld) as refused,
        hold_single_writer(tmp_path / "b.db", tmp_path / "run"),
    ):
        pass
    assert refused.value.what == "runtime_dir"
    assert refused.value.pid == holder.pid
    # refused: nothing of ours is held, the other ledger can be locked at once
    (tmp_path / "run2").mkdir()
    with hold_single_writer(tmp_path / "b.db", tmp_path / "run2"):
        pass


def test_a_sigkilled_holder_blocks_nothing(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    db = tmp_path / "warden.db"
    assert ledger_lock_path(db).read_text().strip() == str(holder.pid)  # left behind
    with hold_single_writer(db, tmp_path / "run"):
        assert ledger_lock_path(db).read_text().strip() == str(os.getpid())


def test_locks_are_owner_only_and_released_when_the_block_ends(tmp_path: Path) -> None:
    before = os.umask(0o002)
    try:
        with hold_single_writer(tmp_path / "warden.db", tmp_path):
            pass
    finally:
        os.umask(before)
    for lock in (tmp_path / "warden.db.lock", tmp_path / "warden.lock"):
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    with hold_single_writer(tmp_path / "warden.db", tmp_path):  # free again
        pass


def test_a_ledger_named_like_the_runtime_lock_takes_one_lock_not_two(tmp_path: Path) -> None:
    with hold_single_writer(tmp_path / "warden", tmp_path):  # warden.lock serves both
        pass
