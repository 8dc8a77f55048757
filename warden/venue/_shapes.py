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


class OrderWire(TypedDict):
    """Kalshi's Order object, get-orders.md (:meth:`warden.venue._ledger.OrderState.to_wire`).

    ``client_order_id`` is ``""`` when the order has none (the field is required);
    ``side``/``action`` are the deprecated direction, ``outcome_side``/``book_side``
    the canonical one."""

    order_id: str
    user_id: str
    client_order_id: str
    ticker: str
    side: str
    action: str
    outcome_side: str
    book_side: str
    type: str
    status: str
    yes_price_dollars: str
    no_price_dollars: str
    fill_count_fp: str
    remaining_count_fp: str
    initial_count_fp: str
    taker_fill_cost_dollars: str
    maker_fill_cost_dollars: str
    taker_fees_dollars: str
    maker_fees_dollars: str
    expiration_time: str | None
    created_time: str
    last_update_time: str
    self_trade_prevention_type: str | None
    order_group_id: str | None
    cancel_order_on_pause: bool
    subaccount_number: int
    exchange_index: int


class FillWire(TypedDict):
    """Kalshi's Fill object, get-fills.md (:meth:`warden.venue._model.Fill.to_wire`).

    No ``client_order_id``: Kalshi removed it from fills (changelog, 2026-03-30)."""

    fill_id: str
    exchange_index: int
    trade_id: str
    order_id: str
    ticker: str
    market_ticker: str
    side: str
    action: str
    outcome_side: str
    book_side: str
    count_fp: str
    yes_price_dollars: str
    no_price_dollars: str
    is_taker: bool
    created_time: str
    fee_cost: str
    subaccount_number: int
    ts: int


class PriceRangeWire(TypedDict):
    start: str
    end: str
    step: str


class MarketWire(TypedDict):
    """Kalshi's Market object, get-market.md (:meth:`warden.venue._venue.SimVenue.market`)."""

    ticker: str
    event_ticker: str
    market_type: str
    title: str
    subtitle: str
    yes_sub_title: str
    no_sub_title: str
    created_time: str
    updated_time: str
    open_time: str
    close_time: str
    expiration_time: str
    latest_expiration_time: str
    settlement_timer_seconds: int
    status: str
    notional_value_dollars: str
    yes_bid_dollars: str
    yes_ask_dollars: str
    no_bid_dollars: str
    no_ask_dollars: str
    yes_bid_size_fp: str
    yes_ask_size_fp: str
    last_price_dollars: str
    previous_yes_bid_dollars: str
    previous_yes_ask_dollars: str
    previous_price_dollars: str
    volume_fp: str
    volume_24h_fp: str
    open_interest_fp: str
    result: str
    can_close_early: bool
    expiration_value: str
    rules_primary: str
    rules_secondary: str
    price_level_structure: str
    price_ranges: list[PriceRangeWire]
    exchange_index: int


class PositionWire(TypedDict):
    """An entry of ``market_positions``, get-positions.md (:meth:`Account.positions_wire`)."""

    ticker: str
    exchange_index: int
    total_traded_dollars: str
    position_fp: str
    market_exposure_dollars: str
    realized_pnl_dollars: str
    fees_paid_dollars: str
    last_updated_ts: str


class EventPositionWire(TypedDict):
    """An entry of ``event_positions``, get-positions.md."""

    event_ticker: str
    total_cost_dollars: str
    total_cost_shares_fp: str
    event_exposure_dollars: str
    realized_pnl_dollars: str
    fees_paid_dollars: str


class BalanceWire(TypedDict):
    """``GET /portfolio/balance``, get-balance.md (:meth:`Account.balance_wire`)."""

    balance: int
    balance_dollars: str
    portfolio_value: int
    updated_ts: int


class AccountWire(TypedDict):
    """One account in ``GET /sim/accounts`` (ground truth, not a Kalshi shape)."""

    account: str
    cash_dollars: str
    free_dollars: str
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


class CanceledRecord(OrderWire):
    """An ``order_canceled`` truth record: the order plus why the venue canceled it."""

    cancel_reason: str


TruthRecord: TypeAlias = OrderWire | FillWire | Rejection | CanceledRecord
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
    """asyncapi ``orderbookDeltaPayload.msg``."""

    market_ticker: str
    market_id: str
    price_dollars: str
    delta_fp: str
    side: str
    ts_ms: int
    client_order_id: NotRequired[str]  # only to the account whose order caused it


class SnapshotSides(TypedDict, total=False):
    """The levels of a snapshot; a side with none is left out (as Kalshi does)."""

    yes_dollars_fp: list[list[str]]
    no_dollars_fp: list[list[str]]


class SnapshotMsg(SnapshotSides):
    """asyncapi ``orderbookSnapshotPayload.msg``."""

    market_ticker: str
    market_id: str


class FillMsg(TypedDict):
    """asyncapi ``fillPayload.msg`` (channel ``fill``)."""

    trade_id: str
    order_id: str
    market_ticker: str
    exchange_index: int
    is_taker: bool
    side: str
    yes_price_dollars: str
    count_fp: str
    fee_cost: str
    action: str
    ts: int
    ts_ms: int
    post_position_fp: str
    purchased_side: str
    outcome_side: str
    book_side: str
    client_order_id: NotRequired[str]  # when the order has one


class UserOrderMsg(TypedDict):
    """asyncapi ``userOrderPayload.msg`` (channel ``user_orders``, type ``user_order``)."""

    order_id: str
    user_id: str
    ticker: str
    status: str
    side: str
    is_yes: bool
    outcome_side: str
    book_side: str
    yes_price_dollars: str
    fill_count_fp: str
    remaining_count_fp: str
    initial_count_fp: str
    taker_fill_cost_dollars: str
    maker_fill_cost_dollars: str
    taker_fees_dollars: str
    maker_fees_dollars: str
    client_order_id: str
    created_time: str
    created_ts_ms: int
    last_update_time: str
    last_updated_ts_ms: int
    subaccount_number: int
    self_trade_prevention_type: NotRequired[str]


StreamMsg: TypeAlias = BookDeltaMsg | SnapshotMsg | FillMsg | UserOrderMsg
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
    sid: int
    seq: int


class UpdatedMsg(TypedDict):
    market_tickers: list[str]
    market_ids: list[str]


class UpdatedFrame(TypedDict):
    """``ok`` answering ``update_subscription``."""

    type: str
    id: int | None
    sid: int
    seq: int
    msg: UpdatedMsg


class ListedFrame(TypedDict):
    """``ok`` answering ``list_subscriptions``."""

    type: str
    id: int | None
    msg: list[SubscribedMsg]


class ErrorMsg(TypedDict):
    code: int
    msg: str


class ErrorFrame(TypedDict):
    type: str
    id: int | None
    msg: ErrorMsg


ControlFrame: TypeAlias = (
    SubscribedFrame | UnsubscribedFrame | UpdatedFrame | ListedFrame | ErrorFrame
)
"""A frame outside any subscription's sequence: a reply to a command or an error."""
