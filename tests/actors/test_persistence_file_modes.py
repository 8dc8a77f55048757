"""The ledger and its WAL/SHM files are owner-only whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from actors.domain import Action, OrderIntent, OrderRole, Side
from actors.messages import IntentRecorded
from actors.persistence import Ledger


@pytest.fixture
def open_umask() -> Iterator[None]:
    before = os.umask(0o002)  # the loosest umask an operator is likely to have
    try:
        yield
    finally:
        os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _intent(cid: str) -> IntentRecorded:
    return IntentRecorded(
        OrderIntent(cid, "SIM-001", Side.YES, Action.BUY, Decimal("0.40"), Decimal(1)),
        "opp-1",
        0,
        OrderRole.ENTRY,
    )


def test_a_new_ledger_and_its_wal_and_shm_files_are_created_0600(
    tmp_path: Path, open_umask: None
) -> None:
    db = tmp_path / "ledger.db"
    with Ledger.open(db, wall=lambda: 0.0) as ledger:
        ledger.write("r-1", (_intent("c-1"),))
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_an_existing_ledger_readable_by_others_is_tightened_on_open(
    tmp_path: Path, open_umask: None
) -> None:
    db = tmp_path / "ledger.db"
    Ledger.open(db, wall=lambda: 0.0).close()
    db.chmod(0o664)
    with Ledger.open(db, wall=lambda: 0.0) as ledger:
        ledger.write("r-1", (_intent("c-1"),))
    assert _mode(db) == 0o600
