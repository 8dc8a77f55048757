"""Invariant 11, money limits across restarts: the day's realised loss, from venue truth.

:func:`daily_loss_within_limit` replays the trader's fills from the venue's
truth log in venue order through risk's own :class:`~actors.risk.Holding`
(pair profit realised when a pair forms, a sale realises proceeds - fee -
average cost), summing what each fill realises per UTC day of the venue's
timestamp (real time: a clock fault in the daemon does not move it). A day's
realised loss is ``max(0, -realised so far that day)``, checked after every
fill. Risk admits a reservation only while ``loss today + its worst case <=
max_daily_loss_cents``, so the loss may pass the limit by at most one
reservation's worst case: the bound is ``max_daily_loss_cents`` + the largest
reservation amount the ledger or the daemon history shows. Restarts of risk
or of the whole daemon change nothing here: venue truth is one account's
whole life, so a risk that forgot the day's losses shows up as a day past
the bound.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from actors.domain import Action, Fill, Side
from actors.history import ReservationLine
from actors.risk import Holding
from warden.chaos._history import Evidence, history_gap
from warden.chaos._verdicts import CheckResult, result, unknown

NAME = "daily_loss_within_limit"
INVARIANT = 11


def _int(record: Mapping[str, object], key: str) -> int:
    """``int(record[key])`` of a number or numeric string. Raises ``KeyError`` /
    ``ValueError``."""
    value = record[key]
    if not isinstance(value, str | int | float):
        raise ValueError(f"{key} must be a number, got {value!r}")  # noqa: TRY004 - the checker's "cannot replay" ValueError
    return int(value)


def _str(record: Mapping[str, object], key: str) -> str:
    """``record[key]`` if it is a string. Raises ``KeyError`` / ``ValueError``."""
    value = record[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, got {value!r}")  # noqa: TRY004 - as _int
    return value


def venue_price(record: Mapping[str, object]) -> int:
    """The price the trader paid for its side of a venue order or fill. Raises
    ``KeyError`` / ``ValueError``."""
    return _int(record, "yes_price" if record["side"] == "yes" else "no_price")


def venue_fill(record: Mapping[str, object]) -> Fill:
    """A venue truth ``fill`` record as risk's :class:`Fill`. Raises ``KeyError`` /
    ``ValueError``."""
    return Fill(
        _str(record, "trade_id"),
        _str(record, "client_order_id") if record["client_order_id"] else _str(record, "order_id"),
        _str(record, "ticker"),
        Side(record["side"]),
        Action(record["action"]),
        venue_price(record),
        _int(record, "count"),
        fee_cents=_int(record, "fee"),
    )


def utc_day(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC).date().isoformat()


def _replayable(entry: Mapping[str, object]) -> tuple[Fill, str]:
    """A truth ``fill`` entry's fill and the UTC day of its venue timestamp. Raises
    ``KeyError`` / ``ValueError``."""
    record, ts = entry["record"], entry["ts"]
    if not isinstance(record, Mapping):
        raise ValueError(f"its record is not an object: {record!r}")  # noqa: TRY004 - as _int
    if isinstance(ts, bool) or not isinstance(ts, int | float | str):
        raise ValueError(f"its ts is not a time: {ts!r}")  # noqa: TRY004 - as _int
    return venue_fill(record), utc_day(float(ts))


def worst_reservation_cents(ev: Evidence) -> int | None:
    """The largest amount any reservation set aside (ledger and daemon history), or
    ``None`` when neither shows one."""
    ledger = ev.ledger.reservations if ev.ledger is not None else ()
    amounts = [r.amount_cents for r in ledger]
    amounts += [
        line.amount_cents
        for line in ev.daemon_of(ReservationLine)
        if line.phase == "reserve" and line.amount_cents is not None
    ]
    return max(amounts, default=None)


def daily_loss_within_limit(ev: Evidence) -> CheckResult:
    limit = ev.config_int("max_daily_loss_cents")
    if limit is None:
        return unknown(NAME, INVARIANT, "the config has no max_daily_loss_cents")
    gap = history_gap(ev, "reservation")
    if gap is not None:  # an unreadable reserve line may hold the largest amount
        return unknown(NAME, INVARIANT, gap)
    if not ev.truth:
        return unknown(NAME, INVARIANT, "no venue truth (nothing traded, or it was not read)")
    worst = worst_reservation_cents(ev)
    if worst is None:
        return unknown(
            NAME,
            INVARIANT,
            "no reservation amount (no ledger, no daemon history): the bound is unknown",
        )
    allowed = limit + worst
    holdings: dict[str, Holding] = {}
    realised: dict[str, int] = {}
    peak_loss: dict[str, int] = {}
    losing: dict[str, list[dict[str, object]]] = {}
    witnesses: list[dict[str, object]] = []
    fills = 0
    for entry in ev.truth_of("fill"):
        try:
            fill, day = _replayable(entry)
            before = holdings.get(fill.ticker) or Holding.empty(fill.ticker, fill.payout_cents)
            after = before.apply(fill)
        except (KeyError, ValueError) as error:
            return unknown(NAME, INVARIANT, f"cannot replay fill {entry['seq']}: {error}")
        fills += 1
        holdings[fill.ticker] = after
        delta = after.realised_cents - before.realised_cents
        realised[day] = realised.get(day, 0) + delta
        if delta < 0:
            losing.setdefault(day, []).append({"seq": entry["seq"], "realised_cents": delta})
        loss = max(0, -realised[day])
        crossed = loss > allowed >= peak_loss.get(day, 0)
        peak_loss[day] = max(peak_loss.get(day, 0), loss)
        if crossed:
            witnesses.append(
                {
                    "day": day,
                    "realised_loss_cents": loss,
                    "max_daily_loss_cents": limit,
                    "worst_reservation_cents": worst,
                    "fill": entry,
                    "losing_fills_that_day": len(losing[day]),
                    "last_losing_fills": losing[day][-5:],
                }
            )
    counts = {
        "fills": fills,
        "days": len(realised),
        "peak_loss_cents_by_day": peak_loss,
        "realised_cents_by_day": realised,
        "max_daily_loss_cents": limit,
        "worst_reservation_cents": worst,
        "allowed_loss_cents": allowed,
    }
    return result(NAME, INVARIANT, counts, witnesses, "a day's realised loss past the limit")
