"""Invariant 13 on synthetic histories: ready again within the bound after every actor
restart -- a planted "never ready again" is witnessed, an overlapping fault excuses a
slow return only for the checks it can fail, and without polls nothing is decided."""

from __future__ import annotations

from typing import Any

import attrs

from tests.warden.test_chaos_checkers import T0, healthy
from warden.chaos import Evidence
from warden.chaos._readiness import readiness_bound_s, ready_after_restart

NOT_RECONCILED = "reconciliation has not completed (risk: waiting for the first Reconciled)"


def polls(
    start: float,
    end: float,
    *,
    ready: bool,
    risk_epoch: int,
    pid: int = 7,
    failing: tuple[str, ...] = ("reconciliation",),
) -> list[dict[str, Any]]:
    """A poll every 0.25 s over ``[start, end)``; not ready: failing ``failing``."""
    out = []
    t = start
    while t < end:
        out.append(
            {
                "t": t,
                "kind": "poll",
                "pid": pid,
                "up": True,
                "ready": ready,
                "not_ready": [] if ready else [NOT_RECONCILED],
                "failing": [] if ready else list(failing),
                "halted": False,
                "epochs": {"risk": risk_epoch, "execution": 1},
                "statuses": {"risk": "running", "execution": "running"},
            }
        )
        t += 0.25
    return out


def fault(
    fid: int,
    name: str,
    at: float,
    until: float,
    answer: dict[str, Any] | None = None,
    **params: Any,
) -> list[dict[str, Any]]:
    events = [{"t": at, "kind": "inject", "fault": name, "id": fid, "params": params}]
    if answer is not None:
        events.append({"t": at, "kind": "injected", "fault": name, "id": fid, "answer": answer})
    events.append({"t": until, "kind": "heal", "fault": name, "id": fid})
    return events


def with_harness(*parts: list[dict[str, Any]]) -> Evidence:
    events = sorted((e for part in parts for e in part), key=lambda e: e["t"])
    return attrs.evolve(healthy(), harness=tuple(events))


def risk_restart(at: float) -> list[dict[str, Any]]:
    answer = {"epoch": 2, "in_flight": False, "sent_t": at}
    events = fault(0, "actor.restart", at, at + 2.0, answer, actor="risk")
    events.append(
        {"t": at + 0.1, "kind": "operator_restart", "pid": 7, "actor": "risk", "epoch": 2}
    )
    return events


def test_the_bound_is_hang_deadline_plus_backoff_cap_plus_settle_plus_margin() -> None:
    config = {"hang_timeout_s": 3.0, "backoff_cap_s": 0.5, "request_timeout_s": 2.0}
    assert readiness_bound_s(config) == 3.0 + 0.5 + (2.0 + 1.0) + 5.0
    assert readiness_bound_s({"hang_timeout_s": 3.0}) is None


def test_a_risk_restart_that_never_becomes_ready_again_is_witnessed_with_its_reasons() -> None:
    """The planted bug of issue 10 item 2: after `warden restart risk` /readyz stays 503
    ("waiting for the first Reconciled") for good, with no other fault to blame."""
    ev = with_harness(
        polls(T0, T0 + 10, ready=True, risk_epoch=1),
        risk_restart(T0 + 10),
        polls(T0 + 10, T0 + 40, ready=False, risk_epoch=2),
    )
    result = ready_after_restart(ev)
    assert result.status == "violated", result
    (witness,) = result.witnesses
    assert witness["restart"]["cause"] == "actor.restart"
    assert witness["restart"]["actor"] == "risk"
    assert witness["ready_again_at"] is None
    assert witness["poll"]["t"] == T0 + 21.75  # the first poll past the 11.5 s bound
    assert witness["unexcused_checks"] == ["reconciliation"]
    assert witness["not_ready_reasons"] == [NOT_RECONCILED]
    assert witness["other_faults_then"] == []
    assert result.counts["never_ready"] == 1


def test_a_restart_ready_again_within_the_bound_holds() -> None:
    ev = with_harness(
        polls(T0, T0 + 10, ready=True, risk_epoch=1),
        risk_restart(T0 + 10),
        polls(T0 + 10, T0 + 14, ready=False, risk_epoch=2),
        polls(T0 + 14, T0 + 40, ready=True, risk_epoch=2),
    )
    result = ready_after_restart(ev)
    assert result.status == "held", result
    assert result.counts["ready_within_bound"] == 1
    assert result.counts["time_to_ready_max_s"] == 4.0


def test_ready_polls_before_the_new_incarnation_runs_do_not_count() -> None:
    """A crash lands a moment after the request: the old incarnation still says ready."""
    answer = {"epoch": 1, "in_flight": False, "sent_t": T0 + 10}
    ev = with_harness(
        polls(T0, T0 + 10.5, ready=True, risk_epoch=1),
        fault(0, "actor.crash", T0 + 10, T0 + 11, answer, actor="risk", seconds=0.0),
        polls(T0 + 10.5, T0 + 40, ready=False, risk_epoch=2),
    )
    result = ready_after_restart(ev)
    assert result.status == "violated", result
    assert result.witnesses[0]["restart"]["need_epoch"] == 2


def test_a_slow_return_while_a_fault_that_fails_the_same_check_lasts_is_masked() -> None:
    """Venue latency slows reconciliation (its REST reads, the orders in flight):
    excused while it lasts and for the bound after its heal."""
    ev = with_harness(
        polls(T0, T0 + 10, ready=True, risk_epoch=1),
        risk_restart(T0 + 10),
        fault(1, "venue.latency", T0 + 11, T0 + 20, endpoint="*"),
        polls(T0 + 10, T0 + 31, ready=False, risk_epoch=2),
        polls(T0 + 31, T0 + 60, ready=True, risk_epoch=2),
    )
    result = ready_after_restart(ev)
    assert result.status == "held", result
    assert result.counts["masked_by_other_faults"] == 1


def test_a_fault_that_cannot_fail_the_failing_check_excuses_nothing() -> None:
    """A silent websocket makes markets stale; it says nothing of reconciliation."""
    ev = with_harness(
        polls(T0, T0 + 10, ready=True, risk_epoch=1),
        risk_restart(T0 + 10),
        fault(1, "venue.ws_silence", T0 + 11, T0 + 30, silence=True),
        polls(T0 + 10, T0 + 40, ready=False, risk_epoch=2, failing=("reconciliation", "feed")),
    )
    result = ready_after_restart(ev)
    assert result.status == "violated", result
    (witness,) = result.witnesses
    assert witness["unexcused_checks"] == ["reconciliation"]
    assert witness["other_faults_then"] == ["venue.ws_silence#1"]


def test_a_supervisor_restart_seen_only_in_the_polls_is_judged_too() -> None:
    ev = with_harness(
        polls(T0, T0 + 10, ready=True, risk_epoch=1),
        polls(T0 + 10, T0 + 40, ready=False, risk_epoch=2),  # a hang detected, say
    )
    result = ready_after_restart(ev)
    assert result.status == "violated", result
    restart = result.witnesses[0]["restart"]
    assert (restart["cause"], restart["actors"]) == ("supervisor", ["risk"])
    assert restart["start"] == T0 + 9.75  # the poll before the rise


def test_without_polls_restarts_cannot_be_timed_and_the_answer_is_unknown() -> None:
    ev = with_harness(risk_restart(T0 + 10))
    result = ready_after_restart(ev)
    assert result.status == "unknown"
    assert "polls" in result.detail


def test_without_the_config_terms_of_the_bound_the_answer_is_unknown() -> None:
    ev = with_harness(
        polls(T0, T0 + 10, ready=True, risk_epoch=1),
        risk_restart(T0 + 10),
        polls(T0 + 10, T0 + 40, ready=False, risk_epoch=2),
    )
    config = {k: v for k, v in ev.config.items() if k != "hang_timeout_s"}
    assert ready_after_restart(attrs.evolve(ev, config=config)).status == "unknown"


def test_a_partial_fill_or_a_refused_second_daemon_excuses_nothing() -> None:
    ev = with_harness(
        polls(T0, T0 + 10, ready=True, risk_epoch=1),
        risk_restart(T0 + 10),
        fault(1, "venue.partial_fill", T0 + 11, T0 + 30, partial_fill_rate=1.0),
        fault(2, "process.second_daemon", T0 + 12, T0 + 14, deadline_s=10.0),
        polls(T0 + 10, T0 + 40, ready=False, risk_epoch=2),
    )
    result = ready_after_restart(ev)
    assert result.status == "violated", result
    assert result.witnesses[0]["poll"]["t"] == T0 + 21.75


def test_a_halt_the_daemon_names_is_why_it_is_not_ready_but_an_unnamed_one_is_judged() -> None:
    """A critical venue error halts risk until an operator resumes: /readyz says so.
    A halt check failing with no halt reason (risk publishes none) is still judged."""

    def halted(reason: str | None, *, stale: bool = False) -> Evidence:
        late = polls(T0 + 10, T0 + 40, ready=False, risk_epoch=2, failing=("halt",))
        for poll in late:
            poll |= {"halted": True if reason else None, "halt_reason": reason}
            poll |= {"risk_stale": stale}
        return with_harness(
            polls(T0, T0 + 10, ready=True, risk_epoch=1), risk_restart(T0 + 10), late
        )

    named = ready_after_restart(
        halted("critical venue error InvalidOrder at POST /portfolio/orders")
    )
    assert named.status == "held", named
    assert named.counts["masked_by_other_faults"] == 1
    # risk busy when asked: its last status still names the halt (journaled as stale)
    busy = ready_after_restart(
        halted("critical venue error InvalidOrder at POST /portfolio/orders", stale=True)
    )
    assert busy.status == "held", busy
    unnamed = ready_after_restart(halted(None))
    assert unnamed.status == "violated", unnamed
    assert unnamed.witnesses[0]["unexcused_checks"] == ["halt"]
