"""``GET /metrics``: Prometheus text exposition built from one tree snapshot per scrape.

Nothing is counted here: every value is read at scrape time from the
snapshot (runtime counters) and from the actors' published
``state_summary()`` (domain counters), through a one-off
``CollectorRegistry``. Counters are totals over every incarnation where the
runtime keeps them (restarts, messages processed); the domain counters live in
an actor's state and start again from zero when that actor restarts, which
Prometheus's ``rate()`` treats as a counter reset.

The families of an actor that publishes no status of its kind (absent from
the tree, restarting and not yet answered, or a status of another class) are
left out of the exposition, never reported as zero. A feed that has not built
its books yet publishes no markets, so no market series.

Families (``actor`` / ``market`` / ``reason`` / ``state`` labels):

- ``warden_actor_restarts_total``, ``warden_actor_messages_processed_total``,
  ``warden_actor_dead_letters_total``, ``warden_actor_stale_dropped_total``
- ``warden_actor_status`` (1 for the current status, 0 for the others),
  ``warden_actor_epoch``, ``warden_actor_mailbox_depth``,
  ``warden_actor_uptime_seconds``, ``warden_actor_inflight_seconds``,
  ``warden_actor_handler_seconds`` (histogram; sampled on 1 message in 16)
- ``warden_orders_sent_total``, ``warden_venue_errors_total``,
  ``warden_fills_total``, ``warden_risk_rejections_total{reason}``
- ``warden_exposure_dollars{market}``, ``warden_exposure_event_dollars{event}``,
  ``warden_exposure_total_dollars``,
  ``warden_exposure_limit_dollars{limit}``, ``warden_risk_limit{limit}`` (count limits)

Money is exact ``Decimal`` dollars everywhere else; it becomes a float only
here, at exposition (Prometheus samples are floats by nature).
- ``warden_breaker_state{state}``, ``warden_breaker_opened_total``,
  ``warden_halted``, ``warden_ready``
- ``warden_feed_staleness_seconds{market}``, ``warden_feed_market_stale{market}``,
  ``warden_feed_venue_lag_seconds`` (the stream's lag behind the venue's time stamps),
  ``warden_feed_stream_confirmed_age_seconds`` (since the stream was last confirmed current)
- ``warden_reservations{state="held"|"in_doubt"}``
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import attrs
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from actors.execution import ExecutionStatus
from actors.feed import FeedStatus
from actors.risk import RiskLimits, RiskStatus
from supervision import ActorSnapshot
from warden.control._readiness import Readiness

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
STATUSES = ("idle", "starting", "running", "stopping", "restarting", "stopped", "failed")
BREAKER_STATES = ("closed", "open", "half_open")


def _actor_families(snapshot: ActorSnapshot) -> Iterator[Metric]:
    workers = [node for node in snapshot.walk() if node.kind == "worker"]
    counters = {
        "restarts": ("Restarts of the actor since the daemon started.", "restarts"),
        "messages_processed": ("Messages handled, over every incarnation.", "processed"),
        "dead_letters": ("Messages left in a mailbox when an incarnation ended.", "dead_letters"),
        "stale_dropped": ("Messages dropped as sent by a stale incarnation.", "stale_dropped"),
    }
    for metric, (text, field) in counters.items():
        family = CounterMetricFamily(f"warden_actor_{metric}", text, labels=["actor"])
        for node in workers:
            family.add_metric([node.name], getattr(node, field))
        yield family
    status = GaugeMetricFamily(
        "warden_actor_status", "1 for the actor's current status.", labels=["actor", "status"]
    )
    epoch = GaugeMetricFamily("warden_actor_epoch", "Current incarnation.", labels=["actor"])
    mailbox = GaugeMetricFamily(
        "warden_actor_mailbox_depth", "Messages waiting in the mailbox.", labels=["actor"]
    )
    uptime = GaugeMetricFamily(
        "warden_actor_uptime_seconds", "Seconds since this incarnation started.", labels=["actor"]
    )
    inflight = GaugeMetricFamily(
        "warden_actor_inflight_seconds",
        "How long the message in progress has been running (0 when idle).",
        labels=["actor"],
    )
    for node in workers:
        for name in STATUSES:
            status.add_metric([node.name, name], 1.0 if node.status == name else 0.0)
        epoch.add_metric([node.name], node.epoch)
        mailbox.add_metric([node.name], node.mailbox)
        uptime.add_metric([node.name], node.uptime_s or 0.0)
        inflight.add_metric([node.name], node.inflight_age_s or 0.0)
    yield from (status, epoch, mailbox, uptime, inflight)
    yield _handler_latency(workers)


def _handler_latency(workers: list[ActorSnapshot]) -> Metric:
    """The runtime's sampled handler latency (1 message in ``sample_every``) per actor."""
    family = HistogramMetricFamily(
        "warden_actor_handler_seconds",
        "Time one message handler took, sampled on 1 message in 16 (all incarnations).",
        labels=["actor"],
    )
    for node in workers:
        histogram = node.handler_latency
        if histogram is None:
            continue
        cumulative, buckets = 0, []
        for bound, count in zip(histogram.bounds, histogram.counts, strict=False):
            cumulative += count
            buckets.append((repr(bound), cumulative))
        buckets.append(("+Inf", sum(histogram.counts)))
        family.add_metric([node.name], buckets, sum_value=histogram.sum_s)
    return family


def _trading_families(snapshot: ActorSnapshot) -> Iterator[Metric]:
    execution = snapshot.status_of("execution", ExecutionStatus)
    if execution is not None:
        yield CounterMetricFamily(
            "warden_orders_sent", "Orders sent to the venue.", value=execution.counts.orders_sent
        )
        yield CounterMetricFamily(
            "warden_venue_errors", "Venue calls that failed.", value=execution.counts.venue_errors
        )
    risk = snapshot.status_of("risk", RiskStatus)
    if risk is None:
        return
    yield CounterMetricFamily("warden_fills", "Fills booked by risk.", value=risk.counts.fills)
    rejections = CounterMetricFamily(
        "warden_risk_rejections", "Reservations refused, by reason.", labels=["reason"]
    )
    for reason, count in sorted(attrs.asdict(risk.rejections).items()):
        rejections.add_metric([reason], count)
    yield rejections
    by_market = GaugeMetricFamily(
        "warden_exposure_dollars", "Worst-case exposure by market, dollars.", labels=["market"]
    )
    for market, dollars in sorted(risk.exposure.by_market.items()):
        by_market.add_metric([market], float(dollars))
    yield by_market
    by_event = GaugeMetricFamily(
        "warden_exposure_event_dollars",
        "Worst-case exposure by event (only complete sets hedge), dollars.",
        labels=["event"],
    )
    for event, dollars in sorted(risk.exposure.by_event.items()):
        by_event.add_metric([event], float(dollars))
    yield by_event
    yield GaugeMetricFamily(
        "warden_exposure_total_dollars",
        "Worst-case exposure, all events, dollars.",
        float(risk.exposure.total),
    )
    yield from _limit_families(risk.limits)
    yield from _safety_families(risk)


def _limit_families(limits: RiskLimits) -> Iterator[Metric]:
    """Every configured limit: money ones (``Decimal`` dollars) and counts."""
    money = GaugeMetricFamily(
        "warden_exposure_limit_dollars", "Configured money limits, dollars.", labels=["limit"]
    )
    counts = GaugeMetricFamily(
        "warden_risk_limit", "Configured limits that are counts.", labels=["limit"]
    )
    for limit, value in sorted(attrs.asdict(limits).items()):
        if value is None:  # an optional limit not set (max_event_exposure: the total's applies)
            continue
        if isinstance(value, Decimal):
            money.add_metric([limit], float(value))
        else:
            counts.add_metric([limit], value)
    yield from (money, counts)


def _safety_families(risk: RiskStatus) -> Iterator[Metric]:
    state = GaugeMetricFamily(
        "warden_breaker_state", "1 for the circuit breaker's state.", labels=["state"]
    )
    for name in BREAKER_STATES:
        state.add_metric([name], 1.0 if risk.breaker.state == name else 0.0)
    yield state
    yield CounterMetricFamily(
        "warden_breaker_opened", "Times the breaker opened.", value=risk.breaker.times_opened
    )
    yield GaugeMetricFamily("warden_halted", "1 while the kill switch is on.", risk.halted)
    held = GaugeMetricFamily("warden_reservations", "Reservations by state.", labels=["state"])
    held.add_metric(["held"], len(risk.reservations.held))
    held.add_metric(["in_doubt"], len(risk.reservations.in_doubt))
    yield held


def _feed_families(snapshot: ActorSnapshot) -> Iterator[Metric]:
    feed = snapshot.status_of("feed", FeedStatus)
    if feed is None:
        return
    age = GaugeMetricFamily(
        "warden_feed_staleness_seconds",
        "Seconds since the market's last accepted update (absent before the first).",
        labels=["market"],
    )
    stale = GaugeMetricFamily(
        "warden_feed_market_stale", "1 while the market is not tradeable.", labels=["market"]
    )
    for ticker, market in sorted(feed.markets.items()):
        if market.last_update_age_s is not None:
            age.add_metric([ticker], market.last_update_age_s)
        stale.add_metric([ticker], 1.0 if market.stale else 0.0)
    yield from (age, stale)
    if feed.venue_lag_s is not None:
        yield GaugeMetricFamily(
            "warden_feed_venue_lag_seconds",
            "How far behind the venue's own time stamps the stream's last stamped frame"
            " was (clock offset measured per connection).",
            feed.venue_lag_s,
        )
    if feed.stream_confirmed_age_s is not None:
        yield GaugeMetricFamily(
            "warden_feed_stream_confirmed_age_seconds",
            "How long ago the stream was last confirmed current (a frame or a pong); a"
            " quiet market's book is as old as this.",
            feed.stream_confirmed_age_s,
        )


class _SnapshotCollector:
    def __init__(self, snapshot: ActorSnapshot, ready: Readiness) -> None:
        self.snapshot = snapshot
        self.ready = ready

    def collect(self) -> Iterator[Metric]:
        yield from _actor_families(self.snapshot)
        yield from _trading_families(self.snapshot)
        yield from _feed_families(self.snapshot)
        yield GaugeMetricFamily("warden_ready", "1 when /readyz answers 200.", self.ready.ready)


def render_metrics(snapshot: ActorSnapshot, ready: Readiness) -> bytes:
    """The Prometheus text exposition (format 0.0.4) of ``snapshot``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snapshot, ready))
    return generate_latest(registry)
