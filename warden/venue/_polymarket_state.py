"""The Polymarket dialect's own state over one :class:`SimVenue`: order ids, trades, heartbeat.

The dialect adds no market state: orders, books, fills and cash are the
engine's (its ``trader`` account is the Polymarket account).  What it keeps:

- **Order ids.** An order placed through ``POST /order`` is known by its
  EIP-712 digest; every other order (the simulator's makers, orders placed
  through the Kalshi dialect) by ``0x`` + the SHA-256 of its engine id.
- **Trades.** Each engine match (one taker fill and one maker fill, in that
  order) is one Polymarket trade with one maker order (``trade_id`` a UUID
  derived from the taker fill's id).
- **The dead-man switch.** After the first ``POST /v1/heartbeats``, a gap
  longer than ``PolymarketConfig.heartbeat_timeout_s`` (on the venue's clock)
  cancels every open order of the account (:meth:`PolymarketDialect.check_heartbeat`,
  run by the server's watchdog and before each Polymarket request).
- **Listeners** (the websocket channels) get :class:`BookDelta`,
  :class:`OrderEvent` and :class:`Trade` values after each engine operation;
  while ``POST /order`` places an order they are held until its digest is
  recorded, so a listener never sees an order under a provisional id.

:func:`dialect` gives the one dialect of a venue (made on first use).
"""

from __future__ import annotations

import hashlib
import uuid
import weakref
from collections.abc import Callable
from decimal import Decimal
from typing import cast

import trio
from attrs import define, frozen

from warden.venue._engine import TRADER
from warden.venue._ledger import OrderState
from warden.venue._model import BookDelta, Fill, FillEvent, OrderEvent, OrderStatus, VenueEvent
from warden.venue._polymarket_config import PolymarketConfig
from warden.venue._polymarket_markets import PolymarketCatalog
from warden.venue._venue import SimVenue

__all__ = [
    "OrderMeta",
    "PolymarketDialect",
    "Trade",
    "dialect",
    "trade_id_of",
    "watch_heartbeats",
]

WATCH_PERIOD_S = 0.1
"""How often the server's watchdog checks the dead-man switch (trio's clock)."""

_NAMESPACE = uuid.UUID("6f1c1c9e-6b0e-4a53-9d3c-2b8c5c0f7a11")


def trade_id_of(taker_fill_id: str) -> str:
    """The Polymarket trade id of the match whose taker fill is the engine's
    ``taker_fill_id`` (the truth log's ``trade_id`` of that fill)."""
    return str(uuid.uuid5(_NAMESPACE, f"trade:{taker_fill_id}"))


@frozen
class Trade:
    """One match: the taker's fill and the maker's, and the trade's id."""

    trade_id: str
    taker: Fill
    maker: Fill


@frozen
class OrderMeta:
    """What ``POST /order`` said of an order beyond the engine's request."""

    order_type: str
    expiration: str
    created_ms: int


PolymarketEvent = BookDelta | OrderEvent | Trade
Listener = Callable[[PolymarketEvent], None]


@define
class _Heartbeat:
    last: float | None = None  # venue-clock seconds of the last heartbeat; None: never


class PolymarketDialect:
    """See the module docstring."""

    def __init__(self, sim: SimVenue) -> None:
        # a weak proxy: the registry below keys dialects by venue, and a strong
        # reference back would keep every venue of a test session alive
        self.sim = cast("SimVenue", weakref.proxy(sim))
        self.catalog = PolymarketCatalog(self.sim)
        self.account: PolymarketConfig | None = getattr(sim.config, "polymarket", None)
        self.trades: list[Trade] = []
        self.meta: dict[str, OrderMeta] = {}  # engine order id -> what POST /order said
        self._ids: dict[str, str] = {}  # engine order id -> digest
        self._engine_ids: dict[str, tuple[str, str]] = {}  # digest -> (account, engine id)
        self._taker: Fill | None = None
        self._listeners: list[Listener] = []
        self._held: list[PolymarketEvent] | None = None
        self.heartbeat = _Heartbeat()
        self.dead_man_cancels = 0
        sim.engine.subscribe(self._on_engine)

    # ---- identities

    def owner(self, account: str) -> str:
        """The API key (``owner``) an account's orders carry."""
        if account == TRADER and self.account is not None:
            return self.account.api_key
        return str(uuid.uuid5(_NAMESPACE, f"owner:{account}"))

    def maker_address(self, account: str) -> str:
        """The address holding an account's funds (``maker_address``)."""
        if account == TRADER and self.account is not None:
            return self.account.maker
        return "0x" + hashlib.sha256(f"warden-sim-address:{account}".encode()).hexdigest()[:40]

    def order_id(self, engine_id: str) -> str:
        """The Polymarket id of the engine's order ``engine_id``."""
        found = self._ids.get(engine_id)
        if found is not None:
            return found
        return "0x" + hashlib.sha256(f"warden-sim-order:{engine_id}".encode()).hexdigest()

    def engine_order(self, order_id: str) -> OrderState | None:
        """The trader's order known as ``order_id`` (digest or derived id), if any."""
        key = order_id.lower()
        found = self._engine_ids.get(key)
        if found is not None:
            return self.sim.engine.order_state(*found)
        for state in self.sim.engine.order_states(TRADER):
            if self.order_id(state.order_id) == key:
                return state
        return None

    def knows_digest(self, digest: str) -> bool:
        return digest.lower() in self._engine_ids

    def record(self, engine_id: str, digest: str, meta: OrderMeta) -> None:
        """Name the trader's new order ``engine_id`` by its ``digest``."""
        self._ids[engine_id] = digest.lower()
        self._engine_ids[digest.lower()] = (TRADER, engine_id)
        self.meta[engine_id] = meta

    # ---- placing: listeners wait for the digest

    def hold(self) -> None:
        self._held = []

    def release(self) -> None:
        held, self._held = self._held or [], None
        for event in held:
            self._emit(event)

    # ---- listeners

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _on_engine(self, event: VenueEvent) -> None:
        if isinstance(event, FillEvent):
            if event.fill.is_taker:
                self._taker = event.fill
                return
            taker, self._taker = self._taker, None
            assert taker is not None, "the engine reports a maker fill after its taker fill"
            trade = Trade(trade_id_of(taker.trade_id), taker, event.fill)
            self.trades.append(trade)
            self._emit(trade)
            return
        self._emit(event)

    def _emit(self, event: PolymarketEvent) -> None:
        if self._held is not None:
            self._held.append(event)
            return
        for listener in list(self._listeners):
            listener(event)

    # ---- the dead-man switch

    def beat(self) -> None:
        self.heartbeat.last = self.sim.clock.now()

    def check_heartbeat(self) -> int:
        """Cancel every open order of the account when its heartbeats stopped for longer
        than the timeout (see the module docstring); the number canceled."""
        if self.account is None or self.heartbeat.last is None:
            return 0
        if self.sim.clock.now() - self.heartbeat.last <= self.account.heartbeat_timeout_s:
            return 0
        self.heartbeat.last = None  # the switch fired; the next heartbeat arms it again
        canceled = 0
        for state in self.sim.engine.order_states(TRADER):
            if state.status is OrderStatus.RESTING:
                self.sim.engine.cancel(TRADER, state.order_id, "heartbeat_expired")
                canceled += 1
        self.dead_man_cancels += canceled
        return canceled

    def trader_trades(self) -> list[tuple[Trade, bool]]:
        """The account's trades, oldest first, each with whether it was the taker."""
        return [
            (trade, trade.taker.account == TRADER)
            for trade in self.trades
            if TRADER in (trade.taker.account, trade.maker.account)
        ]

    def filled_cost(self, engine_id: str) -> tuple[Decimal, Decimal]:
        """(shares, pUSD at the fills' prices) of the trader order ``engine_id``'s fills."""
        shares = cost = Decimal(0)
        for fill in self.sim.engine.fill_values(TRADER):
            if fill.order_id == engine_id:
                price = fill.yes_price if fill.side.value == "yes" else fill.no_price
                shares += fill.count
                cost += fill.count * price
        return shares, cost


_DIALECTS: weakref.WeakKeyDictionary[SimVenue, PolymarketDialect] = weakref.WeakKeyDictionary()


def dialect(sim: SimVenue) -> PolymarketDialect:
    """The Polymarket dialect of ``sim`` (made, and subscribed to its engine, on first use)."""
    found = _DIALECTS.get(sim)
    if found is None:
        found = _DIALECTS[sim] = PolymarketDialect(sim)
    return found


async def watch_heartbeats(sim: SimVenue) -> None:
    """Check the dead-man switch of ``sim``'s Polymarket account every
    :data:`WATCH_PERIOD_S` until cancelled (the server runs it)."""
    pm = dialect(sim)
    while True:
        await trio.sleep(WATCH_PERIOD_S)
        pm.check_heartbeat()
