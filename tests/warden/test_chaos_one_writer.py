"""Invariant 12 on synthetic histories: one process per ledger. A second daemon that
was not refused, or two daemons alive while orders went out, is witnessed; a refused
one is not a second writer (nor a daemon start for the other checkers)."""

from __future__ import annotations

from typing import Any

import attrs

from tests.warden.test_chaos_checkers import T0, D, Venue, daemon_line, healthy, order_line
from warden.chaos import Evidence
from warden.chaos._checkers import message_accounting, no_order_before_reconciliation
from warden.chaos._writers import one_writer_per_ledger

DB = "/run/chaos/warden.db"
FIRST, SECOND = 7, 8


def refusal(pid: int = FIRST, db: str = DB) -> str:
    return f"warden run: ledger {db} is held by pid {pid} (lock {db}.lock); refusing to start"


def poll(
    t: float, *, up: bool = True, ready: bool = True, halt: str | None = None
) -> dict[str, Any]:
    halted = {"halted": True, "halt_reason": halt} if halt is not None else {"halted": False}
    return {"t": t, "kind": "poll", "pid": FIRST, "up": up, "ready": ready, **halted}


def second_daemon(
    started: float, ended: float, *, code: int | None, by: str = "itself", stderr: list[str]
) -> list[dict[str, Any]]:
    return [
        {"t": started, "kind": "second_daemon_start", "pid": SECOND, "first_pid": FIRST,
         "db": DB, "db_resolved": DB},
        {"t": ended, "kind": "second_daemon_exit", "pid": SECOND, "first_pid": FIRST,
         "code": code, "by": by, "stderr": stderr, "first_alive": True},
    ]  # fmt: skip


def run(*events: dict[str, Any], trading_until: float = T0 + 30) -> Evidence:
    """The first daemon lives T0-10 .. T0+60 and trades every second until ``trading_until``."""
    venue = Venue()
    t = T0
    while t < trading_until:
        venue.order(t, f"c{t}", "yes", D("0.40"), D(1))
        t += 1.0
    lifetime = (
        {"t": T0 - 10, "kind": "daemon_start", "pid": FIRST},
        {"t": T0 + 60, "kind": "daemon_exit", "pid": FIRST, "code": 0, "by": "sigterm"},
    )
    harness = sorted((*lifetime, *events), key=lambda e: e["t"])
    return attrs.evolve(healthy(), truth=tuple(venue.entries), harness=tuple(harness), daemon=None)


def test_a_refused_second_daemon_while_the_first_keeps_trading_holds() -> None:
    ev = run(*second_daemon(T0 + 5, T0 + 7, code=2, stderr=[refusal()]), poll(T0 + 7.2))
    result = one_writer_per_ledger(ev)
    assert result.status == "held", result
    assert result.counts["second_daemons_refused"] == 1
    assert result.counts["second_daemons_first_ordered_after"] == 1


def test_a_second_daemon_that_starts_trading_and_must_be_killed_is_witnessed() -> None:
    """The planted bug of issue 10 item 1: no lock, the second daemon reconciles and
    trades the same account until the harness kills it at its deadline."""
    ev = run(*second_daemon(T0 + 5, T0 + 25, code=-9, by="killed", stderr=[]), poll(T0 + 26))
    result = one_writer_per_ledger(ev)
    assert result.status == "violated", result
    overlap, killed = result.witnesses
    assert [p["pid"] for p in overlap["processes"]] == [FIRST, SECOND]
    assert overlap["both_alive"] == [T0 + 5, T0 + 25]
    assert overlap["orders_sent_meanwhile"] == 21  # T0+5 .. T0+25
    assert killed["problem"] == "did not exit within its deadline: killed by the harness"


def test_a_refusal_that_names_another_pid_or_says_more_than_one_line_is_witnessed() -> None:
    wrong_pid = run(*second_daemon(T0 + 5, T0 + 7, code=2, stderr=[refusal(pid=99)]))
    (witness,) = one_writer_per_ledger(wrong_pid).witnesses
    assert witness["problem"] == "names pid 99, not the first daemon's 7"
    traceback = ["Traceback (most recent call last):", "BlockingIOError: locked"]
    noisy = run(*second_daemon(T0 + 5, T0 + 7, code=2, stderr=traceback))
    (witness,) = one_writer_per_ledger(noisy).witnesses
    assert witness["problem"] == "2 lines on stderr, not one"
    exit_one = run(*second_daemon(T0 + 5, T0 + 7, code=1, stderr=[refusal()]))
    overlap, witness = one_writer_per_ledger(exit_one).witnesses  # it may have traded
    assert overlap["orders_sent_meanwhile"] == 3
    assert witness["problem"] == "exited 1, not 2"


def test_a_first_daemon_that_stops_answering_after_the_refusal_is_witnessed() -> None:
    ev = run(
        *second_daemon(T0 + 5, T0 + 7, code=2, stderr=[refusal()]),
        *(poll(T0 + 8 + i, up=False, ready=False) for i in range(40)),
        trading_until=T0 + 7,
    )
    (witness,) = one_writer_per_ledger(ev).witnesses
    assert witness["problem"] == "the first daemon stopped answering after the refusal"


def test_a_first_daemon_never_ready_again_is_witnessed_unless_it_kept_its_own_earlier_halt() -> (
    None
):
    refused = second_daemon(T0 + 5, T0 + 7, code=2, stderr=[refusal()])
    idle = [poll(T0 + 8 + i, ready=False) for i in range(40)]
    (witness,) = one_writer_per_ledger(run(*refused, *idle, trading_until=T0)).witnesses
    assert witness["problem"] == "the first daemon was never ready again and traded no more"
    # halted for its own reason before the second daemon came, and still, by that reason
    own = "critical venue error"
    halted = [poll(T0 + 8 + i, ready=False, halt=own) for i in range(40)]
    kept = run(poll(T0 + 4, ready=False, halt=own), *refused, *halted, trading_until=T0)
    assert one_writer_per_ledger(kept).status == "held"
    # a halt that began only after the refusal is not excused
    late = run(poll(T0 + 4, ready=True), *refused, *halted, trading_until=T0)
    (witness,) = one_writer_per_ledger(late).witnesses
    assert witness["problem"] == "the first daemon was never ready again and traded no more"


def test_two_daemons_in_the_history_alive_at_once_while_orders_went_out_are_witnessed() -> None:
    ev = healthy()
    daemon = (
        daemon_line(T0 - 1, "start", 1),
        daemon_line(T0 + 0.5, "start", 2),
        daemon_line(T0 + 3, "stop", 2, exit_code=0),
        daemon_line(T0 + 4, "stop", 1, exit_code=0),
    )
    result = one_writer_per_ledger(attrs.evolve(ev, daemon=daemon))
    assert result.status == "violated"
    assert result.witnesses[0]["orders_sent_meanwhile"] == 2


def test_a_process_naming_itself_on_an_order_it_sent_after_exiting_2_is_witnessed() -> None:
    """If the history's order lines carry the sender's pid, a refused process that sent
    an order is caught even when no venue order falls in the overlap."""
    ev = run(*second_daemon(T0 + 5, T0 + 7, code=2, stderr=[refusal()]), poll(T0 + 7.2))
    sent = order_line(T0 + 6, "c-late", pid=SECOND)
    result = one_writer_per_ledger(attrs.evolve(ev, daemon=(sent,)))
    assert result.status == "violated"
    assert result.witnesses[0]["refused_process_sent"]["pid"] == SECOND


def test_without_any_process_lifetime_the_answer_is_unknown() -> None:
    result = one_writer_per_ledger(attrs.evolve(healthy(), harness=(), daemon=None))
    assert result.status == "unknown"
    assert "lifetimes" in result.detail


def test_a_second_daemon_whose_end_was_not_recorded_leaves_it_unknown() -> None:
    start, _end = second_daemon(T0 + 5, T0 + 7, code=2, stderr=[refusal()])
    assert one_writer_per_ledger(run(start)).status == "unknown"


def test_a_refused_daemons_start_line_is_not_a_start_for_the_other_checkers() -> None:
    """A refused second daemon may write its own start / stop lines into the shared
    history; the first goes on trading without a new reconciliation, rightly."""
    ev = healthy()
    assert ev.daemon is not None
    refused = (
        daemon_line(T0 + 0.95, "start", 9),
        daemon_line(T0 + 0.96, "stop", 9, exit_code=2),
    )
    daemon = (*ev.daemon[:4], *refused, *ev.daemon[4:])
    ev = attrs.evolve(ev, daemon=daemon)
    assert no_order_before_reconciliation(ev).status == "held"
    assert message_accounting(ev).counts["processes"] == 1
    assert one_writer_per_ledger(ev).status == "held"
