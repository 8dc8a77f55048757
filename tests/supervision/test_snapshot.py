"""Introspection: the snapshot tells restarts, epochs, failures, load and state."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import attrs
import cattrs
import pytest

from supervision import (
    ChildSpec,
    ManualClock,
    SupervisorSpec,
    snapshot_from_dict,
    snapshot_to_dict,
    snapshot_to_json,
    status_from_dict,
    status_to_dict,
    status_type,
)
from tests.supervision.conftest import (
    Block,
    Crash,
    Journal,
    Recorder,
    RecorderStatus,
    eventually,
    is_running,
    recorder,
    tree_spec,
)


def test_the_snapshot_reports_restarts_epoch_and_last_error(journal: Journal, start_tree) -> None:
    inner = SupervisorSpec(name="inner", children=(recorder("deep", journal),))
    tree = start_tree(tree_spec(recorder("a", journal), inner))
    for i in range(2):
        tree.tell("deep", Crash(KeyError(f"missing {i}")))
        eventually(lambda e=i + 2: is_running(tree, "deep", epoch=e))
    tree.ask("deep", "hello")

    snapshot = tree.snapshot()
    assert [node.path for node in snapshot.walk()] == [
        "root",
        "root/a",
        "root/inner",
        "root/inner/deep",
    ]
    deep = snapshot.find("deep")
    assert (deep.kind, deep.status, deep.epoch, deep.restarts) == ("worker", "running", 3, 2)
    assert deep.last_failure is not None
    assert (deep.last_failure.reason, deep.last_failure.type) == ("crash", "KeyError")
    assert deep.last_failure.message == "'missing 1'"
    assert deep.summary == RecorderStatus(received=1)  # its own status, this incarnation
    assert deep.processed == 3  # two crashes + one hello, over all incarnations
    assert deep.uptime_s is not None
    assert deep.uptime_s >= 0
    a = snapshot.find("a")
    assert (a.epoch, a.restarts, a.last_failure) == (1, 0, None)


def test_the_snapshot_shows_mailbox_depth_and_the_age_of_the_message_in_flight(
    journal: Journal, start_tree
) -> None:
    tree = start_tree(tree_spec(recorder("busy", journal)))
    release = threading.Event()
    try:
        tree.tell("busy", Block(release))
        for i in range(4):
            tree.tell("busy", f"queued {i}")
        eventually(lambda: tree.snapshot(summary_timeout=0.05).find("busy").inflight_age_s)
        busy = tree.snapshot(summary_timeout=0.05).find("busy")
        assert busy.mailbox == 4  # the runtime's own summary request is not counted
        assert busy.summary_stale  # busy: it could not answer, the last summary is shown
        assert busy.summary is None  # ... and it never gave one before
    finally:
        release.set()
    eventually(lambda: tree.snapshot().find("busy").mailbox == 0)
    idle = tree.snapshot().find("busy")
    assert idle.inflight_age_s is None
    assert idle.processed == 5
    assert not idle.summary_stale
    assert idle.summary == RecorderStatus(received=5)


def test_the_snapshot_round_trips_through_json(journal: Journal, start_tree) -> None:
    tree = start_tree(tree_spec(recorder("a", journal)))
    tree.tell("a", Crash(RuntimeError("for the record")))
    eventually(lambda: is_running(tree, "a", epoch=2))
    snapshot = tree.snapshot()
    text = snapshot_to_json(snapshot)
    data = json.loads(text)
    child = data["children"][0]
    assert {"name", "path", "status", "epoch", "restarts", "mailbox", "processed"} <= set(child)
    assert child["last_failure"]["message"] == "for the record"
    assert snapshot_from_dict(data) == snapshot
    assert snapshot_to_dict(snapshot) == data


def test_a_status_crosses_json_as_its_own_class_and_is_read_by_type(
    journal: Journal, start_tree
) -> None:
    tree = start_tree(tree_spec(recorder("a", journal)))
    tree.ask("a", "one")
    data = json.loads(snapshot_to_json(tree.snapshot()))
    assert data["children"][0]["summary"] == {"type": "RecorderStatus", "received": 1}
    back = snapshot_from_dict(data)
    assert back.status_of("a", RecorderStatus) == RecorderStatus(received=1)
    assert back.status_of("nobody", RecorderStatus) is None
    assert back.status_of("a", int) is None  # another kind of status reads as absent


def test_an_unregistered_or_unknown_status_is_refused_by_name() -> None:
    @attrs.frozen
    class Unregistered:
        n: int

    with pytest.raises(TypeError, match="Unregistered is not a registered status type"):
        status_to_dict(Unregistered(1))
    with pytest.raises(ValueError, match="unknown status type 'Renamed'"):
        status_from_dict({"type": "Renamed", "n": 1})
    assert status_from_dict(status_to_dict(RecorderStatus(3))) == RecorderStatus(3)


@status_type
@attrs.frozen
class MoneyStatus:
    cash: Decimal


def test_a_decimal_in_a_status_crosses_json_as_its_exact_string() -> None:
    data = status_to_dict(MoneyStatus(Decimal("0.1200")))
    assert data == {"type": "MoneyStatus", "cash": "0.1200"}
    back = status_from_dict(json.loads(json.dumps(data)))
    assert back == MoneyStatus(Decimal("0.1200"))
    assert str(back.cash) == "0.1200"  # type: ignore[attr-defined]  # the scale survives
    for bad in (0.12, "NaN", "Infinity", "twelve cents"):
        with pytest.raises(cattrs.BaseValidationError):
            status_from_dict({"type": "MoneyStatus", "cash": bad})


def test_a_status_type_must_be_frozen_and_its_name_unique() -> None:
    @attrs.define
    class Mutable:
        n: int

    with pytest.raises(TypeError, match="must be a frozen attrs class"):
        status_type(Mutable)

    @attrs.frozen
    class RecorderStatus:  # the same name as the test actors' status
        received: int

    with pytest.raises(ValueError, match="'RecorderStatus' is taken"):
        status_type(RecorderStatus)


def test_a_node_is_found_by_name_or_absent(journal: Journal, start_tree) -> None:
    tree = start_tree(tree_spec(recorder("a", journal)))
    snapshot = tree.snapshot()
    assert snapshot.get("a") is snapshot.find("a")
    assert snapshot.get("a").name == "a"  # type: ignore[union-attr]
    assert snapshot.get("nobody") is None
    with pytest.raises(KeyError, match="nobody"):
        snapshot.find("nobody")


def test_a_manual_restart_gives_a_new_epoch_and_leaves_siblings_alone(
    journal: Journal, start_tree
) -> None:
    tree = start_tree(tree_spec(recorder("a", journal), recorder("b", journal), intensity=0))
    assert tree.restart("a") == 2
    assert tree.restart("a") == 3  # intensity 0, yet no escalation: manual restarts don't count
    snapshot = tree.snapshot()
    assert (snapshot.find("a").epoch, snapshot.find("a").restarts) == (3, 2)
    assert snapshot.find("b").epoch == 1
    assert snapshot.find("a").last_failure is None  # a requested restart is not a failure
    assert tree.ask("a", "new me") == ("echo", "a", 3, "new me")


class Slow(Recorder):
    """Takes exactly 3 ms of the injected clock per message."""

    def __init__(self, journal: Journal, clock: ManualClock) -> None:
        super().__init__(journal)
        self.manual = clock

    def on_receive(self, message: object) -> object:
        self.manual.advance(0.003)
        return super().on_receive(message)


def test_handler_latency_is_sampled_into_buckets_by_the_injected_clock(
    journal: Journal, start_tree
) -> None:
    clock = ManualClock()
    spec = tree_spec(ChildSpec(name="slow", factory=lambda: Slow(journal, clock)))
    tree = start_tree(spec, clock=clock)
    for i in range(32):
        tree.ask("slow", f"m{i}")
    histogram = tree.snapshot().find("slow").handler_latency
    assert histogram is not None
    assert histogram.sample_every == 16
    assert sum(histogram.counts) == 2  # messages 16 and 32
    bucket = histogram.bounds.index(0.005)  # 3 ms is above 2.5 ms, at most 5 ms
    assert histogram.counts[bucket] == 2
    assert histogram.sum_s == pytest.approx(0.006)
    tree.tell("slow", Crash(RuntimeError("restart keeps the history")))
    eventually(lambda: is_running(tree, "slow", epoch=2))
    assert sum(tree.snapshot().find("slow").handler_latency.counts) == 2


def test_a_tiny_or_scaled_decimal_is_written_in_fixed_point_never_with_an_exponent() -> None:
    for value in (Decimal("0E-8"), Decimal("0.00000001"), Decimal("1E+2"), Decimal("-0.5000")):
        text = status_to_dict(MoneyStatus(value))["cash"]
        assert "E" not in text.upper()
        assert Decimal(text) == value
        assert status_from_dict({"type": "MoneyStatus", "cash": text}) == MoneyStatus(value)
    with pytest.raises(cattrs.BaseValidationError):
        status_from_dict({"type": "MoneyStatus", "cash": "1E+2"})  # only fixed point is read
