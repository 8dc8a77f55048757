"""``warden report``: what the ledger holds -- orders, fills, positions, P&L, daily stats.

Read-only and safe while the daemon runs: the ledger is opened with
:meth:`~actors.persistence.Ledger.open_read_only` (SQLite WAL readers never
block the writer) and everything is read in one read transaction, so the
report is one consistent committed state.

P&L: ``cash flow`` is what the fills moved (buys spend price x count + fee,
sells bring price x count - fee). Contracts are valued at settlement: a
position's P&L if YES wins is cash + YES contracts x payout, likewise for NO;
``worst case`` is the lower of the two, summed over markets.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import attrs

from actors.domain import Position, Side
from actors.errors import LedgerError
from actors.persistence import DailyStats, FillRecord, Ledger, OrderRecord

EXIT_OK = 0
EXIT_FAILURE = 1


def run_report(db_path: Path, *, as_json: bool, out: TextIO, err: TextIO | None = None) -> int:
    """Print the report of the ledger at ``db_path`` to ``out``; return the exit code.

    ``as_json`` prints one JSON object instead of tables. A missing, unreadable,
    foreign or wrong-version ledger prints one line to ``err`` (stderr by
    default) and returns 1; nothing is ever written to the ledger.
    """
    try:
        with Ledger.open_read_only(db_path) as ledger, ledger.consistent_view():
            report = _collect(ledger)
    except LedgerError as error:
        print(f"warden report: {error}", file=err if err is not None else sys.stderr)
        return EXIT_FAILURE
    if as_json:
        json.dump(report, out, indent=2, sort_keys=True)
        out.write("\n")
    else:
        _print_tables(report, out)
    return EXIT_OK


def _iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, tz=UTC).isoformat(timespec="seconds")


def _order(record: OrderRecord) -> dict[str, Any]:
    order, intent = record.order, record.order.intent
    return {
        "client_order_id": intent.client_order_id,
        "opportunity_id": record.opportunity_id,
        "ticker": intent.ticker,
        "side": intent.side.value,
        "action": intent.action.value,
        "price": intent.price,
        "count": intent.count,
        "state": order.state.value,
        "filled_count": order.filled_count,
        "venue_order_id": order.venue_order_id,
        "created_at": _iso(record.created_at),
        "updated_at": _iso(record.updated_at),
    }


def _fill(record: FillRecord) -> dict[str, Any]:
    fill = record.fill
    return {
        "fill_id": fill.fill_id,
        "client_order_id": fill.client_order_id,
        "ticker": fill.ticker,
        "side": fill.side.value,
        "action": fill.action.value,
        "price": fill.price,
        "count": fill.count,
        "fee_cents": fill.fee_cents,
        "recorded_at": _iso(record.recorded_at),
    }


def _position(position: Position) -> dict[str, Any]:
    return {
        "ticker": position.ticker,
        "yes_count": position.yes_count,
        "no_count": position.no_count,
        "cash_cents": position.cash_cents,
        "matched_pairs": position.matched_pairs,
        "pnl_if_yes_cents": position.pnl_at_settlement(Side.YES),
        "pnl_if_no_cents": position.pnl_at_settlement(Side.NO),
        "worst_case_pnl_cents": position.worst_case_pnl_cents,
    }


def _day(stats: DailyStats) -> dict[str, Any]:
    return attrs.asdict(stats)


def _collect(ledger: Ledger) -> dict[str, Any]:
    fills = ledger.fills()
    positions = ledger.positions()
    return {
        "ledger": str(ledger.path),
        "schema_version": ledger.schema_version,
        "orders": [_order(record) for record in ledger.orders()],
        "fills": [_fill(record) for record in fills],
        "positions": [_position(position) for position in positions],
        "pnl": {
            "cash_flow_cents": sum(position.cash_cents for position in positions),
            "fees_cents": sum(record.fill.fee_cents for record in fills),
            "worst_case_pnl_cents": sum(p.worst_case_pnl_cents for p in positions),
            "best_case_pnl_cents": sum(
                max(p.pnl_at_settlement(Side.YES), p.pnl_at_settlement(Side.NO)) for p in positions
            ),
        },
        "daily_stats": [_day(stats) for stats in ledger.daily_stats()],
    }


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{rest:02d}"


def _table(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...], out: TextIO) -> None:
    out.write(f"\n{title} ({len(rows)})\n")
    if not rows:
        out.write("  (none)\n")
        return
    cells = [[("-" if row[c] is None else str(row[c])) for c in columns] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    for line in [list(columns), *cells]:
        out.write(
            ("  " + "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True))).rstrip()
        )
        out.write("\n")


def _print_tables(report: dict[str, Any], out: TextIO) -> None:
    out.write(f"ledger {report['ledger']} (schema v{report['schema_version']})\n")
    _table(
        "ORDERS",
        report["orders"],
        (
            "client_order_id",
            "ticker",
            "side",
            "action",
            "price",
            "count",
            "state",
            "filled_count",
            "venue_order_id",
            "updated_at",
        ),
        out,
    )
    _table(
        "FILLS",
        report["fills"],
        ("fill_id", "client_order_id", "ticker", "side", "action", "price", "count", "fee_cents"),
        out,
    )
    _table(
        "POSITIONS",
        report["positions"],
        (
            "ticker",
            "yes_count",
            "no_count",
            "cash_cents",
            "pnl_if_yes_cents",
            "pnl_if_no_cents",
            "worst_case_pnl_cents",
        ),
        out,
    )
    pnl = report["pnl"]
    out.write("\nP&L\n")
    out.write(f"  cash flow (incl. fees)     {_dollars(pnl['cash_flow_cents'])}\n")
    out.write(f"  fees                       {_dollars(pnl['fees_cents'])}\n")
    out.write(f"  at settlement, worst case  {_dollars(pnl['worst_case_pnl_cents'])}\n")
    out.write(f"  at settlement, best case   {_dollars(pnl['best_case_pnl_cents'])}\n")
    _table(
        "DAILY STATS (UTC)",
        report["daily_stats"],
        (
            "day",
            "records",
            "orders_recorded",
            "orders_expired",
            "fills",
            "contracts",
            "fees_cents",
            "cash_flow_cents",
        ),
        out,
    )
