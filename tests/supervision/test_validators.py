"""The shared field validators: each names the field, the value and the rule it broke."""

from __future__ import annotations

import enum
import math
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervision import validators
from supervision.validators import FieldError, Rule


class Colour(enum.Enum):
    RED = "red"


def _check(rule: Rule, value: object) -> None:
    """Run ``rule`` as attrs would for a field named ``f`` of a ``Holder``."""

    @attrs.frozen
    class Holder:
        f: Any = attrs.field(validator=rule)

    Holder(value)


CASES: list[tuple[Rule, list[object], list[object]]] = [
    (validators.integer(), [0, -3, 10**20], [True, 1.0, "1", None]),
    (validators.integer(1), [1, 99], [0, -1, True, 1.5]),
    (validators.integer(0, 20), [0, 20], [-1, 21, False]),
    (validators.integer(high=5), [-7, 5], [6]),
    (validators.number(0), [0.1, 3], [0, -1, math.inf, math.nan, True, "1"]),
    (validators.number(0, inclusive=True, finite=False), [0, math.inf], [-0.1, math.nan]),
    (validators.seconds(), [0.001, 7], [0, -1, math.inf, math.nan, False]),
    (validators.seconds(0.0, inclusive=True), [0, 0.0, 3.5], [-1e-9, math.inf]),
    (validators.probability(), [0, 0.5, 1], [-0.1, 1.1, math.nan, True]),
    (validators.flag(), [True, False], [0, 1, "true", None]),
    (validators.choice("full", "normal"), ["full", "normal"], ["FULL", "", None]),
    (validators.instance_of(Colour), [Colour.RED], ["red", None]),
    (validators.port(), [0, 8080, 65_535], [-1, 65_536, True, 80.0]),
    (validators.optional(validators.integer(1)), [None, 1], [0, "x"]),
    (validators.text(), ["a", " x "], ["", "  \t", None, 1]),
    (
        validators.url("http", "https"),
        ["http://h", "https://127.0.0.1:8700/x"],
        ["", "http://", "ftp://h", "HTTP://h", "h", None],
    ),
    (validators.url("ws", "wss"), ["ws://h", "wss://h"], ["http://h", "wss:/h"]),
]


@pytest.mark.parametrize(("rule", "good", "bad"), CASES, ids=lambda c: getattr(c, "wording", ""))
def test_a_validator_accepts_good_values_and_refuses_bad_ones_naming_them(
    rule: Rule, good: list[object], bad: list[object]
) -> None:
    for value in good:
        _check(rule, value)
    for value in bad:
        with pytest.raises(FieldError) as caught:
            _check(rule, value)
        assert (caught.value.owner, caught.value.field) == ("Holder", "f")
        assert caught.value.value is value
        assert caught.value.rule == rule.wording
        assert str(caught.value) == f"Holder.f = {value!r}: {rule.wording}"


@pytest.mark.parametrize(
    ("rule", "wording"),
    [
        (validators.integer(), "must be an integer"),
        (validators.integer(1), "must be an integer >= 1"),
        (validators.integer(0, 20), "must be an integer >= 0 and <= 20"),
        (validators.number(0), "must be a finite number > 0"),
        (validators.number(0, inclusive=True, finite=False), "must be a number >= 0"),
        (validators.seconds(), "must be a finite number of seconds > 0"),
        (validators.seconds(0.0), "must be a finite number of seconds > 0.0"),
        (validators.seconds(0.0, inclusive=True), "must be a finite number of seconds >= 0.0"),
        (validators.flag(), "must be true or false"),
        (validators.choice("a", "b"), "must be one of ['a', 'b']"),
        (validators.instance_of(Colour), "must be a Colour"),
        (validators.port(), "must be an integer in [0, 65535] (0 = ephemeral)"),
        (validators.text(), "must be a non-empty string"),
        (validators.text("path"), "must be a non-empty path"),
        (validators.url("http", "https"), "must be a URL starting with http:// or https://"),
        (
            validators.optional(validators.number(0), none="None (no deadline)"),
            "must be None (no deadline) or a finite number > 0",
        ),
    ],
)
def test_a_validator_words_its_rule_from_its_bounds(rule: Rule, wording: str) -> None:
    assert rule.wording == wording


class Refused(Exception):
    def __init__(self, instance: object, field: str, value: object, rule: str) -> None:
        super().__init__(field, value, rule)
        self.instance = instance


def test_a_validator_raises_the_error_its_caller_chose() -> None:
    rule = validators.seconds(error=Refused)
    with pytest.raises(Refused) as caught:
        rule(None, attrs.fields(_Timeout).s, -1)
    assert caught.value.args == ("s", -1, "must be a finite number of seconds > 0")
    assert caught.value.instance is None  # a loader may check a value before building anything
    optional = validators.optional(rule)
    with pytest.raises(Refused):
        optional(None, attrs.fields(_Timeout).s, 0)


@attrs.frozen
class _Timeout:
    s: float = attrs.field(validator=validators.seconds())


def test_a_rule_in_the_callers_own_words_is_a_validator_like_the_others() -> None:
    even = validators.rule(lambda v: validators.is_int(v) and v % 2 == 0, "must be even")
    _check(even, 4)
    with pytest.raises(FieldError, match=r"Holder\.f = 3: must be even"):
        _check(even, 3)


@given(st.integers(), st.integers(), st.integers())
def test_an_integer_range_holds_exactly_its_bounds(low: int, high: int, value: int) -> None:
    rule = validators.integer(low, high)
    assert rule.check(value) == (low <= value <= high)
    assert not rule.check(bool(value))


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_number_is_never_nan_and_finite_unless_told(value: float) -> None:
    finite, unbounded = validators.number(-math.inf), validators.number(-math.inf, finite=False)
    assert finite.check(value) == math.isfinite(value)
    assert unbounded.check(value) == (not math.isnan(value) and value > -math.inf)


def test_a_url_rule_without_a_scheme_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least one scheme"):
        validators.url()
