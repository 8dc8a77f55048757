"""What a new risk incarnation starts from, and the leftovers it settles later.

Start (:func:`restore`): a new incarnation (after a crash, a hang, an operator
restart, or a new process) reads the ledger through its :class:`LedgerSources`,
in this order: a standing halt (a halt outlives the incarnation that took it),
the reservations a previous incarnation left held or in doubt (kept as
:class:`Leftovers`; their events are learnt), the events the ledger knows (which
markets settle together), and every recorded fill, booked with the wall time it
was recorded, so positions and the day's and the total realised P&L survive
restarts and no restart resets the daily loss limit.

Failure behaviour: fail closed.  A source that raises, or a recorded fill that
cannot be booked, makes the incarnation start halted (the last failure's reason
is the halt reason, each logged ``recovery_failed``); the later sources are read
all the same.  A fill that does not fit when its row comes (a sale recorded before
the purchase it sold: the purchase's Record failed and the repair wrote it later)
is booked after the others; one that fits in no order halts, the fills booked stay
booked and ``fills_rebuilt`` is not counted.  Nothing here raises.

Leftovers are settled once, at the first ``Reconciled(ok=True)``
(:meth:`Leftovers.settle`): execution has then cancelled every resting order and
recorded every fill, so nothing of them can still be live.  Each is released
with the outcome, held and missing legs of its ``Reservation.settlement`` from
the ledger's and the venue's fills of its orders (nothing is unwound: an exit or
the operator sells later).  The caller records and logs what it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from actors.domain import Event, Fill, FillRow
from actors.errors import DomainError
from actors.messages import Reservation, ReservationState
from actors.risk._book import settled_outcome
from actors.risk._exposure import EventMap
from actors.risk._history import risk_log
from actors.risk._positions import PositionBook

SETTLED_WHY = "left by a previous incarnation; venue reconciled"


@attrs.frozen
class LedgerSources:
    """How a new incarnation reads the ledger (each ``None``: nothing to read).

    ``standing_halt`` tells whether a halt taken before it is still in force
    (``(reason, source)``; ``None``: not halted); if it cannot tell (raises), the
    incarnation starts halted.

    ``open_reservations`` gives the reservations the ledger still shows held or
    in doubt: a previous incarnation's, gone with it.  They are settled and
    released (recorded RELEASED with their outcome and missing legs) at the
    first ``Reconciled(ok=True)``, which comes after execution has cancelled
    every resting order and recorded every fill.

    ``recorded_events`` gives the events the ledger knows (of its reservations):
    which markets settle together.

    ``recorded_fills`` gives every fill the ledger holds with the wall time it
    was recorded, oldest first; they are booked at start (positions, the day's
    and the total realised P&L). ``recorded_fill_rows`` gives the same as
    :data:`~actors.domain.FillRow` values (no object per fill: the daemon's
    source, ``actors.persistence.recorded_fill_rows``); when both are given, the
    rows are read and ``recorded_fills`` is not.
    """

    standing_halt: Callable[[], tuple[str, str] | None] | None = None
    open_reservations: Callable[[], tuple[Reservation, ...]] | None = None
    recorded_events: Callable[[], Iterable[Event]] | None = None
    recorded_fills: Callable[[], Iterable[tuple[Fill, float]]] | None = None
    recorded_fill_rows: Callable[[], Iterable[FillRow]] | None = None


@attrs.frozen
class Restored:
    """What :func:`restore` found: the reason to start halted (``None``: not
    halted) and how many recorded fills were booked (0 when any failed)."""

    halt_reason: str | None
    fills_rebuilt: int


class Leftovers:
    """A previous incarnation's reservations still open in the ledger, and the
    ledger's fills of their orders, until :meth:`settle` empties it."""

    def __init__(self) -> None:
        self._reservations: dict[str, Reservation] = {}
        self._fills: list[Fill] = []

    def add(self, reservations: Iterable[Reservation]) -> None:
        """Keep ``reservations`` (by id) until :meth:`settle`."""
        self._reservations.update((r.reservation_id, r) for r in reservations)

    def order_ids(self) -> set[str]:
        """The client order ids of the leftovers' legs."""
        return {i for r in self._reservations.values() for i in r.order_ids()}

    def keep_fill(self, fill: Fill) -> None:
        """Keep a recorded fill of a leftover's order for :meth:`settle`."""
        self._fills.append(fill)

    def pending(self) -> tuple[str, ...]:
        """The leftovers' reservation ids, sorted."""
        return tuple(sorted(self._reservations))

    def settle(self, venue_fills: Iterable[Fill]) -> list[Reservation]:
        """Each leftover RELEASED with its settlement; afterwards none is left."""
        recovered, self._reservations = self._reservations, {}
        fills = (*self._fills, *venue_fills)
        self._fills = []
        released = []
        for reservation in recovered.values():
            settlement = reservation.settlement(fills)
            released.append(
                attrs.evolve(
                    reservation,
                    state=ReservationState.RELEASED,
                    outcome=settled_outcome(reservation, settlement),
                    held=settlement.held,
                    missing=settlement.missing,
                    detail=SETTLED_WHY,
                )
            )
        return released


def restore(
    sources: LedgerSources,
    *,
    actor: str,
    events: EventMap,
    positions: PositionBook,
    leftovers: Leftovers,
    wall: Callable[[], float],
) -> Restored:
    """Read ``sources`` into ``events``, ``positions`` and ``leftovers`` (see the
    module docstring); ``wall`` is the clock the rebuilt P&L is logged at."""
    halt = _standing_halt(sources, actor)
    start = _Start(actor, halt[0] if halt is not None else None)
    _recover_reservations(sources, start, events, leftovers)
    _rebuild_events(sources, start, events)
    rebuilt = _rebuild_positions(sources, start, positions, leftovers, wall)
    return Restored(start.halt_reason, rebuilt)


class _Start:
    def __init__(self, actor: str, halt_reason: str | None) -> None:
        self.actor, self.halt_reason = actor, halt_reason

    def halted(self, reason: str) -> None:
        self.halt_reason = reason
        risk_log(self.actor, "recovery_failed").error("risk starts halted: {}", reason)


def _standing_halt(sources: LedgerSources, actor: str) -> tuple[str, str] | None:
    """A halt outlives the incarnation that took it (fail closed if unknown)."""
    if sources.standing_halt is None:
        return None
    try:
        found = sources.standing_halt()
    except Exception as error:  # noqa: BLE001 - unknown halt state: stay halted
        found = (f"halt state unknown: {error}", actor)
    if found is None:
        return None
    reason, source = found
    risk_log(actor, "halt_restored").warning(
        "risk starts halted: {} (halted by {} before this incarnation; resume to trade)",
        reason,
        source,
    )
    return found


def _recover_reservations(
    sources: LedgerSources, start: _Start, events: EventMap, leftovers: Leftovers
) -> None:
    if sources.open_reservations is None:
        return
    try:
        found = sources.open_reservations()
    except Exception as error:  # noqa: BLE001 - unknown leftovers: fail closed
        start.halted(f"open reservations unknown: {error}")
        return
    leftovers.add(found)
    for reservation in found:
        events.learn(reservation.event)
    if found:
        risk_log(start.actor, "reservations_recovered").warning(
            "{} reservation(s) left open by a previous incarnation: {}; released at"
            " the first successful reconciliation",
            len(found),
            list(leftovers.pending()),
        )


def _rebuild_events(sources: LedgerSources, start: _Start, events: EventMap) -> None:
    if sources.recorded_events is None:
        return
    try:
        found = list(sources.recorded_events())
    except Exception as error:  # noqa: BLE001 - unknown events: unknown hedges, fail closed
        start.halted(f"recorded events unknown: {error}")
        return
    for event in found:
        events.learn(event)


def _rebuild_positions(
    sources: LedgerSources,
    start: _Start,
    positions: PositionBook,
    leftovers: Leftovers,
    wall: Callable[[], float],
) -> int:
    try:
        if sources.recorded_fill_rows is not None:
            recorded = list(sources.recorded_fill_rows())
        elif sources.recorded_fills is not None:
            recorded = [fill.recorded_row(at) for fill, at in sources.recorded_fills()]
        else:
            return 0
    except Exception as error:  # noqa: BLE001 - unknown fills: unknown loss, fail closed
        start.halted(f"recorded fills unknown: {error}")
        return 0
    # Rows are in the order they were written, not always the order they happened: a
    # purchase whose Record failed (a locked or full ledger) is written by the repair
    # after the sale of it that came next. A fill that does not fit yet waits until
    # the others are booked; one that never fits halts (PositionBook.book_recorded).
    try:
        booked = positions.book_recorded_rows(recorded, keep=leftovers.order_ids())
    except (DomainError, ArithmeticError) as error:  # never expected: fail closed all the same
        start.halted(f"recorded fills cannot be booked: {error}")
        return 0
    for fill in booked.kept:
        leftovers.keep_fill(fill)
    if booked.unbooked is not None:
        fill, why = booked.unbooked
        start.halted(f"recorded fill {fill.fill_id} cannot be booked: {why}")
        return 0
    if recorded:
        risk_log(start.actor, "positions_rebuilt").info(
            "booked {} recorded fill(s): realised today ${}, in total ${}",
            len(recorded),
            positions.realised_today(wall()),
            positions.realised_total,
        )
    return len(recorded)
