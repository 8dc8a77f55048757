"""Complement-arbitrage opportunities: only profitable ones exist."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Opportunity
from actors.errors import InvalidFieldError, UnprofitableOpportunityError
from actors.fees import FeeModel
from tests.actors.strategies import bad_counts, bad_prices, counts, prices

KALSHI = FeeModel()


def test_an_opportunity_carries_its_edge_after_fees() -> None:
    opportunity = Opportunity("KX-A", 45, 50, 10)
    assert opportunity.edge_cents == 14
    assert opportunity.payout_cents == 100


@given(prices, prices, st.integers(min_value=1, max_value=500))
def test_an_opportunity_exists_only_when_the_payout_beats_the_cost_with_fees(
    yes_ask: int, no_ask: int, count: int
) -> None:
    edge = KALSHI.complement_edge_cents(count, yes_ask, no_ask)
    if edge > 0:
        opportunity = Opportunity("KX-A", yes_ask, no_ask, count)
        assert opportunity.edge_cents == edge
    else:
        with pytest.raises(UnprofitableOpportunityError) as caught:
            Opportunity("KX-A", yes_ask, no_ask, count)
        assert caught.value.edge_cents == edge
        assert caught.value.field == "edge_cents"
        assert caught.value.ticker == "KX-A"


def test_an_opportunity_that_only_breaks_even_is_not_one() -> None:
    assert KALSHI.complement_edge_cents(1, 48, 48) == 0
    with pytest.raises(UnprofitableOpportunityError):
        Opportunity("KX-A", 48, 48, 1)


def test_an_opportunity_uses_its_own_fee_model() -> None:
    free = FeeModel(taker_rate=Decimal(0))
    assert Opportunity("KX-A", 49, 50, 1, fees=free).edge_cents == 1
    with pytest.raises(UnprofitableOpportunityError):
        Opportunity("KX-A", 49, 50, 1)


@given(st.sampled_from(["yes_ask", "no_ask"]), bad_prices)
def test_an_opportunity_rejects_a_bad_price(name: str, price: object) -> None:
    values: dict[str, object] = {"ticker": "KX-A", "yes_ask": 40, "no_ask": 40, "count": 1}
    values[name] = price
    with pytest.raises(InvalidFieldError) as caught:
        Opportunity(**values)  # type: ignore[arg-type]
    assert caught.value.field == name
    assert caught.value.value is price


@given(bad_counts)
def test_an_opportunity_rejects_a_bad_size(count: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Opportunity("KX-A", 40, 40, count)  # type: ignore[arg-type]
    assert caught.value.field == "count"


def test_an_opportunity_rejects_a_fee_model_that_is_not_one() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Opportunity("KX-A", 40, 40, 1, fees=Decimal("0.07"))  # type: ignore[arg-type]
    assert caught.value.field == "fees"


@given(counts)
def test_the_edge_is_not_an_init_argument(count: int) -> None:
    with pytest.raises(TypeError):
        Opportunity("KX-A", 10, 10, count, edge_cents=10**9)  # type: ignore[call-arg]
