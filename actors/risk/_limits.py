"""Exposure limits and the arithmetic of a reservation's worst case.

Exposure is money that can still be lost, in integer cents:

- a reservation counts its ``amount_cents``: both legs at their limit prices
  plus both taker fees (:func:`worst_case_cents`), while it is HELD or IN_DOUBT;
- a position counts the cost basis of its unmatched contracts
  (:class:`~actors.risk.Holding`); matched YES+NO pairs pay the payout
  whatever the outcome and count nothing.

A market "has exposure" when either is above zero.  :func:`limit_breached`
is the one place a new reservation is checked against :class:`RiskLimits`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from attrs import field, frozen

from actors import _checks
from actors.domain import Opportunity
from actors.fees import FeeModel


@frozen
class RiskLimits:
    """The limits a new reservation must keep within (all integer cents or counts).

    - ``max_market_exposure_cents``: exposure of any one market;
    - ``max_total_exposure_cents``: exposure summed over all markets;
    - ``max_concurrent_markets``: markets with exposure at the same time;
    - ``max_daily_loss_cents``: today's realised loss (UTC day) plus the new
      reservation's worst case;
    - ``max_reservations_per_market``: live (held or in-doubt) reservations in
      one market at once. Default 1: two executions in one market take each
      other's liquidity, each sees a lopsided fill and tries to unwind
      contracts the venue has already netted into pairs.

    Construction raises :class:`~actors.errors.InvalidFieldError` naming the
    field for any value that is not a positive ``int`` (``bool`` and ``float``
    included).
    """

    max_market_exposure_cents: int = field(validator=_checks.positive_int)
    max_total_exposure_cents: int = field(validator=_checks.positive_int)
    max_concurrent_markets: int = field(validator=_checks.positive_int)
    max_daily_loss_cents: int = field(validator=_checks.positive_int)
    max_reservations_per_market: int = field(default=1, validator=_checks.positive_int)


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


def worst_case_cents(fees: FeeModel, opportunity: Opportunity) -> int:
    """What taking both legs of ``opportunity`` can cost at most: ``count x (yes_ask +
    no_ask)`` plus the taker fee of each leg.

    Raises :class:`~actors.errors.InvalidFieldError` if ``fees`` refuses the
    count or a price (e.g. a price at or above its payout).
    """
    count = opportunity.count
    return (
        count * (opportunity.yes_ask + opportunity.no_ask)
        + fees.taker_fee(count, opportunity.yes_ask)
        + fees.taker_fee(count, opportunity.no_ask)
    )


def limit_breached(
    limits: RiskLimits,
    exposure_by_market: Mapping[str, int],
    *,
    ticker: str,
    amount_cents: int,
    realised_loss_today_cents: int,
) -> RejectReason | None:
    """The first limit that adding ``amount_cents`` of exposure in ``ticker`` would break.

    ``exposure_by_market`` holds the current exposure of each market (entries
    of zero are markets without exposure).  Returns ``None`` when every limit
    holds after the addition.  Checked in order: market, total, concurrent
    markets, daily loss.
    """
    current = exposure_by_market.get(ticker, 0)
    if current + amount_cents > limits.max_market_exposure_cents:
        return RejectReason.MARKET_EXPOSURE
    if sum(exposure_by_market.values()) + amount_cents > limits.max_total_exposure_cents:
        return RejectReason.TOTAL_EXPOSURE
    exposed = {name for name, cents in exposure_by_market.items() if cents > 0}
    if ticker not in exposed and len(exposed) + 1 > limits.max_concurrent_markets:
        return RejectReason.CONCURRENT_MARKETS
    if realised_loss_today_cents + amount_cents > limits.max_daily_loss_cents:
        return RejectReason.DAILY_LOSS
    return None
