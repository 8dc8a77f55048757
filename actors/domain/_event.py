"""An event: the markets that settle together, and whether exactly one of them settles YES."""

from __future__ import annotations

from decimal import Decimal

from attrs import field, frozen

from actors import _checks
from actors.money import ONE


def _markets(instance: Event, _attribute: object, value: object) -> None:
    if not isinstance(value, tuple) or not value:
        _checks.fail(instance, "markets", value, "must be a non-empty tuple of tickers")
    for ticker in value:
        if not isinstance(ticker, str) or not _checks.is_identifier(ticker):
            _checks.fail(instance, "markets", value, f"holds a bad ticker {ticker!r}")
    if len(set(value)) != len(value):
        _checks.fail(instance, "markets", value, "must name each ticker once")
    if instance.exclusive and len(value) < 2:
        _checks.fail(instance, "markets", value, "an exclusive event needs at least 2 markets")


@frozen
class Event:
    """The markets of one venue event, in the venue's order.

    ``exclusive`` means mutually exclusive *and* exhaustive: exactly one of
    ``markets`` settles YES (Kalshi events with ``mutually_exclusive``,
    Polymarket negative-risk events).  A market the venue lists in no event is
    its own event (:meth:`single`), never exclusive.  ``payout`` is what one
    contract of every market pays at settlement.

    Raises :class:`~actors.errors.InvalidFieldError` for a bad ticker, an empty
    or repeated market list, an exclusive event of fewer than 2 markets, or a
    payout that is not a ``Decimal`` > 0 with at most 4 decimals.
    """

    event_ticker: str = field(validator=_checks.identifier)
    markets: tuple[str, ...] = field(validator=_markets)
    exclusive: bool = field(validator=_checks.instance_of(bool))
    payout: Decimal = field(default=ONE, kw_only=True, validator=_checks.payout)

    @classmethod
    def single(cls, ticker: str, payout: Decimal = ONE) -> Event:
        """The event of a market that belongs to no (known) event: itself alone."""
        return cls(ticker, (ticker,), False, payout=payout)
