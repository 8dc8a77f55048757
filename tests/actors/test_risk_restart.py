"""A new risk incarnation rebuilt from the ledger and the venue: the day's realised
loss survives restarts, and a risk started alone asks execution to reconcile again."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from actors.domain import Action, Fill, Side
from actors.messages import ExecutionReport, Outcome, Reconciled, RiskReady
from actors.risk import Rejected, RejectReason, RiskLimits
from tests.actors.risk_harness import AMOUNT_10_AT_40_55, WIDE, fill, risk_tree
from tests.supervision.conftest import eventually

DAY = 24 * 3600
LOSS = D("2.50") + D("0.17") + D("0.09")  # bought 10 YES at 0.40 (fee 0.17), sold at 0.15
LIMITS = RiskLimits(
    max_market_exposure=WIDE.max_market_exposure,
    max_total_exposure=WIDE.max_total_exposure,
    max_concurrent_markets=WIDE.max_concurrent_markets,
    # the loss + one more such reservation breaks it
    max_daily_loss=AMOUNT_10_AT_40_55 + D("2.00"),
    max_reservations_per_market=WIDE.max_reservations_per_market,
)


def _losing_fills(rid: str) -> tuple[Fill, Fill]:
    return (
        fill(rid, Side.YES, D(10), D("0.40"), fee=D("0.17")),
        fill(rid, Side.YES, D(10), D("0.15"), action=Action.SELL, fee=D("0.09")),
    )


def _reason(answer: object) -> RejectReason | None:
    return answer.reason if isinstance(answer, Rejected) else None


def test_the_days_realised_loss_survives_a_restart_of_risk() -> None:
    ledger: list[tuple[Fill, float]] = []  # what execution recorded, with the time
    with risk_tree(LIMITS, recorded_fills=lambda: list(ledger)) as risk:
        risk.reconcile()
        risk.reserve("opp-1")
        fills = _losing_fills("opp-1")
        ledger.extend((f, risk.clock.wall()) for f in fills)
        risk.ask(ExecutionReport("opp-1", Outcome.PARTIAL, fills))
        assert _reason(risk.reserve("opp-2")) is RejectReason.DAILY_LOSS

        first = risk.tree.snapshot().find("risk").epoch
        assert risk.tree.restart("risk") > first
        # the new incarnation announced itself to execution, which answers Reconciled
        eventually(lambda: risk.execution.of(RiskReady), what="RiskReady from the new risk")
        risk.reconcile()

        summary = risk.summary()
        assert summary.realised_pnl_today == -LOSS
        assert summary.realised_pnl_total == -LOSS
        assert summary.counts.fills_rebuilt == 2
        assert _reason(risk.reserve("opp-3")) is RejectReason.DAILY_LOSS


def test_losses_of_an_earlier_utc_day_count_in_the_total_but_not_today() -> None:
    ledger: list[tuple[Fill, float]] = []
    with risk_tree(LIMITS, recorded_fills=lambda: list(ledger)) as risk:
        yesterday = risk.clock.wall() - DAY
        ledger.extend((f, yesterday) for f in _losing_fills("opp-old"))
        risk.tree.restart("risk")
        risk.reconcile()

        summary = risk.summary()
        assert summary.realised_pnl_today == 0
        assert summary.realised_pnl_total == -LOSS
        assert _reason(risk.reserve("opp-1")) is None


def test_fills_the_venue_lists_at_reconciliation_count_once_against_today() -> None:
    with risk_tree(LIMITS) as risk:
        fills = _losing_fills("opp-lost")  # realised while no risk incarnation listened
        risk.ask(Reconciled(ok=True, fills=fills))
        risk.ask(Reconciled(ok=True, fills=fills))  # listed again: booked once

        summary = risk.summary()
        assert summary.realised_pnl_today == -LOSS
        assert summary.counts.fills_from_reconciliation == 2
        assert _reason(risk.reserve("opp-1")) is RejectReason.DAILY_LOSS


def test_a_sale_recorded_before_the_purchase_it_sold_is_booked_after_it() -> None:
    """A purchase whose Record failed (a locked ledger) is written by execution's repair
    after the unwind that sold it: the rows are out of order, the books are not."""
    bought, sold = _losing_fills("opp-unwound")
    with risk_tree(LIMITS, recorded_fills=lambda: [(sold, 0.0), (bought, 0.0)]) as risk:
        risk.reconcile()
        summary = risk.summary()
        assert summary.halted is False
        assert summary.realised_pnl_total == -LOSS


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("unreadable", "recorded fills unknown: disk on fire"),
        ("unbookable", "recorded fill t-x-yes-sell-5-50-x cannot be booked"),
    ],
)
def test_a_risk_that_cannot_rebuild_its_books_starts_halted(source: str, expected: str) -> None:
    def recorded() -> list[tuple[Fill, float]]:
        if source == "unreadable":
            raise OSError("disk on fire")
        # selling what was never bought: the ledger does not add up
        sold = fill(
            "x", Side.YES, D(5), D("0.50"), action=Action.SELL, fill_id="t-x-yes-sell-5-50-x"
        )
        return [(sold, 0.0)]

    with risk_tree(LIMITS, recorded_fills=recorded) as risk:
        risk.reconcile()
        summary = risk.summary()
        assert summary.halted is True
        assert str(summary.halt_reason).startswith(expected)
        assert _reason(risk.reserve("opp-1")) is RejectReason.HALTED
