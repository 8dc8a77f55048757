"""Markets and the vocabulary of a binary contract: sides, actions, market status."""

from __future__ import annotations

import enum

from attrs import field, frozen

from actors import _checks


class Side(enum.Enum):
    """Which contract of a binary market: YES pays out if the event happens, NO if not."""

    YES = "yes"
    NO = "no"

    @property
    def other(self) -> Side:
        """The complementary side: holding one YES and one NO always pays the payout."""
        return Side.NO if self is Side.YES else Side.YES


class Action(enum.Enum):
    """Whether an order buys or sells contracts of its side."""

    BUY = "buy"
    SELL = "sell"


class MarketStatus(enum.Enum):
    """The venue's lifecycle of a market, normalised; only ``OPEN`` trades."""

    UNOPENED = "unopened"
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"
    SETTLED = "settled"


@frozen
class Market:
    """A tradable binary market: its ticker, price grid and status.

    ``tick_size_cents`` is the price increment; it must be a positive ``int``
    below ``payout_cents`` that divides it, so at least one price exists.  Construction raises
    :class:`~actors.errors.InvalidFieldError` naming the field otherwise.
    """

    ticker: str = field(validator=_checks.identifier)
    tick_size_cents: int = field(validator=_checks.positive_int)
    status: MarketStatus = field(validator=_checks.instance_of(MarketStatus))
    payout_cents: int = field(
        kw_only=True, default=_checks.DEFAULT_PAYOUT_CENTS, validator=_checks.payout_cents
    )

    def __attrs_post_init__(self) -> None:
        tick, payout = self.tick_size_cents, self.payout_cents
        if tick >= payout or payout % tick:
            _checks.fail(self, "tick_size_cents", tick, f"must be below and divide {payout}")

    @property
    def is_tradable(self) -> bool:
        """True only while the market is ``OPEN``."""
        return self.status is MarketStatus.OPEN

    def check_price(self, price: object, field: str = "price") -> int:
        """Return ``price`` if it is a valid price on this market's tick grid.

        Raises :class:`~actors.errors.InvalidFieldError` naming ``field``, the
        value and this market's ticker if ``price`` is not an ``int`` in
        ``(0, payout_cents)`` or not a multiple of ``tick_size_cents``.
        """
        _checks.check_price(self, field, price)
        assert isinstance(price, int)
        if price % self.tick_size_cents:
            _checks.fail(self, field, price, f"must be a multiple of tick {self.tick_size_cents}")
        return price
