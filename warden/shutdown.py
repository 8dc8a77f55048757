"""What a stopping daemon waits for, and what it says about the venue when it stops.

Both are pure functions of one tree snapshot (the actors' published summaries).

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

A summary key an actor does not publish counts as "unknown", never as "fine".
"""

from __future__ import annotations

from typing import Any

from supervision import ActorSnapshot


def _reconcile_failed(summary: dict[str, Any]) -> bool:
    """Execution tried to reconcile and the venue (or ledger) refused: it says why."""
    return summary.get("reconciled") is False and bool(summary.get("reconcile_detail"))


def nothing_working(snapshot: ActorSnapshot) -> bool:
    """True when the actors may stop without leaving an order working (see module doc)."""
    node = snapshot.get("execution")
    if node is None or node.status != "running":
        return True
    summary = node.summary
    if summary.get("in_flight") or summary.get("resolving_in_doubt"):
        return False
    if summary.get("ledger_repair_pending"):
        return False
    return summary.get("reconciled") is True or _reconcile_failed(summary)


def shutdown_report(snapshot: ActorSnapshot) -> list[str]:
    """One line per fact: what is known about the venue at the stop, what is in doubt."""
    execution, risk = snapshot.get("execution"), snapshot.get("risk")
    lines: list[str] = []
    if execution is None or execution.status != "running":
        status = "absent" if execution is None else execution.status
        lines.append(
            f"in doubt: execution is {status}, so whether an order is still working is "
            "unknown; the next start reconciles with the venue before it trades"
        )
    else:
        summary = execution.summary
        in_flight = sorted(summary.get("in_flight") or {})
        resolving = sorted(summary.get("resolving_in_doubt") or ())
        repair = sorted(summary.get("ledger_repair_pending") or ())
        if in_flight:
            lines.append(f"in doubt: reservation(s) still in flight: {', '.join(in_flight)}")
        if resolving:
            lines.append(f"in doubt: reservation(s) still being looked up: {', '.join(resolving)}")
        if repair:
            lines.append(f"in doubt: ledger entries awaiting repair for {', '.join(repair)}")
        if summary.get("reconciled") is True:
            if not (in_flight or resolving or repair):
                lines.append("known: no order in flight; reconciled with the venue")
        elif _reconcile_failed(summary):
            lines.append(
                "in doubt: never reconciled with the venue "
                f"({summary.get('reconcile_detail')}); this run sent no order before "
                "reconciling, but orders an earlier run left at the venue are unknown; "
                "the next start reconciles before it trades"
            )
        else:
            lines.append("in doubt: reconciliation with the venue had not finished")
    if risk is not None:
        reservations = risk.summary.get("reservations") or {}
        open_ids = sorted(
            str(r.get("id"))
            for state in ("held", "in_doubt")
            for r in reservations.get(state, ())
            if isinstance(r, dict)
        )
        if open_ids:
            lines.append(
                f"in doubt: reservation(s) open at risk: {', '.join(open_ids)} "
                "(released by the next start's reconciliation)"
            )
    return lines
