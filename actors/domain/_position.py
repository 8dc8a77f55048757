"""What we hold in one market, built up from fills."""

from __future__ import annotations

from attrs import evolve, field, frozen

from actors import _checks
from actors.domain._orders import Fill
from actors.domain._sides import Action, Side
from actors.errors import InvalidFieldError


@frozen
class Position:
    """Contracts held in ``ticker`` and the cash that flowed to get them.

    ``yes_count`` and ``no_count`` are non-negative (short positions are not
    held); ``cash_cents`` is signed: buying spends (price x count + fee),
    selling receives (price x count - fee).  Holding one YES and one NO is a
    pair worth exactly the payout at settlement.  Construction raises
    :class:`~actors.errors.InvalidFieldError` naming the field and value.
    """

    ticker: str = field(validator=_checks.identifier)
    yes_count: int = field(default=0, validator=_checks.non_negative_int)
    no_count: int = field(default=0, validator=_checks.non_negative_int)
    cash_cents: int = field(default=0, validator=_checks.any_int)
    payout_cents: int = field(
        kw_only=True, default=_checks.DEFAULT_PAYOUT_CENTS, validator=_checks.payout_cents
    )

    @property
    def matched_pairs(self) -> int:
        """YES+NO pairs held; each pays the payout whatever the outcome."""
        return min(self.yes_count, self.no_count)

    def count(self, side: Side) -> int:
        """Contracts held on ``side``."""
        return self.yes_count if side is Side.YES else self.no_count

    def pnl_at_settlement(self, outcome: Side) -> int:
        """Profit in cents if the market settles ``outcome`` (that side pays the payout)."""
        return self.cash_cents + self.count(outcome) * self.payout_cents

    @property
    def worst_case_pnl_cents(self) -> int:
        """The lower of the two settlement outcomes' profit."""
        return min(self.pnl_at_settlement(Side.YES), self.pnl_at_settlement(Side.NO))

    def apply_fill(self, fill: Fill) -> Position:
        """The position after ``fill``; ``self`` never changes.

        Raises :class:`~actors.errors.InvalidFieldError` if the fill is for
        another ticker or payout, or sells more contracts than are held.
        """
        for name in ("ticker", "payout_cents"):
            if getattr(fill, name) != getattr(self, name):
                raise InvalidFieldError(
                    "Fill",
                    name,
                    getattr(fill, name),
                    f"does not match the position's {getattr(self, name)!r}",
                    ticker=self.ticker,
                    order_id=fill.client_order_id,
                )
        notional = fill.price * fill.count
        if fill.action is Action.BUY:
            change, cash = fill.count, -notional - fill.fee_cents
        else:
            change, cash = -fill.count, notional - fill.fee_cents
        name = "yes_count" if fill.side is Side.YES else "no_count"
        held = self.count(fill.side) + change
        if held < 0:
            raise InvalidFieldError(
                "Position",
                name,
                held,
                f"would go negative: selling {fill.count} of {self.count(fill.side)} held",
                ticker=self.ticker,
                order_id=fill.client_order_id,
            )
        cash_cents = self.cash_cents + cash
        if fill.side is Side.YES:
            return evolve(self, yes_count=held, cash_cents=cash_cents)
        return evolve(self, no_count=held, cash_cents=cash_cents)
