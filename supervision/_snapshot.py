"""Introspection: a frozen picture of the tree, serialisable to JSON with cattrs.

Each worker's status (its ``state_summary()``) is an instance of a frozen attrs
class registered with :func:`status_type`. In JSON it is the class's fields plus
``"type": "<registered name>"``; :func:`snapshot_from_dict` turns it back into
that class, so a reader across the wire (the CLI, the chaos harness) reads the
same typed attributes as one in the process. An unregistered status is a
programming error and raises ``TypeError`` naming the class; JSON naming an
unknown type raises ``ValueError`` naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from supervision.decimal_json import register_decimal_hooks

T = TypeVar("T")

_STATUS_TYPES: dict[str, type[Any]] = {}

STATUS_TYPE_KEY = "type"


def status_type(cls: type[T]) -> type[T]:
    """Class decorator: register a frozen attrs class as an actor status, by its name.

    Two different classes may not share a name (``ValueError``); a class that is
    not a frozen attrs class is refused (``TypeError``).
    """
    if not attrs.has(cls) or cls.__setattr__ is object.__setattr__:
        raise TypeError(f"status type {cls.__qualname__} must be a frozen attrs class")
    known = _STATUS_TYPES.setdefault(cls.__name__, cls)
    if known is not cls:
        raise ValueError(
            f"status type name {cls.__name__!r} is taken by {known.__module__}.{known.__qualname__}"
        )
    return cls


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
    own ``state_summary()`` (a registered status class, or ``None``); when the
    actor could not answer in time (busy or hung) it is the last summary it
    gave, and ``summary_stale`` is true. Read it with :meth:`status_of`.
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
    summary: object | None = None
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

    def status_of(self, name: str, kind: type[T]) -> T | None:
        """The status of the node called ``name`` if it is a ``kind``; ``None`` when
        there is no such node or it has published no status of that kind (yet)."""
        node = self.get(name)
        if node is None or not isinstance(node.summary, kind):
            return None
        return node.summary


_converter = cattrs.Converter()


register_decimal_hooks(_converter)


def _unstructure_status(status: object | None) -> dict[str, Any] | None:
    if status is None:
        return None
    kind = type(status)
    if _STATUS_TYPES.get(kind.__name__) is not kind:
        raise TypeError(
            f"{kind.__module__}.{kind.__qualname__} is not a registered status type "
            "(decorate it with supervision.status_type)"
        )
    data: dict[str, Any] = _converter.unstructure(status, kind)
    return {STATUS_TYPE_KEY: kind.__name__, **data}


def _structure_status(data: dict[str, Any] | None, _: Any) -> object | None:
    if data is None:
        return None
    fields = dict(data)
    name = fields.pop(STATUS_TYPE_KEY, None)
    kind = _STATUS_TYPES.get(str(name))
    if kind is None:
        raise ValueError(
            f"unknown status type {name!r} (known: {', '.join(sorted(_STATUS_TYPES))})"
        )
    status: object = _converter.structure(fields, kind)
    return status


_converter.register_unstructure_hook(
    ActorSnapshot,
    make_dict_unstructure_fn(
        ActorSnapshot, _converter, summary=override(unstruct_hook=_unstructure_status)
    ),
)
_converter.register_structure_hook(
    ActorSnapshot,
    make_dict_structure_fn(
        ActorSnapshot, _converter, summary=override(struct_hook=_structure_status)
    ),
)


def status_to_dict(status: object) -> dict[str, Any]:
    """One status as JSON-able data (with its ``type``); ``TypeError`` if unregistered."""
    data = _unstructure_status(status)
    assert data is not None
    return data


def status_from_dict(data: dict[str, Any]) -> object:
    """The status a :func:`status_to_dict` made; ``ValueError`` for an unknown type."""
    return _structure_status(data, object)


def snapshot_to_dict(snapshot: ActorSnapshot) -> dict[str, Any]:
    result: dict[str, Any] = _converter.unstructure(snapshot)
    return result


def snapshot_from_dict(data: dict[str, Any]) -> ActorSnapshot:
    return _converter.structure(data, ActorSnapshot)


def snapshot_to_json(snapshot: ActorSnapshot) -> str:
    return json.dumps(snapshot_to_dict(snapshot), sort_keys=True)
