"""The writer syncs the WAL frames ``NORMAL`` commits left when it has nothing else to
write (``Ledger.sync_wal``), so the next intents Record's fsync carries only its own;
a sync that fails is a failed write: named, halted, the ledger reopened."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from actors.errors import LedgerWriteError
from actors.messages import AuditEvent, Halt, Record, Recorded
from actors.persistence import Ledger, PersistenceActor
from tests.actors.test_persistence_actor import (
    StartTree,
    _status,
    journal,  # noqa: F401 - fixture
    received,
    record_via_execution,
    start_tree,  # noqa: F401 - fixture
)
from tests.actors.test_persistence_ledger import WallClock, intent
from tests.supervision.conftest import Journal, eventually

AUDIT = AuditEvent("halt", "operator", "cli")


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files warden's own code fdatasyncs (SQLite's fsyncs are its C library's)."""
    paths: list[str] = []
    real = os.fdatasync

    def fdatasync(fd: int) -> None:
        paths.append(str(Path(f"/proc/self/fd/{fd}").readlink()))
        real(fd)

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    return paths


def _failing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fdatasync(_fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fdatasync", fdatasync)


def test_only_frames_a_normal_commit_left_are_synced_and_only_once(
    tmp_path: Path, synced: list[str]
) -> None:
    db = tmp_path / "ledger.db"
    with Ledger.open(db, wall=WallClock()) as ledger:
        assert ledger.sync_wal() is False  # nothing written yet
        ledger.write("r-1", (AUDIT,))  # NORMAL: its frames are not synced
        assert ledger.sync_wal() is True
        assert synced == [f"{db}-wal"]
        assert ledger.sync_wal() is False  # nothing new since
        ledger.write("r-2", (AUDIT,))
        ledger.write("r-3", (intent(),))  # FULL: SQLite synced every frame before it
        assert ledger.sync_wal() is False
    assert synced == [f"{db}-wal"]


def test_with_normal_intents_nothing_is_ever_synced(tmp_path: Path, synced: list[str]) -> None:
    with Ledger.open(tmp_path / "ledger.db", wall=WallClock(), intent_sync="NORMAL") as ledger:
        ledger.write("r-1", (AUDIT,))
        ledger.write("r-2", (intent(),))
        assert ledger.sync_wal() is False
    assert synced == []


def test_a_wal_that_cannot_be_synced_is_a_write_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "ledger.db"
    with Ledger.open(db, wall=WallClock()) as ledger:
        ledger.write("r-1", (AUDIT,))
        _failing(monkeypatch)
        with pytest.raises(LedgerWriteError, match=r"cannot sync .*ledger\.db-wal: Input/output"):
            ledger.sync_wal()
        with pytest.raises(LedgerWriteError, match="sync wal"):  # still owed, not forgotten
            ledger.sync_wal()


def test_the_actor_syncs_the_wal_once_its_mailbox_is_empty(
    start_tree: StartTree,  # noqa: F811 - fixture
    journal: Journal,  # noqa: F811 - fixture
    tmp_path: Path,
    synced: list[str],
) -> None:
    db = tmp_path / "ledger.db"
    tree = start_tree(lambda: PersistenceActor(db))
    record_via_execution(tree, Record("r-1", (AUDIT,)))
    eventually(lambda: received(journal, "execution", Recorded), what="Recorded")
    eventually(lambda: synced == [f"{db}-wal"], what="the WAL synced after the Record")
    assert received(journal, "risk", Halt) == []


def test_a_failed_sync_halts_trading_and_the_next_record_reopens_the_ledger(
    start_tree: StartTree,  # noqa: F811 - fixture
    journal: Journal,  # noqa: F811 - fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "ledger.db"
    tree = start_tree(lambda: PersistenceActor(db))
    _failing(monkeypatch)
    record_via_execution(tree, Record("r-1", (AUDIT,)))
    (halt, sender), *_ = eventually(lambda: received(journal, "risk", Halt), what="Halt")
    assert (halt.source, sender) == ("persistence", "persistence")
    assert "cannot sync" in halt.reason
    assert "ledger.db-wal" in halt.reason
    assert received(journal, "execution", Recorded) == [(Recorded("r-1"), "persistence")]
    status = _status(tree)
    assert (status.failures, status.transactions, status.open) == (1, 1, False)
    assert status.last_error is not None
    assert "Input/output error" in status.last_error
    monkeypatch.undo()  # the disk is back
    assert tree.ask("persistence", Record("r-2", (intent(),)), timeout=10) == Recorded("r-2")
    assert _status(tree).open
    with Ledger.open_read_only(db) as reader:
        assert [a.kind for a in reader.audit()] == ["halt"]  # r-1 committed before the sync
        assert [o.client_order_id for o in reader.orders()] == ["c-yes"]
