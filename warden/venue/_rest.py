"""The Kalshi Trade API v2 handlers: markets, events, orders (legacy and V2), portfolio.

Every answer is the documented shape of the page named in the handler's
docstring (Kalshi's docs mirrored in /work/shared/venues/kalshi/docs/), with
the transition-era integer fields of :mod:`warden.venue._legacy` added when
``VenueConfig.legacy_fields`` is on.  Lists page with ``limit`` and an opaque
``cursor`` (:func:`page`): the answer's ``cursor`` is ``""`` on the last page,
and a cursor the venue did not give is a 400 naming ``cursor``.  Handlers
raise the venue's errors (:mod:`warden.venue._errors`); the router turns
them into Kalshi's ``ErrorResponse`` bodies.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import TypeAlias, TypeVar

from attrs import frozen

from warden.json_types import Json
from warden.venue import _legacy
from warden.venue._engine import TRADER
from warden.venue._errors import BadRequest, OrderRejected, UnknownMarket
from warden.venue._ledger import OrderState
from warden.venue._model import (
    PAYOUT,
    Fill,
    OrderRequest,
    WireSide,
    dollars,
    iso_time,
    ts_ms,
)
from warden.venue._realism import SERIES_TICKER, Event
from warden.venue._shapes import MarketWire, OrderWire
from warden.venue._stream import wire_levels
from warden.venue._venue import SimVenue
from warden.venue._wire import parse_order, parse_order_v2, query_csv, query_int, query_status

Body: TypeAlias = Mapping[str, object]
"""A JSON object to send: shapes of :mod:`warden.venue._shapes`, dicts, lists, scalars."""

_T = TypeVar("_T")

_AVERAGE = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[])
_AVERAGE_PLACES = Decimal("0.000001")
"""Averages (V2 ``average_fill_price``/``average_fee_paid``) go out with at most 6
decimals, rounded half-even: "responses emit up to 6" (FixedPointDollars)."""


@frozen
class Request:
    path_params: dict[str, str]
    query: dict[str, str]
    body: bytes
    json: Callable[[], Json]


@frozen
class Answer:
    """A handler's result: the body and its HTTP status."""

    body: Body
    status: int = 200


# ------------------------------------------------------------------ paging


def _encode(kind: str, index: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{index}".encode()).decode().rstrip("=")


def _decode(kind: str, cursor: str, size: int) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError):
        raise BadRequest("cursor", "not a cursor this venue returned") from None
    name, _, index = text.partition(":")
    if name != kind or not index.isdigit() or not 0 < int(index) <= size:
        raise BadRequest("cursor", "not a cursor this venue returned")
    return int(index)


def page(
    items: Sequence[_T],
    query: Mapping[str, str],
    kind: str,
    keep: Callable[[_T], bool] = lambda _: True,
    *,
    maximum: int = 1000,
) -> tuple[list[_T], str]:
    """One page of the ``items`` that ``keep`` accepts, and the cursor of the next.

    ``limit`` is 1..``maximum`` (default 100, Kalshi's LimitQuery); the cursor
    is an opaque position in ``items`` (append-only lists, so pages never skip
    or repeat an item), ``""`` when no accepted item is left."""
    limit = query_int("limit", query.get("limit"), 100, 1, maximum)
    cursor = query.get("cursor") or ""
    start = _decode(kind, cursor, len(items)) if cursor else 0
    taken: list[_T] = []
    index = start
    while index < len(items) and len(taken) < limit:
        if keep(items[index]):
            taken.append(items[index])
        index += 1
    more = any(keep(item) for item in items[index:])
    return taken, _encode(kind, index) if more else ""


def _ts(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name)
    return None if value is None else query_int(name, value, 0, 0, 2**62)


def _within(ts: float, query: Mapping[str, str], low: str = "min_ts", high: str = "max_ts") -> bool:
    """Whether ``ts`` lies in ``[min_ts, max_ts]`` (inclusive; a missing bound is open)."""
    lowest, highest = _ts(query, low), _ts(query, high)
    return (lowest is None or ts >= lowest) and (highest is None or ts <= highest)


def _scope(query: Mapping[str, str]) -> None:
    """``subaccount`` and ``exchange_index`` filters: the venue has only 0 of each."""
    for name in ("subaccount", "exchange_index"):
        if query.get(name) is not None:
            query_int(name, query[name], 0, 0, 63)


def _event_tickers(query: Mapping[str, str], most: int = 10) -> set[str] | None:
    tickers = query_csv(query.get("event_ticker"))
    if tickers is not None and len(tickers) > most:
        raise BadRequest("event_ticker", f"at most {most} event tickers")
    return tickers


# ------------------------------------------------------------------ wire forms


def _market(sim: SimVenue, ticker: str) -> MarketWire | dict[str, object]:
    market = sim.market(ticker)
    if sim.config.legacy_fields:
        return _legacy.market(market, sim.engine.grid(ticker).tick)
    return market


def _order(sim: SimVenue, wire: OrderWire) -> OrderWire | dict[str, object]:
    return _legacy.order(wire) if sim.config.legacy_fields else wire


def _event_of(sim: SimVenue, ticker: str) -> str:
    event = sim.event_of.get(ticker)
    return sim.default_event if event is None else event.event_ticker


# ------------------------------------------------------------------ markets and events


def list_markets(sim: SimVenue, request: Request) -> Answer:
    """GET /markets (Kalshi's get_markets): ``limit`` (1-1000), ``cursor``,
    ``event_ticker`` (up to 10, comma-separated), ``series_ticker``, ``status``
    (``open`` matches every market, the other documented values none), ``tickers``
    (comma-separated), ``min/max_close_ts``, ``min/max_created_ts``,
    ``min/max_settled_ts`` (nothing settles) and ``mve_filter`` (no combos)."""
    query = request.query
    events = _event_tickers(query)
    tickers = query_csv(query.get("tickers"))
    series = query.get("series_ticker")
    status = query.get("status")
    if status is not None and status not in ("unopened", "open", "paused", "closed", "settled"):
        raise BadRequest("status", "must be one of unopened, open, paused, closed, settled")
    mve = query.get("mve_filter")
    if mve is not None and mve not in ("only", "exclude"):
        raise BadRequest("mve_filter", "must be only or exclude")
    settled_filter = (
        query.get("min_settled_ts") is not None or query.get("max_settled_ts") is not None
    )
    created, closes = sim.engine.started, sim.engine.started + sim.engine.market_lifetime

    def keep(ticker: str) -> bool:
        event = sim.event_of.get(ticker)
        return (
            (events is None or _event_of(sim, ticker) in events)
            and (tickers is None or ticker in tickers)
            and (series is None or (event is not None and series == SERIES_TICKER))
            and status in (None, "open")
            and mve != "only"
            and not settled_filter
            and _within(closes, query, "min_close_ts", "max_close_ts")
            and _within(created, query, "min_created_ts", "max_created_ts")
        )

    chosen, cursor = page(sim.engine.tickers, query, "markets", keep)
    return Answer({"markets": [_market(sim, t) for t in chosen], "cursor": cursor})


def get_market(sim: SimVenue, request: Request) -> Answer:
    """GET /markets/{ticker} (get-market.md): ``{"market": Market}``; 404 if unknown."""
    return Answer({"market": _market(sim, request.path_params["ticker"])})


def get_orderbook(sim: SimVenue, request: Request) -> Answer:
    """GET /markets/{ticker}/orderbook (get-market-orderbook.md): ``orderbook_fp`` with
    ``yes_dollars``/``no_dollars`` levels ``[price, count]`` in ascending price
    (orderbook_responses.md); ``depth`` 1-100 keeps the best levels, 0 every level."""
    book = sim.engine.book(request.path_params["ticker"])
    depth = query_int("depth", request.query.get("depth"), 0, -(2**31), 100)
    levels: dict[str, list[list[str]]] = {}
    for side in WireSide:
        side_levels = wire_levels(book, side)
        levels[f"{side}_dollars"] = side_levels[-depth:] if depth > 0 else side_levels
    body: dict[str, object] = {"orderbook_fp": levels}
    if sim.config.legacy_fields:
        body["orderbook"] = dict(levels)  # the SDK's GetMarketOrderbookResponse reads this key
    return Answer(body)


def _event_wire(sim: SimVenue, event: Event, *, nested: bool) -> object:
    return event.to_wire([sim.market(t) for t in event.tickers] if nested else None)


def _flag(field: str, value: str | None) -> bool:
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise BadRequest(field, "must be true or false")


def get_events(sim: SimVenue, request: Request) -> Answer:
    """GET /events (get-events): ``limit`` (1-200, default 100), ``cursor``,
    ``with_nested_markets``; 404 outside the realistic mode (no events)."""
    if not sim.events:
        raise UnknownMarket("events: the venue is not in the realistic mode")
    nested = _flag("with_nested_markets", request.query.get("with_nested_markets"))
    chosen, cursor = page(list(sim.events.values()), request.query, "events", maximum=200)
    return Answer(
        {"events": [_event_wire(sim, event, nested=nested) for event in chosen], "cursor": cursor}
    )


def get_event(sim: SimVenue, request: Request) -> Answer:
    """GET /events/{event_ticker}: markets nested with ``with_nested_markets=true``,
    else a top-level ``markets`` field; 404 for an unknown event."""
    event = sim.events.get(request.path_params["event_ticker"])
    if event is None:
        raise UnknownMarket(request.path_params["event_ticker"])
    if _flag("with_nested_markets", request.query.get("with_nested_markets")):
        return Answer({"event": _event_wire(sim, event, nested=True)})
    markets = [_market(sim, t) for t in event.tickers]
    return Answer({"event": _event_wire(sim, event, nested=False), "markets": markets})


# ------------------------------------------------------------------ orders


def _place(sim: SimVenue, parse: Callable[[], OrderRequest]) -> OrderState:
    """Parse and place a trader order; a malformed one is logged to truth and re-raised.
    An unknown ticker is a 400 here (create-order.md documents no 404)."""
    try:
        request = parse()
    except BadRequest as error:
        sim.engine.reject(TRADER, error.code, str(error), field=error.field)
        raise
    try:
        order = sim.place_order(request)
    except UnknownMarket as error:
        raise OrderRejected(
            "market_not_found", str(error), ticker=error.ticker, client_order_id=None
        ) from None
    return sim.engine.order_state(TRADER, order["order_id"])


def create_order(sim: SimVenue, request: Request) -> Answer:
    """POST /portfolio/orders (create-order.md): 201 ``{"order": Order}``."""
    grids = sim.engine.grids
    state = _place(sim, lambda: parse_order(request.json(), grids))
    return Answer({"order": _order(sim, state.to_wire())}, 201)


def _average(total: Decimal, count: Decimal) -> str:
    with localcontext(_AVERAGE):
        return dollars((total / count).quantize(_AVERAGE_PLACES).normalize(_AVERAGE))


def create_order_v2(sim: SimVenue, request: Request) -> Answer:
    """POST /portfolio/events/orders (create-order-v2.md): 201 CreateOrderV2Response
    ``{order_id, client_order_id?, fill_count, remaining_count, average_fill_price?,
    average_fee_paid?, ts_ms}``; the averages (YES-leg price, fee per contract) only
    when something filled."""
    grids = sim.engine.grids
    state = _place(sim, lambda: parse_order_v2(request.json(), grids))
    body: dict[str, object] = {"order_id": state.order_id}
    if state.request.client_order_id is not None:
        body["client_order_id"] = state.request.client_order_id
    wire = state.to_wire()
    body["fill_count"] = wire["fill_count_fp"]
    body["remaining_count"] = wire["remaining_count_fp"]
    if state.fill_count > 0:
        paid = state.taker_fill_cost + state.maker_fill_cost  # in the booked side's price
        yes_paid = (
            paid if state.request.book_side is WireSide.YES else (PAYOUT * state.fill_count - paid)
        )
        body["average_fill_price"] = _average(yes_paid, state.fill_count)
        body["average_fee_paid"] = _average(state.taker_fees + state.maker_fees, state.fill_count)
    body["ts_ms"] = ts_ms(state.created)
    return Answer(body, 201)


def list_orders(sim: SimVenue, request: Request) -> Answer:
    """GET /portfolio/orders (get-orders.md): ``ticker``, ``event_ticker`` (up to 10),
    ``min_ts``/``max_ts`` (creation time, inclusive), ``status``, ``limit``
    (1-1000), ``cursor``, ``subaccount``, ``exchange_index``; oldest first.  No
    ``client_order_id`` filter: Kalshi has none."""
    query = request.query
    _scope(query)
    ticker, events = query.get("ticker"), _event_tickers(query)
    status = query_status(query.get("status"))
    lowest, highest = _ts(query, "min_ts"), _ts(query, "max_ts")  # parsed once, not per order

    def keep(order: OrderState) -> bool:
        return (
            (ticker is None or order.request.ticker == ticker)
            and (events is None or _event_of(sim, order.request.ticker) in events)
            and (status is None or order.status is status)
            and (lowest is None or order.created >= lowest)
            and (highest is None or order.created <= highest)
        )

    chosen, cursor = page(sim.engine.order_states(TRADER), query, "orders", keep)
    return Answer({"orders": [_order(sim, o.to_wire()) for o in chosen], "cursor": cursor})


def get_order(sim: SimVenue, request: Request) -> Answer:
    """GET /portfolio/orders/{order_id} (get-order.md): ``{"order": Order}``; 404."""
    return Answer({"order": _order(sim, sim.engine.order(TRADER, request.path_params["order_id"]))})


def _cancel(sim: SimVenue, request: Request) -> tuple[OrderWire, str]:
    order_id = request.path_params["order_id"]
    before = sim.engine.order(TRADER, order_id)["remaining_count_fp"]
    return sim.engine.cancel(TRADER, order_id), before


def cancel_order(sim: SimVenue, request: Request) -> Answer:
    """DELETE /portfolio/orders/{order_id} (cancel-order.md): ``{"order", "reduced_by_fp"}``;
    404 for an unknown order or one no longer resting (the only error documented)."""
    order, reduced = _cancel(sim, request)
    body: dict[str, object] = {"order": _order(sim, order), "reduced_by_fp": reduced}
    if sim.config.legacy_fields:
        body["reduced_by"] = int(Decimal(reduced))
    return Answer(body)


def cancel_order_v2(sim: SimVenue, request: Request) -> Answer:
    """DELETE /portfolio/events/orders/{order_id} (cancel-order-v2.md):
    ``{order_id, client_order_id?, reduced_by, ts_ms}``; 404 as the legacy cancel."""
    order, reduced = _cancel(sim, request)
    body: dict[str, object] = {"order_id": order["order_id"]}
    if order["client_order_id"]:
        body["client_order_id"] = order["client_order_id"]
    body["reduced_by"] = reduced
    body["ts_ms"] = ts_ms(sim.clock.now())
    return Answer(body)


# ------------------------------------------------------------------ portfolio


def list_fills(sim: SimVenue, request: Request) -> Answer:
    """GET /portfolio/fills (get-fills.md): ``ticker``, ``order_id``, ``min_ts``/``max_ts``,
    ``limit`` (1-1000), ``cursor``, ``subaccount``, ``exchange_index``; oldest first.

    ``min_ts``/``max_ts`` are whole Unix seconds compared with the fill's ``ts``;
    the page says only "Filter items after/before this Unix timestamp", not whether
    the edge is in: here it is (``min_ts <= ts <= max_ts``), the side on which a
    client asking from its last reconciled point misses nothing."""
    query = request.query
    _scope(query)
    ticker, order_id = query.get("ticker"), query.get("order_id")
    lowest, highest = _ts(query, "min_ts"), _ts(query, "max_ts")  # parsed once, not per fill

    def keep(fill: Fill) -> bool:
        return (
            (ticker is None or fill.ticker == ticker)
            and (order_id is None or fill.order_id == order_id)
            and (lowest is None or fill.ts >= lowest)
            and (highest is None or fill.ts <= highest)
        )

    chosen, cursor = page(sim.engine.fill_values(TRADER), query, "fills", keep)
    fills = [f.to_wire() for f in chosen]
    if sim.config.legacy_fields:
        return Answer({"fills": [_legacy.fill(f) for f in fills], "cursor": cursor})
    return Answer({"fills": fills, "cursor": cursor})


def list_positions(sim: SimVenue, request: Request) -> Answer:
    """GET /portfolio/positions (get-positions.md): ``cursor``, ``limit`` (1-1000),
    ``count_filter`` (``position``, ``total_traded``), ``ticker``, ``event_ticker``
    (one), ``subaccount``, ``exchange_index``.  ``event_positions`` holds the events
    of the page's markets."""
    query = request.query
    _scope(query)
    ticker, event_ticker = query.get("ticker"), query.get("event_ticker")
    wanted = query_csv(query.get("count_filter")) or set()
    if wanted - {"position", "total_traded"}:
        raise BadRequest("count_filter", "accepted values: position, total_traded")

    def keep(position: Mapping[str, object]) -> bool:
        nonzero = {
            "position": Decimal(str(position["position_fp"])) != 0,
            "total_traded": Decimal(str(position["total_traded_dollars"])) != 0,
        }
        market = str(position["ticker"])
        return (
            (ticker is None or market == ticker)
            and (event_ticker is None or _event_of(sim, market) == event_ticker)
            and (not wanted or any(nonzero[name] for name in wanted))
        )

    chosen, cursor = page(sim.engine.positions(TRADER), query, "positions", keep)
    by_event: dict[str, list[str]] = {}
    for position in chosen:
        by_event.setdefault(_event_of(sim, position["ticker"]), []).append(position["ticker"])
    events = [
        sim.engine.event_position(TRADER, event, tickers) for event, tickers in by_event.items()
    ]
    if sim.config.legacy_fields:
        legacy_markets = [
            _legacy.position(p, sim.engine.resting_orders(TRADER, p["ticker"])) for p in chosen
        ]
        legacy_events = [_legacy.event_position(e) for e in events]
        return Answer(
            {"market_positions": legacy_markets, "event_positions": legacy_events, "cursor": cursor}
        )
    return Answer({"market_positions": chosen, "event_positions": events, "cursor": cursor})


def historical_cutoff(sim: SimVenue, _request: Request) -> Answer:
    """GET /historical/cutoff (getting_started/historical_data.md): the timestamps
    before which settled markets, fills and finished orders move to ``/historical/*``.
    The simulated venue keeps everything live: each cutoff is its start."""
    started = iso_time(sim.started)
    return Answer(
        {
            "market_settled_ts": started,
            "trades_created_ts": started,
            "orders_updated_ts": started,
        }
    )


def get_balance(sim: SimVenue, _request: Request) -> Answer:
    """GET /portfolio/balance (get-balance.md): ``balance`` (cents), ``balance_dollars``,
    ``portfolio_value`` (cents), ``updated_ts``."""
    return Answer(sim.engine.balance(TRADER))
