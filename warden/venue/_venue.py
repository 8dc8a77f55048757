"""One simulated venue's state: configuration, engine, dynamics, fault dice, stream hub.

:class:`SimVenue` is what the HTTP app and the websocket stream operate on;
it is built synchronously from a :class:`VenueConfig` and a clock, so tests
can also drive it without any server.  All its methods run on one trio
thread and never await.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from decimal import Decimal

import attrs
from attrs import field, frozen

from actors import money
from supervision import validators
from warden.venue._auth import load_public_keys
from warden.venue._dynamics import DynamicsConfig, MarketDynamics
from warden.venue._engine import COMPETITOR, DEFAULT_EVENT, HOUSE, TRADER, MatchingEngine
from warden.venue._events import EventDynamics
from warden.venue._faults import FaultDice, Faults
from warden.venue._model import (
    PAYOUT,
    Clock,
    OrderRequest,
    TimeInForce,
    WallClock,
    count_fp,
    dollars,
)
from warden.venue._polymarket_config import PolymarketConfig
from warden.venue._realism import Event, RealismConfig
from warden.venue._shapes import MarketWire, OrderWire, RealismStatsWire, StatsWire
from warden.venue._stream import StreamHub

HOUSE_CASH = Decimal(10**13)
"""Dollars each of the simulator's own accounts (house, competitor) starts with."""

_non_negative_seconds = validators.number(0, inclusive=True, finite=False, unit="seconds")
_id_prefix = validators.rule(
    lambda v: isinstance(v, str) and re.fullmatch(r"[a-z0-9]{0,16}", v) is not None,
    "must be 0-16 characters of [a-z0-9]",
)
"""Seconds >= 0; infinite is allowed (a heartbeat or tick that never comes)."""


def _cash(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if type(value) is not Decimal or not value.is_finite() or value < 0:
        rule = 'must be a Decimal >= 0 in dollars (e.g. Decimal("10000.00"))'
        raise validators.FieldError(type(instance).__name__, attribute.name, value, rule)


def _ticks(
    instance: VenueConfig,
    attribute: attrs.Attribute[Mapping[str, Decimal]],
    value: Mapping[str, Decimal],
) -> None:
    """Each key a ticker of the venue, each value a ``Decimal`` tick that divides one dollar."""
    owner = type(instance).__name__
    if not isinstance(value, Mapping):
        raise validators.FieldError(owner, attribute.name, value, "must map tickers to ticks")
    for ticker, tick in value.items():
        where = f"{attribute.name}[{ticker!r}]"
        if ticker not in instance.tickers:
            rule = f"names no market; the markets are {instance.tickers}"
            raise validators.FieldError(owner, where, tick, rule)
        if type(tick) is not Decimal or not tick.is_finite() or not 0 < tick < PAYOUT:
            raise validators.FieldError(owner, where, tick, "must be a Decimal in (0, 1)")
        if money.decimals_of(tick) > 4 or PAYOUT % tick:
            rule = "must divide one dollar with at most 4 decimals (0.01, 0.001, 0.0001, ...)"
            raise validators.FieldError(owner, where, tick, rule)


def _public_keys(
    instance: object, attribute: attrs.Attribute[Mapping[str, str]], value: Mapping[str, str]
) -> None:
    owner = type(instance).__name__
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()
    ):
        raise validators.FieldError(owner, attribute.name, "<keys>", "must map key ids to PEM text")
    try:
        load_public_keys(value)
    except (ValueError, TypeError) as error:
        raise validators.FieldError(owner, attribute.name, "<keys>", str(error)) from None


@frozen
class VenueConfig:
    """How to run a simulated venue; the server always binds 127.0.0.1.

    ``port=0`` picks a free port (the bound one is reported by
    :func:`serve_venue`).  ``markets`` are named ``SIM-001``, ``SIM-002``,
    ...; the trader account starts with ``trader_cash`` dollars (a ``Decimal``).
    ``ticks`` gives a market its tick grid by ticker (``{"SIM-003":
    Decimal("0.001")}``); a market not named there ticks in cents (0.01).
    The default market set has no sub-penny market: that is opt-in.
    ``fees`` is Kalshi's fee schedule with its rounding.
    ``ping_interval_s`` is how often the websocket server sends a PING control
    frame with body ``heartbeat`` (Kalshi: every 10 s; ``0`` = never);
    ``heartbeat_seconds``, the former name, overrides it when given (``warden
    venue-sim --heartbeat`` still sets it).  ``kalshi_public_keys`` (key id ->
    PEM RSA public key) turns on Kalshi's request signatures: every
    ``/trade-api`` request and websocket handshake must then be signed by one of
    these keys.  ``legacy_fields`` adds the transition-era integer fields
    (:mod:`warden.venue._legacy`) for clients such as Kalshi's SDK 3.2.0.
    ``polymarket`` (a :class:`PolymarketConfig`) is the account of the Polymarket
    dialect (the ``trader``; docs/venue-sim.md); ``fees`` may then be
    ``PolymarketFees`` for Polymarket's taker-only fee.
    """

    port: int = field(default=0, validator=validators.port())
    seed: int = field(default=0, validator=validators.instance_of(int))
    markets: int = field(default=3, validator=validators.integer(1))
    trader_cash: Decimal = field(default=Decimal("10000.00"), validator=_cash)
    # KalshiFees, or PolymarketFees for the Polymarket dialect (taker-only, 5-decimal fees)
    fees: money.KalshiFees | money.PolymarketFees = field(
        factory=money.KalshiFees,
        validator=validators.rule(
            lambda v: isinstance(v, money.KalshiFees | money.PolymarketFees),
            "must be a KalshiFees or a PolymarketFees",
        ),
    )
    ticks: Mapping[str, Decimal] = field(factory=dict, validator=_ticks)
    dynamics: DynamicsConfig = field(factory=DynamicsConfig)
    faults: Faults = field(factory=Faults)
    heartbeat_seconds: float | None = field(
        default=None, validator=validators.optional(_non_negative_seconds)
    )
    # Starts every order and trade id; the embedded venue of `warden run` sets one per
    # start, because its ledger outlives it (ids of an earlier run must not recur).
    id_prefix: str = field(default="", validator=_id_prefix)
    # None: today's venue, byte for byte. A RealismConfig: reciprocal never-crossed books,
    # Kalshi's self-trade prevention, events and event dynamics (docs/venue-sim.md).
    realism: RealismConfig | None = field(
        default=None, validator=validators.optional(validators.instance_of(RealismConfig))
    )

    ping_interval_s: float = field(default=10.0, validator=_non_negative_seconds)
    # key ids -> PEM public keys: not secret, but long; the repr shows the key ids only
    kalshi_public_keys: Mapping[str, str] = field(
        factory=dict, validator=_public_keys, repr=lambda keys: repr(sorted(keys))
    )
    legacy_fields: bool = field(default=False, validator=validators.instance_of(bool))
    # The Polymarket dialect's account (docs/venue-sim.md, "Polymarket dialect"); None:
    # its public paths are served, its trading calls refused.
    polymarket: PolymarketConfig | None = field(
        default=None, validator=validators.optional(validators.instance_of(PolymarketConfig))
    )

    @property
    def ping_seconds(self) -> float:
        """Seconds between websocket PINGs: ``heartbeat_seconds`` if given, else
        ``ping_interval_s``; 0 (or infinite) means none."""
        return self.ping_interval_s if self.heartbeat_seconds is None else self.heartbeat_seconds

    @property
    def tickers(self) -> list[str]:
        """``SIM-001`` ... (``markets`` of them), or the events' markets in the realistic mode."""
        if self.realism is not None:
            return [ticker for event in self.realism.layout for ticker in event.tickers]
        return [f"SIM-{number:03d}" for number in range(1, self.markets + 1)]

    @property
    def events(self) -> tuple[Event, ...]:
        """The events of the realistic mode; none otherwise."""
        return self.realism.layout if self.realism is not None else ()

    def market_ticks(self) -> dict[str, Decimal]:
        """Each market's tick where it is not a cent: its event's, then ``ticks`` overrides."""
        ticks = {t: event.tick for event in self.events for t in event.tickers}
        return {**ticks, **self.ticks}


class SimVenue:
    """The venue behind the server: ``engine``, ``dynamics``, ``dice``, ``hub``."""

    def __init__(self, config: VenueConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock if clock is not None else WallClock()
        self.started = self.clock.now()  # nothing before it: the historical cutoff
        self.engine = MatchingEngine(
            config.tickers,
            accounts={TRADER: config.trader_cash, HOUSE: HOUSE_CASH, COMPETITOR: HOUSE_CASH},
            clock=self.clock,
            fees=config.fees,
            ticks=config.market_ticks(),
            id_prefix=config.id_prefix,
            reciprocal=config.realism is not None,
        )
        self.events = {event.event_ticker: event for event in config.events}
        self.event_of = {t: event for event in config.events for t in event.tickers}
        # separate seeded streams, so turning a fault on does not change the market's path
        rng = random.Random(f"{config.seed}:dynamics")
        self.dynamics: MarketDynamics | EventDynamics
        if config.realism is None:
            self.dynamics = MarketDynamics(self.engine, config.dynamics, rng, self.clock)
        else:
            self.dynamics = EventDynamics(self.engine, config.realism, rng, self.clock)
        self.dice = FaultDice(config.faults, random.Random(f"{config.seed}:faults"))
        self.public_keys = load_public_keys(config.kalshi_public_keys)
        self.default_event = DEFAULT_EVENT
        self.hub = StreamHub(self.engine, self.dice)
        if config.dynamics.seed_books:
            self.dynamics.seed()

    def place_order(self, request: OrderRequest) -> OrderWire:
        """Place a trader order, first letting a competitor take part of the liquidity.

        With probability ``faults.partial_fill_rate``, when the order could
        fill more than one contract, a competitor's immediate-or-cancel order
        takes all but a random ``k`` (``1 <= k < count``) of the contracts the
        order crosses, best prices first.  The trader's order then fills
        ``k`` and the rest follows its time in force, so the book and the
        stream show what happened.  Raises what :meth:`MatchingEngine.place`
        raises.
        """
        if self.dice.roll(self.dice.faults.partial_fill_rate):
            crossing = self.engine.crossing_quantity(TRADER, request)
            if request.count >= 2 and crossing >= 2:
                # whole contracts kept, as before exact money; k in [1, min(count, crossing) - 1]
                most = int(min(request.count, crossing) - 1)
                keep = Decimal(self.dice.rng.randint(1, most))
                competitor = OrderRequest(
                    request.ticker,
                    request.book_side,
                    "buy",
                    crossing - keep,
                    request.book_price,
                    TimeInForce.IMMEDIATE_OR_CANCEL,
                )
                self.engine.place(COMPETITOR, competitor)
        return self.engine.place(TRADER, request)

    def market(self, ticker: str) -> MarketWire:
        """Kalshi's Market object; its ``event_ticker`` is its event's in the realistic
        mode, ``SIM`` otherwise."""
        event = self.event_of.get(ticker)
        if event is None:
            return self.engine.market(ticker)
        return self.engine.market(ticker, event.event_ticker)

    def stats(self) -> StatsWire:
        """``GET /sim/stats``: truth size, connections, dynamics, money, ticks (and realism)."""
        totals = self.engine.conservation()
        dynamics = self.dynamics.stats
        stats: StatsWire = {
            "truth_entries": len(self.engine.truth),
            "stream_connections": self.hub.connections,
            "dynamics": {
                "steps": dynamics.steps,
                "opportunities_opened": dynamics.opportunities_opened,
                "opportunities_expired": dynamics.opportunities_expired,
                "contracts_taken_by_competitors_fp": count_fp(
                    dynamics.contracts_taken_by_competitors
                ),
            },
            "conservation": {
                "cash": dollars(totals.cash),
                "fees": dollars(totals.fees),
                "open_pairs_fp": count_fp(totals.open_pairs),
                "total": dollars(totals.total),
            },
            "markets": {
                ticker: {"tick": dollars(grid.tick)} for ticker, grid in self.engine.grids.items()
            },
        }
        if isinstance(self.dynamics, EventDynamics):
            stats["realism"] = _realism_stats(self.dynamics)
        return stats


def _realism_stats(dynamics: EventDynamics) -> RealismStatsWire:
    return {
        "requotes": dynamics.requotes,
        "jumps": dynamics.jumps,
        "mispricings": [
            {
                "event_ticker": m.event_ticker,
                "side": str(m.side),
                "opened": m.opened,
                "cost_dollars": dollars(m.cost),
                "closed": m.closed,
                "taken_by_competitor": m.taken_by_competitor,
            }
            for m in dynamics.mispricings
        ],
    }
