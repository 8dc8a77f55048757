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
        "RateLimiter",
        "RetryPolicy",
        "TokenBucket",
        "VenueBook",
        "VenueClient",
        "VenueOrder",
        "VenuePosition",
    ]
    assert all(hasattr(actors.execution, name) for name in actors.execution.__all__)
