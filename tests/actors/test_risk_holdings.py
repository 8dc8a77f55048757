"""Risk's books of holdings: pair profit realised when a pair forms, the cost basis of
unmatched contracts as exposure, fills counted once, realised P&L per UTC day."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Fill, Position, Side
from actors.errors import InvalidFieldError
from actors.risk import Holding
from actors.risk._holdings import SHARE_QUANTUM
from actors.risk._positions import PositionBook

NOON = datetime.datetime(2027, 1, 15, 12, tzinfo=datetime.UTC).timestamp()
ONE = D(1)


def _fill(
    side: Side,
    count: D | int,
    price: D | str,
    *,
    action: Action = Action.BUY,
    fee: D | str = D(0),
    n: int = 1,
) -> Fill:
    return Fill(f"t-{n}", f"c-{side.value}", "KX-A", side, action, D(price), D(count), fee=D(fee))


def _apply(*fills: Fill) -> Holding:
    holding = Holding.empty("KX-A", ONE)
    for fill in fills:
        holding = holding.apply(fill)
    return holding


def test_one_leg_is_exposed_for_its_whole_cost() -> None:
    holding = _apply(_fill(Side.YES, 10, "0.40", fee="0.17"))
    assert (holding.exposure, holding.realised) == (D("4.17"), 0)


def test_a_completed_pair_realises_payout_less_cost_and_fees_and_exposes_nothing() -> None:
    holding = _apply(
        _fill(Side.YES, 10, "0.40", fee="0.17"), _fill(Side.NO, 10, "0.55", fee="0.18")
    )
    assert holding.exposure == 0
    assert holding.realised == D("10.00") - D("4.00") - D("5.50") - D("0.17") - D("0.18")


def test_a_partly_matched_fill_realises_the_pairs_and_exposes_the_rest() -> None:
    holding = _apply(_fill(Side.YES, 10, "0.40", fee="0.10"), _fill(Side.NO, 4, "0.55", fee="0.04"))
    # 4 pairs: 4.00 - 4 x 0.41 (average YES cost) - 4 x 0.56 = 0.12; 6 YES left at 0.41 each
    assert (holding.realised, holding.exposure) == (D("0.12"), D("2.46"))
    holding = holding.apply(_fill(Side.NO, 10, "0.50", fee="0.10", n=2))
    # 6 more pairs at 0.41 + 0.51; 4 NO left at 0.51
    assert (holding.realised, holding.exposure) == (
        D("0.12") + D("6.00") - D("2.46") - D("3.06"),
        D("2.04"),
    )
    assert holding.excess_side is Side.NO


def test_fractional_contracts_at_sub_penny_prices_are_costed_exactly() -> None:
    holding = _apply(_fill(Side.YES, D("2.50"), "0.4012", fee="0.0176"))
    assert holding.exposure == D("2.50") * D("0.4012") + D("0.0176")  # 1.0206, not rounded
    holding = holding.apply(_fill(Side.NO, D("1.25"), "0.5507", fee="0.0087", n=2))
    # half the YES cost is matched: 0.5103; the pair pays 1.25
    assert holding.exposure == D("0.5103")
    assert holding.realised == D("1.25") - D("0.5103") - D("1.25") * D("0.5507") - D("0.0087")


def test_a_share_that_does_not_divide_is_rounded_down_and_stays_exposed() -> None:
    holding = _apply(_fill(Side.YES, 3, "0.10", fee="0.01"))  # 0.31 for 3: 0.10333... each
    holding = holding.apply(_fill(Side.NO, 1, "0.80", n=2))
    # one YES matched at 0.103333 (rounded down): the rest, 0.206667, stays exposed
    assert holding.exposure == D("0.31") - D("0.103333")
    assert holding.realised == ONE - D("0.103333") - D("0.80")
    assert holding.position.worst_case_pnl == holding.realised - holding.open_cost


def test_an_unwind_at_a_lower_price_realises_the_loss() -> None:
    holding = _apply(
        _fill(Side.YES, 10, "0.40", fee="0.17"),
        _fill(Side.YES, 10, "0.15", action=Action.SELL, fee="0.09", n=2),
    )
    assert (holding.exposure, holding.realised) == (0, D("1.50") - D("0.09") - D("4.17"))


def test_selling_out_of_pairs_leaves_the_other_leg_exposed() -> None:
    paired = _apply(_fill(Side.YES, 10, "0.40"), _fill(Side.NO, 10, "0.55"))
    holding = paired.apply(_fill(Side.YES, 4, "0.70", action=Action.SELL, fee="0.03", n=2))
    assert holding.excess_side is Side.NO
    assert holding.exposure == 4 * (ONE - D("0.70"))
    assert holding.realised == paired.realised - D("0.03")


def _position(yes: int = 0, no: int = 0, cash: str = "0") -> Position:
    return Position("KX-A", yes_count=D(yes), no_count=D(no), cash=D(cash))


def test_a_reported_position_is_costed_conservatively() -> None:
    unmatched = Holding.seeded(_position(15, 5, "-10.00"))
    assert unmatched.exposure == D("10.00")  # at most what was paid
    cheap = Holding.seeded(_position(15, 5, "-50.00"))
    assert cheap.exposure == 10 * ONE  # at most the payout each
    unknown = Holding.seeded(_position(yes=3))
    assert unknown.exposure == D("3.00")
    assert Holding.seeded(_position(5, 5, "-4.80")).exposure == 0


_fills = st.lists(
    st.tuples(
        st.sampled_from(Side),
        st.sampled_from(Action),
        st.integers(min_value=1, max_value=5_000).map(lambda n: D(n).scaleb(-2)),  # 0.01-50.00
        st.integers(min_value=1, max_value=9_999).map(lambda n: D(n).scaleb(-4)),  # 0.0001-0.9999
        st.integers(min_value=0, max_value=2_000).map(lambda n: D(n).scaleb(-4)),  # 0-0.20
    ),
    max_size=40,
)


@given(_fills)
def test_the_worst_case_pnl_is_always_realised_minus_open_cost(fills: list) -> None:
    holding = Holding.seeded(_position(7, 2, "-6.00"))
    for n, (side, action, count, price, fee) in enumerate(fills):
        held = holding.position.count(side)
        if action is Action.SELL and held < count:
            continue
        holding = holding.apply(_fill(side, count, price, action=action, fee=fee, n=n))
        assert holding.position.worst_case_pnl == holding.realised - holding.open_cost
        assert holding.open_cost >= 0
        assert holding.excess_side is not None or holding.open_cost == 0
        for amount in (holding.open_cost, holding.realised):
            assert isinstance(amount, D)
            assert amount == amount.quantize(SHARE_QUANTUM)  # never more than 6 decimals


def test_the_book_counts_each_fill_once_and_refuses_one_that_does_not_fit() -> None:
    book = PositionBook()
    assert book.book(_fill(Side.YES, 10, "0.40"), NOON)
    assert not book.book(_fill(Side.YES, 10, "0.40"), NOON)
    assert book.positions()["KX-A"].yes_count == D(10)
    with pytest.raises(InvalidFieldError) as caught:
        book.book(_fill(Side.NO, 1, "0.50", action=Action.SELL, n=9), NOON)
    assert caught.value.field == "no_count"
    assert book.book(_fill(Side.NO, 1, "0.50", action=Action.BUY, n=9), NOON)  # not marked seen


def test_realised_pnl_belongs_to_the_utc_day_it_was_booked() -> None:
    book = PositionBook()
    book.book(_fill(Side.YES, 10, "0.40"), NOON)
    book.book(_fill(Side.YES, 10, "0.30", action=Action.SELL, n=2), NOON)
    assert book.realised_today(NOON + 11 * 3600) == D("-1.00")
    assert book.day == "2027-01-15"
    assert book.realised_today(NOON + 12 * 3600) == 0
    assert book.day == "2027-01-16"


def test_a_clock_that_steps_back_finds_that_days_total_again() -> None:
    book = PositionBook()
    book.book(_fill(Side.YES, 10, "0.40"), NOON)
    book.book(_fill(Side.YES, 10, "0.30", action=Action.SELL, n=2), NOON)
    three_days = 3 * 86_400
    assert book.realised_today(NOON + three_days) == 0  # a clock stepped forward
    book.book(_fill(Side.YES, 10, "0.40", n=3), NOON + three_days)
    book.book(_fill(Side.YES, 10, "0.35", action=Action.SELL, n=4), NOON + three_days)
    assert book.realised_today(NOON + three_days) == D("-0.50")
    assert book.realised_today(NOON) == D("-1.00")  # ... and back: the loss is still counted
    assert book.day == "2027-01-15"
    assert book.realised_total == D("-1.50")


def test_fills_replayed_out_of_day_order_count_for_their_own_day() -> None:
    book = PositionBook()
    book.book(_fill(Side.YES, 10, "0.40"), NOON)
    book.book(_fill(Side.YES, 10, "0.30", action=Action.SELL, n=2), NOON)
    book.book(_fill(Side.YES, 10, "0.40", n=3), NOON - 86_400)  # recorded under a clock set back
    book.book(_fill(Side.YES, 10, "0.20", action=Action.SELL, n=4), NOON - 86_400)
    assert book.realised_today(NOON) == D("-1.00")
    assert book.realised_today(NOON - 86_400) == D("-2.00")


def test_adopting_the_venues_view_keeps_agreeing_markets_exact() -> None:
    book = PositionBook()
    book.book(_fill(Side.YES, 10, "0.40", fee="0.17"), NOON)
    other = Position("KX-B", yes_count=D(0), no_count=D(3), cash=D("-1.50"))

    changed = book.adopt([Position("KX-A", yes_count=D(10), cash=D("-9.99")), other])

    assert changed == ["KX-B"]
    assert book.exposure_by_market() == {"KX-A": D("4.17"), "KX-B": D("1.50")}
    assert book.adopt([other]) == ["KX-A"]
    assert book.exposure_by_market() == {"KX-B": D("1.50")}


def test_a_venue_that_nets_pairs_into_cash_agrees_with_books_that_keep_both_legs() -> None:
    book = PositionBook()
    book.book(_fill(Side.YES, 10, "0.40"), NOON)
    book.book(_fill(Side.NO, 6, "0.55"), NOON)
    netted = Position("KX-A", yes_count=D(4), cash=D("-7.30") + D("6.00"))

    assert book.differences([netted]) == []
    assert book.adopt([netted]) == []
    assert book.exposure_by_market() == {"KX-A": D("1.60")}  # exact: 4 YES at 0.40


def test_fractional_net_positions_are_compared_exactly() -> None:
    book = PositionBook()
    book.book(_fill(Side.YES, D("2.55"), "0.40"), NOON)
    assert book.differences([Position("KX-A", yes_count=D("2.55"), cash=D("-1.02"))]) == []
    assert book.differences([Position("KX-A", yes_count=D("2.54"), cash=D("-1.02"))]) == ["KX-A"]
