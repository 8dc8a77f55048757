"""The money view: one tree snapshot -> positions, open orders, exposure vs limits, P&L."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from supervision import ActorSnapshot
from tests.warden import statuses
from tests.warden.control_harness import serving_plane
from tests.warden.snapshot_nodes import node as snapshot_node
from tests.warden.snapshot_nodes import tree
from warden.control import readiness
from warden.control._portfolio import (
    Exposure,
    MarketExposure,
    Pnl,
    Portfolio,
    Reconciled,
    ReservationCounts,
    UnreadablePortfolio,
    portfolio,
    portfolio_from_dict,
    portfolio_to_dict,
)

RISK = statuses.risk(
    reservations=statuses.reservations(
        held=(statuses.reservation("r-1", "SIM-001", Decimal("0.9500")),),
        in_doubt=(statuses.reservation("r-0", "SIM-002", Decimal("0.9000")),),
    ),
    exposure=statuses.exposure(
        {"SIM-001": Decimal("0.9500"), "SIM-002": Decimal("0.9000"), "SIM-003": Decimal(0)}
    ),
    positions={
        "SIM-002": statuses.position(Decimal("1.00"), Decimal("0.00"), Decimal("-0.4517")),
        "SIM-001": statuses.position(Decimal("3.00"), Decimal("3.00"), Decimal("-2.7000")),
    },
    realised_pnl_today=Decimal("-0.30"),
    realised_pnl_total=Decimal("4.12"),
    day="2026-12-01",
)
EXECUTION = statuses.execution(
    in_flight={"r-1": statuses.flight("placing", **{"c-1": "sent", "c-2": "accepted"})}
)


def node(name: str, summary: object | None, *, stale: bool = False) -> ActorSnapshot:
    return snapshot_node(name, summary, summary_stale=stale)


def view(snapshot: ActorSnapshot) -> Portfolio:
    return portfolio(snapshot, readiness(snapshot, ("risk", "execution")))


def test_the_portfolio_shows_positions_open_orders_exposure_against_limits_and_pnl() -> None:
    money = view(tree(node("risk", RISK), node("execution", EXECUTION)))
    assert portfolio_from_dict(portfolio_to_dict(money)) == money
    answer = portfolio_to_dict(money)  # the JSON GET /portfolio serves
    assert answer["positions"] == {
        "SIM-001": {"yes": "3.00", "no": "3.00", "cash": "-2.7000"},
        "SIM-002": {"yes": "1.00", "no": "0.00", "cash": "-0.4517"},
    }
    assert list(answer["positions"]) == ["SIM-001", "SIM-002"]
    assert answer["open_orders"] == [
        {
            "reservation": "r-1",
            "event_ticker": "SIM-001",
            "amount": "0.9500",
            "phase": "placing",
            "legs": {"c-1": "sent", "c-2": "accepted"},
        }
    ]
    assert answer["reservations"] == {"held": 1, "in_doubt": 1}
    assert answer["exposure"] == {
        "total": "1.8500",
        "max_total": "200.00",
        "by_market": {
            "SIM-001": {"amount": "0.9500", "limit": "50.00"},
            "SIM-002": {"amount": "0.9000", "limit": "50.00"},
            "SIM-003": {"amount": "0", "limit": "50.00"},
        },
        "markets": 2,
        "max_markets": 3,
    }
    assert answer["pnl"] == {
        "today": "-0.30",
        "total": "4.12",
        "max_daily_loss": "50.00",
        "day": "2026-12-01",
    }
    assert answer["reconciled"] == {"execution": True, "risk": True}
    assert answer["halted"] is False
    assert answer["stale"] == []


def test_a_risk_that_has_not_answered_yet_is_null_never_zero() -> None:
    money = view(tree(node("risk", None), node("execution", EXECUTION)))
    assert money.pnl == Pnl(None, None, None, None)
    assert money.halted is None
    assert money.reconciled == Reconciled(execution=True, risk=None)


def test_while_risk_is_away_every_value_of_its_is_null_and_readiness_says_why() -> None:
    money = view(tree(node("execution", EXECUTION)))
    assert money.positions is None
    assert money.halted is None
    assert money.reservations == ReservationCounts(held=None, in_doubt=None)
    assert money.exposure == Exposure(
        total=None, max_total=None, by_market=None, markets=None, max_markets=None
    )
    assert set(attrs.astuple(money.pnl)) == {None}
    assert money.ready is False
    assert "risk is not in the tree" in money.reasons
    # execution's orders are still shown, without risk's ticker and amount
    assert money.open_orders is not None
    assert money.open_orders[0].event_ticker is None
    assert money.open_orders[0].amount is None


def test_unready_and_stale_and_halted_are_said() -> None:
    risk = attrs.evolve(RISK, halted=True, halt_reason="lunch", reconciled=False)
    execution = statuses.execution(reconciled=False)
    money = view(tree(node("risk", risk, stale=True), node("execution", execution)))
    assert money.halted is True
    assert money.halt_reason == "lunch"
    assert money.reconciled == Reconciled(execution=False, risk=False)
    assert money.stale == ("risk",)
    assert money.open_orders == ()
    assert money.ready is False
    assert "trading is halted: lunch" in money.reasons


def test_statuses_of_another_kind_are_null_not_trusted() -> None:
    # each actor publishing the other's status, as if a class had been renamed
    money = view(tree(node("risk", EXECUTION), node("execution", RISK)))
    assert money.pnl.today is None
    assert money.positions is None
    assert money.exposure.total is None
    assert money.reconciled == Reconciled(execution=None, risk=None)
    assert money.open_orders is None


async def test_get_portfolio_serves_the_same_view_as_json(tmp_path: Path) -> None:
    async with serving_plane(tmp_path) as plane:
        response = await plane.http.get("/portfolio")
        assert response.status_code == 200
        money = portfolio_from_dict(response.json())
        assert money.ready is True
        assert money.exposure.total == Decimal("1.20")
        assert money.exposure.by_market == {
            "SIM-001": MarketExposure(amount=Decimal("1.20"), limit=Decimal("50.00"))
        }
        assert money.pnl.total == 0
        assert money.open_orders == ()
        assert money.reconciled == Reconciled(execution=True, risk=True)


def test_a_served_portfolio_missing_a_field_is_refused_naming_it() -> None:
    served = portfolio_to_dict(view(tree(node("risk", RISK), node("execution", EXECUTION))))
    del served["reconciled"]["risk"]
    with pytest.raises(UnreadablePortfolio, match=r"missing @ \$\.reconciled\.risk"):
        portfolio_from_dict(served)


def test_money_in_the_served_json_is_an_exact_string_and_a_number_is_refused() -> None:
    served = portfolio_to_dict(view(tree(node("risk", RISK), node("execution", EXECUTION))))
    # exact both ways: the string read back is the same Decimal, digits kept
    back = portfolio_from_dict(served)
    assert back.pnl.total == Decimal("4.12")
    assert back.positions is not None
    assert str(back.positions["SIM-002"].cash) == "-0.4517"
    served["pnl"]["total"] = 4.12  # a float is inexact: never read as money
    with pytest.raises(UnreadablePortfolio, match=r"pnl\.total"):
        portfolio_from_dict(served)
    served["pnl"]["total"] = "NaN"
    with pytest.raises(UnreadablePortfolio, match=r"pnl\.total"):
        portfolio_from_dict(served)
