"""The evidence a run leaves: the histories of both sides and the final states.

- the venue's truth log (``GET /sim/truth?account=trader``): every accepted,
  rejected and cancelled order and every fill, in venue order;
- the daemon's ``history.jsonl`` (``warden run --chaos``): order
  invoke/ok/fail/unknown/resolved, reservations, restarts, reconciliation,
  halts, read ONLY through :func:`actors.history.read_line` into typed records
  (:data:`~actors.history.HistoryLine`); ``None`` when the daemon writes none.
  A line that is not JSON (torn by a SIGKILL mid-write) is counted; one that is
  JSON but not exactly a record (unknown kind, a field missing, renamed or of
  the wrong type) is kept aside as :class:`UnreadableLine`, reported, and makes
  every checker that reads lines of its kind ``unknown`` (:func:`history_gap`);
- the harness's own ``harness.jsonl``: faults injected and healed, each daemon
  process's lifetime (spawned, reaped; second daemons with their exit code and
  stderr), halts, and periodic polls of ``/actors`` and ``/readyz`` (with the
  reasons and failing checks of a 503);
- the ledger after the daemon stopped (read-only), as typed rows
  (:class:`LedgerRows`), and the venue's positions, balance and resting orders
  after quiescence.

Venue truth, the harness journal and the venue's final state are plain
JSON-able dicts. Checkers are tested on synthetic histories.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import httpx
from attrs import field, frozen

from actors.history import KINDS, HistoryLine, MalformedLine, read_line
from actors.persistence import Ledger

_Line = TypeVar("_Line", bound=HistoryLine)
#: characters of an unreadable line kept for the report
UNREADABLE_TEXT = 300


@frozen
class UnreadableLine:
    """A daemon history line that is JSON but not a record: its 1-based line number,
    its ``kind`` (``None`` when it has none that is a string), why, and its start."""

    number: int
    kind: str | None
    why: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.number, "kind": self.kind, "why": self.why, "text": self.text}


@frozen
class DaemonHistory:
    """What :func:`read_history` found: the records in file order, the torn lines'
    count and the unreadable lines."""

    lines: tuple[HistoryLine, ...]
    torn: int = 0
    unreadable: tuple[UnreadableLine, ...] = ()


@frozen(kw_only=True)
class LedgerOrder:
    """An order intent in the ledger (times: the daemon's clock)."""

    client_order_id: str
    opportunity_id: str | None
    ticker: str
    side: str
    action: str
    price: int
    count: int
    state: str
    filled_count: int
    venue_order_id: str | None
    created_at: float
    updated_at: float


@frozen(kw_only=True)
class LedgerFill:
    fill_id: str
    client_order_id: str
    ticker: str
    side: str
    action: str
    price: int
    count: int
    fee_cents: int
    recorded_at: float


@frozen(kw_only=True)
class LedgerPosition:
    ticker: str
    yes_count: int
    no_count: int
    cash_cents: int
    payout_cents: int


@frozen(kw_only=True)
class LedgerReservation:
    reservation_id: str
    ticker: str
    amount_cents: int
    state: str
    updated_at: float


@frozen(kw_only=True)
class LedgerAudit:
    id: int
    kind: str
    detail: str
    source: str
    at: float


@frozen(kw_only=True)
class LedgerRows:
    """The ledger after the daemon stopped, as the checkers read it (witnesses carry
    rows as ``attrs.asdict``)."""

    orders: tuple[LedgerOrder, ...] = ()
    fills: tuple[LedgerFill, ...] = ()
    positions: tuple[LedgerPosition, ...] = ()
    reservations: tuple[LedgerReservation, ...] = ()
    audit: tuple[LedgerAudit, ...] = ()


@frozen
class Evidence:
    """What the checkers judge. ``daemon`` is ``None`` without a daemon history;
    ``ledger`` is ``None`` if the ledger could not be read."""

    truth: tuple[dict[str, Any], ...]
    harness: tuple[dict[str, Any], ...]
    daemon: tuple[HistoryLine, ...] | None
    ledger: LedgerRows | None
    venue_final: dict[str, Any]
    config: dict[str, Any] = field(factory=dict)
    daemon_unreadable: tuple[UnreadableLine, ...] = ()

    def harness_of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.harness if event.get("kind") == kind]

    def daemon_of(self, record: type[_Line]) -> list[_Line]:
        """The daemon history's lines of one record type, in file order."""
        return [line for line in self.daemon or () if isinstance(line, record)]

    def config_int(self, key: str) -> int | None:
        """The run's config value ``key`` if it is an int, else ``None`` (missing or
        mistyped: the checker that needs it answers ``unknown``, never a default)."""
        value = self.config.get(key)
        return value if type(value) is int else None

    def config_float(self, key: str) -> float | None:
        """The run's config value ``key`` as a number, else ``None`` (as :meth:`config_int`)."""
        value = self.config.get(key)
        return float(value) if isinstance(value, int | float) and type(value) is not bool else None

    def truth_of(self, kind: str) -> list[dict[str, Any]]:
        return [entry for entry in self.truth if entry.get("kind") == kind]


def history_gap(ev: Evidence, *kinds: str) -> str | None:
    """Why the daemon history cannot be trusted for lines of ``kinds``: some line of
    one of them (or of no known kind, which could be any) could not be read; else
    ``None``. A checker that reads those lines answers ``unknown`` with it."""
    bad = [line for line in ev.daemon_unreadable if line.kind in kinds or line.kind not in KINDS]
    if not bad:
        return None
    first = bad[0]
    return (
        f"{len(bad)} unreadable daemon history line(s) of kind(s) "
        f"{sorted({str(line.kind) for line in bad})}, e.g. line {first.number}: {first.why}"
    )


def read_history(path: Path) -> DaemonHistory | None:
    """The daemon history at ``path`` through :func:`actors.history.read_line`
    (``None`` when there is no file)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    lines: list[HistoryLine] = []
    unreadable: list[UnreadableLine] = []
    torn = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            torn += 1
            continue
        try:
            lines.append(read_line(value))
        except MalformedLine as error:
            kind = value.get("kind") if isinstance(value, dict) else None
            unreadable.append(
                UnreadableLine(
                    number,
                    kind if isinstance(kind, str) else None,
                    error.why,
                    raw[:UNREADABLE_TEXT],
                )
            )
    return DaemonHistory(tuple(lines), torn, tuple(unreadable))


def read_ledger(db: Path) -> LedgerRows:
    """The ledger's orders, fills, positions, reservations and audit.

    Read-only, one consistent view. Raises :class:`~actors.errors.LedgerError`.
    """
    with Ledger.open_read_only(db) as ledger, ledger.consistent_view():
        orders = tuple(
            LedgerOrder(
                client_order_id=r.client_order_id,
                opportunity_id=r.opportunity_id,
                ticker=r.order.intent.ticker,
                side=r.order.intent.side.value,
                action=r.order.intent.action.value,
                price=r.order.intent.price,
                count=r.order.intent.count,
                state=r.order.state.value,
                filled_count=r.order.filled_count,
                venue_order_id=r.order.venue_order_id,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
            for r in ledger.orders()
        )
        fills = tuple(
            LedgerFill(
                fill_id=r.fill.fill_id,
                client_order_id=r.fill.client_order_id,
                ticker=r.fill.ticker,
                side=r.fill.side.value,
                action=r.fill.action.value,
                price=r.fill.price,
                count=r.fill.count,
                fee_cents=r.fill.fee_cents,
                recorded_at=r.recorded_at,
            )
            for r in ledger.fills()
        )
        positions = tuple(
            LedgerPosition(
                ticker=p.ticker,
                yes_count=p.yes_count,
                no_count=p.no_count,
                cash_cents=p.cash_cents,
                payout_cents=p.payout_cents,
            )
            for p in ledger.positions()
        )
        reservations = tuple(
            LedgerReservation(
                reservation_id=r.reservation.reservation_id,
                ticker=r.reservation.ticker,
                amount_cents=r.reservation.amount_cents,
                state=r.reservation.state.value,
                updated_at=r.updated_at,
            )
            for r in ledger.reservations()
        )
        audit = tuple(
            LedgerAudit(id=a.id, kind=a.kind, detail=a.detail, source=a.source, at=a.at)
            for a in ledger.audit()
        )
    return LedgerRows(
        orders=orders, fills=fills, positions=positions, reservations=reservations, audit=audit
    )


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
