"""End to end: ``warden run`` as a real process trading ``warden venue-sim`` over loopback."""

from __future__ import annotations

import signal
import stat
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from actors.domain import Action, OrderIntent, OrderRole, Side
from actors.messages import IntentRecorded
from actors.persistence import Ledger, checkpoint_path
from actors.risk._checkpoint import decode
from tests.supervision.conftest import eventually
from tests.warden.daemon_harness import (
    REST,
    ledger,
    start_daemon,
    venue_get,
    venue_sim,
    write_config,
)

pytestmark = pytest.mark.slow

FAST_MARKET = ("--seed", "7", "--markets", "3", "--tick", "0.1", "--arb-rate", "0.05")
LIMITS = {"max_market_exposure": "20.00", "max_total_exposure": "30.00"}  # dollars
PAYOUT = Decimal(1)


def _config(tmp_path: Path) -> Path:
    return write_config(
        tmp_path / "warden.toml",
        daemon={"status_interval_s": 1.0},
        risk=LIMITS,
        supervision={"backoff_base_s": 0.05, "backoff_cap_s": 0.5},
    )


def _trader_truth(base: str, kind: str) -> list[dict[str, Any]]:
    query = f"/sim/truth?account=trader&kind={kind}&limit=100000"
    entries: list[dict[str, Any]] = venue_get(base, query)["entries"]
    return entries


def _worst_case_exposure_over_time(fills: list[dict[str, Any]]) -> tuple[Decimal, Decimal]:
    """The largest worst-case loss in dollars, per market and in total, after each venue
    fill (the venue's fixed-point strings, read exactly)."""
    yes: dict[str, Decimal] = defaultdict(Decimal)
    no: dict[str, Decimal] = defaultdict(Decimal)
    cost: dict[str, Decimal] = defaultdict(Decimal)
    peak_market = peak_total = Decimal(0)
    for entry in fills:
        fill = entry["record"]
        ticker, count = fill["ticker"], Decimal(fill["count_fp"])
        price = Decimal(fill[f"{fill['side']}_price_dollars"])
        sign = 1 if fill["action"] == "buy" else -1
        (yes if fill["side"] == "yes" else no)[ticker] += sign * count
        cost[ticker] += sign * count * price + Decimal(fill["fee_cost"])
        losses = {
            t: max(Decimal(0), cost[t] - PAYOUT * min(yes[t], no[t])) for t in cost
        }  # the worse outcome pays only the smaller side
        peak_market = max(peak_market, *losses.values())
        peak_total = max(peak_total, sum(losses.values()))
    return peak_market, peak_total


def _ledger_fills(db: Path) -> set[tuple[str, str, Decimal]]:
    fills = ledger(db)["fills"]  # warden report --json: counts as exact strings
    return {(f["fill_id"], f["client_order_id"], Decimal(f["count"])) for f in fills}


def _venue_fills(base: str) -> set[tuple[str, str, Decimal]]:
    """(fill id, its order's client order id, count): Kalshi's fills name only the
    order, so the order list says whose it is (one page each: a short run)."""
    fills = venue_get(base, f"{REST}/portfolio/fills?limit=1000")["fills"]
    orders = venue_get(base, f"{REST}/portfolio/orders?limit=1000")["orders"]
    client_ids = {o["order_id"]: o["client_order_id"] for o in orders}
    return {(f["fill_id"], client_ids[f["order_id"]], Decimal(f["count_fp"])) for f in fills}


def test_a_short_run_trades_and_leaves_the_ledger_equal_to_the_venue(tmp_path: Path) -> None:
    db = tmp_path / "warden.db"
    with venue_sim(*FAST_MARKET) as (_venue, base):
        daemon = start_daemon(base, db, _config(tmp_path), "--duration", "8")
        try:
            assert daemon.wait(timeout=90) == 0, daemon.output
        finally:
            daemon.close()

        assert "warden: stopped (duration 8.0s elapsed), exit 0" in daemon.output
        assert any(line.startswith("baskets ") for line in daemon.lines)  # the status line
        venue_fills = _venue_fills(base)
        assert len(venue_fills) >= 2, daemon.output  # it found and traded opportunities
        assert _ledger_fills(db) == venue_fills
        assert venue_get(base, f"{REST}/portfolio/orders?status=resting")["orders"] == []
        peak_market, peak_total = _worst_case_exposure_over_time(_trader_truth(base, "fill"))
        assert peak_market <= Decimal(LIMITS["max_market_exposure"])
        assert peak_total <= Decimal(LIMITS["max_total_exposure"])


def test_a_restarted_daemon_starts_risk_from_the_checkpoint_the_last_start_wrote(
    tmp_path: Path,
) -> None:
    """A start that finds fills in the ledger writes ``<db>.risk-checkpoint`` (0600) at
    the last of them; the next start loads it and books only the fills after it."""
    db = tmp_path / "warden.db"
    config = _config(tmp_path)
    with venue_sim(*FAST_MARKET) as (_venue, base):
        runs = []
        for seconds in ("6", "2", "2"):
            daemon = start_daemon(base, db, config, "--duration", seconds)
            try:
                assert daemon.wait(timeout=90) == 0, daemon.output
            finally:
                daemon.close()
            runs.append((daemon.output, len(_ledger_fills(db))))
    (_, traded), (second, _), (third, _) = runs
    assert traded >= 2, runs[0][0]  # the first run traded: the second start has history
    written = checkpoint_path(db)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert f"booked {traded} recorded fill(s) after a checkpoint of 0" in second
    after_second = runs[1][1]
    assert f"booked {after_second - traded} recorded fill(s) after a checkpoint of {traded}" in (
        third
    )
    # the third start's checkpoint (or the second's, if the second run traded nothing)
    assert decode(written.read_bytes()).mark.count == after_second


def test_a_daemon_killed_mid_trading_reconciles_before_its_first_new_order(
    tmp_path: Path,
) -> None:
    db = tmp_path / "warden.db"
    config = _config(tmp_path)
    with venue_sim(*FAST_MARKET) as (_venue, base):
        first = start_daemon(base, db, config)
        try:
            eventually(lambda: _venue_fills(base), timeout=60, what="a first fill")
        finally:
            first.close()  # SIGKILL: no graceful stop, whatever was in flight stays so

        # As if the daemon had recorded an intent, sent a resting order and died.
        _record_intent(db, ORPHAN_ID)
        created = httpx.post(f"{base}{REST}/portfolio/orders", json=_gtc(ORPHAN_ID), timeout=10)
        assert created.status_code == 201, created.text

        second = start_daemon(base, db, config, "--duration", "6")
        try:
            assert second.wait(timeout=90) == 0, second.output
        finally:
            second.close()

        truth = venue_get(base, "/sim/truth?account=trader&limit=100000")["entries"]
        orphan_id = created.json()["order"]["order_id"]
        orphan_accepted = next(
            e["seq"]
            for e in truth
            if e["kind"] == "order_accepted" and e["record"].get("order_id") == orphan_id
        )
        cancel_at = next(
            e["seq"]
            for e in truth
            if e["kind"] == "order_canceled" and e["record"].get("order_id") == orphan_id
        )
        accepted_after_restart = [
            e["seq"] for e in truth if e["kind"] == "order_accepted" and e["seq"] > orphan_accepted
        ]
        assert accepted_after_restart, second.output  # the restarted daemon traded again
        # Reconciliation (which cancels resting orders) came before any new order.
        assert all(seq > cancel_at for seq in accepted_after_restart)
        assert _ledger_fills(db) == _venue_fills(base)
        assert venue_get(base, f"{REST}/portfolio/orders?status=resting")["orders"] == []
        orphan_in_ledger = next(
            o for o in ledger(db)["orders"] if o["client_order_id"] == ORPHAN_ID
        )
        assert orphan_in_ledger["state"] == "canceled"


def test_an_order_at_the_venue_without_an_intent_keeps_trading_halted_and_is_named(
    tmp_path: Path,
) -> None:
    db = tmp_path / "warden.db"
    with venue_sim(*FAST_MARKET) as (_venue, base):
        foreign = httpx.post(f"{base}{REST}/portfolio/orders", json=_gtc("foreign-1"), timeout=10)
        assert foreign.status_code == 201, foreign.text
        daemon = start_daemon(base, db, _config(tmp_path), "--duration", "8")
        try:
            assert daemon.wait(timeout=90) == 0, daemon.output
        finally:
            daemon.close()
        assert "no recorded intent (id 'foreign-1'" in daemon.output
        assert "HALTED" in daemon.output
        accepted = venue_get(base, "/sim/truth?account=trader&kind=order_accepted")["entries"]
        assert [e["record"]["client_order_id"] for e in accepted] == ["foreign-1"]


ORPHAN_ID = "w-orphan-before-kill"


def _gtc(client_order_id: str) -> dict[str, Any]:
    return {
        "ticker": "SIM-001",
        "side": "yes",
        "action": "buy",
        "count_fp": "1.00",
        "type": "limit",
        "yes_price_dollars": "0.0100",
        "client_order_id": client_order_id,
        "time_in_force": "good_till_canceled",
    }


def _record_intent(db: Path, client_order_id: str) -> None:
    intent = OrderIntent(
        client_order_id, "SIM-001", Side.YES, Action.BUY, Decimal("0.01"), Decimal(1)
    )
    with Ledger.open(db, wall=time.time) as writer:
        writer.write("test-orphan", (IntentRecorded(intent, "test-orphan", 0, OrderRole.ENTRY),))


def test_a_5xx_storm_opens_the_circuit_and_trading_resumes_after_it_heals(
    tmp_path: Path,
) -> None:
    db = tmp_path / "warden.db"
    config = write_config(
        tmp_path / "warden.toml",
        daemon={"status_interval_s": 0.5},
        risk={**LIMITS, "breaker_failures": 3, "breaker_cooldown_s": 1.0},
        execution={"max_retries": 1, "retry_base_s": 0.01, "retry_cap_s": 0.05},
    )
    storm = '{"http": {"create_order": {"error_5xx_rate": 1.0}}}'
    with venue_sim(*FAST_MARKET, "--faults", storm) as (_venue, base):
        daemon = start_daemon(base, db, config, "--duration", "12")
        try:
            daemon.wait_for_line("baskets ", timeout=60)
            eventually(
                lambda: any("breaker open" in line for line in daemon.lines),
                timeout=60,
                what="the circuit to open",
            )
            assert _venue_fills(base) == set()  # nothing was applied during the storm
            healed = httpx.delete(f"{base}/sim/faults", timeout=10)
            assert healed.status_code == 200, healed.text
            eventually(lambda: _venue_fills(base), timeout=60, what="trading after the heal")
            assert daemon.wait(timeout=90) == 0, daemon.output
        finally:
            daemon.close()
        statuses = [line for line in daemon.lines if line.startswith("baskets ")]
        opened = next(i for i, line in enumerate(statuses) if "breaker open" in line)
        assert any("breaker" not in line for line in statuses[opened:])  # closed again
        assert _ledger_fills(db) == _venue_fills(base)


def test_sigterm_stops_the_daemon_gracefully_with_exit_0(tmp_path: Path) -> None:
    db = tmp_path / "warden.db"
    with venue_sim(*FAST_MARKET) as (_venue, base):
        daemon = start_daemon(base, db, _config(tmp_path))
        try:
            daemon.wait_for_line("baskets ", timeout=60)  # up and trading
            daemon.popen.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0, daemon.output
        finally:
            daemon.close()
        assert "warden: stopped (SIGTERM), exit 0" in daemon.output
        stops = [line for line in daemon.lines if "down: shutdown" in line]
        assert [line.split()[2] for line in stops] == [
            "feed",
            "strategy",
            "execution",
            "risk",
            "persistence",
        ]
        assert venue_get(base, f"{REST}/portfolio/orders?status=resting")["orders"] == []
        assert _ledger_fills(db) == _venue_fills(base)


def test_a_bad_config_exits_2_naming_the_key_before_anything_starts(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "bad.toml", risk={"max_total_exposure": "0", "max_daily_loss_cents": 5_000}
    )
    daemon = start_daemon("http://127.0.0.1:9", tmp_path / "w.db", config)
    try:
        assert daemon.wait(timeout=60) == 2
    finally:
        daemon.close()
    assert "risk.max_total_exposure = '0': must be > 0 (dollars)" in daemon.output
    assert (
        'risk.max_daily_loss_cents is gone: use max_daily_loss = "50.00" (dollars)' in daemon.output
    )
    assert "Traceback" not in daemon.output
    assert not (tmp_path / "w.db").exists()
