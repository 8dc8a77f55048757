"""Injected time.

The runtime never reads ``time`` directly: it stamps messages, measures uptime
and counts restarts within a period through a :class:`Clock`, so tests can drive
time by hand and see exact results.
"""

from __future__ import annotations

import time
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
    never a torn value.
    """

    def __init__(self, start: float = 1_000.0, wall_start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._wall_offset = wall_start - start

    def monotonic(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._now + self._wall_offset

    def advance(self, seconds: float) -> None:
        """Move time forward; negative steps are refused (monotonic time)."""
        if seconds < 0:
            raise ValueError(f"a monotonic clock cannot go back ({seconds}s)")
        self._now += seconds
