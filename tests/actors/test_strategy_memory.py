"""The strategy actor remembers its proposals for repeat suppression only as long as
``repeat_after_s``: a long run of distinct proposals does not grow its memory, and a
repeat inside the window is still suppressed."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D
from typing import Any

import pytest

from actors.domain import Action, BookSnapshot, Event, Leg, Side
from actors.messages import BookUpdate, Reserve
from actors.strategy import Proposal, StrategyActor, StrategyStatus
from supervision import (
    NO_BACKOFF,
    ChildSpec,
    ManualClock,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
)
from tests.actors.test_strategy import FEES, Scripted, Sink, book
from tests.supervision.conftest import eventually

MARKETS = ("EV-A", "EV-B", "EV-C")
REPEAT_AFTER_S = 2.0
STEP_S = 0.25  # clock advance per proposal: 8 proposals per window


def _proposal(n: int) -> Proposal:
    """All YES of event ``EV<n>`` (its own repeat key) at 0.30 a leg."""
    event = Event(f"EV{n}", MARKETS, True)
    legs = tuple(Leg(t, Side.YES, Action.BUY, D("0.30"), D(1)) for t in MARKETS)
    return Proposal(event, legs, reason="memory test")


class Run:
    """One strategy actor (kept, so the test can read how much it remembers) between sinks."""

    def __init__(self) -> None:
        self.proposals: dict[int, Proposal] = {}  # what the strategy proposes on EV-A's seq
        self.clock = ManualClock()
        self.clock.advance(100.0)
        self.to_risk: list[Any] = []
        self.to_feed: list[Any] = []
        self.made: list[StrategyActor] = []
        spec = SupervisorSpec(
            name="root",
            children=(
                ChildSpec(name="risk", factory=lambda: Sink(self.to_risk)),
                ChildSpec(name="feed", factory=lambda: Sink(self.to_feed)),
                ChildSpec(name="strategy", factory=self._make),
            ),
            backoff=NO_BACKOFF,
        )
        self.strategy = Scripted(script=self._script)
        self.host = TreeThread(SupervisionTree(spec, clock=self.clock)).start()

    def _script(self, b: BookSnapshot) -> tuple[Proposal, ...]:
        wanted = b.ticker == "EV-A" and b.seq in self.proposals
        return (self.proposals[b.seq],) if wanted else ()

    def _make(self) -> StrategyActor:
        actor = StrategyActor(
            [self.strategy], schedule=FEES, max_book_age_s=1e9, repeat_after_s=REPEAT_AFTER_S
        )
        self.made.append(actor)
        return actor

    def update(self, ticker: str, seq: int) -> None:
        acked = len(self.to_feed)
        snapshot: BookSnapshot = book(ticker, seq)
        self.host.tree.tell("strategy", BookUpdate(snapshot, self.clock.monotonic()))
        eventually(lambda: len(self.to_feed) > acked, what=f"{ticker} {seq} acknowledged")

    def remembered(self) -> int:
        return len(self.made[-1]._last_proposed)

    def reserves(self) -> list[Reserve]:
        return [m for m in list(self.to_risk) if isinstance(m, Reserve)]

    def status(self) -> StrategyStatus:
        status = self.host.tree.snapshot().status_of("strategy", StrategyStatus)
        assert status is not None
        return status


@pytest.fixture
def run() -> Iterator[Run]:
    made = Run()
    yield made
    made.host.stop()


def test_a_long_run_of_distinct_proposals_keeps_only_a_window_of_them(run: Run) -> None:
    proposals = run.proposals
    run.update("EV-B", 1)
    run.update("EV-C", 1)
    most = 0
    for n in range(1, 401):
        proposals[n] = _proposal(n)
        run.update("EV-A", n)
        most = max(most, run.remembered())
        run.clock.advance(STEP_S)
    eventually(lambda: len(run.reserves()) == 400, what="400 reserves")
    # a window holds REPEAT_AFTER_S / STEP_S = 8 proposals (9 at its edges), never more
    assert most <= REPEAT_AFTER_S / STEP_S + 1
    assert run.status().counts.repeats_suppressed == 0


def test_a_repeat_inside_the_window_is_still_suppressed_after_a_long_run(run: Run) -> None:
    proposals = run.proposals
    run.update("EV-B", 1)
    run.update("EV-C", 1)
    for n in range(1, 301):
        proposals[n] = _proposal(n)
        run.update("EV-A", n)
        run.clock.advance(STEP_S)
    eventually(lambda: len(run.reserves()) == 300, what="300 reserves")

    proposals[1001] = _proposal(300)  # proposed 0.25 s ago: a repeat
    run.update("EV-A", 1001)
    proposals[1002] = _proposal(1)  # proposed 75 s ago: long expired, sent again
    run.update("EV-A", 1002)

    eventually(lambda: len(run.reserves()) == 301, what="the expired one sent again")
    assert run.reserves()[-1].basket.event_ticker == "EV1"
    assert run.status().counts.repeats_suppressed == 1
