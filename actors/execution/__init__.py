"""The execution actor and its venue REST client (DESIGN.md §5, "Execution").

- :class:`ExecutionActor`: places every leg of a reservation at the venue,
  never before their intents are durable, never twice, resolving unknown
  outcomes by client order id; completes or unwinds a partly filled basket
  (docs/baskets.md section 4); reconciles with the venue on start.
- :class:`VenueClient`: typed async calls to the venue's REST API, every call
  with a deadline, failures mapped onto :mod:`actors.errors`.
- :class:`ExecutionConfig` (with :class:`Deadlines`, :class:`RetryPolicy`,
  :class:`RateLimit`): the actor's configuration as validated data.
- :class:`RateLimiter`: per-endpoint token buckets honouring Retry-After.
- :class:`ExecutionStatus` (with :class:`FlightView`, its :class:`Phase`, and
  :class:`ExecutionCounts`): what the actor's ``state_summary`` publishes.
"""

from actors.execution._actor import ExecutionActor
from actors.execution._client import VenueBook, VenueClient, VenueOrder, VenuePosition
from actors.execution._config import Deadlines, ExecutionConfig, RateLimit, RetryPolicy
from actors.execution._rate_limit import RateLimiter, TokenBucket
from actors.execution._status import ExecutionCounts, ExecutionStatus, FlightView, Phase

__all__ = [
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
