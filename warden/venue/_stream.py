"""The websocket stream ``/trade-api/ws/v2``: order book snapshots and deltas, fills, orders.

Protocol (Kalshi trade API v2 shapes)::

    -> {"id": 1, "cmd": "subscribe",
        "params": {"channels": ["orderbook_delta"], "market_tickers": ["SIM-001"]}}
    <- {"type": "subscribed", "id": 1, "msg": {"channel": "orderbook_delta", "sid": 1}}
    <- {"type": "orderbook_snapshot", "sid": 1, "seq": 1,
        "msg": {"market_ticker": "SIM-001",
                "yes_dollars_fp": [["0.4500", "10.00"], ...], "no_dollars_fp": [...]}}
    <- {"type": "orderbook_delta", "sid": 1, "seq": 2,
        "msg": {"market_ticker": "SIM-001", "price_dollars": "0.4500", "delta_fp": "-3.00",
                "side": "no"}}
    <- {"type": "heartbeat", "ts": 1700000000.0}          (every heartbeat_seconds)
    -> {"id": 2, "cmd": "unsubscribe", "params": {"sids": [1]}}
    <- {"type": "unsubscribed", "id": 2, "sid": 1}

Each subscribed channel gets its own ``sid``; every frame of a subscription
carries ``seq``, contiguous from 1 (one snapshot per market first, then
deltas).  Prices and counts are Kalshi's fixed-point strings (4 and 2
decimals); a snapshot side with no levels is left out of the message, as
Kalshi does.  Omitting ``market_tickers`` means every market.  The private
channels ``fill`` (type ``fill``) and ``orders`` (type ``order``) carry the
trader account's fills and order updates, sequenced the same way.  A bad
command gets ``{"type": "error", "id": ..., "msg": {"code": ..., "msg": ...}}``
and the connection stays open.  Hypercorn also sends websocket pings.

A snapshot is taken in the same atomic step as the subscription is
registered, so no event falls between the snapshot and the first delta.  A
client too slow to drain ``OUTBOX_LIMIT`` frames is disconnected.  Stream
faults (:class:`StreamFaults`) are decided as frames are queued.
"""

from __future__ import annotations

import copy
import json
import math

import trio
from attrs import define, field
from loguru import logger

from warden.asgi import Message, Receive, Send
from warden.json_types import Json, JsonObject
from warden.venue._book import OrderBook
from warden.venue._engine import TRADER, MatchingEngine
from warden.venue._faults import FaultDice
from warden.venue._model import (
    BookDelta,
    FillEvent,
    OrderEvent,
    VenueEvent,
    WireSide,
    count_fp,
    price_fp,
    signed_count_fp,
)
from warden.venue._shapes import (
    BookDeltaMsg,
    ControlFrame,
    DataFrame,
    FillMsg,
    SnapshotMsg,
    SnapshotSides,
    StreamMsg,
)
from warden.venue._wire import dump_json

WS_PATH = "/trade-api/ws/v2"
CHANNELS = ("orderbook_delta", "fill", "orders")
OUTBOX_LIMIT = 10_000
CLOSE_GOING_AWAY = 1011


@define
class _Subscription:
    sid: int
    channel: str
    tickers: frozenset[str] | None
    seq: int = 0


_CLOSE = None  # in the outbox: close the connection (an injected drop)


@define(eq=False)
class _Session:
    hub: StreamHub
    outbox: trio.MemorySendChannel[str | None]
    subscriptions: dict[int, _Subscription] = field(factory=dict)
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
        routed = _route(event)
        if routed is None:
            return
        channel, kind, ticker, msg = routed
        for sub in list(self.subscriptions.values()):
            if sub.channel == channel and (sub.tickers is None or ticker in sub.tickers):
                self.publish(sub, kind, msg)

    def command(self, text: str) -> None:
        """Handle one client frame; every problem is answered with an error frame."""
        try:
            request: Json = json.loads(text, parse_constant=_no_constants)
        except (ValueError, RecursionError):
            self._error(None, "bad_json", "frame is not valid JSON")
            return
        if not isinstance(request, dict):
            self._error(None, "bad_command", "frame must be a JSON object")
            return
        ident = request.get("id")
        ident = ident if isinstance(ident, int) and not isinstance(ident, bool) else None
        params = request.get("params", {})
        if not isinstance(params, dict):
            self._error(ident, "bad_params", "params must be an object")
            return
        cmd = request.get("cmd")
        if cmd == "subscribe":
            self._subscribe(ident, params)
        elif cmd == "unsubscribe":
            self._unsubscribe(ident, params)
        else:
            self._error(ident, "unknown_command", "cmd must be 'subscribe' or 'unsubscribe'")

    def _subscribe(self, ident: int | None, params: JsonObject) -> None:
        engine = self.hub.engine
        given = params.get("channels")
        if not isinstance(given, list) or not given or not all(c in CHANNELS for c in given):
            self._error(ident, "bad_channels", f"channels must be a non-empty list of {CHANNELS}")
            return
        channels = [c for c in given if isinstance(c, str)]  # all of them: each is in CHANNELS
        named = params.get("market_tickers", params.get("market_ticker"))
        if isinstance(named, str):
            named = [named]
        if named is not None and (
            not isinstance(named, list)
            or not all(isinstance(t, str) and t in engine.tickers for t in named)
        ):
            self._error(ident, "bad_market_tickers", "market_tickers must list known tickers")
            return
        # an empty or absent list means every market
        tickers = [t for t in named or () if isinstance(t, str)] or engine.tickers
        for channel in channels:
            self.hub.next_sid += 1
            sub = _Subscription(self.hub.next_sid, channel, frozenset(tickers))
            self.subscriptions[sub.sid] = sub
            self.enqueue(
                {"type": "subscribed", "id": ident, "msg": {"channel": channel, "sid": sub.sid}}
            )
            if channel == "orderbook_delta":
                for ticker in tickers:
                    msg: SnapshotMsg = {
                        "market_ticker": ticker,
                        **snapshot_sides(engine.book(ticker)),
                    }
                    self.publish(sub, "orderbook_snapshot", msg)

    def _unsubscribe(self, ident: int | None, params: JsonObject) -> None:
        """Every sid must be an integer (not a bool or float) this connection holds, each
        once; otherwise one ``bad_sids`` error and nothing is unsubscribed."""
        sids = params.get("sids")
        valid = (
            isinstance(sids, list)
            and all(type(sid) is int and sid in self.subscriptions for sid in sids)
            and len(set(sids)) == len(sids)
        )
        if not valid:
            self._error(ident, "bad_sids", "sids must list this connection's subscriptions")
            return
        assert isinstance(sids, list)
        for sid in sids:
            assert type(sid) is int
            del self.subscriptions[sid]
            self.enqueue({"type": "unsubscribed", "id": ident, "sid": sid})

    def _error(self, ident: int | None, code: str, message: str) -> None:
        self.enqueue({"type": "error", "id": ident, "msg": {"code": code, "msg": message}})


def wire_levels(book: OrderBook, side: WireSide) -> list[list[str]]:
    """One side of ``book`` as ``[[price_dollars, count_fp], ...]``, ascending price."""
    return [[price_fp(price), count_fp(size)] for price, size in book.levels(side)]


def snapshot_sides(book: OrderBook) -> SnapshotSides:
    """``yes_dollars_fp`` / ``no_dollars_fp`` of a snapshot; an empty side's key is absent."""
    sides: SnapshotSides = {}
    yes, no = wire_levels(book, WireSide.YES), wire_levels(book, WireSide.NO)
    if yes:
        sides["yes_dollars_fp"] = yes
    if no:
        sides["no_dollars_fp"] = no
    return sides


def _route(event: VenueEvent) -> tuple[str, str, str, StreamMsg] | None:
    """(channel, frame type, ticker, msg) of an engine event, or None if no client sees it."""
    if isinstance(event, BookDelta):
        msg: BookDeltaMsg = {
            "market_ticker": event.ticker,
            "price_dollars": price_fp(event.price),
            "delta_fp": signed_count_fp(event.delta),
            "side": str(event.side),
        }
        return "orderbook_delta", "orderbook_delta", event.ticker, msg
    if isinstance(event, FillEvent) and event.fill.account == TRADER:
        fill = event.fill
        fill_msg: FillMsg = {"market_ticker": fill.ticker, **fill.to_wire()}
        return "fill", "fill", fill.ticker, fill_msg
    if isinstance(event, OrderEvent) and event.account == TRADER:
        return "orders", "order", event.order["ticker"], event.order
    return None


def _no_constants(name: str) -> object:
    raise ValueError(name)


class StreamHub:
    """Every open websocket session of one venue, fed from the engine's events."""

    def __init__(self, engine: MatchingEngine, dice: FaultDice, heartbeat_seconds: float) -> None:
        self.engine = engine
        self.dice = dice
        self.heartbeat_seconds = heartbeat_seconds
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
        outbox_in, outbox_out = trio.open_memory_channel[str | None](OUTBOX_LIMIT)
        session = _Session(self, outbox_in)
        self._sessions.add(session)
        try:
            with session.scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._pump, session, outbox_out, send)
                    if self.heartbeat_seconds > 0:
                        nursery.start_soon(self._heartbeats, session)
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

    async def _heartbeats(self, session: _Session) -> None:
        while True:
            await trio.sleep(self.heartbeat_seconds)
            session.enqueue({"type": "heartbeat", "ts": self.engine.clock.now()})

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
