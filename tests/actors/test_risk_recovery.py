"""Reservations a previous risk incarnation left open in the ledger are settled and
released once execution has reconciled with the venue -- never before, never forgotten."""

from __future__ import annotations

import time
from decimal import Decimal as D
from pathlib import Path

import attrs

from actors.domain import Fill, Side
from actors.messages import (
    MissingLeg,
    Outcome,
    Reconciled,
    Reservation,
    ReservationChanged,
    ReservationState,
)
from actors.persistence import Ledger, open_reservations
from actors.risk import Rejected, RejectReason, ReservationsStatus
from tests.actors.risk_harness import RiskHarness, fill, reservation, risk_tree
from tests.supervision.conftest import eventually

HELD = reservation("opp-old-1", "KX-A", owner_epoch=3)
IN_DOUBT = reservation(
    "opp-old-2",
    "KX-B",
    D("0.30"),
    D("0.60"),
    D(5),
    owner_epoch=2,
    state=ReservationState.IN_DOUBT,
)


def _released(risk: RiskHarness) -> list[Reservation]:
    return [r for r in risk.recorded_reservations() if r.state is ReservationState.RELEASED]


def test_open_reservations_are_those_the_ledger_shows_held_or_in_doubt(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    assert open_reservations(db) == ()  # no ledger yet
    done = reservation(
        "opp-done",
        "KX-C",
        D("0.10"),
        D("0.10"),
        D(1),
        owner_epoch=1,
        state=ReservationState.RELEASED,
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
        # nothing of theirs filled: released as NONE, held nothing, nothing missing
        assert {(r.outcome, r.held, r.missing) for r in _released(risk)} == {
            (Outcome.NONE, (D(0), D(0)), ())
        }
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


def test_a_leftover_is_settled_from_the_ledgers_and_the_venues_fills_naming_its_short_leg() -> None:
    """The ledger recorded the YES entry (6 of 10); the venue lists a NO fill (4) made
    while no one listened: the leftover is released UNHEDGED, NO short by 2; another
    leftover both of whose legs filled in full is FILLED; the fills of orders it does
    not own are ignored."""
    recorded = [
        (fill("opp-old-1", Side.YES, D(6), D("0.40")), 1.0),
        (fill("opp-old-2", Side.YES, D(5), D("0.30"), ticker="KX-B"), 1.0),
        (fill("someone-else", Side.NO, D(9), D("0.50")), 1.0),
    ]
    venue: tuple[Fill, ...] = (
        fill("opp-old-1", Side.NO, D(4), D("0.55")),
        fill("opp-old-2", Side.NO, D(5), D("0.60"), ticker="KX-B"),
    )
    with risk_tree(
        open_reservations=lambda: (HELD, IN_DOUBT), recorded_fills=lambda: list(recorded)
    ) as risk:
        risk.ask(Reconciled(ok=True, fills=venue))

        eventually(lambda: len(_released(risk)) == 2)
        released = {r.reservation_id: r for r in _released(risk)}
        unhedged = released["opp-old-1"]
        assert unhedged == attrs.evolve(
            HELD,
            state=ReservationState.RELEASED,
            outcome=Outcome.UNHEDGED,
            held=(D(6), D(4)),
            missing=(MissingLeg(1, "KX-A", Side.NO, D(2), HELD.legs[1].client_order_id),),
            detail="left by a previous incarnation; venue reconciled",
        )
        filled = released["opp-old-2"]
        assert (filled.outcome, filled.held, filled.missing) == (
            Outcome.FILLED,
            (D(5), D(5)),
            (),
        )
