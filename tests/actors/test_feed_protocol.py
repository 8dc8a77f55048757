"""Parsing the venue's websocket frames: typed frames, or a rejection naming reason and market."""

from __future__ import annotations

import json

import pytest

from actors.domain import Side
from actors.feed import Rejected, RejectReason, parse_frame
from actors.feed._protocol import Delta, Heartbeat, Snapshot, Subscribed, subscribe_command


def _delta(**msg: object) -> str:
    body = {"market_ticker": "SIM-001", "price": 42, "delta": -5, "side": "no", **msg}
    return json.dumps({"type": "orderbook_delta", "sid": 3, "seq": 9, "msg": body})


def _snapshot(yes: object, no: object = ()) -> str:
    msg = {"market_ticker": "SIM-001", "yes": yes, "no": list(no)}  # type: ignore[call-overload]
    return json.dumps({"type": "orderbook_snapshot", "sid": 3, "seq": 1, "msg": msg})


def test_a_snapshot_parses_into_sorted_levels() -> None:
    frame = parse_frame(_snapshot([[56, 12], [55, 40]], [[42, 30]]))
    assert frame == Snapshot(3, 1, "SIM-001", ((55, 40), (56, 12)), ((42, 30),))


def test_a_delta_parses_with_its_signed_change() -> None:
    assert parse_frame(_delta()) == Delta(3, 9, "SIM-001", Side.NO, 42, -5)


def test_control_frames_parse() -> None:
    subscribed = {"type": "subscribed", "id": 4, "msg": {"channel": "orderbook_delta", "sid": 7}}
    assert parse_frame(json.dumps(subscribed)) == Subscribed(4, "orderbook_delta", 7)
    assert parse_frame(b'{"type": "heartbeat", "ts": 1.5}') == Heartbeat()


@pytest.mark.parametrize(
    ("text", "reason", "field"),
    [
        (_delta(price="NaN"), RejectReason.NOT_INTEGER, "price"),
        (_delta().replace('"price": 42', '"price": NaN'), RejectReason.NOT_FINITE, "price"),
        (_delta().replace('"delta": -5', '"delta": -Infinity'), RejectReason.NOT_FINITE, "delta"),
        (_delta().replace('"delta": -5', '"delta": 1e999'), RejectReason.NOT_FINITE, "delta"),
        (_delta(price=42.0), RejectReason.NOT_INTEGER, "price"),
        (_delta(price=True), RejectReason.NOT_INTEGER, "price"),
        (_delta(price=-3), RejectReason.NEGATIVE, "price"),
        (_delta(price=100), RejectReason.OUT_OF_RANGE, "price"),
        (_delta(price=0), RejectReason.OUT_OF_RANGE, "price"),
        (_delta(delta=0), RejectReason.OUT_OF_RANGE, "delta"),
        (_delta(side="maybe"), RejectReason.BAD_SHAPE, "side"),
        (_delta(price=None), RejectReason.BAD_SHAPE, "price"),
        (_snapshot([[50, -7], [40, 1]]), RejectReason.NEGATIVE, "yes[50].size"),
        (_snapshot([[50, 0]]), RejectReason.OUT_OF_RANGE, "yes[50].size"),
        (_snapshot([[50, 1], [50, 2]]), RejectReason.DUPLICATE_PRICE, "yes.price"),
        (_snapshot([[50.5, 1]]), RejectReason.NOT_INTEGER, "yes.price"),
        (_snapshot([[50, 1, 3]]), RejectReason.BAD_SHAPE, "yes"),
        (_snapshot("lots"), RejectReason.BAD_SHAPE, "yes"),
    ],
)
def test_bad_values_are_rejected_naming_reason_field_and_market(
    text: str, reason: RejectReason, field: str
) -> None:
    frame = parse_frame(text)
    assert isinstance(frame, Rejected)
    assert (frame.reason, frame.field) == (reason, field)
    assert frame.ticker == "SIM-001"
    assert frame.sid == 3


def test_cut_off_json_is_rejected_with_whatever_market_and_seq_could_be_read() -> None:
    text = _delta()
    frame = parse_frame(text[: len(text) * 3 // 4])
    assert frame == Rejected(
        RejectReason.BAD_JSON,
        "frame",
        f"not valid JSON ({len(text) * 3 // 4} characters)",
        ticker="SIM-001",
        sid=3,
        seq=9,
    )
    assert parse_frame("{").ticker is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[]", RejectReason.BAD_SHAPE),
        ('{"type": "fill", "sid": 1}', RejectReason.UNKNOWN_TYPE),
        ('{"type": "orderbook_delta", "sid": 0, "seq": 1, "msg": {}}', RejectReason.OUT_OF_RANGE),
        ('{"type": "orderbook_delta", "sid": 1, "seq": 1.0, "msg": {}}', RejectReason.NOT_INTEGER),
        ('{"type": "orderbook_delta", "sid": 1, "seq": 1, "msg": []}', RejectReason.BAD_SHAPE),
        ("[" * 100_000, RejectReason.BAD_JSON),
    ],
)
def test_frames_of_the_wrong_shape_are_rejected(text: str, reason: RejectReason) -> None:
    frame = parse_frame(text)
    assert isinstance(frame, Rejected)
    assert frame.reason is reason


def test_a_subscription_names_one_market() -> None:
    assert json.loads(subscribe_command(5, "SIM-002")) == {
        "id": 5,
        "cmd": "subscribe",
        "params": {"channels": ["orderbook_delta"], "market_tickers": ["SIM-002"]},
    }
