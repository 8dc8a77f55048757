"""An actor's private trio loop: work goes in, errors come out, stop is prompt."""

from __future__ import annotations

import threading
import time

import pytest
import trio
import trio.testing

from supervision import LoopNotRunning, ManualClock, SystemClock, TrioLoop
from supervision._trio_loop import TrioClock
from tests.supervision.conftest import DEADLINE, eventually


def test_spawned_tasks_run_on_the_loop_thread_and_report_back() -> None:
    errors: list[BaseException] = []
    loop = TrioLoop("t", errors.append)
    loop.start()
    seen: list[str] = []
    done = threading.Event()

    async def task(word: str) -> None:
        await trio.sleep(0)
        seen.append(f"{word} on {threading.current_thread().name}")
        done.set()

    loop.spawn(task, "hello")
    assert done.wait(5)
    assert seen == ["hello on trio-t"]
    assert loop.stop()
    assert errors == []


def test_a_failing_task_is_reported_and_the_loop_keeps_serving() -> None:
    errors: list[BaseException] = []
    loop = TrioLoop("t", errors.append)
    loop.start()

    async def boom() -> None:
        raise ValueError("task failed")

    ran = threading.Event()

    async def fine() -> None:
        ran.set()

    loop.spawn(boom)
    eventually(lambda: errors)
    loop.spawn(fine)
    assert ran.wait(5)
    assert [type(e) for e in errors] == [ValueError]
    assert loop.stop()


def test_stop_cancels_a_task_blocked_in_trio_promptly() -> None:
    loop = TrioLoop("t", lambda _exc: None)
    loop.start()
    started = threading.Event()

    async def forever() -> None:
        started.set()
        await trio.sleep_forever()

    loop.spawn(forever)
    assert started.wait(5)
    began = time.monotonic()
    assert loop.stop(timeout=5)
    assert time.monotonic() - began < 1.0
    with pytest.raises(LoopNotRunning):
        loop.spawn(forever)
    assert loop.stop()  # idempotent


def _settled(loop: TrioLoop) -> None:
    """Return once every task of ``loop`` is blocked: whatever the last clock move woke
    has run by then (the move happened before this probe was even scheduled)."""
    idle = threading.Event()

    async def probe() -> None:
        await trio.testing.wait_all_tasks_blocked()
        idle.set()

    loop.spawn(probe)
    assert idle.wait(DEADLINE)


def test_a_sleep_in_the_loop_wakes_when_its_manual_clock_is_advanced_and_not_before() -> None:
    clock = ManualClock(start=1_000.0)
    errors: list[BaseException] = []
    loop = TrioLoop("t", errors.append, clock=clock)
    loop.start()
    asleep, woke = threading.Event(), threading.Event()
    times: list[float] = []

    async def sleeper() -> None:
        began = trio.current_time()
        times.append(began)
        asleep.set()
        await trio.sleep_until(began + 500.0)  # real time would keep it asleep for 500 s
        times.append(trio.current_time())
        woke.set()

    loop.spawn(sleeper)
    assert asleep.wait(DEADLINE)
    assert times == [1_000.0]  # trio's time is the injected clock's
    _settled(loop)
    assert not woke.is_set()  # real time passing does not move it
    clock.advance(499.9)
    _settled(loop)
    assert not woke.is_set()  # 0.1 s short of its deadline
    clock.advance(0.1)
    assert woke.wait(DEADLINE)
    assert times == [1_000.0, 1_500.0]
    assert loop.stop()
    assert errors == []


def test_a_timeout_in_the_loop_fires_on_the_manual_clock_from_any_thread() -> None:
    clock = ManualClock()
    loop = TrioLoop("t", lambda _exc: None, clock=clock)
    loop.start()
    outcome: list[str] = []
    waiting = threading.Event()

    async def waits_for_nothing() -> None:
        with trio.move_on_after(200.0) as scope:
            waiting.set()
            await trio.sleep_forever()
        outcome.append("timed out" if scope.cancelled_caught else "?")

    loop.spawn(waits_for_nothing)
    assert waiting.wait(DEADLINE)
    _settled(loop)
    assert outcome == []
    clock.advance(200.0)
    eventually(lambda: outcome == ["timed out"], what="the timeout fired")
    assert loop.stop()


def test_a_stopped_loop_no_longer_listens_to_its_manual_clock() -> None:
    clock = ManualClock()
    loop = TrioLoop("t", lambda _exc: None, clock=clock)
    loop.start()
    assert loop.stop()
    clock.advance(1.0)  # nothing to wake, nothing raised
    assert clock._listeners == []


def test_the_default_loop_runs_on_the_system_clock() -> None:
    loop = TrioLoop("t", lambda _exc: None)
    assert isinstance(loop.clock, SystemClock)
    loop.start()
    seen: list[float] = []
    done = threading.Event()

    async def read() -> None:
        before = time.monotonic()
        now = trio.current_time()
        seen.extend((before, now, time.monotonic()))
        done.set()

    loop.spawn(read)
    assert done.wait(DEADLINE)
    before, now, after = seen
    assert before <= now <= after
    assert loop.stop()


def test_trio_run_on_a_trio_clock_reads_the_injected_clock() -> None:
    clock = ManualClock(start=50.0)
    trio_clock = TrioClock(clock)

    async def main() -> float:
        return trio.current_time()

    assert trio.run(main, clock=trio_clock) == 50.0
    trio_clock.close()
    assert clock._listeners == []
