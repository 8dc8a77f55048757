"""Exposure limits: :class:`RiskLimits`, why a reservation is refused, and the check.

Exposure is money that can still be lost, an exact ``Decimal`` in dollars
(docs/baskets.md §3):

- a live (HELD or IN_DOUBT) reservation counts its full ``amount``, split
  over its legs' markets, whatever has filled;
- what is held counts what it can still lose: per event,
  :func:`~actors.risk.event_exposure` (the open cost of unmatched contracts,
  less what complete sets hedge); per market, the smaller of the market's
  open cost and its event's exposure.

:func:`limit_breached` is the one place a new reservation, with ALL its legs
added, is checked against :class:`RiskLimits`.  Every sum runs under
:data:`actors.money.EXACT` (a sum that would round raises) and every comparison
is between ``Decimal`` values: nothing is a ``float``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from attrs import field, frozen

from actors.errors import InvalidFieldError
from actors.messages import Reservation
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


def _optional_dollars(instance: object, attribute: Any, value: Any) -> None:
    if value is not None:
        _positive_dollars(instance, attribute, value)


@frozen
class RiskLimits:
    """The limits a new reservation must keep within.

    Money limits are ``Decimal`` dollars:

    - ``max_market_exposure``: exposure of any one market;
    - ``max_total_exposure``: exposure summed over all events;
    - ``max_event_exposure``: exposure of any one event (``None``: the total
      limit);
    - ``max_daily_loss``: today's realised loss (UTC day) plus the new
      reservation's worst case.

    Counts are ``int``:

    - ``max_concurrent_markets``: markets with exposure at the same time;
    - ``max_reservations_per_market``: live (held or in-doubt) reservations in
      one market at once. Default 1: two executions in one market take each
      other's liquidity, each sees a lopsided fill and tries to unwind
      contracts the venue has already netted into pairs;
    - ``max_reservations_per_event``: live reservations in one event at once.
      Default 1: two baskets of one event take each other's legs and fight
      over unwinds.

    Construction raises :class:`~actors.errors.InvalidFieldError` naming the
    field for a money limit that is not a finite ``Decimal`` above zero
    (``int``, ``float``, ``bool``, ``str``, NaN and infinity included) and for
    a count that is not a positive ``int`` (``bool`` and ``float`` included);
    ``max_event_exposure`` may also be ``None``.
    """

    max_market_exposure: Decimal = field(validator=_positive_dollars)
    max_total_exposure: Decimal = field(validator=_positive_dollars)
    max_concurrent_markets: int = field(validator=_positive_int)
    max_daily_loss: Decimal = field(validator=_positive_dollars)
    max_reservations_per_market: int = field(default=1, validator=_positive_int)
    max_event_exposure: Decimal | None = field(default=None, validator=_optional_dollars)
    max_reservations_per_event: int = field(default=1, validator=_positive_int)

    @property
    def event_limit(self) -> Decimal:
        """``max_event_exposure``, or the total limit when it is ``None``."""
        if self.max_event_exposure is None:
            return self.max_total_exposure
        return self.max_event_exposure


class RejectReason(enum.Enum):
    """Why a ``Reserve`` was refused; the value is the counter's name."""

    HALTED = "halted"
    NOT_RECONCILED = "not_reconciled"
    BREAKER_OPEN = "breaker_open"
    BREAKER_HALF_OPEN = "breaker_half_open"  # the probe budget is in use
    VENUE_HALTED = "venue_halted"  # the venue said it takes no new orders (cancel-only, paused)
    DUPLICATE = "duplicate"  # the basket id is reserved, or was this incarnation
    MARKET_BUSY = "market_busy"  # a leg's market has its live reservations already
    EVENT_BUSY = "event_busy"  # the event has its live reservations already
    INVALID = "invalid"  # a basket risk's own fee schedule refuses or finds unprofitable
    NOT_HELD = "not_held"  # an exit sells more than the unbound contracts held
    MARKET_EXPOSURE = "market_exposure"
    EVENT_EXPOSURE = "event_exposure"
    TOTAL_EXPOSURE = "total_exposure"
    CONCURRENT_MARKETS = "concurrent_markets"
    DAILY_LOSS = "daily_loss"
    EXECUTION_UNAVAILABLE = "execution_unavailable"


def exact_sum(amounts: Mapping[str, Decimal]) -> Decimal:
    """The exact sum of ``amounts``' values (``Decimal(0)`` when empty)."""
    with localcontext(EXACT):
        return sum(amounts.values(), ZERO)


@frozen
class Exposure:
    """Current exposure in dollars: per market, per event (by event ticker) and in total.
    Entries of zero are allowed; a market is exposed when its entry is above zero."""

    by_market: dict[str, Decimal]
    by_event: dict[str, Decimal]
    total: Decimal


def limit_breached(
    limits: RiskLimits,
    exposure: Exposure,
    reservation: Reservation,
    *,
    realised_loss_today: Decimal,
    loss: Decimal | None = None,
) -> RejectReason | None:
    """The first limit that adding ``reservation`` (every leg) would break, or ``None``.

    Checked in order: each leg market's exposure plus the legs' amounts in it
    (``max_market_exposure``), the event's exposure plus the amount
    (``max_event_exposure``), the total plus the amount, the markets exposed
    afterwards, counting every leg market not exposed yet
    (``max_concurrent_markets``; a basket adding no market never breaks it), and
    ``realised_loss_today`` (>= 0) plus ``loss`` (default: the amount, which
    bounds what the basket can lose) against ``max_daily_loss``.  A total
    exactly at a limit is allowed.
    """
    amount = reservation.amount
    with localcontext(EXACT):
        for ticker, added in reservation.amount_by_market().items():
            if exposure.by_market.get(ticker, ZERO) + added > limits.max_market_exposure:
                return RejectReason.MARKET_EXPOSURE
        event = exposure.by_event.get(reservation.event_ticker, ZERO)
        if event + amount > limits.event_limit:
            return RejectReason.EVENT_EXPOSURE
        if exposure.total + amount > limits.max_total_exposure:
            return RejectReason.TOTAL_EXPOSURE
        exposed = {name for name, value in exposure.by_market.items() if value > 0}
        new = set(reservation.tickers) - exposed
        if new and len(exposed) + len(new) > limits.max_concurrent_markets:
            return RejectReason.CONCURRENT_MARKETS
        if realised_loss_today + (amount if loss is None else loss) > limits.max_daily_loss:
            return RejectReason.DAILY_LOSS
    return None
