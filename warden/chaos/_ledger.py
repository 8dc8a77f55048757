"""The ledger after the daemon stopped, as typed rows the checkers read (:class:`LedgerRows`).

Orders, fills, positions and audit come through the ledger's read API
(:meth:`~actors.persistence.Ledger.open_read_only`, which refuses a file whose
schema is not this build's). The basket rows of schema v4 -- each reservation
with its event columns, its legs (``reservation_legs``), the append-only
``basket_progress`` and each order's ``leg``/``role`` -- are read with SQL, as
stored, on a read-only connection of the same file: the harness judges what
the daemon wrote, column by column, not what a decoder makes of it.

Money is exact: every stored amount is canonical fixed-point TEXT, read with
:func:`~warden.chaos._history.fixed_point` into a ``Decimal`` (dollars for
prices and amounts, contracts for counts). A row of the wrong shape (a NULL
where a value belongs, a number where TEXT belongs, JSON that is not a list
of fixed-point strings) raises :class:`~actors.errors.LedgerError`, like an
unreadable file: the ledger is then ``None`` and every checker that needs it
answers ``unknown``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from decimal import Decimal
from pathlib import Path

import attrs
from attrs import frozen

from actors.errors import LedgerError
from actors.persistence import Ledger
from supervision.decimal_json import FIXED_POINT

#: longest stored decimal read (a ledger-sized amount is far shorter)
_MAX_TEXT = 40


@frozen(kw_only=True)
class LedgerOrder:
    """An order intent in the ledger (times: the daemon's clock). ``leg``/``role``
    (``entry``/``complete``/``unwind``) are ``None`` for an order of no basket leg."""

    client_order_id: str
    opportunity_id: str | None
    ticker: str
    side: str
    action: str
    price: Decimal
    count: Decimal
    state: str
    filled_count: Decimal
    venue_order_id: str | None
    created_at: float
    updated_at: float
    leg: int | None = None
    role: str | None = None


@frozen(kw_only=True)
class LedgerFill:
    fill_id: str
    client_order_id: str
    ticker: str
    side: str
    action: str
    price: Decimal
    count: Decimal
    fee: Decimal
    recorded_at: float


@frozen(kw_only=True)
class LedgerPosition:
    ticker: str
    yes_count: Decimal
    no_count: Decimal
    cash: Decimal
    payout: Decimal


@frozen(kw_only=True)
class LedgerReservation:
    """A ``reservations`` row of schema v4: risk's hold on one basket (times: the
    daemon's clock). ``outcome`` is ``None`` until it is released."""

    reservation_id: str
    event_ticker: str
    event_markets: tuple[str, ...]
    exclusive: bool
    purpose: str
    amount: Decimal
    complete_within_s: float
    max_complete_attempts: int
    owner_epoch: int | None
    state: str
    outcome: str | None
    detail: str
    created_at: float
    updated_at: float


@frozen(kw_only=True)
class LedgerLeg:
    """A ``reservation_legs`` row: one leg of a reservation. ``held`` and ``missing``
    (contracts) are set when a release carries them; a leg with ``missing`` > 0 is
    one the release names short."""

    reservation_id: str
    leg: int
    ticker: str
    side: str
    action: str
    price: Decimal
    max_price: Decimal
    count: Decimal
    amount: Decimal
    payout: Decimal
    client_order_id: str
    held: Decimal | None
    missing: Decimal | None


@frozen(kw_only=True)
class LedgerProgress:
    """A ``basket_progress`` row: a step execution recorded (``at``: the daemon's clock)."""

    id: int
    reservation_id: str
    phase: str
    attempt: int
    deadline_at: float | None
    held: tuple[Decimal, ...]
    outcome: str | None
    detail: str
    at: float


@frozen(kw_only=True)
class LedgerAudit:
    id: int
    kind: str
    detail: str
    source: str
    at: float


@frozen(kw_only=True)
class LedgerRows:
    """The ledger after the daemon stopped, as the checkers read it (witnesses carry
    rows as ``attrs.asdict``). Prices, fees, cash, payouts and amounts are
    ``Decimal`` dollars; counts ``Decimal`` contracts. ``legs`` are by reservation
    and leg index, ``progress`` in the order written."""

    orders: tuple[LedgerOrder, ...] = ()
    fills: tuple[LedgerFill, ...] = ()
    positions: tuple[LedgerPosition, ...] = ()
    reservations: tuple[LedgerReservation, ...] = ()
    legs: tuple[LedgerLeg, ...] = ()
    progress: tuple[LedgerProgress, ...] = ()
    audit: tuple[LedgerAudit, ...] = ()

    def legs_of(self, reservation_id: str) -> tuple[LedgerLeg, ...]:
        """The legs of one reservation, by index."""
        return tuple(leg for leg in self.legs if leg.reservation_id == reservation_id)

    def orders_of(self, reservation_id: str) -> tuple[LedgerOrder, ...]:
        """The order intents recorded for one reservation (``opportunity_id``)."""
        return tuple(order for order in self.orders if order.opportunity_id == reservation_id)


class _BadRow(ValueError):
    """A stored value of the wrong shape (turned into a ``LedgerError``)."""


def _text(row: sqlite3.Row, column: str) -> str:
    value = row[column]
    if not isinstance(value, str):
        raise _BadRow(f"{column} must be TEXT, got {value!r}")
    return value


def _optional_text(row: sqlite3.Row, column: str) -> str | None:
    return None if row[column] is None else _text(row, column)


def _decimal(value: object, column: str) -> Decimal:
    if not isinstance(value, str) or len(value) > _MAX_TEXT or not FIXED_POINT.fullmatch(value):
        raise _BadRow(f"{column} must be a fixed-point decimal TEXT, got {value!r}")
    return Decimal(value)


def _amount(row: sqlite3.Row, column: str) -> Decimal:
    return _decimal(row[column], column)


def _optional_amount(row: sqlite3.Row, column: str) -> Decimal | None:
    return None if row[column] is None else _amount(row, column)


def _int(row: sqlite3.Row, column: str) -> int:
    value = row[column]
    if type(value) is not int:
        raise _BadRow(f"{column} must be an INTEGER, got {value!r}")
    return value


def _optional_int(row: sqlite3.Row, column: str) -> int | None:
    return None if row[column] is None else _int(row, column)


def _real(row: sqlite3.Row, column: str) -> float:
    value = row[column]
    if type(value) not in (int, float):
        raise _BadRow(f"{column} must be a REAL, got {value!r}")
    return float(value)


def _optional_real(row: sqlite3.Row, column: str) -> float | None:
    return None if row[column] is None else _real(row, column)


def _json_list(row: sqlite3.Row, column: str) -> list[object]:
    try:
        value = json.loads(_text(row, column))
    except ValueError as error:
        raise _BadRow(f"{column} is not JSON: {error}") from error
    if not isinstance(value, list):
        raise _BadRow(f"{column} must be a JSON array, got {value!r}")
    return value


def _reservation(row: sqlite3.Row) -> LedgerReservation:
    markets = _json_list(row, "event_markets")
    if not all(isinstance(ticker, str) for ticker in markets):
        raise _BadRow(f"event_markets must hold tickers, got {markets!r}")
    exclusive = _int(row, "exclusive")
    if exclusive not in (0, 1):
        raise _BadRow(f"exclusive must be 0 or 1, got {exclusive!r}")
    return LedgerReservation(
        reservation_id=_text(row, "reservation_id"),
        event_ticker=_text(row, "event_ticker"),
        event_markets=tuple(str(ticker) for ticker in markets),
        exclusive=exclusive == 1,
        purpose=_text(row, "purpose"),
        amount=_amount(row, "amount"),
        complete_within_s=_real(row, "complete_within_s"),
        max_complete_attempts=_int(row, "max_complete_attempts"),
        owner_epoch=_optional_int(row, "owner_epoch"),
        state=_text(row, "state"),
        outcome=_optional_text(row, "outcome"),
        detail=_text(row, "detail"),
        created_at=_real(row, "created_at"),
        updated_at=_real(row, "updated_at"),
    )


def _leg(row: sqlite3.Row) -> LedgerLeg:
    return LedgerLeg(
        reservation_id=_text(row, "reservation_id"),
        leg=_int(row, "leg"),
        ticker=_text(row, "ticker"),
        side=_text(row, "side"),
        action=_text(row, "action"),
        price=_amount(row, "price"),
        max_price=_amount(row, "max_price"),
        count=_amount(row, "count"),
        amount=_amount(row, "amount"),
        payout=_amount(row, "payout"),
        client_order_id=_text(row, "client_order_id"),
        held=_optional_amount(row, "held"),
        missing=_optional_amount(row, "missing"),
    )


def _progress(row: sqlite3.Row) -> LedgerProgress:
    held = _json_list(row, "held")
    return LedgerProgress(
        id=_int(row, "id"),
        reservation_id=_text(row, "reservation_id"),
        phase=_text(row, "phase"),
        attempt=_int(row, "attempt"),
        deadline_at=_optional_real(row, "deadline_at"),
        held=tuple(_decimal(count, "held") for count in held),
        outcome=_optional_text(row, "outcome"),
        detail=_text(row, "detail"),
        at=_real(row, "at"),
    )


@frozen(kw_only=True)
class _BasketRows:
    reservations: tuple[LedgerReservation, ...]
    legs: tuple[LedgerLeg, ...]
    progress: tuple[LedgerProgress, ...]
    #: client order id -> (leg, role) of every order that has them
    order_legs: dict[str, tuple[int | None, str | None]]


@contextmanager
def _read_only(db: Path) -> Iterator[sqlite3.Connection]:
    uri = f"{db.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, isolation_level=None, timeout=1.0)) as conn:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only = ON")
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")


def _basket_rows(db: Path) -> _BasketRows:
    """The v4 basket rows, as stored. Raises :class:`LedgerError`."""
    try:
        with _read_only(db) as conn:
            reservations = conn.execute(
                "SELECT * FROM reservations ORDER BY updated_at, rowid"
            ).fetchall()
            legs = conn.execute(
                "SELECT * FROM reservation_legs ORDER BY reservation_id, leg"
            ).fetchall()
            progress = conn.execute("SELECT * FROM basket_progress ORDER BY id").fetchall()
            orders = conn.execute("SELECT client_order_id, leg, role FROM orders").fetchall()
        return _BasketRows(
            reservations=tuple(_reservation(row) for row in reservations),
            legs=tuple(_leg(row) for row in legs),
            progress=tuple(_progress(row) for row in progress),
            order_legs={
                _text(row, "client_order_id"): (
                    _optional_int(row, "leg"),
                    _optional_text(row, "role"),
                )
                for row in orders
            },
        )
    except (sqlite3.Error, _BadRow) as error:
        raise LedgerError(
            f"cannot read the basket rows of {db}: {error}", operation="read"
        ) from error


def read_ledger(db: Path) -> LedgerRows:
    """The ledger's orders (with their leg and role), fills, positions, reservations,
    legs, basket progress and audit.

    Read-only; the daemon has stopped, so nothing writes between the two reads.
    Raises :class:`~actors.errors.LedgerError` (an unreadable file, a schema not
    this build's, a row of the wrong shape).
    """
    with Ledger.open_read_only(db) as ledger, ledger.consistent_view():
        orders = tuple(
            LedgerOrder(
                client_order_id=r.client_order_id,
                opportunity_id=r.opportunity_id,
                ticker=r.order.intent.ticker,
                side=r.order.intent.side.value,
                action=r.order.intent.action.value,
                price=r.order.intent.price,
                count=r.order.intent.count,
                state=r.order.state.value,
                filled_count=r.order.filled_count,
                venue_order_id=r.order.venue_order_id,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
            for r in ledger.orders()
        )
        fills = tuple(
            LedgerFill(
                fill_id=r.fill.fill_id,
                client_order_id=r.fill.client_order_id,
                ticker=r.fill.ticker,
                side=r.fill.side.value,
                action=r.fill.action.value,
                price=r.fill.price,
                count=r.fill.count,
                fee=r.fill.fee,
                recorded_at=r.recorded_at,
            )
            for r in ledger.fills()
        )
        positions = tuple(
            LedgerPosition(
                ticker=p.ticker,
                yes_count=p.yes_count,
                no_count=p.no_count,
                cash=p.cash,
                payout=p.payout,
            )
            for p in ledger.positions()
        )
        audit = tuple(
            LedgerAudit(id=a.id, kind=a.kind, detail=a.detail, source=a.source, at=a.at)
            for a in ledger.audit()
        )
    baskets = _basket_rows(db)
    orders = tuple(_with_leg(order, baskets.order_legs) for order in orders)
    return LedgerRows(
        orders=orders,
        fills=fills,
        positions=positions,
        reservations=baskets.reservations,
        legs=baskets.legs,
        progress=baskets.progress,
        audit=audit,
    )


def _with_leg(order: LedgerOrder, legs: dict[str, tuple[int | None, str | None]]) -> LedgerOrder:
    leg, role = legs.get(order.client_order_id, (None, None))
    return attrs.evolve(order, leg=leg, role=role)
