"""The report of a run: ``report.json``, a terminal summary, an HTML timeline.

``report.json`` holds everything needed to judge and to replay: seed,
commit, config hash, the schedule, the replay command, per fault type
(injected, exercised, recovered, time to recover p50/p99/max), every
invariant with counts and witnesses, orders ok/failed/unknown and resolved,
peak exposure against the limit. ``timeline.html`` is self-contained (inline
SVG): one row per fault, the daemon's readiness and halts, the venue's
orders. Writing a report never raises for a partial run: missing parts are
``null``.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from actors.history import OrderLine
from warden.chaos._exercised import exercised
from warden.chaos._runner import CONFIG, RunOutcome

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


def _fault_table(outcome: RunOutcome) -> dict[str, dict[str, Any]]:
    polls = [
        e for e in (outcome.evidence.harness if outcome.evidence else ()) if e["kind"] == "poll"
    ]
    truth = list(outcome.evidence.truth) if outcome.evidence else []
    table: dict[str, dict[str, Any]] = {}
    for record in outcome.faults:
        record["exercised"] = exercised(record, polls, truth)
        row = table.setdefault(
            record["fault"],
            {
                "family": record["family"],
                "scheduled": 0,
                "injected": 0,
                "exercised": 0,
                "recovered": 0,
                "not_available": 0,
                "ttr": [],
            },
        )
        row["scheduled"] += 1
        row["injected"] += bool(record.get("injected"))
        row["exercised"] += bool(record["exercised"])
        row["recovered"] += record.get("recovered_t") is not None
        row["not_available"] += str(record.get("error") or "").startswith("not available")
        if record.get("time_to_recover_s") is not None:
            row["ttr"].append(record["time_to_recover_s"])
    for row in table.values():
        ttr = row.pop("ttr")
        row["ttr_p50_s"], row["ttr_p99_s"] = _quantile(ttr, 0.5), _quantile(ttr, 0.99)
        row["ttr_max_s"] = max(ttr) if ttr else None
    return table


def _orders(outcome: RunOutcome) -> dict[str, Any]:
    ev = outcome.evidence
    if ev is None:
        return {}
    accepted = sum(1 for e in ev.truth if e["kind"] == "order_accepted")
    result: dict[str, Any] = {"accepted_at_venue": accepted}
    if ev.daemon is not None:
        phases = Counter(line.phase for line in ev.daemon_of(OrderLine))
        result |= {
            "source": "daemon history",
            "invoked": phases["invoke"],
            "ok": phases["ok"],
            "failed": phases["fail"],
            "unknown": phases["unknown"],
            "unknown_resolved": phases["resolved"],
        }
    elif ev.ledger is not None:
        states = Counter(order.state for order in ev.ledger.orders)
        result |= {"source": "ledger (no daemon history)", "ledger_states": dict(states)}
    return result


def _daemon_history(outcome: RunOutcome) -> dict[str, Any] | None:
    """How much of the daemon history was read: records by kind, torn lines (a
    SIGKILL mid-write) and the unreadable lines (the first few, with why)."""
    ev = outcome.evidence
    if ev is None or ev.daemon is None:
        return None
    kinds = Counter(getattr(line, "kind", type(line).KIND) for line in ev.daemon)
    return {
        "records": len(ev.daemon),
        "records_by_kind": dict(sorted(kinds.items())),
        "torn_lines": ev.config_int("daemon_history_torn_lines"),
        "unreadable_lines": len(ev.daemon_unreadable),
        "unreadable_first": [line.to_json() for line in ev.daemon_unreadable[:5]],
    }


def build(outcome: RunOutcome, workdir: Path) -> dict[str, Any]:
    schedule = outcome.schedule
    spec = f" --faults {schedule.faults_spec}" if schedule.faults_spec else ""
    exposure = next((r for r in outcome.results if r.name == "exposure_within_limits"), None)
    families = sorted({r["family"] for r in outcome.faults if r.get("injected")})
    return {
        "exit_code": outcome.exit_code,
        "verdict": {0: "every invariant held", 1: "invariant violated", 2: "harness error"}[
            outcome.exit_code
        ],
        "error": outcome.error or None,
        "seed": schedule.seed,
        "commit": _commit(),
        "config_hash": config_hash(),
        "config": CONFIG,
        "chaos_routes": outcome.chaos_routes,
        "replay": f"warden chaos replay {workdir}",
        "rerun": (
            f"warden chaos run --seed {schedule.seed} --duration {schedule.duration_s:g}"
            f" --intensity {schedule.intensity}{spec}"
        ),
        "schedule": schedule.to_json(),
        "families_injected": families,
        "faults": _fault_table(outcome),
        "fault_log": outcome.faults,
        "invariants": [result.to_json() for result in outcome.results],
        "orders": _orders(outcome),
        "daemon_history": _daemon_history(outcome),
        "peak_exposure": exposure.counts if exposure is not None else None,
        "timings": outcome.timings,
    }


def write(report: dict[str, Any], workdir: Path) -> None:
    (workdir / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    console = Console(file=(workdir / "summary.txt").open("w"), width=120, no_color=True)
    print_summary(report, console)
    console.file.close()
    (workdir / "timeline.html").write_text(timeline_html(report, workdir))


def print_summary(report: dict[str, Any], console: Console) -> None:
    console.print(
        f"chaos run seed {report['seed']}  commit {report['commit'][:12]}  "
        f"config {report['config_hash']}  -> {report['verdict']} (exit {report['exit_code']})"
    )
    if report.get("error"):
        console.print(f"harness error: {report['error']}")
    faults = Table(title="faults")
    for column in ("fault", "scheduled", "injected", "exercised", "recovered", "ttr p50/p99/max s"):
        faults.add_column(column)
    for name, row in sorted(report["faults"].items()):
        ttr = "/".join(
            "-" if row[k] is None else f"{row[k]:.2f}"
            for k in ("ttr_p50_s", "ttr_p99_s", "ttr_max_s")
        )
        injected = str(row["injected"]) + (" (n/a)" if row["not_available"] else "")
        faults.add_row(
            name, str(row["scheduled"]), injected, str(row["exercised"]), str(row["recovered"]), ttr
        )
    console.print(faults)
    invariants = Table(title="invariants")
    for column in ("#", "invariant", "status", "counts / detail"):
        invariants.add_column(column)
    for result in report["invariants"]:
        counts = ", ".join(f"{k}={v}" for k, v in result["counts"].items())
        style = STATUS_STYLE[result["status"]]
        invariants.add_row(
            str(result["invariant"]),
            result["name"],
            f"[{style}]{result['status']}[/{style}]",
            "; ".join(part for part in (counts, result["detail"]) if part),
        )
    console.print(invariants)
    console.print(f"orders: {report['orders']}")
    history = report.get("daemon_history")  # absent in reports written before it existed
    if history:
        console.print(
            f"daemon history: {history['records']} records, {history['torn_lines']} torn, "
            f"{history['unreadable_lines']} unreadable {history['unreadable_first']}"
        )
    console.print(f"replay: {report['replay']}")


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


def timeline_html(report: dict[str, Any], workdir: Path) -> str:
    """A self-contained HTML page: faults as bars, readiness and halts, venue orders."""
    harness = (
        [
            json.loads(line)
            for line in (workdir / "harness.jsonl").read_text().splitlines()
            if line.strip()
        ]
        if (workdir / "harness.jsonl").exists()
        else []
    )
    if not harness:
        return "<html><body><p>no harness history</p></body></html>"
    t0 = float(harness[0]["t"])
    t1 = float(max(event["t"] for event in harness))
    width, row_h, left = 1000.0, 18, 170
    scale = (width - left - 10) / max(1.0, t1 - t0)

    def x(t: float) -> float:
        return left + (t - t0) * scale

    faults = report.get("fault_log") or []
    rows = [f"fault {i}: {f['fault']}" for i, f in enumerate(faults)]
    svg: list[str] = []
    y = 10
    for label, record in zip(rows, faults, strict=True):
        start = record["inject_t"]
        end = record.get("heal_t") or start + 0.2
        colour = _COLOURS.get(record["family"], "#777")
        svg.append(f'<text x="4" y="{y + 12}" font-size="11">{html.escape(label)}</text>')
        opacity = "1" if record.get("injected") else "0.25"
        svg.append(
            _rect(x(start), y, max(2.0, (end - start) * scale), colour, opacity)
            + f"<title>{html.escape(json.dumps(record['params']))}</title></rect>"
        )
        if record.get("recovered_t"):
            svg.append(_tick(x(record["recovered_t"]), y, "black", 2))
        y += row_h
    for label, key, colour in (
        ("ready", "ready", "#2ca02c"),
        ("halted", "halted", "#d62728"),
        ("daemon up", "up", "#1f77b4"),
    ):
        svg.append(f'<text x="4" y="{y + 12}" font-size="11">{label}</text>')
        for poll in (e for e in harness if e["kind"] == "poll" and e.get(key)):
            svg.append(_rect(x(poll["t"]), y, max(1.0, 0.25 * scale), colour, "1") + "</rect>")
        y += row_h
    svg.append(f'<text x="4" y="{y + 12}" font-size="11">venue orders</text>')
    truth_file = workdir / "venue-truth.jsonl"
    if truth_file.exists():
        for line in truth_file.read_text().splitlines():
            entry = json.loads(line)
            if entry["kind"] == "order_accepted" and t0 <= entry["ts"] <= t1:
                svg.append(_tick(x(entry["ts"]), y, "#333", 1))
    y += row_h + 10
    rows_html = "".join(
        f"<tr><td>{r['invariant']}</td><td>{html.escape(r['name'])}</td>"
        f"<td class='{r['status']}'>{r['status']}</td><td>{html.escape(r['detail'])}</td></tr>"
        for r in report["invariants"]
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>warden chaos "
        f"seed {report['seed']}</title><style>body{{font-family:sans-serif}}"
        ".held{color:green}.violated{color:red;font-weight:bold}.unknown{color:#b8860b}"
        "td{padding:2px 8px}</style></head><body>"
        f"<h1>warden chaos run, seed {report['seed']}: {html.escape(report['verdict'])}</h1>"
        f"<p>commit {html.escape(report['commit'])}, config {report['config_hash']}, "
        f"replay: <code>{html.escape(report['replay'])}</code></p>"
        f"<svg width='{width}' height='{y}' xmlns='http://www.w3.org/2000/svg'>{''.join(svg)}</svg>"
        f"<table><tr><th>#</th><th>invariant</th><th>status</th><th>detail</th></tr>{rows_html}</table>"
        "</body></html>"
    )
