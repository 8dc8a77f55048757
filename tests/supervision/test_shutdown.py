"""Orderly shutdown: reverse start order, bounded by each child's shutdown timeout."""

from __future__ import annotations

import threading
import time

import pytest

from supervision import ChildUnavailable, SupervisionTree, SupervisorSpec, TreeThread
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
