"""The risk actor in a supervision tree: reservations, limits, atomicity, halt, breaker."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from decimal import Decimal as D

import attrs
import pytest

from actors.domain import Action, Position, Side
from actors.messages import (
    AuditEvent,
    CancelAll,
    ErrorClass,
    Execute,
    ExecutionReport,
    Halt,
    MissingLeg,
    Outcome,
    Reconciled,
    Record,
    Reservation,
    ReservationChanged,
    ReservationState,
    Resume,
    VenueErrorReport,
    leg_client_order_id,
)
from actors.risk import (
    BreakerStatus,
    ExposureStatus,
    PositionView,
    Rejected,
    RejectionCounts,
    RejectReason,
    ReservationsStatus,
    ReservationView,
    RiskLimits,
    RiskStatus,
)
from supervision import RestartType, status_from_dict, status_to_dict
from tests.actors.risk_harness import (
    AMOUNT_10_AT_40_55,
    BREAKER,
    WIDE,
    Crash,
    RiskHarness,
    fill,
    reservation,
    risk_tree,
    start_together,
)
from tests.supervision.conftest import eventually


@pytest.fixture
def risk() -> Iterator[RiskHarness]:
    with risk_tree() as harness:
        harness.reconcile()
        yield harness


def _limits(**overrides: D | int) -> RiskLimits:
    return attrs.evolve(WIDE, **overrides)


def _reason(result: object) -> RejectReason:
    assert isinstance(result, Rejected), result
    return result.reason


def _transient(endpoint: str = "POST /portfolio/orders") -> VenueErrorReport:
    return VenueErrorReport(ErrorClass.TRANSIENT, "VenueServerError", endpoint, "503")


def test_no_reservation_is_made_before_a_successful_reconciliation() -> None:
    with risk_tree() as risk:
        assert _reason(risk.reserve("opp-1")) is RejectReason.NOT_RECONCILED
        risk.ask(Reconciled(ok=False, detail="venue unreachable"))
        assert _reason(risk.reserve("opp-2")) is RejectReason.NOT_RECONCILED
        assert risk.execution.of(Execute) == []

        risk.reconcile()
        assert isinstance(risk.reserve("opp-3"), Reservation)
        risk.ask(Reconciled(ok=False, detail="lost the venue"))
        assert _reason(risk.reserve("opp-4")) is RejectReason.NOT_RECONCILED
        summary = risk.summary()
        assert summary.reconciled is False
        assert summary.rejections == RejectionCounts(not_reconciled=3)


def test_a_reservation_is_handed_to_execution_owned_by_its_epoch_and_its_release_recorded(
    risk: RiskHarness,
) -> None:
    reservation = risk.reserve("opp-1")

    assert isinstance(reservation, Reservation)
    assert reservation.reservation_id == "opp-1"
    assert (reservation.event_ticker, reservation.tickers) == ("KX-A", ("KX-A",))
    assert [(leg.side, leg.count, leg.price) for leg in reservation.legs] == [
        (Side.YES, D(10), D("0.40")),
        (Side.NO, D(10), D("0.55")),
    ]
    assert [leg.amount for leg in reservation.legs] == [D("4.17"), D("5.68")]
    assert reservation.amount == AMOUNT_10_AT_40_55 == D("9.85")
    assert reservation.owner_epoch == 1
    assert reservation.state is ReservationState.HELD
    eventually(lambda: len(risk.execution.of(Execute)) == 1)
    assert risk.execution.of(Execute)[0].reservation.reservation_id == "opp-1"
    summary = risk.summary()
    assert summary.reservations.held == (
        ReservationView(
            id="opp-1",
            event_ticker="KX-A",
            tickers=("KX-A",),
            amount=AMOUNT_10_AT_40_55,
            owner_epoch=1,
        ),
    )
    assert summary.exposure == ExposureStatus(
        by_market={"KX-A": AMOUNT_10_AT_40_55},
        by_event={"KX-A": AMOUNT_10_AT_40_55},
        total=AMOUNT_10_AT_40_55,
    )
    assert summary.limits == WIDE
    data = json.loads(json.dumps(status_to_dict(summary)))
    assert data["exposure"]["total"] == "9.85"  # exact text, never a JSON number
    assert data["limits"]["max_total_exposure"] == "100000.00"
    assert status_from_dict(data) == summary
    # HELD is execution's to record (with the intents, one commit); the release is risk's.
    risk.ask(ExecutionReport("opp-1", Outcome.NONE))
    eventually(risk.recorded_reservations)
    assert risk.recorded_reservations() == [
        attrs.evolve(reservation, state=ReservationState.RELEASED, outcome=Outcome.NONE)
    ]


def test_two_simultaneous_opportunities_that_together_exceed_the_limit_reserve_only_one() -> None:
    limits = _limits(max_market_exposure=AMOUNT_10_AT_40_55 * D("1.5"))
    with risk_tree(limits) as risk:
        risk.reconcile()
        results = start_together(2, lambda i: risk.reserve(f"opp-{i}"))

        accepted = [r for r in results if isinstance(r, Reservation)]
        rejected = [r for r in results if isinstance(r, Rejected)]
        assert len(accepted) == 1
        assert [r.reason for r in rejected] == [RejectReason.MARKET_EXPOSURE]
        eventually(lambda: len(risk.execution.of(Execute)) == 1)
        assert risk.summary().exposure.total == AMOUNT_10_AT_40_55


def test_a_market_takes_one_live_reservation_at_a_time_by_default() -> None:
    limits = attrs.evolve(_limits(), max_reservations_per_market=1)
    with risk_tree(limits) as risk:
        risk.reconcile()
        assert isinstance(risk.reserve("opp-1", ticker="KX-A"), Reservation)
        assert _reason(risk.reserve("opp-2", ticker="KX-A")) is RejectReason.MARKET_BUSY
        assert isinstance(risk.reserve("opp-3", ticker="KX-B"), Reservation)
        risk.ask(ExecutionReport("opp-1", Outcome.NONE))
        assert isinstance(risk.reserve("opp-4", ticker="KX-A"), Reservation)
        assert risk.summary().rejections == RejectionCounts(market_busy=1)


def test_many_concurrent_reserves_never_together_exceed_the_total_limit() -> None:
    fits = 7
    limits = _limits(max_total_exposure=AMOUNT_10_AT_40_55 * fits + AMOUNT_10_AT_40_55 / 2)
    threads, per_thread = 8, 25
    with risk_tree(limits) as risk:
        risk.reconcile()

        def burst(index: int) -> list[object]:
            return [
                risk.reserve(f"opp-{index}-{n}", ticker=f"KX-{(index * per_thread + n) % 50}")
                for n in range(per_thread)
            ]

        results = [r for batch in start_together(threads, burst) for r in batch]

        accepted = [r for r in results if isinstance(r, Reservation)]
        assert len(accepted) == fits
        assert sum(r.amount for r in accepted) <= limits.max_total_exposure
        assert {_reason(r) for r in results if isinstance(r, Rejected)} == {
            RejectReason.TOTAL_EXPOSURE
        }
        eventually(lambda: len(risk.execution.of(Execute)) == fits)
        summary = risk.summary()
        assert summary.exposure.total == fits * AMOUNT_10_AT_40_55
        assert summary.rejections == RejectionCounts(total_exposure=threads * per_thread - fits)


def test_a_random_sequence_of_reserves_and_releases_never_holds_more_than_the_total_limit() -> None:
    limits = _limits(
        max_total_exposure=D("30.00"),
        max_market_exposure=D("12.00"),
        max_concurrent_markets=4,
        max_reservations_per_market=3,
    )
    rng = random.Random(20261201)  # seeded: the same sequence every run
    tick, cent = D("0.0001"), D("0.01")
    live: dict[str, D] = {}  # what execution was handed and not yet released
    reasons: set[RejectReason] = set()
    with risk_tree(limits) as risk:
        risk.reconcile()
        for n in range(150):
            if live and rng.random() < 0.35:
                released = rng.choice(sorted(live))
                risk.ask(ExecutionReport(released, Outcome.NONE))
                del live[released]
                continue
            wanted = {
                "ticker": rng.choice(["KX-A", "KX-B", "KX-C", "KX-D", "KX-E"]),
                "yes": rng.randint(1, 4_500) * tick,  # sub-penny prices up to 0.45
                "no": rng.randint(1, 4_500) * tick,
                "count": rng.randint(100, 1_500) * cent,  # 1.00 to 15.00 contracts
            }
            answer = risk.reserve(f"opp-{n}", **wanted)
            amount = reservation(f"opp-{n}", **wanted).amount
            if isinstance(answer, Reservation):
                assert answer.amount == amount
                live[answer.reservation_id] = amount
            else:
                reasons.add(answer.reason)
                if answer.reason is RejectReason.TOTAL_EXPOSURE:  # never a spurious refusal
                    assert sum(live.values(), D(0)) + amount > limits.max_total_exposure
            assert sum(live.values(), D(0)) <= limits.max_total_exposure
            if n % 10 == 0:
                assert risk.summary().exposure.total == sum(live.values(), D(0))
        summary = risk.summary()
        assert summary.exposure.total == sum(live.values(), D(0)) <= limits.max_total_exposure
        assert {v.id: v.amount for v in summary.reservations.held} == live
        assert RejectReason.TOTAL_EXPOSURE in reasons  # the limit was reached, and held
        assert summary.counts.reserved > 20


def test_the_number_of_markets_with_exposure_is_limited() -> None:
    with risk_tree(_limits(max_concurrent_markets=2)) as risk:
        risk.reconcile()
        assert isinstance(risk.reserve("opp-1", ticker="KX-A"), Reservation)
        assert isinstance(risk.reserve("opp-2", ticker="KX-B"), Reservation)
        assert _reason(risk.reserve("opp-3", ticker="KX-C")) is RejectReason.CONCURRENT_MARKETS
        assert isinstance(risk.reserve("opp-4", ticker="KX-A"), Reservation)  # not a new market


def test_an_opportunity_id_is_reserved_once_even_after_its_release(risk: RiskHarness) -> None:
    assert isinstance(risk.reserve("opp-1"), Reservation)
    assert _reason(risk.reserve("opp-1")) is RejectReason.DUPLICATE
    risk.ask(ExecutionReport("opp-1", Outcome.NONE))
    assert _reason(risk.reserve("opp-1")) is RejectReason.DUPLICATE
    eventually(lambda: risk.execution.of(Execute))
    assert len(risk.execution.of(Execute)) == 1
    assert risk.summary().rejections == RejectionCounts(duplicate=2)


def test_an_execution_report_releases_the_reservation_and_books_its_fills(
    risk: RiskHarness,
) -> None:
    risk.reserve("opp-1")
    risk.reserve("opp-2")
    short = MissingLeg(1, "KX-A", Side.NO, D(10), leg_client_order_id("opp-2", 1))
    # opp-1 filled both legs: a pair, no exposure left; opp-2 filled only YES, NO short
    risk.ask(
        ExecutionReport(
            "opp-1",
            Outcome.FILLED,
            (
                fill("opp-1", Side.YES, D(10), D("0.40"), fee=D("0.17")),
                fill("opp-1", Side.NO, D(10), D("0.55"), fee=D("0.18")),
            ),
        )
    )
    risk.ask(
        ExecutionReport(
            "opp-2",
            Outcome.UNHEDGED,
            (fill("opp-2", Side.YES, D(10), D("0.40"), fee=D("0.17")),),
            detail="NO leg: no liquidity",
            held=(D(10), D(0)),
            missing=(short,),
        )
    )

    summary = risk.summary()
    assert summary.reservations == ReservationsStatus(held=(), in_doubt=())
    assert summary.positions["KX-A"].yes == D(20)
    assert summary.positions["KX-A"].no == D(10)
    assert summary.exposure.by_market == {"KX-A": D("4.17")}  # 10 YES at 0.40 + fee 0.17
    assert summary.realised_pnl_today == D("10.00") - D("4.00") - D("5.50") - D("0.35")
    eventually(
        lambda: {c.reservation_id for c in _released(risk)} == {"opp-1", "opp-2"},
        what="both releases recorded",
    )
    released = {c.reservation_id: c for c in _released(risk)}
    assert (released["opp-1"].outcome, released["opp-1"].missing) == (Outcome.FILLED, ())
    unhedged = released["opp-2"]
    assert (unhedged.outcome, unhedged.held, unhedged.missing) == (
        Outcome.UNHEDGED,
        (D(10), D(0)),
        (short,),
    )
    assert unhedged.detail == "NO leg: no liquidity"


def test_reconciled_positions_seed_the_exposure_of_unmatched_contracts() -> None:
    limits = _limits(max_market_exposure=AMOUNT_10_AT_40_55 + D("5.00"))
    with risk_tree(limits) as risk:
        held = Position("KX-A", yes_count=D(15), no_count=D(5), cash=D("-10.00"))
        paired = Position("KX-B", yes_count=D(5), no_count=D(5), cash=D("-4.80"))
        risk.reconcile(held, paired)

        summary = risk.summary()
        # 10 unmatched YES cost at most what was paid in all; the pairs risk nothing
        assert summary.exposure.by_market == {"KX-A": D("10.00")}
        assert _reason(risk.reserve("opp-1")) is RejectReason.MARKET_EXPOSURE
        assert isinstance(risk.reserve("opp-2", ticker="KX-B"), Reservation)


def test_a_halt_cancels_all_orders_rejects_new_risk_and_is_audited(risk: RiskHarness) -> None:
    risk.ask(Halt("operator pressed the button", "cli"))

    eventually(lambda: risk.execution.of(CancelAll))
    assert risk.execution.of(CancelAll) == [CancelAll("operator pressed the button")]
    assert _reason(risk.reserve("opp-1")) is RejectReason.HALTED
    eventually(lambda: _audits(risk))
    assert _audits(risk)[0] == AuditEvent("halt", "operator pressed the button", "cli")
    summary = risk.summary()
    assert (summary.halted, summary.halt_reason) == (True, "operator pressed the button")

    risk.ask(Resume("cli"))
    assert isinstance(risk.reserve("opp-2"), Reservation)
    eventually(lambda: [a.kind for a in _audits(risk)] == ["halt", "resume"])
    assert risk.summary().halted is False


def test_a_critical_venue_error_halts_naming_the_error_and_endpoint(risk: RiskHarness) -> None:
    risk.ask(VenueErrorReport(ErrorClass.CRITICAL, "VenueAuthError", "GET /portfolio", "401"))

    summary = risk.summary()
    assert summary.halted is True
    assert "VenueAuthError" in str(summary.halt_reason)
    assert "GET /portfolio" in str(summary.halt_reason)
    eventually(lambda: risk.execution.of(CancelAll))
    assert _reason(risk.reserve("opp-1")) is RejectReason.HALTED


def test_a_storm_of_transient_errors_opens_the_breaker_which_half_opens_and_closes(
    risk: RiskHarness,
) -> None:
    for _ in range(BREAKER.failure_threshold):
        risk.ask(_transient())
    assert risk.summary().breaker.state == "open"
    assert _reason(risk.reserve("opp-1")) is RejectReason.BREAKER_OPEN

    risk.clock.advance(BREAKER.cooldown_s - 0.5)
    assert _reason(risk.reserve("opp-2")) is RejectReason.BREAKER_OPEN
    risk.clock.advance(0.5)
    assert isinstance(risk.reserve("probe-1"), Reservation)
    assert risk.summary().breaker.state == "half_open"
    assert isinstance(risk.reserve("probe-2"), Reservation)
    assert _reason(risk.reserve("probe-3")) is RejectReason.BREAKER_HALF_OPEN

    risk.ask(ExecutionReport("probe-1", Outcome.NONE))
    assert risk.summary().breaker.state == "closed"
    assert isinstance(risk.reserve("opp-3"), Reservation)
    eventually(
        lambda: (
            [a.detail.split(":")[0] for a in _audits(risk)][-3:]
            == [
                "closed -> open",
                "open -> half_open",
                "half_open -> closed",
            ]
        )
    )


def test_a_failure_while_half_open_reopens_the_breaker(risk: RiskHarness) -> None:
    for _ in range(BREAKER.failure_threshold):
        risk.ask(_transient())
    risk.clock.advance(BREAKER.cooldown_s)
    assert isinstance(risk.reserve("probe-1"), Reservation)

    risk.ask(_transient())
    assert risk.summary().breaker.state == "open"
    assert _reason(risk.reserve("opp-1")) is RejectReason.BREAKER_OPEN
    assert risk.summary().breaker.times_opened == 2


def test_a_probe_that_fails_for_a_reason_not_the_venues_frees_its_slot(
    risk: RiskHarness,
) -> None:
    for _ in range(BREAKER.failure_threshold):
        risk.ask(_transient())
    risk.clock.advance(BREAKER.cooldown_s)
    risk.reserve("probe-1")
    risk.reserve("probe-2")
    assert _reason(risk.reserve("probe-3")) is RejectReason.BREAKER_HALF_OPEN

    risk.ask(ExecutionReport("probe-1", Outcome.FAILED, detail="ledger refused the intent"))

    assert risk.summary().breaker.state == "half_open"
    assert isinstance(risk.reserve("probe-4"), Reservation)


def test_transient_errors_spread_beyond_the_window_do_not_open_the_breaker(
    risk: RiskHarness,
) -> None:
    for _ in range(BREAKER.failure_threshold * 3):
        risk.ask(_transient())
        risk.clock.advance(BREAKER.window_s / (BREAKER.failure_threshold - 1) + 0.01)
    assert risk.summary().breaker.state == "closed"
    assert isinstance(risk.reserve("opp-1"), Reservation)


def test_a_failed_outcome_alone_does_not_count_against_the_breaker(risk: RiskHarness) -> None:
    for n in range(BREAKER.failure_threshold * 2):
        risk.reserve(f"opp-{n}")
        risk.ask(ExecutionReport(f"opp-{n}", Outcome.FAILED, detail="ledger refused"))
    assert risk.summary().breaker == BreakerStatus(
        state="closed",
        failures_in_window=0,
        probes_in_flight=0,
        times_opened=0,
        open_for_s=None,
    )


def test_the_daily_loss_limit_counts_realised_losses_of_the_utc_day() -> None:
    with risk_tree(_limits(max_daily_loss=AMOUNT_10_AT_40_55 + D("2.00"))) as risk:
        risk.reconcile()
        risk.reserve("opp-1")
        # only YES filled; the unwind sold it $0.25 lower: a realised loss of $2.50 + fees
        risk.ask(
            ExecutionReport(
                "opp-1",
                Outcome.PARTIAL,
                (
                    fill("opp-1", Side.YES, D(10), D("0.40"), fee=D("0.17")),
                    fill("opp-1", Side.YES, D(10), D("0.15"), action=Action.SELL, fee=D("0.09")),
                ),
            )
        )
        assert risk.summary().realised_pnl_today == -(D("2.50") + D("0.17") + D("0.09"))
        assert _reason(risk.reserve("opp-2")) is RejectReason.DAILY_LOSS
        assert isinstance(risk.reserve("opp-3", count=D(1)), Reservation)  # a smaller worst case

        risk.clock.advance(24 * 3600)  # the next UTC day starts from zero
        assert risk.summary().realised_pnl_today == 0
        assert isinstance(risk.reserve("opp-4"), Reservation)


def test_without_a_running_execution_nothing_is_reserved() -> None:
    with risk_tree(execution_restart=RestartType.TEMPORARY) as risk:
        risk.reconcile()
        risk.tree.tell("execution", Crash())
        eventually(lambda: risk.tree.snapshot().find("execution").status != "running")

        assert _reason(risk.reserve("opp-1")) is RejectReason.EXECUTION_UNAVAILABLE
        assert risk.summary().exposure.total == 0


def test_a_ledger_that_cannot_write_halts_trading_once(risk: RiskHarness) -> None:
    risk.persistence_mode.answer = "fail"
    risk.reserve("opp-1")
    risk.ask(ExecutionReport("opp-1", Outcome.NONE))

    eventually(lambda: risk.summary().counts.records_failed == 2)
    summary = risk.summary()
    assert summary.halted is True
    assert "ledger cannot write: disk full" in str(summary.halt_reason)
    # the release's record and the halt's audit; a failed audit does not halt again
    assert len(risk.persistence.of(Record)) == 2
    assert _reason(risk.reserve("opp-2")) is RejectReason.HALTED


def test_without_persistence_reservations_are_still_made_and_the_loss_counted() -> None:
    with risk_tree(with_persistence=False) as risk:
        risk.reconcile()
        assert isinstance(risk.reserve("opp-1"), Reservation)
        risk.ask(ExecutionReport("opp-1", Outcome.NONE))
        assert risk.summary().counts.records_undelivered == 1


def test_a_fill_that_does_not_fit_the_books_halts_trading(risk: RiskHarness) -> None:
    risk.reserve("opp-1")
    oversold = fill("opp-1", Side.NO, D(5), D("0.50"), action=Action.SELL, fill_id="t-oversold")
    risk.ask(ExecutionReport("opp-1", Outcome.PARTIAL, (oversold,)))

    summary = risk.summary()
    assert summary.halted is True
    assert "t-oversold" in str(summary.halt_reason)
    assert summary.reservations.held == ()  # the report itself still ends the reservation


def test_an_unknown_message_is_counted_and_changes_nothing(risk: RiskHarness) -> None:
    assert risk.ask("what is this") is None
    summary = risk.summary()
    assert summary.unknown_messages == 1
    assert risk.tree.snapshot().find("risk").epoch == 1
    assert isinstance(risk.reserve("opp-1"), Reservation)


def _released(risk: RiskHarness) -> list[Reservation]:
    return [c for c in risk.recorded_reservations() if c.state is ReservationState.RELEASED]


def _audits(risk: RiskHarness) -> list[AuditEvent]:
    return [
        event
        for record in risk.persistence.of(Record)
        for event in record.events
        if isinstance(event, AuditEvent)
    ]


def test_what_a_failed_write_lost_is_written_again_latest_state_first_once_the_ledger_heals(
    risk: RiskHarness,
) -> None:
    risk.persistence_mode.answer = "fail"
    risk.reserve("opp-1")  # HELD: execution's to write, with the intents
    risk.ask(ExecutionReport("opp-1", Outcome.NONE))  # RELEASED: this write fails
    eventually(lambda: risk.summary().counts.records_failed >= 2)  # + halt audit
    written_while_full = len(risk.persistence.of(Record))

    risk.persistence_mode.answer = "ack"
    risk.ask(Resume("operator"))
    eventually(lambda: risk.summary().counts.ledger_catch_ups >= 1)
    eventually(lambda: len(risk.persistence.of(Record)) > written_while_full + 1)
    replayed = [
        event
        for record in risk.persistence.of(Record)[written_while_full:]
        for event in record.events
        if isinstance(event, ReservationChanged)
    ]
    # Only the latest state is written again.
    assert [(e.reservation.reservation_id, e.reservation.state) for e in replayed] == [
        ("opp-1", ReservationState.RELEASED)
    ]
    audits = [
        event.kind
        for record in risk.persistence.of(Record)[written_while_full:]
        for event in record.events
        if isinstance(event, AuditEvent)
    ]
    assert "halt" in audits  # the lost halt audit is written too


def test_the_status_crosses_json_and_comes_back_as_an_equal_risk_status() -> None:
    leftover = reservation(
        "opp-old", "KX-Z", count=D(1), owner_epoch=1, state=ReservationState.IN_DOUBT
    )
    with risk_tree(open_reservations=lambda: (leftover,)) as risk:
        statuses = [risk.summary()]  # before reconciling: a leftover pending, all rejected
        risk.reserve("opp-early")
        risk.reconcile()
        risk.reserve("opp-1")
        risk.crash_execution()  # opp-1 in doubt, owned by the new incarnation
        risk.reserve("opp-2", ticker="KX-B")
        risk.reserve("opp-2", ticker="KX-B")  # a duplicate
        risk.ask(
            ExecutionReport(
                "opp-2",
                Outcome.PARTIAL,
                (fill("opp-2", Side.YES, D(10), D("0.40"), ticker="KX-B"),),
            )
        )
        risk.reserve("opp-3", ticker="KX-C")
        for _ in range(BREAKER.failure_threshold):
            risk.ask(_transient())
        risk.clock.advance(1.5)
        risk.ask("what is this")
        statuses.append(risk.summary())

        pending, busy = statuses
        assert pending.recovered_pending == ("opp-old",)
        assert busy.reservations.in_doubt[0].id == "opp-1"
        assert [r.id for r in busy.reservations.held] == ["opp-3"]
        assert busy.positions["KX-B"] == PositionView(yes=D(10), no=D(0), cash=D("-4.00"))
        assert busy.breaker.open_for_s == 1.5
        assert busy.rejections == RejectionCounts(not_reconciled=1, duplicate=1)
        assert (busy.counts.reserved, busy.counts.fills, busy.unknown_messages) == (3, 1, 1)
        for status in statuses:
            data = json.loads(json.dumps(status_to_dict(status)))
            assert data["type"] == "RiskStatus"
            back = status_from_dict(data)
            assert type(back) is RiskStatus
            assert back == status
