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
    WireAction,
    WireSide,
    book_side_of,
    count_fp,
    dollars,
    iso_time,
    price_fp,
    signed_count_fp,
    signed_dollars,
)
from warden.venue._shapes import (
    AccountWire,
    BalanceWire,
    CanceledRecord,
    EventPositionWire,
    OrderWire,
    PositionWire,
)

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
        """The order as Kalshi's Order object spells it (get-orders.md; fixed-point strings)."""
        request = self.request
        yes_price = request.price if request.side is WireSide.YES else PAYOUT - request.price
        remaining = self.remaining if self.status is OrderStatus.RESTING else ZERO
        outcome = request.side if request.action is WireAction.BUY else request.side.other
        prevention = request.self_trade_prevention
        return {
            "order_id": self.order_id,
            "user_id": self.account,
            "client_order_id": request.client_order_id or "",
            "ticker": request.ticker,
            "side": str(request.side),
            "action": str(request.action),
            "outcome_side": str(outcome),
            "book_side": book_side_of(outcome),
            "type": "limit",
            "status": str(self.status),
            "yes_price_dollars": price_fp(yes_price),
            "no_price_dollars": price_fp(PAYOUT - yes_price),
            "fill_count_fp": count_fp(self.fill_count),
            "remaining_count_fp": count_fp(remaining),
            "initial_count_fp": count_fp(request.count),
            "taker_fill_cost_dollars": dollars(self.taker_fill_cost),
            "maker_fill_cost_dollars": dollars(self.maker_fill_cost),
            "taker_fees_dollars": dollars(self.taker_fees),
            "maker_fees_dollars": dollars(self.maker_fees),
            "expiration_time": None,
            "created_time": iso_time(self.created),
            "last_update_time": iso_time(self.updated),
            "self_trade_prevention_type": None if prevention is None else str(prevention),
            "order_group_id": None,
            "cancel_order_on_pause": False,
            "subaccount_number": 0,
            "exchange_index": 0,
        }

    def canceled_record(self) -> CanceledRecord:
        """The ``order_canceled`` truth record: the order and the venue's ``cancel_reason``."""
        return {**self.to_wire(), "cancel_reason": self.cancel_reason or "requested"}


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
    updated: float = 0.0


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

    def resting_orders(self, ticker: str) -> int:
        return sum(
            1
            for order in self.orders.values()
            if order.status is OrderStatus.RESTING and order.request.ticker == ticker
        )

    def positions_wire(self) -> list[PositionWire]:
        """Kalshi's ``market_positions`` (get-positions.md), in the order first traded."""
        return [
            {
                "ticker": ticker,
                "exchange_index": 0,
                "total_traded_dollars": dollars(holding.traded),
                "position_fp": signed_count_fp(holding.yes - holding.no),
                "market_exposure_dollars": dollars(holding.yes_cost + holding.no_cost),
                "realized_pnl_dollars": signed_dollars(holding.realized_pnl),
                "fees_paid_dollars": dollars(holding.fees_paid),
                "last_updated_ts": iso_time(holding.updated),
            }
            for ticker, holding in self.holdings.items()
        ]

    def event_position_wire(self, event_ticker: str, tickers: list[str]) -> EventPositionWire:
        """Kalshi's ``event_positions`` entry: the sums over the event's markets."""
        held = [self.holdings[t] for t in tickers if t in self.holdings]
        return {
            "event_ticker": event_ticker,
            "total_cost_dollars": dollars(sum((h.traded for h in held), ZERO)),
            "total_cost_shares_fp": count_fp(sum((h.yes + h.no for h in held), ZERO)),
            "event_exposure_dollars": dollars(sum((h.yes_cost + h.no_cost for h in held), ZERO)),
            "realized_pnl_dollars": signed_dollars(sum((h.realized_pnl for h in held), ZERO)),
            "fees_paid_dollars": dollars(sum((h.fees_paid for h in held), ZERO)),
        }

    def balance_wire(self, now: float) -> BalanceWire:
        """Kalshi's balance (get-balance.md): free cash in cents and dollars, and
        ``portfolio_value`` in cents: what the held contracts cost (the venue marks
        positions at cost, not at market).

        Never negative: a sub-cent shortfall of a maker filled in pieces shows as 0."""
        free = max(self.free, ZERO)
        cents = (free * 100).to_integral_value(rounding=ROUND_FLOOR)
        exposure = sum((h.yes_cost + h.no_cost for h in self.holdings.values()), ZERO)
        value = (exposure * 100).to_integral_value(rounding=ROUND_FLOOR)
        return {
            "balance": int(cents),
            "balance_dollars": dollars(free),
            "portfolio_value": int(value),
            "updated_ts": int(now),
        }

    def account_wire(self) -> AccountWire:
        """This account in ``GET /sim/accounts``: exact cash, free and held by resting orders."""
        return {
            "account": self.name,
            "cash_dollars": signed_dollars(self.cash),
            "free_dollars": signed_dollars(self.free),
            "reserved_dollars": dollars(self.held),
        }

    def settle(
        self,
        ticker: str,
        side: WireSide,
        count: Decimal,
        price: Decimal,
        fee: Decimal,
        *,
        now: float,
    ) -> Decimal:
        """Debit one fill (a buy of ``side``), net YES+NO pairs back into cash; return the pairs.

        Run under the engine's exact context (:data:`actors.money.EXACT`)."""
        self.cash -= count * price + fee
        holding = self.holdings.setdefault(ticker, Holding())
        holding.fees_paid += fee
        holding.traded += count * price
        holding.updated = now
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
