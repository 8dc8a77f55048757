"""What a stopping daemon waits for, and what it says about the venue when it stops.

Both are pure functions of one tree snapshot (the actors' published statuses).

- :func:`nothing_working` -- may the actors stop now? Execution sends IOC
  orders only, so nothing works at the venue once no reservation is in flight,
  no in-doubt lookup runs and no ledger repair is pending. A fresh execution
  that is still inside its first reconciliation is waited for too (that
  reconciliation settles intents a crashed incarnation left open in the
  ledger) -- but not one whose reconciliation has *failed*: the venue cannot be
  reached, waiting for it would only spend the shutdown timeout, and the next
  start reconciles before it trades.
- :func:`shutdown_report` -- the lines printed at the stop: what is known
  (nothing in flight, reconciled with the venue) and what is in doubt (orders
  still in flight, a venue never reached, reservations left open), each named.

An actor that publishes no status of its kind counts as "unknown", never as
"fine".
"""

from __future__ import annotations

from actors.execution import ExecutionStatus
from actors.risk import RiskStatus
from supervision import ActorSnapshot


def _reconcile_failed(execution: ExecutionStatus) -> bool:
    """Execution tried to reconcile and the venue (or ledger) refused: it says why."""
    return not execution.reconciled and bool(execution.reconcile_detail)


def nothing_working(snapshot: ActorSnapshot) -> bool:
    """True when the actors may stop without leaving an order working (see module doc)."""
    node = snapshot.get("execution")
    if node is None or node.status != "running":
        return True
    execution = snapshot.status_of("execution", ExecutionStatus)
    if execution is None:
        return False  # running, but what it is doing is unknown
    if execution.in_flight or execution.resolving_in_doubt or execution.ledger_repair_pending:
        return False
    return execution.reconciled or _reconcile_failed(execution)


def _execution_lines(execution: ExecutionStatus) -> list[str]:
    lines: list[str] = []
    in_flight = sorted(execution.in_flight)
    resolving = sorted(execution.resolving_in_doubt)
    repair = sorted(execution.ledger_repair_pending)
    if in_flight:
        lines.append(f"in doubt: reservation(s) still in flight: {', '.join(in_flight)}")
    if resolving:
        lines.append(f"in doubt: reservation(s) still being looked up: {', '.join(resolving)}")
    if repair:
        lines.append(f"in doubt: ledger entries awaiting repair for {', '.join(repair)}")
    if execution.reconciled:
        if not (in_flight or resolving or repair):
            lines.append("known: no order in flight; reconciled with the venue")
    elif _reconcile_failed(execution):
        lines.append(
            "in doubt: never reconciled with the venue "
            f"({execution.reconcile_detail}); this run sent no order before "
            "reconciling, but orders an earlier run left at the venue are unknown; "
            "the next start reconciles before it trades"
        )
    else:
        lines.append("in doubt: reconciliation with the venue had not finished")
    return lines


def shutdown_report(snapshot: ActorSnapshot) -> list[str]:
    """One line per fact: what is known about the venue at the stop, what is in doubt."""
    node = snapshot.get("execution")
    execution = snapshot.status_of("execution", ExecutionStatus)
    lines: list[str] = []
    if node is None or node.status != "running":
        status = "absent" if node is None else node.status
        lines.append(
            f"in doubt: execution is {status}, so whether an order is still working is "
            "unknown; the next start reconciles with the venue before it trades"
        )
    elif execution is None:
        lines.append(
            "in doubt: execution published no status, so whether an order is still "
            "working is unknown; the next start reconciles with the venue before it trades"
        )
    else:
        lines.extend(_execution_lines(execution))
    risk = snapshot.status_of("risk", RiskStatus)
    if risk is not None:
        open_ids = sorted(
            view.id for view in (*risk.reservations.held, *risk.reservations.in_doubt)
        )
        if open_ids:
            lines.append(
                f"in doubt: reservation(s) open at risk: {', '.join(open_ids)} "
                "(released by the next start's reconciliation)"
            )
    return lines
