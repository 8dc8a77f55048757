"""Injected time.

The runtime never reads ``time`` directly: it stamps messages, measures uptime
and counts restarts within a period through a :class:`Clock`, so tests can drive
time by hand and see exact results. An actor's private trio loop keeps the same
time (:class:`~supervision.TrioLoop` runs trio on the actor's clock), so a
:class:`ManualClock` moves trio's sleeps and timeouts too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """A monotonic clock in seconds, plus wall time for human-facing timestamps."""

    def monotonic(self) -> float: ...

    def wall(self) -> float: ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``time.time``.

    Bound straight to the ``time`` functions: the runtime stamps every message
    with ``monotonic()``, so an extra Python frame here costs real throughput.
    """

    monotonic = staticmethod(time.monotonic)
    wall = staticmethod(time.time)


class ManualClock:
    """A clock that moves only when told to; for tests.

    Reads and :meth:`advance` may come from different threads; a float
    attribute store is atomic in CPython, so readers see old or new time,
    never a torn value. Whoever waits on this clock from another thread (a
    trio loop sleeping until a deadline) subscribes with :meth:`on_advance`
    to be woken when it moves.
    """

    def __init__(self, start: float = 1_000.0, wall_start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._wall_offset = wall_start - start
        self._listeners: list[Callable[[], None]] = []
        self._listeners_lock = threading.Lock()

    def monotonic(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._now + self._wall_offset

    def advance(self, seconds: float) -> None:
        """Move time forward, then call every :meth:`on_advance` listener in this
        thread; negative steps are refused (monotonic time). A listener that
        raises propagates to the caller (listeners must not raise)."""
        if seconds < 0:
            raise ValueError(f"a monotonic clock cannot go back ({seconds}s)")
        self._now += seconds
        with self._listeners_lock:
            listeners = tuple(self._listeners)
        for listener in listeners:
            listener()

    def on_advance(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` after every :meth:`advance` (in the advancing thread; it
        must be quick and must not raise). Returns the function that unsubscribes it
        (idempotent)."""
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe
