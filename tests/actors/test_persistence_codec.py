"""Event encoding: faithful round trips, and a typed error naming the field otherwise."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Fill, OrderIntent, OrderState, Side
from actors.errors import LedgerSerializationError
from actors.messages import (
    AuditEvent,
    FillRecorded,
    IntentRecorded,
    OrderUpdated,
    Record,
    Reservation,
    ReservationChanged,
    ReservationState,
    VenueReconciled,
)
from actors.persistence import EVENT_KINDS, decode_event, encode_event
from tests.actors.strategies import order_ids, tickers

D = Decimal
# Exact money (issue 12): prices on Kalshi's finest grid, fractional counts, fees to $0.0001.
prices = st.integers(1, 9_999).map(lambda n: D(n).scaleb(-4))
counts = st.integers(1, 10**7).map(lambda n: D(n).scaleb(-2))
fees = st.integers(0, 10**6).map(lambda n: D(n).scaleb(-4))
amounts = st.integers(0, 10**9).map(lambda n: D(n).scaleb(-6))

intents = st.builds(
    OrderIntent,
    order_ids,
    tickers,
    st.sampled_from(Side),
    st.sampled_from(Action),
    prices,
    counts,
)
fills = st.builds(
    Fill,
    order_ids,
    order_ids,
    tickers,
    st.sampled_from(Side),
    st.sampled_from(Action),
    prices,
    counts,
    fee=fees,
)
events = st.one_of(
    st.builds(IntentRecorded, intents, order_ids),
    st.builds(
        OrderUpdated,
        order_ids,
        st.sampled_from(OrderState),
        st.just(D(0)) | counts,
        st.none() | order_ids,
    ),
    st.builds(FillRecorded, fills),
    st.builds(
        ReservationChanged,
        st.builds(
            Reservation,
            order_ids,
            tickers,
            counts,
            prices,
            prices,
            amounts,
            st.none() | st.integers(1, 100),
            st.sampled_from(ReservationState),
        ),
    ),
    st.builds(AuditEvent, st.text(max_size=20), st.text(max_size=50), st.text(max_size=10)),
    st.builds(VenueReconciled, st.lists(order_ids, max_size=5).map(tuple)),
)


@given(events)
def test_every_ledger_event_survives_encoding_unchanged(event: Any) -> None:
    encoded = encode_event(event, index=0, operation="test")
    assert encoded.kind == EVENT_KINDS[type(event)]
    assert decode_event(encoded.kind, encoded.payload) == event
    assert not _numbers_other_than_ints(json.loads(encoded.payload))  # decimals are strings


def _numbers_other_than_ints(value: object) -> list[object]:
    if isinstance(value, dict):
        return [n for inner in value.values() for n in _numbers_other_than_ints(inner)]
    if isinstance(value, list):
        return [n for inner in value for n in _numbers_other_than_ints(inner)]
    return [value] if isinstance(value, float) else []


def test_decimals_are_written_as_their_exact_strings() -> None:
    fill = Fill("f-1", "c-1", "KX-A", Side.YES, Action.BUY, D("0.4213"), D("1.37"), fee=D("0.0405"))
    payload = json.loads(encode_event(FillRecorded(fill), index=0, operation="t").payload)
    assert {key: payload["fill"][key] for key in ("price", "count", "fee", "payout")} == {
        "price": "0.4213",
        "count": "1.37",
        "fee": "0.0405",
        "payout": "1",
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"client_order_id": "c-1", "state": "filled", "filled_count": 2.0}, "filled_count"),
        ({"client_order_id": "c-1", "state": "filled", "filled_count": 2}, "filled_count"),
        ({"client_order_id": "c-1", "state": "filled", "filled_count": "2e0"}, "filled_count"),
        ({"client_order_id": "c-1", "state": "filled", "filled_count": "NaN"}, "filled_count"),
        ({"client_order_id": "c-1", "state": "filled", "filled_count": " 2"}, "filled_count"),
    ],
)
def test_a_stored_payload_with_a_number_where_a_decimal_string_belongs_is_refused(
    payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(LedgerSerializationError) as raised:
        decode_event("order_updated", json.dumps(payload))
    assert raised.value.field == field
    assert raised.value.operation == "decode event"
    good = {**payload, "filled_count": "2.00"}
    assert decode_event("order_updated", json.dumps(good)) == OrderUpdated(
        "c-1", OrderState.FILLED, D(2)
    )


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (OrderUpdated("c-1", OrderState.FILLED, 2.0), "events[3].filled_count"),  # type: ignore[arg-type]
        (OrderUpdated("c-1", OrderState.FILLED, 2), "events[3].filled_count"),  # type: ignore[arg-type]
        (OrderUpdated("c-1", OrderState.FILLED, True), "events[3].filled_count"),  # type: ignore[arg-type]
        (OrderUpdated("c-1", OrderState.FILLED, D("NaN")), "events[3].filled_count"),
        (OrderUpdated("c-1", "filled", D(2)), "events[3].state"),  # type: ignore[arg-type]
        (OrderUpdated("c-1", OrderState.NEW, D(0), 7), "events[3].venue_order_id"),  # type: ignore[arg-type]
        (
            ReservationChanged(Reservation("o", "T", D(1), 0.405, D("0.5"), D("0.91"))),  # type: ignore[arg-type]
            "events[3].reservation.yes_price",
        ),
        (
            ReservationChanged(Reservation("o", "T", D(1), D("0.4"), 50, D("0.91"))),  # type: ignore[arg-type]
            "events[3].reservation.no_price",
        ),
        (
            ReservationChanged(
                Reservation("o", "T", D(1), D("0.4"), D("0.5"), D("0.91"), None, "held")  # type: ignore[arg-type]
            ),
            "events[3].reservation.state",
        ),
        (VenueReconciled(["c-1"]), "events[3].client_order_ids_at_venue"),  # type: ignore[arg-type]
        (VenueReconciled(("c-1", 2)), "events[3].client_order_ids_at_venue[1]"),  # type: ignore[arg-type]
        (AuditEvent("halt", None, "cli"), "events[3].detail"),  # type: ignore[arg-type]
        (IntentRecorded("not an intent", "opp"), "events[3].intent"),  # type: ignore[arg-type]
        (Record("r", ()), "events[3]"),
    ],
)
def test_an_event_that_cannot_be_encoded_faithfully_names_its_field(
    event: object, field: str
) -> None:
    with pytest.raises(LedgerSerializationError) as raised:
        encode_event(event, index=3, operation="record 'r-9'")
    assert raised.value.field == field
    assert raised.value.operation == "record 'r-9'"
    assert field in str(raised.value)
