"""Polymarket's documented request limits as token buckets, by the client's endpoint names.

Polymarket meters with sliding windows, a burst per 10 s and a sustained rate
per 10 min (polymarket.md §4, citing https://docs.polymarket.com/api-reference/rate-limits,
as of 2026-05-06): ``POST /order`` 3,500 / 36,000; ``DELETE /order`` 3,000 /
30,000; ``GET /balance-allowance`` 200 per 10 s; the CLOB in general 9,000 per
10 s. A token bucket of ``burst`` B refilled at ``r`` a second lets through at
most ``B + r·t`` requests in any ``t`` seconds, so each bucket below is chosen
with ``B + 10·r`` within the 10-second figure and ``B + 600·r`` within the
10-minute one: it never asks for more than the venue allows in either window.
The client waits for these and for warden's own pacing (``[execution]``), the
slower of the two (:class:`~actors.venues._rate_limit.AllLimiters`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from actors.venues._trading import RateLimit

__all__ = ["DOCUMENTED_WINDOWS", "POLYMARKET_LIMITS"]

DOCUMENTED_WINDOWS: Mapping[str, tuple[int, int | None]] = MappingProxyType(
    {
        "create_order": (3_500, 36_000),
        "cancel_order": (3_000, 30_000),
        "get_balance": (200, None),
        "list_positions": (200, None),  # also GET /balance-allowance
        "*": (9_000, None),  # the CLOB in general
    }
)
"""Endpoint name -> (requests per 10 s, per 10 min or None when not documented)."""

POLYMARKET_LIMITS: Mapping[str, RateLimit] = MappingProxyType(
    {
        "create_order": RateLimit(per_second=55.0, burst=2_900),  # 3,450 / 10 s; 35,900 / 10 min
        "cancel_order": RateLimit(per_second=45.0, burst=2_500),  # 2,950 / 10 s; 29,500 / 10 min
        "get_balance": RateLimit(per_second=10.0, burst=100),  # 200 / 10 s
        "list_positions": RateLimit(per_second=10.0, burst=100),
        "*": RateLimit(per_second=450.0, burst=4_500),  # 9,000 / 10 s
    }
)
"""The buckets (see the module docstring for how they fit the documented windows)."""
