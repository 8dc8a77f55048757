"""What ``warden ps`` and ``watch`` draw, from synthetic answers (no daemon needed)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from warden.cli_control import portfolio_panel, ps_table

TREE: dict[str, Any] = {
    "name": "warden",
    "path": "warden",
    "status": "running",
    "children": [
        {
            "name": "risk",
            "path": "warden/risk",
            "status": "failed",
            "epoch": 2,
            "restarts": 1,
            "last_failure": {"type": "ValueError", "message": "[bold red]boom[/] \\[x]"},
            "summary": {"breaker": {"state": "closed", "times_opened": 0}},
        }
    ],
}
MONEY: dict[str, Any] = {
    "ready": False,
    "reasons": ["trading is halted: lunch"],
    "reconciled": {"execution": True, "risk": None},
    "halted": True,
    "halt_reason": "[red]lunch[/red]",
    "positions": {"SIM-001": {"yes": 3, "no": 2, "cash_cents": -270}},
    "open_orders": [
        {
            "reservation": "r-1",
            "ticker": "SIM-001",
            "amount_cents": 95,
            "phase": "placing",
            "legs": {"c-1": "sent"},
        }
    ],
    "reservations": {"held": 1, "in_doubt": 0},
    "exposure": {
        "total_cents": 95,
        "max_total_cents": 20_000,
        "by_market": {"SIM-001": {"cents": 95, "max_cents": 5_000}},
        "markets": 1,
        "max_markets": 3,
    },
    "pnl": {"today_cents": -30, "total_cents": None, "max_daily_loss_cents": 5_000, "day": "d"},
    "stale": [],
}


def _draw(renderable: Any) -> str:
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
        "SIM-001 yes 3 no 2 cash -$2.70",
        "open orders 1",
        "r-1 SIM-001 $0.95 placing (c-1 sent)",
        "reservations held 1 in doubt 0",
        "breaker closed (opened 0 times)",
    ):
        assert shown in text, (shown, text)


def test_a_daemon_without_a_portfolio_endpoint_is_said_not_guessed() -> None:
    text = _draw(portfolio_panel(None, TREE))
    assert "portfolio unavailable: not served by this daemon" in text
    assert "$" not in text


def test_error_messages_in_the_tree_are_shown_literally() -> None:
    text = _draw(ps_table(TREE))
    assert "ValueError: [bold red]boom[/] \\[x]" in text
