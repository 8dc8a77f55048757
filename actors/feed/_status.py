"""The feed's status: what ``FeedActor.state_summary()`` publishes (frozen; copies only).

Readers (readiness, ``/metrics``, the CLI, the chaos harness) read these
attributes; across the control plane the status travels as JSON and comes
back as the same classes (:func:`supervision.snapshot_from_dict`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import attrs

from actors.feed._books import FeedCounts
from actors.feed._delivery import DeliveryCounts
from supervision import status_type

T = TypeVar("T")


@status_type
@attrs.frozen
class ConnectionStatus:
    """The venue connection.

    ``state`` is ``starting`` (before ``on_start``), ``connecting`` (first
    attempt under way), ``connected`` or ``waiting`` (lost or refused, retrying
    in ``retry_in_s``). ``number`` is the live connection's number (0 while
    there is none); ``last_disconnect`` why the last one ended or failed.
    """

    state: str
    number: int = 0
    reconnects: int = 0
    connect_failures: int = 0
    last_disconnect: str | None = None
    retry_in_s: float | None = None


@status_type
@attrs.frozen
class MarketFeedStatus:
    """One market's stream: its phase (a ``MarketPhase`` value), subscription id,
    last accepted ``seq``, seconds since its last accepted frame, whether it may
    not be traded (``stale``), its gaps and resyncs, and the delivery state: the
    ``seq`` of the update awaiting the consumer's ack, and whether a newer book
    waits behind it (``pending``)."""

    phase: str
    sid: int | None
    seq: int | None
    last_update_age_s: float | None
    stale: bool
    gaps: int
    resyncs: int
    in_flight_seq: int | None
    pending: bool


@status_type
@attrs.frozen
class FeedStatus:
    """The feed actor's status. ``counts`` (frames, books, gaps, rejections per reason
    and market ...) and ``updates`` (conflated delivery, coalesced bursts) are copies
    of the actor's counters. Before ``on_start`` has built the books, ``connection.state`` is
    ``starting``, ``markets`` is empty and every count is 0. ``venue_lag_s`` is how far
    behind the venue the last time-stamped frame was (``venue_lag_worst_s`` the most
    on this connection; :mod:`actors.feed._venue_time`), None before the first.
    ``stream_confirmed_age_s`` is how long ago the stream was last confirmed current
    (by a frame or a pong: :mod:`actors.feed._books`), None while nothing has been."""

    consumer: str | None
    connection: ConnectionStatus
    markets: dict[str, MarketFeedStatus] = attrs.Factory(dict)
    counts: FeedCounts = attrs.Factory(FeedCounts)
    updates: DeliveryCounts = attrs.Factory(DeliveryCounts)
    reconnects: int = 0
    late_messages: int = 0
    unknown_messages: int = 0
    venue_lag_s: float | None = None
    venue_lag_worst_s: float = 0.0
    stream_confirmed_age_s: float | None = None


_STATE_ORDER = ("starting", "connecting", "waiting", "connected")
"""Connection states from the least to the most able to trade: the merged state of
several connections is the least able of theirs."""


def merged_status(parts: Sequence[FeedStatus]) -> FeedStatus:
    """One status for several feeds that split the markets between them (the feed's
    workers, each a shard: ``FeedConfig.shard``), as readers of one feed expect it.

    Markets: the union. Counts: summed, per reason and market too. Connection: the
    least able state of any (``connected`` only when every one is), reconnects and
    failures summed, the first ``last_disconnect`` (``worker i: …``, ``i`` its place
    in ``parts``) and the soonest retry. Venue lag: the worst (None while no feed has
    measured one); ``stream_confirmed_age_s``: the oldest (None while any feed has no
    confirmation). Raises ``ValueError`` for no parts."""
    if not parts:
        raise ValueError("merged_status needs at least one status")
    if len(parts) == 1:
        return parts[0]
    connections = [part.connection for part in parts]
    known = [c.state for c in connections if c.state in _STATE_ORDER]
    state = min(known, key=_STATE_ORDER.index) if len(known) == len(connections) else "starting"
    retries = [c.retry_in_s for c in connections if c.retry_in_s is not None]
    lags = [part.venue_lag_s for part in parts if part.venue_lag_s is not None]
    confirmed = [p.stream_confirmed_age_s for p in parts if p.stream_confirmed_age_s is not None]
    markets: dict[str, MarketFeedStatus] = {}
    for part in parts:
        markets.update(part.markets)
    return FeedStatus(
        parts[0].consumer,
        ConnectionStatus(
            state=state,
            number=sum(c.number for c in connections),
            reconnects=sum(c.reconnects for c in connections),
            connect_failures=sum(c.connect_failures for c in connections),
            last_disconnect=next(
                (
                    f"worker {index}: {c.last_disconnect}"
                    for index, c in enumerate(connections)
                    if c.last_disconnect
                ),
                None,
            ),
            retry_in_s=min(retries) if retries else None,
        ),
        markets=markets,
        counts=_summed(FeedCounts, [part.counts for part in parts]),
        updates=_summed(DeliveryCounts, [part.updates for part in parts]),
        reconnects=sum(part.reconnects for part in parts),
        late_messages=sum(part.late_messages for part in parts),
        unknown_messages=sum(part.unknown_messages for part in parts),
        venue_lag_s=max(lags) if lags else None,
        venue_lag_worst_s=max(part.venue_lag_worst_s for part in parts),
        stream_confirmed_age_s=max(confirmed) if len(confirmed) == len(parts) else None,
    )


def _summed(cls: type[T], parts: Sequence[T]) -> T:
    """Field-wise sums of counters: ints added, ``key -> int`` and ``key -> key -> int``
    mappings added key by key."""
    values: dict[str, Any] = {}
    for field in attrs.fields(cls):  # type: ignore[arg-type]
        items = [getattr(part, field.name) for part in parts]
        values[field.name] = _summed_mappings(items) if isinstance(items[0], dict) else sum(items)
    return cls(**values)


def _summed_mappings(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for item in items:
        for key, value in item.items():
            if isinstance(value, dict):
                total[key] = _summed_mappings([total.get(key, {}), value])
            else:
                total[key] = total.get(key, 0) + value
    return total
