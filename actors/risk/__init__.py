"""Risk: the single owner of exposure, the circuit breaker and the kill switch.

- :class:`RiskActor`: the actor (DESIGN.md §5 "Risk"); its module docstring lists
  every message it handles and sends;
- :class:`RiskLimits`, :class:`BreakerConfig`, :class:`BasketPolicy`: its
  configuration, frozen and validated (the daemon maps its TOML config into
  them); money limits are exact ``Decimal`` dollars;
- :class:`CircuitBreaker`, :class:`Holding`, :class:`ReservationBook`,
  :class:`Exposure`, :func:`limit_breached`, :func:`reservation_for`: the pure
  parts it is built from, tested on their own with explicit times;
- :func:`complete_sets`, :func:`event_exposure`: the exposure model of one
  event (shared with the chaos checker);
- :class:`FillSource`, :class:`Checkpoint`: how a new incarnation reads the
  ledger's fills from a checkpoint of its books (:mod:`actors.risk._checkpoint`);
- :class:`RiskStatus` and its parts (:class:`BreakerStatus`,
  :class:`ReservationsStatus`, :class:`ReservationView`, :class:`ExposureStatus`,
  :class:`PositionView`) and the counters :class:`RejectionCounts`,
  :class:`RiskCounts`: what ``RiskActor.state_summary`` reports.
"""

from actors.risk._actor import Rejected, RiskActor
from actors.risk._amounts import BasketPolicy, reservation_for
from actors.risk._book import ReservationBook
from actors.risk._breaker import BreakerConfig, BreakerState, CircuitBreaker
from actors.risk._checkpoint import Checkpoint, FillSource
from actors.risk._events import complete_sets, event_exposure
from actors.risk._holdings import Holding
from actors.risk._limits import Exposure, RejectReason, RiskLimits, limit_breached
from actors.risk._status import (
    BreakerStatus,
    ExposureStatus,
    PositionView,
    RejectionCounts,
    ReservationsStatus,
    ReservationView,
    RiskCounts,
    RiskStatus,
)

__all__ = [
    "BasketPolicy",
    "BreakerConfig",
    "BreakerState",
    "BreakerStatus",
    "Checkpoint",
    "CircuitBreaker",
    "Exposure",
    "ExposureStatus",
    "FillSource",
    "Holding",
    "PositionView",
    "RejectReason",
    "Rejected",
    "RejectionCounts",
    "ReservationBook",
    "ReservationView",
    "ReservationsStatus",
    "RiskActor",
    "RiskCounts",
    "RiskLimits",
    "RiskStatus",
    "complete_sets",
    "event_exposure",
    "limit_breached",
    "reservation_for",
]
