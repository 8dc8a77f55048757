"""The feed's status: what ``FeedActor.state_summary()`` publishes (frozen; copies only).

Readers (readiness, ``/metrics``, the CLI, the chaos harness) read these
attributes; across the control plane the status travels as JSON and comes
back as the same classes (:func:`supervision.snapshot_from_dict`).
"""

from __future__ import annotations

import attrs

from actors.feed._books import FeedCounts
from actors.feed._delivery import DeliveryCounts
from supervision import status_type


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
