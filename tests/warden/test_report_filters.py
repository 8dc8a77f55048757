"""``warden report --since/--market/--limit/--config`` over a real two-day ledger."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from actors.domain import Action, OrderIntent, OrderRole, OrderState, Side
from actors.messages import IntentRecorded, OrderUpdated
from actors.persistence import Ledger
from tests.actors.test_persistence_ledger import WallClock, fill
from warden.report import ReportFilter, parse_since, run_report

ROOT = Path(__file__).resolve().parents[2]
DAY_1 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
DAY_2 = DAY_1 + 86_400 + 3_600  # 2027-01-16T09:00:00Z


def intent(cid: str, ticker: str, side: Side = Side.YES, price: str = "0.40") -> IntentRecorded:
    order = OrderIntent(cid, ticker, side, Action.BUY, Decimal(price), Decimal(2))
    return IntentRecorded(order, "opp-" + cid, 0 if side is Side.YES else 1, OrderRole.ENTRY)


@pytest.fixture
def two_days(tmp_path: Path) -> Path:
    """Day 1: KX-A YES 2 @ $0.40. Day 2: KX-B YES 2 @ $0.30, then KX-A NO 2 @ $0.55."""
    path = tmp_path / "ledger.db"
    clock = WallClock(DAY_1)
    with Ledger.open(path, wall=clock) as ledger:
        ledger.write("r-1", (intent("c-a1", "KX-A"),))
        ledger.write(
            "r-2",
            (OrderUpdated("c-a1", OrderState.FILLED, Decimal(2), "v-1"), fill("f-a1", "c-a1")),
        )
        clock.now = DAY_2
        ledger.write("r-3", (intent("c-b1", "KX-B", price="0.30"),))
        ledger.write(
            "r-4",
            (
                OrderUpdated("c-b1", OrderState.FILLED, Decimal(2), "v-2"),
                fill("f-b1", "c-b1", price="0.30", ticker="KX-B"),
            ),
        )
        ledger.write("r-5", (intent("c-a2", "KX-A", side=Side.NO, price="0.55"),))
        ledger.write(
            "r-6",
            (
                OrderUpdated("c-a2", OrderState.FILLED, Decimal(2), "v-3"),
                fill("f-a2", "c-a2", side=Side.NO, price="0.55"),
            ),
        )
    return path


def report(path: Path, selection: ReportFilter) -> dict[str, Any]:  # Any: indexed freely
    out, err = io.StringIO(), io.StringIO()
    assert run_report(path, as_json=True, out=out, err=err, selection=selection) == 0
    assert err.getvalue() == ""
    result: dict[str, Any] = json.loads(out.getvalue())  # Any: the decoded --json document
    return result


def ids(data: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:  # Any: as report()
    return (
        [o["client_order_id"] for o in data["orders"]],
        [f["fill_id"] for f in data["fills"]],
        [d["day"] for d in data["daily_stats"]],
    )


def test_without_a_selection_everything_is_listed(two_days: Path) -> None:
    data = report(two_days, ReportFilter())
    assert ids(data) == (
        ["c-a1", "c-b1", "c-a2"],
        ["f-a1", "f-b1", "f-a2"],
        ["2027-01-15", "2027-01-16"],
    )
    assert data["filters"] == {"since": None, "market": None, "limit": None}


def test_since_lists_what_changed_from_that_moment_and_keeps_holdings_whole(
    two_days: Path,
) -> None:
    data = report(two_days, ReportFilter.from_flags(since="2027-01-16"))
    assert ids(data) == (["c-b1", "c-a2"], ["f-b1", "f-a2"], ["2027-01-16"])
    assert data["filters"]["since"] == "2027-01-16T00:00:00+00:00"
    # KX-A's position still counts the day-1 YES fill: holdings are not a window
    assert {p["ticker"]: (p["yes_count"], p["no_count"]) for p in data["positions"]} == {
        "KX-A": ("2.00", "2.00"),
        "KX-B": ("2.00", "0.00"),
    }


@pytest.mark.parametrize(
    ("since", "expected_fills"),
    [
        ("2027-01-16T09:00:00Z", ["f-b1", "f-a2"]),
        ("2027-01-16T09:00:01", []),  # naive: UTC
        ("2027-01-16T11:00+02:00", ["f-b1", "f-a2"]),  # 09:00 UTC
        ("2027-01-16T10:30+01:00", []),  # 09:30 UTC
    ],
)
def test_since_is_utc_unless_it_carries_an_offset(
    two_days: Path, since: str, expected_fills: list[str]
) -> None:
    assert ids(report(two_days, ReportFilter.from_flags(since=since)))[1] == expected_fills


def test_market_keeps_one_tickers_orders_fills_position_and_pnl(two_days: Path) -> None:
    data = report(two_days, ReportFilter.from_flags(market="KX-B"))
    assert ids(data)[:2] == (["c-b1"], ["f-b1"])
    (position,) = data["positions"]
    assert position["ticker"] == "KX-B"
    assert Decimal(data["pnl"]["cash_flow"]) == -(Decimal("0.30") * 2 + Decimal("0.01"))
    assert data["pnl"]["fees"] == "0.0100"


def test_limit_keeps_the_newest_rows_and_says_how_many_matched(two_days: Path) -> None:
    data = report(two_days, ReportFilter.from_flags(limit="1"))
    assert ids(data) == (["c-a2"], ["f-a2"], ["2027-01-16"])
    assert data["matched"] == {"orders": 3, "fills": 3, "days": 2}
    assert len(data["positions"]) == 2


def test_the_table_names_the_selection_and_what_was_left_out(two_days: Path) -> None:
    out = io.StringIO()
    selection = ReportFilter.from_flags(market="KX-A", limit="1")
    assert run_report(two_days, as_json=False, out=out, selection=selection) == 0
    text = out.getvalue()
    assert "selected: market KX-A, limit 1 (positions and P&L: holdings now" in text
    assert "ORDERS (newest 1 of 2)" in text
    assert "FILLS (newest 1 of 2)" in text
    assert "DAILY STATS (UTC, all markets) (newest 1 of 2)" in text


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"since": "yesterday"}, "--since must be an ISO date or date-time"),
        ({"since": "2027-13-01"}, "--since must be an ISO date or date-time"),
        ({"limit": "0"}, "--limit must be a whole number >= 1, got 0"),
        ({"limit": "ten"}, "--limit must be a whole number >= 1, got 'ten'"),
        ({"market": " "}, "--market must be a ticker"),
    ],
)
def test_a_bad_flag_value_is_a_value_error_naming_the_flag(
    flags: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        ReportFilter.from_flags(**flags)


def test_parse_since_reads_a_date_as_midnight_utc() -> None:
    assert parse_since("2027-01-15") == DAY_1 - 8 * 3_600


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warden", "report", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.parametrize(
    "flags",
    [
        ("--since", "last tuesday"),
        ("--limit", "-3"),
        ("--market", ""),
        ("--config", "/nonexistent/warden.toml"),
    ],
)
def test_the_cli_exits_2_with_one_line_for_a_bad_value(
    two_days: Path, tmp_path: Path, flags: tuple[str, str]
) -> None:
    done = cli(tmp_path, "--db", str(two_days), *flags)
    assert (done.returncode, done.stdout) == (2, "")
    (line,) = done.stderr.splitlines()
    assert line.startswith("warden report: ")
    assert "Traceback" not in done.stderr


def test_the_cli_reads_the_ledger_named_by_the_config_relative_to_it(
    two_days: Path, tmp_path: Path
) -> None:
    (tmp_path / "etc").mkdir()
    config = tmp_path / "etc" / "warden.toml"
    config.write_text(f'[daemon]\ndb = "../{two_days.name}"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = two_days.read_bytes()
    done = cli(elsewhere, "--config", str(config), "--market", "KX-A", "--limit", "1", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["ledger"] == str(two_days)
    assert ids(data)[:2] == (["c-a2"], ["f-a2"])
    assert two_days.read_bytes() == before  # read-only


def test_db_overrides_the_config(two_days: Path, tmp_path: Path) -> None:
    config = tmp_path / "warden.toml"
    config.write_text('[daemon]\ndb = "elsewhere.db"\n')
    done = cli(tmp_path, "--config", str(config), "--db", str(two_days), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ledger"] == str(two_days)


def test_without_flags_the_cli_reads_the_ledger_run_uses_whatever_the_cwd(
    tmp_path: Path,
) -> None:
    done = cli(tmp_path, "--json")
    expected = str(ROOT / "var" / "warden.db")
    if done.returncode == 0:  # a daemon of the repo has written its ledger
        assert json.loads(done.stdout)["ledger"] == expected
    else:
        assert (done.returncode, done.stdout) == (1, "")
        assert expected in done.stderr
    assert not (tmp_path / "var").exists()
