"""The evidence a run leaves: the histories of both sides and the final states.

- the venue's truth log (``GET /sim/truth?account=trader``): every accepted,
  rejected and cancelled order and every fill, in venue order;
- the daemon's ``history.jsonl`` (``warden run --chaos``): order
  invoke/ok/fail/unknown/resolved, reservations, restarts, reconciliation,
  halts; ``None`` when the daemon writes none;
- the harness's own ``harness.jsonl``: faults injected and healed, each daemon
  process's lifetime (spawned, reaped; second daemons with their exit code and
  stderr), halts, and periodic polls of ``/actors`` and ``/readyz`` (with the
  reasons and failing checks of a 503);
- the ledger after the daemon stopped (read-only), the venue's positions,
  balance and resting orders after quiescence.

Everything is plain JSON-able dicts so checkers can be tested on synthetic
histories. JSONL readers skip a torn line (a SIGKILL mid-write) and count it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from attrs import field, frozen

from actors.persistence import Ledger


@frozen
class Evidence:
    """What the checkers judge. ``daemon`` is ``None`` without a daemon history;
    ``ledger`` is ``None`` if the ledger could not be read."""

    truth: tuple[dict[str, Any], ...]
    harness: tuple[dict[str, Any], ...]
    daemon: tuple[dict[str, Any], ...] | None
    ledger: dict[str, list[dict[str, Any]]] | None
    venue_final: dict[str, Any]
    config: dict[str, Any] = field(factory=dict)

    def harness_of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.harness if event.get("kind") == kind]

    def daemon_of(self, kind: str) -> list[dict[str, Any]]:
        return [line for line in self.daemon or () if line.get("kind") == kind]

    def truth_of(self, kind: str) -> list[dict[str, Any]]:
        return [entry for entry in self.truth if entry.get("kind") == kind]


def read_jsonl(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects of ``path`` (missing file: none) and how many lines were torn."""
    lines: list[dict[str, Any]] = []
    torn = 0
    try:
        text = path.read_text()
    except FileNotFoundError:
        return [], 0
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            torn += 1
            continue
        if isinstance(value, dict):
            lines.append(value)
        else:
            torn += 1
    return lines, torn


def read_ledger(db: Path) -> dict[str, list[dict[str, Any]]]:
    """The ledger's orders, fills, positions, reservations and audit as dicts.

    Read-only, one consistent view. Raises :class:`~actors.errors.LedgerError`.
    """
    with Ledger.open_read_only(db) as ledger, ledger.consistent_view():
        orders = [
            {
                "client_order_id": r.client_order_id,
                "opportunity_id": r.opportunity_id,
                "ticker": r.order.intent.ticker,
                "side": r.order.intent.side.value,
                "action": r.order.intent.action.value,
                "price": r.order.intent.price,
                "count": r.order.intent.count,
                "state": r.order.state.value,
                "filled_count": r.order.filled_count,
                "venue_order_id": r.order.venue_order_id,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
            }
            for r in ledger.orders()
        ]
        fills = [
            {
                "fill_id": r.fill.fill_id,
                "client_order_id": r.fill.client_order_id,
                "ticker": r.fill.ticker,
                "side": r.fill.side.value,
                "action": r.fill.action.value,
                "price": r.fill.price,
                "count": r.fill.count,
                "fee_cents": r.fill.fee_cents,
                "recorded_at": r.recorded_at,
            }
            for r in ledger.fills()
        ]
        positions = [
            {
                "ticker": p.ticker,
                "yes_count": p.yes_count,
                "no_count": p.no_count,
                "cash_cents": p.cash_cents,
                "payout_cents": p.payout_cents,
            }
            for p in ledger.positions()
        ]
        reservations = [
            {
                "reservation_id": r.reservation.reservation_id,
                "ticker": r.reservation.ticker,
                "amount_cents": r.reservation.amount_cents,
                "state": r.reservation.state.value,
                "updated_at": r.updated_at,
            }
            for r in ledger.reservations()
        ]
        audit = [
            {"id": a.id, "kind": a.kind, "detail": a.detail, "source": a.source, "at": a.at}
            for a in ledger.audit()
        ]
    return {
        "orders": orders,
        "fills": fills,
        "positions": positions,
        "reservations": reservations,
        "audit": audit,
    }


def fetch_truth(venue_url: str, *, timeout_s: float = 10.0) -> list[dict[str, Any]]:
    """The trader's whole truth log, paged with ``after``. Raises ``httpx.HTTPError``."""
    entries: list[dict[str, Any]] = []
    after = 0
    with httpx.Client(base_url=venue_url, timeout=timeout_s, trust_env=False) as client:
        while True:
            answer = client.get(
                "/sim/truth", params={"after": after, "account": "trader", "limit": 1000}
            )
            answer.raise_for_status()
            page = answer.json()
            entries.extend(page["entries"])
            if not page["entries"]:
                return entries
            after = int(page["next_after"])


def fetch_venue_final(venue_url: str, *, timeout_s: float = 10.0) -> dict[str, Any]:
    """The trader's positions, balance and resting orders now. Raises ``httpx.HTTPError``."""
    with httpx.Client(base_url=venue_url, timeout=timeout_s, trust_env=False) as client:

        def get(path: str, **params: str) -> Any:
            answer = client.get(f"/trade-api/v2{path}", params=params)
            answer.raise_for_status()
            return answer.json()

        positions = get("/portfolio/positions")["market_positions"]
        balance = get("/portfolio/balance")
        resting = get("/portfolio/orders", status="resting")["orders"]
    return {
        "positions": {p["ticker"]: p["position"] for p in positions},
        "balance": balance["balance"],
        "reserved": balance["reserved"],
        "resting": resting,
    }
