"""Fault injection: a tree built for chaos makes its actors crash, hang, stall or drown."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from supervision import (
    ChildUnavailable,
    DownReason,
    FaultInjectionOff,
    FaultKind,
    InjectFault,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
)
from tests.supervision.conftest import (
    Block,
    Journal,
    eventually,
    is_running,
    recorder,
    tree_spec,
)

StartTree = Callable[..., SupervisionTree]


@pytest.fixture
def start_tree() -> Iterator[StartTree]:
    hosts: list[TreeThread] = []

    def start(spec: SupervisorSpec, *, fault_injection: bool = True) -> SupervisionTree:
        host = TreeThread(SupervisionTree(spec, fault_injection=fault_injection)).start()
        hosts.append(host)
        return host.tree

    yield start
    for host in reversed(hosts):
        host.stop()


def test_an_injected_crash_ends_the_incarnation_and_the_supervisor_restarts_it(
    journal: Journal, start_tree: StartTree
) -> None:
    tree = start_tree(tree_spec(recorder("worker", journal, monitors=())))
    assert tree.inject_fault("worker", InjectFault("crash")) == 1
    eventually(lambda: is_running(tree, "worker", 2), what="the second incarnation")
    worker = tree.snapshot().find("worker")
    assert (worker.restarts, worker.last_failure.reason) == (1, "crash")
    assert worker.last_failure.type == "InjectedCrash"
    assert ("failure", "worker", 1) in journal.entries  # on_failure ran, as for any crash
    assert journal.of("got") == []  # the fault never reached on_receive


def test_a_hang_past_the_deadline_is_fenced_and_its_thread_is_released(
    journal: Journal, start_tree: StartTree, log_events: list[dict[str, object]]
) -> None:
    tree = start_tree(tree_spec(recorder("worker", journal, hang_timeout=0.2)))
    first = _recorder_threads()
    assert len(first) == 1
    tree.inject_fault("worker", InjectFault("hang", seconds=60.0))
    eventually(lambda: is_running(tree, "worker", 2), what="the replacement")
    assert tree.snapshot().find("worker").last_failure.reason == DownReason.HANG.value
    assert any(e.get("event") == "hang" and e.get("child") == "worker" for e in log_events)
    # Fencing set the stop flag the hang waits on: the thread returns long before 60 s.
    eventually(lambda: not (first & _recorder_threads()), what="the hung thread to return")


def _recorder_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("Recorder-")}


def test_a_slow_handler_delays_later_messages_without_a_restart(
    journal: Journal, start_tree: StartTree
) -> None:
    tree = start_tree(tree_spec(recorder("worker", journal, hang_timeout=5.0)))
    started = time.monotonic()
    tree.inject_fault("worker", InjectFault("slow", seconds=0.3))
    assert tree.ask("worker", "after") == ("echo", "worker", 1, "after")
    assert time.monotonic() - started >= 0.3
    worker = tree.snapshot().find("worker")
    assert (worker.epoch, worker.restarts) == (1, 0)


def test_a_flood_fills_the_mailbox_and_drains_without_reaching_on_receive(
    journal: Journal, start_tree: StartTree
) -> None:
    tree = start_tree(tree_spec(recorder("worker", journal, hang_timeout=5.0)))
    release = threading.Event()
    tree.tell("worker", Block(release))
    eventually(lambda: tree.snapshot().find("worker").inflight_age_s is not None)
    try:
        assert tree.inject_fault("worker", InjectFault("flood", count=500)) == 1
        assert tree.snapshot().find("worker").mailbox >= 500
    finally:
        release.set()
    eventually(lambda: tree.snapshot().find("worker").mailbox == 0, what="the flood to drain")
    assert tree.snapshot().find("worker").processed >= 501
    assert len(journal.of("got")) == 1  # only the Block: no flood message reached on_receive


def test_a_tree_without_fault_injection_refuses_and_treats_the_message_as_ordinary(
    journal: Journal, start_tree: StartTree
) -> None:
    tree = start_tree(tree_spec(recorder("worker", journal)), fault_injection=False)
    with pytest.raises(FaultInjectionOff):
        tree.inject_fault("worker", InjectFault("crash"))
    fault = InjectFault("crash")
    assert tree.ask("worker", fault) == ("echo", "worker", 1, fault)
    assert tree.snapshot().find("worker").restarts == 0


def test_a_fault_for_an_actor_that_is_not_running_is_refused(start_tree: StartTree) -> None:
    tree = start_tree(tree_spec(recorder("worker", Journal())))
    with pytest.raises(ChildUnavailable):
        tree.inject_fault("nobody", InjectFault("slow"))


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"kind": "explode"}, ValueError),
        ({"kind": "hang", "seconds": -1.0}, ValueError),
        ({"kind": "hang", "seconds": float("inf")}, ValueError),
        ({"kind": "slow", "seconds": "1"}, TypeError),
        ({"kind": "flood", "count": 0}, ValueError),
        ({"kind": "flood", "count": True}, TypeError),
    ],
)
def test_a_fault_is_validated_when_it_is_made(kwargs: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        InjectFault(**kwargs)  # type: ignore[arg-type]


def test_a_fault_kind_may_be_named_by_its_value() -> None:
    assert InjectFault("flood", count=3) == InjectFault(FaultKind.FLOOD, count=3)
