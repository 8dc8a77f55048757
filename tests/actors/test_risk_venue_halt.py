"""A venue that takes no new orders (paused, cancel-only) stops new risk at once, and
only until it trades again; an ordinary transient error still needs the threshold.

The real risk actor in a supervision tree (tests/actors/risk_harness.py); each
halt report is built as execution builds it (actors/execution/_base.py) from the
error the Polymarket client really raises for the venue's 503 body.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actors.errors import CriticalVenueError, VenueError, VenueTradingHalted
from actors.messages import (
    AuditEvent,
    CancelAll,
    ErrorClass,
    ExecutionReport,
    Outcome,
    Record,
    Reservation,
    VenueErrorReport,
)
from actors.risk import BreakerState, CircuitBreaker, Rejected, RejectReason
from actors.venues.polymarket._wire import error_for
from supervision import status_to_dict
from tests.actors.risk_harness import BREAKER, RiskHarness, risk_tree
from tests.supervision.conftest import eventually

CANCEL_ONLY = (
    "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed."
)
DISABLED = "Trading is currently disabled. Check polymarket.com for updates"


@pytest.fixture
def risk() -> Iterator[RiskHarness]:
    with risk_tree() as harness:
        harness.reconcile()
        yield harness


def _report(error: VenueError) -> VenueErrorReport:
    """What execution sends risk for ``error`` (actors/execution/_base.py)."""
    critical = isinstance(error, CriticalVenueError)
    return VenueErrorReport(
        ErrorClass.CRITICAL if critical else ErrorClass.TRANSIENT,
        type(error).__name__,
        error.endpoint,
        str(error),
    )


def _halted(text: str = CANCEL_ONLY) -> VenueErrorReport:
    error = error_for(503, {"error": text}, endpoint="POST /order", client_order_id="b-1:0")
    assert type(error) is VenueTradingHalted
    return _report(error)


def _server_error() -> VenueErrorReport:
    return _report(error_for(503, {"error": "upstream timeout"}, endpoint="POST /order"))


def _refused(result: object) -> Rejected:
    assert isinstance(result, Rejected), result
    return result


def _breaker_audits(risk: RiskHarness) -> list[str]:
    return [
        event.detail
        for record in risk.persistence.of(Record)
        for event in record.events
        if isinstance(event, AuditEvent) and event.kind == "breaker"
    ]


def test_one_cancel_only_answer_refuses_the_next_reserve_naming_the_reason(
    risk: RiskHarness,
) -> None:
    assert isinstance(risk.reserve("before"), Reservation)

    risk.ask(_halted())

    refused = _refused(risk.reserve("opp-1"))
    assert refused.reason is RejectReason.VENUE_HALTED
    assert refused.detail.startswith("venue is cancel-only: HTTP 503: Trading is currently")
    summary = risk.summary()
    assert summary.breaker.state == "open"
    assert str(summary.breaker.halt_reason).startswith("venue is cancel-only")
    # what `warden inspect risk` prints: the status as JSON, the reason in it
    assert status_to_dict(summary)["breaker"]["halt_reason"] == summary.breaker.halt_reason
    assert summary.rejections.venue_halted == 1
    assert summary.counts.venue_halts == 1
    # a fact about the venue, not the kill switch: no halt, nothing cancelled by risk
    assert summary.halted is False
    assert not risk.execution.of(CancelAll)
    eventually(lambda: any("venue is cancel-only" in a for a in _breaker_audits(risk)))


def test_a_disabled_venue_is_named_as_halted_not_cancel_only(risk: RiskHarness) -> None:
    risk.ask(_halted(DISABLED))
    refused = _refused(risk.reserve("opp-1"))
    assert refused.reason is RejectReason.VENUE_HALTED
    assert refused.detail.startswith("venue trading is halted: HTTP 503: Trading is currently")


def test_reserves_stay_refused_until_the_cooldown_then_a_probe_that_trades_clears_it(
    risk: RiskHarness,
) -> None:
    risk.ask(_halted())
    risk.clock.advance(BREAKER.cooldown_s - 0.5)
    assert _refused(risk.reserve("opp-1")).reason is RejectReason.VENUE_HALTED

    risk.clock.advance(0.5)
    assert isinstance(risk.reserve("probe-1"), Reservation)
    assert risk.summary().breaker.state == "half_open"
    assert isinstance(risk.reserve("probe-2"), Reservation)  # BREAKER allows two probes
    # the probe budget in use, and the venue not yet seen trading: still the halt
    assert _refused(risk.reserve("opp-2")).reason is RejectReason.VENUE_HALTED

    risk.ask(ExecutionReport("probe-1", Outcome.NONE))  # its orders were accepted

    summary = risk.summary()
    assert (summary.breaker.state, summary.breaker.halt_reason) == ("closed", None)
    assert isinstance(risk.reserve("opp-3"), Reservation)


def test_a_probe_refused_again_keeps_refusing_for_another_cooldown(risk: RiskHarness) -> None:
    risk.ask(_halted())
    risk.clock.advance(BREAKER.cooldown_s)
    assert isinstance(risk.reserve("probe-1"), Reservation)

    risk.ask(_halted())  # the probe's order: still cancel-only
    risk.ask(ExecutionReport("probe-1", Outcome.FAILED, detail="not placed"))

    assert _refused(risk.reserve("opp-1")).reason is RejectReason.VENUE_HALTED
    risk.clock.advance(BREAKER.cooldown_s - 0.5)
    assert _refused(risk.reserve("opp-2")).reason is RejectReason.VENUE_HALTED
    risk.clock.advance(0.5)
    assert isinstance(risk.reserve("probe-2"), Reservation)
    risk.ask(ExecutionReport("probe-2", Outcome.FILLED))
    assert isinstance(risk.reserve("opp-3"), Reservation)
    assert risk.summary().breaker.times_opened == 2


def test_an_ordinary_transient_error_still_needs_the_threshold(risk: RiskHarness) -> None:
    for n in range(BREAKER.failure_threshold - 1):
        risk.ask(_server_error())
        assert isinstance(risk.reserve(f"opp-{n}"), Reservation), n
    risk.ask(_server_error())
    refused = _refused(risk.reserve("opp-last"))
    assert (refused.reason, refused.detail) == (RejectReason.BREAKER_OPEN, "")
    assert risk.summary().breaker.halt_reason is None


def test_the_breaker_trips_open_at_once_and_keeps_the_reason_until_a_probe_succeeds() -> None:
    breaker = CircuitBreaker(BREAKER).trip(100.0, "venue is cancel-only: x")
    assert (breaker.state, breaker.opened_at, breaker.times_opened) == (BreakerState.OPEN, 100.0, 1)
    assert not breaker.allows_reservation(100.0)

    half_open = breaker.at(100.0 + BREAKER.cooldown_s)
    assert (half_open.state, half_open.halt_reason) == (
        BreakerState.HALF_OPEN,
        "venue is cancel-only: x",
    )
    reopened = half_open.reserve(131.0).record_failure(131.0)  # an ordinary failure
    assert (reopened.state, reopened.halt_reason) == (BreakerState.OPEN, "venue is cancel-only: x")

    closed = reopened.at(161.0).reserve(161.0).record_success(162.0)
    assert (closed.state, closed.halt_reason) == (BreakerState.CLOSED, None)


def test_a_trip_while_open_re_arms_the_cooldown() -> None:
    breaker = CircuitBreaker(BREAKER).trip(100.0, "a").trip(120.0, "b")
    assert (breaker.opened_at, breaker.times_opened, breaker.halt_reason) == (120.0, 1, "b")
    assert breaker.at(149.9).state is BreakerState.OPEN
