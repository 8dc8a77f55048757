"""Risk's writes to the ledger go through the ledger client: a Record lost to a
persistence crash, to silence or to a refusal halts trading (fail closed) and is
written again once the ledger takes it, whatever the supervisor strategy."""

from __future__ import annotations

import pytest

from actors.messages import (
    AuditEvent,
    CancelAll,
    ExecutionReport,
    Outcome,
    Record,
    Recorded,
    Reservation,
    ReservationChanged,
    ReservationState,
    Resume,
)
from actors.risk import Rejected, RejectReason
from supervision import Strategy
from tests.actors.risk_harness import RiskHarness, risk_tree
from tests.supervision.conftest import eventually


def _released_in(risk: RiskHarness, persistence_epoch: int) -> list[str]:
    return [
        event.reservation.reservation_id
        for epoch, record in risk.persistence.entries
        if epoch == persistence_epoch and isinstance(record, Record)
        for event in record.events
        if isinstance(event, ReservationChanged)
        and event.reservation.state is ReservationState.RELEASED
    ]


def _audit_kinds(records: list[Record]) -> list[str]:
    return [e.kind for r in records for e in r.events if isinstance(e, AuditEvent)]


def test_risk_halts_and_writes_again_what_persistence_held_when_it_crashes_alone() -> None:
    with risk_tree(strategy=Strategy.ONE_FOR_ONE) as risk:
        risk.reconcile()
        risk.reserve("opp-1")
        risk.persistence_mode.answer = "silent"
        risk.ask(ExecutionReport("opp-1", Outcome.NONE))  # RELEASED: in flight, unanswered
        assert risk.summary().records_in_flight == 1
        risk_epoch = risk.epoch_of("risk")

        risk.persistence_mode.answer = "ack"  # the successor writes
        successor = risk.crash_persistence()

        eventually(lambda: risk.summary().halted, what="risk halted")
        summary = risk.summary()
        assert summary.halt_reason == "ledger cannot write: persistence down (crash)"
        assert summary.counts.records_failed == 1
        assert risk.execution.of(CancelAll)  # as a refused Record's halt does
        assert isinstance(risk.reserve("opp-2"), Rejected)
        # nothing leaks: the lost release is written again to the successor
        risk.ask(Recorded("sync"))  # the ledger writes again: catch up
        eventually(lambda: _released_in(risk, successor) == ["opp-1"], what="release rewritten")
        eventually(lambda: risk.summary().records_in_flight == 0, what="nothing in flight")
        assert risk.epoch_of("risk") == risk_epoch  # risk itself was never restarted


def test_an_orderly_persistence_restart_with_a_record_in_flight_does_not_halt_risk() -> None:
    """Stopped in order, persistence never read the Record still unanswered: nothing of
    it was written and the ledger is not broken, so risk writes it again to the
    successor instead of halting (an operator's `warden restart persistence`)."""
    with risk_tree(strategy=Strategy.ONE_FOR_ONE) as risk:
        risk.reconcile()
        risk.reserve("opp-1")
        risk.persistence_mode.answer = "silent"
        risk.ask(ExecutionReport("opp-1", Outcome.NONE))  # RELEASED: in flight, unanswered
        assert risk.summary().records_in_flight == 1

        risk.persistence_mode.answer = "ack"  # the successor writes
        successor = risk.tree.restart("persistence")

        eventually(lambda: risk.summary().records_in_flight == 0, what="the Record failed")
        assert risk.summary().halted is False
        assert risk.summary().counts.records_undelivered == 1
        risk.ask(Recorded("sync"))  # the ledger writes again: catch up
        eventually(lambda: _released_in(risk, successor) == ["opp-1"], what="release rewritten")
        assert isinstance(risk.reserve("opp-2"), Reservation)


@pytest.mark.parametrize("strategy", [Strategy.ONE_FOR_ONE, Strategy.REST_FOR_ONE])
def test_a_persistence_crash_with_nothing_in_flight_does_not_halt_risk(
    strategy: Strategy,
) -> None:
    with risk_tree(strategy=strategy) as risk:
        risk.reconcile()
        risk.crash_persistence()
        eventually(lambda: risk.tree.snapshot().find("risk").status == "running")
        risk.ask(Recorded("sync"))  # the Down, if any, was handled before this
        assert risk.summary().halted is False


def test_a_record_persistence_never_answers_halts_risk_after_record_timeout() -> None:
    with risk_tree(record_timeout=5.0) as risk:
        risk.reconcile()
        risk.reserve("opp-1")
        risk.persistence_mode.answer = "silent"
        risk.ask(ExecutionReport("opp-1", Outcome.NONE))  # RELEASED: never answered

        risk.clock.advance(4.5)
        risk.ask("tick")  # risk sweeps its Records at every message
        assert risk.summary().halted is False

        risk.clock.advance(0.6)
        risk.ask("tick")
        summary = risk.summary()
        assert summary.halted is True
        assert summary.halt_reason == "ledger cannot write: no answer from persistence"
        assert summary.counts.records_failed == 1
        refused = risk.reserve("opp-2")
        assert isinstance(refused, Rejected)
        assert refused.reason is RejectReason.HALTED


def test_what_a_failed_record_lost_is_written_again_when_the_retry_is_due() -> None:
    with risk_tree() as risk:
        risk.reconcile()
        risk.reserve("opp-1")
        risk.persistence_mode.answer = "fail"
        risk.ask(ExecutionReport("opp-1", Outcome.NONE))
        eventually(lambda: risk.summary().counts.records_failed == 2)  # + halt
        due_in = risk.summary().ledger_client.retry_due_in_s
        assert due_in is not None
        assert 0 <= due_in <= 0.5  # the first step of the jittered backoff

        risk.persistence_mode.answer = "ack"
        written = len(risk.persistence.of(Record))
        risk.clock.advance(due_in)
        risk.ask("tick")  # the sweep runs the due retry

        eventually(lambda: len(risk.persistence.of(Record)) > written, what="retried")
        retried = risk.persistence.of(Record)[written]
        assert [type(e) for e in retried.events] == [ReservationChanged, AuditEvent]
        assert risk.summary().counts.ledger_catch_ups == 1


def test_a_resume_is_recorded_after_the_halt_a_failed_record_lost() -> None:
    with risk_tree() as risk:
        risk.reconcile()
        risk.reserve("opp-1")
        risk.persistence_mode.answer = "fail"
        risk.ask(ExecutionReport("opp-1", Outcome.NONE))  # fails: halt, its audit fails too
        eventually(lambda: risk.summary().counts.records_failed == 2)
        written = len(risk.persistence.of(Record))

        risk.persistence_mode.answer = "ack"
        risk.ask(Resume("operator"))

        eventually(lambda: "resume" in _audit_kinds(risk.persistence.of(Record)[written:]))
        # the trail must not end halted: the next incarnation replays it
        assert _audit_kinds(risk.persistence.of(Record)[written:]) == ["halt", "resume"]
