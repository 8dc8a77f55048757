"""Rows of the ledger tables to read-side records, through the strict codec.

Each function takes a ``sqlite3.Row`` and raises
:class:`~actors.errors.LedgerSerializationError` naming the column if the row
does not make a valid domain value (a hand-edited or corrupted file).
"""

from __future__ import annotations

import sqlite3

from actors.domain import Fill, Order
from actors.messages import Reservation
from actors.persistence._codec import structure_row
from actors.persistence._records import (
    AuditRecord,
    DailyStats,
    FillRecord,
    OrderRecord,
    ReservationRecord,
)

INTENT_COLUMNS = ("client_order_id", "ticker", "side", "action", "price", "count", "payout_cents")
FILL_COLUMNS = (
    "fill_id",
    "client_order_id",
    "ticker",
    "side",
    "action",
    "price",
    "count",
    "fee_cents",
    "payout_cents",
)
RESERVATION_COLUMNS = (
    "reservation_id",
    "ticker",
    "count",
    "yes_price",
    "no_price",
    "amount_cents",
    "owner_epoch",
    "state",
)
DAILY_COLUMNS = (
    "records",
    "orders_recorded",
    "orders_expired",
    "fills",
    "contracts",
    "fees_cents",
    "cash_flow_cents",
    "audit_events",
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


def daily_stats(row: sqlite3.Row) -> DailyStats:
    return DailyStats(row["day"], *(row[name] for name in DAILY_COLUMNS))
