"""Encoding ledger events and decoding ledger rows, with cattrs, strictly.

:func:`encode_event` turns one :data:`~actors.messages.LedgerEvent` into its
kind and a JSON payload, and proves the payload faithful: it structures the
payload back with a strict converter and requires the result to equal the
event. So a float or ``bool`` where an ``int`` belongs, a ``float`` or ``int``
where a ``Decimal`` belongs, anything but a ``bool`` where a ``bool`` belongs
(or anything but a number where a ``float`` of seconds belongs),
a plain string where an enum belongs, a list where a tuple belongs, or an
unknown event type raises :class:`~actors.errors.LedgerSerializationError`
naming the field (``events[2].filled_count``) -- nothing is ever coerced or
defaulted: a stored payload must carry every field, even one with a default
(``reservation.legs[1].payout``), or it is refused naming the missing key.

Exact money: a ``Decimal`` is written as its exact fixed-point string
(``"0.4200"``, ``"-1.5"``; never a JSON number, never an exponent) and read back
only from such a string (or a ``Decimal``): a JSON number in a payload -- a
float, which may already have lost the value -- is refused, as are ``NaN``,
infinities and exponents.

:func:`structure_row` builds a domain value from a row's columns with the same
strict converter; a row that breaks a domain rule raises
:class:`LedgerSerializationError` naming the column.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs import AttributeValidationNote, ClassValidationError
from cattrs.gen import make_dict_structure_fn

from actors.errors import LedgerSerializationError
from actors.messages import (
    AuditEvent,
    BasketProgress,
    FillRecorded,
    IntentRecorded,
    IntentsAbandoned,
    LedgerEvent,
    OrderUpdated,
    ReservationChanged,
    VenueReconciled,
)
from supervision.decimal_json import register_decimal_hooks

T = TypeVar("T")

EVENT_KINDS: dict[type, str] = {
    IntentRecorded: "intent_recorded",
    OrderUpdated: "order_updated",
    FillRecorded: "fill_recorded",
    ReservationChanged: "reservation_changed",
    AuditEvent: "audit_event",
    VenueReconciled: "venue_reconciled",
    IntentsAbandoned: "intents_abandoned",
    BasketProgress: "basket_progress",
}
"""The stored name of each event type; any other type is refused."""


@attrs.frozen
class EncodedEvent:
    kind: str
    payload: str


def _strict_int(value: Any, _type: type) -> int:
    if type(value) is not int:
        raise TypeError(f"expected int, got {type(value).__name__} {value!r}")
    return value


def _strict_str(value: Any, _type: type) -> str:
    if type(value) is not str:
        raise TypeError(f"expected str, got {type(value).__name__} {value!r}")
    return value


def _strict_float(value: Any, _type: type) -> float:
    # Seconds, never money: an int is the same number; a bool or a string is not one.
    if type(value) not in (int, float):
        raise TypeError(f"expected a number, got {type(value).__name__} {value!r}")
    return float(value)


def _strict_bool(value: Any, _type: type) -> bool:
    if type(value) is not bool:
        raise TypeError(f"expected bool, got {type(value).__name__} {value!r}")
    return value


def _every_key_required(converter: cattrs.Converter) -> None:
    """Structure attrs classes as cattrs does, but refuse a mapping that lacks any
    field (cattrs would fill in the default): a missing key is reported like a
    missing required field, with its path."""

    def factory(cls: type) -> Callable[[Any, type], Any]:
        structure: Callable[[Any, type], Any] = make_dict_structure_fn(cls, converter)
        names = tuple(a.alias for a in attrs.fields(cls) if a.init)

        def hook(value: Any, type_: type) -> Any:
            if isinstance(value, Mapping):
                missing = [name for name in names if name not in value]
                if missing:
                    errors = []
                    for name in missing:
                        error = KeyError(name)
                        note = f"Structuring class {cls.__qualname__} @ attribute {name}"
                        error.__notes__ = [AttributeValidationNote(note, name, Any)]
                        errors.append(error)
                    raise ClassValidationError(f"While structuring {cls.__name__}", errors, cls)
            return structure(value, type_)

        return hook

    converter.register_structure_hook_factory(attrs.has, factory)


def _tolerant_enum(value: Any) -> Any:
    # A non-member is passed through unchanged, so the round trip (not this hook)
    # reports it with its field path.
    return value.value if isinstance(value, enum.Enum) else value


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(float, _strict_float)
    _every_key_required(converter)
    register_decimal_hooks(converter)
    converter.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _tolerant_enum
    )
    return converter


_converter = _make_converter()
_PATH = re.compile(r"@ \$\.?(\S*)")


def encode_event(event: object, *, index: int, operation: str) -> EncodedEvent:
    """The stored form of ``event`` (the ``index``-th of its Record).

    Raises :class:`LedgerSerializationError` (``operation`` in its message,
    ``field`` like ``events[1].state``) for an unknown type or a value that does
    not survive the round trip unchanged.
    """
    where = f"events[{index}]"
    kind = EVENT_KINDS.get(type(event))
    if kind is None:
        raise LedgerSerializationError(
            f"unknown ledger event type {type(event).__qualname__}",
            operation=operation,
            field=where,
        )
    try:
        payload = _converter.unstructure(event, unstructure_as=type(event))
    except Exception as error:
        path = _unencodable_field(event)
        raise LedgerSerializationError(
            f"cannot encode {kind}: {path or 'value'}={_value_at(event, path)!r}: {error}",
            operation=operation,
            field=_join(where, path),
        ) from error
    try:
        back = _converter.structure(payload, type(event))
    except Exception as error:
        path, reason = _first_failure(error)
        raise LedgerSerializationError(
            f"cannot encode {kind}: {reason}", operation=operation, field=_join(where, path)
        ) from error
    if back != event:
        path = _first_difference(event, back)
        raise LedgerSerializationError(
            f"cannot encode {kind}: {path or 'value'}={_value_at(event, path)!r} "
            "is not of its declared type",
            operation=operation,
            field=_join(where, path),
        )
    return EncodedEvent(kind, json.dumps(payload, allow_nan=False, sort_keys=True))


def decode_event(kind: str, payload: str) -> LedgerEvent:
    """The event stored as ``kind``/``payload`` (for audits and tests of the journal).

    Raises :class:`LedgerSerializationError` naming the field for an unknown kind,
    text that is not JSON, or a payload that is not exactly one such event (a JSON
    number where a decimal string belongs, a missing or unknown key, ...).
    """
    for cls, name in EVENT_KINDS.items():
        if name == kind:
            try:
                event: LedgerEvent = _converter.structure(json.loads(payload), cls)
            except Exception as error:
                path, reason = _first_failure(error)
                raise LedgerSerializationError(
                    f"cannot decode {kind}: {reason}", operation="decode event", field=path or kind
                ) from error
            return event
    raise LedgerSerializationError(
        f"unknown stored event kind {kind!r}", operation="decode event", field="kind"
    )


def structure_row(columns: dict[str, Any], cls: type[T], *, operation: str) -> T:
    """``cls`` built from ``columns`` (enum values as stored), strictly.

    Raises :class:`LedgerSerializationError` naming the column at fault.
    """
    try:
        return _converter.structure(columns, cls)
    except Exception as error:
        path, reason = _first_failure(error)
        raise LedgerSerializationError(
            f"cannot decode {cls.__name__}: {reason}", operation=operation, field=path or "row"
        ) from error


def _first_failure(error: Exception) -> tuple[str, str]:
    """The field path and reason of the first failure cattrs reports in ``error``.

    A domain validator's :class:`~actors.errors.InvalidFieldError` raised from a
    constructor carries no cattrs path, but names its own field.
    """
    if isinstance(error, cattrs.BaseValidationError):
        for message in cattrs.transform_error(error):
            match = _PATH.search(message)
            if match and match.group(1):
                return match.group(1), message[: match.start()].strip()
    leaves = _leaves(error)
    for leaf in leaves:
        field = getattr(leaf, "field", None)
        if isinstance(field, str):
            return field, str(leaf)
    return "", str(leaves[0])


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def _unencodable_field(value: object, prefix: str = "") -> str:
    """The path of the first field of ``value`` that cannot be unstructured as its type
    (into tuples: ``legs[1].price``)."""
    cls = type(value)
    if isinstance(value, tuple):
        for index, item in enumerate(value):
            try:
                _converter.unstructure(item)
            except Exception:  # noqa: BLE001 - any failure marks the culprit
                return _unencodable_field(item, f"{prefix}[{index}]")
    if not attrs.has(cls):
        return prefix
    for attribute in attrs.fields(attrs.resolve_types(cls)):
        inner = getattr(value, attribute.name)
        try:
            _converter.unstructure(inner, unstructure_as=attribute.type)
        except Exception:  # noqa: BLE001 - any failure marks the culprit
            return _unencodable_field(inner, _join(prefix, attribute.name))
    return prefix


def _first_difference(original: object, back: object, prefix: str = "") -> str:
    cls = type(original)
    if isinstance(original, tuple) and isinstance(back, tuple) and len(back) == len(original):
        for index, (mine, theirs) in enumerate(zip(original, back, strict=True)):
            if type(mine) is not type(theirs) or mine != theirs:
                return _first_difference(mine, theirs, f"{prefix}[{index}]")
    if type(back) is not cls or not attrs.has(cls):
        return prefix
    for attribute in attrs.fields(cls):
        mine, theirs = getattr(original, attribute.name), getattr(back, attribute.name)
        if type(mine) is not type(theirs) or mine != theirs:
            return _first_difference(mine, theirs, _join(prefix, attribute.name))
    return prefix


_STEP = re.compile(r"([^.\[\]]+)|\[([0-9]+)\]")


def _value_at(event: object, path: str) -> object:
    """The value at ``path`` (``reservation.legs[1].price``) in ``event``."""
    value: Any = event
    for name, index in _STEP.findall(path):
        value = getattr(value, name) if name else value[int(index)]
    return value


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else prefix or name
