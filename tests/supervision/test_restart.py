"""Restart semantics: when, after how long, which siblings, in which order."""

from __future__ import annotations

import random
import time

import pytest

from supervision import (
    Backoff,
    BackoffPolicy,
    ChildSpec,
    ChildUnavailable,
    DownReason,
    Jitter,
    ManualClock,
    RestartType,
    Strategy,
)
from tests.supervision.conftest import (
    Crash,
    Journal,
    Recorder,
    eventually,
    is_running,
    recorder,
    tree_spec,
)


def test_a_crashed_permanent_child_is_restarted_after_a_delay_inside_the_backoff_bounds(
    journal: Journal, start_tree, log_events
) -> None:
    policy = BackoffPolicy(jitter=Jitter.FULL, base=0.2, cap=1.0)
    tree = start_tree(tree_spec(recorder("worker", journal), backoff=policy), seed=11)
    expected_delay = Backoff(policy, random.Random("11:worker")).next_delay()
    assert 0 < expected_delay <= 0.2  # first attempt: U(0, base)

    crashed_at = time.monotonic()
    tree.tell("worker", Crash(RuntimeError("boom")))
    eventually(lambda: ("start", "worker", 2) in journal.entries, what="second incarnation")
    elapsed = time.monotonic() - crashed_at

    restart = next(e for e in log_events if e.get("event") == "restart")
    assert restart["delay"] == expected_delay
    assert restart["reason"] == "crash"
    assert (restart["supervisor"], restart["child"], restart["epoch"]) == ("root", "worker", 1)
    assert elapsed >= expected_delay
    assert tree.ask("worker", "ping") == ("echo", "worker", 2, "ping")


def test_two_trees_with_the_same_seed_draw_the_same_restart_delays(
    journal: Journal, start_tree, log_events
) -> None:
    policy = BackoffPolicy(jitter=Jitter.FULL, base=0.001, cap=0.004)

    def delays_of_one_run() -> list[float]:
        log_events.clear()
        tree = start_tree(tree_spec(recorder("w", journal), backoff=policy, name="t"), seed=5)
        for epoch in range(1, 5):
            eventually(lambda e=epoch: is_running(tree, "w", epoch=e))
            tree.tell("w", Crash(RuntimeError(f"crash {epoch}")))
        eventually(lambda: len([e for e in log_events if e.get("event") == "restart"]) == 4)
        return [e["delay"] for e in log_events if e.get("event") == "restart"]

    first, second = delays_of_one_run(), delays_of_one_run()
    backoff = Backoff(policy, random.Random("5:w"))
    assert first == second == [backoff.next_delay() for _ in range(4)]


def test_a_message_for_a_restarting_child_is_rejected_not_buffered(
    journal: Journal, start_tree
) -> None:
    # Long enough that the backoff cannot end between the snapshot that saw
    # "restarting" (which may wait up to 0.5 s for summaries) and the tell below.
    slow = BackoffPolicy(jitter=Jitter.NONE, base=2.0, cap=2.0)
    tree = start_tree(tree_spec(recorder("worker", journal), backoff=slow))
    tree.tell("worker", Crash(RuntimeError("boom")))
    eventually(lambda: tree.snapshot().find("worker").status == "restarting")
    with pytest.raises(ChildUnavailable) as caught:
        tree.tell("worker", "during backoff")
    assert (caught.value.name, caught.value.status) == ("worker", "restarting")
    eventually(lambda: tree.snapshot().find("worker").status == "running")
    assert tree.tell("worker", "told") == 2  # tell names the incarnation that took it
    tree.ask("worker", "after")
    received = [e[3] for e in journal.of("got") if e[2] == 2]
    assert received == ["told", "after"]  # the rejected message never reached incarnation 2


def test_an_unknown_name_is_rejected_with_a_clear_error(start_tree, journal: Journal) -> None:
    tree = start_tree(tree_spec(recorder("worker", journal)))
    with pytest.raises(
        ChildUnavailable, match="'nobody' is not accepting messages \\(status: unknown\\)"
    ):
        tree.tell("nobody", "hello")


def test_a_transient_child_is_restarted_after_a_crash_but_not_after_a_normal_stop(
    journal: Journal, start_tree
) -> None:
    tree = start_tree(tree_spec(recorder("t", journal, restart=RestartType.TRANSIENT)))
    tree.tell("t", Crash(RuntimeError("abnormal")))
    eventually(lambda: ("start", "t", 2) in journal.entries)
    tree.tell("t", Crash(SystemExit(0)))  # becomes HandlerAborted: still abnormal
    eventually(lambda: ("start", "t", 3) in journal.entries)

    tree.directory.lookup("t").ref.stop(block=True, timeout=5)  # the actor stops itself: normal
    eventually(lambda: tree.snapshot().find("t").status == "stopped")
    assert tree.snapshot().find("t").epoch == 3
    assert ("start", "t", 4) not in journal.entries


def test_a_temporary_child_is_never_restarted(journal: Journal, start_tree) -> None:
    tree = start_tree(
        tree_spec(
            recorder("tmp", journal, restart=RestartType.TEMPORARY), recorder("other", journal)
        )
    )
    tree.tell("tmp", Crash(RuntimeError("gone")))
    eventually(lambda: tree.snapshot().find("tmp").status == "failed")
    snapshot = tree.snapshot().find("tmp")
    assert (snapshot.epoch, snapshot.restarts) == (1, 0)
    assert journal.names("start").count("tmp") == 1
    assert tree.ask("other", "still here") == ("echo", "other", 1, "still here")


def _three(journal: Journal, strategy: Strategy, start_tree):
    return start_tree(
        tree_spec(
            recorder("a", journal),
            recorder("b", journal),
            recorder("c", journal),
            strategy=strategy,
        )
    )


def _lifecycle_after(journal: Journal, mark: int) -> list[tuple[str, str, int]]:
    return [e[:3] for e in journal.entries[mark:] if e[0] in ("start", "stop", "failure")]


def test_one_for_one_restarts_only_the_failed_child(journal: Journal, start_tree) -> None:
    tree = _three(journal, Strategy.ONE_FOR_ONE, start_tree)
    mark = len(journal.entries)
    tree.tell("b", Crash(RuntimeError("b fails")))
    eventually(lambda: ("start", "b", 2) in journal.entries)
    assert _lifecycle_after(journal, mark) == [("failure", "b", 1), ("start", "b", 2)]
    assert [tree.snapshot().find(n).epoch for n in "abc"] == [1, 2, 1]


def test_one_for_all_stops_the_others_in_reverse_order_then_restarts_all_in_order(
    journal: Journal, start_tree
) -> None:
    tree = _three(journal, Strategy.ONE_FOR_ALL, start_tree)
    mark = len(journal.entries)
    tree.tell("b", Crash(RuntimeError("b fails")))
    eventually(lambda: ("start", "c", 2) in journal.entries)
    assert _lifecycle_after(journal, mark) == [
        ("failure", "b", 1),
        ("stop", "c", 1),
        ("stop", "a", 1),
        ("start", "a", 2),
        ("start", "b", 2),
        ("start", "c", 2),
    ]
    snapshot = tree.snapshot()
    assert [snapshot.find(n).restarts for n in "abc"] == [1, 1, 1]


def test_rest_for_one_restarts_the_failed_child_and_those_started_after_it(
    journal: Journal, start_tree
) -> None:
    tree = _three(journal, Strategy.REST_FOR_ONE, start_tree)
    mark = len(journal.entries)
    tree.tell("b", Crash(RuntimeError("b fails")))
    eventually(lambda: ("start", "c", 2) in journal.entries)
    assert _lifecycle_after(journal, mark) == [
        ("failure", "b", 1),
        ("stop", "c", 1),
        ("start", "b", 2),
        ("start", "c", 2),
    ]
    assert tree.snapshot().find("a").epoch == 1


def test_the_backoff_attempt_counter_resets_after_a_stable_period(
    journal: Journal, start_tree, log_events
) -> None:
    clock = ManualClock()
    policy = BackoffPolicy(jitter=Jitter.NONE, base=0.001, cap=1.0, reset_after=60.0)
    tree = start_tree(tree_spec(recorder("w", journal), backoff=policy, intensity=100), clock=clock)

    def crash_and_wait(epoch: int) -> dict:
        tree.tell("w", Crash(RuntimeError(f"crash {epoch}")))
        eventually(lambda: ("start", "w", epoch + 1) in journal.entries)
        eventually(lambda: tree.snapshot().find("w").status == "running")
        return [e for e in log_events if e.get("event") == "restart"][-1]

    attempts = [crash_and_wait(epoch)["attempt"] for epoch in (1, 2, 3)]
    assert attempts == [0, 1, 2]  # unstable: crashing right after each start
    clock.advance(59.0)
    assert crash_and_wait(4)["attempt"] == 3  # up 59s < 60s: still counting
    clock.advance(60.0)
    stable = crash_and_wait(5)
    assert stable["attempt"] == 0  # up 60s: counter reset
    assert stable["delay"] == 0.001


def test_a_failing_factory_counts_as_a_start_failure(journal: Journal, start_tree) -> None:
    calls = {"n": 0}

    def flaky_factory():
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("config file missing")
        return Recorder(journal)

    tree = start_tree(tree_spec(ChildSpec(name="f", factory=flaky_factory)))
    eventually(lambda: tree.snapshot().find("f").status == "running")
    snapshot = tree.snapshot().find("f")
    assert snapshot.epoch == 2
    assert snapshot.last_failure is not None
    assert (snapshot.last_failure.reason, snapshot.last_failure.type) == (
        DownReason.START_FAILURE.value,
        "OSError",
    )
