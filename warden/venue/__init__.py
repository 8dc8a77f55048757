"""The simulated venue: a Kalshi-style exchange on loopback for the daemon and its tests.

Start it in-process with :func:`open_venue` (or ``await nursery.start(serve_venue,
config)``), or standalone with ``warden venue-sim``.  See docs/venue-sim.md.
"""

from warden.venue._dynamics import DynamicsConfig, DynamicsStats, MarketDynamics
from warden.venue._engine import COMPETITOR, HOUSE, TRADER, MatchingEngine
from warden.venue._errors import (
    BadRequest,
    DuplicateClientOrderId,
    OrderNotCancelable,
    OrderNotFound,
    OrderRejected,
    UnknownMarket,
    VenueError,
)
from warden.venue._events import EventDynamics, Mispricing
from warden.venue._faults import ENDPOINTS, Faults, HttpFaults, StreamFaults, parse_faults
from warden.venue._ledger import Conservation
from warden.venue._model import (
    BookDelta,
    Clock,
    Fill,
    FillEvent,
    ManualClock,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    SelfTradePrevention,
    TimeInForce,
    WallClock,
    WireAction,
    WireSide,
)
from warden.venue._polymarket_config import PolymarketConfig, load_polymarket_config
from warden.venue._polymarket_markets import condition_id, token_id
from warden.venue._polymarket_state import PolymarketDialect
from warden.venue._polymarket_state import dialect as polymarket_dialect
from warden.venue._polymarket_stream import PolymarketHub
from warden.venue._polymarket_stream import hub as polymarket_hub
from warden.venue._realism import Event, EventSpec, RealismConfig
from warden.venue._server import VenueServer, open_venue, serve_venue
from warden.venue._stream import WS_PATH
from warden.venue._truth import TruthEntry, TruthKind, TruthLog
from warden.venue._venue import SimVenue, VenueConfig

__all__ = [
    "COMPETITOR",
    "ENDPOINTS",
    "HOUSE",
    "TRADER",
    "WS_PATH",
    "BadRequest",
    "BookDelta",
    "Clock",
    "Conservation",
    "DuplicateClientOrderId",
    "DynamicsConfig",
    "DynamicsStats",
    "Event",
    "EventDynamics",
    "EventSpec",
    "Faults",
    "Fill",
    "FillEvent",
    "HttpFaults",
    "ManualClock",
    "MarketDynamics",
    "MatchingEngine",
    "Mispricing",
    "OrderEvent",
    "OrderNotCancelable",
    "OrderNotFound",
    "OrderRejected",
    "OrderRequest",
    "OrderStatus",
    "PolymarketConfig",
    "PolymarketDialect",
    "PolymarketHub",
    "RealismConfig",
    "SelfTradePrevention",
    "SimVenue",
    "StreamFaults",
    "TimeInForce",
    "TruthEntry",
    "TruthKind",
    "TruthLog",
    "UnknownMarket",
    "VenueConfig",
    "VenueError",
    "VenueServer",
    "WallClock",
    "WireAction",
    "WireSide",
    "condition_id",
    "load_polymarket_config",
    "open_venue",
    "parse_faults",
    "polymarket_dialect",
    "polymarket_hub",
    "serve_venue",
    "token_id",
]
