"""Positions built from fills."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Fill, Position, Side
from actors.errors import InvalidFieldError
from tests.actors.strategies import not_an_int, prices


def fill(side: Side, action: Action, price: int, count: int, fee: int = 0) -> Fill:
    return Fill("t-1", "opp-1", "KX-A", side, action, price, count, fee_cents=fee)


def test_buying_both_sides_makes_pairs_that_pay_out_either_way() -> None:
    position = (
        Position("KX-A")
        .apply_fill(fill(Side.YES, Action.BUY, 45, 10, fee=18))
        .apply_fill(fill(Side.NO, Action.BUY, 50, 10, fee=18))
    )
    assert (position.yes_count, position.no_count, position.matched_pairs) == (10, 10, 10)
    assert position.cash_cents == -986
    assert position.pnl_at_settlement(Side.YES) == 14
    assert position.pnl_at_settlement(Side.NO) == 14
    assert position.worst_case_pnl_cents == 14


def test_selling_receives_the_price_less_the_fee() -> None:
    position = Position("KX-A", yes_count=5).apply_fill(fill(Side.YES, Action.SELL, 60, 2, fee=2))
    assert (position.yes_count, position.cash_cents) == (3, 118)


def test_selling_more_than_is_held_is_rejected() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Position("KX-A", no_count=1).apply_fill(fill(Side.NO, Action.SELL, 60, 2))
    assert caught.value.field == "no_count"
    assert caught.value.value == -1
    assert caught.value.order_id == "opp-1"


def test_a_fill_for_another_market_is_rejected() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Position("KX-B").apply_fill(fill(Side.YES, Action.BUY, 45, 1))
    assert caught.value.field == "ticker"
    assert caught.value.ticker == "KX-B"


@pytest.mark.parametrize(
    ("name", "value"), [("yes_count", -1), ("no_count", 1.0), ("cash_cents", 0.5)]
)
def test_a_position_rejects_bad_counts_and_cash(name: str, value: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Position("KX-A", **{name: value})  # type: ignore[arg-type]
    assert caught.value.field == name


@given(st.one_of(not_an_int, st.integers(max_value=-1)))
def test_a_position_count_must_be_a_non_negative_int(count: object) -> None:
    with pytest.raises(InvalidFieldError):
        Position("KX-A", yes_count=count)  # type: ignore[arg-type]


@given(
    st.lists(
        st.tuples(st.sampled_from(Side), prices, st.integers(1, 20), st.integers(0, 5)),
        max_size=20,
    )
)
def test_cash_is_what_the_buys_cost_and_counts_are_what_they_bought(
    buys: list[tuple[Side, int, int, int]],
) -> None:
    position = Position("KX-A")
    for side, price, count, fee in buys:
        position = position.apply_fill(fill(side, Action.BUY, price, count, fee))
    assert position.cash_cents == -sum(price * count + fee for _, price, count, fee in buys)
    assert position.yes_count == sum(c for side, _, c, _ in buys if side is Side.YES)
    assert position.no_count == sum(c for side, _, c, _ in buys if side is Side.NO)
    outcomes = [position.pnl_at_settlement(Side.YES), position.pnl_at_settlement(Side.NO)]
    assert position.worst_case_pnl_cents == min(outcomes)
