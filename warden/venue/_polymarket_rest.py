"""Polymarket's CLOB V2 REST API over the simulated venue's engine, at the server's root.

Public (no headers):

==========================================  ======================================
``GET /book?token_id=``                     the token's book (400 ``Invalid token
                                            id``, 404 ``No orderbook exists for the
                                            requested token id``)
``GET /markets?next_cursor=``               every CLOB market, paged (with Gamma's
                                            filters it is Gamma's list: see
                                            :mod:`._polymarket_http`)
``GET /markets/{condition_id}``             the CLOB market
``GET /clob-markets/{condition_id}``        ``{c, t, mts, nr, fd}``
``GET /tick-size?token_id=``                ``{minimum_tick_size}``
``GET /neg-risk?token_id=``                 ``{neg_risk}``
``GET /version``                            ``{"version": 2}``
==========================================  ======================================

Trading (L2 headers, :func:`~._polymarket_auth.l2_problem`; a failure is 401
``{"error": "Unauthorized/Invalid api key"}``; no ``VenueConfig.polymarket``:
every trading call is a 401):

==========================================  ======================================
``POST /order``                             place a signed order (below)
``DELETE /order`` ``{"orderID"}``           ``{canceled: [id], not_canceled: {id: reason}}``
``DELETE /orders`` ``[id, ...]``            the same for several
``DELETE /cancel-all``                      every open order of the account
``GET /data/order/{id}``                    the live order; ``null`` if not live
``GET /data/orders?id=&market=&asset_id=``  open orders, paged
``GET /data/trades?id=&market=&asset_id=``  the account's trades, paged; ``after`` /
                                            ``before``: match time, whole seconds, inclusive
``GET /balance-allowance?asset_type=``      ``COLLATERAL``: free pUSD, ``CONDITIONAL``
                                            (``token_id``): shares; 6-decimal base units
``POST /v1/heartbeats``, ``/heartbeats``     ``{"status": "ok"}``; arms the dead-man switch
==========================================  ======================================

Paging: ``next_cursor`` is the base64 of the offset, ``MA==`` (0) first and
``LTE=`` (-1) past the last page (clob-client-v2 ``INITIAL_CURSOR`` /
``END_CURSOR``); another cursor is a 400.

``POST /order`` (``{order, owner, orderType, postOnly?, deferExec?}``): the order
must be signed by ``PolymarketConfig.address`` with its ``signer`` that
address, its ``maker`` the account's funder (or the address, type 0) and its
``signatureType`` the configured one (else 400 ``invalid signature``); its
``owner`` the API key.  Its id is the EIP-712 digest.  The price and size come
from the amounts (BUY: ``makerAmount`` pUSD for ``takerAmount`` shares; SELL the
reverse); a price off the market's tick, or a size off 0.01 shares, is refused.
``GTC``/``GTD`` rest (a ``GTD``'s expiration is kept but not enforced); ``FOK``
fills whole or is killed (400 ``order couldn't be fully filled...``); ``FAK``
fills what it can and the rest is killed (400 ``no orders found to match with
FAK order...`` when nothing matched; both 400s carry the ``orderID`` too);
``postOnly`` with ``FOK``/``FAK`` is refused, and a post-only order that would
cross is refused (400 ``invalid post-only order: order crosses book``).  Money
and position refusals are 400 ``not enough balance / allowance``.  Success:
``{success: true, errorMsg: "", orderID, status: "matched" | "live",
takingAmount, makingAmount, transactionsHashes, tradeIDs}`` with the amounts of
what filled at once (BUY: taking = shares, making = pUSD; SELL the reverse).
Every refused request is logged to the truth log like the Kalshi dialect's.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext
from typing import TypeAlias

from attrs import frozen

from actors import money
from warden.venue._engine import TRADER
from warden.venue._errors import OrderRejected, UnknownMarket
from warden.venue._model import LOT, OrderRequest, OrderStatus, TimeInForce, WireAction
from warden.venue._polymarket_auth import SignedOrderFields, order_digest, recover_signer
from warden.venue._polymarket_markets import plain
from warden.venue._polymarket_state import OrderMeta, PolymarketDialect
from warden.venue._polymarket_wire import open_order, trade_record

__all__ = ["END_CURSOR", "INITIAL_CURSOR", "ROUTES", "PolymarketRequest", "Route", "resolve"]

INITIAL_CURSOR = "MA=="
END_CURSOR = "LTE="
_BASE = Decimal(10) ** 6

Answer: TypeAlias = tuple[int, object]


@frozen
class PolymarketRequest:
    method: str
    path: str
    query: Mapping[str, list[str]]
    body: bytes
    params: Mapping[str, str]

    def one(self, key: str) -> str | None:
        values = self.query.get(key)
        return values[0] if values else None


Handler = Callable[[PolymarketDialect, PolymarketRequest], Answer]


def _error(status: int, message: str) -> Answer:
    return status, {"error": message}


def _refused(pm: PolymarketDialect, message: str, status: int = 400) -> Answer:
    """A refused order request: logged to truth, answered ``{"error"}``."""
    pm.sim.engine.reject(TRADER, "polymarket_refused", message)
    return _error(status, message)


# ------------------------------------------------------------------ public


def _token(pm: PolymarketDialect, request: PolymarketRequest) -> tuple[str | None, Answer | None]:
    token = request.one("token_id")
    if not token or not token.isdigit():
        return None, _error(400, "Invalid token id")
    if token not in pm.catalog.by_token:
        return None, _error(404, "No orderbook exists for the requested token id")
    return token, None


def get_book(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    token, refusal = _token(pm, request)
    if refusal is not None or token is None:
        return refusal or _error(400, "Invalid token id")
    return 200, pm.catalog.book(token, int(pm.sim.clock.now() * 1000))


def get_tick_size(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    token, refusal = _token(pm, request)
    if refusal is not None or token is None:
        return refusal or _error(400, "Invalid token id")
    market, _ = pm.catalog.by_token[token]
    return 200, {"minimum_tick_size": float(pm.catalog.tick(market))}


def get_neg_risk(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    token, refusal = _token(pm, request)
    if refusal is not None or token is None:
        return refusal or _error(400, "Invalid token id")
    market, _ = pm.catalog.by_token[token]
    return 200, {"neg_risk": market.neg_risk}


def get_market(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    market = pm.catalog.markets.get(request.params["cid"].lower())
    if market is None:
        return _error(404, "market not found")
    return 200, pm.catalog.clob_market(market)


def list_clob_markets(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    """The CLOB's ``GET /markets``: every market, paged like the order lists."""
    return _page(pm, request, [pm.catalog.clob_market(m) for m in pm.catalog.markets.values()])


def get_market_info(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    market = pm.catalog.markets.get(request.params["cid"].lower())
    if market is None:
        return _error(404, "market not found")
    return 200, pm.catalog.clob_market_info(market)


def get_version(_pm: PolymarketDialect, _request: PolymarketRequest) -> Answer:
    return 200, {"version": 2}


# ------------------------------------------------------------------ orders


_ORDER_TYPES = {
    "GTC": TimeInForce.GOOD_TILL_CANCELED,
    "GTD": TimeInForce.GOOD_TILL_CANCELED,
    "FOK": TimeInForce.FILL_OR_KILL,
    "FAK": TimeInForce.IMMEDIATE_OR_CANCEL,
}
FOK_KILLED = "order couldn't be fully filled. FOK orders are fully filled or killed."
FAK_KILLED = (
    "no orders found to match with FAK order. FAK orders are partially filled or killed"
    " if no match is found."
)
NO_MONEY = "not enough balance / allowance"
CROSSES = "invalid post-only order: order crosses book"


def _price_size(fields: SignedOrderFields) -> tuple[Decimal, Decimal]:
    """(price, shares) the amounts stand for; ``ValueError`` when not exact."""
    pusd, shares = (
        (fields.maker_amount, fields.taker_amount)
        if fields.side == "BUY"
        else (fields.taker_amount, fields.maker_amount)
    )
    if pusd <= 0 or shares <= 0:
        raise ValueError("makerAmount and takerAmount must be > 0")
    try:
        with localcontext(money.EXACT):
            price = Decimal(pusd) / Decimal(shares)
            size = Decimal(shares) / _BASE
    except (InvalidOperation, DivisionByZero, ArithmeticError):
        raise ValueError("the amounts are not an exact price") from None
    return price.normalize(), size.normalize()


def post_order(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:  # noqa: PLR0911
    account = pm.account
    assert account is not None  # trading routes are refused before without one
    try:
        body = json.loads(request.body)
        order = body["order"]
        fields = SignedOrderFields(order)
        order_type = body.get("orderType", "GTC")
        post_only = body.get("postOnly", False)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        return _refused(pm, f"Invalid order payload: {str(error)[:120]}")
    if body.get("owner") != account.api_key:
        return _refused(pm, "the order owner has to be the owner of the API KEY")
    if order_type not in _ORDER_TYPES or not isinstance(post_only, bool):
        return _refused(pm, "Invalid order payload: orderType or postOnly")
    found = pm.catalog.by_token.get(str(fields.token_id))
    if found is None:
        return _refused(pm, "Invalid order payload: unknown tokenId")
    market, side = found
    digest = order_digest(fields, neg_risk=market.neg_risk, chain_id=account.chain_id)
    signer = recover_signer(fields, neg_risk=market.neg_risk, chain_id=account.chain_id)
    if (
        signer is None
        or signer.lower() != fields.signer.lower()
        or fields.signer.lower() != account.address.lower()
        or fields.maker.lower() != account.maker.lower()
        or fields.signature_type != account.signature_type
    ):
        return _refused(pm, "invalid signature")
    if pm.knows_digest(digest):
        return _refused(pm, f"order {digest} is invalid. Duplicated.")
    if post_only and order_type in ("FOK", "FAK"):
        return _refused(pm, f"invalid post-only order: {order_type} orders cannot be post-only")
    try:
        price, size = _price_size(fields)
    except ValueError as error:
        return _refused(pm, f"Invalid order payload: {error}")
    if not LOT.contains(size):
        return _refused(pm, f"Invalid order payload: size {size} is not a multiple of 0.01")
    try:
        engine_request = OrderRequest(
            market.ticker,
            side,
            WireAction.BUY if fields.side == "BUY" else WireAction.SELL,
            size,
            price,
            _ORDER_TYPES[order_type],
            # the engine's client order id (never shown on this dialect) is the digest,
            # so the truth log names each order by its Polymarket id
            client_order_id=digest,
        )
    except ValueError:
        return _refused(pm, f"invalid price ({plain(price)}): outside (0, 1)")
    book = pm.sim.engine.book(market.ticker)
    if post_only and next(
        book.makers_for(engine_request.book_side, engine_request.book_price), None
    ):
        return _refused(pm, CROSSES)
    return _place(pm, engine_request, digest, order_type, fields)


def _place(
    pm: PolymarketDialect,
    request: OrderRequest,
    digest: str,
    order_type: str,
    fields: SignedOrderFields,
) -> Answer:
    pm.hold()
    try:
        try:
            placed = pm.sim.place_order(request)
        except OrderRejected as error:
            if error.code in ("available_balance_too_low", "insufficient_position"):
                return _error(400, NO_MONEY)
            if error.code == "off_grid_price":
                return _error(400, f"order {digest} is invalid. {error}")
            return _error(400, str(error))
        except UnknownMarket:
            return _error(400, "Invalid order payload: unknown market")
        engine_id = str(placed["order_id"])
        meta = OrderMeta(order_type, str(fields.expiration), int(pm.sim.clock.now() * 1000))
        pm.record(engine_id, digest, meta)
    finally:
        pm.release()
    state = pm.sim.engine.order_state(TRADER, engine_id)
    shares, cost = pm.filled_cost(engine_id)
    if not shares and state.status is OrderStatus.CANCELED:
        # the order existed and was killed: its id comes with the error (a third-party
        # client verified live: "a 400 no orders found to match ... WITH an orderID")
        return 400, {"error": FOK_KILLED if order_type == "FOK" else FAK_KILLED, "orderID": digest}
    trades = [t for t in pm.trades if engine_id in (t.taker.order_id, t.maker.order_id)]
    taking, making = (shares, cost) if request.action is WireAction.BUY else (cost, shares)
    return 200, {
        "success": True,
        "errorMsg": "",
        "orderID": digest,
        "status": "matched" if shares else "live",
        "takingAmount": plain(taking) if shares else "",
        "makingAmount": plain(making) if shares else "",
        "transactionsHashes": [],
        "tradeIDs": [t.trade_id for t in trades],
    }


def _cancel_ids(pm: PolymarketDialect, ids: list[str]) -> Answer:
    canceled: list[str] = []
    not_canceled: dict[str, str] = {}
    for order_id in ids:
        state = pm.engine_order(order_id)
        if state is None:
            not_canceled[order_id] = "order not found"
        elif state.status is not OrderStatus.RESTING:
            not_canceled[order_id] = "already canceled or matched"
        else:
            pm.sim.engine.cancel(TRADER, state.order_id)
            canceled.append(order_id)
    return 200, {"canceled": canceled, "not_canceled": not_canceled}


def delete_order(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    try:
        order_id = json.loads(request.body)["orderID"]
    except (ValueError, KeyError, TypeError):
        return _error(400, "Invalid order payload")
    if not isinstance(order_id, str) or not order_id:
        return _error(400, "Invalid order payload")
    return _cancel_ids(pm, [order_id])


def delete_orders(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    try:
        ids = json.loads(request.body)
    except ValueError:
        return _error(400, "Invalid order payload")
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        return _error(400, "Invalid order payload")
    return _cancel_ids(pm, ids)


def cancel_all(pm: PolymarketDialect, _request: PolymarketRequest) -> Answer:
    live = [
        pm.order_id(state.order_id)
        for state in pm.sim.engine.order_states(TRADER)
        if state.status is OrderStatus.RESTING
    ]
    return _cancel_ids(pm, live)


def get_order(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    state = pm.engine_order(request.params["order_id"])
    if state is None or state.status is not OrderStatus.RESTING:
        return 200, None
    return 200, open_order(pm, state)


# ------------------------------------------------------------------ lists


def _page(pm: PolymarketDialect, request: PolymarketRequest, records: list[object]) -> Answer:
    cursor = request.one("next_cursor") or INITIAL_CURSOR
    try:
        offset = int(base64.b64decode(cursor, validate=True).decode("ascii"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return _error(400, "invalid next_cursor")
    if offset == -1:
        return 200, {"data": [], "next_cursor": END_CURSOR, "limit": 0, "count": 0}
    if not 0 <= offset <= len(records):
        return _error(400, "invalid next_cursor")
    size = pm.account.page_size if pm.account is not None else 100
    data = records[offset : offset + size]
    end = offset + len(data)
    following = END_CURSOR if end >= len(records) else base64.b64encode(str(end).encode())
    return 200, {
        "data": data,
        "next_cursor": following if isinstance(following, str) else following.decode(),
        "limit": size,
        "count": len(data),
    }


def list_orders(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    wanted_id, market, asset = request.one("id"), request.one("market"), request.one("asset_id")
    records: list[object] = []
    for state in pm.sim.engine.order_states(TRADER):
        if state.status is not OrderStatus.RESTING:
            continue
        record = open_order(pm, state)
        if (
            (wanted_id is None or str(record["id"]).lower() == wanted_id.lower())
            and (market is None or record["market"] == market.lower())
            and (asset is None or record["asset_id"] == asset)
        ):
            records.append(record)
    return _page(pm, request, records)


def _unix_seconds(request: PolymarketRequest, name: str) -> tuple[int | None, Answer | None]:
    """The query's ``name`` as whole Unix seconds (absent: None), or the 400 refusing it
    (the venue's text for a bad one is not documented)."""
    text = request.one(name)
    if text is None:
        return None, None
    try:
        return int(text), None
    except ValueError:
        return None, _error(400, f"invalid {name}: not a Unix timestamp")


def list_trades(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    """``GET /data/trades``: ``id``, ``market``, ``asset_id``, and ``after`` / ``before``
    (whole Unix seconds, the official clients' ``TradeParams``). Which time they
    compare and whether their edges are in is not documented: here ``match_time``,
    edges in (``after <= match_time <= before``), the side on which nothing is missed."""
    wanted_id, market, asset = request.one("id"), request.one("market"), request.one("asset_id")
    after, refused = _unix_seconds(request, "after")
    if refused is not None:
        return refused
    before, refused = _unix_seconds(request, "before")
    if refused is not None:
        return refused
    records: list[object] = []
    for trade, _ in pm.trader_trades():
        matched = int(trade.taker.ts)  # the record's match_time
        if (after is not None and matched < after) or (before is not None and matched > before):
            continue
        record = trade_record(pm, trade)
        assets = {record["asset_id"]} | {
            entry["asset_id"]
            for entry in record["maker_orders"]  # type: ignore[attr-defined]
        }
        if (
            (wanted_id is None or record["id"] == wanted_id)
            and (market is None or record["market"] == market.lower())
            and (asset is None or asset in assets)
        ):
            records.append(record)
    return _page(pm, request, records)


def balance_allowance(pm: PolymarketDialect, request: PolymarketRequest) -> Answer:
    kind = request.one("asset_type")
    if kind == "COLLATERAL":
        free, _held = pm.sim.engine.cash(TRADER)
        amount = max(free, Decimal(0))
    elif kind == "CONDITIONAL":
        found = pm.catalog.by_token.get(request.one("token_id") or "")
        if found is None:
            return _error(400, "Invalid token id")
        market, side = found
        yes, no = pm.sim.engine.holding(TRADER, market.ticker)
        amount = yes if side.value == "yes" else no
    else:
        return _error(400, "Invalid asset type")
    units = int((amount * _BASE).to_integral_value(rounding="ROUND_FLOOR"))
    unlimited = str(2**256 - 1)
    return 200, {
        "balance": str(units),
        "allowances": dict.fromkeys(_SPENDERS, unlimited),
    }


_SPENDERS = (
    "0xE111180000d2663C0091e4f400237545B87B996B",
    "0xe2222d279d744050d28e00520010520000310F59",
)


def heartbeat(pm: PolymarketDialect, _request: PolymarketRequest) -> Answer:
    pm.beat()
    return 200, {"status": "ok"}


# ------------------------------------------------------------------ routing


@frozen
class Route:
    method: str
    path: str  # a {name} segment matches one path segment
    endpoint: str  # the fault knobs' endpoint name
    handler: Handler
    trading: bool


ROUTES = (
    Route("GET", "/book", "get_orderbook", get_book, False),
    Route("GET", "/tick-size", "list_markets", get_tick_size, False),
    Route("GET", "/neg-risk", "list_markets", get_neg_risk, False),
    Route("GET", "/markets", "list_markets", list_clob_markets, False),
    Route("GET", "/markets/{cid}", "get_market", get_market, False),
    Route("GET", "/clob-markets/{cid}", "get_market", get_market_info, False),
    Route("GET", "/version", "list_markets", get_version, False),
    Route("POST", "/order", "create_order", post_order, True),
    Route("DELETE", "/order", "cancel_order", delete_order, True),
    Route("DELETE", "/orders", "cancel_order", delete_orders, True),
    Route("DELETE", "/cancel-all", "cancel_order", cancel_all, True),
    Route("GET", "/data/order/{order_id}", "get_order", get_order, True),
    Route("GET", "/data/orders", "list_orders", list_orders, True),
    Route("GET", "/data/trades", "list_fills", list_trades, True),
    Route("GET", "/balance-allowance", "get_balance", balance_allowance, True),
    Route("POST", "/v1/heartbeats", "heartbeat", heartbeat, True),  # py-clob-client-v2's path
    Route("POST", "/heartbeats", "heartbeat", heartbeat, True),  # the docs page's curl example
)


def resolve(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """(the route, its path parameters, whether the path is a Polymarket path at all)."""
    parts = path.split("/")
    claimed = False
    for route in ROUTES:
        pattern = route.path.split("/")
        if len(pattern) != len(parts):
            continue
        params: dict[str, str] = {}
        for want, got in zip(pattern, parts, strict=True):
            if want.startswith("{"):
                if not got:
                    break
                params[want[1:-1]] = got
            elif want != got:
                break
        else:
            claimed = True
            if route.method == method:
                return route, params, True
    return None, {}, claimed
