"""The strategy actor's status: what ``StrategyActor.state_summary()`` publishes."""

from __future__ import annotations

from decimal import Decimal

import attrs

from supervision import status_type


@attrs.define
class StrategyCounts:
    """What the strategy actor counted since its incarnation started.

    ``books`` updates considered, of which ``too_old`` were older than
    ``max_book_age_s``; ``opportunities`` proposed to risk;
    ``repeats_suppressed`` (same prices within ``repeat_after_s``) and
    ``risk_unavailable`` (risk had no running incarnation) were not proposed.
    """

    books: int = 0
    too_old: int = 0
    opportunities: int = 0
    repeats_suppressed: int = 0
    risk_unavailable: int = 0


@status_type
@attrs.frozen
class StrategyStatus:
    """The strategy's name, the markets marked stale (sorted), the edge of the last
    opportunity proposed per market (``Decimal`` dollars), and a copy of the counters."""

    strategy: str
    stale_markets: tuple[str, ...] = ()
    last_edge: dict[str, Decimal] = attrs.Factory(dict)
    counts: StrategyCounts = attrs.Factory(StrategyCounts)
    unknown_messages: int = 0
