"""Exact money in the chaos harness (issue 12 item 1): the evidence readers take the
venue's fixed-point strings and nothing else, the checkers compare exactly, and
report.json writes money as strings."""

from __future__ import annotations

import json
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.warden.test_chaos_checkers import T0, D, Venue, healthy, ledger_fill
from warden.chaos import check_all
from warden.chaos._checkers import ledger_fills_equal_venue, positions_and_cash_equal
from warden.chaos._exposure import exposure_within_limits
from warden.chaos._history import Poll, VenueFinal, fixed_point
from warden.chaos._report import plain


def test_a_sub_penny_fee_that_differs_by_a_ten_thousandth_is_witnessed() -> None:
    """Sub-penny prices and fees are compared exactly: no rounding to cents hides a
    $0.0001 difference between the ledger and the venue."""
    venue = Venue()
    order = venue.order(T0 + 1.0, "cy", "yes", D("0.4050"), D("2.50"))
    fill = venue.fill(T0 + 1.0, order, D("2.50"), fee=D("0.0532"))
    ev = healthy()
    assert ev.ledger is not None
    same = attrs.evolve(
        ev, truth=(order, fill), ledger=attrs.evolve(ev.ledger, fills=(ledger_fill(fill),))
    )
    assert ledger_fills_equal_venue(same).status == "held"
    off = attrs.evolve(ledger_fill(fill), fee=D("0.0533"))
    result = ledger_fills_equal_venue(
        attrs.evolve(same, ledger=attrs.evolve(ev.ledger, fills=(off,)))
    )
    assert result.status == "violated"
    assert result.witnesses[0]["venue"]["fee"] == D("0.0532")


def test_cash_off_by_a_ten_thousandth_of_a_dollar_is_witnessed() -> None:
    ev = healthy()
    final = ev.venue_final | {"balance_dollars": "10000.4799"}
    result = positions_and_cash_equal(attrs.evolve(ev, venue_final=final))
    assert result.status == "violated"
    assert result.witnesses == [{"cash_change_ledger": D("0.48"), "cash_change_venue": D("0.4799")}]


def test_an_exposure_of_exactly_the_limit_holds_and_one_hundredth_more_does_not() -> None:
    """Exact comparison at the boundary: an open buy of 100 at $0.50 risks $50.00 plus
    Kalshi's 7% taker fee 0.07 x 100 x 0.5 x 0.5 = $1.75, so $51.75 in all."""
    venue = Venue()
    order = venue.order(T0, "edge", "yes", D("0.50"), D(100))
    venue.cancel(T0 + 0.1, order)
    ev = attrs.evolve(healthy(), truth=tuple(venue.entries))
    at_limit = attrs.evolve(ev, config=ev.config | {"max_market_exposure": "51.75"})
    result = exposure_within_limits(at_limit)
    assert (result.status, result.counts["peak_market"]) == ("held", D("51.75"))
    tighter = attrs.evolve(ev, config=ev.config | {"max_market_exposure": "51.74"})
    assert exposure_within_limits(tighter).status == "violated"


@pytest.mark.parametrize(
    "old",
    [
        {"count": 10},  # the integer-count wire
        {"count_fp": 10},  # a number where a string is required
        {"fee_cost": 1},
        {"yes_price_dollars": 0.4, "no_price_dollars": 0.6},
    ],
)
def test_a_truth_record_of_the_old_or_a_numeric_wire_is_unknown_not_guessed(
    old: dict[str, object],
) -> None:
    ev = healthy()
    fill = ev.truth[1]
    record = {k: v for k, v in fill["record"].items() if k != "count_fp"} | old
    if "count" not in old:
        record["count_fp"] = old.get("count_fp", fill["record"]["count_fp"])
    truth = (ev.truth[0], fill | {"record": record}, *ev.truth[2:])
    results = {r.name: r.status for r in check_all(attrs.evolve(ev, truth=truth))}
    for name in ("exposure_within_limits", "ledger_fills_equal_venue", "daily_loss_within_limit"):
        assert results[name] == "unknown", (name, results)


@pytest.mark.parametrize(
    "part",
    [{"balance_dollars": 10000.48}, {"reserved_dollars": 0}, {"positions": {"SIM-001": 0}}],
)
def test_a_venue_final_state_with_a_number_for_money_is_unknown(part: dict[str, object]) -> None:
    ev = healthy()
    with pytest.raises(ValueError, match="fixed-point"):
        VenueFinal.from_json(ev.venue_final | part)
    results = {
        r.name: r.status for r in check_all(attrs.evolve(ev, venue_final=ev.venue_final | part))
    }
    assert results["positions_and_cash_equal"] == "unknown"


@given(
    st.decimals(
        min_value=Decimal("-1000000"),
        max_value=Decimal("1000000"),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_fixed_point_text_round_trips_exactly(value: Decimal) -> None:
    text = plain(value)
    assert isinstance(text, str)
    assert "E" not in text
    back = fixed_point(text, "amount")
    assert back == value
    assert str(back) == text


@pytest.mark.parametrize("bad", [1, 0.5, True, None, "1e3", " 1.00", "NaN", "+1.00", "1.", ".5"])
def test_fixed_point_refuses_anything_but_fixed_point_text(bad: object) -> None:
    with pytest.raises(ValueError, match="fixed-point"):
        fixed_point(bad, "amount")


def test_a_polls_exposure_is_journaled_as_a_string_and_read_back_exactly() -> None:
    poll = Poll(t=T0, exposure=D("12.3400"))
    event = poll.to_event()
    assert event["exposure"] == "12.3400"
    assert Poll.from_event({"t": T0, **json.loads(json.dumps(event))}).exposure == D("12.34")
    with pytest.raises(TypeError, match="fixed-point"):
        Poll.from_event({"t": T0, "exposure": 1234})


def test_report_json_writes_every_amount_as_a_string() -> None:
    result = exposure_within_limits(healthy())
    written = json.loads(json.dumps(plain(result.to_json())))
    counts = written["counts"]
    assert counts["max_total_exposure"] == "200.00"
    assert counts["max_market_exposure"] == "50.00"
    assert isinstance(counts["peak_total"], str)
    assert Decimal(counts["peak_total"]) == result.counts["peak_total"]
    assert counts["venue_entries"] == 4  # counts of things stay numbers
