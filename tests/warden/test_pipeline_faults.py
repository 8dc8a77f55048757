"""The five real actors together -- persistence on a real SQLite file, risk,
execution, strategy, feed -- against the simulated venue on loopback, with
faults that cross actor boundaries (the per-actor tests use light fakes)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from actors.execution import ExecutionStatus
from actors.messages import ReservationState, Resume
from actors.persistence import Ledger, LimitLedgerSize
from actors.risk import RiskStatus
from supervision import InjectFault, SupervisionTree, TreeThread
from tests.actors.execution_harness import VenueThread
from tests.supervision.conftest import eventually
from tests.warden.conftest import quiet_config
from warden.config import parse_config
from warden.daemon import tree_spec
from warden.wiring import VenueUrls

TICKER = "SIM-001"


@pytest.fixture
def venue() -> Iterator[VenueThread]:
    thread = VenueThread(quiet_config(markets=1)).start()
    yield thread
    thread.stop()


class Pipeline:
    def __init__(self, tmp_path: Path, venue: VenueThread, **sections: dict[str, Any]) -> None:
        settings: dict[str, dict[str, Any]] = {
            "daemon": {"db": str(tmp_path / "warden.db")},
            "feed": {"stale_after_s": 60.0, "silence_timeout_s": 60.0},
            "supervision": {"backoff_base_s": 0.05, "backoff_cap_s": 0.2},
        }
        for name, values in sections.items():
            settings[name] = settings.get(name, {}) | values
        self.config = parse_config(settings)
        self.db = Path(self.config.daemon.db)
        assert venue.server is not None
        spec = tree_spec(self.config, VenueUrls.from_base(venue.server.url))
        self.host = TreeThread(SupervisionTree(spec, seed=3, fault_injection=True)).start()
        self.tree = self.host.tree

    def risk(self) -> RiskStatus:
        risk = self.tree.snapshot().status_of("risk", RiskStatus)
        assert risk is not None, "risk publishes no status"
        return risk

    def execution(self) -> ExecutionStatus:
        execution = self.tree.snapshot().status_of("execution", ExecutionStatus)
        assert execution is not None, "execution publishes no status"
        return execution

    def reservations(self) -> dict[str, list[str]]:
        """The ids of risk's live reservations, by state."""
        books = self.risk().reservations
        return {"held": [r.id for r in books.held], "in_doubt": [r.id for r in books.in_doubt]}

    def stop(self) -> None:
        self.host.stop()


@pytest.fixture
def start(tmp_path: Path, venue: VenueThread) -> Iterator[Any]:
    pipelines: list[Pipeline] = []

    def run(**sections: dict[str, Any]) -> Pipeline:
        pipelines.append(Pipeline(tmp_path, venue, **sections))
        eventually(lambda: pipelines[-1].risk().reconciled, timeout=30)
        return pipelines[-1]

    yield run
    for pipeline in pipelines:
        pipeline.stop()


def cross(venue: VenueThread) -> None:
    """House bids leaving YES asked at $0.35 and NO at $0.55: $0.10 under the payout."""
    venue.house_bid("no", "0.65", 5)
    venue.house_bid("yes", "0.45", 5)


@pytest.mark.slow
def test_an_execution_hang_mid_order_releases_the_reservation_only_after_the_venue_confirms(
    venue: VenueThread, start: Any
) -> None:
    pipeline = start(supervision={"hang_timeout_s": 0.5}, execution={"request_timeout_s": 2.0})
    # The venue sits on every order for 1.5 s and THEN applies it: a request the
    # dead incarnation sent can still land after its successor has started.
    venue.faults({"http": {"create_order": {"latency_ms": 1500}}})
    cross(venue)

    def submitting() -> str | None:
        for rid, flight in pipeline.execution().in_flight.items():
            legs = flight.legs.values()
            if len(legs) == 2 and all(leg.startswith("submitting") for leg in legs):
                return str(rid)
        return None

    rid = eventually(submitting, timeout=20, what="both legs sent, the venue sitting on them")
    pipeline.tree.inject_fault("execution", InjectFault("hang", seconds=30))

    eventually(
        lambda: pipeline.reservations()["in_doubt"] == [rid],
        what="the hung incarnation's reservation in doubt",
    )
    eventually(lambda: pipeline.reservations() == {"held": [], "in_doubt": []}, timeout=30)

    def landed() -> list[float]:
        entries = venue.get("/sim/truth", account="trader", kind="order_accepted")["entries"]
        return [e["ts"] for e in entries]

    eventually(lambda: len(landed()) == 2, what="the dead incarnation's orders landing")

    def released_in_the_ledger() -> tuple[Any, list[Any]] | None:
        # risk released it in memory; its Record of RELEASED commits a moment later
        with Ledger.open_read_only(pipeline.db) as ledger:
            (found,) = [r for r in ledger.reservations() if r.reservation.reservation_id == rid]
            if found.reservation.state is not ReservationState.RELEASED:
                return None
            return found, sorted(ledger.fills(), key=lambda f: f.fill.fill_id)

    record, fills = eventually(released_in_the_ledger, what="the release recorded")
    assert record.reservation.state is ReservationState.RELEASED
    # Released only once the venue could confirm: after both orders of the pair landed.
    assert max(landed()) <= record.updated_at, (landed(), record.updated_at)
    # ... and what landed is booked: the ledger's fills are the venue's, and risk's
    # position is the venue's.
    assert [f.fill for f in fills] == sorted(venue.fills(), key=lambda f: f.fill_id)
    venue_position = {
        p["ticker"]: Decimal(p["position_fp"])
        for p in venue.get("/trade-api/v2/portfolio/positions")["market_positions"]
    }
    held = pipeline.risk().positions.get(TICKER)  # none: risk holds nothing in the market
    risk_position = Decimal(0) if held is None else held.yes - held.no
    assert risk_position == venue_position.get(TICKER, Decimal(0))
    assert venue.orders(status="resting") == []


def accepted_orders(venue: VenueThread) -> int:
    return len(venue.get("/sim/truth", account="trader", kind="order_accepted")["entries"])


@pytest.mark.slow
def test_a_full_disk_halts_trading_with_a_clear_error_and_nothing_is_sent_until_resumed(
    venue: VenueThread, start: Any
) -> None:
    pipeline = start(strategy={"repeat_after_s": 0.0})
    cross(venue)
    eventually(lambda: accepted_orders(venue) == 2, what="a first pair traded")

    # The disk is full: the ledger may not grow past its current size (SQLite keeps
    # the cap at least at the pages in use), so it fails once trading fills them.
    pipeline.tree.ask("persistence", LimitLedgerSize(1), timeout=10)
    for _ in range(200):
        # one opportunity at a time: a cross while the last reservation is still held
        # is refused as market_busy, and an unchanged book proposes nothing again
        eventually(lambda: pipeline.reservations() == {"held": [], "in_doubt": []})
        before = accepted_orders(venue)
        cross(venue)
        eventually(
            lambda b=before: accepted_orders(venue) > b or pipeline.risk().halted,
            what="a trade or a halt",
        )
        if pipeline.risk().halted:
            break
    risk = pipeline.risk()
    assert risk.halted, "the ledger never filled up"
    # which file, SQLite's own words, and which record failed
    assert risk.halt_reason is not None
    assert risk.halt_reason.startswith(f"ledger write failed: {pipeline.db}:")
    assert "database or disk is full (SQLITE_FULL) [record " in risk.halt_reason
    eventually(lambda: pipeline.reservations() == {"held": [], "in_doubt": []})
    halted_at = accepted_orders(venue)
    cross(venue)  # an opportunity while halted: refused, nothing sent
    eventually(lambda: pipeline.risk().rejections.halted >= 1)
    assert accepted_orders(venue) == halted_at
    assert venue.orders(status="resting") == []
    with Ledger.open_read_only(pipeline.db) as ledger:  # every venue order has its intent
        intents = {record.order.intent.client_order_id for record in ledger.orders()}
    truth = venue.get("/sim/truth", account="trader", kind="order_accepted")["entries"]
    assert {e["record"]["client_order_id"] for e in truth} <= intents

    pipeline.tree.ask("persistence", LimitLedgerSize(None), timeout=10)
    pipeline.tree.tell("risk", Resume("operator"))
    eventually(lambda: not pipeline.risk().halted, what="resumed")
    cross(venue)
    eventually(lambda: accepted_orders(venue) >= halted_at + 2, timeout=20, what="trading")


@pytest.mark.slow
def test_a_reservation_whose_risk_incarnation_died_is_released_by_the_next_after_reconciling(
    venue: VenueThread, start: Any
) -> None:
    """Found by a 10-minute chaos run: risk hung with the execution report in its
    mailbox; its successor knew nothing of the reservation and the ledger kept
    it held for ever."""
    pipeline = start(supervision={"hang_timeout_s": 0.5})
    venue.faults({"http": {"create_order": {"latency_ms": 1000}}})
    cross(venue)
    rid = eventually(
        lambda: next(iter(pipeline.execution().in_flight), None),
        what="an order pair in flight",
    )
    pipeline.tree.inject_fault("risk", InjectFault("hang", seconds=30))
    eventually(lambda: pipeline.tree.snapshot().find("risk").epoch >= 2, what="risk replaced")
    venue.clear_faults()

    def ledger_state() -> ReservationState | None:
        with Ledger.open_read_only(pipeline.db) as ledger:
            states = [
                r.reservation.state
                for r in ledger.reservations()
                if r.reservation.reservation_id == rid
            ]
        return states[0] if states else None

    eventually(lambda: ledger_state() is ReservationState.RELEASED, timeout=30, what="released")
    risk = pipeline.risk()
    assert risk.counts.recovered_released >= 1
    assert risk.recovered_pending == ()
    assert risk.reconciled is True
    assert venue.orders(status="resting") == []
