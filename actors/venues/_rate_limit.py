"""Per-endpoint token buckets that also honour the venue's Retry-After.

Lives on the execution actor's trio loop and reads trio's clock
(``trio.current_time()``): on that loop, the actor's injected clock (see
:class:`~supervision.TrioLoop`); under a bare ``trio.run`` tests drive it with
``trio.testing.MockClock``.
Single-task-at-a-time by construction (trio is cooperative): no locks.

- :meth:`RateLimiter.acquire` waits until the endpoint has a token and is not
  deferred, takes the token and returns how long it waited.
- :meth:`RateLimiter.defer` is called on a 429: no call to that endpoint starts
  before ``now + retry_after``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import trio

from actors.venues._trading import RateLimit

if TYPE_CHECKING:
    from actors.venues._http import Limiter

__all__ = ["RateLimiter", "TokenBucket"]


_ROUNDING = 1e-9
"""Tokens a bucket may be short of one and still give it (float refill arithmetic)."""


class TokenBucket:
    """``limit.burst`` tokens, refilled at ``limit.per_second``; one call takes one."""

    def __init__(self, limit: RateLimit, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.updated = now
        self.deferred_until = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.limit.burst), self.tokens + elapsed * self.limit.per_second)
        self.updated = now

    def wait_needed(self, now: float) -> float:
        """Seconds until a token is available and no Retry-After applies (0: now)."""
        self._refill(now)
        # A token short by a float rounding error is a token: waiting for it would sleep
        # for a time the clock cannot represent, again and again (found on a mock clock).
        token_wait = (
            0.0 if self.tokens >= 1 - _ROUNDING else (1 - self.tokens) / self.limit.per_second
        )
        return max(token_wait, self.deferred_until - now)

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def defer(self, until: float) -> None:
        self.deferred_until = max(self.deferred_until, until)


class RateLimiter:
    """One :class:`TokenBucket` per endpoint name; ``"*"`` is the default limit.

    With ``named_only`` only the endpoints ``limits`` names are paced (its ``"*"``,
    if any, is ignored) and every other call passes at once: warden's own throttle
    laid over a venue's limiter that already paces everything else.
    """

    def __init__(self, limits: Mapping[str, RateLimit], *, named_only: bool = False) -> None:
        if "*" not in limits and not named_only:
            raise ValueError("rate limits need a '*' default")
        self._limits = dict(limits)
        if named_only:
            self._limits.pop("*", None)
        self._buckets: dict[str, TokenBucket] = {}

    def paces(self, endpoint: str) -> bool:
        """Whether calls to ``endpoint`` take a token here."""
        return endpoint in self._limits or "*" in self._limits

    def bucket(self, endpoint: str) -> TokenBucket:
        """``endpoint``'s bucket; ``KeyError`` for one this limiter does not pace."""
        bucket = self._buckets.get(endpoint)
        if bucket is None:
            limit = self._limits[endpoint] if endpoint in self._limits else self._limits["*"]
            bucket = self._buckets[endpoint] = TokenBucket(limit, trio.current_time())
        return bucket

    async def acquire(self, endpoint: str) -> float:
        """Wait for a token of ``endpoint``; returns the seconds waited (cancellable)."""
        if not self.paces(endpoint):
            return 0.0
        bucket = self.bucket(endpoint)
        began = trio.current_time()
        while True:
            now = trio.current_time()
            wait = bucket.wait_needed(now)
            if wait <= 0:
                bucket.take(now)
                return now - began
            await trio.sleep(wait)

    def defer(self, endpoint: str, retry_after: float) -> None:
        """The venue said 429 with ``Retry-After: retry_after``: hold ``endpoint`` back."""
        if retry_after > 0 and self.paces(endpoint):
            self.bucket(endpoint).defer(trio.current_time() + retry_after)


class AllLimiters:
    """Every limiter's token, one after another: a venue's documented limits and
    warden's own pacing together (each ``acquire`` waits for the slowest)."""

    def __init__(self, *limiters: Limiter) -> None:
        self.limiters = limiters

    async def acquire(self, endpoint: str) -> float:
        """Wait for a token of ``endpoint`` from every limiter; the seconds waited."""
        began = trio.current_time()
        for limiter in self.limiters:
            await limiter.acquire(endpoint)
        return trio.current_time() - began

    def defer(self, endpoint: str, retry_after: float) -> None:
        for limiter in self.limiters:
            limiter.defer(endpoint, retry_after)
