"""Rows of the ledger tables to read-side records, through the strict codec.

Each function takes a ``sqlite3.Row`` and raises
:class:`~actors.errors.LedgerSerializationError` naming the column if the row
does not make a valid domain value (a hand-edited or corrupted file). Amounts
are stored as exact fixed-point TEXT (:mod:`actors.persistence._decimals`) and
come back as ``Decimal``; a number where that text belongs is refused.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from actors.domain import Fill, Order
from actors.errors import LedgerSerializationError
from actors.messages import Reservation
from actors.persistence._codec import structure_row
from actors.persistence._decimals import from_text
from actors.persistence._records import (
    AuditRecord,
    DailyStats,
    FillRecord,
    OrderRecord,
    ReservationRecord,
)

INTENT_COLUMNS = ("client_order_id", "ticker", "side", "action", "price", "count", "payout")
FILL_COLUMNS = (
    "fill_id",
    "client_order_id",
    "ticker",
    "side",
    "action",
    "price",
    "count",
    "fee",
    "payout",
)
RESERVATION_COLUMNS = (
    "reservation_id",
    "ticker",
    "count",
    "yes_price",
    "no_price",
    "amount",
    "owner_epoch",
    "state",
)


def order_of(row: sqlite3.Row, *, operation: str) -> Order:
    columns = {
        "intent": {name: row[name] for name in INTENT_COLUMNS},
        "state": row["state"],
        "filled_count": row["filled_count"],
        "venue_order_id": row["venue_order_id"],
    }
    return structure_row(columns, Order, operation=operation)


def order_record(row: sqlite3.Row, *, operation: str) -> OrderRecord:
    return OrderRecord(
        order=order_of(row, operation=operation),
        opportunity_id=row["opportunity_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def fill_record(row: sqlite3.Row, *, operation: str) -> FillRecord:
    fill = structure_row({name: row[name] for name in FILL_COLUMNS}, Fill, operation=operation)
    return FillRecord(fill=fill, recorded_at=row["recorded_at"])


def reservation_record(row: sqlite3.Row, *, operation: str) -> ReservationRecord:
    reservation = structure_row(
        {name: row[name] for name in RESERVATION_COLUMNS}, Reservation, operation=operation
    )
    return ReservationRecord(reservation=reservation, updated_at=row["updated_at"])


def audit_record(row: sqlite3.Row) -> AuditRecord:
    return AuditRecord(
        id=row["id"], kind=row["kind"], detail=row["detail"], source=row["source"], at=row["at"]
    )


def stored_amount(row: sqlite3.Row, column: str, *, operation: str) -> Decimal:
    """The exact value of a decimal TEXT column; raises
    :class:`LedgerSerializationError` naming it if it holds anything else."""
    try:
        return from_text(row[column])
    except ValueError as error:
        raise LedgerSerializationError(str(error), operation=operation, field=column) from None


def daily_stats(row: sqlite3.Row, *, operation: str = "read daily_stats") -> DailyStats:
    return DailyStats(
        row["day"],
        records=row["records"],
        orders_recorded=row["orders_recorded"],
        orders_expired=row["orders_expired"],
        fills=row["fills"],
        contracts=stored_amount(row, "contracts", operation=operation),
        fees=stored_amount(row, "fees", operation=operation),
        cash_flow=stored_amount(row, "cash_flow", operation=operation),
        audit_events=row["audit_events"],
    )
