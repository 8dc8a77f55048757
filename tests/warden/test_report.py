"""``warden report`` over a prepared ledger file: tables, JSON, and read-only safety."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from actors.domain import Action, OrderState, Side
from actors.messages import OrderUpdated
from actors.persistence import Ledger
from tests.actors.test_persistence_ledger import WallClock, fill, intent
from warden.report import run_report


@pytest.fixture
def prepared(tmp_path: Path) -> Path:
    """One arbitrage: YES 2 @ $0.40 and NO 2 @ $0.55 bought, fees $0.01 + $0.01; a second
    order expired."""
    path = tmp_path / "ledger.db"
    with Ledger.open(path, wall=WallClock()) as ledger:
        ledger.write(
            "r-1",
            (
                intent("c-yes"),
                intent("c-no", side=Side.NO, price="0.55"),
                intent("c-gone"),
            ),
        )
        ledger.write(
            "r-2",
            (
                OrderUpdated("c-yes", OrderState.FILLED, Decimal(2), "v-1"),
                OrderUpdated("c-no", OrderState.FILLED, Decimal(2), "v-2"),
                fill("f-1", "c-yes"),
                fill("f-2", "c-no", side=Side.NO, action=Action.BUY, price="0.55"),
            ),
        )
        ledger.write("r-3", (OrderUpdated("c-gone", OrderState.EXPIRED, Decimal(0)),))
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
    # money and counts are exact strings, never JSON numbers
    assert [(f["fill_id"], f["price"], f["count"], f["fee"]) for f in data["fills"]] == [
        ("f-1", "0.4000", "2.00", "0.0100"),
        ("f-2", "0.5500", "2.00", "0.0100"),
    ]
    assert [(o["price"], o["count"], o["filled_count"]) for o in data["orders"]] == [
        ("0.4000", "2.00", "2.00"),
        ("0.5500", "2.00", "2.00"),
        ("0.4000", "2.00", "0.00"),
    ]
    (position,) = data["positions"]
    cash = -(Decimal("0.40") * 2 + Decimal("0.01")) - (Decimal("0.55") * 2 + Decimal("0.01"))
    assert cash == Decimal("-1.92")
    assert position == {
        "ticker": "KX-A",
        "yes_count": "2.00",
        "no_count": "2.00",
        "cash": "-1.9200",
        "matched_pairs": "2.00",
        "pnl_if_yes": "0.0800",
        "pnl_if_no": "0.0800",
        "worst_case_pnl": "0.0800",
    }
    assert Decimal(position["pnl_if_yes"]) == cash + 2  # 2 pairs pay $1 each
    assert data["pnl"] == {
        "cash_flow": "-1.9200",
        "fees": "0.0200",
        "worst_case_pnl": "0.0800",
        "best_case_pnl": "0.0800",
    }
    (day,) = data["daily_stats"]
    assert (day["day"], day["records"], day["orders_recorded"], day["fills"]) == (
        "2027-01-15",
        3,
        3,
        2,
    )
    assert (day["contracts"], day["fees"], day["cash_flow"]) == ("4.00", "0.0200", "-1.9200")


def test_the_table_report_shows_each_section(prepared: Path) -> None:
    code, out, _ = report(prepared, as_json=False)
    assert code == 0
    for section in ("ORDERS (3)", "FILLS (2)", "POSITIONS (1)", "P&L", "DAILY STATS (UTC) (1)"):
        assert section in out
    assert "c-gone" in out
    assert "expired" in out
    assert "at settlement, worst case  $0.08" in out
    assert "cash flow (incl. fees)     -$1.92" in out
    assert "fees                       $0.02" in out
    fills = out.split("FILLS (2)\n")[1].split("\n\n")[0].splitlines()
    assert fills[0].split() == [
        "fill_id",
        "client_order_id",
        "ticker",
        "side",
        "action",
        "price",
        "count",
        "fee",
    ]
    assert fills[1].split() == ["f-1", "c-yes", "KX-A", "yes", "buy", "0.4000", "2.00", "$0.01"]


def test_the_report_never_writes_to_the_ledger(prepared: Path) -> None:
    before = prepared.read_bytes()
    assert report(prepared, as_json=True)[0] == 0
    assert prepared.read_bytes() == before


def test_the_report_reads_while_a_writer_holds_the_ledger_open(prepared: Path) -> None:
    with Ledger.open(prepared, wall=WallClock()) as writer:
        writer.write("r-4", (fill("f-3", "c-yes", action=Action.SELL, price="0.45", count="1"),))
        code, out, _ = report(prepared, as_json=True)
        assert code == 0
        assert [f["fill_id"] for f in json.loads(out)["fills"]] == ["f-1", "f-2", "f-3"]


def test_a_missing_ledger_is_an_error_on_stderr_with_exit_code_1(tmp_path: Path) -> None:
    code, out, err = report(tmp_path / "absent.db", as_json=True)
    assert (code, out) == (1, "")
    assert "no ledger at" in err
    assert not (tmp_path / "absent.db").exists()


def test_a_sub_penny_fee_is_printed_exactly_never_rounded(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with Ledger.open(path, wall=WallClock()) as ledger:
        ledger.write("r-1", (intent("c-yes"), fill("f-1", "c-yes", fee="0.0175")))
    code, out, _ = report(path, as_json=False)
    assert code == 0
    assert "fees                       $0.0175" in out
    assert "cash flow (incl. fees)     -$0.8175" in out  # 2 x $0.40 + $0.0175
    data = json.loads(report(path, as_json=True)[1])
    assert (data["pnl"]["fees"], data["pnl"]["cash_flow"]) == ("0.0175", "-0.8175")
