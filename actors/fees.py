"""The venue fee model and the break-even arithmetic of complement arbitrage.

Every amount is a ``Decimal`` in dollars and every count a ``Decimal`` in
contracts (docs/money.md).  :class:`FeeModel` holds the rates and the payout
a strategy and risk work with; the fee arithmetic itself is the venue's
schedule in :mod:`actors.money` (this module only delegates): Kalshi's
:class:`~actors.money.KalshiFees` by default, Polymarket's
:class:`~actors.money.PolymarketFees` from :meth:`FeeModel.polymarket` (taker
``C x rate x p(1-p)`` rounded up to $0.00001, makers free; no balance rounding).
Strategy and risk must price with the same model, and with the venue's own: a
schedule dearer than the venue's proposes fewer baskets, a cheaper one proposes
losing ones.

Kalshi's rounding, for one fill (``fee_rounding.md``):

1. trade fee = ``rate x C x P x (1 - P)``, **rounded up to $0.0001**;
2. the balance change ``revenue - trade fee`` is **floored to $0.01** (a
   non-direct member); the difference is the "rounding fee".

A buy of ``C`` at ``P`` therefore costs ``buy_cost = ceil_to_cent(P x C +
trade fee)`` and :meth:`FeeModel.taker_fee` is everything above the notional:
``buy_cost - P x C`` (trade fee plus rounding fee).  On whole-cent prices and
whole contracts that is the classic ``ceil_to_cent(0.07 x C x P x (1 - P))``.

Complement arbitrage buys ``C`` YES at ``ask_yes`` and ``C`` NO at ``ask_no``;
exactly one leg pays ``payout`` per contract at settlement, so the net profit
is ``payout x C - (ask_yes + ask_no) x C - taker_fee(yes leg) - taker_fee(no leg)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

from attrs import field, frozen

from actors import _checks
from actors.money import EXACT, BreakEven, KalshiFees, PolymarketFees, PriceGrid

__all__ = ["BreakEven", "FeeModel"]

VenueFees = KalshiFees | PolymarketFees
"""The fee schedules a :class:`FeeModel` prices with (risk sizes reservations by their
rounding rules, so a schedule is one of these, not any ``FeeSchedule``); a type for
:mod:`actors.risk`, not exported."""

_CENT = Decimal("0.01")


def _balance_precision(instance: object, attribute: Any, value: Any) -> None:
    if not _checks.is_decimal(value) or value <= 0:
        _checks.fail(instance, attribute.name, value, "must be a finite Decimal > 0")


def _venue_fees(instance: object, attribute: Any, value: Any) -> None:
    if not isinstance(value, (KalshiFees, PolymarketFees)):
        _checks.fail(instance, attribute.name, value, "must be a KalshiFees or PolymarketFees")


@frozen
class FeeModel:
    """A venue's fees per order in ``Decimal`` dollars, for contracts paying ``payout``.

    ``taker_rate`` and ``maker_rate`` are finite ``Decimal`` in ``[0, 1)``; the
    default is Kalshi's 7% taker fee and no maker fee.  ``payout`` (default
    $1) scales the formula: the fee is ``rate x C x P x (1 - P) x payout`` with
    ``P = price / payout``.  ``balance_precision`` is what a balance change is
    floored to: $0.01 for a non-direct member (the default), $0.0001 for a
    direct member.  The arithmetic is ``schedule``: by default
    :class:`actors.money.KalshiFees` of these rates; :meth:`polymarket` gives
    Polymarket's instead.

    Construction raises :class:`~actors.errors.InvalidFieldError` for a float,
    NaN, infinite, negative or >= 1 rate, or a payout that is not a
    ``Decimal`` > 0 with at most 4 decimals.  Every method raises it for a
    count that is not a ``Decimal`` > 0 with at most 2 decimals or a price
    that is not a ``Decimal`` in ``(0, payout)`` with at most 4 decimals
    (``int``, ``bool`` and ``float`` included).
    """

    taker_rate: Decimal = field(default=Decimal("0.07"), validator=_checks.fee_rate)
    maker_rate: Decimal = field(default=Decimal(0), validator=_checks.fee_rate)
    payout: Decimal = field(default=_checks.DEFAULT_PAYOUT, validator=_checks.payout)
    balance_precision: Decimal = field(default=_CENT, kw_only=True, validator=_balance_precision)
    schedule: VenueFees = field(kw_only=True, validator=_venue_fees)

    @schedule.default
    def _schedule(self) -> VenueFees:
        return KalshiFees(
            taker_rate=self.taker_rate,
            maker_rate=self.maker_rate,
            balance_precision=self.balance_precision,
        )

    @classmethod
    def polymarket(
        cls, taker_rates: Iterable[Decimal], *, payout: Decimal = _checks.DEFAULT_PAYOUT
    ) -> FeeModel:
        """Polymarket's fees (:class:`~actors.money.PolymarketFees`, exponent 1; makers
        pay none) for markets whose taker fee rates are ``taker_rates`` (each market's
        ``fee_rate``, Gamma's ``feeSchedule.rate``): at the highest of them, so that no
        market's fee is under-estimated by the one model that prices them all; 0 when
        there are none.  Raises :class:`~actors.errors.InvalidFieldError` for a rate
        outside ``[0, 1)``."""
        rate = max(taker_rates, default=Decimal(0))
        return cls(
            taker_rate=rate,
            maker_rate=Decimal(0),
            payout=payout,
            schedule=PolymarketFees(taker_rate=rate),
        )

    def trade_fee(self, count: Decimal, price: Decimal, *, maker: bool = False) -> Decimal:
        """Kalshi's step 1 alone: ``rate x C x P x (1 - P)`` rounded up to $0.0001."""
        self._check_order(count, price, "price")
        return self.schedule.trade_fee(count, price, self.payout, maker=maker)

    def taker_fee(self, count: Decimal, price: Decimal) -> Decimal:
        """What taking (buying) ``count`` at ``price`` in one fill costs above the notional.

        The trade fee plus the rounding fee: ``buy_cost(count, price) - price x
        count``.  Never negative.
        """
        return self._fee(count, price, maker=False)

    def maker_fee(self, count: Decimal, price: Decimal) -> Decimal:
        """The same as :meth:`taker_fee` for a resting order filled, with ``maker_rate``."""
        return self._fee(count, price, maker=True)

    def buy_cost(self, count: Decimal, price: Decimal, *, maker: bool = False) -> Decimal:
        """The cash a buy of ``count`` at ``price`` takes in one fill, fees included."""
        self._check_order(count, price, "price")
        return self.schedule.buy_cost(count, price, self.payout, maker=maker)

    def complement_edge(self, count: Decimal, ask_yes: Decimal, ask_no: Decimal) -> Decimal:
        """Net profit of taking ``count`` YES at ``ask_yes`` and ``count`` NO at ``ask_no``.

        ``payout x count - buy_cost(yes leg) - buy_cost(no leg)``, exact; both
        legs pay the taker fee (buying at the ask crosses the spread).  The
        result may be zero or negative.
        """
        cost = EXACT.add(
            self._leg_cost(count, ask_yes, "ask_yes"), self._leg_cost(count, ask_no, "ask_no")
        )
        return EXACT.subtract(EXACT.multiply(self.payout, count), cost)

    def break_even_price(
        self, count: Decimal, other_leg_price: Decimal, grid: PriceGrid | None = None
    ) -> Decimal | Literal[BreakEven.IMPOSSIBLE]:
        """The highest price of one leg that still nets >= 0 with the other at ``other_leg_price``.

        Returns the largest price ``p`` on ``grid`` (default: Kalshi's
        ``linear_cent`` grid, tick $0.01, for this payout) with
        ``complement_edge(count, other_leg_price, p) >= 0``, or
        :attr:`BreakEven.IMPOSSIBLE` when even the grid's lowest price loses
        money.  The two legs are symmetric, so it does not matter which one is
        given.  A leg's cost never decreases as its price rises while the fee
        rate is below 1, so a binary search over the grid finds the boundary.
        Raises :class:`~actors.errors.InvalidFieldError` for a bad count or
        price, or a grid whose payout is not this model's.
        """
        grid = grid if grid is not None else PriceGrid(_CENT, payout=self.payout, places=4)
        if grid.payout != self.payout:
            _checks.fail(self, "grid.payout", grid.payout, f"must equal payout {self.payout}")
        other_cost = self._leg_cost(count, other_leg_price, "other_leg_price")
        budget = EXACT.subtract(EXACT.multiply(self.payout, count), other_cost)

        def affordable(index: int) -> bool:
            return self._leg_cost(count, grid.price_at(index), "price") <= budget

        if not affordable(0):
            return BreakEven.IMPOSSIBLE
        low, high = 0, grid.steps  # invariant: low is affordable, above high is not
        while low < high:
            middle = (low + high + 1) // 2
            if affordable(middle):
                low = middle
            else:
                high = middle - 1
        return grid.price_at(low)

    def _leg_cost(self, count: Decimal, price: Decimal, name: str) -> Decimal:
        self._check_order(count, price, name)
        return self.schedule.buy_cost(count, price, self.payout)

    def _fee(self, count: Decimal, price: Decimal, *, maker: bool) -> Decimal:
        self._check_order(count, price, "price")
        cost = self.schedule.buy_cost(count, price, self.payout, maker=maker)
        return EXACT.subtract(cost, EXACT.multiply(count, price))

    def _check_order(self, count: Decimal, price: Decimal, name: str) -> None:
        if not _checks.is_size(count):
            _checks.fail(self, "count", count, _checks.SIZE_RULE)
        _checks.check_price(self, name, price)
