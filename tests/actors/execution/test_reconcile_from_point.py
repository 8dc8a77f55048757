"""Reconciliation lists the venue's fills from the last venue point the ledger holds.

Real parts throughout: the simulated venue on loopback (its clock a
``ManualClock``, so "an hour ago" and "while the daemon was down" are exact, and
its answers' ``Date`` follows it), the Kalshi client over HTTP (a recording
transport keeps every URL it sent), the execution's reconciliation procedure,
and a real SQLite ledger written through the persistence actor's own write path
(:meth:`Ledger.write`), its wall clock the venue's unless a test skews it. A
"restart" is a new client and a new :class:`Workflows` reading the ledger's
basis (:func:`actors.persistence.reconcile_basis`), as a new process would.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from actors.domain import Action, Fill, OrderIntent, OrderRole, OrderState, Side
from actors.errors import VenueError
from actors.execution import RetryPolicy
from actors.execution._bookkeeping import positions_from, reconcile_events
from actors.execution._status import CountName
from actors.execution._workflows import RECONCILE_MARGIN_S, ReconcileResult, Workflows
from actors.messages import IntentRecorded
from actors.persistence import Ledger, ReconcileBasis, reconcile_basis
from actors.venues import VenueOrder, VenuePosition
from actors.venues.kalshi import KalshiClient
from tests.actors.venue_clients import RecordingTransport, Settings
from tests.warden.conftest import quiet_config
from warden.venue import HOUSE, TRADER, OrderRequest, TimeInForce, VenueServer, open_venue
from warden.venue._model import ManualClock

HOUR = 3600.0


class Quiet:
    """A reporter that keeps what it is told (errors fail the test where it matters)."""

    def __init__(self) -> None:
        self.errors: list[VenueError] = []

    def venue_error(self, error: VenueError) -> None:
        self.errors.append(error)

    def count(self, counter: CountName, n: int = 1) -> None:
        pass

    def leg_state(self, reservation_id: str, client_order_id: str, state: str) -> None:
        pass


@attrs.define
class Daemon:
    """What one start of the daemon does about the venue: one client, one reconciliation,
    its result recorded in the ledger; the queries are what it asked the venue for."""

    result: ReconcileResult
    fills_queries: list[dict[str, str]]
    orders_queries: list[dict[str, str]]
    fills_recorded: int


@asynccontextmanager
async def venue_at(clock: ManualClock) -> AsyncIterator[VenueServer]:
    async with open_venue(quiet_config(), clock=clock) as server:
        yield server


def trade(server: VenueServer, ledger_path: Path, client_order_id: str, count: int = 1) -> None:
    """The daemon's order: its intent recorded in the ledger first (as execution does),
    then the house bids NO at 0.58 and the trader buys YES at 0.42 (IOC): one fill of
    ``count`` contracts, at the venue's clock."""
    intent = OrderIntent(
        client_order_id, "SIM-001", Side.YES, Action.BUY, Decimal("0.42"), Decimal(count)
    )
    with Ledger.open(ledger_path, wall=server.sim.clock.now) as ledger:
        ledger.write(
            f"intent-{client_order_id}", (IntentRecorded(intent, "r1", 0, OrderRole.ENTRY),)
        )
    engine = server.sim.engine
    engine.place(HOUSE, OrderRequest("SIM-001", "no", "buy", Decimal(count), Decimal("0.58")))
    order = engine.place(
        TRADER,
        OrderRequest(
            "SIM-001",
            "yes",
            "buy",
            Decimal(count),
            Decimal("0.42"),
            time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL,
            client_order_id=client_order_id,
        ),
    )
    assert order["status"] == "executed"


async def start(
    server: VenueServer,
    ledger_path: Path,
    clock: ManualClock,
    *,
    cancel: bool = True,
    skew_s: float = 0.0,
    transport: RecordingTransport | None = None,
) -> Daemon:
    """A daemon start: reconcile against ``server`` from the ledger's basis, then record
    what was found in the ledger (one Record, as execution does) at the daemon's wall
    clock: the venue's plus ``skew_s``."""
    transport = transport if transport is not None else RecordingTransport()
    settings = Settings(server.rest_url)
    retry = RetryPolicy(max_attempts=1, base=0.01, cap=0.01)
    async with KalshiClient(settings, transport=transport) as client:
        work = Workflows(
            client,
            retry=retry,
            resolve_retry=retry,
            rng=random.Random(7),
            reporter=Quiet(),
            reconcile_basis=functools.partial(reconcile_basis, ledger_path),
        )
        result = await work.reconcile(cancel=cancel)
    with Ledger.open(ledger_path, wall=lambda: clock.now() + skew_s) as ledger:
        written = ledger.write(f"reconcile-{clock.now()}", reconcile_events(result))
    return Daemon(
        result,
        transport.queries("/portfolio/fills"),
        transport.queries("/portfolio/orders"),
        written.fills_recorded,
    )


def ledger_fills(ledger_path: Path) -> list[str]:
    with Ledger.open_read_only(ledger_path) as ledger:
        return sorted(record.fill.fill_id for record in ledger.fills())


def venue_fill_ids(server: VenueServer) -> list[str]:
    return sorted(fill.trade_id for fill in server.sim.engine.fill_values(TRADER))


async def test_a_restart_asks_the_venue_only_for_fills_since_the_last_reconciled_point(
    tmp_path: Path,
) -> None:
    ledger_path = tmp_path / "ledger.sqlite"
    clock = ManualClock(current=1_800_000_000.0)
    async with venue_at(clock) as server:
        trade(server, ledger_path, "old-a")
        trade(server, ledger_path, "old-b", count=2)
        clock.advance(HOUR)

        first = await start(server, ledger_path, clock)  # a new ledger: every fill
        assert first.fills_queries == [{"limit": "1000"}]
        assert first.result.listed_since is None
        assert first.fills_recorded == len(venue_fill_ids(server)) == 2
        reconciled_at = clock.now()

        clock.advance(2 * HOUR)  # the daemon is down; a fill happens meanwhile
        trade(server, ledger_path, "while-down")
        clock.advance(HOUR)

        second = await start(server, ledger_path, clock)

    since = reconciled_at - RECONCILE_MARGIN_S
    assert second.result.listed_since == since
    assert second.fills_queries == [{"min_ts": str(math.floor(since) - 1), "limit": "1000"}]
    # only the fill made while down was listed (the old ones lie before the point),
    # and only its order, besides the open ones (asked for in full, and none open)
    assert [f.client_order_id for f in second.result.fills] == ["while-down"]
    assert second.orders_queries == [
        {"status": "resting", "limit": "1000"},  # to cancel them
        {"min_ts": str(math.floor(since) - 1), "limit": "1000"},
        {"status": "resting", "limit": "1000"},
    ]
    assert [o.client_order_id for o in second.result.orders] == ["while-down"]
    assert second.fills_recorded == 1
    assert ledger_fills(ledger_path) == venue_fill_ids(server)  # each fill once


async def test_fills_listed_again_inside_the_margin_are_recorded_exactly_once(
    tmp_path: Path,
) -> None:
    ledger_path = tmp_path / "ledger.sqlite"
    clock = ManualClock(current=1_800_000_000.0)
    async with venue_at(clock) as server:
        first = await start(server, ledger_path, clock)  # nothing yet: the point is set
        assert first.result.fills == ()
        clock.advance(60.0)  # well inside the margin
        trade(server, ledger_path, "late", count=3)
        second = await start(server, ledger_path, clock)
        clock.advance(60.0)
        third = await start(server, ledger_path, clock)  # lists "late" again

    assert [f.client_order_id for f in second.result.fills] == ["late"]
    assert second.fills_recorded == 1
    assert [f.client_order_id for f in third.result.fills] == ["late"]  # listed twice ...
    assert third.fills_recorded == 0  # ... recorded once
    assert ledger_fills(ledger_path) == venue_fill_ids(server)
    with Ledger.open_read_only(ledger_path) as ledger:
        assert ledger.last_reconciled_at() == clock.now()


async def test_an_unreadable_reconciled_point_lists_every_fill(tmp_path: Path) -> None:
    def broken() -> ReconcileBasis:
        raise OSError("disk gone")

    clock = ManualClock(current=1_800_000_000.0)
    async with venue_at(clock) as server:
        trade(server, tmp_path / "ledger.sqlite", "old")
        clock.advance(HOUR)
        transport = RecordingTransport()
        retry = RetryPolicy(max_attempts=1, base=0.01, cap=0.01)
        async with KalshiClient(Settings(server.rest_url), transport=transport) as client:
            work = Workflows(
                client,
                retry=retry,
                resolve_retry=retry,
                rng=random.Random(7),
                reporter=Quiet(),
                reconcile_basis=broken,
            )
            result = await work.reconcile(cancel=True)

    assert result.listed_since is None
    assert transport.queries("/portfolio/fills") == [{"limit": "1000"}]
    assert [f.client_order_id for f in result.fills] == ["old"]


def test_a_ledger_never_reconciled_has_no_point(tmp_path: Path) -> None:
    assert reconcile_basis(tmp_path / "absent.sqlite") == ReconcileBasis(None)
    with Ledger.open(tmp_path / "new.sqlite", wall=lambda: 5.0) as ledger:
        ledger.write("r1", ())
        assert ledger.last_reconciled_at() is None
        assert ledger.last_reconciliation_audit() is None
    assert reconcile_basis(tmp_path / "new.sqlite") == ReconcileBasis(None)


@pytest.mark.parametrize("complete", [True, False])
def test_positions_from_recent_fills_only_claim_no_cost(complete: bool) -> None:
    fill = Fill("t1", "c1", "SIM-001", Side.YES, Action.BUY, Decimal("0.40"), Decimal(2))
    held = VenuePosition("SIM-001", Decimal(5), Decimal("2.00"), Decimal(0), Decimal(0))
    (position,) = positions_from([fill], [held], fills_complete=complete)
    assert (position.yes_count, position.no_count) == (Decimal(5), Decimal(0))
    # all fills: cash is what they cost; recent ones only: nothing known (risk costs the worst)
    assert position.cash == (Decimal("-0.80") if complete else Decimal(0))


async def test_an_order_resting_since_before_the_point_is_still_listed(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.sqlite"
    clock = ManualClock(current=1_800_000_000.0)
    async with venue_at(clock) as server:
        intent = OrderIntent(
            "resting", "SIM-001", Side.YES, Action.BUY, Decimal("0.10"), Decimal(1)
        )
        with Ledger.open(ledger_path, wall=clock.now) as ledger:
            ledger.write("intent", (IntentRecorded(intent, "r1", 0, OrderRole.ENTRY),))
        server.sim.engine.place(
            TRADER,
            OrderRequest(
                "SIM-001", "yes", "buy", Decimal(1), Decimal("0.10"), client_order_id="resting"
            ),
        )
        clock.advance(HOUR)
        await start(server, ledger_path, clock, cancel=False)  # dry run: nothing cancelled
        clock.advance(HOUR)
        again = await start(server, ledger_path, clock, cancel=False)

    assert again.result.listed_since is not None
    assert [o.client_order_id for o in again.result.orders] == ["resting"]
    assert again.result.orders[0].is_resting


def test_an_order_known_only_by_its_fills_is_not_expired_as_never_sent(tmp_path: Path) -> None:
    """A reconciliation that lists an order's fill but not the order (Polymarket lists
    only open orders) must not expire it: its FILLED would be refused ever after."""
    ledger_path = tmp_path / "warden.db"
    intent = OrderIntent("cid-f", "SIM-001", Side.YES, Action.BUY, Decimal("0.42"), Decimal(2))
    fill = Fill("t1", "cid-f", "SIM-001", Side.YES, Action.BUY, Decimal("0.42"), Decimal(2))
    filled = VenueOrder(
        "o1", "cid-f", "SIM-001", Side.YES, Action.BUY, "executed",
        Decimal("0.42"), Decimal(2), Decimal(2), Decimal(0),
    )  # fmt: skip
    with Ledger.open(ledger_path, wall=lambda: 1_000.0) as ledger:
        ledger.write("intent", (IntentRecorded(intent, "r1", 0, OrderRole.ENTRY),))
        fill_only = ReconcileResult(cancelled=(), orders=(), fills=(fill,), positions=())
        ledger.write("reconcile-1", reconcile_events(fill_only))
        later = ReconcileResult(cancelled=(), orders=(filled,), fills=(fill,), positions=())
        ledger.write("reconcile-2", reconcile_events(later))  # EXPIRED -> FILLED raised here
        (order,) = ledger.orders()
    assert order.order.state is OrderState.FILLED


def test_an_order_not_listed_is_finished_by_its_fills(tmp_path: Path) -> None:
    """Polymarket lists only open orders: one not listed is done, and its fills say
    how: all of it filled, part (then canceled), or none (never sent)."""
    ledger_path = tmp_path / "warden.db"
    intents = [
        OrderIntent(cid, "SIM-001", Side.YES, Action.BUY, Decimal("0.42"), Decimal(2))
        for cid in ("all", "part", "none")
    ]
    fills = (
        Fill("t1", "all", "SIM-001", Side.YES, Action.BUY, Decimal("0.42"), Decimal(2)),
        Fill("t2", "part", "SIM-001", Side.YES, Action.BUY, Decimal("0.42"), Decimal(1)),
    )
    with Ledger.open(ledger_path, wall=lambda: 1_000.0) as ledger:
        for n, intent in enumerate(intents):
            ledger.write(f"intent-{n}", (IntentRecorded(intent, f"r{n}", 0, OrderRole.ENTRY),))
        listed = ReconcileResult(cancelled=(), orders=(), fills=fills, positions=())
        ledger.write("reconcile", reconcile_events(listed))
        states = {
            r.order.client_order_id: (r.order.state, r.order.filled_count) for r in ledger.orders()
        }
    assert states == {
        "all": (OrderState.FILLED, Decimal(2)),
        "part": (OrderState.CANCELED, Decimal(1)),
        "none": (OrderState.EXPIRED, Decimal(0)),
    }
