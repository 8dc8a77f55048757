"""Event encoding: faithful round trips, and a typed error naming the field otherwise."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Event, Fill, OrderIntent, OrderRole, OrderState, Purpose, Side
from actors.errors import LedgerSerializationError
from actors.messages import (
    AuditEvent,
    BasketPhase,
    BasketProgress,
    FillRecorded,
    IntentRecorded,
    MissingLeg,
    OrderUpdated,
    Outcome,
    Record,
    Reservation,
    ReservationChanged,
    ReservationState,
    ReservedLeg,
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
legs = st.lists(
    st.builds(
        ReservedLeg,
        st.just(0),
        tickers,
        st.sampled_from(Side),
        st.sampled_from(Action),
        counts,
        prices,
        prices,
        amounts,
        order_ids,
    ),
    min_size=1,
    max_size=4,
).map(lambda found: tuple(attrs.evolve(leg, index=i) for i, leg in enumerate(found)))
reservations = st.builds(
    Reservation,
    order_ids,
    st.builds(Event, tickers, st.lists(tickers, min_size=2, max_size=4, unique=True).map(tuple),
              st.booleans()),
    st.sampled_from(Purpose),
    legs,
    amounts,
    st.floats(0, 3600),
    st.integers(0, 9),
    st.none() | st.integers(1, 100),
    st.sampled_from(ReservationState),
    st.none() | st.sampled_from(Outcome),
    st.lists(counts, max_size=3).map(tuple),
    st.lists(
        st.builds(
            MissingLeg, st.integers(0, 63), tickers, st.sampled_from(Side), counts, order_ids
        ),
        max_size=2,
    ).map(tuple),
    st.text(max_size=20),
)  # fmt: skip
events = st.one_of(
    st.builds(IntentRecorded, intents, order_ids, st.integers(0, 63), st.sampled_from(OrderRole)),
    st.builds(
        OrderUpdated,
        order_ids,
        st.sampled_from(OrderState),
        st.just(D(0)) | counts,
        st.none() | order_ids,
    ),
    st.builds(FillRecorded, fills),
    st.builds(ReservationChanged, reservations),
    st.builds(
        BasketProgress,
        order_ids,
        st.sampled_from(BasketPhase),
        st.integers(0, 9),
        st.none() | st.floats(0, 2e9),
        st.lists(counts | st.just(D(0)), max_size=4).map(tuple),
        st.none() | st.sampled_from(Outcome),
        st.text(max_size=20),
    ),
    st.builds(AuditEvent, st.text(max_size=20), st.text(max_size=50), st.text(max_size=10)),
    st.builds(VenueReconciled, st.lists(order_ids, max_size=5).map(tuple)),
)


def _leg(index: int, **changes: Any) -> ReservedLeg:  # Any: wrong types on purpose
    leg = ReservedLeg(
        index, "T", Side.YES if index == 0 else Side.NO, Action.BUY, D(1), D("0.40"), D("0.42"),
        D("0.43"), f"c-{index}",
    )  # fmt: skip
    return attrs.evolve(leg, **changes)


def _reservation(*changed: ReservedLeg) -> Reservation:
    legs = {leg.index: leg for leg in (_leg(0), _leg(1), *changed)}
    return Reservation(
        "o", Event.single("T"), Purpose.ARBITRAGE, tuple(legs.values()), D("0.86"), 0.0, 0
    )


@given(events)
def test_every_ledger_event_survives_encoding_unchanged(event: Any) -> None:
    encoded = encode_event(event, index=0, operation="test")
    assert encoded.kind == EVENT_KINDS[type(event)]
    assert decode_event(encoded.kind, encoded.payload) == event
    assert not _numbers_other_than_ints(json.loads(encoded.payload))  # decimals are strings


_FLOATS = frozenset(("complete_within_s", "deadline_at"))  # seconds, not money


def _numbers_other_than_ints(value: object) -> list[object]:
    if isinstance(value, dict):
        return [
            n
            for key, inner in value.items()
            if key not in _FLOATS
            for n in _numbers_other_than_ints(inner)
        ]
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
        (
            {
                "client_order_id": "c-1",
                "state": "filled",
                "venue_order_id": None,
                "filled_count": 2.0,
            },
            "filled_count",
        ),
        (
            {
                "client_order_id": "c-1",
                "state": "filled",
                "venue_order_id": None,
                "filled_count": 2,
            },
            "filled_count",
        ),
        (
            {
                "client_order_id": "c-1",
                "state": "filled",
                "venue_order_id": None,
                "filled_count": "2e0",
            },
            "filled_count",
        ),
        (
            {
                "client_order_id": "c-1",
                "state": "filled",
                "venue_order_id": None,
                "filled_count": "NaN",
            },
            "filled_count",
        ),
        (
            {
                "client_order_id": "c-1",
                "state": "filled",
                "venue_order_id": None,
                "filled_count": " 2",
            },
            "filled_count",
        ),
    ],
)
def test_a_stored_payload_with_a_number_where_a_decimal_string_belongs_is_refused(
    payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(LedgerSerializationError) as raised:
        decode_event("order_updated", json.dumps(payload))
    assert raised.value.field == field
    assert raised.value.operation == "decode event"
    good = {**payload, "filled_count": "2.00", "venue_order_id": None}
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
            ReservationChanged(_reservation(_leg(1, price=0.405))),
            "events[3].reservation.legs[1].price",
        ),
        (
            ReservationChanged(_reservation(_leg(0, max_price=50))),
            "events[3].reservation.legs[0].max_price",
        ),
        (
            ReservationChanged(attrs.evolve(_reservation(), state="held")),  # type: ignore[arg-type]
            "events[3].reservation.state",
        ),
        (
            ReservationChanged(attrs.evolve(_reservation(), max_complete_attempts=True)),
            "events[3].reservation.max_complete_attempts",
        ),
        (
            ReservationChanged(attrs.evolve(_reservation(), held=[D(1), D(1)])),  # type: ignore[arg-type]
            "events[3].reservation.held",
        ),
        (
            IntentRecorded(
                OrderIntent("c", "T", Side.YES, Action.BUY, D("0.4"), D(1)),
                "o",
                0,
                "entry",  # type: ignore[arg-type]
            ),
            "events[3].role",
        ),
        (
            BasketProgress("o", BasketPhase.SETTLED, attempt=1.0),  # type: ignore[arg-type]
            "events[3].attempt",
        ),
        (VenueReconciled(["c-1"]), "events[3].client_order_ids_at_venue"),  # type: ignore[arg-type]
        (VenueReconciled(("c-1", 2)), "events[3].client_order_ids_at_venue[1]"),  # type: ignore[arg-type]
        (AuditEvent("halt", None, "cli"), "events[3].detail"),  # type: ignore[arg-type]
        (IntentRecorded("not an intent", "opp", 0, OrderRole.ENTRY), "events[3].intent"),  # type: ignore[arg-type]
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


def _stored_reservation() -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(
        encode_event(ReservationChanged(_reservation()), index=0, operation="t").payload
    )
    return payload


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("reservation", "legs", 1, "payout"), None, "reservation.legs[1].payout"),
        (("reservation", "outcome"), None, "reservation.outcome"),
        (("reservation", "event", "payout"), None, "reservation.event.payout"),
        (("reservation", "event", "exclusive"), 1, "reservation.event.exclusive"),
        (("reservation", "complete_within_s"), "5", "reservation.complete_within_s"),
        (("reservation", "complete_within_s"), True, "reservation.complete_within_s"),
        (("reservation", "held"), [0.5], "reservation.held[0]"),
    ],
)
def test_a_stored_payload_missing_a_key_or_holding_a_look_alike_is_refused_naming_it(
    path: tuple[str | int, ...], value: object, field: str
) -> None:
    payload = _stored_reservation()
    holder: Any = payload
    for step in path[:-1]:
        holder = holder[step]
    if value is None:
        del holder[path[-1]]  # a key with a default is never filled in
    else:
        holder[path[-1]] = value
    with pytest.raises(LedgerSerializationError) as raised:
        decode_event("reservation_changed", json.dumps(payload))
    assert raised.value.field == field
    assert decode_event("reservation_changed", json.dumps(_stored_reservation())) == (
        ReservationChanged(_reservation())
    )
