"""Real actor statuses for the tests of what reads them (readiness, metrics, the
portfolio, the shutdown report, the status line, the CLI views, the control-plane
stand-ins): the actor packages' own classes with quiet defaults, and keyword
arguments to change a field. Each builder returns the status of a healthy,
reconciled, idle actor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from actors.execution import ExecutionCounts, ExecutionStatus, FlightView, Phase
from actors.feed import ConnectionStatus, FeedStatus, MarketFeedStatus
from actors.ledger_client import LedgerClientStatus
from actors.persistence import PersistenceStatus
from actors.risk import (
    BreakerStatus,
    ExposureStatus,
    PositionView,
    RejectionCounts,
    ReservationsStatus,
    ReservationView,
    RiskCounts,
    RiskLimits,
    RiskStatus,
)
from actors.strategy import StrategyCounts, StrategyStatus

LEDGER_CLIENT = LedgerClientStatus(
    in_flight=0,
    oldest_in_flight_s=None,
    retry_attempt=0,
    retry_due_in_s=None,
    recorded=0,
    failed=0,
    late_answers=0,
)
LIMITS = RiskLimits(
    max_market_exposure=Decimal("50.00"),
    max_total_exposure=Decimal("200.00"),
    max_concurrent_markets=3,
    max_daily_loss=Decimal("50.00"),
    max_reservations_per_market=1,
)
CLOSED = BreakerStatus(
    state="closed", failures_in_window=0, probes_in_flight=0, times_opened=0, open_for_s=None
)


def breaker(**changes: Any) -> BreakerStatus:
    return attrs.evolve(CLOSED, **changes)


def reservation(
    rid: str, ticker: str = "SIM-001", amount: Decimal = Decimal("0.95")
) -> ReservationView:
    """A single-market reservation (its event is its market)."""
    return ReservationView(
        id=rid, event_ticker=ticker, tickers=(ticker,), amount=amount, owner_epoch=1
    )


def reservations(
    held: tuple[ReservationView, ...] = (), in_doubt: tuple[ReservationView, ...] = ()
) -> ReservationsStatus:
    return ReservationsStatus(held=held, in_doubt=in_doubt)


def exposure(
    by_market: dict[str, Decimal], by_event: dict[str, Decimal] | None = None
) -> ExposureStatus:
    """Single-market events unless ``by_event`` says otherwise."""
    events = dict(by_market) if by_event is None else by_event
    return ExposureStatus(
        by_market=by_market, by_event=events, total=sum(events.values(), Decimal(0))
    )


def position(yes: Decimal, no: Decimal, cash: Decimal) -> PositionView:
    return PositionView(yes=yes, no=no, cash=cash)


def risk(**changes: Any) -> RiskStatus:
    """Risk reconciled, not halted, holding nothing; ``changes`` replace fields."""
    status = RiskStatus(
        halted=False,
        halt_reason=None,
        reconciled=True,
        reconcile_detail="ok",
        breaker=CLOSED,
        reservations=reservations(),
        recovered_pending=(),
        exposure=exposure({}),
        limits=LIMITS,
        positions={},
        realised_pnl_today=Decimal(0),
        realised_pnl_total=Decimal(0),
        day="2026-12-01",
        rejections=RejectionCounts(),
        counts=RiskCounts(),
        records_in_flight=0,
        ledger_client=LEDGER_CLIENT,
        unknown_messages=0,
    )
    return attrs.evolve(status, **changes)


def flight(phase: str = "placing", **legs: str) -> FlightView:
    """A reservation in flight: ``phase`` by its published value, legs by order id."""
    return FlightView(phase=Phase(phase), legs=dict(legs))


def execution(**changes: Any) -> ExecutionStatus:
    """Execution reconciled, nothing in flight; ``changes`` replace fields."""
    status = ExecutionStatus(
        reconciled=True,
        reconcile_attempts=1,
        reconcile_detail="ok",
        dry_run=False,
        in_flight={},
        resolving_in_doubt=(),
        pending_records=0,
        ledger_repair_pending=(),
        counts=ExecutionCounts(),
        last_error=None,
        ledger_client=LEDGER_CLIENT,
        unknown_messages=0,
    )
    return attrs.evolve(status, **changes)


def market(**changes: Any) -> MarketFeedStatus:
    """A live, fresh market; ``changes`` replace fields."""
    status = MarketFeedStatus(
        phase="live",
        sid=1,
        seq=5,
        last_update_age_s=0.2,
        stale=False,
        gaps=0,
        resyncs=0,
        in_flight_seq=None,
        pending=False,
    )
    return attrs.evolve(status, **changes)


def connection(state: str = "connected", number: int = 1) -> ConnectionStatus:
    return ConnectionStatus(state=state, number=number)


def feed(markets: dict[str, MarketFeedStatus], **changes: Any) -> FeedStatus:
    """The feed connected and publishing ``markets``; ``changes`` replace fields."""
    status = FeedStatus(consumer="strategy", connection=connection(), markets=markets)
    return attrs.evolve(status, **changes)


def persistence(**changes: Any) -> PersistenceStatus:
    """The ledger open, nothing failed; ``changes`` replace fields."""
    status = PersistenceStatus(
        db_path="warden.db",
        open=True,
        schema_version=1,
        last_commit_at=None,
        transactions=0,
        events=0,
        failures=0,
        last_error=None,
        pending=0,
        unknown_messages=0,
    )
    return attrs.evolve(status, **changes)


def strategy(**counts: int) -> StrategyStatus:
    """The strategy with ``counts`` (e.g. ``opportunities=12``), the rest 0."""
    return StrategyStatus(
        strategy="complement_arbitrage",
        stale_markets=(),
        last_edge={},
        counts=StrategyCounts(**counts),
        unknown_messages=0,
    )
