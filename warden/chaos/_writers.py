"""Invariant 12, one writer per ledger: at most one daemon process sends orders for a
ledger at a time, and a second ``warden run`` on a held ledger is refused.

The venue's truth log does not say which process sent an order (every daemon
of a ledger trades the same account under the same key), so the evidence is
the processes' lifetimes: the harness journals each daemon it spawns
(``daemon_start`` / ``daemon_exit``, the latter once reaped, so an upper
bound) and each second daemon (``second_daemon_start`` / ``second_daemon_exit``
with exit code and stderr), and the daemon history's ``daemon`` start / stop
lines carry the pid. A process that exited 2 never started trading (the
daemon's contract: a refused or misconfigured ``warden run`` exits 2 before
anything starts); every other process may have sent orders for its whole life.

Violations:

- two possible senders alive at once while the venue accepted an order (or the
  history shows an order sent): which of them sent it cannot be told, and
  either way both were live against one account (a process whose end is not
  known -- a SIGKILL the harness did not journal -- leaves the answer unknown);
- a history ``order`` line (every line names the process that wrote it,
  ``pid``) from a process that exited 2, or two pids sending while both alive;
- a second daemon started while the first was alive that did not exit within
  its deadline (the harness killed it), exited with a code other than 2, or
  whose stderr is not exactly one line ``warden run: ledger <db> is held by pid
  <first pid> (lock <path>); refusing to start``;
- the first daemon stopped answering ``/actors`` after a refusal (judged when the
  harness polled it), or was never ready again and the venue accepted no order
  from it although it lived on (unless every answer it gave kept the very halt it
  already had before the second daemon came: that is not the second's doing).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from itertools import combinations

from attrs import frozen

from actors.history import DaemonLine, OrderLine
from warden.chaos._history import Evidence, history_gap
from warden.chaos._verdicts import CheckResult, result, unknown

NAME = "one_writer_per_ledger"
INVARIANT = 12
REFUSED_EXIT = 2
REFUSAL = re.compile(
    r"^warden run: ledger (?P<db>.+) is held by pid (?P<pid>\d+) "
    r"\(lock (?P<lock>.+)\); refusing to start$"
)
#: seconds after a refusal within which the first daemon must have answered a poll
SERVING_GRACE_S = 5.0
#: seconds the first daemon must live on after a refusal before "never ready and never
#: traded again" counts against it
TRADING_GRACE_S = 30.0


@frozen
class Life:
    """One daemon process: ``start`` / ``end`` in real time (``end`` inf if unknown)."""

    pid: int
    start: float
    end: float
    exit_code: int | None

    @property
    def refused(self) -> bool:
        return self.exit_code == REFUSED_EXIT

    def to_json(self) -> dict[str, object]:
        end = None if math.isinf(self.end) else self.end
        return {"pid": self.pid, "start": self.start, "end": end, "exit_code": self.exit_code}


def lifetimes(ev: Evidence) -> dict[int, Life]:
    """Every daemon process the harness spawned or the history saw, by pid."""
    starts: dict[int, float] = {}
    ends: dict[int, float] = {}
    codes: dict[int, int | None] = {}

    def note(pid: object, t: float, *, start: bool, code: object = None) -> None:
        if not isinstance(pid, int):
            return
        if start:
            starts[pid] = min(starts.get(pid, t), t)
        else:
            ends[pid] = max(ends.get(pid, t), t)
            if isinstance(code, int):
                codes[pid] = code

    for event in ev.harness:
        kind = event.get("kind")
        if kind in ("daemon_start", "second_daemon_start"):
            note(event.get("pid"), event["t"], start=True)
        elif kind in ("daemon_exit", "second_daemon_exit"):
            note(event.get("pid"), event["t"], start=False, code=event.get("code"))
    for line in ev.daemon_of(DaemonLine):
        if line.phase == "start":
            note(line.pid, line.t, start=True)
        else:
            note(line.pid, line.t, start=False, code=line.exit_code)
    return {
        pid: Life(pid, start, ends.get(pid, math.inf), codes.get(pid))
        for pid, start in starts.items()
    }


def refused_pids(ev: Evidence) -> set[int]:
    """Daemon processes that exited 2: they started nothing (other checkers skip their
    ``daemon start`` line, which is not the start of a trading process)."""
    return {life.pid for life in lifetimes(ev).values() if life.refused}


def _sends(ev: Evidence) -> tuple[list[float], dict[int, list[float]]]:
    """Times orders were sent: every venue acceptance and history ``invoke``, and
    those of the history lines that name their process."""
    times = [float(e["ts"]) for e in ev.truth_of("order_accepted")]
    by_pid: dict[int, list[float]] = {}
    for line in ev.daemon_of(OrderLine):
        if line.phase != "invoke":
            continue
        times.append(line.t)
        by_pid.setdefault(line.pid, []).append(line.t)
    return sorted(times), by_pid


def _overlaps(lives: dict[int, Life], ev: Evidence) -> list[dict[str, object]]:
    times, by_pid = _sends(ev)
    witnesses: list[dict[str, object]] = []
    for pid, sent in by_pid.items():
        life = lives.get(pid)
        if life is not None and life.refused:
            witnesses.append({"refused_process_sent": life.to_json(), "sent_at": sent[:5]})
    senders = sorted(
        (life for life in lives.values() if not life.refused and not math.isinf(life.end)),
        key=lambda life: life.start,
    )
    for a, b in combinations(senders, 2):
        low, high = max(a.start, b.start), min(a.end, b.end)
        if low >= high:
            continue
        inside = [t for t in times if low <= t <= high]
        if inside:
            witnesses.append(
                {
                    "processes": [a.to_json(), b.to_json()],
                    "both_alive": [low, None if math.isinf(high) else high],
                    "orders_sent_meanwhile": len(inside),
                    "first_sent_at": inside[0],
                }
            )
    return witnesses


def _refusal_problem(  # noqa: PLR0911 - one answer per way a refusal can be wrong
    start: Mapping[str, object], end: Mapping[str, object]
) -> str | None:
    """What is wrong with a second daemon's end (``second_daemon_exit``) against its
    start, or ``None``. Raises ``TypeError`` for stderr that is not a list of strings
    (the checker is then ``unknown``, never held)."""
    if end.get("by") == "killed":
        return "did not exit within its deadline: killed by the harness"
    if end.get("code") != REFUSED_EXIT:
        return f"exited {end.get('code')}, not {REFUSED_EXIT}"
    stderr = end.get("stderr") or []
    if not isinstance(stderr, list):
        raise TypeError(f"second daemon stderr is not a list: {stderr!r}")
    count = end.get("stderr_lines", len(stderr))
    if count != 1:
        return f"{count} lines on stderr, not one"
    if not isinstance(stderr[0], str):
        raise TypeError(f"second daemon stderr line is not text: {stderr[0]!r}")
    match = REFUSAL.match(stderr[0])
    if match is None:
        return "its stderr line is not the refusal"
    if int(match["pid"]) != end.get("first_pid"):
        return f"names pid {match['pid']}, not the first daemon's {end.get('first_pid')}"
    if match["db"] not in (start.get("db"), start.get("db_resolved")):
        return f"names ledger {match['db']}, not {start.get('db')}"
    return None


def _first_kept_going(
    ev: Evidence, end: Mapping[str, object], first: Life | None
) -> tuple[str | None, bool]:
    """Whether the first daemon served and traded after the refusal ``end`` (a
    problem, or ``None``); and whether the venue accepted an order from it since."""
    pid, after = end.get("first_pid"), _time(end)
    until = first.end if first is not None else math.inf
    mine = [p for p in ev.polls() if p.pid == pid]  # parsed once, split at the refusal
    polls = [p for p in mine if p.t > after]
    ordered = any(after < float(e["ts"]) <= until for e in ev.truth_of("order_accepted"))
    if polls and not any(p.up for p in polls) and until > after + SERVING_GRACE_S:
        return "the first daemon stopped answering after the refusal", ordered
    traded = ordered or any(p.ready for p in polls)
    if not traded and until > after + TRADING_GRACE_S:
        before = [p for p in mine if p.t <= after and p.up]
        answered = [p for p in polls if p.up]
        reason = before[-1].halt_reason if before and before[-1].halted else None
        if reason and answered and all(p.halted and p.halt_reason == reason for p in answered):
            # it served, under a halt it already had before the second daemon came
            # (a standing halt only an operator clears): not being ready says nothing
            return None, False
        return "the first daemon was never ready again and traded no more", False
    return None, ordered


def _time(event: Mapping[str, object]) -> float:
    """A journal event's ``t``. Raises ``KeyError`` / ``TypeError`` (checker unknown)."""
    t = event["t"]
    if isinstance(t, bool) or not isinstance(t, int | float):
        raise TypeError(f"journal time is not a number: {t!r}")
    return float(t)


def _second_daemons(
    ev: Evidence, lives: dict[int, Life]
) -> tuple[list[dict[str, object]], dict[str, int | float]]:
    ends = {e.get("pid"): e for e in ev.harness_of("second_daemon_exit")}
    witnesses: list[dict[str, object]] = []
    counts: dict[str, int | float] = {
        "started": 0,
        "refused": 0,
        "not_judged": 0,
        "unfinished": 0,
        "first_ordered_after": 0,
    }
    refusal_s: list[float] = []
    for start in ev.harness_of("second_daemon_start"):
        counts["started"] += 1
        end = ends.get(start.get("pid"))
        if end is None:
            counts["unfinished"] += 1
            continue
        first_alive = end.get("first_alive")
        if not isinstance(first_alive, bool):  # not journaled: cannot be judged either way
            counts["unfinished"] += 1
            continue
        if not first_alive:
            counts["not_judged"] += 1  # the first had gone: taking over was allowed
            continue
        problem = _refusal_problem(start, end)
        if problem is not None:
            witnesses.append({"second_daemon": end, "problem": problem})
            continue
        counts["refused"] += 1
        lived_s, first_pid = end.get("lived_s"), end.get("first_pid")
        if isinstance(lived_s, int | float):
            refusal_s.append(float(lived_s))
        first = lives.get(first_pid) if isinstance(first_pid, int) else None
        problem, ordered = _first_kept_going(ev, end, first)
        counts["first_ordered_after"] += ordered
        if problem is not None:
            witnesses.append({"second_daemon": end, "problem": problem})
    if refusal_s:  # seconds from its start to its exit 2
        counts["refused_in_max_s"] = round(max(refusal_s), 3)
    return witnesses, counts


def one_writer_per_ledger(ev: Evidence) -> CheckResult:
    gap = history_gap(ev, "daemon", "order")
    if gap is not None:
        return unknown(NAME, INVARIANT, gap)
    lives = lifetimes(ev)
    if not lives:
        return unknown(
            NAME, INVARIANT, "no daemon process lifetimes (no harness journal, no daemon history)"
        )
    witnesses = _overlaps(lives, ev)
    second, second_counts = _second_daemons(ev, lives)
    witnesses += second
    unended = sum(math.isinf(life.end) for life in lives.values())
    counts = {
        "processes": len(lives),
        "processes_end_unknown": unended,
        "refused_processes": sum(life.refused for life in lives.values()),
        **{f"second_daemons_{key}": value for key, value in second_counts.items()},
    }
    if (second_counts["unfinished"] or unended) and not witnesses:
        return unknown(
            NAME,
            INVARIANT,
            "a daemon process's end was not recorded (SIGKILLed with no harness journal,"
            " or the harness stopped early)",
            **counts,
        )
    return result(NAME, INVARIANT, counts, witnesses, "two processes on one ledger")
