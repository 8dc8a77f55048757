"""The feed actor: the venue's order books in, validated and conflated ``BookUpdate``\\ s out.

::

    venue ──ws──▶ FeedConnection (trio loop) ──parsed frames──▶ FeedActor ──EventsListed──▶ consumer
          ◀─REST: discovery (the protocol's)─┘                           ──BookUpdate──▶
                                                                         ◀─BookConsumed──

The actor is a non-blocking state machine: the websocket lives on a private
:class:`~supervision.TrioLoop` (started in ``on_start``, stopped in ``on_stop``
and ``on_failure``), which parses frames and tells them to the actor; the actor
owns the books and the sequence state (:class:`._books.FeedBooks`) and the
conflated delivery to the consumer (:class:`._delivery.Delivery`).

One clock: the loop runs trio on the actor's injected clock, so the loop's
waits (tick interval, ping interval and pong deadline, reconnect and resync
delays) and the
actor's deadlines (staleness, subscribe timeout) are measured on the same time.

Messages handled:

- ``BookConsumed(ticker, seq)`` from the consumer: the next (latest) book of
  that market may be sent;
- ``Down`` of the consumer (monitored from ``on_start``): what it held is
  re-offered to its next incarnation;
- from its own loop: ``Connected``, ``Disconnected``, ``ConnectAttemptFailed``,
  ``FramesRead``, ``StreamConfirmed``, ``Tick`` and ``LoopFailed``.  Loop messages of an ended
  connection are dropped (counted as ``late_messages``).

Dispatch is the runtime's table (:meth:`FeedActor.handlers`); anything else
(a ``Down`` of an actor other than the consumer included) is counted in
``unknown_messages`` and logged. ``state_summary()`` returns a
:class:`~actors.feed.FeedStatus`.

Messages sent to the consumer: ``EventsListed`` (the venue's events and each
market's grid and lot, read by the loop before each connection: sent when the
connection is up, before any market is subscribed, and again to each new
incarnation of the consumer; while it cannot be delivered no held-back book
is flushed either, though a book offered the moment a restarted consumer
comes up may precede it by a tick), ``BookUpdate`` (at most one unacknowledged per
market) and ``BookStale`` (once each time a market stops being tradeable: a
gap, a duplicate or reordered frame, bad data, a disconnect, or a book not
confirmed current for ``stale_after_s``: see :mod:`actors.feed._books`).

Bursts: a venue re-quotes a market as a burst of deltas (the cancels, then
the new levels), and a book in the middle of one is a book nobody quoted.
So a book is offered at the end of a burst of frames: while more frames of
the same read follow, or another message of the actor's own waits in its
mailbox, each frame's book is held (the
latest per market; one replacing an older held book counts as
``updates.coalesced``, or as ``updates.conflated`` if the market has a book
in flight anyway), and everything held is offered once the last frame of a read finds the
mailbox empty, but at most ``BURST_MAX_FRAMES`` (256) held frames or
``BURST_MAX_S`` (10 ms, on the injected clock) after the first held frame:
a never-empty mailbox delays a book, it cannot starve the consumer (the clock is
read every ``BURST_CLOCK_EVERY`` held frames, so the time bound is met to within
that many frames).  Nothing
is lost (the held book is the market's latest); the runtime's own envelopes
(stop, summary requests) do not count as waiting frames.  Whatever is held is
offered before any other message is handled, and before a ``BookStale`` or a
command to the venue goes out, so a market's book never follows its
staleness.  The one exception is ``BookConsumed``: an acknowledgement in the
middle of a burst sends the book that was pending before the burst, never
the half-applied one.

Recovery is local: a broken market stream resyncs that market only (a fresh
snapshot on its subscription, else a new subscription); a dead socket (closed,
or a ping unanswered past the pong deadline) reconnects with jittered backoff
and resubscribes every market.  If the loop itself fails (a bug, not a network error) the actor
crashes with :class:`FeedLoopFailed` and its supervisor restarts it.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pykka
from loguru import logger

from actors.feed._books import FeedBooks, GoStale, Publish, SendCommand
from actors.feed._config import FeedConfig
from actors.feed._connection import (
    ConnectAttemptFailed,
    Connected,
    Disconnected,
    FeedConnection,
    FramesRead,
    StreamConfirmed,
    Tick,
)
from actors.feed._delivery import Delivery, ListingDelivery
from actors.feed._status import ConnectionStatus, FeedStatus, MarketFeedStatus
from actors.messages import BookConsumed, BookStale
from actors.venues import Frame
from supervision import Down, SupervisedActor, TrioLoop

BURST_MAX_FRAMES = 256
"""A burst's books are offered after this many held frames, even if more wait."""

BURST_MAX_S = 0.01
"""... or once this long (on the actor's clock) has passed since its first held frame."""

BURST_CLOCK_EVERY = 16
"""How often (in held frames) a burst reads the clock for ``BURST_MAX_S``: reading
it on every frame costs the feed's hot path more than the bound is worth."""

_RUNTIME_QUEUED_AT_MOST = 2
"""The runtime queues at most one summary request and one stop for an actor: more
envelopes than that waiting means a message of the feed's own is among them."""

_KEEPS_A_BURST = frozenset({FramesRead, BookConsumed})
"""Messages handled without first offering the held books (see the module docstring)."""


@attrs.frozen(eq=False)
class LoopFailed:
    """The feed's trio loop raised something that is not a network failure."""

    error: BaseException


class FeedLoopFailed(RuntimeError):
    """Raised by the actor (so it crashes and is restarted) when its loop failed."""


class FeedActor(SupervisedActor):
    """Follows the books of ``config``'s markets and hands them to ``consumer``."""

    def __init__(self, config: FeedConfig, *, consumer: str = "strategy") -> None:
        super().__init__()
        self.config = config
        self.consumer = consumer
        self._loop: TrioLoop | None = None
        self._io: FeedConnection | None = None
        self._books: FeedBooks | None = None
        self._delivery: Delivery | None = None
        self._connection = 0  # the live connection's number; 0 while there is none
        self._connection_state = "connecting"
        self._last_disconnect: str | None = None
        self._retry_in: float | None = None
        self._connected_once = False
        self._reconnects = 0
        self._connect_failures = 0
        self._late_messages = 0
        self._listing = ListingDelivery(self._send_to_consumer)  # this session's EventsListed
        self._burst_frames = 0  # frames whose book is held; 0 while nothing is held
        self._burst_since = 0.0  # when the first of them was held
        self._frames_handled = 0  # of those the connection read (see _backlog)

    # -- lifecycle ----------------------------------------------------------------

    def on_start(self) -> None:
        config = self.config
        self._books = FeedBooks(
            payout=config.payout,
            max_overlap=config.max_overlap,
            stale_after_s=config.stale_after_s,
            subscribe_timeout_s=config.subscribe_timeout_s,
            resync_backoff=config.resync_backoff,
            rng=random.Random(self.rng.random()),
            protocol=config.market_data,
            max_pending_subscriptions=config.max_pending_subscriptions,
        )
        self._delivery = Delivery(self._send_to_consumer)
        self.monitor(self.consumer)
        ref = self.actor_ref

        def report(message: Any) -> None:
            with contextlib.suppress(pykka.ActorDeadError):  # we stopped: nobody to tell
                ref.tell(message)

        self._io = FeedConnection(
            config,
            clock=self.clock,
            rng=random.Random(self.rng.random()),
            report=report,
            backlog=self._backlog,
        )
        self._loop = TrioLoop(
            f"{self.name}-io", on_error=lambda exc: report(LoopFailed(exc)), clock=self.clock
        )
        try:
            self._loop.start()
            self._loop.spawn(self._io.run)
        except BaseException:
            self._loop.stop()
            raise

    def on_stop(self) -> None:
        self._stop_loop()

    def on_failure(self, *_exc_info: object) -> None:
        self._stop_loop()

    def _stop_loop(self) -> None:
        if self._loop is not None and not self._loop.stop():
            logger.bind(event="loop_stuck", child=self.name).warning(
                "feed: trio loop {} did not stop in time", self._loop.name
            )

    # -- messages -----------------------------------------------------------------

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {
            FramesRead: self._on_frames,
            StreamConfirmed: self._on_stream_confirmed,
            BookConsumed: self._on_consumed,
            Tick: self._on_tick,
            Connected: self._on_connected,
            Disconnected: self._on_disconnected,
            ConnectAttemptFailed: self._on_connect_failed,
            Down: self._on_down,
            LoopFailed: self._on_loop_failed,
        }

    @property
    def _state(self) -> tuple[FeedBooks, Delivery]:
        books, delivery = self._books, self._delivery
        assert books is not None, "on_start has run"
        assert delivery is not None, "on_start has run"
        return books, delivery

    def on_receive(self, message: Any) -> Any:
        if self._burst_frames and type(message) not in _KEEPS_A_BURST:
            self._release()  # whatever this message does comes after the books it followed
        return super().on_receive(message)

    def _backlog(self) -> int:
        """Frames read and not yet handled (called on the loop's thread: each counter
        has one writer, so the difference is never torn)."""
        io = self._io
        return 0 if io is None else io.frames_reported - self._frames_handled

    def _behind_s(self, books: FeedBooks) -> float:
        """How far behind the venue the feed reads: the stream's measured lag, or
        without end while reading is paused for backpressure (what it has not read
        may hold every answer it waits for)."""
        if self._backlog() > self.config.max_backlog_frames:
            return math.inf
        return books.venue_lag.last_s or 0.0

    def _on_frames(self, message: FramesRead) -> None:
        frames = message.frames
        if message.connection != self._connection:
            self._late_messages += len(frames)  # read before its connection ended
        else:
            received_at, last = message.received_at, len(frames) - 1
            for i, frame in enumerate(frames):
                self._apply(frame, received_at)
                if self._burst_frames and not self._burst_goes_on(more_read=i < last):
                    self._release()
        self._frames_handled += len(frames)

    def _apply(self, frame: Frame, received_at: float) -> None:
        """One frame into the books; its book held as part of the burst."""
        books = self._books  # the hot path: no tuple, one check
        assert books is not None, "on_start has run"
        effects = books.on_frame(frame, received_at)
        if len(effects) == 1 and type(publish := effects[0]) is Publish:
            self._hold(publish)  # the hot path: one book from one delta
        elif effects:
            self._carry_out(effects, hold=True)

    def _burst_goes_on(self, *, more_read: bool) -> bool:
        """Whether to keep holding: more frames follow (in this read, ``more_read``, or
        waiting in the mailbox) and the burst is within its bounds."""
        held = self._burst_frames
        if held >= BURST_MAX_FRAMES:
            return False
        clock_read = not held % BURST_CLOCK_EVERY
        if clock_read and self.clock.monotonic() - self._burst_since >= BURST_MAX_S:
            return False
        if more_read:
            return True
        waiting = self.mailbox_waiting()
        # The runtime's own envelopes are not frames: holding a book for a summary
        # request would leave it unoffered until the next message (a tick away).
        return waiting > _RUNTIME_QUEUED_AT_MOST or waiting > self.actor_inbox.queued_runtime()  # type: ignore[attr-defined]

    def _release(self) -> None:
        """Offer the held books: the burst is over (or a bound, or another message, ends it)."""
        delivery = self._delivery
        assert delivery is not None, "on_start has run"
        self._burst_frames = 0
        delivery.release()

    def _on_stream_confirmed(self, message: StreamConfirmed) -> None:
        if message.connection == self._connection:
            self._state[0].stream_confirmed(message.as_of)

    def _on_consumed(self, message: BookConsumed) -> None:
        self._state[1].consumed(message.ticker, message.seq)

    def _on_tick(self, _message: Tick) -> None:
        books, delivery = self._state
        now = self.clock.monotonic()
        self._carry_out(books.check_staleness(now, behind_s=self._behind_s(books)))
        if self._listing.deliver():
            delivery.flush()

    def _on_connect_failed(self, message: ConnectAttemptFailed) -> None:
        self._connect_failures += 1
        self._connection_state, self._last_disconnect = "waiting", message.reason
        self._retry_in = message.retry_in
        logger.bind(event="connect_failed", child=self.name).warning(
            "feed: cannot connect ({}); retrying in {:.2f}s", message.reason, message.retry_in
        )

    def _on_down(self, message: Down) -> None:
        if message.name != self.consumer:
            self.on_unknown(message)  # we monitor nobody else
            return
        self._listing.consumer_down()  # its next incarnation knows nothing
        self._state[1].consumer_down(message.epoch)

    def _on_loop_failed(self, message: LoopFailed) -> None:
        raise FeedLoopFailed(f"the feed's trio loop failed: {message.error!r}") from message.error

    def _on_connected(self, message: Connected) -> None:
        books, _ = self._state
        if self._connected_once:
            self._reconnects += 1
        self._connected_once = True
        self._connection, self._connection_state = message.connection, "connected"
        self._retry_in = None
        logger.bind(event="connected", child=self.name).info(
            "feed: connection {} up, {} events listed, subscribing {} markets",
            message.connection,
            len(message.listed.events),
            len(message.tickers),
        )
        self._listing.new_session(message.listed)  # before any subscription, so any book
        books.wall_minus_monotonic = self.clock.wall() - self.clock.monotonic()
        self._carry_out(books.connected(message.tickers, self.clock.monotonic()))

    def _on_disconnected(self, message: Disconnected) -> None:
        if message.connection != self._connection:
            self._late_messages += 1
            return
        books, _ = self._state
        self._connection, self._connection_state = 0, "waiting"
        self._last_disconnect, self._retry_in = message.reason, message.retry_in
        logger.bind(event="disconnected", child=self.name).warning(
            "feed: connection {} lost ({}); reconnecting in {:.2f}s",
            message.connection,
            message.reason,
            message.retry_in,
        )
        self._carry_out(books.disconnected(message.reason))

    def _carry_out(
        self, effects: list[Publish | GoStale | SendCommand], *, hold: bool = False
    ) -> None:
        """Carry ``effects`` out in order; with ``hold`` (a frame's), books are held as part
        of a burst instead of offered."""
        delivery, loop, io = self._delivery, self._loop, self._io
        assert delivery is not None, "on_start has run"
        assert loop is not None, "on_start has run"
        assert io is not None, "on_start has run"
        for effect in effects:
            match effect:
                case Publish():
                    if hold:
                        self._hold(effect)
                    else:
                        delivery.offer(effect)
                case GoStale(ticker=ticker, reason=reason):
                    if self._burst_frames:
                        self._release()  # a market's book before its staleness
                    delivery.stale(BookStale(ticker, reason))
                case SendCommand(text=text, delay=delay):
                    if self._burst_frames:
                        self._release()
                    loop.call(io.send, self._connection, text, delay)

    def _hold(self, publish: Publish) -> None:
        """Hold a frame's book as part of the burst (starting one if none is on)."""
        delivery = self._delivery
        assert delivery is not None, "on_start has run"
        if not self._burst_frames:
            self._burst_since = self.clock.monotonic()
        self._burst_frames += 1
        delivery.hold(publish)

    def _send_to_consumer(self, message: Any) -> int:
        return self.send(self.consumer, message)

    # -- introspection ------------------------------------------------------------

    def state_summary(self) -> FeedStatus:
        """The connection, every market's stream and copies of the counters."""
        connection = ConnectionStatus(
            state=self._connection_state if self._books is not None else "starting",
            number=self._connection,
            reconnects=self._reconnects,
            connect_failures=self._connect_failures,
            last_disconnect=self._last_disconnect,
            retry_in_s=self._retry_in,
        )
        books, delivery = self._books, self._delivery
        if books is None or delivery is None:
            return FeedStatus(self.consumer, connection, unknown_messages=self.unknown_messages)
        now, stream = self.clock.monotonic(), books.stream_current_at
        in_flight, pending = delivery.in_flight, set(delivery.pending)
        markets = {
            ticker: MarketFeedStatus(
                phase=market.phase.value,
                sid=market.sid,
                seq=None if market.book is None else market.book.seq,
                last_update_age_s=None
                if market.last_update_at is None
                else round(now - market.last_update_at, 3),
                stale=not market.fresh,
                gaps=market.gaps,
                resyncs=market.resyncs,
                in_flight_seq=in_flight.get(ticker),
                pending=ticker in pending,
            )
            for ticker, market in sorted(books.markets.items())
        }
        return FeedStatus(
            consumer=self.consumer,
            connection=connection,
            markets=markets,
            counts=books.counts.copy(),
            updates=attrs.evolve(delivery.counts),
            reconnects=self._reconnects,
            late_messages=self._late_messages,
            unknown_messages=self.unknown_messages,
            venue_lag_s=books.venue_lag.last_s,
            venue_lag_worst_s=books.venue_lag.worst_s,
            stream_confirmed_age_s=(None if stream is None else round(max(0.0, now - stream), 3)),
        )
