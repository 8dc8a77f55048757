"""The ledger client on its own: a fake owner with a manual clock and a seeded rng."""

from __future__ import annotations

import random
from typing import Any

import pytest

from actors.ledger_client import DEFAULT_LEDGER_RETRY, Failure, LedgerClient, RecordOutcome
from actors.messages import AuditEvent, Record, Recorded, RecordFailed
from supervision import Backoff, ChildUnavailable, Down, DownReason, ManualClock

AUDIT = (AuditEvent("halt", "why", "test"),)


class Owner:
    """What an actor gives its client: a name, an epoch, a clock, an rng, send, monitor."""

    def __init__(self, seed: int = 3) -> None:
        self.name, self.epoch = "risk", 2
        self.clock = ManualClock()
        self.rng = random.Random(seed)
        self.sent: list[tuple[str, Any]] = []
        self.monitored: list[str] = []
        self.persistence_epoch: int | None = 1  # None: no running persistence

    def send(self, to: str, message: Any) -> int:
        if self.persistence_epoch is None:
            raise ChildUnavailable(to, "restarting")
        self.sent.append((to, message))
        return self.persistence_epoch

    def monitor(self, name: str) -> None:
        self.monitored.append(name)


@pytest.fixture
def owner() -> Owner:
    return Owner()


def _client(
    owner: Owner, timeout: float | None = 5.0
) -> tuple[LedgerClient[str], list[RecordOutcome[str]], list[float]]:
    outcomes: list[RecordOutcome[str]] = []
    retries: list[float] = []
    client: LedgerClient[str] = LedgerClient(
        owner,
        outcomes.append,
        timeout=timeout,
        on_retry=lambda: retries.append(owner.clock.monotonic()),
    )
    client.start()
    return client, outcomes, retries


def test_a_record_goes_to_persistence_under_an_id_naming_the_incarnation(owner: Owner) -> None:
    client, outcomes, _ = _client(owner)
    assert owner.monitored == ["persistence"]

    first = client.record(AUDIT, "first")
    second = client.record(AUDIT, "second")

    assert (first, second) == ("risk-2-1", "risk-2-2")
    assert owner.sent == [
        ("persistence", Record(first, AUDIT)),
        ("persistence", Record(second, AUDIT)),
    ]
    assert client.in_flight == 2
    assert outcomes == []


def test_each_answer_settles_its_record_once_with_the_context_attached(owner: Owner) -> None:
    client, outcomes, _ = _client(owner)
    ok, refused = client.record(AUDIT, "ok"), client.record(AUDIT, "refused")

    assert client.answer(RecordFailed(refused, "disk full"))
    assert client.answer(Recorded(ok))
    assert not client.answer(Recorded(ok))  # a second answer: late, ignored

    assert outcomes == [
        RecordOutcome(refused, AUDIT, "refused", Failure.REFUSED, "disk full"),
        RecordOutcome(ok, AUDIT, "ok"),
    ]
    assert outcomes[0].detail == "record failed: disk full"
    assert (client.in_flight, client.status().late_answers) == (0, 1)


def test_a_record_unanswered_past_its_deadline_fails_at_the_next_sweep(owner: Owner) -> None:
    client, outcomes, _ = _client(owner, timeout=5.0)
    old = client.record(AUDIT, "old")
    owner.clock.advance(3.0)
    young = client.record(AUDIT, "young")

    owner.clock.advance(1.999)
    client.sweep()
    assert outcomes == []
    owner.clock.advance(0.001)
    client.sweep()

    assert [(o.request_id, o.failure, o.error) for o in outcomes] == [
        (old, Failure.TIMED_OUT, "no answer from persistence")
    ]
    assert client.in_flight == 1
    assert not client.answer(Recorded(old))  # its answer comes too late: ignored
    assert client.answer(Recorded(young))


def test_without_a_timeout_a_record_waits_for_its_answer(owner: Owner) -> None:
    client, outcomes, _ = _client(owner, timeout=None)
    client.record(AUDIT, "x")
    owner.clock.advance(3600.0)
    client.sweep()
    assert (outcomes, client.in_flight) == ([], 1)


def test_down_of_persistence_fails_exactly_what_that_incarnation_held(owner: Owner) -> None:
    client, outcomes, _ = _client(owner)
    held = client.record(AUDIT, "held by #1")
    owner.persistence_epoch = 2  # #1 ended and #2 runs; its Down is still on the way
    newer = client.record(AUDIT, "held by #2")

    assert not client.on_down(Down("execution", 1, DownReason.CRASH))  # not the client's
    assert client.on_down(Down("persistence", 1, DownReason.CRASH))

    assert [(o.request_id, o.failure, o.error) for o in outcomes] == [
        (held, Failure.PERSISTENCE_DOWN, "persistence down (crash)")
    ]
    assert client.in_flight == 1
    assert client.answer(Recorded(newer))


def test_an_orderly_stop_of_persistence_fails_its_unread_records_as_stopped(owner: Owner) -> None:
    """Stopped in order, persistence answered all it read: the rest was never written."""
    client, outcomes, _ = _client(owner)
    held = client.record(AUDIT, "held by #1")
    assert client.on_down(Down("persistence", 1, DownReason.SHUTDOWN))
    assert [(o.request_id, o.failure, o.error) for o in outcomes] == [
        (held, Failure.STOPPED, "persistence down (shutdown)")
    ]


def test_a_record_with_no_persistence_to_take_it_fails_before_record_returns(
    owner: Owner,
) -> None:
    client, outcomes, _ = _client(owner)
    owner.persistence_epoch = None

    request_id = client.record(AUDIT, "lost")

    assert outcomes[0].request_id == request_id
    assert outcomes[0].failure is Failure.UNDELIVERED
    assert outcomes[0].error is not None
    assert outcomes[0].error.startswith("persistence unavailable")
    assert client.in_flight == 0


def test_the_retry_schedule_is_the_runtimes_jittered_backoff_from_the_owners_rng(
    owner: Owner,
) -> None:
    client, _, retries = _client(owner)
    expected = Backoff(DEFAULT_LEDGER_RETRY, random.Random(3))  # the owner's seed

    delays = []
    for _ in range(6):
        delay = client.schedule_retry()
        assert delay is not None
        assert client.schedule_retry() is None  # one retry at a time: not moved
        delays.append(delay)
        owner.clock.advance(delay - 1e-6)
        client.sweep()
        fired = len(retries)
        owner.clock.advance(1e-6)
        client.sweep()
        assert len(retries) == fired + 1  # due exactly at its time, on the owner's clock
    assert delays == [expected.next_delay() for _ in range(6)]
    assert client.status().retry_attempt == 6

    client.retry_succeeded()
    expected.reset()
    assert client.schedule_retry() == expected.next_delay()
    assert client.status().retry_attempt == 1


def test_a_callback_may_record_again_while_the_client_settles_a_record(owner: Owner) -> None:
    outcomes: list[RecordOutcome[str]] = []

    def on_outcome(outcome: RecordOutcome[str]) -> None:
        outcomes.append(outcome)
        if not outcome.ok and outcome.context == "first":
            client.record(AUDIT, "audit of the failure")

    client: LedgerClient[str] = LedgerClient(owner, on_outcome, timeout=1.0)
    client.record(AUDIT, "first")
    owner.clock.advance(1.0)
    client.sweep()

    assert [o.context for o in outcomes] == ["first"]
    assert client.in_flight == 1  # the new one, not swept: its deadline is a second away
