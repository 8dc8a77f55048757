"""The runtime file and the 0600 token file: written, discovered, removed only by their owner."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from warden.control import (
    NoDaemon,
    discover,
    new_token,
    read_token,
    remove_runtime_files,
    write_runtime_files,
)


def test_the_token_file_is_owner_only_even_over_a_looser_leftover(tmp_path: Path) -> None:
    leftover = tmp_path / "warden.token"
    leftover.write_text("old\n")
    leftover.chmod(0o644)
    old_umask = os.umask(0)
    try:
        files = write_runtime_files(tmp_path, "http://127.0.0.1:9", new_token())
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(files.token_file.stat().st_mode) == 0o600
    assert read_token(files.token_file) == files.token
    assert files.token != "old"  # noqa: S105 - the leftover's content, not a secret
    assert files.token not in repr(files)


def test_the_runtime_file_names_this_process_its_url_and_its_token_file(tmp_path: Path) -> None:
    files = write_runtime_files(tmp_path / "new" / "dir", "http://127.0.0.1:9", new_token())
    assert json.loads(files.runtime_file.read_text()) == {
        "pid": os.getpid(),
        "url": "http://127.0.0.1:9",
        "token_file": str(files.token_file),
    }
    info = discover(files.runtime_file)
    assert (info.pid, info.url, info.token_file) == (
        os.getpid(),
        "http://127.0.0.1:9",
        files.token_file,
    )
    assert [p.name for p in files.runtime_file.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_tokens_are_long_and_different_each_time() -> None:
    tokens = {new_token() for _ in range(20)}
    assert len(tokens) == 20
    assert min(len(t) for t in tokens) >= 40
    with pytest.raises(ValueError, match="empty"):
        write_runtime_files(Path("unused"), "http://127.0.0.1:9", "")


def test_files_are_removed_by_their_owner_and_left_to_a_newer_daemon(tmp_path: Path) -> None:
    ours = write_runtime_files(tmp_path, "http://127.0.0.1:9", new_token())
    remove_runtime_files(ours)
    assert not ours.runtime_file.exists()
    assert not ours.token_file.exists()
    remove_runtime_files(ours)  # twice is fine

    theirs = write_runtime_files(tmp_path, "http://127.0.0.1:10", new_token(), pid=os.getpid() + 1)
    remove_runtime_files(theirs)  # we are not the pid the file names
    assert theirs.runtime_file.exists()
    assert theirs.token_file.exists()


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(child.stdout)


def test_discover_says_in_one_line_why_there_is_no_daemon(tmp_path: Path) -> None:
    with pytest.raises(NoDaemon, match="no runtime file at"):
        discover(tmp_path / "missing.json")
    garbled = tmp_path / "garbled.json"
    garbled.write_text("{")
    with pytest.raises(NoDaemon, match="cannot read runtime file"):
        discover(garbled)
    dead = write_runtime_files(tmp_path, "http://127.0.0.1:9", new_token(), pid=_dead_pid())
    with pytest.raises(NoDaemon, match=r"names pid \d+, which is not alive"):
        discover(dead.runtime_file)
    with pytest.raises(NoDaemon, match="cannot read token file"):
        read_token(tmp_path / "no.token")
