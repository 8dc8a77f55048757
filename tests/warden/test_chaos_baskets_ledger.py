"""The chaos harness reads the basket rows of a real schema v4 ledger as persistence wrote them."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from actors.domain import Action, Event, Fill, OrderIntent, OrderRole, Purpose, Side
from actors.errors import LedgerError
from actors.messages import (
    BasketPhase,
    BasketProgress,
    FillRecorded,
    IntentRecorded,
    MissingLeg,
    Outcome,
    Reservation,
    ReservationChanged,
    ReservationState,
    ReservedLeg,
    leg_client_order_id,
)
from actors.persistence import Ledger
from warden.chaos._ledger import LedgerLeg, LedgerProgress, read_ledger

D = Decimal
EVENT = Event("SIMEV", ("SIMEV-A", "SIMEV-B"), True)
RID = "SIMEV-1-1-1"
IDS = (leg_client_order_id(RID, 0), leg_client_order_id(RID, 1))
UNWIND = leg_client_order_id(RID, 0, OrderRole.UNWIND, 0)


def basket(state: ReservationState = ReservationState.HELD) -> Reservation:
    """YES of both markets of SIMEV, 10 each at $0.45 / $0.50."""
    legs = tuple(
        ReservedLeg(
            i, ticker, Side.YES, Action.BUY, D(10), price, price + D("0.02"), D("5.00"), IDS[i]
        )
        for i, (ticker, price) in enumerate(zip(EVENT.markets, (D("0.45"), D("0.50")), strict=True))
    )
    return Reservation(RID, EVENT, Purpose.ARBITRAGE, legs, D("10.00"), 2.0, 1, 1, state)


def unhedged() -> Reservation:
    """Released UNHEDGED: 10 YES of A held, 4 of B; B is 6 short."""
    missing = (MissingLeg(1, "SIMEV-B", Side.YES, D(6), IDS[1]),)
    return attrs.evolve(
        basket(ReservationState.RELEASED),
        outcome=Outcome.UNHEDGED,
        held=(D(10), D(4)),
        missing=missing,
        detail="unwind: no bid",
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "warden.db"
    clock = iter(float(t) for t in range(1000, 2000))
    with Ledger.open(path, wall=lambda: next(clock)) as ledger:
        intents = [
            IntentRecorded(
                OrderIntent(IDS[i], EVENT.markets[i], Side.YES, Action.BUY, D("0.45"), D(10)),
                RID,
                i,
                OrderRole.ENTRY,
            )
            for i in (0, 1)
        ]
        placing = BasketProgress(RID, BasketPhase.PLACING)
        ledger.write("r1", [ReservationChanged(basket()), *intents, placing])
        fill = Fill("t1", IDS[0], "SIMEV-A", Side.YES, Action.BUY, D("0.45"), D(10), fee=D("0.01"))
        settled = BasketProgress(
            RID, BasketPhase.LEGS_SETTLED, deadline_at=1002.5, held=(D(10), D(4))
        )
        ledger.write("r2", [FillRecorded(fill), settled])
        unwind = IntentRecorded(
            OrderIntent(UNWIND, "SIMEV-A", Side.YES, Action.SELL, D("0.40"), D(6)),
            RID,
            0,
            OrderRole.UNWIND,
        )
        ledger.write("r3", [unwind, BasketProgress(RID, BasketPhase.UNWINDING, attempt=0)])
        ledger.write("r4", [ReservationChanged(unhedged())])
    return path


def test_the_basket_rows_are_read_as_persistence_wrote_them(db: Path) -> None:
    rows = read_ledger(db)
    (reservation,) = rows.reservations
    assert (reservation.reservation_id, reservation.event_ticker) == (RID, "SIMEV")
    assert (reservation.event_markets, reservation.exclusive) == (EVENT.markets, True)
    assert (reservation.purpose, reservation.state, reservation.outcome) == (
        "arbitrage",
        "released",
        "unhedged",
    )
    assert (reservation.amount, reservation.complete_within_s) == (D("10.00"), 2.0)
    assert reservation.max_complete_attempts == 1
    assert rows.legs == (
        LedgerLeg(
            reservation_id=RID, leg=0, ticker="SIMEV-A", side="yes", action="buy",
            price=D("0.45"), max_price=D("0.47"), count=D(10), amount=D("5.00"), payout=D(1),
            client_order_id=IDS[0], held=D(10), missing=None,
        ),
        LedgerLeg(
            reservation_id=RID, leg=1, ticker="SIMEV-B", side="yes", action="buy",
            price=D("0.50"), max_price=D("0.52"), count=D(10), amount=D("5.00"), payout=D(1),
            client_order_id=IDS[1], held=D(4), missing=D(6),
        ),
    )  # fmt: skip
    assert [(p.phase, p.attempt, p.held) for p in rows.progress] == [
        ("placing", 0, ()),
        ("legs_settled", 0, (D(10), D(4))),
        ("unwinding", 0, ()),
    ]
    assert isinstance(rows.progress[1], LedgerProgress)
    assert rows.progress[1].deadline_at == 1002.5
    legs = {order.client_order_id: (order.leg, order.role) for order in rows.orders}
    assert legs == {IDS[0]: (0, "entry"), IDS[1]: (1, "entry"), UNWIND: (0, "unwind")}
    assert [order.client_order_id for order in rows.orders_of(RID)] == [*IDS, UNWIND]


def test_a_basket_row_of_the_wrong_shape_makes_the_ledger_unreadable(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("UPDATE basket_progress SET held = '[0.5]' WHERE phase = 'placing'")
    with pytest.raises(LedgerError, match="held must be a fixed-point"):
        read_ledger(db)
