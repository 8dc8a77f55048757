"""What a stopping daemon waits for and what it reports, on synthetic snapshots."""

from __future__ import annotations

from actors.execution import ExecutionStatus
from actors.risk import RiskStatus
from supervision import ActorSnapshot
from tests.warden import statuses
from tests.warden.snapshot_nodes import node as _node
from tests.warden.snapshot_nodes import tree as _tree
from warden.shutdown import nothing_working, shutdown_report


def _running(execution: ExecutionStatus | None, risk: RiskStatus | None = None) -> ActorSnapshot:
    nodes = [_node("execution", execution)]
    if risk is not None:
        nodes.append(_node("risk", risk))
    return _tree(*nodes)


def test_a_reconciled_idle_execution_may_stop_and_says_so() -> None:
    snapshot = _running(statuses.execution(reconciled=True, reconcile_detail="ok"))
    assert nothing_working(snapshot)
    assert shutdown_report(snapshot) == ["known: no order in flight; reconciled with the venue"]


def test_a_venue_that_refused_reconciliation_is_not_waited_for_and_is_named_in_doubt() -> None:
    detail = "venue: ConnectError: all attempts to connect failed"
    snapshot = _running(statuses.execution(reconciled=False, reconcile_detail=detail))
    assert nothing_working(snapshot)
    (line,) = shutdown_report(snapshot)
    assert line.startswith(f"in doubt: never reconciled with the venue ({detail})")
    assert "still open" not in line


def test_a_first_reconciliation_still_running_is_waited_for() -> None:
    snapshot = _running(statuses.execution(reconciled=False, reconcile_detail=None))
    assert not nothing_working(snapshot)
    assert shutdown_report(snapshot) == ["in doubt: reconciliation with the venue had not finished"]


def test_orders_in_flight_are_waited_for_and_named() -> None:
    busy = statuses.execution(reconciled=True, in_flight={"opp-7": statuses.flight("placing")})
    risk = statuses.risk(
        reservations=statuses.reservations(
            held=(statuses.reservation("opp-7"),), in_doubt=(statuses.reservation("opp-3"),)
        )
    )
    snapshot = _running(busy, risk)
    assert not nothing_working(snapshot)
    assert shutdown_report(snapshot) == [
        "in doubt: reservation(s) still in flight: opp-7",
        "in doubt: reservation(s) open at risk: opp-3, opp-7 "
        "(released by the next start's reconciliation)",
    ]


def test_an_execution_that_is_not_running_stops_nothing_and_is_reported_unknown() -> None:
    snapshot = _tree(_node("execution", None, status="restarting"))
    assert nothing_working(snapshot)
    (line,) = shutdown_report(snapshot)
    assert line.startswith("in doubt: execution is restarting")


def test_an_execution_without_a_status_is_never_taken_as_idle() -> None:
    snapshot = _running(None)
    assert not nothing_working(snapshot)
    (line,) = shutdown_report(snapshot)
    assert line.startswith("in doubt: execution published no status")
    renamed = _tree(_node("execution", statuses.risk()))  # a status of another kind
    assert not nothing_working(renamed)
