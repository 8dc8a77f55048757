"""Rows of the ledger tables to read-side records, through the strict codec.

Each function takes a ``sqlite3.Row`` and raises
:class:`~actors.errors.LedgerSerializationError` naming the column if the row
does not make a valid domain value (a hand-edited or corrupted file). Amounts
are stored as exact fixed-point TEXT (:mod:`actors.persistence._decimals`) and
come back as ``Decimal``; a number where that text belongs is refused.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from actors.domain import Fill, Order, OrderRole
from actors.errors import LedgerSerializationError
from actors.messages import BasketProgress, Reservation
from actors.persistence._codec import FILL_FIELDS, structure_row
from actors.persistence._decimals import from_text
from actors.persistence._records import (
    AuditRecord,
    BasketProgressRecord,
    DailyStats,
    FillRecord,
    OrderRecord,
    ReservationRecord,
)

INTENT_COLUMNS = ("client_order_id", "ticker", "side", "action", "price", "count", "payout")
FILL_COLUMNS = FILL_FIELDS
LEG_COLUMNS = (
    "ticker",
    "side",
    "action",
    "price",
    "max_price",
    "count",
    "amount",
    "payout",
    "client_order_id",
)
"""A leg's content as recorded once (``reservation_legs`` besides its key and
``held``/``missing``)."""

RESERVATIONS_WITH_LEGS = (
    "SELECT r.*, l.leg AS leg_index, "  # noqa: S608 - fixed names
    + ", ".join(f"l.{name} AS leg_{name}" for name in (*LEG_COLUMNS, "held", "missing"))
    + " FROM reservations AS r LEFT JOIN reservation_legs AS l"
    " ON l.reservation_id = r.reservation_id"
)
"""Each reservation row once per leg (``leg_*`` columns); add WHERE / ORDER BY, keeping
a reservation's rows together and in leg order."""


def order_of(row: sqlite3.Row, *, operation: str) -> Order:
    columns = {
        "intent": {name: row[name] for name in INTENT_COLUMNS},
        "state": row["state"],
        "filled_count": row["filled_count"],
        "venue_order_id": row["venue_order_id"],
    }
    return structure_row(columns, Order, operation=operation)


def order_record(row: sqlite3.Row, *, operation: str) -> OrderRecord:
    role = row["role"]
    try:
        leg_role = None if role is None else OrderRole(role)
    except ValueError:
        raise LedgerSerializationError(
            f"not an order role: {role!r}", operation=operation, field="role"
        ) from None
    leg = row["leg"]
    if leg is not None and type(leg) is not int:
        raise LedgerSerializationError(
            f"not a leg index: {leg!r}", operation=operation, field="leg"
        )
    return OrderRecord(
        order=order_of(row, operation=operation),
        opportunity_id=row["opportunity_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        leg=leg,
        role=leg_role,
    )


def fill_record(row: sqlite3.Row, *, operation: str) -> FillRecord:
    fill = structure_row({name: row[name] for name in FILL_COLUMNS}, Fill, operation=operation)
    return FillRecord(fill=fill, recorded_at=row["recorded_at"])


def reservation_record(rows: Sequence[sqlite3.Row], *, operation: str) -> ReservationRecord:
    """One reservation from its :data:`RESERVATIONS_WITH_LEGS` rows (one per leg, in leg
    order; one row of NULL legs if it has none, which is refused).

    The event's payout is its legs' (the ledger stores it per leg); ``held`` is
    every leg's or none; ``missing`` the legs with a short, in leg order.
    """
    row = rows[0]
    legs = [leg for leg in rows if leg["leg_index"] is not None]
    if not legs:
        raise LedgerSerializationError(
            f"reservation {row['reservation_id']!r} has no legs", operation=operation, field="legs"
        )
    payouts = {leg["leg_payout"] for leg in legs}
    if len(payouts) > 1:
        raise LedgerSerializationError(
            f"reservation {row['reservation_id']!r}: its legs disagree on the payout"
            f" {sorted(payouts)}",
            operation=operation,
            field="legs.payout",
        )
    held = [leg["leg_held"] for leg in legs if leg["leg_held"] is not None]
    if held and len(held) != len(legs):
        raise LedgerSerializationError(
            f"reservation {row['reservation_id']!r}: held is recorded for"
            f" {len(held)} of {len(legs)} legs",
            operation=operation,
            field="legs.held",
        )
    columns: dict[str, Any] = {
        "reservation_id": row["reservation_id"],
        "event": {
            "event_ticker": row["event_ticker"],
            "markets": _json_list(row, "event_markets", operation=operation),
            "exclusive": {0: False, 1: True}.get(row["exclusive"], row["exclusive"]),
            "payout": next(iter(payouts), None),
        },
        "purpose": row["purpose"],
        "legs": [
            {"index": leg["leg_index"], **{name: leg[f"leg_{name}"] for name in LEG_COLUMNS}}
            for leg in legs
        ],
        "amount": row["amount"],
        "complete_within_s": row["complete_within_s"],
        "max_complete_attempts": row["max_complete_attempts"],
        "owner_epoch": row["owner_epoch"],
        "state": row["state"],
        "outcome": row["outcome"],
        "held": held,
        "missing": [
            {
                "index": leg["leg_index"],
                "ticker": leg["leg_ticker"],
                "side": leg["leg_side"],
                "short": leg["leg_missing"],
                "client_order_id": leg["leg_client_order_id"],
            }
            for leg in legs
            if leg["leg_missing"] is not None
        ],
        "detail": row["detail"],
    }
    reservation = structure_row(columns, Reservation, operation=operation)
    return ReservationRecord(reservation=reservation, updated_at=row["updated_at"])


def basket_progress_record(row: sqlite3.Row, *, operation: str) -> BasketProgressRecord:
    columns = {
        "reservation_id": row["reservation_id"],
        "phase": row["phase"],
        "attempt": row["attempt"],
        "deadline_at": row["deadline_at"],
        "held": _json_list(row, "held", operation=operation),
        "outcome": row["outcome"],
        "detail": row["detail"],
    }
    progress = structure_row(columns, BasketProgress, operation=operation)
    return BasketProgressRecord(id=row["id"], progress=progress, at=row["at"])


def _json_list(row: sqlite3.Row, column: str, *, operation: str) -> list[object]:
    try:
        value = json.loads(row[column])
    except (TypeError, ValueError):
        value = None
    if not isinstance(value, list):
        raise LedgerSerializationError(
            f"not a JSON array: {row[column]!r}", operation=operation, field=column
        )
    return value


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
