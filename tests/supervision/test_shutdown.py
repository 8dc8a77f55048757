"""Orderly shutdown: reverse start order, bounded by each child's shutdown timeout."""

from __future__ import annotations

import threading
import time

import pytest

from supervision import ChildUnavailable, ManualClock, SupervisionTree, SupervisorSpec, TreeThread
from tests.supervision.conftest import Block, Journal, eventually, recorder, tree_spec


def test_children_start_in_order_and_stop_in_reverse_order(journal: Journal) -> None:
    inner = SupervisorSpec(name="inner", children=(recorder("c", journal), recorder("d", journal)))
    host = TreeThread(
        SupervisionTree(tree_spec(recorder("a", journal), recorder("b", journal), inner))
    )
    host.start()
    assert journal.names("start") == ["a", "b", "c", "d"]
    host.stop()
    assert journal.names("stop") == ["d", "c", "b", "a"]
    assert host.error is None


def test_a_child_ignoring_shutdown_is_abandoned_after_its_timeout_and_shutdown_completes(
    journal: Journal, log_events
) -> None:
    spec = tree_spec(
        recorder("first", journal),
        recorder("stubborn", journal, shutdown_timeout=0.3),
        recorder("last", journal),
    )
    host = TreeThread(SupervisionTree(spec)).start()
    release = threading.Event()
    try:
        host.tree.tell("stubborn", Block(release))
        eventually(lambda: host.tree.snapshot().find("stubborn").inflight_age_s is not None)
        began = time.monotonic()
        host.stop(timeout=20)
        took = time.monotonic() - began
    finally:
        release.set()
    assert not host.running
    assert journal.names("stop") == ["last", "first"]  # stubborn never ran on_stop
    abandoned = [e for e in log_events if e.get("event") == "abandoned"]
    assert [(e["child"], e["epoch"]) for e in abandoned] == [("stubborn", 1)]
    assert took >= 0.3


def test_a_stopped_tree_rejects_addressing_with_a_clear_error(journal: Journal) -> None:
    host = TreeThread(SupervisionTree(tree_spec(recorder("a", journal)))).start()
    host.stop()
    with pytest.raises(ChildUnavailable) as caught:
        host.tree.tell("a", "anyone?")
    assert caught.value.status == "stopped"


def test_a_child_hung_past_its_hang_deadline_is_abandoned_then_not_after_the_full_timeout(
    journal: Journal, log_events
) -> None:
    """An operator restart of a hung actor waited the whole shutdown timeout (found
    by the chaos harness: 5 s); a handler past its hang deadline will not take a
    stop, so the stop gives up on it at that deadline."""
    clock = ManualClock()
    spec = tree_spec(recorder("stuck", journal, hang_timeout=100.0, shutdown_timeout=30.0))
    host = TreeThread(SupervisionTree(spec, clock=clock)).start()
    release = threading.Event()
    try:
        host.tree.tell("stuck", Block(release))
        eventually(lambda: host.tree.snapshot().find("stuck").inflight_age_s is not None)
        clock.advance(99.0)  # in flight for 99 s: within its deadline
        restart = threading.Thread(target=host.tree.restart, args=("stuck",), daemon=True)
        restart.start()
        eventually(lambda: host.tree.snapshot().find("stuck").status == "stopping")
        clock.advance(2.0)  # now past it: the stop stops waiting (30 s would be real time)
        restart.join(10)
        assert not restart.is_alive()
    finally:
        release.set()
    abandoned = [e for e in log_events if e.get("event") == "abandoned"]
    assert [(e["child"], e["reason"]) for e in abandoned] == [
        ("stuck", "hung past its hang deadline while stopping")
    ]
    eventually(lambda: ("start", "stuck", 2) in journal.entries, what="the new incarnation")
    host.stop()
