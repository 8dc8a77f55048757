"""The execution actor placing orders at a real simulated venue on loopback."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import pytest

from actors.domain import Action, OrderRole, OrderState, Side
from actors.execution import ExecutionConfig, Phase, RetryPolicy
from actors.messages import (
    BasketPhase,
    BasketProgress,
    ErrorClass,
    Execute,
    ExecutionReport,
    FillRecorded,
    IntentRecorded,
    IntentsAbandoned,
    MissingLeg,
    OrderUpdated,
    Outcome,
    Reconciled,
    Record,
    ReservationChanged,
    VenueErrorReport,
    leg_client_order_id,
)
from tests.actors.execution_harness import (
    CrashPersistence,
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
from tests.warden.conftest import quiet_config
from warden.venue import Faults

Start = Callable[..., Harness]


@pytest.fixture
def venue() -> Iterator[VenueThread]:
    thread = VenueThread().start()
    yield thread
    thread.stop()


@pytest.fixture
def start(venue: VenueThread) -> Iterator[Start]:
    """Start execution (with fake risk and persistence) against ``venue``; wait until
    it has reconciled."""
    with contextlib.ExitStack() as stack:

        def run(config: ExecutionConfig | None = None, **kwargs: Any) -> Harness:
            harness = stack.enter_context(
                contextlib.contextmanager(start_execution)(
                    config or fast_config(venue.rest_url), venue=venue, **kwargs
                )
            )
            if kwargs.get("persistence_mode", "auto") == "auto":
                (reconciled,) = harness.risk.wait_for(Reconciled)
                assert reconciled.ok
            return harness

        yield run


def crossing_book(venue: VenueThread, *, yes_depth: int = 5, no_depth: int = 5) -> None:
    """YES ask $0.42 (house NO bid 0.58) and NO ask $0.55 (house YES bid 0.45): 0.97 < 1."""
    venue.house_bid("no", "0.58", yes_depth)
    venue.house_bid("yes", "0.45", no_depth)


def answer_reconciliation(harness: Harness) -> None:
    harness.ledger.wait_for(Record)  # the reconciliation's record, held
    harness.tree.tell("persistence", Release())
    (reconciled,) = harness.risk.wait_for(Reconciled)
    assert reconciled.ok


def report_of(harness: Harness, rid: str = "opp-1") -> ExecutionReport:
    def found() -> ExecutionReport | None:
        reports = [r for r in harness.risk.of(ExecutionReport) if r.reservation_id == rid]
        return reports[0] if reports else None

    report: ExecutionReport = eventually(found, timeout=30, what=f"report for {rid}")
    return report


def accepted_ids(venue: VenueThread) -> list[str]:
    return [record["client_order_id"] for record in venue.truth("order_accepted")]


def test_a_crossing_reservation_fills_both_legs_and_reports_the_venues_fills(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    harness = start()

    harness.tree.tell("execution", Execute(reservation()))

    report = report_of(harness)
    assert report.outcome is Outcome.FILLED
    assert as_bought(report.fills) == venue.fills()
    assert {(f.side, f.price, f.count) for f in report.fills} == {
        (Side.YES, Decimal("0.42"), Decimal(5)),
        (Side.NO, Decimal("0.55"), Decimal(5)),
    }
    yes_id, no_id = reservation().client_order_ids
    assert sorted(accepted_ids(venue)) == sorted([yes_id, no_id])
    updates = {u.client_order_id: u for u in harness.events(OrderUpdated)}
    assert (updates[yes_id].state, updates[yes_id].filled_count) == (
        OrderState.FILLED,
        Decimal(5),
    )
    assert {e.fill for e in harness.events(FillRecorded)} >= set(report.fills)
    counts = harness.summary().counts
    assert counts.orders_sent == 2
    assert harness.summary().in_flight == {}


def test_no_order_reaches_the_venue_before_persistence_answers_recorded(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    harness = start(persistence_mode="hold")
    answer_reconciliation(harness)

    harness.tree.tell("execution", Execute(reservation()))
    eventually(lambda: harness.events(IntentRecorded), what="intents recorded")
    (intents_record,) = [r for r in harness.ledger.of(Record) if "execution" in r.request_id][-1:]
    # one transaction: the reservation HELD by this incarnation, both intents, PLACING
    held, *intents, placing = intents_record.events
    assert held == ReservationChanged(attrs.evolve(reservation(), owner_epoch=1))
    assert [(e.leg, e.role) for e in intents] == [(0, OrderRole.ENTRY), (1, OrderRole.ENTRY)]
    assert [e.intent.client_order_id for e in intents] == list(reservation().client_order_ids)
    assert placing == BasketProgress("opp-1", BasketPhase.PLACING)
    summary = harness.summary()
    assert summary.in_flight["opp-1"].phase is Phase.RECORDING_INTENTS
    assert set(summary.in_flight["opp-1"].legs) == set(reservation().client_order_ids)
    assert accepted_ids(venue) == []

    harness.tree.tell("persistence", Release())

    assert report_of(harness).outcome is Outcome.FILLED
    assert len(accepted_ids(venue)) == 2


def test_record_failed_means_no_order_at_the_venue_and_a_failed_report(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    harness = start(persistence_mode="hold")
    answer_reconciliation(harness)

    harness.tree.tell("execution", Execute(reservation()))
    eventually(lambda: harness.events(IntentRecorded), what="intents recorded")
    harness.tree.tell("persistence", Release(fail=True))

    report = report_of(harness)
    assert report.outcome is Outcome.FAILED
    assert "disk full" in report.detail
    assert accepted_ids(venue) == []


def test_a_record_persistence_never_answers_fails_after_record_timeout_with_nothing_sent(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    harness = start(fast_config(venue.rest_url, record_timeout=0.4), persistence_mode="hold")
    answer_reconciliation(harness)

    harness.tree.tell("execution", Execute(reservation()))
    report = report_of(harness)

    assert (report.outcome, report.detail) == (
        Outcome.FAILED,
        "ledger: no answer from persistence",
    )
    (recorded_at,) = [
        t
        for t, r in harness.ledger.timed(Record)
        if any(isinstance(e, IntentRecorded) for e in r.events)
    ]
    (reported_at, _) = harness.risk.timed(ExecutionReport)[0]
    assert reported_at - recorded_at >= 0.35  # not before the timeout (0.4 s, less delivery)
    assert accepted_ids(venue) == []
    assert harness.summary().counts.records_failed == 1


def test_a_persistence_crash_alone_fails_the_intents_it_held_and_the_ledger_is_repaired(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    harness = start(persistence_mode="hold")  # one_for_one: persistence restarts alone
    answer_reconciliation(harness)

    harness.tree.tell("execution", Execute(reservation()))
    eventually(lambda: harness.events(IntentRecorded), what="intents recorded")
    assert harness.summary().pending_records == 1
    harness.tree.tell("persistence", CrashPersistence())

    report = report_of(harness)
    assert (report.outcome, report.detail) == (
        Outcome.FAILED,
        "ledger: persistence down (crash)",
    )
    assert accepted_ids(venue) == []
    eventually(lambda: harness.tree.snapshot().find("persistence").epoch == 2)
    harness.tree.tell("persistence", SetMode("auto"))
    # The intents may have committed: the repair (after the jittered backoff) asks the
    # venue and marks the ones it never saw abandoned.
    eventually(
        lambda: (
            {cid for e in harness.events(IntentsAbandoned) for cid in e.client_order_ids}
            == set(reservation().client_order_ids)
        ),
        what="intents abandoned by the ledger repair",
    )
    summary = harness.summary()
    assert (summary.pending_records, summary.counts.records_failed) == (0, 1)
    assert summary.ledger_client.retry_due_in_s is None  # repaired: none scheduled
    assert harness.tree.snapshot().find("execution").epoch == 1  # execution lived on


def test_a_reservation_priced_off_the_markets_grid_fails_with_nothing_recorded_or_sent(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    harness = start()  # the venue's market list puts SIM-001 on a one-cent grid

    harness.tree.tell("execution", Execute(reservation(yes_price="0.425")))

    report = report_of(harness)
    assert report.outcome is Outcome.FAILED
    assert report.detail.startswith("invalid:")
    assert "legs[0].price" in report.detail
    assert "0.425" in report.detail
    assert harness.events(IntentRecorded) == []
    assert accepted_ids(venue) == []


def test_the_same_reservation_is_executed_once_and_repeats_are_counted(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue, yes_depth=10, no_depth=10)
    harness = start()

    for _ in range(3):
        harness.tree.tell("execution", Execute(reservation()))

    assert report_of(harness).outcome is Outcome.FILLED
    eventually(lambda: harness.summary().counts.duplicates_ignored == 2)
    assert len(harness.risk.of(ExecutionReport)) == 1
    assert len(accepted_ids(venue)) == 2


def test_the_ids_remembered_against_repeats_are_bounded(
    venue: VenueThread, start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays flat (issue 15): past ``SEEN_AT_MOST`` the oldest settled ids are
    forgotten, the newest still refuse a repeat."""
    monkeypatch.setattr("actors.execution._actor.SEEN_AT_MOST", 2)
    harness = start(fast_config(venue.rest_url, dry_run=True))

    def reported(rid: str) -> int:
        return [r.reservation_id for r in harness.risk.of(ExecutionReport)].count(rid)

    for rid in ("r-a", "r-b", "r-c"):
        harness.tree.tell("execution", Execute(reservation(rid)))
        eventually(lambda rid=rid: reported(rid) == 1)
    harness.tree.tell("execution", Execute(reservation("r-c")))  # remembered: a repeat
    eventually(lambda: harness.summary().counts.duplicates_ignored == 1)
    harness.tree.tell("execution", Execute(reservation("r-a")))  # forgotten: run again
    eventually(lambda: reported("r-a") == 2)
    assert harness.summary().counts.duplicates_ignored == 1


def test_dry_run_records_the_intents_and_sends_nothing(venue: VenueThread, start: Start) -> None:
    crossing_book(venue)
    venue.place(side="yes", yes_price_dollars="0.10", client_order_id="mine", count_fp="1")  # rests
    harness = start(fast_config(venue.rest_url, dry_run=True))

    harness.tree.tell("execution", Execute(reservation()))

    report = report_of(harness)
    assert (report.outcome, report.detail) == (Outcome.NONE, "dry-run")
    assert len(harness.events(IntentRecorded)) == 2
    assert accepted_ids(venue) == ["mine"]  # only the one placed by hand ...
    assert venue.orders(status="resting")[0]["client_order_id"] == "mine"  # ... still resting


def test_a_submit_that_times_out_after_the_venue_applied_it_is_resolved_by_lookup(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    venue.faults({"http": {"create_order": {"timeout_after_apply_rate": 1}}})
    harness = start(fast_config(venue.rest_url))

    harness.tree.tell("execution", Execute(reservation()))

    report = report_of(harness)
    assert report.outcome is Outcome.FILLED
    assert as_bought(report.fills) == venue.fills()
    ids = accepted_ids(venue)
    assert sorted(ids) == sorted(reservation().client_order_ids)  # exactly one order each
    errors = harness.risk.of(VenueErrorReport)
    assert {(e.error_class, e.error_type) for e in errors} == {
        (ErrorClass.TRANSIENT, "VenueTimeout")
    }
    assert harness.summary().counts.unknown_outcomes_resolved == 2


def test_a_client_order_id_already_used_resolves_to_the_original_order(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    yes_id, _ = reservation().client_order_ids
    original = venue.place(
        side="yes",
        yes_price_dollars="0.4200",
        count_fp="2.00",
        client_order_id=yes_id,
        time_in_force="immediate_or_cancel",
    )
    assert original.status_code == 201
    harness = start()

    harness.tree.tell("execution", Execute(reservation()))

    report = report_of(harness)
    assert accepted_ids(venue).count(yes_id) == 1
    yes_fills = [f for f in report.fills if f.side is Side.YES]
    assert sum(f.count for f in yes_fills) == Decimal(
        2
    )  # the original order's fills, not a new order
    assert report.outcome is Outcome.PARTIAL  # 2 YES vs 5 NO: the NO excess was unwound
    assert (report.held, report.missing) == ((Decimal(2), Decimal(2)), ())
    assert {f.fill_id for f in yes_fills} <= {f.fill_id for f in venue.fills()}


def test_a_429_storm_is_retried_after_retry_after_and_reported(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    harness = start()
    venue.faults({"http": {"create_order": {"error_429_rate": 1, "retry_after_s": 1}}})
    harness.risk.hooks.append(
        lambda message: isinstance(message, VenueErrorReport) and venue.clear_faults()
    )

    began = time.monotonic()
    harness.tree.tell("execution", Execute(reservation()))

    report = report_of(harness)
    assert report.outcome is Outcome.FILLED
    assert time.monotonic() - began >= 1.0  # the retry waited for Retry-After
    errors = harness.risk.of(VenueErrorReport)
    assert errors
    assert {(e.error_class, e.error_type, e.endpoint) for e in errors} == {
        (ErrorClass.TRANSIENT, "VenueRateLimited", "POST /portfolio/events/orders")
    }
    assert sorted(accepted_ids(venue)) == sorted(reservation().client_order_ids)


def test_a_persistent_429_storm_gives_up_after_max_attempts_with_nothing_sent(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    retry = RetryPolicy(max_attempts=2, base=0.02, cap=0.2)
    harness = start(fast_config(venue.rest_url, retry=retry))
    venue.faults({"http": {"create_order": {"error_429_rate": 1, "retry_after_s": 1}}})

    began = time.monotonic()
    harness.tree.tell("execution", Execute(reservation()))

    report = report_of(harness)
    assert report.outcome is Outcome.FAILED
    assert "VenueRateLimited" in report.detail
    assert time.monotonic() - began >= 1.0
    assert len(harness.risk.of(VenueErrorReport)) == 4  # two attempts per leg
    assert harness.summary().counts.rate_limit_waits >= 1
    assert accepted_ids(venue) == []


def test_server_errors_are_retried_under_the_same_client_order_id(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    retry = RetryPolicy(max_attempts=30, base=0.05, cap=0.2)
    harness = start(fast_config(venue.rest_url, retry=retry))
    venue.faults({"http": {"create_order": {"error_5xx_rate": 1}}})
    harness.risk.hooks.append(
        lambda message: isinstance(message, VenueErrorReport) and venue.clear_faults()
    )

    harness.tree.tell("execution", Execute(reservation()))

    assert report_of(harness).outcome is Outcome.FILLED
    assert {e.error_type for e in harness.risk.of(VenueErrorReport)} == {"VenueServerError"}
    assert sorted(accepted_ids(venue)) == sorted(reservation().client_order_ids)
    assert harness.summary().counts.retries >= 1


def test_uneven_fills_are_unwound_by_selling_the_excess_at_the_best_bid(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue, yes_depth=5, no_depth=2)  # NO leg can only fill 2 of 5
    venue.house_bid("yes", "0.40", 10)  # the bid the YES excess is sold into
    harness = start()

    harness.tree.tell("execution", Execute(reservation()))

    report = report_of(harness)
    assert (report.outcome, report.missing) == (Outcome.PARTIAL, ())
    assert report.held == (Decimal(2), Decimal(2))
    unwind_id = leg_client_order_id("opp-1", 0, OrderRole.UNWIND, 0)
    sells = [f for f in report.fills if f.action is Action.SELL]
    assert [(f.client_order_id, f.side, f.price, f.count) for f in sells] == [
        (unwind_id, Side.YES, Decimal("0.40"), Decimal(3))
    ]
    assert as_bought(report.fills) == venue.fills()
    intents = [e.intent for e in harness.events(IntentRecorded)]
    assert [i.client_order_id for i in intents][-1] == unwind_id  # recorded before sending
    positions = venue.get("/trade-api/v2/portfolio/positions")["market_positions"]
    assert [Decimal(p["position_fp"]) for p in positions] == [0]


def test_uneven_fills_that_cannot_be_unwound_are_unhedged_with_the_missing_leg_named(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue, yes_depth=5, no_depth=2)  # no YES bid left to sell into
    harness = start()

    harness.tree.tell("execution", Execute(reservation()))

    report = report_of(harness)
    yes_id, no_id = reservation().client_order_ids
    assert report.outcome is Outcome.UNHEDGED
    assert report.held == (Decimal(5), Decimal(2))
    assert report.missing == (MissingLeg(1, "SIM-001", Side.NO, Decimal(3), no_id),)
    assert yes_id in report.detail
    assert no_id in report.detail
    assert "no bid" in report.detail
    assert as_bought(report.fills) == venue.fills()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_with_injected_partial_fills_the_report_matches_the_venue_position(seed: int) -> None:
    thread = VenueThread(quiet_config(seed=seed, faults=Faults(partial_fill_rate=1.0))).start()
    try:
        thread.house_bid("no", "0.58", 5)
        thread.house_bid("yes", "0.45", 5)
        thread.house_bid("yes", "0.40", 10)
        thread.house_bid("no", "0.50", 10)
        with contextlib.contextmanager(start_execution)(
            fast_config(thread.rest_url), venue=thread
        ) as harness:
            harness.risk.wait_for(Reconciled)
            harness.tree.tell("execution", Execute(reservation()))

            report = report_of(harness)
            assert as_bought(report.fills) == thread.fills()
            positions = thread.get("/trade-api/v2/portfolio/positions")["market_positions"]
            net = Decimal(positions[0]["position_fp"]) if positions else Decimal(0)
            if not report.missing:
                assert net == 0
            else:
                (missing,) = report.missing
                assert report.outcome is Outcome.UNHEDGED
                assert (net > 0) == (missing.side is Side.NO)
                assert abs(net) == missing.short
    finally:
        thread.stop()


def test_on_a_sub_penny_market_fractional_legs_fill_at_their_exact_prices() -> None:
    deci_cent = quiet_config(ticks={"SIM-001": Decimal("0.001")})
    thread = VenueThread(deci_cent).start()
    try:
        thread.house_bid("no", "0.575", 3)  # YES ask 0.425
        thread.house_bid("yes", "0.445", 3)  # NO ask 0.555
        with contextlib.contextmanager(start_execution)(
            fast_config(thread.rest_url), venue=thread
        ) as harness:
            harness.risk.wait_for(Reconciled)  # the market list gave SIM-001 its 0.001 grid
            res = reservation(count="2.5", yes_price="0.425", no_price="0.555")
            harness.tree.tell("execution", Execute(res))

            report = report_of(harness)
            assert report.outcome is Outcome.FILLED
            assert {(f.side, f.price, f.count) for f in report.fills} == {
                (Side.YES, Decimal("0.425"), Decimal("2.5")),
                (Side.NO, Decimal("0.555"), Decimal("2.5")),
            }
            assert as_bought(report.fills) == thread.fills()
            sent = {o["client_order_id"]: o for o in thread.truth("order_accepted")}
            yes_id, no_id = res.client_order_ids
            assert (sent[yes_id]["yes_price_dollars"], sent[yes_id]["initial_count_fp"]) == (
                "0.4250",
                "2.50",
            )
            assert sent[no_id]["no_price_dollars"] == "0.5550"
    finally:
        thread.stop()


def test_a_refused_order_is_not_retried_and_is_reported_as_critical() -> None:
    # cannot afford 5 x $0.42
    thread = VenueThread(quiet_config(trader_cash=Decimal("1.00"))).start()
    try:
        thread.house_bid("no", "0.58", 5)
        thread.house_bid("yes", "0.45", 5)
        with contextlib.contextmanager(start_execution)(
            fast_config(thread.rest_url), venue=thread
        ) as harness:
            harness.risk.wait_for(Reconciled)
            harness.tree.tell("execution", Execute(reservation()))

            report = report_of(harness)
            assert report.outcome is Outcome.FAILED
            errors = harness.risk.of(VenueErrorReport)
            assert [(e.error_class, e.error_type) for e in errors] == [
                (ErrorClass.CRITICAL, "InsufficientBalance"),
                (ErrorClass.CRITICAL, "InsufficientBalance"),
            ]
            assert accepted_ids(thread) == []
    finally:
        thread.stop()
