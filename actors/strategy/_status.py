"""The strategy actor's status: what ``StrategyActor.state_summary()`` publishes."""

from __future__ import annotations

from decimal import Decimal

import attrs

from supervision import status_type


@attrs.define
class StrategyCounts:
    """What the strategy actor counted since its incarnation started.

    ``books`` updates considered, of which ``too_old`` were already older than
    ``max_book_age_s`` when they arrived; ``opportunities`` baskets proposed to
    risk (``exits`` of them EXIT baskets).  Proposals not sent: ``not_fresh``
    (a leg's market stale, never seen, or its book older than
    ``max_book_age_s``), ``repeats_suppressed`` (same event and legs within
    ``repeat_after_s``), ``invalid_proposals`` (the basket was refused:
    ``DomainError``), ``risk_unavailable`` (risk had no running incarnation).
    ``strategy_errors``: calls into a strategy that raised or answered
    something that is not a sequence of proposals.
    """

    books: int = 0
    too_old: int = 0
    opportunities: int = 0
    exits: int = 0
    repeats_suppressed: int = 0
    risk_unavailable: int = 0
    not_fresh: int = 0
    invalid_proposals: int = 0
    strategy_errors: int = 0
    events_listed: int = 0
    holdings: int = 0


@status_type
@attrs.frozen
class StrategyStatus:
    """The strategies' names (comma-separated, in order), the markets marked stale
    (sorted), the worst-case edge of the last arbitrage basket proposed per event
    (``Decimal`` dollars), a copy of the counters, and each counting strategy's own
    counters by name (e.g. ``{"break_even_exit": {"exits_impossible": 2, ...}}``)."""

    strategy: str
    stale_markets: tuple[str, ...] = ()
    last_edge: dict[str, Decimal] = attrs.Factory(dict)
    counts: StrategyCounts = attrs.Factory(StrategyCounts)
    unknown_messages: int = 0
    strategy_counts: dict[str, dict[str, int]] = attrs.Factory(dict)
