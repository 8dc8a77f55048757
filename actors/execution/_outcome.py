"""The partial-fill policy of a flight: one pure function, :func:`next_step`.

No I/O, no clock, no state: the flight's facts go in (the reservation, the
contracts held per leg, the time, the counters), one decision comes out:

- :class:`Settle`: the flight is over with this :class:`~actors.messages.Outcome`
  (``missing`` names every leg short of the most-held one);
- :class:`Complete`: buy what the short legs lack, IOC at their (grid-floored)
  ``max_price``, once ``due_at`` has come (completion attempt ``a`` is due at
  ``placed_at + a x complete_within_s / max_complete_attempts``);
- :class:`Unwind`: sell the excess of every leg above the least-held one
  (``held_i - low``), IOC at ``limit_below(best bid, unwind_slippage)`` read
  just before (the actor prices it: that is I/O).

The rules (docs/baskets.md section 4), with ``top = max(held)``, ``low = min(held)``:

=================================================  =================================
facts                                              step
=================================================  =================================
EXIT (one SELL leg; ``held`` = contracts sold)     Settle FILLED / PARTIAL / NONE,
                                                   FAILED if none sold and it errored
every leg holds its ``count``                      Settle FILLED
balanced below ``count``, ``top > 0``              Settle PARTIAL
balanced at 0 after an unwind                      Settle PARTIAL (unwound to 0)
balanced at 0 otherwise                            Settle NONE (FAILED if a leg errored)
unbalanced, ``may_complete``, ``now < deadline``,  Complete(attempt
completion attempts left, not unwound              ``completions_used``)
unbalanced, not ``may_unwind`` (it unwound)        Settle UNHEDGED
unbalanced, ``unwinds_used >= MAX_UNWIND_...``     Settle UNHEDGED
unbalanced otherwise                               Unwind(attempt ``unwinds_used``)
=================================================  =================================

Counts are exact ``Decimal`` contracts (:data:`actors.money.EXACT`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs

from actors.domain import OrderIntent, Purpose
from actors.execution._orders import completion_intent
from actors.messages import MAX_UNWIND_ATTEMPTS, MissingLeg, Outcome, Reservation
from actors.money import EXACT

__all__ = [
    "MAX_UNWIND_ATTEMPTS",
    "Complete",
    "Settle",
    "Step",
    "Unwind",
    "next_step",
    "shortfall",
]


@attrs.frozen
class Settle:
    """The flight ends: report ``outcome``; ``missing`` names the short legs; ``why``
    says how it came to this (for the report's detail)."""

    outcome: Outcome
    missing: tuple[MissingLeg, ...] = ()
    why: str = ""


@attrs.frozen
class Complete:
    """Completion attempt ``attempt``: send ``intents`` (one BUY per short leg) once the
    actor's monotonic clock reaches ``due_at``."""

    attempt: int
    intents: tuple[OrderIntent, ...]
    due_at: float


@attrs.frozen
class Unwind:
    """Unwind attempt ``attempt``: sell ``count`` of each ``(leg index, count)`` in ``need``."""

    attempt: int
    need: tuple[tuple[int, Decimal], ...]


Step = Settle | Complete | Unwind


def shortfall(reservation: Reservation, held: Sequence[Decimal]) -> tuple[MissingLeg, ...]:
    """Every leg holding less than the most-held leg, and how much less (its hedge)."""
    if not held:
        return ()
    top = max(held)
    return tuple(
        MissingLeg(
            index=leg.index,
            ticker=leg.ticker,
            side=leg.side,
            short=EXACT.subtract(top, have),
            client_order_id=leg.client_order_id,
        )
        for leg, have in zip(reservation.legs, held, strict=True)
        if have < top
    )


def next_step(
    reservation: Reservation,
    held: Sequence[Decimal],
    *,
    now: float,
    deadline: float,
    completions_used: int,
    unwinds_used: int,
    may_complete: bool,
    errored: bool = False,
    unwound: bool = False,
    may_unwind: bool = True,
) -> Step:
    """What a flight does next (see the module's table).

    ``reservation`` has its legs' ``max_price`` on their grids already
    (:func:`~actors.execution._orders.priced_for`); ``held`` is per leg, net contracts
    held (for an EXIT: contracts sold); ``now`` and ``deadline`` are on one monotonic
    clock (``deadline = placed_at + complete_within_s``); ``completions_used`` /
    ``unwinds_used`` are the next attempt numbers; ``may_complete`` is false after
    ``CancelAll`` and in an in-doubt resolution (never buy after a crash);
    ``errored``: a leg could not be placed; ``unwound``: an unwind of this
    reservation went out (so a level of 0 is PARTIAL, and no completion follows);
    ``may_unwind``: false once this flight has sent its own unwind. Raises
    ``ValueError`` if ``held`` does not have one entry per leg.
    """
    if len(held) != len(reservation.legs):
        raise ValueError(f"held {tuple(held)} for {len(reservation.legs)} legs")
    if reservation.purpose is Purpose.EXIT:
        return _exit(reservation, held[0], errored)
    top, low = max(held), min(held)
    if top == low:
        return _balanced(reservation, top, errored=errored, unwound=unwound)
    cws = reservation.complete_within_s
    attempts = reservation.max_complete_attempts
    if may_complete and not unwound and completions_used < attempts and now < deadline:
        intents = tuple(
            completion_intent(reservation, leg.index, EXACT.subtract(top, have), completions_used)
            for leg, have in zip(reservation.legs, held, strict=True)
            if have < top
        )
        due_at = deadline - cws + completions_used * cws / attempts
        return Complete(completions_used, intents, due_at)
    if not may_unwind:
        return Settle(Outcome.UNHEDGED, shortfall(reservation, held), "unwind left it unhedged")
    if unwinds_used >= MAX_UNWIND_ATTEMPTS:
        return Settle(Outcome.UNHEDGED, shortfall(reservation, held), "no unwind attempt left")
    need = tuple(
        (leg.index, EXACT.subtract(have, low))
        for leg, have in zip(reservation.legs, held, strict=True)
        if have > low
    )
    return Unwind(unwinds_used, need)


def _exit(reservation: Reservation, sold: Decimal, errored: bool) -> Settle:
    if sold == reservation.legs[0].count:
        return Settle(Outcome.FILLED, why="sold")
    if sold > 0:
        return Settle(Outcome.PARTIAL, why="sold in part")
    return Settle(Outcome.FAILED if errored else Outcome.NONE, why="nothing sold")


def _balanced(reservation: Reservation, level: Decimal, *, errored: bool, unwound: bool) -> Settle:
    if all(level == leg.count for leg in reservation.legs):
        return Settle(Outcome.FILLED, why="every leg filled")
    if unwound:
        return Settle(Outcome.PARTIAL, why=f"unwound to {level}")
    if level > 0:
        return Settle(Outcome.PARTIAL, why=f"balanced at {level}")
    return Settle(Outcome.FAILED if errored else Outcome.NONE, why="nothing filled")
