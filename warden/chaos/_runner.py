"""One chaos run: setup -> warmup -> chaos -> heal -> quiesce -> collect -> check.

Every phase has a deadline, so a run always ends by itself; the rig kills
its subprocesses in a ``finally`` whatever happened. :func:`run` returns a
:class:`RunOutcome`; its exit code is 0 only if every invariant held, 1 if any
was violated, 2 on a harness error (a process that would not start, evidence
that could not be collected, an invariant left undecided).

While chaos runs, the harness polls ``/actors`` and ``/readyz`` every
``POLL_S`` and journals a compact poll (epochs, statuses, halted, counters);
recovery of each injected fault is measured from those polls (see
:mod:`warden.chaos._faults` for what "recovered" means per fault).
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import attrs
import httpx
from attrs import define, field, frozen

from actors.domain import Event
from actors.errors import LedgerError
from actors.execution import ExecutionStatus
from actors.feed import FeedStatus
from actors.history import ReconciledLine
from actors.persistence import PersistenceStatus
from actors.risk import RiskStatus
from supervision import ActorSnapshot, snapshot_to_dict
from warden.chaos._checkers import check_all
from warden.chaos._faults import BY_NAME, SECOND_DAEMON_DEADLINE_S, FaultError
from warden.chaos._history import (
    Evidence,
    Poll,
    fetch_truth,
    fetch_venue_final,
    read_history,
)
from warden.chaos._kalshi import KalshiAccess
from warden.chaos._ledger import read_ledger
from warden.chaos._params import Params
from warden.chaos._polymarket import (
    FEE_RATE,
    JOURNAL_NAME,
    PolymarketAccess,
    in_daemon_names,
    read_order_journal,
    truth_entry_at,
)
from warden.chaos._polymarket import FEED as POLYMARKET_FEED
from warden.chaos._rig import HarnessError, Journal, Rig, chaos_routes_available
from warden.chaos._schedule import Planned, Schedule
from warden.chaos._venue_events import event_json, fetch_venue_events
from warden.chaos._verdicts import CheckResult

S = TypeVar("S")

POLL_S = 0.25
WARMUP_S = 5.0
READY_DEADLINE_S = 60.0
QUIESCE_DEADLINE_S = 30.0

EXIT_HELD = 0
EXIT_VIOLATED = 1
EXIT_HARNESS = 2

#: a config value as the TOML file and report.json hold it
Value = bool | int | float | str | list[str]
CONFIG: dict[str, dict[str, Value]] = {
    "daemon": {"status_interval_s": 1.0, "shutdown_timeout_s": 10.0},
    # pings well inside stale_after_s: each pong confirms the quiet markets' books
    "feed": {"stale_after_s": 3.0, "silence_timeout_s": 2.0, "ping_interval_s": 1.0},
    # money as decimal-dollar strings (exact; docs/money.md)
    "risk": {
        "max_market_exposure": "50.00",
        "max_event_exposure": "100.00",
        "max_total_exposure": "200.00",
        "max_daily_loss": "50.00",
    },
    "execution": {"request_timeout_s": 2.0},
    "supervision": {
        "intensity": 10,
        "period_s": 30.0,
        "backoff_base_s": 0.05,
        "backoff_cap_s": 0.5,
        "hang_timeout_s": 3.0,
    },
}
#: the trader's starting cash at the venue, exact dollars (``--trader-cash``)
TRADER_CASH = Decimal("10000.00")
#: the venue's mode: the realistic one (events of exclusive markets, never-crossed
#: books, lagging makers that misprice baskets), where ``basket_arbitrage`` trades
#: baskets of 2-4 legs and exposure nets per event (invariants 1 and 14); the
#: legacy venue (``--markets 3 --arb-rate 0.05``, ``()`` here) serves only the
#: two-leg complements of crossed books
VENUE_MODE = ("--realism",)
#: how long after a basket's completion window (or a restarted daemon's first
#: reconciliation) an unhedged basket may go unanswered (invariant 14): pricing
#: the unwind (a book read: ``request_timeout_s``, retried), recording it, one
#: hang detected and replaced (``hang_timeout_s``), the in-doubt settle period,
#: and a loaded 2-core machine
BASKET_GRACE_S = 15.0


def params_json(params: Params | Mapping[str, object]) -> Mapping[str, object]:
    """A fault's parameters as a schedule's JSON holds them."""
    return dict(params) if isinstance(params, Mapping) else params.to_json()


@define(kw_only=True)
class FaultRecord:
    """One scheduled fault as the run went: filled in as it is injected, healed and
    seen to recover (the poller thread settles recovery, under the run's lock), and
    by the report with whether it was ``exercised``. :meth:`to_json` is its entry
    in report.json's ``fault_log``: the keys below ``error`` appear once set."""

    id: int
    fault: str
    family: str
    params: Params | Mapping[str, object]
    planned_at_s: float
    planned_for_s: float
    recovery: str
    inject_t: float
    heal_t: float | None = None
    recovered_t: float | None = None
    time_to_recover_s: float | None = None
    error: str | None = None
    injected: bool | None = None
    #: the injection's answer (``{}`` when it gave none); ``None`` until injected
    answer: Mapping[str, object] | None = None
    need_epoch: int | None = None
    #: when the clock of its recovery started (the injection went out, or the heal)
    recovery_from_t: float | None = None
    heal_answer: Mapping[str, object] | None = None
    exercised: bool | None = None

    @property
    def clock_start(self) -> float:
        """:attr:`recovery_from_t`; only pending records (which have it) are asked."""
        if self.recovery_from_t is None:
            raise ValueError(f"fault {self.fault}#{self.id}: its recovery clock never started")
        return self.recovery_from_t

    def to_json(self) -> dict[str, object]:
        """The ``fault_log`` entry, its keys in the order they were always written."""
        out: dict[str, object] = {
            "id": self.id,
            "fault": self.fault,
            "family": self.family,
            "params": params_json(self.params),
            "planned_at_s": self.planned_at_s,
            "planned_for_s": self.planned_for_s,
            "recovery": self.recovery,
            "inject_t": self.inject_t,
            "heal_t": self.heal_t,
            "recovered_t": self.recovered_t,
            "time_to_recover_s": self.time_to_recover_s,
            "error": self.error,
        }
        optional: list[tuple[str, object]] = [("injected", self.injected), ("answer", self.answer)]
        if self.recovery == "epoch":
            optional += [("need_epoch", self.need_epoch), ("recovery_from_t", self.recovery_from_t)]
            optional += [("heal_answer", self.heal_answer)]
        else:
            optional += [("heal_answer", self.heal_answer)]
            optional += [("recovery_from_t", self.recovery_from_t)]
        optional += [("exercised", self.exercised)]
        out |= {key: value for key, value in optional if value is not None}
        return out


@frozen
class RunOutcome:
    exit_code: int
    schedule: Schedule
    results: list[CheckResult] = field(factory=list)
    faults: list[FaultRecord] = field(factory=list)
    evidence: Evidence | None = None
    error: str = ""
    chaos_routes: bool = False
    timings: dict[str, float] = field(factory=dict)


def _write_config(
    path: Path,
    runtime_dir: Path,
    venue: dict[str, Value] | None = None,
    feed: Mapping[str, Value] | None = None,
) -> dict[str, dict[str, Value]]:
    sections = {name: dict(values) for name, values in CONFIG.items()}
    sections["feed"] |= feed or {}
    if venue is not None:
        sections["venue"] = venue
    # absolute: the daemon resolves a relative path against the config file's
    # directory, and the harness waits for the runtime file where it put it
    sections["daemon"]["runtime_dir"] = str(runtime_dir.absolute())
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in values.items())
    path.write_text("\n".join(lines) + "\n")
    return sections


def _status(tree: ActorSnapshot | None, name: str, kind: type[S]) -> S | None:
    """The status ``name`` publishes if it is a ``kind``; ``None`` when the daemon did
    not answer, the actor is absent or publishes no such status (unknown, never idle)."""
    return tree.status_of(name, kind) if tree is not None else None


def _stale(tree: ActorSnapshot, name: str) -> bool:
    """Whether ``name``'s status is an old one (it was busy or hung when asked)."""
    node = tree.get(name)
    return node is None or node.summary_stale


def _feed_counters(feed: FeedStatus | None) -> dict[str, object]:
    """The feed's counters as one flat poll section (``updates_<x>`` for its delivery
    counters, ``connection_number``); empty while the feed publishes no status."""
    if feed is None:
        return {}
    updates = {f"updates_{name}": count for name, count in attrs.asdict(feed.updates).items()}
    return {
        **attrs.asdict(feed.counts),
        **updates,
        "reconnects": feed.reconnects,
        "late_messages": feed.late_messages,
        "unknown_messages": feed.unknown_messages,
        "connection_number": feed.connection.number,
    }


class _Run:
    def __init__(
        self,
        schedule: Schedule,
        workdir: Path,
        chaos_routes: bool,
        venue_kind: str = "sim",
        feed_workers: int = 0,
    ) -> None:
        self.schedule = schedule
        self.feed_workers = feed_workers
        self.workdir = workdir
        self.journal = Journal(workdir / "harness.jsonl")
        venue_args = ["--seed", str(schedule.seed), *VENUE_MODE, "--tick", "0.1"]
        venue_args += ["--ping-interval", "1", "--trader-cash", f"{TRADER_CASH:f}"]  # dollars
        self.kalshi = (
            KalshiAccess.create(workdir, schedule.seed) if venue_kind == "kalshi" else None
        )
        if self.kalshi is not None:
            venue_args += ["--kalshi-public-key", self.kalshi.public_key_arg]
        self.polymarket = (
            PolymarketAccess.create(workdir, schedule.seed) if venue_kind == "polymarket" else None
        )
        if self.polymarket is not None:
            venue_args += self.polymarket.venue_args()
        self.rig = Rig(workdir, self.journal, venue_args=venue_args, chaos=chaos_routes)
        self.venue_auth = self.kalshi.auth() if self.kalshi is not None else None
        self.chaos_routes = chaos_routes
        self.faults: list[FaultRecord] = []
        self.pending: list[FaultRecord] = []
        self._pending_lock = threading.Lock()
        # the last ~50 s of polls, for a fault registered after it already recovered
        self._recent: collections.deque[tuple[Poll, ActorSnapshot | None]] = collections.deque(
            maxlen=200
        )
        self.timings: dict[str, float] = {}

    def write_config(self) -> dict[str, dict[str, Value]]:
        """The daemon's config for this venue (a Polymarket venue's URLs are known once
        the venue listens)."""
        venue: dict[str, Value] | None = None
        feed: Mapping[str, Value] | None = None
        if self.kalshi is not None:
            venue = self.kalshi.venue_section()
        elif self.polymarket is not None:
            venue, feed = self.polymarket.venue_section(self.rig.venue_url), POLYMARKET_FEED
        if self.feed_workers:
            feed = {**(feed or {}), "process": True, "workers": self.feed_workers}
        return _write_config(self.rig.config, self.rig.runtime_dir, venue, feed)

    # --- polling and recovery ----------------------------------------------------------

    def poll(self, client: httpx.Client | None = None) -> Poll:
        """One poll of the daemon, journaled; settles the faults that recovered.
        With ``client`` it runs on the poller thread, which only observes (daemon
        exits are noted by the main thread, which owns the processes)."""
        if client is None:
            self.rig.note_daemon_exit()
        asked_t = time.time()
        tree = self.rig.actors(client)
        if tree is None:
            ready, reasons, failing = False, ["down"], None
        else:
            ready, reasons, failing = self.rig.readiness(client)
        workers = tree.children if tree is not None else ()
        risk = _status(tree, "risk", RiskStatus)
        execution = _status(tree, "execution", ExecutionStatus)
        feed = _status(tree, "feed", FeedStatus)
        persistence = _status(tree, "persistence", PersistenceStatus)
        poll = Poll(
            t=time.time(),
            asked_t=asked_t,
            pid=daemon.pid if (daemon := self.rig.daemon) is not None else None,
            up=tree is not None,
            ready=ready,
            not_ready=tuple(reasons),
            failing=tuple(failing) if failing is not None else None,
            halted=risk.halted if risk is not None else None,
            halt_reason=risk.halt_reason if risk is not None else None,
            risk_stale=_stale(tree, "risk") if risk is not None and tree is not None else None,
            epochs={node.name: node.epoch for node in workers},
            statuses={node.name: node.status for node in workers},
            mailboxes={node.name: node.mailbox for node in workers},
            exposure=risk.exposure.total if risk is not None else None,
            held=len(risk.reservations.held) if risk is not None else None,
            in_doubt=len(risk.reservations.in_doubt) if risk is not None else None,
            in_flight=len(execution.in_flight) if execution is not None else None,
            execution=attrs.asdict(execution.counts) if execution is not None else {},
            feed=_feed_counters(feed),
            persistence_failures=persistence.failures if persistence is not None else None,
        )
        self.journal.write_at(poll.t, "poll", **poll.to_event())
        with self._pending_lock:
            self._recent.append((poll, tree))
        self._settle(poll, tree)
        return poll

    def _settle(self, poll: Poll, tree: ActorSnapshot | None) -> None:
        with self._pending_lock:
            pending, self.pending = self.pending, []
        still = []
        for record in pending:
            if self._recovered(record, poll, tree):
                self._mark_recovered(record, poll)
            else:
                still.append(record)
        with self._pending_lock:
            self.pending = still + self.pending

    def _await_recovery(self, record: FaultRecord) -> None:
        """Settle ``record`` at the first poll since its clock started that shows it
        recovered -- polls taken while the injection itself still blocked count --
        or leave it pending for the polls to come."""
        with self._pending_lock:
            recent = list(self._recent)
        for poll, tree in recent:
            if poll.t >= record.clock_start and self._recovered(record, poll, tree):
                self._mark_recovered(record, poll)
                return
        with self._pending_lock:
            self.pending.append(record)

    def _mark_recovered(self, record: FaultRecord, poll: Poll) -> None:
        record.recovered_t = poll.t
        record.time_to_recover_s = round(poll.t - record.clock_start, 3)
        self.journal.write("recovered", fault=record.fault, id=record.id)

    def _recovered(self, record: FaultRecord, poll: Poll, tree: ActorSnapshot | None) -> bool:
        if record.heal_t is None and record.recovery != "epoch":
            return False
        if record.recovery == "epoch":
            actor = params_json(record.params).get("actor", "")
            node = tree.get(actor) if tree is not None and isinstance(actor, str) else None
            need = record.need_epoch
            return (
                need is not None
                and node is not None
                and node.status == "running"
                and node.epoch >= need
            )
        history = None
        if record.recovery == "reconciled":
            history = read_history(self.rig.runtime_dir / "history.jsonl")
        if history is not None:
            return any(
                isinstance(line, ReconciledLine) and line.ok and line.t >= record.clock_start
                for line in history.lines
            )
        return bool(poll.ready)

    # --- faults ------------------------------------------------------------------------

    def inject(self, planned: Planned, index: int) -> FaultRecord:
        fault = BY_NAME[planned.fault]
        record = FaultRecord(
            id=index,
            fault=fault.name,
            family=fault.family,
            params=planned.params,
            planned_at_s=planned.at_s,
            planned_for_s=planned.for_s,
            recovery=fault.recovery,
            inject_t=time.time(),
        )
        self.faults.append(record)
        unavailable = ""
        if fault.needs_chaos and not self.chaos_routes:
            unavailable = "not available: the daemon has no --chaos routes"
        elif fault.needs_feed_workers and not self.feed_workers:
            unavailable = "not available: the daemon's feed runs in process (no --feed-workers)"
        if unavailable:
            record.error = unavailable
            record.injected = False
            self.journal.write("skip", fault=fault.name, id=index, reason=record.error)
            return record
        self.journal.write("inject", fault=fault.name, id=index, params=params_json(planned.params))
        try:
            answer = fault.inject(self.rig, planned.params) or {}
        except FaultError as error:
            record.error = str(error)
            record.injected = False
            self.journal.write("inject_failed", fault=fault.name, id=index, error=str(error))
            return record
        record.injected = True
        record.answer = answer
        if answer:  # the checkers map clock offsets back and time actor restarts from it
            self.journal.write("injected", fault=fault.name, id=index, answer=answer)
        epoch = answer.get("epoch")
        if fault.recovery == "epoch" and isinstance(epoch, int | float | str):
            record.need_epoch = int(epoch) if fault.name == "actor.restart" else int(epoch) + 1
            # from the moment the fault went out (an execution fault may first wait up
            # to 2 s for an order to be in flight; that wait is the harness's, not
            # the daemon's time to recover)
            sent = answer.get("sent_t")
            sent_t = float(sent) if isinstance(sent, int | float) else None
            record.recovery_from_t = sent_t if sent_t is not None else record.inject_t
            self._await_recovery(record)
        if planned.fault == "process.halt":
            self._wait_halted("chaos: kill switch")
        return record

    def heal(self, record: FaultRecord) -> None:
        if not record.injected:
            return
        fault = BY_NAME[record.fault]
        record.heal_t = time.time()
        self.journal.write("heal", fault=fault.name, id=record.id)
        try:
            answer = fault.heal(self.rig, record.params)
            if answer:
                record.heal_answer = answer
        except FaultError as error:
            record.error = f"heal: {error}"
            self.journal.write("heal_failed", fault=fault.name, id=record.id, error=str(error))
        if fault.recovery != "epoch":
            record.recovery_from_t = record.heal_t
            self._await_recovery(record)

    def _wait_halted(self, reason: str) -> None:
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            risk = self.rig.status_of("risk", RiskStatus)
            if risk is not None and risk.halted:
                self.journal.write("halted", reason=reason)
                return
            time.sleep(0.05)  # waiting for risk to take the halt, against a deadline

    # --- phases ------------------------------------------------------------------------

    def wait_ready(self, deadline_s: float) -> bool:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.poll().ready:
                return True
            time.sleep(POLL_S)
        return False

    def require_ready(self) -> None:
        if not self.wait_ready(READY_DEADLINE_S):
            raise HarnessError(f"the daemon was not ready within {READY_DEADLINE_S}s")

    def chaos(self) -> None:
        start = time.monotonic()
        events: list[tuple[float, int, str, Planned]] = []
        for planned in self.schedule.entries:
            events.append((planned.at_s, 1, "inject", planned))
            events.append((planned.until_s, 0, "heal", planned))
        events.sort(key=lambda event: (event[0], event[1]))
        live: dict[int, FaultRecord] = {}
        ids = {id(planned): i for i, planned in enumerate(self.schedule.entries)}
        # Recovery is observed by a poller thread of its own, so an injection that
        # blocks the timeline (waiting for a halt to land, an order to be in flight,
        # a killed daemon to come back) does not delay when recovery is seen.
        stop = threading.Event()
        poller = threading.Thread(target=self._poll_until, args=(stop,), daemon=True)
        poller.start()
        try:
            for at_s, _order, what, planned in events:
                while time.monotonic() - start < at_s:
                    self.rig.note_daemon_exit()
                    time.sleep(min(POLL_S, max(0.0, at_s - (time.monotonic() - start))))
                if what == "inject":
                    live[ids[id(planned)]] = self.inject(planned, ids[id(planned)])
                else:
                    self.heal(live.pop(ids[id(planned)]))
            while time.monotonic() - start < self.schedule.duration_s:
                self.rig.note_daemon_exit()
                time.sleep(POLL_S)
        finally:
            stop.set()
            poller.join(30)

    def _poll_until(self, stop: threading.Event) -> None:
        with httpx.Client(timeout=3.0, trust_env=False) as client:
            while not stop.is_set():
                try:
                    self.poll(client)
                except Exception as error:  # noqa: BLE001 - a bad poll must not end polling
                    self.journal.write("poll_failed", error=repr(error))
                stop.wait(POLL_S)

    def heal_all(self) -> None:
        self.journal.write("phase", name="heal")
        self.rig.unlock_ledger()
        if self.rig.second is not None:  # the chaos phase ended before its heal
            self.rig.finish_second_daemon(SECOND_DAEMON_DEADLINE_S)
        try:
            self.rig.venue_reset("all")
        except FaultError as error:
            raise HarnessError(f"cannot reset the venue's faults: {error}") from error
        if self.rig.daemon is None and not any(
            e.get("code") == 1 and e.get("by") == "itself"
            for e in self.journal.events
            if e["kind"] == "daemon_exit"
        ):
            self.rig.start_daemon()
        if self.chaos_routes and self.rig.daemon_alive():
            try:
                self.rig.daemon_post("/chaos/clock", {"offset_s": 0.0})
                self.rig.daemon_post("/chaos/storage", {"max_page_count": None})
            except FaultError as error:
                self.journal.write("heal_failed", fault="all", error=str(error))
        ready = self.wait_ready(READY_DEADLINE_S) if self.rig.daemon_alive() else False
        self.journal.write("healed", ready=ready)

    def quiesce(self) -> None:
        self.journal.write("phase", name="quiesce")
        if not self.rig.daemon_alive():
            return
        try:
            self.rig.daemon_post("/halt", {"reason": "chaos: quiesce"})
        except FaultError as error:
            self.journal.write("quiesce_failed", error=str(error))
            return
        self._wait_halted("chaos: quiesce")
        deadline = time.monotonic() + QUIESCE_DEADLINE_S
        while time.monotonic() < deadline:
            poll = self.poll()
            # 0, not None: an actor that publishes no status has not shown it is idle
            if poll.up and poll.held == poll.in_doubt == poll.in_flight == 0:
                break
            time.sleep(POLL_S)
        tree = self.rig.actors()
        if tree is not None:
            self.journal.write("final_actors", nodes=[snapshot_to_dict(c) for c in tree.children])

    def collect(self, sections: dict[str, dict[str, Value]]) -> Evidence:
        self.journal.write("phase", name="collect")
        shutdown_s = sections["daemon"]["shutdown_timeout_s"]
        assert isinstance(shutdown_s, int | float), shutdown_s
        self.rig.stop_daemon(float(shutdown_s) + 20.0)
        try:
            truth = fetch_truth(self.rig.venue_url)
            venue_final = fetch_venue_final(self.rig.venue_url, auth=self.venue_auth)
        except Exception as error:  # any failure to read the venue is the harness's
            raise HarnessError(f"cannot read the venue's truth: {error}") from error
        venue_events: tuple[Event, ...] | None = None  # exposure per event is then unknown
        try:
            venue_events = fetch_venue_events(self.rig.venue_url, auth=self.venue_auth)
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as error:
            self.journal.write("venue_events_unreadable", error=str(error))
        if self.polymarket is not None:
            try:
                journal = read_order_journal(self.rig.db.parent / JOURNAL_NAME)
                truth, venue_final, venue_events = in_daemon_names(
                    truth,
                    venue_final,
                    venue_events,
                    journal,
                    lambda seq: truth_entry_at(self.rig.venue_url, seq),
                )
            except Exception as error:  # the venue's evidence could not be named
                why = f"cannot name the venue's truth as the daemon does: {error}"
                raise HarnessError(why) from error
        try:
            ledger = read_ledger(self.rig.db)
        except LedgerError as error:
            self.journal.write("ledger_unreadable", error=str(error))
            ledger = None
        if venue_events is not None:
            (self.workdir / "venue-events.json").write_text(
                json.dumps([event_json(event) for event in venue_events], indent=1) + "\n"
            )
        history_path = self.rig.runtime_dir / "history.jsonl"
        history = read_history(history_path)
        (self.workdir / "venue-truth.jsonl").write_text(
            "".join(json.dumps(entry) + "\n" for entry in truth)
        )
        config: dict[str, object] = {
            "trader_cash": f"{TRADER_CASH:f}",  # read back as exact dollars
            **sections["risk"],
            "intensity": sections["supervision"]["intensity"],
            "period_s": sections["supervision"]["period_s"],
            "shutdown_timeout_s": sections["daemon"]["shutdown_timeout_s"],
            "hang_timeout_s": sections["supervision"]["hang_timeout_s"],
            "backoff_cap_s": sections["supervision"]["backoff_cap_s"],
            "request_timeout_s": sections["execution"]["request_timeout_s"],
            "basket_grace_s": BASKET_GRACE_S,
            **({"polymarket_taker_rate": f"{FEE_RATE:f}"} if self.polymarket is not None else {}),
            "ledger": str(self.rig.db.absolute()),
            "daemon_history_torn_lines": history.torn if history is not None else 0,
            "daemon_history_unreadable_lines": len(history.unreadable) if history else 0,
        }
        return Evidence(
            truth=tuple(truth),
            harness=tuple(self.journal.events),
            daemon=history.lines if history is not None else None,
            ledger=ledger,
            venue_final=venue_final,
            config=config,
            daemon_unreadable=history.unreadable if history is not None else (),
            venue_events=venue_events,
        )


def run(
    schedule: Schedule,
    workdir: Path,
    *,
    chaos_routes: bool | None = None,
    venue_kind: str = "sim",
    feed_workers: int = 0,
) -> RunOutcome:
    """Run ``schedule`` against fresh processes in ``workdir`` (created; must be empty).

    ``venue_kind = "kalshi"``: the daemon is configured as for Kalshi (``[venue] kind
    = "kalshi"``, a key generated for the run in an owner-only file, the venue's
    events selected) and the simulated venue refuses whatever that key did not sign.
    ``venue_kind = "polymarket"``: the daemon trades live through Polymarket's dialect
    (:mod:`warden.chaos._polymarket`: a wallet and API credentials of the run's own,
    the venue's events by slug), and the venue's evidence is named as the daemon
    names it before it is checked. ``feed_workers = N`` (N >= 1): the daemon's feed
    runs in N worker processes (``[feed] process = true, workers = N``), which the
    ``process.feed_worker`` fault kills; 0, the default, runs it in the daemon."""
    workdir.mkdir(parents=True, exist_ok=True)
    routes = chaos_routes_available() if chaos_routes is None else chaos_routes
    state = _Run(schedule, workdir, routes, venue_kind, feed_workers)
    started = time.monotonic()
    try:
        state.journal.write(
            "phase",
            name="setup",
            schedule=schedule.to_json(),
            chaos_routes=routes,
            venue_kind=venue_kind,
            feed_workers=feed_workers,
        )
        state.rig.start_venue()
        sections = state.write_config()
        state.rig.start_daemon()
        state.journal.write("phase", name="warmup")
        state.require_ready()
        warm_until = time.monotonic() + WARMUP_S
        while time.monotonic() < warm_until:
            state.poll()
            time.sleep(POLL_S)
        state.timings["warmup_s"] = round(time.monotonic() - started, 1)
        state.journal.write("phase", name="chaos")
        state.chaos()
        state.timings["chaos_s"] = round(time.monotonic() - started, 1)
        state.heal_all()
        state.quiesce()
        evidence = state.collect(sections)
        state.timings["total_s"] = round(time.monotonic() - started, 1)
    except HarnessError as error:
        state.journal.write("harness_error", error=str(error))
        return RunOutcome(
            EXIT_HARNESS, schedule, faults=state.faults, error=str(error), chaos_routes=routes
        )
    finally:
        state.rig.close()
        state.journal.close()
    results = check_all(evidence)
    code, why = verdict(results)
    return RunOutcome(code, schedule, results, state.faults, evidence, why, routes, state.timings)


def verdict(results: list[CheckResult]) -> tuple[int, str]:
    """Exit 1 if an invariant was violated; else 2 if one could not be decided (the
    harness lacked the evidence: not a pass); 0 only if every invariant held."""
    if any(r.status == "violated" for r in results):
        return EXIT_VIOLATED, ""
    undecided = [r.name for r in results if r.status != "held"]
    if undecided:
        return EXIT_HARNESS, f"not decided (no evidence): {', '.join(undecided)}"
    return EXIT_HELD, ""
