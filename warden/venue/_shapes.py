"""The JSON objects the venue builds and serves, as TypedDicts (Kalshi's shapes).

These are types only: each is a plain ``dict`` at run time, built by the module
named in its docstring in the key order the wire shows (``json.dumps`` keeps
it).  Prices and money are fixed-point strings (``"0.4200"``), counts ``*_fp``
strings with 2 decimals; a ``None`` goes out as ``null``.  A ``NotRequired``
key is present only in the case its comment names.  REST objects come first,
then the websocket frames of :mod:`warden.venue._stream`.  Requests coming *in*
are open JSON (:data:`warden.json_types.Json`), narrowed where they are read
(:mod:`warden.venue._wire`, the stream's commands).
"""

from __future__ import annotations

from typing import NotRequired, TypeAlias, TypedDict

from warden.json_types import Json


class OrderWire(TypedDict):
    """Kalshi's Order object (:meth:`warden.venue._ledger.OrderState.to_wire`)."""

    order_id: str
    client_order_id: str | None
    ticker: str
    side: str
    action: str
    type: str
    time_in_force: str
    status: str
    yes_price_dollars: str
    no_price_dollars: str
    initial_count_fp: str
    fill_count_fp: str
    remaining_count_fp: str
    taker_fees_dollars: str
    maker_fees_dollars: str
    taker_fill_cost_dollars: str
    maker_fill_cost_dollars: str
    cancel_reason: str | None
    created_time: str
    last_update_time: str
    self_trade_prevention_type: NotRequired[str]  # the realistic mode only


class FillWire(TypedDict):
    """Kalshi's Fill object (:meth:`warden.venue._model.Fill.to_wire`)."""

    trade_id: str
    order_id: str
    client_order_id: str | None
    ticker: str
    side: str
    action: str
    count_fp: str
    yes_price_dollars: str
    no_price_dollars: str
    is_taker: bool
    fee_cost: str
    created_time: str


class PriceRangeWire(TypedDict):
    start: str
    end: str
    step: str


class MarketWire(TypedDict):
    """Kalshi's Market object (:meth:`warden.venue._engine.MatchingEngine.market`)."""

    ticker: str
    title: str
    status: str
    yes_bid_dollars: str | None
    yes_ask_dollars: str | None
    no_bid_dollars: str | None
    no_ask_dollars: str | None
    volume_fp: str
    open_interest_fp: str
    price_level_structure: str
    price_ranges: list[PriceRangeWire]
    event_ticker: NotRequired[str]  # the realistic mode only (SimVenue.market)


class PositionWire(TypedDict):
    """An entry of ``market_positions`` (:meth:`warden.venue._ledger.Account.positions_wire`)."""

    ticker: str
    position_fp: str
    market_exposure_dollars: str
    realized_pnl_dollars: str
    fees_paid_dollars: str
    total_traded_dollars: str
    resting_orders_count: int


class BalanceWire(TypedDict):
    """``GET /portfolio/balance`` (:meth:`warden.venue._ledger.Account.balance_wire`)."""

    balance: int
    balance_dollars: str
    reserved_dollars: str


class RejectionContext(TypedDict, total=False):
    """What a rejection names besides its code: the order's market and client id
    (a refused order), or the bad field (a malformed request)."""

    ticker: str
    client_order_id: str | None
    field: str


class Rejection(RejectionContext):
    """The record of an ``order_rejected`` truth entry: ``code``, ``message``, then the context."""

    code: str
    message: str


TruthRecord: TypeAlias = OrderWire | FillWire | Rejection
"""What a truth entry records, by its kind: an order (accepted, canceled), a fill, a rejection."""


class TruthEntryWire(TypedDict):
    """One entry of ``GET /sim/truth`` (:meth:`warden.venue._truth.TruthEntry.to_wire`)."""

    seq: int
    ts: float
    kind: str
    account: str
    record: TruthRecord


class EventWire(TypedDict):
    """Kalshi's Event object (:meth:`warden.venue._realism.Event.to_wire`)."""

    event_ticker: str
    series_ticker: str
    title: str
    sub_title: str
    category: str
    mutually_exclusive: bool
    strike_period: str
    markets: NotRequired[list[MarketWire]]  # with_nested_markets only


class EventFairWire(TypedDict):
    event_ticker: str
    mutually_exclusive: bool
    fair_values: dict[str, str]
    sum_dollars: str


class FairValuesWire(TypedDict):
    """``GET /sim/fair_values`` (:meth:`warden.venue._events.EventDynamics.to_wire`)."""

    step: int
    events: list[EventFairWire]


class DynamicsStatsWire(TypedDict):
    steps: int
    opportunities_opened: int
    opportunities_expired: int
    contracts_taken_by_competitors_fp: str


class ConservationWire(TypedDict):
    cash: str
    fees: str
    open_pairs_fp: str
    total: str


class MarketTickWire(TypedDict):
    tick: str


class MispricingWire(TypedDict):
    event_ticker: str
    side: str
    opened: float
    cost_dollars: str
    closed: float | None
    taken_by_competitor: bool


class RealismStatsWire(TypedDict):
    requotes: int
    jumps: int
    mispricings: list[MispricingWire]


class StatsWire(TypedDict):
    """``GET /sim/stats`` (:meth:`warden.venue._venue.SimVenue.stats`)."""

    truth_entries: int
    stream_connections: int
    dynamics: DynamicsStatsWire
    conservation: ConservationWire
    markets: dict[str, MarketTickWire]
    realism: NotRequired[RealismStatsWire]  # the realistic mode only


# ------------------------------------------------- the websocket stream (warden.venue._stream)


class BookDeltaMsg(TypedDict):
    market_ticker: str
    price_dollars: str
    delta_fp: str
    side: str


class SnapshotSides(TypedDict, total=False):
    """The levels of a snapshot; a side with none is left out (as Kalshi does)."""

    yes_dollars_fp: list[list[str]]
    no_dollars_fp: list[list[str]]


class SnapshotMsg(SnapshotSides):
    market_ticker: str


class FillMsg(FillWire):
    market_ticker: str


StreamMsg: TypeAlias = BookDeltaMsg | SnapshotMsg | FillMsg | OrderWire
"""The ``msg`` of a data frame: a book delta or snapshot, a fill, an order."""


class DataFrame(TypedDict):
    """A frame of a subscription: ``seq`` is contiguous per ``sid`` from 1."""

    type: str
    sid: int
    seq: int
    msg: StreamMsg


class SubscribedMsg(TypedDict):
    channel: str
    sid: int


class SubscribedFrame(TypedDict):
    type: str
    id: int | None
    msg: SubscribedMsg


class UnsubscribedFrame(TypedDict):
    type: str
    id: int | None
    sid: Json  # echoed as the client wrote it


class ErrorMsg(TypedDict):
    code: str
    msg: str


class ErrorFrame(TypedDict):
    type: str
    id: int | None
    msg: ErrorMsg


class HeartbeatFrame(TypedDict):
    type: str
    ts: float


ControlFrame: TypeAlias = SubscribedFrame | UnsubscribedFrame | ErrorFrame | HeartbeatFrame
"""A frame outside any subscription: a reply to a command, an error, a heartbeat."""
