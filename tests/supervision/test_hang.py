"""Hang detection: a message outliving its deadline gets the incarnation fenced and replaced."""

from __future__ import annotations

import threading

import pykka
import pytest

from supervision import ChildSpec, ChildUnavailable, ManualClock
from tests.supervision.conftest import (
    Block,
    Forward,
    Journal,
    Recorder,
    eventually,
    is_running,
    recorder,
    tree_spec,
)


def test_a_hung_handler_is_detected_replaced_and_its_late_reply_dropped_as_stale(
    journal: Journal, start_tree, log_events
) -> None:
    clock = ManualClock()
    tree = start_tree(
        tree_spec(recorder("asker", journal), recorder("worker", journal, hang_timeout=5.0)),
        clock=clock,
    )
    release = threading.Event()
    try:
        tree.tell("worker", Block(release, then_send=("asker", "late reply")))
        eventually(lambda: tree.snapshot().find("worker").inflight_age_s is not None)
        clock.advance(4.9)  # within the deadline: nothing happens
        assert tree.snapshot().find("worker").epoch == 1

        clock.advance(0.2)  # 5.1s > 5.0s
        eventually(lambda: ("start", "worker", 2) in journal.entries, what="replacement")
        hang = next(e for e in log_events if e.get("event") == "hang")
        assert (hang["supervisor"], hang["child"], hang["epoch"]) == ("root", "worker", 1)
        worker = tree.snapshot().find("worker")
        assert (worker.epoch, worker.restarts, worker.status) == (2, 1, "running")
        assert worker.last_failure.reason == "hang"
        assert worker.last_failure.type == "IncarnationHung"
        assert tree.ask("worker", "are you there") == ("echo", "worker", 2, "are you there")
    finally:
        release.set()  # the abandoned incarnation now returns and tries to reply

    eventually(lambda: tree.snapshot().find("asker").stale_dropped == 1, what="stale drop")
    dropped = next(e for e in log_events if e.get("event") == "stale_dropped")
    assert {k: dropped[k] for k in ("supervisor", "child", "epoch", "reason", "sender_epoch")} == {
        "supervisor": "root",
        "child": "asker",
        "epoch": 1,
        "reason": "stale_epoch",
        "sender_epoch": 1,
    }
    assert "late reply" not in [e[3] for e in journal.of("got") if e[1] == "asker"]
    # The replacement's messages are current and do arrive.
    tree.ask("worker", Forward("asker", "fresh reply"))
    eventually(lambda: ("got", "asker", 1, "fresh reply", "worker") in journal.entries)


def test_a_fenced_incarnation_takes_no_new_messages(journal: Journal, start_tree) -> None:
    clock = ManualClock()
    tree = start_tree(tree_spec(recorder("worker", journal, hang_timeout=1.0)), clock=clock)
    old_ref = tree.directory.lookup("worker").ref
    release = threading.Event()
    try:
        tree.tell("worker", Block(release))
        eventually(lambda: tree.snapshot().find("worker").inflight_age_s is not None)
        clock.advance(2.0)
        eventually(lambda: tree.directory.lookup("worker").epoch == 2)
        with pytest.raises(pykka.ActorDeadError):
            old_ref.tell("for the old incarnation")  # fenced: not alive, unregistered
        assert old_ref not in pykka.ActorRegistry.get_all()
    finally:
        release.set()


def test_an_on_start_that_never_returns_is_a_start_failure(journal: Journal, start_tree) -> None:
    gate = threading.Event()

    class SlowStart(Recorder):
        def on_start(self) -> None:
            super().on_start()
            if self.epoch == 1:
                gate.wait(30)

    spec = tree_spec(ChildSpec(name="slow", factory=lambda: SlowStart(journal), start_timeout=0.2))
    try:
        tree = start_tree(spec)
        eventually(lambda: is_running(tree, "slow", epoch=2))
        failure = tree.snapshot().find("slow").last_failure
        assert (failure.reason, failure.type) == ("start_failure", "StartTimedOut")
    finally:
        gate.set()


def test_without_a_hang_deadline_a_long_message_is_left_alone(journal: Journal, start_tree) -> None:
    clock = ManualClock()
    tree = start_tree(tree_spec(recorder("patient", journal)), clock=clock)
    release = threading.Event()
    try:
        tree.tell("patient", Block(release))
        eventually(lambda: tree.snapshot().find("patient").inflight_age_s is not None)
        clock.advance(3600.0)
        assert tree.snapshot().find("patient").inflight_age_s == pytest.approx(3600.0)
        with pytest.raises(ChildUnavailable):
            tree.tell("nobody", "x")
        assert tree.snapshot().find("patient").epoch == 1
    finally:
        release.set()
    assert tree.ask("patient", "done?") == ("echo", "patient", 1, "done?")


class FenceAware(Recorder):
    def on_fenced(self) -> None:
        self.journal.add("fenced", self.name, self.epoch, self._inflight_since is not None)


def test_a_hung_incarnation_hears_on_fenced_while_its_handler_still_blocks(
    journal: Journal, start_tree
) -> None:
    clock = ManualClock()
    spec = ChildSpec(name="worker", factory=lambda: FenceAware(journal), hang_timeout=5.0)
    tree = start_tree(tree_spec(spec), clock=clock)
    release = threading.Event()
    try:
        tree.tell("worker", Block(release))
        eventually(lambda: tree.snapshot().find("worker").inflight_age_s is not None)
        clock.advance(5.1)
        # the hook runs while the handler is still blocked (in flight)
        eventually(lambda: ("fenced", "worker", 1, True) in journal.entries, what="on_fenced")
        eventually(lambda: ("start", "worker", 2) in journal.entries, what="replacement")
    finally:
        release.set()
    assert journal.of("fenced") == [("fenced", "worker", 1, True)]
