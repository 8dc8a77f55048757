"""Strategies and the strategy actor (docs/strategies.md).

A :class:`Strategy` hears the venue's events, books, staleness and holdings
and answers :class:`Proposal`\\ s; the :class:`StrategyActor` gates them on
freshness and repeats, prices them into baskets and hands them to risk.
Built in (:data:`BUILT_IN`): :class:`BasketArbitrage`,
:class:`ComplementArbitrage` and :class:`BreakEvenExit`; an operator's own
class is named ``"package.module:Class"`` in ``strategy.use``.
"""

from actors.strategy._actor import StrategyActor, repeat_key
from actors.strategy._arbitrage import ComplementArbitrage
from actors.strategy._basket_arbitrage import BasketArbitrage
from actors.strategy._exit import BreakEvenExit
from actors.strategy._protocol import Bounded, Counting, Proposal, Strategy
from actors.strategy._registry import (
    BUILT_IN,
    StrategyLoadError,
    StrategySettings,
    build_strategies,
    build_strategy,
    check_strategies,
    largest_event,
)
from actors.strategy._status import StrategyCounts, StrategyStatus

__all__ = [
    "BUILT_IN",
    "BasketArbitrage",
    "Bounded",
    "BreakEvenExit",
    "ComplementArbitrage",
    "Counting",
    "Proposal",
    "Strategy",
    "StrategyActor",
    "StrategyCounts",
    "StrategyLoadError",
    "StrategySettings",
    "StrategyStatus",
    "build_strategies",
    "build_strategy",
    "check_strategies",
    "largest_event",
    "repeat_key",
]
