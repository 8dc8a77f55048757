"""The SQLite ledger on real files: what each event does, atomicity, reads, WAL."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from actors.domain import (
    Action,
    Event,
    Fill,
    OrderIntent,
    OrderRole,
    OrderState,
    Position,
    Purpose,
    Side,
)
from actors.errors import LedgerError, LedgerSerializationError, LedgerWriteError
from actors.messages import (
    AuditEvent,
    FillRecorded,
    IntentRecorded,
    IntentsAbandoned,
    OrderUpdated,
    Reservation,
    ReservationChanged,
    ReservationState,
    ReservedLeg,
    VenueReconciled,
    leg_client_order_id,
)
from actors.persistence import (
    DailyStats,
    Ledger,
    LedgerConflictError,
    OrderRecord,
    open_reservations,
    recorded_fills,
    utc_day,
)

WALL = 1_800_000_000.0  # 2027-01-15T08:00:00Z


class WallClock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = WALL) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


D = Decimal


def intent(
    cid: str = "c-yes",
    *,
    side: Side = Side.YES,
    price: str = "0.40",
    count: str = "2",
    leg: int = 0,
    role: OrderRole = OrderRole.ENTRY,
) -> IntentRecorded:
    return IntentRecorded(
        OrderIntent(cid, "KX-A", side, Action.BUY, D(price), D(count)), "opp-1", leg, role
    )


def fill(
    fill_id: str = "f-1",
    cid: str = "c-yes",
    *,
    side: Side = Side.YES,
    action: Action = Action.BUY,
    price: str = "0.40",
    count: str = "2",
    fee: str = "0.01",
    ticker: str = "KX-A",
) -> FillRecorded:
    return FillRecorded(Fill(fill_id, cid, ticker, side, action, D(price), D(count), fee=D(fee)))


def open_intents(ledger: Ledger) -> tuple[OrderRecord, ...]:
    """The orders still possibly live at the venue (not terminal), oldest first."""
    return tuple(record for record in ledger.orders() if not record.order.state.is_terminal)


def complement(state: ReservationState = ReservationState.HELD, rid: str = "opp-1") -> Reservation:
    """The two-leg complement of KX-A: 2 contracts each, YES at 0.40 and NO at 0.50."""
    legs = (
        ReservedLeg(
            0, "KX-A", Side.YES, Action.BUY, D(2), D("0.40"), D("0.42"), D("0.86"),
            leg_client_order_id(rid, 0),
        ),
        ReservedLeg(
            1, "KX-A", Side.NO, Action.BUY, D(2), D("0.50"), D("0.52"), D("1.06"),
            leg_client_order_id(rid, 1),
        ),
    )  # fmt: skip
    return Reservation(
        rid, Event.single("KX-A"), Purpose.ARBITRAGE, legs, D("1.92"), 2.0, 1, 1, state
    )


def reservation(state: ReservationState = ReservationState.HELD) -> ReservationChanged:
    return ReservationChanged(complement(state))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def ledger(db: Path, clock: WallClock):
    with Ledger.open(db, wall=clock) as opened:
        yield opened


def test_a_new_ledger_is_in_wal_mode_with_full_sync_and_foreign_keys(ledger: Ledger) -> None:
    settings = ledger.settings()
    assert settings["journal_mode"] == "wal"
    assert settings["synchronous"] == 2  # FULL
    assert settings["foreign_keys"] == 1
    with sqlite3.connect(ledger.path) as other:  # WAL is a property of the file
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_intent_is_recorded_as_new_with_its_opportunity(ledger: Ledger) -> None:
    result = ledger.write("r1", (intent(),))
    assert (result.orders_recorded, result.events, result.committed_at) == (1, 1, WALL)
    (record,) = ledger.orders()
    assert record.order.state is OrderState.NEW
    assert record.order.intent == intent().intent
    assert (record.opportunity_id, record.created_at, record.updated_at) == ("opp-1", WALL, WALL)
    assert open_intents(ledger) == (record,)


def test_the_same_intent_twice_is_a_no_op_but_other_content_is_a_conflict(
    ledger: Ledger,
) -> None:
    ledger.write("r1", (intent(),))
    again = ledger.write("r2", (intent(),))
    assert (again.orders_recorded, again.duplicates) == (0, 1)
    with pytest.raises(LedgerConflictError) as raised:
        ledger.write("r3", (intent(price="0.41"),))
    assert (raised.value.key, raised.value.field) == ("c-yes", "price")
    assert "c-yes" in str(raised.value)
    assert "'0.4000', now '0.4100'" in str(raised.value)  # the stored text, exact
    assert [r.order.intent.price for r in ledger.orders()] == [D("0.40")]


def test_an_order_update_moves_state_fill_count_and_venue_id(
    ledger: Ledger, clock: WallClock
) -> None:
    ledger.write("r1", (intent(),))
    clock.now += 5
    ledger.write("r2", (OrderUpdated("c-yes", OrderState.ACCEPTED, D(0), "v-9"),))
    ledger.write("r3", (OrderUpdated("c-yes", OrderState.PARTIALLY_FILLED, D("1.5")),))
    (record,) = ledger.orders()
    assert (record.order.state, record.order.filled_count) == (
        OrderState.PARTIALLY_FILLED,
        D("1.5"),
    )
    assert record.order.venue_order_id == "v-9"  # None in an update keeps the known id
    assert (record.created_at, record.updated_at) == (WALL, WALL + 5)


def test_filled_count_never_decreases(ledger: Ledger) -> None:
    ledger.write(
        "r1", (intent(count="3"), OrderUpdated("c-yes", OrderState.PARTIALLY_FILLED, D(2)))
    )
    with pytest.raises(LedgerConflictError) as raised:
        ledger.write("r2", (OrderUpdated("c-yes", OrderState.PARTIALLY_FILLED, D("1.99")),))
    assert (raised.value.key, raised.value.field) == ("c-yes", "filled_count")
    assert "from 2" in str(raised.value)
    assert "to 1.99" in str(raised.value)
    assert ledger.orders()[0].order.filled_count == D(2)


@pytest.mark.parametrize(
    ("update", "field"),
    [
        (OrderUpdated("c-yes", OrderState.CANCELED, D(2)), "state"),  # FILLED is terminal
        (OrderUpdated("c-yes", OrderState.FILLED, D(2), "v-other"), "venue_order_id"),
        (OrderUpdated("c-nope", OrderState.ACCEPTED, D(0)), "client_order_id"),
    ],
)
def test_an_update_that_contradicts_the_ledger_is_refused_naming_the_field(
    ledger: Ledger, update: OrderUpdated, field: str
) -> None:
    ledger.write("r1", (intent(), OrderUpdated("c-yes", OrderState.FILLED, D(2), "v-1")))
    with pytest.raises(LedgerConflictError) as raised:
        ledger.write("r2", (update,))
    assert (raised.value.key, raised.value.field) == (update.client_order_id, field)


def test_an_update_inconsistent_with_the_order_machine_is_refused(ledger: Ledger) -> None:
    ledger.write("r1", (intent(),))
    with pytest.raises(LedgerConflictError) as raised:  # FILLED with 1 of 2 filled
        ledger.write("r2", (OrderUpdated("c-yes", OrderState.FILLED, D(1)),))
    assert raised.value.field == "filled_count"


def test_the_same_fill_twice_is_a_no_op_so_venue_fills_can_be_reimported(ledger: Ledger) -> None:
    first = ledger.write("r1", (fill(),))
    second = ledger.write("r2", (fill(), fill()))
    assert (first.fills_recorded, second.fills_recorded, second.duplicates) == (1, 0, 2)
    assert [r.fill for r in ledger.fills()] == [fill().fill]
    (day,) = ledger.daily_stats()
    assert (day.fills, day.contracts, day.fees) == (1, D(2), D("0.01"))


def test_a_reconciliation_that_re_reports_the_ledger_journals_nothing_new(
    ledger: Ledger, db: Path
) -> None:
    """Restart cost independent of history (issue 15): what the ledger already has is
    not journaled again; what it lacks is."""

    def journaled() -> list[str]:
        with sqlite3.connect(db) as conn:
            return [kind for (kind,) in conn.execute("SELECT kind FROM events ORDER BY id")]

    update = OrderUpdated("c-yes", OrderState.FILLED, D(2), "v-1")
    ledger.write("trade", (intent(), update, fill()))
    before = journaled()
    assert len(before) == 3
    again = ledger.write("reconcile-1", (intent(), update, fill()))
    assert again.duplicates == 2  # the intent and the fill
    assert journaled() == before
    ledger.write("reconcile-2", (intent(), update, fill(), fill("f-2", count="1")))
    assert journaled() == [*before, "fill_recorded"]  # only the fill it lacked


def test_a_fill_id_reused_for_another_fill_is_a_conflict(ledger: Ledger) -> None:
    ledger.write("r1", (fill(),))
    with pytest.raises(LedgerConflictError) as raised:
        ledger.write("r2", (fill(count="1"),))
    assert (raised.value.key, raised.value.field) == ("f-1", "count")


def test_a_record_is_atomic_a_conflict_after_good_events_leaves_nothing(
    ledger: Ledger,
) -> None:
    ledger.write("r0", (intent("c-old"),))
    events = (
        intent(),
        fill(),
        reservation(),
        AuditEvent("halt", "operator", "cli"),
        OrderUpdated("c-old", OrderState.ACCEPTED, D(0)),
        OrderUpdated("c-unknown", OrderState.ACCEPTED, D(0)),  # fails here, inside the txn
    )
    with pytest.raises(LedgerConflictError) as raised:
        ledger.write("r1", events)
    assert "events[5] order_updated" in raised.value.operation
    assert [r.client_order_id for r in ledger.orders()] == ["c-old"]
    assert ledger.orders()[0].order.state is OrderState.NEW
    assert ledger.fills() == ledger.reservations() == ledger.audit() == ()
    assert ledger.daily_stats() == (DailyStats(utc_day(WALL), records=1, orders_recorded=1),)
    ledger.write("r2", events[:-1])  # the ledger is still usable
    assert len(ledger.orders()) == 2


def test_an_event_that_cannot_be_encoded_fails_fast_naming_the_field(ledger: Ledger) -> None:
    bad = OrderUpdated("c-yes", OrderState.ACCEPTED, 1.0)  # type: ignore[arg-type]
    with pytest.raises(LedgerSerializationError) as raised:
        ledger.write("r0", (intent(), OrderUpdated("c-yes", OrderState.ACCEPTED, 0)))  # type: ignore[arg-type]
    assert raised.value.field == "events[1].filled_count"  # an int is not a Decimal either
    with pytest.raises(LedgerSerializationError) as raised:
        ledger.write("r1", (intent(), bad))
    assert raised.value.field == "events[1].filled_count"
    assert ledger.orders() == ()
    with pytest.raises(LedgerSerializationError) as unknown:
        ledger.write("r2", (intent(), "not an event"))  # type: ignore[arg-type]
    assert unknown.value.field == "events[1]"
    assert "unknown ledger event type str" in str(unknown.value)


def test_venue_reconciled_expires_open_intents_missing_at_the_venue(ledger: Ledger) -> None:
    ledger.write(
        "r1",
        (
            intent("c-live"),
            intent("c-never-sent"),
            intent("c-partial", count="3"),
            intent("c-done"),
            OrderUpdated("c-live", OrderState.ACCEPTED, D(0)),
            OrderUpdated("c-partial", OrderState.PARTIALLY_FILLED, D(1)),
            OrderUpdated("c-done", OrderState.FILLED, D(2)),
        ),
    )
    result = ledger.write("r2", (VenueReconciled(("c-live", "c-elsewhere")),))
    states = {r.client_order_id: r.order.state for r in ledger.orders()}
    assert states == {
        "c-live": OrderState.ACCEPTED,
        "c-never-sent": OrderState.EXPIRED,
        "c-partial": OrderState.EXPIRED,
        "c-done": OrderState.FILLED,
    }
    assert result.orders_expired == 2
    assert [r.client_order_id for r in open_intents(ledger)] == ["c-live"]
    assert ledger.daily_stats()[0].orders_expired == 2


def test_positions_and_cash_come_from_the_fills(ledger: Ledger) -> None:
    ledger.write(
        "r1",
        (
            fill("f-1", price="0.40", count="3", fee="0.02"),
            fill("f-2", "c-no", side=Side.NO, price="0.55", count="3", fee="0.02"),
            fill("f-3", "c-sell", action=Action.SELL, price="0.45", count="1", fee="0.01"),
            fill("f-4", "c-b", price="0.30", count="1", fee="0", ticker="KX-B"),
        ),
    )
    assert ledger.positions() == (
        Position(
            "KX-A",
            yes_count=D(2),
            no_count=D(3),
            cash=D("-1.20") - D("0.02") - D("1.65") - D("0.02") + D("0.45") - D("0.01"),
        ),
        Position("KX-B", yes_count=D(1), no_count=D(0), cash=D("-0.30")),
    )
    (day,) = ledger.daily_stats()
    assert day.cash_flow == sum(p.cash for p in ledger.positions())


def test_sub_penny_prices_and_fractional_counts_are_kept_exactly(ledger: Ledger, db: Path) -> None:
    ledger.write(
        "r1",
        (
            intent("c-frac", price="0.4213", count="1.38"),
            fill("f-1", "c-frac", price="0.4213", count="1.37", fee="0.0405"),
            fill("f-2", "c-frac", price="0.4213", count="0.01", fee="0.0001"),
        ),
    )
    # 0.4213 x 1.37 = 0.577181 and 0.4213 x 0.01 = 0.004213: six decimals, not rounded
    (position,) = ledger.positions()
    assert (position.yes_count, position.cash) == (D("1.38"), D("-0.621994"))
    (day,) = ledger.daily_stats()
    assert (day.contracts, day.fees, day.cash_flow) == (D("1.38"), D("0.0406"), D("-0.621994"))
    assert [r.fill.price for r in ledger.fills()] == [D("0.4213"), D("0.4213")]
    assert ledger.orders()[0].order.intent.count == D("1.38")
    with sqlite3.connect(db) as raw:  # stored as canonical fixed-point TEXT
        assert raw.execute(
            "SELECT price, typeof(price), count, fee, payout FROM fills WHERE fill_id = 'f-1'"
        ).fetchone() == ("0.4213", "text", "1.37", "0.0405", "1.0000")
        assert raw.execute("SELECT contracts, fees, cash_flow FROM daily_stats").fetchone() == (
            "1.38",
            "0.0406",
            "-0.621994",
        )


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("price", 0.4),  # a number, not text
        ("price", "0.4"),  # not 4 decimals
        ("price", "1.0000"),  # not below the payout
        ("price", "0.0000"),  # not above 0
        ("price", "4e-1"),
        ("count", "0.00"),
        ("count", "2.5"),
        ("count", 2),
        ("fee", "-0.0100"),
        ("fee", "0.01"),
        ("payout", "01.0000"),
    ],
)
def test_the_schema_refuses_a_stored_amount_that_is_not_exact_canonical_text(
    ledger: Ledger, db: Path, column: str, value: object
) -> None:
    good = {
        "fill_id": "f-x",
        "client_order_id": "c-x",
        "ticker": "KX-A",
        "side": "yes",
        "action": "buy",
        "price": "0.4000",
        "count": "2.00",
        "fee": "0.0100",
        "payout": "1.0000",
        "recorded_at": WALL,
    }
    insert = f"INSERT INTO fills ({', '.join(good)}) VALUES ({', '.join('?' * len(good))})"  # noqa: S608 - fixed names
    with sqlite3.connect(db) as raw:
        raw.execute(insert, tuple(good.values()))  # the good row is accepted
        raw.execute("DELETE FROM fills")
        with pytest.raises(sqlite3.IntegrityError, match=f"CHECK constraint failed: {column}"):
            raw.execute(insert, tuple({**good, column: value}.values()))


def test_reservations_are_upserted_and_filtered_by_state(ledger: Ledger, clock: WallClock) -> None:
    ledger.write("r1", (reservation(),))
    clock.now += 1
    ledger.write("r2", (reservation(ReservationState.IN_DOUBT),))
    (record,) = ledger.reservations()
    assert (record.reservation.state, record.updated_at) == (ReservationState.IN_DOUBT, WALL + 1)
    assert ledger.reservations(ReservationState.HELD) == ()
    assert ledger.reservations(ReservationState.IN_DOUBT) == (record,)


@pytest.mark.parametrize("later", [ReservationState.IN_DOUBT, ReservationState.RELEASED])
def test_a_late_held_state_never_overwrites_a_later_one(
    ledger: Ledger, clock: WallClock, later: ReservationState
) -> None:
    # execution's intents Record (carrying HELD) can commit after risk's release
    ledger.write("risk-1", (reservation(later),))
    clock.now += 1
    ledger.write("execution-1", (reservation(ReservationState.HELD),))
    (record,) = ledger.reservations()
    assert (record.reservation.state, record.updated_at) == (later, WALL)
    clock.now += 1
    ledger.write("risk-2", (reservation(ReservationState.RELEASED),))
    assert ledger.reservations()[0].reservation.state is ReservationState.RELEASED


def test_audit_events_are_appended_with_ids_and_times(ledger: Ledger, clock: WallClock) -> None:
    ledger.write("r1", (AuditEvent("halt", "kill switch", "cli"),))
    clock.now += 2
    ledger.write("r2", (AuditEvent("resume", "", "cli"),))
    assert [(a.id, a.kind, a.source, a.at) for a in ledger.audit()] == [
        (1, "halt", "cli", WALL),
        (2, "resume", "cli", WALL + 2),
    ]


def test_daily_stats_are_kept_per_utc_day_of_the_wall_clock(
    ledger: Ledger, clock: WallClock
) -> None:
    clock.now = 1_800_057_599.0  # 2027-01-15T23:59:59Z
    ledger.write("r1", (intent("c-1"), fill("f-1", "c-1")))
    clock.now += 1  # midnight UTC
    ledger.write("r2", (intent("c-2"), AuditEvent("halt", "", "cli")))
    assert ledger.daily_stats() == (
        DailyStats(
            "2027-01-15",
            records=1,
            orders_recorded=1,
            fills=1,
            contracts=D(2),
            fees=D("0.01"),
            cash_flow=D("-0.81"),
        ),
        DailyStats("2027-01-16", records=1, orders_recorded=1, audit_events=1),
    )


def test_a_reader_sees_what_the_writer_committed_while_the_writer_is_open(
    ledger: Ledger, db: Path
) -> None:
    ledger.write("r1", (intent(),))
    with Ledger.open_read_only(db) as reader:
        assert [r.client_order_id for r in reader.orders()] == ["c-yes"]
        ledger.write("r2", (fill(),))
        assert [r.fill.fill_id for r in reader.fills()] == ["f-1"]
        with reader.consistent_view():  # one snapshot: a later commit is not seen inside
            before = reader.fills()
            ledger.write("r3", (fill("f-2"),))
            assert reader.fills() == before
        assert len(reader.fills()) == 2


def test_a_read_only_ledger_never_writes(ledger: Ledger, db: Path) -> None:
    with Ledger.open_read_only(db) as reader, pytest.raises(LedgerWriteError):
        reader.write("r1", (intent(),))
    assert ledger.orders() == ()


def test_opening_read_only_a_missing_file_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    with pytest.raises(LedgerError, match="no ledger at"):
        Ledger.open_read_only(missing)
    assert not missing.exists()


def test_opening_a_ledger_in_a_missing_directory_names_the_path(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "ledger.db"
    with pytest.raises(LedgerWriteError) as raised:
        Ledger.open(target, wall=WallClock())
    assert str(target) in str(raised.value)
    assert raised.value.operation == "open"


def test_only_records_holding_an_intent_pay_for_an_fsync(ledger: Ledger) -> None:
    ledger.write("r1", (reservation(),))
    assert ledger.settings()["synchronous"] == 1  # NORMAL: crash-safe in WAL, no fsync
    ledger.write("r2", (intent("c-1"),))
    assert ledger.settings()["synchronous"] == 2  # FULL: the intent gates an order
    ledger.write("r3", (reservation(ReservationState.RELEASED),))
    assert ledger.settings()["synchronous"] == 1


def test_intents_may_be_made_crash_safe_only_for_speed(db: Path, clock: WallClock) -> None:
    with Ledger.open(db, wall=clock, intent_sync="NORMAL") as fast:
        fast.write("r1", (intent("c-1"),))
        assert fast.settings()["synchronous"] == 1
        assert [o.order.client_order_id for o in open_intents(fast)] == ["c-1"]
    with pytest.raises(ValueError, match="intent_sync = 'SOMETIMES'"):
        Ledger.open(db, wall=clock, intent_sync="SOMETIMES")  # type: ignore[arg-type]


def test_abandoned_intents_expire_only_if_still_new_and_unknown_ids_are_ignored(
    ledger: Ledger,
) -> None:
    ledger.write("r1", (intent("c-sent"), intent("c-never", side=Side.NO)))
    ledger.write("r2", (OrderUpdated("c-sent", OrderState.ACCEPTED, D(0), "v-1"),))
    ledger.write("r3", (IntentsAbandoned(("c-sent", "c-never", "c-unknown"), "record timed out"),))
    states = {o.order.client_order_id: o.order.state for o in ledger.orders()}
    assert states == {"c-sent": OrderState.ACCEPTED, "c-never": OrderState.EXPIRED}


def test_the_start_up_readers_return_exact_decimal_domain_values(ledger: Ledger, db: Path) -> None:
    ledger.write("r1", (fill("f-1", price="0.4213", count="1.37", fee="0.0405"), reservation()))
    ((recorded, at),) = [(r.fill, r.recorded_at) for r in recorded_fills(db)]
    assert recorded == fill("f-1", price="0.4213", count="1.37", fee="0.0405").fill
    assert (recorded.price, recorded.count, recorded.fee, at) == (
        D("0.4213"),
        D("1.37"),
        D("0.0405"),
        WALL,
    )
    assert all(type(v) is Decimal for v in (recorded.price, recorded.count, recorded.fee))
    (held,) = open_reservations(db)
    assert held == reservation().reservation
    yes, no = held.legs
    assert (yes.count, yes.price, no.price, no.max_price, no.amount, held.amount) == (
        D(2),
        D("0.40"),
        D("0.50"),
        D("0.52"),
        D("1.06"),
        D("1.92"),
    )
    assert all(type(v) is Decimal for v in (yes.count, yes.price, no.amount, held.amount))
