"""Parsing the venue's websocket frames: typed frames, or a rejection naming reason and market."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Side
from actors.feed import PriceGrids, Rejected, RejectReason, parse_frame
from actors.money import format_price, format_size
from actors.venues import Delta, Heartbeat, Snapshot, Subscribed
from actors.venues._amounts import kalshi_grid
from actors.venues.kalshi import subscribe_command

D = Decimal


def _delta(**msg: object) -> str:
    body = {
        "market_ticker": "SIM-001",
        "price_dollars": "0.4200",
        "delta_fp": "-5.00",
        "side": "no",
        **msg,
    }
    return json.dumps({"type": "orderbook_delta", "sid": 3, "seq": 9, "msg": body})


def _snapshot(yes: object = None, no: object = None, ticker: str = "SIM-001") -> str:
    msg: dict[str, object] = {"market_ticker": ticker}
    if yes is not None:
        msg["yes_dollars_fp"] = yes
    if no is not None:
        msg["no_dollars_fp"] = no
    return json.dumps({"type": "orderbook_snapshot", "sid": 3, "seq": 1, "msg": msg})


def test_a_snapshot_parses_into_sorted_decimal_levels() -> None:
    frame = parse_frame(
        _snapshot([["0.5600", "12.00"], ["0.5500", "40.00"]], [["0.4200", "30.50"]])
    )
    assert frame == Snapshot(
        3, 1, "SIM-001", ((D("0.55"), D(40)), (D("0.56"), D(12))), ((D("0.42"), D("30.5")),)
    )
    assert isinstance(frame, Snapshot)
    assert [str(p) for p, _ in frame.yes] == ["0.5500", "0.5600"]  # the wire's precision
    assert [str(s) for _, s in frame.yes] == ["40.00", "12.00"]


def test_an_absent_side_is_an_empty_side() -> None:
    assert parse_frame(_snapshot()) == Snapshot(3, 1, "SIM-001", (), ())
    frame = parse_frame(_snapshot(no=[["0.0100", "1.00"]]))
    assert frame == Snapshot(3, 1, "SIM-001", (), ((D("0.01"), D(1)),))


def test_shorter_wire_texts_are_accepted_and_printed_with_the_full_precision() -> None:
    frame = parse_frame(_snapshot([["0.5", "3"], ["0.42", "1.5"]]))
    assert isinstance(frame, Snapshot)
    assert [(str(p), str(s)) for p, s in frame.yes] == [("0.4200", "1.50"), ("0.5000", "3.00")]


def test_a_delta_parses_with_its_signed_decimal_change() -> None:
    frame = parse_frame(_delta())
    assert frame == Delta(3, 9, "SIM-001", Side.NO, D("0.42"), D(-5))
    assert isinstance(frame, Delta)
    assert (str(frame.price), str(frame.change)) == ("0.4200", "-5.00")
    assert parse_frame(_delta(delta_fp="0.25", side="yes")) == Delta(
        3, 9, "SIM-001", Side.YES, D("0.42"), D("0.25")
    )


def test_control_frames_parse() -> None:
    subscribed = {"type": "subscribed", "id": 4, "msg": {"channel": "orderbook_delta", "sid": 7}}
    assert parse_frame(json.dumps(subscribed)) == Subscribed(4, "orderbook_delta", 7)
    assert parse_frame(b'{"type": "heartbeat", "ts": 1.5}') == Heartbeat()


@pytest.mark.parametrize(
    ("text", "reason", "field"),
    [
        (_delta(price_dollars="NaN"), RejectReason.NOT_FINITE, "price_dollars"),
        (_delta(price_dollars="-Infinity"), RejectReason.NOT_FINITE, "price_dollars"),
        (
            _delta().replace('"price_dollars": "0.4200"', '"price_dollars": NaN'),
            RejectReason.NOT_FINITE,
            "price_dollars",
        ),
        (
            _delta().replace('"delta_fp": "-5.00"', '"delta_fp": -Infinity'),
            RejectReason.NOT_FINITE,
            "delta_fp",
        ),
        (
            _delta().replace('"delta_fp": "-5.00"', '"delta_fp": 1e999'),
            RejectReason.NOT_FINITE,
            "delta_fp",
        ),
        (_delta(price_dollars=0.42), RejectReason.NOT_STRING, "price_dollars"),
        (_delta(price_dollars=42), RejectReason.NOT_STRING, "price_dollars"),
        (_delta(price_dollars=True), RejectReason.NOT_STRING, "price_dollars"),
        (_delta(delta_fp=-5), RejectReason.NOT_STRING, "delta_fp"),
        (_delta(price_dollars="4.2e-1"), RejectReason.BAD_NUMBER, "price_dollars"),
        (_delta(price_dollars=" 0.42"), RejectReason.BAD_NUMBER, "price_dollars"),
        (_delta(price_dollars="00.42"), RejectReason.BAD_NUMBER, "price_dollars"),
        (_delta(delta_fp="+5.00"), RejectReason.BAD_NUMBER, "delta_fp"),
        (_delta(delta_fp="5_000"), RejectReason.BAD_NUMBER, "delta_fp"),
        (_delta(price_dollars="0.42000"), RejectReason.TOO_PRECISE, "price_dollars"),
        (_delta(delta_fp="-5.001"), RejectReason.TOO_PRECISE, "delta_fp"),
        (_delta(price_dollars="0.4250"), RejectReason.OFF_GRID, "price_dollars"),
        (_delta(price_dollars="0.0050"), RejectReason.OFF_GRID, "price_dollars"),
        (_delta(price_dollars="-0.42"), RejectReason.NEGATIVE, "price_dollars"),
        (_delta(price_dollars="1.0000"), RejectReason.OUT_OF_RANGE, "price_dollars"),
        (_delta(price_dollars="0.0000"), RejectReason.OUT_OF_RANGE, "price_dollars"),
        (_delta(delta_fp="0.00"), RejectReason.OUT_OF_RANGE, "delta_fp"),
        (_delta(delta_fp="-0"), RejectReason.OUT_OF_RANGE, "delta_fp"),
        (_delta(delta_fp="1" * 19), RejectReason.OUT_OF_RANGE, "delta_fp"),
        (_delta(side="maybe"), RejectReason.BAD_SHAPE, "side"),
        (_delta(price_dollars=None), RejectReason.BAD_SHAPE, "price_dollars"),
        (
            _snapshot([["0.5000", "-7.00"], ["0.4000", "1.00"]]),
            RejectReason.NEGATIVE,
            "yes_dollars_fp[0.5000].size",
        ),
        (_snapshot([["0.5000", "0.00"]]), RejectReason.OUT_OF_RANGE, "yes_dollars_fp[0.5000].size"),
        (_snapshot([["0.5000", 7]]), RejectReason.NOT_STRING, "yes_dollars_fp[0.5000].size"),
        (_snapshot([[0.5, "7.00"]]), RejectReason.NOT_STRING, "yes_dollars_fp.price"),
        (
            _snapshot([["0.5000", "1.00"], ["0.5", "2.00"]]),
            RejectReason.DUPLICATE_PRICE,
            "yes_dollars_fp.price",
        ),
        (_snapshot(no=[["0.5050", "1.00"]]), RejectReason.OFF_GRID, "no_dollars_fp.price"),
        (_snapshot([["0.5000", "1.00", "3"]]), RejectReason.BAD_SHAPE, "yes_dollars_fp"),
        (_snapshot("lots"), RejectReason.BAD_SHAPE, "yes_dollars_fp"),
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


def test_a_market_with_a_finer_grid_accepts_its_sub_penny_prices_and_no_other_market_does() -> None:
    grids = PriceGrids(grids={"FINE": kalshi_grid(D("0.001"), ticker="FINE")})
    fine = parse_frame(_snapshot([["0.4250", "1.00"]], ticker="FINE"), grids=grids)
    assert fine == Snapshot(3, 1, "FINE", ((D("0.425"), D(1)),), ())
    coarse = parse_frame(_snapshot([["0.4250", "1.00"]]), grids=grids)
    assert isinstance(coarse, Rejected)
    assert coarse.reason is RejectReason.OFF_GRID
    finer_still = parse_frame(_snapshot([["0.4255", "1.00"]], ticker="FINE"), grids=grids)
    assert isinstance(finer_still, Rejected)
    assert finer_still.reason is RejectReason.OFF_GRID


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


# -- properties: exact round trips, never a rounded price ------------------------------------

TICKS = [D("0.01"), D("0.001"), D("0.0001"), D("0.05")]


@st.composite
def _grid_price(draw: st.DrawFn) -> tuple[Decimal, Decimal]:
    """A tick and a price on its grid, strictly inside (0, 1)."""
    tick = draw(st.sampled_from(TICKS))
    steps = int(D(1) / tick)
    return tick, draw(st.integers(1, steps - 1)) * tick


@given(_grid_price(), st.integers(1, 10**9))
def test_wire_text_to_decimal_to_wire_text_is_exact(
    on_grid: tuple[Decimal, Decimal], hundredths: int
) -> None:
    tick, price = on_grid
    grids = PriceGrids(grids={"M": kalshi_grid(tick, ticker="M")})
    price_text, size_text = format_price(price, 4), format_size(D(hundredths).scaleb(-2), 2)
    frame = parse_frame(_snapshot([[price_text, size_text]], ticker="M"), grids=grids)
    assert isinstance(frame, Snapshot), frame
    ((parsed_price, parsed_size),) = frame.yes
    assert parsed_price == price
    assert format_price(parsed_price, 4) == price_text
    assert str(parsed_price) == price_text
    assert format_size(parsed_size, 2) == size_text
    assert str(parsed_size) == size_text
    delta = parse_frame(
        _delta(market_ticker="M", price_dollars=price_text, delta_fp="-" + size_text), grids=grids
    )
    assert isinstance(delta, Delta), delta
    assert (str(delta.price), str(delta.change)) == (price_text, "-" + size_text)


@given(st.sampled_from(TICKS), st.integers(1, 9_999))
def test_a_price_off_its_grid_is_rejected_never_rounded(
    tick: Decimal, ten_thousandths: int
) -> None:
    price = D(ten_thousandths).scaleb(-4)
    grids = PriceGrids(grids={"M": kalshi_grid(tick, ticker="M")})
    frame = parse_frame(
        _delta(market_ticker="M", price_dollars=format_price(price, 4)), grids=grids
    )
    if price % tick == 0:
        assert isinstance(frame, Delta)
        assert frame.price == price  # exactly the price sent
    else:
        assert isinstance(frame, Rejected)
        assert (frame.reason, frame.field) == (RejectReason.OFF_GRID, "price_dollars")


@given(st.text("0123456789", min_size=5, max_size=8), st.text("0123456789", min_size=3, max_size=6))
def test_more_decimals_than_the_wire_allows_are_rejected_never_rounded(
    price_decimals: str, size_decimals: str
) -> None:
    frame = parse_frame(_delta(price_dollars=f"0.{price_decimals}"))
    assert isinstance(frame, Rejected)
    assert (frame.reason, frame.field) == (RejectReason.TOO_PRECISE, "price_dollars")
    frame = parse_frame(_snapshot([["0.5000", f"1.{size_decimals}"]]))
    assert isinstance(frame, Rejected)
    assert (frame.reason, frame.field) == (RejectReason.TOO_PRECISE, "yes_dollars_fp[0.5000].size")
