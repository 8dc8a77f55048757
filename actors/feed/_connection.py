r"""The trio side of the feed: one websocket at a time, reconnected with jittered backoff.

:class:`FeedConnection` runs on the feed actor's private
:class:`~supervision.TrioLoop` and owns no trading state.  Before each
connection it asks the venue's protocol (``config.market_data``, the venue
seam) which markets to follow
(:meth:`~actors.venues.MarketDataProtocol.list_markets` on an HTTP client it
opens at ``rest_url`` with the ``rest_timeout_s`` deadline, each request
carrying the protocol's :meth:`~actors.venues.MarketDataProtocol.rest_headers`):
the tickers, their events (None: every market its own single event) and the
grids of the markets the listing describes (the others keep the config's
``ticks`` or the default grid).  It then connects (the upgrade carrying the
protocol's :meth:`~actors.venues.MarketDataProtocol.handshake_headers`),
reads the socket a whole buffer at a time (:mod:`actors.feed._socket`), parses
every frame of a read with the protocol, checking prices against each market's
grid, and ``report``\ s to the actor, in order:

- :class:`ConnectAttemptFailed` when a connection could not be made;
- :class:`Connected` (with a connection number, the tickers and the
  :class:`~actors.messages.EventsListed` of this session) when one is up;
- :class:`FramesRead` for each read's frames (one hand-off per wake-up, not
  per frame), stamped with the actor's clock;
- :class:`StreamConfirmed` for each pong (see Liveness below);
- :class:`Disconnected` when it ends: closed by the venue, failed, or declared
  dead because a websocket ping went unanswered (see below);
- :class:`Tick` every ``tick_interval_s``, connected or not.

Liveness: the connection pings the venue (a websocket ping control frame)
every ``ping_interval_s`` and the venue answers with a pong.  Each session has
one deadline, its nursery's cancel scope: ``ping_interval_s +
silence_timeout_s`` after the session started or after the last pong.  When
it passes the session ends, reported as ``silence: a ping went unanswered for
…s``.  The absence of data frames proves nothing (a quiet market sends nothing
for as long as it likes, and Kalshi sends no JSON heartbeats; its own pings,
which the socket answers as it reads them, are not visible here), but their
presence proves the socket alive: each read that returns frames holds the
deadline at least ``silence_timeout_s`` ahead, since a pong queues at the venue
behind every frame it sent first (5,000 subscriptions answered at once kept the
simulated venue's pong ~5 s behind its snapshots, issue 15).  While reading is
paused for backpressure, pongs queue behind unread frames, so the deadline is
held the same way: the venue is not judged by what we have not read.  A stream
that lags this way is not trusted for it: its books go stale by venue time
(:mod:`actors.feed._books`).  No cancel scope is opened per frame.

Time is the actor's ``clock`` only: frames are stamped with it, and the loop it
runs on (the actor's :class:`~supervision.TrioLoop`) measures trio's sleeps and
deadlines on the same clock. Under a :class:`~supervision.ManualClock` every
wait here (the ping interval, the pong deadline, the backpressure poll) ends
only when the test advances it.

A session ends by closing the TCP stream, without a websocket closing
handshake: a socket we leave is dead or silent to us anyway, and the handshake
is where trio-websocket 0.12 hung (a ping arriving while our close frame was
out).  The socket starts no task of its own, so nothing it does can outlive the
session (with trio-websocket, a reader blocked handing a message to a feed that
had stopped reading kept a session from ever ending, found at 5,000 markets).

It sends what the actor asks with :meth:`FeedConnection.send`, which names the
connection the command was meant for: a command for a connection that has
ended is dropped (the actor resubscribes everything on the next
``Connected``).  Network failures (and a market listing that is not one:
:class:`~actors.venues.MarketListError`) are reported and retried after the
backoff; anything else (a bug) escapes to the loop's ``on_error`` and crashes
the actor, so its supervisor restarts it.  Header values (signatures) are
never part of a reason, a log line or a repr.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import trio

from actors import _checks
from actors.domain import Event
from actors.feed._config import FeedConfig, shard_of
from actors.feed._socket import FrameSocket, HandshakeRefused, SocketClosed, open_frame_socket
from actors.messages import EventsListed, MarketInfo
from actors.money import LotSize
from actors.venues import Frame, StreamSession
from actors.venues._amounts import PriceGrids
from actors.venues._market_data import MarketListError, MarketListing
from supervision import Backoff, Clock

__all__ = [
    "ConnectAttemptFailed",
    "Connected",
    "Disconnected",
    "FeedConnection",
    "FramesRead",
    "MarketListError",
    "StreamConfirmed",
    "Tick",
]


COMMAND_QUEUE_SIZE = 4_096
"""Commands waiting to be written beyond two per market (a session opens with one
subscription per market, and each may need a resync); more means the socket is
stuck, so it is reconnected. A fixed 4,096 overflowed on every connection at 5,000
markets, before a single command was written (issue 15)."""

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


@attrs.frozen(eq=False)
class FramesRead:
    """The frames of one read of the socket, in order, stamped when it was read."""

    connection: int
    frames: list[Frame]
    received_at: float


@attrs.frozen
class StreamConfirmed:
    """A pong was read: every frame the venue sent before it answered the ping sent at
    ``as_of`` (the actor's clock) has been reported (see :mod:`actors.feed._books`)."""

    connection: int
    as_of: float


@attrs.frozen
class Tick:
    """Time to check staleness and retry deliveries."""


_NETWORK_ERRORS = (
    OSError,
    HandshakeRefused,
    httpx.HTTPError,
    MarketListError,
    trio.BrokenResourceError,
)


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first exception in ``group`` that is not itself a group."""
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


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
        """``backlog()`` is how many of the frames reported the feed actor has not
        handled yet; reading pauses while it exceeds ``max_backlog_frames``."""
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
        self.frames_reported = 0  # written on the loop's thread only (see FeedActor._backlog)

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
        try:
            tickers, listed = await self._list_markets()
        except _NETWORK_ERRORS as error:
            return False, f"{type(error).__name__}: {error}"
        headers = self.config.market_data.handshake_headers()
        try:
            with trio.fail_after(self.config.connect_timeout_s):
                socket = await open_frame_socket(self.config.ws_url, headers)
        except trio.TooSlowError:
            return False, f"ConnectionTimeout: no handshake in {self.config.connect_timeout_s}s"
        except SocketClosed as closed:
            return False, f"closed: {closed.reason}"
        except _NETWORK_ERRORS as error:
            return False, f"{type(error).__name__}: {error}"
        try:
            return True, await self._serve(socket, tickers, listed)
        except BaseExceptionGroup as group:  # a failed write or ping, from the session's nursery
            failures, others = group.split((SocketClosed, *_NETWORK_ERRORS))
            if others is not None or failures is None:
                raise
            return True, _reason(_first_leaf(failures))
        finally:
            self._outbox = None
            with trio.CancelScope(shield=True):
                await socket.abort()  # never a closing handshake: see the module docstring

    async def _list_markets(self) -> tuple[tuple[str, ...], EventsListed]:
        """The markets to follow and what the strategy is told of them (see the module
        docstring); raises :class:`MarketListError` or an ``httpx`` error."""
        protocol = self.config.market_data

        async def sign(request: httpx.Request) -> None:
            path = request.url.raw_path.decode("ascii").split("?", 1)[0]  # as on the wire
            for name, value in protocol.rest_headers(request.method, path):
                request.headers[name] = value

        async with httpx.AsyncClient(
            base_url=self.config.rest_url,
            timeout=self.config.rest_timeout_s,
            event_hooks={"request": [sign]},
        ) as client:
            listing = await protocol.list_markets(
                client, self.config.selection, payout=self.config.payout
            )
        self._grids = self.config.price_grids().with_grids(dict(listing.grids))
        listed = self._listed(listing)
        return tuple(market.ticker for market in listed.markets), listed

    def _listed(self, listing: MarketListing) -> EventsListed:
        """The listing's events (every followed market in none of them its own single
        event) and every followed market's grid and lot, of this feed's shard only
        (``config.shard``: whole events). A market two events name is refused."""
        events, tickers = listing.events or (), listing.tickers
        event_of: dict[str, str] = {}
        for event in events:
            for ticker in event.markets:
                if ticker in event_of:
                    raise MarketListError(
                        f"events: {ticker} is in {event_of[ticker]} and {event.event_ticker}"
                    )
                event_of[ticker] = event.event_ticker
        singles = [
            Event.single(ticker, self.config.payout) for ticker in tickers if ticker not in event_of
        ]
        markets = tuple(
            MarketInfo(ticker, event_of.get(ticker, ticker), self._grids.grid(ticker), LOT)
            for ticker in tickers
        )
        index, count = self.config.shard
        return EventsListed(
            tuple(e for e in (*events, *singles) if shard_of(e.event_ticker, count) == index),
            tuple(m for m in markets if shard_of(m.event_ticker, count) == index),
        )

    async def _serve(
        self, socket: FrameSocket, tickers: tuple[str, ...], listed: EventsListed
    ) -> str:
        self._connection += 1
        connection = self._connection
        room = COMMAND_QUEUE_SIZE + 2 * len(tickers)
        outbox, commands = trio.open_memory_channel[tuple[str, float]](room)
        self._end_reason = self._silence_reason()  # unless something else ends it first
        stream = self.config.market_data.session(self._grids)  # this connection's reader
        async with trio.open_nursery() as nursery:
            self._outbox, self._session_scope = outbox, nursery.cancel_scope
            nursery.cancel_scope.deadline = trio.current_time() + self._liveness_window()
            self._report(Connected(connection, tickers, listed))
            nursery.start_soon(self._write, socket, commands, nursery, stream)
            nursery.start_soon(self._keepalive, socket, connection)
            self._end_reason = await self._read(socket, connection, stream)
            nursery.cancel_scope.cancel()
        self._session_scope = None
        return self._end_reason

    def _liveness_window(self) -> float:
        return self.config.ping_interval_s + self.config.silence_timeout_s

    def _silence_reason(self) -> str:
        return f"silence: a ping went unanswered for {self.config.silence_timeout_s}s"

    def _end_session(self, reason: str) -> None:
        self._end_reason = reason
        if self._session_scope is not None:
            self._session_scope.cancel()

    async def _keepalive(self, socket: FrameSocket, connection: int) -> None:
        """Ping every ``ping_interval_s`` (after the venue's keep-alive text, if it wants
        one); each pong moves the session's deadline on and confirms the stream."""
        keepalive = self.config.market_data.keepalive_text()
        sent = 0
        while True:
            await trio.sleep(self.config.ping_interval_s)
            sent += 1
            try:
                if keepalive is not None:
                    await socket.send_text(keepalive)
                pinged_at = self._clock.monotonic()
                await socket.ping(sent.to_bytes(8, "big"))  # returns when its pong was read
            except SocketClosed:
                return  # the reader sees it too and ends the session
            if self._session_scope is not None:
                self._session_scope.deadline = trio.current_time() + self._liveness_window()
            self._report(StreamConfirmed(connection, pinged_at))

    async def _read(self, socket: FrameSocket, connection: int, stream: StreamSession) -> str:
        """Read until the socket closes, reporting each read's frames as one
        :class:`FramesRead` (one hand-off per wake-up, not per frame)."""
        parse = stream.parse
        while True:
            while self._backlog() > self.config.max_backlog_frames:
                self._hold_deadline()
                await trio.sleep(0.001)  # backpressure; the venue is not silent, we are busy
            try:
                messages = await socket.receive_batch()
            except SocketClosed as closed:
                return f"closed: {closed.reason}"
            received_at = self._clock.monotonic()
            if messages:
                self._hold_deadline()  # the venue is sending: its pong may be behind
            frames: list[Frame] = []
            for message in messages:
                frames += parse(message)
            if frames:
                self.frames_reported += len(frames)
                self._report(FramesRead(connection, frames, received_at))

    def _hold_deadline(self) -> None:
        """The venue is not silent (frames arrive, or wait unread while we do not read):
        keep the deadline at least ``silence_timeout_s`` ahead."""
        scope = self._session_scope
        if scope is not None:
            held = trio.current_time() + self.config.silence_timeout_s
            scope.deadline = max(scope.deadline, held)

    async def _write(
        self,
        socket: FrameSocket,
        commands: trio.MemoryReceiveChannel[tuple[str, float]],
        nursery: trio.Nursery,
        stream: StreamSession,
    ) -> None:
        async for first in commands:
            now: list[str] = []
            command: tuple[str, float] | None = first
            while command is not None:  # everything queued meanwhile goes in the same write
                text, delay = command
                if delay > 0:
                    nursery.start_soon(self._send_later, socket, stream, text, delay)
                else:
                    now.append(text)
                try:
                    command = commands.receive_nowait()
                except trio.WouldBlock:
                    command = None
            # One write per wake-up: a reader flat out would otherwise take a whole
            # read batch between two of a new connection's thousand subscriptions.
            if now and not await self._send_now(socket, stream, *now):
                return

    async def _send_later(
        self, socket: FrameSocket, stream: StreamSession, text: str, delay: float
    ) -> None:
        await trio.sleep(delay)
        await self._send_now(socket, stream, text)

    async def _send_now(self, socket: FrameSocket, stream: StreamSession, *texts: str) -> bool:
        """Send what the session makes of each of ``texts`` (nothing, where it says so),
        in one write; False once the socket is closed (the reader sees that too and
        ends the session)."""
        wires = [wire for wire in map(stream.outgoing, texts) if wire is not None]
        if not wires:
            return True
        try:
            await socket.send_texts(wires)
        except (SocketClosed, trio.BrokenResourceError, trio.ClosedResourceError):
            return False
        return True


def _reason(error: BaseException) -> str:
    """Why a session ended, from what ended it."""
    if isinstance(error, SocketClosed):
        return f"closed: {error.reason}"
    return f"{type(error).__name__}: {error}"
