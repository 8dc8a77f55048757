"""Conflated delivery of books: one in flight per market, the latest next, nothing lost silently."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from actors.domain import BookSnapshot
from actors.feed import Delivery
from actors.messages import BookStale, BookUpdate
from supervision import ChildUnavailable


class FakeConsumer:
    def __init__(self) -> None:
        self.got: list[Any] = []
        self.epoch = 1
        self.available = True

    def send(self, message: Any) -> int:
        if not self.available:
            raise ChildUnavailable("strategy", "restarting")
        self.got.append(message)
        return self.epoch


def _update(seq: int, ticker: str = "A") -> BookUpdate:
    return BookUpdate(BookSnapshot(ticker, seq, {Decimal("0.40"): Decimal(seq)}, {}), float(seq))


@pytest.fixture
def consumer() -> FakeConsumer:
    return FakeConsumer()


def test_a_consumer_that_does_not_ack_gets_one_update_per_market(consumer: FakeConsumer) -> None:
    delivery = Delivery(consumer.send)
    for seq in range(1, 6):
        delivery.offer(_update(seq))
    delivery.offer(_update(1, "B"))
    assert consumer.got == [_update(1), _update(1, "B")]
    assert delivery.counts.conflated == 3  # 3 and 4 and 5 each replaced a pending book
    assert delivery.pending == ("A",)

    delivery.consumed("A", 1)
    assert consumer.got[-1] == _update(5)
    delivery.consumed("A", 5)
    assert delivery.in_flight == {"B": 1}
    counts = delivery.counts
    assert counts.offered == counts.sent + counts.conflated + counts.discarded


def test_an_ack_for_anything_but_the_update_in_flight_is_ignored(consumer: FakeConsumer) -> None:
    delivery = Delivery(consumer.send)
    delivery.offer(_update(1))
    delivery.offer(_update(2))
    delivery.consumed("A", 2)
    delivery.consumed("Z", 1)
    assert consumer.got == [_update(1)]
    assert delivery.counts.unmatched_acks == 2


def test_a_stale_market_loses_its_pending_book_and_the_consumer_is_told(
    consumer: FakeConsumer,
) -> None:
    delivery = Delivery(consumer.send)
    delivery.offer(_update(1))
    delivery.offer(_update(2))
    delivery.stale(BookStale("A", "gap"))
    delivery.consumed("A", 1)
    assert consumer.got == [_update(1), BookStale("A", "gap")]
    assert delivery.counts.discarded == 1


def test_updates_wait_while_the_consumer_is_away_and_go_out_on_flush(
    consumer: FakeConsumer,
) -> None:
    delivery = Delivery(consumer.send)
    consumer.available = False
    delivery.offer(_update(1))
    delivery.offer(_update(2))
    assert delivery.pending == ("A",)
    consumer.available = True
    delivery.flush()
    assert consumer.got == [_update(2)]
    assert delivery.counts.conflated == 1


def test_a_restarted_consumer_gets_the_latest_book_its_predecessor_never_acked(
    consumer: FakeConsumer,
) -> None:
    delivery = Delivery(consumer.send)
    delivery.offer(_update(1))
    delivery.offer(_update(1, "B"))
    delivery.consumed("B", 1)
    delivery.stale(BookStale("B", "quiet"))
    consumer.epoch = 2
    delivery.consumer_down(1)
    assert consumer.got[-1] == _update(1)  # A again; B is stale, so not re-sent
    assert delivery.counts.requeued == 1
    assert delivery.in_flight == {"A": 1}
