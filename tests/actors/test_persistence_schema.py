"""Schema versions: old files are migrated on open, newer or foreign files are refused."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import (
    Action,
    Fill,
    Order,
    OrderIntent,
    OrderRole,
    OrderState,
    Position,
    Side,
)
from actors.messages import (
    AuditEvent,
    FillRecorded,
    IntentRecorded,
    IntentsAbandoned,
    OrderUpdated,
    ReservationChanged,
    ReservationState,
    VenueReconciled,
)
from actors.persistence import (
    MIGRATIONS,
    SCHEMA_VERSION,
    DailyStats,
    Ledger,
    LedgerSchemaError,
    decode_event,
)
from actors.persistence._decimals import from_text, to_text
from actors.persistence._migrate_v3 import contracts, convert_payload, dollars
from actors.persistence._schema import migrate
from tests.actors.test_persistence_ledger import WALL, WallClock, fill, intent
from tests.actors.test_persistence_v4_migration import legacy_complement

D = Decimal


def _versions(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY 1")]


def _version_one_file(path: Path) -> None:
    """A ledger as the first schema left it: an order, a fill, an audit entry, no daily stats."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert migrate(conn, path, WallClock(), target=1) == 1
        conn.execute(
            "INSERT INTO orders VALUES ('c-1', 'opp-1', 'KX-A', 'yes', 'buy', 40, 2, 100,"
            " 'filled', 2, 'v-1', ?, ?)",
            (WALL, WALL),
        )
        conn.execute(
            "INSERT INTO fills VALUES ('f-1', 'c-1', 'KX-A', 'yes', 'buy', 40, 2, 1, 100, ?)",
            (WALL,),
        )
        conn.execute(
            "INSERT INTO audit (kind, detail, source, at) VALUES ('halt', '', 'cli', ?)", (WALL,)
        )
    finally:
        conn.close()


def test_the_migrations_are_numbered_one_to_the_current_version() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    assert SCHEMA_VERSION >= 3


def test_a_new_file_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(path, wall=WallClock()).close()
    Ledger.open(path, wall=WallClock()).close()  # reopening applies nothing again
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))


def test_an_old_file_is_migrated_on_open_keeping_and_backfilling_its_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.db"
    _version_one_file(path)
    assert _versions(path) == [1]
    with Ledger.open(path, wall=WallClock()) as ledger:
        assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))
        (order,) = ledger.orders()
        assert (order.client_order_id, order.order.state) == ("c-1", OrderState.FILLED)
        assert (order.order.intent.price, order.order.filled_count) == (D("0.40"), D(2))
        assert [(r.fill.fill_id, r.fill.fee) for r in ledger.fills()] == [("f-1", D("0.01"))]
        assert ledger.daily_stats() == (
            DailyStats(
                "2027-01-15",
                orders_recorded=1,
                fills=1,
                contracts=D(2),
                fees=D("0.01"),
                cash_flow=D("-0.81"),
                audit_events=1,
            ),
        )
        ledger.write("r1", (intent("c-2"), fill("f-2", "c-2")))  # and it takes new records
        assert ledger.daily_stats()[0].orders_recorded == 2
        assert ledger.daily_stats()[0].cash_flow == D("-1.62")


# -- version 2 -> 3: exact money -------------------------------------------------------


def _old_payload(value: dict[str, object]) -> str:
    return json.dumps(value, allow_nan=False, sort_keys=True)  # as version 2's encoder wrote


_V2_INTENT = {
    "intent": {
        "action": "buy",
        "client_order_id": "c-1",
        "count": 3,
        "payout_cents": 100,
        "price": 41,
        "side": "yes",
        "ticker": "KX-A",
    },
    "opportunity_id": "opp-1",
}
_V2_FILL = {
    "fill": {
        "action": "buy",
        "client_order_id": "c-1",
        "count": 2,
        "fee_cents": 2,
        "fill_id": "f-1",
        "payout_cents": 100,
        "price": 41,
        "side": "yes",
        "ticker": "KX-A",
    }
}
_V2_RESERVATION = {
    "reservation": {
        "amount_cents": 189,
        "count": 3,
        "no_price": 58,
        "owner_epoch": 1,
        "reservation_id": "opp-1",
        "state": "held",
        "ticker": "KX-A",
        "yes_price": 41,
    }
}
_V2_UPDATE = {
    "client_order_id": "c-1",
    "filled_count": 2,
    "state": "partially_filled",
    "venue_order_id": "v-1",
}
_V2_AUDIT = {"detail": "operator", "kind": "halt", "source": "cli"}


def _version_two_file(
    path: Path, *, fix: Callable[[sqlite3.Connection], None] | None = None
) -> None:
    """A ledger exactly as the integer-cent code (schema version 2) left it: an order
    partly filled, two fills in two markets, a reservation, an audit entry, the day's
    statistics and the journal of every event; ``fix`` may then break a row."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert migrate(conn, path, WallClock(), target=2) == 2
        conn.execute(
            "INSERT INTO orders VALUES ('c-1', 'opp-1', 'KX-A', 'yes', 'buy', 41, 3, 100,"
            " 'partially_filled', 2, 'v-1', ?, ?)",
            (WALL, WALL),
        )
        conn.execute(
            "INSERT INTO fills VALUES ('f-1', 'c-1', 'KX-A', 'yes', 'buy', 41, 2, 2, 100, ?)",
            (WALL,),
        )
        conn.execute(
            "INSERT INTO fills VALUES ('f-0', 'c-0', 'KX-B', 'no', 'buy', 7, 1, 0, 100, ?)",
            (WALL,),
        )
        conn.execute(
            "INSERT INTO reservations VALUES ('opp-1', 'KX-A', 3, 41, 58, 189, 1, 'held', ?)",
            (WALL,),
        )
        conn.execute(
            "INSERT INTO audit (kind, detail, source, at) VALUES ('halt', 'operator', 'cli', ?)",
            (WALL,),
        )
        conn.execute(
            "INSERT INTO daily_stats VALUES ('2027-01-15', 2, 1, 0, 2, 3, 2, -91, 1)"
        )  # cash: -82 - 2 (f-1) - 7 (f-0)
        conn.execute("INSERT INTO records VALUES (1, 'execution-1-1', ?, 3)", (WALL,))
        conn.execute("INSERT INTO records VALUES (2, 'risk-1-1', ?, 4)", (WALL,))
        events = [
            (1, 0, "intent_recorded", _V2_INTENT),
            (1, 1, "reservation_changed", _V2_RESERVATION),
            (1, 2, "audit_event", _V2_AUDIT),
            (2, 0, "order_updated", _V2_UPDATE),
            (2, 1, "fill_recorded", _V2_FILL),
            (2, 2, "venue_reconciled", {"client_order_ids_at_venue": ["c-1"]}),
            (2, 3, "intents_abandoned", {"client_order_ids": [], "reason": "r"}),
        ]
        for record_id, position, kind, payload in events:
            conn.execute(
                "INSERT INTO events (record_id, position, kind, payload) VALUES (?, ?, ?, ?)",
                (record_id, position, kind, _old_payload(payload)),
            )
        if fix is not None:
            fix(conn)
    finally:
        conn.close()


def _dump(path: Path) -> list[tuple[object, ...]]:
    """Every row of every table, to prove a refused file was not touched."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [
            (table, *row)
            for table in sorted(tables)
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")  # noqa: S608 - names from the file
        ]


def test_a_version_two_ledger_is_migrated_to_exact_dollars_and_contracts(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    _version_two_file(path)
    with Ledger.open(path, wall=WallClock()) as ledger:
        assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))
        (order,) = ledger.orders()
        assert order.order == Order(
            OrderIntent("c-1", "KX-A", Side.YES, Action.BUY, D("0.41"), D(3), payout=D(1)),
            OrderState.PARTIALLY_FILLED,
            D(2),
            "v-1",
        )
        assert [r.fill for r in ledger.fills()] == [
            Fill("f-1", "c-1", "KX-A", Side.YES, Action.BUY, D("0.41"), D(2), fee=D("0.02")),
            Fill("f-0", "c-0", "KX-B", Side.NO, Action.BUY, D("0.07"), D(1), fee=D(0)),
        ]
        (reservation,) = ledger.reservations()
        assert reservation.reservation == legacy_complement(
            "opp-1", "KX-A", D(3), D("0.41"), D("0.58"), D("1.89"), 1, ReservationState.HELD
        )
        assert ledger.positions() == (
            Position("KX-A", yes_count=D(2), no_count=D(0), cash=D("-0.84")),
            Position("KX-B", yes_count=D(0), no_count=D(1), cash=D("-0.07")),
        )
        assert ledger.daily_stats() == (
            DailyStats(
                "2027-01-15",
                records=2,
                orders_recorded=1,
                fills=2,
                contracts=D(3),
                fees=D("0.02"),
                cash_flow=D("-0.91"),
                audit_events=1,
            ),
        )
        assert [a.detail for a in ledger.audit()] == ["operator"]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        stored = conn.execute("SELECT kind, payload FROM events ORDER BY id").fetchall()
        texts = conn.execute("SELECT price, count, payout, filled_count FROM orders").fetchone()
        day = conn.execute("SELECT contracts, fees, cash_flow FROM daily_stats").fetchone()
        assert {row[0] for row in conn.execute("SELECT name FROM sqlite_master")} >= {
            "orders_by_state",
            "fills_by_order",
            "fills_by_ticker",
        }
        assert not [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master") if "_v2" in row[0]
        ]
    assert texts == ("0.4100", "3.00", "1.0000", "2.00")  # 4-decimal dollars, 2-decimal counts
    assert day == ("3.00", "0.0200", "-0.9100")
    assert [decode_event(kind, payload) for kind, payload in stored] == [
        IntentRecorded(  # not an id version 3 sent: leg and role by its convention
            OrderIntent("c-1", "KX-A", Side.YES, Action.BUY, D("0.41"), D(3)),
            "opp-1",
            0,
            OrderRole.ENTRY,
        ),
        ReservationChanged(
            legacy_complement(
                "opp-1", "KX-A", D(3), D("0.41"), D("0.58"), D("1.89"), 1, ReservationState.HELD
            )
        ),
        AuditEvent("halt", "operator", "cli"),
        OrderUpdated("c-1", OrderState.PARTIALLY_FILLED, D(2), "v-1"),
        FillRecorded(
            Fill("f-1", "c-1", "KX-A", Side.YES, Action.BUY, D("0.41"), D(2), fee=D("0.02"))
        ),
        VenueReconciled(("c-1",)),
        IntentsAbandoned((), "r"),
    ]
    assert json.loads(stored[4][1])["fill"]["fee"] == "0.0200"  # a string, never a number


@pytest.mark.parametrize(
    ("breakage", "names"),
    [
        (
            "UPDATE fills SET price = 40.5 WHERE fill_id = 'f-1'",
            ("table fills", "fill_id='f-1'", "price = 40.5", "whole number of cents"),
        ),
        (
            "UPDATE orders SET filled_count = 1.5 WHERE client_order_id = 'c-1'",
            (
                "table orders",
                "client_order_id='c-1'",
                "filled_count = 1.5",
                "whole number of contracts",
            ),
        ),
        (
            "UPDATE reservations SET amount_cents = 1.5",
            ("table reservations", "reservation_id='opp-1'", "amount_cents = 1.5"),
        ),
        (
            "UPDATE daily_stats SET cash_flow_cents = -91.25",
            ("table daily_stats", "day='2027-01-15'", "cash_flow_cents = -91.25"),
        ),
        (
            "UPDATE events SET payload = replace(payload, '\"fee_cents\": 2', '\"fee_cents\": 2.5')"
            " WHERE kind = 'fill_recorded'",
            ("table events", "row id=5", "fill_recorded", "fill.fee_cents = 2.5"),
        ),
        (
            "UPDATE events SET payload = '{not json' WHERE kind = 'order_updated'",
            ("table events", "row id=4", "not JSON"),
        ),
        (
            "UPDATE events SET kind = 'teleported' WHERE id = 3",
            ("table events", "row id=3", "unknown event kind 'teleported'"),
        ),
        (  # converts exactly, but the new schema refuses it (version 2 had no check)
            "UPDATE reservations SET yes_price = -5",
            ("table reservations", "reservation_id='opp-1'", "refused", "yes_price_exact"),
        ),
    ],
)
def test_a_row_that_cannot_be_migrated_exactly_refuses_the_open_and_changes_nothing(
    tmp_path: Path, breakage: str, names: tuple[str, ...]
) -> None:
    path = tmp_path / "ledger.db"
    _version_two_file(path, fix=lambda conn: conn.execute(breakage))
    before = _dump(path)
    with pytest.raises(LedgerSchemaError) as raised:
        Ledger.open(path, wall=WallClock())
    message = str(raised.value)
    for name in (*names, str(path), "Nothing was changed", "sqlite3", "move the file aside"):
        assert name in message
    assert (raised.value.found, raised.value.supported) == (2, SCHEMA_VERSION)
    assert _dump(path) == before  # one transaction: rolled back whole
    assert _versions(path) == [1, 2]


@given(st.integers(-(2**63), 2**63 - 1))
def test_cents_become_exact_four_decimal_dollars(cents: int) -> None:
    text = dollars(cents)
    assert D(text) == D(cents) / 100
    assert len(text.split(".")[1]) == 4
    assert dollars(cents) == to_text(D(text), 4)  # already canonical


@given(st.integers(0, 2**63 - 1))
def test_counts_become_exact_two_decimal_contracts(count: int) -> None:
    text = contracts(count)
    assert (D(text), text.split(".")[1]) == (D(count), "00")


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15),
    st.integers(1, 6),
)
def test_the_stored_text_of_a_decimal_is_canonical_and_exact(value: Decimal, places: int) -> None:
    text = to_text(value, places)
    assert from_text(text) == value
    assert to_text(from_text(text), places) == text  # one spelling per value
    assert len(text.split(".")[1]) >= places


def test_a_file_from_a_newer_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(path, wall=WallClock()).close()
    newer = SCHEMA_VERSION + 1
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 'from the future', 0)", (newer,))
    for opening in (
        lambda: Ledger.open(path, wall=WallClock()),
        lambda: Ledger.open_read_only(path),
    ):
        with pytest.raises(LedgerSchemaError) as raised:
            opening()
        assert (raised.value.found, raised.value.supported) == (newer, SCHEMA_VERSION)
        assert "newer" in str(raised.value)
        assert str(path) in str(raised.value)
    assert _versions(path)[-1] == newer


def test_a_reader_refuses_an_old_file_that_only_the_writer_may_migrate(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    _version_one_file(path)
    with pytest.raises(LedgerSchemaError) as raised:
        Ledger.open_read_only(path)
    assert raised.value.found == 1
    assert _versions(path) == [1]


def test_a_sqlite_file_that_is_not_a_ledger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(LedgerSchemaError, match="not a warden ledger"):
        Ledger.open(path, wall=WallClock())
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"customers"}


@given(st.integers(1, 99), st.integers(1, 10**6), st.integers(0, 10**4), st.integers(0, 10**6))
def test_an_old_fill_payload_decodes_to_the_same_amounts_in_dollars_and_contracts(
    price: int, count: int, fee: int, filled: int
) -> None:
    old = {**_V2_FILL["fill"], "price": price, "count": count, "fee_cents": fee}
    new = convert_payload("fill_recorded", _old_payload({"fill": old}))
    assert new is not None
    event = decode_event("fill_recorded", new)
    assert isinstance(event, FillRecorded)
    assert (event.fill.price, event.fill.count, event.fill.fee, event.fill.payout) == (
        D(price) / 100,
        D(count),
        D(fee) / 100,
        D(1),
    )
    update = convert_payload("order_updated", _old_payload({**_V2_UPDATE, "filled_count": filled}))
    assert update is not None
    assert decode_event("order_updated", update) == OrderUpdated(
        "c-1", OrderState.PARTIALLY_FILLED, D(filled), "v-1"
    )
