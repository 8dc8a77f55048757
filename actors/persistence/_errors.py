"""The ledger's own branches of :class:`~actors.errors.LedgerError`.

They extend the tree drawn in :mod:`actors.errors`::

    LedgerError                      persistence failed; trading halts (fail closed)
     ├── LedgerWriteError            a transaction could not commit (disk full, read-only, busy)
     ├── LedgerSerializationError    an event could not be encoded or a row decoded; names it
     ├── LedgerConflictError         an event contradicts what the ledger holds; names id and field
     └── LedgerSchemaError           the file's schema is not one this code can open

and one that is not a failure of the ledger: :class:`FillMarkMismatch`, a mark of
its fills (a checkpoint's) that does not describe it.

Every one of them rolls the whole transaction back: nothing of the failed
``Record`` is written.
"""

from __future__ import annotations

from pathlib import Path

from actors.errors import LedgerError


class LedgerConflictError(LedgerError):
    """An event contradicts the ledger: a client order id recorded again with other
    content, a fill id reused for another fill, an update to an unknown order, a
    filled count that would decrease, a state change the order machine forbids,
    or a reservation's legs recorded again with other content (or a leg's id
    owned by another reservation).

    ``key`` is the id concerned and ``field`` the column that conflicts
    (``legs[1].count`` for a leg).
    """

    def __init__(self, message: str, *, operation: str, key: str, field: str) -> None:
        super().__init__(f"{message} (id {key!r}, field {field!r})", operation=operation)
        self.key = key
        self.field = field


class LedgerSchemaError(LedgerError):
    """The ledger file at ``path`` has schema version ``found``; this code knows
    versions up to ``supported``. A newer file is refused (never downgraded); a
    read-only open also refuses an older file, which only the writer may migrate.
    """

    def __init__(self, message: str, *, path: Path, found: int, supported: int) -> None:
        super().__init__(
            f"{path}: {message} (schema version {found}, this build supports {supported})",
            operation="open",
        )
        self.path = path
        self.found = found
        self.supported = supported


class FillMarkMismatch(Exception):
    """A :class:`~actors.persistence.FillMark` does not describe this ledger's fills
    (another ledger's, or this one rewritten since it was taken). The ledger is fine:
    the caller reads every fill instead of those after the mark."""
