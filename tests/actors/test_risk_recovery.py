"""Reservations a previous risk incarnation left open in the ledger are released
once execution has reconciled with the venue -- never before, never forgotten."""

from __future__ import annotations

import time
from decimal import Decimal as D
from pathlib import Path

from actors.messages import (
    Reconciled,
    Reservation,
    ReservationChanged,
    ReservationState,
)
from actors.persistence import Ledger, open_reservations
from actors.risk import Rejected, RejectReason, ReservationsStatus
from tests.actors.risk_harness import RiskHarness, risk_tree
from tests.supervision.conftest import eventually

HELD = Reservation("opp-old-1", "KX-A", D(10), D("0.40"), D("0.55"), D("9.85"), owner_epoch=3)
IN_DOUBT = Reservation(
    "opp-old-2", "KX-B", D(5), D("0.30"), D("0.60"), D("4.70"), 2, ReservationState.IN_DOUBT
)


def _released(risk: RiskHarness) -> list[Reservation]:
    return [r for r in risk.recorded_reservations() if r.state is ReservationState.RELEASED]


def test_open_reservations_are_those_the_ledger_shows_held_or_in_doubt(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    assert open_reservations(db) == ()  # no ledger yet
    done = Reservation(
        "opp-done", "KX-C", D(1), D("0.10"), D("0.10"), D("0.20"), 1, ReservationState.RELEASED
    )
    with Ledger.open(db, wall=time.time) as ledger:
        ledger.write("r1", tuple(ReservationChanged(r) for r in (HELD, IN_DOUBT, done)))
    assert sorted(open_reservations(db), key=lambda r: r.reservation_id) == [HELD, IN_DOUBT]


def test_leftovers_are_released_at_the_first_successful_reconciliation_and_not_before() -> None:
    with risk_tree(open_reservations=lambda: (HELD, IN_DOUBT)) as risk:
        assert risk.summary().recovered_pending == ("opp-old-1", "opp-old-2")
        refused = risk.reserve("opp-new")  # not reconciled: nothing trades meanwhile
        assert isinstance(refused, Rejected)
        assert refused.reason is RejectReason.NOT_RECONCILED
        risk.ask(Reconciled(ok=False, detail="venue: unreachable"))
        assert risk.summary().recovered_pending == ("opp-old-1", "opp-old-2")
        assert _released(risk) == []

        risk.reconcile()

        assert risk.summary().recovered_pending == ()
        eventually(lambda: len(_released(risk)) == 2)
        assert sorted(r.reservation_id for r in _released(risk)) == ["opp-old-1", "opp-old-2"]
        assert risk.summary().counts.recovered_released == 2
        assert risk.summary().reservations == ReservationsStatus(held=(), in_doubt=())


def test_risk_starts_halted_when_the_leftovers_cannot_be_read() -> None:
    def unreadable() -> tuple[Reservation, ...]:
        raise OSError("disk on fire")

    with risk_tree(open_reservations=unreadable) as risk:
        risk.reconcile()
        refused = risk.reserve("opp-1")
        assert isinstance(refused, Rejected)
        assert refused.reason is RejectReason.HALTED
        assert "open reservations unknown: disk on fire" in str(risk.summary().halt_reason)
