"""How each ledger event changes the tables. Called inside the Record's transaction.

The rules, per event (a broken rule raises :class:`LedgerConflictError` naming
the id and the field; the caller rolls the whole Record back):

- ``IntentRecorded``: inserts the order in state NEW with its reservation id,
  leg and role. The same client order id with the same content is a no-op
  (counted as a duplicate); with other content it is a conflict.
- ``OrderUpdated``: the order must exist, and the update goes through the
  domain's state machine, :meth:`~actors.domain.Order.advance`: ``filled_count``
  never decreases; the state stays or moves along
  :data:`~actors.domain.TRANSITIONS`; a venue order id, once known, never
  changes (``None`` keeps it); the result must be a consistent
  :class:`~actors.domain.Order`. A broken rule becomes a conflict naming the
  field the domain named. An update that changes nothing is a no-op. A
  terminal order may still be corrected upward in ``filled_count`` with the
  same state: a venue can report a fill that raced the cancel.
- ``FillRecorded``: inserts the fill; the same fill id with the same content is
  a no-op (so reconciliation can re-import venue fills), with other content a
  conflict.
- ``ReservationChanged``: upsert of the reservation row, states only moving
  forward (held -> in_doubt -> released: a late HELD never overwrites a later
  state); its legs are inserted once: the same legs again are a no-op, other
  legs (another count, price, id, ... or another number of legs) a conflict
  naming the leg, and a leg's ENTRY id used by another reservation's leg is a
  conflict too. A RELEASED state that carries ``held``/``missing`` writes them
  on the legs. A ``held`` that is not one value per leg, or a ``missing`` leg
  that is not one of its legs (same ticker, side and id, in leg order), or a
  leg whose payout is not the event's cannot be stored faithfully and raises
  :class:`~actors.errors.LedgerSerializationError` naming it.
- ``BasketProgress``: appended.
- ``AuditEvent``: appended.
- ``VenueReconciled``: every non-terminal order not among the ids at the venue is
  finished by its recorded fills (FILLED, CANCELED) or, with none,
  becomes EXPIRED.
- ``IntentsAbandoned``: each listed order still NEW becomes EXPIRED (never sent);
  unknown ids are ignored.

Amounts are written as canonical fixed-point TEXT
(:mod:`actors.persistence._decimals`: one spelling per value), so "the same
content" is a comparison of the stored text; the day's totals are summed as
``Decimal`` under :data:`actors.money.EXACT` (nothing rounds).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from decimal import Decimal, localcontext

import attrs

from actors.domain import Action, Fill, OrderState, Side
from actors.errors import DomainError, LedgerSerializationError
from actors.messages import (
    AuditEvent,
    BasketProgress,
    FillRecorded,
    IntentRecorded,
    IntentsAbandoned,
    LedgerEvent,
    OrderUpdated,
    Reservation,
    ReservationChanged,
    ReservationState,
    VenueReconciled,
)
from actors.money import EXACT
from actors.persistence._decimals import COUNT_PLACES, DOLLAR_PLACES, to_text
from actors.persistence._errors import LedgerConflictError
from actors.persistence._rows import FILL_COLUMNS, INTENT_COLUMNS, LEG_COLUMNS, order_of

OPEN_STATES = tuple(state.value for state in OrderState if not state.is_terminal)
"""The stored states of an order not yet finished."""


@attrs.define
class Tally:
    """What one transaction changed; becomes the day's statistics and the WriteResult."""

    orders_recorded: int = 0
    orders_expired: int = 0
    fills: int = 0
    contracts: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    cash_flow: Decimal = Decimal(0)
    audit_events: int = 0
    duplicates: int = 0


def apply_event(
    conn: sqlite3.Connection, event: LedgerEvent, *, at: float, operation: str, tally: Tally
) -> bool:
    """Write ``event``'s change (see the module docstring) stamped ``at``; False if it
    changed nothing (an intent or fill the ledger already has, an order update that
    changes nothing), True otherwise."""
    if isinstance(event, IntentRecorded):
        return _record_intent(conn, event, at, operation, tally)
    if isinstance(event, OrderUpdated):
        return _update_order(conn, event, at, operation)
    if isinstance(event, FillRecorded):
        return _record_fill(conn, event, at, operation, tally)
    if isinstance(event, ReservationChanged):
        _upsert_reservation(conn, event, at, operation)
    elif isinstance(event, BasketProgress):
        _append_progress(conn, event, at)
    elif isinstance(event, AuditEvent):
        conn.execute(
            "INSERT INTO audit (kind, detail, source, at) VALUES (?, ?, ?, ?)",
            (event.kind, event.detail, event.source, at),
        )
        tally.audit_events += 1
    elif isinstance(event, IntentsAbandoned):
        tally.orders_expired += _expire_abandoned(conn, event, at)
    else:
        tally.orders_expired += _expire_missing(conn, event, at)
    return True


def _dollars(value: Decimal) -> str:
    return to_text(value, DOLLAR_PLACES)


def _contracts(value: Decimal) -> str:
    return to_text(value, COUNT_PLACES)


def _first_difference(names: Sequence[str], stored: Sequence[object], new: Sequence[object]) -> str:
    return next(name for name, a, b in zip(names, stored, new, strict=True) if a != b)


def _record_intent(
    conn: sqlite3.Connection, event: IntentRecorded, at: float, operation: str, tally: Tally
) -> bool:
    intent = event.intent
    new = (
        intent.client_order_id,
        intent.ticker,
        intent.side.value,
        intent.action.value,
        _dollars(intent.price),
        _contracts(intent.count),
        _dollars(intent.payout),
        event.opportunity_id,
        event.leg,
        event.role.value,
    )
    names = (*INTENT_COLUMNS, "opportunity_id", "leg", "role")
    # Inserted unless the id is there already (one statement for a new intent, the
    # order path's case); only then is what is stored read and compared.
    inserted = conn.execute(
        f"INSERT INTO orders ({', '.join(names)}, state, filled_count, created_at, updated_at)"  # noqa: S608 - fixed names, placeholders
        f" VALUES ({', '.join('?' * len(names))}, ?, '0.00', ?, ?)"
        " ON CONFLICT (client_order_id) DO NOTHING",
        (*new, OrderState.NEW.value, at, at),
    )
    if inserted.rowcount == 1:
        tally.orders_recorded += 1
        return True
    stored = conn.execute(
        f"SELECT {', '.join(names)} FROM orders WHERE client_order_id = ?",  # noqa: S608 - fixed column names
        (intent.client_order_id,),
    ).fetchone()
    if tuple(stored) == new:
        tally.duplicates += 1
        return False
    field = _first_difference(names, tuple(stored), new)
    raise LedgerConflictError(
        f"intent recorded again with other content: {field} was {stored[field]!r},"
        f" now {new[names.index(field)]!r}",
        operation=operation,
        key=intent.client_order_id,
        field=field,
    )


def _update_order(conn: sqlite3.Connection, event: OrderUpdated, at: float, operation: str) -> bool:
    key = event.client_order_id
    row = conn.execute("SELECT * FROM orders WHERE client_order_id = ?", (key,)).fetchone()
    if row is None:
        raise LedgerConflictError(
            "update for an order with no recorded intent",
            operation=operation,
            key=key,
            field="client_order_id",
        )
    current = order_of(row, operation=operation)

    try:
        updated = current.advance(event.state, event.filled_count, event.venue_order_id)
    except DomainError as error:
        raise LedgerConflictError(
            str(error), operation=operation, key=key, field=error.field
        ) from error
    if updated == current:
        return False
    conn.execute(
        "UPDATE orders SET state = ?, filled_count = ?, venue_order_id = ?, updated_at = ?"
        " WHERE client_order_id = ?",
        (
            updated.state.value,
            _contracts(updated.filled_count),
            updated.venue_order_id,
            at,
            key,
        ),
    )
    return True


def _as_its_order_states_it(conn: sqlite3.Connection, fill: Fill) -> Fill:
    """``fill`` stated as its order's intent (side, action): a venue that reports only
    the outcome a fill is long says "bought NO at 0.40" for our "sold YES at 0.60"
    (:meth:`~actors.domain.Fill.as_direction`). A fill of an unknown order, or one
    that is neither statement of its order, is kept as given (the checks that
    follow decide about it)."""
    row = conn.execute(
        "SELECT side, action FROM orders WHERE client_order_id = ?", (fill.client_order_id,)
    ).fetchone()
    if row is None:
        return fill
    side, action = Side(row[0]), Action(row[1])
    if (fill.side, fill.action) == (side, action) or fill.side is side or fill.action is action:
        return fill
    return fill.as_direction(side, action)


def _record_fill(
    conn: sqlite3.Connection, event: FillRecorded, at: float, operation: str, tally: Tally
) -> bool:
    fill = _as_its_order_states_it(conn, event.fill)
    new = (
        fill.fill_id,
        fill.client_order_id,
        fill.ticker,
        fill.side.value,
        fill.action.value,
        _dollars(fill.price),
        _contracts(fill.count),
        _dollars(fill.fee),
        _dollars(fill.payout),
    )
    stored = conn.execute(
        f"SELECT {', '.join(FILL_COLUMNS)} FROM fills WHERE fill_id = ?",  # noqa: S608 - fixed column names
        (fill.fill_id,),
    ).fetchone()
    if stored is not None:
        if tuple(stored) == new:
            tally.duplicates += 1
            return False
        field = _first_difference(FILL_COLUMNS, tuple(stored), new)
        raise LedgerConflictError(
            f"fill id reused for another fill: {field} was {stored[field]!r},"
            f" now {new[FILL_COLUMNS.index(field)]!r}",
            operation=operation,
            key=fill.fill_id,
            field=field,
        )
    conn.execute(
        f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}, recorded_at)"  # noqa: S608 - fixed column names
        f" VALUES ({', '.join('?' * len(FILL_COLUMNS))}, ?)",
        (*new, at),
    )
    tally.fills += 1
    with localcontext(EXACT):
        notional = fill.price * fill.count
        tally.contracts += fill.count
        tally.fees += fill.fee
        tally.cash_flow += (notional if fill.action is Action.SELL else -notional) - fill.fee
    return True


def _state_rank(column: str) -> str:
    """SQL ranking a reservation state by its order in :class:`ReservationState`."""
    cases = " ".join(f"WHEN '{s.value}' THEN {i}" for i, s in enumerate(ReservationState))
    return f"(CASE {column} {cases} END)"


_RESERVATION_COLUMNS = (
    "reservation_id",
    "event_ticker",
    "event_markets",
    "exclusive",
    "purpose",
    "amount",
    "complete_within_s",
    "max_complete_attempts",
    "owner_epoch",
    "state",
    "outcome",
    "detail",
    "updated_at",
)
_UPSERT_RESERVATION = (
    f"INSERT INTO reservations ({', '.join(_RESERVATION_COLUMNS)}, created_at)"  # noqa: S608 - fixed names, ranks from the enum
    f" VALUES ({', '.join('?' * len(_RESERVATION_COLUMNS))}, ?)"
    " ON CONFLICT (reservation_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _RESERVATION_COLUMNS[1:])
    + f" WHERE {_state_rank('excluded.state')} >= {_state_rank('reservations.state')}"
)


def _upsert_reservation(
    conn: sqlite3.Connection, event: ReservationChanged, at: float, operation: str
) -> None:
    """Insert or update; states only move forward (held -> in_doubt -> released), so a
    late commit of an older state (execution's HELD after risk's RELEASED) is a no-op.
    Then the legs (see the module docstring)."""
    r = event.reservation
    _check_faithful(r, operation)
    conn.execute(
        _UPSERT_RESERVATION,
        (
            r.reservation_id,
            r.event.event_ticker,
            json.dumps(list(r.event.markets)),
            int(r.event.exclusive),
            r.purpose.value,
            _dollars(r.amount),
            r.complete_within_s,
            r.max_complete_attempts,
            r.owner_epoch,
            r.state.value,
            None if r.outcome is None else r.outcome.value,
            r.detail,
            at,
            at,
        ),
    )
    _insert_legs(conn, r, operation)
    if r.state is ReservationState.RELEASED and (r.held or r.missing):
        shorts = {missing.index: _contracts(missing.short) for missing in r.missing}
        for leg in r.legs:
            conn.execute(
                "UPDATE reservation_legs SET held = ?, missing = ?"
                " WHERE reservation_id = ? AND leg = ?",
                (
                    _contracts(r.held[leg.index]) if r.held else None,
                    shorts.get(leg.index),
                    r.reservation_id,
                    leg.index,
                ),
            )


def _check_faithful(r: Reservation, operation: str) -> None:
    """Refuse what the tables cannot give back unchanged (see the module docstring)."""

    def refuse(field: str, reason: str) -> None:
        raise LedgerSerializationError(
            f"reservation {r.reservation_id!r}: {reason}: the ledger cannot store it faithfully",
            operation=operation,
            field=f"reservation.{field}",
        )

    for leg in r.legs:
        if leg.payout != r.event.payout:
            refuse(f"legs[{leg.index}].payout", f"{leg.payout} is not the event's {r.event.payout}")
    if r.held and len(r.held) != len(r.legs):
        refuse("held", f"{len(r.held)} values for {len(r.legs)} legs")
    after = -1
    for position, missing in enumerate(r.missing):
        if not after < missing.index < len(r.legs):
            refuse(f"missing[{position}].index", f"{missing.index} is not a later leg")
        leg = r.legs[missing.index]
        for name in ("ticker", "side", "client_order_id"):
            if getattr(missing, name) != getattr(leg, name):
                refuse(f"missing[{position}].{name}", f"not leg {leg.index}'s")
        after = missing.index


def _insert_legs(conn: sqlite3.Connection, r: Reservation, operation: str) -> None:
    """Insert the legs the first time; later the same legs are a no-op, other legs a
    :class:`LedgerConflictError` naming the leg (``legs[i].column``)."""
    rid = r.reservation_id
    stored = {
        row["leg"]: row
        for row in conn.execute(
            f"SELECT leg, {', '.join(LEG_COLUMNS)} FROM reservation_legs"  # noqa: S608 - fixed names
            " WHERE reservation_id = ?",
            (rid,),
        )
    }
    if stored and len(stored) != len(r.legs):
        raise LedgerConflictError(
            f"reservation recorded again with {len(r.legs)} legs, it has {len(stored)}",
            operation=operation,
            key=rid,
            field="legs",
        )
    fresh: list[tuple[object, ...]] = []
    for leg in r.legs:
        new = (
            leg.ticker,
            leg.side.value,
            leg.action.value,
            _dollars(leg.price),
            _dollars(leg.max_price),
            _contracts(leg.count),
            _dollars(leg.amount),
            _dollars(leg.payout),
            leg.client_order_id,
        )
        row = stored.get(leg.index)
        if row is not None:
            old = tuple(row[name] for name in LEG_COLUMNS)
            if old != new:
                column = _first_difference(LEG_COLUMNS, old, new)
                raise LedgerConflictError(
                    f"leg {leg.index} recorded again with other content: {column} was"
                    f" {row[column]!r}, now {new[LEG_COLUMNS.index(column)]!r}",
                    operation=operation,
                    key=rid,
                    field=f"legs[{leg.index}].{column}",
                )
            continue
        fresh.append((rid, leg.index, *new))
    if not fresh:
        return
    marks = f"(?, ?, {', '.join('?' * len(LEG_COLUMNS))})"
    try:  # all the new legs in one statement; a leg id owned elsewhere breaks UNIQUE
        conn.execute(
            f"INSERT INTO reservation_legs (reservation_id, leg, {', '.join(LEG_COLUMNS)})"  # noqa: S608 - fixed names, placeholders
            f" VALUES {', '.join([marks] * len(fresh))}",
            [value for row in fresh for value in row],
        )
    except sqlite3.IntegrityError:
        _owned_elsewhere(conn, r, operation)
        raise  # not an id owned elsewhere: the caller reports SQLite's error


def _owned_elsewhere(conn: sqlite3.Connection, r: Reservation, operation: str) -> None:
    """Raise :class:`LedgerConflictError` for the first leg of ``r`` whose client order id
    is already another reservation's leg (after a failed insert of its legs)."""
    for leg in r.legs:
        owner = conn.execute(
            "SELECT reservation_id, leg FROM reservation_legs WHERE client_order_id = ?",
            (leg.client_order_id,),
        ).fetchone()
        if owner is not None and owner["reservation_id"] != r.reservation_id:
            raise LedgerConflictError(
                f"leg {leg.index}'s client order id {leg.client_order_id!r} is already leg"
                f" {owner['leg']} of reservation {owner['reservation_id']!r}",
                operation=operation,
                key=r.reservation_id,
                field=f"legs[{leg.index}].client_order_id",
            )


def _append_progress(conn: sqlite3.Connection, event: BasketProgress, at: float) -> None:
    conn.execute(
        "INSERT INTO basket_progress (reservation_id, phase, attempt, deadline_at, held,"
        " outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event.reservation_id,
            event.phase.value,
            event.attempt,
            event.deadline_at,
            json.dumps([_contracts(held) for held in event.held]),
            None if event.outcome is None else event.outcome.value,
            event.detail,
            at,
        ),
    )


def _expire_abandoned(conn: sqlite3.Connection, event: IntentsAbandoned, at: float) -> int:
    cursor = conn.execute(
        "UPDATE orders SET state = ?, updated_at = ?"
        " WHERE state = ? AND client_order_id IN (SELECT value FROM json_each(?))",
        (
            OrderState.EXPIRED.value,
            at,
            OrderState.NEW.value,
            json.dumps(list(event.client_order_ids)),
        ),
    )
    return cursor.rowcount


def _expire_missing(conn: sqlite3.Connection, event: VenueReconciled, at: float) -> int:
    """Finish every non-terminal order the venue did not list: FILLED if the ledger
    holds fills for all of it, CANCELED if for part of it (a venue that lists only
    open orders, Polymarket, lists no finished one: the fills say what it did),
    EXPIRED (never sent) if for none. Returns how many expired."""
    rows = conn.execute(
        "SELECT client_order_id, count FROM orders"  # noqa: S608 - placeholders only
        f" WHERE state IN ({', '.join('?' * len(OPEN_STATES))})"
        " AND client_order_id NOT IN (SELECT value FROM json_each(?))",
        (*OPEN_STATES, json.dumps(list(event.client_order_ids_at_venue))),
    ).fetchall()
    expired = 0
    for client_order_id, count in rows:
        fills = conn.execute(
            "SELECT count FROM fills WHERE client_order_id = ?", (client_order_id,)
        ).fetchall()
        with localcontext(EXACT):
            filled = sum((Decimal(text) for (text,) in fills), Decimal(0))
        if not filled:
            state, expired = OrderState.EXPIRED, expired + 1
        elif filled >= Decimal(count):
            state, filled = OrderState.FILLED, Decimal(count)
        else:
            state = OrderState.CANCELED
        conn.execute(
            "UPDATE orders SET state = ?, filled_count = ?, updated_at = ?"
            " WHERE client_order_id = ?",
            (state.value, _contracts(filled), at, client_order_id),
        )
    return expired
