"""Specs are validated data: each bad field is named with its value and the rule."""

from __future__ import annotations

import math

import pytest

from supervision import (
    BackoffPolicy,
    ChildSpec,
    RestartType,
    SpecError,
    SupervisionTree,
    SupervisorSpec,
)
from tests.supervision.conftest import Journal, Recorder


def _factory() -> Recorder:
    return Recorder(Journal())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "Bad Name"}, "name"),
        ({"name": ""}, "name"),
        ({"factory": "not callable"}, "factory"),
        ({"restart": "permanent"}, "restart"),
        ({"shutdown_timeout": 0}, "shutdown_timeout"),
        ({"shutdown_timeout": math.inf}, "shutdown_timeout"),
        ({"start_timeout": -1}, "start_timeout"),
        ({"hang_timeout": 0}, "hang_timeout"),
        ({"hang_timeout": math.nan}, "hang_timeout"),
    ],
)
def test_a_bad_child_spec_field_is_named_with_its_value(kwargs: dict, field: str) -> None:
    arguments = {"name": "worker", "factory": _factory, **kwargs}
    with pytest.raises(SpecError) as caught:
        ChildSpec(**arguments)
    assert caught.value.field == field
    assert caught.value.value == arguments[field] or field == "hang_timeout"
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"intensity": -1}, "intensity"),
        ({"intensity": True}, "intensity"),
        ({"intensity": 1.5}, "intensity"),
        ({"period": 0}, "period"),
        ({"strategy": "one_for_one"}, "strategy"),
        ({"backoff": None}, "backoff"),
        ({"watchdog_interval": 0}, "watchdog_interval"),
        ({"children": ["x"]}, "children"),
    ],
)
def test_a_bad_supervisor_flag_is_named_with_its_value(kwargs: dict, field: str) -> None:
    arguments = {"name": "root", "children": (), **kwargs}
    with pytest.raises(SpecError) as caught:
        SupervisorSpec(**arguments)
    assert caught.value.field == field
    assert str(caught.value).startswith("SupervisorSpec(root).")


def test_a_backoff_cap_below_its_base_is_rejected() -> None:
    with pytest.raises(SpecError, match=r"cap = 0\.1: must be >= base \(1\.0\)"):
        BackoffPolicy(base=1.0, cap=0.1)


def test_sibling_names_must_be_unique() -> None:
    twins = (ChildSpec(name="a", factory=_factory), ChildSpec(name="a", factory=_factory))
    with pytest.raises(SpecError, match="repeated: \\['a'\\]"):
        SupervisorSpec(name="root", children=twins)


def test_names_must_be_unique_across_the_whole_tree() -> None:
    inner = SupervisorSpec(name="inner", children=(ChildSpec(name="a", factory=_factory),))
    root = SupervisorSpec(name="root", children=(ChildSpec(name="a", factory=_factory), inner))
    with pytest.raises(SpecError, match="unique across the whole tree"):
        SupervisionTree(root)


def test_specs_are_frozen_and_default_to_permanent_children() -> None:
    spec = ChildSpec(name="a", factory=_factory)
    assert spec.restart is RestartType.PERMANENT
    with pytest.raises(AttributeError):
        spec.name = "b"  # type: ignore[misc]
