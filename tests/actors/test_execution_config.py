"""The execution configuration as validated data, and the pure outcome rules."""

from __future__ import annotations

import random

import pytest

from actors.domain import Action, Fill, Position, Side
from actors.errors import InvalidOrder, VenueError
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

RES = Reservation("opp-1", "SIM-001", 5, 42, 55, 500)
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
        (lambda: ExecutionConfig(rest_url="http://x", unwind_slippage_cents=-1), "unwind_slippage"),
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


def leg(side: Side, filled: int, *, error: VenueError | None = None) -> LegResult:
    intent = intents_for(RES)[0 if side is Side.YES else 1]
    cid, price = intent.client_order_id, intent.price
    fills = (Fill(f"t-{cid}", cid, "SIM-001", side, Action.BUY, price, filled),) if filled else ()
    status = "executed" if filled == 5 else "canceled"
    order = VenueOrder("o1", cid, "SIM-001", side, Action.BUY, status, price, 5, filled, 0)
    return LegResult(intent, None if error else order, fills, error)


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
    assert need == UnwindNeeded(Side.YES, 3)

    report = unwind_outcome(RES, (leg(Side.YES, 5), leg(Side.NO, 2)), need, None, "no bid")
    assert (report.outcome, report.missing_leg) == (Outcome.PARTIAL, Side.NO)
    assert YES_ID in report.detail
    assert NO_ID in report.detail
    assert "no bid" in report.detail


def test_positions_take_counts_from_the_venue_and_cash_from_fills_plus_netted_pairs() -> None:
    fills = [
        Fill("t1", "a", "SIM-001", Side.YES, Action.BUY, 42, 5, fee_cents=2),
        Fill("t2", "b", "SIM-001", Side.NO, Action.BUY, 55, 2, fee_cents=1),
    ]
    positions = positions_from(fills, [VenuePosition("SIM-001", 3, 3, 0)])

    # 5 YES + 2 NO: two pairs netted for 200c, 3 YES left
    assert positions == (Position("SIM-001", 3, 0, -5 * 42 - 2 * 55 - 3 + 200),)
    unnetted = Position("SIM-001", 5, 2, -5 * 42 - 2 * 55 - 3)
    assert positions[0].worst_case_pnl_cents == unnetted.worst_case_pnl_cents
