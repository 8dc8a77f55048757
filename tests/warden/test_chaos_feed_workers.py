"""Chaos with the feed in worker processes (``warden chaos run --feed-workers N``): the
``process.feed_worker`` fault is offered only to such runs, a replay keeps the
setting, and a real run kills workers and the daemon with every invariant held."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from warden.chaos import EXIT_HELD, build_report, plan, run, select_faults, write_report
from warden.chaos._rig import feed_worker_pids
from warden.cli_chaos import _feed_workers_of

FEED_WORKER = "process.feed_worker"


def test_a_run_whose_feed_runs_in_the_daemon_is_offered_no_feed_worker_fault() -> None:
    for spec in (None, "", "process", "actor,venue,process,storage,clock"):
        assert FEED_WORKER not in {f.name for f in select_faults(spec)}, spec
        assert FEED_WORKER in {f.name for f in select_faults(spec, feed_workers=2)}, spec
    with pytest.raises(ValueError, match=r"process\.feed_worker needs .*--feed-workers"):
        select_faults("venue,process.feed_worker")
    chosen = select_faults("process.feed_worker", feed_workers=1)
    assert [f.name for f in chosen] == [FEED_WORKER]
    entries = plan(4, 60.0, "high", chosen).entries
    assert entries
    assert {e.fault for e in entries} == {FEED_WORKER}
    assert all(e.params.to_json() == {"actor": "feed"} for e in entries)


def _chaos(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warden", "chaos", "run", "--duration", "5", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_the_command_line_refuses_a_feed_worker_fault_without_workers(tmp_path: Path) -> None:
    report = tmp_path / "report"
    refused = _chaos("--faults", FEED_WORKER, "--report", str(report))
    assert refused.returncode == 2, refused.stderr
    assert "process.feed_worker needs the feed in worker processes" in refused.stderr
    for workers in ("-1", "65"):
        refused = _chaos("--feed-workers", workers, "--report", str(report))
        assert refused.returncode == 2, refused.stderr
        assert f"--feed-workers must be 0..64, got {workers}" in refused.stderr
    assert not report.exists(), "nothing was started"


def test_a_replay_keeps_the_feed_workers_of_its_run(tmp_path: Path) -> None:
    setup = {"t": 1.0, "kind": "phase", "name": "setup", "venue_kind": "sim"}
    (tmp_path / "harness.jsonl").write_text(json.dumps({**setup, "feed_workers": 2}) + "\n")
    assert _feed_workers_of(tmp_path) == 2
    (tmp_path / "harness.jsonl").write_text(json.dumps(setup) + "\n")  # a run before the option
    assert _feed_workers_of(tmp_path) == 0
    (tmp_path / "harness.jsonl").write_text(json.dumps({**setup, "feed_workers": True}) + "\n")
    assert _feed_workers_of(tmp_path) == 0
    assert _feed_workers_of(tmp_path / "missing") == 0


@pytest.mark.slow
def test_feed_workers_killed_under_chaos_hold_every_invariant(tmp_path: Path) -> None:
    """Two feed workers, each SIGKILLed in turn and the daemon SIGKILLed too: each
    worker kill restarts the feed (its epoch rises, the daemon's log names the
    worker), the daemon's kill leaves no worker behind (the rig would journal
    ``feed_workers_outlived``), and every invariant holds."""
    spec = "process.feed_worker,process.sigkill"
    schedule = plan(2, 30.0, "high", select_faults(spec, feed_workers=2), faults_spec=spec)
    assert {e.fault for e in schedule.entries} == {FEED_WORKER, "process.sigkill"}
    outcome = run(schedule, tmp_path / "report", chaos_routes=False, feed_workers=2)
    report = build_report(outcome, tmp_path / "report")
    write_report(report, tmp_path / "report")

    summary = (tmp_path / "report" / "summary.txt").read_text()
    assert outcome.exit_code == EXIT_HELD, summary
    written = json.loads((tmp_path / "report" / "report.json").read_text())
    kills = [f for f in written["fault_log"] if f["fault"] == FEED_WORKER]
    assert kills, summary
    for fault in written["fault_log"]:
        seen = (fault["injected"], fault["exercised"], fault["recovered_t"] is not None)
        assert seen == (True, True, True), (fault, summary)
    for kill in kills:
        assert kill["answer"]["workers"] == 2, kill
    journal = [
        json.loads(line)
        for line in (tmp_path / "report" / "harness.jsonl").read_text().splitlines()
    ]
    assert not [e for e in journal if e["kind"] == "feed_workers_outlived"], summary
    killed = [e for e in journal if e["kind"] == "feed_worker_killed"]
    assert len(killed) == len(kills)
    log = (tmp_path / "report" / "daemon.log").read_text()
    assert "FeedWorkerLost" in log
    assert "(worker 0 of 2)" in log
    assert "(worker 1 of 2)" in log
    for event in killed:  # the workers are gone with the run's daemons
        assert feed_worker_pids(event["pid"]) == []
