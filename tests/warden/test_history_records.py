"""Every real writer of the daemon history produces lines that read back into exactly
one typed record of ``actors.history`` through the history sink, and back again.

The actors are driven for real (risk in a supervision tree with fake neighbours,
execution's own history functions, the supervisor restarting a crashed child);
the lines are the ones ``warden.history``'s sink writes to the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from loguru import logger

from actors.domain import Action, OrderIntent, Side
from actors.execution._history import order_line, resolved_line
from actors.history import (
    HaltLine,
    HistoryLine,
    OrderLine,
    ReconciledLine,
    ReservationLine,
    ResumeLine,
    RuntimeLine,
    read_line,
    unstructure_line,
)
from actors.messages import ExecutionReport, Halt, Outcome, Reconciled, Resume
from actors.venues import VenueOrder
from tests.actors.risk_harness import risk_tree
from tests.supervision.conftest import eventually
from warden.chaos._history import DaemonHistory, read_history
from warden.history import HISTORY_FILE, History

Line = TypeVar("Line", bound=HistoryLine)


@contextmanager
def history_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / HISTORY_FILE
    with History(path):
        yield path


def read_back(path: Path) -> DaemonHistory:
    """The file through the harness's reader, each line checked to round-trip exactly."""
    history = read_history(path)
    assert history is not None
    assert history.unreadable == (), history.unreadable
    raw = [json.loads(line) for line in path.read_text().splitlines()]
    assert [unstructure_line(read_line(line)) for line in raw] == raw
    return history


def of(lines: tuple[HistoryLine, ...], kind: type[Line]) -> list[Line]:
    return [line for line in lines if isinstance(line, kind)]


def test_every_line_risk_writes_is_a_typed_record(tmp_path: Path) -> None:
    with history_file(tmp_path) as path, risk_tree() as risk:
        risk.ask(Reconciled(ok=False, detail="venue unreachable"))
        risk.reconcile()
        risk.reserve("opp-1")
        risk.ask(ExecutionReport("opp-1", Outcome.NONE))
        risk.ask(Halt("operator pressed the button", "cli"))
        risk.reserve("opp-2")  # rejected: halted
        risk.ask(Resume("cli"))
        eventually(lambda: len(risk.recorded_reservations()) == 1)
    lines = read_back(path).lines

    reconciled = of(lines, ReconciledLine)
    assert (reconciled[0].ok, reconciled[0].detail) == (False, "venue unreachable")
    assert any(r.ok for r in reconciled)
    phases = [(r.reservation_id, r.phase, r.child) for r in of(lines, ReservationLine)]
    assert phases == [
        ("opp-1", "reserve", "risk"),
        ("opp-1", "release", "risk"),
        ("opp-2", "reject", "risk"),
    ]
    (halt,) = of(lines, HaltLine)
    assert (halt.reason, halt.source, halt.epoch) == ("operator pressed the button", "cli", 1)
    assert len(of(lines, ResumeLine)) == 1


def test_every_order_line_execution_writes_is_a_typed_record(tmp_path: Path) -> None:
    price, ten, none = Decimal("0.40"), Decimal("10.00"), Decimal("0.00")
    intent = OrderIntent("c-1", "KX-A", Side.YES, Action.BUY, price, ten)
    venue = VenueOrder("o-1", "c-1", "KX-A", Side.YES, Action.BUY, "resting", price, ten, none, ten)
    with history_file(tmp_path) as path:
        order_line("invoke", "r-1", intent)
        order_line("ok", "r-1", intent, order=venue)
        order_line("fail", "r-1", intent, error="VenueRejected", detail="no")
        order_line("unknown", "r-1", intent, error="VenueTimeout")
        resolved_line("r-1", "c-1", venue, "looked up")
        resolved_line(None, "c-2", None, "no such order")
    lines = of(read_back(path).lines, OrderLine)
    phases = [line.phase for line in lines]
    assert phases == ["invoke", "ok", "fail", "unknown", "resolved", "resolved"]
    assert (lines[1].status, lines[1].fill_count, lines[1].side) == ("resting", none, "yes")
    # exact both ways: the Decimal read back is the one written, digits and all
    assert (str(lines[0].price), str(lines[0].count)) == ("0.40", "10.00")
    assert isinstance(lines[1].fill_count, Decimal)
    assert lines[2].error == "VenueRejected"
    assert (lines[5].status, lines[5].ticker, lines[5].reservation_id) == (None, None, None)


def test_the_runtimes_down_and_restart_events_are_typed_records(tmp_path: Path) -> None:
    with history_file(tmp_path) as path, risk_tree() as risk:
        before = risk.execution_epoch()
        risk.crash_execution()
        eventually(lambda: risk.execution_epoch() > before)
    runtime = of(read_back(path).lines, RuntimeLine)
    down = [line for line in runtime if line.kind == "down" and line.actor == "execution"]
    restart = [line for line in runtime if line.kind == "restart" and line.actor == "execution"]
    assert down
    assert down[0].epoch == before
    assert restart
    assert restart[0].group is not None
    assert "execution" in restart[0].group
    assert isinstance(restart[0].delay, float)


def test_a_line_the_sink_cannot_type_is_written_as_it_came_and_read_back_as_unreadable(
    tmp_path: Path,
) -> None:
    """A renamed bound field (here ``client_order_id`` -> ``coid``) must not vanish nor
    be taken as evidence: the file keeps it, the reader reports it."""
    with history_file(tmp_path) as path:
        logger.bind(history="daemon", phase="start", pid=7, chaos=False).info("ok")
        logger.bind(history="order", phase="invoke", coid="c-1").debug("renamed field")
        logger.bind(history="teleport", phase="x").info("unknown kind")
    history = read_history(path)
    assert history is not None
    assert len(history.lines) == 1
    assert [(line.number, line.kind) for line in history.unreadable] == [
        (2, "order"),
        (3, "teleport"),
    ]
    assert "coid" in history.unreadable[0].why
    assert "teleport" in history.unreadable[1].why


def test_a_torn_last_line_is_counted_not_read(tmp_path: Path) -> None:
    with history_file(tmp_path) as path:
        logger.bind(history="daemon", phase="start", pid=7, chaos=False).info("ok")
    with path.open("a") as file:
        file.write('{"t": 1.0, "pid": 7, "ki')  # a SIGKILL mid-write
    history = read_history(path)
    assert history is not None
    assert (len(history.lines), history.torn, history.unreadable) == (1, 1, ())


def test_no_history_file_reads_as_none(tmp_path: Path) -> None:
    assert read_history(tmp_path / HISTORY_FILE) is None


def test_the_runtimes_hang_and_escalation_events_bound_as_supervision_binds_them_are_typed(
    tmp_path: Path,
) -> None:
    """As ``Supervisor._declare_hung`` and the escalations of ``Supervisor`` and
    ``SupervisionTree`` bind them (no hang or escalation is cheap to cause for real)."""
    with history_file(tmp_path) as path:
        logger.bind(
            event="hang", supervisor="warden/trading", child="risk", epoch=3, reason="hang"
        ).error("risk#3 hung")
        logger.bind(
            event="escalation", supervisor="warden/trading", child="risk", epoch=4, reason="crash"
        ).error("escalating")
        logger.bind(
            event="escalation", supervisor="warden", child="trading", epoch=1, reason="root"
        ).critical("root supervisor gave up")
    runtime = of(read_back(path).lines, RuntimeLine)
    assert [(r.kind, r.actor, r.epoch, r.reason) for r in runtime] == [
        ("hang", "risk", 3, "hang"),
        ("escalation", "risk", 4, "crash"),
        ("escalation", "trading", 1, "root"),
    ]
    assert all(r.delay is None and r.group is None for r in runtime)
