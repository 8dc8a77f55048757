"""Kalshi's orderbook stream as the feed's protocol: documented frames, error codes,
the resync command and the signed handshake (examples: tests/fixtures/kalshi/)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from actors.domain import Side
from actors.venues import Delta, ErrorReply, Rejected, RejectReason, Snapshot
from actors.venues._frames import Acknowledged
from actors.venues._market_data import ErrorAction
from actors.venues.kalshi import KalshiMarketData, parse_frame
from actors.venues.kalshi._signing import ACCESS_SIGNATURE, KalshiSigner, verify_headers
from actors.venues.kalshi._stream import error_action, resync_command

FIXTURES = Path(__file__).parents[1] / "fixtures" / "kalshi"
D = Decimal


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_the_documented_delta_parses_with_its_venue_time() -> None:
    frame = parse_frame(_fixture("ws_orderbook_delta.json"))
    assert frame == Delta(2, 3, "FED-23DEC-T3.00", Side.YES, D("0.96"), D(-54), 1669149841000)


def test_a_delta_without_ts_ms_has_no_venue_time() -> None:
    wire = json.loads(_fixture("ws_orderbook_delta.json"))
    del wire["msg"]["ts_ms"]
    frame = parse_frame(json.dumps(wire))
    assert isinstance(frame, Delta)
    assert frame.venue_ts_ms is None


@pytest.mark.parametrize(
    ("ts_ms", "reason"),
    [
        ("1669149841000", RejectReason.NOT_INTEGER),
        (1669149841000.0, RejectReason.NOT_INTEGER),
        (True, RejectReason.NOT_INTEGER),
        (-1, RejectReason.NEGATIVE),
        (2**60, RejectReason.OUT_OF_RANGE),
    ],
)
def test_a_bad_ts_ms_is_a_rejection_naming_the_field(ts_ms: object, reason: RejectReason) -> None:
    wire = json.loads(_fixture("ws_orderbook_delta.json"))
    wire["msg"]["ts_ms"] = ts_ms
    frame = parse_frame(json.dumps(wire))
    assert frame == Rejected(
        reason,
        "msg.ts_ms",
        frame.detail,
        "FED-23DEC-T3.00",
        2,
        3,  # type: ignore[union-attr]
    )


def test_the_documented_snapshot_parses_whatever_its_first_seq() -> None:
    frame = parse_frame(_fixture("ws_orderbook_snapshot.json"))
    assert frame == Snapshot(
        2,
        2,
        "FED-23DEC-T3.00",
        ((D("0.08"), D(300)), (D("0.22"), D(333))),
        ((D("0.54"), D(20)), (D("0.56"), D(146))),
    )


def test_an_ok_reply_acknowledges_its_command_and_names_its_sid() -> None:
    assert parse_frame(_fixture("ws_ok_update_subscription.json")) == Acknowledged(123, 456)
    assert parse_frame('{"type": "ok", "id": 3, "msg": []}') == Acknowledged(3, None)


def test_the_documented_error_has_an_integer_code() -> None:
    frame = parse_frame(_fixture("ws_error_already_subscribed.json"))
    assert frame == ErrorReply(123, 6, "Already subscribed")


@pytest.mark.parametrize(
    ("msg", "sid", "expected"),
    [
        ({"code": "17", "msg": "Internal error"}, None, ErrorReply(5, 17, "Internal error")),
        ({"code": "bad_sids", "msg": "x"}, None, ErrorReply(5, None, "bad_sids: x")),
        ({"code": 1.5, "msg": "x"}, None, ErrorReply(5, None, "1.5: x")),
        ({"msg": "no code"}, None, ErrorReply(5, None, "no code")),
        (
            {"code": 10, "msg": "Channel error", "market_ticker": "FED-23DEC-T3.00"},
            4,
            ErrorReply(5, 10, "Channel error", 4, "FED-23DEC-T3.00"),
        ),
        ({"code": 25, "msg": "overflow", "sid": 9}, None, ErrorReply(5, 25, "overflow", 9)),
    ],
)
def test_error_codes_are_read_as_integers_and_anything_else_is_kept_as_text(
    msg: dict[str, object], sid: int | None, expected: ErrorReply
) -> None:
    wire: dict[str, object] = {"type": "error", "id": 5, "msg": msg}
    if sid is not None:
        wire["sid"] = sid
    assert parse_frame(json.dumps(wire)) == expected


@pytest.mark.parametrize("code", [None, *range(1, 29)])
def test_terminal_codes_resubscribe_and_six_and_seven_have_their_own_handling(
    code: int | None,
) -> None:
    expected = {
        10: ErrorAction.RESUBSCRIBE,
        17: ErrorAction.RESUBSCRIBE,
        25: ErrorAction.RESUBSCRIBE,
        6: ErrorAction.ALREADY_SUBSCRIBED,
        7: ErrorAction.UNKNOWN_SUBSCRIPTION,
    }.get(code, ErrorAction.REFUSED)  # type: ignore[arg-type]
    reply = ErrorReply(1, code, "")
    assert error_action(reply) is expected
    assert KalshiMarketData().error_action(reply) is expected


def test_the_resync_command_is_the_documented_get_snapshot_with_exactly_one_sid() -> None:
    documented = json.loads(_fixture("ws_update_subscription_get_snapshot.json"))
    ours = json.loads(resync_command(127, 456, "MARKET-1"))
    assert ours == {
        **documented,
        "params": {**documented["params"], "market_tickers": ["MARKET-1"]},
    }
    assert KalshiMarketData().resync_command(127, 456, "MARKET-1") == resync_command(
        127, 456, "MARKET-1"
    )


class _FixedSigner:
    """A signer whose values are recognisable, to prove they go nowhere else."""

    def websocket_headers(self) -> dict[str, str]:
        return {"KALSHI-ACCESS-SIGNATURE": "SECRET-WS-SIGNATURE"}

    def headers(self, method: str, path: str) -> dict[str, str]:
        return {"KALSHI-ACCESS-SIGNATURE": f"SECRET-{method}-{path}"}


def test_without_a_signer_nothing_is_signed() -> None:
    market_data = KalshiMarketData()
    assert market_data.handshake_headers() == []
    assert market_data.rest_headers("GET", "/trade-api/v2/markets") == []


def test_the_signer_signs_the_handshake_and_each_request_and_never_shows_in_the_repr() -> None:
    market_data = KalshiMarketData(signer=_FixedSigner())
    assert market_data.handshake_headers() == [("KALSHI-ACCESS-SIGNATURE", "SECRET-WS-SIGNATURE")]
    assert market_data.rest_headers("GET", "/trade-api/v2/events") == [
        ("KALSHI-ACCESS-SIGNATURE", "SECRET-GET-/trade-api/v2/events")
    ]
    assert "SECRET" not in repr(market_data)
    assert "Signer" not in repr(market_data)
    assert market_data == KalshiMarketData()  # the signer is not part of its identity


def test_kalshis_own_signer_fits_and_its_headers_verify() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = 1_700_000_000_000
    market_data = KalshiMarketData(signer=KalshiSigner("key-1", key, clock_ms=lambda: now))
    public, window = key.public_key(), {"now_ms": now, "max_skew_ms": 0}
    handshake = dict(market_data.handshake_headers())
    assert verify_headers(public, "GET", "/trade-api/ws/v2", handshake, **window) is None
    rest = dict(market_data.rest_headers("GET", "/trade-api/v2/markets"))
    assert verify_headers(public, "GET", "/trade-api/v2/markets", rest, **window) is None
    assert rest[ACCESS_SIGNATURE] not in repr(market_data)
