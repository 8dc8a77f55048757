"""The ledger's schema: numbered migrations, applied in order, recorded in ``schema_version``.

A ledger file's version is the highest version in its ``schema_version``
table (0 for an empty file). :func:`migrate` brings a file up to
:data:`SCHEMA_VERSION` in ONE transaction: either every pending migration lands
or none does. A file with a newer version is refused with
:class:`LedgerSchemaError` (this build would misread it); a non-empty SQLite
file without a ``schema_version`` table is refused too (it is not a ledger).

Migrations are append-only: a released migration is never edited; a change is a
new migration at the end. Version 2 exists because the first ledger shape
(orders, fills, reservations, audit) predates the per-record journal and the
daily statistics; its backfill shows how a migration carries old data forward.
Version 3 is exact money (issue 12): every price, count, fee, amount and money
total becomes canonical fixed-point TEXT (:mod:`actors.persistence._decimals`)
and the ``_cents`` columns lose their suffix; its Python step
(:mod:`actors.persistence._migrate_v3`) converts the rows and the stored event
payloads, or refuses the whole open, naming the row, when one cannot be
converted exactly. Version 4 is baskets (docs/baskets.md §5): a reservation
holds an event and 1..64 legs (``reservation_legs``), execution appends
``basket_progress``, and each order knows its leg and role; its Python step
(:mod:`actors.persistence._migrate_v4`) turns every version 3 reservation into a
two-leg basket under its legacy client order ids.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import attrs

from actors.persistence import _migrate_v3, _migrate_v4
from actors.persistence._decimals import COUNT_PLACES, DOLLAR_PLACES, column_check
from actors.persistence._errors import LedgerSchemaError
from actors.persistence._migrate_v3 import Unmigratable


@attrs.frozen
class Migration:
    """``statements`` run in order, then ``step`` (if any) with the connection and the
    file's path; ``step`` raises :class:`Unmigratable` to refuse the file."""

    version: int
    description: str
    statements: tuple[str, ...]
    step: Callable[[sqlite3.Connection, Path], None] | None = None


_STATES = "'new','accepted','partially_filled','filled','canceled','rejected','expired'"

_V1 = Migration(
    1,
    "orders, fills, reservations, audit",
    (
        # One row per order intent (our client order id) and its latest known state.
        f"""CREATE TABLE orders (
            client_order_id TEXT PRIMARY KEY,
            opportunity_id TEXT NOT NULL,
            ticker TEXT NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('yes', 'no')),
            action TEXT NOT NULL CHECK (action IN ('buy', 'sell')),
            price INTEGER NOT NULL CHECK (price > 0 AND price < payout_cents),
            count INTEGER NOT NULL CHECK (count > 0),
            payout_cents INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ({_STATES})),
            filled_count INTEGER NOT NULL CHECK (filled_count BETWEEN 0 AND count),
            venue_order_id TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX orders_by_state ON orders (state)",
        # Venue fills, keyed by the venue's trade id. No foreign key to orders on
        # purpose: a fill is venue truth and is kept even if its intent is missing.
        """CREATE TABLE fills (
            fill_id TEXT PRIMARY KEY,
            client_order_id TEXT NOT NULL,
            ticker TEXT NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('yes', 'no')),
            action TEXT NOT NULL CHECK (action IN ('buy', 'sell')),
            price INTEGER NOT NULL CHECK (price > 0 AND price < payout_cents),
            count INTEGER NOT NULL CHECK (count > 0),
            fee_cents INTEGER NOT NULL CHECK (fee_cents >= 0),
            payout_cents INTEGER NOT NULL,
            recorded_at REAL NOT NULL
        )""",
        "CREATE INDEX fills_by_order ON fills (client_order_id)",
        "CREATE INDEX fills_by_ticker ON fills (ticker)",
        """CREATE TABLE reservations (
            reservation_id TEXT PRIMARY KEY,
            ticker TEXT NOT NULL,
            count INTEGER NOT NULL CHECK (count > 0),
            yes_price INTEGER NOT NULL,
            no_price INTEGER NOT NULL,
            amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
            owner_epoch INTEGER,
            state TEXT NOT NULL CHECK (state IN ('held', 'in_doubt', 'released')),
            updated_at REAL NOT NULL
        )""",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL,
            source TEXT NOT NULL,
            at REAL NOT NULL
        )""",
    ),
)

_V2 = Migration(
    2,
    "records journal, events, daily_stats (backfilled)",
    (
        # One row per committed Record; its events reference it.
        """CREATE TABLE records (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id TEXT NOT NULL,
            committed_at REAL NOT NULL,
            event_count INTEGER NOT NULL
        )""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id INTEGER NOT NULL REFERENCES records (id),
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            UNIQUE (record_id, position)
        )""",
        # Per UTC day: day is the ISO date of the writer's wall clock at commit.
        """CREATE TABLE daily_stats (
            day TEXT PRIMARY KEY,
            records INTEGER NOT NULL DEFAULT 0,
            orders_recorded INTEGER NOT NULL DEFAULT 0,
            orders_expired INTEGER NOT NULL DEFAULT 0,
            fills INTEGER NOT NULL DEFAULT 0,
            contracts INTEGER NOT NULL DEFAULT 0,
            fees_cents INTEGER NOT NULL DEFAULT 0,
            cash_flow_cents INTEGER NOT NULL DEFAULT 0,
            audit_events INTEGER NOT NULL DEFAULT 0
        )""",
        """INSERT INTO daily_stats (day, fills, contracts, fees_cents, cash_flow_cents)
            SELECT date(recorded_at, 'unixepoch'), COUNT(*), SUM(count), SUM(fee_cents),
                   SUM(CASE action WHEN 'buy' THEN -price * count ELSE price * count END
                       - fee_cents)
            FROM fills GROUP BY 1""",
        """INSERT INTO daily_stats (day, orders_recorded)
            SELECT date(created_at, 'unixepoch'), COUNT(*) FROM orders GROUP BY 1 HAVING 1
            ON CONFLICT (day) DO UPDATE SET orders_recorded = excluded.orders_recorded""",
        """INSERT INTO daily_stats (day, audit_events)
            SELECT date(at, 'unixepoch'), COUNT(*) FROM audit GROUP BY 1 HAVING 1
            ON CONFLICT (day) DO UPDATE SET audit_events = excluded.audit_events""",
    ),
)


def _price(column: str) -> str:
    return (
        f"{column_check(column, DOLLAR_PLACES, exact=True)}"
        f" AND CAST({column} AS REAL) > 0 AND CAST({column} AS REAL) < CAST(payout AS REAL)"
    )


def _count(column: str) -> str:
    return f"{column_check(column, COUNT_PLACES, exact=True)} AND CAST({column} AS REAL) > 0"


def _dollars(column: str, *, signed: bool = False) -> str:
    return column_check(column, DOLLAR_PLACES, exact=False, signed=signed)


# Generated at import from the helpers above: once released, neither they nor this SQL
# may change (append-only, like every migration).
_V3 = Migration(
    3,
    "exact money: prices, counts and amounts as fixed-point TEXT, _cents columns renamed",
    (
        "DROP INDEX orders_by_state",
        "DROP INDEX fills_by_order",
        "DROP INDEX fills_by_ticker",
        "ALTER TABLE orders RENAME TO orders_v2",
        "ALTER TABLE fills RENAME TO fills_v2",
        "ALTER TABLE reservations RENAME TO reservations_v2",
        "ALTER TABLE daily_stats RENAME TO daily_stats_v2",
        f"""CREATE TABLE orders (
            client_order_id TEXT PRIMARY KEY,
            opportunity_id TEXT NOT NULL,
            ticker TEXT NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('yes', 'no')),
            action TEXT NOT NULL CHECK (action IN ('buy', 'sell')),
            price TEXT NOT NULL CONSTRAINT price_exact CHECK ({_price("price")}),
            count TEXT NOT NULL CONSTRAINT count_exact CHECK ({_count("count")}),
            payout TEXT NOT NULL CONSTRAINT payout_exact CHECK ({_dollars("payout")}
                AND CAST(payout AS REAL) > 0),
            state TEXT NOT NULL CHECK (state IN ({_STATES})),
            filled_count TEXT NOT NULL CONSTRAINT filled_count_exact CHECK (
                {column_check("filled_count", COUNT_PLACES, exact=True)}
                AND CAST(filled_count AS REAL) <= CAST(count AS REAL)),
            venue_order_id TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX orders_by_state ON orders (state)",
        f"""CREATE TABLE fills (
            fill_id TEXT PRIMARY KEY,
            client_order_id TEXT NOT NULL,
            ticker TEXT NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('yes', 'no')),
            action TEXT NOT NULL CHECK (action IN ('buy', 'sell')),
            price TEXT NOT NULL CONSTRAINT price_exact CHECK ({_price("price")}),
            count TEXT NOT NULL CONSTRAINT count_exact CHECK ({_count("count")}),
            fee TEXT NOT NULL CONSTRAINT fee_exact CHECK ({_dollars("fee")}),
            payout TEXT NOT NULL CONSTRAINT payout_exact CHECK ({_dollars("payout")}
                AND CAST(payout AS REAL) > 0),
            recorded_at REAL NOT NULL
        )""",
        "CREATE INDEX fills_by_order ON fills (client_order_id)",
        "CREATE INDEX fills_by_ticker ON fills (ticker)",
        f"""CREATE TABLE reservations (
            reservation_id TEXT PRIMARY KEY,
            ticker TEXT NOT NULL,
            count TEXT NOT NULL CONSTRAINT count_exact CHECK ({_count("count")}),
            yes_price TEXT NOT NULL CONSTRAINT yes_price_exact CHECK (
                {column_check("yes_price", DOLLAR_PLACES, exact=True)}),
            no_price TEXT NOT NULL CONSTRAINT no_price_exact CHECK (
                {column_check("no_price", DOLLAR_PLACES, exact=True)}),
            amount TEXT NOT NULL CONSTRAINT amount_exact CHECK ({_dollars("amount")}),
            owner_epoch INTEGER,
            state TEXT NOT NULL CHECK (state IN ('held', 'in_doubt', 'released')),
            updated_at REAL NOT NULL
        )""",
        f"""CREATE TABLE daily_stats (
            day TEXT PRIMARY KEY,
            records INTEGER NOT NULL DEFAULT 0,
            orders_recorded INTEGER NOT NULL DEFAULT 0,
            orders_expired INTEGER NOT NULL DEFAULT 0,
            fills INTEGER NOT NULL DEFAULT 0,
            contracts TEXT NOT NULL DEFAULT '0.00' CONSTRAINT contracts_exact CHECK (
                {column_check("contracts", COUNT_PLACES, exact=False)}),
            fees TEXT NOT NULL DEFAULT '0.0000' CONSTRAINT fees_exact CHECK ({_dollars("fees")}),
            cash_flow TEXT NOT NULL DEFAULT '0.0000' CONSTRAINT cash_flow_exact CHECK (
                {_dollars("cash_flow", signed=True)}),
            audit_events INTEGER NOT NULL DEFAULT 0
        )""",
    ),
    _migrate_v3.convert,
)

_OUTCOMES = "'filled','partial','unhedged','none','failed'"

# Written out, not generated from the enums: a released migration never changes.
_V4 = Migration(
    4,
    "baskets: reservations with legs, basket progress, order legs",
    (
        "ALTER TABLE reservations RENAME TO reservations_v3",
        f"""CREATE TABLE reservations (
            reservation_id TEXT PRIMARY KEY,
            event_ticker TEXT NOT NULL,
            event_markets TEXT NOT NULL CONSTRAINT event_markets_json CHECK (
                CASE WHEN typeof(event_markets) = 'text' AND json_valid(event_markets)
                THEN json_type(event_markets) = 'array' AND json_array_length(event_markets) >= 1
                ELSE 0 END),
            exclusive INTEGER NOT NULL CONSTRAINT exclusive_flag CHECK (
                typeof(exclusive) = 'integer' AND exclusive IN (0, 1)),
            purpose TEXT NOT NULL CONSTRAINT purpose_known CHECK (purpose IN ('arbitrage', 'exit')),
            amount TEXT NOT NULL CONSTRAINT amount_exact CHECK ({_dollars("amount")}),
            complete_within_s REAL NOT NULL CONSTRAINT complete_within_s_range CHECK (
                typeof(complete_within_s) = 'real' AND complete_within_s >= 0),
            max_complete_attempts INTEGER NOT NULL CONSTRAINT max_complete_attempts_range CHECK (
                typeof(max_complete_attempts) = 'integer'
                AND max_complete_attempts BETWEEN 0 AND 9),
            owner_epoch INTEGER,
            state TEXT NOT NULL CONSTRAINT state_known CHECK (
                state IN ('held', 'in_doubt', 'released')),
            outcome TEXT CONSTRAINT outcome_known CHECK (
                outcome IS NULL OR outcome IN ({_OUTCOMES})),
            detail TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        f"""CREATE TABLE reservation_legs (
            reservation_id TEXT NOT NULL REFERENCES reservations (reservation_id),
            leg INTEGER NOT NULL CONSTRAINT leg_range CHECK (
                typeof(leg) = 'integer' AND leg BETWEEN 0 AND 63),
            ticker TEXT NOT NULL,
            side TEXT NOT NULL CONSTRAINT side_known CHECK (side IN ('yes', 'no')),
            action TEXT NOT NULL CONSTRAINT action_known CHECK (action IN ('buy', 'sell')),
            price TEXT NOT NULL CONSTRAINT price_exact CHECK ({_price("price")}),
            max_price TEXT NOT NULL CONSTRAINT max_price_exact CHECK ({_price("max_price")}),
            count TEXT NOT NULL CONSTRAINT count_exact CHECK ({_count("count")}),
            amount TEXT NOT NULL CONSTRAINT amount_exact CHECK ({_dollars("amount")}),
            payout TEXT NOT NULL CONSTRAINT payout_exact CHECK ({_dollars("payout")}
                AND CAST(payout AS REAL) > 0),
            client_order_id TEXT NOT NULL UNIQUE,
            held TEXT CONSTRAINT held_exact CHECK (
                held IS NULL OR {column_check("held", COUNT_PLACES, exact=False, signed=True)}),
            missing TEXT CONSTRAINT missing_exact CHECK (
                missing IS NULL OR ({column_check("missing", COUNT_PLACES, exact=False)}
                AND CAST(missing AS REAL) > 0)),
            PRIMARY KEY (reservation_id, leg)
        )""",
        f"""CREATE TABLE basket_progress (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            reservation_id TEXT NOT NULL,
            phase TEXT NOT NULL CONSTRAINT phase_known CHECK (phase IN (
                'placing', 'legs_settled', 'completing', 'unwinding', 'settled')),
            attempt INTEGER NOT NULL CONSTRAINT attempt_range CHECK (
                typeof(attempt) = 'integer' AND attempt >= 0),
            deadline_at REAL,
            held TEXT NOT NULL CONSTRAINT held_json CHECK (
                CASE WHEN typeof(held) = 'text' AND json_valid(held)
                THEN json_type(held) = 'array' ELSE 0 END),
            outcome TEXT CONSTRAINT outcome_known CHECK (
                outcome IS NULL OR outcome IN ({_OUTCOMES})),
            detail TEXT NOT NULL,
            at REAL NOT NULL
        )""",
        "CREATE INDEX basket_progress_by_reservation ON basket_progress (reservation_id)",
        """ALTER TABLE orders ADD COLUMN leg INTEGER CONSTRAINT leg_range CHECK (
            leg IS NULL OR (typeof(leg) = 'integer' AND leg BETWEEN 0 AND 63))""",
        """ALTER TABLE orders ADD COLUMN role TEXT CONSTRAINT role_known CHECK (
            role IS NULL OR role IN ('entry', 'complete', 'unwind'))""",
    ),
    _migrate_v4.convert,
)

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3, _V4)
"""Every migration, in order; version ``n`` is ``MIGRATIONS[n - 1]``."""

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The version this build writes and reads."""

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at REAL NOT NULL
)"""


def current_version(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version: 0 for an empty file.

    Raises :class:`LedgerSchemaError` for a file holding tables but no
    ``schema_version`` table (some other SQLite database).
    """
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "schema_version" not in tables:
        if tables - {"sqlite_sequence"}:
            raise LedgerSchemaError(
                f"not a warden ledger: tables {sorted(tables)} but no schema_version",
                path=path,
                found=0,
                supported=SCHEMA_VERSION,
            )
        return 0
    row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(row[0])


def check_not_newer(version: int, path: Path) -> None:
    """Raise :class:`LedgerSchemaError` if ``version`` is newer than this build knows."""
    if version > SCHEMA_VERSION:
        raise LedgerSchemaError(
            "written by a newer warden; refusing to open it",
            path=path,
            found=version,
            supported=SCHEMA_VERSION,
        )


def migrate(
    conn: sqlite3.Connection,
    path: Path,
    wall: Callable[[], float],
    *,
    target: int = SCHEMA_VERSION,
) -> int:
    """Apply every migration above the file's version up to ``target``, in one
    transaction; return the version reached.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Raises
    :class:`LedgerSchemaError` for a newer or foreign file, or for data a
    migration cannot carry forward exactly (nothing is changed then), and lets
    ``sqlite3.Error`` through (after rolling back) for the caller to wrap.
    ``target`` below :data:`SCHEMA_VERSION` exists to build old files in tests.
    """
    version = current_version(conn, path)
    check_not_newer(version, path)
    if version >= target:
        return version  # nothing to write: a read-only file still opens
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(conn, path)  # again, under the write lock
        check_not_newer(version, path)
        conn.execute(_VERSION_TABLE)
        for migration in MIGRATIONS[version:target]:
            for statement in migration.statements:
                conn.execute(statement)
            if migration.step is not None:
                try:
                    migration.step(conn, path)
                except Unmigratable as refusal:
                    raise LedgerSchemaError(
                        f"cannot migrate to schema version {migration.version}"
                        f" ({migration.description}): {refusal}",
                        path=path,
                        found=version,
                        supported=SCHEMA_VERSION,
                    ) from None
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, wall()),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return max(version, target)
