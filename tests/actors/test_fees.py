"""The fee model and the break-even arithmetic of complement arbitrage, in exact dollars."""

from __future__ import annotations

import math
from decimal import Decimal
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.errors import DomainError, InvalidFieldError
from actors.fees import BreakEven, FeeModel
from actors.money import BreakEven as MoneyBreakEven
from actors.money import KalshiFees, PriceGrid
from tests.actors.strategies import (
    PRICE_STEP,
    bad_counts,
    bad_prices,
    cent_prices,
    counts,
    fee_rates,
    payouts,
    prices,
    prices_between,
    whole_counts,
)

KALSHI = FeeModel()
CENTICENT = Fraction(1, 10_000)
CENT = Fraction(1, 100)


def ceil_to(amount: Fraction, quantum: Fraction) -> Fraction:
    return math.ceil(amount / quantum) * quantum


def formula_buy_cost(rate: Decimal, count: Decimal, price: Decimal, payout: Decimal) -> Fraction:
    """Kalshi's rule, independently, in fractions: the trade fee rate*C*P*(1-P) payouts
    rounded up to $0.0001, then the cash out (notional + trade fee) rounded up to $0.01
    (the balance change floored to the cent)."""
    p = Fraction(price) / Fraction(payout)
    trade_fee = ceil_to(
        Fraction(rate) * Fraction(count) * p * (1 - p) * Fraction(payout), CENTICENT
    )
    return ceil_to(Fraction(price) * Fraction(count) + trade_fee, CENT)


def formula_fee(rate: Decimal, count: Decimal, price: Decimal, payout: Decimal = D(1)) -> Fraction:
    return formula_buy_cost(rate, count, price, payout) - Fraction(price) * Fraction(count)


def formula_edge(fees: FeeModel, count: Decimal, ask_yes: Decimal, ask_no: Decimal) -> Fraction:
    costs = Fraction(ask_yes + ask_no) * Fraction(count)
    fee = formula_fee(fees.taker_rate, count, ask_yes, fees.payout) + formula_fee(
        fees.taker_rate, count, ask_no, fees.payout
    )
    return Fraction(fees.payout) * Fraction(count) - costs - fee


@st.composite
def fee_models_with_price(draw: st.DrawFn) -> tuple[FeeModel, Decimal]:
    payout = draw(payouts)
    model = FeeModel(taker_rate=draw(fee_rates), maker_rate=draw(fee_rates), payout=payout)
    return model, draw(prices_between(PRICE_STEP, payout - PRICE_STEP))


@pytest.mark.parametrize(
    ("count", "price", "expected"),
    [
        (D(1), D("0.50"), D("0.02")),  # $0.0175 rounds up
        (D(100), D("0.50"), D("1.75")),
        (D(1), D("0.01"), D("0.01")),
        (D(10), D("0.45"), D("0.18")),
        (D(1000), D("0.99"), D("0.70")),  # $0.693 rounds up
        (D(3), D("0.10"), D("0.02")),
        # fee_rounding.md, first fill of the combined example: its net fee
        (D("0.03"), D("0.3301"), D("0.010097")),
    ],
)
def test_the_taker_fee_matches_kalshi_examples(
    count: Decimal, price: Decimal, expected: Decimal
) -> None:
    fee = KALSHI.taker_fee(count, price)
    assert fee == expected
    assert type(fee) is Decimal


@pytest.mark.parametrize(
    ("count", "price", "trade_fee", "buy_cost"),
    [
        # fee_rounding.md's combined example (its other examples assume other fee rates)
        (D("0.03"), D("0.3301"), D("0.0005"), D("0.02")),
        # 0.07 x 0.30 x 0.5 x 0.5 = 0.00525 -> 0.0053; 0.15 + 0.0053 -> 0.16
        (D("0.30"), D("0.50"), D("0.0053"), D("0.16")),
        # 0.07 x 0.055 x 0.945 = 0.00363825 -> 0.0037; 0.055 + 0.0037 -> 0.06
        (D(1), D("0.055"), D("0.0037"), D("0.06")),
    ],
)
def test_the_trade_fee_rounds_up_to_a_centicent_and_the_cost_to_a_cent(
    count: Decimal, price: Decimal, trade_fee: Decimal, buy_cost: Decimal
) -> None:
    # fee_rounding.md's worked examples (a non-direct member: balance in whole cents)
    assert KALSHI.trade_fee(count, price) == trade_fee
    assert KALSHI.buy_cost(count, price) == buy_cost
    direct = FeeModel(balance_precision=D("0.0001"))
    # a direct member's balance is kept to $0.0001: only the 6-decimal notional rounds
    expected = ceil_to(Fraction(count * price + trade_fee), CENTICENT)
    assert Fraction(direct.buy_cost(count, price)) == expected


def test_the_default_maker_fee_is_zero_and_configurable() -> None:
    assert KALSHI.maker_fee(D(100), D("0.50")) == 0
    # $0.4375 rounds up to the cent
    assert FeeModel(maker_rate=D("0.0175")).maker_fee(D(100), D("0.50")) == D("0.44")


def test_the_fee_model_delegates_to_the_kalshi_fee_schedule() -> None:
    model = FeeModel(taker_rate=D("0.05"), maker_rate=D("0.01"))
    assert model.schedule == KalshiFees(taker_rate=D("0.05"), maker_rate=D("0.01"))
    assert model.buy_cost(D(7), D("0.33")) == model.schedule.buy_cost(D(7), D("0.33"))
    assert BreakEven is MoneyBreakEven  # one answer for "no price works"


@given(fee_models_with_price(), counts)
def test_a_fee_equals_the_formula_computed_with_fractions(
    model_and_price: tuple[FeeModel, Decimal], count: Decimal
) -> None:
    model, price = model_and_price
    payout = model.payout
    assert Fraction(model.taker_fee(count, price)) == formula_fee(
        model.taker_rate, count, price, payout
    )
    assert Fraction(model.maker_fee(count, price)) == formula_fee(
        model.maker_rate, count, price, payout
    )
    assert Fraction(model.buy_cost(count, price)) == formula_buy_cost(
        model.taker_rate, count, price, payout
    )


@given(fee_rates, whole_counts, cent_prices)
def test_on_whole_cents_and_contracts_the_fee_is_the_classic_ceil_to_the_cent(
    rate: Decimal, count: Decimal, price: Decimal
) -> None:
    p = Fraction(price)
    classic = ceil_to(Fraction(rate) * Fraction(count) * p * (1 - p), CENT)
    assert Fraction(FeeModel(taker_rate=rate).taker_fee(count, price)) == classic


@given(fee_rates, counts, prices)
def test_a_fee_is_never_negative_and_never_falls_as_count_rises(
    rate: Decimal, count: Decimal, price: Decimal
) -> None:
    model = FeeModel(taker_rate=rate)
    fee = model.taker_fee(count, price)
    assert fee >= 0
    assert model.trade_fee(count + 1, price) >= model.trade_fee(count, price)
    assert model.buy_cost(count + 1, price) >= model.buy_cost(count, price)


@given(fee_rates, counts, prices)
def test_a_positive_rate_always_charges_at_least_a_centicent(
    rate: Decimal, count: Decimal, price: Decimal
) -> None:
    fee = FeeModel(taker_rate=rate).trade_fee(count, price)
    assert (fee >= D("0.0001")) == (rate > 0)
    assert fee % D("0.0001") == 0


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
        0,
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


@pytest.mark.parametrize(
    "payout", [D(0), D(-1), D("0.00001"), 1, 100, 1.0, True, None, D("NaN"), "1"]
)
def test_a_fee_model_rejects_a_payout_that_is_not_a_positive_decimal(payout: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        FeeModel(payout=payout)  # type: ignore[arg-type]
    assert caught.value.field == "payout"


@given(bad_counts)
def test_a_fee_rejects_a_count_that_is_not_a_positive_decimal_of_two_places(
    count: object,
) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        KALSHI.taker_fee(count, D("0.50"))  # type: ignore[arg-type]
    assert caught.value.field == "count"
    assert caught.value.value is count


@given(bad_prices)
def test_a_fee_rejects_a_price_outside_the_payout(price: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        KALSHI.maker_fee(D(1), price)  # type: ignore[arg-type]
    assert caught.value.field == "price"
    assert caught.value.value is price
    assert isinstance(caught.value, ValueError)


def test_the_complement_edge_counts_both_legs_fees() -> None:
    # 10 pairs at 0.45 + 0.50: 10 - 9.50 - ceil(0.17325) - ceil(0.175) = 0.14
    assert KALSHI.complement_edge(D(10), D("0.45"), D("0.50")) == D("0.14")
    assert KALSHI.complement_edge(D(1), D("0.48"), D("0.48")) == 0  # 1 - 0.96 - 0.02 - 0.02
    assert KALSHI.complement_edge(D(1), D("0.49"), D("0.49")) == D("-0.02")


@given(fee_models_with_price(), counts, st.data())
def test_the_complement_edge_is_the_payout_less_the_costs_less_the_fees_exactly(
    model_and_price: tuple[FeeModel, Decimal], count: Decimal, data: st.DataObject
) -> None:
    model, ask_yes = model_and_price
    ask_no = data.draw(prices_between(PRICE_STEP, model.payout - PRICE_STEP))
    edge = model.complement_edge(count, ask_yes, ask_no)
    assert Fraction(edge) == formula_edge(model, count, ask_yes, ask_no)
    fees = model.taker_fee(count, ask_yes) + model.taker_fee(count, ask_no)
    assert edge == model.payout * count - (ask_yes + ask_no) * count - fees


@pytest.mark.parametrize(
    ("name", "ask_yes", "ask_no"),
    [("ask_yes", D(0), D("0.50")), ("ask_no", D("0.50"), 0.015), ("ask_no", D("0.50"), 50)],
)
def test_the_complement_edge_names_the_bad_leg(name: str, ask_yes: object, ask_no: object) -> None:
    with pytest.raises(DomainError) as caught:
        KALSHI.complement_edge(D(1), ask_yes, ask_no)  # type: ignore[arg-type]
    assert caught.value.field == name


@given(fee_models_with_price(), st.integers(min_value=1, max_value=500).map(Decimal))
def test_the_break_even_price_is_the_highest_grid_price_that_does_not_lose(
    model_and_price: tuple[FeeModel, Decimal], count: Decimal
) -> None:
    model, other = model_and_price
    grid = PriceGrid(D("0.01"), payout=model.payout, places=4)
    on_grid = [grid.price_at(i) for i in range(grid.steps + 1)]
    working = [p for p in on_grid if model.complement_edge(count, other, p) >= 0]
    result = model.break_even_price(count, other)
    if not working:
        assert result is BreakEven.IMPOSSIBLE
        return
    assert result == max(working)
    assert isinstance(result, Decimal)
    assert model.complement_edge(count, other, result) >= 0
    if result + grid.tick < model.payout:
        assert model.complement_edge(count, other, result + grid.tick) < 0


@given(whole_counts, cent_prices)
def test_break_even_is_symmetric_in_the_legs(count: Decimal, other: Decimal) -> None:
    result = KALSHI.break_even_price(count, other)
    if result is not BreakEven.IMPOSSIBLE:
        assert KALSHI.complement_edge(count, result, other) == (
            KALSHI.complement_edge(count, other, result)
        )
        assert KALSHI.complement_edge(count, result, other) >= 0


def test_break_even_is_impossible_when_the_other_leg_costs_nearly_the_payout() -> None:
    assert KALSHI.break_even_price(D(1), D("0.99")) is BreakEven.IMPOSSIBLE
    assert KALSHI.break_even_price(D(1), D("0.98")) is BreakEven.IMPOSSIBLE  # 1c left, fees eat it
    # 1 - 0.97 - fee(0.97)=0.01 - 0.01 - fee(0.01)=0.01 = 0
    assert KALSHI.break_even_price(D(1), D("0.97")) == D("0.01")


def test_break_even_of_a_leg_at_50_cents_for_ten_pairs_is_46_cents() -> None:
    assert KALSHI.break_even_price(D(10), D("0.50")) == D("0.46")
    assert KALSHI.complement_edge(D(10), D("0.50"), D("0.46")) >= 0
    assert KALSHI.complement_edge(D(10), D("0.50"), D("0.47")) < 0


def test_break_even_searches_a_sub_penny_grid_when_given_one() -> None:
    grid = PriceGrid(D("0.001"), places=4)
    price = KALSHI.break_even_price(D(10), D("0.50"), grid)
    assert isinstance(price, Decimal)
    assert grid.contains(price)
    assert KALSHI.complement_edge(D(10), D("0.50"), price) >= 0
    assert KALSHI.complement_edge(D(10), D("0.50"), price + grid.tick) < 0


def test_break_even_rejects_a_bad_other_leg_price() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        KALSHI.break_even_price(D(1), D(1))
    assert caught.value.field == "other_leg_price"
    assert caught.value.value == 1
