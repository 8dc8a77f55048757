"""Restart delays: exponential, jittered, capped, with a stability reset.

The generator is injected, so a seeded ``random.Random`` yields an exact,
testable delay sequence.
"""

from __future__ import annotations

import random

from supervision._spec import BackoffPolicy, Jitter


class Backoff:
    """The delay schedule of one child; ``next_delay`` advances it, ``reset`` rewinds it.

    Attempt ``n`` (0-based) has ceiling ``min(cap, base * 2**n)``:
    full jitter draws ``U(0, ceiling)``; equal draws ``ceiling/2 + U(0, ceiling/2)``;
    decorrelated draws ``min(cap, U(base, previous * 3))``; none returns the ceiling.
    """

    def __init__(self, policy: BackoffPolicy, rng: random.Random) -> None:
        self.policy = policy
        self._rng = rng
        self.attempt = 0
        self._previous = policy.base

    def ceiling(self, attempt: int) -> float:
        # 2**attempt overflows a float past ~1024; the cap is reached long before.
        return float(min(self.policy.cap, self.policy.base * 2 ** min(attempt, 64)))

    def next_delay(self) -> float:
        ceiling = self.ceiling(self.attempt)
        self.attempt += 1
        match self.policy.jitter:
            case Jitter.NONE:
                return ceiling
            case Jitter.FULL:
                return self._rng.uniform(0.0, ceiling)
            case Jitter.EQUAL:
                return ceiling / 2 + self._rng.uniform(0.0, ceiling / 2)
            case Jitter.DECORRELATED:
                upper = max(self.policy.base, self._previous * 3)
                self._previous = min(self.policy.cap, self._rng.uniform(self.policy.base, upper))
                return self._previous
        raise AssertionError(self.policy.jitter)  # pragma: no cover - enum is closed

    def reset(self) -> None:
        self.attempt = 0
        self._previous = self.policy.base
