"""Market dynamics: simulated makers and competitors that move the books.

Deterministic by construction: all randomness comes from the injected
``random.Random`` and all timing from the injected clock; nothing happens
except in :meth:`MarketDynamics.seed` and :meth:`MarketDynamics.step`.  The
server calls ``step`` every ``tick_seconds``; tests call it by hand (or
``POST /sim/step``) with ``tick_seconds=0``.

Each market has a hidden fair YES price that moves as a random walk of at
most ``walk_cents`` per step.  The house (account ``house``) quotes a ladder
of ``levels`` YES and NO bids around it, ``half_spread_cents`` away, and
re-quotes whenever fair moves (which may trade with the trader's resting
orders, like any market maker would).

Complement-arbitrage opportunities: with probability ``arb_rate`` per market
per step, a stale house maker leaves a YES bid and a NO bid that overlap by
``arb_edge_cents`` (their prices sum to ``100 + edge``), so YES ask + NO ask
``= 100 - edge``.  Self-trade prevention keeps the house's own orders from
matching them.  After ``arb_lifetime_seconds`` competitors (account
``competitor``) take whatever is left with immediate-or-cancel orders.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any

from attrs import define, field, frozen

from supervision import validators
from warden.venue._engine import COMPETITOR, HOUSE, MatchingEngine
from warden.venue._errors import OrderNotCancelable, OrderRejected
from warden.venue._model import PAYOUT_CENTS, Clock, OrderRequest, TimeInForce, WireSide

_positive = validators.integer(1)
_probability = validators.probability()
_non_negative_seconds = validators.number(0, inclusive=True, finite=False, unit="seconds")


@frozen
class DynamicsConfig:
    tick_seconds: float = field(default=0.5, validator=_non_negative_seconds)
    seed_books: bool = True
    levels: int = field(default=5, validator=_positive)
    half_spread_cents: int = field(default=1, validator=_positive)
    walk_cents: int = field(default=1, validator=_positive)
    size_min: int = field(default=10, validator=_positive)
    size_max: int = field(default=100, validator=_positive)
    resize_rate: float = field(default=0.3, validator=_probability)
    arb_rate: float = field(default=0.02, validator=_probability)
    arb_edge_cents: int = field(default=6, validator=_positive)
    arb_size: int = field(default=10, validator=_positive)
    arb_lifetime_seconds: float = field(default=2.0, validator=_non_negative_seconds)


@define
class _Opportunity:
    ticker: str
    order_ids: tuple[str, str]
    expires: float


@define
class DynamicsStats:
    steps: int = 0
    opportunities_opened: int = 0
    opportunities_expired: int = 0
    contracts_taken_by_competitors: int = 0


class MarketDynamics:
    """Moves the books of ``engine``; see the module docstring."""

    def __init__(
        self, engine: MatchingEngine, config: DynamicsConfig, rng: random.Random, clock: Clock
    ) -> None:
        self.engine = engine
        self.config = config
        self.rng = rng
        self.clock = clock
        self.stats = DynamicsStats()
        self._fair: dict[str, int] = {}
        self._ladder: dict[str, list[str]] = {}
        self._opportunities: dict[str, _Opportunity] = {}

    @property
    def _fair_range(self) -> tuple[int, int]:
        margin = self.config.half_spread_cents + self.config.levels
        return margin, PAYOUT_CENTS - margin

    def seed(self) -> None:
        """Pick each market's fair price and quote its first ladder."""
        low, high = self._fair_range
        for ticker in self.engine.tickers:
            self._fair[ticker] = self.rng.randint(max(low, 20), min(high, 80))
            self._quote(ticker)

    def step(self) -> None:
        """One tick: walk, re-quote, maybe open an opportunity, expire old ones."""
        self.stats.steps += 1
        now = self.clock.now()
        for ticker in self.engine.tickers:
            if ticker not in self._fair:
                continue
            self._walk(ticker)
            self._maybe_open(ticker, now)
        for ticker, opportunity in list(self._opportunities.items()):
            if now >= opportunity.expires:
                self._expire(opportunity)
                del self._opportunities[ticker]

    def _walk(self, ticker: str) -> None:
        low, high = self._fair_range
        move = self.rng.randint(-self.config.walk_cents, self.config.walk_cents)
        fair = min(high, max(low, self._fair[ticker] + move))
        if fair != self._fair[ticker]:
            self._fair[ticker] = fair
            self._quote(ticker)
        elif self._ladder[ticker] and self.rng.random() < self.config.resize_rate:
            order_id = self.rng.choice(self._ladder[ticker])
            order = self.engine.order(HOUSE, order_id)
            if order["status"] == "resting":
                self.engine.cancel(HOUSE, order_id, reason="requote")
                side = WireSide(order["side"])
                self._ladder[ticker].remove(order_id)
                self._place_ladder_order(ticker, side, order[f"{side}_price"])

    def _quote(self, ticker: str) -> None:
        for order_id in self._ladder.get(ticker, []):
            with contextlib.suppress(OrderNotCancelable):
                self.engine.cancel(HOUSE, order_id, reason="requote")
        self._ladder[ticker] = []
        fair, spread = self._fair[ticker], self.config.half_spread_cents
        for level in range(self.config.levels):
            self._place_ladder_order(ticker, WireSide.YES, fair - spread - level)
            self._place_ladder_order(ticker, WireSide.NO, PAYOUT_CENTS - fair - spread - level)

    def _place_ladder_order(self, ticker: str, side: WireSide, price: int) -> None:
        low = self.config.size_min
        size = self.rng.randint(low, max(low, self.config.size_max))
        order = self._place(HOUSE, OrderRequest(ticker, side, "buy", size, price))
        if order is not None and order["status"] == "resting":
            self._ladder[ticker].append(order["order_id"])

    def _maybe_open(self, ticker: str, now: float) -> None:
        if ticker in self._opportunities or not self.rng.random() < self.config.arb_rate:
            return
        fair, edge = self._fair[ticker], self.config.arb_edge_cents
        yes_bid = min(PAYOUT_CENTS - 1, fair + edge // 2)
        no_bid = min(PAYOUT_CENTS - 1, PAYOUT_CENTS + edge - yes_bid)
        size = self.config.arb_size
        placed = [
            self._place(HOUSE, OrderRequest(ticker, WireSide.YES, "buy", size, yes_bid)),
            self._place(HOUSE, OrderRequest(ticker, WireSide.NO, "buy", size, no_bid)),
        ]
        ids = tuple(o["order_id"] for o in placed if o is not None and o["status"] == "resting")
        if len(ids) == 2:
            self._opportunities[ticker] = _Opportunity(
                ticker, (ids[0], ids[1]), now + self.config.arb_lifetime_seconds
            )
            self.stats.opportunities_opened += 1
        else:
            for order_id in ids:  # half of it traded at once: withdraw the other half
                self.engine.cancel(HOUSE, order_id, reason="stale_quote_withdrawn")

    def _expire(self, opportunity: _Opportunity) -> None:
        self.stats.opportunities_expired += 1
        for order_id in opportunity.order_ids:
            order = self.engine.order(HOUSE, order_id)
            if order["status"] != "resting":
                continue
            side = WireSide(order["side"])
            taker = OrderRequest(
                opportunity.ticker,
                side.other,
                "buy",
                order["remaining_count"],
                PAYOUT_CENTS - order[f"{side}_price"],
                time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL,
            )
            taken = self._place(COMPETITOR, taker)
            if taken is not None:
                self.stats.contracts_taken_by_competitors += taken["fill_count"]
            if self.engine.order(HOUSE, order_id)["status"] == "resting":
                self.engine.cancel(HOUSE, order_id, reason="stale_quote_withdrawn")

    def _place(self, account: str, request: OrderRequest) -> dict[str, Any] | None:
        try:
            return self.engine.place(account, request)
        except OrderRejected:
            return None
