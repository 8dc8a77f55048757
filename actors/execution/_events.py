"""The execution actor's private vocabulary: what its loop tasks tell it, and its books.

Loop tasks never touch the actor's state; they tell these messages to its
mailbox (:class:`MailboxReporter` for progress and errors as they happen).
:class:`InFlight` (a flight: its phase is the published
:class:`~actors.execution._status.Phase`, its counters the inputs of
:func:`~actors.execution._outcome.next_step`) and :class:`RecordFor` (what a
``Record`` was for: the context it hands the ledger client) are the actor's
own bookkeeping, touched only from the actor's thread.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from actors.domain import Fill, OrderIntent, OrderRole
from actors.errors import VenueError
from actors.execution._outcome import Unwind
from actors.execution._status import CountName, Phase
from actors.execution._workflows import LegResult, ReconcileResult, Resolution
from actors.messages import Reservation
from actors.venues import VenueOrder

# -- what the loop tells the actor ------------------------------------------------------


@attrs.frozen
class LegsDone:
    """Orders of one role (entry, completion or unwind) are settled at the venue."""

    reservation_id: str
    role: OrderRole
    legs: tuple[LegResult, ...]


@attrs.frozen
class LegPrice:
    """The unwind limit of leg ``index`` (``None``: not priceable, ``why``); ``count``:
    what may be sold, when the venue holds less than the unwind needs (``None``: all)."""

    index: int
    price: Decimal | None
    why: str = ""
    count: Decimal | None = None


@attrs.frozen
class UnwindPriced:
    reservation_id: str
    prices: tuple[LegPrice, ...]


@attrs.frozen
class CompletionDue:
    """Completion attempt ``attempt`` of a reservation is due (a timer fired)."""

    reservation_id: str
    attempt: int


@attrs.frozen
class ReconcileDone:
    result: ReconcileResult


@attrs.frozen
class ReconcileFailed:
    error: VenueError


@attrs.frozen
class Reconcile:
    """Time for the next reconciliation attempt."""


@attrs.frozen
class InDoubtDone:
    reservation: Reservation
    resolution: Resolution


@attrs.frozen
class CancelAllDone:
    reason: str
    cancelled: tuple[VenueOrder, ...]


@attrs.frozen
class VenueErrorSeen:
    error: VenueError


@attrs.frozen
class Counted:
    """``n`` more of one counter, counted on the loop (a :class:`CountName`, checked
    here so a wrong value fails where it is made, not in the actor)."""

    counter: CountName = attrs.field(validator=attrs.validators.instance_of(CountName))
    n: int = 1


@attrs.frozen
class LegState:
    reservation_id: str
    client_order_id: str
    state: str


@attrs.frozen
class SweepRecords:
    """Time to sweep the ledger client: fail the Records persistence has not answered
    within ``record_timeout``, and start a ledger repair that is due."""


@attrs.frozen
class LoopFailed:
    error: BaseException


class Purpose(enum.Enum):
    INTENTS = "intents"
    COMPLETION = "completion"
    UNWIND = "unwind"
    RECONCILE = "reconcile"
    INFO = "info"


@attrs.frozen
class RecordFor:
    """What a Record was for: the context the ledger client hands back with its outcome."""

    purpose: Purpose
    reservation_id: str | None = None


@attrs.frozen
class RepairDone:
    """The venue's view of the orders to repair; ``missing`` were never sent."""

    resolution: Resolution
    missing: tuple[str, ...]


@attrs.define
class InFlight:
    """One reservation being executed, or unwound by an in-doubt resolution (owned by
    the actor thread only).

    ``reservation`` is what risk sent (recorded as is); ``priced`` the same with every
    leg's ``max_price`` on its grid (what orders are built from). ``found`` are the
    fills an in-doubt lookup found; ``results`` every order this flight placed, in
    order. ``placed_at``/``deadline`` are on the actor's monotonic clock,
    ``deadline_at`` on its wall clock. ``completions_used``/``unwinds_used`` are the
    next attempt numbers; ``pending`` the completion or unwind intents being
    recorded; ``waiting_for``: the completion attempt whose time has not come;
    ``halted``: a ``CancelAll`` came (no more completion buys);
    ``resolving``: an in-doubt resolution (answers ``InDoubtResolved``); ``notes``
    what the report's detail must say beyond the orders (legs not unwound, and why)."""

    reservation: Reservation
    priced: Reservation
    phase: Phase
    legs: dict[str, str]
    results: list[LegResult] = attrs.Factory(list)
    found: tuple[Fill, ...] = ()
    placed_at: float | None = None
    deadline: float = 0.0
    deadline_at: float | None = None
    completions_used: int = 0
    unwinds_used: int = 0
    unwound: bool = False
    may_unwind: bool = True
    errored: bool = False
    halted: bool = False
    resolving: bool = False
    pending: tuple[OrderIntent, ...] = ()
    waiting_for: int | None = None
    unwind: Unwind | None = None
    notes: list[str] = attrs.Factory(list)
    aborted: str | None = None

    def fills(self) -> tuple[Fill, ...]:
        """Every fill of this reservation known to the flight, found ones first."""
        return self.found + tuple(fill for leg in self.results for fill in leg.fills)


class MailboxReporter:
    """The loop's :class:`~actors.execution._workflows.Reporter`: tells the actor."""

    def __init__(self, tell: Callable[[Any], None]) -> None:
        self._tell = tell

    def venue_error(self, error: VenueError) -> None:
        self._tell(VenueErrorSeen(error))

    def count(self, counter: CountName, n: int = 1) -> None:
        self._tell(Counted(counter, n))

    def leg_state(self, reservation_id: str, client_order_id: str, state: str) -> None:
        self._tell(LegState(reservation_id, client_order_id, state))
