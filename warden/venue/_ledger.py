"""The engine's mutable bookkeeping: orders, holdings and accounts, plus the conservation sums.

Only :class:`~warden.venue._engine.MatchingEngine` mutates these; everything
it hands out is a wire dict or a frozen value built from them.  Every amount
is an exact ``Decimal`` (dollars, or contracts for counts).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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
)


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

    def to_wire(self) -> dict[str, Any]:
        """The order as Kalshi's Order object spells it (fixed-point strings)."""
        request = self.request
        yes_price = request.price if request.side is WireSide.YES else PAYOUT - request.price
        remaining = self.remaining if self.status is OrderStatus.RESTING else ZERO
        wire: dict[str, Any] = {
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
