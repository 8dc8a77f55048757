"""The persistence actor in a real supervision tree, writing a real SQLite file.

``execution`` and ``risk`` are recorder actors: execution forwards Records to
persistence through ``send`` (so persistence knows the sender), risk is the
halt target. Faults are real: a read-only file, a full database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from actors.messages import AuditEvent, Halt, Record, Recorded, RecordFailed
from actors.persistence import SCHEMA_VERSION, Ledger, PersistenceActor, PersistenceStatus
from supervision import ChildSpec, ManualClock, RestartType, SupervisionTree, TreeThread
from tests.actors.test_persistence_ledger import WALL, WallClock, fill, intent
from tests.supervision.conftest import Forward, Journal, eventually, recorder, tree_spec

StartTree = Callable[..., SupervisionTree]


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def start_tree(journal: Journal) -> Iterator[StartTree]:
    """Start persistence (built by ``make``) beside recorder actors ``execution`` and ``risk``."""
    hosts: list[TreeThread] = []

    def start(make: Callable[[], PersistenceActor], **child: Any) -> SupervisionTree:
        spec = tree_spec(
            recorder("risk", journal),
            ChildSpec(name="persistence", factory=make, **child),
            recorder("execution", journal),
        )
        host = TreeThread(SupervisionTree(spec, clock=ManualClock(wall_start=WALL))).start()
        hosts.append(host)
        return host.tree

    yield start
    for host in reversed(hosts):
        host.stop()


def _status(tree: SupervisionTree) -> PersistenceStatus:
    status = tree.snapshot().status_of("persistence", PersistenceStatus)
    assert status is not None, "persistence published no PersistenceStatus"
    return status


def received(journal: Journal, name: str, kind: type) -> list[Any]:
    """Messages of type ``kind`` that actor ``name`` got, with their sender."""
    return [(e[3], e[4]) for e in journal.of("got") if e[1] == name and isinstance(e[3], kind)]


def record_via_execution(tree: SupervisionTree, record: Record) -> None:
    tree.tell("execution", Forward("persistence", record))


def integrity(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@contextlib.contextmanager
def read_only_file(path: Path) -> Iterator[None]:
    """Make ``path`` read-only for this process; root ignores mode bits, so as root
    the file is also marked immutable (``chattr +i``), which binds root too."""
    path.chmod(0o444)
    immutable = False
    try:
        if os.geteuid() == 0:
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
            if done.returncode != 0:
                pytest.skip(f"root without chattr +i cannot make a file read-only: {done.stderr!r}")
            immutable = True
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


def test_a_record_from_another_actor_is_committed_and_answered_with_recorded(
    start_tree: StartTree, journal: Journal, db: Path
) -> None:
    tree = start_tree(lambda: PersistenceActor(db))
    record_via_execution(tree, Record("r-1", (intent(), fill())))
    replies = eventually(lambda: received(journal, "execution", Recorded), what="Recorded")
    assert replies == [(Recorded("r-1"), "persistence")]
    with Ledger.open_read_only(db) as reader:  # while the writer runs
        assert [r.client_order_id for r in reader.orders()] == ["c-yes"]
        assert [r.fill.fill_id for r in reader.fills()] == ["f-1"]
        assert reader.orders()[0].created_at == WALL  # the tree's injected wall clock
    assert received(journal, "risk", Halt) == []


def test_an_ask_gets_the_answer_as_its_result(start_tree: StartTree, db: Path) -> None:
    tree = start_tree(lambda: PersistenceActor(db))
    assert tree.ask("persistence", Record("r-1", (intent(),)), timeout=10) == Recorded("r-1")
    failed = tree.ask("persistence", Record("r-2", (intent(price="0.41"),)), timeout=10)
    assert isinstance(failed, RecordFailed)
    assert failed.request_id == "r-2"
    assert "c-yes" in failed.error


def test_a_record_with_a_bad_event_after_good_ones_writes_none_of_them_and_halts(
    start_tree: StartTree, journal: Journal, db: Path
) -> None:
    tree = start_tree(lambda: PersistenceActor(db))
    audit = AuditEvent("halt", "operator", "cli")
    record_via_execution(tree, Record("r-1", (intent(), fill(), audit, intent(price="0.41"))))
    (failed, sender), *_ = eventually(lambda: received(journal, "execution", RecordFailed))
    assert (failed.request_id, sender) == ("r-1", "persistence")
    assert "events[3] intent_recorded" in failed.error  # the operation that failed
    (halt, halt_sender), *_ = eventually(lambda: received(journal, "risk", Halt))
    assert (halt.source, halt_sender) == ("persistence", "persistence")
    assert failed.error in halt.reason
    with Ledger.open_read_only(db) as reader:
        assert reader.orders() == reader.fills() == reader.audit() == ()
        assert reader.daily_stats() == ()


def test_a_read_only_database_file_fails_the_record_and_halts_trading(
    start_tree: StartTree, journal: Journal, db: Path
) -> None:
    with Ledger.open(db, wall=WallClock()) as ledger:
        ledger.write("r-0", (intent("c-before"),))
    with read_only_file(db):
        tree = start_tree(lambda: PersistenceActor(db))
        record_via_execution(tree, Record("r-1", (intent(),)))
        (failed, _), *_ = eventually(lambda: received(journal, "execution", RecordFailed))
        assert "record 'r-1'" in failed.error  # names the operation
        assert "readonly" in failed.error
        (halt, _), *_ = eventually(lambda: received(journal, "risk", Halt))
        assert halt.source == "persistence"
        status = _status(tree)
        assert (status.failures, status.transactions) == (1, 0)
        tree.ask("persistence", Record("r-2", (intent("c-2"),)), timeout=10)  # still serving
    assert integrity(db) == "ok"
    with Ledger.open_read_only(db) as reader:
        assert [r.client_order_id for r in reader.orders()] == ["c-before"]


def test_a_full_database_fails_the_record_and_halts_without_corrupting_the_file(
    start_tree: StartTree, journal: Journal, db: Path
) -> None:
    # max_page_count=1 is raised by SQLite to the file's size: no page can be added.
    tree = start_tree(lambda: PersistenceActor(db, max_page_count=1))
    big = AuditEvent("note", "x" * 200_000, "test")
    record_via_execution(tree, Record("r-big", (intent(), big)))
    (failed, _), *_ = eventually(lambda: received(journal, "execution", RecordFailed))
    assert "record 'r-big'" in failed.error
    assert "full" in failed.error
    (halt, _), *_ = eventually(lambda: received(journal, "risk", Halt))
    assert "full" in halt.reason
    assert tree.snapshot().find("persistence").status == "running"
    assert integrity(db) == "ok"
    with Ledger.open_read_only(db) as reader:
        assert reader.orders() == reader.audit() == ()


def test_a_halt_target_that_is_gone_does_not_stop_the_answer(
    start_tree: StartTree, journal: Journal, db: Path
) -> None:
    tree = start_tree(lambda: PersistenceActor(db, halt_target="nobody"))
    record_via_execution(tree, Record("r-1", (intent(), intent(price="0.41"))))
    (failed, _), *_ = eventually(lambda: received(journal, "execution", RecordFailed))
    assert failed.request_id == "r-1"
    assert tree.ask("persistence", Record("r-2", (fill(),)), timeout=10) == Recorded("r-2")


def test_a_ledger_that_cannot_be_opened_is_a_start_failure_naming_the_path(
    start_tree: StartTree, tmp_path: Path
) -> None:
    target = tmp_path / "no-such-dir" / "ledger.db"
    tree = start_tree(lambda: PersistenceActor(target), restart=RestartType.TEMPORARY)
    failure = eventually(lambda: tree.snapshot().find("persistence").last_failure)
    assert failure.reason == "start_failure"
    assert failure.type == "LedgerWriteError"
    assert str(target) in failure.message


def test_the_summary_shows_path_commits_failures_and_the_last_error(
    start_tree: StartTree, db: Path
) -> None:
    tree = start_tree(lambda: PersistenceActor(db))
    tree.ask("persistence", Record("r-1", (intent(), fill())), timeout=10)
    tree.ask("persistence", Record("r-2", (intent(price="0.41"),)), timeout=10)
    tree.tell("persistence", "not a record")
    status = eventually(lambda: (s := _status(tree)).unknown_messages and s)
    assert status.db_path == str(db)
    assert (status.transactions, status.events, status.failures) == (1, 2, 1)
    assert status.last_commit_at == WALL
    assert "price" in (status.last_error or "")
    assert (status.pending, status.open, status.unknown_messages) == (0, True, 1)
    assert status.schema_version == SCHEMA_VERSION
