"""Polymarket's fees priced by the strategy and risk: a basket that pays under
Polymarket's fees but not Kalshi's is proposed, built and reserved only with them.

The strategy is built the way the daemon builds it (``build_strategies`` with
:class:`StrategySettings`); risk is the real actor in a supervision tree.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from actors.domain import Basket, BookSnapshot, Event, Leg
from actors.errors import InvalidFieldError, UnprofitableBasketError
from actors.fees import FeeModel
from actors.messages import EventsListed, MarketInfo, Reservation
from actors.money import KalshiFees, LotSize, PolymarketFees, PriceGrid
from actors.risk import (
    BasketPolicy,
    BreakerConfig,
    Rejected,
    RejectReason,
    RiskActor,
    RiskLimits,
    reservation_for,
)
from actors.risk._amounts import split_allowance
from actors.strategy import StrategySettings, build_strategies
from tests.actors.risk_harness import NO_COMPLETION, risk_tree

EVENT = Event("EV", ("EV-A", "EV-B", "EV-C"), True)
GRID = PriceGrid(D("0.01"))
LISTED = EventsListed(
    (EVENT,),
    tuple(MarketInfo(t, EVENT.event_ticker, GRID, LotSize(D("0.01"))) for t in EVENT.markets),
)
# YES asks 1 - 0.68 = 0.32 on each of three exclusive markets, 10 deep: 10 x 0.96 < $10.
# Kalshi: 0.07 x 10 x 0.32 x 0.68 = 0.15232 -> 0.1524, cost ceil_cent(3.3524) = 3.36 a leg,
#   3 x 3.36 = 10.08 > $10: a loss.
# Polymarket at 4%: 0.04 x 10 x 0.32 x 0.68 = 0.08704 a leg, 3 x 3.28704 = 9.86112: +0.13888.
BOOKS = tuple(BookSnapshot(t, 1, {D("0.10"): D(10)}, {D("0.68"): D(10)}) for t in EVENT.markets)
POLYMARKET = FeeModel.polymarket([D("0.03"), D("0.04")])


def proposals_with(fees: FeeModel) -> list[tuple[Leg, ...]]:
    (strategy,) = build_strategies(
        ("basket_arbitrage",), {}, StrategySettings(fees, D("0.01"), D(10))
    )
    strategy.on_events(LISTED)
    return [p.legs for book in BOOKS for p in strategy.on_book(book, 0.0)]


def test_the_polymarket_model_prices_with_the_highest_rate_of_its_markets() -> None:
    assert POLYMARKET.schedule == PolymarketFees(taker_rate=D("0.04"))
    assert POLYMARKET.taker_fee(D(10), D("0.32")) == D("0.08704")
    assert FeeModel.polymarket([]).schedule == PolymarketFees(taker_rate=D(0))
    with pytest.raises(InvalidFieldError, match="taker_rate"):
        FeeModel.polymarket([D(1)])


def test_a_basket_that_pays_only_under_polymarkets_fees_is_proposed_only_with_them() -> None:
    assert proposals_with(FeeModel()) == []  # Kalshi's fees eat the edge
    (legs,) = proposals_with(POLYMARKET)
    assert [(leg.ticker, leg.price, leg.count) for leg in legs] == [
        (t, D("0.32"), D(10)) for t in EVENT.markets
    ]
    # the strategy actor builds the Basket with the same schedule it was given
    basket = Basket("b-1", EVENT, legs, schedule=POLYMARKET.schedule)
    assert basket.worst_case_edge == D("0.13888")
    with pytest.raises(UnprofitableBasketError):
        Basket("b-1", EVENT, legs, schedule=FeeModel().schedule)


def test_risk_reserves_the_basket_with_polymarkets_fees_and_refuses_it_with_kalshis() -> None:
    (legs,) = proposals_with(POLYMARKET)
    basket = Basket("b-1", EVENT, legs, schedule=POLYMARKET.schedule)
    with risk_tree(fees=POLYMARKET) as risk:
        risk.reconcile()
        reserved = risk.reserve_basket(basket)
    assert isinstance(reserved, Reservation)
    assert reserved.amount == 3 * (D("3.20") + D("0.08704"))
    with risk_tree() as kalshi:  # the default: Kalshi's FeeModel
        kalshi.reconcile()
        refused = kalshi.reserve_basket(basket)
    assert isinstance(refused, Rejected)
    assert refused.reason is RejectReason.INVALID


def test_completion_orders_set_aside_polymarkets_fee_roundings_only() -> None:
    fees = PolymarketFees(taker_rate=D("0.04"))
    assert split_allowance(fees, 0) == 0
    assert split_allowance(fees, 2) == D("0.00003")  # three pieces, each fee rounded up
    assert split_allowance(KalshiFees(), 2) > D("0.02")  # Kalshi also floors each balance
    made = reservation_for(
        Basket("b-2", EVENT, proposals_with(POLYMARKET)[0], schedule=fees), NO_COMPLETION, fees
    )
    assert made.amount == 3 * (D("3.20") + D("0.08704"))


def test_risk_refuses_fees_that_are_not_a_fee_model() -> None:
    limits = RiskLimits(
        max_market_exposure=D(1),
        max_total_exposure=D(1),
        max_concurrent_markets=1,
        max_daily_loss=D(1),
    )
    policy = BasketPolicy(complete_within_s=0.0, complete_slippage=D(0), max_complete_attempts=0)
    with pytest.raises(TypeError, match="FeeModel"):
        RiskActor(limits, BreakerConfig(), basket_policy=policy, fees=PolymarketFees())  # type: ignore[arg-type]
