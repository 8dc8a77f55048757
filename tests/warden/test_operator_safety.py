"""Operator safety end to end, with real ``warden run`` processes and the simulated venue:
one daemon per ledger, every actor restart returns to ready, the day's loss survives a
SIGKILL, the control plane exists before any venue call, and a stop with the venue
unreachable is prompt and says what is in doubt."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs
import httpx
import pytest

from actors.domain import Action, Fill, OrderIntent, OrderRole, Side
from actors.execution import ExecutionStatus
from actors.messages import FillRecorded, IntentRecorded
from actors.persistence import Ledger
from actors.risk import RiskStatus
from actors.strategy import StrategyStatus
from supervision import ActorSnapshot
from tests.supervision.conftest import eventually
from tests.warden.daemon_harness import Process, start_daemon, venue_sim, write_config
from warden.config import load_config
from warden.control import read_snapshot

pytestmark = pytest.mark.slow

FAST_MARKET = ("--seed", "7", "--markets", "3", "--tick", "0.1", "--arb-rate", "0.05")
ACTORS = ("persistence", "risk", "execution", "strategy", "feed")
# hang deadline 2 s + backoff cap 0.5 s + reconciliation settle (2 s timeout + 1 s)
# + a fresh snapshot per market, with room for a loaded 2-core machine
READY_AGAIN_S = 30.0
S = TypeVar("S")


@attrs.frozen
class Running:
    process: Process
    url: str
    token: str
    runtime_dir: Path
    db: Path
    config: Path

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10, trust_env=False)

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(
            f"{self.url}{path}",
            json=body or {},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            trust_env=False,
        )

    def node(self, name: str) -> ActorSnapshot:
        """The actor's node as served, read back with its typed status."""
        response = self.get(f"/actors/{name}")
        assert response.status_code == 200, response.text
        return read_snapshot(response.json())

    def status(self, name: str, kind: type[S]) -> S | None:
        """The actor's status if it publishes a ``kind`` now (None, e.g., just restarted)."""
        return self.node(name).status_of(name, kind)

    def ready(self) -> bool:
        try:
            return self.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False


def _config(tmp_path: Path, name: str = "warden", **sections: dict[str, Any]) -> Path:
    daemon = {"runtime_dir": str(tmp_path / f"{name}-run"), "status_interval_s": 1.0}
    daemon.update(sections.pop("daemon", {}))
    return write_config(
        tmp_path / f"{name}.toml",
        daemon=daemon,
        supervision={"backoff_base_s": 0.05, "backoff_cap_s": 0.5, "hang_timeout_s": 2.0},
        **sections,
    )


def _runtime(runtime_dir: Path) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads((runtime_dir / "warden.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return found


def _attach(process: Process, config: Path, db: Path, runtime_dir: Path) -> Running:
    process.wait_for_line("warden: control plane at ")
    info = eventually(
        lambda: (i := _runtime(runtime_dir)) and i["pid"] == process.popen.pid and i,
        what="the runtime file naming this daemon",
    )
    token = Path(info["token_file"]).read_text().strip()
    return Running(process, info["url"], token, runtime_dir, db, config)


@contextmanager
def daemon(base: str, db: Path, config: Path, *extra: str) -> Iterator[Running]:
    process = start_daemon(base, db, config, "--control-port", "0", *extra)
    try:
        runtime_dir = Path(load_config(config).daemon.runtime_dir)
        yield _attach(process, config, db, runtime_dir)
    finally:
        process.close()


def _refusal(process: Process) -> str:
    assert process.wait(timeout=60) == 2, process.output
    lines = [line for line in process.lines if line.strip()]
    assert len(lines) == 1, process.output  # one line, no traceback, nothing started
    return lines[0]


# -- one daemon per ledger -------------------------------------------------------------


def test_a_second_daemon_on_the_same_ledger_is_refused_and_the_first_keeps_trading(
    tmp_path: Path,
) -> None:
    db = tmp_path / "warden.db"
    with venue_sim(*FAST_MARKET) as (_venue, base), daemon(base, db, _config(tmp_path)) as first:
        eventually(first.ready, timeout=60, what="the first daemon ready")
        # its own runtime directory, the same ledger
        second = start_daemon(base, db, _config(tmp_path, "second"), "--control-port", "0")
        try:
            line = _refusal(second)
        finally:
            second.close()
        pid = first.process.popen.pid
        assert line == (
            f"warden run: ledger {db} is held by pid {pid} (lock {db}.lock); refusing to start"
        )
        assert not (tmp_path / "second-run" / "warden.json").exists()
        assert _runtime(first.runtime_dir)["pid"] == pid  # type: ignore[index]
        assert first.ready()
        halted = first.post("/halt", {"reason": "the right daemon"})
        assert halted.status_code == 202, halted.text
        eventually(lambda: (risk := first.status("risk", RiskStatus)) is not None and risk.halted)


def test_a_second_daemon_in_the_same_runtime_directory_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with (
        venue_sim(*FAST_MARKET) as (_venue, base),
        daemon(base, tmp_path / "one.db", config) as first,
    ):
        second = start_daemon(base, tmp_path / "two.db", config, "--control-port", "0")
        try:
            line = _refusal(second)
        finally:
            second.close()
        run = tmp_path / "warden-run"
        assert line == (
            f"warden run: runtime_dir {run} is held by pid {first.process.popen.pid} "
            f"(lock {run}/warden.lock); refusing to start"
        )
        assert not (tmp_path / "two.db").exists()
        assert _runtime(run)["pid"] == first.process.popen.pid  # type: ignore[index]


def test_a_sigkilled_holder_blocks_nothing_and_its_stale_runtime_file_is_replaced(
    tmp_path: Path,
) -> None:
    db, config = tmp_path / "warden.db", _config(tmp_path)
    with venue_sim(*FAST_MARKET) as (_venue, base):
        with daemon(base, db, config) as first:
            first.process.kill()
            stale = _runtime(first.runtime_dir)
            assert stale is not None
            assert stale["pid"] == first.process.popen.pid  # left behind by the SIGKILL
        with daemon(base, db, config) as second:
            assert _runtime(second.runtime_dir)["pid"] == second.process.popen.pid  # type: ignore[index]
            eventually(second.ready, timeout=60, what="the restarted daemon ready")


# -- every restart returns to ready ------------------------------------------------------


def _epoch(running: Running, name: str) -> int:
    return running.node(name).epoch


def _each_actor_recovers(
    running: Running, inject: Any, after: Any = lambda _name: None
) -> dict[str, float]:
    eventually(running.ready, timeout=60, what="ready before the first fault")
    took: dict[str, float] = {}
    for name in ACTORS:
        before = _epoch(running, name)
        started = time.monotonic()
        inject(name)
        eventually(
            lambda name=name, before=before: (
                running.node(name).status == "running" and _epoch(running, name) > before
            ),
            timeout=READY_AGAIN_S,
            what=f"{name} restarted",
        )
        eventually(
            running.ready,
            timeout=READY_AGAIN_S,
            what=f"ready again after {name} restarted: {running.get('/readyz').text}",
        )
        took[name] = time.monotonic() - started
        after(name)
    return took


def test_after_an_operator_restart_of_each_actor_the_daemon_is_ready_again(
    tmp_path: Path,
) -> None:
    with (
        venue_sim(*FAST_MARKET) as (_venue, base),
        daemon(base, tmp_path / "warden.db", _config(tmp_path)) as running,
    ):

        def restart(name: str) -> None:
            response = running.post(f"/actors/{name}/restart")
            assert response.status_code == 200, response.text

        def check(name: str) -> None:
            if name == "risk":  # risk restarted alone heard a fresh reconciliation
                execution = running.status("execution", ExecutionStatus)
                assert execution is not None
                assert execution.counts.reconciled_for_risk == 1

        took = _each_actor_recovers(running, restart, check)
        assert set(took) == set(ACTORS)


@pytest.mark.parametrize("fault", ["crash", "hang"])
def test_after_a_crash_or_hang_of_each_actor_the_daemon_is_ready_again(
    tmp_path: Path, fault: str
) -> None:
    with (
        venue_sim(*FAST_MARKET) as (_venue, base),
        daemon(base, tmp_path / "warden.db", _config(tmp_path), "--chaos") as running,
    ):

        def inject(name: str) -> None:
            body: dict[str, Any] = {"name": name, "fault": fault}
            if fault == "hang":
                body["seconds"] = 4.0  # past the 2 s hang deadline
            response = running.post("/chaos/actor", body)
            assert response.status_code == 202, response.text

        assert set(_each_actor_recovers(running, inject)) == set(ACTORS)


# -- the day's loss survives restarts --------------------------------------------------------


# bought 10 YES at $0.40, sold them at $0.15, with fees: $2.76, exactly
LOSS = 10 * Decimal("0.40") + Decimal("0.17") - (10 * Decimal("0.15") - Decimal("0.09"))


def _record_todays_loss(db: Path) -> None:
    """What an earlier run recorded: a unwound leg, today, at a loss of LOSS."""
    ten, buy_at, sell_at = Decimal(10), Decimal("0.40"), Decimal("0.15")
    buy = OrderIntent("old-buy", "SIM-001", Side.YES, Action.BUY, buy_at, ten)
    sell = OrderIntent("old-sell", "SIM-001", Side.YES, Action.SELL, sell_at, ten)
    fills = (
        Fill(
            "t-old-1", "old-buy", "SIM-001", Side.YES, Action.BUY, buy_at, ten, fee=Decimal("0.17")
        ),
        Fill(
            "t-old-2",
            "old-sell",
            "SIM-001",
            Side.YES,
            Action.SELL,
            sell_at,
            ten,
            fee=Decimal("0.09"),
        ),
    )
    with Ledger.open(db, wall=time.time) as ledger:
        ledger.write(
            "seed",
            (
                IntentRecorded(buy, "old", 0, OrderRole.ENTRY),
                IntentRecorded(sell, "old", 0, OrderRole.UNWIND),
                *(FillRecorded(f) for f in fills),
            ),
        )


def _loss_limit_holds(running: Running) -> None:
    def refused_for_daily_loss() -> bool:
        risk = running.status("risk", RiskStatus)
        assert risk is not None
        assert risk.realised_pnl_today == -LOSS, risk
        return risk.reconciled and risk.rejections.daily_loss > 0

    eventually(refused_for_daily_loss, timeout=60, what="reservations refused for daily loss")
    execution = running.status("execution", ExecutionStatus)
    assert execution is not None
    assert execution.counts.orders_sent == 0


def test_the_days_loss_limit_survives_a_sigkill_and_restart_of_the_daemon(
    tmp_path: Path,
) -> None:
    db = tmp_path / "warden.db"
    _record_todays_loss(db)
    # any reservation's worst case is more than the limit left
    config = _config(tmp_path, risk={"max_daily_loss": str(LOSS + Decimal("0.50"))})
    with venue_sim(*FAST_MARKET) as (_venue, base):
        with daemon(base, db, config) as first:
            _loss_limit_holds(first)
            first.process.kill()
        with daemon(base, db, config) as second:
            _loss_limit_holds(second)
            restarted = second.post("/actors/risk/restart")
            assert restarted.status_code == 200, restarted.text
            _loss_limit_holds(second)


# -- the control plane first ---------------------------------------------------------------


class CountingListener:
    """A loopback port that accepts connections and counts them (a venue nobody may call)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.1)
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def test_a_control_port_conflict_stops_the_daemon_before_any_actor_or_venue_call(
    tmp_path: Path,
) -> None:
    venue = CountingListener()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        db = tmp_path / "warden.db"
        process = start_daemon(venue.url, db, _config(tmp_path), "--control-port", str(port))
        try:
            assert process.wait(timeout=60) == 1, process.output
        finally:
            process.close()
            venue.close()
    assert f"control plane cannot listen on 127.0.0.1:{port}" in process.output
    assert venue.accepted == 0
    assert not db.exists()  # persistence never started
    assert "Traceback" not in process.output


def test_a_halt_sent_as_soon_as_the_control_plane_listens_keeps_every_order_out(
    tmp_path: Path,
) -> None:
    with venue_sim(*FAST_MARKET) as (_venue, base):
        db = tmp_path / "warden.db"
        with daemon(base, db, _config(tmp_path)) as running:
            # the control plane is up before the actors; halt is 503 until risk runs
            answer = eventually(
                lambda: (
                    (r := running.post("/halt", {"reason": "first moment"})).status_code == 202
                    and r
                ),
                what="the halt accepted",
            )
            assert answer.status_code == 202

            def reconciled_and_seeing_opportunities() -> bool:
                risk = running.status("risk", RiskStatus)
                strategy = running.status("strategy", StrategyStatus)
                return (
                    risk is not None
                    and risk.reconciled
                    and strategy is not None
                    and strategy.counts.opportunities > 0
                )

            eventually(reconciled_and_seeing_opportunities, timeout=60, what="opportunities")
            risk = running.status("risk", RiskStatus)
            assert risk is not None
            assert risk.halted is True
            assert risk.halt_reason == "first moment"
        orders = httpx.get(f"{base}/trade-api/v2/portfolio/orders", timeout=10).json()["orders"]
        assert orders == []


# -- stopping with the venue unreachable -------------------------------------------------------


def test_a_stop_with_the_venue_unreachable_is_prompt_and_says_what_is_in_doubt(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    config = _config(tmp_path, daemon={"shutdown_timeout_s": 30.0})
    db = tmp_path / "warden.db"
    with daemon(dead, db, config) as running:
        eventually(
            lambda: (
                (execution := running.status("execution", ExecutionStatus)) is not None
                and str(execution.reconcile_detail).startswith("venue:")
            ),
            timeout=30,
            what="a failed reconciliation",
        )
        asked = time.monotonic()
        running.process.popen.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=60) == 0, running.process.output
        took = time.monotonic() - asked
    assert took < 10.0, took  # not the 30 s shutdown timeout
    output = running.process.output
    assert "still working" not in output
    assert "still open" not in output
    assert "warden: at stop: in doubt: never reconciled with the venue (venue:" in output


# -- the embedded default, run again on the same ledger -------------------------------------


def test_a_second_run_of_the_embedded_default_on_the_same_ledger_trades_without_halting(
    tmp_path: Path,
) -> None:
    """The embedded venue is a fresh exchange each start; the ledger outlives it, so
    the second start's order and trade ids must not collide with the first's. The
    legacy mode, whose frequent crossed quotes fill within seconds, makes both runs trade."""
    config = _config(tmp_path, venue={"opportunity_every_s": 0.5, "realism": False})
    db = tmp_path / "warden.db"

    def run_once() -> Process:
        process = Process(
            ["run", "--config", str(config), "--db", str(db), "--duration", "6"],
            name="warden run (embedded)",
        )
        try:
            assert process.wait(timeout=90) == 0, process.output
        finally:
            process.close()
        return process

    first = run_once()
    with Ledger.open_read_only(db) as ledger:
        fills_after_first = {f.fill.fill_id for f in ledger.fills()}
    assert fills_after_first, first.output  # it traded
    second = run_once()
    assert "HALTED" not in second.output, second.output
    with Ledger.open_read_only(db) as ledger:
        fills = [f.fill.fill_id for f in ledger.fills()]
    assert len(fills) == len(set(fills)) > len(fills_after_first), second.output
