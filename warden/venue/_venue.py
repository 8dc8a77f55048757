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
from typing import Any

from attrs import field, frozen

from actors import money
from supervision import validators
from warden.venue._dynamics import DynamicsConfig, MarketDynamics
from warden.venue._engine import COMPETITOR, HOUSE, TRADER, MatchingEngine
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
from warden.venue._stream import StreamHub

HOUSE_CASH = Decimal(10**13)
"""Dollars each of the simulator's own accounts (house, competitor) starts with."""

_non_negative_seconds = validators.number(0, inclusive=True, finite=False, unit="seconds")
_id_prefix = validators.rule(
    lambda v: isinstance(v, str) and re.fullmatch(r"[a-z0-9]{0,16}", v) is not None,
    "must be 0-16 characters of [a-z0-9]",
)
"""Seconds >= 0; infinite is allowed (a heartbeat or tick that never comes)."""


def _cash(instance: object, attribute: Any, value: Any) -> None:
    if type(value) is not Decimal or not value.is_finite() or value < 0:
        rule = 'must be a Decimal >= 0 in dollars (e.g. Decimal("10000.00"))'
        raise validators.FieldError(type(instance).__name__, attribute.name, value, rule)


def _ticks(instance: Any, attribute: Any, value: Any) -> None:
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
    ``heartbeat_seconds=0`` turns websocket heartbeats off.
    """

    port: int = field(default=0, validator=validators.port())
    seed: int = field(default=0, validator=validators.instance_of(int))
    markets: int = field(default=3, validator=validators.integer(1))
    trader_cash: Decimal = field(default=Decimal("10000.00"), validator=_cash)
    fees: money.KalshiFees = field(
        factory=money.KalshiFees, validator=validators.instance_of(money.KalshiFees)
    )
    ticks: Mapping[str, Decimal] = field(factory=dict, validator=_ticks)
    dynamics: DynamicsConfig = field(factory=DynamicsConfig)
    faults: Faults = field(factory=Faults)
    heartbeat_seconds: float = field(default=5.0, validator=_non_negative_seconds)
    # Starts every order and trade id; the embedded venue of `warden run` sets one per
    # start, because its ledger outlives it (ids of an earlier run must not recur).
    id_prefix: str = field(default="", validator=_id_prefix)

    @property
    def tickers(self) -> list[str]:
        return [f"SIM-{number:03d}" for number in range(1, self.markets + 1)]


class SimVenue:
    """The venue behind the server: ``engine``, ``dynamics``, ``dice``, ``hub``."""

    def __init__(self, config: VenueConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock if clock is not None else WallClock()
        self.engine = MatchingEngine(
            config.tickers,
            accounts={TRADER: config.trader_cash, HOUSE: HOUSE_CASH, COMPETITOR: HOUSE_CASH},
            clock=self.clock,
            fees=config.fees,
            ticks=config.ticks,
            id_prefix=config.id_prefix,
        )
        # separate seeded streams, so turning a fault on does not change the market's path
        self.dynamics = MarketDynamics(
            self.engine, config.dynamics, random.Random(f"{config.seed}:dynamics"), self.clock
        )
        self.dice = FaultDice(config.faults, random.Random(f"{config.seed}:faults"))
        self.hub = StreamHub(self.engine, self.dice, config.heartbeat_seconds)
        if config.dynamics.seed_books:
            self.dynamics.seed()

    def place_order(self, request: OrderRequest) -> dict[str, Any]:
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

    def stats(self) -> dict[str, Any]:
        totals = self.engine.conservation()
        dynamics = self.dynamics.stats
        return {
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
