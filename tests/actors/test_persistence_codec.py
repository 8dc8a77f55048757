"""Event encoding: faithful round trips, and a typed error naming the field otherwise."""

from __future__ import annotations

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
from tests.actors.strategies import counts, order_ids, prices, tickers

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
    fee_cents=st.integers(0, 500),
)
events = st.one_of(
    st.builds(IntentRecorded, intents, order_ids),
    st.builds(
        OrderUpdated,
        order_ids,
        st.sampled_from(OrderState),
        st.integers(0, 10_000),
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
            st.integers(0, 10**6),
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


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (OrderUpdated("c-1", OrderState.FILLED, 2.0), "events[3].filled_count"),  # type: ignore[arg-type]
        (OrderUpdated("c-1", OrderState.FILLED, True), "events[3].filled_count"),
        (OrderUpdated("c-1", "filled", 2), "events[3].state"),  # type: ignore[arg-type]
        (OrderUpdated("c-1", OrderState.NEW, 0, 7), "events[3].venue_order_id"),  # type: ignore[arg-type]
        (
            ReservationChanged(Reservation("o", "T", 1, 40.5, 50, 91)),  # type: ignore[arg-type]
            "events[3].reservation.yes_price",
        ),
        (
            ReservationChanged(Reservation("o", "T", 1, 40, 50, 91, None, "held")),  # type: ignore[arg-type]
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
