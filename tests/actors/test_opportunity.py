"""Complement-arbitrage opportunities: only profitable ones exist."""

from __future__ import annotations

from decimal import Decimal
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Opportunity
from actors.errors import InvalidFieldError, UnprofitableOpportunityError
from actors.fees import FeeModel
from tests.actors.strategies import bad_counts, bad_prices, counts, prices, size_units

KALSHI = FeeModel()


def test_an_opportunity_carries_its_edge_after_fees() -> None:
    opportunity = Opportunity("KX-A", D("0.45"), D("0.50"), D(10))
    assert opportunity.edge == D("0.14")
    assert type(opportunity.edge) is Decimal
    assert opportunity.payout == 1


@given(prices, prices, size_units(1, 50_000))
def test_an_opportunity_exists_only_when_the_payout_beats_the_cost_with_fees(
    yes_ask: Decimal, no_ask: Decimal, count: Decimal
) -> None:
    edge = KALSHI.complement_edge(count, yes_ask, no_ask)
    if edge > 0:
        opportunity = Opportunity("KX-A", yes_ask, no_ask, count)
        assert opportunity.edge == edge
    else:
        with pytest.raises(UnprofitableOpportunityError) as caught:
            Opportunity("KX-A", yes_ask, no_ask, count)
        assert caught.value.edge == edge
        assert caught.value.field == "edge"
        assert caught.value.ticker == "KX-A"


def test_an_opportunity_that_only_breaks_even_is_not_one() -> None:
    assert KALSHI.complement_edge(D(1), D("0.48"), D("0.48")) == 0
    with pytest.raises(UnprofitableOpportunityError):
        Opportunity("KX-A", D("0.48"), D("0.48"), D(1))


def test_an_opportunity_uses_its_own_fee_model() -> None:
    free = FeeModel(taker_rate=Decimal(0))
    assert Opportunity("KX-A", D("0.49"), D("0.50"), D(1), fees=free).edge == D("0.01")
    with pytest.raises(UnprofitableOpportunityError):
        Opportunity("KX-A", D("0.49"), D("0.50"), D(1))


def test_a_fractional_sub_penny_opportunity_has_an_exact_edge() -> None:
    # 2.5 pairs at 0.4450 + 0.4825: costs ceil(1.1125 + 0.0433) + ceil(1.20625 + 0.0437)
    opportunity = Opportunity("KX-A", D("0.4450"), D("0.4825"), D("2.50"))
    assert opportunity.edge == D("2.50") - D("1.16") - D("1.25")


@given(st.sampled_from(["yes_ask", "no_ask"]), bad_prices)
def test_an_opportunity_rejects_a_bad_price(name: str, price: object) -> None:
    values: dict[str, object] = {
        "ticker": "KX-A",
        "yes_ask": D("0.40"),
        "no_ask": D("0.40"),
        "count": D(1),
    }
    values[name] = price
    with pytest.raises(InvalidFieldError) as caught:
        Opportunity(**values)  # type: ignore[arg-type]
    assert caught.value.field == name
    assert caught.value.value is price


@given(bad_counts)
def test_an_opportunity_rejects_a_bad_size(count: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Opportunity("KX-A", D("0.40"), D("0.40"), count)  # type: ignore[arg-type]
    assert caught.value.field == "count"


def test_an_opportunity_rejects_a_fee_model_that_is_not_one() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Opportunity("KX-A", D("0.40"), D("0.40"), D(1), fees=Decimal("0.07"))  # type: ignore[arg-type]
    assert caught.value.field == "fees"


@given(counts)
def test_the_edge_is_not_an_init_argument(count: Decimal) -> None:
    with pytest.raises(TypeError):
        Opportunity("KX-A", D("0.10"), D("0.10"), count, edge=D(10**9))  # type: ignore[call-arg]
