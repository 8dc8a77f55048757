"""Which halt is still standing, read from the ledger's audit trail.

A halt must outlive the incarnation that took it: when risk restarts (alone,
or with everything after persistence), it asks this before it trades again.
"""

from __future__ import annotations

from pathlib import Path

from actors.persistence._ledger import Ledger

TRANSIENT_HALT_SOURCES = frozenset({"daemon"})
"""Halts that end with the process: the daemon halts risk while it shuts down."""


def standing_halt(path: Path) -> tuple[str, str] | None:
    """``(reason, source)`` of the halt in force per the audit trail, or ``None``.

    Audit entries are replayed in order: a ``halt`` (unless from a transient
    source) sets the halt, a ``resume`` clears it. A ledger that does not exist
    yet has no halt. Raises :class:`~actors.errors.LedgerError` when the ledger
    exists but cannot be read; callers should then fail closed (stay halted).
    """
    if not path.exists():
        return None
    with Ledger.open_read_only(path) as ledger:
        standing: tuple[str, str] | None = None
        for entry in ledger.audit():
            if entry.kind == "halt" and entry.source not in TRANSIENT_HALT_SOURCES:
                standing = (entry.detail, entry.source)
            elif entry.kind == "resume":
                standing = None
        return standing
