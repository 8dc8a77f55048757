"""The public front of the execution package."""

from __future__ import annotations

import actors.execution


def test_the_execution_package_exports_exactly_its_public_names() -> None:
    assert sorted(actors.execution.__all__) == [
        "Deadlines",
        "ExecutionActor",
        "ExecutionConfig",
        "ExecutionCounts",
        "ExecutionStatus",
        "FlightView",
        "Phase",
        "RateLimit",
        "RetryPolicy",
    ]
    assert all(hasattr(actors.execution, name) for name in actors.execution.__all__)


def test_the_venue_seam_exports_the_trading_and_market_data_interfaces() -> None:
    import actors.venues  # noqa: PLC0415

    for name in ("TradingVenue", "TradingClient", "MarketDataProtocol", "VenueOrder", "Frame"):
        assert name in actors.venues.__all__
    assert all(hasattr(actors.venues, name) for name in actors.venues.__all__)
