"""The part every venue REST call shares: rate limit, deadline, transport failures.

:func:`exchange` waits for the endpoint's token (reporting a wait to
``on_wait(endpoint, seconds)``), sends the request under one trio deadline around
the whole exchange (not the rate-limit wait before it), reads the body, and maps
what left no answer onto the typed errors every client raises::

    no answer within the deadline         VenueTimeout      (outcome unknown)
    connection refused / reset / dropped  VenueDisconnected (outcome unknown)

Everything an answer says (status, body, the venue's error shapes) stays the
adapter's to read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import httpx
import trio

from actors.errors import VenueDisconnected, VenueTimeout

__all__ = ["Limiter", "exchange"]


class Limiter(Protocol):
    """What a client needs of a rate limiter (:class:`~actors.venues.RateLimiter`, or a
    venue's own token buckets)."""

    async def acquire(self, endpoint: str) -> float: ...

    def defer(self, endpoint: str, retry_after: float) -> None: ...


async def exchange(
    http: httpx.AsyncClient,
    limiter: Limiter,
    endpoint: str,
    method: str,
    path: str,
    *,
    on_wait: Callable[[str, float], None] | None,
    label: str,
    deadline: float,
    client_order_id: str | None = None,
    **request: Any,
) -> httpx.Response:
    """The answer to ``method path`` (``request``: httpx's keyword arguments), read in
    full; raises ``VenueTimeout`` / ``VenueDisconnected`` naming ``label`` (the
    endpoint as the docs write it) and ``client_order_id``."""
    waited = await limiter.acquire(endpoint)
    if waited > 0 and on_wait is not None:
        on_wait(endpoint, waited)
    try:
        with trio.fail_after(deadline):
            response = await http.request(method, path, **request)
            await response.aread()
    except (trio.TooSlowError, httpx.TimeoutException):
        raise VenueTimeout(
            f"no answer within {deadline}s", endpoint=label, client_order_id=client_order_id
        ) from None
    except httpx.TransportError as error:
        raise VenueDisconnected(
            f"{type(error).__name__}: {error}", endpoint=label, client_order_id=client_order_id
        ) from None
    return response
