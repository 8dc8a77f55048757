"""``GET /portfolio``: the money view of one tree snapshot, for ``warden ps`` and ``watch``.

A pure function of what the actors publish (risk's and execution's
``state_summary()``) and of the snapshot's readiness; nothing is kept or
counted here. The answer (all amounts in integer cents)::

    {
      "ready": true, "reasons": [],             # readiness, as GET /readyz
      "reconciled": {"execution": true, "risk": true},
      "halted": false, "halt_reason": null,
      "positions": {"SIM-001": {"yes": 3, "no": 3, "cash_cents": -270}},
      "open_orders": [{"reservation": "r-1", "ticker": "SIM-001", "amount_cents": 95,
                       "phase": "placing", "legs": {"c-1": "sent", "c-2": "sent"}}],
      "reservations": {"held": 1, "in_doubt": 0},
      "exposure": {"total_cents": 95, "max_total_cents": 20000,
                   "by_market": {"SIM-001": {"cents": 95, "max_cents": 5000}},
                   "markets": 1, "max_markets": 3},
      "pnl": {"today_cents": 30, "total_cents": 120, "max_daily_loss_cents": 5000, "day": "..."},
      "stale": []                               # actors whose summary is an old one
    }

A value an actor does not publish is ``null`` -- never a made-up zero: e.g.
``pnl.total_cents`` while risk does not publish ``realised_pnl_total_cents``,
or everything of risk's while risk is restarting. ``open_orders`` are
execution's in-flight reservations (both legs with their states), with the
ticker and amount risk holds for them when risk knows the reservation.
"""

from __future__ import annotations

from typing import Any

from supervision import ActorSnapshot
from warden.control._readiness import Readiness


def _summary(snapshot: ActorSnapshot, name: str) -> tuple[dict[str, Any], bool]:
    """The actor's summary and whether it is stale; ``({}, False)`` when not in the tree."""
    node = snapshot.get(name)
    return (node.summary, node.summary_stale) if node is not None else ({}, False)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _reservations(risk: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Risk's reservations by id, held and in doubt alike."""
    known: dict[str, dict[str, Any]] = {}
    books = _dict(risk.get("reservations")) or {}
    for state in ("held", "in_doubt"):
        for entry in books.get(state) or ():
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                known[entry["id"]] = entry
    return known


def _count(risk: dict[str, Any], state: str) -> int | None:
    books = _dict(risk.get("reservations"))
    entries = books.get(state) if books is not None else None
    return len(entries) if isinstance(entries, list) else None


def _open_orders(execution: dict[str, Any], risk: dict[str, Any]) -> list[dict[str, Any]] | None:
    in_flight = _dict(execution.get("in_flight"))
    if in_flight is None:
        return None
    reservations = _reservations(risk)
    orders = []
    for rid, published in sorted(in_flight.items()):
        flight = _dict(published) or {}
        held = reservations.get(rid, {})
        orders.append(
            {
                "reservation": rid,
                "ticker": held.get("ticker"),
                "amount_cents": _int(held.get("amount_cents")),
                "phase": flight.get("phase"),
                "legs": _dict(flight.get("legs")) or {},
            }
        )
    return orders


def _exposure(risk: dict[str, Any]) -> dict[str, Any]:
    exposure = _dict(risk.get("exposure_cents")) or {}
    limits = _dict(risk.get("limits")) or {}
    by_market = _dict(exposure.get("by_market"))
    per_market_limit = _int(limits.get("max_market_exposure_cents"))
    return {
        "total_cents": _int(exposure.get("total")),
        "max_total_cents": _int(limits.get("max_total_exposure_cents")),
        "by_market": None
        if by_market is None
        else {
            ticker: {"cents": _int(cents), "max_cents": per_market_limit}
            for ticker, cents in sorted(by_market.items())
        },
        "markets": None if by_market is None else sum(1 for c in by_market.values() if c),
        "max_markets": _int(limits.get("max_concurrent_markets")),
    }


def portfolio(snapshot: ActorSnapshot, ready: Readiness) -> dict[str, Any]:
    """Positions, open orders, exposure against limits, realised P&L and readiness."""
    risk, risk_stale = _summary(snapshot, "risk")
    execution, execution_stale = _summary(snapshot, "execution")
    limits = _dict(risk.get("limits")) or {}
    positions = _dict(risk.get("positions"))
    return {
        "ready": ready.ready,
        "reasons": list(ready.reasons),
        "reconciled": {
            "execution": _bool(execution.get("reconciled")),
            "risk": _bool(risk.get("reconciled")),
        },
        "halted": _bool(risk.get("halted")),
        "halt_reason": risk.get("halt_reason")
        if isinstance(risk.get("halt_reason"), str)
        else None,
        "positions": None if positions is None else dict(sorted(positions.items())),
        "open_orders": _open_orders(execution, risk),
        "reservations": {"held": _count(risk, "held"), "in_doubt": _count(risk, "in_doubt")},
        "exposure": _exposure(risk),
        "pnl": {
            "today_cents": _int(risk.get("realised_pnl_today_cents")),
            "total_cents": _int(risk.get("realised_pnl_total_cents")),
            "max_daily_loss_cents": _int(limits.get("max_daily_loss_cents")),
            "day": risk.get("day") if isinstance(risk.get("day"), str) else None,
        },
        "stale": [
            name for name, stale in (("risk", risk_stale), ("execution", execution_stale)) if stale
        ],
    }
