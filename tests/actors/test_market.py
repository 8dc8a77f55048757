"""Markets: ticker, tick grid and status."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Market, MarketStatus, Side
from actors.errors import InvalidFieldError
from tests.actors.strategies import bad_prices, tickers


@given(tickers, st.sampled_from([1, 2, 4, 5, 10, 20, 25, 50]), st.sampled_from(MarketStatus))
def test_a_market_with_a_tick_dividing_the_payout_constructs(
    ticker: str, tick: int, status: MarketStatus
) -> None:
    market = Market(ticker, tick, status)
    assert market.is_tradable == (status is MarketStatus.OPEN)


@pytest.mark.parametrize("tick", [0, -1, 3, 7, 1.0, True, None, 100, 200])
def test_a_market_rejects_a_tick_that_leaves_no_price_grid(tick: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Market("KX-A", tick, MarketStatus.OPEN)  # type: ignore[arg-type]
    assert caught.value.field == "tick_size_cents"
    assert caught.value.value is tick
    assert caught.value.ticker == "KX-A"


def test_a_coarse_tick_allows_only_its_multiples() -> None:
    market = Market("KX-A", 50, MarketStatus.OPEN)
    assert market.check_price(50) == 50
    with pytest.raises(InvalidFieldError):
        market.check_price(25)


@pytest.mark.parametrize("status", ["open", None, 1])
def test_a_market_status_must_be_a_market_status(status: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Market("KX-A", 1, status)  # type: ignore[arg-type]
    assert caught.value.field == "status"


def test_a_price_off_the_tick_grid_is_rejected_naming_the_market() -> None:
    market = Market("KX-A", 5, MarketStatus.OPEN)
    assert market.check_price(35) == 35
    with pytest.raises(InvalidFieldError) as caught:
        market.check_price(37, field="yes_ask")
    assert caught.value.field == "yes_ask"
    assert caught.value.value == 37
    assert caught.value.ticker == "KX-A"


@given(bad_prices)
def test_a_price_outside_the_payout_is_rejected_by_the_market(price: object) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        Market("KX-A", 1, MarketStatus.OPEN).check_price(price)
    assert caught.value.value is price


def test_each_side_has_the_other_as_complement() -> None:
    assert Side.YES.other is Side.NO
    assert Side.NO.other is Side.YES
