"""The reconciled point is the venue's clock, and a bounded listing loses no open order.

Real parts as in :mod:`tests.actors.execution.test_reconcile_from_point`: the
simulated venue on loopback (a ``ManualClock``; its answers' ``Date`` follow it),
the Kalshi client over HTTP, the reconciliation procedure, a real SQLite ledger.
The last test runs the execution actor itself on the real persistence actor, its
ledger path given in its config as the daemon's wiring gives it.
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import attrs
import httpx
import pytest

from actors.domain import Action, OrderIntent, OrderRole, OrderState, Side
from actors.execution import ExecutionActor
from actors.execution._workflows import RECONCILE_MARGIN_S
from actors.messages import IntentRecorded, Reconciled, VenueReconciled
from actors.persistence import (
    VENUE_POINT_AUDIT,
    Ledger,
    PersistenceActor,
    reconcile_basis,
    venue_point_audit,
)
from actors.persistence._basis import venue_point_of
from actors.venues.kalshi import KalshiClient, KalshiTrading
from actors.venues.kalshi._client import http_date_seconds
from supervision import NO_BACKOFF, ChildSpec, SupervisionTree, SupervisorSpec, TreeThread
from tests.actors.execution.test_reconcile_from_point import (
    HOUR,
    ledger_fills,
    start,
    trade,
    venue_at,
    venue_fill_ids,
)
from tests.actors.execution_harness import FakeRisk, Inbox, VenueThread, fast_config
from tests.actors.venue_clients import RecordingTransport, Settings
from warden.venue import TRADER, OrderRequest, TimeInForce, VenueServer
from warden.venue._model import ManualClock

SKEW_S = 10 * HOUR


def states(ledger_path: Path) -> dict[str, tuple[OrderState, Decimal]]:
    with Ledger.open_read_only(ledger_path) as ledger:
        return {r.client_order_id: (r.order.state, r.order.filled_count) for r in ledger.orders()}


def rest(server: VenueServer, ledger_path: Path, client_order_id: str, price: str) -> str:
    """A GTC buy of one YES at ``price`` that rests (nobody sells), its intent recorded
    first; returns the venue's order id."""
    intent = OrderIntent(
        client_order_id, "SIM-001", Side.YES, Action.BUY, Decimal(price), Decimal(1)
    )
    with Ledger.open(ledger_path, wall=server.sim.clock.now) as ledger:
        ledger.write(
            f"intent-{client_order_id}", (IntentRecorded(intent, "r1", 0, OrderRole.ENTRY),)
        )
    order = server.sim.engine.place(
        TRADER,
        OrderRequest(
            "SIM-001", "yes", "buy", Decimal(1), Decimal(price), client_order_id=client_order_id
        ),
    )
    assert order["status"] == "resting"
    return str(order["order_id"])


@pytest.mark.parametrize("skew_s", [SKEW_S, -SKEW_S])
async def test_a_skewed_daemon_clock_neither_shrinks_nor_moves_the_window(
    tmp_path: Path, skew_s: float
) -> None:
    ledger_path = tmp_path / "ledger.sqlite"
    clock = ManualClock(current=1_800_000_000.0)
    async with venue_at(clock) as server:
        trade(server, ledger_path, "old")
        clock.advance(HOUR)
        first = await start(server, ledger_path, clock, skew_s=skew_s)
        venue_then = clock.now()
        clock.advance(2 * HOUR)  # the daemon is down; a fill happens meanwhile
        trade(server, ledger_path, "while-down")
        clock.advance(HOUR)
        second = await start(server, ledger_path, clock, skew_s=skew_s)

    assert first.result.venue_point == venue_then  # the venue's Date, not the daemon's clock
    with Ledger.open_read_only(ledger_path) as ledger:
        assert ledger.last_reconciled_at() == clock.now() + skew_s  # the skew is real
    since = venue_then - RECONCILE_MARGIN_S
    assert second.result.listed_since == since
    assert second.fills_queries == [{"min_ts": str(math.floor(since) - 1), "limit": "1000"}]
    assert [f.client_order_id for f in second.result.fills] == ["while-down"]
    assert ledger_fills(ledger_path) == venue_fill_ids(server)
    assert states(ledger_path) == {
        "old": (OrderState.FILLED, Decimal(1)),
        "while-down": (OrderState.FILLED, Decimal(1)),
    }


async def test_an_open_order_from_before_the_window_is_looked_up_not_expired(
    tmp_path: Path,
) -> None:
    """Dry run (nothing cancelled): two orders rest at the first start; while the
    daemon is down one is cancelled at the venue. Both lie before the second start's
    window: the resting one is listed with the resting orders, the cancelled one is
    asked for by its venue order id and recorded CANCELED, not expired as never sent."""
    ledger_path = tmp_path / "ledger.sqlite"
    clock = ManualClock(current=1_800_000_000.0)
    async with venue_at(clock) as server:
        gone = rest(server, ledger_path, "cancelled-while-down", "0.10")
        rest(server, ledger_path, "still-resting", "0.11")
        clock.advance(HOUR)
        await start(server, ledger_path, clock, cancel=False)
        assert states(ledger_path) == {
            "cancelled-while-down": (OrderState.ACCEPTED, Decimal(0)),
            "still-resting": (OrderState.ACCEPTED, Decimal(0)),
        }
        clock.advance(HOUR)
        server.sim.engine.cancel(TRADER, gone)
        clock.advance(HOUR)
        transport = RecordingTransport()
        second = await start(server, ledger_path, clock, cancel=False, transport=transport)

    assert second.result.listed_since is not None
    assert second.result.looked_up == ("cancelled-while-down",)
    assert len(transport.queries(f"/portfolio/orders/{gone}")) == 1
    assert states(ledger_path) == {
        "cancelled-while-down": (OrderState.CANCELED, Decimal(0)),
        "still-resting": (OrderState.ACCEPTED, Decimal(0)),
    }


async def test_an_order_without_a_venue_id_is_found_by_its_client_order_id(
    tmp_path: Path,
) -> None:
    """The ledger holds two intents NEW from long before its point (as a crash between
    sending and hearing back could leave them): one reached the venue and was
    cancelled unfilled, one never did. The first is found in its market's full list
    and recorded CANCELED; the second, found nowhere, expires as a full listing would
    have it."""
    ledger_path = tmp_path / "ledger.sqlite"
    clock = ManualClock(current=1_800_000_000.0)
    async with venue_at(clock) as server:
        for cid in ("reached", "never-sent"):
            intent = OrderIntent(cid, "SIM-001", Side.YES, Action.BUY, Decimal("0.10"), Decimal(1))
            with Ledger.open(ledger_path, wall=clock.now) as ledger:
                ledger.write(f"intent-{cid}", (IntentRecorded(intent, "r1", 0, OrderRole.ENTRY),))
        placed = server.sim.engine.place(
            TRADER,
            OrderRequest(
                "SIM-001",
                "yes",
                "buy",
                Decimal(1),
                Decimal("0.10"),
                time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL,
                client_order_id="reached",
            ),
        )
        assert placed["status"] == "canceled"
        clock.advance(HOUR)
        # an earlier reconciliation that saw both (so left them NEW) recorded its point
        with Ledger.open(ledger_path, wall=clock.now) as ledger:
            ledger.write(
                "reconcile-0",
                (
                    VenueReconciled(("reached", "never-sent")),
                    venue_point_audit(clock.now(), "execution"),
                ),
            )
        clock.advance(HOUR)
        second = await start(server, ledger_path, clock)

    assert second.result.listed_since == clock.now() - HOUR - RECONCILE_MARGIN_S
    assert second.result.looked_up == ("reached",)
    assert states(ledger_path) == {
        "reached": (OrderState.CANCELED, Decimal(0)),
        "never-sent": (OrderState.EXPIRED, Decimal(0)),
    }


class Undated(RecordingTransport):
    """A venue whose answers carry no ``Date``."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        del response.headers["date"]
        return response


async def test_a_venue_point_that_cannot_be_read_means_a_full_listing(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.sqlite"
    clock = ManualClock(current=1_800_000_000.0)
    async with venue_at(clock) as server:
        trade(server, ledger_path, "old")
        clock.advance(HOUR)
        first = await start(server, ledger_path, clock, transport=Undated())
        clock.advance(HOUR)
        second = await start(server, ledger_path, clock)  # dated again, but no point yet
        clock.advance(HOUR)
        third = await start(server, ledger_path, clock)

    assert first.result.venue_point is None
    assert second.result.listed_since is None
    assert second.fills_queries == [{"limit": "1000"}]
    assert [f.client_order_id for f in second.result.fills] == ["old"]
    assert third.result.listed_since == clock.now() - HOUR - RECONCILE_MARGIN_S


async def test_the_simulated_venue_dates_its_answers_on_its_own_clock() -> None:
    clock = ManualClock(current=1_800_000_000.75)
    async with venue_at(clock) as server:
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"{server.rest_url}/historical/cutoff")
            missing = await http.get(f"{server.rest_url}/no-such-path")
        async with KalshiClient(Settings(server.rest_url)) as client:
            read = await client.venue_time()

    expected = email.utils.formatdate(1_800_000_000, usegmt=True)
    assert answer.headers.get_list("date") == [expected]  # one Date, the venue's
    assert missing.status_code == 404
    assert missing.headers.get_list("date") == [expected]
    assert read == 1_800_000_000.0  # whole seconds, rounded down


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("Fri, 15 Jan 2027 08:00:00 GMT", 1_800_000_000.0),
        ("Friday, 15-Jan-27 08:00:00 GMT", 1_800_000_000.0),  # RFC 850, obsolete
        ("Fri, 15 Jan 2027 08:00:00 -0000", 1_800_000_000.0),
        (None, None),
        ("", None),
        ("yesterday", None),
    ],
)
def test_http_dates_are_read_as_unix_seconds(text: str | None, seconds: float | None) -> None:
    assert http_date_seconds(text) == seconds


def test_a_venue_point_round_trips_through_its_audit_event() -> None:
    audit = venue_point_audit(1_800_000_000.0, "execution")
    assert (audit.kind, audit.detail) == (VENUE_POINT_AUDIT, "2027-01-15T08:00:00+00:00")
    assert venue_point_of((audit,)) == 1_800_000_000.0
    assert venue_point_of(None) is None
    assert venue_point_of((attrs.evolve(audit, detail="2027-01-15T08:00:00"),)) is None  # naive
    assert venue_point_of((attrs.evolve(audit, detail="noon"),)) is None


# -- the actor, as the daemon wires it ------------------------------------------------------


class RecordingKalshi(KalshiTrading):
    """Kalshi's trading side over one recording transport for every client it opens."""

    transport: ClassVar[RecordingTransport]

    def open_client(self, settings: Any, *, on_rate_limit_wait: Any = None) -> KalshiClient:
        return KalshiClient(
            settings, on_rate_limit_wait=on_rate_limit_wait, transport=RecordingKalshi.transport
        )


@contextlib.contextmanager
def daemon(venue: VenueThread, ledger_path: Path) -> Iterator[Inbox]:
    """Persistence (real, on ``ledger_path``), a fake risk and execution configured
    with the ledger's path; yields risk's inbox."""
    RecordingKalshi.transport = RecordingTransport()
    config = fast_config(venue.rest_url, venue=RecordingKalshi(), ledger_path=ledger_path)
    risk = Inbox()
    spec = SupervisorSpec(
        name="root",
        children=(
            ChildSpec("persistence", lambda: PersistenceActor(ledger_path)),
            ChildSpec("risk", lambda: FakeRisk(risk)),
            ChildSpec("execution", lambda: ExecutionActor(config)),
        ),
        backoff=NO_BACKOFF,
        intensity=3,
    )
    host = TreeThread(SupervisionTree(spec, seed=7)).start()
    try:
        yield risk
    finally:
        host.stop()


def test_execution_given_the_ledger_lists_from_the_venue_point_on_its_second_start(
    tmp_path: Path,
) -> None:
    ledger_path = tmp_path / "warden.db"
    intent = OrderIntent("old-fill", "SIM-001", Side.YES, Action.BUY, Decimal("0.42"), Decimal(1))
    with Ledger.open(ledger_path, wall=time.time) as ledger:
        ledger.write("intent", (IntentRecorded(intent, "r1", 0, OrderRole.ENTRY),))
    venue = VenueThread().start()
    try:
        venue.house_bid("no", "0.58", 1)
        assert venue.place(
            side="yes", yes_price_dollars="0.42", count_fp="1", client_order_id="old-fill"
        ).is_success
        with daemon(venue, ledger_path) as risk:
            (first,) = risk.wait_for(Reconciled)
        assert first.ok
        assert RecordingKalshi.transport.queries("/portfolio/fills") == [{"limit": "1000"}]
        point = reconcile_basis(ledger_path).venue_point
        assert point is not None

        with daemon(venue, ledger_path) as risk:
            (second,) = risk.wait_for(Reconciled)
        assert second.ok
        since = point - RECONCILE_MARGIN_S
        assert RecordingKalshi.transport.queries("/portfolio/fills") == [
            {"min_ts": str(math.floor(since) - 1), "limit": "1000"}
        ]
        assert states(ledger_path) == {"old-fill": (OrderState.FILLED, Decimal(1))}
    finally:
        venue.stop()
