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
would).  Sizes are drawn in steps of ``size_step`` contracts (whole contracts
by default; 0.01 gives fractional ones).

Complement-arbitrage opportunities: with probability ``arb_rate`` per market
per step, a stale house maker leaves a YES bid and a NO bid that overlap by
``arb_edge`` (their prices sum to ``1 + edge``), so YES ask + NO ask
``= 1 - edge``.  Self-trade prevention keeps the house's own orders from
matching them.  After ``arb_lifetime_seconds`` competitors (account
``competitor``) take whatever is left with immediate-or-cancel orders.

Every money knob is a ``Decimal`` in dollars and must be a whole number of
each market's tick (checked when the dynamics start: ``ValueError``).
Internally prices are counted in ticks, so a 0.01 grid draws exactly the
same random numbers as the integer-cent simulator did.
"""

from __future__ import annotations

import contextlib
import random
from decimal import Decimal

import attrs
from attrs import define, field, frozen

from supervision import validators
from warden.venue._engine import COMPETITOR, HOUSE, MatchingEngine
from warden.venue._errors import OrderNotCancelable, OrderRejected
from warden.venue._model import LOT, PAYOUT, Clock, OrderRequest, TimeInForce, WireSide
from warden.venue._shapes import OrderWire

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
        self._fair: dict[str, int] = {}  # in ticks of the market
        self._ladder: dict[str, list[str]] = {}
        self._opportunities: dict[str, _Opportunity] = {}
        self._grids: dict[str, _Grid] = {}
        for ticker in engine.tickers:
            tick = engine.grid(ticker).tick
            self._grids[ticker] = _Grid(
                tick,
                _ticks("payout", PAYOUT, tick),
                _ticks("half_spread", config.half_spread, tick),
                _ticks("walk", config.walk, tick),
                _ticks("arb_edge", config.arb_edge, tick),
            )
        step = config.size_step
        self._size_range = (
            _units("size_min", config.size_min, step),
            _units("size_max", config.size_max, step),
        )

    def _fair_range(self, grid: _Grid) -> tuple[int, int]:
        margin = grid.half_spread + self.config.levels
        return margin, grid.dollar - margin

    def seed(self) -> None:
        """Pick each market's fair price and quote its first ladder."""
        for ticker in self.engine.tickers:
            grid = self._grids[ticker]
            low, high = self._fair_range(grid)
            fifth = grid.dollar // 5  # fair starts between 0.20 and 0.80
            self._fair[ticker] = self.rng.randint(max(low, fifth), min(high, grid.dollar - fifth))
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
        grid = self._grids[ticker]
        low, high = self._fair_range(grid)
        move = self.rng.randint(-grid.walk, grid.walk)
        fair = min(high, max(low, self._fair[ticker] + move))
        if fair != self._fair[ticker]:
            self._fair[ticker] = fair
            self._quote(ticker)
        elif self._ladder[ticker] and self.rng.random() < self.config.resize_rate:
            order_id = self.rng.choice(self._ladder[ticker])
            order = self.engine.order_state(HOUSE, order_id)
            if order.status == "resting":
                self.engine.cancel(HOUSE, order_id, reason="requote")
                self._ladder[ticker].remove(order_id)
                request = order.request
                self._place_ladder_order(ticker, request.side, request.price)

    def _quote(self, ticker: str) -> None:
        for order_id in self._ladder.get(ticker, []):
            with contextlib.suppress(OrderNotCancelable):
                self.engine.cancel(HOUSE, order_id, reason="requote")
        self._ladder[ticker] = []
        grid = self._grids[ticker]
        fair, spread = self._fair[ticker], grid.half_spread
        for level in range(self.config.levels):
            yes, no = fair - spread - level, grid.dollar - fair - spread - level
            self._place_ladder_order(ticker, WireSide.YES, yes * grid.tick)
            self._place_ladder_order(ticker, WireSide.NO, no * grid.tick)

    def _place_ladder_order(self, ticker: str, side: WireSide, price: Decimal) -> None:
        low, high = self._size_range
        size = self.rng.randint(low, max(low, high)) * self.config.size_step
        order = self._place(HOUSE, OrderRequest(ticker, side, "buy", size, price))
        if order is not None and order["status"] == "resting":
            self._ladder[ticker].append(order["order_id"])

    def _maybe_open(self, ticker: str, now: float) -> None:
        if ticker in self._opportunities or not self.rng.random() < self.config.arb_rate:
            return
        grid = self._grids[ticker]
        fair, edge, top = self._fair[ticker], grid.edge, grid.dollar - 1
        yes_bid = min(top, fair + edge // 2)
        no_bid = min(top, grid.dollar + edge - yes_bid)
        size = self.config.arb_size
        placed = [
            self._place(
                HOUSE, OrderRequest(ticker, WireSide.YES, "buy", size, yes_bid * grid.tick)
            ),
            self._place(HOUSE, OrderRequest(ticker, WireSide.NO, "buy", size, no_bid * grid.tick)),
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
            order = self.engine.order_state(HOUSE, order_id)
            if order.status != "resting":
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
                filled = self.engine.order_state(COMPETITOR, taken["order_id"]).fill_count
                self.stats.contracts_taken_by_competitors = before + filled
            if self.engine.order_state(HOUSE, order_id).status == "resting":
                self.engine.cancel(HOUSE, order_id, reason="stale_quote_withdrawn")

    def _place(self, account: str, request: OrderRequest) -> OrderWire | None:
        try:
            return self.engine.place(account, request)
        except OrderRejected:
            return None
