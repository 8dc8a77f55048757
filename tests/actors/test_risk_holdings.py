"""Risk's books of holdings: pair profit realised when a pair forms, the cost basis of
unmatched contracts as exposure, fills counted once, realised P&L per UTC day."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Fill, Position, Side
from actors.errors import InvalidFieldError
from actors.risk import Holding
from actors.risk._positions import PositionBook
from tests.actors.strategies import prices

NOON = datetime.datetime(2027, 1, 15, 12, tzinfo=datetime.UTC).timestamp()


def _fill(
    side: Side, count: int, price: int, *, action: Action = Action.BUY, fee: int = 0, n: int = 1
) -> Fill:
    return Fill(f"t-{n}", f"c-{side.value}", "KX-A", side, action, price, count, fee_cents=fee)


def _apply(*fills: Fill) -> Holding:
    holding = Holding.empty("KX-A", 100)
    for fill in fills:
        holding = holding.apply(fill)
    return holding


def test_one_leg_is_exposed_for_its_whole_cost() -> None:
    holding = _apply(_fill(Side.YES, 10, 40, fee=17))
    assert (holding.exposure_cents, holding.realised_cents) == (417, 0)


def test_a_completed_pair_realises_payout_less_cost_and_fees_and_exposes_nothing() -> None:
    holding = _apply(_fill(Side.YES, 10, 40, fee=17), _fill(Side.NO, 10, 55, fee=18))
    assert holding.exposure_cents == 0
    assert holding.realised_cents == 1_000 - 400 - 550 - 17 - 18


def test_a_partly_matched_fill_realises_the_pairs_and_exposes_the_rest() -> None:
    holding = _apply(_fill(Side.YES, 10, 40, fee=10), _fill(Side.NO, 4, 55, fee=4))
    # 4 pairs: 400 - 4*41 (average YES cost) - 4*56 = 12; 6 YES left at 41 each
    assert (holding.realised_cents, holding.exposure_cents) == (12, 246)
    holding = holding.apply(_fill(Side.NO, 10, 50, fee=10, n=2))
    # 6 more pairs at 41 + 51; 4 NO left at 51
    assert (holding.realised_cents, holding.exposure_cents) == (12 + 600 - 246 - 306, 204)
    assert holding.excess_side is Side.NO


def test_an_unwind_at_a_lower_price_realises_the_loss() -> None:
    holding = _apply(
        _fill(Side.YES, 10, 40, fee=17), _fill(Side.YES, 10, 15, action=Action.SELL, fee=9, n=2)
    )
    assert (holding.exposure_cents, holding.realised_cents) == (0, 150 - 9 - 417)


def test_selling_out_of_pairs_leaves_the_other_leg_exposed() -> None:
    paired = _apply(_fill(Side.YES, 10, 40), _fill(Side.NO, 10, 55))
    holding = paired.apply(_fill(Side.YES, 4, 70, action=Action.SELL, fee=3, n=2))
    assert holding.excess_side is Side.NO
    assert holding.exposure_cents == 4 * (100 - 70)
    assert holding.realised_cents == paired.realised_cents - 3


def test_a_reported_position_is_costed_conservatively() -> None:
    unmatched = Holding.seeded(Position("KX-A", yes_count=15, no_count=5, cash_cents=-1_000))
    assert unmatched.exposure_cents == 1_000  # at most what was paid
    cheap = Holding.seeded(Position("KX-A", yes_count=15, no_count=5, cash_cents=-5_000))
    assert cheap.exposure_cents == 10 * 100  # at most the payout each
    unknown = Holding.seeded(Position("KX-A", yes_count=3))
    assert unknown.exposure_cents == 300
    assert (
        Holding.seeded(Position("KX-A", yes_count=5, no_count=5, cash_cents=-480)).exposure_cents
        == 0
    )


_fills = st.lists(
    st.tuples(
        st.sampled_from(Side),
        st.sampled_from(Action),
        st.integers(min_value=1, max_value=50),
        prices,
        st.integers(min_value=0, max_value=20),
    ),
    max_size=40,
)


@given(_fills)
def test_the_worst_case_pnl_is_always_realised_minus_open_cost(fills: list) -> None:
    holding = Holding.seeded(Position("KX-A", yes_count=7, no_count=2, cash_cents=-600))
    for n, (side, action, count, price, fee) in enumerate(fills):
        held = holding.position.count(side)
        if action is Action.SELL and held < count:
            continue
        holding = holding.apply(_fill(side, count, price, action=action, fee=fee, n=n))
        assert (
            holding.position.worst_case_pnl_cents
            == holding.realised_cents - holding.open_cost_cents
        )
        assert holding.open_cost_cents >= 0
        assert holding.excess_side is not None or holding.open_cost_cents == 0


def test_the_book_counts_each_fill_once_and_refuses_one_that_does_not_fit() -> None:
    book = PositionBook()
    assert book.book(_fill(Side.YES, 10, 40), NOON)
    assert not book.book(_fill(Side.YES, 10, 40), NOON)
    assert book.positions()["KX-A"].yes_count == 10
    with pytest.raises(InvalidFieldError) as caught:
        book.book(_fill(Side.NO, 1, 50, action=Action.SELL, n=9), NOON)
    assert caught.value.field == "no_count"
    assert book.book(_fill(Side.NO, 1, 50, action=Action.BUY, n=9), NOON)  # not marked seen


def test_realised_pnl_belongs_to_the_utc_day_it_was_booked() -> None:
    book = PositionBook()
    book.book(_fill(Side.YES, 10, 40), NOON)
    book.book(_fill(Side.YES, 10, 30, action=Action.SELL, n=2), NOON)
    assert book.realised_today(NOON + 11 * 3600) == -100
    assert book.day == "2027-01-15"
    assert book.realised_today(NOON + 12 * 3600) == 0
    assert book.day == "2027-01-16"


def test_a_clock_that_steps_back_finds_that_days_total_again() -> None:
    book = PositionBook()
    book.book(_fill(Side.YES, 10, 40), NOON)
    book.book(_fill(Side.YES, 10, 30, action=Action.SELL, n=2), NOON)
    three_days = 3 * 86_400
    assert book.realised_today(NOON + three_days) == 0  # a clock stepped forward
    book.book(_fill(Side.YES, 10, 40, n=3), NOON + three_days)
    book.book(_fill(Side.YES, 10, 35, action=Action.SELL, n=4), NOON + three_days)
    assert book.realised_today(NOON + three_days) == -50
    assert book.realised_today(NOON) == -100  # ... and back: the loss is still counted
    assert book.day == "2027-01-15"
    assert book.realised_total == -150


def test_fills_replayed_out_of_day_order_count_for_their_own_day() -> None:
    book = PositionBook()
    book.book(_fill(Side.YES, 10, 40), NOON)
    book.book(_fill(Side.YES, 10, 30, action=Action.SELL, n=2), NOON)
    book.book(_fill(Side.YES, 10, 40, n=3), NOON - 86_400)  # recorded under a clock set back
    book.book(_fill(Side.YES, 10, 20, action=Action.SELL, n=4), NOON - 86_400)
    assert book.realised_today(NOON) == -100
    assert book.realised_today(NOON - 86_400) == -200


def test_adopting_the_venues_view_keeps_agreeing_markets_exact() -> None:
    book = PositionBook()
    book.book(_fill(Side.YES, 10, 40, fee=17), NOON)
    other = Position("KX-B", yes_count=0, no_count=3, cash_cents=-150)

    changed = book.adopt([Position("KX-A", yes_count=10, cash_cents=-999), other])

    assert changed == ["KX-B"]
    assert book.exposure_by_market() == {"KX-A": 417, "KX-B": 150}
    assert book.adopt([other]) == ["KX-A"]
    assert book.exposure_by_market() == {"KX-B": 150}


def test_a_venue_that_nets_pairs_into_cash_agrees_with_books_that_keep_both_legs() -> None:
    book = PositionBook()
    book.book(_fill(Side.YES, 10, 40), NOON)
    book.book(_fill(Side.NO, 6, 55), NOON)
    netted = Position("KX-A", yes_count=4, cash_cents=-730 + 600)

    assert book.differences([netted]) == []
    assert book.adopt([netted]) == []
    assert book.exposure_by_market() == {"KX-A": 160}  # exact: 4 YES at 40
