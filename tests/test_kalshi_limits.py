"""Kalshi's Read and Write token buckets on trio's clock (MockClock: no real waiting).

The numbers are Kalshi's (getting_started/rate_limits.md): budgets per tier,
capacities of one or two seconds of budget, 10 tokens a request by default,
batches billed per item, no Retry-After on a 429.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.venues.kalshi._limits import (
    DEFAULT_COST,
    LEGACY_ORDER_COSTS,
    TIERS,
    Bucket,
    KalshiRateLimiter,
    tier_named,
)

FIXTURES = Path(__file__).parent / "fixtures" / "kalshi"


async def _start_times(limiter: KalshiRateLimiter, endpoint: str, calls: int) -> list[float]:
    starts = []
    for _ in range(calls):
        await limiter.acquire(endpoint)
        starts.append(trio.current_time())
    return starts


# -- the documented numbers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "read", "read_capacity", "write", "write_capacity"),
    [
        # Budgets from "Tiers and budgets"; capacities: two seconds of budget for
        # Basic and Advanced Read and for Write above Basic, one second otherwise.
        ("basic", 200, 400, 100, 100),
        ("advanced", 300, 600, 300, 600),
        ("expert", 600, 600, 600, 1200),
        ("premier", 1000, 1000, 1000, 2000),
        ("paragon", 2000, 2000, 2000, 4000),
        ("prime", 4000, 4000, 4000, 8000),
        ("prestige", 10000, 10000, 8000, 16000),
    ],
)
def test_every_tier_has_the_documented_budgets_and_capacities(
    tier: str, read: int, read_capacity: int, write: int, write_capacity: int
) -> None:
    spec = TIERS[tier]

    assert (spec.read.refill_per_second, spec.read.capacity) == (read, read_capacity)
    assert (spec.write.refill_per_second, spec.write.capacity) == (write, write_capacity)


def test_the_premier_tier_matches_kalshis_example_of_account_limits() -> None:
    example = json.loads((FIXTURES / "account_limits_premier.json").read_text())
    tier = tier_named(example["usage_tier"])

    for bucket in (Bucket.READ, Bucket.WRITE):
        documented = example[bucket.value]
        spec = tier.spec(bucket)
        assert (spec.refill_per_second, spec.capacity) == (
            documented["refill_rate"],
            documented["bucket_capacity"],
        )


def test_tiers_are_named_in_any_case_and_an_unknown_one_lists_the_valid_ones() -> None:
    assert tier_named("PREMIER") is TIERS["premier"]
    assert KalshiRateLimiter(" Advanced ").tier is TIERS["advanced"]

    with pytest.raises(ValueError, match="'platinum'") as unknown:
        KalshiRateLimiter("platinum")
    for name in ("basic", "advanced", "expert", "premier", "paragon", "prime", "prestige"):
        assert name in str(unknown.value)


def test_order_mutations_draw_from_write_and_everything_else_from_read() -> None:
    limiter = KalshiRateLimiter()
    writes = [
        "create_order",
        "amend_order",
        "decrease_order",
        "cancel_order",
        "batch_create_orders",
        "batch_cancel_orders",
    ]

    assert {limiter.bucket_of(name) for name in writes} == {Bucket.WRITE}
    for name in ("get_order", "list_orders", "list_markets", "get_balance", "list_fills"):
        assert limiter.bucket_of(name) is Bucket.READ


def test_costs_default_to_ten_and_cancels_and_order_lookups_cost_two() -> None:
    limiter = KalshiRateLimiter()

    assert limiter.cost_of("create_order") == DEFAULT_COST == 10
    assert limiter.cost_of("list_orders") == 10
    assert limiter.cost_of("cancel_order") == 2
    assert limiter.cost_of("get_order") == 2
    # "submitting 25 orders costs 25 x 10 = 250 tokens"; "cancelling 25 orders costs 25 x 2 = 50"
    assert limiter.cost_of("batch_create_orders", items=25) == 250
    assert limiter.cost_of("batch_cancel_orders", items=25) == 50


# -- pacing ----------------------------------------------------------------------------


async def test_a_basic_write_bucket_admits_its_capacity_at_once_then_ten_orders_a_second(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("basic")

    starts = await _start_times(limiter, "create_order", 13)

    assert starts[:10] == [0.0] * 10  # capacity 100 tokens = 10 orders at 10 tokens
    assert starts[10:] == pytest.approx([0.1, 0.2, 0.3])  # refill 100 tokens/s


async def test_the_documented_premier_burst_of_200_orders_is_accepted_at_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    # rate_limits.md: "A Premier Write bucket refills at 1,000 tokens per second and
    # holds up to 2,000 ... 200 orders at once: all accepted".
    limiter = KalshiRateLimiter("premier")

    starts = await _start_times(limiter, "create_order", 201)

    assert starts[:200] == [0.0] * 200
    assert starts[200] == pytest.approx(0.01)


async def test_acquire_returns_the_seconds_it_waited(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("basic")
    waits = [await limiter.acquire("create_order") for _ in range(11)]

    assert waits[:10] == [0.0] * 10
    assert waits[10] == pytest.approx(0.1)


async def test_read_and_write_buckets_are_independent(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("basic")

    await _start_times(limiter, "create_order", 10)  # Write now empty
    assert await limiter.acquire("list_orders") == 0.0
    await _start_times(limiter, "list_markets", 39)  # Read (400) now empty too
    assert await limiter.acquire("list_orders") == pytest.approx(10 / 200)
    # Write refilled 5 tokens meanwhile: a 2-token cancel passes at once.
    assert await limiter.acquire("cancel_order") == 0.0


async def test_endpoints_sharing_a_bucket_drain_it_together(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("basic")

    for _ in range(5):
        await limiter.acquire("create_order")
        await limiter.acquire("amend_order")

    assert await limiter.acquire("decrease_order") == pytest.approx(0.1)


async def test_a_cheap_endpoint_passes_more_often_than_a_default_one(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("basic")

    starts = await _start_times(limiter, "cancel_order", 51)

    assert starts[:50] == [0.0] * 50  # 100 tokens / 2
    assert starts[50] == pytest.approx(0.02)


async def test_a_cost_given_per_endpoint_overrides_the_default(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("basic", costs={"list_markets": 50, "cancel_order": 25})

    assert limiter.cost_of("list_markets") == 50
    assert limiter.cost_of("get_order") == 2  # the documented table still applies
    read_starts = await _start_times(limiter, "list_markets", 9)
    write_starts = await _start_times(limiter, "cancel_order", 5)

    assert read_starts[:8] == [0.0] * 8  # 400 / 50
    assert read_starts[8] == pytest.approx(0.25)  # 50 tokens at 200/s
    assert write_starts[:4] == pytest.approx([0.25] * 4)  # 100 / 25; reads left Write full
    assert write_starts[4] == pytest.approx(0.5)


async def test_legacy_costs_make_a_basic_write_bucket_one_order_a_second(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("basic", costs=LEGACY_ORDER_COSTS)

    starts = await _start_times(limiter, "create_order", 3)

    assert starts == pytest.approx([0.0, 1.0, 2.0])


async def test_a_batch_is_billed_per_item_and_must_fit_whole(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("basic")

    assert await limiter.acquire("batch_create_orders", items=10) == 0.0  # 100 tokens
    assert await limiter.acquire("batch_cancel_orders", items=5) == pytest.approx(0.1)


async def test_a_request_costing_more_than_its_bucket_holds_is_refused_at_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("basic")

    with pytest.raises(ValueError, match="costs 110 tokens") as refused:
        await limiter.acquire("batch_create_orders", items=11)

    assert "capacity of 100" in str(refused.value)
    assert "basic write" in str(refused.value)
    assert trio.current_time() == 0.0  # refused without waiting
    assert limiter.snapshot().write_tokens == 100.0  # and without taking anything
    with pytest.raises(ValueError, match="capacity of 400"):
        KalshiRateLimiter("basic", costs={"list_markets": 401})
    with pytest.raises(ValueError, match="integer >= 1"):
        KalshiRateLimiter("basic", costs={"list_markets": 0})
    with pytest.raises(ValueError, match="at least 1 item"):
        await limiter.acquire("batch_cancel_orders", items=0)


async def test_a_cancelled_wait_takes_no_tokens(autojump_clock: trio.testing.MockClock) -> None:
    limiter = KalshiRateLimiter("basic")
    await _start_times(limiter, "create_order", 10)

    with trio.move_on_after(0.05):
        await limiter.acquire("create_order")

    assert limiter.snapshot().write_tokens == pytest.approx(5.0)
    assert await limiter.acquire("create_order") == pytest.approx(0.05)


@settings(max_examples=40, deadline=None)
@given(
    requests=st.lists(
        st.tuples(
            st.sampled_from(["create_order", "cancel_order", "batch_create_orders"]),
            st.integers(1, 10),
        ),
        min_size=1,
        max_size=40,
    ),
    tier=st.sampled_from(sorted(TIERS)),
)
def test_the_write_bucket_never_admits_more_than_capacity_plus_refill(
    requests: list[tuple[str, int]], tier: str
) -> None:
    limiter = KalshiRateLimiter(tier)
    spec = TIERS[tier].write
    admitted: list[tuple[float, int]] = []

    async def run() -> None:
        for endpoint, items in requests:
            count = items if endpoint.startswith("batch") else 1
            await limiter.acquire(endpoint, items=count)
            admitted.append((trio.current_time(), limiter.cost_of(endpoint, count)))

    trio.run(run, clock=trio.testing.MockClock(autojump_threshold=0))

    spent = 0
    for moment, cost in admitted:
        spent += cost
        assert spent <= spec.capacity + spec.refill_per_second * moment + 1e-6
    # ... and never waits longer than the refill needs: back to back from a full
    # bucket, the last request starts as soon as the spend beyond the capacity refilled.
    needed = max(0.0, (spent - spec.capacity) / spec.refill_per_second)
    assert admitted[-1][0] == pytest.approx(needed, abs=1e-6)


# -- 429s ------------------------------------------------------------------------------


async def test_a_429_backoff_grows_with_full_jitter_and_resets_after_a_success(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("premier", backoff_base=0.1, backoff_cap=1.0)
    rng = random.Random(1234)
    reference = random.Random(1234)
    ceilings = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]

    delays = [limiter.backoff_after_429("create_order", rng) for _ in ceilings]

    assert delays == [reference.uniform(0.0, ceiling) for ceiling in ceilings]
    assert all(0.0 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jittered, not a fixed schedule
    assert limiter.snapshot().write_consecutive_429s == len(ceilings)

    limiter.succeeded("amend_order")  # same bucket: the streak is over

    assert limiter.snapshot().write_consecutive_429s == 0
    assert limiter.backoff_after_429("create_order", rng) == reference.uniform(0.0, 0.1)


async def test_after_a_429_the_bucket_is_empty_and_held_back(
    autojump_clock: trio.testing.MockClock,
) -> None:
    # A tiny hold: the wait is the refill of a bucket the 429 proved empty.
    limiter = KalshiRateLimiter("basic", backoff_base=0.001, backoff_cap=0.001)

    limiter.backoff_after_429("create_order", random.Random(5))

    assert limiter.snapshot().write_tokens == 0.0
    assert await limiter.acquire("list_orders") == 0.0  # a Write 429 holds back Write only
    assert await limiter.acquire("create_order") == pytest.approx(0.1)  # 10 tokens at 100/s


async def test_after_a_429_the_jittered_hold_is_waited_out(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("basic", backoff_base=1.0, backoff_cap=4.0)

    delay = limiter.backoff_after_429("cancel_order", random.Random(5))

    assert delay > 0.02
    assert await limiter.acquire("cancel_order") == pytest.approx(delay)


def test_429_backoff_bounds_are_validated() -> None:
    with pytest.raises(ValueError, match="base <= cap"):
        KalshiRateLimiter("basic", backoff_base=2.0, backoff_cap=1.0)
    with pytest.raises(ValueError, match="0 < base"):
        KalshiRateLimiter("basic", backoff_base=0.0)


async def test_a_retry_after_holds_the_whole_bucket_and_is_never_shortened(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("basic")
    limiter.defer("create_order", 3.0)
    limiter.defer("create_order", 1.0)

    assert await limiter.acquire("list_orders") == 0.0
    assert await limiter.acquire("cancel_order") == pytest.approx(3.0)
    assert await limiter.acquire("create_order") == 0.0  # the hold is over


async def test_a_snapshot_reports_tokens_holds_and_streaks(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = KalshiRateLimiter("advanced")
    await limiter.acquire("list_orders")
    limiter.defer("create_order", 2.0)

    snapshot = limiter.snapshot()

    assert snapshot.tier == "advanced"
    assert snapshot.read_tokens == 590.0
    assert snapshot.write_tokens == 600.0
    assert snapshot.read_held_for == 0.0
    assert snapshot.write_held_for == 2.0
    assert repr(limiter) == "KalshiRateLimiter(tier='advanced')"
