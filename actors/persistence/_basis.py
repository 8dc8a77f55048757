"""Where execution's next reconciliation starts: the venue's point, the open orders.

A reconciliation that read the venue's clock when it began listing (e.g. the
``Date`` of a venue answer) records that time with its ``VenueReconciled``, in
the same Record, as an audit event of kind :data:`VENUE_POINT_AUDIT`
(:func:`venue_point_audit`; its detail the time in ISO 8601 UTC). Everything the
venue held before that time was listed by that reconciliation, so the next one
need list only from there (less a margin; see :mod:`actors.execution._workflows`)
and look up one by one the orders the ledger still holds open that it did not list.

The point is the *venue's* clock, never the ledger's ``committed_at``: the
daemon's wall clock may be skewed (the chaos harness moves it by hours), while
the venue stamps its orders and fills, and answers ``min_ts``, on its own.
A reconciliation that could not read the venue's clock records no point, and
the next one lists everything (:attr:`ReconcileBasis.venue_point` is None).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import attrs

from actors.domain import Order
from actors.messages import AuditEvent
from actors.persistence._ledger import Ledger

__all__ = [
    "VENUE_POINT_AUDIT",
    "ReconcileBasis",
    "reconcile_basis",
    "venue_point_audit",
    "venue_point_of",
]

VENUE_POINT_AUDIT = "venue_point"
"""The audit kind of a reconciliation's venue point (its detail: ISO 8601 UTC)."""


def venue_point_audit(seconds: float, source: str) -> AuditEvent:
    """The audit event recording that a reconciliation began listing the venue at
    ``seconds`` (Unix seconds on the venue's clock); recorded by ``source``."""
    return AuditEvent(
        VENUE_POINT_AUDIT, datetime.fromtimestamp(seconds, tz=UTC).isoformat(), source
    )


def venue_point_of(audits: tuple[AuditEvent, ...] | None) -> float | None:
    """The venue point among a reconciliation's audit events (the last, if several),
    or None: no reconciliation (``None``), none recorded, or a detail that is not an
    ISO 8601 time with its offset (then the next reconciliation lists everything)."""
    for audit in reversed(audits or ()):
        if audit.kind != VENUE_POINT_AUDIT:
            continue
        try:
            when = datetime.fromisoformat(audit.detail)
        except ValueError:
            return None
        return None if when.tzinfo is None else when.timestamp()
    return None


@attrs.frozen
class ReconcileBasis:
    """What the ledger tells execution's next reconciliation, read in one view:
    ``venue_point``, the venue's clock when the last completed reconciliation
    began listing (Unix seconds; None: never reconciled, or no point recorded),
    and ``open_orders``, every order the ledger holds in a non-terminal state
    (oldest first)."""

    venue_point: float | None
    open_orders: tuple[Order, ...] = ()


def reconcile_basis(path: Path) -> ReconcileBasis:
    """The :class:`ReconcileBasis` of the ledger at ``path``; no point and no orders
    if the ledger does not exist yet. Costs the open orders and the journal since
    the last reconciliation, not the ledger's history. Raises
    :class:`~actors.errors.LedgerError` when the ledger exists but cannot be read
    (execution then lists everything)."""
    if not path.exists():
        return ReconcileBasis(None)
    with Ledger.open_read_only(path) as ledger, ledger.consistent_view():
        point = venue_point_of(ledger.last_reconciliation_audit())
        orders = tuple(record.order for record in ledger.open_orders())
    return ReconcileBasis(point, orders)
