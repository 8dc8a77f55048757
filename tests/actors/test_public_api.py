"""The public front of the domain, and the shape of its error hierarchy."""

from __future__ import annotations

import attrs
import pytest

import actors.domain
import actors.errors
import actors.fees
from actors.errors import (
    ActorsError,
    CrossedBookError,
    DomainError,
    IllegalTransitionError,
    InvalidFieldError,
    NegativeLevelError,
    SequenceGapError,
    UnprofitableOpportunityError,
)
from actors.strategy import ComplementArbitrage, StrategyStatus


def test_the_domain_exports_exactly_its_value_types() -> None:
    assert sorted(actors.domain.__all__) == sorted(
        [
            "MAX_LEGS",
            "TRANSITIONS",
            "Action",
            "Basket",
            "BookDelta",
            "BookSnapshot",
            "Event",
            "Fill",
            "FillRow",
            "Leg",
            "Level",
            "Levels",
            "Opportunity",
            "Order",
            "OrderIntent",
            "OrderRole",
            "OrderState",
            "Position",
            "Purpose",
            "Side",
            "TopOfBook",
        ]
    )
    assert all(hasattr(actors.domain, name) for name in actors.domain.__all__)


def test_the_fee_module_exports_the_fee_model_and_break_even_sentinel() -> None:
    assert sorted(actors.fees.__all__) == ["BreakEven", "FeeModel"]


@pytest.mark.parametrize(
    "error",
    [
        InvalidFieldError,
        CrossedBookError,
        NegativeLevelError,
        SequenceGapError,
        IllegalTransitionError,
        UnprofitableOpportunityError,
    ],
)
def test_every_domain_error_is_a_value_error_under_the_package_base(error: type) -> None:
    assert issubclass(error, DomainError)
    assert issubclass(error, ValueError)
    assert issubclass(error, ActorsError)
    assert error.__name__ in (actors.errors.__doc__ or "")
    assert error.__name__ in actors.errors.__all__


def test_an_invalid_field_error_carries_its_context() -> None:
    error = InvalidFieldError("OrderIntent", "price", 1.5, "is bad", ticker="KX-A", order_id="o-1")
    assert (error.owner, error.field, error.value, error.rule) == (
        "OrderIntent",
        "price",
        1.5,
        "is bad",
    )
    assert (error.ticker, error.order_id) == ("KX-A", "o-1")
    assert str(error) == "OrderIntent.price=1.5 is bad (ticker='KX-A', order_id='o-1')"


def test_no_money_field_of_the_domain_fees_or_strategy_is_named_in_cents() -> None:
    classes = [getattr(actors.domain, name) for name in actors.domain.__all__]
    classes += [actors.fees.FeeModel, ComplementArbitrage, StrategyStatus]
    names = [f.name for kind in classes if attrs.has(kind) for f in attrs.fields(kind)]
    assert "payout" in names
    assert [name for name in names if name.endswith("_cents")] == []
