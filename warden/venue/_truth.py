"""The ground-truth log: every accepted order, fill, cancel and rejection, in order.

Append-only: entries are frozen and numbered from 1 without gaps, so a
reader can page through it with ``after=<last seq seen>``.  The records are
the same wire dicts the trader receives (an order as ``POST
/portfolio/orders`` returns it, a fill as ``GET /portfolio/fills`` returns
it), so a trader's ledger can be compared with venue truth field by field.

Bounded in memory, complete on disk: the newest entries (at most
``spool_at``) are kept as objects; older ones are spooled, as JSON, into a
private temporary SQLite database (``sqlite3.connect("")``: on disk, deleted
when the log is closed or collected).  Reading gives back every entry ever
appended, equal to what was appended (JSON keeps the wire dicts' strings,
numbers, booleans and nulls as they are).  At 2,000 markets the list of objects
grew by ~180 MB a minute; spooled, memory holds ``spool_at`` entries.  Like the
engine that appends to it, a log is used from one thread at a time.
"""

from __future__ import annotations

import enum
import json
import sqlite3
from collections.abc import Iterator
from typing import cast

from attrs import frozen

from warden.venue._shapes import TruthEntryWire, TruthRecord

SPOOL_AT = 10_000
"""Entries kept in memory before they are spooled to disk, a batch at a time."""

_PAGE = 1_000
"""Rows read from the spool per query while iterating."""


class TruthKind(enum.StrEnum):
    ORDER_ACCEPTED = "order_accepted"
    ORDER_REJECTED = "order_rejected"
    FILL = "fill"
    ORDER_CANCELED = "order_canceled"


@frozen
class TruthEntry:
    seq: int
    ts: float
    kind: TruthKind
    account: str
    record: TruthRecord

    def to_wire(self) -> TruthEntryWire:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "kind": str(self.kind),
            "account": self.account,
            "record": self.record,
        }


class TruthLog:
    """An append-only sequence of :class:`TruthEntry`, spooled to disk past
    ``spool_at`` entries in memory (see the module docstring)."""

    def __init__(self, *, spool_at: int = SPOOL_AT) -> None:
        if spool_at < 1:
            raise ValueError(f"spool_at must be at least 1, got {spool_at}")
        self._spool_at = spool_at
        self._recent: list[TruthEntry] = []  # seq spooled + 1 onwards
        self._spooled = 0
        self._db: sqlite3.Connection | None = None

    def append(self, ts: float, kind: TruthKind, account: str, record: TruthRecord) -> None:
        self._recent.append(TruthEntry(len(self) + 1, ts, kind, account, record))
        if len(self._recent) > self._spool_at:
            self._spool()

    def __len__(self) -> int:
        return self._spooled + len(self._recent)

    def __iter__(self) -> Iterator[TruthEntry]:
        """Every entry, oldest first, read from disk a page at a time."""
        recent = self._recent  # as of now: a later spool replaces the list, not this one
        spooled = self._spooled
        if spooled:
            yield from (e for e in self._spooled_after(0, None, None) if e.seq <= spooled)
        yield from recent

    @property
    def in_memory(self) -> int:
        """How many entries are held as objects (the rest are on disk)."""
        return len(self._recent)

    def close(self) -> None:
        """Drop the spool (its file goes with it). The log must not be used after."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def select(
        self,
        *,
        after: int = 0,
        account: str | None = None,
        kind: TruthKind | None = None,
        limit: int | None = None,
    ) -> list[TruthEntry]:
        """Entries with ``seq > after``, optionally of one account and kind, oldest first."""
        chosen: list[TruthEntry] = []
        after = max(after, 0)
        if after < self._spooled:
            for entry in self._spooled_after(after, account, kind):
                chosen.append(entry)
                if limit is not None and len(chosen) >= limit:
                    return chosen
        for entry in self._recent[max(after - self._spooled, 0) :]:
            if (account is None or entry.account == account) and (
                kind is None or entry.kind is kind
            ):
                chosen.append(entry)
                if limit is not None and len(chosen) >= limit:
                    break
        return chosen

    def _spool(self) -> None:
        """Move the older half of the in-memory entries to disk in one transaction."""
        db = self._db
        if db is None:
            db = self._db = sqlite3.connect("", check_same_thread=False)
            db.execute(
                "CREATE TABLE truth (seq INTEGER PRIMARY KEY, ts REAL NOT NULL,"
                " kind TEXT NOT NULL, account TEXT NOT NULL, record TEXT NOT NULL)"
            )
        moving = len(self._recent) // 2
        batch, self._recent = self._recent[:moving], self._recent[moving:]
        with db:
            db.executemany(
                "INSERT INTO truth VALUES (?, ?, ?, ?, ?)",
                [(e.seq, e.ts, str(e.kind), e.account, json.dumps(e.record)) for e in batch],
            )
        self._spooled += moving

    def _spooled_after(
        self, after: int, account: str | None, kind: TruthKind | None
    ) -> Iterator[TruthEntry]:
        """The spooled entries after ``after`` that match, a page at a time."""
        db = self._db
        assert db is not None, "entries were spooled"
        where, params = ["seq > ?"], list[object]([after])
        if account is not None:
            where.append("account = ?")
            params.append(account)
        if kind is not None:
            where.append("kind = ?")
            params.append(str(kind))
        query = f"SELECT seq, ts, kind, account, record FROM truth WHERE {' AND '.join(where)}"  # noqa: S608 - fixed clauses, placeholders
        while True:
            rows = db.execute(f"{query} ORDER BY seq LIMIT {_PAGE}", params).fetchall()
            for seq, ts, kind_text, account_name, record in rows:
                yield TruthEntry(
                    seq,
                    ts,
                    TruthKind(kind_text),
                    account_name,
                    cast(TruthRecord, json.loads(record)),
                )
            if len(rows) < _PAGE:
                return
            params[0] = rows[-1][0]
