"""The websocket stream ``/trade-api/ws/v2``, as Kalshi's asyncapi.yaml describes it.

Commands and answers (asyncapi ``components.messages``)::

    -> {"id": 1, "cmd": "subscribe",
        "params": {"channels": ["orderbook_delta"], "market_tickers": ["SIM-001", "SIM-002"]}}
    <- {"type": "subscribed", "id": 1, "msg": {"channel": "orderbook_delta", "sid": 1}}
    <- {"type": "orderbook_snapshot", "sid": 1, "seq": 1,
        "msg": {"market_ticker": "SIM-001", "market_id": "<uuid>",
                "yes_dollars_fp": [["0.4500", "10.00"], ...], "no_dollars_fp": [...]}}
    <- {"type": "orderbook_delta", "sid": 1, "seq": 3,
        "msg": {"market_ticker": "SIM-001", "market_id": "<uuid>", "price_dollars": "0.4500",
                "delta_fp": "-3.00", "side": "no", "ts_ms": 1700000000000}}
    -> {"id": 2, "cmd": "update_subscription",
        "params": {"sids": [1], "action": "get_snapshot"}}
    <- {"type": "ok", "id": 2, "sid": 1, "seq": 5, "msg": {"market_tickers": [...], ...}}
    -> {"id": 3, "cmd": "unsubscribe", "params": {"sids": [1]}}
    <- {"type": "unsubscribed", "id": 3, "sid": 1, "seq": 7}

One ``sid`` per channel of a subscribe, covering every market it names
(``market_ticker`` or ``market_tickers``; none named means every market);
``seq`` counts that sid's frames from 1.  ``update_subscription`` takes
exactly one sid (``sids: [n]`` or ``sid: n``; else error 12) and an
``action``: ``add_markets``/``delete_markets`` with ``market_tickers``, or
``get_snapshot``, which re-sends the subscription's snapshots (or those of the
``market_tickers`` given) without changing it.  ``use_yes_price: true`` prices
the NO side of that subscription's snapshots and deltas in the YES leg
(``1 - price``), as asyncapi's subscribe params describe.  ``list_subscriptions``
answers ``{"type": "ok", "id", "msg": [{"channel", "sid"}, ...]}``.  Errors
are ``{"type": "error", "id", "msg": {"code": <int>, "msg": ...}}`` with
asyncapi's numeric codes (:data:`ERRORS`); the connection stays open.

Private channels, for the trader account's own orders: ``fill`` (frames of
type ``fill``, asyncapi ``fillPayload``) and ``user_orders`` (type
``user_order``, ``userOrderPayload``).  A delta caused by the trader's own
order carries its ``client_order_id`` (only on the trader's connection).

Liveness is websocket PING control frames with body ``heartbeat`` every
``VenueConfig.ping_interval_s`` (Kalshi: 10 s, websockets/connection-keep-alive.md),
sent by the server (:mod:`warden.venue._server`); there is no JSON heartbeat.

A snapshot is taken in the same atomic step as the subscription is
registered, so no event falls between the snapshot and the first delta.  A
client too slow to drain ``OUTBOX_LIMIT`` frames is disconnected.  Stream
faults (:class:`StreamFaults`) are decided as frames are queued.
"""

from __future__ import annotations

import copy
import json
import math
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import cast

import trio
from attrs import define, field
from loguru import logger

from warden.asgi import Message, Receive, Send
from warden.json_types import Json, JsonObject
from warden.venue._book import OrderBook
from warden.venue._engine import TRADER, MatchingEngine
from warden.venue._faults import FaultDice
from warden.venue._model import (
    PAYOUT,
    BookDelta,
    FillEvent,
    OrderEvent,
    VenueEvent,
    WireSide,
    count_fp,
    iso_time,
    price_fp,
    signed_count_fp,
    ts_ms,
)
from warden.venue._shapes import (
    BookDeltaMsg,
    ControlFrame,
    DataFrame,
    FillMsg,
    ListedFrame,
    SnapshotMsg,
    SnapshotSides,
    StreamMsg,
    SubscribedMsg,
    UserOrderMsg,
)
from warden.venue._wire import dump_json

WS_PATH = "/trade-api/ws/v2"
BOOK = "orderbook_delta"
FILL = "fill"
USER_ORDERS = "user_orders"
CHANNELS = (BOOK, FILL, USER_ORDERS)
OUTBOX_LIMIT = 10_000
"""Frames a session may have queued for its client beyond ``OUTBOX_PER_MARKET`` per
market before the client counts as too slow and is dropped."""
OUTBOX_PER_MARKET = 32
"""One dynamics step re-quotes a market in a burst of about 13 frames (measured at 700
markets): a client that reads at the documented rate must not be dropped for a burst
of every market at once (a fixed 10,000 dropped every client at 5,000 markets)."""
CLOSE_GOING_AWAY = 1011

ERRORS = {
    1: "Unable to process message",
    2: "Params required",
    3: "Channels required",
    4: "Subscription IDs required",
    5: "Unknown command",
    6: "Already subscribed",
    7: "Unknown subscription ID",
    8: "Unknown channel name",
    11: "Invalid parameter",
    12: "Exactly one subscription ID is required",
    13: "Unsupported action",
    14: "Market Ticker required",
    15: "Action required",
    16: "Market not found",
}
"""The asyncapi error codes the venue answers with (info.description of asyncapi.yaml)."""
_MARKET_IDS = uuid.UUID("6f0d5b2e-0000-4000-8000-000000000000")


def market_id(ticker: str) -> str:
    """A market's ``market_id``: a UUID derived from its ticker (stable across runs)."""
    return str(uuid.uuid5(_MARKET_IDS, ticker))


class _CommandError(Exception):
    def __init__(self, code: int, detail: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail or ERRORS[code]


@define
class _Subscription:
    sid: int
    channel: str
    tickers: list[str]  # in the order subscribed; every market when none was named
    seq: int = 0
    yes_price: bool = False  # use_yes_price: NO-side levels in YES-leg prices


_CLOSE = None  # in the outbox: close the connection (an injected drop)


@define(eq=False)
class _Session:
    hub: StreamHub
    outbox: trio.MemorySendChannel[str | None]
    subscriptions: dict[int, _Subscription] = field(factory=dict)
    # (channel, ticker) -> the subscriptions that carry it, in the order they took it:
    # an event is routed in one lookup, not by scanning every subscription (5,000
    # one-market subscriptions made each book delta cost 5,000 checks; issue 15).
    routes: dict[tuple[str, str], list[_Subscription]] = field(factory=dict)
    scope: trio.CancelScope = field(factory=trio.CancelScope)
    held: str | None = None  # a frame kept back by the reorder fault

    def enqueue(self, frame: ControlFrame) -> None:
        """Queue an unsequenced ``frame`` for sending, through the silence and drop faults.

        Faults are decided here (and in :meth:`_enqueue_data`), synchronously
        with the event that made the frame, so a knob set between two events
        applies exactly from the second one on.
        """
        if not self._withheld():
            self._put(dump_json(frame).decode())

    def _withheld(self) -> bool:
        """Whether silence or a drop (the connection closes) takes the next frame."""
        faults, dice = self.hub.dice.faults.stream, self.hub.dice
        if faults.silence:
            return True
        if dice.roll(faults.drop_rate):
            self._put(_CLOSE)
            return True
        return False

    def _enqueue_data(self, frame: DataFrame) -> None:
        """Queue a sequenced ``frame`` through every stream fault (see :meth:`enqueue`)."""
        if self._withheld():
            return
        faults, dice = self.hub.dice.faults.stream, self.hub.dice
        if dice.roll(faults.gap_rate):
            return
        malformed = dice.roll(faults.malformed_rate)
        text = _malformed(frame, dice) if malformed else dump_json(frame).decode()
        if self.held is None and dice.roll(faults.reorder_rate):
            self.held = text
            return
        self._put(text)
        if dice.roll(faults.duplicate_rate):
            self._put(text)
        if self.held is not None:
            self._put(self.held)
            self.held = None

    def _put(self, text: str | None) -> None:
        try:
            self.outbox.send_nowait(text)
        except (trio.WouldBlock, trio.ClosedResourceError):
            logger.warning("venue stream: client too slow, disconnecting")
            self.scope.cancel()

    def publish(self, subscription: _Subscription, kind: str, msg: StreamMsg) -> None:
        subscription.seq += 1
        frame: DataFrame = {
            "type": kind,
            "sid": subscription.sid,
            "seq": subscription.seq,
            "msg": msg,
        }
        self._enqueue_data(frame)

    def on_event(self, event: VenueEvent) -> None:
        routed = _route(event, self.hub.engine.clock.now())
        if routed is None:
            return
        channel, kind, ticker, msg = routed
        for sub in list(self.routes.get((channel, ticker), ())):
            self.publish(sub, kind, _yes_leg(msg) if sub.yes_price else msg)

    def _route_to(self, sub: _Subscription, tickers: Iterable[str]) -> None:
        for ticker in tickers:
            self.routes.setdefault((sub.channel, ticker), []).append(sub)

    def _unroute(self, sub: _Subscription, tickers: Iterable[str]) -> None:
        for ticker in tickers:
            subs = self.routes.get((sub.channel, ticker), [])
            if sub in subs:
                subs.remove(sub)
            if not subs:
                self.routes.pop((sub.channel, ticker), None)

    def command(self, text: str) -> None:
        """Handle one client frame; every problem is answered with an error frame."""
        try:
            request: Json = json.loads(text, parse_constant=_no_constants)
        except (ValueError, RecursionError):
            self._error(None, 1, "frame is not valid JSON")
            return
        raw_id = request.get("id") if isinstance(request, dict) else None
        ident = raw_id if type(raw_id) is int else None
        try:
            self._dispatch(ident, request)
        except _CommandError as error:
            self._error(ident, error.code, error.detail)

    def _dispatch(self, ident: int | None, request: Json) -> None:
        if not isinstance(request, dict):
            raise _CommandError(1, "a command is a JSON object")
        params = request.get("params", {})
        if not isinstance(params, dict):
            raise _CommandError(2, "params must be an object")
        commands = {
            "subscribe": lambda: self._subscribe(ident, params),
            "unsubscribe": lambda: self._unsubscribe(ident, params),
            "update_subscription": lambda: self._update(ident, params),
            "list_subscriptions": lambda: self._list(ident),
        }
        handler = commands.get(str(request.get("cmd")))
        if handler is None:
            raise _CommandError(5)
        handler()

    def _tickers(self, params: JsonObject, *, required: bool = False) -> list[str] | None:
        """The markets a command names (``market_ticker`` or ``market_tickers``)."""
        named = params.get("market_tickers", params.get("market_ticker"))
        if named is None:
            if required:
                raise _CommandError(14)
            return None
        if isinstance(named, str):
            named = [named]
        if not isinstance(named, list) or not all(isinstance(t, str) for t in named):
            raise _CommandError(11, "market_tickers must be a list of tickers")
        tickers = [t for t in named if isinstance(t, str)]
        unknown = [t for t in tickers if not self.hub.engine.lists(t)]
        if unknown:
            raise _CommandError(16, f"Market not found: {unknown[0]}")
        if required and not tickers:
            raise _CommandError(14)
        return list(dict.fromkeys(tickers))

    def _subscribe(self, ident: int | None, params: JsonObject) -> None:
        given = params.get("channels")
        if not isinstance(given, list) or not given:
            raise _CommandError(3)
        if not all(isinstance(c, str) and c in CHANNELS for c in given):
            raise _CommandError(8)
        yes_price = params.get("use_yes_price", False)
        if type(yes_price) is not bool:
            raise _CommandError(11, "use_yes_price must be a boolean")
        channels = list(dict.fromkeys(c for c in given if isinstance(c, str)))
        tickers = self._tickers(params) or self.hub.engine.tickers
        for channel in channels:
            if any((channel, ticker) in self.routes for ticker in tickers):
                raise _CommandError(6, f"Already subscribed: {channel}")
        for channel in channels:
            self.hub.next_sid += 1
            sub = _Subscription(self.hub.next_sid, channel, list(tickers), yes_price=yes_price)
            self.subscriptions[sub.sid] = sub
            self._route_to(sub, sub.tickers)
            self.enqueue(
                {"type": "subscribed", "id": ident, "msg": {"channel": channel, "sid": sub.sid}}
            )
            if channel == BOOK:
                self._snapshots(sub, tickers)

    def _snapshots(self, sub: _Subscription, tickers: list[str]) -> None:
        for ticker in tickers:
            msg: SnapshotMsg = {
                "market_ticker": ticker,
                "market_id": market_id(ticker),
                **snapshot_sides(self.hub.engine.book(ticker), yes_price=sub.yes_price),
            }
            self.publish(sub, "orderbook_snapshot", msg)

    def _sids(self, params: JsonObject) -> list[int]:
        sids = params.get("sids", [params["sid"]] if "sid" in params else None)
        if sids is None or sids == []:
            raise _CommandError(4)
        if not isinstance(sids, list) or not all(type(s) is int for s in sids):
            raise _CommandError(11, "sids must be a list of integers")
        numbers = [s for s in sids if type(s) is int]
        if any(s not in self.subscriptions for s in numbers):
            raise _CommandError(7)
        return list(dict.fromkeys(numbers))

    def _unsubscribe(self, ident: int | None, params: JsonObject) -> None:
        """Every sid must be this connection's; otherwise one error and nothing changes."""
        for sid in self._sids(params):
            sub = self.subscriptions.pop(sid)
            self._unroute(sub, sub.tickers)
            self.enqueue({"type": "unsubscribed", "id": ident, "sid": sid, "seq": sub.seq})

    def _update(self, ident: int | None, params: JsonObject) -> None:
        sids = self._sids(params)
        if len(sids) != 1:
            raise _CommandError(12)
        sub = self.subscriptions[sids[0]]
        action = params.get("action")
        if action is None:
            raise _CommandError(15)
        if action == "get_snapshot":
            if sub.channel != BOOK:
                raise _CommandError(13, "get_snapshot is for orderbook_delta subscriptions")
            named = self._tickers(params)
            if named is not None and not set(named) <= set(sub.tickers):
                raise _CommandError(11, "market_tickers must be markets of the subscription")
            self._snapshots(sub, named or sub.tickers)
        elif action in ("add_markets", "delete_markets"):
            named = self._tickers(params, required=True) or []
            if action == "add_markets":
                carried = set(sub.tickers)
                added = [t for t in named if t not in carried]
                sub.tickers.extend(added)
                self._route_to(sub, added)
                if sub.channel == BOOK:
                    self._snapshots(sub, added)
            else:
                deleted = set(named)
                self._unroute(sub, [t for t in sub.tickers if t in deleted])
                sub.tickers[:] = [t for t in sub.tickers if t not in deleted]
        else:
            raise _CommandError(13)
        self.enqueue(
            {
                "type": "ok",
                "id": ident,
                "sid": sub.sid,
                "seq": sub.seq,
                "msg": {
                    "market_tickers": list(sub.tickers),
                    "market_ids": [market_id(t) for t in sub.tickers],
                },
            }
        )

    def _list(self, ident: int | None) -> None:
        listed: list[SubscribedMsg] = [
            {"channel": s.channel, "sid": s.sid} for s in self.subscriptions.values()
        ]
        frame: ListedFrame = {"type": "ok", "id": ident, "msg": listed}
        self.enqueue(frame)

    def _error(self, ident: int | None, code: int, message: str) -> None:
        self.enqueue({"type": "error", "id": ident, "msg": {"code": code, "msg": message}})


def wire_levels(book: OrderBook, side: WireSide) -> list[list[str]]:
    """One side of ``book`` as ``[[price_dollars, count_fp], ...]``, ascending price."""
    return [[price_fp(price), count_fp(size)] for price, size in book.levels(side)]


def snapshot_sides(book: OrderBook, *, yes_price: bool = False) -> SnapshotSides:
    """``yes_dollars_fp`` / ``no_dollars_fp`` of a snapshot; an empty side's key is absent.

    With ``yes_price`` (the subscription's ``use_yes_price``) the NO bids are priced
    in the YES leg (``1 - price``: the YES ask they make), still ascending."""
    sides: SnapshotSides = {}
    yes, no = wire_levels(book, WireSide.YES), wire_levels(book, WireSide.NO)
    if yes_price:
        no = [
            [price_fp(PAYOUT - price), count_fp(size)] for price, size in book.levels(WireSide.NO)
        ]
        no.reverse()
    if yes:
        sides["yes_dollars_fp"] = yes
    if no:
        sides["no_dollars_fp"] = no
    return sides


def _yes_leg(msg: StreamMsg) -> StreamMsg:
    """A NO-side delta priced in the YES leg (``use_yes_price``); anything else as it is."""
    if "delta_fp" in msg and msg.get("side") == "no":
        delta = cast("BookDeltaMsg", msg)
        return {**delta, "price_dollars": price_fp(PAYOUT - Decimal(delta["price_dollars"]))}
    return msg


def _route(event: VenueEvent, now: float) -> tuple[str, str, str, StreamMsg] | None:
    """(channel, frame type, ticker, msg) of an engine event, or None if no client sees it."""
    if isinstance(event, BookDelta):
        msg: BookDeltaMsg = {
            "market_ticker": event.ticker,
            "market_id": market_id(event.ticker),
            "price_dollars": price_fp(event.price),
            "delta_fp": signed_count_fp(event.delta),
            "side": str(event.side),
            "ts_ms": ts_ms(now),
        }
        if event.account == TRADER and event.client_order_id is not None:
            msg["client_order_id"] = event.client_order_id
        return BOOK, "orderbook_delta", event.ticker, msg
    if isinstance(event, FillEvent) and event.fill.account == TRADER:
        return FILL, "fill", event.fill.ticker, _fill_msg(event)
    if isinstance(event, OrderEvent) and event.account == TRADER:
        return USER_ORDERS, "user_order", event.order["ticker"], _user_order_msg(event)
    return None


def _fill_msg(event: FillEvent) -> FillMsg:
    """asyncapi ``fillPayload.msg``."""
    fill = event.fill
    wire = fill.to_wire()
    msg: FillMsg = {
        "trade_id": fill.trade_id,
        "order_id": fill.order_id,
        "market_ticker": fill.ticker,
        "exchange_index": 0,
        "is_taker": fill.is_taker,
        "side": wire["side"],
        "yes_price_dollars": wire["yes_price_dollars"],
        "count_fp": wire["count_fp"],
        "fee_cost": wire["fee_cost"],
        "action": wire["action"],
        "ts": int(fill.ts),
        "ts_ms": ts_ms(fill.ts),
        "post_position_fp": signed_count_fp(event.post_position),
        "purchased_side": wire["outcome_side"],
        "outcome_side": wire["outcome_side"],
        "book_side": wire["book_side"],
    }
    if fill.client_order_id is not None:
        msg["client_order_id"] = fill.client_order_id
    return msg


def _user_order_msg(event: OrderEvent) -> UserOrderMsg:
    """asyncapi ``userOrderPayload.msg``."""
    order = event.order
    msg: UserOrderMsg = {
        "order_id": order["order_id"],
        "user_id": order["user_id"],
        "ticker": order["ticker"],
        "status": order["status"],
        "side": order["side"],
        "is_yes": order["outcome_side"] == "yes",
        "outcome_side": order["outcome_side"],
        "book_side": order["book_side"],
        "yes_price_dollars": order["yes_price_dollars"],
        "fill_count_fp": order["fill_count_fp"],
        "remaining_count_fp": order["remaining_count_fp"],
        "initial_count_fp": order["initial_count_fp"],
        "taker_fill_cost_dollars": order["taker_fill_cost_dollars"],
        "maker_fill_cost_dollars": order["maker_fill_cost_dollars"],
        "taker_fees_dollars": order["taker_fees_dollars"],
        "maker_fees_dollars": order["maker_fees_dollars"],
        "client_order_id": order["client_order_id"],
        "created_time": iso_time(event.created),
        "created_ts_ms": ts_ms(event.created),
        "last_update_time": iso_time(event.updated),
        "last_updated_ts_ms": ts_ms(event.updated),
        "subaccount_number": 0,
    }
    if order["self_trade_prevention_type"] is not None:
        msg["self_trade_prevention_type"] = order["self_trade_prevention_type"]
    return msg


def _no_constants(name: str) -> object:
    raise ValueError(name)


class StreamHub:
    """Every open websocket session of one venue, fed from the engine's events."""

    def __init__(self, engine: MatchingEngine, dice: FaultDice) -> None:
        self.engine = engine
        self.dice = dice
        self.next_sid = 0
        self._sessions: set[_Session] = set()
        engine.subscribe(self._on_event)

    @property
    def connections(self) -> int:
        return len(self._sessions)

    def _on_event(self, event: VenueEvent) -> None:
        for session in list(self._sessions):
            session.on_event(event)

    async def serve(self, scope: Message, receive: Receive, send: Send) -> None:
        """Run one ASGI websocket connection until either side closes it."""
        if (await receive())["type"] != "websocket.connect":
            return
        if scope.get("path") != WS_PATH:
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "websocket.accept"})
        room = OUTBOX_LIMIT + OUTBOX_PER_MARKET * len(self.engine.tickers)
        outbox_in, outbox_out = trio.open_memory_channel[str | None](room)
        session = _Session(self, outbox_in)
        self._sessions.add(session)
        try:
            with session.scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._pump, session, outbox_out, send)
                    await self._listen(session, receive)
                    nursery.cancel_scope.cancel()
        finally:
            self._sessions.discard(session)
            outbox_in.close()

    async def _listen(self, session: _Session, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                return
            text = message.get("text")
            if text is None:
                data = message.get("bytes") or b""
                text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else ""
            session.command(str(text))

    async def _pump(
        self, session: _Session, outbox: trio.MemoryReceiveChannel[str | None], send: Send
    ) -> None:
        async for text in outbox:
            if text is _CLOSE:
                await send({"type": "websocket.close", "code": CLOSE_GOING_AWAY})
                session.scope.cancel()
                return
            await send({"type": "websocket.send", "text": text})


def _malformed(frame: DataFrame, dice: FaultDice) -> str:
    """``frame`` spoiled: cut-off JSON, a NaN number where a string belongs, or (snapshots)
    a negative level size."""
    kinds = ["bad_json", "nan"]
    if frame["type"] == "orderbook_snapshot":
        kinds.append("negative_size")
    kind = dice.rng.choice(kinds)
    text = dump_json(frame).decode()
    if kind == "bad_json":
        return text[: len(text) // 2]
    msg: dict[str, object] = copy.deepcopy(dict(frame["msg"]))
    levels = msg.get("yes_dollars_fp", [])
    levels = levels if isinstance(levels, list) else []  # a snapshot's levels, or none
    if kind == "negative_size":
        msg["yes_dollars_fp"] = [["0.5000", "-7.00"], *levels]
    else:
        key = next((k for k in ("price_dollars", "count_fp", "delta_fp") if k in msg), None)
        if key is None:
            msg["yes_dollars_fp"] = [[math.nan, "1.00"], *levels]
        else:
            msg[key] = math.nan
    return json.dumps({**frame, "msg": msg})
