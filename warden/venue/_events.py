"""Event dynamics of the realistic mode: fair values per event, lagging makers, competitors.

Deterministic by construction, like :mod:`warden.venue._dynamics`: every
random draw comes from the injected ``random.Random`` and every time from the
injected clock; nothing happens except in :meth:`EventDynamics.seed` and
:meth:`EventDynamics.step`.

Per event, each outcome has a score that walks (normal steps of
``volatility``, plus a rare ``jump_size`` jump of one outcome).  Fair values
are exact ``Decimal`` multiples of $0.0001: in a mutually exclusive event the
softmax of the scores, apportioned by largest remainder so that they sum to
the payout exactly; otherwise each market's own logistic of its score.

Each market's maker (account ``house``) quotes a ladder of YES and NO bids
``half_spread`` either side of the fair value it last saw, and re-quotes only
``lag`` seconds (its own, drawn at start) after fair moved by
``requote_threshold`` or more, or after some of its ladder traded away. So
when one outcome reprices, the others' quotes lag and the event's basket is
briefly mispriced: the sum of the best YES asks falls below the payout, or the
sum of the best NO asks below ``(N - 1) x payout``. A mispricing seen for
``competitor_delay_seconds`` is taken by the competitor (account
``competitor``), which buys every leg with immediate-or-cancel orders at the
best asks until it is gone. The makers' quotes never cross each other: YES bid
+ NO bid of one market is at most ``1 - 2 x half_spread``, and the engine
(reciprocal mode) matches any cross between accounts at once.
"""

from __future__ import annotations

import contextlib
import math
import random
from decimal import ROUND_FLOOR, Decimal

from attrs import define, frozen

from warden.venue._dynamics import DynamicsStats
from warden.venue._engine import COMPETITOR, HOUSE, MatchingEngine
from warden.venue._errors import OrderNotCancelable, OrderRejected
from warden.venue._model import (
    PAYOUT,
    ZERO,
    Clock,
    OrderRequest,
    OrderStatus,
    TimeInForce,
    WireSide,
    price_fp,
)
from warden.venue._realism import Event, RealismConfig
from warden.venue._shapes import EventFairWire, FairValuesWire, OrderWire

FAIR_UNIT = Decimal("0.0001")
"""Fair values are multiples of this (the finest Kalshi tick)."""
_UNITS = int(PAYOUT / FAIR_UNIT)
_SCORE_BOUND = 3.0  # keeps every softmax share well above one FAIR_UNIT
_MAX_TAKES = 50  # competitor rounds per mispricing and step; each takes a whole top level


@define
class Mispricing:
    """One basket mispricing of an exclusive event, from first seen to gone."""

    event_ticker: str
    side: WireSide  # YES: sum of YES asks < payout; NO: sum of NO asks < (N - 1) x payout
    opened: float
    cost: Decimal  # the sum of asks when first seen
    closed: float | None = None
    taken_by_competitor: bool = False


@frozen
class _Quote:
    fair: Decimal
    order_ids: tuple[str, ...]


class EventDynamics:
    """Moves the books of ``engine`` event by event; see the module docstring.

    Raises ``ValueError`` at construction if ``level_gap`` is not a whole
    number of some market's tick.
    """

    def __init__(
        self, engine: MatchingEngine, config: RealismConfig, rng: random.Random, clock: Clock
    ) -> None:
        self.engine = engine
        self.config = config
        self.rng = rng
        self.clock = clock
        self.events: tuple[Event, ...] = config.layout
        self.stats = DynamicsStats()
        self.mispricings: list[Mispricing] = []
        self.requotes = 0
        self.jumps = 0
        self._scores: dict[str, float] = {}
        self._fair: dict[str, Decimal] = {}
        self._quotes: dict[str, _Quote] = {}
        self._due: dict[str, float] = {}
        self._lag: dict[str, float] = {}
        self._open: dict[tuple[str, WireSide], Mispricing] = {}
        for event in self.events:
            for ticker in event.tickers:
                tick = engine.grid(ticker).tick
                if config.level_gap % tick:
                    raise ValueError(
                        f"realism.level_gap = {config.level_gap} is not a whole number of"
                        f" ticks of {tick} ({ticker})"
                    )

    # ------------------------------------------------------------ queries

    def fair_values(self) -> dict[str, Decimal]:
        """Every market's current fair YES value (exact dollars)."""
        return dict(self._fair)

    def to_wire(self) -> FairValuesWire:
        """``GET /sim/fair_values``: per event, each market's fair value and their sum."""
        events: list[EventFairWire] = []
        for event in self.events:
            fair = {t: self._fair[t] for t in event.tickers if t in self._fair}
            events.append(
                {
                    "event_ticker": event.event_ticker,
                    "mutually_exclusive": event.mutually_exclusive,
                    "fair_values": {t: price_fp(v) for t, v in fair.items()},
                    "sum_dollars": price_fp(sum(fair.values(), ZERO)),
                }
            )
        return {"step": self.stats.steps, "events": events}

    def basket_cost(self, event: Event, side: WireSide) -> Decimal | None:
        """The sum of the best ``side`` asks of ``event``'s markets; None if a leg has none."""
        total = ZERO
        for ticker in event.tickers:
            ask = self.engine.book(ticker).best_ask(side)
            if ask is None:
                return None
            total += ask
        return total

    def mispriced(self, event: Event, side: WireSide) -> Decimal | None:
        """The basket's cost if it is below what it surely pays, else None."""
        cost = self.basket_cost(event, side)
        pays = PAYOUT if side is WireSide.YES else PAYOUT * (len(event.tickers) - 1)
        return cost if cost is not None and cost < pays else None

    # ----------------------------------------------------------- commands

    def seed(self) -> None:
        """Draw every market's lag and first score, and quote every market at fair."""
        low, high = self.config.lag_seconds
        for event in self.events:
            for ticker in event.tickers:
                self._lag[ticker] = self.rng.uniform(low, high)
                self._scores[ticker] = self.rng.uniform(-1.0, 1.0)
            self._reprice(event)
            for ticker in event.tickers:
                self._quote(ticker)

    def step(self) -> None:
        """One tick: walk scores, reprice, re-quote the makers that are due, run competitors."""
        if not self._scores:
            return
        self.stats.steps += 1
        now = self.clock.now()
        sigma = float(self.config.volatility)
        for event in self.events:
            for ticker in event.tickers:
                self._walk(ticker, self.rng.gauss(0.0, sigma))
            if self.rng.random() < self.config.jump_rate:
                ticker = self.rng.choice(event.tickers)
                sign = self.rng.choice((-1.0, 1.0))
                self._walk(ticker, sign * float(self.config.jump_size))
                self.jumps += 1
            self._reprice(event)
            for ticker in event.tickers:
                self._maybe_requote(ticker, now)
        for event in self.events:
            if event.mutually_exclusive:
                for side in WireSide:
                    self._watch(event, side, now)

    # ---------------------------------------------------------- internals

    def _walk(self, ticker: str, move: float) -> None:
        score = self._scores[ticker] + move
        self._scores[ticker] = max(-_SCORE_BOUND, min(_SCORE_BOUND, score))

    def _reprice(self, event: Event) -> None:
        scores = [self._scores[t] for t in event.tickers]
        if event.mutually_exclusive:
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            total = sum(weights)
            units = apportion([w / total for w in weights], _UNITS)
        else:
            units = [min(_UNITS - 1, max(1, round(_UNITS / (1.0 + math.exp(-s))))) for s in scores]
        for ticker, count in zip(event.tickers, units, strict=True):
            self._fair[ticker] = count * FAIR_UNIT

    def _maybe_requote(self, ticker: str, now: float) -> None:
        due = self._due.get(ticker)
        if due is None and (self._moved(ticker) or self._depleted(ticker)):
            self._due[ticker] = due = now + self._lag[ticker]
        if due is not None and now >= due:
            del self._due[ticker]
            self._quote(ticker)
            self.requotes += 1

    def _moved(self, ticker: str) -> bool:
        moved = abs(self._fair[ticker] - self._quotes[ticker].fair)
        return moved >= self.config.requote_threshold

    def _depleted(self, ticker: str) -> bool:
        """Whether some order of the ladder traded away (the maker refills, after its lag)."""
        return any(
            self.engine.order_state(HOUSE, order_id).status is not OrderStatus.RESTING
            for order_id in self._quotes[ticker].order_ids
        )

    def _quote(self, ticker: str) -> None:
        """Replace ``ticker``'s ladder with one around its current fair value."""
        old = self._quotes.get(ticker)
        for order_id in old.order_ids if old is not None else ():
            with contextlib.suppress(OrderNotCancelable):
                self.engine.cancel(HOUSE, order_id, reason="requote")
        fair, config = self._fair[ticker], self.config
        grid = self.engine.grid(ticker)
        yes_top = _floor(fair - config.half_spread, grid.tick)
        no_top = _floor(PAYOUT - fair - config.half_spread, grid.tick)
        ids = []
        for level in range(config.levels):
            for side, top in ((WireSide.YES, yes_top), (WireSide.NO, no_top)):
                price = top - level * config.level_gap
                if not grid.contains(price):
                    continue
                size = Decimal(self.rng.randint(config.size_min, config.size_max))
                order = self._place(HOUSE, OrderRequest(ticker, side, "buy", size, price))
                if order is not None and order["status"] == "resting":
                    ids.append(str(order["order_id"]))
        self._quotes[ticker] = _Quote(fair, tuple(ids))

    def _watch(self, event: Event, side: WireSide, now: float) -> None:
        key = (event.event_ticker, side)
        cost = self.mispriced(event, side)
        record = self._open.get(key)
        if cost is None:
            if record is not None:
                record.closed = now
                del self._open[key]
            return
        if record is None:
            record = Mispricing(event.event_ticker, side, now, cost)
            self._open[key] = record
            self.mispricings.append(record)
            self.stats.opportunities_opened += 1
            return
        if now - record.opened >= self.config.competitor_delay_seconds:
            self._take(event, side)
            if self.mispriced(event, side) is None:
                record.closed = now
                record.taken_by_competitor = True
                del self._open[key]
                self.stats.opportunities_expired += 1

    def _take(self, event: Event, side: WireSide) -> None:
        """The competitor buys every leg at its best ask, a top level at a time."""
        for _ in range(_MAX_TAKES):
            if self.mispriced(event, side) is None:
                return
            legs = []
            for ticker in event.tickers:
                book = self.engine.book(ticker)
                ask = book.best_ask(side)
                assert ask is not None  # mispriced => every leg has an ask
                depth = book.size_at(side.other, PAYOUT - ask)
                legs.append((ticker, ask, depth))
            size = min(depth for _, _, depth in legs)
            for ticker, ask, _ in legs:
                request = OrderRequest(
                    ticker, side, "buy", size, ask, TimeInForce.IMMEDIATE_OR_CANCEL
                )
                taken = self._place(COMPETITOR, request)
                if taken is not None:
                    filled = self.engine.order_state(COMPETITOR, taken["order_id"]).fill_count
                    self.stats.contracts_taken_by_competitors += filled

    def _place(self, account: str, request: OrderRequest) -> OrderWire | None:
        try:
            return self.engine.place(account, request)
        except OrderRejected:
            return None


def apportion(shares: list[float], units: int) -> list[int]:
    """Whole units per share summing to exactly ``units`` (largest remainder, ties by index)."""
    raw = [share * units for share in shares]
    counts = [math.floor(value) for value in raw]
    left = units - sum(counts)
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for index in order[:left]:
        counts[index] += 1
    assert sum(counts) == units, (shares, counts)
    return counts


def _floor(value: Decimal, tick: Decimal) -> Decimal:
    return (value / tick).to_integral_value(rounding=ROUND_FLOOR) * tick
