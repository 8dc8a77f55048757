"""Lock release from actor lifecycle: a reservation whose execution incarnation dies is
in doubt until the venue says none of its orders can still be live."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D

import pytest

from actors.domain import Position, Side
from actors.messages import (
    CancelAll,
    ExecutionReady,
    ExecutionReport,
    Halt,
    InDoubtResolved,
    Outcome,
    Reconciled,
    Record,
    Reservation,
    ReservationChanged,
    ReservationState,
    ResolveInDoubt,
)
from actors.risk import PositionView, Rejected, RejectReason, RiskLimits
from supervision import Down, DownReason
from tests.actors.risk_harness import (
    AMOUNT_10_AT_40_55,
    RiskHarness,
    fill,
    risk_tree,
)
from tests.supervision.conftest import eventually

LIMITS = RiskLimits(
    max_market_exposure=D("100000.00"),
    max_total_exposure=AMOUNT_10_AT_40_55 * 2,
    max_concurrent_markets=100,
    max_daily_loss=D("100000.00"),
    max_reservations_per_market=1_000,
)


@pytest.fixture
def risk() -> Iterator[RiskHarness]:
    with risk_tree(LIMITS) as harness:
        harness.reconcile()
        yield harness


def _in_doubt(risk: RiskHarness) -> dict[str, int | None]:
    return {r.id: r.owner_epoch for r in risk.summary().reservations.in_doubt}


def _held(risk: RiskHarness) -> list[str]:
    return [r.id for r in risk.summary().reservations.held]


def _resolve_requests(risk: RiskHarness, epoch: int) -> list[str]:
    return [m.reservation.reservation_id for m in risk.execution.of(ResolveInDoubt, epoch)]


def test_down_moves_owned_reservations_to_in_doubt_until_in_doubt_resolved(
    risk: RiskHarness,
) -> None:
    assert isinstance(risk.reserve("opp-a"), Reservation)
    assert isinstance(risk.reserve("opp-b", ticker="KX-B"), Reservation)

    new_epoch = risk.crash_execution()

    assert new_epoch == 2
    assert _held(risk) == []
    assert _in_doubt(risk) == {"opp-a": 2, "opp-b": 2}  # now owned by the new incarnation
    eventually(lambda: sorted(_resolve_requests(risk, 2)) == ["opp-a", "opp-b"])
    in_doubt_records = [
        e.reservation
        for r in risk.persistence.of(Record)
        for e in r.events
        if isinstance(e, ReservationChanged) and e.reservation.state is ReservationState.IN_DOUBT
    ]
    assert {r.reservation_id for r in in_doubt_records} >= {"opp-a", "opp-b"}

    # nothing else releases them: reports of other ids, their own id, or time passing
    risk.ask(ExecutionReport("opp-other", Outcome.NONE))
    risk.ask(ExecutionReport("opp-a", Outcome.NONE))
    risk.clock.advance(7 * 24 * 3600)
    assert _in_doubt(risk) == {"opp-a": 2, "opp-b": 2}
    # and they still count: the total limit is full
    rejected = risk.reserve("opp-c", ticker="KX-C")
    assert isinstance(rejected, Rejected)
    assert rejected.reason is RejectReason.TOTAL_EXPOSURE

    risk.ask(InDoubtResolved("opp-a", (fill("opp-a", Side.YES, D(10), D("0.40"), fee=D("0.17")),)))

    assert _in_doubt(risk) == {"opp-b": 2}
    summary = risk.summary()
    assert summary.positions["KX-A"] == PositionView(yes=D(10), no=D(0), cash=D("-4.17"))
    assert summary.exposure.by_market == {"KX-A": D("4.17"), "KX-B": AMOUNT_10_AT_40_55}
    risk.ask(InDoubtResolved("opp-b"))
    assert _in_doubt(risk) == {}
    assert isinstance(risk.reserve("opp-c", ticker="KX-C"), Reservation)


def test_each_new_incarnation_is_asked_again_and_a_second_down_re_marks_them(
    risk: RiskHarness,
) -> None:
    risk.reserve("opp-a")
    assert risk.crash_execution() == 2
    eventually(lambda: _resolve_requests(risk, 2) == ["opp-a"])

    assert risk.crash_execution() == 3  # died before answering

    assert _in_doubt(risk) == {"opp-a": 3}
    eventually(lambda: _resolve_requests(risk, 3) == ["opp-a"])
    marked = risk.summary().counts.marked_in_doubt
    assert marked == 2


def test_execution_ready_re_sends_resolve_in_doubt_for_every_unresolved_reservation(
    risk: RiskHarness,
) -> None:
    risk.reserve("opp-a")
    risk.crash_execution()
    risk.ask(ExecutionReady())

    eventually(lambda: len(_resolve_requests(risk, 2)) == 2)
    assert _resolve_requests(risk, 2) == ["opp-a", "opp-a"]
    risk.ask(InDoubtResolved("opp-a"))
    risk.ask(InDoubtResolved("opp-a"))  # the second answer to the same question is harmless
    assert _in_doubt(risk) == {}
    assert risk.summary().counts.resolutions_not_in_doubt == 1


def test_a_down_of_an_older_incarnation_leaves_newer_reservations_held(
    risk: RiskHarness,
) -> None:
    risk.crash_execution()
    assert isinstance(risk.reserve("opp-a"), Reservation)

    risk.ask(Down("execution", 1, DownReason.CRASH))  # late news of the first incarnation

    assert _held(risk) == ["opp-a"]
    assert _in_doubt(risk) == {}


def test_in_doubt_resolved_does_not_release_a_held_reservation(risk: RiskHarness) -> None:
    risk.reserve("opp-a")
    risk.ask(InDoubtResolved("opp-a"))
    assert _held(risk) == ["opp-a"]
    risk.ask(ExecutionReport("opp-a", Outcome.NONE))
    assert _held(risk) == []


def test_fills_reported_twice_for_an_in_doubt_reservation_are_booked_once(
    risk: RiskHarness,
) -> None:
    risk.reserve("opp-a")
    risk.crash_execution()
    fills = (
        fill("opp-a", Side.YES, D(10), D("0.40"), fee=D("0.17")),
        fill("opp-a", Side.NO, D(4), D("0.55"), fee=D("0.07")),
    )
    risk.ask(ExecutionReport("opp-a", Outcome.PARTIAL, fills))
    risk.ask(InDoubtResolved("opp-a", fills))

    summary = risk.summary()
    assert summary.positions["KX-A"] == PositionView(
        yes=D(10), no=D(4), cash=D("-4.17") - D("2.27")
    )
    assert summary.counts.duplicate_fills == 2
    assert summary.reservations.in_doubt == ()


def test_a_new_incarnation_of_execution_hears_cancel_all_again_while_halted(
    risk: RiskHarness,
) -> None:
    risk.ask(Halt("kill switch", "cli"))
    eventually(lambda: risk.execution.of(CancelAll, 1))

    epoch = risk.crash_execution()

    eventually(lambda: risk.execution.of(CancelAll, epoch) == [CancelAll("kill switch")])


def test_a_reconciliation_while_reservations_are_in_doubt_does_not_count_their_fills_twice(
    risk: RiskHarness,
) -> None:
    risk.reserve("opp-a")
    risk.crash_execution()
    yes_fill = fill("opp-a", Side.YES, D(10), D("0.40"), fee=D("0.17"))
    venue_view = Position("KX-A", yes_count=D(10), cash=D("-4.17"))  # already holds opp-a's fill

    risk.ask(Reconciled(ok=True, positions=(venue_view,)))
    summary = risk.summary()
    assert summary.positions == {}  # risk's books kept: the fill comes with the resolution
    assert summary.counts.reconciled_position_mismatches == 1

    risk.ask(InDoubtResolved("opp-a", (yes_fill,)))
    risk.ask(Reconciled(ok=True, positions=(venue_view,)))

    summary = risk.summary()
    assert summary.positions == {"KX-A": PositionView(yes=D(10), no=D(0), cash=D("-4.17"))}
    assert summary.exposure.by_market == {"KX-A": D("4.17")}
    assert summary.counts.reconciled_position_mismatches == 1
