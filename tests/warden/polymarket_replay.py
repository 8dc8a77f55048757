"""A loopback stand-in for Polymarket's public surfaces, for paper-trading tests.

One hypercorn server on 127.0.0.1 answers, in Polymarket's documented shapes
(/work/shared/venues/polymarket.md):

- Gamma ``GET /events/slug/{slug}``: one event with its markets nested;
- CLOB ``GET /book?token_id=``: one token's book (``bids``/``asks`` of
  ``{"price", "size"}`` strings, worst level first as the live venue lists them);
- the market channel ``/ws/market``: on ``{"assets_ids": [...], "type": "market"}``
  (or ``"operation": "subscribe"``) one ``book`` event per asset, as an array,
  then every 0.25 s a ``price_change`` of a deep level of each followed asset
  (the books stay live); ``PING`` is answered ``PONG``.

The books are written by hand in the venue's schema (synthetic, not recorded:
the recorded frames are parsed as sent by the unit tests). A
:class:`ReplayEvent` is a negative-risk event of binary markets whose YES asks
are given; each YES token's book shows those asks, and its NO token's book is the
mirror (a YES ask at p is a NO bid at 1 - p, and the YES bids make the NO asks).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import attrs
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve

ONE = Decimal(1)


@attrs.frozen
class ReplayMarket:
    condition_id: str
    yes_token: str
    no_token: str
    yes_ask: Decimal  # the best YES ask (size ``depth``); the YES bid is 0.05 below it
    depth: Decimal = Decimal(100)


@attrs.frozen
class ReplayEvent:
    slug: str
    markets: tuple[ReplayMarket, ...]

    def gamma(self) -> dict[str, Any]:
        """The Gamma event, its markets nested with what trading needs."""
        return {
            "id": "90001",
            "slug": self.slug,
            "title": "synthetic replay event",
            "negRisk": True,
            "active": True,
            "closed": False,
            "markets": [
                {
                    "conditionId": market.condition_id,
                    "question": f"outcome {n}?",
                    "slug": f"{self.slug}-{n}",
                    "outcomes": json.dumps(["Yes", "No"]),
                    "clobTokenIds": json.dumps([market.yes_token, market.no_token]),
                    "orderPriceMinTickSize": 0.01,
                    "orderMinSize": 5,
                    "negRisk": True,
                    "active": True,
                    "closed": False,
                    "acceptingOrders": True,
                }
                for n, market in enumerate(self.markets, start=1)
            ],
        }

    def book(self, token: str) -> dict[str, Any] | None:
        """The ``book`` of ``token`` (the REST answer's shape), or None if unknown."""
        for market in self.markets:
            yes_bid = market.yes_ask - Decimal("0.05")
            if token == market.yes_token:
                bids, asks = [(yes_bid, market.depth)], [(market.yes_ask, market.depth)]
            elif token == market.no_token:
                bids, asks = [(ONE - market.yes_ask, market.depth)], [(ONE - yes_bid, market.depth)]
            else:
                continue
            return {
                "market": market.condition_id,
                "asset_id": token,
                "timestamp": "1764633600000",
                "hash": f"{abs(hash((token, market.yes_ask))):040x}"[:40],
                "bids": [{"price": f"{p:f}", "size": f"{s:f}"} for p, s in bids],
                "asks": [{"price": f"{p:f}", "size": f"{s:f}"} for p, s in asks],
            }
        return None


class _App:
    def __init__(self, event: ReplayEvent) -> None:
        self.event = event
        self.subscriptions: list[dict[str, Any]] = []
        self.book_reads: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._ws(scope, receive, send)
        elif scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})

    async def _http(self, scope: dict[str, Any], _receive: Any, send: Any) -> None:
        path = scope["path"]
        query = dict(
            part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part
        )
        status, body = 404, {"error": "not found"}
        if path == f"/events/slug/{self.event.slug}":
            status, body = 200, self.event.gamma()
        elif path == "/book":
            token = query.get("token_id", "")
            self.book_reads.append(token)
            book = self.event.book(token)
            if book is not None:
                status, body = 200, book
        data = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    async def _ws(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] != "/ws/market" or (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        followed: list[str] = []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._tick, send, followed)
            while True:
                message = await receive()
                if message["type"] != "websocket.receive":
                    nursery.cancel_scope.cancel()
                    return
                text = message.get("text") or ""
                if text == "PING":
                    await send({"type": "websocket.send", "text": "PONG"})
                    continue
                command = json.loads(text)
                self.subscriptions.append(command)
                assets = command.get("assets_ids", [])
                if command.get("operation", "subscribe") != "subscribe":
                    continue
                followed.extend(assets)
                books = [self.event.book(token) for token in assets]
                frames = [{"event_type": "book", **book} for book in books if book is not None]
                if frames:
                    await send({"type": "websocket.send", "text": json.dumps(frames)})

    async def _tick(self, send: Any, followed: list[str]) -> None:
        """Every 0.25 s, for each followed token, a ``price_change`` of a level far from
        the top (a bid at $0.01 toggling between 5 and 6 shares): a live market."""
        step = 0
        while True:
            await trio.sleep(0.25)
            step += 1
            for token in followed:
                book = self.event.book(token)
                if book is None:
                    continue
                change = {
                    "asset_id": token,
                    "price": "0.01",
                    "size": "5" if step % 2 else "6",
                    "side": "BUY",
                    "hash": f"{step:040x}",
                    "best_bid": book["bids"][-1]["price"],
                    "best_ask": book["asks"][-1]["price"],
                }
                frame = {
                    "event_type": "price_change",
                    "market": book["market"],
                    "price_changes": [change],
                    "timestamp": str(1_764_633_600_000 + step * 250),
                }
                await send({"type": "websocket.send", "text": json.dumps(frame)})


@attrs.define
class ReplayServer:
    url: str
    app: _App

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http") + "/ws/market"


@contextmanager
def polymarket_replay(event: ReplayEvent) -> Iterator[ReplayServer]:
    """The replay server on an ephemeral loopback port, on its own thread."""
    app = _App(event)
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        config = HypercornConfig()
        config.bind = ["127.0.0.1:0"]
        config.accesslog = None
        config.errorlog = logging.getLogger("tests.polymarket_replay")  # no "Running on"
        config.graceful_timeout = 0.5
        box["token"] = trio.lowlevel.current_trio_token()
        box["stop"] = stop = trio.Event()
        async with trio.open_nursery() as nursery:
            binds = await nursery.start(
                lambda task_status: serve(
                    app, config, shutdown_trigger=stop.wait, task_status=task_status
                )
            )
            box["url"] = binds[0]
            ready.set()

    thread = threading.Thread(target=trio.run, args=(main,), daemon=True)
    thread.start()
    assert ready.wait(10), "the replay server did not start"
    try:
        yield ReplayServer(box["url"], app)
    finally:
        trio.from_thread.run_sync(box["stop"].set, trio_token=box["token"])
        thread.join(10)
