"""Persistence: the SQLite ledger and the actor that is its only writer.

- :class:`PersistenceActor` handles ``Record`` messages: one transaction each,
  ``Recorded`` / ``RecordFailed`` to the sender, ``Halt`` on failure; and
  ``LimitLedgerSize`` (a size cap: the chaos harness's "disk full");
- :class:`Ledger` is the file: :meth:`Ledger.open` for the writer (WAL,
  ``synchronous=FULL``, migrations), :meth:`Ledger.open_read_only` for readers
  such as ``warden report``, and the read API (orders, fills, positions, ...);
- what a new incarnation reads at start: open reservations, recorded fills and
  events for risk (with its checkpoint: :class:`LedgerFills`, the fills after a
  :class:`FillMark` and the checkpoint file beside the ledger); for execution's
  reconciliation, :func:`reconcile_basis` (the
  venue's clock when the last reconciliation began listing, recorded with it as
  a :data:`VENUE_POINT_AUDIT` audit event, and the orders the ledger holds open);
- the records it returns and the errors it adds to the
  :class:`~actors.errors.LedgerError` branch.

Money is exact (since schema version 3): every price, count, fee and amount is
stored as fixed-point TEXT and read back as the ``Decimal`` it was written as.
Baskets (schema version 4): a reservation is stored with its event and legs,
execution's :class:`~actors.messages.BasketProgress` steps are appended, and
each order knows its leg and role. An older file is migrated by the writer's
open, or refused naming the row that cannot be converted exactly.

Actors write through :class:`actors.ledger_client.LedgerClient` (request ids,
timeouts, ``Down`` of persistence, retry schedule), never by hand.
"""

from actors.persistence._actor import LedgerSizeLimited, LimitLedgerSize, PersistenceActor
from actors.persistence._basis import (
    VENUE_POINT_AUDIT,
    ReconcileBasis,
    reconcile_basis,
    venue_point_audit,
)
from actors.persistence._checkpoint import CHECKPOINT_SUFFIX, LedgerFills, checkpoint_path
from actors.persistence._codec import EVENT_KINDS, decode_event, encode_event
from actors.persistence._errors import FillMarkMismatch, LedgerConflictError, LedgerSchemaError
from actors.persistence._halts import TRANSIENT_HALT_SOURCES, standing_halt
from actors.persistence._ledger import Ledger, utc_day
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
from actors.persistence._recovery import (
    open_reservations,
    reconciled_point,
    recorded_events,
    recorded_fill_rows,
    recorded_fills,
)
from actors.persistence._schema import MIGRATIONS, SCHEMA_VERSION, Migration
from actors.persistence._status import PersistenceStatus

__all__ = [
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
