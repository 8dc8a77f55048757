"""Introspection: a frozen picture of the tree, serialisable to JSON with cattrs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs
import cattrs


@attrs.frozen
class FailureInfo:
    """The last abnormal end of a child: what, why, and when (wall-clock seconds)."""

    reason: str
    type: str
    message: str
    at: float


@attrs.frozen
class LatencyHistogram:
    """How long handlers took, over a sample of messages (1 in ``sample_every``).

    ``counts[i]`` is the number of sampled messages that took at most
    ``bounds[i]`` seconds and more than ``bounds[i-1]``; the last count is the
    rest (above the last bound). ``sum_s`` is their total time.
    """

    bounds: tuple[float, ...]
    counts: tuple[int, ...]
    sum_s: float
    sample_every: int


@attrs.frozen
class ActorSnapshot:
    """One node of the tree at one moment.

    Counters (``processed``, ``stale_dropped``, ``dead_letters``) are totals over
    every incarnation of the name. ``inflight_age_s`` is how long the message in
    progress has been running (``None`` when idle). ``summary`` is the actor's
    own ``state_summary()``; when the actor could not answer in time (busy or
    hung) it is the last summary it gave, and ``summary_stale`` is true.
    """

    name: str
    path: str
    kind: str
    status: str
    epoch: int
    restarts: int
    uptime_s: float | None
    mailbox: int
    processed: int
    inflight_age_s: float | None
    stale_dropped: int
    dead_letters: int
    last_failure: FailureInfo | None
    summary: dict[str, Any] = attrs.field(factory=dict)
    summary_stale: bool = False
    handler_latency: LatencyHistogram | None = None
    children: tuple[ActorSnapshot, ...] = ()
    # Message accounting over every incarnation (DESIGN.md §6 invariant 10):
    # received = processed + stale_dropped + runtime_handled + dead_letters + queued
    #            + lost_after_end
    # ``received`` counts envelopes put in a mailbox (stop and summary requests
    # included, as ``runtime_handled``); ``queued`` is the raw mailbox depth (``mailbox``
    # leaves out a pending summary request); ``lost_after_end`` are tells that landed
    # in a mailbox after its incarnation had drained it. Exact once every incarnation
    # has ended (see SupervisionTree.final_snapshot); live, they may be a message apart.
    received: int = 0
    runtime_handled: int = 0
    queued: int = 0
    lost_after_end: int = 0

    def walk(self) -> Iterator[ActorSnapshot]:
        """This node and every node under it, depth first in start order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, name: str) -> ActorSnapshot:
        """The node called ``name``; ``KeyError`` naming it if there is none."""
        node = self.get(name)
        if node is None:
            raise KeyError(name)
        return node

    def get(self, name: str) -> ActorSnapshot | None:
        """The node called ``name``, or ``None`` if there is none (a reader that must
        treat an absent actor as "unknown" rather than fail)."""
        for node in self.walk():
            if node.name == name:
                return node
        return None


_converter = cattrs.Converter()


def snapshot_to_dict(snapshot: ActorSnapshot) -> dict[str, Any]:
    result: dict[str, Any] = _converter.unstructure(snapshot)
    return result


def snapshot_from_dict(data: dict[str, Any]) -> ActorSnapshot:
    return _converter.structure(data, ActorSnapshot)


def snapshot_to_json(snapshot: ActorSnapshot) -> str:
    return json.dumps(snapshot_to_dict(snapshot), sort_keys=True)
