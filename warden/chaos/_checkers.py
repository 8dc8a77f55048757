"""The invariants of DESIGN.md §6 as checkers over an :class:`Evidence`.

Each checker returns a :class:`CheckResult`: ``held``, ``violated`` (with the
minimal events that witness it: the offending venue entries, ledger rows or
history lines, never the whole log) or ``unknown`` (the evidence it needs is
missing, e.g. no daemon history, a config key, an unreadable history line of a
kind it reads; ``detail`` says which). A checker never defaults a missing piece
of evidence to a value that lets it pass. Checkers are pure functions of the
evidence, so they are tested on synthetic histories.

Money is exact: prices, fees, cash, exposure and limits are ``Decimal`` dollars,
counts ``Decimal`` contracts, read from the venue's fixed-point wire strings
(:func:`~warden.chaos._history.wire_decimal`) and the config's decimal-dollar
strings (:meth:`~warden.chaos._history.Evidence.config_money`), summed under
:data:`actors.money.EXACT` (an inexact step raises, never rounds) and compared
exactly. Counts and witnesses carry the ``Decimal`` values; report.json writes
them as strings.

Times: venue truth ``ts``, harness ``t`` and daemon history ``t`` are all the
real wall clock of this machine. Ledger ``created_at`` is the daemon's clock,
which a clock fault shifts, so time comparisons against it are skipped inside
clock-fault windows (and counted).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal, DecimalException, localcontext

import attrs
from attrs import frozen

from actors import money
from actors.domain import OrderRole
from actors.history import (
    AccountingLine,
    DaemonLine,
    HaltLine,
    HistoryLine,
    OrderLine,
    ReconciledLine,
    ReservationLine,
    ResumeLine,
    RuntimeLine,
    unstructure_line,
)
from actors.money import ONE
from warden.chaos._baskets import baskets_hedged_or_named
from warden.chaos._exposure import exposure_within_limits
from warden.chaos._history import (
    Entry,
    Evidence,
    Poll,
    VenueFinal,
    history_gap,
    wire_decimal,
    wire_price,
)
from warden.chaos._ledger import LedgerFill, LedgerPosition
from warden.chaos._money import daily_loss_within_limit
from warden.chaos._readiness import ready_after_restart, restart_episodes
from warden.chaos._verdicts import CheckResult, result, unknown
from warden.chaos._writers import one_writer_per_ledger, refused_pids

_OPEN_STATES = {"new", "accepted", "partially_filled"}
ZERO = Decimal(0)


def _orders_accepted(ev: Evidence) -> list[Entry]:
    return ev.truth_of("order_accepted")


# --- 1 exposure: warden.chaos._exposure -----------------------------------------------


# --- 2 at most once --------------------------------------------------------------------


def client_order_id_accepted_once(ev: Evidence) -> CheckResult:
    if not ev.truth:
        return unknown(
            "client_order_id_accepted_once", 2, "no venue truth (nothing traded, or not read)"
        )
    by_id: dict[str, list[Entry]] = defaultdict(list)
    for entry in _orders_accepted(ev):
        by_id[entry["record"]["client_order_id"]].append(entry)
    dups = [entries for entries in by_id.values() if len(entries) > 1]
    witnesses = [
        {"client_order_id": e[0]["record"]["client_order_id"], "accepted": e} for e in dups
    ]
    counts = {"orders_accepted": sum(len(v) for v in by_id.values()), "duplicated_ids": len(dups)}
    return result(
        "client_order_id_accepted_once", 2, counts, witnesses, "a client order id accepted twice"
    )


# --- 3 durable intent ------------------------------------------------------------------


def _clock_shifts(ev: Evidence) -> list[tuple[float, float, float | None]]:
    """``(from, to, offset_s)`` per clock fault, in real time (1 s margins); the
    offset is ``None`` when the journal does not say (older reports)."""
    shifts: list[tuple[float, float, float | None]] = []
    start: float | None = None
    offset: float | None = None
    for event in ev.harness:
        if not str(event.get("fault", "")).startswith("clock."):
            continue
        if event["kind"] == "inject":
            start, offset = event["t"], None
        elif event["kind"] == "injected" and start is not None:
            offset = (event.get("answer") or {}).get("offset_s")
        elif event["kind"] == "heal" and start is not None:
            shifts.append((start - 1.0, event["t"] + 1.0, offset))
            start = None
    if start is not None:
        shifts.append((start - 1.0, float("inf"), offset))
    return shifts


def _real_time(daemon_t: float, shifts: list[tuple[float, float, float | None]]) -> float | None:
    """The real time of a timestamp the daemon took with its (possibly shifted) wall
    clock: unshifted if it falls inside a clock fault once its offset is taken off.
    ``None`` if it may have been taken under a shift of unknown size."""
    for low, high, offset in shifts:
        if offset is None:
            if low <= daemon_t <= high:
                return None
        elif low <= daemon_t - offset <= high:
            return daemon_t - offset
    return daemon_t


def intent_before_order(ev: Evidence) -> CheckResult:
    if ev.ledger is None:
        return CheckResult("intent_before_order", 3, "unknown", detail="no ledger to read")
    intents = {order.client_order_id: order for order in ev.ledger.orders}
    shifts = _clock_shifts(ev)
    witnesses: list[dict[str, object]] = []
    checked = skipped = 0
    for entry in _orders_accepted(ev):
        intent = intents.get(entry["record"]["client_order_id"])
        if intent is None:
            witnesses.append({"venue": entry, "ledger_intent": None})
            continue
        created = _real_time(intent.created_at, shifts)
        if created is None:
            skipped += 1
            continue
        checked += 1
        if created > entry["ts"]:
            witnesses.append({"venue": entry, "ledger_intent": attrs.asdict(intent)})
    counts = {
        "orders_at_venue": len(_orders_accepted(ev)),
        "time_order_checked": checked,
        "time_order_skipped_clock_fault": skipped,
    }
    return result(
        "intent_before_order", 3, counts, witnesses, "a venue order with no earlier ledger intent"
    )


# --- 4, 5 ledger = venue ---------------------------------------------------------------


@frozen(kw_only=True)
class _VenueFill:
    """A fill in the venue's truth log, in the ledger's terms (its fields as sent)."""

    fill_id: str
    client_order_id: str
    ticker: str
    side: str
    action: str
    price: Decimal
    count: Decimal
    fee: Decimal
    seq: int


def _fill_key(fill: _VenueFill | LedgerFill) -> tuple[object, ...]:
    """What must agree, with the direction stated as a purchase: a sale of YES at p is
    a purchase of NO at 1 - p (Kalshi's V2 books a sale as the other side's bid; the
    ledger states each fill as its order's intent)."""
    side, action, price = fill.side, fill.action, fill.price
    if action == "sell":
        side, action, price = ("no" if side == "yes" else "yes"), "buy", ONE - price
    return (fill.client_order_id, fill.ticker, side, action, price, fill.count, fill.fee)


def ledger_fills_equal_venue(ev: Evidence) -> CheckResult:
    if ev.ledger is None:
        return CheckResult("ledger_fills_equal_venue", 4, "unknown", detail="no ledger to read")
    venue: dict[str, _VenueFill] = {}
    for entry in ev.truth_of("fill"):
        r = entry["record"]
        venue[r["trade_id"]] = _VenueFill(
            fill_id=r["trade_id"],
            client_order_id=r["client_order_id"],
            ticker=r["ticker"],
            side=r["side"],
            action=r["action"],
            price=wire_price(r),
            count=wire_decimal(r, "count_fp"),
            fee=wire_decimal(r, "fee_cost"),
            seq=entry["seq"],
        )
    ledger_ids = Counter(fill.fill_id for fill in ev.ledger.fills)
    ledger = {fill.fill_id: fill for fill in ev.ledger.fills}
    witnesses: list[dict[str, object]] = []
    witnesses += [
        {"missing_in_ledger": attrs.asdict(fill)} for i, fill in venue.items() if i not in ledger
    ]
    witnesses += [
        {"not_at_venue": attrs.asdict(fill)} for i, fill in ledger.items() if i not in venue
    ]
    witnesses += [
        {"duplicated_in_ledger": attrs.asdict(ledger[i]), "times": n}
        for i, n in ledger_ids.items()
        if n > 1
    ]
    witnesses += [
        {"venue": attrs.asdict(venue[i]), "ledger": attrs.asdict(ledger[i])}
        for i in venue.keys() & ledger.keys()
        if _fill_key(venue[i]) != _fill_key(ledger[i])
    ]
    counts = {"venue_fills": len(venue), "ledger_fills": len(ev.ledger.fills)}
    return result(
        "ledger_fills_equal_venue", 4, counts, witnesses, "fills lost, invented or altered"
    )


def positions_and_cash_equal(ev: Evidence) -> CheckResult:
    venue_final = ev.venue()
    if ev.ledger is None or venue_final is None:
        return CheckResult(
            "positions_and_cash_equal", 5, "unknown", detail="no ledger or venue final state"
        )
    trader_cash = ev.config_money("trader_cash")
    if trader_cash is None:
        return unknown(
            "positions_and_cash_equal", 5, "the config lacks trader_cash (decimal dollars)"
        )
    with localcontext(money.EXACT):  # an inexact sum raises, never rounds
        return _compare_positions(ev, venue_final, trader_cash)


def _compare_positions(ev: Evidence, venue_final: VenueFinal, trader_cash: Decimal) -> CheckResult:
    assert ev.ledger is not None  # positions_and_cash_equal checked it
    ledger: dict[str, LedgerPosition] = {p.ticker: p for p in ev.ledger.positions}
    venue = venue_final.positions
    witnesses: list[dict[str, object]] = []
    for ticker in sorted(set(ledger) | set(venue)):
        mine = ledger.get(ticker)  # no row: the ledger holds nothing there
        net = mine.yes_count - mine.no_count if mine is not None else ZERO
        if net != venue.get(ticker, ZERO):
            witnesses.append(
                {
                    "ticker": ticker,
                    "ledger": attrs.asdict(mine) if mine is not None else None,
                    "venue_position": venue.get(ticker, ZERO),
                }
            )
    pairs_paid = sum((min(p.yes_count, p.no_count) * p.payout for p in ledger.values()), ZERO)
    ledger_cash = sum((p.cash for p in ledger.values()), ZERO) + pairs_paid
    venue_cash = venue_final.balance + venue_final.reserved - trader_cash
    if ledger_cash != venue_cash:
        witnesses.append({"cash_change_ledger": ledger_cash, "cash_change_venue": venue_cash})
    counts = {
        "markets": len(set(ledger) | set(venue)),
        "cash_change_ledger": ledger_cash,
        "cash_change_venue": venue_cash,
    }
    return result("positions_and_cash_equal", 5, counts, witnesses, "positions or cash differ")


# --- 6 kill switch ---------------------------------------------------------------------


def halt_windows(ev: Evidence) -> list[tuple[float, float]]:
    """Times the daemon was surely halted: runs of polls where risk's fresh status
    said halted, from the first such answer (when it was journaled) to the moment
    the last such poll was asked (its answer held somewhere in between), plus
    harness halts from their acknowledgement to the moment the harness sent the
    resume."""
    windows: list[tuple[float, float]] = []
    run: list[Poll] = []
    for poll in ev.polls():
        if poll.halted and not poll.risk_stale:  # an old answer proves nothing now
            run.append(poll)
        elif poll.halted is False and run:
            windows.append(_surely_halted(run))  # the resume came somewhere after
            run = []
    if run:
        windows.append((run[0].t, float("inf")))
    acks = [e["t"] for e in ev.harness_of("halted")]
    resumes = sorted(e["t"] for e in ev.harness_of("resume"))
    for ack in acks:
        end = next((t for t in resumes if t > ack), float("inf"))
        windows.append((ack, end))
    return sorted(windows)


def _surely_halted(run: list[Poll]) -> tuple[float, float]:
    """The window a run of halted polls proves: from the first answer to the asking
    of the last (a journal without ``asked_t`` gives the last answer's time)."""
    last = run[-1]
    end = last.asked_t if last.asked_t is not None else last.t
    return (run[0].t, max(run[0].t, end))


def kill_switch_honoured(ev: Evidence) -> CheckResult:
    if ev.ledger is None:
        return CheckResult("kill_switch_honoured", 6, "unknown", detail="no ledger to read")
    deadline = ev.config_float("shutdown_timeout_s")
    if deadline is None:
        return unknown("kill_switch_honoured", 6, "the config lacks shutdown_timeout_s")
    windows = halt_windows(ev)
    intents = {order.client_order_id: order for order in ev.ledger.orders}
    shifts = _clock_shifts(ev)
    terminal: dict[str, float] = {}
    unfilled = {
        e["record"]["order_id"]: wire_decimal(e["record"], "initial_count_fp")
        for e in ev.truth
        if e["kind"] == "order_accepted"
    }
    for entry in ev.truth:
        record = entry["record"]
        if entry["kind"] == "order_canceled":
            terminal.setdefault(record["order_id"], entry["ts"])
        elif entry["kind"] == "fill" and record["order_id"] in unfilled:
            unfilled[record["order_id"]] -= wire_decimal(record, "count_fp")
            if unfilled[record["order_id"]] <= 0:
                terminal.setdefault(record["order_id"], entry["ts"])
    witnesses: list[dict[str, object]] = []
    in_window = 0
    for entry in _orders_accepted(ev):
        record = entry["record"]
        window = next((w for w in windows if w[0] <= entry["ts"] < w[1]), None)
        if window is None:
            continue
        in_window += 1
        intent = intents.get(record["client_order_id"])
        created = entry["ts"] if intent is None else _real_time(intent.created_at, shifts)
        # An unwind goes on while halted (it sells what a basket holds; Kalshi states
        # selling YES as buying NO, so the wire's action alone would call it new risk).
        unwind = intent is not None and intent.role == OrderRole.UNWIND.value
        if record["action"] == "buy" and not unwind and created is not None and created > window[0]:
            row = attrs.asdict(intent) if intent is not None else None
            witnesses.append({"halted_at": window[0], "order": entry, "intent": row})
        ended = terminal.get(record["order_id"])
        if ended is None or ended > max(window[0], entry["ts"]) + deadline:
            witnesses.append({"halted_at": window[0], "open_past_deadline": entry})
    counts = {"halt_windows": len(windows), "orders_accepted_while_halted": in_window}
    return result(
        "kill_switch_honoured", 6, counts, witnesses, "new risk or an open order after a halt"
    )


# --- 7, 8 restarts and quiescence ------------------------------------------------------


def no_order_before_reconciliation(ev: Evidence) -> CheckResult:
    if ev.daemon is None:
        return CheckResult(
            "no_order_before_reconciliation",
            7,
            "unknown",
            detail="needs the daemon history (warden run --chaos)",
        )
    gap = history_gap(ev, "daemon", "restart", "reconciled", "order")
    if gap is not None:
        return unknown("no_order_before_reconciliation", 7, gap)
    refused = refused_pids(ev)  # a refused second daemon started nothing
    starts = [
        line.t
        for line in ev.daemon
        if _starts_process(line, refused)
        or (isinstance(line, RuntimeLine) and line.kind == "restart" and line.actor == "execution")
    ]
    reconciled = sorted(line.t for line in ev.daemon_of(ReconciledLine) if line.ok)
    accepted = _orders_accepted(ev)
    invoked: dict[str, list[float]] = {}
    for line in ev.daemon_of(OrderLine):
        if line.phase == "invoke":
            invoked.setdefault(line.client_order_id, []).append(line.t)

    def sent_before(entry: Entry, start: float) -> bool:
        """Sent by an earlier process or incarnation and still in flight at ``start``:
        landing during the settle period is what the settle period is for."""
        cid = str(entry["record"]["client_order_id"])
        sends = [t for t in invoked.get(cid, ()) if t <= entry["ts"]]
        return bool(sends) and max(sends) < start

    witnesses: list[dict[str, object]] = []
    for start in starts:
        done = next((t for t in reconciled if t >= start), float("inf"))
        early = [e for e in accepted if start < e["ts"] < done and not sent_before(e, start)]
        if early:
            witnesses.append({"started_at": start, "reconciled_at": done, "order": early[0]})
    counts = {"starts": len(starts), "reconciliations": len(reconciled)}
    return result(
        "no_order_before_reconciliation", 7, counts, witnesses, "an order before reconciliation"
    )


def no_open_orders_after_stop(ev: Evidence) -> CheckResult:
    venue_final = ev.venue()
    if ev.ledger is None or venue_final is None:
        return CheckResult(
            "no_open_orders_after_stop", 7, "unknown", detail="no ledger or venue final state"
        )
    witnesses: list[dict[str, object]] = [{"resting_at_venue": o} for o in venue_final.resting]
    witnesses += [
        {"open_in_ledger": attrs.asdict(order)}
        for order in ev.ledger.orders
        if order.state in _OPEN_STATES
    ]
    counts = {"resting_at_venue": len(venue_final.resting)}
    return result("no_open_orders_after_stop", 7, counts, witnesses, "an order still open")


def _starts_process(line: HistoryLine, refused: set[int]) -> bool:
    """A ``daemon start`` line of a process that went on to run (not one refused)."""
    return isinstance(line, DaemonLine) and line.phase == "start" and line.pid not in refused


_ACTOR_LINES = (OrderLine, ReservationLine, ReconciledLine, HaltLine, ResumeLine)
_ACTOR_KINDS = tuple(line.KIND for line in _ACTOR_LINES)


def _risk_incarnations(ev: Evidence) -> dict[int, tuple[int, int]]:
    """``id(line) -> (process, risk epoch)`` for every daemon line risk wrote; a
    process is counted from each ``daemon start`` line."""
    found: dict[int, tuple[int, int]] = {}
    process = -1
    refused = refused_pids(ev)
    for line in ev.daemon or ():
        if _starts_process(line, refused):
            process += 1
        elif isinstance(line, _ACTOR_LINES) and line.child == "risk" and line.epoch is not None:
            found[id(line)] = (process, line.epoch)
    return found


def no_reservation_after_quiescence(ev: Evidence) -> CheckResult:
    """No ledger reservation held or in doubt; and in the daemon history no
    reservation whose last word is reserve / in_doubt, unless the risk incarnation
    that held it has since ended (a reservation dies with its holder: if it reached
    the ledger, the ledger part above sees it; if it did not, nothing was sent)."""
    if ev.ledger is None:
        return CheckResult(
            "no_reservation_after_quiescence", 8, "unknown", detail="no ledger to read"
        )
    gap = history_gap(ev, "daemon", "reservation", *_ACTOR_KINDS)
    if gap is not None:
        return unknown("no_reservation_after_quiescence", 8, gap)
    history: dict[str, list[ReservationLine]] = defaultdict(list)
    for line in ev.daemon_of(ReservationLine):
        history[line.reservation_id].append(line)
    witnesses: list[dict[str, object]] = [
        {
            "ledger_reservation": attrs.asdict(r),
            "ledger_legs": [attrs.asdict(leg) for leg in ev.ledger.legs_of(r.reservation_id)],
            "history": [unstructure_line(line) for line in history.get(r.reservation_id, [])],
        }
        for r in ev.ledger.reservations
        if r.state != "released"
    ]
    gone = 0
    if ev.daemon is not None:
        last = {rid: lines[-1] for rid, lines in history.items()}
        incarnations = _risk_incarnations(ev)
        final = max(incarnations.values(), default=None)  # alive at the end
        for line in last.values():
            if line.phase not in ("reserve", "in_doubt"):
                continue
            if incarnations.get(id(line)) in (final, None):
                witnesses.append({"history_last": unstructure_line(line)})
            else:
                gone += 1
    counts = {"ledger_reservations": len(ev.ledger.reservations), "died_with_holder": gone}
    return result(
        "no_reservation_after_quiescence", 8, counts, witnesses, "a reservation still held"
    )


# --- 9 restart intensity ---------------------------------------------------------------


def restart_intensity_bounded(ev: Evidence) -> CheckResult:
    name, invariant = "restart_intensity_bounded", 9
    intensity = ev.config_int("intensity")
    period = ev.config_float("period_s")
    if intensity is None or period is None:
        return unknown(name, invariant, "the config lacks the supervision intensity / period_s")
    if not ev.harness_of("poll"):
        return unknown(name, invariant, "no polls of /actors: restarts were not observed")
    episodes = restart_episodes(ev)
    exits = {e["pid"]: e for e in ev.harness_of("daemon_exit")}
    witnesses: list[dict[str, object]] = []
    worst = 0
    for i, first in enumerate(episodes):
        window = [e for e in episodes[i:] if e.pid == first.pid and e.t - first.t <= period]
        restarts = sum(max(e.rises.values()) for e in window)
        worst = max(worst, restarts)
        escalated = first.pid in exits and exits[first.pid].get("code") == 1
        if restarts > intensity and not escalated:
            witnesses.append(
                {
                    "window_start": first.t,
                    "restarts": restarts,
                    "episodes": [e.to_json() for e in window],
                }
            )
            break
    counts = {
        "restart_episodes": len(episodes),
        "max_restarts_in_period": worst,
        "intensity": intensity,
        "period_s": period,
        "escalations": sum(1 for e in exits.values() if e.get("code") == 1),
    }
    return result(
        "restart_intensity_bounded", 9, counts, witnesses, "restarts past the intensity, no halt"
    )


# --- 10 message accounting -------------------------------------------------------------

_BOOKS = ("processed", "stale_dropped", "runtime_handled", "dead_letters", "queued")


def message_accounting(ev: Evidence) -> CheckResult:
    """Per actor, per daemon process that stopped gracefully: every envelope put in
    its mailboxes (``received``) was processed, dropped as stale, handled by the
    runtime (stop / summary requests), dead-lettered, left queued, or declared lost
    after its incarnation ended -- from the ``accounting`` lines the daemon writes
    from its stopped tree (exact: every incarnation has ended). A SIGKILLed process
    writes none; it is counted as unchecked. Unknown when no process left books."""
    gap = history_gap(ev, "daemon", "accounting")
    if gap is not None:
        return unknown("message_accounting", 10, gap)
    segments: list[list[AccountingLine]] = []
    refused = refused_pids(ev)
    for line in ev.daemon or ():
        if _starts_process(line, refused):
            segments.append([])
        elif isinstance(line, AccountingLine) and segments:
            segments[-1].append(line)
    checked = [books for books in segments if books]
    counts = {
        "processes": len(segments),
        "processes_checked": len(checked),
        "received": sum(b.received for books in checked for b in books),
        "dead_letters": sum(b.dead_letters for books in checked for b in books),
        "lost_after_end": sum(b.lost_after_end for books in checked for b in books),
    }
    if not checked:
        return CheckResult(
            "message_accounting",
            10,
            "unknown",
            counts=counts,
            detail="no daemon process stopped gracefully, so none wrote its message books",
        )
    witnesses = []
    for process, books in enumerate(segments):
        for b in books:
            kept = {key: getattr(b, key) for key in (*_BOOKS, "lost_after_end")}
            accounted = sum(kept.values())
            if b.received != accounted:
                witnesses.append(
                    {
                        "process": process,
                        "actor": b.actor,
                        "received": b.received,
                        "accounted": accounted,
                        "books": kept,
                    }
                )
    return result("message_accounting", 10, counts, witnesses, "messages unaccounted for")


CHECKERS: tuple[Callable[[Evidence], CheckResult], ...] = (
    exposure_within_limits,
    client_order_id_accepted_once,
    intent_before_order,
    ledger_fills_equal_venue,
    positions_and_cash_equal,
    kill_switch_honoured,
    no_order_before_reconciliation,
    no_open_orders_after_stop,
    no_reservation_after_quiescence,
    restart_intensity_bounded,
    message_accounting,
    daily_loss_within_limit,
    one_writer_per_ledger,
    ready_after_restart,
    baskets_hedged_or_named,
)


def check_all(ev: Evidence) -> list[CheckResult]:
    """Every checker; one that raises (a malformed piece of evidence, an inexact
    money step) is reported ``unknown`` with the error."""
    results = []
    for checker in CHECKERS:
        try:
            results.append(checker(ev))
        except (KeyError, TypeError, ValueError, DecimalException) as error:
            name = checker.__name__
            detail = f"checker failed: {type(error).__name__}: {error}"
            results.append(CheckResult(name, 0, "unknown", detail=detail))
    return results
