"""Conflated delivery of books to one consumer (the contract in :mod:`actors.messages`).

Per market at most one ``BookUpdate`` is in flight (sent, not yet answered
with ``BookConsumed``).  A newer book for a market with one in flight waits as
its *pending* book; a still newer one replaces it and counts as ``conflated``
(dropped by a declared policy).  ``BookConsumed(ticker, seq)`` for the update
in flight sends the pending book, if any.  So a slow consumer sees the latest
book, never a backlog, and its mailbox holds at most one update per market.

Failure behaviour:

- the consumer has no running incarnation (``ChildUnavailable``): the update
  stays pending and :meth:`Delivery.flush` (called on every tick) retries it;
- an incarnation of the consumer ends (``Down``): what was in flight to it will
  never be answered, so it is forgotten and each market's latest fresh book is
  queued again for the next incarnation;
- a market goes stale: its pending book is discarded (counted) and ``BookStale``
  is sent at once (not conflated: at most one per loss of freshness).

Accounting: ``offered + requeued = sent + conflated + coalesced + discarded +
len(pending) + held``, where ``requeued`` counts books queued again for a new
consumer incarnation.

Bursts: the feed actor may :meth:`Delivery.hold` a market's book (offered,
but not yet delivered) while more frames of the same burst wait in its mailbox; a newer
held book of the market replaces the older one in place, and
:meth:`Delivery.release` offers what is held, in the order each market was
first held.  A replaced held book counts as ``coalesced`` if the market had
nothing in flight (it would have been sent: the consumer was spared a
half-applied burst) and as ``conflated`` if it had (it would only have
replaced the pending book).  When to release is the actor's policy (see
:mod:`actors.feed._actor`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from actors.messages import BookStale, BookUpdate, EventsListed
from supervision import ChildUnavailable


@attrs.define
class DeliveryCounts:
    offered: int = 0
    sent: int = 0
    requeued: int = 0
    conflated: int = 0
    discarded: int = 0
    stale_sent: int = 0
    unavailable: int = 0
    unmatched_acks: int = 0
    coalesced: int = 0


class Delivery:
    """Conflating sender of book updates; ``send`` is ``actor.send`` bound to the consumer."""

    def __init__(self, send: Callable[[Any], int]) -> None:
        self._send = send
        self.counts = DeliveryCounts()
        self._in_flight: dict[str, tuple[int, int]] = {}  # ticker -> (seq, consumer epoch)
        self._pending: dict[str, BookUpdate] = {}
        self._latest: dict[str, BookUpdate] = {}  # the last fresh update of each market
        self._held: dict[str, BookUpdate] = {}  # this burst's latest of each market

    @property
    def in_flight(self) -> dict[str, int]:
        return {ticker: seq for ticker, (seq, _epoch) in self._in_flight.items()}

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(sorted(self._pending))

    def has_pending(self, ticker: str) -> bool:
        """Whether a book of ``ticker`` waits behind the one in flight (or for the consumer)."""
        return ticker in self._pending

    def offer(self, update: BookUpdate) -> None:
        """Send ``update`` now, or keep it pending (replacing an older one) until the ack."""
        self.counts.offered += 1
        self._deliver(update)

    def _deliver(self, update: BookUpdate) -> None:
        ticker = update.ticker
        self._latest[ticker] = update
        if ticker in self._in_flight:
            if self._pending.pop(ticker, None) is not None:
                self.counts.conflated += 1
            self._pending[ticker] = update
            return
        if self._pending.pop(ticker, None) is not None:  # held back while the consumer was away
            self.counts.conflated += 1
        self._try_send(update)

    @property
    def held(self) -> int:
        """How many markets have a book held back until the end of a burst."""
        return len(self._held)

    def hold(self, update: BookUpdate) -> None:
        """Keep ``update`` back until :meth:`release`, replacing an older held book of its
        market (``coalesced``, or ``conflated`` if one is in flight); the market keeps its
        place in the release order."""
        self.counts.offered += 1
        ticker = update.ticker
        if ticker in self._held:
            if ticker in self._in_flight:
                self.counts.conflated += 1
            else:
                self.counts.coalesced += 1
        self._held[ticker] = update  # an existing key keeps its insertion position

    def release(self) -> None:
        """Deliver every held book (sent, or pending behind one in flight), in the order
        the markets were first held."""
        held, self._held = self._held, {}
        for update in held.values():
            self._deliver(update)

    def consumed(self, ticker: str, seq: int) -> None:
        """The consumer is done with ``ticker`` at ``seq``: send its pending book, if any."""
        in_flight = self._in_flight.get(ticker)
        if in_flight is None or in_flight[0] != seq:
            self.counts.unmatched_acks += 1
            return
        del self._in_flight[ticker]
        update = self._pending.pop(ticker, None)
        if update is not None:
            self._try_send(update)

    def stale(self, stale: BookStale) -> None:
        """Drop ``stale.ticker``'s pending book and tell the consumer the market is stale."""
        self._latest.pop(stale.ticker, None)
        if self._pending.pop(stale.ticker, None) is not None:
            self.counts.discarded += 1
        try:
            self._send(stale)
        except ChildUnavailable:
            self.counts.unavailable += 1  # a new incarnation starts with no books anyway
        else:
            self.counts.stale_sent += 1

    def consumer_down(self, epoch: int) -> None:
        """Incarnation ``epoch`` of the consumer ended: re-offer what it held to the next one."""
        for ticker, (_seq, held_by) in list(self._in_flight.items()):
            if held_by == epoch:
                del self._in_flight[ticker]
                latest = self._latest.get(ticker)
                if latest is not None and ticker not in self._pending:
                    self._pending[ticker] = latest
                    self.counts.requeued += 1
        self.flush()

    def flush(self) -> None:
        """Send every pending book of a market with nothing in flight (after ``ChildUnavailable``
        or a consumer restart)."""
        for ticker in [t for t in self._pending if t not in self._in_flight]:
            update = self._pending.pop(ticker)
            if not self._try_send(update):
                return  # the consumer is still unavailable: keep the rest for the next flush

    def _try_send(self, update: BookUpdate) -> bool:
        try:
            epoch = self._send(update)
        except ChildUnavailable:
            self.counts.unavailable += 1
            self._pending[update.ticker] = update
            return False
        self._in_flight[update.ticker] = (update.book.seq, epoch)
        self.counts.sent += 1
        return True


class ListingDelivery:
    """This session's ``EventsListed``, delivered once to each incarnation of the
    consumer, before any book of the session; ``send`` is ``actor.send`` bound to
    the consumer. While it cannot be delivered (``ChildUnavailable``) it stays due
    and :meth:`deliver` (called on every tick) retries it."""

    def __init__(self, send: Callable[[Any], int]) -> None:
        self._send = send
        self._listed: EventsListed | None = None
        self._due = False

    def new_session(self, listed: EventsListed) -> bool:
        """A new session's listing: due to the consumer, delivered now if it can be."""
        self._listed, self._due = listed, True
        return self.deliver()

    def consumer_down(self) -> bool:
        """The consumer's incarnation ended: its next one knows nothing; deliver again."""
        self._due = self._listed is not None
        return self.deliver()

    def deliver(self) -> bool:
        """Send the listing if it is due; False while it cannot be delivered."""
        if not self._due or self._listed is None:
            return True
        try:
            self._send(self._listed)
        except ChildUnavailable:
            return False
        self._due = False
        return True
