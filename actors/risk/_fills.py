"""Booking the fills risk hears of (in an ``ExecutionReport``, an
``InDoubtResolved`` or a ``Reconciled``) into its :class:`PositionBook`, and the
:class:`~actors.messages.Holdings` the strategy is told.

:func:`book_fills` books each fill once, at the wall time ``wall()`` reads when
it is booked, and reports what it did as a :class:`Booked`: a fill booked
before counts as a duplicate, and a fill that does not fit its holding (another
payout, selling more than held, an amount that would need rounding) is booked
not at all and handed back with its error; the caller decides what that means
(risk halts).  Nothing here raises for a fill, and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from actors.domain import Fill
from actors.errors import DomainError
from actors.messages import Holdings
from actors.risk._exposure import EventMap, unbound_contracts
from actors.risk._positions import PositionBook


@attrs.frozen
class Booked:
    """What :func:`book_fills` did: ``new`` fills booked, ``duplicates`` booked
    before, and each fill that could not be booked with why, in order."""

    new: int
    duplicates: int
    unbookable: tuple[tuple[Fill, Exception], ...]


def book_fills(positions: PositionBook, fills: Iterable[Fill], wall: Callable[[], float]) -> Booked:
    """Book ``fills`` into ``positions``, each once (see the module docstring)."""
    new = duplicates = 0
    unbookable: list[tuple[Fill, Exception]] = []
    for fill in fills:
        try:
            booked = positions.book(fill, wall())
        except (DomainError, ArithmeticError) as error:  # decimal signals: ArithmeticError
            unbookable.append((fill, error))
            continue
        if booked:
            new += 1
        else:
            duplicates += 1
    return Booked(new, duplicates, tuple(unbookable))


def holdings_of(events: EventMap, positions: PositionBook) -> Holdings:
    """What is held outside complete sets (the strategy's view of its holdings)."""
    return Holdings(tuple(unbound_contracts(events, positions.holdings())))
