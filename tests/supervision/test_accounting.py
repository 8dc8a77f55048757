"""Message accounting (DESIGN.md §6 invariant 10): every envelope put in a mailbox
is processed, dropped as stale, handled by the runtime, dead-lettered, still
queued, or landed after its incarnation ended -- and the final snapshot of a
stopped tree balances exactly."""

from __future__ import annotations

import threading
from typing import Any

from pykka._envelope import Envelope

from supervision import ChildSpec, ManualClock, SupervisionTree, TreeThread
from supervision._snapshot import ActorSnapshot
from tests.supervision.conftest import (
    Block,
    Crash,
    Forward,
    Journal,
    Recorder,
    eventually,
    is_running,
    recorder,
    tree_spec,
)


def balance(node: ActorSnapshot) -> int:
    """received minus everything it became; 0 when the books close."""
    accounted = node.processed + node.stale_dropped + node.runtime_handled + node.dead_letters
    return node.received - (accounted + node.queued + node.lost_after_end)


def test_a_stopped_trees_books_close_through_crashes_dead_letters_and_stale_senders(
    journal: Journal,
) -> None:
    host = TreeThread(SupervisionTree(tree_spec(recorder("a", journal), recorder("b", journal))))
    tree = host.start().tree
    for i in range(50):
        tree.tell("a", i)
    release = threading.Event()
    tree.tell("a", Block(release))
    tree.tell("a", Crash(RuntimeError("crash with a backlog")))
    for i in range(7):
        tree.tell("a", f"backlog {i}")
    release.set()
    eventually(lambda: is_running(tree, "a", epoch=2))
    # b#1 forwards to a, then dies: what it sent later is stale at a.
    tree.tell("b", Forward("a", "from b#1"))
    eventually(lambda: "from b#1" in [e[3] for e in journal.of("got") if e[1] == "a"])
    tree.snapshot()  # a summary request: runtime traffic, accounted as such
    host.stop()

    final = tree.final_snapshot
    assert final is not None
    a = final.find("a")
    assert (a.dead_letters, a.queued, a.lost_after_end) == (7, 0, 0)
    assert a.processed == 50 + 2 + 1  # the numbers, Block and Crash, the forward
    assert a.runtime_handled >= 3  # two stops (one per incarnation) and a summary request
    assert a.received == a.processed + a.dead_letters + a.runtime_handled
    assert [balance(node) for node in final.walk() if node.kind == "worker"] == [0, 0]


def test_a_tell_that_lands_after_its_incarnation_ended_is_counted_lost_not_vanished(
    journal: Journal,
) -> None:
    host, incarnations = _tree_keeping_incarnations(journal)
    tree = host.tree
    tree.tell("a", Crash(RuntimeError("first incarnation ends")))
    eventually(lambda: is_running(tree, "a", epoch=2))
    # The race Directory.tell documents: a sender saw incarnation 1 alive, then put
    # its message after that incarnation had drained its mailbox.
    incarnations[0].actor_inbox.put(Envelope("late"))  # type: ignore[attr-defined]

    live = tree.snapshot().find("a")
    assert live.lost_after_end == 1
    host.stop()

    a = _final(tree).find("a")
    assert a.lost_after_end == 1
    assert balance(a) == 0


def test_the_books_detect_a_message_that_vanished(journal: Journal) -> None:
    """The checker is only worth something if an unaccounted message shows."""
    host, incarnations = _tree_keeping_incarnations(journal)
    tree = host.tree
    tree.ask("a", "warm up")
    inbox: Any = incarnations[0].actor_inbox
    with inbox.mutex:  # an envelope received, then taken behind the runtime's back
        inbox.queue.append(Envelope("to be stolen"))
        inbox.unfinished_tasks += 1
        inbox.queue.pop()
    host.stop()

    assert balance(_final(tree).find("a")) == 1


def _tree_keeping_incarnations(journal: Journal) -> tuple[TreeThread, list[Recorder]]:
    """A started tree of one recorder "a", and every incarnation of it made so far
    (so a test can reach an ended incarnation's mailbox)."""
    incarnations: list[Recorder] = []

    def factory() -> Recorder:
        incarnations.append(Recorder(journal))
        return incarnations[-1]

    host = TreeThread(SupervisionTree(tree_spec(ChildSpec(name="a", factory=factory))))
    return host.start(), incarnations


def _final(tree: SupervisionTree) -> ActorSnapshot:
    final = tree.final_snapshot
    assert final is not None
    return final


def test_a_fenced_incarnation_that_drains_its_mailbox_later_keeps_the_books_closed(
    journal: Journal,
) -> None:
    clock = ManualClock()
    spec = tree_spec(recorder("a", journal, hang_timeout=5.0))
    host = TreeThread(SupervisionTree(spec, clock=clock))
    tree = host.start().tree
    release = threading.Event()
    tree.tell("a", Block(release))
    eventually(lambda: tree.snapshot().find("a").inflight_age_s is not None)
    for i in range(5):
        tree.tell("a", f"behind the hang {i}")
    clock.advance(5.1)  # fenced as hung; its thread still blocked
    eventually(lambda: is_running(tree, "a", epoch=2))
    assert tree.snapshot().find("a").dead_letters == 5  # never to be handled
    release.set()  # the abandoned thread returns, drains those five itself
    eventually(lambda: balance(tree.snapshot().find("a")) == 0)
    host.stop()

    a = _final(tree).find("a")
    assert (a.dead_letters, a.lost_after_end) == (5, 0)
    assert balance(a) == 0
