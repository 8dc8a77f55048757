"""Invariant 13, ready again after every actor restart: ``/readyz`` answers 200 within
a bound after each restart, whatever restarted the actor.

The restarts judged: every operator restart, crash and hang the harness
injected (from the moment its request went out: the ``injected`` answer's
``sent_t``), and every other restart the polls of ``/actors`` saw (an epoch
that rose, from the poll before it). After each, in the same daemon process,
"ready again" is the first poll that says ready once the new incarnation runs.

The bound, from the run's config (written down in docs/chaos.md)::

    hang_timeout_s + backoff_cap_s + settle (request_timeout_s + 1 s) + READY_MARGIN_S

a hang is seen at its deadline, the restart waits at most the backoff cap, a
new execution reconciles after its settle period, and the margin covers the
feed's fresh snapshots, the 0.25 s polls and a loaded machine (3 + 0.5 + 3 +
5 = 11.5 s in the chaos config).

Other faults overlap restarts and keep ``/readyz`` at 503 for reasons of their
own, so each poll past the bound that is not ready is judged by the checks it
fails (``failing``: actors, reconciliation, halt, feed, persistence): a check
is excused while some other fault that may fail it (the fault's ``blocks``)
is live or was healed less than the bound ago, or while another restart is
recent; and a halt the daemon names (``halt_reason``: the kill switch, a ledger
or critical venue error) is the daemon saying exactly why it is not ready, a
state that lasts until an operator resumes, not a restart that did not finish.
A poll past the bound failing a check nothing else excuses is the witness: the
restart left the daemon unready, or the daemon did not say why.
Restarts whose late polls were all excused are counted as ``masked``; a daemon
never ready again is caught at the latest in the heal phase, when no fault is
left. Polls the daemon did not answer say nothing either way. The wait ends at
the quiesce phase (which halts on purpose) or when the process ends.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from attrs import evolve, frozen

from warden.chaos._faults import BY_NAME, CHECKS
from warden.chaos._history import Evidence, Poll
from warden.chaos._verdicts import CheckResult, result, unknown

NAME = "ready_after_restart"
INVARIANT = 13
READY_MARGIN_S = 5.0
RESTART_FAULTS = ("actor.restart", "actor.crash", "actor.hang")


def readiness_bound_s(config: Mapping[str, object]) -> float | None:
    """The bound for the run's config, or ``None`` if a term is missing."""
    terms = [config.get(key) for key in ("hang_timeout_s", "backoff_cap_s", "request_timeout_s")]
    numbers = [t for t in terms if isinstance(t, int | float | str)]
    if len(numbers) != len(terms):
        return None
    try:
        hang, cap, timeout = (float(t) for t in numbers)
    except ValueError:
        return None
    return hang + cap + (timeout + 1.0) + READY_MARGIN_S


@frozen
class Episode:
    """A supervisor restart seen by polling: some actor's epoch rose (``rises``, by how
    much) at the poll at ``t``; ``after_t`` is the poll before it, of process ``pid``."""

    t: float
    after_t: float
    pid: int | None
    rises: dict[str, int]

    def to_json(self) -> dict[str, object]:
        return {"t": self.t, "after_t": self.after_t, "pid": self.pid, "rises": self.rises}


def restart_episodes(ev: Evidence) -> list[Episode]:
    """Supervisor restarts seen by polling ``/actors``: a poll where some actor's
    epoch rose (per daemon pid), minus the harness's own operator restarts;
    ``after_t`` is the poll before it (the restart happened in between)."""
    operator = {(e["pid"], e["actor"], e["epoch"]) for e in ev.harness_of("operator_restart")}
    episodes: list[Episode] = []
    previous: dict[int | None, tuple[float, dict[str, int]]] = {}
    for poll in ev.polls():
        epochs = poll.epochs
        before = previous.get(poll.pid)
        previous[poll.pid] = (poll.t, epochs)
        if before is None:
            continue
        rises = {
            actor: epoch - before[1].get(actor, epoch)
            for actor, epoch in epochs.items()
            if epoch > before[1].get(actor, epoch) and (poll.pid, actor, epoch) not in operator
        }
        if rises:
            episodes.append(Episode(poll.t, before[0], poll.pid, rises))
    return episodes


@frozen
class FaultSpan:
    """An injected fault as the journal shows it: ``start`` (inject) to ``end`` (heal,
    inf while live), its params and the injection's ``answer`` (``None``: none came)."""

    id: int
    fault: str
    params: Mapping[str, object]
    start: float
    end: float = math.inf
    answer: Mapping[str, object] | None = None

    @property
    def label(self) -> str:
        return f"{self.fault}#{self.id}"


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _fault_spans(ev: Evidence) -> dict[int, FaultSpan]:
    """Every injected fault by id: name, params, inject / heal times, the injection's answer."""
    spans: dict[int, FaultSpan] = {}
    for event in ev.harness:
        kind, fid = event.get("kind"), event.get("id")
        if not isinstance(fid, int):
            continue
        if kind == "inject":
            spans[fid] = FaultSpan(
                fid, str(event["fault"]), _mapping(event.get("params")), float(event["t"])
            )
        elif fid in spans and kind == "injected":
            spans[fid] = evolve(spans[fid], answer=_mapping(event.get("answer")))
        elif fid in spans and kind == "heal":
            spans[fid] = evolve(spans[fid], end=float(event["t"]))
        elif kind == "inject_failed":
            spans.pop(fid, None)
    return spans


def _covered(episode: Episode, spans: dict[int, FaultSpan]) -> bool:
    """Whether a restart seen in the polls is the doing of an injected restart fault."""
    return any(
        s.fault in RESTART_FAULTS and s.start <= episode.t <= s.end + 1.0 for s in spans.values()
    )


@frozen(kw_only=True)
class Restart:
    """A restart to judge: one the harness injected (``cause`` its fault, with
    ``fault_id``, ``actor`` and the epoch its new incarnation needs) or one only the
    polls saw (``cause`` ``supervisor``, with the ``actors`` and when it was ``seen``)."""

    cause: str
    start: float
    pid: int | None
    fault_id: int | None = None
    actor: str | None = None
    need_epoch: int | None = None
    actors: tuple[str, ...] = ()
    seen: float | None = None

    @property
    def by_supervisor(self) -> bool:
        return self.cause == "supervisor"

    def to_json(self) -> dict[str, object]:
        """The witness's ``restart``, with the keys of its cause only."""
        if self.by_supervisor:
            return {
                "cause": self.cause,
                "actors": list(self.actors),
                "start": self.start,
                "seen": self.seen,
                "pid": self.pid,
            }
        return {
            "cause": self.cause,
            "fault_id": self.fault_id,
            "actor": self.actor,
            "need_epoch": self.need_epoch,
            "start": self.start,
            "pid": self.pid,
        }


def _restarts(ev: Evidence, spans: dict[int, FaultSpan]) -> list[Restart]:
    polls = ev.polls()
    restarts: list[Restart] = []
    for span in spans.values():
        if span.fault not in RESTART_FAULTS or span.answer is None:
            continue
        sent = span.answer.get("sent_t", span.start)
        start = float(sent) if isinstance(sent, int | float | str) else span.start
        before = [p for p in polls if p.t <= start and p.pid is not None]
        before = before or [p for p in polls if p.pid is not None][:1]
        epoch = span.answer.get("epoch")
        need = None
        if isinstance(epoch, int):
            need = epoch if span.fault == "actor.restart" else epoch + 1
        actor = span.params.get("actor")
        restarts.append(
            Restart(
                cause=span.fault,
                fault_id=span.id,
                actor=actor if isinstance(actor, str) else None,
                need_epoch=need,
                start=start,
                pid=before[-1].pid if before else None,
            )
        )
    restarts.extend(
        Restart(
            cause="supervisor",
            actors=tuple(sorted(episode.rises)),
            start=episode.after_t,
            seen=episode.t,
            pid=episode.pid,
        )
        for episode in restart_episodes(ev)
        if not _covered(episode, spans)
    )
    return sorted(restarts, key=lambda r: r.start)


def _ready_again(restart: Restart, polls: list[Poll]) -> Poll | None:
    """The first poll that says ready once the restarted incarnation runs."""
    actor, need = restart.actor, restart.need_epoch
    running_from = restart.seen if restart.seen is not None else restart.start
    if need is not None:
        running = next(
            (
                p
                for p in polls
                if p.t >= restart.start
                and p.epochs.get(actor or "", -1) >= need
                and p.statuses.get(actor or "") == "running"
            ),
            None,
        )
        running_from = running.t if running is not None else restart.start
    return next((p for p in polls if p.t >= running_from and p.ready), None)


def _failing(poll: Poll) -> set[str] | None:
    """The checks a not-ready poll fails: as ``/readyz`` said, or read off its reasons;
    ``None`` when ``/readyz`` did not answer (that says nothing either way)."""
    if poll.failing is not None:
        return set(poll.failing)
    if poll.not_ready in (("no answer",), ("down",)):
        return None
    found = set()
    for reason in poll.not_ready or ():
        if reason.startswith("reconciliation"):
            found.add("reconciliation")
        elif reason.startswith(("trading is halted", "risk publishes no halt")):
            found.add("halt")
        elif reason.startswith("feed"):
            found.add("feed")
        elif reason.startswith("persistence"):
            found.add("persistence")
        else:
            found.add("actors")
    return found


@frozen
class Excuser:
    """A fault or supervisor restart, live or recovering from ``start`` to ``until``
    (the bound after its heal), and the readiness checks it may fail."""

    start: float
    until: float
    checks: frozenset[str]
    what: str


def _excusers(ev: Evidence, spans: dict[int, FaultSpan], bound: float) -> list[Excuser]:
    """Every fault and supervisor restart, live or recovering (until the bound after
    its heal), and the checks it may fail."""
    found = []
    for span in spans.values():
        fault = BY_NAME.get(span.fault)
        blocks = frozenset(fault.blocks if fault is not None else CHECKS)
        found.append(Excuser(span.start, span.end + bound, blocks, span.label))
    for episode in restart_episodes(ev):
        if _covered(episode, spans):  # the fault's own span stands for it
            continue
        what = f"restart of {','.join(sorted(episode.rises))}"
        found.append(Excuser(episode.after_t, episode.t + bound, frozenset(CHECKS), what))
    return found


def _unexcused(
    restart: Restart, late: list[Poll], excusers: list[Excuser]
) -> dict[str, object] | None:
    """The first late poll failing a check no other fault or restart excuses."""
    for poll in late:
        live = [
            e
            for e in excusers
            if e.start <= poll.t <= e.until
            and e.what != f"{restart.cause}#{restart.fault_id}"
            and not (restart.by_supervisor and e.start == restart.start)
        ]
        failing = _failing(poll)
        if failing is None:
            continue
        excused: set[str] = set().union(*(e.checks for e in live)) if live else set()
        if poll.halted and poll.halt_reason:
            excused.add("halt")  # a halt it names is a deliberate state, not a slow restart
        unexplained = failing - excused
        if unexplained:
            return {
                "poll": poll.brief("t", "pid", "ready", "halted", "statuses"),
                "unexcused_checks": sorted(unexplained),
                "not_ready_reasons": list(poll.not_ready) if poll.not_ready is not None else None,
                "other_faults_then": [e.what for e in live],
            }
    return None


def _quantile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)], 3)


def ready_after_restart(ev: Evidence) -> CheckResult:
    bound = readiness_bound_s(ev.config)
    if bound is None:
        return unknown(NAME, INVARIANT, "the config lacks hang_timeout_s / backoff_cap_s / ...")
    spans = _fault_spans(ev)
    restarts = _restarts(ev, spans)
    all_polls = ev.polls()
    quiesce = min(
        (e["t"] for e in ev.harness_of("phase") if e.get("name") == "quiesce"), default=math.inf
    )
    counts: dict[str, float | int | None] = {"bound_s": bound, "restarts": len(restarts)}
    if restarts and not all_polls:
        return unknown(NAME, INVARIANT, "no polls of /readyz to time the restarts", **counts)
    excusers = _excusers(ev, spans, bound)
    witnesses: list[dict[str, object]] = []
    waits: list[float] = []
    in_bound = masked = unjudged = 0
    for restart in restarts:
        polls = [p for p in all_polls if p.pid == restart.pid and p.t < quiesce]
        after = [p for p in polls if p.t >= restart.start]
        if not after:
            unjudged += 1
            continue
        ready = _ready_again(restart, after)
        if ready is not None:
            waits.append(ready.t - restart.start)
            if ready.t - restart.start <= bound:
                in_bound += 1
                continue
        until = ready.t if ready is not None else math.inf
        late = [p for p in after if restart.start + bound < p.t < until and p.up and not p.ready]
        found = _unexcused(restart, late, excusers)
        if found is None:
            masked += 1
            continue
        ready_at = ready.t if ready is not None else None
        witnesses.append({"restart": restart.to_json(), "ready_again_at": ready_at, **found})
    ordered = sorted(waits)
    counts |= {
        "ready_within_bound": in_bound,
        "masked_by_other_faults": masked,
        "unjudged_no_polls": unjudged,
        "never_ready": len(restarts) - unjudged - len(waits),
        "time_to_ready_p50_s": _quantile(ordered, 0.5),
        "time_to_ready_p99_s": _quantile(ordered, 0.99),
        "time_to_ready_max_s": round(ordered[-1], 3) if ordered else None,
    }
    if restarts and unjudged == len(restarts):
        return unknown(NAME, INVARIANT, "no poll after any restart", **counts)
    return result(NAME, INVARIANT, counts, witnesses, "not ready again within the bound")
