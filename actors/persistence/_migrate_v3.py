"""Schema version 3's data step: integer cents and counts become exact fixed-point TEXT.

Runs inside :func:`~actors.persistence._schema.migrate`'s one transaction, after
version 3's statements renamed the old tables to ``*_v2`` and created the new
ones. Every row is carried over with

- a price, fee, amount, payout or money total in integer cents -> dollars with
  4 decimals (``40`` -> ``"0.4000"``, ``-81`` -> ``"-0.8100"``);
- a contract count -> 2 decimals (``2`` -> ``"2.00"``);
- ``_cents`` columns and JSON keys renamed (``fee_cents`` -> ``fee``);

and every stored event payload is rewritten the same way. Both conversions are
exact for any integer. A value that is not an integer (SQLite keeps whatever was
written: ``40.5``, ``'abc'``, ``NULL``), a payload that is not the JSON the old
encoder wrote, or a row the new CHECKs refuse raises :class:`Unmigratable`
naming the table, the row and the column: the whole transaction is rolled back,
the file stays as it was, and the message says what the operator can do.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeGuard

from actors.money import EXACT
from actors.persistence._decimals import COUNT_PLACES, DOLLAR_PLACES, to_text

WHAT_TO_DO = (
    "Nothing was changed. To go on, either correct or delete that row with the sqlite3"
    " shell and start again, or move the file aside (keep it: it records what was"
    " traded) and start with a new ledger."
)


class Unmigratable(Exception):
    """Data that cannot be carried forward exactly; the message names the table, the
    row, the column and what to do."""


Convert = Callable[[object], str]


def _is_int(value: object) -> TypeGuard[int]:
    return type(value) is int


def dollars(cents: object) -> str:
    """Integer cents as canonical dollars (4 decimals); ``TypeError`` for a non-int."""
    if not _is_int(cents):
        raise TypeError("is not a whole number of cents")
    return to_text(EXACT.scaleb(Decimal(cents), -2), DOLLAR_PLACES)


def contracts(count: object) -> str:
    """An integer count as canonical contracts (2 decimals); ``TypeError`` for a non-int."""
    if not _is_int(count):
        raise TypeError("is not a whole number of contracts")
    return to_text(Decimal(count), COUNT_PLACES)


def _kept(value: object) -> object:
    return value


# Per table: the key column (named in errors), then each old column -> (new column, conversion).
_TABLES: dict[str, tuple[str, dict[str, tuple[str, Callable[[object], object]]]]] = {
    "orders": (
        "client_order_id",
        {
            "client_order_id": ("client_order_id", _kept),
            "opportunity_id": ("opportunity_id", _kept),
            "ticker": ("ticker", _kept),
            "side": ("side", _kept),
            "action": ("action", _kept),
            "price": ("price", dollars),
            "count": ("count", contracts),
            "payout_cents": ("payout", dollars),
            "state": ("state", _kept),
            "filled_count": ("filled_count", contracts),
            "venue_order_id": ("venue_order_id", _kept),
            "created_at": ("created_at", _kept),
            "updated_at": ("updated_at", _kept),
        },
    ),
    "fills": (
        "fill_id",
        {
            "fill_id": ("fill_id", _kept),
            "client_order_id": ("client_order_id", _kept),
            "ticker": ("ticker", _kept),
            "side": ("side", _kept),
            "action": ("action", _kept),
            "price": ("price", dollars),
            "count": ("count", contracts),
            "fee_cents": ("fee", dollars),
            "payout_cents": ("payout", dollars),
            "recorded_at": ("recorded_at", _kept),
        },
    ),
    "reservations": (
        "reservation_id",
        {
            "reservation_id": ("reservation_id", _kept),
            "ticker": ("ticker", _kept),
            "count": ("count", contracts),
            "yes_price": ("yes_price", dollars),
            "no_price": ("no_price", dollars),
            "amount_cents": ("amount", dollars),
            "owner_epoch": ("owner_epoch", _kept),
            "state": ("state", _kept),
            "updated_at": ("updated_at", _kept),
        },
    ),
    "daily_stats": (
        "day",
        {
            "day": ("day", _kept),
            "records": ("records", _kept),
            "orders_recorded": ("orders_recorded", _kept),
            "orders_expired": ("orders_expired", _kept),
            "fills": ("fills", _kept),
            "contracts": ("contracts", contracts),
            "fees_cents": ("fees", dollars),
            "cash_flow_cents": ("cash_flow", dollars),
            "audit_events": ("audit_events", _kept),
        },
    ),
}

# Per stored event kind: the object holding the amounts (None: the payload itself),
# then each old key -> (new key, conversion). Kinds without amounts map to None.
_PAYLOADS: dict[str, tuple[str | None, dict[str, tuple[str, Convert]]] | None] = {
    "intent_recorded": (
        "intent",
        {
            "price": ("price", dollars),
            "count": ("count", contracts),
            "payout_cents": ("payout", dollars),
        },
    ),
    "order_updated": (None, {"filled_count": ("filled_count", contracts)}),
    "fill_recorded": (
        "fill",
        {
            "price": ("price", dollars),
            "count": ("count", contracts),
            "fee_cents": ("fee", dollars),
            "payout_cents": ("payout", dollars),
        },
    ),
    "reservation_changed": (
        "reservation",
        {
            "count": ("count", contracts),
            "yes_price": ("yes_price", dollars),
            "no_price": ("no_price", dollars),
            "amount_cents": ("amount", dollars),
        },
    ),
    "audit_event": None,
    "venue_reconciled": None,
    "intents_abandoned": None,
}


def convert(conn: sqlite3.Connection, _path: Path) -> None:
    """Copy every ``*_v2`` table into its new shape, rewrite the event payloads, drop
    the old tables. Raises :class:`Unmigratable` (see the module doc)."""
    for table, (key, columns) in _TABLES.items():
        _copy(conn, table, key, columns)
        conn.execute(f"DROP TABLE {table}_v2")
    rewrite_payloads(conn, convert_payload)


def _copy(
    conn: sqlite3.Connection,
    table: str,
    key: str,
    columns: Mapping[str, tuple[str, Callable[[object], object]]],
) -> None:
    names = ", ".join(new for new, _ in columns.values())
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - fixed names
    old = conn.execute(f"SELECT {', '.join(columns)} FROM {table}_v2 ORDER BY rowid")  # noqa: S608 - fixed names
    at = list(columns).index(key)
    for row in old.fetchall():
        where = f"table {table}, row {key}={row[at]!r}"
        values = []
        for (column, (_, conversion)), value in zip(columns.items(), row, strict=True):
            try:
                values.append(conversion(value))
            except TypeError as error:
                raise Unmigratable(
                    f"{where}: {column} = {value!r} ({type(value).__name__}) {error}. {WHAT_TO_DO}"
                ) from None
        try:
            conn.execute(insert, values)
        except sqlite3.IntegrityError as error:
            raise Unmigratable(
                f"{where}: the converted row is refused ({error}). {WHAT_TO_DO}"
            ) from None


def rewrite_payloads(
    conn: sqlite3.Connection, convert: Callable[[object, object], str | None]
) -> None:
    """Every stored event's payload through ``convert(kind, payload)`` (``None``: kept
    as it is). Raises :class:`Unmigratable` naming the event row for a payload that
    ``convert`` refuses (``TypeError``/``ValueError``)."""
    rows = conn.execute("SELECT id, record_id, position, kind, payload FROM events ORDER BY id")
    for event_id, record_id, position, kind, payload in rows.fetchall():
        where = f"table events, row id={event_id} (record {record_id}, position {position}, {kind})"
        try:
            new = convert(kind, payload)
        except (TypeError, ValueError) as error:
            raise Unmigratable(f"{where}: {error}. {WHAT_TO_DO}") from None
        if new is not None:
            conn.execute("UPDATE events SET payload = ? WHERE id = ?", (new, event_id))


def convert_payload(kind: object, payload: object) -> str | None:
    """The rewritten payload, or ``None`` if ``kind`` carries no amounts."""
    if not isinstance(kind, str) or kind not in _PAYLOADS:
        raise ValueError(f"unknown event kind {kind!r}")
    spec = _PAYLOADS[kind]
    if spec is None:
        return None
    if not isinstance(payload, str):
        raise TypeError(f"payload is {type(payload).__name__}, not JSON text")
    try:
        decoded: Any = json.loads(payload)  # Any: JSON of any shape, checked below
    except ValueError as error:
        raise ValueError(f"payload is not JSON ({error})") from None
    inner, keys = spec
    holder = (
        decoded if inner is None else (decoded.get(inner) if isinstance(decoded, dict) else None)
    )
    if not isinstance(decoded, dict) or not isinstance(holder, dict):
        raise TypeError(f"payload is not a {kind} object")
    for old, (new, conversion) in keys.items():
        if old in holder:
            value = holder.pop(old)
            try:
                holder[new] = conversion(value)
            except TypeError as error:
                path = old if inner is None else f"{inner}.{old}"
                raise TypeError(f"payload {path} = {value!r} {error}") from None
    return json.dumps(decoded, allow_nan=False, sort_keys=True)
