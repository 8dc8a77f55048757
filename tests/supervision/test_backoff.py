"""Backoff delays: exact under a seed, inside their bounds, reset by stability."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from supervision import Backoff, BackoffPolicy, Jitter


def _delays(policy: BackoffPolicy, seed: int, count: int) -> list[float]:
    backoff = Backoff(policy, random.Random(seed))
    return [backoff.next_delay() for _ in range(count)]


def test_a_seeded_full_jitter_sequence_is_exactly_reproducible() -> None:
    policy = BackoffPolicy(jitter=Jitter.FULL, base=0.1, cap=2.0)
    first = _delays(policy, seed=42, count=8)
    assert first == _delays(policy, seed=42, count=8)
    assert first != _delays(policy, seed=43, count=8)
    # The same draws, computed independently from the AWS formula.
    rng = random.Random(42)
    expected = [rng.uniform(0.0, min(2.0, 0.1 * 2**n)) for n in range(8)]
    assert first == expected


def test_no_jitter_doubles_from_base_up_to_the_cap() -> None:
    policy = BackoffPolicy(jitter=Jitter.NONE, base=0.1, cap=1.0)
    assert _delays(policy, seed=0, count=6) == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_equal_jitter_keeps_at_least_half_the_ceiling() -> None:
    policy = BackoffPolicy(jitter=Jitter.EQUAL, base=0.1, cap=1.0)
    for attempt, delay in enumerate(_delays(policy, seed=7, count=10)):
        ceiling = min(1.0, 0.1 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling


def test_decorrelated_jitter_stays_between_base_and_cap() -> None:
    policy = BackoffPolicy(jitter=Jitter.DECORRELATED, base=0.05, cap=0.7)
    delays = _delays(policy, seed=3, count=50)
    assert all(0.05 <= d <= 0.7 for d in delays)
    rng, previous, expected = random.Random(3), 0.05, []
    for _ in range(50):  # AWS: sleep = min(cap, random_between(base, sleep * 3))
        previous = min(0.7, rng.uniform(0.05, previous * 3))
        expected.append(previous)
    assert delays == expected


def test_reset_rewinds_to_the_first_attempt() -> None:
    policy = BackoffPolicy(jitter=Jitter.NONE, base=0.1, cap=5.0)
    backoff = Backoff(policy, random.Random(0))
    for _ in range(4):
        backoff.next_delay()
    assert backoff.attempt == 4
    backoff.reset()
    assert backoff.attempt == 0
    assert backoff.next_delay() == 0.1


@given(
    jitter=st.sampled_from(list(Jitter)),
    base=st.floats(min_value=0, max_value=10, allow_nan=False),
    extra=st.floats(min_value=0, max_value=100, allow_nan=False),
    seed=st.integers(),
    count=st.integers(min_value=1, max_value=80),
)
def test_every_delay_lies_between_zero_and_the_cap(
    jitter: Jitter, base: float, extra: float, seed: int, count: int
) -> None:
    policy = BackoffPolicy(jitter=jitter, base=base, cap=base + extra)
    for delay in _delays(policy, seed, count):
        assert 0.0 <= delay <= policy.cap
