"""The strategy actor: runs the strategies on fresh books and asks risk to reserve their
baskets; fails closed.

Contract:
- every ``BookUpdate`` is acknowledged with ``BookConsumed`` to the feed (the
  conflation credit), whatever the outcome;
- every book is given to every strategy (``on_book``, in the configured
  order; proposals concatenated), so a strategy's picture of the markets is
  never behind the actor's; ``EventsListed`` goes to every strategy,
  ``BookStale`` too, ``Holdings`` to those that want them (risk is asked with
  ``HoldingsWanted`` at start, until a send succeeds);
- a proposal is sent only if it is fresh: every market a leg touches has had
  a ``BookUpdate`` since its last ``BookStale``, and the update that prompted it
  is younger than ``max_book_age_s`` by this actor's clock (``not_fresh``
  otherwise). The other legs are judged by the feed: a quiet market's book is
  current for as long as the feed confirms its stream current (it sends
  ``BookStale`` when it no longer can), however long ago it last changed; judging
  them by the age of their last update refused every basket with a quiet leg;
- the same event with the same ``(ticker, side, price)`` legs is not
  proposed again within ``repeat_after_s`` (the first is being executed or
  was refused); a proposal is remembered for exactly that long (older ones
  suppress nothing and are forgotten at the next proposal sent), so what is
  remembered is bounded by the proposals of the last ``repeat_after_s``;
- a basket id is unique across restarts (event ticker, wall-clock ms, epoch,
  counter), so the client order ids derived from it never collide with an
  earlier basket's orders at the venue;
- the basket is priced with ``schedule`` (the configured fees); one the
  domain refuses (``DomainError``: a leg outside the event, no edge ...) is
  counted in ``invalid_proposals``, never sent;
- a strategy that raises, or answers anything but a sequence of
  :class:`~actors.strategy.Proposal`, is counted in ``strategy_errors`` and
  logged (its first error with the traceback); that call proposes nothing and
  every other strategy carries on.

Dispatch is the runtime's table (:meth:`StrategyActor.handlers`); any other
message is counted in ``unknown_messages`` and logged. ``state_summary()``
returns a :class:`~actors.strategy.StrategyStatus`.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
from loguru import logger

from actors.domain import Basket, BookSnapshot, Purpose, Side
from actors.errors import DomainError
from actors.messages import (
    BookConsumed,
    BookStale,
    BookUpdate,
    EventsListed,
    Holdings,
    HoldingsWanted,
    Reserve,
)
from actors.money import FeeSchedule
from actors.strategy._protocol import Counting, Proposal, Strategy
from actors.strategy._status import StrategyCounts, StrategyStatus
from supervision import ChildUnavailable, SupervisedActor

RepeatKey = tuple[str, tuple[tuple[str, Side, Decimal], ...]]
"""``(event_ticker, ((ticker, side, price) of each leg, in order))``."""

_RAISED = object()  # what _call answers when the strategy raised (counted there)
_LOG_EVERY = 100  # after its first error, a strategy's errors are logged once per this many


def repeat_key(proposal: Proposal) -> RepeatKey:
    """What makes two proposals the same for repeat suppression (counts do not count)."""
    legs = tuple((leg.ticker, leg.side, leg.price) for leg in proposal.legs)
    return proposal.event.event_ticker, legs


class StrategyActor(SupervisedActor):
    """Runs ``strategies`` on every book and proposes their fresh baskets to ``risk``;
    acknowledges every book to ``feed``."""

    def __init__(
        self,
        strategies: Sequence[Strategy],
        *,
        schedule: FeeSchedule,
        max_book_age_s: float = 1.0,
        repeat_after_s: float = 1.0,
        risk: str = "risk",
        feed: str = "feed",
    ) -> None:
        super().__init__()
        self.strategies = tuple(strategies)
        self.schedule = schedule
        self.max_book_age_s = max_book_age_s
        self.repeat_after_s = repeat_after_s
        self.risk = risk
        self.feed = feed
        self._wants_holdings = any(s.wants_holdings for s in self.strategies)
        self._holdings_asked = False
        self._stale: set[str] = set()
        self._heard: set[str] = set()  # markets that have had a BookUpdate
        # when each key was last proposed, oldest first (the clock is monotonic)
        self._last_proposed: OrderedDict[RepeatKey, float] = OrderedDict()
        self._counter = 0
        self._counts = StrategyCounts()
        self._errors: dict[str, int] = {}
        self._last_edge: dict[str, Decimal] = {}

    def on_start(self) -> None:
        self._ask_for_holdings()

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {
            BookUpdate: self._on_update,
            BookStale: self._on_stale,
            EventsListed: self._on_events,
            Holdings: self._on_holdings,
        }

    # -- what the strategies hear ---------------------------------------------------

    def _on_update(self, update: BookUpdate) -> None:
        try:
            self._consider(update)
        finally:
            self._ack(update.book)

    def _on_stale(self, stale: BookStale) -> None:
        self._stale.add(stale.ticker)
        for strategy in self.strategies:
            self._call(strategy, strategy.on_stale, stale.ticker)

    def _on_events(self, listed: EventsListed) -> None:
        self._counts.events_listed += 1
        for strategy in self.strategies:
            self._call(strategy, strategy.on_events, listed)

    def _on_holdings(self, holdings: Holdings) -> None:
        self._counts.holdings += 1
        for strategy in self.strategies:
            if strategy.wants_holdings:
                self._call(strategy, strategy.on_holdings, holdings)

    def _ask_for_holdings(self) -> None:
        if not self._wants_holdings or self._holdings_asked:
            return
        with contextlib.suppress(ChildUnavailable):  # asked again with the next book
            self.send(self.risk, HoldingsWanted())
            self._holdings_asked = True

    def _consider(self, update: BookUpdate) -> None:
        self._counts.books += 1
        self._ask_for_holdings()
        book = update.book
        self._stale.discard(book.ticker)  # a new update is the end of staleness
        self._heard.add(book.ticker)
        now = self.clock.monotonic()
        if now - update.received_at > self.max_book_age_s:
            self._counts.too_old += 1
        for strategy in self.strategies:
            proposals = self._call(strategy, strategy.on_book, book, now)
            if not self._well_formed(strategy, proposals):
                continue
            for proposal in proposals:
                self._propose(proposal, now, update)

    def _call(self, strategy: Strategy, method: Callable[..., Any], *args: Any) -> Any:
        """``method(*args)``; an exception is counted, logged, and answers ``_RAISED``."""
        try:
            return method(*args)
        except Exception as error:  # noqa: BLE001 - the contract: count, log, carry on
            self._strategy_error(strategy, f"{method.__name__} raised {error!r}", error)
            return _RAISED

    def _well_formed(self, strategy: Strategy, proposals: object) -> bool:
        if proposals is _RAISED:
            return False  # counted already
        if (
            isinstance(proposals, Sequence)
            and not isinstance(proposals, str)
            and all(isinstance(p, Proposal) for p in proposals)
        ):
            return True
        self._strategy_error(strategy, f"on_book answered {proposals!r}, not proposals", None)
        return False

    def _strategy_error(self, strategy: Strategy, what: str, error: Exception | None) -> None:
        self._counts.strategy_errors += 1
        count = self._errors[strategy.name] = self._errors.get(strategy.name, 0) + 1
        if count == 1 or count % _LOG_EVERY == 0:
            logger.opt(exception=error if count == 1 else None).bind(
                event="strategy_error", strategy=strategy.name
            ).error("strategy {}: {} ({} errors so far)", strategy.name, what, count)

    # -- from proposal to Reserve ---------------------------------------------------

    def _fresh(self, proposal: Proposal, now: float, prompted_by: BookUpdate) -> bool:
        if now - prompted_by.received_at > self.max_book_age_s:
            return False
        stale, known = self._stale, self._heard
        return all(ticker not in stale and ticker in known for ticker in proposal.tickers)

    def _propose(self, proposal: Proposal, now: float, prompted_by: BookUpdate) -> None:
        if not self._fresh(proposal, now, prompted_by):
            self._counts.not_fresh += 1
            return
        key = repeat_key(proposal)
        if self._repeats(key, now):
            self._counts.repeats_suppressed += 1
            return
        event_ticker = proposal.event.event_ticker
        self._counter += 1
        basket_id = f"{event_ticker}-{int(self.clock.wall() * 1000)}-{self.epoch}-{self._counter}"
        try:
            basket = Basket(
                basket_id=basket_id,
                event=proposal.event,
                legs=proposal.legs,
                purpose=proposal.purpose,
                schedule=self.schedule,
            )
        except (DomainError, ArithmeticError) as refused:
            self._counts.invalid_proposals += 1
            logger.bind(event="invalid_proposal", id=basket_id).warning(
                "basket {} refused: {} ({})", basket_id, refused, proposal.reason
            )
            return
        try:
            self.send(self.risk, Reserve(basket, detected_at=now))
        except ChildUnavailable:
            self._counts.risk_unavailable += 1
            return
        self._remember(key, now)
        self._counts.opportunities += 1
        if basket.purpose is Purpose.EXIT:
            self._counts.exits += 1
        else:
            self._last_edge[event_ticker] = basket.worst_case_edge
        legs = " ".join(
            f"{leg.action.value} {leg.count}x {leg.ticker} {leg.side.value}@{leg.price}"
            for leg in basket.legs
        )
        logger.bind(event="opportunity", ticker=event_ticker, id=basket_id).info(
            "basket {} {}: {} ({})", basket_id, basket.purpose.value, legs, proposal.reason
        )

    def _repeats(self, key: RepeatKey, now: float) -> bool:
        """True if ``key`` was proposed less than ``repeat_after_s`` before ``now``."""
        proposed_at = self._last_proposed.get(key)
        return proposed_at is not None and now - proposed_at < self.repeat_after_s

    def _remember(self, key: RepeatKey, now: float) -> None:
        """``key`` was proposed at ``now``; proposals that can no longer suppress
        anything (proposed ``repeat_after_s`` or more before ``now``) are forgotten,
        oldest first, each in O(1)."""
        self._last_proposed[key] = now
        self._last_proposed.move_to_end(key)
        while self._last_proposed:
            oldest, proposed_at = next(iter(self._last_proposed.items()))
            if now - proposed_at < self.repeat_after_s:
                break
            del self._last_proposed[oldest]

    def _ack(self, book: BookSnapshot) -> None:
        # If the feed is restarting, its next incarnation starts with fresh credit.
        with contextlib.suppress(ChildUnavailable):
            self.send(self.feed, BookConsumed(book.ticker, book.seq))

    def state_summary(self) -> StrategyStatus:
        counted = {}
        for strategy in self.strategies:
            if isinstance(strategy, Counting):
                # introspection must not fail or change counters: a bad counts() is left out
                with contextlib.suppress(Exception):
                    counted[strategy.name] = {
                        str(name): int(value) for name, value in strategy.counts().items()
                    }
        return StrategyStatus(
            strategy=", ".join(strategy.name for strategy in self.strategies),
            stale_markets=tuple(sorted(self._stale)),
            last_edge=dict(self._last_edge),
            counts=attrs.evolve(self._counts),
            unknown_messages=self.unknown_messages,
            strategy_counts=counted,
        )
