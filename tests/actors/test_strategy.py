"""Complement arbitrage: the right opportunities, and none from a stale or old book."""

from __future__ import annotations

from decimal import Decimal
from decimal import Decimal as D
from typing import Any

import pytest

from actors.domain import BookSnapshot
from actors.fees import FeeModel
from actors.messages import BookConsumed, BookStale, BookUpdate, Reserve
from actors.strategy import ComplementArbitrage, StrategyActor, StrategyStatus
from supervision import (
    NO_BACKOFF,
    ChildSpec,
    ManualClock,
    SupervisedActor,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
)
from tests.supervision.conftest import eventually


def _book(yes: Any, no: Any, seq: int = 1) -> BookSnapshot:
    # Overlapping bids are how an arbitrage looks in a bids-only book.
    return BookSnapshot("MKT-1", seq, yes, no, crossing_tolerance=D("0.50"))


def levels(mapping: dict[str, int | str]) -> dict[Decimal, Decimal]:
    """``{"0.50": 9}`` as Decimal dollars and contracts."""
    return {D(price): D(size) for price, size in mapping.items()}


def test_an_overlap_wider_than_the_fees_is_an_opportunity_at_the_top_prices() -> None:
    strategy = ComplementArbitrage(FeeModel(), min_edge=D("0.01"), max_count=D(10))
    # YES ask = 1 - 0.55 = 0.45 (size 4); NO ask = 1 - 0.52 = 0.48 (size 7)
    opportunity = strategy.evaluate(
        _book(levels({"0.50": 9, "0.52": 7}), levels({"0.55": 4, "0.30": 100}))
    )
    assert opportunity is not None
    assert (opportunity.yes_ask, opportunity.no_ask, opportunity.count) == (
        D("0.45"),
        D("0.48"),
        D(4),
    )
    fees = FeeModel()
    expected = (
        D(4) * (1 - D("0.45") - D("0.48"))
        - fees.taker_fee(D(4), D("0.45"))
        - fees.taker_fee(D(4), D("0.48"))
    )
    assert opportunity.edge == expected == D("0.28") - D("0.07") - D("0.07")


def test_no_opportunity_when_fees_eat_the_edge() -> None:
    strategy = ComplementArbitrage(FeeModel(), min_edge=D("0.01"))
    # asks 0.49 + 0.50 = 0.99 < 1, but one contract pays 2c fees per leg: edge 0.01 - 0.04 < 0
    assert strategy.evaluate(_book(levels({"0.50": 1}), levels({"0.51": 1}))) is None


def test_no_opportunity_from_an_uncrossed_or_one_sided_book() -> None:
    strategy = ComplementArbitrage()
    assert strategy.evaluate(_book(levels({"0.40": 10}), levels({"0.55": 10}))) is None
    assert strategy.evaluate(_book(levels({"0.40": 10}), {})) is None
    assert strategy.evaluate(_book({}, {})) is None


def test_the_count_is_capped_and_shrunk_until_the_edge_clears_the_minimum() -> None:
    fees = FeeModel()
    strategy = ComplementArbitrage(fees, min_edge=D("0.01"), max_count=D(3))
    book = _book(levels({"0.52": 50}), levels({"0.55": 50}))
    opportunity = strategy.evaluate(book)
    assert opportunity is not None
    assert opportunity.count == 3
    demanding = ComplementArbitrage(fees, min_edge=D(10**4), max_count=D(3))
    assert demanding.evaluate(book) is None


def test_a_fractional_top_level_is_taken_whole_and_rounded_down_to_the_lot() -> None:
    # YES ask 0.45 (size 2.75), NO ask 0.48 (size 7): 2.75 pairs
    book = _book(levels({"0.52": 7}), levels({"0.55": "2.75"}))
    opportunity = ComplementArbitrage(max_count=D("2.5")).evaluate(book)
    assert opportunity is not None
    assert opportunity.count == D("2.50")
    assert opportunity.edge == FeeModel().complement_edge(D("2.50"), D("0.45"), D("0.48"))


def test_a_count_below_one_contract_is_an_opportunity_when_it_clears_the_edge() -> None:
    # YES ask 1 - 0.70 = 0.30, NO ask 1 - 0.60 = 0.40, half a contract each:
    # 0.50 - ceil(0.15 + 0.0074) - ceil(0.20 + 0.0084) = 0.50 - 0.16 - 0.21 = 0.13
    book = _book(levels({"0.60": "0.50"}), levels({"0.70": "0.50"}))
    opportunity = ComplementArbitrage().evaluate(book)
    assert opportunity is not None
    assert (opportunity.count, opportunity.edge) == (D("0.50"), D("0.13"))
    assert ComplementArbitrage(min_edge=D("0.14")).evaluate(book) is None


@pytest.mark.parametrize("bad", [D(0), D(-1), True, 1.5, 10, D("0.001"), D("NaN")])
def test_the_count_cap_is_validated(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_count"):
        ComplementArbitrage(max_count=bad)


@pytest.mark.parametrize("bad", [D(0), D(-1), True, 0.01, 1, D("Infinity")])
def test_the_minimum_edge_is_validated_in_dollars(bad: Any) -> None:
    with pytest.raises(ValueError, match="min_edge"):
        ComplementArbitrage(min_edge=bad)


class Sink(SupervisedActor):
    """Stands in for feed and risk: records what it receives."""

    def __init__(self, received: list[Any]) -> None:
        super().__init__()
        self.received = received

    def on_receive(self, message: Any) -> Any:
        self.received.append(message)
        return None


@pytest.fixture
def pipeline():
    clock = ManualClock()
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
                    ComplementArbitrage(), max_book_age_s=0.5, repeat_after_s=2.0
                ),
            ),
        ),
        backoff=NO_BACKOFF,
    )
    host = TreeThread(SupervisionTree(spec, clock=clock)).start()
    yield host.tree, clock, to_risk, to_feed
    host.stop()


CROSSED = {"yes": levels({"0.52": 7}), "no": levels({"0.55": 4})}


def _status(tree: SupervisionTree) -> StrategyStatus:
    status = tree.snapshot().status_of("strategy", StrategyStatus)
    assert status is not None, "the strategy published no StrategyStatus"
    return status


def test_a_fresh_opportunity_goes_to_risk_and_every_update_is_acknowledged(pipeline) -> None:
    tree, clock, to_risk, to_feed = pipeline
    tree.tell(
        "strategy", BookUpdate(_book(CROSSED["yes"], CROSSED["no"], seq=3), clock.monotonic())
    )
    eventually(lambda: to_feed)
    assert to_feed == [BookConsumed("MKT-1", 3)]
    assert len(to_risk) == 1
    reserve = to_risk[0]
    assert isinstance(reserve, Reserve)
    assert reserve.opportunity.ticker == "MKT-1"
    assert reserve.opportunity_id.startswith("MKT-1-")


def test_an_old_book_yields_no_opportunity(pipeline) -> None:
    tree, clock, to_risk, to_feed = pipeline
    received_at = clock.monotonic()
    clock.advance(0.6)  # older than max_book_age_s = 0.5
    tree.tell("strategy", BookUpdate(_book(CROSSED["yes"], CROSSED["no"]), received_at))
    eventually(lambda: to_feed)
    assert to_risk == []
    assert _status(tree).counts.too_old == 1


def test_a_stale_market_is_not_traded_until_a_new_update_arrives(pipeline) -> None:
    tree, clock, to_risk, to_feed = pipeline
    tree.tell("strategy", BookStale("MKT-1", "gap"))
    eventually(lambda: _status(tree).stale_markets == ("MKT-1",))
    tree.tell(
        "strategy", BookUpdate(_book(CROSSED["yes"], CROSSED["no"], seq=9), clock.monotonic())
    )
    eventually(lambda: to_feed)
    assert len(to_risk) == 1  # a new, fresh update ends the staleness
    assert _status(tree).stale_markets == ()


def test_the_same_prices_are_not_proposed_twice_within_the_repeat_window(pipeline) -> None:
    tree, clock, to_risk, to_feed = pipeline
    for seq in (1, 2):
        tree.tell(
            "strategy", BookUpdate(_book(CROSSED["yes"], CROSSED["no"], seq), clock.monotonic())
        )
    eventually(lambda: len(to_feed) == 2)
    assert len(to_risk) == 1
    clock.advance(2.5)
    tree.tell("strategy", BookUpdate(_book(CROSSED["yes"], CROSSED["no"], 3), clock.monotonic()))
    eventually(lambda: len(to_feed) == 3)
    assert len(to_risk) == 2
    assert to_risk[0].opportunity_id != to_risk[1].opportunity_id


def test_a_message_the_strategy_does_not_take_is_counted_and_ignored(pipeline) -> None:
    tree, _clock, to_risk, to_feed = pipeline
    tree.tell("strategy", "not a book")
    eventually(lambda: _status(tree).unknown_messages == 1, what="the odd message counted")
    assert to_risk == to_feed == []


def test_a_published_status_is_a_copy_the_actor_no_longer_changes(pipeline) -> None:
    tree, clock, to_risk, to_feed = pipeline
    tree.tell("strategy", BookUpdate(_book(CROSSED["yes"], CROSSED["no"], 1), clock.monotonic()))
    eventually(lambda: len(to_feed) == 1)
    first = _status(tree)
    assert (first.counts.books, first.counts.opportunities) == (1, 1)
    assert first.last_edge == {"MKT-1": to_risk[0].opportunity.edge}
    assert type(first.last_edge["MKT-1"]) is Decimal
    clock.advance(2.5)
    tree.tell(
        "strategy",
        BookUpdate(_book(levels({"0.53": 7}), levels({"0.55": 4}), 2), clock.monotonic()),
    )
    eventually(lambda: _status(tree).counts.books == 2)
    assert (first.counts.books, first.counts.opportunities) == (1, 1)
