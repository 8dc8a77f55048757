"""The money view: one tree snapshot -> positions, open orders, exposure vs limits, P&L."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from supervision import ActorSnapshot
from tests.warden.control_harness import serving_plane
from tests.warden.snapshot_nodes import node as snapshot_node
from tests.warden.snapshot_nodes import tree
from warden.control import readiness
from warden.control._portfolio import portfolio

RISK: dict[str, Any] = {
    "halted": False,
    "halt_reason": None,
    "reconciled": True,
    "reservations": {
        "held": [{"id": "r-1", "ticker": "SIM-001", "amount_cents": 95, "owner_epoch": 1}],
        "in_doubt": [{"id": "r-0", "ticker": "SIM-002", "amount_cents": 90, "owner_epoch": 1}],
    },
    "exposure_cents": {"by_market": {"SIM-001": 95, "SIM-002": 90, "SIM-003": 0}, "total": 185},
    "limits": {
        "max_market_exposure_cents": 5_000,
        "max_total_exposure_cents": 20_000,
        "max_concurrent_markets": 3,
        "max_daily_loss_cents": 5_000,
        "max_reservations_per_market": 1,
    },
    "positions": {
        "SIM-002": {"yes": 1, "no": 0, "cash_cents": -45},
        "SIM-001": {"yes": 3, "no": 3, "cash_cents": -270},
    },
    "realised_pnl_today_cents": -30,
    "day": "2026-12-01",
}
EXECUTION: dict[str, Any] = {
    "reconciled": True,
    "in_flight": {"r-1": {"phase": "placing", "legs": {"c-1": "sent", "c-2": "accepted"}}},
}


def node(name: str, summary: dict[str, Any], *, stale: bool = False) -> ActorSnapshot:
    return snapshot_node(name, summary, summary_stale=stale)


def view(snapshot: ActorSnapshot) -> dict[str, Any]:
    return portfolio(snapshot, readiness(snapshot, ("risk", "execution")))


def test_the_portfolio_shows_positions_open_orders_exposure_against_limits_and_pnl() -> None:
    answer = view(
        tree(node("risk", RISK | {"realised_pnl_total_cents": 412}), node("execution", EXECUTION))
    )
    assert answer["positions"] == {
        "SIM-001": {"yes": 3, "no": 3, "cash_cents": -270},
        "SIM-002": {"yes": 1, "no": 0, "cash_cents": -45},
    }
    assert list(answer["positions"]) == ["SIM-001", "SIM-002"]
    assert answer["open_orders"] == [
        {
            "reservation": "r-1",
            "ticker": "SIM-001",
            "amount_cents": 95,
            "phase": "placing",
            "legs": {"c-1": "sent", "c-2": "accepted"},
        }
    ]
    assert answer["reservations"] == {"held": 1, "in_doubt": 1}
    assert answer["exposure"] == {
        "total_cents": 185,
        "max_total_cents": 20_000,
        "by_market": {
            "SIM-001": {"cents": 95, "max_cents": 5_000},
            "SIM-002": {"cents": 90, "max_cents": 5_000},
            "SIM-003": {"cents": 0, "max_cents": 5_000},
        },
        "markets": 2,
        "max_markets": 3,
    }
    assert answer["pnl"] == {
        "today_cents": -30,
        "total_cents": 412,
        "max_daily_loss_cents": 5_000,
        "day": "2026-12-01",
    }
    assert answer["reconciled"] == {"execution": True, "risk": True}
    assert answer["halted"] is False
    assert answer["stale"] == []


def test_a_total_pnl_risk_does_not_publish_is_null_never_zero() -> None:
    answer = view(tree(node("risk", RISK), node("execution", EXECUTION)))
    assert answer["pnl"]["total_cents"] is None
    assert answer["pnl"]["today_cents"] == -30


def test_while_risk_is_away_every_value_of_its_is_null_and_readiness_says_why() -> None:
    answer = view(tree(node("execution", EXECUTION)))
    assert answer["positions"] is None
    assert answer["halted"] is None
    assert answer["reservations"] == {"held": None, "in_doubt": None}
    assert answer["exposure"] == {
        "total_cents": None,
        "max_total_cents": None,
        "by_market": None,
        "markets": None,
        "max_markets": None,
    }
    assert set(answer["pnl"].values()) == {None}
    assert answer["ready"] is False
    assert "risk is not in the tree" in answer["reasons"]
    # execution's orders are still shown, without risk's ticker and amount
    assert answer["open_orders"][0]["ticker"] is None
    assert answer["open_orders"][0]["amount_cents"] is None


def test_unready_and_stale_and_halted_are_said() -> None:
    risk = RISK | {"halted": True, "halt_reason": "lunch", "reconciled": False}
    answer = view(tree(node("risk", risk, stale=True), node("execution", {"reconciled": False})))
    assert answer["halted"] is True
    assert answer["halt_reason"] == "lunch"
    assert answer["reconciled"] == {"execution": False, "risk": False}
    assert answer["stale"] == ["risk"]
    assert answer["open_orders"] is None
    assert answer["ready"] is False
    assert "trading is halted: lunch" in answer["reasons"]


def test_ill_typed_values_are_null_not_trusted() -> None:
    risk = RISK | {"realised_pnl_today_cents": True, "positions": [], "exposure_cents": "x"}
    answer = view(tree(node("risk", risk), node("execution", {"in_flight": {"r": "?"}})))
    assert answer["pnl"]["today_cents"] is None
    assert answer["positions"] is None
    assert answer["exposure"]["total_cents"] is None
    assert answer["open_orders"] == [
        {"reservation": "r", "ticker": None, "amount_cents": None, "phase": None, "legs": {}}
    ]


async def test_get_portfolio_serves_the_same_view_as_json(tmp_path: Path) -> None:
    async with serving_plane(tmp_path) as plane:
        response = await plane.http.get("/portfolio")
        assert response.status_code == 200
        answer = response.json()
        assert answer["ready"] is True
        assert answer["exposure"]["total_cents"] == 120
        assert answer["exposure"]["by_market"] == {"SIM-001": {"cents": 120, "max_cents": None}}
        assert answer["pnl"]["total_cents"] is None
        assert answer["open_orders"] == []
        assert answer["reconciled"] == {"execution": True, "risk": True}
