"""Intensity: past N restarts in T seconds a supervisor gives up and escalates."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from supervision import (
    NO_BACKOFF,
    Escalation,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
)
from tests.supervision.conftest import (
    DEADLINE,
    Crash,
    Journal,
    eventually,
    is_running,
    recorder,
    tree_spec,
)

ROOT = Path(__file__).resolve().parents[2]


def test_a_subtree_over_its_intensity_escalates_and_its_parent_restarts_it(
    journal: Journal, start_tree, log_events
) -> None:
    inner = SupervisorSpec(
        name="inner",
        children=(recorder("x", journal), recorder("y", journal)),
        intensity=1,
        period=60.0,
        backoff=NO_BACKOFF,
    )
    tree = start_tree(tree_spec(recorder("a", journal), inner))
    tree.tell("x", Crash(RuntimeError("first")))
    eventually(lambda: is_running(tree, "x", epoch=2))
    assert tree.snapshot().find("inner").epoch == 1  # one restart is within intensity 1

    tree.tell("x", Crash(RuntimeError("second")))  # two restarts in 60s > 1: inner gives up
    eventually(lambda: is_running(tree, "inner", epoch=2) and is_running(tree, "y", epoch=2))
    escalation = next(e for e in log_events if e.get("event") == "escalation")
    assert (escalation["supervisor"], escalation["child"]) == ("root/inner", "x")
    inner_snapshot = tree.snapshot().find("inner")
    assert inner_snapshot.restarts == 1
    assert inner_snapshot.last_failure.type == "Escalation"
    assert tree.snapshot().find("a").epoch == 1  # one_for_one at the root: a untouched
    # x#2 crashed; its sibling was stopped before inner went down, then both came back.
    assert [e[1:3] for e in journal.of("stop")] == [("y", 1)]
    assert [e[1:3] for e in journal.of("start")][-2:] == [("x", 3), ("y", 2)]


def test_at_the_root_escalation_stops_the_tree_in_reverse_order_and_reports_it(
    journal: Journal,
) -> None:
    spec = tree_spec(
        recorder("a", journal), recorder("b", journal), recorder("c", journal), intensity=2
    )
    host = TreeThread(SupervisionTree(spec)).start()
    for attempt in range(3):
        eventually(lambda e=attempt + 1: is_running(host.tree, "b", epoch=e))
        host.tree.tell("b", Crash(RuntimeError(f"crash {attempt}")))
    error = host.join(timeout=DEADLINE)
    assert isinstance(error, Escalation)
    assert (error.supervisor, error.child, error.restarts) == ("root", "b", 2)
    assert journal.names("stop") == ["c", "a"]  # b had crashed; the rest stop in reverse
    assert journal.names("start").count("b") == 3  # never a fourth: no endless loop


def _spawn(mode: str, *, stderr: int = subprocess.PIPE) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.supervision.tree_program", mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


@pytest.mark.slow
def test_a_process_whose_root_escalates_exits_non_zero_after_stopping_in_reverse_order() -> None:
    with _spawn("escalate") as process:
        out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    lines = out.splitlines()
    assert lines[:3] == ["start a", "start b", "start c"]
    assert lines.count("start broken") == 3  # first start + 2 restarts, then give up
    assert lines[-3:] == ["stop c", "stop b", "stop a"]
    assert "escalating" in err


@pytest.mark.slow
def test_a_process_stops_in_reverse_order_and_exits_zero_on_sigterm() -> None:
    seen: list[str] = []
    ready = threading.Event()
    with _spawn("serve", stderr=subprocess.DEVNULL) as process:

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                seen.append(line.strip())
                if line.strip() == "start c":
                    ready.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            assert ready.wait(60), f"tree never started: {seen}"
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                process.kill()
        reader.join(10)
    assert seen == ["start a", "start b", "start c", "stop c", "stop b", "stop a"]
