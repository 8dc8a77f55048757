"""Invariant 11, money limits across restarts: the day's realised loss, from venue truth.

:func:`daily_loss_within_limit` replays the trader's fills from the venue's
truth log in venue order through risk's own :class:`~actors.risk.Holding`
(pair profit realised when a pair forms, a sale realises proceeds - fee -
average cost), summing what each fill realises per UTC day of the venue's
timestamp (real time: a clock fault in the daemon does not move it). A day's
realised loss is ``max(0, -realised so far that day)``, checked after every
fill. Risk admits a reservation only while ``loss today + its worst case <=
max_daily_loss``, so the loss may pass the limit by at most one
reservation's worst case: the bound is ``max_daily_loss`` + the largest
reservation amount the ledger or the daemon history shows. Every amount is an
exact ``Decimal`` in dollars (the venue's ``fee_cost``, ``*_price_dollars`` and
``count_fp`` strings; the limit a decimal-dollar config string); the counts
carry them as ``Decimal`` (report.json writes them as strings). Restarts of risk
or of the whole daemon change nothing here: venue truth is one account's
whole life, so a risk that forgot the day's losses shows up as a day past
the bound.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, localcontext

from actors import money
from actors.domain import Action, Fill, Side
from actors.history import ReservationLine
from actors.risk import Holding
from warden.chaos._history import Evidence, history_gap, wire_decimal, wire_price
from warden.chaos._verdicts import CheckResult, result, unknown

NAME = "daily_loss_within_limit"
ZERO = Decimal(0)
INVARIANT = 11


def _str(record: Mapping[str, object], key: str) -> str:
    """``record[key]`` if it is a string. Raises ``KeyError`` / ``ValueError``."""
    value = record[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, got {value!r}")  # noqa: TRY004 - the checker's "cannot replay" ValueError
    return value


def venue_fill(record: Mapping[str, object]) -> Fill:
    """A venue truth ``fill`` record as risk's :class:`Fill`, exact: ``count_fp``,
    the side's ``*_price_dollars`` and ``fee_cost``. Raises ``KeyError`` /
    ``ValueError`` (an invalid field is an ``InvalidFieldError``, a ``ValueError``)."""
    return Fill(
        _str(record, "trade_id"),
        _str(record, "client_order_id") if record["client_order_id"] else _str(record, "order_id"),
        _str(record, "ticker"),
        Side(record["side"]),
        Action(record["action"]),
        wire_price(record),
        wire_decimal(record, "count_fp"),
        fee=wire_decimal(record, "fee_cost"),
    )


def utc_day(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC).date().isoformat()


def _replayable(entry: Mapping[str, object]) -> tuple[Fill, str]:
    """A truth ``fill`` entry's fill and the UTC day of its venue timestamp. Raises
    ``KeyError`` / ``ValueError``."""
    record, ts = entry["record"], entry["ts"]
    if not isinstance(record, Mapping):
        raise ValueError(f"its record is not an object: {record!r}")  # noqa: TRY004 - as _str
    if isinstance(ts, bool) or not isinstance(ts, int | float | str):
        raise ValueError(f"its ts is not a time: {ts!r}")  # noqa: TRY004 - as _str
    return venue_fill(record), utc_day(float(ts))


def worst_reservation(ev: Evidence) -> Decimal | None:
    """The largest amount in dollars any reservation set aside (ledger and daemon
    history), or ``None`` when neither shows one."""
    ledger = ev.ledger.reservations if ev.ledger is not None else ()
    amounts = [r.amount for r in ledger]
    amounts += [
        line.amount
        for line in ev.daemon_of(ReservationLine)
        if line.phase == "reserve" and line.amount is not None
    ]
    return max(amounts, default=None)


def daily_loss_within_limit(ev: Evidence) -> CheckResult:
    limit = ev.config_money("max_daily_loss")
    if limit is None:
        return unknown(NAME, INVARIANT, "the config has no max_daily_loss (decimal dollars)")
    gap = history_gap(ev, "reservation")
    if gap is not None:  # an unreadable reserve line may hold the largest amount
        return unknown(NAME, INVARIANT, gap)
    if not ev.truth:
        return unknown(NAME, INVARIANT, "no venue truth (nothing traded, or it was not read)")
    worst = worst_reservation(ev)
    if worst is None:
        return unknown(
            NAME,
            INVARIANT,
            "no reservation amount (no ledger, no daemon history): the bound is unknown",
        )
    with localcontext(money.EXACT):  # an inexact sum raises, never rounds
        return _replay(ev, limit, worst)


def _replay(ev: Evidence, limit: Decimal, worst: Decimal) -> CheckResult:
    allowed = limit + worst
    holdings: dict[str, Holding] = {}
    realised: dict[str, Decimal] = {}
    peak_loss: dict[str, Decimal] = {}
    losing: dict[str, list[dict[str, object]]] = {}
    witnesses: list[dict[str, object]] = []
    fills = 0
    for entry in ev.truth_of("fill"):
        try:
            fill, day = _replayable(entry)
            before = holdings.get(fill.ticker) or Holding.empty(fill.ticker, fill.payout)
            after = before.apply(fill)
        except (KeyError, ValueError) as error:
            return unknown(NAME, INVARIANT, f"cannot replay fill {entry['seq']}: {error}")
        fills += 1
        holdings[fill.ticker] = after
        delta = after.realised - before.realised
        realised[day] = realised.get(day, ZERO) + delta
        if delta < 0:
            losing.setdefault(day, []).append({"seq": entry["seq"], "realised": delta})
        loss = max(ZERO, -realised[day])
        crossed = loss > allowed >= peak_loss.get(day, ZERO)
        peak_loss[day] = max(peak_loss.get(day, ZERO), loss)
        if crossed:
            witnesses.append(
                {
                    "day": day,
                    "realised_loss": loss,
                    "max_daily_loss": limit,
                    "worst_reservation": worst,
                    "fill": entry,
                    "losing_fills_that_day": len(losing[day]),
                    "last_losing_fills": losing[day][-5:],
                }
            )
    counts = {
        "fills": fills,
        "days": len(realised),
        "peak_loss_by_day": peak_loss,
        "realised_by_day": realised,
        "max_daily_loss": limit,
        "worst_reservation": worst,
        "allowed_loss": allowed,
    }
    return result(NAME, INVARIANT, counts, witnesses, "a day's realised loss past the limit")
