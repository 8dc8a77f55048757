"""Monitors: an actor hears Down(name, epoch, reason) whenever an incarnation it watches ends."""

from __future__ import annotations

import threading

from supervision import ChildSpec, Down, DownReason, ManualClock, RestartType, Strategy
from tests.supervision.conftest import (
    Block,
    Crash,
    Journal,
    Recorder,
    eventually,
    is_running,
    recorder,
    tree_spec,
)


def _downs(journal: Journal) -> list[Down]:
    return [e[3] for e in journal.of("got") if e[1] == "watcher" and isinstance(e[3], Down)]


def test_a_monitor_gets_down_with_the_reason_for_crash_hang_start_failure_and_stop(
    journal: Journal, start_tree
) -> None:
    clock = ManualClock()
    boom = RuntimeError("start fails once")
    starts = {"n": 0}

    class Watched(Recorder):
        def on_start(self) -> None:
            super().on_start()
            starts["n"] += 1
            if starts["n"] == 3:  # the third incarnation fails to start
                raise boom

    spec = tree_spec(
        recorder("watcher", journal, monitors=("watched",)),
        ChildSpec(
            name="watched",
            factory=lambda: Watched(journal),
            hang_timeout=1.0,
            restart=RestartType.TRANSIENT,
        ),
    )
    tree = start_tree(spec, clock=clock)

    tree.tell("watched", Crash(ValueError("bad")))  # epoch 1: crash
    eventually(lambda: len(_downs(journal)) == 1)
    release = threading.Event()
    eventually(lambda: tree.snapshot().find("watched").status == "running")
    tree.tell("watched", Block(release))  # epoch 2: hang
    eventually(lambda: tree.snapshot().find("watched").inflight_age_s is not None)
    clock.advance(2.0)
    eventually(lambda: len(_downs(journal)) >= 3, what="hang then start failure")
    release.set()
    eventually(lambda: tree.snapshot().find("watched").status == "running")  # epoch 4
    tree.directory.lookup("watched").ref.stop(block=True, timeout=5)  # epoch 4: normal stop
    eventually(lambda: len(_downs(journal)) == 4)

    downs = _downs(journal)
    assert [(d.name, d.epoch, d.reason) for d in downs] == [
        ("watched", 1, DownReason.CRASH),
        ("watched", 2, DownReason.HANG),
        ("watched", 3, DownReason.START_FAILURE),
        ("watched", 4, DownReason.NORMAL),
    ]
    assert downs[0].detail == "ValueError: bad"
    assert downs[2].detail == "RuntimeError: start fails once"


def test_a_monitor_gets_down_with_reason_shutdown_when_a_sibling_is_restarted_for_it(
    journal: Journal, start_tree
) -> None:
    tree = start_tree(
        tree_spec(
            recorder("watcher", journal, monitors=("b",)),
            recorder("a", journal),
            recorder("b", journal),
            strategy=Strategy.REST_FOR_ONE,
        )
    )
    tree.tell("a", Crash(RuntimeError("a fails")))
    eventually(lambda: len(_downs(journal)) == 1)
    assert (_downs(journal)[0].epoch, _downs(journal)[0].reason) == (1, DownReason.SHUTDOWN)


def test_a_monitor_dies_with_the_watcher_incarnation_that_set_it(
    journal: Journal, start_tree
) -> None:
    tree = start_tree(tree_spec(recorder("watcher", journal), recorder("watched", journal)))
    # Only the first watcher incarnation monitors (set via ask, not on_start).
    tree.ask("watcher", "hello")
    tree.directory.monitor("watched", "watcher", 1)
    tree.tell("watcher", Crash(RuntimeError("watcher restarts")))
    eventually(lambda: is_running(tree, "watcher", epoch=2))
    tree.tell("watched", Crash(RuntimeError("nobody should hear this")))
    eventually(lambda: is_running(tree, "watched", epoch=2))
    tree.ask("watcher", "sync")  # anything told before this has been handled
    assert _downs(journal) == []
