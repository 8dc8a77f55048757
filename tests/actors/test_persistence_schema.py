"""Schema versions: old files are migrated on open, newer or foreign files are refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from actors.domain import OrderState
from actors.persistence import (
    MIGRATIONS,
    SCHEMA_VERSION,
    DailyStats,
    Ledger,
    LedgerSchemaError,
)
from actors.persistence._schema import migrate
from tests.actors.test_persistence_ledger import WALL, WallClock, fill, intent


def _versions(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY 1")]


def _version_one_file(path: Path) -> None:
    """A ledger as the first schema left it: an order, a fill, an audit entry, no daily stats."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert migrate(conn, path, WallClock(), target=1) == 1
        conn.execute(
            "INSERT INTO orders VALUES ('c-1', 'opp-1', 'KX-A', 'yes', 'buy', 40, 2, 100,"
            " 'filled', 2, 'v-1', ?, ?)",
            (WALL, WALL),
        )
        conn.execute(
            "INSERT INTO fills VALUES ('f-1', 'c-1', 'KX-A', 'yes', 'buy', 40, 2, 1, 100, ?)",
            (WALL,),
        )
        conn.execute(
            "INSERT INTO audit (kind, detail, source, at) VALUES ('halt', '', 'cli', ?)", (WALL,)
        )
    finally:
        conn.close()


def test_the_migrations_are_numbered_one_to_the_current_version() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    assert SCHEMA_VERSION >= 2


def test_a_new_file_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(path, wall=WallClock()).close()
    Ledger.open(path, wall=WallClock()).close()  # reopening applies nothing again
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))


def test_an_old_file_is_migrated_on_open_keeping_and_backfilling_its_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.db"
    _version_one_file(path)
    assert _versions(path) == [1]
    with Ledger.open(path, wall=WallClock()) as ledger:
        assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))
        (order,) = ledger.orders()
        assert (order.client_order_id, order.order.state) == ("c-1", OrderState.FILLED)
        assert [r.fill.fill_id for r in ledger.fills()] == ["f-1"]
        assert ledger.daily_stats() == (
            DailyStats(
                "2027-01-15",
                orders_recorded=1,
                fills=1,
                contracts=2,
                fees_cents=1,
                cash_flow_cents=-81,
                audit_events=1,
            ),
        )
        ledger.write("r1", (intent("c-2"), fill("f-2", "c-2")))  # and it takes new records
        assert ledger.daily_stats()[0].orders_recorded == 2


def test_a_file_from_a_newer_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(path, wall=WallClock()).close()
    newer = SCHEMA_VERSION + 1
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 'from the future', 0)", (newer,))
    for opening in (
        lambda: Ledger.open(path, wall=WallClock()),
        lambda: Ledger.open_read_only(path),
    ):
        with pytest.raises(LedgerSchemaError) as raised:
            opening()
        assert (raised.value.found, raised.value.supported) == (newer, SCHEMA_VERSION)
        assert "newer" in str(raised.value)
        assert str(path) in str(raised.value)
    assert _versions(path)[-1] == newer


def test_a_reader_refuses_an_old_file_that_only_the_writer_may_migrate(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    _version_one_file(path)
    with pytest.raises(LedgerSchemaError) as raised:
        Ledger.open_read_only(path)
    assert raised.value.found == 1
    assert _versions(path) == [1]


def test_a_sqlite_file_that_is_not_a_ledger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(LedgerSchemaError, match="not a warden ledger"):
        Ledger.open(path, wall=WallClock())
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"customers"}
