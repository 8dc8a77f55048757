"""Positions built from fills, in exact dollars and contracts."""

from __future__ import annotations

from decimal import Decimal
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Fill, Position, Side
from actors.errors import InvalidFieldError
from tests.actors.strategies import not_a_decimal, prices, size_units


def fill(side: Side, action: Action, price: Decimal, count: Decimal, fee: Decimal = D(0)) -> Fill:
    return Fill("t-1", "opp-1", "KX-A", side, action, price, count, fee=fee)


def test_buying_both_sides_makes_pairs_that_pay_out_either_way() -> None:
    position = (
        Position("KX-A")
        .apply_fill(fill(Side.YES, Action.BUY, D("0.45"), D(10), fee=D("0.18")))
        .apply_fill(fill(Side.NO, Action.BUY, D("0.50"), D(10), fee=D("0.18")))
    )
    assert (position.yes_count, position.no_count, position.matched_pairs) == (10, 10, 10)
    assert position.cash == D("-9.86")
    assert position.pnl_at_settlement(Side.YES) == D("0.14")
    assert position.pnl_at_settlement(Side.NO) == D("0.14")
    assert position.worst_case_pnl == D("0.14")


def test_fractional_sub_penny_fills_are_booked_exactly() -> None:
    position = (
        Position("KX-A")
        .apply_fill(fill(Side.YES, Action.BUY, D("0.3301"), D("0.03"), fee=D("0.010097")))
        .apply_fill(fill(Side.NO, Action.BUY, D("0.6650"), D("0.03"), fee=D("0.0003")))
    )
    assert position.cash == D("-0.009903") - D("0.010097") - D("0.019950") - D("0.0003")
    assert position.matched_pairs == D("0.03")
    assert position.worst_case_pnl == position.cash + D("0.03")


def test_selling_receives_the_price_less_the_fee() -> None:
    position = Position("KX-A", yes_count=D(5)).apply_fill(
        fill(Side.YES, Action.SELL, D("0.60"), D(2), fee=D("0.02"))
    )
    assert (position.yes_count, position.cash) == (D(3), D("1.18"))


def test_selling_more_than_is_held_is_rejected() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Position("KX-A", no_count=D(1)).apply_fill(fill(Side.NO, Action.SELL, D("0.60"), D(2)))
    assert caught.value.field == "no_count"
    assert caught.value.value == -1
    assert caught.value.order_id == "opp-1"


def test_a_fill_for_another_market_is_rejected() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Position("KX-B").apply_fill(fill(Side.YES, Action.BUY, D("0.45"), D(1)))
    assert caught.value.field == "ticker"
    assert caught.value.ticker == "KX-B"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("yes_count", D(-1)),
        ("no_count", 1.0),
        ("no_count", 1),
        ("yes_count", D("0.001")),
        ("cash", 0.5),
        ("cash", -5),
        ("cash", D("NaN")),
    ],
)
def test_a_position_rejects_bad_counts_and_cash(name: str, value: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Position("KX-A", **{name: value})  # type: ignore[arg-type]
    assert caught.value.field == name


@given(st.one_of(not_a_decimal, size_units(-(10**6), -1)))
def test_a_position_count_must_be_a_non_negative_decimal(count: object) -> None:
    with pytest.raises(InvalidFieldError):
        Position("KX-A", yes_count=count)  # type: ignore[arg-type]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(Side),
            prices,
            size_units(1, 2_000),
            st.integers(0, 500).map(lambda n: Decimal(n).scaleb(-4)),
        ),
        max_size=20,
    )
)
def test_cash_is_what_the_buys_cost_and_counts_are_what_they_bought(
    buys: list[tuple[Side, Decimal, Decimal, Decimal]],
) -> None:
    position = Position("KX-A")
    for side, price, count, fee in buys:
        position = position.apply_fill(fill(side, Action.BUY, price, count, fee))
    spent = sum((price * count + fee for _, price, count, fee in buys), D(0))
    assert position.cash == -spent
    assert position.yes_count == sum((c for side, _, c, _ in buys if side is Side.YES), D(0))
    assert position.no_count == sum((c for side, _, c, _ in buys if side is Side.NO), D(0))
    outcomes = [position.pnl_at_settlement(Side.YES), position.pnl_at_settlement(Side.NO)]
    assert position.worst_case_pnl == min(outcomes)
