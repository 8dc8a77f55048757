"""What we hold in one market, built up from fills."""

from __future__ import annotations

from decimal import Decimal

from attrs import evolve, field, frozen

from actors import _checks
from actors.domain._orders import Fill
from actors.domain._sides import Action, Side
from actors.errors import InvalidFieldError
from actors.money import EXACT


@frozen
class Position:
    """Contracts held in ``ticker`` and the cash that flowed to get them.

    ``yes_count`` and ``no_count`` are non-negative ``Decimal`` contracts
    (short positions are not held); ``cash`` is signed ``Decimal`` dollars:
    buying spends (price x count + fee), selling receives (price x count -
    fee), computed exactly (:data:`actors.money.EXACT`).  Holding one YES and
    one NO is a pair worth exactly the payout at settlement.  Construction
    raises :class:`~actors.errors.InvalidFieldError` naming the field and
    value (``bool``, ``int`` and ``float`` included).
    """

    ticker: str = field(validator=_checks.identifier)
    yes_count: Decimal = field(default=Decimal(0), validator=_checks.non_negative_size)
    no_count: Decimal = field(default=Decimal(0), validator=_checks.non_negative_size)
    cash: Decimal = field(default=Decimal(0), validator=_checks.amount)
    payout: Decimal = field(kw_only=True, default=_checks.DEFAULT_PAYOUT, validator=_checks.payout)

    @property
    def matched_pairs(self) -> Decimal:
        """YES+NO pairs held; each pays the payout whatever the outcome."""
        return min(self.yes_count, self.no_count)

    def count(self, side: Side) -> Decimal:
        """Contracts held on ``side``."""
        return self.yes_count if side is Side.YES else self.no_count

    def pnl_at_settlement(self, outcome: Side) -> Decimal:
        """Profit in dollars if the market settles ``outcome`` (that side pays the payout)."""
        return EXACT.add(self.cash, EXACT.multiply(self.count(outcome), self.payout))

    @property
    def worst_case_pnl(self) -> Decimal:
        """The lower of the two settlement outcomes' profit."""
        return min(self.pnl_at_settlement(Side.YES), self.pnl_at_settlement(Side.NO))

    def apply_fill(self, fill: Fill) -> Position:
        """The position after ``fill``; ``self`` never changes.

        Raises :class:`~actors.errors.InvalidFieldError` if the fill is for
        another ticker or payout, or sells more contracts than are held.
        """
        for name in ("ticker", "payout"):
            if getattr(fill, name) != getattr(self, name):
                raise InvalidFieldError(
                    "Fill",
                    name,
                    getattr(fill, name),
                    f"does not match the position's {getattr(self, name)!r}",
                    ticker=self.ticker,
                    order_id=fill.client_order_id,
                )
        notional = EXACT.multiply(fill.price, fill.count)
        if fill.action is Action.BUY:
            change, cash = fill.count, EXACT.subtract(EXACT.minus(notional), fill.fee)
        else:
            change, cash = EXACT.minus(fill.count), EXACT.subtract(notional, fill.fee)
        name = "yes_count" if fill.side is Side.YES else "no_count"
        held = EXACT.add(self.count(fill.side), change)
        if held < 0:
            raise InvalidFieldError(
                "Position",
                name,
                held,
                f"would go negative: selling {fill.count} of {self.count(fill.side)} held",
                ticker=self.ticker,
                order_id=fill.client_order_id,
            )
        new_cash = EXACT.add(self.cash, cash)
        if fill.side is Side.YES:
            return evolve(self, yes_count=held, cash=new_cash)
        return evolve(self, no_count=held, cash=new_cash)
