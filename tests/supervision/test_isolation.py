"""One actor's failure stays one actor's failure."""

from __future__ import annotations

import threading

import pykka
import pytest

from supervision import HandlerAborted
from tests.supervision.conftest import (
    Block,
    Crash,
    Journal,
    eventually,
    is_running,
    recorder,
    tree_spec,
)


def test_system_exit_in_one_actor_leaves_the_others_running(journal: Journal, start_tree) -> None:
    tree = start_tree(
        tree_spec(recorder("a", journal), recorder("b", journal), recorder("c", journal))
    )
    refs_before = {n: tree.directory.lookup(n).ref for n in "ac"}

    tree.tell("b", Crash(SystemExit(3)))
    eventually(lambda: ("start", "b", 2) in journal.entries)

    for name in "ac":
        assert tree.directory.lookup(name).ref is refs_before[name]
        assert refs_before[name].is_alive()
        assert tree.ask(name, "alive?") == ("echo", name, 1, "alive?")
    failure = tree.snapshot().find("b").last_failure
    assert (failure.reason, failure.type) == ("crash", "HandlerAborted")
    assert "SystemExit" in failure.message
    assert ("stop", "a", 1) not in journal.entries


def test_keyboard_interrupt_in_an_ask_handler_fails_the_ask_and_crashes_only_that_actor(
    journal: Journal, start_tree
) -> None:
    tree = start_tree(tree_spec(recorder("a", journal), recorder("b", journal)))
    with pytest.raises(HandlerAborted) as caught:
        tree.ask("b", Crash(KeyboardInterrupt()))
    assert isinstance(caught.value.original, KeyboardInterrupt)
    eventually(lambda: ("start", "b", 2) in journal.entries)
    assert tree.ask("a", "fine") == ("echo", "a", 1, "fine")
    assert len(pykka.ActorRegistry.get_all()) >= 2


def test_an_exception_while_serving_an_ask_goes_to_the_caller_and_the_actor_lives_on(
    journal: Journal, start_tree
) -> None:
    tree = start_tree(tree_spec(recorder("a", journal)))
    with pytest.raises(ValueError, match="caller's problem"):
        tree.ask("a", Crash(ValueError("caller's problem")))
    assert tree.ask("a", "still") == ("echo", "a", 1, "still")
    snapshot = tree.snapshot().find("a")
    assert (snapshot.epoch, snapshot.restarts, snapshot.last_failure) == (1, 0, None)


def test_messages_queued_behind_a_crash_are_dead_lettered_and_counted(
    journal: Journal, start_tree
) -> None:

    tree = start_tree(tree_spec(recorder("a", journal)))
    release = threading.Event()
    tree.tell("a", Block(release))
    tree.tell("a", Crash(RuntimeError("crash with a backlog")))
    for i in range(5):
        tree.tell("a", f"backlog {i}")
    release.set()
    eventually(lambda: is_running(tree, "a", epoch=2))
    snapshot = tree.snapshot().find("a")
    assert snapshot.dead_letters == 5
    assert snapshot.processed == 2  # Block and Crash were handled; the backlog never was
    assert not [e for e in journal.of("got") if str(e[3]).startswith("backlog")]
