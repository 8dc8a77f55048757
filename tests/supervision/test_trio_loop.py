"""An actor's private trio loop: work goes in, errors come out, stop is prompt."""

from __future__ import annotations

import threading
import time

import pytest
import trio

from supervision import LoopNotRunning, TrioLoop
from tests.supervision.conftest import eventually


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
