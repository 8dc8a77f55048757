"""Polymarket's websocket channels over the simulated venue: ``/ws/market`` and ``/ws/user``.

As /work/shared/venues/polymarket.md §1 describes them (no sequence numbers, no
command replies, absolute level sizes):

**Market channel** (public).  ``{"assets_ids": [token, ...], "type": "market"}``
subscribes (later ``{"assets_ids": [...], "operation": "subscribe" |
"unsubscribe"}``); every known token subscribed gets its ``book`` at once (one
message holding a JSON array of ``book`` events, the shape of ``GET /book``),
unknown tokens are ignored.  Then, after each engine operation:

- ``price_change`` ``{event_type, market, price_changes: [{asset_id, price, size,
  side, hash, best_bid, best_ask}], timestamp}`` for every level that changed:
  ``size`` is the level's new **absolute** size (``"0"`` removes it), ``side``
  ``BUY`` (a bid of that token) or ``SELL`` (an ask); a YES bid level is also the
  NO token's ask at ``1 - price``, so one change names both tokens (each client
  gets the entries of the tokens it follows);
- ``last_trade_price`` ``{event_type, asset_id, market, fee_rate_bps, price, side,
  size, timestamp}`` for each trade (the taker's token and side; the other token
  gets the mirror price and the other side);
- ``tick_size_change`` when :meth:`PolymarketHub.change_tick` moves a market to a
  new tick (an in-process hook: ``hub(venue.sim).change_tick(ticker, tick)``).

**User channel**.  ``{"auth": {"apiKey", "secret", "passphrase"}, "markets":
[condition id, ...], "type": "user"}`` (no markets: all); wrong credentials close
the connection (code 1008).  Then the account's ``order`` events (PLACEMENT,
UPDATE, CANCELLATION) and ``trade`` events (``MATCHED``, then ``CONFIRMED``) of
those markets (shapes: :mod:`._polymarket_wire`).

On both: the text ``PING`` is answered ``PONG``; a client that lets
:data:`OUTBOX_LIMIT` messages pile up is disconnected (1011).  The Kalshi
stream's fault knobs do not apply here.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import weakref
from collections.abc import Iterable
from decimal import Decimal

import trio
from attrs import define, field

from warden.asgi import Message, Receive, Send
from warden.venue._engine import TRADER
from warden.venue._model import PAYOUT, BookDelta, OrderEvent, OrderStatus, WireSide
from warden.venue._polymarket_markets import PolymarketMarket, plain
from warden.venue._polymarket_state import PolymarketDialect, PolymarketEvent, Trade, dialect
from warden.venue._polymarket_wire import order_event, trade_event
from warden.venue._venue import SimVenue

__all__ = ["MARKET_PATH", "OUTBOX_LIMIT", "USER_PATH", "PolymarketHub", "claims", "hub"]

MARKET_PATH = "/ws/market"
USER_PATH = "/ws/user"
OUTBOX_LIMIT = 10_000
_CLOSE = None


def claims(path: str) -> bool:
    return path in (MARKET_PATH, USER_PATH)


@define(eq=False)
class _Session:
    channel: str
    outbox: trio.MemorySendChannel[str | None]
    scope: trio.CancelScope = field(factory=trio.CancelScope)
    assets: set[str] = field(factory=set)
    markets: set[str] = field(factory=set)
    authenticated: bool = False
    closed: bool = False  # a close frame went out

    def put(self, text: str | None) -> None:
        try:
            self.outbox.send_nowait(text)
        except trio.WouldBlock:
            self.scope.cancel()  # too slow: dropped (the connection closes)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass


class PolymarketHub:
    """The websocket sessions of one venue's Polymarket dialect."""

    def __init__(self, pm: PolymarketDialect) -> None:
        self.pm = pm
        self.sessions: set[_Session] = set()
        self._seen_orders: set[str] = set()
        pm.subscribe(self._on_event)

    # ---- engine events -> frames

    def _now_ms(self) -> int:
        return int(self.pm.sim.clock.now() * 1000)

    def _on_event(self, event: PolymarketEvent) -> None:
        if isinstance(event, OrderEvent) and event.account == TRADER:
            self._order(event)
        elif not self.sessions:
            return  # nobody listens: no frames to build (the Kalshi-only venue pays nothing)
        elif isinstance(event, BookDelta):
            self._price_change(event)
        elif isinstance(event, Trade):
            self._trade(event)

    def _price_change(self, delta: BookDelta) -> None:
        market = self.pm.catalog.by_ticker[delta.ticker]
        book = self.pm.sim.engine.book(delta.ticker)
        size = plain(book.size_at(delta.side, delta.price))
        changes: list[dict[str, object]] = []
        for token_side in (WireSide.YES, WireSide.NO):
            bid = token_side is delta.side
            price = delta.price if bid else PAYOUT - delta.price
            best_bid, best_ask = self.pm.catalog.best(market, token_side)
            token = market.token(token_side)
            changes.append(
                {
                    "asset_id": token,
                    "price": plain(price),
                    "size": size,
                    "side": "BUY" if bid else "SELL",
                    "hash": _hash(token, price, size, self._now_ms()),
                    "best_bid": best_bid,
                    "best_ask": best_ask,
                }
            )
        self._to_market(market, changes, "price_changes", "price_change")

    def _to_market(
        self, market: PolymarketMarket, entries: list[dict[str, object]], key: str, kind: str
    ) -> None:
        for session in self._market_sessions():
            mine = [entry for entry in entries if entry["asset_id"] in session.assets]
            if mine:
                frame = {
                    "event_type": kind,
                    "market": market.condition_id,
                    key: mine,
                    "timestamp": str(self._now_ms()),
                }
                session.put(json.dumps(frame))

    def _trade(self, trade: Trade) -> None:
        taker = trade.taker
        market = self.pm.catalog.by_ticker[taker.ticker]
        taker_price = taker.yes_price if taker.side is WireSide.YES else taker.no_price
        side = taker.action.value.upper()
        for token_side in (WireSide.YES, WireSide.NO):
            own = token_side is taker.side
            token = market.token(token_side)
            frame = {
                "event_type": "last_trade_price",
                "asset_id": token,
                "market": market.condition_id,
                "fee_rate_bps": self.pm.catalog.fee_rate_bps,
                "price": plain(taker_price if own else PAYOUT - taker_price),
                "side": side if own else ("SELL" if side == "BUY" else "BUY"),
                "size": plain(taker.count),
                "timestamp": str(self._now_ms()),
            }
            for session in self._market_sessions():
                if token in session.assets:
                    session.put(json.dumps(frame))
        if TRADER in (trade.taker.account, trade.maker.account):
            for status in ("MATCHED", "CONFIRMED"):
                self._to_user(market, trade_event(self.pm, trade, status))

    def _order(self, event: OrderEvent) -> None:
        engine_id = str(event.order["order_id"])
        state = self.pm.sim.engine.order_state(TRADER, engine_id)
        market = self.pm.catalog.by_ticker[state.request.ticker]
        now = self._now_ms()
        if engine_id not in self._seen_orders:
            self._seen_orders.add(engine_id)
            if not self.sessions:
                return
            self._to_user(market, order_event(self.pm, state, "PLACEMENT", now))
            if state.status is OrderStatus.RESTING and not state.fill_count:
                return
        if not self.sessions:
            return
        kind = "CANCELLATION" if state.status is OrderStatus.CANCELED else "UPDATE"
        self._to_user(market, order_event(self.pm, state, kind, now))

    def _to_user(self, market: PolymarketMarket, frame: dict[str, object]) -> None:
        text = json.dumps(frame)
        for session in self.sessions:
            wanted = not session.markets or market.condition_id in session.markets
            if session.channel == USER_PATH and session.authenticated and wanted:
                session.put(text)

    def _market_sessions(self) -> Iterable[_Session]:
        return [s for s in self.sessions if s.channel == MARKET_PATH]

    def change_tick(self, ticker: str, tick: Decimal) -> None:
        """Move ``ticker`` to the grid ``tick`` and tell the market channel
        (``tick_size_change`` for both tokens).  Resting orders keep their prices."""
        from warden.venue._model import grid_for  # noqa: PLC0415 - a test hook only

        market = self.pm.catalog.by_ticker[ticker]
        old = self.pm.catalog.tick(market)
        self.pm.sim.engine.grids[ticker] = grid_for(tick, ticker)
        for token in (market.yes_token, market.no_token):
            frame = {
                "event_type": "tick_size_change",
                "asset_id": token,
                "market": market.condition_id,
                "old_tick_size": plain(old),
                "new_tick_size": plain(tick),
                "timestamp": str(self._now_ms()),
            }
            for session in self._market_sessions():
                if token in session.assets:
                    session.put(json.dumps(frame))

    # ---- connections

    async def serve(self, scope: Message, receive: Receive, send: Send) -> None:
        """Run one websocket connection until either side closes it."""
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        outbox_in, outbox_out = trio.open_memory_channel[str | None](OUTBOX_LIMIT)
        session = _Session(str(scope["path"]), outbox_in)
        self.sessions.add(session)
        try:
            with session.scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._pump, session, outbox_out, send)
                    await self._listen(session, receive)
                    nursery.cancel_scope.cancel()
            if session.scope.cancelled_caught and not session.closed:
                await _close(send, 1011)  # dropped for falling behind
        finally:
            self.sessions.discard(session)
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
            self._command(session, str(text))

    def _command(self, session: _Session, text: str) -> None:
        if text.strip() == "PING":
            session.put("PONG")
            return
        try:
            command = json.loads(text)
        except ValueError:
            return  # the channel answers no errors
        if not isinstance(command, dict):
            return
        if session.channel == USER_PATH:
            self._user_subscribe(session, command)
        else:
            self._market_command(session, command)

    def _market_command(self, session: _Session, command: dict[str, object]) -> None:
        assets = command.get("assets_ids")
        if not isinstance(assets, list):
            return
        tokens = [a for a in assets if isinstance(a, str) and a in self.pm.catalog.by_token]
        operation = command.get("operation")
        if operation == "unsubscribe":
            session.assets.difference_update(tokens)
            return
        if operation not in (None, "subscribe"):
            return
        if operation is None and str(command.get("type", "")).lower() != "market":
            return
        session.assets.update(tokens)
        now = self._now_ms()
        books = [
            {"event_type": "book", **book}
            for token in tokens
            if (book := self.pm.catalog.book(token, now)) is not None
        ]
        if books:
            session.put(json.dumps(books))

    def _user_subscribe(self, session: _Session, command: dict[str, object]) -> None:
        auth = command.get("auth")
        account = self.pm.account
        if session.authenticated:
            markets = command.get("markets")
            if isinstance(markets, list) and command.get("operation") in ("subscribe", None):
                session.markets.update(str(m).lower() for m in markets)
            return
        ok = (
            account is not None
            and isinstance(auth, dict)
            and hmac.compare_digest(str(auth.get("apiKey", "")).encode(), account.api_key.encode())
            and hmac.compare_digest(str(auth.get("secret", "")).encode(), account.secret.encode())
            and hmac.compare_digest(
                str(auth.get("passphrase", "")).encode(), account.passphrase.encode()
            )
        )
        if not ok:
            session.put(_CLOSE)
            return
        session.authenticated = True
        markets = command.get("markets")
        if isinstance(markets, list):
            session.markets = {str(m).lower() for m in markets}

    async def _pump(
        self, session: _Session, outbox: trio.MemoryReceiveChannel[str | None], send: Send
    ) -> None:
        async for text in outbox:
            if text is _CLOSE:
                session.closed = True
                await _close(send, 1008)
                session.scope.cancel()
                return
            await send({"type": "websocket.send", "text": text})


async def _close(send: Send, code: int) -> None:
    with contextlib.suppress(Exception):  # the peer may be gone already
        await send({"type": "websocket.close", "code": code})


def _hash(token: str, price: Decimal, size: str, now_ms: int) -> str:
    text = f"{token}:{price}:{size}:{now_ms}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


_HUBS: weakref.WeakKeyDictionary[SimVenue, PolymarketHub] = weakref.WeakKeyDictionary()


def hub(sim: SimVenue) -> PolymarketHub:
    """The Polymarket websocket hub of ``sim`` (made on first use, with its dialect)."""
    found = _HUBS.get(sim)
    if found is None:
        found = _HUBS[sim] = PolymarketHub(dialect(sim))
    return found
