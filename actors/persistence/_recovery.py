"""Reservations a previous risk incarnation (or process) left open in the ledger.

A reservation lives in risk's memory; the ledger has its last recorded state.
When risk restarts (alone, with everything after persistence, or with the
whole process), whatever the ledger still shows held or in doubt belonged to
an incarnation that is gone: risk reads it here at start and releases it once
execution's start-up reconciliation has cancelled every resting order and
recorded every fill (see :class:`actors.risk.RiskActor`).
"""

from __future__ import annotations

from pathlib import Path

from actors.messages import Reservation, ReservationState
from actors.persistence._ledger import Ledger


def open_reservations(path: Path) -> tuple[Reservation, ...]:
    """Every reservation whose last recorded state is held or in doubt; none if the
    ledger does not exist yet. Raises :class:`~actors.errors.LedgerError` when the
    ledger exists but cannot be read (callers fail closed)."""
    if not path.exists():
        return ()
    with Ledger.open_read_only(path) as ledger:
        return tuple(
            record.reservation
            for record in ledger.reservations()
            if record.reservation.state is not ReservationState.RELEASED
        )
