"""Polymarket's documented limits as token buckets, and the client waiting for both
them and warden's own pacing."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from actors.venues import RateLimit, RateLimiter
from actors.venues._rate_limit import AllLimiters
from actors.venues.polymarket._limits import DOCUMENTED_WINDOWS, POLYMARKET_LIMITS


@pytest.mark.parametrize("endpoint", sorted(POLYMARKET_LIMITS))
def test_every_bucket_stays_within_both_documented_windows(endpoint: str) -> None:
    limit = POLYMARKET_LIMITS[endpoint]
    per_10s, per_10min = DOCUMENTED_WINDOWS[endpoint]
    # A bucket lets through at most burst + rate * t requests in t seconds.
    assert limit.burst + 10 * limit.per_second <= per_10s
    if per_10min is not None:
        assert limit.burst + 600 * limit.per_second <= per_10min


async def test_a_bucket_lets_through_no_more_than_the_10_second_window(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter(POLYMARKET_LIMITS)
    per_10s = DOCUMENTED_WINDOWS["create_order"][0]
    started = trio.current_time()
    for _ in range(POLYMARKET_LIMITS["create_order"].burst):
        await limiter.acquire("create_order")
    assert trio.current_time() == started  # the burst goes at once
    for _ in range(per_10s - POLYMARKET_LIMITS["create_order"].burst + 1):
        await limiter.acquire("create_order")
    assert trio.current_time() - started > 10.0  # request per_10s + 1 waits past 10 s


async def test_all_limiters_wait_for_the_slowest(autojump_clock: trio.testing.MockClock) -> None:
    slow = RateLimiter({"*": RateLimit(per_second=1.0, burst=1)})
    fast = RateLimiter({"*": RateLimit(per_second=100.0, burst=100)})
    both = AllLimiters(fast, slow)
    assert await both.acquire("create_order") == 0.0
    waited = await both.acquire("create_order")
    assert waited == pytest.approx(1.0, abs=0.01)
    both.defer("create_order", 5.0)  # a 429's Retry-After holds every limiter back
    assert await fast.acquire("create_order") == pytest.approx(5.0, abs=0.01)
