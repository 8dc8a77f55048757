"""The books of every followed market and the sequence state of their subscriptions.

A pure state machine, no I/O and no clock of its own: the actor feeds it
connection events, parsed frames and the time, and carries out the
:data:`Effect` values it returns (publish a book, tell the consumer a market is
stale, send a command to the venue).  What the commands say, and what a venue
error means, is the venue protocol's (:class:`~actors.venues.MarketDataProtocol`).

One subscription per market, so a ``sid`` names one market and a broken stream
costs only that market its book.  A market moves through::

    OFFLINE ──connected, a slot──▶ SUBSCRIBING ──subscribed──▶ AWAITING_SNAPSHOT ──snapshot──▶ LIVE
       ▲                        ▲                             │                        │
       │                        │                             ▼     resync (gap, bad)  │
       └──disconnected──────────┴──── no snapshot in time ─ RESYNCING ◀────────────────┘
                                                              └──snapshot──▶ LIVE

Rules:

- Subscriptions go out through a window: at most ``max_pending_subscriptions``
  (default :data:`MAX_PENDING_SUBSCRIPTIONS`) await their first snapshot at once;
  the other markets of a new connection stay ``OFFLINE`` in order and each
  snapshot that makes a market live subscribes the next one (and every staleness
  check tops the window up). A resubscription (after a timeout, a refusal or a
  broken stream) goes out at once and takes a slot like any other.

- ``seq`` of a subscription is contiguous.  A delta must continue its book
  exactly: a higher ``seq`` is a **gap**, a lower one a duplicate or a
  reordered frame (**out of order**).  Either way the book can no longer be
  trusted: it is discarded and the market **resyncs**.  A snapshot replaces
  the book whenever its ``seq`` is above the book's (a snapshot is complete,
  so nothing before it matters), and is taken with any ``seq`` while the
  market has no book.
- A resync asks the venue for a fresh snapshot on the same subscription (the
  protocol's :meth:`~actors.venues.MarketDataProtocol.resync_command`, e.g.
  Kalshi's ``update_subscription`` ``get_snapshot``) after a delay from the
  market's own :class:`~supervision.Backoff` (reset once a book has stayed live
  for the policy's ``reset_after``), so a market whose data stays bad is not
  re-requested in a tight loop.  While it waits (``RESYNCING``) its deltas
  are dropped (``resync_dropped``).  If no snapshot comes within
  ``subscribe_timeout_s`` (``resync_timeouts``), or the venue has no such
  command, or the market has no ``sid`` yet, it **resubscribes**: unsubscribes
  the old ``sid`` at once (its late frames are then ignored and counted as
  ``retired_frames``) and subscribes again after the backoff delay.
- A rejected frame (see :mod:`actors.venues.kalshi._stream`) of a subscribed
  market, a book crossed by more than the allowed overlap, or a delta that
  would leave a level below zero, makes its market resync too.  Rejections are
  counted per reason and market.
- A subscription that has not produced its snapshot ``subscribe_timeout_s``
  after it was sent (the reply or the snapshot was lost: a venue that goes
  silent or holds a frame back loses them for good) resubscribes; a feed that
  reads behind the venue waits that much longer (its measured lag; without end
  while reading is paused for backpressure), so a saturated feed does not
  resubscribe markets whose answers wait in what it has not read.
- Venue errors (counted per code in ``venue_error_codes``) are classified by
  the protocol (:class:`~actors.venues.ErrorAction`): a terminal error
  resubscribes the subscription it concerns (found by its ``sid``, else by
  the pending command's request id); "unknown subscription" to a resync
  request resubscribes, to an unsubscribe is nothing; a refused subscription
  or resync is retried after the market's backoff; "already subscribed"
  waits for the subscribe timeout.  Frames of a ``sid`` the feed never had
  on this connection (a subscription whose reply was lost, which the venue
  reports as "already subscribed") are unsubscribed
  (``orphan_subscriptions``).
- A market is *fresh* (tradeable) from its first accepted book until it is
  discarded, its connection drops, or its book has not been *confirmed
  current* for ``stale_after_s``; each end of freshness yields exactly one
  :class:`GoStale`.  A book is confirmed current by its own frames and by the
  stream's: one connection delivers in order, so a frame of any market that
  the venue sent at time *t* (venue time, corrected for the measured lag; see
  :mod:`actors.feed._venue_time`) means every frame sent before *t* has been
  read, and a market with none was unchanged at *t*.  The connection's pongs
  confirm the stream the same way (:meth:`FeedBooks.stream_confirmed`, as of
  when the ping was sent), so a quiet market on a quiet venue stays fresh while
  the socket answers, and every book goes stale together when the stream falls
  behind or stops.  A market that went stale this way keeps its book and is
  fresh again (its book published again, as of the confirmation) with its next
  accepted frame or the stream's next confirmation.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Iterable
from decimal import Decimal

import attrs
from loguru import logger

from actors.domain import BookSnapshot
from actors.errors import CrossedBookError, DomainError, NegativeLevelError
from actors.feed._venue_time import VenueLag
from actors.messages import BookUpdate
from actors.venues import (
    Delta,
    ErrorReply,
    Frame,
    Heartbeat,
    MarketDataProtocol,
    Rejected,
    RejectReason,
    Snapshot,
    Subscribed,
    Unsubscribed,
)
from actors.venues._frames import Acknowledged
from actors.venues._market_data import ErrorAction
from actors.venues.kalshi import KALSHI_MARKET_DATA
from supervision import Backoff, BackoffPolicy

UNKNOWN_MARKET = "?"
"""The market a rejection is counted under when no market could be read from it."""

MAX_PENDING_SUBSCRIPTIONS = 1_000
"""Subscriptions awaiting their first snapshot at once (the default window). Each is
answered with a snapshot, and an answer not read within ``subscribe_timeout_s``
resubscribes: 5,000 subscriptions sent at once kept the simulated venue answering
for ~5 s, past that timeout and past its pong deadline, and the feed resubscribed
over and over (issue 15). A thousand keeps the answers to about a second there.
Not smaller: against a venue streaming as fast as the socket allows, a
subscription's answer waits behind that stream, so a window of 128 brought 1,000
markets live at ~15 a second where sending them all at once took seconds."""

RETIRED_SIDS_KEPT = 1_024
"""How many retired subscriptions are remembered, to name the market of their late frames."""


Publish = BookUpdate
"""Hand ``book`` to the consumer (through conflation): the effect is the very
:class:`~actors.messages.BookUpdate` the consumer gets, so the hot path builds one
object per frame, not two."""


@attrs.frozen
class GoStale:
    """Tell the consumer ``ticker`` must not be traded until its next book."""

    ticker: str
    reason: str


@attrs.frozen
class SendCommand:
    """Send ``text`` on the current connection after ``delay`` seconds."""

    text: str
    delay: float = 0.0


Effect = Publish | GoStale | SendCommand


class MarketPhase(enum.Enum):
    OFFLINE = "offline"
    SUBSCRIBING = "subscribing"
    AWAITING_SNAPSHOT = "awaiting_snapshot"
    LIVE = "live"
    RESYNCING = "resyncing"


@attrs.define
class MarketFeed:
    """What the feed knows of one market's stream."""

    ticker: str
    backoff: Backoff
    phase: MarketPhase = MarketPhase.OFFLINE
    sid: int | None = None
    request_id: int | None = None
    resync_request: int | None = None
    book: BookSnapshot | None = None
    last_update_at: float | None = None
    requested_at: float | None = None
    live_since: float | None = None
    fresh: bool = False
    gaps: int = 0
    resyncs: int = 0


@attrs.define
class FeedCounts:
    """What the books counted; ``rejected`` is reason -> market -> frames rejected."""

    frames: int = 0
    heartbeats: int = 0
    books_accepted: int = 0
    gaps: int = 0
    out_of_order: int = 0
    resyncs: int = 0
    subscribe_timeouts: int = 0
    snapshot_requests: int = 0
    resync_timeouts: int = 0
    resync_dropped: int = 0
    retired_frames: int = 0
    orphan_subscriptions: int = 0
    venue_errors: int = 0
    stale_reported: int = 0
    confirmed_fresh: int = 0  # stale markets fresh again by the stream's confirmation
    rejected: dict[str, dict[str, int]] = attrs.Factory(dict)
    venue_error_codes: dict[str, int] = attrs.Factory(dict)

    def copy(self) -> FeedCounts:
        """An independent copy (the per-market rejection counts included)."""
        return attrs.evolve(
            self,
            rejected={r: dict(m) for r, m in self.rejected.items()},
            venue_error_codes=dict(self.venue_error_codes),
        )

    def reject(self, reason: RejectReason, ticker: str | None) -> None:
        per_market = self.rejected.setdefault(reason.value, {})
        key = ticker or UNKNOWN_MARKET
        per_market[key] = per_market.get(key, 0) + 1


class FeedBooks:
    """Books and subscriptions of every market; see the module docstring.

    ``payout`` and ``max_overlap`` are ``Decimal`` dollars: every book is built
    with that payout and ``crossing_tolerance=max_overlap``.
    """

    def __init__(
        self,
        *,
        payout: Decimal,
        max_overlap: Decimal,
        stale_after_s: float,
        subscribe_timeout_s: float,
        resync_backoff: BackoffPolicy,
        rng: random.Random,
        protocol: MarketDataProtocol = KALSHI_MARKET_DATA,
        max_pending_subscriptions: int = MAX_PENDING_SUBSCRIPTIONS,
    ) -> None:
        self.payout = payout
        self.max_pending_subscriptions = max_pending_subscriptions
        self._queued: dict[str, MarketFeed] = {}  # waiting for a subscription slot, in order
        self._awaiting: set[str] = set()  # subscribed (or being), no snapshot yet
        self.protocol = protocol
        self.max_overlap = max_overlap
        self.stale_after_s = stale_after_s
        self.subscribe_timeout_s = subscribe_timeout_s
        self.resync_backoff = resync_backoff
        self.rng = rng
        self.counts = FeedCounts()
        self.markets: dict[str, MarketFeed] = {}
        self._by_sid: dict[int, MarketFeed] = {}
        self._by_request: dict[int, MarketFeed] = {}
        self._by_resync: dict[int, MarketFeed] = {}  # pending resync request -> market
        self._retired: dict[int, str] = {}  # sid -> ticker, oldest first
        self._next_request_id = 0
        self.venue_lag = VenueLag()
        self.wall_minus_monotonic = 0.0  # set on each connection: received_at -> wall time
        self.stream_current_at: float | None = None  # the stream is known current up to here

    # -- connection events ----------------------------------------------------------

    def connected(self, tickers: Iterable[str], now: float) -> list[Effect]:
        """A new connection is up: subscribe every market (adding new tickers)."""
        self._forget_subscriptions()
        self.venue_lag.reset()
        self.stream_current_at = None
        self._retired.clear()  # sids are the connection's: the old ones mean nothing now
        for ticker in tickers:
            if ticker not in self.markets:
                backoff = Backoff(self.resync_backoff, random.Random(self.rng.random()))
                self.markets[ticker] = MarketFeed(ticker, backoff)
        effects: list[Effect] = []
        for market in self.markets.values():
            effects.extend(self._unfresh(market, "resubscribing on a new connection"))
            if len(self._awaiting) < self.max_pending_subscriptions:
                effects.append(self._subscribe(market, now))
            else:  # no slot yet: subscribed as the snapshots of those before it arrive
                market.phase, market.book, market.sid = MarketPhase.OFFLINE, None, None
                market.requested_at = None
                self._queued[market.ticker] = market
        return effects

    def _subscribe_queued(self, now: float) -> list[Effect]:
        """Subscribe queued markets while the window has room."""
        effects: list[Effect] = []
        queued = self._queued
        while queued and len(self._awaiting) < self.max_pending_subscriptions:
            market = queued.pop(next(iter(queued)))
            effects.append(self._subscribe(market, now))
        return effects

    def disconnected(self, reason: str) -> list[Effect]:
        """The connection is gone: every book is discarded until its new snapshot."""
        self._forget_subscriptions()
        self.stream_current_at = None
        effects: list[Effect] = []
        self._queued.clear()
        for market in self.markets.values():
            effects.extend(self._unfresh(market, f"disconnected: {reason}"))
            market.phase, market.book, market.sid = MarketPhase.OFFLINE, None, None
            market.request_id = market.resync_request = market.requested_at = None
        return effects

    def stream_confirmed(self, as_of: float) -> None:
        """The connection proved the stream current up to ``as_of`` (a pong read: every
        frame sent before the venue answered has been read); see the module docstring."""
        if self.stream_current_at is None or as_of > self.stream_current_at:
            self.stream_current_at = as_of

    def check_staleness(self, now: float, *, behind_s: float = 0.0) -> list[Effect]:
        """Report every fresh market not confirmed current for ``stale_after_s``, and
        publish again every live market the stream has confirmed since it went stale;
        resync every subscription still without a snapshot after ``subscribe_timeout_s``
        plus ``behind_s``: how far behind the venue the feed is reading (its answer
        waits behind what the feed has not read yet; resubscribing a feed that is
        behind only adds to what it must read)."""
        effects: list[Effect] = []
        patience = self.subscribe_timeout_s + behind_s
        waiting = (MarketPhase.SUBSCRIBING, MarketPhase.AWAITING_SNAPSHOT)
        stream = self.stream_current_at
        for market in list(self.markets.values()):
            updated = market.last_update_at
            if market.phase is MarketPhase.LIVE and updated is not None:
                confirmed = updated if stream is None or stream < updated else stream
                age = now - confirmed
                if market.fresh and age > self.stale_after_s:
                    reason = f"not confirmed current for {age:.1f}s"
                    own = now - updated
                    if own > age:
                        reason += f" (its last update {own:.1f}s ago)"
                    effects.extend(self._unfresh(market, reason))
                elif not market.fresh and age <= self.stale_after_s and market.book is not None:
                    market.fresh = True
                    self.counts.confirmed_fresh += 1
                    effects.append(Publish(market.book, confirmed))
            elif market.requested_at is not None and now - market.requested_at > patience:
                waited = now - market.requested_at
                if market.phase is MarketPhase.RESYNCING:
                    self.counts.resync_timeouts += 1
                    reason = f"no snapshot {waited:.1f}s after asking for one"
                    effects.extend(self._resync(market, reason, now, resubscribe=True))
                elif market.phase in waiting:
                    self.counts.subscribe_timeouts += 1
                    reason = f"no snapshot {waited:.1f}s after subscribing"
                    effects.extend(self._resync(market, reason, now, resubscribe=True))
        if self._queued:
            effects.extend(self._subscribe_queued(now))
        return effects

    # -- frames ---------------------------------------------------------------------

    def on_frame(self, frame: Frame, received_at: float) -> list[Effect]:
        """Apply one parsed frame; returns what the actor must do about it."""
        self.counts.frames += 1
        kind = type(frame)
        if kind is Delta or kind is Snapshot:  # the hot path: no pattern matching
            return self._on_sequenced(frame, received_at)  # type: ignore[arg-type]
        match frame:
            case Heartbeat():
                self.counts.heartbeats += 1
            case Subscribed():
                return self._on_subscribed(frame)
            case Rejected():
                return self._on_rejected(frame, received_at)
            case ErrorReply():
                return self._on_error(frame, received_at)
            case Unsubscribed() | Acknowledged():
                pass
        return []

    def _on_subscribed(self, frame: Subscribed) -> list[Effect]:
        market = self._by_request.pop(frame.request_id, None) if frame.request_id else None
        if market is None or market.request_id != frame.request_id:
            # not (or no longer) ours: do not let the venue stream it for nothing
            self._remember_retired(frame.sid, market.ticker if market else UNKNOWN_MARKET)
            return [SendCommand(self.protocol.unsubscribe_command(self._request_id(), frame.sid))]
        market.request_id, market.sid = None, frame.sid
        market.phase = MarketPhase.AWAITING_SNAPSHOT
        self._by_sid[frame.sid] = market
        return []

    def _on_error(self, frame: ErrorReply, now: float) -> list[Effect]:
        self.counts.venue_errors += 1
        code = "?" if frame.code is None else str(frame.code)
        self.counts.venue_error_codes[code] = self.counts.venue_error_codes.get(code, 0) + 1
        action = self.protocol.error_action(frame)
        market, pending = self._market_of_error(frame)
        logger.bind(
            event="venue_error", ticker=market.ticker if market else None, code=frame.code
        ).warning(
            "feed: venue error {} ({}) for command {} sid {}: {}",
            code,
            action.value,
            frame.request_id,
            frame.sid,
            frame.message,
        )
        if market is None:
            return []
        if action is ErrorAction.RESUBSCRIBE:
            reason = f"subscription failed: venue error {code}"
            return self._resync(market, reason, now, resubscribe=True)
        if pending is None:
            return []  # about a live subscription, and not fatal to it
        if action is ErrorAction.ALREADY_SUBSCRIBED:
            return []  # its frames will show the sid to unsubscribe; the timeout retries
        if pending == "resync":
            if action is ErrorAction.UNKNOWN_SUBSCRIPTION and market.sid is not None:
                self._retire(market.sid)
                market.sid = None  # the venue no longer has it: nothing to unsubscribe
            reason = f"resync refused: venue error {code}"
            return self._resync(market, reason, now, resubscribe=True)
        return self._resync(market, f"subscription refused: venue error {code}", now)

    def _market_of_error(self, frame: ErrorReply) -> tuple[MarketFeed | None, str | None]:
        """The market an error concerns and which of its pending commands it answers
        (``"subscribe"``, ``"resync"`` or None): by its request id, else by its sid."""
        if frame.request_id is not None:
            market = self._by_request.get(frame.request_id)
            if market is not None and market.request_id == frame.request_id:
                return market, "subscribe"
            market = self._by_resync.get(frame.request_id)
            if market is not None and market.resync_request == frame.request_id:
                return market, "resync"
        if frame.sid is not None:
            return self._by_sid.get(frame.sid), None
        return None, None

    def _on_rejected(self, frame: Rejected, now: float) -> list[Effect]:
        market = self._market_of(frame.sid, frame.ticker)
        ticker = market.ticker if market is not None else frame.ticker
        if ticker is None and frame.sid is not None:
            ticker = self._retired.get(frame.sid)
        self.counts.reject(frame.reason, ticker)
        logger.bind(event="frame_rejected", ticker=ticker, reason=frame.reason.value).warning(
            "feed: rejected a frame of {} (sid={}, seq={}): {} [{}]",
            ticker or UNKNOWN_MARKET,
            frame.sid,
            frame.seq,
            frame.detail,
            frame.field,
        )
        if market is None or market.phase not in (
            MarketPhase.AWAITING_SNAPSHOT,
            MarketPhase.LIVE,
            MarketPhase.RESYNCING,
        ):
            return []
        return self._resync(market, f"bad frame: {frame.reason.value} in {frame.field}", now)

    def _market_of(self, sid: int | None, ticker: str | None) -> MarketFeed | None:
        """The market a damaged frame belongs to: by sid if it has one, else by ticker."""
        if sid is not None:
            return self._by_sid.get(sid)
        return self.markets.get(ticker) if ticker is not None else None

    def _on_sequenced(self, frame: Delta | Snapshot, received_at: float) -> list[Effect]:
        market = self._by_sid.get(frame.sid)
        if market is None:
            return self._unknown_sid(frame)
        if frame.ticker != market.ticker:
            self.counts.reject(RejectReason.WRONG_MARKET, market.ticker)
            return self._resync(market, f"sid {frame.sid} sent {frame.ticker}", received_at)
        book = market.book
        if isinstance(frame, Snapshot):
            if book is not None and frame.seq <= book.seq:
                return self._out_of_sequence(market, book.seq + 1, frame.seq, received_at)
            try:
                fresh = self._snapshot(frame)
            except DomainError as error:
                return self._refuse_invalid(market, error, received_at)
            return self._accept(market, fresh, received_at)
        return self._on_delta(market, frame, received_at)

    def _on_delta(self, market: MarketFeed, frame: Delta, received_at: float) -> list[Effect]:
        if market.phase is MarketPhase.RESYNCING:
            self.counts.resync_dropped += 1  # the snapshot asked for will replace it all
            return []
        book = market.book
        if book is None:
            # a delta where the snapshot belongs: the snapshot was lost
            return self._out_of_sequence(market, 1, frame.seq, received_at)
        if frame.seq != book.seq + 1:
            return self._out_of_sequence(market, book.seq + 1, frame.seq, received_at)
        try:
            changed = book.with_level_change(frame.side, frame.price, frame.change, frame.seq)
        except DomainError as error:
            return self._refuse_invalid(market, error, received_at)
        venue_ts_ms = frame.venue_ts_ms
        if venue_ts_ms is not None:  # the book's age counts from when the venue sent it
            wall = received_at + self.wall_minus_monotonic
            received_at -= self.venue_lag.behind_by(wall, venue_ts_ms)
        return self._accept(market, changed, received_at)

    def _unknown_sid(self, frame: Delta | Snapshot) -> list[Effect]:
        """A frame of a retired subscription is ignored; one of a subscription the feed
        never had on this connection is an orphan, unsubscribed once."""
        if frame.sid in self._retired:
            self.counts.retired_frames += 1
            return []
        self.counts.orphan_subscriptions += 1
        self._remember_retired(frame.sid, frame.ticker)
        logger.bind(event="orphan_subscription", ticker=frame.ticker).info(
            "feed: unsubscribing sid {} ({}), a subscription the feed does not hold",
            frame.sid,
            frame.ticker,
        )
        return [SendCommand(self.protocol.unsubscribe_command(self._request_id(), frame.sid))]

    def _refuse_invalid(self, market: MarketFeed, error: DomainError, now: float) -> list[Effect]:
        """Refuse the book a frame would have built, for the reason ``error`` names."""
        if isinstance(error, CrossedBookError):
            reason = RejectReason.CROSSED
        elif isinstance(error, NegativeLevelError):
            reason = RejectReason.NEGATIVE_LEVEL
        else:  # the parser checks fields first; belt and braces
            reason = RejectReason.OUT_OF_RANGE
        return self._refuse(market, reason, str(error), now)

    def _accept(self, market: MarketFeed, book: BookSnapshot, received_at: float) -> list[Effect]:
        """Make ``book`` the market's, live from now if it was not; publish it."""
        effects: list[Effect] = [Publish(book, received_at)]
        if market.phase is not MarketPhase.LIVE:
            market.phase, market.live_since = MarketPhase.LIVE, received_at
            if market.resync_request is not None:
                self._by_resync.pop(market.resync_request, None)
                market.resync_request = None
            market.requested_at = None
            if market.ticker in self._awaiting:
                self._awaiting.discard(market.ticker)
                if self._queued:  # its slot goes to the next market waiting for one
                    effects.extend(self._subscribe_queued(received_at))
        market.book, market.last_update_at, market.fresh = book, received_at, True
        stream = self.stream_current_at
        if stream is None or received_at > stream:
            self.stream_current_at = received_at
        self.counts.books_accepted += 1
        return effects

    def _refuse(
        self, market: MarketFeed, reason: RejectReason, detail: str, now: float
    ) -> list[Effect]:
        self.counts.reject(reason, market.ticker)
        logger.bind(event="book_rejected", ticker=market.ticker, reason=reason.value).warning(
            "feed: rejected the book of {}: {}", market.ticker, detail
        )
        return self._resync(market, f"bad book: {reason.value}", now)

    def _out_of_sequence(
        self, market: MarketFeed, expected: int, received: int, now: float
    ) -> list[Effect]:
        if received > expected:
            self.counts.gaps += 1
            market.gaps += 1
            what = "gap"
        else:
            self.counts.out_of_order += 1
            what = "duplicate or reordered frame"
        logger.bind(event="sequence_break", ticker=market.ticker).info(
            "feed: {} on {} (sid {}): expected seq {}, got {}",
            what,
            market.ticker,
            market.sid,
            expected,
            received,
        )
        return self._resync(market, f"{what}: expected seq {expected}, got {received}", now)

    def _snapshot(self, frame: Snapshot) -> BookSnapshot:
        return BookSnapshot(
            frame.ticker,
            frame.seq,
            frame.yes,
            frame.no,
            payout=self.payout,
            crossing_tolerance=self.max_overlap,
        )

    # -- subscriptions --------------------------------------------------------------

    def _resync(
        self, market: MarketFeed, reason: str, now: float, *, resubscribe: bool = False
    ) -> list[Effect]:
        """Discard ``market``'s book and, after its backoff delay, ask for a fresh snapshot
        on its subscription, or (``resubscribe``, no ``sid`` or no such command)
        subscribe again."""
        effects = self._unfresh(market, reason)
        live_for = None if market.live_since is None else now - market.live_since
        if live_for is not None and live_for >= self.resync_backoff.reset_after:
            market.backoff.reset()
        market.live_since = None
        market.resyncs += 1
        self.counts.resyncs += 1
        delay = market.backoff.next_delay()
        self._drop_pending(market)
        if not resubscribe and market.sid is not None:
            request_id = self._request_id()
            text = self.protocol.resync_command(request_id, market.sid, market.ticker)
            if text is not None:
                market.phase, market.book = MarketPhase.RESYNCING, None
                market.resync_request, market.requested_at = request_id, now + delay
                self._by_resync[request_id] = market
                self.counts.snapshot_requests += 1
                effects.append(SendCommand(text, delay))
                return effects
        if market.sid is not None:
            self._retire(market.sid)
            effects.append(
                SendCommand(self.protocol.unsubscribe_command(self._request_id(), market.sid))
            )
        effects.append(self._subscribe(market, now, delay=delay))
        return effects

    def _drop_pending(self, market: MarketFeed) -> None:
        """Forget ``market``'s pending subscribe and resync requests: their replies are
        no longer awaited."""
        if market.request_id is not None:
            self._by_request.pop(market.request_id, None)
            market.request_id = None
        if market.resync_request is not None:
            self._by_resync.pop(market.resync_request, None)
            market.resync_request = None

    def _subscribe(self, market: MarketFeed, now: float, delay: float = 0.0) -> SendCommand:
        self._drop_pending(market)
        self._queued.pop(market.ticker, None)
        self._awaiting.add(market.ticker)
        request_id = self._request_id()
        market.phase, market.book, market.sid = MarketPhase.SUBSCRIBING, None, None
        market.request_id, market.requested_at = request_id, now + delay
        self._by_request[request_id] = market
        return SendCommand(self.protocol.subscribe_command(request_id, market.ticker), delay)

    def _unfresh(self, market: MarketFeed, reason: str) -> list[Effect]:
        if not market.fresh:
            return []
        market.fresh = False
        self.counts.stale_reported += 1
        return [GoStale(market.ticker, reason)]

    def _retire(self, sid: int) -> None:
        market = self._by_sid.pop(sid, None)
        if market is not None:
            self._remember_retired(sid, market.ticker)

    def _remember_retired(self, sid: int, ticker: str) -> None:
        """``sid`` is unsubscribed (or being): its late frames are ignored, counted under
        ``ticker``."""
        self._retired[sid] = ticker
        while len(self._retired) > RETIRED_SIDS_KEPT:
            del self._retired[next(iter(self._retired))]

    def _forget_subscriptions(self) -> None:
        self._awaiting.clear()
        for sid in list(self._by_sid):
            self._retire(sid)
        self._by_request.clear()
        self._by_resync.clear()
        for market in self.markets.values():
            market.request_id = market.resync_request = None

    def _request_id(self) -> int:
        self._next_request_id += 1
        return self._next_request_id
