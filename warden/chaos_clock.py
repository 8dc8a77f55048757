"""A clock whose wall time can be jumped, for the chaos harness's clock faults.

``warden run --chaos`` builds the supervision tree with an :class:`OffsetClock`:
every actor's ``clock.wall()`` is the real wall time plus :attr:`offset`, so
``POST /chaos/clock`` can move the daemon across midnight (daily statistics,
the daily-loss limit) without touching the machine's clock. ``monotonic`` is
the real ``time.monotonic`` and never jumps: timeouts, backoff, hang
detection and breaker windows are unaffected.

Without ``--chaos`` the daemon uses :class:`supervision.SystemClock` and this
module plays no part.
"""

from __future__ import annotations

import math
import time


class OffsetClock:
    """``monotonic()`` is real; ``wall()`` is real wall time + ``offset`` seconds.

    The offset is one float, replaced whole by :meth:`set_offset` (atomic in
    CPython): actor threads read the old or the new offset, never a mix.
    """

    monotonic = staticmethod(time.monotonic)  # the hot path: no extra frame

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = 0.0
        self.set_offset(offset)

    def wall(self) -> float:
        return time.time() + self.offset

    def set_offset(self, offset: float) -> None:
        """Jump wall time to real time + ``offset`` (negative: into the past).

        Raises ``TypeError`` for a value that is not a number, ``ValueError`` for
        one that is not finite.
        """
        if isinstance(offset, bool) or not isinstance(offset, int | float):
            raise TypeError(f"offset must be a number of seconds, got {offset!r}")
        if not math.isfinite(offset):
            raise ValueError(f"offset must be finite, got {offset!r}")
        self.offset = float(offset)
