"""Schema version 4 on real files: basket reservations with legs, progress, order legs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from actors.domain import Action, Event, Fill, OrderIntent, OrderRole, Purpose, Side
from actors.errors import LedgerSerializationError, LedgerWriteError
from actors.messages import (
    BasketPhase,
    BasketProgress,
    IntentRecorded,
    MissingLeg,
    Outcome,
    Reservation,
    ReservationChanged,
    ReservationState,
    ReservedLeg,
    leg_client_order_id,
)
from actors.persistence import (
    Ledger,
    LedgerConflictError,
    open_reservations,
    recorded_events,
)
from tests.actors.test_persistence_ledger import WALL, WallClock, complement

D = Decimal
WINNERS = Event("KX-WIN", ("KX-WIN-A", "KX-WIN-B", "KX-WIN-C"), True)


def basket(rid: str = "b-1", event: Event = WINNERS, count: str = "1.50") -> Reservation:
    """BUY YES of every market of ``event``, ``count`` each (held)."""
    legs = tuple(
        ReservedLeg(
            index, ticker, Side.YES, Action.BUY, D(count), D("0.30") + index * D("0.01"),
            D("0.33") + index * D("0.01"), D("0.5127"), leg_client_order_id(rid, index),
        )
        for index, ticker in enumerate(event.markets)
    )  # fmt: skip
    return Reservation(
        rid, event, Purpose.ARBITRAGE, legs, D("0.5127") * len(legs), 2.5, 3, owner_epoch=7
    )


def unhedged(reservation: Reservation) -> Reservation:
    """``reservation`` released after legs 0 and 2 filled in full and leg 1 for 0.5."""
    fills = tuple(
        Fill(f"f-{leg.index}", leg.client_order_id, leg.ticker, leg.side, leg.action, leg.price,
             D("0.50") if leg.index == 1 else leg.count)
        for leg in reservation.legs
    )  # fmt: skip
    settled = reservation.settlement(fills)
    return attrs.evolve(
        reservation,
        state=ReservationState.RELEASED,
        outcome=Outcome.UNHEDGED,
        held=settled.held,
        missing=settled.missing,
        detail="completion refused; unwind had no bid",
    )


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def ledger(db: Path, clock: WallClock) -> Iterator[Ledger]:
    with Ledger.open(db, wall=clock) as opened:
        yield opened


def test_a_three_leg_basket_reads_back_as_written_held_and_released(
    ledger: Ledger, db: Path, clock: WallClock
) -> None:
    held = basket()
    ledger.write("execution-1", (ReservationChanged(held),))
    assert [r.reservation for r in ledger.reservations()] == [held]
    assert open_reservations(db) == (held,)
    clock.now += 3
    released = unhedged(held)
    assert released.held == (D("1.50"), D("0.50"), D("1.50"))
    assert released.missing == (
        MissingLeg(1, "KX-WIN-B", Side.YES, D(1), leg_client_order_id("b-1", 1)),
    )
    ledger.write("risk-1", (ReservationChanged(released),))
    (record,) = ledger.reservations()
    assert (record.reservation, record.updated_at) == (released, WALL + 3)
    assert record.reservation.event == WINNERS
    assert all(type(h) is Decimal for h in record.reservation.held)
    assert open_reservations(db) == ()
    with sqlite3.connect(db) as raw:
        rows = raw.execute(
            "SELECT leg, held, missing FROM reservation_legs ORDER BY leg"
        ).fetchall()
        row = raw.execute(
            "SELECT event_markets, exclusive, outcome, created_at FROM reservations"
        ).fetchone()
    assert rows == [(0, "1.50", None), (1, "0.50", "1.00"), (2, "1.50", None)]
    assert row == ('["KX-WIN-A", "KX-WIN-B", "KX-WIN-C"]', 1, "unhedged", WALL)


def test_a_late_held_state_keeps_the_release_its_outcome_and_its_legs(
    ledger: Ledger, clock: WallClock
) -> None:
    released = unhedged(basket())
    ledger.write("risk-1", (ReservationChanged(released),))
    clock.now += 1
    ledger.write("execution-1", (ReservationChanged(basket()),))  # committed late
    (record,) = ledger.reservations()
    assert (record.reservation, record.updated_at) == (released, WALL)


def test_the_same_legs_again_are_a_no_op(ledger: Ledger) -> None:
    ledger.write("r1", (ReservationChanged(basket()),))
    in_doubt = attrs.evolve(basket(), state=ReservationState.IN_DOUBT)
    ledger.write("r2", (ReservationChanged(in_doubt),))
    assert [r.reservation for r in ledger.reservations()] == [in_doubt]


def _with_leg(reservation: Reservation, index: int, **changes: Any) -> Reservation:
    legs = list(reservation.legs)
    legs[index] = attrs.evolve(legs[index], **changes)
    return attrs.evolve(reservation, legs=tuple(legs))


@pytest.mark.parametrize(
    ("other", "field", "words"),
    [
        (_with_leg(basket(), 1, count=D(2)), "legs[1].count", ("leg 1", "'1.50', now '2.00'")),
        (_with_leg(basket(), 2, max_price=D("0.40")), "legs[2].max_price", ("leg 2",)),
        (_with_leg(basket(), 0, side=Side.NO), "legs[0].side", ("'yes', now 'no'",)),
        (
            _with_leg(basket(), 2, client_order_id="w-other"),
            "legs[2].client_order_id",
            ("leg 2",),
        ),
        (basket(event=Event("KX-WIN", ("KX-WIN-A", "KX-WIN-B"), True)), "legs", ("2 legs",)),
    ],
)
def test_legs_recorded_again_with_other_content_are_a_conflict_naming_the_leg(
    ledger: Ledger, other: Reservation, field: str, words: tuple[str, ...]
) -> None:
    ledger.write("r1", (ReservationChanged(basket()),))
    with pytest.raises(LedgerConflictError) as raised:
        ledger.write("r2", (ReservationChanged(attrs.evolve(other, detail="again")),))
    assert (raised.value.key, raised.value.field) == ("b-1", field)
    for word in words:
        assert word in str(raised.value)
    assert [r.reservation for r in ledger.reservations()] == [basket()]  # rolled back


def test_a_leg_id_another_reservation_owns_is_a_conflict(ledger: Ledger) -> None:
    ledger.write("r1", (ReservationChanged(basket("b-1")),))
    thief = _with_leg(basket("b-2"), 0, client_order_id=leg_client_order_id("b-1", 2))
    with pytest.raises(LedgerConflictError) as raised:
        ledger.write("r2", (ReservationChanged(thief),))
    assert (raised.value.key, raised.value.field) == ("b-2", "legs[0].client_order_id")
    assert "leg 2 of reservation 'b-1'" in str(raised.value)
    assert [r.reservation.reservation_id for r in ledger.reservations()] == ["b-1"]


@pytest.mark.parametrize(
    ("unfaithful", "field"),
    [
        (attrs.evolve(unhedged(basket()), held=(D(1), D(1))), "reservation.held"),
        (
            attrs.evolve(
                unhedged(basket()),
                missing=(MissingLeg(1, "KX-WIN-B", Side.YES, D(1), "w-not-its-id"),),
            ),
            "reservation.missing[0].client_order_id",
        ),
        (
            attrs.evolve(
                unhedged(basket()), missing=(MissingLeg(5, "KX-WIN-B", Side.YES, D(1), "w"),)
            ),
            "reservation.missing[0].index",
        ),
        (_with_leg(basket(), 1, payout=D(2)), "reservation.legs[1].payout"),
    ],
)
def test_a_reservation_the_tables_cannot_give_back_unchanged_is_refused(
    ledger: Ledger, unfaithful: Reservation, field: str
) -> None:
    with pytest.raises(LedgerSerializationError) as raised:
        ledger.write("r1", (ReservationChanged(unfaithful),))
    assert raised.value.field == field
    assert ledger.reservations() == ()


def test_basket_progress_is_appended_in_order_never_merged(
    ledger: Ledger, clock: WallClock
) -> None:
    steps = (
        BasketProgress("b-1", BasketPhase.PLACING),
        BasketProgress(
            "b-1", BasketPhase.LEGS_SETTLED, deadline_at=WALL + 2.5, held=(D(1), D("0.5"), D(1))
        ),
        BasketProgress("b-1", BasketPhase.COMPLETING, attempt=1),
        BasketProgress("b-2", BasketPhase.PLACING),
        BasketProgress(
            "b-1", BasketPhase.SETTLED, held=(D(1), D(1), D(1)), outcome=Outcome.FILLED, detail="ok"
        ),
    )
    ledger.write("r1", steps[:2])
    clock.now += 1
    ledger.write("r2", steps[2:])
    clock.now += 1
    ledger.write("r3", steps[2:3])  # the same step again is a second step
    every = ledger.basket_progress()
    assert [(p.id, p.progress, p.at) for p in every] == [
        (1, steps[0], WALL),
        (2, steps[1], WALL),
        (3, steps[2], WALL + 1),
        (4, steps[3], WALL + 1),
        (5, steps[4], WALL + 1),
        (6, steps[2], WALL + 2),
    ]
    assert [p.id for p in ledger.basket_progress("b-1")] == [1, 2, 3, 5, 6]
    assert ledger.basket_progress("b-9") == ()
    with sqlite3.connect(ledger.path) as raw:
        assert raw.execute("SELECT held FROM basket_progress WHERE id = 2").fetchone() == (
            '["1.00", "0.50", "1.00"]',
        )


def test_an_intent_is_recorded_with_its_leg_and_role(ledger: Ledger) -> None:
    rid = "b-1"
    cid = leg_client_order_id(rid, 2, OrderRole.COMPLETE, 1)
    intent = IntentRecorded(
        OrderIntent(cid, "KX-WIN-C", Side.YES, Action.BUY, D("0.33"), D(1)),
        rid,
        2,
        OrderRole.COMPLETE,
    )
    ledger.write("r1", (intent,))
    again = ledger.write("r2", (intent,))
    assert again.duplicates == 1
    (record,) = ledger.orders()
    assert (record.opportunity_id, record.leg, record.role) == (rid, 2, OrderRole.COMPLETE)
    with pytest.raises(LedgerConflictError) as raised:
        ledger.write("r3", (attrs.evolve(intent, role=OrderRole.UNWIND),))
    assert (raised.value.key, raised.value.field) == (cid, "role")


def test_the_events_of_recorded_reservations_seed_risk_latest_definition_per_market(
    ledger: Ledger, db: Path, clock: WallClock
) -> None:
    assert recorded_events(db.with_name("none.db")) == ()
    narrowed = Event("KX-WIN", ("KX-WIN-A", "KX-WIN-B"), True)
    ledger.write("r1", (ReservationChanged(basket("b-1")),))
    clock.now += 1
    ledger.write("r2", (ReservationChanged(complement()),))
    clock.now += 1
    ledger.write("r3", (ReservationChanged(basket("b-2", narrowed)),))
    clock.now += 1
    ledger.write("r4", (ReservationChanged(basket("b-3", narrowed)),))
    # KX-WIN-C is named only by the first definition; A and B by the later one
    assert recorded_events(db) == (WINNERS, Event.single("KX-A"), narrowed)


@pytest.mark.parametrize(
    ("table", "column", "value", "constraint"),
    [
        ("reservation_legs", "leg", 64, "leg_range"),
        ("reservation_legs", "price", "0.3", "price_exact"),
        ("reservation_legs", "max_price", "1.0000", "max_price_exact"),
        ("reservation_legs", "held", 1.5, "held_exact"),
        ("reservation_legs", "missing", "0.00", "missing_exact"),
        ("reservations", "exclusive", 2, "exclusive_flag"),
        ("reservations", "event_markets", "[]", "event_markets_json"),
        ("reservations", "purpose", "hedge", "purpose_known"),
        ("reservations", "max_complete_attempts", 10, "max_complete_attempts_range"),
        ("reservations", "complete_within_s", -1.0, "complete_within_s_range"),
        ("reservations", "outcome", "won", "outcome_known"),
        ("orders", "leg", -1, "leg_range"),
        ("orders", "role", "hedge", "role_known"),
        ("basket_progress", "phase", "dancing", "phase_known"),
        ("basket_progress", "held", "1.00", "held_json"),
        ("basket_progress", "attempt", -1, "attempt_range"),
    ],
)
def test_a_hand_edited_row_is_refused_by_a_named_check(
    ledger: Ledger, table: str, column: str, value: object, constraint: str
) -> None:
    cid = leg_client_order_id("b-1", 0)
    ledger.write(
        "r1",
        (
            ReservationChanged(unhedged(basket())),
            BasketProgress("b-1", BasketPhase.PLACING),
            IntentRecorded(
                OrderIntent(cid, "KX-WIN-A", Side.YES, Action.BUY, D("0.30"), D(1)),
                "b-1",
                0,
                OrderRole.ENTRY,
            ),
        ),
    )
    with sqlite3.connect(ledger.path) as raw, pytest.raises(sqlite3.IntegrityError) as raised:
        raw.execute(f"UPDATE {table} SET {column} = ?", (value,))  # noqa: S608 - test names
    assert constraint in str(raised.value)


def test_a_write_the_schema_refuses_fails_as_a_write_error(ledger: Ledger) -> None:
    too_many = attrs.evolve(basket(), max_complete_attempts=10)
    with pytest.raises(LedgerWriteError, match="max_complete_attempts_range"):
        ledger.write("r1", (ReservationChanged(too_many),))
    assert ledger.reservations() == ()


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ("DELETE FROM reservation_legs", "legs"),  # a reservation has 1..64 legs
        ("UPDATE reservation_legs SET payout = '2.0000' WHERE leg = 1", "legs.payout"),
        ("UPDATE reservation_legs SET held = NULL WHERE leg = 2", "legs.held"),
        ('UPDATE reservations SET event_markets = \'["KX-WIN-A", "KX-WIN-A"]\'', "event"),
    ],
)
def test_a_hand_edited_reservation_that_is_no_reservation_is_refused_on_read(
    ledger: Ledger, edit: str, field: str
) -> None:
    ledger.write("r1", (ReservationChanged(unhedged(basket())),))
    with sqlite3.connect(ledger.path) as raw:
        raw.execute("PRAGMA foreign_keys = ON")
        raw.execute(edit)
    with pytest.raises(LedgerSerializationError) as raised:
        ledger.reservations()
    assert raised.value.field == field
    assert raised.value.operation == "read reservations"
