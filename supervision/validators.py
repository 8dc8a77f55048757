"""Field validators for frozen attrs data: specs, configuration, messages.

Each factory returns a :class:`Rule`, an attrs validator
(``validator(instance, attribute, value)``) that returns for a good value and
raises for a bad one. What it raises belongs to the caller: every factory takes
``error``, called as ``error(instance, field, value, rule)`` and returning the
exception to raise, so a package keeps its own error type (``SpecError``, a
domain error carrying more context, a config error the loader prefixes with
the section). The default raises :class:`FieldError`. ``rule`` is the broken
rule in words, always starting with "must be"::

    rule(check, wording)                any predicate, in the caller's words
    integer(low, high)                  must be an integer >= low and <= high
    number(low, inclusive, finite)      must be a finite number > low
    seconds(low, inclusive)             must be a finite number of seconds > low
    probability()                       must be a number in [0, 1]
    flag()                              must be true or false
    choice(*allowed)                    must be one of ['a', 'b']
    instance_of(kind)                   must be a Kind
    port()                              must be an integer in [0, 65535] (0 = ephemeral)
    text(noun)                          must be a non-empty string (not only blanks)
    url(*schemes)                       must be a URL starting with http:// or https://
    optional(rule, none)                must be None or <the rule>

A number is an ``int`` or ``float`` that is neither a ``bool`` nor NaN; an
integer is exactly an ``int`` (``True`` is never a count). Bounds are
rendered as given: ``seconds(0)`` says "> 0", ``seconds(0.0)`` says "> 0.0".
Validators hold no state and never read ``instance`` except to hand it to
``error``; attrs runs them after every field is assigned, and a loader may
call one with ``instance=None`` to check a value before building anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeGuard

import attrs

__all__ = [
    "MAX_PORT",
    "ErrorFactory",
    "FieldError",
    "Rule",
    "choice",
    "field_error",
    "flag",
    "instance_of",
    "integer",
    "is_int",
    "is_number",
    "number",
    "optional",
    "port",
    "probability",
    "rule",
    "seconds",
    "text",
    "url",
]

MAX_PORT = 65_535

ErrorFactory = Callable[[Any, str, object, str], Exception]
"""``error(instance, field, value, rule)``: the exception a broken rule raises."""


class FieldError(ValueError):
    """``owner.field`` holds ``value``, which breaks ``rule`` (the default error)."""

    def __init__(self, owner: str, field: str, value: object, rule: str) -> None:
        self.owner = owner
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(f"{owner}.{field} = {value!r}: {rule}")


def field_error(instance: object, field: str, value: object, rule: str) -> FieldError:
    """The default :data:`ErrorFactory`: a :class:`FieldError` owned by ``type(instance)``."""
    return FieldError(type(instance).__name__, field, value, rule)


@attrs.frozen
class Rule:
    """An attrs validator: ``check(value)`` must hold, else ``error(..., wording)`` is raised."""

    check: Callable[[Any], bool]
    wording: str
    error: ErrorFactory = field_error

    def __call__(self, instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not self.check(value):
            raise self.error(instance, attribute.name, value, self.wording)


def is_int(value: object) -> TypeGuard[int]:
    """True for a genuine ``int``: not ``bool``, not ``float``, not ``Decimal``."""
    return type(value) is int


def is_number(value: object) -> bool:
    """True for an ``int`` or ``float`` that is neither a ``bool`` nor NaN."""
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def rule(check: Callable[[Any], bool], wording: str, *, error: ErrorFactory = field_error) -> Rule:
    """A validator for any predicate; ``wording`` says what a good value must be."""
    return Rule(check, wording, error)


def integer(
    low: int | None = None, high: int | None = None, *, error: ErrorFactory = field_error
) -> Rule:
    """An ``int`` within ``[low, high]`` (either bound may be left open)."""
    bounds = [f">= {low}"] * (low is not None) + [f"<= {high}"] * (high is not None)
    wording = " ".join(["must be an integer", " and ".join(bounds)]).strip()
    # open bounds as infinities: one chained comparison (ints compare exactly with inf),
    # because domain values run this on every construction
    lowest = -math.inf if low is None else low
    highest = math.inf if high is None else high
    return Rule(lambda v: type(v) is int and lowest <= v <= highest, wording, error)


def number(
    low: float,
    *,
    inclusive: bool = False,
    finite: bool = True,
    unit: str = "",
    error: ErrorFactory = field_error,
) -> Rule:
    """A number above ``low`` (or at it, ``inclusive``), finite unless ``finite=False``.

    ``unit`` names what is counted in the wording ("a finite number of seconds > 0").
    """
    wording = (
        f"must be a {'finite ' if finite else ''}number{f' of {unit}' if unit else ''}"
        f" {'>=' if inclusive else '>'} {low}"
    )
    return Rule(
        lambda v: (
            is_number(v)
            and (math.isfinite(v) or not finite)
            and (v >= low if inclusive else v > low)
        ),
        wording,
        error,
    )


def seconds(low: float = 0, *, inclusive: bool = False, error: ErrorFactory = field_error) -> Rule:
    """A duration: a finite number of seconds above ``low`` (or at it, ``inclusive``)."""
    return number(low, inclusive=inclusive, unit="seconds", error=error)


def probability(*, error: ErrorFactory = field_error) -> Rule:
    """A rate or probability: a number in ``[0, 1]``."""
    return Rule(lambda v: is_number(v) and 0 <= v <= 1, "must be a number in [0, 1]", error)


def flag(*, error: ErrorFactory = field_error) -> Rule:
    """Exactly ``True`` or ``False`` (not 0, 1 or ``"true"``)."""
    return Rule(lambda v: type(v) is bool, "must be true or false", error)


def choice(*allowed: object, error: ErrorFactory = field_error) -> Rule:
    """One of ``allowed``."""
    return Rule(lambda v: v in allowed, f"must be one of {list(allowed)}", error)


def instance_of(kind: type, *, error: ErrorFactory = field_error) -> Rule:
    """An instance of ``kind``; for an enum, one of its members, not a member's value."""
    return Rule(lambda v: isinstance(v, kind), f"must be a {kind.__name__}", error)


def port(*, error: ErrorFactory = field_error) -> Rule:
    """A TCP port to listen on: an ``int`` in ``[0, 65535]``, 0 asking for any free one."""
    return Rule(
        lambda v: is_int(v) and 0 <= v <= MAX_PORT,
        f"must be an integer in [0, {MAX_PORT}] (0 = ephemeral)",
        error,
    )


def text(noun: str = "string", *, error: ErrorFactory = field_error) -> Rule:
    """A ``str`` holding more than blanks; ``noun`` names it ("must be a non-empty path")."""
    return Rule(
        lambda v: isinstance(v, str) and bool(v.strip()), f"must be a non-empty {noun}", error
    )


def url(*schemes: str, error: ErrorFactory = field_error) -> Rule:
    """A ``str`` starting with ``scheme://`` for one of ``schemes``, with more after it.

    ``url("ws", "wss")`` words its rule "must be a URL starting with ws:// or wss://".
    Only the scheme is checked: whether the host resolves is the caller's business.
    """
    if not schemes:
        raise ValueError("url() needs at least one scheme")
    prefixes = tuple(f"{scheme}://" for scheme in schemes)
    return Rule(
        lambda v: isinstance(v, str) and any(v.startswith(p) and len(v) > len(p) for p in prefixes),
        f"must be a URL starting with {' or '.join(prefixes)}",
        error,
    )


def optional(inner: Rule, *, none: str = "None") -> Rule:
    """``None``, or a value ``inner`` accepts; ``none`` says what ``None`` means.

    ``optional(seconds(), none="None (no deadline)")`` words its rule "must be
    None (no deadline) or a finite number of seconds > 0".
    """
    rest = inner.wording.removeprefix("must be ")
    return Rule(lambda v: v is None or inner.check(v), f"must be {none} or {rest}", inner.error)
