"""Exact money: wire round trips, grids that reject instead of rounding, lots, fees, exits."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.errors import InvalidFieldError
from actors.money import (
    BreakEven,
    KalshiFees,
    LotSize,
    PolymarketFees,
    PriceGrid,
    break_even_price,
    decimals_of,
    format_price,
    format_size,
    parse_price,
    parse_size,
)

TICKS = [Decimal(t) for t in ("0.1", "0.01", "0.005", "0.0025", "0.002", "0.001", "0.0001")]
"""Every tick Kalshi's price_ranges and Polymarket's tick sizes use."""


@st.composite
def grids(draw: st.DrawFn, extra_places: int = 2) -> PriceGrid:
    tick = draw(st.sampled_from(TICKS))
    places = decimals_of(tick) + draw(st.integers(min_value=0, max_value=extra_places))
    return PriceGrid(tick, places=places, ticker="KX-TEST")


@st.composite
def grid_prices(draw: st.DrawFn, extra_places: int = 2) -> tuple[PriceGrid, Decimal]:
    grid = draw(grids(extra_places))
    return grid, grid.price_at(draw(st.integers(min_value=0, max_value=grid.steps)))


def quantum(places: int) -> Fraction:
    return Fraction(1, 10**places)


def round_to(value: Fraction, step: Fraction, *, up: bool) -> Fraction:
    units = value / step
    return (math.ceil(units) if up else math.floor(units)) * step


sizes = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100_000), places=2)
rates = st.decimals(min_value=0, max_value=Decimal("0.2"), places=4)


# --- wire strings and the price grid -------------------------------------------------------


@given(grid_prices())
def test_a_price_on_the_grid_round_trips_through_its_wire_string(
    grid_price: tuple[PriceGrid, Decimal],
) -> None:
    grid, price = grid_price
    text = format_price(price, grid.places)
    assert len(text.split(".")[1]) == grid.places if grid.places else "." not in text
    assert parse_price(text, grid) == price
    assert format_price(parse_price(text, grid), grid.places) == text


@given(grid_prices())
def test_a_wire_price_without_trailing_zeros_parses_to_the_same_value(
    grid_price: tuple[PriceGrid, Decimal],
) -> None:
    grid, price = grid_price
    canonical = format_price(price, grid.places)
    short = canonical.rstrip("0").rstrip(".") if "." in canonical else canonical
    assert parse_price(short, grid) == price
    assert format_price(parse_price(short, grid), grid.places) == canonical


def test_kalshi_and_polymarket_wire_prices_parse_exactly() -> None:
    kalshi = PriceGrid(Decimal("0.01"), places=4)
    assert str(parse_price("0.1200", kalshi)) == "0.1200"
    assert format_price(parse_price("0.12", kalshi), 4) == "0.1200"
    polymarket = PriceGrid(Decimal("0.001"))
    assert str(parse_price("0.514", polymarket)) == "0.514"
    assert str(parse_price("0.99", polymarket)) == "0.990"


@given(grid_prices(extra_places=2), st.integers(min_value=1, max_value=9))
def test_a_price_off_the_grid_is_rejected_naming_the_value_and_the_tick(
    grid_price: tuple[PriceGrid, Decimal], digit: int
) -> None:
    grid, price = grid_price
    finer = decimals_of(grid.tick) + 1
    off = price + digit * Decimal(1).scaleb(-finer)
    if Fraction(off) % Fraction(grid.tick) == 0 or off >= grid.payout:
        off = price - digit * Decimal(1).scaleb(-finer)  # 0.005 + 5 x 0.001 is on the grid
    assert not grid.contains(off)
    with pytest.raises(InvalidFieldError) as raised:
        grid.check(off)
    assert str(grid.tick) in str(raised.value)
    assert repr(off) in str(raised.value)
    assert raised.value.ticker == "KX-TEST"
    if finer <= grid.places:
        text = f"{off:f}"
        with pytest.raises(InvalidFieldError) as raised:
            parse_price(text, grid)
        assert str(grid.tick) in str(raised.value)
        assert text in str(raised.value)


@pytest.mark.parametrize("text", ["0", "0.0000", "1", "1.0000", "0.9999", "0.0001", "2"])
def test_prices_outside_the_grid_bounds_are_rejected(text: str) -> None:
    grid = PriceGrid(Decimal("0.01"), places=4)  # 0.01 .. 0.99
    with pytest.raises(InvalidFieldError, match=r"tick 0\.01"):
        parse_price(text, grid)


def test_a_narrower_grid_rejects_prices_outside_its_own_bounds() -> None:
    grid = PriceGrid(Decimal("0.001"), min_price=Decimal("0.010"), max_price=Decimal("0.100"))
    assert parse_price("0.01", grid) == Decimal("0.01")
    assert parse_price("0.1", grid) == Decimal("0.1")
    for text in ("0.009", "0.101"):
        with pytest.raises(InvalidFieldError, match=r"in \[0.010, 0.100\]"):
            parse_price(text, grid)


MALFORMED = [
    "1e-2", "1E2", "0.5e0", "-0.5", "+0.5", "-0", " 0.5", "0.5 ", "0.5\n", "nan", "NaN",
    "inf", "Infinity", "-inf", "", ".5", "5.", "0x1", "0,5", "00.5", "1_0", "0.5.0",
    "\u0660.\u0665", "0.\u0665",  # Arabic-Indic digits: Decimal() would take them
]  # fmt: skip


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_wire_text_is_rejected(text: str) -> None:
    with pytest.raises(InvalidFieldError):
        parse_price(text, PriceGrid(Decimal("0.1")))
    with pytest.raises(InvalidFieldError):
        parse_size(text, LotSize(Decimal("0.01")))


@pytest.mark.parametrize(
    "value", [0.5, 1, Decimal("0.5"), None, b"0.5", True, float("nan"), float("inf")]
)
def test_only_strings_are_parsed(value: object) -> None:
    with pytest.raises(InvalidFieldError, match="decimal string"):
        parse_price(value, PriceGrid(Decimal("0.1")))
    with pytest.raises(InvalidFieldError, match="decimal string"):
        parse_size(value, LotSize(Decimal(1)))


@given(grid_prices(extra_places=0), st.integers(min_value=0, max_value=9))
def test_more_decimals_than_the_wire_carries_are_rejected_not_rounded(
    grid_price: tuple[PriceGrid, Decimal], digit: int
) -> None:
    grid, price = grid_price
    text = format_price(price, grid.places) + ("." if grid.places == 0 else "") + str(digit)
    with pytest.raises(InvalidFieldError, match="decimals"):
        parse_price(text, grid)


@pytest.mark.parametrize(
    ("value", "places"),
    [
        (Decimal("0.12345"), 4),
        (Decimal("0.5"), 0),
        (Decimal("1E-7"), 6),
    ],
)
def test_formatting_never_rounds(value: Decimal, places: int) -> None:
    with pytest.raises(InvalidFieldError, match="never rounded"):
        format_price(value, places)
    with pytest.raises(InvalidFieldError, match="never rounded"):
        format_size(value, places)


@pytest.mark.parametrize(
    "value",
    [
        0.5,
        1,
        True,
        None,
        "0.5",
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-0.5"),
        Decimal("-0"),
    ],
)
def test_formatting_refuses_what_is_not_a_non_negative_decimal(value: object) -> None:
    with pytest.raises(InvalidFieldError):
        format_price(value, 4)
    with pytest.raises(InvalidFieldError):
        format_size(value, 2)


def test_formatting_prints_plain_fixed_point() -> None:
    assert format_price(Decimal("0.12"), 4) == "0.1200"
    assert format_size(Decimal("1E+2"), 2) == "100.00"
    assert format_size(Decimal("10.000"), 0) == "10"


@pytest.mark.parametrize(
    ("kwargs", "bad_field"),
    [
        ({"tick": 0.01}, "tick"),
        ({"tick": Decimal(0)}, "tick"),
        ({"tick": Decimal("NaN")}, "tick"),
        ({"tick": Decimal("0.01"), "payout": 1}, "payout"),
        ({"tick": Decimal("0.01"), "min_price": Decimal("0.015")}, "min_price"),
        ({"tick": Decimal("0.01"), "min_price": Decimal(0)}, "min_price"),
        ({"tick": Decimal("0.01"), "max_price": Decimal(1)}, "max_price"),
        (
            {"tick": Decimal("0.01"), "min_price": Decimal("0.5"), "max_price": Decimal("0.4")},
            "min_price",
        ),
        ({"tick": Decimal("0.001"), "places": 2}, "places"),
        ({"tick": Decimal("0.01"), "places": True}, "places"),
        ({"tick": Decimal("0.01"), "ticker": "bad ticker"}, "ticker"),
    ],
)
def test_a_bad_grid_is_refused_naming_the_field(kwargs: dict[str, object], bad_field: str) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        PriceGrid(**kwargs)  # type: ignore[arg-type]  # bad values on purpose
    assert raised.value.field == bad_field


# --- sizes and lots -------------------------------------------------------------------------

LOTS = [
    LotSize(Decimal("0.01")),  # Kalshi fractional market
    LotSize(Decimal(1), places=2),  # Kalshi whole-contract market, "10.00" on the wire
    LotSize(Decimal("0.01"), min_size=Decimal(5)),  # Polymarket resting order
    LotSize(Decimal("0.5"), places=2),
]


@given(
    st.sampled_from(LOTS),
    st.decimals(min_value=0, max_value=Decimal(1_000_000), places=6),
)
def test_a_size_rounds_down_to_the_largest_valid_lot(lot: LotSize, size: Decimal) -> None:
    rounded = lot.round_down(size)
    assert rounded <= size
    assert lot.round_down(rounded) == rounded
    if size >= lot.min_size:
        assert lot.contains(rounded)
        assert size - rounded < lot.step
    else:
        assert rounded == 0
    assert decimals_of(rounded) <= lot.places


@given(st.sampled_from(LOTS), st.decimals(min_value=0, max_value=Decimal(10**9), places=2))
def test_a_size_round_trips_through_its_wire_string(lot: LotSize, size: Decimal) -> None:
    text = format_size(size, lot.places)
    assert parse_size(text, lot) == size
    assert format_size(parse_size(text, lot), lot.places) == text


def test_wire_sizes_parse_exactly() -> None:
    whole = LotSize(Decimal(1), places=2)
    assert str(parse_size("10.00", whole)) == "10.00"
    assert str(parse_size("10", whole)) == "10.00"
    assert parse_size("0", whole) == 0  # a Polymarket level removal
    with pytest.raises(InvalidFieldError, match="decimals"):
        parse_size("1.555", whole)


@pytest.mark.parametrize("size", [Decimal("-1"), Decimal("NaN"), 1.5, 2, None])
def test_rounding_refuses_what_is_not_a_size(size: object) -> None:
    with pytest.raises(InvalidFieldError):
        LotSize(Decimal("0.01")).round_down(size)


def test_an_order_size_off_the_lot_is_rejected_naming_the_step() -> None:
    lot = LotSize(Decimal("0.01"), min_size=Decimal(5), ticker="PM-1")
    assert lot.check(Decimal("5.25")) == Decimal("5.25")
    for bad in (Decimal("5.255"), Decimal("4.99"), Decimal(0)):
        with pytest.raises(InvalidFieldError, match=r"step 0\.01") as raised:
            lot.check(bad)
        assert raised.value.ticker == "PM-1"
    with pytest.raises(InvalidFieldError, match="min_size"):
        LotSize(Decimal("0.5"), min_size=Decimal("0.75"))


# --- Kalshi fees ----------------------------------------------------------------------------


def kalshi_trade_fee(rate: Decimal, size: Decimal, price: Decimal) -> Fraction:
    """Kalshi's quadratic fee, independently, rounded up to $0.0001."""
    p = Fraction(price)
    return round_to(Fraction(rate) * Fraction(size) * p * (1 - p), quantum(4), up=True)


def test_kalshi_fees_match_the_documented_examples() -> None:
    fees = KalshiFees()
    # 10 contracts at $0.50: 0.07 x 10 x 0.25 = $0.175, charged $0.18 (kalshi.md §5)
    assert fees.trade_fee(Decimal(10), Decimal("0.50")) == Decimal("0.1750")
    assert fees.buy_cost(Decimal(10), Decimal("0.50")) == Decimal("5.18")
    # fee_rounding.md, "Combined": 0.03 contracts at $0.3301
    assert fees.trade_fee(Decimal("0.03"), Decimal("0.3301")) == Decimal("0.0005")
    assert fees.buy_cost(Decimal("0.03"), Decimal("0.3301")) == Decimal("0.02")
    # fee_rounding.md rounding mechanics, fills 1 of the first two examples
    assert fees.balance_change(Decimal("-0.055"), Decimal("0.0085")) == Decimal("-0.07")
    assert fees.balance_change(Decimal("-0.15"), Decimal("0.0041")) == Decimal("-0.16")
    # a direct member keeps centicents
    direct = KalshiFees(balance_precision=Decimal("0.0001"))
    assert direct.balance_change(Decimal("-0.009903"), Decimal("0.0005")) == Decimal("-0.0105")
    # maker fees: 0.25 x 0.07 on 100 at $0.50 = $0.4375, charged $0.44
    maker = KalshiFees(maker_rate=Decimal("0.0175"))
    assert maker.buy_cost(Decimal(100), Decimal("0.50"), maker=True) == Decimal("50.44")
    assert KalshiFees().trade_fee(Decimal(100), Decimal("0.50"), maker=True) == 0


@given(
    st.integers(min_value=1, max_value=10_000),
    st.integers(min_value=1, max_value=99),
    rates,
)
def test_kalshi_fees_on_whole_cents_and_contracts_are_the_classic_ceil_to_the_cent(
    count: int, cents: int, rate: Decimal
) -> None:
    fees = KalshiFees(taker_rate=rate)
    price = Decimal(cents) / 100
    classic = Fraction(math.ceil(Fraction(rate) * count * cents * (100 - cents) / 100), 100)
    assert Fraction(fees.buy_cost(Decimal(count), price)) == count * Fraction(price) + classic


@given(grid_prices(), sizes, rates, st.sampled_from([Decimal("0.01"), Decimal("0.0001")]))
def test_kalshi_fees_round_the_trade_fee_up_and_the_balance_down(
    grid_price: tuple[PriceGrid, Decimal], size: Decimal, rate: Decimal, precision: Decimal
) -> None:
    _, price = grid_price
    fees = KalshiFees(taker_rate=rate, balance_precision=precision)
    trade_fee = kalshi_trade_fee(rate, size, price)
    notional = Fraction(size) * Fraction(price)
    assert Fraction(fees.trade_fee(size, price)) == trade_fee
    cost = fees.buy_cost(size, price)
    assert Fraction(cost) == round_to(notional + trade_fee, Fraction(precision), up=True)
    proceeds = fees.sell_proceeds(size, price)
    expected = max(Fraction(0), round_to(notional - trade_fee, Fraction(precision), up=False))
    assert Fraction(proceeds) == expected
    assert proceeds <= notional <= cost


@pytest.mark.parametrize(
    ("size", "price"),
    [
        (Decimal(0), Decimal("0.5")),
        (Decimal(-1), Decimal("0.5")),
        (1.0, Decimal("0.5")),
        (Decimal(1), 0.5),
        (Decimal(1), Decimal(0)),
        (Decimal(1), Decimal(1)),
        (Decimal(1), Decimal("NaN")),
    ],
)
def test_fees_refuse_bad_sizes_and_prices(size: object, price: object) -> None:
    for fees in (KalshiFees(), PolymarketFees()):
        with pytest.raises(InvalidFieldError):
            fees.buy_cost(size, price)  # type: ignore[arg-type]  # bad values on purpose


@pytest.mark.parametrize("rate", [0.07, Decimal(1), Decimal(-1), Decimal("NaN"), 7])
def test_a_bad_fee_rate_is_refused(rate: object) -> None:
    with pytest.raises(InvalidFieldError, match="taker_rate"):
        KalshiFees(taker_rate=rate)  # type: ignore[arg-type]  # bad values on purpose
    with pytest.raises(InvalidFieldError, match="taker_rate"):
        PolymarketFees(taker_rate=rate)  # type: ignore[arg-type]  # bad values on purpose


# --- Polymarket fees ------------------------------------------------------------------------


def test_polymarket_fees_match_the_documented_example() -> None:
    # 10 shares at $0.65 on a crypto market (rate 0.07): $0.15925
    fees = PolymarketFees(taker_rate=Decimal("0.07"))
    assert fees.trade_fee(Decimal(10), Decimal("0.65")) == Decimal("0.15925")
    assert fees.buy_cost(Decimal(10), Decimal("0.65")) == Decimal("6.65925")
    assert fees.sell_proceeds(Decimal(10), Decimal("0.65")) == Decimal("6.34075")
    assert fees.trade_fee(Decimal(10), Decimal("0.65"), maker=True) == 0


@given(grid_prices(), sizes, rates, st.integers(min_value=1, max_value=2))
def test_polymarket_fees_round_up_to_five_decimals(
    grid_price: tuple[PriceGrid, Decimal], size: Decimal, rate: Decimal, exponent: int
) -> None:
    _, price = grid_price
    p = Fraction(price)
    exact = Fraction(rate) * Fraction(size) * (p * (1 - p)) ** exponent
    fee = PolymarketFees(taker_rate=rate, exponent=exponent).trade_fee(size, price)
    assert Fraction(fee) == round_to(exact, quantum(5), up=True)
    assert exact <= Fraction(fee) < exact + quantum(5)


# --- exits: the break-even price ------------------------------------------------------------

fee_schedules = st.one_of(
    st.builds(KalshiFees, taker_rate=rates),
    st.builds(PolymarketFees, taker_rate=rates),
)


@given(
    grid_prices(extra_places=0),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000), places=2),
    fee_schedules,
    st.decimals(min_value=0, max_value=Decimal(1000), places=4),
)
def test_the_break_even_price_recovers_the_cost_and_the_tick_below_does_not(
    grid_price: tuple[PriceGrid, Decimal],
    size: Decimal,
    fees: KalshiFees | PolymarketFees,
    cost: Decimal,
) -> None:
    grid, _ = grid_price
    price = break_even_price(cost, size, grid, fees)
    if price is BreakEven.IMPOSSIBLE:
        assert fees.sell_proceeds(size, grid.max_price) < cost
        return
    assert grid.contains(price)
    assert fees.sell_proceeds(size, price) >= cost
    if price > grid.min_price:
        assert fees.sell_proceeds(size, price - grid.tick) < cost


@given(grid_prices(extra_places=0), st.integers(min_value=1, max_value=1000), fee_schedules)
def test_a_round_trip_breaks_even_above_the_entry_price_when_fees_are_charged(
    grid_price: tuple[PriceGrid, Decimal], count: int, fees: KalshiFees | PolymarketFees
) -> None:
    grid, entry = grid_price
    size = Decimal(count)
    cost = fees.buy_cost(size, entry)
    exit_price = break_even_price(cost, size, grid, fees)
    if fees.taker_rate > 0 and exit_price is not BreakEven.IMPOSSIBLE:
        assert exit_price > entry
    if fees.taker_rate == 0 and isinstance(fees, PolymarketFees):
        assert exit_price == entry  # no fee, no rounding: sell where you bought


def test_an_exit_that_no_price_can_pay_for_is_impossible() -> None:
    grid = PriceGrid(Decimal("0.01"))
    assert break_even_price(Decimal(10), Decimal(10), grid, KalshiFees()) is BreakEven.IMPOSSIBLE
    assert break_even_price(Decimal(0), Decimal(10), grid, KalshiFees()) == Decimal("0.01")
    # bought 10 at $0.50 for $5.18: $0.53 nets $5.12, $0.54 nets $5.22
    assert break_even_price(Decimal("5.18"), Decimal(10), grid, KalshiFees()) == Decimal("0.54")
    with pytest.raises(InvalidFieldError, match="cost"):
        break_even_price(Decimal(-1), Decimal(10), grid, KalshiFees())
