"""Orders and trades in Polymarket's JSON: REST records and user-channel events.

Shapes as the recorded answers in /work/shared/venues/polymarket/frames/
(``user_synthetic/``) and the fact sheet (§1, §2) give them:

- OpenOrder (``GET /data/order/{id}``, ``GET /data/orders``): ``id, status
  (LIVE | MATCHED | CANCELED), owner, maker_address, market, asset_id, side,
  original_size, size_matched, price, outcome, expiration, order_type,
  associate_trades, created_at`` (unix s).
- Trade (``GET /data/trades``): ``id, taker_order_id, market, asset_id, side,
  size, fee_rate_bps, price, status, match_time, last_update, outcome,
  bucket_index, owner, maker_address, transaction_hash, trader_side (TAKER |
  MAKER), maker_orders[{order_id, owner, maker_address, matched_amount, price,
  fee_rate_bps, asset_id, outcome, side}]``.  The top level is the taker's
  side of the trade; a maker's own fill is its ``maker_orders`` entry.
- User channel: ``order`` events (``type`` PLACEMENT | UPDATE | CANCELLATION)
  and ``trade`` events (``type`` TRADE, ``status`` MATCHED then CONFIRMED).

Prices are the price of the order's own token (a NO-token order is priced in
NO), sizes shares, both plain decimal text.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from warden.venue._engine import TRADER
from warden.venue._ledger import OrderState
from warden.venue._model import Fill, OrderStatus, WireSide
from warden.venue._polymarket_markets import plain
from warden.venue._polymarket_state import PolymarketDialect, Trade

__all__ = ["STATUS", "open_order", "order_event", "trade_event", "trade_record"]

Json = dict[str, object]

STATUS = {
    OrderStatus.RESTING: "LIVE",
    OrderStatus.EXECUTED: "MATCHED",
    OrderStatus.CANCELED: "CANCELED",
}


def _outcome(side: WireSide) -> str:
    return "Yes" if side is WireSide.YES else "No"


def _fill_price(fill: Fill) -> Decimal:
    return fill.yes_price if fill.side is WireSide.YES else fill.no_price


def open_order(pm: PolymarketDialect, state: OrderState) -> Json:
    """The OpenOrder record of ``state`` (see the module docstring)."""
    request = state.request
    market = pm.catalog.by_ticker[request.ticker]
    meta = pm.meta.get(state.order_id)
    order_id = pm.order_id(state.order_id)
    trades = [
        trade.trade_id
        for trade in pm.trades
        if state.order_id in (trade.taker.order_id, trade.maker.order_id)
    ]
    return {
        "id": order_id,
        "status": STATUS[state.status],
        "owner": pm.owner(state.account),
        "maker_address": pm.maker_address(state.account),
        "market": market.condition_id,
        "asset_id": market.token(request.side),
        "side": request.action.value.upper(),
        "original_size": plain(request.count),
        "size_matched": plain(state.fill_count),
        "price": plain(request.price),
        "outcome": _outcome(request.side),
        "expiration": meta.expiration if meta else "0",
        "order_type": meta.order_type if meta else "GTC",
        "associate_trades": trades,
        "created_at": int(state.created),
    }


def _maker_entry(pm: PolymarketDialect, fill: Fill, fee_rate_bps: str) -> Json:
    market = pm.catalog.by_ticker[fill.ticker]
    return {
        "order_id": pm.order_id(fill.order_id),
        "owner": pm.owner(fill.account),
        "maker_address": pm.maker_address(fill.account),
        "matched_amount": plain(fill.count),
        "price": plain(_fill_price(fill)),
        "fee_rate_bps": fee_rate_bps,
        "asset_id": market.token(fill.side),
        "outcome": _outcome(fill.side),
        "side": fill.action.value.upper(),
    }


def _transaction_hash(trade: Trade) -> str:
    return "0x" + hashlib.sha256(f"warden-sim-tx:{trade.trade_id}".encode()).hexdigest()


def trade_record(pm: PolymarketDialect, trade: Trade, *, status: str = "CONFIRMED") -> Json:
    """The Trade record of ``trade`` as the trader's ``GET /data/trades`` lists it."""
    taker = trade.taker
    market = pm.catalog.by_ticker[taker.ticker]
    when = str(int(taker.ts))
    return {
        "id": trade.trade_id,
        "taker_order_id": pm.order_id(taker.order_id),
        "market": market.condition_id,
        "asset_id": market.token(taker.side),
        "side": taker.action.value.upper(),
        "size": plain(taker.count),
        "fee_rate_bps": pm.catalog.fee_rate_bps,
        "price": plain(_fill_price(taker)),
        "status": status,
        "match_time": when,
        "last_update": when,
        "outcome": _outcome(taker.side),
        "bucket_index": 0,
        "owner": pm.owner(taker.account),
        "maker_address": pm.maker_address(taker.account),
        "transaction_hash": _transaction_hash(trade),
        "trader_side": "TAKER" if taker.account == TRADER else "MAKER",
        "maker_orders": [_maker_entry(pm, trade.maker, "0")],
    }


def trade_event(pm: PolymarketDialect, trade: Trade, status: str) -> Json:
    """The user channel's ``trade`` event of ``trade`` at ``status``."""
    record = trade_record(pm, trade, status=status)
    timestamp = str(int(trade.taker.ts * 1000))
    return {
        **record,
        "event_type": "trade",
        "type": "TRADE",
        "trade_owner": pm.owner(TRADER),
        "timestamp": timestamp,
    }


def order_event(pm: PolymarketDialect, state: OrderState, kind: str, now_ms: int) -> Json:
    """The user channel's ``order`` event of ``state`` (``kind`` PLACEMENT, UPDATE or
    CANCELLATION)."""
    record = open_order(pm, state)
    return {
        **record,
        "event_type": "order",
        "type": kind,
        "order_owner": record["owner"],
        "created_at": str(int(state.created * 1000)),
        "timestamp": str(now_ms),
    }
