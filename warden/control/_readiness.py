"""Readiness: may this daemon trade right now? Computed from one tree snapshot.

The daemon is *ready* when all five checks pass (each failing check adds one
or more human-readable reasons):

``actors``
    every permanent worker of the tree has status ``running``.
``reconciliation``
    risk's and execution's summaries both say ``reconciled: true`` (execution
    reconciled with the venue and risk has heard it; a restarted execution
    reconciles again before it trades).
``halt``
    risk's summary says ``halted: false`` (the kill switch is off; a ledger
    write failure also halts risk, so it shows up here).
``feed``
    the feed publishes at least one market and no market is ``stale`` (a
    market is stale from start until its first accepted snapshot, after a
    disconnect or gap until its resubscription, and after ``feed.stale_after_s``
    without an update).
``persistence``
    the ledger is ``open`` and persistence answered the snapshot's summary
    request in time (``summary_stale`` false): a writer that cannot answer a
    summary cannot commit a Record either. A write that *failed* halts risk,
    which the ``halt`` check reports with the ledger's error; the failure
    counter alone is history, not the present.

A summary key an actor does not publish counts as failing, never as passing:
the daemon fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from supervision import ActorSnapshot


@attrs.frozen
class Readiness:
    ready: bool
    reasons: tuple[str, ...]
    checks: dict[str, bool]

    def to_json(self) -> dict[str, Any]:
        return {"ready": self.ready, "reasons": list(self.reasons), "checks": dict(self.checks)}


def _actors(snapshot: ActorSnapshot, permanent: Iterable[str]) -> list[str]:
    reasons = []
    for name in permanent:
        node = snapshot.get(name)
        if node is None:
            reasons.append(f"{name} is not in the tree")
        elif node.status != "running":
            reasons.append(f"{name} is {node.status}")
    return reasons


def _reconciliation(risk: ActorSnapshot | None, execution: ActorSnapshot | None) -> list[str]:
    reasons = []
    for node, name in ((execution, "execution"), (risk, "risk")):
        summary = node.summary if node is not None else {}
        if summary.get("reconciled") is not True:
            detail = summary.get("reconcile_detail") or "not yet"
            reasons.append(f"reconciliation has not completed ({name}: {detail})")
    return reasons


def _halt(risk: ActorSnapshot | None) -> list[str]:
    summary = risk.summary if risk is not None else {}
    halted = summary.get("halted")
    if halted is False:
        return []
    if halted is True:
        return [f"trading is halted: {summary.get('halt_reason') or 'no reason given'}"]
    return ["risk publishes no halt state"]


def _feed(feed: ActorSnapshot | None) -> list[str]:
    summary = feed.summary if feed is not None else {}
    markets = summary.get("markets")
    if not isinstance(markets, dict) or not markets:
        state = summary.get("connection", {}).get("state", "unknown")
        return [f"feed has no market books yet (connection {state})"]
    reasons = []
    for ticker, market in sorted(markets.items()):
        if not isinstance(market, dict) or market.get("stale") is not False:
            age = market.get("last_update_age_s") if isinstance(market, dict) else None
            since = "never updated" if age is None else f"last update {age}s ago"
            reasons.append(f"feed: {ticker} is stale ({since})")
    return reasons


def _persistence(persistence: ActorSnapshot | None) -> list[str]:
    if persistence is None:
        return ["persistence is not in the tree"]
    reasons = []
    if persistence.summary.get("open") is not True:
        error = persistence.summary.get("last_error") or "not open"
        reasons.append(f"persistence cannot write: ledger {error}")
    if persistence.summary_stale:
        reasons.append("persistence did not answer in time (busy or hung)")
    return reasons


def readiness(snapshot: ActorSnapshot, permanent: Iterable[str]) -> Readiness:
    """Evaluate the five checks on ``snapshot``; ``permanent`` names the permanent workers."""
    risk, execution = snapshot.get("risk"), snapshot.get("execution")
    results = {
        "actors": _actors(snapshot, permanent),
        "reconciliation": _reconciliation(risk, execution),
        "halt": _halt(risk),
        "feed": _feed(snapshot.get("feed")),
        "persistence": _persistence(snapshot.get("persistence")),
    }
    reasons = tuple(reason for found in results.values() for reason in found)
    return Readiness(not reasons, reasons, {name: not found for name, found in results.items()})
