"""A complement-arbitrage opportunity: buy YES and NO of one market for less than the payout."""

from __future__ import annotations

from attrs import field, frozen

from actors import _checks
from actors.errors import UnprofitableOpportunityError
from actors.fees import FeeModel


@frozen
class Opportunity:
    """Buy ``count`` YES at ``yes_ask`` and ``count`` NO at ``no_ask`` of ``ticker``.

    ``edge_cents`` is not passed in: it is computed with ``fees`` as
    :meth:`FeeModel.complement_edge_cents` (payout minus both legs' cost and
    taker fees), so it can never disagree with the prices.  The payout is
    ``fees.payout_cents``.

    Raises :class:`~actors.errors.InvalidFieldError` for a bad ticker, fee
    model, price outside ``(0, payout)`` or non-positive count, and
    :class:`~actors.errors.UnprofitableOpportunityError` when the payout is not
    greater than the cost including fees (``edge_cents <= 0``).
    """

    # first: the price validators read the payout from it
    fees: FeeModel = field(kw_only=True, factory=FeeModel, validator=_checks.instance_of(FeeModel))
    ticker: str = field(validator=_checks.identifier)
    yes_ask: int = field(validator=_checks.price)
    no_ask: int = field(validator=_checks.price)
    count: int = field(validator=_checks.positive_int)
    edge_cents: int = field(init=False)

    def __attrs_post_init__(self) -> None:
        edge = self.fees.complement_edge_cents(self.count, self.yes_ask, self.no_ask)
        if edge <= 0:
            raise UnprofitableOpportunityError(
                self.ticker, edge, self.yes_ask, self.no_ask, self.count
            )
        # frozen: the derived field is set once, here, and never again
        object.__setattr__(self, "edge_cents", edge)

    @property
    def payout_cents(self) -> int:
        """What one YES+NO pair pays at settlement, from the fee model."""
        return self.fees.payout_cents
