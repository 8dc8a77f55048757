"""What a new risk incarnation starts from, and the leftovers it settles later.

Start (:func:`restore`): a new incarnation (after a crash, a hang, an operator
restart, or a new process) reads the ledger through its :class:`LedgerSources`,
in this order: a standing halt (a halt outlives the incarnation that took it),
the reservations a previous incarnation left held or in doubt (kept as
:class:`Leftovers`; their events are learnt), the events the ledger knows (which
markets settle together), and every recorded fill, booked with the wall time it
was recorded, so positions and the day's and the total realised P&L survive
restarts and no restart resets the daily loss limit. With a checkpoint source
(``ledger_fills``, the daemon's) the fills are the last checkpoint's books plus
the fills recorded after its mark, and a new checkpoint is written
(:mod:`actors.risk._checkpoint`; :func:`roll_checkpoint` does the same in the
background while risk runs). A checkpoint that cannot be used is ignored, never
trusted: every fill is booked instead.

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

from collections.abc import Callable, Iterable, Sequence

import attrs

from actors.domain import Event, Fill, FillRow
from actors.errors import DomainError
from actors.messages import Reservation, ReservationState
from actors.persistence import FillMark, FillMarkMismatch
from actors.risk._book import settled_outcome
from actors.risk._checkpoint import Checkpoint, CheckpointUnreadable, FillSource, decode, encode
from actors.risk._exposure import EventMap
from actors.risk._history import risk_log
from actors.risk._positions import PositionBook, RecordedBooked
from actors.risk._replay import fill_of

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
    :data:`~actors.domain.FillRow` values (no object per fill); when both are
    given, the rows are read and ``recorded_fills`` is not.

    ``ledger_fills`` (the daemon's source: :class:`actors.persistence.LedgerFills`)
    replaces both with a checkpoint (:mod:`actors.risk._checkpoint`): the books are
    loaded from the last one and only the fills recorded after its mark are booked,
    then a new checkpoint is written at the last of them.
    """

    standing_halt: Callable[[], tuple[str, str] | None] | None = None
    open_reservations: Callable[[], tuple[Reservation, ...]] | None = None
    recorded_events: Callable[[], Iterable[Event]] | None = None
    recorded_fills: Callable[[], Iterable[tuple[Fill, float]]] | None = None
    recorded_fill_rows: Callable[[], Iterable[FillRow]] | None = None
    ledger_fills: FillSource | None = None


@attrs.frozen
class Restored:
    """What :func:`restore` found: the reason to start halted (``None``: not
    halted) and how many recorded fills its books hold (0 when any failed), of
    which ``from_checkpoint`` came with the checkpoint it loaded (not booked now)."""

    halt_reason: str | None
    fills_rebuilt: int
    from_checkpoint: int = 0


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
    if sources.ledger_fills is not None:
        return _from_checkpoint(sources.ledger_fills, start, positions, leftovers, wall)
    rebuilt = _rebuild_positions(sources, start, positions, leftovers, wall)
    return Restored(start.halt_reason, rebuilt)


class _Start:
    def __init__(self, actor: str, halt_reason: str | None, *, rolling: bool = False) -> None:
        self.actor, self.halt_reason, self.rolling = actor, halt_reason, rolling

    def halted(self, reason: str) -> None:
        self.halt_reason = reason
        if self.rolling:  # nothing of risk's own books depends on a roll
            risk_log(self.actor, "checkpoint_failed").warning("no checkpoint taken: {}", reason)
            return
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
    booked = _book_rows(recorded, start, positions, leftovers, keep_kept=True)
    if booked is None:
        return 0
    _log_rebuilt(start, positions, wall, booked=len(recorded), loaded=0)
    return len(recorded)


def _book_rows(
    rows: Sequence[FillRow],
    start: _Start,
    positions: PositionBook,
    leftovers: Leftovers,
    *,
    keep_kept: bool,
    new: bool = False,
) -> RecordedBooked | None:
    """Book ``rows`` (the leftovers' fills among them kept when ``keep_kept``); ``None``
    if one could not be booked (the incarnation then starts halted)."""
    # Rows are in the order they were written, not always the order they happened: a
    # purchase whose Record failed (a locked or full ledger) is written by the repair
    # after the sale of it that came next. A fill that does not fit yet waits until
    # the others are booked; one that never fits halts (PositionBook.book_recorded).
    try:
        booked = positions.book_recorded_rows(rows, keep=leftovers.order_ids(), new=new)
    except (DomainError, ArithmeticError) as error:  # never expected: fail closed all the same
        start.halted(f"recorded fills cannot be booked: {error}")
        return None
    if keep_kept:
        for fill in booked.kept:
            leftovers.keep_fill(fill)
    if booked.unbooked is not None:
        fill, why = booked.unbooked
        start.halted(f"recorded fill {fill.fill_id} cannot be booked: {why}")
        return None
    return booked


def _log_rebuilt(
    start: _Start, positions: PositionBook, wall: Callable[[], float], *, booked: int, loaded: int
) -> None:
    if booked or loaded:
        risk_log(start.actor, "positions_rebuilt").info(
            "booked {} recorded fill(s) after a checkpoint of {}: realised today ${}, in total ${}",
            booked,
            loaded,
            positions.realised_today(wall()),
            positions.realised_total,
        )


def roll_checkpoint(fills: FillSource, *, actor: str, wall: Callable[[], float]) -> Restored:
    """Bring the checkpoint up to the ledger's last fill, as a start would, on books of
    its own (risk's are not touched): what a running risk does in the background every
    so many fills, so the next start books only the fills since (module doc of
    :mod:`actors.risk._checkpoint`). Never raises; a failure is logged
    (``checkpoint_failed``) and returned as the ``halt_reason`` (nothing halts)."""
    start = _Start(actor, None, rolling=True)
    try:
        return _from_checkpoint(fills, start, PositionBook(), Leftovers(), wall)
    except Exception as error:  # noqa: BLE001 - a background task: report, never raise
        start.halted(f"{type(error).__name__}: {error}")
        return Restored(start.halt_reason, 0)


def _from_checkpoint(
    fills: FillSource,
    start: _Start,
    positions: PositionBook,
    leftovers: Leftovers,
    wall: Callable[[], float],
) -> Restored:
    """Load the last checkpoint, book the fills recorded after its mark, and write a
    new checkpoint at the last of them (:mod:`actors.risk._checkpoint`). A checkpoint
    missing, unreadable or not of this ledger: every fill is booked (logged
    ``checkpoint_ignored``); the ledger unreadable: the incarnation starts halted."""
    checkpoint = _read_checkpoint(fills, start.actor)
    try:
        try:
            rows, mark = fills.rows_after(checkpoint.mark if checkpoint else None)
        except FillMarkMismatch as why:
            _ignored(start.actor, f"its mark is not this ledger's: {why}")
            checkpoint = None
            rows, mark = fills.rows_after(None)
        # the leftovers' fills from before the mark too (by the order index: few rows)
        of_leftovers = fills.rows_of_orders(leftovers.order_ids()) if checkpoint else ()
    except Exception as error:  # noqa: BLE001 - unknown fills: unknown loss, fail closed
        start.halted(f"recorded fills unknown: {error}")
        return Restored(start.halt_reason, 0)
    loaded = checkpoint.mark.count if checkpoint else 0
    if checkpoint is not None:
        positions.load(checkpoint)
    booked = _book_rows(rows, start, positions, leftovers, keep_kept=checkpoint is None, new=True)
    if booked is None:
        return Restored(start.halt_reason, 0)
    for row in of_leftovers:
        leftovers.keep_fill(fill_of(row))
    _log_rebuilt(start, positions, wall, booked=len(rows), loaded=loaded)
    if rows and mark is not None:
        _write_checkpoint(fills, positions, mark, booked, start.actor)
    return Restored(start.halt_reason, loaded + len(rows), from_checkpoint=loaded)


def _read_checkpoint(fills: FillSource, actor: str) -> Checkpoint | None:
    try:
        data = fills.read_checkpoint()
    except OSError as error:
        _ignored(actor, f"it cannot be read: {error}")
        return None
    if data is None:
        return None
    try:
        return decode(data)
    except CheckpointUnreadable as why:
        _ignored(actor, f"it is not readable: {why}")
        return None


def _ignored(actor: str, why: str) -> None:
    risk_log(actor, "checkpoint_ignored").warning(
        "risk's checkpoint is ignored, every recorded fill is booked: {}", why
    )


def _write_checkpoint(
    fills: FillSource,
    positions: PositionBook,
    mark: FillMark,
    booked: RecordedBooked,
    actor: str,
) -> None:
    """A new checkpoint at ``mark``, if the booking allows one (module doc of
    :mod:`actors.risk._checkpoint`); a failure to write is logged, never fatal: the
    next start books from the last checkpoint written."""
    if not booked.in_order:
        risk_log(actor, "checkpoint_skipped").info(
            "no checkpoint written: some recorded fills were booked after later ones"
        )
        return
    try:
        fills.write_checkpoint(encode(positions.checkpoint(mark)))
    except OSError as error:
        risk_log(actor, "checkpoint_unwritten").warning(
            "risk's checkpoint could not be written ({}); the next start books from the last one",
            error,
        )
