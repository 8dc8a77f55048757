"""The report of a run: ``report.json``, a terminal summary, an HTML timeline.

``report.json`` holds everything needed to judge and to replay: seed,
commit, config hash, the schedule, the replay command, per fault type
(injected, exercised, recovered, time to recover p50/p99/max), every
invariant with counts and witnesses, orders ok/failed/unknown and resolved,
peak exposure against the limit. ``timeline.html`` is self-contained (inline
SVG): one row per fault, the daemon's readiness and halts, the venue's
orders. Writing a report never raises for a partial run: missing parts are
``null``. Money (the checkers' ``Decimal`` counts and witnesses, the config's
limits) is written as exact fixed-point strings (``"50.00"``, ``"-5.5200"``),
never as a JSON number (:func:`plain`).
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import subprocess
from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path

import cattrs
from attrs import define, field, frozen
from rich.console import Console
from rich.table import Table

from actors.history import OrderLine
from warden.chaos._exercised import exercised
from warden.chaos._history import Poll
from warden.chaos._runner import CONFIG, FaultRecord, RunOutcome, Value, params_json
from warden.chaos._schedule import Schedule
from warden.chaos._verdicts import CheckResult
from warden.json_types import Json, JsonObject

STATUS_STYLE = {"held": "green", "violated": "bold red", "unknown": "yellow"}


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH, read-only
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            cwd=Path(__file__).resolve().parent,
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def config_hash() -> str:
    return hashlib.sha256(json.dumps(CONFIG, sort_keys=True).encode()).hexdigest()[:16]


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)], 3)


@frozen(kw_only=True)
class FaultRow:
    """One fault type's line in report.json's ``faults``: how often it was scheduled,
    injected, exercised and seen to recover, and its times to recover."""

    family: str
    scheduled: int
    injected: int
    exercised: int
    recovered: int
    not_available: int
    ttr_p50_s: float | None
    ttr_p99_s: float | None
    ttr_max_s: float | None


@define
class _Tally:
    family: str
    scheduled: int = 0
    injected: int = 0
    exercised: int = 0
    recovered: int = 0
    not_available: int = 0
    ttr: list[float] = field(factory=list)

    def row(self) -> FaultRow:
        return FaultRow(
            family=self.family,
            scheduled=self.scheduled,
            injected=self.injected,
            exercised=self.exercised,
            recovered=self.recovered,
            not_available=self.not_available,
            ttr_p50_s=_quantile(self.ttr, 0.5),
            ttr_p99_s=_quantile(self.ttr, 0.99),
            ttr_max_s=max(self.ttr) if self.ttr else None,
        )


@frozen(kw_only=True)
class Orders:
    """report.json's ``orders``: what the venue accepted and, from the daemon history
    (or, without one, the ledger), how the orders ended. A part it could not read is
    absent from the JSON (``{}`` without evidence)."""

    accepted_at_venue: int | None = None
    source: str | None = None
    invoked: int | None = None
    ok: int | None = None
    failed: int | None = None
    unknown: int | None = None
    unknown_resolved: int | None = None
    ledger_states: dict[str, int] | None = None


@frozen(kw_only=True)
class HistorySection:
    """report.json's ``daemon_history``: how much of the daemon history was read."""

    records: int
    records_by_kind: dict[str, int]
    torn_lines: int | None
    unreadable_lines: int
    unreadable_first: list[dict[str, object]]


@frozen(kw_only=True)
class Report:
    """Everything report.json holds, in its order; :func:`write` writes it with
    :func:`to_json`. Missing parts of a partial run are ``None`` (``null``)."""

    exit_code: int
    verdict: str
    error: str | None
    seed: int
    commit: str
    config_hash: str
    config: dict[str, dict[str, Value]]
    chaos_routes: bool
    replay: str
    rerun: str
    schedule: Schedule
    families_injected: list[str]
    faults: dict[str, FaultRow]
    fault_log: list[FaultRecord]
    invariants: list[CheckResult]
    orders: Orders
    daemon_history: HistorySection | None
    peak_exposure: dict[str, object] | None
    timings: dict[str, float]


_converter = cattrs.Converter()
# by predicate, not by class: registering an attrs class resolves its annotations,
# and those naming the recursive ``Json`` alias cannot be resolved in their module
_converter.register_unstructure_hook_func(
    lambda cls: cls is Schedule, lambda schedule: schedule.to_json()
)
_converter.register_unstructure_hook_func(
    lambda cls: cls is FaultRecord, lambda record: record.to_json()
)
_converter.register_unstructure_hook_func(
    lambda cls: cls is CheckResult, lambda result: result.to_json()
)
_converter.register_unstructure_hook_func(
    lambda cls: cls is Orders,
    lambda orders: {
        key: value
        for key, value in _converter.unstructure_attrs_asdict(orders).items()
        if value is not None
    },
)


def plain(value: object) -> object:
    """``value`` with every ``Decimal`` in it (through mappings, lists and tuples)
    turned into its exact fixed-point string (``Decimal("-5.52")`` -> ``"-5.52"``,
    never an exponent); anything else as it is."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def to_json(report: Report) -> dict[str, object]:
    """report.json's object; money as strings (:func:`plain`)."""
    data: dict[str, object] = _converter.unstructure(report)
    plain_data = plain(data)
    assert isinstance(plain_data, dict)  # a mapping stays a mapping
    return plain_data


def _fault_table(outcome: RunOutcome) -> dict[str, FaultRow]:
    polls = [
        e for e in (outcome.evidence.harness if outcome.evidence else ()) if e["kind"] == "poll"
    ]
    truth = list(outcome.evidence.truth) if outcome.evidence else []
    tallies: dict[str, _Tally] = {}
    for record in outcome.faults:
        record.exercised = exercised(record.to_json(), polls, truth)
        tally = tallies.setdefault(record.fault, _Tally(record.family))
        tally.scheduled += 1
        tally.injected += bool(record.injected)
        tally.exercised += bool(record.exercised)
        tally.recovered += record.recovered_t is not None
        tally.not_available += str(record.error or "").startswith("not available")
        if record.time_to_recover_s is not None:
            tally.ttr.append(record.time_to_recover_s)
    return {name: tally.row() for name, tally in tallies.items()}


def _orders(outcome: RunOutcome) -> Orders:
    ev = outcome.evidence
    if ev is None:
        return Orders()
    accepted = sum(1 for e in ev.truth if e["kind"] == "order_accepted")
    if ev.daemon is not None:
        phases = Counter(line.phase for line in ev.daemon_of(OrderLine))
        return Orders(
            accepted_at_venue=accepted,
            source="daemon history",
            invoked=phases["invoke"],
            ok=phases["ok"],
            failed=phases["fail"],
            unknown=phases["unknown"],
            unknown_resolved=phases["resolved"],
        )
    if ev.ledger is not None:
        states = Counter(order.state for order in ev.ledger.orders)
        return Orders(
            accepted_at_venue=accepted,
            source="ledger (no daemon history)",
            ledger_states=dict(states),
        )
    return Orders(accepted_at_venue=accepted)


def _daemon_history(outcome: RunOutcome) -> HistorySection | None:
    """How much of the daemon history was read: records by kind, torn lines (a
    SIGKILL mid-write) and the unreadable lines (the first few, with why)."""
    ev = outcome.evidence
    if ev is None or ev.daemon is None:
        return None
    kinds: Counter[str] = Counter(getattr(line, "kind", type(line).KIND) for line in ev.daemon)
    return HistorySection(
        records=len(ev.daemon),
        records_by_kind=dict(sorted(kinds.items())),
        torn_lines=ev.config_int("daemon_history_torn_lines"),
        unreadable_lines=len(ev.daemon_unreadable),
        unreadable_first=[line.to_json() for line in ev.daemon_unreadable[:5]],
    )


def build(outcome: RunOutcome, workdir: Path) -> Report:
    schedule = outcome.schedule
    spec = f" --faults {schedule.faults_spec}" if schedule.faults_spec else ""
    exposure = next((r for r in outcome.results if r.name == "exposure_within_limits"), None)
    families = sorted({r.family for r in outcome.faults if r.injected})
    verdicts = {0: "every invariant held", 1: "invariant violated", 2: "harness error"}
    return Report(
        exit_code=outcome.exit_code,
        verdict=verdicts[outcome.exit_code],
        error=outcome.error or None,
        seed=schedule.seed,
        commit=_commit(),
        config_hash=config_hash(),
        config=CONFIG,
        chaos_routes=outcome.chaos_routes,
        replay=f"warden chaos replay {workdir}",
        rerun=(
            f"warden chaos run --seed {schedule.seed} --duration {schedule.duration_s:g}"
            f" --intensity {schedule.intensity}{spec}"
        ),
        schedule=schedule,
        families_injected=families,
        faults=_fault_table(outcome),
        fault_log=outcome.faults,
        invariants=list(outcome.results),
        orders=_orders(outcome),
        daemon_history=_daemon_history(outcome),
        peak_exposure=dict(exposure.counts) if exposure is not None else None,
        timings=outcome.timings,
    )


def write(report: Report, workdir: Path) -> None:
    (workdir / "report.json").write_text(json.dumps(to_json(report), indent=2, default=str) + "\n")
    console = Console(file=(workdir / "summary.txt").open("w"), width=120, no_color=True)
    print_summary(report, console)
    console.file.close()
    (workdir / "timeline.html").write_text(timeline_html(report, workdir))


def print_summary(report: Report, console: Console) -> None:
    console.print(
        f"chaos run seed {report.seed}  commit {report.commit[:12]}  "
        f"config {report.config_hash}  -> {report.verdict} (exit {report.exit_code})"
    )
    if report.error:
        console.print(f"harness error: {report.error}")
    faults = Table(title="faults")
    for column in ("fault", "scheduled", "injected", "exercised", "recovered", "ttr p50/p99/max s"):
        faults.add_column(column)
    for name, row in sorted(report.faults.items()):
        ttr = "/".join(
            "-" if value is None else f"{value:.2f}"
            for value in (row.ttr_p50_s, row.ttr_p99_s, row.ttr_max_s)
        )
        injected = str(row.injected) + (" (n/a)" if row.not_available else "")
        faults.add_row(
            name, str(row.scheduled), injected, str(row.exercised), str(row.recovered), ttr
        )
    console.print(faults)
    invariants = Table(title="invariants")
    for column in ("#", "invariant", "status", "counts / detail"):
        invariants.add_column(column)
    for result in report.invariants:
        counts = ", ".join(f"{k}={plain(v)}" for k, v in result.counts.items())
        style = STATUS_STYLE[result.status]
        invariants.add_row(
            str(result.invariant),
            result.name,
            f"[{style}]{result.status}[/{style}]",
            "; ".join(part for part in (counts, result.detail) if part),
        )
    console.print(invariants)
    console.print(f"orders: {_converter.unstructure(report.orders)}")
    history = report.daemon_history
    if history:
        console.print(
            f"daemon history: {history.records} records, {history.torn_lines} torn, "
            f"{history.unreadable_lines} unreadable {history.unreadable_first}"
        )
    console.print(f"replay: {report.replay}")


_COLOURS = {
    "actor": "#6a5acd",
    "venue": "#1f77b4",
    "process": "#d62728",
    "storage": "#8c564b",
    "clock": "#2ca02c",
}


def _rect(x: float, y: int, width: float, colour: str, opacity: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="14" fill="{colour}" '
        f'opacity="{opacity}">'
    )


def _tick(x: float, y: int, colour: str, width: int) -> str:
    return (
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + 14}" stroke="{colour}" '
        f'stroke-width="{width}"/>'
    )


def _number(value: Json) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _json_lines(path: Path) -> list[JsonObject]:
    """The JSON objects of a JSON-lines file (none if it is absent)."""
    if not path.exists():
        return []
    found: list[JsonObject] = []
    for line in path.read_text().splitlines():
        if line.strip():
            value: Json = json.loads(line)
            if isinstance(value, dict):
                found.append(value)
    return found


def timeline_html(report: Report, workdir: Path) -> str:
    """A self-contained HTML page: faults as bars, readiness and halts, venue orders."""
    harness = [e for e in _json_lines(workdir / "harness.jsonl") if _number(e.get("t")) is not None]
    if not harness:
        return "<html><body><p>no harness history</p></body></html>"
    times = [_number(event["t"]) or 0.0 for event in harness]
    t0, t1 = times[0], max(times)
    width, row_h, left = 1000.0, 18, 170
    scale = (width - left - 10) / max(1.0, t1 - t0)

    def x(t: float) -> float:
        return left + (t - t0) * scale

    faults = report.fault_log
    rows = [f"fault {i}: {f.fault}" for i, f in enumerate(faults)]
    svg: list[str] = []
    y = 10
    for label, record in zip(rows, faults, strict=True):
        start = record.inject_t
        end = record.heal_t or start + 0.2
        colour = _COLOURS.get(record.family, "#777")
        svg.append(f'<text x="4" y="{y + 12}" font-size="11">{html.escape(label)}</text>')
        opacity = "1" if record.injected else "0.25"
        svg.append(
            _rect(x(start), y, max(2.0, (end - start) * scale), colour, opacity)
            + f"<title>{html.escape(json.dumps(params_json(record.params)))}</title></rect>"
        )
        if record.recovered_t:
            svg.append(_tick(x(record.recovered_t), y, "black", 2))
        y += row_h
    polls = [Poll.from_event(e) for e in harness if e.get("kind") == "poll"]
    lanes: tuple[tuple[str, Callable[[Poll], bool | None], str], ...] = (
        ("ready", lambda poll: poll.ready, "#2ca02c"),
        ("halted", lambda poll: poll.halted, "#d62728"),
        ("daemon up", lambda poll: poll.up, "#1f77b4"),
    )
    for label, shows, colour in lanes:
        svg.append(f'<text x="4" y="{y + 12}" font-size="11">{label}</text>')
        for poll in (p for p in polls if shows(p)):
            svg.append(_rect(x(poll.t), y, max(1.0, 0.25 * scale), colour, "1") + "</rect>")
        y += row_h
    svg.append(f'<text x="4" y="{y + 12}" font-size="11">venue orders</text>')
    for entry in _json_lines(workdir / "venue-truth.jsonl"):
        ts = _number(entry.get("ts"))
        if entry.get("kind") == "order_accepted" and ts is not None and t0 <= ts <= t1:
            svg.append(_tick(x(ts), y, "#333", 1))
    y += row_h + 10
    rows_html = "".join(
        f"<tr><td>{r.invariant}</td><td>{html.escape(r.name)}</td>"
        f"<td class='{r.status}'>{r.status}</td><td>{html.escape(r.detail)}</td></tr>"
        for r in report.invariants
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>warden chaos "
        f"seed {report.seed}</title><style>body{{font-family:sans-serif}}"
        ".held{color:green}.violated{color:red;font-weight:bold}.unknown{color:#b8860b}"
        "td{padding:2px 8px}</style></head><body>"
        f"<h1>warden chaos run, seed {report.seed}: {html.escape(report.verdict)}</h1>"
        f"<p>commit {html.escape(report.commit)}, config {report.config_hash}, "
        f"replay: <code>{html.escape(report.replay)}</code></p>"
        f"<svg width='{width}' height='{y}' xmlns='http://www.w3.org/2000/svg'>{''.join(svg)}</svg>"
        f"<table><tr><th>#</th><th>invariant</th><th>status</th><th>detail</th></tr>{rows_html}</table>"
        "</body></html>"
    )
