"""The strategy actor: turns fresh books into ``Reserve`` requests; fails closed.

Contract:
- every ``BookUpdate`` is acknowledged with ``BookConsumed`` to the feed (the
  conflation credit), whatever the outcome;
- a book is traded only if it is fresh: its market is not marked stale (a
  ``BookStale`` arrived and no newer update since) and the update is younger
  than ``max_book_age_s`` by this actor's clock; otherwise no opportunity;
- the same prices on the same market are not proposed again within
  ``repeat_after_s`` (the first proposal is being executed or was refused);
- an opportunity id is unique across restarts (ticker, wall-clock ms, epoch,
  counter), so the client order ids derived from it never collide with an
  earlier opportunity's orders at the venue.
"""

from __future__ import annotations

import contextlib
from typing import Any

from loguru import logger

from actors.domain import BookSnapshot
from actors.messages import BookConsumed, BookStale, BookUpdate, Reserve
from actors.strategy._arbitrage import Strategy
from supervision import ChildUnavailable, SupervisedActor


class StrategyActor(SupervisedActor):
    def __init__(
        self,
        strategy: Strategy,
        *,
        max_book_age_s: float = 1.0,
        repeat_after_s: float = 1.0,
        risk: str = "risk",
        feed: str = "feed",
    ) -> None:
        super().__init__()
        self.strategy = strategy
        self.max_book_age_s = max_book_age_s
        self.repeat_after_s = repeat_after_s
        self.risk = risk
        self.feed = feed
        self._stale: set[str] = set()
        self._last_proposed: dict[tuple[str, int, int], float] = {}
        self._counter = 0
        self.counts = {
            "books": 0,
            "too_old": 0,
            "stale_market": 0,
            "opportunities": 0,
            "repeats_suppressed": 0,
            "risk_unavailable": 0,
        }
        self._last_edge: dict[str, int] = {}

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, BookUpdate):
            try:
                self._consider(message)
            finally:
                self._ack(message.book)
        elif isinstance(message, BookStale):
            self._stale.add(message.ticker)
        return None

    def _consider(self, update: BookUpdate) -> None:
        self.counts["books"] += 1
        book = update.book
        self._stale.discard(book.ticker)  # a new update is the end of staleness
        age = self.clock.monotonic() - update.received_at
        if age > self.max_book_age_s:
            self.counts["too_old"] += 1
            return
        opportunity = self.strategy.evaluate(book)
        if opportunity is None:
            return
        now = self.clock.monotonic()
        key = (book.ticker, opportunity.yes_ask, opportunity.no_ask)
        if now - self._last_proposed.get(key, -1e18) < self.repeat_after_s:
            self.counts["repeats_suppressed"] += 1
            return
        self._counter += 1
        opportunity_id = (
            f"{book.ticker}-{int(self.clock.wall() * 1000)}-{self.epoch}-{self._counter}"
        )
        try:
            self.send(self.risk, Reserve(opportunity_id, opportunity, detected_at=now))
        except ChildUnavailable:
            self.counts["risk_unavailable"] += 1
            return
        self._last_proposed[key] = now
        self._last_edge[book.ticker] = opportunity.edge_cents
        self.counts["opportunities"] += 1
        logger.bind(event="opportunity", ticker=book.ticker, id=opportunity_id).info(
            "opportunity {} {}x yes@{} no@{} edge {}c",
            opportunity_id,
            opportunity.count,
            opportunity.yes_ask,
            opportunity.no_ask,
            opportunity.edge_cents,
        )

    def _ack(self, book: BookSnapshot) -> None:
        # If the feed is restarting, its next incarnation starts with fresh credit.
        with contextlib.suppress(ChildUnavailable):
            self.send(self.feed, BookConsumed(book.ticker, book.seq))

    def state_summary(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy.name,
            "stale_markets": sorted(self._stale),
            "last_edge_cents": dict(self._last_edge),
            **self.counts,
        }
