"""Invariant 14, ``baskets_hedged_or_named``: a basket left unhedged is answered in time.

Per arbitrage reservation in the ledger (docs/baskets.md §6):

1. **Held, from venue truth.** Its orders are every id it may have sent --
   its legs' entry ids (``reservation_legs``), every completion and unwind id
   :func:`~actors.messages.leg_client_order_id` can give its legs (the id space
   is enumerable), and every ledger order recorded for it with a ``leg``
   (``orders.opportunity_id``) -- and the venue's truth fills of those ids give
   ``held`` per leg: contracts bought minus sold. Balanced (every leg holds
   as many) is hedged; otherwise the legs below the most-held one are short.
2. **The bound.** ``placed`` is the ``t`` of its ``basket placing`` history line
   (without one, the venue's first acceptance of one of its orders, by the
   process alive then: the line is written as the orders go out); ``bound = placed +
   complete_within_s + basket_grace_s`` (the harness's config). If the process
   that placed it ended before the bound (the harness saw it reaped, or the
   history has its ``daemon stop``), the bound becomes the next ``reconciled
   ok`` of another process + ``basket_grace_s`` (risk settles recovered
   baskets there), or never when no process reconciled after it.
3. **The answer.** If ``held`` from the fills with ``ts <= bound`` is
   unbalanced, an answer with ``t <= bound`` is required; if only the final
   ``held`` is unbalanced, an answer at any time. An answer is a ``basket
   unwinding`` history line of the reservation, or a recorded partial naming at
   least every short leg: a ``reservation release`` line whose ``missing``
   holds them, or -- by its existence only, its times being the daemon's clock
   -- the ledger row with ``outcome = 'unhedged'`` whose legs' ``missing``
   name them.

Times compared are the real wall clock (venue truth ``ts``, history and
harness ``t``). ``unknown`` without the ledger, venue truth, the daemon
history, a readable history of the kinds it reads, or ``basket_grace_s``.
Witnesses: the basket's ledger rows, its truth fills and its history lines.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, localcontext

import attrs
from attrs import frozen

from actors import money
from actors.domain import OrderRole
from actors.history import BasketLine, DaemonLine, ReconciledLine, ReservationLine
from actors.history import unstructure_line as history_json
from actors.messages import MAX_COMPLETE_ATTEMPTS, leg_client_order_id
from warden.chaos._history import Entry, Evidence, history_gap, wire_decimal
from warden.chaos._ledger import LedgerLeg, LedgerReservation, LedgerRows
from warden.chaos._verdicts import CheckResult, result, unknown

NAME = "baskets_hedged_or_named"
INVARIANT = 14
ZERO = Decimal(0)
#: the daemon history kinds this checker reads
KINDS = ("basket", "reservation", "reconciled", "daemon")
#: truth fills kept per witness
_WITNESS_FILLS = 10


def leg_ids(reservation_id: str, legs: Sequence[LedgerLeg], rows: LedgerRows) -> dict[str, int]:
    """Client order id -> leg index for every order the reservation may have sent."""
    ids: dict[str, int] = {}
    for order in rows.orders_of(reservation_id):
        if order.leg is not None:
            ids[order.client_order_id] = order.leg
    for leg in legs:
        ids[leg.client_order_id] = leg.leg
        for role in (OrderRole.COMPLETE, OrderRole.UNWIND):
            for attempt in range(MAX_COMPLETE_ATTEMPTS + 1):
                ids[leg_client_order_id(reservation_id, leg.leg, role, attempt)] = leg.leg
    return ids


def short_legs(held: Sequence[Decimal]) -> tuple[int, ...]:
    """The indexes of the legs below the most-held one (``()``: balanced)."""
    top = max(held, default=ZERO)
    return tuple(index for index, count in enumerate(held) if count < top)


@frozen
class _Fill:
    ts: float
    leg: int
    change: Decimal  # + bought, - sold
    entry: Entry


@frozen
class _Answers:
    """What the daemon said of one reservation."""

    unwinding: tuple[BasketLine, ...]
    releases: tuple[ReservationLine, ...]
    ledger_named: tuple[int, ...] | None  # legs the ledger names if it says 'unhedged'

    def first(self, short: tuple[int, ...], until: float) -> str | None:
        """How ``short`` was answered by ``until`` (``None``: it was not): the release
        that names it first, then an unwind sent, then the ledger's row (untimed)."""
        for line in self.releases:
            if line.t <= until and line.missing is not None and set(short) <= set(line.missing):
                return "release_line"
        if any(line.t <= until for line in self.unwinding):
            return "unwinding_line"
        if self.ledger_named is not None and set(short) <= set(self.ledger_named):
            return "ledger_unhedged"
        return None


@frozen
class _Timeline:
    """The evidence about processes and reconciliations, from both journals."""

    starts: Mapping[int, float]  # pid -> when the process started (earliest report)
    ends: Mapping[int, float]  # pid -> when it ended (earliest report)
    reconciled: tuple[tuple[float, int], ...]  # (t, pid) of every reconciled ok, in time

    def pid_at(self, t: float) -> int | None:
        """The daemon process alive at ``t`` (the latest started by then), if known."""
        alive = [
            (start, pid)
            for pid, start in self.starts.items()
            if start <= t < self.ends.get(pid, math.inf)
        ]
        return max(alive)[1] if alive else None

    def bound(self, pid: int | None, placed_t: float, window_s: float, grace: float) -> float:
        """The answer's deadline for a basket process ``pid`` placed at ``placed_t``."""
        bound = placed_t + window_s + grace
        end = self.ends.get(pid) if pid is not None else None
        if end is None or end >= bound:
            return bound
        after = next((t for t, other in self.reconciled if t >= end and other != pid), None)
        return after + grace if after is not None else math.inf


def _timeline(ev: Evidence) -> _Timeline:
    starts: dict[int, float] = {}
    ends: dict[int, float] = {}
    for kind, times in (("daemon_start", starts), ("daemon_exit", ends)):
        for event in ev.harness_of(kind):
            pid, t = event.get("pid"), event.get("t")
            if isinstance(pid, int) and isinstance(t, int | float):
                times[pid] = min(times.get(pid, math.inf), float(t))
    for line in ev.daemon_of(DaemonLine):
        times = starts if line.phase == "start" else ends
        times[line.pid] = min(times.get(line.pid, math.inf), line.t)
    reconciled = tuple(
        sorted((line.t, line.pid) for line in ev.daemon_of(ReconciledLine) if line.ok)
    )
    return _Timeline(starts, ends, reconciled)


def baskets_hedged_or_named(ev: Evidence) -> CheckResult:
    """Invariant 14 (see the module docstring)."""
    grace = ev.config_float("basket_grace_s")
    if grace is None:
        return unknown(NAME, INVARIANT, "the config lacks basket_grace_s")
    if ev.ledger is None:
        return unknown(NAME, INVARIANT, "no ledger to read")
    if ev.daemon is None:
        return unknown(NAME, INVARIANT, "needs the daemon history (warden run --chaos)")
    gap = history_gap(ev, *KINDS)
    if gap is not None:
        return unknown(NAME, INVARIANT, gap)
    if not ev.truth:
        return unknown(NAME, INVARIANT, "no venue truth (nothing traded, or it was not read)")
    with localcontext(money.EXACT):  # an inexact sum raises, never rounds
        return _judge(ev, ev.ledger, grace)


class _Index:
    """The evidence of every basket, looked up by client order id or reservation id."""

    def __init__(self, ev: Evidence) -> None:
        self.fills: dict[str, list[Entry]] = defaultdict(list)
        self.accepted: dict[str, float] = {}
        for entry in ev.truth:
            record = entry["record"]
            if entry["kind"] == "fill":
                self.fills[record["client_order_id"]].append(entry)
            elif entry["kind"] == "order_accepted":
                self.accepted.setdefault(record["client_order_id"], entry["ts"])
        self.placing: dict[str, BasketLine] = {}
        self.basket: dict[str, list[BasketLine]] = defaultdict(list)
        for line in ev.daemon_of(BasketLine):
            self.basket[line.reservation_id].append(line)
            if line.phase == "placing":
                self.placing.setdefault(line.reservation_id, line)
        self.reservation: dict[str, list[ReservationLine]] = defaultdict(list)
        for r_line in ev.daemon_of(ReservationLine):
            self.reservation[r_line.reservation_id].append(r_line)
        self.timeline = _timeline(ev)

    def fills_of(self, ids: Mapping[str, int]) -> list[_Fill]:
        """The truth fills of ``ids`` (id -> leg), in venue order."""
        found = [
            _Fill(entry["ts"], leg, _change(entry), entry)
            for order_id, leg in ids.items()
            for entry in self.fills.get(order_id, ())
        ]
        return sorted(found, key=lambda fill: (fill.ts, fill.entry["seq"]))

    def answers(self, reservation: LedgerReservation, legs: Sequence[LedgerLeg]) -> _Answers:
        rid = reservation.reservation_id
        return _Answers(
            tuple(line for line in self.basket.get(rid, ()) if line.phase == "unwinding"),
            tuple(line for line in self.reservation.get(rid, ()) if line.phase == "release"),
            _ledger_named(reservation, legs),
        )

    def lines(self, rid: str) -> list[BasketLine | ReservationLine]:
        lines: list[BasketLine | ReservationLine] = [*self.basket.get(rid, ())]
        lines += self.reservation.get(rid, ())
        return sorted(lines, key=lambda line: line.t)


@frozen
class _Case:
    """One basket judged: when it was placed, its bound, what it held then and at the end."""

    reservation: LedgerReservation
    legs: tuple[LedgerLeg, ...]
    fills: tuple[_Fill, ...]
    placed_t: float
    bound: float
    at_bound: tuple[Decimal, ...]
    final: tuple[Decimal, ...]

    def witness(self, problems: list[str], index: _Index) -> dict[str, object]:
        return {
            "reservation_id": self.reservation.reservation_id,
            "problems": problems,
            "placed_t": self.placed_t,
            "bound_t": self.bound if math.isfinite(self.bound) else None,
            "held_at_bound": list(self.at_bound),
            "held_final": list(self.final),
            "ledger_reservation": attrs.asdict(self.reservation),
            "ledger_legs": [attrs.asdict(leg) for leg in self.legs],
            "fills": [fill.entry for fill in self.fills[:_WITNESS_FILLS]],
            "fills_total": len(self.fills),
            "history": [
                history_json(line) for line in index.lines(self.reservation.reservation_id)
            ],
        }


def _case(
    reservation: LedgerReservation,
    rows: LedgerRows,
    index: _Index,
    grace: float,
    tally: dict[str, int],
) -> _Case | None:
    """The basket's case, or ``None`` when nothing of it filled (hedged: it holds nothing)."""
    rid = reservation.reservation_id
    legs = rows.legs_of(rid)
    if not legs:
        raise ValueError(f"reservation {rid} has no legs in the ledger")
    ids = leg_ids(rid, legs, rows)
    fills = index.fills_of(ids)
    if not fills:
        return None
    tally["baskets_filled"] += 1
    line = index.placing.get(rid)
    pid: int | None
    if line is not None:
        placed_t, pid = line.t, line.pid
    else:  # the line was lost (a SIGKILL): the venue's first acceptance is as late
        tally["placed_from_venue"] += 1
        accepted = [index.accepted[i] for i in ids if i in index.accepted]
        placed_t = min(accepted, default=fills[0].ts)
        pid = index.timeline.pid_at(placed_t)
    usual = placed_t + reservation.complete_within_s + grace
    bound = index.timeline.bound(pid, placed_t, reservation.complete_within_s, grace)
    tally["bound_moved_to_reconciliation"] += bound != usual
    return _Case(
        reservation,
        legs,
        tuple(fills),
        placed_t,
        bound,
        _held(len(legs), (fill for fill in fills if fill.ts <= bound)),
        _held(len(legs), fills),
    )


def _judge(ev: Evidence, rows: LedgerRows, grace: float) -> CheckResult:
    index = _Index(ev)
    tally: dict[str, int] = defaultdict(int)
    witnesses: list[dict[str, object]] = []
    arbitrage = [r for r in rows.reservations if r.purpose == "arbitrage"]
    for reservation in arbitrage:
        case = _case(reservation, rows, index, grace, tally)
        if case is None:
            continue
        answers = index.answers(reservation, case.legs)
        problems: list[str] = []
        for held, until, what in (
            (case.at_bound, case.bound, "at_bound"),
            (case.final, math.inf, "final"),
        ):
            short = short_legs(held)
            if not short:
                continue
            tally[f"unbalanced_{what}"] += 1
            how = answers.first(short, until)
            if how is not None:
                tally[f"answered_{what}_by_{how}"] += 1
            elif what == "at_bound":
                problems.append(f"legs {list(short)} short at the bound, no answer by then")
            else:
                problems.append(f"legs {list(short)} short at the end, never answered")
        if problems:
            witnesses.append(case.witness(problems, index))
    counts: dict[str, object] = {
        "basket_grace_s": grace,
        "arbitrage_reservations": len(arbitrage),
        **dict(sorted(tally.items())),
    }
    return result(NAME, INVARIANT, counts, witnesses, "a basket unhedged and not answered")


def _change(entry: Entry) -> Decimal:
    """A truth fill's contracts: + bought, - sold. Raises ``KeyError`` / ``ValueError``."""
    record = entry["record"]
    count = wire_decimal(record, "count_fp")
    if record["action"] == "buy":
        return count
    if record["action"] == "sell":
        return -count
    raise ValueError(f"fill {record.get('trade_id')!r} has action {record['action']!r}")


def _held(legs: int, fills: Iterable[_Fill]) -> tuple[Decimal, ...]:
    held = [ZERO] * legs
    for fill in fills:
        if not 0 <= fill.leg < legs:
            raise ValueError(f"an order of leg {fill.leg} in a basket of {legs} legs")
        held[fill.leg] += fill.change
    return tuple(held)


def _ledger_named(
    reservation: LedgerReservation, legs: Sequence[LedgerLeg]
) -> tuple[int, ...] | None:
    """The legs the ledger names short, if it records the basket ``unhedged``."""
    if reservation.outcome != "unhedged":
        return None
    return tuple(leg.leg for leg in legs if leg.missing is not None and leg.missing > 0)
