"""Exposure limits and the arithmetic of a reservation's worst case.

Exposure is money that can still be lost, an exact ``Decimal`` in dollars:

- a reservation counts its ``amount``: both legs at their limit prices plus
  both taker fees (:func:`worst_case`), while it is HELD or IN_DOUBT;
- a position counts the cost basis of its unmatched contracts
  (:class:`~actors.risk.Holding`); matched YES+NO pairs pay the payout
  whatever the outcome and count nothing.

A market "has exposure" when either is above zero.  :func:`limit_breached`
is the one place a new reservation is checked against :class:`RiskLimits`.
Every sum runs under :data:`actors.money.EXACT` (a sum that would round raises)
and every comparison is between ``Decimal`` values: nothing is a ``float``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from attrs import field, frozen

from actors.domain import Opportunity
from actors.errors import InvalidFieldError
from actors.fees import FeeModel
from actors.money import EXACT
from supervision import validators

ZERO = Decimal(0)


def _invalid(instance: object, name: str, value: object, rule: str) -> InvalidFieldError:
    return InvalidFieldError(type(instance).__name__, name, value, rule)


def _positive_dollars(instance: object, attribute: Any, value: Any) -> None:
    """A money limit: a finite ``Decimal`` > 0 (never an ``int``, ``float`` or ``bool``)."""
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise _invalid(instance, attribute.name, value, "must be a finite Decimal > 0 (dollars)")


_positive_int = validators.integer(1, error=_invalid)


@frozen
class RiskLimits:
    """The limits a new reservation must keep within.

    Money limits are ``Decimal`` dollars:

    - ``max_market_exposure``: exposure of any one market;
    - ``max_total_exposure``: exposure summed over all markets;
    - ``max_daily_loss``: today's realised loss (UTC day) plus the new
      reservation's worst case.

    Counts are ``int``:

    - ``max_concurrent_markets``: markets with exposure at the same time;
    - ``max_reservations_per_market``: live (held or in-doubt) reservations in
      one market at once. Default 1: two executions in one market take each
      other's liquidity, each sees a lopsided fill and tries to unwind
      contracts the venue has already netted into pairs.

    Construction raises :class:`~actors.errors.InvalidFieldError` naming the
    field for a money limit that is not a finite ``Decimal`` above zero
    (``int``, ``float``, ``bool``, ``str``, NaN and infinity included) and for
    a count that is not a positive ``int`` (``bool`` and ``float`` included).
    """

    max_market_exposure: Decimal = field(validator=_positive_dollars)
    max_total_exposure: Decimal = field(validator=_positive_dollars)
    max_concurrent_markets: int = field(validator=_positive_int)
    max_daily_loss: Decimal = field(validator=_positive_dollars)
    max_reservations_per_market: int = field(default=1, validator=_positive_int)


class RejectReason(enum.Enum):
    """Why a ``Reserve`` was refused; the value is the counter's name."""

    HALTED = "halted"
    NOT_RECONCILED = "not_reconciled"
    BREAKER_OPEN = "breaker_open"
    BREAKER_HALF_OPEN = "breaker_half_open"  # the probe budget is in use
    DUPLICATE = "duplicate"  # the opportunity id is reserved, or was this incarnation
    MARKET_BUSY = "market_busy"  # a live reservation in the same market is still executing
    INVALID = "invalid"  # prices or count the fee model refuses
    MARKET_EXPOSURE = "market_exposure"
    TOTAL_EXPOSURE = "total_exposure"
    CONCURRENT_MARKETS = "concurrent_markets"
    DAILY_LOSS = "daily_loss"
    EXECUTION_UNAVAILABLE = "execution_unavailable"


def worst_case(fees: FeeModel, opportunity: Opportunity) -> Decimal:
    """What taking both legs of ``opportunity`` can cost at most, in dollars:
    ``count x (yes_ask + no_ask)`` plus the taker fee of each leg, exactly.

    The fees are ``fees``' (risk's own model, never the opportunity's), each
    rounded as the model rounds a trade fee.  Raises
    :class:`~actors.errors.InvalidFieldError` if ``fees`` refuses the count or
    a price (e.g. a price at or above its payout), and a
    ``decimal.DecimalException`` if a sum would need rounding (amounts beyond
    80 digits: never a real order).
    """
    count = opportunity.count
    yes_fee = fees.taker_fee(count, opportunity.yes_ask)
    no_fee = fees.taker_fee(count, opportunity.no_ask)
    with localcontext(EXACT):
        return count * (opportunity.yes_ask + opportunity.no_ask) + yes_fee + no_fee


def exact_sum(amounts: Mapping[str, Decimal]) -> Decimal:
    """The exact sum of ``amounts``' values (``Decimal(0)`` when empty)."""
    with localcontext(EXACT):
        return sum(amounts.values(), ZERO)


def limit_breached(
    limits: RiskLimits,
    exposure_by_market: Mapping[str, Decimal],
    *,
    ticker: str,
    amount: Decimal,
    realised_loss_today: Decimal,
) -> RejectReason | None:
    """The first limit that adding ``amount`` dollars of exposure in ``ticker`` would break.

    ``exposure_by_market`` holds the current exposure of each market (entries
    of zero are markets without exposure); ``realised_loss_today`` is today's
    loss as a non-negative amount.  Returns ``None`` when every limit holds
    after the addition: a total exactly at a limit is allowed.  Checked in
    order: market, total, concurrent markets, daily loss.
    """
    with localcontext(EXACT):
        current = exposure_by_market.get(ticker, ZERO)
        if current + amount > limits.max_market_exposure:
            return RejectReason.MARKET_EXPOSURE
        if exact_sum(exposure_by_market) + amount > limits.max_total_exposure:
            return RejectReason.TOTAL_EXPOSURE
        exposed = {name for name, value in exposure_by_market.items() if value > 0}
        if ticker not in exposed and len(exposed) + 1 > limits.max_concurrent_markets:
            return RejectReason.CONCURRENT_MARKETS
        if realised_loss_today + amount > limits.max_daily_loss:
            return RejectReason.DAILY_LOSS
    return None
