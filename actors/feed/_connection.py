"""The trio side of the feed: one websocket at a time, reconnected with jittered backoff.

:class:`FeedConnection` runs on the feed actor's private
:class:`~supervision.TrioLoop` and owns no trading state.  It lists the markets
(``GET {rest_url}/markets``, only when the config names none) and their events
(``GET {rest_url}/events?with_nested_markets=true``, all pages; a 404, as on
the legacy simulated venue, means the venue has no events: every market is its
own single event, and so is every configured ticker), connects,
parses every frame it reads (the market-data protocol of ``config.market_data``, checking prices
against each market's grid: the config's ``ticks``, or the ``price_ranges``
of the market list when it lists the markets) and ``report``\\ s
to the actor, in order:

- :class:`ConnectAttemptFailed` when a connection could not be made;
- :class:`Connected` (with a connection number, the tickers and the
  :class:`~actors.messages.EventsListed` of this session) when one is up;
- :class:`FrameReceived` for each frame, stamped with the actor's clock;
- :class:`Disconnected` when it ends: closed by the venue, failed, or declared
  dead because nothing at all (heartbeats included) arrived for
  ``silence_timeout_s`` — a silent socket is closed, never trusted;
- :class:`Tick` every ``tick_interval_s``, connected or not.

Time is the actor's ``clock`` only: frames are stamped with it, and the loop it
runs on (the actor's :class:`~supervision.TrioLoop`) measures trio's sleeps and
timeouts on the same clock. Under a :class:`~supervision.ManualClock` every wait
here (the backpressure poll included) ends only when the test advances it.

A session ends by closing the TCP stream, without a websocket closing
handshake, for two reasons found with trio-websocket 0.12: when the venue
closed first, its ``aclose`` returns early and leaks the socket; and a ping
arriving while our close frame is out kills its reader task (wsproto refuses
to send the pong in the closing state), after which the closing handshake
hung.  A socket we leave is dead or silent to us anyway.

It sends what the actor asks with :meth:`FeedConnection.send`, which names the
connection the command was meant for: a command for a connection that has
ended is dropped (the actor resubscribes everything on the next
``Connected``).  Network failures are reported and retried after the backoff;
anything else (a bug) escapes to the loop's ``on_error`` and crashes the actor,
so its supervisor restarts it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import trio
from trio_websocket import (
    ConnectionClosed,
    HandshakeError,
    WebSocketConnection,
    open_websocket_url,
)

from actors import _checks
from actors.domain import Event
from actors.feed._config import FeedConfig
from actors.messages import EventsListed, MarketInfo
from actors.money import LotSize, PriceGrid
from actors.venues import TICKER, Frame
from actors.venues._amounts import PriceGrids, grid_of_price_ranges
from supervision import Backoff, Clock

COMMAND_QUEUE_SIZE = 4_096
"""Commands waiting to be written; more means the socket is stuck, so it is reconnected."""

EVENTS_PAGE = 200
"""Events asked per ``GET /events`` page (Kalshi's maximum)."""

MAX_EVENT_PAGES = 1_000
"""Pages followed before the listing is refused: a venue whose cursor never ends."""

LOT = LotSize(_checks.SIZE_STEP)
"""Every market's lot: Kalshi trades multiples of 0.01 contract (its market objects
carry no lot of their own)."""


@attrs.frozen
class Connected:
    connection: int
    tickers: tuple[str, ...]
    listed: EventsListed


@attrs.frozen
class Disconnected:
    connection: int
    reason: str
    retry_in: float


@attrs.frozen
class ConnectAttemptFailed:
    reason: str
    retry_in: float


@attrs.frozen
class FrameReceived:
    connection: int
    frame: Frame
    received_at: float


@attrs.frozen
class Tick:
    """Time to check staleness and retry deliveries."""


class MarketListError(ValueError):
    """``GET /markets`` or ``GET /events`` answered something that is not a list of
    markets or events."""


_NETWORK_ERRORS = (
    OSError,
    HandshakeError,
    httpx.HTTPError,
    MarketListError,
    trio.BrokenResourceError,
)


class FeedConnection:
    """Connects, reads, reconnects; see the module docstring. Runs on one trio loop."""

    def __init__(
        self,
        config: FeedConfig,
        *,
        clock: Clock,
        rng: random.Random,
        report: Callable[[Any], None],
        backlog: Callable[[], int] = lambda: 0,
    ) -> None:
        """``backlog()`` is how many messages the feed actor has not handled yet
        (its mailbox depth); reading pauses while it exceeds ``max_backlog_frames``."""
        self.config = config
        self._backlog = backlog
        self._clock = clock
        self._backoff = Backoff(config.reconnect_backoff, rng)
        self._report = report
        self._connection = 0
        self._grids: PriceGrids = config.price_grids()
        self._outbox: trio.MemorySendChannel[tuple[str, float]] | None = None
        self._session_scope: trio.CancelScope | None = None
        self._end_reason = ""

    # -- called on the loop thread (through TrioLoop.call) ------------------------

    def send(self, connection: int, text: str, delay: float = 0.0) -> None:
        """Write ``text`` on connection ``connection`` after ``delay`` s; dropped if it ended."""
        if connection != self._connection or self._outbox is None:
            return
        try:
            self._outbox.send_nowait((text, delay))
        except trio.WouldBlock:
            self._end_session("command queue overflow")

    # -- the loop -----------------------------------------------------------------

    async def run(self) -> None:
        """Tick and keep a connection up until cancelled."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._tick)
            while True:
                started = self._clock.monotonic()
                connected, reason = await self._session()
                if self._clock.monotonic() - started >= self.config.reconnect_backoff.reset_after:
                    self._backoff.reset()
                delay = self._backoff.next_delay()
                if connected:
                    self._report(Disconnected(self._connection, reason, delay))
                else:
                    self._report(ConnectAttemptFailed(reason, delay))
                await trio.sleep(delay)

    async def _tick(self) -> None:
        while True:
            await trio.sleep(self.config.tick_interval_s)
            self._report(Tick())

    async def _session(self) -> tuple[bool, str]:
        """One connection from handshake to end: (whether it was up, why it ended)."""
        ws: WebSocketConnection | None = None
        try:
            tickers, listed = await self._list_markets()
            async with open_websocket_url(
                self.config.ws_url,
                connect_timeout=self.config.connect_timeout_s,
                disconnect_timeout=self.config.close_timeout_s,
            ) as ws:
                try:
                    return True, await self._serve(ws, tickers, listed)
                finally:
                    self._outbox = None
                    with trio.CancelScope(shield=True):
                        await ws._stream.aclose()  # abort, never hand-shake: see below
        except ConnectionClosed as closed:
            return ws is not None, f"closed: {closed.reason}"
        except _NETWORK_ERRORS as error:
            return ws is not None, f"{type(error).__name__}: {error}"

    async def _list_markets(self) -> tuple[tuple[str, ...], EventsListed]:
        """The markets to follow and what the strategy is told of them (see the module
        docstring); raises :class:`MarketListError` or an ``httpx`` error."""
        if self.config.tickers:
            return self.config.tickers, self._listed(self.config.tickers, None)
        async with httpx.AsyncClient(
            base_url=self.config.rest_url, timeout=self.config.rest_timeout_s
        ) as client:
            response = await client.get("/markets")
            response.raise_for_status()
            body = response.json()
            markets = body.get("markets") if isinstance(body, dict) else None
            if not isinstance(markets, list):
                raise MarketListError("GET /markets: no 'markets' list")
            tickers = [m.get("ticker") if isinstance(m, dict) else m for m in markets]
            good = tuple(t for t in tickers if isinstance(t, str) and TICKER.fullmatch(t))
            if len(good) != len(tickers):
                raise MarketListError(f"GET /markets: bad tickers {tickers!r}")
            self._grids = self.config.price_grids().with_grids(self._grids_of(markets))
            events = await self._list_events(client)
        return good, self._listed(good, events)

    async def _list_events(self, client: httpx.AsyncClient) -> list[Event] | None:
        """Every event of ``GET /events?with_nested_markets=true``, page by page; None
        when the venue answers 404 (it has no events)."""
        events: list[Event] = []
        cursor = ""
        for _page in range(MAX_EVENT_PAGES):
            params = {"with_nested_markets": "true", "limit": str(EVENTS_PAGE)}
            if cursor:
                params["cursor"] = cursor
            response = await client.get("/events", params=params)
            if response.status_code == 404:
                return None
            response.raise_for_status()
            body = response.json()
            page = body.get("events") if isinstance(body, dict) else None
            if not isinstance(page, list):
                raise MarketListError("GET /events: no 'events' list")
            events.extend(event for wire in page if (event := self._event_of(wire)) is not None)
            following = body.get("cursor") or ""
            if not following:
                return events
            if not isinstance(following, str) or following == cursor:
                raise MarketListError(f"GET /events: bad cursor {following!r}")
            cursor = following
        raise MarketListError(f"GET /events: more than {MAX_EVENT_PAGES} pages")

    def _event_of(self, wire: object) -> Event | None:
        """One Kalshi event object as an :class:`Event`; None for an event of no market.
        A ``mutually_exclusive`` event of a single market is taken as not exclusive
        (nothing to hedge it with)."""
        if not isinstance(wire, dict):
            raise MarketListError(f"GET /events: not an event: {wire!r}")
        event_ticker, markets = wire.get("event_ticker"), wire.get("markets")
        exclusive = wire.get("mutually_exclusive")
        if not isinstance(markets, list) or not isinstance(exclusive, bool):
            raise MarketListError(f"GET /events: event {event_ticker!r} lacks markets or flag")
        tickers = tuple(m.get("ticker") if isinstance(m, dict) else m for m in markets)
        names = tuple(t for t in tickers if isinstance(t, str))
        if not isinstance(event_ticker, str) or len(names) != len(tickers):
            raise MarketListError(f"GET /events: event {event_ticker!r}: bad tickers {tickers!r}")
        if not names:
            return None
        try:
            return Event(
                event_ticker, names, exclusive and len(names) >= 2, payout=self.config.payout
            )
        except ValueError as bad:
            raise MarketListError(f"GET /events: event {event_ticker!r}: {bad}") from None

    def _listed(self, tickers: tuple[str, ...], events: list[Event] | None) -> EventsListed:
        """``events`` (every market in none of them its own single event) and every
        followed market's grid and lot. A market two events name is refused."""
        event_of: dict[str, str] = {}
        for event in events or ():
            for ticker in event.markets:
                if ticker in event_of:
                    raise MarketListError(
                        f"GET /events: {ticker} is in {event_of[ticker]} and {event.event_ticker}"
                    )
                event_of[ticker] = event.event_ticker
        singles = [
            Event.single(ticker, self.config.payout) for ticker in tickers if ticker not in event_of
        ]
        markets = tuple(
            MarketInfo(ticker, event_of.get(ticker, ticker), self._grids.grid(ticker), LOT)
            for ticker in tickers
        )
        return EventsListed((*(events or ()), *singles), markets)

    def _grids_of(self, markets: list[Any]) -> dict[str, PriceGrid]:
        """The grid of each listed market that carries Kalshi's ``price_ranges``."""
        grids = {}
        for market in markets:
            ranges = market.get("price_ranges") if isinstance(market, dict) else None
            if ranges is None:
                continue  # the configured or default grid
            ticker = market["ticker"]
            try:
                grids[ticker] = grid_of_price_ranges(
                    ranges, payout=self.config.payout, ticker=ticker
                )
            except ValueError as bad:
                raise MarketListError(f"GET /markets: {ticker}: bad price_ranges: {bad}") from None
        return grids

    async def _serve(
        self, ws: WebSocketConnection, tickers: tuple[str, ...], listed: EventsListed
    ) -> str:
        self._connection += 1
        connection = self._connection
        outbox, commands = trio.open_memory_channel[tuple[str, float]](COMMAND_QUEUE_SIZE)
        self._end_reason = "command queue overflow"
        async with trio.open_nursery() as nursery:
            self._outbox, self._session_scope = outbox, nursery.cancel_scope
            self._report(Connected(connection, tickers, listed))
            nursery.start_soon(self._write, ws, commands, nursery)
            self._end_reason = await self._read(ws, connection)
            nursery.cancel_scope.cancel()
        return self._end_reason

    def _end_session(self, reason: str) -> None:
        self._end_reason = reason
        if self._session_scope is not None:
            self._session_scope.cancel()

    async def _read(self, ws: WebSocketConnection, connection: int) -> str:
        silence = self.config.silence_timeout_s
        grids = self._grids
        parse = self.config.market_data.parse_frame
        while True:
            while self._backlog() > self.config.max_backlog_frames:
                await trio.sleep(0.001)  # backpressure; the venue is not silent, we are busy
            with trio.move_on_after(silence) as quiet:
                try:
                    message = await ws.get_message()
                except ConnectionClosed as closed:
                    return f"closed by the venue: {closed.reason}"
            if quiet.cancelled_caught:
                return f"silence: no frame for {silence}s"
            frame = parse(message, grids=grids)
            self._report(FrameReceived(connection, frame, self._clock.monotonic()))

    async def _write(
        self,
        ws: WebSocketConnection,
        commands: trio.MemoryReceiveChannel[tuple[str, float]],
        nursery: trio.Nursery,
    ) -> None:
        async for text, delay in commands:
            if delay > 0:
                nursery.start_soon(self._send_later, ws, text, delay)
            elif not await self._send_now(ws, text):
                return

    async def _send_later(self, ws: WebSocketConnection, text: str, delay: float) -> None:
        await trio.sleep(delay)
        await self._send_now(ws, text)

    async def _send_now(self, ws: WebSocketConnection, text: str) -> bool:
        """False once the socket is closed (the reader sees that too and ends the session)."""
        try:
            await ws.send_message(text)
        except (ConnectionClosed, trio.BrokenResourceError, trio.ClosedResourceError):
            return False
        return True
