"""Execution after a restart, in doubt and under the kill switch: reconciliation,
ResolveInDoubt, CancelAll, and a venue that cannot be reached."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest

from actors.domain import Position, Side
from actors.messages import (
    AuditEvent,
    CancelAll,
    Execute,
    ExecutionReady,
    ExecutionReport,
    FillRecorded,
    InDoubtResolved,
    MissingLeg,
    OrderUpdated,
    Outcome,
    Reconciled,
    ResolveInDoubt,
    RiskReady,
    VenueErrorReport,
    VenueReconciled,
)
from tests.actors.execution_harness import (
    Harness,
    Release,
    SetMode,
    VenueThread,
    as_bought,
    fast_config,
    reservation,
    start_execution,
)
from tests.supervision.conftest import eventually


@pytest.fixture
def venue() -> Iterator[VenueThread]:
    thread = VenueThread().start()
    yield thread
    thread.stop()


@contextlib.contextmanager
def running(venue: VenueThread) -> Iterator[Harness]:
    yield from start_execution(fast_config(venue.rest_url), venue=venue)


def test_reconciliation_on_start_cancels_resting_orders_and_recovers_fills(
    venue: VenueThread,
) -> None:
    venue.house_bid("no", "0.58", 3)
    assert venue.place(
        side="yes", yes_price_dollars="0.42", count_fp="3", client_order_id="old-fill"
    ).is_success
    for n, price in enumerate(("0.10", "0.11")):
        reply = venue.place(
            side="yes", yes_price_dollars=price, count_fp="2", client_order_id=f"old-rest-{n}"
        )
        assert reply.json()["order"]["status"] == "resting"

    with running(venue) as harness:
        (reconciled,) = harness.risk.wait_for(Reconciled)

        assert harness.risk.of(ExecutionReady)
        assert (reconciled.ok, reconciled.open_orders_cancelled, reconciled.fills_recovered) == (
            True,
            2,
            1,
        )
        assert venue.orders(status="resting") == []
        (position,) = reconciled.positions
        fee = venue.fills()[0].fee
        cost = Decimal(3) * Decimal("0.42") + fee
        assert position == Position("SIM-001", Decimal(3), Decimal(0), -cost)
        assert as_bought(e.fill for e in harness.events(FillRecorded)) == venue.fills()
        states = {u.client_order_id: u.state.value for u in harness.events(OrderUpdated)}
        assert states == {"old-fill": "filled", "old-rest-0": "canceled", "old-rest-1": "canceled"}
        (seen,) = harness.events(VenueReconciled)
        assert sorted(seen.client_order_ids_at_venue) == ["old-fill", "old-rest-0", "old-rest-1"]
        assert harness.summary().reconciled is True
        # the venue's historical cutoff was read: its lists are complete since its start
        cutoff = venue.get("/trade-api/v2/historical/cutoff")["orders_updated_ts"]
        assert harness.summary().reconcile_detail == (
            f"ok; the venue lists orders and fills since {cutoff}"
        )


def test_with_the_venue_down_reconciliation_fails_and_no_order_is_sent() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/trade-api/v2"
    with contextlib.contextmanager(start_execution)(fast_config(url)) as harness:
        failures = harness.risk.wait_for(Reconciled, count=2)  # it keeps trying

        assert not any(r.ok for r in failures)
        assert failures[0].detail.startswith("venue:")
        errors = harness.risk.of(VenueErrorReport)
        assert errors
        assert errors[0].error_type == "VenueDisconnected"

        harness.tree.tell("execution", Execute(reservation()))
        (report,) = harness.risk.wait_for(ExecutionReport)
        assert (report.outcome, report.detail) == (Outcome.FAILED, "not_reconciled")
        summary = harness.summary()
        assert summary.reconciled is False
        assert summary.counts.orders_sent == 0


def test_resolve_in_doubt_cancels_a_resting_order_and_answers_with_its_fills(
    venue: VenueThread,
) -> None:
    res = reservation("opp-doubt")
    yes_id, no_id = res.client_order_ids
    with running(venue) as harness:
        harness.risk.wait_for(Reconciled)
        # What a dead incarnation left behind: one leg resting, one filled.
        venue.house_bid("yes", "0.45", 5)
        assert venue.place(
            side="no", no_price_dollars="0.55", count_fp="5", client_order_id=no_id
        ).is_success
        reply = venue.place(
            side="yes", yes_price_dollars="0.20", count_fp="5", client_order_id=yes_id
        )
        assert reply.json()["order"]["status"] == "resting"

        harness.tree.tell("execution", ResolveInDoubt(res))

        (resolved,) = harness.risk.wait_for(InDoubtResolved)
        assert resolved.reservation_id == "opp-doubt"
        assert as_bought(resolved.fills) == venue.fills()
        assert [(f.side, f.count) for f in resolved.fills] == [(Side.NO, Decimal(5))]
        # unbalanced, and nobody bids for the NO excess: unhedged, the YES leg named
        assert (resolved.outcome, resolved.held) == (Outcome.UNHEDGED, (Decimal(0), Decimal(5)))
        assert resolved.missing == (MissingLeg(0, "SIM-001", Side.YES, Decimal(5), yes_id),)
        assert "no bid" in resolved.detail
        assert venue.orders(status="resting") == []
        states = {u.client_order_id: u.state.value for u in harness.events(OrderUpdated)}
        assert (states[yes_id], states[no_id]) == ("canceled", "filled")


def test_an_in_doubt_basket_resolved_before_reconciliation_is_unwound_only_after_it(
    venue: VenueThread,
) -> None:
    """No order before reconciliation, unwinds included (found by the chaos harness: a
    new incarnation resolved an in-doubt basket and sold its excess 0.7 s before its
    own reconciliation was done)."""
    res = reservation("opp-doubt")
    _yes_id, no_id = res.client_order_ids
    with running(venue) as harness:
        harness.risk.wait_for(Reconciled)
        # What a dead incarnation left behind: the NO leg filled, the YES leg never sent;
        # and someone bids for NO, so an unwind has a buyer.
        venue.house_bid("yes", "0.45", 5)
        assert venue.place(
            side="no", no_price_dollars="0.55", count_fp="5", client_order_id=no_id
        ).is_success
        venue.house_bid("no", "0.50", 5)
        sent_before = len(venue.orders())
        # The next incarnation cannot reconcile (positions never answer) ...
        venue.faults({"http": {"list_positions": {"error_5xx_rate": 1}}})
        harness.tree.restart("execution")
        eventually(lambda: any(not r.ok for r in harness.risk.of(Reconciled)), what="refused")
        # ... but can look the basket's orders up.
        harness.tree.tell("execution", ResolveInDoubt(res))
        eventually(
            lambda: harness.summary().in_doubt_awaiting_reconciliation == ("opp-doubt",),
            what="looked up, waiting for reconciliation",
        )
        assert harness.risk.of(InDoubtResolved) == []
        assert len(venue.orders()) == sent_before  # no unwind went out
        assert harness.summary().reconciled is False

        venue.clear_faults()
        (resolved,) = harness.risk.wait_for(InDoubtResolved)
        assert resolved.reservation_id == "opp-doubt"
        assert harness.summary().reconciled is True
        assert len(venue.orders()) > sent_before  # the unwind, after reconciliation


def test_cancel_all_cancels_every_resting_order_and_leaves_an_audit_record(
    venue: VenueThread,
) -> None:
    with running(venue) as harness:
        harness.risk.wait_for(Reconciled)
        for n in range(3):
            price = f"0.{10 + n}"
            venue.place(
                side="yes", yes_price_dollars=price, count_fp="1", client_order_id=f"rest-{n}"
            )
        assert len(venue.orders(status="resting")) == 3

        harness.tree.tell("execution", CancelAll("operator halt"))

        def cancel_all_audits() -> list[AuditEvent]:
            # (reconciliation records an audit event too: the venue's point)
            return [a for a in harness.events(AuditEvent) if a.kind == "cancel_all"]

        eventually(cancel_all_audits, what="audit event")
        assert venue.orders(status="resting") == []
        (audit,) = cancel_all_audits()
        assert (audit.kind, audit.detail) == ("cancel_all", "3 orders cancelled: operator halt")
        cancelled = {u.client_order_id for u in harness.events(OrderUpdated)}
        assert cancelled == {"rest-0", "rest-1", "rest-2"}


def test_a_restarted_incarnation_reconciles_again_and_its_old_loop_is_gone(
    venue: VenueThread,
) -> None:
    with running(venue) as harness:
        harness.risk.wait_for(Reconciled)
        venue.place(
            side="yes", yes_price_dollars="0.10", count_fp="1", client_order_id="left-behind"
        )

        epoch = harness.tree.restart("execution")

        assert epoch == 2
        first, second = harness.risk.wait_for(Reconciled, count=2)
        assert (first.open_orders_cancelled, second.open_orders_cancelled) == (0, 1)
        assert len(harness.risk.of(ExecutionReady)) == 2
        assert venue.orders(status="resting") == []
        eventually(
            lambda: [t.name for t in threading.enumerate()].count("trio-execution-venue") == 1,
            what="only the new incarnation's loop thread is left",
        )


def test_a_new_risk_incarnation_gets_execution_ready_and_a_fresh_reconciliation(
    venue: VenueThread,
) -> None:
    venue.house_bid("no", "0.58", 3)
    assert venue.place(
        side="yes", yes_price_dollars="0.42", count_fp="3", client_order_id="old-fill"
    ).is_success
    with running(venue) as harness:
        harness.risk.wait_for(Reconciled)
        harness.tree.tell("execution", RiskReady())  # risk restarted alone

        harness.risk.wait_for(ExecutionReady, count=2)
        first, again = harness.risk.wait_for(Reconciled, count=2)
        assert again.ok
        assert again.positions == first.positions
        assert as_bought(again.fills) == venue.fills()  # risk books the ones it has not seen
        assert harness.summary().counts.reconciled_for_risk == 1


def test_the_reconciliation_for_a_new_risk_waits_for_the_reservation_in_flight(
    venue: VenueThread,
) -> None:
    with running(venue) as harness:
        harness.risk.wait_for(Reconciled)
        harness.tree.tell("persistence", SetMode("hold"))
        harness.tree.tell("execution", Execute(reservation("opp-old-risk")))
        eventually(lambda: harness.summary().in_flight, what="the reservation in flight")
        harness.tree.tell("execution", RiskReady())
        harness.risk.wait_for(ExecutionReady, count=2)
        summary = harness.summary()
        assert "opp-old-risk" in summary.in_flight
        assert summary.counts.reconciled_for_risk == 0  # not while it is in flight

        harness.tree.tell("persistence", SetMode("auto"))
        harness.tree.tell("persistence", Release())
        harness.risk.wait_for(Reconciled, count=2)
        (report_at, report), *_ = harness.risk.timed(ExecutionReport)
        _, (again_at, _again) = harness.risk.timed(Reconciled)
        assert report.reservation_id == "opp-old-risk"
        assert report_at <= again_at  # the old reservation's fate reached risk first
