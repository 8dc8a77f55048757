"""What execution reports about itself: :class:`ExecutionStatus` and its parts.

The status values are frozen and registered with :func:`supervision.status_type`,
so a snapshot carries them across threads and through JSON (the control plane,
the CLI) as the same classes.  :class:`ExecutionCounts` is mutable: the actor
keeps one and counts into it, and a status holds a copy (``attrs.evolve``),
never the live one.

Counting is typed: a counter is an attribute of :class:`ExecutionCounts`
(slotted, so a misspelt name raises ``AttributeError``), and a count reported
from the trio loop names it with a :class:`CountName` member, which mypy checks
and which the import of this module checks against the fields one for one.
"""

from __future__ import annotations

import enum

import attrs

from actors.ledger_client import LedgerClientStatus
from supervision import status_type

__all__ = ["CountName", "ExecutionCounts", "ExecutionStatus", "FlightView", "Phase"]


class Phase(enum.Enum):
    """Where one reservation's execution stands (published in :class:`FlightView`;
    the value is what crosses JSON)."""

    RECORDING_INTENTS = "recording intents"
    PLACING = "placing"
    RECORDING_COMPLETION = "recording completion"
    COMPLETING = "completing"
    PRICING_UNWIND = "pricing unwind"
    RECORDING_UNWIND = "recording unwind"
    UNWINDING = "unwinding"
    SETTLED = "settled"


@attrs.define
class ExecutionCounts:
    """What this incarnation has done since it started.

    ``orders_sent``: create-order calls the venue accepted; ``retries``: venue calls
    retried after a transient error; ``unknown_outcomes_resolved``: submits with an
    unknown outcome found at the venue by client order id; ``duplicates_ignored``:
    repeated ``Execute`` of a reservation id; ``rate_limit_waits``: calls that waited
    for a token; ``venue_errors``: venue errors forwarded to risk; ``reports``:
    ``ExecutionReport`` sent; ``records_failed``: Records that failed or went
    unanswered; ``reconciled_for_risk``: reconciliations run for a new risk
    incarnation; ``ledger_repairs``: ledger repairs started after a failed Record;
    ``unknown_outcomes_heard``: those of ``unknown_outcomes_resolved`` the venue's
    private channel resolved (before or instead of the lookup); ``fills_heard`` /
    ``fills_listed``: orders with fills whose fills came from the private channel /
    were listed from the venue (``list_fills``) after they were placed or found;
    ``private_channel_ups`` / ``private_channel_downs``: sessions of the venue's
    private channel begun and ended (one more up than down: it is up now).
    """

    orders_sent: int = 0
    retries: int = 0
    unknown_outcomes_resolved: int = 0
    duplicates_ignored: int = 0
    rate_limit_waits: int = 0
    venue_errors: int = 0
    reports: int = 0
    records_failed: int = 0
    reconciled_for_risk: int = 0
    ledger_repairs: int = 0
    unknown_outcomes_heard: int = 0
    fills_heard: int = 0
    fills_listed: int = 0
    private_channel_ups: int = 0
    private_channel_downs: int = 0

    def add(self, name: CountName, n: int = 1) -> None:
        """Count ``n`` more of ``name`` (its value names the field)."""
        setattr(self, name.value, getattr(self, name.value) + n)


class CountName(enum.Enum):
    """One member per :class:`ExecutionCounts` field: how a count made away from the
    actor's thread (a loop task, the venue client) names its counter."""

    ORDERS_SENT = "orders_sent"
    RETRIES = "retries"
    UNKNOWN_OUTCOMES_RESOLVED = "unknown_outcomes_resolved"
    DUPLICATES_IGNORED = "duplicates_ignored"
    RATE_LIMIT_WAITS = "rate_limit_waits"
    VENUE_ERRORS = "venue_errors"
    REPORTS = "reports"
    RECORDS_FAILED = "records_failed"
    RECONCILED_FOR_RISK = "reconciled_for_risk"
    LEDGER_REPAIRS = "ledger_repairs"
    UNKNOWN_OUTCOMES_HEARD = "unknown_outcomes_heard"
    FILLS_HEARD = "fills_heard"
    FILLS_LISTED = "fills_listed"
    PRIVATE_CHANNEL_UPS = "private_channel_ups"
    PRIVATE_CHANNEL_DOWNS = "private_channel_downs"


def _check_count_names() -> None:
    fields = [field.name for field in attrs.fields(ExecutionCounts)]
    names = [name.value for name in CountName]
    if sorted(fields) != sorted(names):
        raise TypeError(f"CountName {names} does not match ExecutionCounts' fields {fields}")


_check_count_names()


@attrs.frozen
class FlightView:
    """One reservation in flight: its phase and each order's state in words, by client
    order id; ``deadline_in_s``: seconds left to complete short legs (``None`` before
    the entry orders went out, or with no completion; negative once past)."""

    phase: Phase
    legs: dict[str, str]
    deadline_in_s: float | None = None


@status_type
@attrs.frozen
class ExecutionStatus:
    """The execution actor as of its last summary (every field a copy).

    ``reconcile_detail`` is ``None`` until the first reconciliation attempt ends,
    then ``"ok"`` or why it failed; ``in_flight`` maps reservation ids to their
    :class:`FlightView`; ``resolving_in_doubt`` and ``ledger_repair_pending`` are
    sorted reservation ids and client order ids; ``in_doubt_awaiting_reconciliation``
    the in-doubt reservations looked up but not yet settled (an unwind is an order:
    it waits for this incarnation's reconciliation); ``pending_records`` counts
    Records awaiting persistence's answer; ``unknown_messages`` counts messages no
    handler took.
    """

    reconciled: bool
    reconcile_attempts: int
    reconcile_detail: str | None
    dry_run: bool
    in_flight: dict[str, FlightView]
    resolving_in_doubt: tuple[str, ...]
    pending_records: int
    ledger_repair_pending: tuple[str, ...]
    counts: ExecutionCounts
    last_error: str | None
    ledger_client: LedgerClientStatus
    unknown_messages: int
    in_doubt_awaiting_reconciliation: tuple[str, ...] = ()
