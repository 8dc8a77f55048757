"""The journal of signed Polymarket orders: one durable row per client order id.

Polymarket has no client order id: the venue's order id is the EIP-712 digest of
the signed order. So that a retry of the same intent (in this process, or after a
restart) sends the very same signed order, and never a second signature for one
leg, the client writes each signed order here *before* sending it, keyed by client
order id, and reads it back on every later ``create_order`` for that id.
:meth:`OrderJournal.record` keeps the first row for an id: a second signature for
the same id is never stored.

The file is SQLite in WAL mode with ``synchronous=FULL``: a row is on disk when
:meth:`OrderJournal.record` returns (the order is sent only after that). Every
SQLite failure is an :class:`OrderJournalError` (a
:class:`~actors.errors.CriticalVenueError`: the order is not sent, trading halts
until an operator looks; an order that cannot be journalled must not reach the
venue). The signed order (with its signature) is stored as text and never appears
in a repr or an error.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import attrs

from actors.errors import CriticalVenueError

__all__ = ["JournalEntry", "OrderJournal", "OrderJournalError"]

_ENDPOINT = "order journal"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signed_orders (
    client_order_id TEXT PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    ticker TEXT NOT NULL,
    token_id TEXT NOT NULL,
    side TEXT NOT NULL,
    action TEXT NOT NULL,
    price TEXT NOT NULL,
    count TEXT NOT NULL,
    order_type TEXT NOT NULL,
    signed_order TEXT NOT NULL,
    acknowledged INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 2
) STRICT
"""

_ADD_VERSION = "ALTER TABLE signed_orders ADD COLUMN version INTEGER NOT NULL DEFAULT 2"
"""A journal written before exchange versions were recorded: its orders are version 2
(the only one signed then)."""

_COLUMNS = (
    "client_order_id, digest, ticker, token_id, side, action, price, count, order_type,"
    " signed_order, acknowledged, version"
)
_VALUES = "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


class OrderJournalError(CriticalVenueError):
    """The journal could not be read or written (the order was not sent)."""

    def __init__(self, message: str, *, client_order_id: str | None = None) -> None:
        super().__init__(message, endpoint=_ENDPOINT, client_order_id=client_order_id)


@attrs.frozen
class JournalEntry:
    """One signed order as sent (or about to be): ``signed_order`` is the exact JSON
    text of the venue's ``order`` object (signature included; kept out of repr);
    ``side``/``action``/``price``/``count`` are the intent's; ``acknowledged`` is
    True once the venue answered ``success`` for it; ``version`` is the exchange
    version it is signed for (:data:`~._signing.SIGNABLE_VERSIONS`)."""

    client_order_id: str
    digest: str
    ticker: str
    token_id: str
    side: str
    action: str
    price: Decimal
    count: Decimal
    order_type: str
    signed_order: str = attrs.field(repr=False)
    acknowledged: bool = False
    version: int = 2


class OrderJournal:
    """The journal file at ``path`` (created with its table if absent)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(signed_orders)")}
            if "version" not in columns:
                self._db.execute(_ADD_VERSION)
        except sqlite3.Error as error:
            raise OrderJournalError(f"cannot open {self.path}: {error}") from None

    def __repr__(self) -> str:
        return f"OrderJournal({str(self.path)!r})"

    def close(self) -> None:
        self._db.close()

    def get(self, client_order_id: str) -> JournalEntry | None:
        """The entry of ``client_order_id``, or None if no order was signed for it."""
        return self._one("client_order_id", client_order_id)

    def by_digest(self, digest: str) -> JournalEntry | None:
        """The entry whose venue order id is ``digest``, or None (not one of ours)."""
        return self._one("digest", digest)

    def record(self, entry: JournalEntry) -> JournalEntry:
        """Store ``entry`` durably unless its client order id is already journalled;
        returns the entry that is stored (the earlier one if there was one)."""
        try:
            self._db.execute(
                f"INSERT OR IGNORE INTO signed_orders ({_COLUMNS}) {_VALUES}",
                _row(entry),
            )
        except sqlite3.Error as error:
            raise OrderJournalError(
                f"cannot record: {error}", client_order_id=entry.client_order_id
            ) from None
        stored = self.get(entry.client_order_id)
        assert stored is not None  # just inserted, or there before
        return stored

    def replace(self, entry: JournalEntry) -> None:
        """Put ``entry`` in place of its client order id's unacknowledged entry, in one
        durable transaction: only for an order the venue refused outright (a
        re-signature after ``order_version_mismatch``), so the old digest can never be
        live and the new one is the leg's only order from then on (a lookup after a
        timeout, a retry or a restart all use it). Raises :class:`OrderJournalError`
        if the stored one was acknowledged, or is missing."""
        cid = entry.client_order_id
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                cursor = self._db.execute(
                    "DELETE FROM signed_orders WHERE client_order_id = ? AND acknowledged = 0",
                    (cid,),
                )
                if cursor.rowcount != 1:
                    raise OrderJournalError(
                        "no unacknowledged order to replace", client_order_id=cid
                    )
                self._db.execute(
                    f"INSERT INTO signed_orders ({_COLUMNS}) {_VALUES}",
                    _row(entry),
                )
        except sqlite3.Error as error:
            raise OrderJournalError(f"cannot replace: {error}", client_order_id=cid) from None

    def acknowledge(self, client_order_id: str) -> None:
        """Mark ``client_order_id``'s order as accepted by the venue."""
        try:
            self._db.execute(
                "UPDATE signed_orders SET acknowledged = 1 WHERE client_order_id = ?",
                (client_order_id,),
            )
        except sqlite3.Error as error:
            raise OrderJournalError(
                f"cannot acknowledge: {error}", client_order_id=client_order_id
            ) from None

    def _one(self, column: str, value: str) -> JournalEntry | None:
        try:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM signed_orders WHERE {column} = ?",  # noqa: S608 - constant
                (value,),
            ).fetchone()
        except sqlite3.Error as error:
            raise OrderJournalError(f"cannot read: {error}") from None
        if row is None:
            return None
        cid, digest, ticker, token, side, action, price, count, order_type, signed, ack, version = (
            row
        )
        return JournalEntry(
            client_order_id=cid,
            digest=digest,
            ticker=ticker,
            token_id=token,
            side=side,
            action=action,
            price=Decimal(price),
            count=Decimal(count),
            order_type=order_type,
            signed_order=signed,
            acknowledged=bool(ack),
            version=version,
        )


def _row(entry: JournalEntry) -> tuple[object, ...]:
    return (
        entry.client_order_id,
        entry.digest,
        entry.ticker,
        entry.token_id,
        entry.side,
        entry.action,
        str(entry.price),
        str(entry.count),
        entry.order_type,
        entry.signed_order,
        int(entry.acknowledged),
        entry.version,
    )
