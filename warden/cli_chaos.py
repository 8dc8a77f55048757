"""``warden chaos run | replay | list``: the chaos harness's command line.

Exit codes of ``run`` and ``replay``: 0 every invariant held, 1 an invariant
was violated, 2 harness error or bad usage (an invariant the harness could not
decide, for lack of evidence, is a harness error: never a pass). ``list`` exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warden.chaos import Schedule

EXIT_USAGE = 2
EXIT_HARNESS = 2  # the harness itself failed (a process would not start, a report bug)
VENUES = ("sim", "kalshi", "polymarket")
_VENUE_NOTES = {
    "kalshi": " (venue: Kalshi wire, signed)",
    "polymarket": " (venue: Polymarket CLOB V2, live: signed orders, L2 HMAC)",
}


def _report_dir(given: Path | None, seed: int) -> Path:
    if given is not None:
        return given
    return Path("var") / "chaos" / f"{time.strftime('%Y%m%dT%H%M%S')}-seed{seed}"


def _execute(
    schedule: Schedule, report_dir: Path, venue_kind: str = "sim", feed_workers: int = 0
) -> int:
    from rich.console import Console  # noqa: PLC0415 - keep `warden --help` fast

    from warden.chaos import build_report, print_summary, run, write_report  # noqa: PLC0415

    if report_dir.exists() and any(report_dir.iterdir()):
        print(f"warden chaos: report directory {report_dir} is not empty", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"warden chaos: seed {schedule.seed}, {len(schedule.entries)} faults, report {report_dir}"
        + _VENUE_NOTES.get(venue_kind, "")
        + (f" (feed: {feed_workers} worker process(es))" if feed_workers else "")
    )
    outcome = run(schedule, report_dir, venue_kind=venue_kind, feed_workers=feed_workers)
    try:
        report = build_report(outcome, report_dir)
        write_report(report, report_dir)
    except Exception as error:  # noqa: BLE001 - a harness bug is exit 2, never a traceback
        print(f"warden chaos: could not build the report: {error!r}", file=sys.stderr)
        return EXIT_HARNESS
    print_summary(report, Console())
    if outcome.error:
        print(f"warden chaos: {outcome.error}", file=sys.stderr)
    return outcome.exit_code


def _cmd_run(args: argparse.Namespace) -> int:
    from warden.chaos import plan, select_faults  # noqa: PLC0415
    from warden.config import MAX_FEED_WORKERS  # noqa: PLC0415

    if not args.duration > 0:
        print(f"warden chaos run: --duration must be > 0, got {args.duration}", file=sys.stderr)
        return EXIT_USAGE
    if not 0 <= args.feed_workers <= MAX_FEED_WORKERS:
        print(
            f"warden chaos run: --feed-workers must be 0..{MAX_FEED_WORKERS},"
            f" got {args.feed_workers}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        faults = select_faults(args.faults, feed_workers=args.feed_workers)
    except ValueError as error:
        print(f"warden chaos run: {error}", file=sys.stderr)
        return EXIT_USAGE
    seed = args.seed if args.seed is not None else int(time.time()) % 1_000_000
    schedule = plan(seed, args.duration, args.intensity, faults, faults_spec=args.faults or "")
    return _execute(schedule, _report_dir(args.report, seed), args.venue, args.feed_workers)


def _cmd_replay(args: argparse.Namespace) -> int:
    from warden.chaos import Schedule  # noqa: PLC0415

    path = args.report / "report.json" if args.report.is_dir() else args.report
    try:
        schedule = Schedule.from_json(json.loads(path.read_text())["schedule"])
    except (OSError, ValueError, KeyError) as error:
        print(f"warden chaos replay: cannot read {path}: {error}", file=sys.stderr)
        return EXIT_USAGE
    target = args.into or _report_dir(None, schedule.seed).with_name(
        f"{time.strftime('%Y%m%dT%H%M%S')}-replay-seed{schedule.seed}"
    )
    return _execute(
        schedule, target, args.venue or _venue_of(path.parent), _feed_workers_of(path.parent)
    )


def _venue_of(report_dir: Path) -> str:
    """The venue a report's run used, ``sim`` if its journal does not say (a run
    before ``--venue``, or no journal)."""
    kind = _setup_of(report_dir).get("venue_kind")
    return kind if isinstance(kind, str) and kind in VENUES else "sim"


def _feed_workers_of(report_dir: Path) -> int:
    """The feed workers a report's run had, 0 if its journal does not say."""
    workers = _setup_of(report_dir).get("feed_workers")
    return workers if isinstance(workers, int) and not isinstance(workers, bool) else 0


def _setup_of(report_dir: Path) -> dict[str, object]:
    """How a report's run was set up (its journal's setup line: ``venue_kind``,
    ``feed_workers``); empty if there is none (no journal). A key the line lacks (a
    run before ``--venue`` or ``--feed-workers``) means that option's default."""
    try:
        with (report_dir / "harness.jsonl").open() as journal:
            for line in journal:
                event = json.loads(line)
                if event.get("kind") == "phase" and event.get("name") == "setup":
                    return dict(event)
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    return {}


def _cmd_list(args: argparse.Namespace) -> int:
    from warden.chaos import CATALOGUE, CHECKERS  # noqa: PLC0415

    if args.json:
        rows = [
            {
                "name": f.name,
                "family": f.family,
                "summary": f.summary,
                "params": f.params_doc,
                "recovery": f.recovery,
                "needs_chaos_routes": f.needs_chaos,
                "needs_feed_workers": f.needs_feed_workers,
                "may_fail_readiness_checks": list(f.blocks),
                "targets_in_turn": list(f.turns),
                "min_slot_s": f.min_for_s,
            }
            for f in CATALOGUE
        ]
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(f.name) for f in CATALOGUE)
    for fault in CATALOGUE:
        needs = "  [warden run --chaos]" if fault.needs_chaos else ""
        needs += "  [chaos run --feed-workers N]" if fault.needs_feed_workers else ""
        print(f"{fault.name:<{width}}  {fault.summary}{needs}")
        print(f"{'':<{width}}    params: {fault.params_doc}; recovered when: {fault.recovery}")
    print("\ninvariants checked:")
    for checker in CHECKERS:
        print(f"  {checker.__name__}")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``chaos`` (with run, replay, list) to the ``warden`` subcommands."""
    chaos = commands.add_parser("chaos", help="fault injection with invariant checks")
    sub = chaos.add_subparsers(dest="chaos_command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="run venue + daemon under a seeded fault schedule")
    run.add_argument("--seed", type=int, help="schedule and venue seed (default: from the time)")
    run.add_argument("--duration", type=float, default=30.0, help="seconds of chaos (default 30)")
    run.add_argument("--faults", help="comma-separated families and/or fault names (default all)")
    run.add_argument(
        "--intensity", choices=("low", "medium", "high"), default="medium", help="fault budget"
    )
    run.add_argument("--report", type=Path, help="report directory (default var/chaos/...)")
    run.add_argument(
        "--venue",
        choices=VENUES,
        default="sim",
        help="kalshi: the daemon configured as for Kalshi (signed requests), the simulated"
        " venue checking every signature; polymarket: the daemon trading live through"
        " Polymarket's CLOB V2 dialect (a wallet and API credentials of the run's own)",
    )
    run.add_argument(
        "--feed-workers",
        type=int,
        default=0,
        metavar="N",
        help="run the daemon's feed in N worker processes ([feed] process = true,"
        " workers = N) and add the process.feed_worker fault (default 0: in the daemon)",
    )
    run.set_defaults(handler=_cmd_run)

    replay = sub.add_parser("replay", help="re-run the seed and fault schedule of a report")
    replay.add_argument("report", type=Path, help="a report directory or its report.json")
    replay.add_argument("--into", type=Path, help="report directory of the replay")
    replay.add_argument(
        "--venue", choices=VENUES, help="the venue (default: the one the report's run used)"
    )
    replay.set_defaults(handler=_cmd_replay)

    listing = sub.add_parser("list", help="describe every fault and invariant")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=_cmd_list)
