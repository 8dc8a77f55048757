"""The simulated venue serving thousands of markets to a live daemon, end to end (issue 15).

    python benchmarks/sim_scale.py [--markets 5000] [--seconds 60] [--process | --no-process]
                                   [--tick 0.5] [--move-rate 0.1] [--workdir /tmp/sim_scale/...]

``warden venue-sim --markets N`` (its default dynamics: a step every ``--tick`` s,
each market moving with probability ``--move-rate``) and ``warden run --venue-url``
against it, both real processes on 127.0.0.1 in ``--workdir``. The daemon follows
every market (the simulated venue lists them all) with its default strategies and
limits; ``--process`` (the default) runs its feed in a worker process
(``[feed] process = true``), ``--no-process`` in the daemon's.

Waited for: every market live (up to ``max(120, N / 25)`` s). Then for
``--seconds``, sampled every 2 s from the control plane's ``/actors/feed``: markets
live and fresh (not stale by venue time: ``stale_after_s`` 5 s), the stream's
measured lag behind the venue's ``ts_ms``, the feed's reconnects (a client the venue
dropped for reading too slowly reconnects) and gaps. Printed: the worst sample
(fewest fresh, largest lag), deltas/s accepted into books and books/s handed to the
strategy over the window, CPU (100% = one core) of the daemon's process, its feed
worker and the venue, RSS, and the venue's ``client too slow`` disconnects (its log).

Everything stops by itself (SIGTERM at the end, ``--duration`` as a backstop, and
``PR_SET_PDEATHSIG`` if this script dies).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from soak import (
    PYTHON,
    _die_with_parent,
    _eventually,
    cpu_seconds,
    process_tree,
    rss_mb,
)


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [PYTHON, "-m", "warden", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads here yet
        )


def _feed(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{url}/actors/feed", timeout=10) as answer:  # noqa: S310
            body: dict[str, Any] = json.loads(answer.read())
    except (OSError, ValueError):
        return None
    summary = body.get("summary")
    return summary if isinstance(summary, dict) and summary.get("markets") else None


def _counts(summary: dict[str, Any]) -> tuple[int, int]:
    markets = summary["markets"].values()
    live = sum(1 for m in markets if m["phase"] == "live")
    fresh = sum(1 for m in markets if m["phase"] == "live" and not m["stale"])
    return live, fresh


def _worker_pids(daemon: int) -> list[int]:
    return [pid for pid in process_tree(daemon) if pid != daemon]


def run(args: argparse.Namespace) -> int:
    root = Path(args.workdir or f"/tmp/sim_scale/{time.strftime('%Y%m%d-%H%M%S')}")  # noqa: S108
    root.mkdir(parents=True, exist_ok=False)
    venue_args = ["venue-sim", "--port", "0", "--markets", str(args.markets), "--seed", "3"]
    venue_args += ["--tick", str(args.tick), "--move-rate", str(args.move_rate)]
    venue = _start(venue_args, root / "venue.log")
    daemon: subprocess.Popen[bytes] | None = None
    try:
        prefix = "venue-sim listening on "
        line = _eventually(
            lambda: next(
                (x for x in (root / "venue.log").read_text().splitlines() if x.startswith(prefix)),
                None,
            ),
            60,
            "venue-sim did not listen",
            alive=venue,
        )
        venue_url = line.removeprefix(prefix).strip()
        config = root / "warden.toml"
        config.write_text(
            '[daemon]\ndb = "ledger.db"\nruntime_dir = "run"\nstatus_interval_s = 60.0\n'
            f"[feed]\nprocess = {'true' if args.process else 'false'}\n"
            + (f"silence_timeout_s = {args.silence_timeout}\n" if args.silence_timeout else "")
        )
        settle = max(120.0, args.markets / 25)
        duration = settle + args.seconds + 60
        daemon = _start(
            ["run", "--config", str(config), "--venue-url", venue_url, "--duration", str(duration)],
            root / "daemon.log",
        )
        runtime = root / "run" / "warden.json"

        def control() -> str | None:
            try:
                return str(json.loads(runtime.read_text())["url"])
            except (OSError, ValueError, KeyError):
                return None

        url = _eventually(control, 120, "no control plane", alive=daemon)
        started = time.monotonic()

        def all_live() -> dict[str, Any] | None:
            summary = _feed(url)
            return summary if summary and _counts(summary)[0] == args.markets else None

        first = _eventually(all_live, settle, "not every market went live", alive=daemon)
        print(
            f"{args.markets} markets live {time.monotonic() - started:.1f}s after the control"
            f" plane; feed {'in a worker process' if args.process else 'in process'};"
            f" load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        pids = {
            "daemon": [daemon.pid],
            "worker": _worker_pids(daemon.pid),
            "venue": process_tree(venue.pid),
        }
        cpu_before = {name: cpu_seconds(p) for name, p in pids.items()}
        window_start = time.monotonic()
        worst_fresh, worst_lag, samples = args.markets, 0.0, 0
        last = first
        while time.monotonic() - window_start < args.seconds:
            time.sleep(2.0)
            summary = _feed(url)
            if summary is None:
                continue
            last, samples = summary, samples + 1
            worst_fresh = min(worst_fresh, _counts(summary)[1])
            worst_lag = max(worst_lag, summary.get("venue_lag_s") or 0.0)
        elapsed = time.monotonic() - window_start
        cpu = {
            name: (cpu_seconds(p) - cpu_before[name]) / elapsed * 100 for name, p in pids.items()
        }
        accepted = last["counts"]["books_accepted"] - first["counts"]["books_accepted"]
        handed = last["updates"]["sent"] - first["updates"]["sent"]
        too_slow = (root / "venue.log").read_text().count("client too slow")
        print(
            f"window {elapsed:.0f}s, {samples} samples: fresh (worst) {worst_fresh}/{args.markets},"
            f" stream lag (worst) {worst_lag:.2f}s, reconnects {last['reconnects']},"
            f" gaps {last['counts'].get('gaps', 0)}, venue 'client too slow' {too_slow}\n"
            f"  deltas accepted {accepted / elapsed:.0f}/s, books to the strategy"
            f" {handed / elapsed:.0f}/s\n"
            f"  cpu: daemon {cpu['daemon']:.0f}%, feed worker {cpu['worker']:.0f}%,"
            f" venue {cpu['venue']:.0f}%; rss: daemon {rss_mb([daemon.pid]):.0f} MB,"
            f" worker {rss_mb(pids['worker']):.0f} MB, venue {rss_mb(pids['venue']):.0f} MB",
            flush=True,
        )
        return 0
    finally:
        for process in (daemon, venue):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", type=int, default=5_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--process", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--tick", type=float, default=0.5)
    parser.add_argument("--move-rate", type=float, default=0.1)
    parser.add_argument("--workdir", default="")
    parser.add_argument("--silence-timeout", type=float, default=0.0, help="[feed] (0: default)")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
