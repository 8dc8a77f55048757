"""Invariant 11 on synthetic venue truth: the day's realised loss never passes
``max_daily_loss`` by more than one reservation's worst case, across restarts."""

from __future__ import annotations

import datetime

import attrs

from tests.warden.test_chaos_checkers import D, Venue, daemon_line, healthy
from warden.chaos import Evidence
from warden.chaos._money import daily_loss_within_limit

DAY_ONE = datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC).timestamp()
DAY_TWO = DAY_ONE + 86_400.0
LIMIT = D("10.00")  # the healthy ledger's one reservation is $9.52: the bound is $19.52


def losing_rounds(venue: Venue, start: float, rounds: int) -> None:
    """Buy 10 YES at $0.60 ($0.01 fee), sell them at $0.05 ($0.01 fee): $5.52 realised
    loss a round."""
    for i in range(rounds):
        t = start + 10.0 * i
        buy = venue.order(t, f"b{start}-{i}", "yes", D("0.60"), D(10))
        venue.fill(t, buy, D(10))
        sell = venue.order(t + 1, f"s{start}-{i}", "yes", D("0.05"), D(10), action="sell")
        venue.fill(t + 1, sell, D(10))


def evidence(venue: Venue, *restarts: float) -> Evidence:
    ev = healthy()
    daemon = tuple(daemon_line(t, "start", 100 + i) for i, t in enumerate(restarts))
    config = ev.config | {"max_daily_loss": f"{LIMIT:f}"}
    return attrs.evolve(ev, truth=tuple(venue.entries), daemon=daemon, config=config)


def test_losses_past_the_limit_and_one_reservation_within_a_day_are_witnessed() -> None:
    """The planted bug of issue 10 item 3: each new process starts its day at zero, so
    four losing rounds go through in one UTC day although the limit is $10.00."""
    venue = Venue()
    losing_rounds(venue, DAY_ONE, 4)
    result = daily_loss_within_limit(evidence(venue, DAY_ONE + 5, DAY_ONE + 25))
    assert result.status == "violated", result
    (witness,) = result.witnesses
    assert witness["day"] == "2026-12-01"
    assert witness["realised_loss"] == 4 * D("5.52")
    assert witness["fill"] == venue.entries[-1]  # the fill that crossed $19.52
    assert witness["losing_fills_that_day"] == 4
    assert result.counts["allowed_loss"] == LIMIT + D("9.52")


def test_the_same_losses_spread_over_two_utc_days_hold() -> None:
    venue = Venue()
    losing_rounds(venue, DAY_ONE, 3)  # $16.56 <= $19.52
    losing_rounds(venue, DAY_TWO, 3)
    result = daily_loss_within_limit(evidence(venue))
    assert result.status == "held", result
    assert result.counts["peak_loss_by_day"] == {
        "2026-12-01": D("16.56"),
        "2026-12-02": D("16.56"),
    }


def test_pair_profits_offset_losses_as_risk_counts_them() -> None:
    venue = Venue()
    losing_rounds(venue, DAY_ONE, 3)
    yes = venue.order(DAY_ONE + 100, "py", "yes", D("0.40"), D(10))
    venue.fill(DAY_ONE + 100, yes, D(10))
    no = venue.order(DAY_ONE + 101, "pn", "no", D("0.55"), D(10))
    venue.fill(DAY_ONE + 101, no, D(10))  # a pair: +$0.48 realised
    losing_rounds(venue, DAY_ONE + 200, 1)
    result = daily_loss_within_limit(evidence(venue))
    assert result.counts["realised_by_day"] == {"2026-12-01": -4 * D("5.52") + D("0.48")}
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


def test_a_limit_in_cents_is_not_read_as_dollars() -> None:
    """A cents-era integer limit (5000) is as good as absent: the answer is unknown,
    never a check against $5000."""
    venue = Venue()
    losing_rounds(venue, DAY_ONE, 4)
    ev = evidence(venue)
    result = daily_loss_within_limit(attrs.evolve(ev, config=ev.config | {"max_daily_loss": 5000}))
    assert result.status == "unknown"
    assert "max_daily_loss" in result.detail


def test_a_fill_whose_fee_is_a_number_is_not_replayed() -> None:
    """The old integer-cent wire (``"fee": 1``) or a float fee is refused, not guessed."""
    venue = Venue()
    losing_rounds(venue, DAY_ONE, 1)
    entry = venue.entries[1]
    entry["record"] = {**entry["record"], "fee_cost": 0.01}
    result = daily_loss_within_limit(evidence(venue))
    assert result.status == "unknown"
    assert "fee_cost" in result.detail
