"""Memory soak: the real daemon trading ~20 fills/s for an hour, RSS sampled (issue 15).

    python benchmarks/soak.py [--duration 3600] [--interval 60] [--warmup 300]
                              [--markets 20] [--tick 0.25] [--arb-rate 0.35] [--arb-lifetime 1.0]
                              [--no-baseline] [--workdir /tmp/soak/run-...]

What runs, all as subprocesses on 127.0.0.1, each in its own directory under
``--workdir`` (ledger, runtime directory, config, logs):

- **trading**: ``warden venue-sim`` (the default, complement-arbitrage mode:
  ``--markets`` markets, one step every ``--tick`` s, an opportunity per market
  per step with probability ``--arb-rate``, taken by competitors after
  ``--arb-lifetime`` s) and ``warden run --venue-url`` against it, as the daemon
  runs against a remote venue in production: the venue's matching engine, truth
  log and dynamics live in another process, so the daemon's RSS is the daemon's
  own. The daemon keeps every risk limit at its default; only
  ``execution.orders_per_second`` (a venue rate-limit throttle, default 20/s,
  which alone would cap the run at 20 orders/s = 10 baskets/s) is raised to
  ``--orders-per-second``. Each opportunity is one two-leg basket (YES and NO
  of one market, 10 contracts each): 2 orders, normally 2 fills, so ~10
  opportunities/s give ~20 fills/s.
- **idle** (the baseline, unless ``--no-baseline``): the same pair with
  ``--arb-rate 0``: the same markets, book traffic and actors, no opportunity,
  so no orders and no fills. RSS growth in both is time, feed and runtime;
  growth in the trading daemon only is what trading leaves behind.

Every ``--interval`` s, per daemon: RSS (``VmRSS`` from ``/proc/<pid>/status``
of the daemon and any descendant processes; it has none today), CPU over the
interval (100% = one core), fills so far (rows of the ledger's ``fills`` table,
read-only: durable, and not reset when risk restarts), and from the control
plane's ``/metrics`` (no token needed): orders sent, actor restarts, risk
rejections, ``warden_halted``. The venue's RSS is shown too (it is not the
daemon's, but a venue that grows would perturb the run).

Summary, over the samples from the first one at or after ``--warmup`` s to
the last: RSS there and at the end, the change in % (target: within +-5%), the
least-squares slope in MB/min, and the fills/s achieved. The machine's load
average is printed with every sample: on a shared machine other work perturbs
CPU and rates (not RSS much).

Everything stops by itself after ``--duration`` s (the daemons get SIGTERM,
a graceful stop; each also has ``--duration`` as a backstop). The venues and
daemons get SIGTERM if this script dies (``PR_SET_PDEATHSIG``, Linux).
Exit 0 when every daemon ran to the end, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

PYTHON = sys.executable
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1
T = TypeVar("T")


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when this script's process ends (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


# ---- /proc ------------------------------------------------------------------


def _children_of() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    """``pid`` and every descendant alive now."""
    children, found, todo = _children_of(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_mb(pids: list[int]) -> float:
    """Sum of ``VmRSS`` over ``pids`` in MB (2**20 bytes); a vanished pid counts 0."""
    total_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    break
        except OSError:
            continue
    return total_kb / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` (threads included)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / CLOCK_TICKS


# ---- one venue + daemon pair --------------------------------------------------


@dataclass
class Sample:
    t: float
    load1: float
    rss: float
    cpu_pct: float
    fills: int | None
    orders: int | None
    restarts: int | None
    rejections: int | None
    halted: bool | None
    venue_rss: float


@dataclass
class Rig:
    """One ``warden venue-sim`` and one ``warden run`` against it, in ``root``."""

    name: str
    root: Path
    venue_args: list[str]
    orders_per_second: float
    venue: subprocess.Popen[bytes] | None = None
    daemon: subprocess.Popen[bytes] | None = None
    control_url: str = ""
    samples: list[Sample] = field(default_factory=list)
    _last_cpu: tuple[float, float] | None = None

    @property
    def db(self) -> Path:
        return self.root / "ledger.db"

    def start_venue(self, timeout_s: float = 60.0) -> str:
        """Start the venue; its URL once it listens. ``RuntimeError`` if it does not."""
        self.root.mkdir(parents=True, exist_ok=False)
        log = self.root / "venue.log"
        with log.open("wb") as out:
            self.venue = subprocess.Popen(
                [PYTHON, "-m", "warden", "venue-sim", "--port", "0", *self.venue_args],
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads here yet
            )
        prefix = "venue-sim listening on "
        line = _eventually(
            lambda: next((x for x in log.read_text().splitlines() if x.startswith(prefix)), None),
            timeout_s,
            f"{self.name}: venue-sim did not listen (see {log})",
            alive=self.venue,
        )
        return line.removeprefix(prefix).strip()

    def start_daemon(self, venue_url: str, duration_s: float, timeout_s: float = 120.0) -> None:
        """Write the config, start ``warden run``, wait for its control plane."""
        config = self.root / "soak.toml"
        config.write_text(
            "# written by benchmarks/soak.py; paths relative to this file\n"
            "[daemon]\n"
            'db = "ledger.db"\n'
            'runtime_dir = "run"\n'
            "status_interval_s = 60.0\n"
            "[venue]\n"
            "realism = false  # the venue is separate (--venue-url); this key is not read\n"
            "[execution]\n"
            f"orders_per_second = {self.orders_per_second!r}\n"
        )
        with (self.root / "daemon.log").open("wb") as out:
            self.daemon = subprocess.Popen(
                [
                    PYTHON, "-m", "warden", "run",
                    "--config", str(config),
                    "--venue-url", venue_url,
                    "--duration", str(duration_s),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads here yet
            )  # fmt: skip
        runtime = self.root / "run" / "warden.json"

        def control_url() -> str | None:
            try:
                info = json.loads(runtime.read_text())
            except (OSError, ValueError):
                return None
            return str(info["url"]) if info.get("pid") == self.daemon_pid else None

        self.control_url = _eventually(
            control_url,
            timeout_s,
            f"{self.name}: no control plane (see {self.root / 'daemon.log'})",
            alive=self.daemon,
        )

    @property
    def daemon_pid(self) -> int:
        assert self.daemon is not None
        return self.daemon.pid

    def sample(self, t: float) -> Sample:
        assert self.daemon is not None
        assert self.venue is not None
        pids = process_tree(self.daemon.pid)
        now, cpu = time.monotonic(), cpu_seconds(pids)
        cpu_pct = 0.0
        if self._last_cpu is not None:
            cpu_pct = 100 * (cpu - self._last_cpu[1]) / max(1e-9, now - self._last_cpu[0])
        self._last_cpu = (now, cpu)
        metrics = _metrics(self.control_url)
        restarts = _metric_sum(metrics, "warden_actor_restarts_total")
        halted = _metric_sum(metrics, "warden_halted")
        sample = Sample(
            t=t,
            load1=os.getloadavg()[0],
            rss=rss_mb(pids),
            cpu_pct=cpu_pct,
            fills=_ledger_fills(self.db),
            orders=_as_int(_metric_sum(metrics, "warden_orders_sent_total")),
            restarts=_as_int(restarts),
            rejections=_as_int(_metric_sum(metrics, "warden_risk_rejections_total")),
            halted=None if halted is None else halted > 0,
            venue_rss=rss_mb(process_tree(self.venue.pid)),
        )
        self.samples.append(sample)
        return sample

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in (self.venue, self.daemon))

    def stop(self, timeout_s: float = 60.0) -> list[str]:
        """SIGTERM the daemon (graceful), then the venue; what each exited with."""
        said = []
        for role, process in (("daemon", self.daemon), ("venue", self.venue)):
            if process is None:
                continue
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
                said.append(f"{self.name} {role}: did not stop in {timeout_s}s, killed ({code})")
                continue
            said.append(f"{self.name} {role}: exit {code}")
        return said


def _eventually(
    probe: Callable[[], T | None],
    timeout_s: float,
    failure: str,
    *,
    alive: subprocess.Popen[bytes] | None,
) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(f"{failure}: exited {alive.returncode}")
        time.sleep(0.2)
    raise RuntimeError(f"{failure}: not within {timeout_s}s")


def _metrics(url: str) -> dict[str, float]:
    """``/metrics`` as family-name -> sum over its series; ``{}`` if unreachable."""
    try:
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:  # noqa: S310 - our loopback URL
            text = response.read().decode()
    except (OSError, ValueError):
        return {}
    sums: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_and_labels, _, value = line.rpartition(" ")
        name = name_and_labels.partition("{")[0]
        with contextlib.suppress(ValueError):
            sums[name] = sums.get(name, 0.0) + float(value)
    return sums


def _metric_sum(metrics: dict[str, float], name: str) -> float | None:
    return metrics.get(name)


def _as_int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _ledger_fills(db: Path) -> int | None:
    """Rows of the ledger's ``fills`` table, read-only; None if it cannot be read now."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5.0)
        try:
            row = conn.execute("SELECT count(*) FROM fills").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return int(row[0])


# ---- figures --------------------------------------------------------------------


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute; nan under 2 points."""
    if len(points) < 2:
        return math.nan
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return math.nan
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / spread


def _fmt(value: float | int | bool | None, spec: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return format(value, spec)


def _table_header(rigs: list[Rig]) -> str:
    head = f"{'t_s':>6} {'load1':>5} | {'rss_mb':>7} {'cpu%':>5} {'fills':>8} {'fills/s':>7}"
    head += f" {'orders':>8} {'restarts':>8} {'rejects':>7} {'halted':>6} {'venue_mb':>8}"
    if len(rigs) > 1:
        head += f" | idle: {'rss_mb':>7} {'cpu%':>5} {'venue_mb':>8}"
    return head


def _table_row(rigs: list[Rig]) -> str:
    main = rigs[0].samples
    now = main[-1]
    rate = None
    if len(main) > 1 and now.fills is not None and main[-2].fills is not None:
        rate = (now.fills - main[-2].fills) / max(1e-9, now.t - main[-2].t)
    row = f"{now.t:6.0f} {now.load1:5.2f} | {now.rss:7.1f} {now.cpu_pct:5.0f}"
    row += f" {_fmt(now.fills, 'd'):>8} {_fmt(rate, '.1f'):>7} {_fmt(now.orders, 'd'):>8}"
    row += f" {_fmt(now.restarts, 'd'):>8} {_fmt(now.rejections, 'd'):>7}"
    row += f" {_fmt(now.halted, ''):>6} {now.venue_rss:8.1f}"
    if len(rigs) > 1:
        idle = rigs[1].samples[-1]
        row += f" |       {idle.rss:7.1f} {idle.cpu_pct:5.0f} {idle.venue_rss:8.1f}"
    return row


def _rss_summary(label: str, points: list[tuple[float, float]]) -> Iterator[str]:
    first, last = points[0][1], points[-1][1]
    change = 100 * (last - first) / first
    low, high = min(v for _, v in points), max(v for _, v in points)
    slope = slope_per_minute(points)
    verdict = "within" if abs(change) <= 5 else "OUTSIDE"
    yield (
        f"  {label:<16} RSS at t={points[0][0]:.0f}s {first:.1f} MB, at t={points[-1][0]:.0f}s"
        f" {last:.1f} MB: change {change:+.2f}% ({verdict} +-5%); slope {slope:+.4f} MB/min"
        f" (least squares, {len(points)} samples); range {low:.1f}-{high:.1f} MB"
    )
    if len(points) >= 6:  # a window still filling slows down; a leak does not
        half = len(points) // 2
        early, late = slope_per_minute(points[: half + 1]), slope_per_minute(points[half:])
        yield (
            f"  {'':<16} slope over the first half {early:+.4f} MB/min, the second half"
            f" {late:+.4f} MB/min (split at t={points[half][0]:.0f}s)"
        )


def summary(rigs: list[Rig], warmup_s: float) -> Iterator[str]:
    main = rigs[0].samples
    after = [s for s in main if s.t >= warmup_s]
    if len(after) < 2:
        yield f"summary: fewer than 2 samples after the {warmup_s:.0f}s warm-up; no figures"
        return
    first_t = after[0].t
    yield f"summary (samples from the first at or after the {warmup_s:.0f}s warm-up):"
    yield from _rss_summary("trading daemon", [(s.t, s.rss) for s in after])
    yield from _rss_summary("trading venue", [(s.t, s.venue_rss) for s in after])
    if len(rigs) > 1:
        idle = [s for s in rigs[1].samples if s.t >= first_t]
        if len(idle) >= 2:
            yield from _rss_summary("idle daemon", [(s.t, s.rss) for s in idle])
            yield from _rss_summary("idle venue", [(s.t, s.venue_rss) for s in idle])
    start, end = after[0], after[-1]
    if start.fills is not None and end.fills is not None:
        rate = (end.fills - start.fills) / (end.t - start.t)
        yield (
            f"  fills: {end.fills - start.fills} in {end.t - start.t:.0f}s after warm-up ="
            f" {rate:.2f} fills/s; {end.fills} in the whole run"
            f" ({end.fills / max(1e-9, end.t):.2f} fills/s)"
        )
    cpu = [s.cpu_pct for s in after[1:]]
    loads = [s.load1 for s in after]
    yield (
        f"  trading daemon CPU mean {sum(cpu) / max(1, len(cpu)):.0f}% of a core;"
        f" load average (1 min) {min(loads):.2f}-{max(loads):.2f} on {os.cpu_count()} cores"
    )
    yield (
        f"  restarts at end {_fmt(end.restarts, 'd')}, risk rejections {_fmt(end.rejections, 'd')},"
        f" halted {_fmt(end.halted, '')}"
    )


# ---- main -------------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3600.0, help="seconds (default 3600)")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=300.0, help="seconds before the summary")
    parser.add_argument("--markets", type=int, default=20)
    parser.add_argument("--tick", type=float, default=0.25, help="venue seconds per step")
    parser.add_argument("--arb-rate", type=float, default=0.35, help="per market per step")
    parser.add_argument("--arb-lifetime", type=float, default=1.0, help="seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--orders-per-second", type=float, default=50.0)
    parser.add_argument("--no-baseline", action="store_true", help="no idle daemon alongside")
    parser.add_argument("--workdir", type=Path, default=Path(f"/tmp/soak/run-{stamp}"))  # noqa: S108 - the brief's place
    return parser.parse_args(argv)


def _venue_args(args: argparse.Namespace, arb_rate: float) -> list[str]:
    return [
        "--seed", str(args.seed),
        "--markets", str(args.markets),
        "--tick", str(args.tick),
        "--arb-rate", str(arb_rate),
        "--arb-lifetime", str(args.arb_lifetime),
        "--trader-cash", "1000000.00",
    ]  # fmt: skip


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit("soak: SIGTERM")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    rigs = [
        Rig("trading", args.workdir / "trading", _venue_args(args, args.arb_rate),
            args.orders_per_second),
    ]  # fmt: skip
    if not args.no_baseline:
        rigs.append(
            Rig("idle", args.workdir / "idle", _venue_args(args, 0.0), args.orders_per_second)
        )
    print(f"soak: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC, workdir {args.workdir}")
    print(
        f"soak: duration {args.duration:.0f}s, sample every {args.interval:.0f}s, warm-up"
        f" {args.warmup:.0f}s; venue {' '.join(rigs[0].venue_args)};"
        f" orders_per_second {args.orders_per_second}; baseline"
        f" {'idle daemon (arb-rate 0)' if len(rigs) > 1 else 'none'}",
        flush=True,
    )
    completed = False
    try:
        urls = [rig.start_venue() for rig in rigs]
        for rig, url in zip(rigs, urls, strict=True):
            rig.start_daemon(url, args.duration + 120)
            print(f"soak: {rig.name}: venue {url}, daemon pid {rig.daemon_pid}, control"
                  f" {rig.control_url}, dir {rig.root}", flush=True)  # fmt: skip
        print(_table_header(rigs), flush=True)
        started = time.monotonic()
        ticks = int(args.duration // args.interval)
        moments = [k * args.interval for k in range(ticks + 1)]
        if moments[-1] < args.duration:
            moments.append(args.duration)
        for moment in moments:
            time.sleep(max(0.0, started + moment - time.monotonic()))
            if not all(rig.alive() for rig in rigs):
                print(f"soak: a process ended early at t={moment:.0f}s", flush=True)
                break
            for rig in rigs:
                rig.sample(time.monotonic() - started)
            print(_table_row(rigs), flush=True)
        else:
            completed = True
    finally:
        for rig in rigs:
            for line in rig.stop():
                print(f"soak: {line}", flush=True)
    for line in summary(rigs, args.warmup):
        print(line, flush=True)
    db_mb = rigs[0].db.stat().st_size / 2**20 if rigs[0].db.exists() else 0.0
    print(f"  trading ledger {rigs[0].db} {db_mb:.1f} MB on disk; logs in {args.workdir}")
    return 0 if completed else 1


if __name__ == "__main__":
    sys.exit(main())
