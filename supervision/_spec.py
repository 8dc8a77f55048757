"""Supervision specs as validated data (after OTP's child specs and supervisor flags).

Every field has its own validator; a bad value raises :class:`SpecError`
naming the spec, the field, the value and the rule it broke. Specs are frozen:
a running tree never changes its own shape.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

from supervision._errors import SpecError

if TYPE_CHECKING:
    from supervision._actor import SupervisedActor


class RestartType(enum.Enum):
    """When a child is restarted after its incarnation ends."""

    PERMANENT = "permanent"  # always
    TRANSIENT = "transient"  # only after an abnormal end (crash, hang, start failure)
    TEMPORARY = "temporary"  # never


class Strategy(enum.Enum):
    """Which siblings are restarted with a failed child."""

    ONE_FOR_ONE = "one_for_one"  # the failed child only
    ONE_FOR_ALL = "one_for_all"  # every child
    REST_FOR_ONE = "rest_for_one"  # the failed child and those started after it


class Jitter(enum.Enum):
    """How a backoff delay is randomised (AWS, "Exponential Backoff And Jitter")."""

    NONE = "none"  # min(cap, base * 2**attempt)
    FULL = "full"  # U(0, min(cap, base * 2**attempt))
    EQUAL = "equal"  # half fixed, half random
    DECORRELATED = "decorrelated"  # min(cap, U(base, previous * 3))


_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def _rule(
    check: Callable[[Any], bool], reason: str
) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An attrs validator raising SpecError(owner, field, value, reason) when ``check`` fails."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not check(value):
            owner = f"{type(instance).__name__}({getattr(instance, 'name', '')!s})".replace(
                "()", ""
            )
            raise SpecError(owner, attribute.name, value, reason)

    return validate


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


_name_rule = _rule(
    lambda v: isinstance(v, str) and bool(_NAME.match(v)),
    "must be 1-63 chars of a-z, 0-9, '_' or '-', starting with a letter",
)
_positive = _rule(lambda v: _is_number(v) and v > 0, "must be a number > 0")
_non_negative = _rule(lambda v: _is_number(v) and v >= 0, "must be a number >= 0")
_finite_positive = _rule(
    lambda v: _is_number(v) and 0 < v < math.inf, "must be a finite number > 0"
)
_optional_finite_positive = _rule(
    lambda v: v is None or (_is_number(v) and 0 < v < math.inf),
    "must be None (no deadline) or a finite number > 0",
)


@attrs.frozen
class BackoffPolicy:
    """Delay before a restart: exponential in the attempt, jittered, capped.

    ``reset_after``: once an incarnation has stayed up this long, the next
    failure counts as attempt 0 again.
    """

    jitter: Jitter = attrs.field(
        default=Jitter.FULL, validator=_rule(lambda v: isinstance(v, Jitter), "must be a Jitter")
    )
    base: float = attrs.field(default=0.05, validator=_non_negative)
    cap: float = attrs.field(default=5.0, validator=_non_negative)
    reset_after: float = attrs.field(default=10.0, validator=_non_negative)

    def __attrs_post_init__(self) -> None:
        if self.cap < self.base:
            raise SpecError("BackoffPolicy", "cap", self.cap, f"must be >= base ({self.base})")


NO_BACKOFF = BackoffPolicy(jitter=Jitter.NONE, base=0.0, cap=0.0)
"""Restart at once. For tests and benchmarks; production trees want jitter."""


@attrs.frozen
class ChildSpec:
    """One worker actor: how to build it, when to restart it, how long to wait for it.

    ``factory`` returns a new, unstarted :class:`SupervisedActor` each time it is
    called (a class works). ``hang_timeout`` is the longest one message may take
    before the watchdog declares the incarnation hung (``None``: no deadline).
    ``start_timeout`` bounds ``on_start``; ``shutdown_timeout`` bounds an orderly
    stop, after which the incarnation is fenced and its thread abandoned.
    """

    name: str = attrs.field(validator=_name_rule)
    factory: Callable[[], SupervisedActor] = attrs.field(
        validator=_rule(callable, "must be callable and return an unstarted SupervisedActor")
    )
    restart: RestartType = attrs.field(
        default=RestartType.PERMANENT,
        validator=_rule(lambda v: isinstance(v, RestartType), "must be a RestartType"),
    )
    shutdown_timeout: float = attrs.field(default=5.0, validator=_finite_positive)
    start_timeout: float = attrs.field(default=5.0, validator=_finite_positive)
    hang_timeout: float | None = attrs.field(default=None, validator=_optional_finite_positive)


def _as_children(
    value: Iterable[ChildSpec | SupervisorSpec],
) -> tuple[ChildSpec | SupervisorSpec, ...]:
    return tuple(value)


def _children_rule(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _rule(
        lambda v: (
            isinstance(v, tuple) and all(isinstance(c, ChildSpec | SupervisorSpec) for c in v)
        ),
        "must be a tuple of ChildSpec / SupervisorSpec",
    )(instance, attribute, value)
    names = [child.name for child in value]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        _rule(lambda _v: False, f"child names must be unique, repeated: {duplicates}")(
            instance, attribute, value
        )


@attrs.frozen
class SupervisorSpec:
    """A supervisor node: its children (started in order) and its flags.

    More than ``intensity`` restarts within ``period`` seconds makes the
    supervisor give up: it stops its children in reverse order and escalates
    to its parent (at the root: the tree ends with :class:`Escalation`).
    ``restart`` and ``shutdown_timeout`` apply to this supervisor as a child of
    its own parent.
    """

    name: str = attrs.field(validator=_name_rule)
    children: tuple[ChildSpec | SupervisorSpec, ...] = attrs.field(
        converter=_as_children, validator=_children_rule
    )
    strategy: Strategy = attrs.field(
        default=Strategy.ONE_FOR_ONE,
        validator=_rule(lambda v: isinstance(v, Strategy), "must be a Strategy"),
    )
    intensity: int = attrs.field(
        default=3,
        validator=_rule(
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
            "must be an integer >= 0",
        ),
    )
    period: float = attrs.field(default=5.0, validator=_finite_positive)
    backoff: BackoffPolicy = attrs.field(
        factory=BackoffPolicy,
        validator=_rule(lambda v: isinstance(v, BackoffPolicy), "must be a BackoffPolicy"),
    )
    restart: RestartType = attrs.field(
        default=RestartType.PERMANENT,
        validator=_rule(lambda v: isinstance(v, RestartType), "must be a RestartType"),
    )
    shutdown_timeout: float = attrs.field(default=30.0, validator=_finite_positive)
    watchdog_interval: float = attrs.field(default=0.05, validator=_finite_positive)

    def walk(self) -> list[ChildSpec | SupervisorSpec]:
        """Every node under this one, depth first, in start order (self first)."""
        nodes: list[ChildSpec | SupervisorSpec] = [self]
        for child in self.children:
            nodes.extend(child.walk() if isinstance(child, SupervisorSpec) else [child])
        return nodes


def check_tree(root: SupervisorSpec) -> None:
    """Reject a tree whose node names are not unique (names are global addresses)."""
    names = [node.name for node in root.walk()]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(
            f"SupervisorSpec({root.name})",
            "children",
            duplicates,
            "names must be unique across the whole tree",
        )
