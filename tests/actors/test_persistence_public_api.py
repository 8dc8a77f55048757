"""The public front of :mod:`actors.persistence` and where its errors sit."""

from __future__ import annotations

import actors.persistence
from actors.errors import LedgerError
from actors.persistence import LedgerConflictError, LedgerSchemaError


def test_the_persistence_package_exports_exactly_its_front() -> None:
    assert sorted(actors.persistence.__all__) == sorted(
        [
            "CHECKPOINT_SUFFIX",
            "EVENT_KINDS",
            "MIGRATIONS",
            "SCHEMA_VERSION",
            "TRANSIENT_HALT_SOURCES",
            "VENUE_POINT_AUDIT",
            "AuditRecord",
            "BasketProgressRecord",
            "DailyStats",
            "FillMark",
            "FillMarkMismatch",
            "FillRecord",
            "Ledger",
            "LedgerConflictError",
            "LedgerFills",
            "LedgerSchemaError",
            "LedgerSizeLimited",
            "LimitLedgerSize",
            "Migration",
            "OrderRecord",
            "PersistenceActor",
            "PersistenceStatus",
            "ReconcileBasis",
            "ReservationRecord",
            "WriteResult",
            "checkpoint_path",
            "decode_event",
            "encode_event",
            "open_reservations",
            "reconcile_basis",
            "reconciled_point",
            "recorded_events",
            "recorded_fill_rows",
            "recorded_fills",
            "standing_halt",
            "utc_day",
            "venue_point_audit",
        ]
    )
    assert all(hasattr(actors.persistence, name) for name in actors.persistence.__all__)


def test_the_ledger_errors_are_ledger_errors_drawn_in_the_docstring() -> None:
    for error in (LedgerConflictError, LedgerSchemaError):
        assert issubclass(error, LedgerError)
        assert error.__name__ in (actors.persistence._errors.__doc__ or "")
