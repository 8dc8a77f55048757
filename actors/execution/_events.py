"""The execution actor's private vocabulary: what its loop tasks tell it, and its books.

Loop tasks never touch the actor's state; they tell these messages to its
mailbox (:class:`MailboxReporter` for progress and errors as they happen).
:class:`InFlight` (its phase is the published
:class:`~actors.execution._status.Phase`) and :class:`RecordFor` (what a
``Record`` was for: the context it hands the ledger client) are the actor's
own bookkeeping, touched only from the actor's thread.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from actors.domain import OrderIntent
from actors.errors import VenueError
from actors.execution._client import VenueOrder
from actors.execution._outcome import UnwindNeeded
from actors.execution._status import CountName, Phase
from actors.execution._workflows import LegResult, ReconcileResult, Resolution
from actors.messages import Reservation

# -- what the loop tells the actor ------------------------------------------------------


@attrs.frozen
class LegsDone:
    reservation_id: str
    legs: tuple[LegResult, LegResult]


@attrs.frozen
class UnwindPriced:
    reservation_id: str
    price: Decimal | None
    why: str = ""


@attrs.frozen
class UnwindDone:
    reservation_id: str
    leg: LegResult


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
    reservation_id: str
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
    """One reservation being executed (owned by the actor thread only)."""

    reservation: Reservation
    intents: tuple[OrderIntent, OrderIntent]
    phase: Phase
    legs: dict[str, str]
    results: tuple[LegResult, LegResult] | None = None
    unwind: UnwindNeeded | None = None
    unwind_intent: OrderIntent | None = None
    aborted: str | None = None


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
