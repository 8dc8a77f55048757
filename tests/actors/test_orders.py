"""Order intents, fills and the normalised order state machine."""

from __future__ import annotations

from decimal import Decimal
from decimal import Decimal as D

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import TRANSITIONS, Action, Fill, Order, OrderIntent, OrderState, Side
from actors.errors import IllegalTransitionError, InvalidFieldError
from tests.actors.strategies import (
    actions,
    bad_counts,
    bad_prices,
    counts,
    not_a_decimal,
    order_ids,
    prices,
    sides,
    size_units,
    tickers,
)

TERMINAL = [OrderState.FILLED, OrderState.CANCELED, OrderState.REJECTED, OrderState.EXPIRED]


def intent(
    count: Decimal = D(10), price: Decimal = D("0.45"), action: Action = Action.BUY
) -> OrderIntent:
    return OrderIntent("opp-1-yes", "KX-A", Side.YES, action, price, count)


def fill(count: object, price: Decimal = D("0.45"), **changes: object) -> Fill:
    values: dict[str, object] = {
        "fill_id": "t-1",
        "client_order_id": "opp-1-yes",
        "ticker": "KX-A",
        "side": Side.YES,
        "action": Action.BUY,
        "price": price,
        "count": count,
    }
    values.update(changes)
    return Fill(**values)  # type: ignore[arg-type]


@given(
    st.fixed_dictionaries(
        {
            "client_order_id": order_ids,
            "ticker": tickers,
            "side": sides,
            "action": actions,
            "price": prices,
            "count": counts,
        }
    )
)
def test_a_valid_order_intent_constructs(values: dict[str, object]) -> None:
    made = OrderIntent(**values)  # type: ignore[arg-type]
    assert attrs.asdict(made, recurse=False) == {**values, "payout": 1}


BAD_INTENT_FIELDS = {
    "client_order_id": st.sampled_from(["", "with space", None, 12, "x" * 129]),
    "ticker": st.sampled_from(["", "a b", None, b"KX-A"]),
    "side": st.sampled_from(["yes", "no", None, 1, Action.BUY]),
    "action": st.sampled_from(["buy", None, Side.YES]),
    "price": bad_prices,
    "count": bad_counts,
}


@given(st.sampled_from(sorted(BAD_INTENT_FIELDS)), st.data())
def test_an_order_intent_rejects_a_bad_field_naming_it_and_the_order(
    name: str, data: st.DataObject
) -> None:
    bad = data.draw(BAD_INTENT_FIELDS[name])
    values = attrs.asdict(intent(), recurse=False)
    values[name] = bad
    with pytest.raises(InvalidFieldError) as caught:
        OrderIntent(**values)
    assert caught.value.field == name
    assert caught.value.value is bad
    assert caught.value.owner == "OrderIntent"
    if name != "client_order_id":
        assert caught.value.order_id == "opp-1-yes"
        assert "opp-1-yes" in str(caught.value)


def test_an_order_goes_through_its_normal_life() -> None:
    order = Order(intent(count=D(10)))
    assert order.state is OrderState.NEW
    accepted = order.advance(OrderState.ACCEPTED, D(0), "venue-7")
    partly = accepted.advance(OrderState.PARTIALLY_FILLED, D(4))
    done = partly.advance(OrderState.FILLED, D(10))
    assert [o.state for o in (order, accepted, partly, done)] == [
        OrderState.NEW,
        OrderState.ACCEPTED,
        OrderState.PARTIALLY_FILLED,
        OrderState.FILLED,
    ]
    assert (partly.filled_count, partly.intent.count - partly.filled_count) == (D(4), D(6))
    assert done.venue_order_id == "venue-7"
    assert done.state.is_terminal
    assert order.filled_count == 0  # transitions return new orders


@pytest.mark.parametrize("state", TERMINAL)
@pytest.mark.parametrize("target", list(OrderState))
def test_an_order_cannot_leave_a_terminal_state(state: OrderState, target: OrderState) -> None:
    filled = {OrderState.FILLED: D(10), OrderState.CANCELED: D(3)}.get(state, D(0))
    order = Order(intent(count=D(10)), state, filled)
    if target is state:
        assert order.advance(target, filled) == order  # the same report again changes nothing
        return
    with pytest.raises(IllegalTransitionError) as caught:
        order.advance(target, D(10) if target is OrderState.FILLED else filled)
    assert caught.value.from_state == state.name
    assert caught.value.order_id == "opp-1-yes"
    assert caught.value.ticker == "KX-A"
    assert state.name in str(caught.value)
    assert "opp-1-yes" in str(caught.value)


def test_an_accepted_order_cannot_be_rejected_or_new_again() -> None:
    accepted = Order(intent()).advance(OrderState.ACCEPTED, D(0))
    for target in (OrderState.REJECTED, OrderState.NEW):
        with pytest.raises(IllegalTransitionError) as caught:
            accepted.advance(target, D(0))
        assert caught.value.from_state == "ACCEPTED"
        assert caught.value.to_state in {"REJECTED", "NEW"}


def test_a_canceled_order_may_be_corrected_upward_by_a_fill_that_raced_the_cancel() -> None:
    canceled = Order(intent(count=D(10)), OrderState.CANCELED, D(3))
    assert canceled.advance(OrderState.CANCELED, D(5)).filled_count == 5


def test_a_fill_before_the_acknowledgement_is_accepted() -> None:
    assert Order(intent(count=D(2))).advance(OrderState.FILLED, D(2)).state is OrderState.FILLED


def test_an_order_cannot_fill_more_than_its_count() -> None:
    order = Order(intent(count=D(5))).advance(OrderState.PARTIALLY_FILLED, D(3))
    with pytest.raises(InvalidFieldError) as caught:
        order.advance(OrderState.FILLED, D(6))
    assert caught.value.field == "filled_count"
    assert caught.value.value == 6
    assert caught.value.order_id == "opp-1-yes"
    assert order.filled_count == 3


def test_a_filled_count_never_decreases() -> None:
    order = Order(intent(count=D(5))).advance(OrderState.PARTIALLY_FILLED, D(3))
    with pytest.raises(InvalidFieldError) as caught:
        order.advance(OrderState.PARTIALLY_FILLED, D(2))
    assert (caught.value.field, caught.value.value) == ("filled_count", 2)
    assert "from 3 to 2" in str(caught.value)


def test_a_known_venue_order_id_never_changes_and_none_keeps_it() -> None:
    order = Order(intent()).advance(OrderState.ACCEPTED, D(0), "v-1")
    assert order.advance(OrderState.ACCEPTED, D(0)).venue_order_id == "v-1"
    with pytest.raises(InvalidFieldError) as caught:
        order.advance(OrderState.ACCEPTED, D(0), "v-2")
    assert (caught.value.field, caught.value.value) == ("venue_order_id", "v-2")


@given(st.one_of(not_a_decimal, size_units(-(10**6), -1), st.just(D("0.005"))))
def test_a_filled_count_must_be_a_non_negative_decimal_of_two_places(count: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Order(intent()).advance(OrderState.ACCEPTED, count)  # type: ignore[arg-type]
    assert caught.value.field == "filled_count"
    assert caught.value.value is count


@pytest.mark.parametrize(
    ("state", "filled"),
    [
        (OrderState.NEW, D(1)),
        (OrderState.ACCEPTED, D(2)),
        (OrderState.REJECTED, D(1)),
        (OrderState.PARTIALLY_FILLED, D(0)),
        (OrderState.PARTIALLY_FILLED, D(10)),
        (OrderState.FILLED, D("9.99")),
        (OrderState.CANCELED, D(10)),
        (OrderState.EXPIRED, D(10)),
        (OrderState.NEW, D(11)),
    ],
)
def test_an_order_whose_filled_count_contradicts_its_state_is_invalid(
    state: OrderState, filled: Decimal
) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Order(intent(count=D(10)), state, filled)
    assert caught.value.field == "filled_count"
    assert caught.value.value == filled
    assert caught.value.order_id == "opp-1-yes"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("intent", None),
        ("state", "new"),
        ("filled_count", D(-1)),
        ("filled_count", 1.0),
        ("filled_count", 0),
        ("filled_count", D("0.001")),
    ],
)
def test_an_order_rejects_a_malformed_field(name: str, value: object) -> None:
    values: dict[str, object] = {"intent": intent(), "state": OrderState.NEW, "filled_count": D(0)}
    values[name] = value
    with pytest.raises(InvalidFieldError) as caught:
        Order(**values)  # type: ignore[arg-type]
    assert caught.value.field == name


UPDATES = st.tuples(st.sampled_from(OrderState), size_units(0, 1_200))


@given(size_units(1, 1_000), st.lists(UPDATES, max_size=25))
def test_random_updates_follow_the_table_and_never_lose_or_invent_fills(
    count: Decimal, updates: list[tuple[OrderState, Decimal]]
) -> None:
    order = Order(intent(count=count))
    for target, filled in updates:
        before = order
        if filled < before.filled_count:
            with pytest.raises(InvalidFieldError):
                before.advance(target, filled)
        elif target is not before.state and target not in TRANSITIONS[before.state]:
            with pytest.raises(IllegalTransitionError) as caught:
                before.advance(target, filled)
            assert (caught.value.from_state, caught.value.to_state) == (
                before.state.name,
                target.name,
            )
        else:
            try:
                expected = Order(before.intent, target, filled, before.venue_order_id)
            except InvalidFieldError:
                with pytest.raises(InvalidFieldError):
                    before.advance(target, filled)
                continue
            order = before.advance(target, filled)
            assert order == expected
            assert not before.state.is_terminal or order.state is before.state
            assert before.filled_count <= order.filled_count <= count
            assert (order.filled_count == count) == (order.state is OrderState.FILLED)


def test_terminal_states_have_no_way_out_and_rejection_only_comes_from_new() -> None:
    for state in TERMINAL:
        assert TRANSITIONS[state] == frozenset()
        assert state.is_terminal
    assert [s for s, targets in TRANSITIONS.items() if OrderState.REJECTED in targets] == [
        OrderState.NEW
    ]
    assert all(OrderState.NEW not in targets for targets in TRANSITIONS.values())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("fill_id", ""),
        ("price", D(1)),
        ("price", 45),
        ("count", D(0)),
        ("count", 1),
        ("fee", D(-1)),
        ("fee", 0.5),
        ("fee", 0),
        ("fee", D("NaN")),
    ],
)
def test_a_fill_rejects_a_bad_field(name: str, value: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        fill(D(1), **{name: value}) if name != "count" else fill(value)
    assert caught.value.field == name
    assert caught.value.value is value
