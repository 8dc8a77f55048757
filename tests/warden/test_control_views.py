"""What ``warden ps`` and ``watch`` draw, from synthetic answers (no daemon needed)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rich.console import Console, RenderableType

from supervision import FailureInfo, snapshot_to_dict
from tests.warden import statuses
from tests.warden.snapshot_nodes import node, tree
from warden.cli_control import portfolio_panel, ps_rows, ps_table
from warden.control import UnreadableSnapshot, read_snapshot
from warden.control._portfolio import (
    Exposure,
    MarketExposure,
    OpenOrder,
    Pnl,
    Portfolio,
    Reconciled,
    ReservationCounts,
)

TREE = tree(
    node(
        "risk",
        statuses.risk(),
        status="failed",
        epoch=2,
        restarts=1,
        last_failure=FailureInfo("error", "ValueError", "[bold red]boom[/] \\[x]", 0.0),
    )
)
MONEY = Portfolio(
    ready=False,
    reasons=("trading is halted: lunch",),
    reconciled=Reconciled(execution=True, risk=None),
    halted=True,
    halt_reason="[red]lunch[/red]",
    positions={"SIM-001": statuses.position(Decimal("3.00"), Decimal("2.00"), Decimal("-2.7017"))},
    open_orders=(
        OpenOrder(
            reservation="r-1",
            event_ticker="SIM-001",
            amount=Decimal("0.9500"),
            phase="placing",
            legs={"c-1": "sent"},
        ),
    ),
    reservations=ReservationCounts(held=1, in_doubt=0),
    exposure=Exposure(
        total=Decimal("0.9500"),
        max_total=Decimal("200.00"),
        by_market={"SIM-001": MarketExposure(amount=Decimal("0.9500"), limit=Decimal("50.00"))},
        markets=1,
        max_markets=3,
    ),
    pnl=Pnl(today=Decimal("-0.30"), total=None, max_daily_loss=Decimal("50.00"), day="d"),
    stale=(),
)


def _draw(renderable: RenderableType) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_the_portfolio_panel_shows_money_state_and_unknowns_as_question_marks() -> None:
    text = _draw(portfolio_panel(MONEY, TREE))
    for shown in (
        "NOT READY",
        "reconciled: execution yes, risk ?",
        "HALTED: [red]lunch[/red]",  # operator text is shown as text, never as markup
        "- trading is halted: lunch",
        "exposure $0.95 / $200.00   markets 1 / 3",
        "SIM-001 $0.95 / $50.00",
        "realised P&L today -$0.30 (daily loss limit $50.00)   total ?",
        "positions 1",
        "SIM-001 yes 3.00 no 2.00 cash -$2.7017",  # exact: a fee's $0.0001 is kept
        "open orders 1",
        "r-1 SIM-001 $0.95 placing (c-1 sent)",
        "reservations held 1 in doubt 0",
        "breaker closed (opened 0 times)",
    ):
        assert shown in text, (shown, text)


def test_a_daemon_without_a_portfolio_endpoint_is_said_not_guessed() -> None:
    text = _draw(portfolio_panel("not served by this daemon", TREE))
    assert "portfolio unavailable: not served by this daemon" in text
    assert "$" not in text


def test_error_messages_in_the_tree_are_shown_literally() -> None:
    text = _draw(ps_table(TREE))
    assert "ValueError: [bold red]boom[/] \\[x]" in text


def test_a_risk_without_a_status_shows_its_breaker_as_unknown() -> None:
    silent = tree(node("risk", None))
    text = _draw(portfolio_panel(MONEY, silent))
    assert "breaker ? (opened ? times)" in text


def test_ps_rows_walk_the_tree_depth_first_with_the_last_error() -> None:
    rows = ps_rows(TREE)
    assert [row["name"] for row in rows] == ["warden", "risk"]
    assert rows[1]["status"] == "failed"
    assert rows[1]["last_error"] == "ValueError: [bold red]boom[/] \\[x]"
    assert rows[0]["last_error"] is None


def test_a_served_snapshot_comes_back_typed_and_an_unknown_status_type_is_refused() -> None:
    served = snapshot_to_dict(TREE)
    assert read_snapshot(served) == TREE
    served["children"][0]["summary"]["type"] = "NoSuchStatus"
    with pytest.raises(UnreadableSnapshot, match="NoSuchStatus"):
        read_snapshot(served)
    with pytest.raises(UnreadableSnapshot, match="expected a JSON object"):
        read_snapshot(["not", "a", "tree"])
