"""The venue fee model and the break-even arithmetic of complement arbitrage.

Kalshi charges a taker fee of ``ceil_to_cent(0.07 x C x P x (1 - P))`` dollars
for ``C`` contracts at price ``P`` dollars.  :class:`FeeModel` computes that in
exact integer arithmetic (``Decimal`` rates, integer cents, never ``float``).

Complement arbitrage buys ``C`` YES at ``ask_yes`` and ``C`` NO at ``ask_no``;
exactly one leg pays ``payout`` per contract at settlement, so the net profit
in cents is ``payout*C - (ask_yes + ask_no)*C - fee(yes leg) - fee(no leg)``.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Literal

from attrs import field, frozen

from actors import _checks

__all__ = ["BreakEven", "FeeModel"]


class BreakEven(enum.Enum):
    """The answer of :meth:`FeeModel.break_even_price` when no price works."""

    IMPOSSIBLE = "impossible"
    """No price of the other leg in ``(0, payout)`` gives a net profit >= 0."""


@frozen
class FeeModel:
    """Fees per order, in integer cents, for a venue of ``payout_cents`` contracts.

    ``taker_rate`` and ``maker_rate`` are finite ``Decimal`` in ``[0, 1)``; the
    default is Kalshi's 7% taker fee and no maker fee.  The fee scales with the
    contract: in cents it is ``ceil(rate x C x P x (1 - P) x payout_cents)``
    with ``P = price_cents / payout_cents``, which for the Kalshi payout of 100
    cents is exactly Kalshi's "0.07 x C x P x (1 - P) dollars, rounded up to
    the next cent".

    Construction raises :class:`~actors.errors.InvalidFieldError` for a float,
    NaN, infinite, negative or >= 1 rate, or a payout that is not an integer
    >= 2.
    """

    taker_rate: Decimal = field(default=Decimal("0.07"), validator=_checks.fee_rate)
    maker_rate: Decimal = field(default=Decimal("0"), validator=_checks.fee_rate)
    payout_cents: int = field(default=_checks.DEFAULT_PAYOUT_CENTS, validator=_checks.payout_cents)

    def taker_fee(self, count: int, price_cents: int) -> int:
        """The fee in cents for taking ``count`` contracts at ``price_cents``.

        Never negative.  Raises :class:`~actors.errors.InvalidFieldError` if
        ``count`` is not a positive ``int`` or ``price_cents`` is not an ``int``
        in ``(0, payout_cents)``.
        """
        return self._fee(self.taker_rate, count, price_cents)

    def maker_fee(self, count: int, price_cents: int) -> int:
        """The fee in cents for ``count`` contracts resting and filled at ``price_cents``.

        Same formula and failures as :meth:`taker_fee`, with ``maker_rate``.
        """
        return self._fee(self.maker_rate, count, price_cents)

    def complement_edge_cents(self, count: int, ask_yes: int, ask_no: int) -> int:
        """Net profit in cents of taking ``count`` YES at ``ask_yes`` and NO at ``ask_no``.

        Both legs pay the taker fee (buying at the ask crosses the spread).
        The result may be zero or negative.  Raises
        :class:`~actors.errors.InvalidFieldError` for a bad count or price.
        """
        cost = self._leg_cost(count, ask_yes, "ask_yes") + self._leg_cost(count, ask_no, "ask_no")
        return self.payout_cents * count - cost

    def break_even_price(
        self, count: int, other_leg_price: int
    ) -> int | Literal[BreakEven.IMPOSSIBLE]:
        """The highest price of one leg that still nets >= 0 with the other at ``other_leg_price``.

        Returns the largest ``p`` in ``(0, payout_cents)`` with
        ``complement_edge_cents(count, other_leg_price, p) >= 0``, or
        :attr:`BreakEven.IMPOSSIBLE` when even a price of 1 loses money.  The
        two legs are symmetric, so it does not matter which one is given.

        The leg cost ``p*C + fee(C, p)`` never decreases as ``p`` rises while
        the fee rate is below 1 (one more cent of price adds ``C`` cents of
        cost and removes less than ``C`` cents of fee), so a binary search
        finds the boundary.  Raises :class:`~actors.errors.InvalidFieldError`
        for a bad count or price.
        """
        other_cost = self._leg_cost(count, other_leg_price, "other_leg_price")
        budget = self.payout_cents * count - other_cost
        if self._leg_cost(count, 1, "price_cents") > budget:
            return BreakEven.IMPOSSIBLE
        low, high = 1, self.payout_cents - 1  # invariant: low is affordable, above high is not
        while low < high:
            middle = (low + high + 1) // 2
            if self._leg_cost(count, middle, "price_cents") <= budget:
                low = middle
            else:
                high = middle - 1
        return low

    def _leg_cost(self, count: int, price_cents: int, name: str) -> int:
        self._check_order(count, price_cents, name)
        return price_cents * count + self._fee(self.taker_rate, count, price_cents)

    def _check_order(self, count: int, price_cents: int, name: str) -> None:
        if not _checks.positive_int.check(count):
            _checks.fail(self, "count", count, _checks.positive_int.wording)
        _checks.check_price(self, name, price_cents)

    def _fee(self, rate: Decimal, count: int, price_cents: int) -> int:
        self._check_order(count, price_cents, "price_cents")
        numerator, denominator = rate.as_integer_ratio()
        payout = self.payout_cents
        # rate*C*P*(1-P)*payout with P = price/payout, as one exact fraction
        top = numerator * count * price_cents * (payout - price_cents)
        return -(-top // (denominator * payout))
