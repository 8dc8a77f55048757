"""The fee model and the break-even arithmetic of complement arbitrage."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.errors import DomainError, InvalidFieldError
from actors.fees import BreakEven, FeeModel
from tests.actors.strategies import bad_counts, bad_prices, counts, fee_rates, payouts, prices

KALSHI = FeeModel()


def formula_fee_cents(rate: Decimal, count: int, price: int, payout: int = 100) -> int:
    """Kalshi's formula, independently: ceil to the cent of rate*C*P*(1-P) payouts."""
    p = Fraction(price, payout)
    return math.ceil(Fraction(rate) * count * p * (1 - p) * payout)


def formula_edge_cents(fees: FeeModel, count: int, ask_yes: int, ask_no: int) -> int:
    legs = [(ask_yes, fees.taker_rate), (ask_no, fees.taker_rate)]
    cost = sum(
        price * count + formula_fee_cents(rate, count, price, fees.payout_cents)
        for price, rate in legs
    )
    return fees.payout_cents * count - cost


@st.composite
def fee_models_with_price(draw: st.DrawFn) -> tuple[FeeModel, int]:
    payout = draw(payouts)
    model = FeeModel(taker_rate=draw(fee_rates), maker_rate=draw(fee_rates), payout_cents=payout)
    return model, draw(st.integers(min_value=1, max_value=payout - 1))


@pytest.mark.parametrize(
    ("count", "price", "expected_cents"),
    [
        (1, 50, 2),  # 1.75c rounds up
        (100, 50, 175),
        (1, 1, 1),
        (10, 45, 18),
        (1000, 99, 70),  # 69.3c rounds up
        (3, 10, 2),
    ],
)
def test_the_taker_fee_matches_kalshi_examples(count: int, price: int, expected_cents: int) -> None:
    assert KALSHI.taker_fee(count, price) == expected_cents


def test_the_default_maker_fee_is_zero_and_configurable() -> None:
    assert KALSHI.maker_fee(100, 50) == 0
    assert FeeModel(maker_rate=Decimal("0.0175")).maker_fee(100, 50) == 44  # 43.75 rounds up


@given(fee_models_with_price(), counts)
def test_a_fee_equals_the_formula_computed_with_fractions(
    model_and_price: tuple[FeeModel, int], count: int
) -> None:
    model, price = model_and_price
    payout = model.payout_cents
    assert model.taker_fee(count, price) == formula_fee_cents(
        model.taker_rate, count, price, payout
    )
    assert model.maker_fee(count, price) == formula_fee_cents(
        model.maker_rate, count, price, payout
    )


@given(fee_rates, counts, prices)
def test_a_fee_is_never_negative_and_never_falls_as_count_rises(
    rate: Decimal, count: int, price: int
) -> None:
    model = FeeModel(taker_rate=rate)
    fee = model.taker_fee(count, price)
    assert fee >= 0
    assert model.taker_fee(count + 1, price) >= fee


@given(fee_rates, counts, prices)
def test_a_positive_rate_always_charges_at_least_a_cent(
    rate: Decimal, count: int, price: int
) -> None:
    fee = FeeModel(taker_rate=rate).taker_fee(count, price)
    assert (fee >= 1) == (rate > 0)


@pytest.mark.parametrize(
    "rate",
    [
        0.07,
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-0.01"),
        Decimal(1),
        "0.07",
        None,
        True,
    ],
)
@pytest.mark.parametrize("field", ["taker_rate", "maker_rate"])
def test_a_fee_model_rejects_a_rate_that_is_not_a_finite_decimal_in_0_1(
    field: str, rate: object
) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        FeeModel(**{field: rate})  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.value is rate
    assert field in str(caught.value)


@pytest.mark.parametrize("payout", [1, 0, -100, 100.0, True, None])
def test_a_fee_model_rejects_a_payout_that_leaves_no_room_for_a_price(payout: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        FeeModel(payout_cents=payout)  # type: ignore[arg-type]
    assert caught.value.field == "payout_cents"


@given(bad_counts)
def test_a_fee_rejects_a_count_that_is_not_a_positive_int(count: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        KALSHI.taker_fee(count, 50)  # type: ignore[arg-type]
    assert caught.value.field == "count"
    assert caught.value.value is count


@given(bad_prices)
def test_a_fee_rejects_a_price_outside_the_payout(price: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        KALSHI.maker_fee(1, price)  # type: ignore[arg-type]
    assert caught.value.field == "price_cents"
    assert caught.value.value is price
    assert isinstance(caught.value, ValueError)


def test_the_complement_edge_counts_both_legs_fees() -> None:
    # 10 pairs at 45 + 50: 1000 - 950 - ceil(17.325) - ceil(17.5) = 14
    assert KALSHI.complement_edge_cents(10, 45, 50) == 14
    assert KALSHI.complement_edge_cents(1, 48, 48) == 0  # 100 - 96 - 2 - 2
    assert KALSHI.complement_edge_cents(1, 49, 49) == -2


@given(fee_models_with_price(), counts, st.data())
def test_the_complement_edge_equals_the_formula(
    model_and_price: tuple[FeeModel, int], count: int, data: st.DataObject
) -> None:
    model, ask_yes = model_and_price
    ask_no = data.draw(st.integers(min_value=1, max_value=model.payout_cents - 1))
    assert model.complement_edge_cents(count, ask_yes, ask_no) == formula_edge_cents(
        model, count, ask_yes, ask_no
    )


@pytest.mark.parametrize(("name", "ask_yes", "ask_no"), [("ask_yes", 0, 50), ("ask_no", 50, 1.5)])
def test_the_complement_edge_names_the_bad_leg(name: str, ask_yes: object, ask_no: object) -> None:
    with pytest.raises(DomainError) as caught:
        KALSHI.complement_edge_cents(1, ask_yes, ask_no)  # type: ignore[arg-type]
    assert caught.value.field == name


@given(fee_models_with_price(), st.integers(min_value=1, max_value=500))
def test_the_break_even_price_is_the_highest_price_that_does_not_lose(
    model_and_price: tuple[FeeModel, int], count: int
) -> None:
    model, other = model_and_price
    payout = model.payout_cents
    working = [p for p in range(1, payout) if model.complement_edge_cents(count, other, p) >= 0]
    result = model.break_even_price(count, other)
    if not working:
        assert result is BreakEven.IMPOSSIBLE
        return
    assert result == max(working)
    assert isinstance(result, int)
    assert model.complement_edge_cents(count, other, result) >= 0
    if result + 1 < payout:
        assert model.complement_edge_cents(count, other, result + 1) < 0


@given(counts, prices)
def test_break_even_is_symmetric_in_the_legs(count: int, other: int) -> None:
    result = KALSHI.break_even_price(count, other)
    if result is not BreakEven.IMPOSSIBLE:
        assert KALSHI.complement_edge_cents(count, result, other) == (
            KALSHI.complement_edge_cents(count, other, result)
        )
        assert KALSHI.complement_edge_cents(count, result, other) >= 0


def test_break_even_is_impossible_when_the_other_leg_costs_nearly_the_payout() -> None:
    assert KALSHI.break_even_price(1, 99) is BreakEven.IMPOSSIBLE
    assert KALSHI.break_even_price(1, 98) is BreakEven.IMPOSSIBLE  # 1c left, fees eat it
    assert KALSHI.break_even_price(1, 97) == 1  # 100 - 97 - 1 - fee(97)=1 - fee(1)=1 = 0


def test_break_even_of_a_leg_at_50_for_ten_pairs_is_46() -> None:
    assert KALSHI.break_even_price(10, 50) == 46
    assert KALSHI.complement_edge_cents(10, 50, 46) >= 0
    assert KALSHI.complement_edge_cents(10, 50, 47) < 0


def test_break_even_rejects_a_bad_other_leg_price() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        KALSHI.break_even_price(1, 100)
    assert caught.value.field == "other_leg_price"
    assert caught.value.value == 100
