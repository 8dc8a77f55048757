"""``warden report`` over a prepared ledger file: tables, JSON, and read-only safety."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from actors.domain import Action, OrderState, Side
from actors.messages import OrderUpdated
from actors.persistence import Ledger
from tests.actors.test_persistence_ledger import WallClock, fill, intent
from warden.report import run_report


@pytest.fixture
def prepared(tmp_path: Path) -> Path:
    """One arbitrage: YES 2 @ 40 and NO 2 @ 55 bought, fees 1 + 1; a second order expired."""
    path = tmp_path / "ledger.db"
    with Ledger.open(path, wall=WallClock()) as ledger:
        ledger.write(
            "r-1",
            (
                intent("c-yes"),
                intent("c-no", side=Side.NO, price=55),
                intent("c-gone"),
            ),
        )
        ledger.write(
            "r-2",
            (
                OrderUpdated("c-yes", OrderState.FILLED, 2, "v-1"),
                OrderUpdated("c-no", OrderState.FILLED, 2, "v-2"),
                fill("f-1", "c-yes"),
                fill("f-2", "c-no", side=Side.NO, action=Action.BUY, price=55),
            ),
        )
        ledger.write("r-3", (OrderUpdated("c-gone", OrderState.EXPIRED, 0),))
    return path


def report(path: Path, *, as_json: bool) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_report(path, as_json=as_json, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_json_report_has_orders_fills_positions_pnl_and_daily_stats(prepared: Path) -> None:
    code, out, err = report(prepared, as_json=True)
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["schema_version"] >= 2
    assert [(o["client_order_id"], o["state"]) for o in data["orders"]] == [
        ("c-yes", "filled"),
        ("c-no", "filled"),
        ("c-gone", "expired"),
    ]
    assert data["orders"][0]["updated_at"] == "2027-01-15T08:00:00+00:00"
    assert [(f["fill_id"], f["price"], f["count"], f["fee_cents"]) for f in data["fills"]] == [
        ("f-1", 40, 2, 1),
        ("f-2", 55, 2, 1),
    ]
    (position,) = data["positions"]
    cash = -(40 * 2 + 1) - (55 * 2 + 1)
    assert position == {
        "ticker": "KX-A",
        "yes_count": 2,
        "no_count": 2,
        "cash_cents": cash,
        "matched_pairs": 2,
        "pnl_if_yes_cents": cash + 200,
        "pnl_if_no_cents": cash + 200,
        "worst_case_pnl_cents": cash + 200,
    }
    assert data["pnl"] == {
        "cash_flow_cents": cash,
        "fees_cents": 2,
        "worst_case_pnl_cents": 8,
        "best_case_pnl_cents": 8,
    }
    (day,) = data["daily_stats"]
    assert (day["day"], day["records"], day["orders_recorded"], day["fills"]) == (
        "2027-01-15",
        3,
        3,
        2,
    )


def test_the_table_report_shows_each_section(prepared: Path) -> None:
    code, out, _ = report(prepared, as_json=False)
    assert code == 0
    for section in ("ORDERS (3)", "FILLS (2)", "POSITIONS (1)", "P&L", "DAILY STATS (UTC) (1)"):
        assert section in out
    assert "c-gone" in out
    assert "expired" in out
    assert "at settlement, worst case  $0.08" in out
    assert "cash flow (incl. fees)     -$1.92" in out


def test_the_report_never_writes_to_the_ledger(prepared: Path) -> None:
    before = prepared.read_bytes()
    assert report(prepared, as_json=True)[0] == 0
    assert prepared.read_bytes() == before


def test_the_report_reads_while_a_writer_holds_the_ledger_open(prepared: Path) -> None:
    with Ledger.open(prepared, wall=WallClock()) as writer:
        writer.write("r-4", (fill("f-3", "c-yes", action=Action.SELL, price=45, count=1),))
        code, out, _ = report(prepared, as_json=True)
        assert code == 0
        assert [f["fill_id"] for f in json.loads(out)["fills"]] == ["f-1", "f-2", "f-3"]


def test_a_missing_ledger_is_an_error_on_stderr_with_exit_code_1(tmp_path: Path) -> None:
    code, out, err = report(tmp_path / "absent.db", as_json=True)
    assert (code, out) == (1, "")
    assert "no ledger at" in err
    assert not (tmp_path / "absent.db").exists()
