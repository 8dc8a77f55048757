"""Wire amounts of the feed: market grids from Kalshi's price_ranges, and the parse caches."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actors.errors import InvalidFieldError
from actors.feed import PriceGrids
from actors.venues import RejectReason
from actors.venues._amounts import (
    SIZES,
    AmountError,
    PriceParser,
    grid_of_price_ranges,
    kalshi_grid,
    parse_size,
)

D = Decimal


def test_a_market_lists_its_grid_in_price_ranges() -> None:
    ranges = [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}]
    grid = grid_of_price_ranges(ranges, payout=D(1), ticker="A")
    assert (grid.tick, grid.places, grid.min_price, grid.max_price) == (
        D("0.01"),
        4,
        D("0.01"),
        D("0.99"),
    )
    sub_penny = [{"start": "0.0000", "end": "1.0000", "step": "0.0010"}]
    assert grid_of_price_ranges(sub_penny, payout=D(1), ticker="A").tick == D("0.001")


def test_a_tapered_grid_is_read_as_its_finest_step() -> None:
    ranges = [
        {"start": "0.0000", "end": "0.1000", "step": "0.0010"},
        {"start": "0.1000", "end": "0.9000", "step": "0.0100"},
        {"start": "0.9000", "end": "1.0000", "step": "0.0010"},
    ]
    assert grid_of_price_ranges(ranges, payout=D(1), ticker="A").tick == D("0.001")


@pytest.mark.parametrize(
    "ranges",
    [None, [], ["0.01"], [{"step": 0.01}], [{"step": "0.00001"}], [{"step": "0.0030"}]],
)
def test_malformed_price_ranges_are_refused(ranges: object) -> None:
    with pytest.raises(InvalidFieldError):
        grid_of_price_ranges(ranges, payout=D(1), ticker="A")


def test_a_market_without_a_grid_of_its_own_gets_the_default() -> None:
    grids = PriceGrids(grids={"A": kalshi_grid(D("0.001"), ticker="A")})
    assert grids.grid("B") is grids.default
    wider = grids.with_grids({"B": kalshi_grid(D("0.0001"), ticker="B")})
    assert (wider.grid("A").tick, wider.grid("B").tick) == (D("0.001"), D("0.0001"))
    assert grids.grid("B") is grids.default  # the original is unchanged


def test_only_accepted_texts_are_remembered() -> None:
    parser = PriceParser(kalshi_grid())
    assert parser.parse("0.42") == D("0.4200")
    assert parser.parse("0.42") is parser.parse("0.42")
    for bad in ("0.425", "NaN", "1.00", "-0.42"):
        with pytest.raises(AmountError):
            parser.parse(bad)
    assert set(parser.accepted) == {"0.42"}


def test_a_zero_or_negative_size_is_never_remembered_as_a_size() -> None:
    for bad, reason in (("0.00", RejectReason.OUT_OF_RANGE), ("-1.00", RejectReason.NEGATIVE)):
        with pytest.raises(AmountError) as caught:
            parse_size(bad)
        assert caught.value.reason is reason
        assert bad not in SIZES
    assert parse_size("3") == D("3.00")
    assert SIZES["3"] == D("3.00")
