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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs import AttributeValidationNote, ClassValidationError
from cattrs.gen import make_dict_structure_fn

from actors.domain import Action, Fill, FillRow, Side
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
from actors.persistence._records import FillRecord
from supervision import validators
from supervision.decimal_json import decimal_from_json, register_decimal_hooks

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


# -- fill rows, in bulk -------------------------------------------------------------------

FILL_FIELDS = (
    "fill_id",
    "client_order_id",
    "ticker",
    "side",
    "action",
    "price",
    "count",
    "fee",
    "payout",
)
"""A fill's columns in the ``fills`` table, in :class:`~actors.domain.Fill`'s order."""

FILL_ROW = ("rowid", *FILL_FIELDS, "recorded_at")
"""The columns :func:`decode_fill_rows` reads, in this order: the fill's fields between
the row's id and the time it was recorded."""


_SIDES = {side.value: side for side in Side}
_ACTIONS = {action.value: action for action in Action}


def _built_plainly(cls: type, names: tuple[str, ...]) -> bool:
    """Whether ``cls`` is a slotted attrs class of exactly the fields ``names`` (in
    order) that its ``__init__`` only assigns and validates: no converter, no
    ``on_setattr`` or init hook; so a value made by assigning fields that passed
    their validators is the value ``cls(...)`` would make."""
    fields = attrs.fields(cls)
    return (
        tuple(f.name for f in fields) == names
        and all(f.converter is None and f.init and f.on_setattr is None for f in fields)
        and "__slots__" in vars(cls)
        and not any(hasattr(cls, hook) for hook in ("__attrs_post_init__", "__attrs_pre_init__"))
    )


FAST_FILLS = _built_plainly(Fill, FILL_FIELDS) and _built_plainly(
    FillRecord, ("fill", "recorded_at")
)
"""Whether :func:`decode_fill_rows` may build fills by assigning checked fields (else
each row goes through the strict converter); a test holds it true."""


def _setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[[Any, Any], None], ...]:
    """The slots' own setters of ``names`` (a frozen class refuses ``setattr``)."""
    return tuple(vars(cls)[name].__set__ for name in names) if FAST_FILLS else ()


_assign = dict(zip(FILL_FIELDS, _setters(Fill, FILL_FIELDS), strict=False))
_record_assign = _setters(FillRecord, ("fill", "recorded_at"))
_VALIDATORS = {f.name: (f, f.validator) for f in attrs.fields(Fill)}


class _Sibling:
    """What a :class:`Fill` field validator may read of its instance: the payout (a
    price is checked below it), and the ticker and order id an error names (none)."""

    __slots__ = ("client_order_id", "payout", "ticker")

    def __init__(self, payout: Decimal) -> None:
        self.payout, self.ticker, self.client_order_id = payout, None, None


class _Checked:
    """The column values already found good in fills of one stored payout: each
    passed :func:`decimal_from_json` (amounts) and its field's own validator."""

    def __init__(self, payout: Decimal) -> None:
        self.sibling = _Sibling(payout)
        self.payout = payout
        self.prices: dict[str, Decimal] = {}
        self.counts: dict[str, Decimal] = {}
        self.fees: dict[str, Decimal] = {}
        self.order_ids: set[str] = set()
        self.tickers: set[str] = set()
        self.sides = {text: side for text, side in _SIDES.items() if self.valid("side", side)}
        self.actions = {text: a for text, a in _ACTIONS.items() if self.valid("action", a)}

    def valid(self, name: str, value: object) -> bool:
        """Whether ``value`` passes field ``name``'s validator (any failure: no)."""
        field, validator = _VALIDATORS[name]
        try:
            if isinstance(validator, validators.Rule):
                return bool(validator.check(value))  # a Rule reads only the value
            if validator is not None:
                validator(self.sibling, field, value)
        except Exception:  # noqa: BLE001 - the strict converter says why
            return False
        return True

    def fill_id_check(self) -> Callable[[object], bool]:
        """The fill id's validator as a predicate (checked on every row: ids do not repeat)."""
        validator = _VALIDATORS["fill_id"][1]
        if isinstance(validator, validators.Rule):
            check = validator.check
            return lambda value: type(value) is str and bool(check(value))
        return lambda value: type(value) is str and self.valid("fill_id", value)

    def amount(self, name: str, text: object, known: dict[str, Decimal]) -> Decimal | None:
        """The value of the amount column ``name`` (remembered in ``known``), or ``None``
        if ``text`` does not spell a good one."""
        try:
            value = decimal_from_json(text)
        except TypeError:
            return None
        if type(text) is not str or not self.valid(name, value):
            return None
        known[text] = value
        return value

    def identifier(self, name: str, value: object, known: set[str] | None = None) -> bool:
        """Whether ``value`` is a good identifier for field ``name`` (remembered in ``known``)."""
        if type(value) is not str or not self.valid(name, value):
            return False
        if known is not None:
            known.add(value)
        return True


def _payout_checked(text: object) -> _Checked | None:
    try:
        payout = decimal_from_json(text)
    except TypeError:
        return None
    checked = _Checked(payout)
    return checked if type(text) is str and checked.valid("payout", payout) else None


def decode_fill_rows(rows: Iterable[Sequence[Any]], *, operation: str) -> Iterator[FillRow]:
    """The :data:`FillRow` of each row of :data:`FILL_ROW` columns, in order: the values
    of the fill the strict converter makes of the row (as :func:`structure_row`), faster.

    Every column is checked as strictly: an amount must be fixed-point text
    (:func:`decimal_from_json`), an identifier a ``str``, a side or action one of its
    enum's values, every field must pass its own :class:`Fill` validator, and the time
    recorded must be a number. What is slow is done once per distinct value (amounts,
    tickers and order ids repeat; all of them are checked per payout). A row with any
    column found wanting goes through the strict converter, which is the judge: it
    raises :class:`LedgerSerializationError` naming the row (its rowid and fill id)
    and the column (``field``), or builds the fill if the row is good after all.
    Without :data:`FAST_FILLS` (``Fill`` is no longer a plain attrs class) every row
    goes through the strict converter.
    """
    if not FAST_FILLS:
        for row in rows:
            yield _strict_fill_row(row, operation=operation)
        return
    by_payout: dict[object, _Checked | None] = {}
    last_payout: object = None
    checked: _Checked | None = None
    for row in rows:
        (_, fill_id, order_id, ticker, side_text, action_text,
         price_text, count_text, fee_text, payout_text, at) = row  # fmt: skip
        if payout_text != last_payout or checked is None:
            # a ledger's payouts hardly vary: its checked values are kept at hand
            if payout_text not in by_payout:
                by_payout[payout_text] = _payout_checked(payout_text)
            checked, last_payout = by_payout[payout_text], payout_text
            if checked is not None:
                payout, fill_id_ok = checked.payout, checked.fill_id_check()
                prices, counts, fees = checked.prices, checked.counts, checked.fees
                order_ids, tickers = checked.order_ids, checked.tickers
                sides, actions = checked.sides, checked.actions
        if checked is None:
            yield _strict_fill_row(row, operation=operation)
            continue
        side, action = sides.get(side_text), actions.get(action_text)
        # a good price or count is > 0, so never falsy; a fee may be 0
        price = prices.get(price_text) or checked.amount("price", price_text, prices)
        count = counts.get(count_text) or checked.amount("count", count_text, counts)
        fee = fees.get(fee_text)
        if fee is None:
            fee = checked.amount("fee", fee_text, fees)
        if (
            side is None
            or action is None
            or type(at) not in (float, int)
            or price is None
            or count is None
            or fee is None
            or not (
                order_id in order_ids or checked.identifier("client_order_id", order_id, order_ids)
            )
            or not (ticker in tickers or checked.identifier("ticker", ticker, tickers))
            or not fill_id_ok(fill_id)
        ):
            yield _strict_fill_row(row, operation=operation)
            continue
        yield (fill_id, order_id, ticker, side, action, price, count, fee, payout, at)


def fill_records(rows: Iterable[FillRow]) -> list[FillRecord]:
    """A :class:`FillRecord` of each :data:`FillRow` (from :func:`decode_fill_rows`: its
    values checked), built by assigning the fields (:data:`FAST_FILLS`), which is what
    ``Fill(...)`` makes of them, without running the checks again."""
    if not FAST_FILLS:
        return [
            FillRecord(Fill(*row[:7], fee=row[7], payout=row[8]), recorded_at=row[9])
            for row in rows
        ]
    set_id, set_order, set_ticker, set_side, set_action = (
        _assign[name] for name in ("fill_id", "client_order_id", "ticker", "side", "action")
    )
    set_price, set_count, set_fee, set_payout = (
        _assign[name] for name in ("price", "count", "fee", "payout")
    )
    set_fill, set_at = _record_assign
    new = object.__new__
    records: list[FillRecord] = []
    for fill_id, order_id, ticker, side, action, price, count, fee, payout, at in rows:
        fill = new(Fill)
        set_id(fill, fill_id)
        set_order(fill, order_id)
        set_ticker(fill, ticker)
        set_side(fill, side)
        set_action(fill, action)
        set_price(fill, price)
        set_count(fill, count)
        set_fee(fill, fee)
        set_payout(fill, payout)
        record = new(FillRecord)
        set_fill(record, fill)
        set_at(record, at)
        records.append(record)
    return records


def _strict_fill_row(row: Sequence[Any], *, operation: str) -> FillRow:
    """One row of :data:`FILL_ROW` columns through the strict converter.

    Raises :class:`LedgerSerializationError` naming the row and the column at fault."""
    rowid, fill_id, at = row[0], row[1], row[-1]
    where = f"fills row {rowid} (fill_id {fill_id!r})"
    try:
        fill = _converter.structure(dict(zip(FILL_FIELDS, row[1:-1], strict=True)), Fill)
    except Exception as error:
        path, reason = _first_failure(error)
        raise LedgerSerializationError(
            f"{where}: cannot decode Fill: {reason}", operation=operation, field=path or "row"
        ) from error
    if type(at) not in (float, int):
        raise LedgerSerializationError(
            f"{where}: recorded_at is not a time: {type(at).__name__} {at!r}"[:300],
            operation=operation,
            field="recorded_at",
        )
    return fill.recorded_row(at)
