"""Strategies and the strategy actor.

A :class:`Strategy` is pure (book in, opportunity or nothing out); the
:class:`StrategyActor` gates it on freshness and hands opportunities to risk.
"""

from actors.strategy._actor import StrategyActor
from actors.strategy._arbitrage import ComplementArbitrage, Strategy
from actors.strategy._status import StrategyCounts, StrategyStatus

__all__ = ["ComplementArbitrage", "Strategy", "StrategyActor", "StrategyCounts", "StrategyStatus"]
