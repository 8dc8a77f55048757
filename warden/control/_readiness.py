"""Readiness: may this daemon trade right now? Computed from one tree snapshot.

The daemon is *ready* when all five checks pass (each failing check adds one
or more human-readable reasons):

``actors``
    every permanent worker of the tree has status ``running``.
``reconciliation``
    risk's and execution's statuses both say ``reconciled`` (execution
    reconciled with the venue and risk has heard it; a restarted execution
    reconciles again before it trades).
``halt``
    risk's status says not ``halted`` (the kill switch is off; a ledger
    write failure also halts risk, so it shows up here).
``feed``
    the feed's status has at least one market and none is ``stale`` (a
    market is stale from start until its first accepted snapshot, after a
    disconnect or gap until its resubscription, and after ``feed.stale_after_s``
    without an update).
``persistence``
    persistence's status says the ledger is ``open`` and it answered the
    snapshot's summary request in time (``summary_stale`` false): a writer that cannot answer a
    summary cannot commit a Record either. A write that *failed* halts risk,
    which the ``halt`` check reports with the ledger's error; the failure
    counter alone is history, not the present.

An actor that publishes no status of its kind (absent from the tree, not yet
answered, or a status of another class) counts as failing, never as passing:
the daemon fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
import cattrs
from cattrs.errors import BaseValidationError

from actors.execution import ExecutionStatus
from actors.feed import FeedStatus
from actors.persistence import PersistenceStatus
from actors.risk import RiskStatus
from supervision import ActorSnapshot
from warden.json_types import JsonObject


@attrs.frozen
class Readiness:
    ready: bool
    reasons: tuple[str, ...]
    checks: dict[str, bool]

    def to_json(self) -> JsonObject:
        checks: JsonObject = dict(self.checks)
        return {"ready": self.ready, "reasons": [*self.reasons], "checks": checks}

    @classmethod
    def from_json(cls, data: object) -> Readiness:
        """The readiness a :meth:`to_json` body (``GET /readyz``) describes; ``ValueError``
        saying why for anything else (e.g. the ``{"error"}`` of a daemon not running)."""
        try:
            return _converter.structure(data, cls)
        except (BaseValidationError, AttributeError, TypeError, KeyError) as error:
            raise ValueError(f"not a readiness: {data}") from error


_converter = cattrs.Converter()


def _actors(snapshot: ActorSnapshot, permanent: Iterable[str]) -> list[str]:
    reasons = []
    for name in permanent:
        node = snapshot.get(name)
        if node is None:
            reasons.append(f"{name} is not in the tree")
        elif node.status != "running":
            reasons.append(f"{name} is {node.status}")
    return reasons


def _reconciliation(snapshot: ActorSnapshot) -> list[str]:
    reasons = []
    published = (
        ("execution", snapshot.status_of("execution", ExecutionStatus)),
        ("risk", snapshot.status_of("risk", RiskStatus)),
    )
    for name, status in published:
        if status is None or status.reconciled is not True:
            detail = (status.reconcile_detail if status is not None else None) or "not yet"
            reasons.append(f"reconciliation has not completed ({name}: {detail})")
    return reasons


def _halt(risk: RiskStatus | None) -> list[str]:
    if risk is None:
        return ["risk publishes no halt state"]
    if risk.halted:
        return [f"trading is halted: {risk.halt_reason or 'no reason given'}"]
    return []


def _feed(feed: FeedStatus | None) -> list[str]:
    if feed is None or not feed.markets:
        state = feed.connection.state if feed is not None else "unknown"
        return [f"feed has no market books yet (connection {state})"]
    reasons = []
    for ticker, market in sorted(feed.markets.items()):
        if market.stale:
            age = market.last_update_age_s
            since = "never updated" if age is None else f"last update {age}s ago"
            reasons.append(f"feed: {ticker} is stale ({since})")
    return reasons


def _persistence(snapshot: ActorSnapshot) -> list[str]:
    node = snapshot.get("persistence")
    if node is None:
        return ["persistence is not in the tree"]
    status = snapshot.status_of("persistence", PersistenceStatus)
    reasons = []
    if status is None or not status.open:
        error = (status.last_error if status is not None else None) or "not open"
        reasons.append(f"persistence cannot write: ledger {error}")
    if node.summary_stale:
        reasons.append("persistence did not answer in time (busy or hung)")
    return reasons


def readiness(snapshot: ActorSnapshot, permanent: Iterable[str]) -> Readiness:
    """Evaluate the five checks on ``snapshot``; ``permanent`` names the permanent workers."""
    results = {
        "actors": _actors(snapshot, permanent),
        "reconciliation": _reconciliation(snapshot),
        "halt": _halt(snapshot.status_of("risk", RiskStatus)),
        "feed": _feed(snapshot.status_of("feed", FeedStatus)),
        "persistence": _persistence(snapshot),
    }
    reasons = tuple(reason for found in results.values() for reason in found)
    return Readiness(not reasons, reasons, {name: not found for name, found in results.items()})
