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

Dispatch is the runtime's table (:meth:`StrategyActor.handlers`); any other
message is counted in ``unknown_messages`` and logged. ``state_summary()``
returns a :class:`~actors.strategy.StrategyStatus`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
from loguru import logger

from actors.domain import BookSnapshot
from actors.messages import BookConsumed, BookStale, BookUpdate, Reserve
from actors.strategy._arbitrage import Strategy
from actors.strategy._status import StrategyCounts, StrategyStatus
from supervision import ChildUnavailable, SupervisedActor


class StrategyActor(SupervisedActor):
    """Gates ``strategy`` on freshness and proposes its opportunities to ``risk``;
    acknowledges every book to ``feed``."""

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
        self._last_proposed: dict[tuple[str, Decimal, Decimal], float] = {}
        self._counter = 0
        self._counts = StrategyCounts()
        self._last_edge: dict[str, Decimal] = {}

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {BookUpdate: self._on_update, BookStale: self._on_stale}

    def _on_update(self, update: BookUpdate) -> None:
        try:
            self._consider(update)
        finally:
            self._ack(update.book)

    def _on_stale(self, stale: BookStale) -> None:
        self._stale.add(stale.ticker)

    def _consider(self, update: BookUpdate) -> None:
        self._counts.books += 1
        book = update.book
        self._stale.discard(book.ticker)  # a new update is the end of staleness
        age = self.clock.monotonic() - update.received_at
        if age > self.max_book_age_s:
            self._counts.too_old += 1
            return
        opportunity = self.strategy.evaluate(book)
        if opportunity is None:
            return
        now = self.clock.monotonic()
        key = (book.ticker, opportunity.yes_ask, opportunity.no_ask)
        if now - self._last_proposed.get(key, -1e18) < self.repeat_after_s:
            self._counts.repeats_suppressed += 1
            return
        self._counter += 1
        opportunity_id = (
            f"{book.ticker}-{int(self.clock.wall() * 1000)}-{self.epoch}-{self._counter}"
        )
        try:
            self.send(self.risk, Reserve(opportunity_id, opportunity, detected_at=now))
        except ChildUnavailable:
            self._counts.risk_unavailable += 1
            return
        self._last_proposed[key] = now
        self._last_edge[book.ticker] = opportunity.edge
        self._counts.opportunities += 1
        logger.bind(event="opportunity", ticker=book.ticker, id=opportunity_id).info(
            "opportunity {} {}x yes@{} no@{} edge ${}",
            opportunity_id,
            opportunity.count,
            opportunity.yes_ask,
            opportunity.no_ask,
            opportunity.edge,
        )

    def _ack(self, book: BookSnapshot) -> None:
        # If the feed is restarting, its next incarnation starts with fresh credit.
        with contextlib.suppress(ChildUnavailable):
            self.send(self.feed, BookConsumed(book.ticker, book.seq))

    def state_summary(self) -> StrategyStatus:
        return StrategyStatus(
            strategy=self.strategy.name,
            stale_markets=tuple(sorted(self._stale)),
            last_edge=dict(self._last_edge),
            counts=attrs.evolve(self._counts),
            unknown_messages=self.unknown_messages,
        )
