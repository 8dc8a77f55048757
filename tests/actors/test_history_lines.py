"""The history records and their one converter: every record round-trips through a
JSON line; anything that is not exactly one record is refused, never coerced."""

from __future__ import annotations

import json
import math
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
    read_line,
    unstructure_line,
    write_line,
)

RECORDS = LINE_TYPES
for _cls in RECORDS:
    attrs.resolve_types(_cls)  # the annotations are strings (postponed evaluation)


def _finite(record: HistoryLine) -> bool:
    """JSON has no NaN or infinity: no writer can produce one."""
    values = attrs.asdict(record).values()
    return all(not isinstance(v, float) or math.isfinite(v) for v in values)


records = st.one_of(*(st.builds(cls) for cls in RECORDS)).filter(_finite)


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


def test_a_line_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(MalformedLine, match="not a JSON object"):
        read_line([1, 2])  # type: ignore[arg-type]
