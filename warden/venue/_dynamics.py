"""Market dynamics: simulated makers and competitors that move the books.

Deterministic by construction: all randomness comes from the injected
``random.Random`` and all timing from the injected clock; nothing happens
except in :meth:`MarketDynamics.seed` and :meth:`MarketDynamics.step`.  The
server calls ``step`` every ``tick_seconds``; tests call it by hand (or
``POST /sim/step``) with ``tick_seconds=0``.

Each market has a hidden fair YES price on its tick grid that moves as a
random walk of at most ``walk`` dollars per step (in whole ticks).  The house
(account ``house``) quotes a ladder of ``levels`` YES and NO bids around it,
``half_spread`` away and one tick apart, and re-quotes whenever fair moves
(which may trade with the trader's resting orders, like any market maker
would).  A re-quote changes only the levels that differ: an order whose price
is still on the new ladder and that has not traded stays (and keeps its place
in the queue); the others are canceled and the missing levels placed, so a
one-tick move costs two cancels and two orders, not the whole ladder.  When
fair stays put, with probability ``resize_rate`` the house re-sizes one level
(cancels it and places a fresh size at the same price).  Sizes are drawn in
steps of ``size_step`` contracts (whole contracts by default; 0.01 gives
fractional ones).

Activity: real venues with thousands of markets have most of them quiet at
any moment.  Each step, each market is active with probability ``move_rate``
(default 0.1): only an active market walks and re-sizes; a quiet one's ladder
stays as it is (opportunities still open at ``arb_rate`` in every market).
``move_rate=1.0`` makes every market active every step and draws no number
for it.  What a step costs and sends grows with ``markets x move_rate``:
about 0.35 book deltas per market per step by default (with ``arb_rate``
0.02), 3 at ``move_rate=1.0``
(``benchmarks/sim_step.py``).

Complement-arbitrage opportunities: with probability ``arb_rate`` per market
per step, a stale house maker leaves a YES bid and a NO bid that overlap by
``arb_edge`` (their prices sum to ``1 + edge``), so YES ask + NO ask
``= 1 - edge``.  Self-trade prevention keeps the house's own orders from
matching them.  After ``arb_lifetime_seconds`` competitors (account
``competitor``) take whatever is left with immediate-or-cancel orders.

Every money knob is a ``Decimal`` in dollars and must be a whole number of
each market's tick (checked when the dynamics start: ``ValueError``).
Internally prices are counted in ticks.
"""

from __future__ import annotations

import random
from decimal import Decimal

import attrs
from attrs import define, field, frozen

from supervision import validators
from warden.venue._engine import COMPETITOR, HOUSE, MatchingEngine
from warden.venue._errors import OrderRejected
from warden.venue._ledger import OrderState
from warden.venue._model import (
    LOT,
    PAYOUT,
    Clock,
    OrderRequest,
    OrderStatus,
    TimeInForce,
    WireAction,
    WireSide,
)

_positive = validators.integer(1)
_probability = validators.probability()
_non_negative_seconds = validators.number(0, inclusive=True, finite=False, unit="seconds")


def _positive_amount(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    """A finite ``Decimal`` > 0 (dollars or contracts); never an int or float."""
    if type(value) is not Decimal or not value.is_finite() or value <= 0:
        rule = 'must be a Decimal > 0 (write it as a string, e.g. "0.01")'
        raise validators.FieldError(type(instance).__name__, attribute.name, value, rule)


def _lot_multiple(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    _positive_amount(instance, attribute, value)
    if not LOT.contains(value):
        rule = f"must be a multiple of {LOT.step} contracts"
        raise validators.FieldError(type(instance).__name__, attribute.name, value, rule)


@frozen
class DynamicsConfig:
    """How the simulated makers and competitors behave (see the module docstring)."""

    tick_seconds: float = field(default=0.5, validator=_non_negative_seconds)
    seed_books: bool = True
    levels: int = field(default=5, validator=_positive)
    half_spread: Decimal = field(default=Decimal("0.01"), validator=_positive_amount)
    walk: Decimal = field(default=Decimal("0.01"), validator=_positive_amount)
    size_min: Decimal = field(default=Decimal(10), validator=_lot_multiple)
    size_max: Decimal = field(default=Decimal(100), validator=_lot_multiple)
    size_step: Decimal = field(default=Decimal(1), validator=_lot_multiple)
    resize_rate: float = field(default=0.3, validator=_probability)
    move_rate: float = field(default=0.1, validator=_probability)
    arb_rate: float = field(default=0.02, validator=_probability)
    arb_edge: Decimal = field(default=Decimal("0.06"), validator=_positive_amount)
    arb_size: Decimal = field(default=Decimal(10), validator=_lot_multiple)
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
    contracts_taken_by_competitors: Decimal = Decimal(0)


def _ticks(name: str, amount: Decimal, tick: Decimal) -> int:
    """``amount`` as a whole number of ``tick``; ``ValueError`` naming ``name`` otherwise."""
    units, rest = divmod(amount, tick)
    if rest:
        raise ValueError(f"dynamics.{name} = {amount} is not a whole number of ticks of {tick}")
    return int(units)


def _units(name: str, amount: Decimal, step: Decimal) -> int:
    units, rest = divmod(amount, step)
    if rest:
        raise ValueError(f"dynamics.{name} = {amount} is not a multiple of size_step {step}")
    return int(units)


@frozen
class _Grid:
    """One market's knobs counted in its ticks (``dollar`` ticks make one dollar)."""

    tick: Decimal
    dollar: int
    half_spread: int
    walk: int
    edge: int


@define(eq=False)
class _Market:
    """One market's dynamics state: its grid, fair price and the house's ladder.

    ``ladder`` maps each level, (side, price in ticks), to the house order quoted
    there (its live state: it may have traded away since)."""

    ticker: str
    grid: _Grid
    prices: list[Decimal]  # prices[t] is t ticks in dollars
    low: int  # the range fair stays in, in ticks
    high: int
    fair: int = 0
    ladder: dict[tuple[WireSide, int], OrderState] = field(factory=dict)


class MarketDynamics:
    """Moves the books of ``engine``; see the module docstring.

    Raises ``ValueError`` at construction if a money knob is not a whole
    number of some market's tick, or a size is not a multiple of ``size_step``.
    """

    def __init__(
        self, engine: MatchingEngine, config: DynamicsConfig, rng: random.Random, clock: Clock
    ) -> None:
        self.engine = engine
        self.config = config
        self.rng = rng
        self.clock = clock
        self.stats = DynamicsStats()
        self._markets: dict[str, _Market] = {}  # seeded markets, in the engine's order
        self._opportunities: dict[str, _Opportunity] = {}
        self._grids: dict[str, _Grid] = {}
        prices: dict[Decimal, list[Decimal]] = {}  # one list per tick size, shared
        for ticker in engine.tickers:
            tick = engine.grid(ticker).tick
            grid = self._grids[ticker] = _Grid(
                tick,
                _ticks("payout", PAYOUT, tick),
                _ticks("half_spread", config.half_spread, tick),
                _ticks("walk", config.walk, tick),
                _ticks("arb_edge", config.arb_edge, tick),
            )
            if tick not in prices:
                prices[tick] = [units * tick for units in range(grid.dollar + 1)]
        self._prices = prices
        step = config.size_step
        low = _units("size_min", config.size_min, step)
        high = max(low, _units("size_max", config.size_max, step))
        self._size_range = (low, high)
        self._sizes = [units * step for units in range(low, high + 1)]  # index: units - low

    def _fair_range(self, grid: _Grid) -> tuple[int, int]:
        margin = grid.half_spread + self.config.levels
        return margin, grid.dollar - margin

    def seed(self) -> None:
        """Pick each market's fair price and quote its first ladder."""
        for ticker in self.engine.tickers:
            grid = self._grids[ticker]
            low, high = self._fair_range(grid)
            market = _Market(ticker, grid, self._prices[grid.tick], low, high)
            fifth = grid.dollar // 5  # fair starts between 0.20 and 0.80
            market.fair = self.rng.randint(max(low, fifth), min(high, grid.dollar - fifth))
            self._markets[ticker] = market
            self._quote(market)

    def step(self) -> None:
        """One tick: walk and re-quote the active markets, maybe open an opportunity in
        any market, expire old ones."""
        self.stats.steps += 1
        now = self.clock.now()
        rate = self.config.move_rate
        for market in self._markets.values():
            # at 1.0 every market is active and no number is drawn for it
            if rate >= 1.0 or self.rng.random() < rate:
                self._walk(market)
            self._maybe_open(market, now)
        for ticker, opportunity in list(self._opportunities.items()):
            if now >= opportunity.expires:
                self._expire(opportunity)
                del self._opportunities[ticker]

    def _walk(self, market: _Market) -> None:
        walk = market.grid.walk
        move = self.rng.randint(-walk, walk)
        fair = min(market.high, max(market.low, market.fair + move))
        if fair != market.fair:
            market.fair = fair
            self._quote(market)
        elif market.ladder and self.rng.random() < self.config.resize_rate:
            level = self.rng.choice(list(market.ladder))
            order = market.ladder[level]
            if order.status is OrderStatus.RESTING:
                self._withdraw(order, "requote")
                del market.ladder[level]
                self._place_level(market, level)

    def _levels(self, market: _Market) -> list[tuple[WireSide, int]]:
        """The ladder around fair: (side, price in ticks), best level first, YES then NO."""
        fair, grid = market.fair, market.grid
        yes, no = fair - grid.half_spread, grid.dollar - fair - grid.half_spread
        levels = []
        for level in range(self.config.levels):
            levels.append((WireSide.YES, yes - level))
            levels.append((WireSide.NO, no - level))
        return levels

    def _quote(self, market: _Market) -> None:
        """Make the ladder the one around fair, changing only the levels that differ.

        An order stays where its level is still wanted and it rests untouched (no
        fill): it keeps its place in the queue, as a real maker's would.  Every
        other order of the ladder is canceled, then every wanted level without
        an order gets a new one, best level first (a fresh size each)."""
        wanted = self._levels(market)
        old, keep = market.ladder, set(wanted)
        market.ladder = {}
        kept: dict[tuple[WireSide, int], OrderState] = {}
        for level, order in old.items():
            if order.status is not OrderStatus.RESTING:  # traded away since
                self.engine.forget(HOUSE, order.order_id)
            elif level in keep and order.fill_count == 0:
                kept[level] = order
            else:
                self._withdraw(order, "requote")
        for level in wanted:
            staying = kept.get(level)
            if staying is None:
                self._place_level(market, level)
            else:
                market.ladder[level] = staying

    def _place_level(self, market: _Market, level: tuple[WireSide, int]) -> None:
        low, high = self._size_range
        size = self._sizes[self.rng.randint(low, high) - low]
        side, ticks = level
        request = OrderRequest(market.ticker, side, WireAction.BUY, size, market.prices[ticks])
        order = self._place(HOUSE, request)
        if order is None:
            return
        if order.status is OrderStatus.RESTING:
            market.ladder[level] = order
        else:  # traded in full at once (with the trader's resting order)
            self.engine.forget(HOUSE, order.order_id)

    def _maybe_open(self, market: _Market, now: float) -> None:
        ticker = market.ticker
        if ticker in self._opportunities or not self.rng.random() < self.config.arb_rate:
            return
        grid = market.grid
        fair, edge, top = market.fair, grid.edge, grid.dollar - 1
        yes_bid = min(top, fair + edge // 2)
        no_bid = min(top, grid.dollar + edge - yes_bid)
        size = self.config.arb_size
        placed = [
            self._place(
                HOUSE, OrderRequest(ticker, WireSide.YES, "buy", size, market.prices[yes_bid])
            ),
            self._place(
                HOUSE, OrderRequest(ticker, WireSide.NO, "buy", size, market.prices[no_bid])
            ),
        ]
        resting = [o for o in placed if o is not None and o.status is OrderStatus.RESTING]
        for order in placed:
            if order is not None and order.status is not OrderStatus.RESTING:
                self.engine.forget(HOUSE, order.order_id)
        if len(resting) == 2:
            self._opportunities[ticker] = _Opportunity(
                ticker,
                (resting[0].order_id, resting[1].order_id),
                now + self.config.arb_lifetime_seconds,
            )
            self.stats.opportunities_opened += 1
        else:
            for order in resting:  # half of it traded at once: withdraw the other half
                self._withdraw(order, "stale_quote_withdrawn")

    def _expire(self, opportunity: _Opportunity) -> None:
        self.stats.opportunities_expired += 1
        for order_id in opportunity.order_ids:
            order = self.engine.order_state(HOUSE, order_id)
            if order.status is not OrderStatus.RESTING:
                self.engine.forget(HOUSE, order_id)
                continue
            taker = OrderRequest(
                opportunity.ticker,
                order.request.side.other,
                "buy",
                order.remaining,
                PAYOUT - order.request.price,
                time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL,
            )
            before = self.stats.contracts_taken_by_competitors
            taken = self._place(COMPETITOR, taker)
            if taken is not None:
                self.stats.contracts_taken_by_competitors = before + taken.fill_count
                self.engine.forget(COMPETITOR, taken.order_id)  # immediate-or-cancel: done
            if _rests(order):  # the competitor's order may have taken all of it
                self._withdraw(order, "stale_quote_withdrawn")
            else:
                self.engine.forget(HOUSE, order_id)

    def _withdraw(self, order: OrderState, reason: str) -> None:
        """Cancel a resting house order and forget it (the dynamics never look at it again)."""
        self.engine.cancel_state(HOUSE, order.order_id, reason=reason)
        self.engine.forget(HOUSE, order.order_id)

    def _place(self, account: str, request: OrderRequest) -> OrderState | None:
        try:
            return self.engine.place_state(account, request)
        except OrderRejected:
            return None


def _rests(order: OrderState) -> bool:
    """Whether ``order`` still rests (asked anew after an engine call may have changed it)."""
    return order.status is OrderStatus.RESTING
