"""From configuration to the daemon's five child specs (DESIGN.md §5).

Order matters: children start in this order and stop in reverse, and the
daemon's supervisor is ``rest_for_one``, so a restart of one actor restarts
every actor after it. persistence → risk → execution → strategy → feed:
risk needs a ledger, execution must reconcile with the venue (and risk must
hear it) before any order, the strategy needs risk, and the feed needs a
consumer. Persistence stops last, after every writer.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import attrs

from actors.execution import Deadlines, ExecutionActor, ExecutionConfig, RetryPolicy
from actors.execution import RateLimit as OrderRateLimit
from actors.feed import FeedActor, FeedConfig, FeedProcessActor
from actors.fees import FeeModel
from actors.persistence import (
    LedgerFills,
    PersistenceActor,
    open_reservations,
    recorded_events,
    standing_halt,
)
from actors.risk import BasketPolicy, BreakerConfig, RiskActor, RiskLimits
from actors.strategy import Strategy, StrategyActor, StrategySettings, build_strategies
from actors.venues import MarketDataProtocol, TradingVenue
from actors.venues.kalshi import (
    KALSHI_MARKET_DATA,
    KalshiMarketData,
    KalshiTrading,
    PrivateSettings,
)
from actors.venues.kalshi._limits import KalshiRateLimiter
from actors.venues.kalshi._signing import KalshiSigner
from actors.venues.polymarket import (
    PaperTrading,
    PolymarketAccount,
    PolymarketMarket,
    PolymarketMarketData,
    PolymarketTrading,
)
from supervision import BackoffPolicy, ChildSpec, Jitter, SupervisedActor
from warden.config import Config
from warden.venue_target import PolymarketTarget

FEES = FeeModel()
"""Kalshi's fees (7% taker, no maker fee, $0.01 balance steps): what the actors price
with on Kalshi and the simulated venue (:func:`venue_fees`). Strategies, the strategy
actor's baskets and risk must agree on them."""


@attrs.frozen
class PolymarketSide:
    """What a Polymarket venue needs besides its URLs: the target (paper or live, keys
    loaded only when called) and the markets listed at start."""

    target: PolymarketTarget
    markets: tuple[PolymarketMarket, ...]


@attrs.frozen
class VenueUrls:
    """Where the venue is, and how to speak to it: ``signer`` signs every request
    (Kalshi; None: the simulated venue, unsigned) and ``tier`` names Kalshi's
    rate-limit tier (None: the ``[execution]`` per-endpoint limits)."""

    base: str
    rest: str
    ws: str
    signer: KalshiSigner | None = attrs.field(default=None, repr=False, eq=False)
    tier: str | None = None
    polymarket: PolymarketSide | None = attrs.field(default=None, repr=False, eq=False)
    signer_source: Callable[[], KalshiSigner] | None = attrs.field(
        default=None, repr=False, eq=False
    )
    """What loaded ``signer`` (a :class:`~warden.venue_target.KalshiSignerFactory`): the
    feed's worker process loads its own key with it (:class:`FeedRecipe`)."""

    @classmethod
    def from_base(
        cls, base: str, *, signer: KalshiSigner | None = None, tier: str | None = None
    ) -> VenueUrls:
        """``http://host:port`` → Kalshi-v2-shaped REST and websocket URLs."""
        base = base.rstrip("/")
        ws_base = "ws" + base.removeprefix("http")  # http→ws, https→wss
        return cls(base, f"{base}/trade-api/v2", f"{ws_base}/trade-api/ws/v2", signer, tier)

    @classmethod
    def of(
        cls,
        rest: str,
        ws: str,
        *,
        signer: KalshiSigner | None,
        tier: str | None,
        polymarket: PolymarketSide | None = None,
        signer_source: Callable[[], KalshiSigner] | None = None,
    ) -> VenueUrls:
        """A venue given by its REST base (Kalshi's ends ``/trade-api/v2``) and
        websocket URL."""
        base = rest.removesuffix("/trade-api/v2")
        return cls(base, rest, ws, signer, tier, polymarket, signer_source)


def trading_venue(
    urls: VenueUrls, db: Path | None = None, *, private: PrivateSettings | None = None
) -> TradingVenue:
    """Execution's side of the venue seam: Polymarket's (paper: fills simulated
    against the public book, kept in ``polymarket-paper.db`` beside the ledger
    ``db``; live: signed orders journalled in ``polymarket-orders.db`` beside it),
    else Kalshi's wire (which the simulated venue speaks), signed and paced by
    Kalshi's token buckets when ``urls`` says so, hearing the private ``user_orders``
    and ``fill`` channels at ``urls.ws`` (``private``: their keep-alive and backoff;
    none: the defaults)."""
    if urls.polymarket is not None:
        return _polymarket_trading(urls.polymarket, (db or Path("warden.db")).parent)
    tier = urls.tier
    limiter = (lambda: KalshiRateLimiter(tier)) if tier is not None else None
    return KalshiTrading(
        signer=urls.signer,
        limiter_factory=limiter,
        private=private if private is not None else PrivateSettings(urls.ws),
    )


def _polymarket_trading(side: PolymarketSide, directory: Path) -> TradingVenue:
    target = side.target
    if target.paper:
        assert target.paper_cash is not None, "a paper target has its cash"
        return PaperTrading(side.markets, directory / "polymarket-paper.db", target.paper_cash)
    assert target.wallet is not None, "a live target has a wallet"
    assert target.credentials is not None, "a live target has API credentials"
    account = PolymarketAccount(
        target.credentials(),
        target.wallet(),
        directory / "polymarket-orders.db",
        signature_type=target.signature_type,
        funder=target.funder,
        chain_id=target.chain_id,
    )
    markets = {market.condition_id: market for market in side.markets}
    return PolymarketTrading(markets, account, heartbeat_s=target.heartbeat_s)


def _market_data(urls: VenueUrls) -> MarketDataProtocol:
    """The feed's side of the venue seam: Polymarket's market channel (its listed
    markets), else Kalshi's stream, signed when ``urls`` carries a signer."""
    if urls.polymarket is not None:
        target = urls.polymarket.target
        registry = {market.condition_id: market for market in urls.polymarket.markets}
        return PolymarketMarketData(registry, gamma_url=target.gamma_url, clob_url=target.rest_url)
    return KALSHI_MARKET_DATA if urls.signer is None else KalshiMarketData(urls.signer)


RISK_START_TIMEOUT_S = 120.0
"""How long risk's start may take. It books the fills recorded since its checkpoint,
but every fill the ledger holds when there is none or it is ignored (a first start
after an upgrade, a ledger restored from a backup): ~2.4 s for 100,000 fills on the
2-core VM (benchmarks/restart.py). Under the runtime's default 5 s a larger ledger or
a slower machine would fail every such start and the supervisor would give up: a
daemon that could never start again. Slow, not dead (issue 15)."""


def feed_config(config: Config, urls: VenueUrls) -> FeedConfig:
    """The feed's side: Kalshi's stream (which the simulated venue speaks), its
    handshake and discovery signed when ``urls`` carries a signer; a Kalshi venue's
    markets are those ``[venue]`` selects (tickers, series, events)."""
    feed, venue = config.feed, config.venue
    kalshi = venue.kind in ("kalshi", "polymarket")  # markets chosen by [venue]
    market_data = _market_data(urls)
    return FeedConfig(
        ws_url=urls.ws,
        rest_url=urls.rest,
        tickers=tuple(venue.tickers) if kalshi else (),
        series=tuple(venue.series) if kalshi else (),
        events=tuple(venue.events) if kalshi else (),
        market_data=market_data,
        max_overlap=feed.max_overlap,
        stale_after_s=feed.stale_after_s,
        silence_timeout_s=feed.silence_timeout_s,
        ping_interval_s=feed.ping_interval_s,
        reconnect_backoff=BackoffPolicy(
            Jitter.FULL, base=feed.reconnect_base_s, cap=feed.reconnect_cap_s
        ),
        max_pending_subscriptions=feed.max_pending_subscriptions,
        max_backlog_frames=feed.max_backlog_frames,
    )


@attrs.frozen
class FeedRecipe:
    """The feed's config, built again in the feed's worker process (``[feed] process``):
    ``feed`` is :func:`feed_config` without the venue's key, and ``signer`` (Kalshi's
    :class:`~warden.venue_target.KalshiSignerFactory`, None for an unsigned venue)
    loads the key there, from the file or the environment variable it was loaded from
    at start. Picklable; no key is ever in it."""

    feed: FeedConfig
    signer: Callable[[], KalshiSigner] | None = attrs.field(default=None, repr=False)

    def __call__(self) -> FeedConfig:
        if self.signer is None:
            return self.feed
        return attrs.evolve(self.feed, market_data=KalshiMarketData(self.signer()))


def feed_factory(config: Config, urls: VenueUrls) -> Callable[[], SupervisedActor]:
    """How the feed child is built: a :class:`~actors.feed.FeedActor` in the daemon's
    process, or with ``[feed] process = true`` a :class:`~actors.feed.FeedProcessActor`
    running it in ``[feed] workers`` worker processes (each a shard of the markets).
    Raises ``ValueError`` (said as a config problem) when the worker could not be given
    what it needs (a key loaded from nowhere it can load it again, a venue description
    that cannot cross to another process)."""
    feed = feed_config(config, urls)
    if not config.feed.process:
        return lambda: FeedActor(feed)
    if urls.signer is not None and urls.signer_source is None:
        raise ValueError("[feed] process = true: the venue's key has no source to load it from")
    unsigned = attrs.evolve(urls, signer=None)
    recipe = FeedRecipe(feed_config(config, unsigned), urls.signer_source)
    try:
        pickle.dumps(recipe)
    except (TypeError, AttributeError, pickle.PicklingError) as error:
        raise ValueError(
            f"[feed] process = true: the feed's venue cannot be sent to a worker process ({error})"
        ) from None
    workers = config.feed.workers
    return lambda: FeedProcessActor(recipe, workers=workers)


def ledger_client_settings(config: Config) -> tuple[float, BackoffPolicy]:
    """``(record_timeout, ledger_retry)`` for risk and execution, from ``[ledger]``:
    both write through a ledger client, and both treat the ledger the same way."""
    ledger = config.ledger
    retry = BackoffPolicy(Jitter.FULL, base=ledger.retry_base_s, cap=ledger.retry_cap_s)
    return ledger.record_timeout_s, retry


def private_settings(config: Config, urls: VenueUrls) -> PrivateSettings:
    """Kalshi's private channels at ``urls.ws``, kept alive and reconnected as the
    feed's market channel is (``[feed]`` ping, silence and reconnect settings)."""
    feed = config.feed
    return PrivateSettings(
        urls.ws,
        ping_interval_s=feed.ping_interval_s,
        silence_timeout_s=feed.silence_timeout_s,
        reconnect=BackoffPolicy(Jitter.FULL, base=feed.reconnect_base_s, cap=feed.reconnect_cap_s),
    )


def execution_config(config: Config, urls: VenueUrls) -> ExecutionConfig:
    execution = config.execution
    record_timeout, ledger_retry = ledger_client_settings(config)
    deadline = execution.request_timeout_s
    rate = OrderRateLimit(execution.orders_per_second, max(1, int(execution.orders_per_second)))
    return ExecutionConfig(
        rest_url=urls.rest,
        deadlines=Deadlines(submit=deadline, query=deadline, cancel=deadline),
        retry=RetryPolicy(
            max_attempts=execution.max_retries + 1,
            base=execution.retry_base_s,
            cap=execution.retry_cap_s,
        ),
        rate_limits={"create_order": rate, "cancel_order": rate, "*": OrderRateLimit(20.0, 20)},
        dry_run=config.daemon.dry_run,
        venue=trading_venue(urls, Path(config.daemon.db), private=private_settings(config, urls)),
        record_timeout=record_timeout,
        ledger_retry=ledger_retry,
        # A request a killed process or crashed incarnation had in flight must land
        # (or die) before reconciliation lists the venue.
        reconcile_settle_s=execution.request_timeout_s + 1.0,
        # Reconciliation lists from the venue's clock as the ledger last recorded it
        # (less a margin) and looks up the open orders it did not list: a restart
        # costs the time since the last reconciliation, not the venue's history.
        ledger_path=Path(config.daemon.db),
    )


def venue_fees(urls: VenueUrls) -> FeeModel:
    """The fees strategy and risk price with: the venue's own. Polymarket's (paper or
    live) at the highest taker rate of the markets listed at start; Kalshi's otherwise."""
    if urls.polymarket is None:
        return FEES
    return FeeModel.polymarket(market.fee_rate for market in urls.polymarket.markets)


def strategy_settings(config: Config, fees: FeeModel = FEES) -> StrategySettings:
    """What the built-in strategies take from the config besides their own options."""
    strategy = config.strategy
    return StrategySettings(fees, strategy.min_edge, strategy.max_count)


def strategies_of(config: Config, fees: FeeModel = FEES) -> tuple[Strategy, ...]:
    """``strategy.use`` built, fresh (strategies keep state: one set per incarnation).
    The config was checked when loaded; raises ``StrategyLoadError`` only if operator
    code changed since."""
    strategy = config.strategy
    return build_strategies(strategy.use, strategy.options, strategy_settings(config, fees))


def basket_policy(config: Config) -> BasketPolicy:
    baskets = config.baskets
    return BasketPolicy(
        baskets.complete_within_s, baskets.complete_slippage, baskets.max_complete_attempts
    )


def risk_limits(config: Config) -> tuple[RiskLimits, BreakerConfig]:
    risk = config.risk
    return (
        RiskLimits(
            max_market_exposure=risk.max_market_exposure,
            max_total_exposure=risk.max_total_exposure,
            max_concurrent_markets=risk.max_concurrent_markets,
            max_daily_loss=risk.max_daily_loss,
            max_event_exposure=risk.max_event_exposure,
            max_reservations_per_event=risk.max_reservations_per_event,
        ),
        BreakerConfig(
            failure_threshold=risk.breaker_failures,
            window_s=risk.breaker_window_s,
            cooldown_s=risk.breaker_cooldown_s,
            half_open_max_reservations=risk.breaker_half_open_max,
        ),
    )


def build_children(config: Config, urls: VenueUrls) -> tuple[ChildSpec, ...]:
    """The five actors as child specs, in start order."""
    hang = config.supervision.hang_timeout_s
    limits, breaker = risk_limits(config)
    record_timeout, ledger_retry = ledger_client_settings(config)
    strategy = config.strategy
    policy = basket_policy(config)
    fees = venue_fees(urls)
    strategies_of(config, fees)  # fail here, before anything starts, if operator code broke
    feed = feed_factory(config, urls)
    execution = execution_config(config, urls)
    db = Path(config.daemon.db)
    intent_sync: Literal["FULL", "NORMAL"] = (
        "FULL" if config.daemon.intent_sync == "full" else "NORMAL"
    )
    return (
        ChildSpec(
            name="persistence",
            factory=lambda: PersistenceActor(db, intent_sync=intent_sync),
            hang_timeout=hang,
        ),
        ChildSpec(
            name="risk",
            factory=lambda: RiskActor(
                limits,
                breaker,
                basket_policy=policy,
                fees=fees,
                recorded_events=lambda: recorded_events(db),
                strategy="strategy",
                standing_halt=lambda: standing_halt(db),
                open_reservations=lambda: open_reservations(db),
                ledger_fills=LedgerFills(db),
                record_timeout=record_timeout,
                ledger_retry=ledger_retry,
            ),
            hang_timeout=hang,
            start_timeout=RISK_START_TIMEOUT_S,
        ),
        ChildSpec(name="execution", factory=lambda: ExecutionActor(execution), hang_timeout=hang),
        ChildSpec(
            name="strategy",
            factory=lambda: StrategyActor(
                strategies_of(config, fees),
                schedule=fees.schedule,
                max_book_age_s=strategy.max_book_age_s,
                repeat_after_s=strategy.repeat_after_s,
            ),
            hang_timeout=hang,
        ),
        ChildSpec(name="feed", factory=feed, hang_timeout=hang),
    )
