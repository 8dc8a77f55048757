"""The strategy actor with scripted strategies: freshness across legs, repeats, ids, errors.

The built-in strategies' money logic has its own files (test_strategy_complement.py,
test_strategy_basket.py, test_strategy_exit.py); here a fake strategy answers what each
test scripts, so what is checked is the actor's gate between strategies and risk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal as D
from typing import Any

import attrs
import pytest

from actors.domain import Action, BookSnapshot, Event, Leg, Purpose, Side
from actors.messages import (
    BookConsumed,
    BookStale,
    BookUpdate,
    EventsListed,
    HeldContracts,
    Holdings,
    HoldingsWanted,
    Reserve,
)
from actors.money import KalshiFees
from actors.strategy import Proposal, StrategyActor, StrategyStatus, repeat_key
from supervision import (
    NO_BACKOFF,
    ChildSpec,
    ManualClock,
    SupervisedActor,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
    snapshot_from_dict,
    snapshot_to_dict,
)
from tests.supervision.conftest import eventually

EVENT = Event("EV", ("EV-A", "EV-B", "EV-C"), True)
FEES = KalshiFees(taker_rate=D("0.07"))


def all_yes(price: str = "0.30", count: str = "1") -> Proposal:
    """YES of every market of EVENT at ``price``: pays $1 x count whoever wins."""
    legs = tuple(Leg(t, Side.YES, Action.BUY, D(price), D(count)) for t in EVENT.markets)
    return Proposal(EVENT, legs, reason="all_yes")


def book(ticker: str, seq: int = 1) -> BookSnapshot:
    return BookSnapshot(ticker, seq, {D("0.20"): D(5)}, {D("0.60"): D(5)})


@attrs.define
class Scripted:
    """A strategy that records what it hears and answers ``script(book)`` on each book."""

    name: str = "scripted"
    wants_holdings: bool = False
    script: Callable[[BookSnapshot], Any] = lambda _book: ()
    heard: list[Any] = attrs.Factory(list)
    nows: list[float] = attrs.Factory(list)

    def on_events(self, listed: EventsListed) -> None:
        self.heard.append(listed)

    def on_book(self, book: BookSnapshot, now: float) -> Sequence[Proposal]:
        self.heard.append(book)
        self.nows.append(now)
        result: Sequence[Proposal] = self.script(book)
        return result

    def on_stale(self, ticker: str) -> None:
        self.heard.append(("stale", ticker))

    def on_holdings(self, holdings: Holdings) -> None:
        self.heard.append(holdings)


class Sink(SupervisedActor):
    """Stands in for feed and risk: records what it receives."""

    def __init__(self, received: list[Any]) -> None:
        super().__init__()
        self.received = received

    def on_receive(self, message: Any) -> Any:
        self.received.append(message)
        return None


@attrs.define
class Rig:
    tree: SupervisionTree
    clock: ManualClock
    to_risk: list[Any]
    to_feed: list[Any]

    def update(self, ticker: str, seq: int = 1, *, age: float = 0.0) -> None:
        """A book of ``ticker`` received ``age`` seconds ago; waits for its ack."""
        acked = len(self.to_feed)
        received_at = self.clock.monotonic() - age
        self.tree.tell("strategy", BookUpdate(book(ticker, seq), received_at))
        eventually(lambda: len(self.to_feed) > acked, what=f"{ticker} acknowledged")

    def reserves(self) -> list[Reserve]:
        return [m for m in list(self.to_risk) if isinstance(m, Reserve)]

    def wait_reserves(self, count: int) -> list[Reserve]:
        """The Reserves once ``count`` arrived: the fake risk records them on its own
        thread, so a book's ack may reach the test before its Reserve does."""
        eventually(lambda: len(self.reserves()) >= count, what=f"{count} reserves")
        return self.reserves()

    def status(self) -> StrategyStatus:
        status = self.tree.snapshot().status_of("strategy", StrategyStatus)
        assert status is not None, "the strategy published no StrategyStatus"
        return status

    def settle(self, message: Any, done: Callable[[StrategyStatus], bool]) -> None:
        self.tree.tell("strategy", message)
        eventually(lambda: done(self.status()), what=f"{type(message).__name__} handled")


@pytest.fixture
def start() -> Iterator[Callable[..., Rig]]:
    hosts: list[TreeThread] = []

    def start(*strategies: Any) -> Rig:
        clock = ManualClock()
        clock.advance(100.0)  # so a test can date a book in the past
        to_risk: list[Any] = []
        to_feed: list[Any] = []
        spec = SupervisorSpec(
            name="root",
            children=(
                ChildSpec(name="risk", factory=lambda: Sink(to_risk)),
                ChildSpec(name="feed", factory=lambda: Sink(to_feed)),
                ChildSpec(
                    name="strategy",
                    factory=lambda: StrategyActor(
                        strategies, schedule=FEES, max_book_age_s=0.5, repeat_after_s=2.0
                    ),
                ),
            ),
            backoff=NO_BACKOFF,
        )
        host = TreeThread(SupervisionTree(spec, clock=clock)).start()
        hosts.append(host)
        return Rig(host.tree, clock, to_risk, to_feed)

    yield start
    for host in hosts:
        host.stop()


def on(ticker: str, proposal: Proposal) -> Callable[[BookSnapshot], Sequence[Proposal]]:
    """A script proposing ``proposal`` on every book of ``ticker``."""
    return lambda b: (proposal,) if b.ticker == ticker else ()


def test_a_fresh_proposal_is_one_reserve_of_a_basket_priced_with_the_configured_fees(
    start: Callable[..., Rig],
) -> None:
    scripted = Scripted(script=on("EV-C", all_yes()))
    rig = start(scripted)
    for seq, ticker in enumerate(EVENT.markets, start=1):
        rig.update(ticker, seq)
    assert scripted.nows == [rig.clock.monotonic()] * 3  # the actor's clock, nothing else

    (reserve,) = rig.wait_reserves(1)
    basket = reserve.basket
    assert re.fullmatch(r"EV-\d{13}-\d+-1", basket.basket_id), basket.basket_id
    assert reserve.reservation_id == basket.basket_id
    assert reserve.detected_at == rig.clock.monotonic()
    assert (basket.event, basket.legs, basket.purpose) == (EVENT, all_yes().legs, Purpose.ARBITRAGE)
    assert basket.schedule is FEES
    # 3 x 0.30 + 3 fees of ceil_to_cent(0.07 x 0.3 x 0.7) = 0.02: edge 1 - 0.90 - 0.06
    assert basket.worst_case_edge == D("0.04")
    assert rig.to_feed == [BookConsumed(t, s) for s, t in enumerate(EVENT.markets, start=1)]
    status = rig.status()
    assert (status.counts.books, status.counts.opportunities) == (3, 1)
    assert status.last_edge == {"EV": D("0.04")}


def test_a_proposal_touching_a_market_never_seen_is_not_fresh(start: Callable[..., Rig]) -> None:
    rig = start(Scripted(script=on("EV-B", all_yes())))
    rig.update("EV-A")
    rig.update("EV-B")  # EV-C has never had a book: the basket's third leg is blind
    assert rig.reserves() == []
    assert rig.status().counts.not_fresh == 1


def test_a_stale_leg_market_blocks_the_whole_basket_until_its_next_book(
    start: Callable[..., Rig],
) -> None:
    scripted = Scripted(script=on("EV-A", all_yes()))
    rig = start(scripted)
    for ticker in ("EV-B", "EV-C"):
        rig.update(ticker)
    rig.settle(BookStale("EV-B", "gap"), lambda s: s.stale_markets == ("EV-B",))
    assert ("stale", "EV-B") in scripted.heard  # the strategy is told too

    rig.update("EV-A")  # proposes across EV-B, which is stale
    assert rig.reserves() == []
    assert rig.status().counts.not_fresh == 1

    rig.update("EV-B", seq=2)  # EV-B's next book ends its staleness
    rig.update("EV-A", seq=2)
    assert len(rig.wait_reserves(1)) == 1
    assert rig.status().stale_markets == ()


def test_a_basket_is_judged_by_the_book_that_prompted_it_and_its_quiet_legs_by_the_feed(
    start: Callable[..., Rig],
) -> None:
    scripted = Scripted(script=on("EV-A", all_yes()))
    rig = start(scripted)
    rig.update("EV-B")
    rig.update("EV-C")
    rig.clock.advance(0.6)  # EV-B and EV-C last changed 0.6 s ago (> max_book_age_s = 0.5):
    rig.update("EV-A")  # quiet, but current for as long as the feed says nothing else
    assert len(rig.wait_reserves(1)) == 1
    assert rig.status().counts.not_fresh == 0

    rig.update("EV-A", seq=2, age=0.7)  # the book that prompts it arrives already too old
    assert rig.status().counts.too_old == 1
    assert rig.status().counts.not_fresh == 1
    assert [b.ticker for b in scripted.heard if isinstance(b, BookSnapshot)][-1] == "EV-A"

    rig.settle(BookStale("EV-C", "gap"), lambda s: s.stale_markets == ("EV-C",))
    rig.clock.advance(2.1)  # past repeat_after_s: only staleness can refuse it now
    rig.update("EV-A", seq=3)
    assert rig.status().counts.not_fresh == 2  # a leg the feed calls stale drops the basket
    assert len(rig.reserves()) == 1


def test_the_same_event_and_leg_prices_are_suppressed_within_the_repeat_window(
    start: Callable[..., Rig],
) -> None:
    proposals = [all_yes("0.30"), all_yes("0.30", count="2"), all_yes("0.29"), all_yes("0.30")]
    script = iter(proposals)
    rig = start(Scripted(script=lambda b: (next(script),) if b.ticker == "EV-A" else ()))
    rig.update("EV-B")
    rig.update("EV-C")

    rig.update("EV-A", 1)  # sent
    rig.update("EV-A", 2)  # same (ticker, side, price) legs, another count: a repeat
    rig.update("EV-A", 3)  # another price: a new key
    prices = [r.basket.legs[0].price for r in rig.wait_reserves(2)]
    assert prices == [D("0.30"), D("0.29")]
    assert rig.status().counts.repeats_suppressed == 1

    rig.clock.advance(2.1)  # past repeat_after_s = 2.0
    rig.update("EV-B", 2)
    rig.update("EV-C", 2)
    rig.update("EV-A", 4)
    ids = [r.basket.basket_id for r in rig.wait_reserves(3)]
    assert len(ids) == len(set(ids)) == 3
    assert [int(i.rsplit("-", 1)[1]) for i in ids] == [1, 2, 3]


def test_the_repeat_key_is_the_event_and_each_legs_ticker_side_and_price() -> None:
    assert repeat_key(all_yes("0.30")) == (
        "EV",
        tuple((t, Side.YES, D("0.30")) for t in EVENT.markets),
    )
    assert repeat_key(all_yes("0.30", count="3")) == repeat_key(all_yes("0.30"))
    assert repeat_key(all_yes("0.31")) != repeat_key(all_yes("0.30"))


def test_a_strategy_that_raises_or_answers_nonsense_is_counted_and_the_others_carry_on(
    start: Callable[..., Rig],
) -> None:
    def boom(_book: BookSnapshot) -> Sequence[Proposal]:
        raise RuntimeError("bug")

    rig = start(
        Scripted(name="boom", script=boom),
        Scripted(name="nonsense", script=lambda _b: None),
        Scripted(name="good", script=on("EV-C", all_yes())),
    )
    for ticker in EVENT.markets:
        rig.update(ticker)
    assert len(rig.wait_reserves(1)) == 1
    assert len(rig.to_feed) == 3  # every book acknowledged all the same
    assert rig.status().counts.strategy_errors == 6  # two bad strategies, three books
    assert rig.status().strategy == "boom, nonsense, good"


def test_a_proposal_the_basket_refuses_is_counted_invalid_and_never_sent(
    start: Callable[..., Rig],
) -> None:
    outside = Proposal(EVENT, (Leg("EV-A", Side.YES, Action.BUY, D("0.30"), D(1)),))
    rig = start(Scripted(script=lambda b: (all_yes("0.40"), outside) if b.ticker == "EV-C" else ()))
    for ticker in EVENT.markets:
        rig.update(ticker)
    assert rig.reserves() == []  # 3 x 0.40 > $1: no edge; one leg: not an arbitrage
    assert rig.status().counts.invalid_proposals == 2


def test_holdings_are_asked_for_at_start_and_given_only_to_the_strategies_that_want_them(
    start: Callable[..., Rig],
) -> None:
    exits = Scripted(name="exits", wants_holdings=True)
    other = Scripted(name="other")
    rig = start(exits, other)
    eventually(lambda: HoldingsWanted() in rig.to_risk, what="HoldingsWanted sent to risk")

    held = Holdings((HeldContracts("EV-A", Side.YES, D(2), D("0.62"), "EV"),))
    rig.settle(held, lambda s: s.counts.holdings == 1)
    listed = EventsListed((EVENT,), ())
    rig.settle(listed, lambda s: s.counts.events_listed == 1)
    assert exits.heard == [held, listed]
    assert other.heard == [listed]


def test_no_holdings_are_asked_for_when_no_strategy_wants_them(start: Callable[..., Rig]) -> None:
    rig = start(Scripted())
    rig.update("EV-A")
    assert rig.to_risk == []


def test_an_exit_proposal_is_sent_as_an_exit_basket(start: Callable[..., Rig]) -> None:
    sell = Proposal(
        Event.single("EV-A"),
        (Leg("EV-A", Side.YES, Action.SELL, D("0.20"), D(2)),),
        Purpose.EXIT,
        "exit",
    )
    rig = start(Scripted(script=on("EV-A", sell)))
    rig.update("EV-A")
    (reserve,) = rig.wait_reserves(1)
    assert reserve.basket.purpose is Purpose.EXIT
    assert reserve.basket.basket_id.startswith("EV-A-")
    assert (rig.status().counts.exits, rig.status().last_edge) == (1, {})


def test_a_message_the_strategy_does_not_take_is_counted_and_ignored(
    start: Callable[..., Rig],
) -> None:
    rig = start(Scripted())
    rig.settle("not a book", lambda s: s.unknown_messages == 1)
    assert rig.to_risk == rig.to_feed == []


@attrs.define
class CountingScripted(Scripted):
    def counts(self) -> dict[str, int]:
        return {"exits_impossible": 3}


def test_the_status_is_a_copy_that_crosses_json_with_each_strategys_own_counts(
    start: Callable[..., Rig],
) -> None:
    rig = start(CountingScripted(name="counting", script=on("EV-C", all_yes())))
    for ticker in EVENT.markets:
        rig.update(ticker)
    first = rig.status()
    assert first.strategy_counts == {"counting": {"exits_impossible": 3}}
    rig.clock.advance(2.5)
    rig.update("EV-A", 2)
    assert (first.counts.books, first.counts.opportunities) == (3, 1)
    snapshot = rig.tree.snapshot()
    assert snapshot_from_dict(snapshot_to_dict(snapshot)).status_of(
        "strategy", StrategyStatus
    ) == snapshot.status_of("strategy", StrategyStatus)


def test_a_proposal_checks_its_shapes_and_names_its_markets_once() -> None:
    assert all_yes().tickers == EVENT.markets
    with pytest.raises(ValueError, match="legs"):
        Proposal(EVENT, ())
    with pytest.raises(ValueError, match="event"):
        Proposal("EV", all_yes().legs)  # type: ignore[arg-type]
