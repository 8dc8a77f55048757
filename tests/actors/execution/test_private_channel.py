"""Execution hearing the venue's private channels (``user_orders``, ``fill``): unknown
submits resolved without a re-send, fills without listing them per order, and the REST
fallbacks when the channel is not there. Against the simulated venue on loopback."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import pytest

from actors.domain import Fill
from actors.execution import ExecutionConfig, ExecutionCounts
from actors.messages import Execute, ExecutionReport, FillRecorded, Outcome, Reconciled
from actors.venues import ClientSettings
from actors.venues.kalshi import KalshiClient, KalshiTrading, PrivateSettings
from supervision import NO_BACKOFF
from tests.actors.execution_harness import (
    Harness,
    VenueThread,
    as_bought,
    fast_config,
    reservation,
    start_execution,
)
from tests.supervision.conftest import eventually

Start = Callable[..., Harness]


class CountingClient(KalshiClient):
    """Kalshi's client, counting the list calls execution makes (``calls``)."""

    calls: Counter[str]

    async def list_fills(
        self, *, order_id: str | None = None, since: float | None = None
    ) -> list[Fill]:
        self.calls["list_fills"] += 1
        return await super().list_fills(order_id=order_id, since=since)

    async def list_orders(self, **kwargs: Any) -> Any:
        self.calls["list_orders"] += 1
        return await super().list_orders(**kwargs)


@attrs.frozen
class CountingKalshi(KalshiTrading):
    calls: Counter[str] = attrs.field(factory=Counter, eq=False)

    def open_client(
        self,
        settings: ClientSettings,
        *,
        on_rate_limit_wait: Callable[[str, float], None] | None = None,
    ) -> KalshiClient:
        client = CountingClient(
            settings, on_rate_limit_wait=on_rate_limit_wait, private=self.private
        )
        client.calls = self.calls
        return client


def hearing_config(
    venue: VenueThread, ws_url: str | None = None, **overrides: Any
) -> ExecutionConfig:
    assert venue.server is not None
    private = PrivateSettings(
        ws_url or venue.server.ws_url,
        ping_interval_s=0.5,
        silence_timeout_s=2.0,
        connect_timeout_s=2.0,
        reconnect=NO_BACKOFF,
    )
    return fast_config(venue.rest_url, venue=CountingKalshi(private=private), **overrides)


def calls_of(config: ExecutionConfig) -> Counter[str]:
    assert isinstance(config.venue, CountingKalshi)
    return config.venue.calls


@pytest.fixture
def venue() -> Iterator[VenueThread]:
    thread = VenueThread().start()
    yield thread
    thread.stop()


@pytest.fixture
def start(venue: VenueThread) -> Iterator[Start]:
    """Start execution against ``venue``; wait until it has reconciled."""
    with contextlib.ExitStack() as stack:

        def run(config: ExecutionConfig) -> Harness:
            harness = stack.enter_context(
                contextlib.contextmanager(start_execution)(config, venue=venue)
            )
            (reconciled,) = harness.risk.wait_for(Reconciled)
            assert reconciled.ok
            return harness

        yield run


def counts(harness: Harness) -> ExecutionCounts:
    return harness.summary().counts


def channel_up(harness: Harness) -> None:
    eventually(lambda: counts(harness).private_channel_ups >= 1, what="the private channel up")


def report_of(harness: Harness, rid: str) -> ExecutionReport:
    def found() -> ExecutionReport | None:
        reports = [r for r in harness.risk.of(ExecutionReport) if r.reservation_id == rid]
        return reports[0] if reports else None

    report: ExecutionReport = eventually(found, timeout=30, what=f"report for {rid}")
    return report


def accepted_ids(venue: VenueThread) -> list[str]:
    return [record["client_order_id"] for record in venue.truth("order_accepted")]


def crossing_book(venue: VenueThread, depth: int = 5) -> None:
    """YES ask $0.42 (house NO bid 0.58) and NO ask $0.55 (house YES bid 0.45)."""
    venue.house_bid("no", "0.58", depth)
    venue.house_bid("yes", "0.45", depth)


def ledger_fills(harness: Harness) -> list[Fill]:
    return as_bought(event.fill for event in harness.events(FillRecorded))


def test_a_submit_whose_answer_is_dropped_is_resolved_by_user_orders_without_a_resend(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    config = hearing_config(venue)
    harness = start(config)
    channel_up(harness)
    listed_before = Counter(calls_of(config))
    venue.faults({"http": {"create_order": {"timeout_after_apply_rate": 1}}})

    harness.tree.tell("execution", Execute(reservation()))

    report = report_of(harness, "opp-1")
    assert report.outcome is Outcome.FILLED
    assert sorted(accepted_ids(venue)) == sorted(reservation().client_order_ids)  # once each
    done = counts(harness)
    assert (done.unknown_outcomes_resolved, done.unknown_outcomes_heard) == (2, 2)
    assert done.orders_sent == 2
    calls = calls_of(config)
    assert calls["list_orders"] == listed_before["list_orders"]  # no paging was needed
    assert calls["list_fills"] == listed_before["list_fills"]  # fills heard, not listed
    assert as_bought(report.fills) == venue.fills()
    assert ledger_fills(harness) == venue.fills()


def test_fills_come_from_the_fill_channel_and_are_not_listed_per_order(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue, depth=15)
    config = hearing_config(venue)
    harness = start(config)
    channel_up(harness)
    listed_at_start = calls_of(config)["list_fills"]  # reconciliation lists them: once

    for n in range(3):
        harness.tree.tell("execution", Execute(reservation(f"opp-{n}", count="3")))
        assert report_of(harness, f"opp-{n}").outcome is Outcome.FILLED

    assert listed_at_start == 1
    assert calls_of(config)["list_fills"] == listed_at_start  # 6 filled orders, 0 listings
    done = counts(harness)
    assert (done.fills_heard, done.fills_listed) == (6, 0)
    assert ledger_fills(harness) == venue.fills()  # the same Fill records, none twice
    assert len(venue.fills()) == 6


def test_without_a_private_channel_paging_resolves_and_fills_are_listed(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    nowhere = "ws://127.0.0.1:9/trade-api/ws/v2"  # nothing listens: never up
    config = hearing_config(venue, nowhere)
    venue.faults({"http": {"create_order": {"timeout_after_apply_rate": 1}}})
    harness = start(config)
    listed_before = Counter(calls_of(config))

    harness.tree.tell("execution", Execute(reservation()))

    report = report_of(harness, "opp-1")
    assert report.outcome is Outcome.FILLED
    assert sorted(accepted_ids(venue)) == sorted(reservation().client_order_ids)
    done = counts(harness)
    assert (done.unknown_outcomes_resolved, done.unknown_outcomes_heard) == (2, 0)
    assert (done.fills_heard, done.fills_listed, done.private_channel_ups) == (0, 2, 0)
    calls = calls_of(config)
    assert calls["list_orders"] >= listed_before["list_orders"] + 2  # paged, per order
    assert calls["list_fills"] == listed_before["list_fills"] + 2
    assert ledger_fills(harness) == venue.fills()


def test_a_channel_that_goes_quiet_falls_back_to_listing_the_fills(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue)
    config = hearing_config(venue, hear_fills_s=0.3)
    harness = start(config)
    channel_up(harness)
    venue.faults({"stream": {"silence": True}})  # frames withheld, the socket stays open

    harness.tree.tell("execution", Execute(reservation()))

    report = report_of(harness, "opp-1")
    assert report.outcome is Outcome.FILLED
    done = counts(harness)
    assert (done.fills_heard, done.fills_listed) == (0, 2)
    assert ledger_fills(harness) == venue.fills()


def test_a_dropped_channel_comes_back_and_fills_are_heard_again(
    venue: VenueThread, start: Start
) -> None:
    crossing_book(venue, depth=10)
    config = hearing_config(venue)
    harness = start(config)
    channel_up(harness)
    venue.faults({"stream": {"drop_rate": 1}})
    harness.tree.tell("execution", Execute(reservation("opp-a")))
    assert report_of(harness, "opp-a").outcome is Outcome.FILLED
    venue.clear_faults()
    eventually(lambda: counts(harness).private_channel_ups >= 2, what="the channel up again")
    heard_before = counts(harness).fills_heard

    harness.tree.tell("execution", Execute(reservation("opp-b")))

    assert report_of(harness, "opp-b").outcome is Outcome.FILLED
    assert counts(harness).fills_heard == heard_before + 2
    assert counts(harness).private_channel_downs >= 1
    assert ledger_fills(harness) == venue.fills()
    assert len(venue.fills()) == 4


def test_filled_quantities_are_exact_decimals(venue: VenueThread, start: Start) -> None:
    crossing_book(venue)
    harness = start(hearing_config(venue))
    channel_up(harness)
    harness.tree.tell("execution", Execute(reservation(count="2.5")))
    report = report_of(harness, "opp-1")
    assert {fill.count for fill in report.fills} == {Decimal("2.5")}
    assert counts(harness).fills_heard == 2
