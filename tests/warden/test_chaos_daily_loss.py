"""Invariant 11 on synthetic venue truth: the day's realised loss never passes
``max_daily_loss_cents`` by more than one reservation's worst case, across restarts."""

from __future__ import annotations

import datetime

import attrs

from tests.warden.test_chaos_checkers import Venue, daemon_line, healthy
from warden.chaos import Evidence
from warden.chaos._money import daily_loss_within_limit

DAY_ONE = datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC).timestamp()
DAY_TWO = DAY_ONE + 86_400.0
LIMIT = 1000  # the healthy ledger's one reservation is 952c: the bound is 1952c


def losing_rounds(venue: Venue, start: float, rounds: int) -> None:
    """Buy 10 YES at 60c (1c fee), sell them at 5c (1c fee): 552c realised loss a round."""
    for i in range(rounds):
        t = start + 10.0 * i
        buy = venue.order(t, f"b{start}-{i}", "yes", 60, 10)
        venue.fill(t, buy, 10)
        sell = venue.order(t + 1, f"s{start}-{i}", "yes", 5, 10, action="sell")
        venue.fill(t + 1, sell, 10)


def evidence(venue: Venue, *restarts: float) -> Evidence:
    ev = healthy()
    daemon = tuple(daemon_line(t, "start", 100 + i) for i, t in enumerate(restarts))
    config = ev.config | {"max_daily_loss_cents": LIMIT}
    return attrs.evolve(ev, truth=tuple(venue.entries), daemon=daemon, config=config)


def test_losses_past_the_limit_and_one_reservation_within_a_day_are_witnessed() -> None:
    """The planted bug of issue 10 item 3: each new process starts its day at zero, so
    four losing rounds go through in one UTC day although the limit is 1000c."""
    venue = Venue()
    losing_rounds(venue, DAY_ONE, 4)
    result = daily_loss_within_limit(evidence(venue, DAY_ONE + 5, DAY_ONE + 25))
    assert result.status == "violated", result
    (witness,) = result.witnesses
    assert witness["day"] == "2026-12-01"
    assert witness["realised_loss_cents"] == 4 * 552
    assert witness["fill"] == venue.entries[-1]  # the fill that crossed 1952c
    assert witness["losing_fills_that_day"] == 4
    assert result.counts["allowed_loss_cents"] == LIMIT + 952


def test_the_same_losses_spread_over_two_utc_days_hold() -> None:
    venue = Venue()
    losing_rounds(venue, DAY_ONE, 3)  # 1656c <= 1952c
    losing_rounds(venue, DAY_TWO, 3)
    result = daily_loss_within_limit(evidence(venue))
    assert result.status == "held", result
    assert result.counts["peak_loss_cents_by_day"] == {"2026-12-01": 1656, "2026-12-02": 1656}


def test_pair_profits_offset_losses_as_risk_counts_them() -> None:
    venue = Venue()
    losing_rounds(venue, DAY_ONE, 3)
    yes = venue.order(DAY_ONE + 100, "py", "yes", 40, 10)
    venue.fill(DAY_ONE + 100, yes, 10)
    no = venue.order(DAY_ONE + 101, "pn", "no", 55, 10)
    venue.fill(DAY_ONE + 101, no, 10)  # a pair: +48c realised
    losing_rounds(venue, DAY_ONE + 200, 1)
    result = daily_loss_within_limit(evidence(venue))
    assert result.counts["realised_cents_by_day"] == {"2026-12-01": -4 * 552 + 48}
    assert result.status == "violated"


def test_without_any_reservation_amount_the_bound_and_so_the_answer_is_unknown() -> None:
    venue = Venue()
    losing_rounds(venue, DAY_ONE, 4)
    ev = attrs.evolve(evidence(venue), ledger=None, daemon=None)
    result = daily_loss_within_limit(ev)
    assert result.status == "unknown"
    assert "reservation" in result.detail


def test_without_venue_truth_the_answer_is_unknown() -> None:
    result = daily_loss_within_limit(attrs.evolve(healthy(), truth=()))
    assert result.status == "unknown"
    assert "venue truth" in result.detail
