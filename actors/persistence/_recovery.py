"""What a new risk incarnation reads from the ledger at start: the reservations a
previous incarnation (or process) left open, the fills recorded so far, and the
events its reservations were made in.

A reservation lives in risk's memory; the ledger has its last recorded state.
When risk restarts (alone, with everything after persistence, or with the
whole process), whatever the ledger still shows held or in doubt belonged to
an incarnation that is gone: risk reads it here at start and releases it once
execution's start-up reconciliation has cancelled every resting order and
recorded every fill (see :class:`actors.risk.RiskActor`).
"""

from __future__ import annotations

from pathlib import Path

from actors.domain import Event, FillRow
from actors.messages import Reservation, ReservationState
from actors.persistence._ledger import Ledger
from actors.persistence._records import FillRecord


def open_reservations(path: Path) -> tuple[Reservation, ...]:
    """Every reservation whose last recorded state is held or in doubt (with its legs:
    counts, prices and amounts exact ``Decimal``, as recorded); none if the ledger does not
    exist yet. Raises :class:`~actors.errors.LedgerError` when the
    ledger exists but cannot be read (callers fail closed)."""
    if not path.exists():
        return ()
    with Ledger.open_read_only(path) as ledger:
        return tuple(
            record.reservation
            for record in ledger.reservations()
            if record.reservation.state is not ReservationState.RELEASED
        )


def recorded_fills(path: Path) -> tuple[FillRecord, ...]:
    """Every fill in the ledger, in the order recorded, each with the time it was
    recorded (its price, count, fee and payout exact ``Decimal``, as recorded);
    none if the ledger does not exist yet. A new risk incarnation books
    them to rebuild its positions and the day's realised P&L (so a restart never
    resets the daily loss limit). Raises :class:`~actors.errors.LedgerError` when
    the ledger exists but cannot be read (callers fail closed)."""
    if not path.exists():
        return ()
    with Ledger.open_read_only(path) as ledger:
        return ledger.fills()


def recorded_fill_rows(path: Path) -> tuple[FillRow, ...]:
    """:func:`recorded_fills` as plain values (:meth:`Ledger.fill_rows`: each fill's
    fields, then the time it was recorded), without an object per fill: what a new
    risk incarnation books at start (``RiskActor(recorded_fill_rows=...)``). None if
    the ledger does not exist yet. Raises :class:`~actors.errors.LedgerError` when
    the ledger exists but cannot be read, or a row is not a valid fill (naming it)."""
    if not path.exists():
        return ()
    with Ledger.open_read_only(path) as ledger:
        return ledger.fill_rows()


def recorded_events(path: Path) -> tuple[Event, ...]:
    """The event definitions the ledger's reservations were made in, to seed risk's
    event map: per market, the latest recorded definition that names it (a
    reservation's event is rewritten with each of its states, so latest is by
    last update). Each event once, the oldest first, so adding them in order
    leaves the latest definition of every market in place. None if the ledger
    does not exist yet. Raises :class:`~actors.errors.LedgerError` when the
    ledger exists but cannot be read (callers fail closed)."""
    if not path.exists():
        return ()
    with Ledger.open_read_only(path) as ledger:
        records = ledger.reservations()
    claimed: set[str] = set()
    latest: list[Event] = []
    for record in reversed(records):
        event = record.reservation.event
        unclaimed = set(event.markets) - claimed
        if unclaimed and event not in latest:
            latest.append(event)
        claimed |= unclaimed
    return tuple(reversed(latest))


def reconciled_point(path: Path) -> float | None:
    """When the ledger at ``path`` last recorded a completed venue reconciliation
    (:meth:`Ledger.last_reconciled_at`, Unix seconds on the *writer's* clock), or
    None (no ledger yet, or never reconciled). Not where reconciliation lists from:
    the writer's clock may be skewed from the venue's; that is
    :func:`~actors.persistence.reconcile_basis`'s venue point. Raises
    :class:`~actors.errors.LedgerError` when the ledger exists but cannot be read."""
    if not path.exists():
        return None
    with Ledger.open_read_only(path) as ledger:
        return ledger.last_reconciled_at()
