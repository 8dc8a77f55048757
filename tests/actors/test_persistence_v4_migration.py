"""Schema version 3 -> 4: reservations become two-leg baskets under their legacy ids."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Event, Fill, OrderIntent, OrderRole, OrderState, Purpose, Side
from actors.messages import (
    AuditEvent,
    FillRecorded,
    IntentRecorded,
    OrderUpdated,
    Outcome,
    Reservation,
    ReservationChanged,
    ReservationState,
    ReservedLeg,
)
from actors.persistence import (
    SCHEMA_VERSION,
    Ledger,
    LedgerSchemaError,
    decode_event,
    open_reservations,
    recorded_events,
)
from actors.persistence._migrate_v4 import convert_payload
from actors.persistence._schema import migrate
from tests.actors.test_persistence_ledger import WALL, WallClock

D = Decimal


def legacy_id(opportunity_id: str, side: str) -> str:
    """Version 3's client order id, written out here so a change to the migration's
    copy of it is caught."""
    return f"w{hashlib.sha256(f'{opportunity_id}:{side}'.encode()).hexdigest()[:20]}{side[0]}"


def legacy_complement(  # noqa: PLR0917 - version 3's columns, in its order
    rid: str,
    ticker: str,
    count: Decimal,
    yes_price: Decimal,
    no_price: Decimal,
    amount: Decimal,
    owner_epoch: int | None,
    state: ReservationState,
) -> Reservation:
    """What a version 3 reservation (its columns in version 3's order) reads as at
    version 4: leg 0 YES, leg 1 NO, leg 1's amount ``no_price x count``, leg 0 the rest."""
    no_amount = no_price * count
    legs = tuple(
        ReservedLeg(
            index, ticker, side, Action.BUY, count, price, price, leg_amount,
            legacy_id(rid, side.value),
        )
        for index, (side, price, leg_amount) in enumerate(
            ((Side.YES, yes_price, amount - no_amount), (Side.NO, no_price, no_amount))
        )
    )  # fmt: skip
    return Reservation(
        rid, Event.single(ticker), Purpose.ARBITRAGE, legs, amount, 0.0, 0, owner_epoch, state
    )


def _payload(value: dict[str, object]) -> str:
    return json.dumps(value, allow_nan=False, sort_keys=True)  # as version 3's encoder wrote


def _v3_reservation(  # noqa: PLR0917 - version 3's keys
    rid: str, ticker: str, count: str, yes: str, no: str, amount: str, epoch: int, state: str
) -> dict[str, object]:
    return {
        "reservation": {
            "amount": amount,
            "count": count,
            "no_price": no,
            "owner_epoch": epoch,
            "reservation_id": rid,
            "state": state,
            "ticker": ticker,
            "yes_price": yes,
        }
    }


def _v3_intent(  # noqa: PLR0917 - version 3's keys
    cid: str, rid: str, side: str, action: str, price: str, count: str
) -> dict[str, object]:
    intent = {
        "action": action,
        "client_order_id": cid,
        "count": count,
        "payout": "1",
        "price": price,
        "side": side,
        "ticker": "KX-A" if rid == "opp-open" else "KX-B",
    }
    return {"intent": intent, "opportunity_id": rid}


OPEN_YES, OPEN_NO = legacy_id("opp-open", "yes"), legacy_id("opp-open", "no")
DONE_YES, DONE_NO = legacy_id("opp-done", "yes"), legacy_id("opp-done", "no")
DONE_UNWIND_YES = legacy_id("opp-done:unwind", "yes")

# opp-open: 3 @ 0.41 / 0.58, amount 3.03 -> legs 1.29 + 1.74 (held, epoch 1)
# opp-done: 1.37 @ 0.4213 / 0.56, amount 1.36 -> legs 0.5928 + 0.7672 (released, epoch 2)
OPEN = legacy_complement(
    "opp-open", "KX-A", D(3), D("0.41"), D("0.58"), D("3.03"), 1, ReservationState.HELD
)
DONE = legacy_complement(
    "opp-done", "KX-B", D("1.37"), D("0.4213"), D("0.56"), D("1.36"), 2, ReservationState.RELEASED
)
OPEN_FILL = Fill("f-1", OPEN_YES, "KX-A", Side.YES, Action.BUY, D("0.41"), D(3), fee=D("0.05"))


def version_three_file(
    path: Path, *, fix: Callable[[sqlite3.Connection], object] | None = None
) -> None:
    """A ledger as the exact-money code (schema version 3) left it: one reservation open
    (both legs placed, YES filled), one released after its NO leg missed and its YES
    leg was unwound, an order no version 3 code sent, and the journal of it all;
    ``fix`` may then break a row."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert migrate(conn, path, WallClock(), target=3) == 3
        orders = [
            (OPEN_YES, "opp-open", "KX-A", "yes", "buy", "0.4100", "3.00", "filled", "3.00"),
            (OPEN_NO, "opp-open", "KX-A", "no", "buy", "0.5800", "3.00", "accepted", "0.00"),
            (DONE_YES, "opp-done", "KX-B", "yes", "buy", "0.4213", "1.37", "filled", "1.37"),
            (DONE_NO, "opp-done", "KX-B", "no", "buy", "0.5600", "1.37", "canceled", "0.00"),
            (DONE_UNWIND_YES, "opp-done", "KX-B", "yes", "sell", "0.4000", "1.37", "filled",
             "1.37"),
            ("c-other", "manual", "KX-B", "no", "sell", "0.3000", "1.00", "expired", "0.00"),
        ]  # fmt: skip
        for cid, rid, ticker, side, action, price, count, state, filled in orders:
            conn.execute(
                "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, '1.0000', ?, ?, NULL, ?, ?)",
                (cid, rid, ticker, side, action, price, count, state, filled, WALL, WALL),
            )
        conn.execute(
            "INSERT INTO fills VALUES ('f-1', ?, 'KX-A', 'yes', 'buy', '0.4100', '3.00',"
            " '0.0500', '1.0000', ?)",
            (OPEN_YES, WALL),
        )
        conn.execute(
            "INSERT INTO reservations VALUES ('opp-open', 'KX-A', '3.00', '0.4100', '0.5800',"
            " '3.0300', 1, 'held', ?)",
            (WALL,),
        )
        conn.execute(
            "INSERT INTO reservations VALUES ('opp-done', 'KX-B', '1.37', '0.4213', '0.5600',"
            " '1.3600', 2, 'released', ?)",
            (WALL + 1,),
        )
        conn.execute("INSERT INTO records VALUES (1, 'execution-1-1', ?, 4)", (WALL,))
        conn.execute("INSERT INTO records VALUES (2, 'risk-1-1', ?, 4)", (WALL + 1,))
        events: list[tuple[int, int, str, dict[str, object]]] = [
            (1, 0, "reservation_changed",
             _v3_reservation("opp-open", "KX-A", "3", "0.41", "0.58", "3.03", 1, "held")),
            (1, 1, "intent_recorded", _v3_intent(OPEN_YES, "opp-open", "yes", "buy", "0.41", "3")),
            (1, 2, "intent_recorded", _v3_intent(OPEN_NO, "opp-open", "no", "buy", "0.58", "3")),
            (1, 3, "intent_recorded",
             _v3_intent(DONE_UNWIND_YES, "opp-done", "yes", "sell", "0.40", "1.37")),
            (2, 0, "reservation_changed",
             _v3_reservation("opp-done", "KX-B", "1.37", "0.4213", "0.56", "1.36", 2, "released")),
            (2, 1, "fill_recorded", {"fill": {
                "action": "buy", "client_order_id": OPEN_YES, "count": "3", "fee": "0.05",
                "fill_id": "f-1", "payout": "1", "price": "0.41", "side": "yes",
                "ticker": "KX-A"}}),
            (2, 2, "order_updated", {"client_order_id": OPEN_YES, "filled_count": "3",
                                     "state": "filled", "venue_order_id": None}),
            (2, 3, "intent_recorded", _v3_intent("c-other", "manual", "no", "sell", "0.3", "1")),
            (2, 4, "audit_event", {"detail": "operator", "kind": "halt", "source": "cli"}),
        ]  # fmt: skip
        for record_id, position, kind, payload in events:
            conn.execute(
                "INSERT INTO events (record_id, position, kind, payload) VALUES (?, ?, ?, ?)",
                (record_id, position, kind, _payload(payload)),
            )
        if fix is not None:
            fix(conn)
    finally:
        conn.close()


def _versions(path: Path) -> list[int]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY 1")]


def _dump(path: Path) -> list[tuple[object, ...]]:
    """Every row of every table and the schema itself, to prove nothing changed."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        schema = [tuple(r) for r in conn.execute("SELECT * FROM sqlite_master ORDER BY name")]
        return schema + [
            (table, *row)
            for table in sorted(tables)
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")  # noqa: S608 - names from the file
        ]


def test_a_version_three_ledger_migrates_to_baskets_with_legacy_ids_and_exact_amounts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.db"
    version_three_file(path)
    with Ledger.open(path, wall=WallClock(WALL + 9)) as ledger:
        assert _versions(path) == [1, 2, 3, 4] == list(range(1, SCHEMA_VERSION + 1))
        records = ledger.reservations()
        assert [r.reservation for r in records] == [OPEN, DONE]
        assert [r.updated_at for r in records] == [WALL, WALL + 1]
        open_yes, open_no = OPEN.legs
        assert (open_yes.amount, open_no.amount) == (D("1.29"), D("1.74"))
        done_yes, done_no = DONE.legs
        assert (done_yes.amount, done_no.amount) == (D("0.5928"), D("0.7672"))  # exact
        for record in records:
            reservation = record.reservation
            assert sum(leg.amount for leg in reservation.legs) == reservation.amount
            assert reservation.client_order_ids == (
                legacy_id(reservation.reservation_id, "yes"),
                legacy_id(reservation.reservation_id, "no"),
            )
            assert set(reservation.client_order_ids) <= set(reservation.order_ids())
        labels = {o.client_order_id: (o.leg, o.role) for o in ledger.orders()}
        assert labels == {
            OPEN_YES: (0, OrderRole.ENTRY),
            OPEN_NO: (1, OrderRole.ENTRY),
            DONE_YES: (0, OrderRole.ENTRY),
            DONE_NO: (1, OrderRole.ENTRY),
            DONE_UNWIND_YES: (0, OrderRole.UNWIND),
            "c-other": (None, None),  # no version 3 reservation sent it
        }
        # risk releases the carried open reservation at its next reconciliation
        settled = OPEN.settlement((OPEN_FILL,))
        assert settled.held == (D(3), D(0))
        released = attrs.evolve(
            OPEN,
            state=ReservationState.RELEASED,
            outcome=Outcome.UNHEDGED,
            held=settled.held,
            missing=settled.missing,
        )
        ledger.write("risk-2-1", (ReservationChanged(released),))
        assert ledger.reservations(ReservationState.RELEASED)[-1].reservation == released
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        stored = conn.execute("SELECT kind, payload FROM events WHERE id <= 9 ORDER BY id")
        decoded = [decode_event(kind, payload) for kind, payload in stored.fetchall()]
        created = conn.execute("SELECT created_at FROM reservations ORDER BY rowid").fetchall()
    assert "reservations_v3" not in tables
    assert {"reservation_legs", "basket_progress", "basket_progress_by_reservation"} <= tables
    assert created == [(WALL,), (WALL + 1,)]  # created_at = updated_at
    assert decoded == [
        ReservationChanged(OPEN),
        IntentRecorded(
            OrderIntent(OPEN_YES, "KX-A", Side.YES, Action.BUY, D("0.41"), D(3)),
            "opp-open",
            0,
            OrderRole.ENTRY,
        ),
        IntentRecorded(
            OrderIntent(OPEN_NO, "KX-A", Side.NO, Action.BUY, D("0.58"), D(3)),
            "opp-open",
            1,
            OrderRole.ENTRY,
        ),
        IntentRecorded(
            OrderIntent(DONE_UNWIND_YES, "KX-B", Side.YES, Action.SELL, D("0.40"), D("1.37")),
            "opp-done",
            0,
            OrderRole.UNWIND,
        ),
        ReservationChanged(DONE),
        FillRecorded(OPEN_FILL),
        OrderUpdated(OPEN_YES, OrderState.FILLED, D(3)),
        IntentRecorded(  # not a version 3 id: leg by side, role by action (its convention)
            OrderIntent("c-other", "KX-B", Side.NO, Action.SELL, D("0.3"), D(1)),
            "manual",
            1,
            OrderRole.UNWIND,
        ),
        AuditEvent("halt", "operator", "cli"),
    ]
    assert open_reservations(path) == ()  # the carried one was released above
    assert recorded_events(path) == (Event.single("KX-B"), Event.single("KX-A"))


def test_a_migrated_open_reservation_is_recovered_as_open(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    version_three_file(path)
    Ledger.open(path, wall=WallClock()).close()
    assert open_reservations(path) == (OPEN,)


_AMOUNT_TOO_SMALL = "UPDATE reservations SET amount = '1.7300' WHERE reservation_id = 'opp-open'"


@pytest.mark.parametrize(
    ("breakage", "names"),
    [
        (  # 0.58 x 3 = 1.74 > 1.73: leg 0 would be negative
            _AMOUNT_TOO_SMALL,
            ("table reservations", "reservation_id='opp-open'", "amount", "no_price x count"),
        ),
        (  # the version 3 CHECK took any 4-decimal text; a leg's price must be below the payout
            "UPDATE reservations SET yes_price = '1.5000' WHERE reservation_id = 'opp-done'",
            ("table reservations", "reservation_id='opp-done'", "refused", "price_exact"),
        ),
        (
            "UPDATE reservations SET ticker = x'07' WHERE reservation_id = 'opp-done'",
            (
                "table reservations",
                "reservation_id='opp-done'",
                "ticker = b'",
                "(bytes) is not text",
            ),
        ),
        (
            "UPDATE events SET payload = replace(payload, '\"3.03\"', '\"1\"') WHERE id = 1",
            ("table events", "row id=1", "reservation_changed", "reservation.amount"),
        ),
        (
            "UPDATE events SET payload = replace(payload, '\"0.58\"', '0.58') WHERE id = 1",
            ("table events", "row id=1", "reservation.no_price = 0.58", "not a decimal string"),
        ),
        (
            "UPDATE events SET payload = '{\"reservation\": {}}' WHERE id = 5",
            ("table events", "row id=5", "not a version 3 reservation"),
        ),
        (
            "UPDATE events SET payload = replace(payload, '\"sell\"', '\"short\"') WHERE id = 4",
            ("table events", "row id=4", "intent_recorded", "intent.action = 'short'"),
        ),
        (
            "UPDATE events SET kind = 'basket_progress' WHERE id = 9",
            ("table events", "row id=9", "unknown event kind 'basket_progress'"),
        ),
    ],
)
def test_a_row_that_cannot_become_a_basket_refuses_the_open_and_changes_nothing(
    tmp_path: Path, breakage: str, names: tuple[str, ...]
) -> None:
    path = tmp_path / "ledger.db"
    version_three_file(path, fix=lambda conn: conn.execute(breakage))
    before = _dump(path)
    with pytest.raises(LedgerSchemaError) as raised:
        Ledger.open(path, wall=WallClock())
    message = str(raised.value)
    for name in (*names, str(path), "schema version 4", "Nothing was changed", "sqlite3"):
        assert name in message
    assert (raised.value.found, raised.value.supported) == (3, SCHEMA_VERSION)
    assert _dump(path) == before  # one transaction: rolled back whole
    assert _versions(path) == [1, 2, 3]


def test_after_fixing_the_named_row_the_migration_goes_through(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    version_three_file(path, fix=lambda conn: conn.execute(_AMOUNT_TOO_SMALL))
    with pytest.raises(LedgerSchemaError):
        Ledger.open(path, wall=WallClock())
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("UPDATE reservations SET amount = '3.0300' WHERE reservation_id = 'opp-open'")
    with Ledger.open(path, wall=WallClock()) as ledger:
        assert [r.reservation for r in ledger.reservations()] == [OPEN, DONE]


@given(
    st.integers(1, 9_999),
    st.integers(1, 9_999),
    st.integers(1, 10**6),
    st.integers(0, 10**6),
)
def test_a_reservation_payload_splits_its_amount_exactly(
    yes: int, no: int, count: int, extra: int
) -> None:
    yes_price, no_price, contracts = D(yes).scaleb(-4), D(no).scaleb(-4), D(count).scaleb(-2)
    amount = no_price * contracts + D(extra).scaleb(-4)
    old = _v3_reservation(
        "r", "KX-A", f"{contracts:f}", f"{yes_price:f}", f"{no_price:f}", f"{amount:f}", 1, "held"
    )
    new = convert_payload("reservation_changed", _payload(old))
    assert new is not None
    event = decode_event("reservation_changed", new)
    assert isinstance(event, ReservationChanged)
    leg0, leg1 = event.reservation.legs
    assert leg1.amount == no_price * contracts
    assert leg0.amount == D(extra).scaleb(-4)
    assert leg0.amount + leg1.amount == event.reservation.amount == amount
    assert (leg0.price, leg1.price, leg0.count) == (yes_price, no_price, contracts)
