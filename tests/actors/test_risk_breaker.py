"""The circuit breaker as a pure state machine, driven with explicit times."""

from __future__ import annotations

import math

import pytest

from actors.errors import InvalidFieldError
from actors.risk import BreakerConfig, BreakerState, CircuitBreaker

CONFIG = BreakerConfig(
    failure_threshold=3, window_s=10.0, cooldown_s=30.0, half_open_max_reservations=2
)


def _opened_at(now: float) -> CircuitBreaker:
    breaker = CircuitBreaker(CONFIG)
    for _ in range(CONFIG.failure_threshold):
        breaker = breaker.record_failure(now)
    assert breaker.state is BreakerState.OPEN
    return breaker


def test_threshold_failures_within_the_window_open_the_breaker() -> None:
    breaker = CircuitBreaker(CONFIG).record_failure(100.0).record_failure(105.0)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failures_in_window(105.0) == 2

    breaker = breaker.record_failure(109.9)

    assert breaker.state is BreakerState.OPEN
    assert (breaker.opened_at, breaker.times_opened) == (109.9, 1)
    assert not breaker.allows_reservation(109.9)


def test_failures_that_slide_out_of_the_window_are_forgotten() -> None:
    breaker = CircuitBreaker(CONFIG).record_failure(100.0).record_failure(105.0)
    breaker = breaker.record_failure(110.0)  # the one at 100.0 is exactly window_s old
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failures == (105.0, 110.0)


def test_open_turns_half_open_lazily_once_the_cooldown_has_passed() -> None:
    breaker = _opened_at(200.0)
    assert breaker.at(229.9).state is BreakerState.OPEN
    assert breaker.at(230.0).state is BreakerState.HALF_OPEN
    assert breaker.state is BreakerState.OPEN  # a value: reading it changes nothing


def test_half_open_allows_only_its_probe_budget_in_flight() -> None:
    breaker = _opened_at(200.0)
    now = 230.0
    assert breaker.allows_reservation(now)
    breaker = breaker.reserve(now).reserve(now)
    assert breaker.probes == 2
    assert not breaker.allows_reservation(now)
    with pytest.raises(ValueError, match="half_open"):
        breaker.reserve(now)

    breaker = breaker.probe_abandoned(now)
    assert breaker.allows_reservation(now)


def test_a_success_while_half_open_closes_the_breaker() -> None:
    breaker = _opened_at(200.0).reserve(230.0).record_success(231.0)
    assert breaker.state is BreakerState.CLOSED
    assert (breaker.failures, breaker.probes, breaker.opened_at) == ((), 0, None)
    assert breaker.allows_reservation(231.0)


def test_a_failure_while_half_open_reopens_the_breaker() -> None:
    breaker = _opened_at(200.0).reserve(230.0).record_failure(231.0)
    assert breaker.state is BreakerState.OPEN
    assert (breaker.opened_at, breaker.times_opened) == (231.0, 2)
    assert breaker.at(260.9).state is BreakerState.OPEN
    assert breaker.at(261.0).state is BreakerState.HALF_OPEN


def test_a_failure_while_open_re_arms_the_cooldown_and_a_success_does_not_close_it() -> None:
    breaker = _opened_at(200.0).record_failure(220.0).record_success(225.0)
    assert breaker.state is BreakerState.OPEN
    assert breaker.at(249.9).state is BreakerState.OPEN
    assert breaker.at(250.0).state is BreakerState.HALF_OPEN


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("failure_threshold", 0),
        ("failure_threshold", 2.0),
        ("failure_threshold", True),
        ("window_s", 0),
        ("window_s", -1.0),
        ("window_s", math.nan),
        ("cooldown_s", math.inf),
        ("cooldown_s", "30"),
        ("half_open_max_reservations", 0),
        ("half_open_max_reservations", None),
    ],
)
def test_a_bad_breaker_config_names_the_field(field: str, value: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        BreakerConfig(**{field: value})  # type: ignore[arg-type]
    assert (caught.value.owner, caught.value.field) == ("BreakerConfig", field)
