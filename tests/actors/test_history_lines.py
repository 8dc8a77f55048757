"""The history records and their one converter: every record round-trips through a
JSON line; anything that is not exactly one record is refused, never coerced."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.history import (
    KINDS,
    LINE_TYPES,
    RUNTIME_KINDS,
    HistoryLine,
    MalformedLine,
    OrderLine,
    read_line,
    unstructure_line,
    write_line,
)

RECORDS = LINE_TYPES
for _cls in RECORDS:
    attrs.resolve_types(_cls)  # the annotations are strings (postponed evaluation)


def _finite(record: HistoryLine) -> bool:
    """JSON has no NaN or infinity, and money is never NaN or infinite: no writer can
    produce one."""
    values = attrs.asdict(record).values()
    return all(
        (not isinstance(v, float) or math.isfinite(v))
        and (not isinstance(v, Decimal) or v.is_finite())
        and (
            not isinstance(v, tuple) or all(not isinstance(x, Decimal) or x.is_finite() for x in v)
        )
        for v in values
    )


# Exact money: prices to $0.0001, counts to 0.01 contract, amounts of any precision.
money = st.decimals(
    allow_nan=False, allow_infinity=False, places=6, min_value=-(10**9), max_value=10**9
)
_MONEY_FIELDS = {
    "OrderLine": ("price", "count", "fill_count"),
    "ReservationLine": ("amount",),
}
_MONEY_TUPLES = {"BasketLine": ("held",)}


def _fields(cls: type) -> dict[str, st.SearchStrategy[object]]:
    fields: dict[str, st.SearchStrategy[object]] = {
        name: st.none() | money for name in _MONEY_FIELDS.get(cls.__name__, ())
    }
    for name in _MONEY_TUPLES.get(cls.__name__, ()):
        fields[name] = st.lists(money, max_size=4).map(tuple)
    return fields


records = st.one_of(*(st.builds(cls, **_fields(cls)) for cls in RECORDS)).filter(_finite)


@given(records)
def test_every_record_round_trips_through_its_json_line(record: HistoryLine) -> None:
    line = json.loads(write_line(record))
    assert read_line(line) == record
    assert list(line)[:3] == ["t", "pid", "kind"]
    assert unstructure_line(read_line(line)) == line


def test_the_kinds_are_one_record_each_and_the_runtimes_four() -> None:
    assert {cls.KIND for cls in RECORDS} - {"runtime"} | RUNTIME_KINDS == KINDS


DAEMON_START: dict[str, Any] = {"t": 1.0, "pid": 7, "kind": "daemon", "phase": "start"}


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ({**DAEMON_START, "kind": "teleport"}, "unknown kind 'teleport'"),
        ({key: v for key, v in DAEMON_START.items() if key != "kind"}, "unknown kind None"),
        ({key: v for key, v in DAEMON_START.items() if key != "phase"}, "required field missing"),
        ({**DAEMON_START, "phase": "begin"}, "phase"),
        ({**DAEMON_START, "pid": "7"}, "pid"),
        ({**DAEMON_START, "pid": True}, "pid"),
        ({**DAEMON_START, "pid": 7.0}, "pid"),
        ({**DAEMON_START, "t": "1.0"}, "t"),
        ({**DAEMON_START, "chaos": 1}, "chaos"),
        ({**DAEMON_START, "exitcode": 0}, "extra fields found (exitcode)"),
        ({**DAEMON_START, "kind": "down"}, "required field missing"),
    ],
)
def test_a_line_that_is_not_exactly_one_record_is_refused(line: dict[str, Any], why: str) -> None:
    with pytest.raises(MalformedLine) as caught:
        read_line(line)
    assert why in caught.value.why
    assert caught.value.line == line


ORDER_OK: dict[str, Any] = {
    "t": 1.0,
    "pid": 7,
    "kind": "order",
    "phase": "ok",
    "client_order_id": "c-1",
    "reservation_id": "r-1",
    "detail": "",
    "ticker": "KX-A",
    "side": "yes",
    "action": "buy",
    "price": "0.4213",
    "count": "1.37",
    "error": None,
    "status": "executed",
    "fill_count": "1.37",
    "child": "execution",
    "epoch": 1,
}


def test_money_is_written_as_exact_strings_and_read_back_as_decimals() -> None:
    record = read_line(ORDER_OK)
    assert isinstance(record, OrderLine)
    assert (record.price, record.count, record.fill_count) == (
        Decimal("0.4213"),
        Decimal("1.37"),
        Decimal("1.37"),
    )
    assert json.loads(write_line(record)) == ORDER_OK  # strings, exactly as read
    bound = {**ORDER_OK, "price": Decimal("0.4213"), "count": Decimal("1.37")}
    assert read_line(bound) == record  # what an actor binds: Decimals
    reservation = {
        "t": 1.0,
        "pid": 7,
        "kind": "reservation",
        "event": "reserve",
        "actor": "risk",
        "ticker": "KX-A",
        "reservation_id": "r-1",
        "phase": "reserve",
        "amount": "1.8900",
        "reason": "",
        "child": "risk",
        "epoch": 1,
    }
    assert json.loads(write_line(read_line(reservation)))["amount"] == "1.8900"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", 0.42),  # a JSON number: a float may already have lost the value
        ("price", 42),
        ("price", True),
        ("price", "4.2e-1"),
        ("price", "NaN"),
        ("price", " 0.42"),
        ("count", Decimal("Infinity")),
        ("fill_count", 1.0),
    ],
)
def test_money_that_is_not_an_exact_decimal_string_is_refused(field: str, value: object) -> None:
    line = {**ORDER_OK, field: value}
    with pytest.raises(MalformedLine) as caught:
        read_line(line)
    assert field in caught.value.why


def test_a_record_holding_a_non_finite_decimal_cannot_be_written() -> None:
    record = read_line(ORDER_OK)
    with pytest.raises(TypeError, match="finite Decimal"):
        write_line(attrs.evolve(record, price=Decimal("NaN")))


def test_a_line_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(MalformedLine, match="not a JSON object"):
        read_line([1, 2])  # type: ignore[arg-type]
