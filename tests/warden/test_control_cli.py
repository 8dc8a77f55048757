"""End to end: a real ``warden run`` subprocess with its control plane, driven by the real CLI.

One daemon (trading a ``warden venue-sim`` over loopback) serves the tests of
this module; each test leaves it as it found it (running, not halted).
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from actors.execution import ExecutionStatus
from actors.feed import FeedStatus
from actors.persistence import Ledger
from actors.risk import RiskStatus
from tests.warden.control_harness import Daemon, poll, running_daemon, warden
from tests.warden.daemon_harness import ROOT, venue_get
from warden.cli_control import PsRow
from warden.control import Portfolio, portfolio_from_dict, read_snapshot
from warden.control._portfolio import Reconciled

pytestmark = pytest.mark.slow

ACTORS = ["persistence", "risk", "execution", "strategy", "feed"]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    with running_daemon(tmp_path_factory.mktemp("control")) as running:
        poll(lambda: running.cli("health").returncode == 0, what="the daemon to be ready")
        yield running


def _ps(daemon: Daemon) -> dict[str, PsRow]:
    done = daemon.cli("ps", "--json")
    assert done.returncode == 0, done.stderr
    return {row["name"]: row for row in json.loads(done.stdout)["actors"]}


def _venue_orders(daemon: Daemon) -> int:
    """Orders the venue has received from the trader, accepted or rejected."""
    return sum(
        len(
            venue_get(daemon.venue_url, f"/sim/truth?account=trader&kind={kind}&limit=100000")[
                "entries"
            ]
        )
        for kind in ("order_accepted", "order_rejected")
    )


def _settled(daemon: Daemon) -> bool:
    """Execution holds nothing in flight, per a summary it gave after the halt.

    A fresh summary is answered from execution's mailbox, behind any Execute
    risk approved before it halted, so an empty ``in_flight`` means no order
    approved before the halt can still be sent.
    """
    node = daemon.actor("execution")
    execution = node.status_of("execution", ExecutionStatus)
    return not node.summary_stale and execution is not None and not execution.in_flight


def test_ps_shows_the_five_actors_running(daemon: Daemon) -> None:
    rows = _ps(daemon)
    workers = [name for name, row in rows.items() if row["kind"] == "worker"]
    assert workers == ACTORS
    for name in ACTORS:
        row = rows[name]
        assert row["status"] == "running"
        assert row["path"] == f"warden/{name}"
        assert set(row) >= {"epoch", "restarts", "mailbox", "processed", "last_error"}
    table = daemon.cli("ps")
    assert table.returncode == 0, table.stderr
    assert "NAME" in table.stdout
    assert "LAST ERROR" in table.stdout
    for name in ACTORS:
        assert any(line.split()[:2] == [name, "running"] for line in table.stdout.splitlines())


def test_restart_gives_one_actor_a_new_epoch_and_leaves_the_others_alone(daemon: Daemon) -> None:
    before = _ps(daemon)
    done = daemon.cli("restart", "strategy")
    assert done.returncode == 0, done.stderr
    assert f"now epoch {before['strategy']['epoch'] + 1}" in done.stdout
    after = _ps(daemon)
    assert after["strategy"]["epoch"] == before["strategy"]["epoch"] + 1
    assert after["strategy"]["restarts"] == before["strategy"]["restarts"] + 1
    assert after["strategy"]["status"] == "running"
    for name in ("persistence", "risk", "execution", "feed"):
        assert (after[name]["epoch"], after[name]["restarts"]) == (
            before[name]["epoch"],
            before[name]["restarts"],
        )
    with Ledger.open_read_only(daemon.db) as ledger:
        restarts = [a for a in ledger.audit() if a.kind == "restart" and a.source == "control"]
    assert any(
        f"strategy restarted by operator: epoch {before['strategy']['epoch']}" in a.detail
        for a in restarts
    )


def test_restart_of_an_unknown_actor_is_a_clear_failure(daemon: Daemon) -> None:
    done = daemon.cli("restart", "nosuch")
    assert done.returncode == 1
    assert "no actor named 'nosuch'" in done.stderr
    assert "Traceback" not in done.stderr


def test_inspect_shows_one_actors_state_summary(daemon: Daemon) -> None:
    done = daemon.cli("inspect", "risk", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["summary"]["type"] == "RiskStatus"  # the whole status, as JSON
    assert set(shown["summary"]) >= {"reservations", "exposure", "limits", "breaker"}
    node = read_snapshot(shown)
    assert node.name == "risk"
    assert isinstance(node.summary, RiskStatus)
    feed = read_snapshot(json.loads(daemon.cli("inspect", "feed", "--json").stdout))
    markets = feed.status_of("feed", FeedStatus)
    assert markets is not None
    assert {m.seq is not None for m in markets.markets.values()} == {True}
    table = daemon.cli("inspect", "persistence")
    assert table.returncode == 0, table.stderr
    assert "last_commit_at" in table.stdout


def test_halt_stops_new_orders_and_makes_readyz_503_until_resume(daemon: Daemon) -> None:
    poll(lambda: _venue_orders(daemon) > 0, what="the daemon to trade at all")
    done = daemon.cli("halt", "--reason", "operator test")
    assert done.returncode == 0, done.stderr + done.stdout
    try:
        health = daemon.cli("health")
        assert health.returncode == 1
        assert "trading is halted: operator test" in health.stdout
        readyz = daemon.get("/readyz")
        assert readyz.status_code == 503
        assert readyz.json()["checks"]["halt"] is False
        poll(lambda: _settled(daemon), what="orders approved before the halt to finish")
        orders = _venue_orders(daemon)
        refused = daemon.status("risk", RiskStatus).rejections.halted
        poll(
            lambda: daemon.status("risk", RiskStatus).rejections.halted >= refused + 3,
            what="three opportunities refused because of the halt",
        )
        assert _venue_orders(daemon) == orders
    finally:
        resumed = daemon.cli("resume")
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout
    poll(lambda: daemon.get("/readyz").status_code == 200, what="readyz 200 after resume")
    poll(lambda: _venue_orders(daemon) > orders, what="new orders after resume")
    with Ledger.open_read_only(daemon.db) as ledger:
        audit = [(a.kind, a.source) for a in ledger.audit()]
    assert ("halt", "control") in audit
    assert ("resume", "control") in audit


def test_mutating_calls_without_the_token_are_refused(daemon: Daemon, tmp_path: Path) -> None:
    epoch = daemon.actor("strategy").epoch
    for token in (None, "not-the-token"):
        for path in ("/halt", "/resume", "/actors/strategy/restart", "/actors/nosuch/restart"):
            response = daemon.post(path, token)
            assert response.status_code == 401, (path, token)
    assert daemon.status("risk", RiskStatus).halted is False
    assert daemon.actor("strategy").epoch == epoch
    wrong = tmp_path / "wrong.token"
    wrong.write_text("not-the-token\n")
    done = warden("halt", "--url", daemon.url, "--token-file", str(wrong))
    assert done.returncode == 1
    assert "401" in done.stderr
    assert daemon.status("risk", RiskStatus).halted is False


def test_metrics_parse_as_prometheus_text_with_restart_counters(daemon: Daemon) -> None:
    response = daemon.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    restarts = {
        s.labels["actor"]: s.value
        for s in families["warden_actor_restarts"].samples
        if s.name == "warden_actor_restarts_total"
    }
    rows = _ps(daemon)
    assert restarts == {name: float(rows[name]["restarts"]) for name in ACTORS}
    assert families["warden_actor_restarts"].type == "counter"
    latency = families["warden_actor_handler_seconds"]
    assert latency.type == "histogram"
    sampled = {s.labels["actor"]: s.value for s in latency.samples if s.name.endswith("_count")}
    assert set(sampled) == set(ACTORS)
    assert sampled["feed"] > 0  # the feed has handled far more than 16 frames by now
    for name in (
        "warden_actor_status",
        "warden_actor_mailbox_depth",
        "warden_actor_messages_processed",
        "warden_orders_sent",
        "warden_fills",
        "warden_exposure_total_dollars",
        "warden_exposure_limit_dollars",
        "warden_breaker_state",
        "warden_halted",
        "warden_feed_staleness_seconds",
        "warden_reservations",
        "warden_ready",
    ):
        assert name in families, name
    running = {
        s.labels["actor"]
        for s in families["warden_actor_status"].samples
        if s.labels["status"] == "running" and s.value == 1.0
    }
    assert running == set(ACTORS)


def _read_until(fd: int, process: subprocess.Popen[bytes], wanted: int, timeout: float) -> bytes:
    """Read the terminal until the watch header appeared ``wanted`` times (or fail)."""
    output = b""
    deadline = time.monotonic() + timeout
    while output.count(b"Ctrl-C to quit") < wanted:
        if time.monotonic() > deadline or process.poll() is not None:
            pytest.fail(f"watch drew {output.count(b'Ctrl-C to quit')} frames:\n{output!r}")
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            output += os.read(fd, 65536)
    return output


def test_watch_draws_live_frames_in_a_terminal_and_exits_cleanly_on_ctrl_c(
    daemon: Daemon,
) -> None:
    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "LINES": "40", "TERM": "xterm-256color"}
    env["PYTHONFAULTHANDLER"] = "1"
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "warden", "watch", "--url", daemon.url, "--interval", "0.5"],
        cwd=ROOT,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
    )
    os.close(terminal)
    try:
        output = _read_until(controller, process, wanted=3, timeout=30)
        process.send_signal(signal.SIGINT)
        after_ctrl_c = len(output)
        # Keep reading while it exits: a terminal nobody reads fills, and a process
        # blocked writing its last frame to it never gets to exit.
        deadline = time.monotonic() + 30
        while True:
            ready = select.select([controller], [], [], 0.2)[0]
            chunk = b""
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the terminal closed when the process exited
                    chunk = b""
                output += chunk
            if process.poll() is not None and not chunk:
                break
            if time.monotonic() > deadline:
                frames = output[after_ctrl_c:].count(b"Ctrl-C to quit")
                process.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: where it is stuck
                while select.select([controller], [], [], 2.0)[0]:  # the dump, if any
                    try:
                        dump = os.read(controller, 65536)
                    except OSError:
                        break
                    if not dump:
                        break
                    output += dump
                pytest.fail(
                    f"watch did not exit within 30 s of Ctrl-C ({frames} frames drawn after"
                    f" it):\n{output[-4000:]!r}"
                )
        code = process.returncode
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        os.close(controller)
    text = output.decode(errors="replace")
    assert code == 0, text
    assert "Traceback" not in text
    for name in ACTORS:
        assert name in text
    assert "exposure" in text
    assert "breaker" in text


def test_health_reports_ready_with_exit_0(daemon: Daemon) -> None:
    done = poll(
        lambda: (d := daemon.cli("health")).returncode == 0 and d, what="a ready health check"
    )
    assert "healthz 200 running" in done.stdout
    assert "readyz  200 ready" in done.stdout
    as_json = json.loads(daemon.cli("health", "--json").stdout)
    assert as_json["healthz"]["code"] == 200
    assert as_json["readyz"]["checks"]["persistence"] is True


def test_ps_shows_positions_orders_exposure_pnl_and_readiness_next_to_the_tree(
    daemon: Daemon,
) -> None:
    poll(lambda: _venue_orders(daemon) > 0, what="the daemon to trade at all")
    done = daemon.cli("ps", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert [row["name"] for row in answer["actors"]] == ["warden", *ACTORS]
    money = portfolio_from_dict(answer["portfolio"])
    assert money.ready is True
    assert money.reconciled == Reconciled(execution=True, risk=True)
    assert money.halted is False
    assert money.positions is not None
    assert money.open_orders is not None
    assert money.exposure.total is not None
    assert money.exposure.max_total is not None
    assert money.exposure.max_total > 0
    assert money.pnl.today is not None
    assert money.pnl.max_daily_loss is not None
    assert money.pnl.max_daily_loss > 0
    served = daemon.get("/portfolio")
    assert served.status_code == 200
    assert set(served.json()) == set(answer["portfolio"])
    assert isinstance(portfolio_from_dict(served.json()), Portfolio)
    table = daemon.cli("ps")
    assert table.returncode == 0, table.stderr
    for shown in (
        "portfolio",
        "reconciled: execution yes, risk yes",
        "exposure $",
        "realised P&L today ",
        "positions ",
        "open orders ",
    ):
        assert shown in table.stdout, (shown, table.stdout)


def test_every_control_command_answers_one_json_document(daemon: Daemon) -> None:
    health = daemon.cli("health", "--json")
    assert (health.returncode, json.loads(health.stdout)["ok"]) == (0, True)
    inspect = read_snapshot(json.loads(daemon.cli("inspect", "execution", "--json").stdout))
    assert inspect.name == "execution"
    before = daemon.actor("feed").epoch
    restart = daemon.cli("restart", "feed", "--json")
    assert restart.returncode == 0, restart.stderr
    assert json.loads(restart.stdout) == {
        "action": "restart",
        "name": "feed",
        "epoch": before + 1,
        "audited": True,
        "ok": True,
    }
    unknown = daemon.cli("restart", "nosuch", "--json")
    assert unknown.returncode == 1
    assert json.loads(unknown.stdout) == {
        "ok": False,
        "command": "restart",
        "error": "no actor named 'nosuch' (HTTP 404)",
        "exit_code": 1,
        "http_status": 404,
    }
    assert "no actor named 'nosuch'" in unknown.stderr
    halted = daemon.cli("halt", "--reason", "json test", "--json")
    try:
        assert halted.returncode == 0, halted.stderr
        answer = json.loads(halted.stdout)
        assert answer["action"] == "halt"
        assert answer["reason"] == "json test"
        assert answer["confirmed"] is True
        assert answer["ok"] is True
        not_ready = daemon.cli("health", "--json")
        assert not_ready.returncode == 1
        assert json.loads(not_ready.stdout)["ok"] is False
    finally:
        resumed = daemon.cli("resume", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) | {"risk_epoch": 0} == {
        "action": "resume",
        "confirmed": True,
        "ok": True,
        "risk_epoch": 0,
    }
    poll(lambda: daemon.cli("health").returncode == 0, what="ready again after the feed restart")


def test_a_halt_reason_with_escapes_reaches_risk_the_log_and_the_ledger_clean(
    daemon: Daemon,
) -> None:
    typed = "maint\x1b[31m\nERROR forged line\x7f"
    done = daemon.cli("halt", "--reason", typed, "--json")
    try:
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["reason"] == "maint[31m ERROR forged line"
        risk = daemon.status("risk", RiskStatus)
        assert risk.halt_reason == "maint[31m ERROR forged line"
        health = daemon.cli("health")
        assert "trading is halted: maint[31m ERROR forged line\n" in health.stdout
    finally:
        resumed = daemon.cli("resume")
    assert resumed.returncode == 0, resumed.stderr
    with Ledger.open_read_only(daemon.db) as ledger:
        details = [a.detail for a in ledger.audit() if a.kind in ("halt", "resume")]
    assert any("maint[31m ERROR forged line" in detail for detail in details)
    assert not any(c in detail for detail in details for c in "\x1b\n\x7f")
    assert not any("\x1b" in line for line in daemon.process.lines)
    assert "ERROR forged line" not in [line.strip() for line in daemon.process.lines]
    poll(lambda: daemon.cli("health").returncode == 0, what="ready after resume")


STATUS_COUNTERS = re.compile(r"orders (\d+), fills (\d+), restarts (\d+) since start")


def _status_counters(daemon: Daemon) -> list[tuple[int, int, int]]:
    found = (STATUS_COUNTERS.search(line) for line in list(daemon.process.lines))
    return [(int(m[1]), int(m[2]), int(m[3])) for m in found if m]


def test_status_line_counters_are_process_totals_that_survive_a_restart(daemon: Daemon) -> None:
    poll(
        lambda: any(orders > 0 for orders, _, _ in _status_counters(daemon)),
        what="a status line with orders sent",
    )
    orders, fills, restarts = _status_counters(daemon)[-1]
    seen = len(_status_counters(daemon))
    done = daemon.cli("restart", "execution")
    assert done.returncode == 0, done.stderr
    after = poll(
        lambda: [c for c in _status_counters(daemon)[seen:] if c[2] > restarts],
        what="a status line after the restart",
    )
    assert after[0][0] >= orders, (orders, after)  # not reset with the new incarnation
    assert after[0][1] >= fills
    poll(lambda: daemon.cli("health").returncode == 0, what="ready after the execution restart")


def test_the_config_finds_the_daemon_from_any_directory(daemon: Daemon, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert daemon.config is not None
    found = warden("ps", "--json", "--config", str(daemon.config), cwd=elsewhere)
    assert found.returncode == 0, found.stderr
    assert len(json.loads(found.stdout)["actors"]) == 6
    health = warden("health", "--config", str(daemon.config), cwd=elsewhere)
    assert health.returncode == 0, health.stdout + health.stderr
    # --runtime-file and --url beat --config
    missing = str(tmp_path / "missing.json")
    beaten = warden("ps", "--config", str(daemon.config), "--runtime-file", missing, cwd=elsewhere)
    assert beaten.returncode == 3
    assert missing in beaten.stderr
    by_url = warden("ps", "--json", "--config", missing, "--url", daemon.url, cwd=elsewhere)
    assert by_url.returncode == 0, by_url.stderr
