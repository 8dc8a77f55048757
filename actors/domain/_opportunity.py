"""A complement-arbitrage opportunity: buy YES and NO of one market for less than the payout."""

from __future__ import annotations

from decimal import Decimal

from attrs import field, frozen

from actors import _checks
from actors.errors import UnprofitableOpportunityError
from actors.fees import FeeModel


@frozen
class Opportunity:
    """Buy ``count`` YES at ``yes_ask`` and ``count`` NO at ``no_ask`` of ``ticker``.

    Prices are ``Decimal`` dollars, ``count`` ``Decimal`` contracts.  ``edge``
    (dollars) is not passed in: it is computed with ``fees`` as
    :meth:`FeeModel.complement_edge` (payout times count minus both legs'
    cost and taker fees, exact), so it can never disagree with the prices.
    The payout is ``fees.payout``.

    Raises :class:`~actors.errors.InvalidFieldError` for a bad ticker or fee
    model, a price that is not a ``Decimal`` in ``(0, payout)`` with at most 4
    decimals or a count that is not a ``Decimal`` > 0 with at most 2 decimals,
    and :class:`~actors.errors.UnprofitableOpportunityError` when the payout
    is not greater than the cost including fees (``edge <= 0``).
    """

    # first: the price validators read the payout from it
    fees: FeeModel = field(kw_only=True, factory=FeeModel, validator=_checks.instance_of(FeeModel))
    ticker: str = field(validator=_checks.identifier)
    yes_ask: Decimal = field(validator=_checks.price)
    no_ask: Decimal = field(validator=_checks.price)
    count: Decimal = field(validator=_checks.size)
    edge: Decimal = field(init=False)

    def __attrs_post_init__(self) -> None:
        edge = self.fees.complement_edge(self.count, self.yes_ask, self.no_ask)
        if edge <= 0:
            raise UnprofitableOpportunityError(
                self.ticker, edge, self.yes_ask, self.no_ask, self.count
            )
        # frozen: the derived field is set once, here, and never again
        object.__setattr__(self, "edge", edge)

    @property
    def payout(self) -> Decimal:
        """What one YES+NO pair pays at settlement, from the fee model."""
        return self.fees.payout
