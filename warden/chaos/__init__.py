"""The chaos harness: inject faults into a running daemon and its venue, then prove
mechanically that the invariants of DESIGN.md §6 held.

- :data:`CATALOGUE` / :func:`select_faults`: every named, resettable fault;
- :func:`plan`: the seeded fault schedule (one seed, one schedule);
- :func:`run`: one run against fresh ``warden venue-sim`` / ``warden run``
  subprocesses, warmup -> chaos -> heal -> quiesce -> check;
- :data:`CHECKERS` / :func:`check_all`: one checker per invariant over an
  :class:`Evidence`, each a :class:`CheckResult` (held / violated / unknown,
  counts, minimal witnesses);
- :func:`read_history`: the daemon's ``history.jsonl`` as typed records
  (:mod:`actors.history`), with its torn and :class:`UnreadableLine` lines;
- :func:`build_report` / :func:`write_report`: report.json, summary, timeline.

See docs/chaos.md.
"""

from warden.chaos._checkers import CHECKERS, check_all
from warden.chaos._faults import CATALOGUE, FAMILIES, Fault, FaultError
from warden.chaos._faults import select as select_faults
from warden.chaos._history import DaemonHistory, Evidence, UnreadableLine, read_history
from warden.chaos._report import build as build_report
from warden.chaos._report import print_summary
from warden.chaos._report import write as write_report
from warden.chaos._runner import EXIT_HARNESS, EXIT_HELD, EXIT_VIOLATED, RunOutcome, run
from warden.chaos._schedule import Planned, Schedule, plan
from warden.chaos._verdicts import CheckResult

__all__ = [
    "CATALOGUE",
    "CHECKERS",
    "EXIT_HARNESS",
    "EXIT_HELD",
    "EXIT_VIOLATED",
    "FAMILIES",
    "CheckResult",
    "DaemonHistory",
    "Evidence",
    "Fault",
    "FaultError",
    "Planned",
    "RunOutcome",
    "Schedule",
    "UnreadableLine",
    "build_report",
    "check_all",
    "plan",
    "print_summary",
    "read_history",
    "run",
    "select_faults",
    "write_report",
]
