"""``warden report``: what the ledger holds -- orders, fills, positions, P&L, daily stats.

Read-only and safe while the daemon runs: the ledger is opened with
:meth:`~actors.persistence.Ledger.open_read_only` (SQLite WAL readers never
block the writer) and everything is read in one read transaction, so the
report is one consistent committed state.

Money is exact ``Decimal`` dollars and counts ``Decimal`` contracts (sums
under :data:`actors.money.EXACT`: never rounded); the text prints money as
dollars (``$1.25``, ``-$0.0175``), ``--json`` each value as its exact string.

P&L: ``cash flow`` is what the fills moved (buys spend price x count + fee,
sells bring price x count - fee). Contracts are valued at settlement: a
position's P&L if YES wins is cash + YES contracts x payout, likewise for NO;
``worst case`` is the lower of the two, summed over markets.

Selection (:class:`ReportFilter`, the ``--since``/``--market``/``--limit``
flags) narrows what is listed: ``since`` keeps orders updated, fills recorded
and UTC days at or after that moment; ``market`` keeps one ticker's orders,
fills and position; ``limit`` keeps the newest N orders, fills and days.
Positions and P&L are always holdings now, from every fill to date (of the
selected market, if one is), never a sum over a time window.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, Inexact, InvalidOperation, localcontext
from pathlib import Path
from typing import TextIO, TypeVar

import attrs
import cattrs

from actors import money
from actors.domain import Position, Side
from actors.errors import LedgerError
from actors.persistence import DailyStats, FillRecord, Ledger, OrderRecord, utc_day
from supervision import validators
from supervision.decimal_json import register_decimal_hooks
from warden.json_types import JsonObject
from warden.status import dollars

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILURE = 1


def _flag_error(_instance: object, field: str, value: object, rule: str) -> ValueError:
    """A filter field's error names the command-line flag it comes from."""
    return ValueError(f"--{field} {rule}, got {value!r}")


_count = validators.integer(1)
_limit = validators.rule(
    lambda v: v is None or _count.check(v), "must be a whole number >= 1", error=_flag_error
)


@attrs.frozen
class ReportFilter:
    """What the report lists: rows at/after ``since`` (UTC epoch seconds), of ``market``,
    at most the newest ``limit`` of each kind. All None: everything."""

    since: float | None = None
    market: str | None = None
    limit: int | None = attrs.field(default=None, validator=_limit)

    @classmethod
    def from_flags(
        cls, *, since: str | None = None, market: str | None = None, limit: str | None = None
    ) -> ReportFilter:
        """Parse the command-line text; raises :class:`ValueError` naming the flag."""
        if market is not None and not market.strip():
            raise ValueError("--market must be a ticker, got an empty string")
        count: int | None = None
        if limit is not None:
            try:
                count = int(limit)
            except ValueError:
                raise _flag_error(None, "limit", limit, _limit.wording) from None
        return cls(
            since=parse_since(since) if since is not None else None,
            market=market.strip() if market is not None else None,
            limit=count,
        )

    def describe(self) -> Selected:
        return Selected(
            since=_iso(self.since) if self.since is not None else None,
            market=self.market,
            limit=self.limit,
        )


def parse_since(text: str) -> float:
    """An ISO date (``2027-01-15``, midnight UTC) or date-time (``2027-01-15T08:00``,
    UTC unless it carries an offset or ``Z``) as epoch seconds; else :class:`ValueError`."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            "--since must be an ISO date or date-time, UTC unless an offset is given "
            f"(2027-01-15, 2027-01-15T08:00, 2027-01-15T08:00+02:00), got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def run_report(
    db_path: Path,
    *,
    as_json: bool,
    out: TextIO,
    err: TextIO | None = None,
    selection: ReportFilter | None = None,
) -> int:
    """Print the report of the ledger at ``db_path`` to ``out``; return the exit code.

    ``as_json`` prints one JSON object instead of tables; ``selection`` narrows
    what is listed (everything by default). A missing, unreadable, foreign or
    wrong-version ledger prints one line to ``err`` (stderr by default) and
    returns 1; nothing is ever written to the ledger.
    """
    try:
        with Ledger.open_read_only(db_path) as ledger, ledger.consistent_view():
            report = _collect(ledger, selection or ReportFilter())
    except LedgerError as error:
        print(f"warden report: {error}", file=err if err is not None else sys.stderr)
        return EXIT_FAILURE
    if as_json:
        json.dump(report_to_json(report), out, indent=2, sort_keys=True)
        out.write("\n")
    else:
        _print_tables(report, out)
    return EXIT_OK


def _iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, tz=UTC).isoformat(timespec="seconds")


@attrs.frozen
class Selected:
    """The ``filters`` section: what the report was narrowed to (None: not narrowed)."""

    since: str | None
    market: str | None
    limit: int | None


@attrs.frozen
class Matched:
    """How many rows matched the filters before ``limit`` kept the newest."""

    orders: int
    fills: int
    days: int


@attrs.frozen
class OrderRow:
    client_order_id: str
    opportunity_id: str
    ticker: str
    side: str
    action: str
    price: Decimal
    count: Decimal
    state: str
    filled_count: Decimal
    venue_order_id: str | None
    created_at: str
    updated_at: str


@attrs.frozen
class FillRow:
    fill_id: str
    client_order_id: str
    ticker: str
    side: str
    action: str
    price: Decimal
    count: Decimal
    fee: Decimal
    recorded_at: str


@attrs.frozen
class PositionRow:
    ticker: str
    yes_count: Decimal
    no_count: Decimal
    cash: Decimal
    matched_pairs: Decimal
    pnl_if_yes: Decimal
    pnl_if_no: Decimal
    worst_case_pnl: Decimal


@attrs.frozen
class Pnl:
    cash_flow: Decimal
    fees: Decimal
    worst_case_pnl: Decimal
    best_case_pnl: Decimal


@attrs.frozen
class Report:
    """Everything ``warden report`` prints; ``--json`` prints it as one object whose
    keys are these fields (each row's keys its class's fields)."""

    ledger: str
    schema_version: int
    filters: Selected
    matched: Matched
    orders: list[OrderRow]
    fills: list[FillRow]
    positions: list[PositionRow]
    pnl: Pnl
    daily_stats: list[DailyStats]


_converter = cattrs.Converter()
register_decimal_hooks(_converter)  # exact: "0.4200", never a JSON number


def report_to_json(report: Report) -> JsonObject:
    """``report`` as the JSON object ``warden report --json`` prints."""
    data: JsonObject = _converter.unstructure(report)
    return data


def _order(record: OrderRecord) -> OrderRow:
    order, intent = record.order, record.order.intent
    return OrderRow(
        client_order_id=intent.client_order_id,
        opportunity_id=record.opportunity_id,
        ticker=intent.ticker,
        side=intent.side.value,
        action=intent.action.value,
        price=intent.price,
        count=intent.count,
        state=order.state.value,
        filled_count=order.filled_count,
        venue_order_id=order.venue_order_id,
        created_at=_iso(record.created_at),
        updated_at=_iso(record.updated_at),
    )


def _fill(record: FillRecord) -> FillRow:
    fill = record.fill
    return FillRow(
        fill_id=fill.fill_id,
        client_order_id=fill.client_order_id,
        ticker=fill.ticker,
        side=fill.side.value,
        action=fill.action.value,
        price=fill.price,
        count=fill.count,
        fee=fill.fee,
        recorded_at=_iso(record.recorded_at),
    )


_DOLLAR_PLACES = Decimal("0.0001")  # Kalshi's finest money unit
_CONTRACT_PLACES = Decimal("0.01")  # Kalshi's lot


def _tidy(amount: Decimal, places: Decimal = _DOLLAR_PLACES) -> Decimal:
    """``amount`` with a fixed number of decimals (dollars ``-1.920000`` -> ``-1.9200``,
    contracts ``0`` -> ``0.00``) when that is exact; unchanged when it needs more (a
    sub-penny tick times a fractional count): never rounded."""
    try:
        return amount.quantize(places, context=money.EXACT)
    except (Inexact, InvalidOperation):
        return amount


def _position(position: Position) -> PositionRow:
    return PositionRow(
        ticker=position.ticker,
        yes_count=_tidy(position.yes_count, _CONTRACT_PLACES),
        no_count=_tidy(position.no_count, _CONTRACT_PLACES),
        cash=_tidy(position.cash),
        matched_pairs=_tidy(position.matched_pairs, _CONTRACT_PLACES),
        pnl_if_yes=_tidy(position.pnl_at_settlement(Side.YES)),
        pnl_if_no=_tidy(position.pnl_at_settlement(Side.NO)),
        worst_case_pnl=_tidy(position.worst_case_pnl),
    )


def _newest(rows: list[T], limit: int | None) -> list[T]:
    return rows[-limit:] if limit is not None else rows


def _collect(ledger: Ledger, selection: ReportFilter) -> Report:
    market, since = selection.market, selection.since
    fills = [r for r in ledger.fills() if market is None or r.fill.ticker == market]
    positions = [p for p in ledger.positions() if market is None or p.ticker == market]
    orders = [r for r in ledger.orders() if market is None or r.order.intent.ticker == market]
    listed_orders = [r for r in orders if since is None or r.updated_at >= since]
    listed_fills = [r for r in fills if since is None or r.recorded_at >= since]
    first_day = utc_day(since) if since is not None else ""
    days = [stats for stats in ledger.daily_stats() if stats.day >= first_day]
    return Report(
        ledger=str(ledger.path),
        schema_version=ledger.schema_version,
        filters=selection.describe(),
        matched=Matched(orders=len(listed_orders), fills=len(listed_fills), days=len(days)),
        orders=[_order(record) for record in _newest(listed_orders, selection.limit)],
        fills=[_fill(record) for record in _newest(listed_fills, selection.limit)],
        positions=[_position(position) for position in positions],
        pnl=_pnl(positions, fills),
        daily_stats=_newest(days, selection.limit),
    )


def _pnl(positions: list[Position], fills: list[FillRecord]) -> Pnl:
    """Sums over ``positions`` and ``fills``, exact (a sum that would round raises)."""
    zero = Decimal(0)
    with localcontext(money.EXACT):
        best = (max(p.pnl_at_settlement(Side.YES), p.pnl_at_settlement(Side.NO)) for p in positions)
        return Pnl(
            cash_flow=_tidy(sum((position.cash for position in positions), zero)),
            fees=_tidy(sum((record.fill.fee for record in fills), zero)),
            worst_case_pnl=_tidy(sum((p.worst_case_pnl for p in positions), zero)),
            best_case_pnl=_tidy(sum(best, zero)),
        )


# columns of money (dollars): printed as $1.25 in the tables
_MONEY_COLUMNS = frozenset(
    {"fee", "cash", "pnl_if_yes", "pnl_if_no", "worst_case_pnl", "fees", "cash_flow"}
)


def _cell(column: str, value: object) -> str:
    if value is None:
        return "-"
    if column in _MONEY_COLUMNS and isinstance(value, Decimal):
        return dollars(value)
    return str(value)


def _table(
    title: str,
    rows: Sequence[OrderRow | FillRow | PositionRow | DailyStats],
    columns: tuple[str, ...],
    out: TextIO,
    matched: int | None = None,
) -> None:
    shown = len(rows)
    count = f"newest {shown} of {matched}" if matched is not None and matched > shown else shown
    out.write(f"\n{title} ({count})\n")
    if not rows:
        out.write("  (none)\n")
        return
    values = [[getattr(row, column) for column in columns] for row in rows]
    cells = [
        [_cell(column, value) for column, value in zip(columns, line, strict=True)]
        for line in values
    ]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    for line in [list(columns), *cells]:
        out.write(
            ("  " + "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True))).rstrip()
        )
        out.write("\n")


def _print_tables(report: Report, out: TextIO) -> None:
    out.write(f"ledger {report.ledger} (schema v{report.schema_version})\n")
    filters = attrs.asdict(report.filters)
    chosen = {name: value for name, value in filters.items() if value is not None}
    if chosen:
        out.write("selected: " + ", ".join(f"{name} {value}" for name, value in chosen.items()))
        out.write(" (positions and P&L: holdings now, from every fill to date)\n")
    matched = report.matched
    _table(
        "ORDERS",
        report.orders,
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
        matched.orders,
    )
    _table(
        "FILLS",
        report.fills,
        ("fill_id", "client_order_id", "ticker", "side", "action", "price", "count", "fee"),
        out,
        matched.fills,
    )
    _table(
        "POSITIONS",
        report.positions,
        (
            "ticker",
            "yes_count",
            "no_count",
            "cash",
            "pnl_if_yes",
            "pnl_if_no",
            "worst_case_pnl",
        ),
        out,
    )
    pnl = report.pnl
    out.write("\nP&L\n")
    out.write(f"  cash flow (incl. fees)     {dollars(pnl.cash_flow)}\n")
    out.write(f"  fees                       {dollars(pnl.fees)}\n")
    out.write(f"  at settlement, worst case  {dollars(pnl.worst_case_pnl)}\n")
    out.write(f"  at settlement, best case   {dollars(pnl.best_case_pnl)}\n")
    _table(
        "DAILY STATS (UTC, all markets)" if report.filters.market else "DAILY STATS (UTC)",
        report.daily_stats,
        (
            "day",
            "records",
            "orders_recorded",
            "orders_expired",
            "fills",
            "contracts",
            "fees",
            "cash_flow",
        ),
        out,
        matched.days,
    )
