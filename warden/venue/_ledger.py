"""The engine's mutable bookkeeping: orders, holdings and accounts, plus the conservation sums.

Only :class:`~warden.venue._engine.MatchingEngine` mutates these; everything
it hands out is a wire dict (:mod:`warden.venue._shapes`) or a frozen value
built from them.  Every amount is an exact ``Decimal`` (dollars, or contracts
for counts).  :meth:`Account.settle` books one fill, netting YES+NO pairs
back into cash (see the engine's docstring for the money rules).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal, localcontext

from attrs import define, field, frozen

from warden.venue._model import (
    PAYOUT,
    ZERO,
    Fill,
    OrderRequest,
    OrderStatus,
    WireSide,
    count_fp,
    dollars,
    iso_time,
    price_fp,
    signed_count_fp,
    signed_dollars,
)
from warden.venue._shapes import BalanceWire, OrderWire, PositionWire

_COST_PLACES = Decimal("0.000001")
"""Position cost moved out by netting is apportioned to 6 decimals (a report, not cash)."""
_REPORT = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[])
"""Rounding on purpose (half even), for the apportioned cost only."""


@define(eq=False)
class OrderState:
    order_id: str
    account: str
    request: OrderRequest
    created: float
    updated: float
    remaining: Decimal
    status: OrderStatus = OrderStatus.RESTING
    fill_count: Decimal = ZERO
    held: Decimal = ZERO
    taker_fees: Decimal = ZERO
    maker_fees: Decimal = ZERO
    taker_fill_cost: Decimal = ZERO
    maker_fill_cost: Decimal = ZERO
    cancel_reason: str | None = None

    def to_wire(self) -> OrderWire:
        """The order as Kalshi's Order object spells it (fixed-point strings)."""
        request = self.request
        yes_price = request.price if request.side is WireSide.YES else PAYOUT - request.price
        remaining = self.remaining if self.status is OrderStatus.RESTING else ZERO
        wire: OrderWire = {
            "order_id": self.order_id,
            "client_order_id": request.client_order_id,
            "ticker": request.ticker,
            "side": str(request.side),
            "action": str(request.action),
            "type": "limit",
            "time_in_force": str(request.time_in_force),
            "status": str(self.status),
            "yes_price_dollars": price_fp(yes_price),
            "no_price_dollars": price_fp(PAYOUT - yes_price),
            "initial_count_fp": count_fp(request.count),
            "fill_count_fp": count_fp(self.fill_count),
            "remaining_count_fp": count_fp(remaining),
            "taker_fees_dollars": dollars(self.taker_fees),
            "maker_fees_dollars": dollars(self.maker_fees),
            "taker_fill_cost_dollars": dollars(self.taker_fill_cost),
            "maker_fill_cost_dollars": dollars(self.maker_fill_cost),
            "cancel_reason": self.cancel_reason,
            "created_time": iso_time(self.created),
            "last_update_time": iso_time(self.updated),
        }
        if request.self_trade_prevention is not None:  # realistic mode only
            wire["self_trade_prevention_type"] = str(request.self_trade_prevention)
        return wire


@define
class Holding:
    """What one account holds in one market.

    ``yes_cost``/``no_cost`` are what the held contracts cost (price times
    count, fees excluded); ``realized_pnl`` is what netted pairs paid back
    beyond their cost; ``traded`` is the dollar volume of the account's fills.
    """

    yes: Decimal = ZERO
    no: Decimal = ZERO
    yes_cost: Decimal = ZERO
    no_cost: Decimal = ZERO
    fees_paid: Decimal = ZERO
    traded: Decimal = ZERO
    realized_pnl: Decimal = ZERO


@define
class Account:
    name: str
    cash: Decimal
    held: Decimal = ZERO
    holdings: dict[str, Holding] = field(factory=dict)
    orders: dict[str, OrderState] = field(factory=dict)
    by_client_id: dict[str, OrderState] = field(factory=dict)
    fills: list[Fill] = field(factory=list)

    @property
    def free(self) -> Decimal:
        return self.cash - self.held

    def positions_wire(self) -> list[PositionWire]:
        """Kalshi's ``market_positions``: signed position, exposure, P&L and fees per market."""
        resting: dict[str, int] = {}
        for order in self.orders.values():
            if order.status is OrderStatus.RESTING:
                resting[order.request.ticker] = resting.get(order.request.ticker, 0) + 1
        return [
            {
                "ticker": ticker,
                "position_fp": signed_count_fp(holding.yes - holding.no),
                "market_exposure_dollars": dollars(holding.yes_cost + holding.no_cost),
                "realized_pnl_dollars": signed_dollars(holding.realized_pnl),
                "fees_paid_dollars": dollars(holding.fees_paid),
                "total_traded_dollars": dollars(holding.traded),
                "resting_orders_count": resting.get(ticker, 0),
            }
            for ticker, holding in self.holdings.items()
        ]

    def balance_wire(self) -> BalanceWire:
        """Free cash (Kalshi's ``balance``, in cents and dollars) and what resting orders hold.

        Never negative: a sub-cent shortfall of a maker filled in pieces shows as 0."""
        free = max(self.free, ZERO)
        cents = (free * 100).to_integral_value(rounding=ROUND_FLOOR)
        return {
            "balance": int(cents),
            "balance_dollars": dollars(free),
            "reserved_dollars": dollars(self.held),
        }

    def settle(
        self, ticker: str, side: WireSide, count: Decimal, price: Decimal, fee: Decimal
    ) -> Decimal:
        """Debit one fill (a buy of ``side``), net YES+NO pairs back into cash; return the pairs.

        Run under the engine's exact context (:data:`actors.money.EXACT`)."""
        self.cash -= count * price + fee
        holding = self.holdings.setdefault(ticker, Holding())
        holding.fees_paid += fee
        holding.traded += count * price
        if side is WireSide.YES:
            holding.yes += count
            holding.yes_cost += count * price
        else:
            holding.no += count
            holding.no_cost += count * price
        pairs = min(holding.yes, holding.no)
        if not pairs:
            return pairs
        yes_cost = _share(holding.yes_cost, pairs, holding.yes)
        no_cost = _share(holding.no_cost, pairs, holding.no)
        holding.yes_cost -= yes_cost
        holding.no_cost -= no_cost
        cost = yes_cost + no_cost
        holding.yes -= pairs
        holding.no -= pairs
        holding.realized_pnl += PAYOUT * pairs - cost
        self.cash += PAYOUT * pairs
        return pairs


def _share(cost: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``cost x part / whole``: all of it when ``part == whole``, else to 6 decimals."""
    if part == whole:
        return cost
    with localcontext(_REPORT):
        return (cost * part / whole).quantize(_COST_PLACES)


@frozen
class Conservation:
    """The engine's money, summed (dollars; pairs and held contracts in contracts).

    ``total`` must never change, to the last digit.
    """

    cash: Decimal
    fees: Decimal
    open_pairs: Decimal
    yes_held: Decimal
    no_held: Decimal

    @property
    def total(self) -> Decimal:
        return self.cash + self.fees + PAYOUT * self.open_pairs
