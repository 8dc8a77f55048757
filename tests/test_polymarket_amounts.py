"""Polymarket CLOB V2 order amounts: exact integers, the official rounding, no price ever rounded.

The documented examples are py-clob-client-v2's own test cases
(tests/order_builder/test_decimal_order_amounts.py, MIT): 16.90 shares at 0.30,
33.30 at 0.30 and 66.60 at 0.15 on the 0.01 tick.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.errors import InvalidFieldError
from actors.venues.polymarket._amounts import (
    ROUNDING_CONFIG,
    amounts_price,
    order_amounts,
    round_amount,
    rounding_config,
)

D = Decimal
TICKS = sorted(ROUNDING_CONFIG)


def test_the_rounding_config_is_the_official_clients_table() -> None:
    table = {str(tick): (c.price, c.size, c.amount) for tick, c in ROUNDING_CONFIG.items()}
    assert table == {
        "0.1": (1, 2, 3),
        "0.01": (2, 2, 4),
        "0.005": (3, 2, 5),
        "0.0025": (4, 2, 6),
        "0.001": (3, 2, 5),
        "0.0001": (4, 2, 6),
    }


def test_a_tick_written_with_trailing_zeros_finds_its_config() -> None:
    assert rounding_config(D("0.010")) == ROUNDING_CONFIG[D("0.01")]


@pytest.mark.parametrize(
    ("size", "price", "usdc", "shares"),
    [
        ("16.90", "0.30", 5_070_000, 16_900_000),
        ("33.30", "0.30", 9_990_000, 33_300_000),
        ("66.60", "0.15", 9_990_000, 66_600_000),
    ],
)
def test_the_official_clients_examples_give_the_same_amounts(
    size: str, price: str, usdc: int, shares: int
) -> None:
    assert order_amounts("BUY", D(size), D(price), D("0.01")) == (usdc, shares)
    assert order_amounts("SELL", D(size), D(price), D("0.01")) == (shares, usdc)


def test_a_size_is_rounded_down_to_two_decimals_never_up() -> None:
    assert order_amounts("BUY", D("10.019"), D("0.5"), D("0.1")) == (5_005_000, 10_010_000)
    assert order_amounts("SELL", D("10.999999"), D("0.5"), D("0.1")) == (10_990_000, 5_495_000)


def test_a_size_that_rounds_to_zero_shares_is_refused() -> None:
    with pytest.raises(InvalidFieldError, match="size"):
        order_amounts("BUY", D("0.009"), D("0.5"), D("0.1"))


@pytest.mark.parametrize(
    ("price", "tick", "words"),
    [
        ("0.555", "0.01", "off the tick 0.01"),
        ("0.0015", "0.001", "off the tick 0.001"),
        ("0.0030", "0.0025", "off the tick 0.0025"),
        ("0.05", "0.1", "[0.1, 0.9]"),
        ("0.95", "0.1", "[0.1, 0.9]"),
        ("0", "0.01", "[0.01, 0.99]"),
        ("1", "0.01", "[0.01, 0.99]"),
        ("0.9999", "0.001", "[0.001, 0.999]"),
    ],
)
def test_a_price_off_the_tick_or_out_of_bounds_is_refused_never_rounded(
    price: str, tick: str, words: str
) -> None:
    with pytest.raises(ValueError, match="price") as raised:
        order_amounts("BUY", D("10"), D(price), D(tick))
    assert isinstance(raised.value, InvalidFieldError)
    assert price in str(raised.value)
    assert words in str(raised.value)


def test_the_bounds_themselves_are_valid_prices() -> None:
    assert order_amounts("BUY", D("1"), D("0.0001"), D("0.0001")) == (100, 1_000_000)
    assert order_amounts("SELL", D("1"), D("0.9999"), D("0.0001")) == (1_000_000, 999_900)


@pytest.mark.parametrize(
    ("side", "size", "price", "tick", "field"),
    [
        ("buy", D("1"), D("0.5"), D("0.1"), "side"),
        ("BUY", 1.0, D("0.5"), D("0.1"), "size"),
        ("BUY", D("-1"), D("0.5"), D("0.1"), "size"),
        ("BUY", D("NaN"), D("0.5"), D("0.1"), "size"),
        ("BUY", D("1"), 0.5, D("0.1"), "price"),
        ("BUY", D("1"), D("0.5"), D("0.05"), "tick"),
        ("BUY", D("1"), D("0.5"), "0.1", "tick"),
    ],
)
def test_bad_inputs_are_refused_naming_the_field(
    side: str, size: object, price: object, tick: object, field: str
) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        order_amounts(side, size, price, tick)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_the_notional_rounding_rule_is_the_clients_up_at_four_more_decimals_then_down() -> None:
    assert round_amount(D("0.1234"), 4) == D("0.1234")
    assert round_amount(D("0.123456789"), 4) == D("0.1234")
    assert round_amount(D("0.12349999999"), 4) == D("0.1235")  # within 1e-8: noise, up
    assert round_amount(D("0.12349999"), 4) == D("0.1234")


def test_amounts_give_back_their_price() -> None:
    assert amounts_price("BUY", 5_070_000, 16_900_000) == D("0.3")
    assert amounts_price("SELL", 66_600_000, 9_990_000) == D("0.15")
    with pytest.raises(ValueError, match="exact price"):
        amounts_price("BUY", 1, 3)
    with pytest.raises(ValueError, match="maker_amount"):
        amounts_price("BUY", 0, 3)


@st.composite
def orders(draw: st.DrawFn) -> tuple[str, Decimal, Decimal, Decimal]:
    tick = draw(st.sampled_from(TICKS))
    steps = int((1 - tick) / tick)  # prices tick .. 1 - tick
    price = tick * draw(st.integers(1, steps))
    size = Decimal(draw(st.integers(1, 10**9))).scaleb(-draw(st.integers(0, 6)))
    side = draw(st.sampled_from(["BUY", "SELL"]))
    return side, size, price, tick


@given(orders())
def test_amounts_are_exact_integers_with_the_price_as_their_ratio(
    order: tuple[str, Decimal, Decimal, Decimal],
) -> None:
    side, size, price, tick = order
    if size < D("0.01"):
        with pytest.raises(InvalidFieldError):
            order_amounts(side, size, price, tick)  # type: ignore[arg-type]
        return
    maker, taker = order_amounts(side, size, price, tick)  # type: ignore[arg-type]
    assert type(maker) is int
    assert type(taker) is int
    shares_units, usdc_units = (taker, maker) if side == "BUY" else (maker, taker)
    shares = D(shares_units) / 10**6
    # never rounded up, and by less than one lot
    assert shares <= size
    assert size - shares < D("0.01")
    assert shares == shares.quantize(D("0.01"))
    # exact for an on-grid price: notional = shares x price to the base unit
    assert usdc_units == shares * price * 10**6
    assert amounts_price(side, maker, taker) == price  # type: ignore[arg-type]
