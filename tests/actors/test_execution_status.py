"""What execution publishes about itself: a typed status holding copies, typed counting."""

from __future__ import annotations

import contextlib
import socket

import attrs
import pytest

from actors.execution import ExecutionCounts, ExecutionStatus, FlightView, Phase
from actors.execution._events import Counted
from actors.execution._status import CountName
from actors.ledger_client import LedgerClientStatus
from actors.messages import ExecutionReady, Reconciled
from supervision import ManualClock, status_from_dict, status_to_dict
from tests.actors.execution_harness import fast_config, start_execution
from tests.supervision.conftest import eventually


def unreachable_url() -> str:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/trade-api/v2"


def test_an_execution_status_crosses_json_and_comes_back_as_the_same_classes() -> None:
    status = ExecutionStatus(
        reconciled=True,
        reconcile_attempts=2,
        reconcile_detail="ok",
        dry_run=False,
        in_flight={
            "opp-1": FlightView(Phase.PLACING, {"c-yes": "submitting (attempt 1)"}, 1.5),
            "opp-2": FlightView(Phase.RECORDING_UNWIND, {}),
        },
        resolving_in_doubt=("opp-0",),
        pending_records=1,
        ledger_repair_pending=("c-no",),
        counts=ExecutionCounts(orders_sent=2, ledger_repairs=1),
        last_error=None,
        ledger_client=LedgerClientStatus(1, 0.5, 0, None, 3, 0, 0),
        unknown_messages=0,
    )

    data = status_to_dict(status)

    assert data["type"] == "ExecutionStatus"
    assert data["in_flight"]["opp-1"]["phase"] == "placing"  # the phase's value, for JSON
    assert data["in_flight"]["opp-1"]["deadline_in_s"] == 1.5
    assert status_from_dict(data) == status


def test_every_counter_name_is_a_field_of_the_counts_and_nothing_else() -> None:
    assert {name.value for name in CountName} == {
        field.name for field in attrs.fields(ExecutionCounts)
    }
    counts = ExecutionCounts()
    counts.add(CountName.RETRIES, 2)
    assert counts == ExecutionCounts(retries=2)


def test_a_misspelt_counter_fails_loudly_instead_of_counting_under_a_new_name() -> None:
    with pytest.raises(TypeError):
        Counted("retries")  # type: ignore[arg-type]  # a bare string is not a CountName
    counts = ExecutionCounts()
    with pytest.raises(AttributeError):
        counts.retris = 1  # type: ignore[attr-defined]  # slotted: no new counters


def test_a_published_status_is_a_copy_that_later_counting_leaves_alone() -> None:
    with contextlib.contextmanager(start_execution)(fast_config(unreachable_url())) as harness:
        harness.risk.wait_for(Reconciled)  # failed at least once: venue errors counted
        first = harness.summary()
        seen = first.counts.venue_errors

        later = eventually(
            lambda: (s := harness.summary()).counts.venue_errors > seen and s,
            what="more venue errors counted",
        )

        assert first.counts.venue_errors == seen
        assert first.counts is not later.counts
        assert first.reconcile_attempts <= later.reconcile_attempts
        assert first.reconcile_detail is not None
        assert first.reconcile_detail.startswith("venue:")


def test_an_unknown_message_is_counted_in_the_status_and_the_actor_lives_on() -> None:
    with contextlib.contextmanager(start_execution)(fast_config(unreachable_url())) as harness:
        harness.tree.tell("execution", "not a message execution takes")

        eventually(lambda: harness.summary().unknown_messages == 1, what="one unknown message")
        assert harness.tree.snapshot().find("execution").epoch == 1


def test_the_settle_period_before_reconciling_is_waited_on_the_injected_clock() -> None:
    clock = ManualClock()
    config = fast_config(unreachable_url(), reconcile_settle_s=30.0)
    with contextlib.contextmanager(start_execution)(config, clock=clock) as harness:
        harness.risk.wait_for(ExecutionReady)
        assert harness.risk.of(Reconciled) == []  # the manual clock has not moved

        clock.advance(30.0)

        # On trio's real clock this would take 30 s; on the actor's clock it is due now.
        (failed,) = harness.risk.wait_for(Reconciled, timeout=5.0)
        assert not failed.ok
        assert harness.summary().reconcile_attempts == 1  # the retry waits for the clock too
