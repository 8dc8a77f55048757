"""The daemon's ``history.jsonl`` against the venue's truth, with a real daemon and venue-sim."""

from __future__ import annotations

import json
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

from loguru import logger

from actors.domain import Side
from actors.history import (
    AccountingLine,
    DaemonLine,
    FaultLine,
    OrderLine,
    ReconciledLine,
    ReservationLine,
    RuntimeLine,
    read_line,
    unstructure_line,
)
from tests.warden.control_harness import poll, running_daemon
from tests.warden.daemon_harness import venue_get
from tests.warden.test_chaos_daemon_control import chaos_daemon, inject, token
from warden.history import HISTORY_FILE, History


def read_history(runtime_dir: Path) -> list[dict[str, Any]]:
    lines = (runtime_dir / HISTORY_FILE).read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def of(history: list[dict[str, Any]], kind: str, **match: Any) -> list[dict[str, Any]]:
    return [
        line
        for line in history
        if line["kind"] == kind and all(line.get(k) == v for k, v in match.items())
    ]


def accepted_client_order_ids(venue_url: str) -> set[str]:
    page = venue_get(venue_url, "/sim/truth?account=trader&kind=order_accepted&limit=1000")
    return {entry["record"]["client_order_id"] for entry in page["entries"]}


def test_the_history_holds_every_order_the_venue_saw_its_reservations_and_restarts(
    tmp_path: Path,
) -> None:
    runtime_dir = tmp_path / "run"
    with chaos_daemon(tmp_path) as daemon:
        poll(lambda: len(accepted_client_order_ids(daemon.venue_url)) >= 4, timeout=60)
        secret = token(daemon)
        before = daemon.actor("execution").epoch
        inject(daemon, name="execution", fault="crash")
        poll(lambda: daemon.actor("execution").epoch > before, what="execution restarted")
        poll(
            lambda: len(of(read_history(runtime_dir), "reconciled", ok=True)) >= 2,
            what="the new execution reconciled (after its settle period)",
        )
        daemon.process.popen.send_signal(signal.SIGTERM)
        assert daemon.process.wait() == 0
        accepted = accepted_client_order_ids(daemon.venue_url)

    history = read_history(runtime_dir)
    assert all(isinstance(line["t"], float) and line["kind"] for line in history)
    # every line each real call site wrote is exactly one typed record, and back
    records = [read_line(line) for line in history]
    assert [unstructure_line(record) for record in records] == history
    kinds = {type(record) for record in records}
    assert kinds >= {OrderLine, ReservationLine, ReconciledLine, FaultLine, DaemonLine}
    assert kinds >= {AccountingLine, RuntimeLine}
    assert of(history, "daemon", phase="start")[0]["pid"] == daemon.process.popen.pid
    assert of(history, "daemon", phase="stop")[-1]["exit_code"] == 0
    assert secret not in (runtime_dir / HISTORY_FILE).read_text()  # faults log no token

    for cid in accepted:  # every order the venue accepted was announced, then answered
        assert of(history, "order", phase="invoke", client_order_id=cid), cid
        answered = of(history, "order", phase="ok", client_order_id=cid) + of(
            history, "order", phase="resolved", client_order_id=cid
        )
        assert answered, cid
        assert all(line["reservation_id"] for line in answered)

    reserved = {line["reservation_id"] for line in of(history, "reservation", phase="reserve")}
    released = {line["reservation_id"] for line in of(history, "reservation", phase="release")}
    assert reserved
    assert released <= reserved
    # exact money: each amount a decimal-dollar string, never a JSON number
    assert all(
        isinstance(line["amount"], str) and Decimal(line["amount"]) > 0
        for line in of(history, "reservation", phase="reserve")
    )

    fault = of(history, "fault", fault="crash", target="execution")
    assert fault
    assert fault[0]["epoch"] == before
    assert of(history, "down", actor="execution", epoch=before, reason="crash")
    assert of(history, "restart", actor="execution", epoch=before, reason="crash")
    assert len(of(history, "reconciled", ok=True)) >= 2  # at start, and after the restart


def test_the_history_is_written_without_the_chaos_flag_too(tmp_path: Path) -> None:
    with running_daemon(tmp_path) as daemon:
        runtime_dir = daemon.runtime_file.parent
        poll(lambda: of(read_history(runtime_dir), "reconciled", ok=True), what="reconciled")
        start = of(read_history(runtime_dir), "daemon", phase="start")
        assert start[0]["pid"] == daemon.process.popen.pid
        assert start[0]["chaos"] is False


def test_the_sink_writes_history_records_and_the_runtime_life_events_only(
    tmp_path: Path,
) -> None:
    with History(tmp_path / HISTORY_FILE) as history:
        logger.bind(history="order", phase="invoke", side=Side.YES).debug("an order")
        logger.bind(event="restart", supervisor="warden", child="risk", epoch=2).warning("r")
        logger.bind(event="reserved", actor="risk").info("not history")
        logger.info("not history either")
    logger.bind(history="order", phase="ok").debug("after close: not written")
    lines = read_history(tmp_path)
    assert [(line["kind"], line.get("phase")) for line in lines] == [
        ("order", "invoke"),
        ("restart", None),
    ]
    assert lines[0]["side"] == str(Side.YES)  # not JSON-able: written as its str
    assert (lines[1]["actor"], lines[1]["epoch"], lines[1]["supervisor"]) == ("risk", 2, "warden")
    assert history.path == tmp_path / HISTORY_FILE
