"""The invariant checkers on synthetic histories, including planted bugs and their witnesses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from actors.history import (
    AccountingLine,
    BasketLine,
    DaemonLine,
    HistoryLine,
    OrderLine,
    ReconciledLine,
    ReservationLine,
    unstructure_line,
)
from warden.chaos import Evidence, check_all
from warden.chaos._checkers import (
    client_order_id_accepted_once,
    intent_before_order,
    kill_switch_honoured,
    ledger_fills_equal_venue,
    message_accounting,
    no_open_orders_after_stop,
    no_order_before_reconciliation,
    no_reservation_after_quiescence,
    positions_and_cash_equal,
    restart_intensity_bounded,
)
from warden.chaos._exercised import _rose
from warden.chaos._exposure import exposure_within_limits
from warden.chaos._ledger import (
    LedgerFill,
    LedgerLeg,
    LedgerOrder,
    LedgerPosition,
    LedgerReservation,
    LedgerRows,
)

T0 = 1_000.0
D = Decimal
FEE = D("0.01")  # a synthetic fill's fee


def dollars(value: Decimal) -> str:
    """A price or fee as the venue writes it: a string with 4 decimals."""
    return f"{value:.4f}"


def contracts(value: Decimal) -> str:
    """A count as the venue writes it: a string with 2 decimals (``count_fp``)."""
    return f"{value:.2f}"


class Venue:
    """Builds a trader truth log like ``GET /sim/truth?account=trader``, with the
    venue's fixed-point fields (``*_price_dollars``, ``*count_fp``, ``fee_cost``)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.orders = 0
        self.trades = 0

    def _add(self, ts: float, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        entry = {"seq": len(self.entries) + 1, "ts": ts, "kind": kind, "account": "trader"}
        entry["record"] = record
        self.entries.append(entry)
        return entry

    def order(
        self,
        ts: float,
        coid: str,
        side: str,
        price: Decimal,
        count: Decimal,
        *,
        action: str = "buy",
        ticker: str = "SIM-001",
    ) -> dict[str, Any]:
        self.orders += 1
        record = {
            "order_id": f"o{self.orders}",
            "client_order_id": coid,
            "ticker": ticker,
            "side": side,
            "action": action,
            "yes_price_dollars": dollars(price if side == "yes" else 1 - price),
            "no_price_dollars": dollars(price if side == "no" else 1 - price),
            "initial_count_fp": contracts(count),
            "status": "resting",
        }
        return self._add(ts, "order_accepted", record)

    def fill(
        self, ts: float, order: dict[str, Any], count: Decimal, fee: Decimal = FEE
    ) -> dict[str, Any]:
        self.trades += 1
        record = {
            key: order["record"][key]
            for key in ("order_id", "client_order_id", "ticker", "side", "action")
        }
        record |= {
            "trade_id": f"t{self.trades}",
            "count_fp": contracts(count),
            "yes_price_dollars": order["record"]["yes_price_dollars"],
            "no_price_dollars": order["record"]["no_price_dollars"],
            "fee_cost": dollars(fee),
        }
        return self._add(ts, "fill", record)

    def cancel(self, ts: float, order: dict[str, Any]) -> dict[str, Any]:
        return self._add(ts, "order_canceled", {"order_id": order["record"]["order_id"]})


def intent(
    coid: str,
    side: str,
    price: Decimal,
    count: Decimal,
    created_at: float,
    *,
    leg: int | None = None,
) -> LedgerOrder:
    return LedgerOrder(
        client_order_id=coid,
        opportunity_id="r1",
        ticker="SIM-001",
        side=side,
        action="buy",
        price=price,
        count=count,
        state="filled",
        filled_count=count,
        venue_order_id=None,
        created_at=created_at,
        updated_at=created_at,
        leg=leg,
        role=None if leg is None else "entry",
    )


def ledger_fill(fill: dict[str, Any]) -> LedgerFill:
    r = fill["record"]
    return LedgerFill(
        fill_id=r["trade_id"],
        client_order_id=r["client_order_id"],
        ticker=r["ticker"],
        side=r["side"],
        action=r["action"],
        price=D(r["yes_price_dollars"] if r["side"] == "yes" else r["no_price_dollars"]),
        count=D(r["count_fp"]),
        fee=D(r["fee_cost"]),
        recorded_at=fill["ts"],
    )


def position(yes: Decimal, no: Decimal, cash: Decimal) -> LedgerPosition:
    return LedgerPosition(ticker="SIM-001", yes_count=yes, no_count=no, cash=cash, payout=D(1))


def reservation(
    state: str, *, rid: str = "r1", event: tuple[str, ...] = ("SIM-001",), **fields: Any
) -> LedgerReservation:
    """A ledger ``reservations`` row (schema v4) of an arbitrage basket in ``event``."""
    row: dict[str, Any] = {
        "reservation_id": rid,
        "event_ticker": event[0] if len(event) == 1 else "SIMEV",
        "event_markets": event,
        "exclusive": len(event) > 1,
        "purpose": "arbitrage",
        "amount": D("9.52"),
        "complete_within_s": 2.0,
        "max_complete_attempts": 1,
        "owner_epoch": None,
        "state": state,
        "outcome": "filled" if state == "released" else None,
        "detail": "",
        "created_at": T0 + 0.8,
        "updated_at": T0 + 1.2,
    }
    return LedgerReservation(**(row | fields))


def leg(
    index: int, coid: str, side: str, price: Decimal, *, rid: str = "r1", **fields: Any
) -> LedgerLeg:
    """A ledger ``reservation_legs`` row: leg ``index`` buys 10 ``side`` at ``price``."""
    row: dict[str, Any] = {
        "reservation_id": rid,
        "leg": index,
        "ticker": "SIM-001",
        "side": side,
        "action": "buy",
        "price": price,
        "max_price": price + D("0.02"),
        "count": D(10),
        "amount": D("5.00"),
        "payout": D(1),
        "client_order_id": coid,
        "held": None,
        "missing": None,
    }
    return LedgerLeg(**(row | fields))


def basket_line(
    t: float, rid: str, phase: str, *, pid: int = 1, missing: tuple[int, ...] = ()
) -> BasketLine:
    return BasketLine(
        t=t, pid=pid, reservation_id=rid, event_ticker="SIM-001", phase=phase,  # type: ignore[arg-type]
        attempt=0, held=(), missing=missing, outcome=None, detail="",
    )  # fmt: skip


def books(actor: str, **counts: int) -> AccountingLine:
    """A balanced ``accounting`` history line: received is the sum of the rest."""
    names = ("processed", "stale_dropped", "runtime_handled", "dead_letters", "queued")
    line: dict[str, int] = dict.fromkeys((*names, "lost_after_end"), 0) | counts
    received = sum(line[name] for name in (*names, "lost_after_end"))
    return AccountingLine(
        t=T0 + 1.9,
        pid=1,
        actor=actor,
        received=received,
        processed=line["processed"],
        stale_dropped=line["stale_dropped"],
        runtime_handled=line["runtime_handled"],
        dead_letters=line["dead_letters"],
        queued=line["queued"],
        lost_after_end=line["lost_after_end"],
    )


def daemon_line(t: float, phase: str, pid: int, exit_code: int | None = None) -> DaemonLine:
    return DaemonLine(t=t, pid=pid, phase=phase, exit_code=exit_code)  # type: ignore[arg-type]


def reconciled_line(
    t: float, *, ok: bool = True, child: str | None = None, epoch: int | None = None
) -> ReconciledLine:
    return ReconciledLine(
        t=t, pid=1, event="reconciled", actor="risk", ok=ok, detail="", child=child, epoch=epoch
    )


def reservation_line(
    t: float,
    rid: str,
    phase: str,
    *,
    child: str | None = None,
    epoch: int | None = None,
    missing: tuple[int, ...] | None = None,
) -> ReservationLine:
    return ReservationLine(
        t=t, pid=1, event=phase, actor="risk", ticker="SIM-001", reservation_id=rid,
        phase=phase, amount=D("9.52"), reason="", child=child, epoch=epoch,  # type: ignore[arg-type]
        tickers=("SIM-001",), missing=missing,
    )  # fmt: skip


def order_line(t: float, cid: str, phase: str = "invoke", *, pid: int = 1) -> OrderLine:
    return OrderLine(
        t=t, pid=pid, phase=phase, client_order_id=cid, reservation_id="r1", detail=""  # type: ignore[arg-type]
    )  # fmt: skip


def healthy() -> Evidence:
    """One pair traded cleanly: both legs accepted, filled, recorded, reservation released."""
    venue = Venue()
    yes = venue.order(T0 + 1.0, "cy", "yes", D("0.40"), D(10))
    fill_yes = venue.fill(T0 + 1.0, yes, D(10))
    no = venue.order(T0 + 1.1, "cn", "no", D("0.55"), D(10))
    fill_no = venue.fill(T0 + 1.1, no, D(10))
    ledger = LedgerRows(
        orders=(
            intent("cy", "yes", D("0.40"), D(10), T0 + 0.9, leg=0),
            intent("cn", "no", D("0.55"), D(10), T0 + 0.9, leg=1),
        ),
        fills=(ledger_fill(fill_yes), ledger_fill(fill_no)),
        positions=(position(D(10), D(10), D("-9.52")),),
        reservations=(reservation("released"),),
        legs=(
            leg(0, "cy", "yes", D("0.40"), held=D(10), missing=D(0)),
            leg(1, "cn", "no", D("0.55"), held=D(10), missing=D(0)),
        ),
    )
    daemon: list[HistoryLine] = [
        daemon_line(T0, "start", 1),
        reconciled_line(T0 + 0.5),
        reservation_line(T0 + 0.8, "r1", "reserve"),
        basket_line(T0 + 0.95, "r1", "placing"),
        reservation_line(T0 + 1.2, "r1", "release", missing=()),
        books("risk", processed=12, runtime_handled=3, dead_letters=1, stale_dropped=1),
        books("execution", processed=30, runtime_handled=2, lost_after_end=1),
        daemon_line(T0 + 2.0, "stop", 1),
    ]
    return Evidence(
        truth=tuple(venue.entries),
        harness=(_poll(T0 + 0.5, 1, pid=1), _poll(T0 + 1.5, 1, pid=1)),
        daemon=tuple(daemon),
        ledger=ledger,
        venue_final={
            "positions": {"SIM-001": "0.00"},
            "balance_dollars": "10000.4800",  # 10000.00 - 9.52 paid + 10 pairs paid back
            "reserved_dollars": "0.0000",
            "resting": [],
        },
        config={
            "trader_cash": "10000.00",
            "max_market_exposure": "50.00",
            "max_event_exposure": "100.00",
            "max_total_exposure": "200.00",
            "intensity": 3,
            "period_s": 30.0,
            "shutdown_timeout_s": 10.0,
            "max_daily_loss": "50.00",
            "hang_timeout_s": 3.0,
            "backoff_cap_s": 0.5,
            "request_timeout_s": 2.0,
            "basket_grace_s": 15.0,
        },
        venue_events=(),  # the legacy venue: every market its own event
    )


def test_a_clean_history_holds_every_decidable_invariant() -> None:
    results = {result.name: result for result in check_all(healthy())}
    assert {name for name, r in results.items() if r.status != "held"} == set()
    assert all(not r.witnesses for r in results.values())
    assert results["message_accounting"].counts["received"] == 17 + 33


def test_a_client_order_id_accepted_twice_is_witnessed_by_both_acceptances() -> None:
    ev = healthy()
    venue = Venue()
    venue.entries = list(ev.truth)
    venue.orders = 2
    again = venue.order(T0 + 2.0, "cy", "yes", D("0.40"), D(10))  # the planted bug: a re-send
    result = client_order_id_accepted_once(attrs.evolve(ev, truth=tuple(venue.entries)))
    assert result.status == "violated"
    assert result.witnesses == [{"client_order_id": "cy", "accepted": [ev.truth[0], again]}]


def test_resending_under_a_new_id_without_an_intent_is_witnessed() -> None:
    ev = healthy()
    venue = Venue()
    venue.entries = list(ev.truth)
    venue.orders = 2
    rogue = venue.order(T0 + 2.0, "cy-retry-2", "yes", D("0.40"), D(10))
    result = intent_before_order(attrs.evolve(ev, truth=tuple(venue.entries)))
    assert result.status == "violated"
    assert result.witnesses == [{"venue": rogue, "ledger_intent": None}]


def test_an_intent_committed_after_the_venue_accepted_it_is_witnessed() -> None:
    ev = healthy()
    assert ev.ledger is not None
    late = intent("cn", "no", D("0.55"), D(10), T0 + 1.5)
    ledger = attrs.evolve(ev.ledger, orders=(ev.ledger.orders[0], late))
    result = intent_before_order(attrs.evolve(ev, ledger=ledger))
    assert result.status == "violated"
    assert result.witnesses == [{"venue": ev.truth[2], "ledger_intent": attrs.asdict(late)}]


def _clock_fault(offset_s: float, start: float, end: float) -> tuple[dict[str, Any], ...]:
    return (
        {"t": start, "kind": "inject", "fault": "clock.forward", "id": 9},
        {"t": start, "kind": "injected", "fault": "clock.forward", "id": 9,
         "answer": {"offset_s": offset_s}},
        {"t": end, "kind": "heal", "fault": "clock.forward", "id": 9},
    )  # fmt: skip


def test_an_intent_written_under_a_shifted_clock_is_judged_in_real_time() -> None:
    """Found by a 10-minute run: an intent committed while the daemon's clock was 11 h
    ahead looked 11 h later than its order. With the offset, it is on time; and a
    really late one is still caught."""
    ev = healthy()
    assert ev.ledger is not None
    shift = 40_000.0
    harness = _clock_fault(shift, T0 + 0.5, T0 + 0.95)
    shifted = intent(
        "cn", "no", D("0.55"), D(10), T0 + 0.9 + shift
    )  # committed 0.2 s before the order
    ledger = attrs.evolve(ev.ledger, orders=(ev.ledger.orders[0], shifted))
    result = intent_before_order(attrs.evolve(ev, ledger=ledger, harness=harness))
    assert (result.status, result.counts["time_order_checked"]) == ("held", 2)

    late = intent("cn", "no", D("0.55"), D(10), T0 + 1.5 + shift)  # 0.4 s after the venue took it
    ledger = attrs.evolve(ev.ledger, orders=(ev.ledger.orders[0], late))
    result = intent_before_order(attrs.evolve(ev, ledger=ledger, harness=harness))
    assert result.status == "violated"
    assert result.witnesses == [{"venue": ev.truth[2], "ledger_intent": attrs.asdict(late)}]


def test_a_reservation_never_released_is_witnessed_with_its_history() -> None:
    ev = healthy()
    assert ev.ledger is not None
    assert ev.daemon is not None
    held = reservation("held")
    daemon = ev.daemon[:3]  # the planted bug: the release never happens
    result = no_reservation_after_quiescence(
        attrs.evolve(ev, ledger=attrs.evolve(ev.ledger, reservations=(held,)), daemon=daemon)
    )
    assert result.status == "violated"
    assert result.witnesses[0] == {
        "ledger_reservation": attrs.asdict(held),
        "ledger_legs": [attrs.asdict(row) for row in ev.ledger.legs],
        "history": [unstructure_line(daemon[2])],
    }
    assert result.witnesses[1] == {"history_last": unstructure_line(daemon[2])}


def test_a_fill_lost_by_the_ledger_is_witnessed_and_positions_disagree() -> None:
    ev = healthy()
    assert ev.ledger is not None
    ledger = attrs.evolve(
        ev.ledger, fills=ev.ledger.fills[:1], positions=(position(D(10), D(0), D("-4.01")),)
    )
    broken = attrs.evolve(ev, ledger=ledger)
    fills = ledger_fills_equal_venue(broken)
    assert fills.status == "violated"
    assert [set(w) for w in fills.witnesses] == [{"missing_in_ledger"}]
    assert fills.witnesses[0]["missing_in_ledger"]["fill_id"] == "t2"
    positions = positions_and_cash_equal(broken)
    assert positions.status == "violated"
    assert positions.witnesses[0]["ticker"] == "SIM-001"
    assert positions.witnesses[1] == {
        "cash_change_ledger": D("-4.01"),
        "cash_change_venue": D("0.48"),
    }


def test_a_fill_recorded_at_another_price_is_witnessed_with_both_versions() -> None:
    ev = healthy()
    assert ev.ledger is not None
    altered = attrs.evolve(ev.ledger.fills[1], price=D("0.54"))
    result = ledger_fills_equal_venue(
        attrs.evolve(ev, ledger=attrs.evolve(ev.ledger, fills=(ev.ledger.fills[0], altered)))
    )
    assert result.status == "violated"
    assert result.witnesses[0]["ledger"] == attrs.asdict(altered)
    assert result.witnesses[0]["venue"]["price"] == D("0.55")


def test_exposure_over_the_market_limit_is_witnessed_at_the_first_event_over_it() -> None:
    venue = Venue()
    big = venue.order(T0, "big", "yes", D("0.60"), D(100))  # $60.00 + fee worst case > $50.00
    venue.cancel(T0 + 0.1, big)
    result = exposure_within_limits(attrs.evolve(healthy(), truth=tuple(venue.entries)))
    assert result.status == "violated"
    assert result.counts["events_over_limit"] == 1
    assert result.witnesses[0]["entry"] == big
    assert result.counts["peak_market"] > D("60.00")


def test_unmatched_contracts_count_their_cost_and_a_hedged_pair_counts_nothing() -> None:
    result = exposure_within_limits(healthy())
    assert result.status == "held"
    # the YES leg alone ($4.00 + $0.01 fee) was the peak, before the NO leg hedged it
    assert result.counts["peak_total"] >= D("4.01")


def test_a_buy_intended_after_a_halt_is_witnessed() -> None:
    ev = healthy()
    assert ev.ledger is not None
    harness = ({"t": T0 + 0.95, "kind": "halted"}, {"t": T0 + 5.0, "kind": "resume"})
    orders = (
        intent("cy", "yes", D("0.40"), D(10), T0 + 0.9),
        intent("cn", "no", D("0.55"), D(10), T0 + 1.05),
    )
    result = kill_switch_honoured(
        attrs.evolve(ev, harness=harness, ledger=attrs.evolve(ev.ledger, orders=orders))
    )
    assert result.status == "violated"
    assert len(result.witnesses) == 1
    assert result.witnesses[0]["order"] == ev.truth[2]
    # the YES leg was intended before the halt: an order in flight, allowed
    assert result.counts["orders_accepted_while_halted"] == 2


def test_an_unwind_sent_while_halted_is_not_new_risk_though_the_venue_states_it_as_a_buy() -> None:
    """Kalshi states selling YES as buying NO: the wire says "buy", the intent "unwind"."""
    ev = healthy()
    assert ev.ledger is not None
    harness = ({"t": T0 + 0.95, "kind": "halted"}, {"t": T0 + 5.0, "kind": "resume"})
    unwind = attrs.evolve(intent("cn", "no", D("0.55"), D(10), T0 + 1.05), role="unwind")
    entry = attrs.evolve(intent("cn", "no", D("0.55"), D(10), T0 + 1.05), role="entry")
    orders = (intent("cy", "yes", D("0.40"), D(10), T0 + 0.9),)

    def judged(late: LedgerOrder) -> Any:
        ledger = attrs.evolve(ev.ledger, orders=(*orders, late))
        return kill_switch_honoured(attrs.evolve(ev, harness=harness, ledger=ledger))

    assert judged(unwind).status == "held"
    assert judged(entry).status == "violated"  # the same order as a new entry is new risk


def test_a_halt_seen_in_polls_ends_when_the_last_halted_poll_was_asked() -> None:
    """A poll's answer held at some moment between its asking and its journaling: an
    order accepted in between is not proved to be inside the halt."""
    ev = healthy()  # both legs intended at T0+0.9, accepted at T0+1.0 and T0+1.1
    first = {"t": T0 + 0.5, "kind": "poll", "halted": True}
    resumed = {"t": T0 + 1.5, "kind": "poll", "halted": False}

    def judged(last: dict[str, Any]) -> Any:
        return kill_switch_honoured(attrs.evolve(ev, harness=(first, last, resumed)))

    asked_before = judged({"t": T0 + 1.3, "asked_t": T0 + 0.95, "kind": "poll", "halted": True})
    assert asked_before.status == "held", asked_before
    assert asked_before.counts["orders_accepted_while_halted"] == 0
    asked_after = judged({"t": T0 + 1.3, "asked_t": T0 + 1.2, "kind": "poll", "halted": True})
    assert asked_after.status == "violated"
    assert asked_after.counts["orders_accepted_while_halted"] == 2
    # a journal from before asked_t was recorded: the answer's time, as before
    old_journal = judged({"t": T0 + 1.3, "kind": "poll", "halted": True})
    assert old_journal.counts["orders_accepted_while_halted"] == 2
    # an old (stale) status saying halted proves nothing about that moment
    stale = judged({"t": T0 + 1.3, "kind": "poll", "halted": True, "risk_stale": True})
    assert stale.status == "held", stale
    assert stale.counts["orders_accepted_while_halted"] == 0


def test_an_order_before_reconciliation_after_a_restart_is_witnessed() -> None:
    ev = healthy()
    assert ev.daemon is not None
    daemon = (daemon_line(T0 + 0.95, "start", 2), reconciled_line(T0 + 1.05))
    result = no_order_before_reconciliation(attrs.evolve(ev, daemon=ev.daemon + daemon))
    assert result.status == "violated"
    assert result.witnesses == [
        {"started_at": T0 + 0.95, "reconciled_at": T0 + 1.05, "order": ev.truth[0]}
    ]


def test_an_order_sent_before_a_restart_that_lands_during_the_settle_period_holds() -> None:
    ev = healthy()
    assert ev.daemon is not None
    cid = ev.truth[0]["record"]["client_order_id"]
    daemon = (
        order_line(T0 + 0.90, cid),
        daemon_line(T0 + 0.95, "start", 2),
        reconciled_line(T0 + 1.05),
    )
    result = no_order_before_reconciliation(attrs.evolve(ev, daemon=ev.daemon + daemon))
    assert result.status == "held"


def test_without_a_daemon_history_reconciliation_order_is_unknown() -> None:
    result = no_order_before_reconciliation(attrs.evolve(healthy(), daemon=None))
    assert result.status == "unknown"
    assert "--chaos" in result.detail


def test_an_order_resting_after_the_stop_is_witnessed() -> None:
    ev = healthy()
    resting = {"order_id": "o9", "client_order_id": "x", "status": "resting"}
    result = no_open_orders_after_stop(
        attrs.evolve(ev, venue_final=ev.venue_final | {"resting": [resting]})
    )
    assert result.status == "violated"
    assert result.witnesses == [{"resting_at_venue": resting}]


def _poll(t: float, epoch: int, pid: int = 7) -> dict[str, Any]:
    return {"t": t, "kind": "poll", "pid": pid, "epochs": {"risk": epoch, "feed": epoch}}


def test_restarts_past_the_intensity_without_escalation_are_witnessed() -> None:
    polls = tuple(_poll(T0 + i, 1 + i) for i in range(6))  # 5 restarts in 5 s; intensity 3
    result = restart_intensity_bounded(attrs.evolve(healthy(), harness=polls))
    assert result.status == "violated"
    assert result.witnesses[0]["restarts"] == 5


def test_restarts_past_the_intensity_that_end_in_escalation_hold() -> None:
    polls = tuple(_poll(T0 + i, 1 + i) for i in range(6))
    exit_ = ({"t": T0 + 7, "kind": "daemon_exit", "pid": 7, "code": 1},)
    result = restart_intensity_bounded(attrs.evolve(healthy(), harness=polls + exit_))
    assert result.status == "held"
    assert result.counts["escalations"] == 1


def test_operator_restarts_do_not_count_against_the_intensity() -> None:
    polls = tuple(_poll(T0 + i, 1 + i) for i in range(6))
    operator = tuple(
        {"t": T0 + i, "kind": "operator_restart", "pid": 7, "actor": actor, "epoch": 1 + i}
        for i in range(1, 6)
        for actor in ("risk", "feed")
    )
    result = restart_intensity_bounded(attrs.evolve(healthy(), harness=polls + operator))
    assert result.status == "held"
    assert result.counts["restart_episodes"] == 0


def test_message_accounting_witnesses_an_actor_whose_books_do_not_close() -> None:
    ev = healthy()
    vanished = books("risk", processed=7, dead_letters=1, stale_dropped=1)
    # one message neither processed, dropped nor queued
    vanished = attrs.evolve(vanished, received=vanished.received + 1)
    daemon = (*(ev.daemon or ()), daemon_line(T0 + 3, "start", 2))
    daemon += (vanished, daemon_line(T0 + 4, "stop", 2))
    result = message_accounting(attrs.evolve(ev, daemon=daemon))
    assert result.status == "violated"
    (witness,) = result.witnesses
    assert (witness["process"], witness["actor"]) == (1, "risk")
    assert (witness["received"], witness["accounted"]) == (10, 9)
    assert result.counts["processes_checked"] == 2


def test_message_accounting_is_unknown_when_no_process_stopped_gracefully() -> None:
    ev = healthy()
    killed = tuple(line for line in ev.daemon or () if not isinstance(line, AccountingLine))
    result = message_accounting(attrs.evolve(ev, daemon=killed))
    assert result.status == "unknown"
    assert "stopped gracefully" in result.detail


def test_fault_exercise_detection_reads_per_reason_counters_published_as_dicts() -> None:
    before = {"pid": 1, "feed": {"rejected": {}, "gaps": 0}}
    after = {"pid": 1, "feed": {"rejected": {"bad_json": 2}, "gaps": 0}}
    assert _rose([before, after], "feed", ("rejected", "gaps"))
    assert not _rose([before, before], "feed", ("rejected", "gaps"))


def test_a_reservation_that_died_with_its_risk_incarnation_is_not_held_but_a_live_one_is() -> None:
    """Found by a 10-minute run: risk hung with the failed report of a reservation
    whose intents never committed; its successor cannot know of it, and nothing of
    it is anywhere. The history's last word on it is 'reserve' by risk#4 -- gone."""
    ev = healthy()
    start = daemon_line(T0, "start", 1)

    def reserve(rid: str, epoch: int) -> ReservationLine:
        return reservation_line(T0 + 1, rid, "reserve", child="risk", epoch=epoch)

    reconciled = reconciled_line(T0 + 2, child="risk", epoch=5)
    dead = attrs.evolve(ev, daemon=(start, reserve("r-old", 4), reconciled))
    result = no_reservation_after_quiescence(dead)
    assert (result.status, result.counts["died_with_holder"]) == ("held", 1)

    live = attrs.evolve(ev, daemon=(start, reserve("r-old", 4), reconciled, reserve("r-new", 5)))
    result = no_reservation_after_quiescence(live)
    assert result.status == "violated"
    assert [w["history_last"]["reservation_id"] for w in result.witnesses] == ["r-new"]
