"""A trade stated either way: buying YES at p is selling NO at payout - p.

Kalshi reports only the outcome an order or fill is long (``outcome_side``), so
the client reads "bought NO" where warden sent "sell YES"; execution restates
each order and fill as its intent states it (Fill.as_direction,
VenueOrder.as_direction)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Fill, Side
from actors.errors import InvalidFieldError
from actors.money import ONE
from actors.venues import VenueOrder

prices = st.integers(1, 9999).map(lambda n: Decimal(n).scaleb(-4))
counts = st.integers(1, 10**6).map(lambda n: Decimal(n).scaleb(-2))
directions = st.tuples(st.sampled_from(list(Side)), st.sampled_from(list(Action)))


def _other(side: Side) -> Side:
    return Side.NO if side is Side.YES else Side.YES


def _opposite(action: Action) -> Action:
    return Action.SELL if action is Action.BUY else Action.BUY


@given(directions, prices, counts)
def test_a_fill_restated_the_equivalent_way_and_back_is_the_same_fill(
    direction: tuple[Side, Action], price: Decimal, count: Decimal
) -> None:
    side, action = direction
    fill = Fill("t1", "cid-1", "SIM-001", side, action, price, count, fee=Decimal("0.01"))
    restated = fill.as_direction(_other(side), _opposite(action))
    assert (restated.side, restated.action) == (_other(side), _opposite(action))
    assert restated.price == ONE - price  # exact
    assert (restated.count, restated.fee, restated.fill_id) == (count, fill.fee, "t1")
    assert restated.as_direction(side, action) == fill
    assert fill.as_direction(side, action) is fill


@given(directions, prices)
def test_a_fill_of_another_direction_is_refused_naming_it(
    direction: tuple[Side, Action], price: Decimal
) -> None:
    side, action = direction
    fill = Fill("t1", "cid-1", "SIM-001", side, action, price, ONE)
    for wrong in ((_other(side), action), (side, _opposite(action))):
        with pytest.raises(InvalidFieldError, match="either way"):
            fill.as_direction(*wrong)


@given(directions, prices)
def test_an_order_restates_like_its_fills(direction: tuple[Side, Action], price: Decimal) -> None:
    side, action = direction
    order = VenueOrder(
        "o1", "cid-1", "SIM-001", side, action, "executed", price, ONE, ONE, Decimal(0)
    )
    restated = order.as_direction(_other(side), _opposite(action))
    assert (restated.side, restated.action, restated.price) == (
        _other(side),
        _opposite(action),
        ONE - price,
    )
    assert restated.as_direction(side, action) == order
    with pytest.raises(ValueError, match="either way"):
        order.as_direction(_other(side), action)
