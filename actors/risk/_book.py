"""The reservation table: which reservations are live, who owns them, what they hold.

A reservation is live while HELD (its owner, an execution incarnation, is
running) or IN_DOUBT (its owner ended; orders may still be live at the venue).
Both count against the limits.  It leaves the table only through
:meth:`ReservationBook.release`; the actor calls that for a HELD reservation on
its ``ExecutionReport`` and for an IN_DOUBT one on ``InDoubtResolved`` only.

Released ids are remembered (the most recent ``remember`` of them at least, as
fingerprints: :class:`~actors.risk._seen.SeenKeys`) so that the same basket id,
which maps to the same client order ids, is not reserved twice.  Why a count, and
why 8,192 by default: a basket id reaches risk a second time only if a ``Reserve``
for it is sent twice, and no sender does that -- the strategy actor mints each id
once (event ticker, wall-clock ms, its epoch, a counter) and drops a ``Reserve``
it could not send rather than sending it again -- so the memory guards against a
sender's bug (a message handed over twice, a counter reset), which would repeat an
id within moments, not hours.  8,192 ids are 14 minutes of baskets at 10 a second
(the rate of 20 fills/s of two-leg baskets), held in ~0.2 MB at most; a live id
is always refused, however many were released since.  A risk incarnation starts
with none remembered (the strategy's ids are unique across restarts by the wall
clock and epoch in them).

The table is a plain mutable object owned by one actor; it does no I/O.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import attrs

from actors.domain import Purpose
from actors.messages import Outcome, Reservation, ReservationState, Settlement
from actors.money import EXACT
from actors.risk._seen import SeenKeys


class ReservationBook:
    """Live reservations by id, plus the ids already used (the most recent
    ``remember`` released ones at least; module doc).  Raises ``ValueError`` for
    ``remember`` < 1."""

    def __init__(self, *, remember: int = 8_192) -> None:
        self._live: dict[str, Reservation] = {}
        self._released = SeenKeys(remember)

    def __len__(self) -> int:
        return len(self._live)

    def get(self, reservation_id: str) -> Reservation | None:
        return self._live.get(reservation_id)

    @property
    def released_remembered(self) -> int:
        """How many released ids are remembered now."""
        return len(self._released)

    def is_live(self, reservation_id: str) -> bool:
        """True while the reservation is HELD or IN_DOUBT."""
        return reservation_id in self._live

    def is_used(self, reservation_id: str) -> bool:
        """True if the id is live or was released recently (its client order ids are spent)."""
        return reservation_id in self._live or self._released.seen(reservation_id)

    def add(self, reservation: Reservation) -> None:
        """Hold ``reservation``. Raises ``ValueError`` if its id was used (a logic error)."""
        if self.is_used(reservation.reservation_id):
            raise ValueError(f"reservation {reservation.reservation_id!r} was already used")
        self._live[reservation.reservation_id] = reservation

    def release(self, reservation_id: str) -> Reservation:
        """Remove a live reservation; returns it in state RELEASED.

        Raises ``KeyError`` if it is not live.
        """
        reservation = self._live.pop(reservation_id)
        self._released.add(reservation_id)
        return attrs.evolve(reservation, state=ReservationState.RELEASED)

    def mark_in_doubt(self, owner_epoch: int) -> list[Reservation]:
        """Every live reservation owned by ``owner_epoch`` becomes IN_DOUBT; returns them.

        Already IN_DOUBT ones owned by that epoch (it was asked to resolve them
        and ended first) are returned too: they wait for the next incarnation.
        """
        changed = []
        for reservation_id, reservation in self._live.items():
            if reservation.owner_epoch == owner_epoch:
                doubtful = attrs.evolve(reservation, state=ReservationState.IN_DOUBT)
                self._live[reservation_id] = doubtful
                changed.append(doubtful)
        return changed

    def in_doubt(self) -> list[Reservation]:
        return [r for r in self._live.values() if r.state is ReservationState.IN_DOUBT]

    def held(self) -> list[Reservation]:
        return [r for r in self._live.values() if r.state is ReservationState.HELD]

    def set_owner(self, reservation_id: str, owner_epoch: int) -> Reservation:
        """Hand a live reservation to ``owner_epoch`` (its state is kept). Raises ``KeyError``."""
        reservation = attrs.evolve(self._live[reservation_id], owner_epoch=owner_epoch)
        self._live[reservation_id] = reservation
        return reservation

    def live(self) -> list[Reservation]:
        """Every live reservation, HELD and IN_DOUBT, in the order they were added."""
        return list(self._live.values())

    def amounts_by_market(self) -> dict[str, Decimal]:
        """Exact sum of live reservations' leg amounts (dollars) per market."""
        amounts: dict[str, Decimal] = {}
        with localcontext(EXACT):
            for reservation in self._live.values():
                for ticker, amount in reservation.amount_by_market().items():
                    amounts[ticker] = amounts.get(ticker, Decimal(0)) + amount
        return amounts

    def amounts_by_event(self) -> dict[str, Decimal]:
        """Exact sum of live reservations' ``amount`` (dollars) per event ticker."""
        amounts: dict[str, Decimal] = {}
        with localcontext(EXACT):
            for reservation in self._live.values():
                event = reservation.event_ticker
                amounts[event] = amounts.get(event, Decimal(0)) + reservation.amount
        return amounts

    def in_market(self, ticker: str) -> int:
        """How many live reservations have a leg in ``ticker`` (each counts once)."""
        return sum(1 for r in self._live.values() if ticker in r.tickers)

    def in_event(self, event_ticker: str) -> int:
        """How many live reservations belong to the event ``event_ticker``."""
        return sum(1 for r in self._live.values() if r.event_ticker == event_ticker)


def settled_outcome(reservation: Reservation, settlement: Settlement) -> Outcome:
    """The outcome ``settlement`` (what the reservation's fills hold) amounts to once
    nothing of it can still be live: UNHEDGED when a leg is short of another,
    FILLED when every leg holds its count (an exit: sold it all), PARTIAL when
    something but less is held (sold), NONE when nothing is."""
    if settlement.missing and reservation.purpose is not Purpose.EXIT:
        return Outcome.UNHEDGED
    if all(h >= leg.count for h, leg in zip(settlement.held, reservation.legs, strict=True)):
        return Outcome.FILLED
    if any(h > 0 for h in settlement.held):
        return Outcome.PARTIAL
    return Outcome.NONE
