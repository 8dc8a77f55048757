"""The SQLite ledger: one writer, any number of readers.

Open the writer with :meth:`Ledger.open` (creates the file, switches it to WAL,
migrates it) and readers with :meth:`Ledger.open_read_only`. WAL lets readers
see the last committed state while the writer writes, without blocking it, so
``warden report`` is safe against a running daemon.

Durability is chosen per transaction. A Record holding an order intent gates
an order being sent (DESIGN.md §5), so it commits with ``intent_sync``
(default ``FULL``: the WAL is fsynced, the intent survives a power loss; with
``NORMAL`` it survives a process crash, not a power loss). Every other Record
(order updates, fills, reservations, audit) commits with ``NORMAL``: in WAL
mode it survives a process crash, and the next FULL commit fsyncs it too,
because the WAL is written in order. What a power loss could take from those
records is what start-up reconciliation re-reads from the venue. An fsync'd
commit costs ~250 µs on the development disk, NORMAL ~15 µs, and the intents'
commit sits on the tick-to-order path. Its fsync flushes every frame written
since the last one, so the writer syncs the ``NORMAL`` commits' frames itself
when it has nothing else to write (:meth:`Ledger.sync_wal`): the next intents
Record then flushes its own.

A :class:`Ledger` is not thread-safe: use it from the thread that opened it
(the persistence actor's thread, or the report command's).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Literal

from actors.domain import FillRow, Position
from actors.errors import LedgerError, LedgerSerializationError, LedgerWriteError
from actors.messages import AuditEvent, IntentRecorded, LedgerEvent, ReservationState
from actors.money import EXACT
from actors.persistence import _rows
from actors.persistence._codec import (
    FILL_ROW,
    decode_event,
    decode_fill_rows,
    encode_event,
    fill_records,
    structure_row,
)
from actors.persistence._decimals import COUNT_PLACES, DOLLAR_PLACES, to_text
from actors.persistence._errors import FillMarkMismatch, LedgerSchemaError
from actors.persistence._marks import FillMark
from actors.persistence._records import (
    AuditRecord,
    BasketProgressRecord,
    DailyStats,
    FillRecord,
    OrderRecord,
    ReservationRecord,
    WriteResult,
)
from actors.persistence._schema import SCHEMA_VERSION, check_not_newer, current_version, migrate
from actors.persistence._writes import OPEN_STATES, Tally, apply_event

_FILL_ROWS = f"SELECT {', '.join(FILL_ROW)} FROM fills ORDER BY rowid"  # noqa: S608 - fixed names
_FILL_ROWS_AFTER = f"SELECT {', '.join(FILL_ROW)} FROM fills WHERE rowid > ? ORDER BY rowid"  # noqa: S608 - fixed names
_FILL_ROWS_OF = f"SELECT {', '.join(FILL_ROW)} FROM fills WHERE client_order_id IN "  # noqa: S608 - fixed names
_IDS_PER_QUERY = 500  # below SQLite's smallest limit of bound parameters (999)


def _describe(error: sqlite3.Error) -> str:
    name = getattr(error, "sqlite_errorname", None)
    return f"{error} ({name})" if name else str(error)


def _require_wal(conn: sqlite3.Connection, path: Path) -> None:
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode != "wal":
        raise LedgerWriteError(
            f"{path}: journal mode is {mode!r}, WAL is required", operation="open"
        )


def _require_current(version: int, path: Path) -> None:
    check_not_newer(version, path)
    if version < SCHEMA_VERSION:
        raise LedgerSchemaError(
            "older than this build; open it with the writer to migrate it",
            path=path,
            found=version,
            supported=SCHEMA_VERSION,
        )


def _owner_only(path: Path) -> None:
    """Create the ledger file 0600 (whatever the umask) before SQLite opens it, and take
    group and other permissions off an existing one and its ``-wal``/``-shm`` files
    (the owner's bits are left alone: a file made read-only stays read-only). SQLite
    creates the ``-wal``/``-shm`` files with the database file's mode, so they are
    owner-only too. Raises :class:`LedgerWriteError` naming the file the OS refused."""
    try:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            # Not ours to change (an immutable file, another owner's): SQLite's own
            # open decides whether it can be written.
            with contextlib.suppress(FileNotFoundError, PermissionError):
                mode = file.stat().st_mode
                if mode & 0o077:
                    file.chmod(mode & 0o700)
    except OSError as error:
        raise LedgerWriteError(
            f"cannot open ledger {path}: {error.strerror or error}", operation="open"
        ) from error


def utc_day(wall: float) -> str:
    """The ISO date (UTC) of a wall-clock time in seconds."""
    return datetime.fromtimestamp(wall, tz=UTC).date().isoformat()


class Ledger:
    """A connection to a ledger file. Build it with :meth:`open` or :meth:`open_read_only`."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        read_only: bool,
        wall: Callable[[], float] | None = None,
        intent_sync: Literal["FULL", "NORMAL"] = "FULL",
    ) -> None:
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self.read_only = read_only
        self._wall = wall
        self.intent_sync = intent_sync
        self._sync = "FULL"  # what the connection is set to now
        self._unsynced = False  # a NORMAL commit since the WAL was last fsynced
        self.schema_version = SCHEMA_VERSION
        self._opened_max_page_count: int | None = None  # read on first change

    # -- opening and closing -------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        wall: Callable[[], float],
        max_page_count: int | None = None,
        busy_timeout_s: float = 1.0,
        intent_sync: Literal["FULL", "NORMAL"] = "FULL",
    ) -> Ledger:
        """Open (or create) the ledger at ``path`` as THE writer and migrate it.

        ``wall`` stamps rows (inject the actor's ``clock.wall``).
        ``max_page_count`` caps the file's size in pages (SQLite raises it to
        the current size if lower); a write that needs more fails as "disk
        full" -- a size guard, and the test seam for a full disk.
        ``busy_timeout_s`` bounds the wait for a lock held by another process.
        ``intent_sync`` is the durability of Records holding order intents (see
        the module docstring); other Records always commit with ``NORMAL``.

        Raises :class:`LedgerSchemaError` for a newer or foreign file and
        :class:`LedgerWriteError` (naming ``path``) when the file cannot be
        opened, switched to WAL or migrated.
        """
        _owner_only(path)
        conn = cls._connect(path, str(path), uri=False, busy_timeout_s=busy_timeout_s)
        try:
            _require_wal(conn, path)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn, path, wall)
            if max_page_count is not None:
                conn.execute(f"PRAGMA max_page_count = {int(max_page_count)}")
        except sqlite3.Error as error:
            conn.close()
            raise LedgerWriteError(
                f"cannot open ledger {path}: {_describe(error)}", operation="open"
            ) from error
        except BaseException:
            conn.close()
            raise
        if intent_sync not in ("FULL", "NORMAL"):
            conn.close()
            raise ValueError(f"intent_sync = {intent_sync!r}: must be 'FULL' or 'NORMAL'")
        return cls(conn, path, read_only=False, wall=wall, intent_sync=intent_sync)

    @classmethod
    def open_read_only(cls, path: Path, *, busy_timeout_s: float = 1.0) -> Ledger:
        """Open an existing ledger for reading only; it is never created or changed.

        Raises :class:`LedgerError` if ``path`` is missing or unreadable, and
        :class:`LedgerSchemaError` if its schema is not exactly this build's
        (an older file must first be migrated by the writer).
        """
        if not path.is_file():
            raise LedgerError(f"no ledger at {path}", operation="open read-only")
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = cls._connect(path, uri, uri=True, busy_timeout_s=busy_timeout_s)
        try:
            conn.execute("PRAGMA query_only = ON")
            version = current_version(conn, path)
            _require_current(version, path)
        except sqlite3.Error as error:
            conn.close()
            raise LedgerError(
                f"cannot read ledger {path}: {_describe(error)}", operation="open read-only"
            ) from error
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, read_only=True)

    @staticmethod
    def _connect(
        path: Path, target: str, *, uri: bool, busy_timeout_s: float
    ) -> sqlite3.Connection:
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, one per Record.
            conn = sqlite3.connect(target, uri=uri, isolation_level=None, timeout=busy_timeout_s)
        except sqlite3.Error as error:
            raise LedgerWriteError(
                f"cannot open ledger {path}: {_describe(error)}", operation="open"
            ) from error
        conn.row_factory = sqlite3.Row
        return conn

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def close(self) -> None:
        """Close the connection; idempotent. Uncommitted work (there is none between
        calls) would be rolled back by SQLite."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _connection(self, operation: str) -> sqlite3.Connection:
        if self._conn is None:
            raise LedgerError(f"ledger {self.path} is closed", operation=operation)
        return self._conn

    # -- writing -------------------------------------------------------------------------

    def _sync_for(self, events: Sequence[LedgerEvent]) -> str:
        gates_an_order = any(isinstance(event, IntentRecorded) for event in events)
        return self.intent_sync if gates_an_order else "NORMAL"

    def _set_sync(self, conn: sqlite3.Connection, level: str) -> None:
        if level != self._sync:  # a PRAGMA only when it changes; outside any transaction
            conn.execute(f"PRAGMA synchronous = {level}")
            self._sync = level

    def write(self, request_id: str, events: Sequence[LedgerEvent]) -> WriteResult:
        """Write ``events`` in ONE transaction with the day's statistics; all or nothing.

        Every event is encoded before the transaction starts, so a malformed
        one fails fast. The ``events`` journal keeps the events that changed the
        ledger: one it already has (the same intent or fill, an order update that
        changes nothing) is applied as the no-op it is and not journaled again, so
        a reconciliation that re-reports what the ledger holds adds nothing to it
        (its ``position`` is still the event's place in the Record). Ids come from
        SQLite and the timestamp from ``wall()``, both taken inside the transaction.

        Raises :class:`LedgerSerializationError` (an event cannot be encoded;
        names ``events[i].field``), :class:`LedgerConflictError` (an event
        contradicts the ledger) or :class:`LedgerWriteError` (SQLite failed:
        read-only file, disk full, lock timeout; names the operation). On any
        error nothing of the Record is written and the ledger stays usable.
        """
        conn = self._connection(f"record {request_id!r}")
        if self.read_only or self._wall is None:
            raise LedgerWriteError(f"{self.path} is open read-only", operation="write")
        if not isinstance(events, tuple | list):
            raise LedgerSerializationError(
                f"events must be a tuple, got {type(events).__name__}",
                operation=f"record {request_id!r}",
                field="events",
            )
        if not isinstance(request_id, str):
            raise LedgerSerializationError(
                f"request_id must be a str, got {request_id!r}",
                operation="record",
                field="request_id",
            )
        encoded = [
            encode_event(event, index=index, operation=f"record {request_id!r}")
            for index, event in enumerate(events)
        ]
        operation = f"begin record {request_id!r}"
        try:
            self._set_sync(conn, self._sync_for(events))
            conn.execute("BEGIN IMMEDIATE")
            at = self._wall()
            operation = f"record {request_id!r} header"
            record_id = conn.execute(
                "INSERT INTO records (request_id, committed_at, event_count) VALUES (?, ?, ?)",
                (request_id, at, len(events)),
            ).lastrowid
            assert record_id is not None
            tally = Tally()
            journal: list[tuple[int, int, str, str]] = []
            for index, (event, stored) in enumerate(zip(events, encoded, strict=True)):
                operation = f"record {request_id!r} events[{index}] {stored.kind}"
                if apply_event(conn, event, at=at, operation=operation, tally=tally):
                    journal.append((record_id, index, stored.kind, stored.payload))
            operation = f"record {request_id!r} events journal"
            _journal(conn, journal)
            operation = f"record {request_id!r} daily_stats"
            _add_daily_stats(conn, utc_day(at), tally)
            operation = f"commit record {request_id!r}"
            conn.execute("COMMIT")
            self._unsynced = self._sync != "FULL"
        except sqlite3.Error as error:
            self._rollback()
            raise LedgerWriteError(
                f"{self.path}: {_describe(error)}", operation=operation
            ) from error
        except BaseException:
            self._rollback()
            raise
        return WriteResult(
            request_id=request_id,
            record_id=record_id,
            committed_at=at,
            events=len(events),
            orders_recorded=tally.orders_recorded,
            fills_recorded=tally.fills,
            duplicates=tally.duplicates,
            orders_expired=tally.orders_expired,
        )

    def sync_wal(self) -> bool:
        """fsync what ``NORMAL`` commits left unsynced in the WAL; ``True`` when it did.

        Durability does not depend on it: the next ``FULL`` commit syncs the same
        frames (the WAL is written in order). It takes that work off the next order:
        an intents Record's commit then flushes its own pages, not every page written
        since the last one (~0.25 ms of a ~1 ms commit on the development disk). Call
        it when there is nothing else to write. It does nothing when nothing is
        unsynced or when intents themselves commit with ``NORMAL``.

        Raises :class:`LedgerWriteError` (naming the WAL file) when the WAL cannot be
        opened or synced. Treat it as a failed write: after a failed fsync the kernel
        may have dropped those pages while a later fsync reports success, so the WAL
        can no longer be trusted to hold what was committed.
        """
        if not self._unsynced or self._conn is None or self.intent_sync != "FULL":
            return False
        wal = self.path.with_name(self.path.name + "-wal")
        try:
            fd = os.open(wal, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fdatasync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            raise LedgerWriteError(
                f"cannot sync {wal}: {error.strerror or error}", operation="sync wal"
            ) from error
        self._unsynced = False
        return True

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it does on SQLITE_FULL).

        If even that fails the connection is closed: the next use raises and
        the owner reopens.
        """
        conn = self._conn
        if conn is None or not conn.in_transaction:
            return
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            self.close()

    def set_max_page_count(self, pages: int | None) -> int:
        """Cap the file at ``pages`` pages from now on (``None``: back to the cap it was
        opened with); returns the cap in force. SQLite raises a cap below the
        current size to that size, so a low cap means "no more growth": a later
        write that needs a new page fails as disk full (the chaos seam).

        Raises ``ValueError`` for a cap below 1 and :class:`LedgerWriteError`
        when SQLite refuses.
        """
        if pages is not None and (isinstance(pages, bool) or pages < 1):
            raise ValueError(f"max_page_count must be an int >= 1 or None, got {pages!r}")
        conn = self._connection("set max_page_count")
        try:
            if self._opened_max_page_count is None:
                self._opened_max_page_count = int(
                    conn.execute("PRAGMA max_page_count").fetchone()[0]
                )
            target = self._opened_max_page_count if pages is None else int(pages)
            cap: int = conn.execute(f"PRAGMA max_page_count = {target}").fetchone()[0]
        except sqlite3.Error as error:
            raise LedgerWriteError(
                f"{self.path}: {_describe(error)}", operation="set max_page_count"
            ) from error
        return cap

    # -- reading -------------------------------------------------------------------------

    def settings(self) -> dict[str, object]:
        """The connection's durability settings, for introspection and tests:
        ``journal_mode``, ``synchronous`` (2 = FULL), ``foreign_keys``, ``max_page_count``."""
        conn = self._connection("read settings")
        return {
            name: conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "foreign_keys", "max_page_count")
        }

    @contextlib.contextmanager
    def consistent_view(self) -> Iterator[None]:
        """Read-only calls inside this block see one committed state (one read transaction)."""
        conn = self._connection("read")
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _rows(self, operation: str, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        conn = self._connection(operation)
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise self._read_failed(error, operation) from error

    def orders(self) -> tuple[OrderRecord, ...]:
        """Every order intent, oldest first."""
        rows = self._rows("read orders", "SELECT * FROM orders ORDER BY created_at, rowid")
        return tuple(_rows.order_record(row, operation="read orders") for row in rows)

    def open_orders(self) -> tuple[OrderRecord, ...]:
        """Every order not in a terminal state, oldest first (read by the state
        index: costs the open orders, not the ledger's history)."""
        operation = "read open orders"
        rows = self._rows(
            operation,
            f"SELECT * FROM orders WHERE state IN ({', '.join('?' * len(OPEN_STATES))})"  # noqa: S608 - placeholders only
            " ORDER BY created_at, rowid",
            OPEN_STATES,
        )
        return tuple(_rows.order_record(row, operation=operation) for row in rows)

    def fills(self) -> tuple[FillRecord, ...]:
        """Every fill, in the order recorded (:meth:`fill_rows`, as records)."""
        return tuple(fill_records(self._fill_rows("read fills")))

    def fill_rows(self) -> tuple[FillRow, ...]:
        """Every fill as a :data:`~actors.persistence._codec.FillRow` of plain values (its
        fields, then the time recorded), in the order recorded: what risk rebuilds its
        books from at start, without an object per fill.

        Decoded strictly in bulk (:func:`~actors.persistence._codec.decode_fill_rows`):
        a row that is not a valid fill raises :class:`LedgerSerializationError` naming
        its rowid, fill id and column; SQLite failing, :class:`LedgerError`."""
        return tuple(self._fill_rows("read fills"))

    def _fill_rows(self, operation: str) -> Iterator[FillRow]:
        conn = self._connection(operation)
        try:
            cursor = conn.cursor()
            cursor.row_factory = None  # tuples: a sqlite3.Row per fill costs more
            # decoded as they come (one statement reads one snapshot): no list of every row
            yield from decode_fill_rows(cursor.execute(_FILL_ROWS), operation=operation)
        except sqlite3.Error as error:
            raise self._read_failed(error, operation) from error

    def _read_failed(self, error: sqlite3.Error, operation: str) -> LedgerError:
        return LedgerError(f"{self.path}: {_describe(error)}", operation=operation)

    def fill_rows_after(self, mark: FillMark | None) -> tuple[tuple[FillRow, ...], FillMark | None]:
        """The fills recorded after ``mark`` (``None``: every fill) as :meth:`fill_rows`
        gives them, in the order recorded, and the mark of the last fill now (``mark``
        itself when none came after it; ``None`` for a ledger without fills), read in
        one committed state.

        Raises :class:`FillMarkMismatch` when ``mark`` is not this ledger's (no fill at
        its rowid, another fill there, or another number of fills up to it: another
        ledger, or one rewritten since); errors as :meth:`fill_rows` otherwise."""
        operation = "read fills after a mark"
        with self.consistent_view():
            conn = self._connection(operation)
            try:
                if mark is not None:
                    _check_mark(conn, mark)
                cursor = conn.cursor()
                cursor.row_factory = None
                raw = cursor.execute(_FILL_ROWS_AFTER, (mark.rowid if mark else 0,)).fetchall()
            except sqlite3.Error as error:
                raise self._read_failed(error, operation) from error
        rows = tuple(decode_fill_rows(raw, operation=operation))
        if not raw:
            return rows, mark
        last = raw[-1]
        counted = (mark.count if mark else 0) + len(raw)
        return rows, FillMark(last[0], counted, fill_id=last[1], client_order_id=last[2])

    def fill_rows_of_orders(self, client_order_ids: Collection[str]) -> tuple[FillRow, ...]:
        """Every fill of the orders ``client_order_ids``, in the order recorded, as
        :meth:`fill_rows` gives them (read by the ``fills_by_order`` index: costs those
        fills, not the ledger's history); errors as :meth:`fill_rows`."""
        operation = "read fills of orders"
        ids = sorted(set(client_order_ids))
        raw: list[Sequence[object]] = []
        with self.consistent_view():
            conn = self._connection(operation)
            cursor = conn.cursor()
            cursor.row_factory = None
            try:
                for at in range(0, len(ids), _IDS_PER_QUERY):
                    chunk = ids[at : at + _IDS_PER_QUERY]
                    marks = ", ".join("?" * len(chunk))
                    raw.extend(cursor.execute(f"{_FILL_ROWS_OF}({marks})", chunk).fetchall())
            except sqlite3.Error as error:
                raise self._read_failed(error, operation) from error
        raw.sort(key=lambda row: row[0])  # type: ignore[arg-type,return-value]
        return tuple(decode_fill_rows(raw, operation=operation))

    def positions(self) -> tuple[Position, ...]:
        """Per ticker, contracts held and cash spent, from the fills (buying costs
        price x count + fee; selling brings price x count - fee), by ticker; exact
        ``Decimal`` sums (contracts and dollars).

        Raises :class:`LedgerSerializationError` if the fills of a ticker sell
        more than they bought or disagree on the payout, or a row holds no
        exact amount.
        """
        operation = "read positions"
        rows = self._rows(
            operation,
            "SELECT ticker, side, action, price, count, fee, payout FROM fills"
            " ORDER BY ticker, rowid",
        )
        totals: dict[str, dict[str, Decimal]] = {}
        with localcontext(EXACT):
            for row in rows:
                price, count, fee, payout = (
                    _rows.stored_amount(row, name, operation=operation)
                    for name in ("price", "count", "fee", "payout")
                )
                total = totals.setdefault(
                    row["ticker"],
                    {"yes": Decimal(0), "no": Decimal(0), "cash": Decimal(0), "payout": payout},
                )
                if total["payout"] != payout:
                    raise LedgerSerializationError(
                        f"fills of {row['ticker']} disagree on the payout",
                        operation=operation,
                        field="payout",
                    )
                buy = row["action"] == "buy"
                side = "yes" if row["side"] == "yes" else "no"
                total[side] += count if buy else -count
                total["cash"] += (-price * count if buy else price * count) - fee
        positions = []
        for ticker, total in totals.items():
            columns = {
                "ticker": ticker,
                "yes_count": total["yes"],
                "no_count": total["no"],
                "cash": total["cash"],
                "payout": total["payout"],
            }
            positions.append(structure_row(columns, Position, operation=operation))
        return tuple(positions)

    def reservations(self, state: ReservationState | None = None) -> tuple[ReservationRecord, ...]:
        """Reservations (only those in ``state`` if given), by last update, each with its
        legs (one query: one committed state).

        Raises :class:`LedgerSerializationError` naming the column for a row that is
        not a valid reservation (no legs, legs disagreeing on the payout, ...).
        """
        operation = "read reservations"
        where, params = ("WHERE r.state = ?", (state.value,)) if state is not None else ("", ())
        rows = self._rows(
            operation,
            f"{_rows.RESERVATIONS_WITH_LEGS} {where} ORDER BY r.updated_at, r.rowid, l.leg",
            params,
        )
        return tuple(
            _rows.reservation_record(list(group), operation=operation)
            for _, group in itertools.groupby(rows, key=lambda row: row["reservation_id"])
        )

    def basket_progress(
        self, reservation_id: str | None = None
    ) -> tuple[BasketProgressRecord, ...]:
        """Every basket progress step (only ``reservation_id``'s if given), in the order
        appended."""
        operation = "read basket_progress"
        where, params = (
            ("WHERE reservation_id = ?", (reservation_id,))
            if reservation_id is not None
            else ("", ())
        )
        rows = self._rows(
            operation,
            f"SELECT * FROM basket_progress {where} ORDER BY id",  # noqa: S608 - fixed names, placeholders
            params,
        )
        return tuple(_rows.basket_progress_record(row, operation=operation) for row in rows)

    def daily_stats(self) -> tuple[DailyStats, ...]:
        """One entry per UTC day with activity, oldest first."""
        rows = self._rows("read daily_stats", "SELECT * FROM daily_stats ORDER BY day")
        return tuple(_rows.daily_stats(row) for row in rows)

    def audit(self) -> tuple[AuditRecord, ...]:
        """Every audit entry, oldest first."""
        rows = self._rows("read audit", "SELECT * FROM audit ORDER BY id")
        return tuple(_rows.audit_record(row) for row in rows)

    def last_reconciled_at(self) -> float | None:
        """When the last venue reconciliation was committed: the ``committed_at``
        (the writer's wall clock, Unix seconds) of the newest Record journaling a
        ``VenueReconciled`` (always journaled: it is written with the fills the
        venue listed, in one transaction), or None if no reconciliation ever was.
        Reads the journal newest first, so it costs the events since then, not the
        ledger's history."""
        rows = self._rows(
            "read last reconciliation",
            "SELECT records.committed_at FROM events JOIN records ON records.id = events.record_id"
            " WHERE events.kind = 'venue_reconciled' ORDER BY events.id DESC LIMIT 1",
        )
        return float(rows[0][0]) if rows else None

    def last_reconciliation_audit(self) -> tuple[AuditEvent, ...] | None:
        """The audit events recorded with the last venue reconciliation (in the
        Record of the newest ``VenueReconciled``, in their order), or None if no
        reconciliation ever was. Costs the events since then, as
        :meth:`last_reconciled_at`. Raises :class:`LedgerSerializationError` for
        a stored audit event that cannot be decoded."""
        operation = "read last reconciliation's audit"
        last = self._rows(
            operation,
            "SELECT record_id FROM events WHERE kind = 'venue_reconciled' ORDER BY id DESC LIMIT 1",
        )
        if not last:
            return None
        rows = self._rows(
            operation,
            "SELECT kind, payload FROM events WHERE record_id = ? AND kind = 'audit_event'"
            " ORDER BY position",
            (last[0][0],),
        )
        audits = (decode_event(kind, payload) for kind, payload in rows)
        return tuple(event for event in audits if isinstance(event, AuditEvent))


_JOURNAL_ROWS = 200  # rows per INSERT: 4 parameters each, below SQLite's smallest limit (999)


def _journal(conn: sqlite3.Connection, rows: Sequence[tuple[int, int, str, str]]) -> None:
    """Append the journal's ``(record_id, position, kind, payload)`` rows, in order, as few
    statements as SQLite allows (each statement is a round of the interpreter lock on the
    order path)."""
    for at in range(0, len(rows), _JOURNAL_ROWS):
        chunk = rows[at : at + _JOURNAL_ROWS]
        marks = ", ".join(["(?, ?, ?, ?)"] * len(chunk))
        conn.execute(
            f"INSERT INTO events (record_id, position, kind, payload) VALUES {marks}",  # noqa: S608 - placeholders only
            [value for row in chunk for value in row],
        )


def _check_mark(conn: sqlite3.Connection, mark: FillMark) -> None:
    """Raise :class:`FillMarkMismatch` unless ``mark`` describes this ledger's fills."""
    found = conn.execute(
        "SELECT fill_id, client_order_id FROM fills WHERE rowid = ?", (mark.rowid,)
    ).fetchone()
    if found is None:
        raise FillMarkMismatch(f"no fill at rowid {mark.rowid}")
    if tuple(found) != (mark.fill_id, mark.client_order_id):
        raise FillMarkMismatch(
            f"the fill at rowid {mark.rowid} is {found[0]!r}, not {mark.fill_id!r}"
        )
    (count,) = conn.execute("SELECT count(*) FROM fills WHERE rowid <= ?", (mark.rowid,)).fetchone()
    if count != mark.count:
        raise FillMarkMismatch(f"{count} fill(s) up to rowid {mark.rowid}, not {mark.count}")


def _add_daily_stats(conn: sqlite3.Connection, day: str, tally: Tally) -> None:
    """Add ``tally`` to ``day``'s row: integer tallies in SQL, exact amounts in Python
    (SQLite would add TEXT as floating point). Inside the Record's transaction. A
    Record that moved no amount (an intent, an order update) adds its counts alone,
    without reading the row."""
    counts = {
        "records": 1,
        "orders_recorded": tally.orders_recorded,
        "orders_expired": tally.orders_expired,
        "fills": tally.fills,
        "audit_events": tally.audit_events,
    }
    if not (tally.contracts or tally.fees or tally.cash_flow):
        names = ", ".join(counts)
        updates = ", ".join(f"{name} = {name} + excluded.{name}" for name in counts)
        conn.execute(
            f"INSERT INTO daily_stats (day, {names}) VALUES (?, {', '.join('?' * len(counts))})"  # noqa: S608 - fixed names, placeholders
            f" ON CONFLICT (day) DO UPDATE SET {updates}",
            (day, *counts.values()),
        )
        return
    row = conn.execute("SELECT * FROM daily_stats WHERE day = ?", (day,)).fetchone()
    operation = f"add daily_stats {day}"
    before = _rows.daily_stats(row, operation=operation) if row is not None else DailyStats(day)
    with localcontext(EXACT):
        amounts = {
            "contracts": to_text(before.contracts + tally.contracts, COUNT_PLACES),
            "fees": to_text(before.fees + tally.fees, DOLLAR_PLACES),
            "cash_flow": to_text(before.cash_flow + tally.cash_flow, DOLLAR_PLACES),
        }
    names = ", ".join((*counts, *amounts))
    updates = ", ".join(
        [f"{name} = {name} + excluded.{name}" for name in counts]
        + [f"{name} = excluded.{name}" for name in amounts]
    )
    marks = ", ".join("?" * (len(counts) + len(amounts)))
    conn.execute(
        f"INSERT INTO daily_stats (day, {names}) VALUES (?, {marks})"  # noqa: S608 - fixed names, placeholders
        f" ON CONFLICT (day) DO UPDATE SET {updates}",
        (day, *counts.values(), *amounts.values()),
    )
