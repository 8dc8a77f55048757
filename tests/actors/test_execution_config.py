"""The execution configuration as validated data, and the pure outcome rules."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from actors.domain import Action, Fill, Position, Side
from actors.errors import InvalidFieldError, InvalidOrder, VenueError
from actors.execution import Deadlines, ExecutionConfig, RateLimit, RetryPolicy
from actors.execution._client import VenueOrder, VenuePosition
from actors.execution._outcome import (
    UnwindNeeded,
    intents_for,
    pair_outcome,
    positions_from,
    unwind_outcome,
)
from actors.execution._workflows import LegResult
from actors.messages import ExecutionReport, Outcome, Reservation
from actors.money import PriceGrid

FIVE = Decimal(5)
RES = Reservation("opp-1", "SIM-001", FIVE, Decimal("0.42"), Decimal("0.55"), Decimal("5.00"))
YES_ID, NO_ID = RES.client_order_ids


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: ExecutionConfig(rest_url="ftp://x"), "rest_url"),
        (lambda: Deadlines(submit=0), "submit"),
        (lambda: Deadlines(query=float("nan")), "query"),
        (lambda: RetryPolicy(max_attempts=0), "max_attempts"),
        (lambda: RetryPolicy(base=1.0, cap=0.5), "cap"),
        (lambda: RateLimit(per_second=0, burst=1), "per_second"),
        (lambda: ExecutionConfig(rest_url="http://x", rate_limits={"a": RateLimit(1, 1)}),
         "rate_limits"),
        (lambda: ExecutionConfig(rest_url="http://x", unwind_slippage=Decimal("-0.01")),
         "unwind_slippage"),
        (lambda: ExecutionConfig(rest_url="http://x", unwind_slippage=0.05), "unwind_slippage"),
        (lambda: ExecutionConfig(rest_url="http://x", unwind_slippage=5), "unwind_slippage"),
        (lambda: ExecutionConfig(rest_url="http://x", unwind_slippage=Decimal("0.00001")),
         "unwind_slippage"),
        (lambda: ExecutionConfig(rest_url="http://x", dry_run=1), "dry_run"),
        (lambda: ExecutionConfig(rest_url="http://x", ledger_retry=0.5), "ledger_retry"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_refused_naming_its_field(make: object, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        make()  # type: ignore[operator]


def test_retry_delays_are_full_jitter_capped_and_seeded() -> None:
    policy = RetryPolicy(max_attempts=3, base=0.1, cap=0.3)
    delays = [policy.delay(n, random.Random(5)) for n in range(6)]

    assert delays == [policy.delay(n, random.Random(5)) for n in range(6)]
    assert all(0 <= d <= min(0.3, 0.1 * 2**n) for n, d in enumerate(delays))
    assert (policy.exhausted(2), policy.exhausted(3)) == (False, True)
    assert not RetryPolicy(max_attempts=None).exhausted(10**6)


def test_the_unwind_slippage_is_five_cents_in_dollars_by_default() -> None:
    assert ExecutionConfig(rest_url="http://x").unwind_slippage == Decimal("0.05")


def leg(side: Side, filled: int | str, *, error: VenueError | None = None) -> LegResult:
    intent = intents_for(RES)[0 if side is Side.YES else 1]
    cid, price, done = intent.client_order_id, intent.price, Decimal(filled)
    fills = (Fill(f"t-{cid}", cid, "SIM-001", side, Action.BUY, price, done),) if done else ()
    status = "executed" if done == FIVE else "canceled"
    order = VenueOrder(
        "o1", cid, "SIM-001", side, Action.BUY, status, price, FIVE, done, FIVE - done
    )
    return LegResult(intent, None if error else order, fills, error)


def test_the_intents_are_checked_against_the_markets_grid() -> None:
    deci_cent = PriceGrid(Decimal("0.001"), places=4)
    sub_penny = Reservation(
        "opp-2", "SIM-001", FIVE, Decimal("0.42"), Decimal("0.555"), Decimal("4.90")
    )
    yes, no = intents_for(sub_penny, deci_cent)
    assert (yes.price, no.price, yes.count) == (Decimal("0.42"), Decimal("0.555"), FIVE)
    with pytest.raises(InvalidFieldError, match="no_price"):
        intents_for(sub_penny, PriceGrid(Decimal("0.01"), places=4))


def report_for(yes: LegResult, no: LegResult) -> ExecutionReport:
    report = pair_outcome(RES, (yes, no))
    assert isinstance(report, ExecutionReport)
    return report


def test_even_fills_are_filled_partial_or_none_and_errors_make_it_failed() -> None:
    assert report_for(leg(Side.YES, 5), leg(Side.NO, 5)).outcome is Outcome.FILLED
    balanced = report_for(leg(Side.YES, 2), leg(Side.NO, 2))
    assert (balanced.outcome, balanced.missing_leg) == (Outcome.PARTIAL, None)
    assert report_for(leg(Side.YES, 0), leg(Side.NO, 0)).outcome is Outcome.NONE
    refused = InvalidOrder("bad", endpoint="POST /portfolio/orders")
    failed = report_for(leg(Side.YES, 0, error=refused), leg(Side.NO, 0))
    assert failed.outcome is Outcome.FAILED
    assert "InvalidOrder" in failed.detail


def test_uneven_fills_ask_for_an_unwind_of_the_longer_leg() -> None:
    need = pair_outcome(RES, (leg(Side.YES, 5), leg(Side.NO, 2)))
    assert need == UnwindNeeded(Side.YES, Decimal(3))

    report = unwind_outcome(RES, (leg(Side.YES, 5), leg(Side.NO, 2)), need, None, "no bid")
    assert (report.outcome, report.missing_leg) == (Outcome.PARTIAL, Side.NO)
    assert YES_ID in report.detail
    assert NO_ID in report.detail
    assert "no bid" in report.detail


def test_fractional_fills_are_compared_and_unwound_exactly() -> None:
    need = pair_outcome(RES, (leg(Side.YES, "2.5"), leg(Side.NO, "2.49")))
    assert need == UnwindNeeded(Side.YES, Decimal("0.01"))
    balanced = report_for(leg(Side.YES, "2.50"), leg(Side.NO, "2.5"))
    assert (balanced.outcome, balanced.missing_leg) == (Outcome.PARTIAL, None)


def test_positions_take_counts_from_the_venue_and_cash_from_fills_plus_netted_pairs() -> None:
    fills = [
        Fill("t1", "a", "SIM-001", Side.YES, Action.BUY, Decimal("0.42"), FIVE,
             fee=Decimal("0.02")),
        Fill("t2", "b", "SIM-001", Side.NO, Action.BUY, Decimal("0.55"), Decimal(2),
             fee=Decimal("0.01")),
    ]  # fmt: skip
    venue = VenuePosition("SIM-001", Decimal(3), Decimal("1.26"), Decimal(0), Decimal("0.03"))
    positions = positions_from(fills, [venue])

    # 5 YES + 2 NO: two pairs netted for $2, 3 YES left
    spent = Decimal("5") * Decimal("0.42") + Decimal(2) * Decimal("0.55") + Decimal("0.03")
    assert positions == (
        Position("SIM-001", yes_count=Decimal(3), no_count=Decimal(0), cash=-spent + 2),
    )
    unnetted = Position("SIM-001", yes_count=FIVE, no_count=Decimal(2), cash=-spent)
    assert positions[0].worst_case_pnl == unnetted.worst_case_pnl


def test_fractional_positions_are_exact() -> None:
    fills = [
        Fill("t1", "a", "SIM-001", Side.NO, Action.BUY, Decimal("0.5550"), Decimal("2.50"),
             fee=Decimal("0.004341")),
        Fill("t2", "a", "SIM-001", Side.NO, Action.SELL, Decimal("0.6000"), Decimal("0.75"),
             fee=Decimal("0.0032")),
    ]  # fmt: skip
    venue = VenuePosition("SIM-001", Decimal("-1.75"), Decimal(0), Decimal(0), Decimal(0))
    (position,) = positions_from(fills, [venue])
    cash = -Decimal("1.3875") - Decimal("0.004341") + Decimal("0.45") - Decimal("0.0032")
    assert position == Position(
        "SIM-001", yes_count=Decimal(0), no_count=Decimal("1.75"), cash=cash
    )
