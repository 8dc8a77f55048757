"""Per-endpoint token buckets on trio's clock (driven by MockClock, no real waiting)."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from actors.venues import RateLimit, RateLimiter


async def test_a_burst_passes_at_once_then_calls_are_spaced_by_the_refill_rate(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter({"*": RateLimit(per_second=10.0, burst=3)})
    starts = []
    for _ in range(5):
        await limiter.acquire("list_orders")
        starts.append(trio.current_time())

    assert starts[:3] == [0.0, 0.0, 0.0]
    assert starts[3] == pytest.approx(0.1)
    assert starts[4] == pytest.approx(0.2)


async def test_endpoints_have_buckets_of_their_own(autojump_clock: trio.testing.MockClock) -> None:
    limiter = RateLimiter(
        {"create_order": RateLimit(per_second=1.0, burst=1), "*": RateLimit(100.0, 100)}
    )
    await limiter.acquire("create_order")
    waited_elsewhere = await limiter.acquire("list_orders")
    waited_again = await limiter.acquire("create_order")

    assert waited_elsewhere == 0
    assert waited_again == pytest.approx(1.0)


async def test_retry_after_holds_only_its_endpoint_back(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter({"*": RateLimit(per_second=100.0, burst=100)})
    limiter.defer("create_order", 2.5)

    assert await limiter.acquire("cancel_order") == 0
    assert await limiter.acquire("create_order") == pytest.approx(2.5)
    assert await limiter.acquire("create_order") == 0  # the hold is over


async def test_a_shorter_retry_after_never_shortens_a_longer_hold(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter({"*": RateLimit(per_second=100.0, burst=100)})
    limiter.defer("create_order", 3.0)
    limiter.defer("create_order", 1.0)

    assert await limiter.acquire("create_order") == pytest.approx(3.0)


def test_a_limiter_needs_a_default_limit() -> None:
    with pytest.raises(ValueError, match="'\\*'"):
        RateLimiter({"create_order": RateLimit(1.0, 1)})


async def test_a_named_only_limiter_paces_just_the_endpoints_it_names(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter(
        {"create_order": RateLimit(per_second=1.0, burst=1), "*": RateLimit(1.0, 1)},
        named_only=True,
    )
    limiter.defer("list_orders", 5.0)  # not paced here: nothing to hold back

    assert [await limiter.acquire("list_orders") for _ in range(3)] == [0, 0, 0]
    assert limiter.paces("create_order")
    assert not limiter.paces("list_orders")
    await limiter.acquire("create_order")
    assert await limiter.acquire("create_order") == pytest.approx(1.0)
    assert RateLimiter({"create_order": RateLimit(1.0, 1)}, named_only=True).paces("create_order")
