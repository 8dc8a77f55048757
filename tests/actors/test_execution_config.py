"""The execution configuration as validated data, and positions from the venue's fills."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from actors.domain import Action, Fill, Position, Side
from actors.execution import Deadlines, ExecutionConfig, RateLimit, RetryPolicy
from actors.execution._bookkeeping import positions_from
from actors.venues import VenuePosition

FIVE = Decimal(5)


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
