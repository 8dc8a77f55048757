"""Feed and strategy actor together on the realistic simulated venue: a mispriced
exclusive event becomes one Reserve of its all-YES basket, legs in the venue's order."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D
from typing import Any

import pytest

from actors.domain import Action, Side
from actors.feed import FeedActor
from actors.messages import Reserve
from actors.money import KalshiFees
from actors.strategy import BasketArbitrage, StrategyActor, StrategyStatus
from supervision import NO_BACKOFF, ChildSpec, SupervisionTree, SupervisorSpec, TreeThread
from tests.actors.feed_harness import VenueThread, feed_config, quiet_venue
from tests.actors.test_strategy import Sink
from tests.supervision.conftest import eventually
from warden.venue import RealismConfig

EVENT = ("SIMEV-01-A", "SIMEV-01-B", "SIMEV-01-C")


@pytest.fixture
def rig() -> Iterator[tuple[VenueThread, SupervisionTree, list[Any]]]:
    venue = VenueThread(quiet_venue(realism=RealismConfig())).start()
    to_risk: list[Any] = []
    feed = feed_config(venue.server, tickers=())
    spec = SupervisorSpec(
        name="root",
        children=(
            ChildSpec(name="risk", factory=lambda: Sink(to_risk)),
            ChildSpec(
                name="strategy",
                factory=lambda: StrategyActor(
                    [BasketArbitrage(KalshiFees(), max_count=D(3))],
                    schedule=KalshiFees(),
                    max_book_age_s=5.0,
                    repeat_after_s=60.0,
                ),
            ),
            ChildSpec(name="feed", factory=lambda: FeedActor(feed)),
        ),
        backoff=NO_BACKOFF,
    )
    host = TreeThread(SupervisionTree(spec, seed=5)).start()
    yield venue, host.tree, to_risk
    host.stop()
    venue.stop()


def test_a_mispriced_exclusive_event_on_the_realistic_venue_is_proposed_as_one_basket(
    rig: tuple[VenueThread, SupervisionTree, list[Any]],
) -> None:
    venue, tree, to_risk = rig

    def listed() -> bool:
        status = tree.snapshot().status_of("strategy", StrategyStatus)
        return status is not None and status.counts.events_listed >= 1

    eventually(listed, what="the events reached the strategy")
    for ticker in EVENT:  # NO bids at 0.70: YES asks of 0.30, three of them for $0.90
        venue.bid("no", "0.70", 5, ticker=ticker)

    reserve: Reserve = eventually(
        lambda: next((m for m in list(to_risk) if isinstance(m, Reserve)), None),
        what="a Reserve of the event's basket",
    )
    basket = reserve.basket
    assert basket.event.event_ticker == "SIMEV-01"
    assert basket.event.exclusive
    assert [(leg.ticker, leg.side, leg.action, leg.price, leg.count) for leg in basket.legs] == [
        (ticker, Side.YES, Action.BUY, D("0.30"), D(3)) for ticker in EVENT
    ]
    assert basket.worst_case_edge == D(3) - D("2.70") - 3 * D("0.05")
    assert len([m for m in list(to_risk) if isinstance(m, Reserve)]) == 1
