"""The parts of a :class:`~actors.risk._status.RiskStatus`, built from risk's books.

Each function reads the live object it is given and returns a frozen status
value of fresh copies (tuples, new dicts), so nothing in a status is a live
object; ``RiskActor.state_summary`` puts them together.  Pure: nothing here
changes what it reads, and nothing raises.
"""

from __future__ import annotations

from actors.messages import Reservation
from actors.risk._book import ReservationBook
from actors.risk._breaker import CircuitBreaker
from actors.risk._limits import Exposure
from actors.risk._positions import PositionBook
from actors.risk._status import (
    BreakerStatus,
    ExposureStatus,
    PositionView,
    ReservationsStatus,
    ReservationView,
)


def breaker_status(breaker: CircuitBreaker, now: float) -> BreakerStatus:
    """``breaker`` as it stands at monotonic time ``now`` (already ``at(now)``)."""
    return BreakerStatus(
        state=breaker.state.value,
        failures_in_window=breaker.failures_in_window(now),
        probes_in_flight=breaker.probes,
        times_opened=breaker.times_opened,
        open_for_s=None if breaker.opened_at is None else now - breaker.opened_at,
        halt_reason=breaker.halt_reason,
    )


def reservations_status(book: ReservationBook) -> ReservationsStatus:
    """The book's live reservations, HELD and IN_DOUBT, in its order."""
    return ReservationsStatus(
        held=tuple(reservation_view(r) for r in book.held()),
        in_doubt=tuple(reservation_view(r) for r in book.in_doubt()),
    )


def reservation_view(reservation: Reservation) -> ReservationView:
    """One live reservation, for a status."""
    return ReservationView(
        id=reservation.reservation_id,
        event_ticker=reservation.event_ticker,
        tickers=reservation.tickers,
        amount=reservation.amount,
        owner_epoch=reservation.owner_epoch,
    )


def exposure_status(exposure: Exposure) -> ExposureStatus:
    """Exposure per market, per event and in total (dollars)."""
    return ExposureStatus(
        by_market=exposure.by_market, by_event=exposure.by_event, total=exposure.total
    )


def position_views(positions: PositionBook) -> dict[str, PositionView]:
    """Each market's position, by ticker in sorted order."""
    return {
        t: PositionView(yes=p.yes_count, no=p.no_count, cash=p.cash)
        for t, p in sorted(positions.positions().items())
    }
