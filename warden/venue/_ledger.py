"""The engine's mutable bookkeeping: orders, holdings and accounts, plus the conservation sums.

Only :class:`~warden.venue._engine.MatchingEngine` mutates these; everything
it hands out is a wire dict or a frozen value built from them.
"""

from __future__ import annotations

from typing import Any

from attrs import define, field, frozen

from warden.venue._model import PAYOUT_CENTS, Fill, OrderRequest, OrderStatus, WireSide, iso_time


@define(eq=False)
class OrderState:
    order_id: str
    account: str
    request: OrderRequest
    created: float
    updated: float
    remaining: int
    status: OrderStatus = OrderStatus.RESTING
    fill_count: int = 0
    held: int = 0
    taker_fees: int = 0
    maker_fees: int = 0
    taker_fill_cost: int = 0
    maker_fill_cost: int = 0
    cancel_reason: str | None = None

    def to_wire(self) -> dict[str, Any]:
        request = self.request
        yes_price = request.price if request.side is WireSide.YES else PAYOUT_CENTS - request.price
        return {
            "order_id": self.order_id,
            "client_order_id": request.client_order_id,
            "ticker": request.ticker,
            "side": str(request.side),
            "action": str(request.action),
            "type": "limit",
            "time_in_force": str(request.time_in_force),
            "status": str(self.status),
            "yes_price": yes_price,
            "no_price": PAYOUT_CENTS - yes_price,
            "initial_count": request.count,
            "fill_count": self.fill_count,
            "remaining_count": self.remaining if self.status is OrderStatus.RESTING else 0,
            "taker_fees": self.taker_fees,
            "maker_fees": self.maker_fees,
            "taker_fill_cost": self.taker_fill_cost,
            "maker_fill_cost": self.maker_fill_cost,
            "cancel_reason": self.cancel_reason,
            "created_time": iso_time(self.created),
            "last_update_time": iso_time(self.updated),
        }


@define
class Holding:
    yes: int = 0
    no: int = 0
    fees_paid: int = 0
    traded: int = 0


@define
class Account:
    name: str
    cash: int
    held: int = 0
    holdings: dict[str, Holding] = field(factory=dict)
    orders: dict[str, OrderState] = field(factory=dict)
    by_client_id: dict[str, OrderState] = field(factory=dict)
    fills: list[Fill] = field(factory=list)

    @property
    def free(self) -> int:
        return self.cash - self.held


@frozen
class Conservation:
    """The engine's money, summed: ``total`` must never change."""

    cash: int
    fees: int
    open_pairs: int
    yes_held: int
    no_held: int

    @property
    def total(self) -> int:
        return self.cash + self.fees + PAYOUT_CENTS * self.open_pairs
