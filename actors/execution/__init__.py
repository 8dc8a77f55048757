"""The execution actor and its venue REST client (DESIGN.md §5, "Execution").

- :class:`ExecutionActor`: places every leg of a reservation at the venue,
  never before their intents are durable, never twice, resolving unknown
  outcomes by client order id; completes or unwinds a partly filled basket
  (docs/baskets.md section 4); reconciles with the venue on start.
- the venue it trades through: :class:`~actors.venues.TradingVenue` (the venue
  seam, :mod:`actors.venues`), given in the config.
- :class:`ExecutionConfig` (with :class:`Deadlines`, :class:`RetryPolicy`,
  :class:`RateLimit`): the actor's configuration as validated data.
- :class:`ExecutionStatus` (with :class:`FlightView`, its :class:`Phase`, and
  :class:`ExecutionCounts`): what the actor's ``state_summary`` publishes.
"""

from actors.execution._actor import ExecutionActor
from actors.execution._config import ExecutionConfig, RetryPolicy
from actors.execution._status import ExecutionCounts, ExecutionStatus, FlightView, Phase
from actors.venues import Deadlines, RateLimit

__all__ = [
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
