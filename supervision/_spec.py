"""Supervision specs as validated data (after OTP's child specs and supervisor flags).

Every field has its own validator; a bad value raises :class:`SpecError`
naming the spec, the field, the value and the rule it broke. Specs are frozen:
a running tree never changes its own shape.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

from supervision import validators
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


def _spec_error(instance: Any, field: str, value: object, reason: str) -> SpecError:
    """SpecError(owner, field, value, reason); the owner names the node when it has a name."""
    owner = f"{type(instance).__name__}({getattr(instance, 'name', '')!s})".replace("()", "")
    return SpecError(owner, field, value, reason)


_name_rule = validators.rule(
    lambda v: isinstance(v, str) and bool(_NAME.match(v)),
    "must be 1-63 chars of a-z, 0-9, '_' or '-', starting with a letter",
    error=_spec_error,
)
_non_negative = validators.number(0, inclusive=True, finite=False, error=_spec_error)
_finite_positive = validators.number(0, error=_spec_error)
_optional_finite_positive = validators.optional(_finite_positive, none="None (no deadline)")


def _instance_of(kind: type) -> validators.Rule:
    return validators.instance_of(kind, error=_spec_error)


@attrs.frozen
class BackoffPolicy:
    """Delay before a restart: exponential in the attempt, jittered, capped.

    ``reset_after``: once an incarnation has stayed up this long, the next
    failure counts as attempt 0 again.
    """

    jitter: Jitter = attrs.field(default=Jitter.FULL, validator=_instance_of(Jitter))
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
        validator=validators.rule(
            callable, "must be callable and return an unstarted SupervisedActor", error=_spec_error
        )
    )
    restart: RestartType = attrs.field(
        default=RestartType.PERMANENT,
        validator=_instance_of(RestartType),
    )
    shutdown_timeout: float = attrs.field(default=5.0, validator=_finite_positive)
    start_timeout: float = attrs.field(default=5.0, validator=_finite_positive)
    hang_timeout: float | None = attrs.field(default=None, validator=_optional_finite_positive)


def _as_children(
    value: Iterable[ChildSpec | SupervisorSpec],
) -> tuple[ChildSpec | SupervisorSpec, ...]:
    return tuple(value)


def _children_rule(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    validators.rule(
        lambda v: (
            isinstance(v, tuple) and all(isinstance(c, ChildSpec | SupervisorSpec) for c in v)
        ),
        "must be a tuple of ChildSpec / SupervisorSpec",
        error=_spec_error,
    )(instance, attribute, value)
    names = [child.name for child in value]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _spec_error(
            instance, attribute.name, value, f"child names must be unique, repeated: {duplicates}"
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
        validator=_instance_of(Strategy),
    )
    intensity: int = attrs.field(
        default=3,
        validator=validators.integer(0, error=_spec_error),
    )
    period: float = attrs.field(default=5.0, validator=_finite_positive)
    backoff: BackoffPolicy = attrs.field(
        factory=BackoffPolicy,
        validator=_instance_of(BackoffPolicy),
    )
    restart: RestartType = attrs.field(
        default=RestartType.PERMANENT,
        validator=_instance_of(RestartType),
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
