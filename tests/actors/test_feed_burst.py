"""Bursts: the feed offers a market's book at the end of a burst of frames, within bounds.

The real feed actor reads the real simulated venue on loopback.  To make a
burst reach the feed while it is busy, deterministically, the feed is a
:class:`FeedActor` with one extra handler that blocks it (``Pause``) until
the test has placed its orders and seen every frame queued in its mailbox.
Every tree runs on a :class:`~supervision.ManualClock` that only the test (or
the slow feed, below) moves, so no ``Tick`` lands in the middle of a burst,
and the venue sends no heartbeats, so the mailbox holds the burst's frames only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs
import pytest

from actors.feed import FeedActor
from actors.feed._actor import BURST_CLOCK_EVERY, BURST_MAX_FRAMES
from actors.feed._connection import FramesRead
from actors.messages import BookUpdate
from actors.venues import Frame
from supervision import (
    NO_BACKOFF,
    ChildSpec,
    ManualClock,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
)
from tests.actors.feed_harness import (
    AckAll,
    FeedRig,
    RecordingConsumer,
    VenueThread,
    feed_config,
    quiet_venue,
)
from tests.supervision.conftest import DEADLINE, eventually
from warden.venue import HOUSE, OrderRequest


@attrs.frozen(eq=False)
class Pause:
    """Block the feed until ``resume`` is set; ``paused`` is set once it blocks."""

    paused: threading.Event
    resume: threading.Event


class BusyFeed(FeedActor):
    """The real feed, plus a way to keep it busy while a burst piles up in its mailbox."""

    def __init__(self, *args: Any, started: list[FeedActor], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._started = started

    def on_start(self) -> None:
        super().on_start()
        self._started.append(self)  # the test reads its mailbox depth

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {**super().handlers(), Pause: self._pause}

    def _pause(self, message: Pause) -> None:
        message.paused.set()
        message.resume.wait(DEADLINE)


class SlowFeed(BusyFeed):
    """Each frame takes 4 ms of the injected clock once the feed has been paused."""

    FRAME_TAKES_S = 0.004

    def __init__(self, *args: Any, clock: ManualClock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._manual = clock
        self._slow = False

    def _pause(self, message: Pause) -> None:
        super()._pause(message)
        self._slow = True

    def _apply(self, frame: Frame, received_at: float) -> None:
        if self._slow:
            self._manual.advance(self.FRAME_TAKES_S)
        super()._apply(frame, received_at)


class BurstRig(FeedRig):
    """A :class:`FeedRig` whose feed can be paused while the venue sends a burst."""

    def __init__(self, rig: FeedRig, started: list[FeedActor]) -> None:
        super().__init__(rig.venue, rig.tree, rig.received)
        self._started = started

    def queued(self) -> int:
        """How many frames and other messages wait in the feed's mailbox (the feed
        reads frames in batches, one message per read of the socket)."""
        inbox = self._started[-1].actor_inbox
        with inbox.mutex:  # type: ignore[attr-defined]
            envelopes = list(inbox.queue)  # type: ignore[attr-defined]
        return sum(
            len(e.message.frames) if isinstance(e.message, FramesRead) else 1 for e in envelopes
        )

    def pause(self) -> threading.Event:
        """Block the feed; returns the event that lets it go on."""
        paused, resume = threading.Event(), threading.Event()
        self.tree.tell("feed", Pause(paused, resume))
        assert paused.wait(DEADLINE), "the feed did not pause"
        return resume

    def wait_queued(self, count: int) -> None:
        eventually(lambda: self.queued() >= count, what=f"{count} messages queued at the feed")

    def place(self, prices: list[str], ticker: str = "SIM-001") -> None:
        """Rest one house yes bid of 1 contract at each price, in one call on the venue's
        thread: the venue sends their deltas back to back."""

        def place_all() -> None:
            for price in prices:
                request = OrderRequest(ticker, "yes", "buy", Decimal(1), Decimal(price))
                assert self.venue.server.sim.engine.place(HOUSE, request)["status"] == "resting"

        self.venue.run(place_all)

    def acked(self) -> None:
        """Acknowledge every book the consumer holds, and wait until the feed has the acks."""
        self.tree.tell("strategy", AckAll())
        eventually(
            lambda: all(m.in_flight_seq is None for m in self.status().markets.values()),
            what="nothing in flight",
        )

    def seq(self, ticker: str = "SIM-001") -> int:
        seq = self.status().markets[ticker].seq
        assert seq is not None
        return seq


StartBurstRig = Callable[..., BurstRig]


@pytest.fixture
def start_burst_rig() -> Iterator[StartBurstRig]:
    """A heartbeat-free venue and a tree (on a manual clock) with a pausable feed and a
    consumer that never acknowledges by itself; both stopped at test end."""
    hosts: list[tuple[VenueThread, TreeThread]] = []

    def start(*, slow: bool = False) -> BurstRig:
        venue = VenueThread(quiet_venue(heartbeat_seconds=0)).start()
        clock = ManualClock()
        received: list[Any] = []
        started: list[FeedActor] = []
        config = feed_config(venue.server)

        def feed() -> FeedActor:
            if slow:
                return SlowFeed(config, consumer="strategy", started=started, clock=clock)
            return BusyFeed(config, consumer="strategy", started=started)

        spec = SupervisorSpec(
            name="root",
            children=(
                ChildSpec("strategy", lambda: RecordingConsumer(received, auto_ack=False)),
                ChildSpec("feed", feed),
            ),
            backoff=NO_BACKOFF,
            intensity=10,
        )
        host = TreeThread(SupervisionTree(spec, seed=11, clock=clock))
        hosts.append((venue, host))
        host.start()
        rig = BurstRig(FeedRig(venue, host.tree, received), started)
        rig.wait_for_book()
        rig.wait_for_book("SIM-002")
        return rig

    yield start
    for venue, host in reversed(hosts):
        host.stop()
        venue.stop()


def _prices(count: int) -> list[str]:
    """``count`` yes bid prices, from 0.01 up, repeating after 0.99."""
    return [f"0.{i % 99 + 1:02d}" for i in range(count)]


def _after(rig: BurstRig, before: int) -> list[BookUpdate]:
    return rig.updates()[before:]


def _first_after(rig: BurstRig, before: int) -> BookUpdate:
    """The first update the consumer got after its first ``before`` (waiting for it)."""
    first: BookUpdate = eventually(
        lambda: _after(rig, before) and _after(rig, before)[0], what="an update after the burst"
    )
    return first


def test_the_consumer_gets_the_book_at_the_end_of_a_burst_never_one_in_its_middle(
    start_burst_rig: StartBurstRig,
) -> None:
    rig = start_burst_rig()
    rig.acked()
    seq, before = rig.seq(), len(rig.updates())

    resume = rig.pause()
    rig.place(_prices(20))
    rig.wait_queued(20)
    resume.set()

    first = rig.wait_for_book(after=before)
    assert _after(rig, before) == [first]  # nothing before it: no half-applied book
    assert first.book.seq == seq + 20
    assert len(first.book.yes_bids) == 20
    updates = rig.status().updates
    assert updates.coalesced == 19  # every delta but the last replaced by a later one
    assert updates.offered == (
        updates.sent + updates.conflated + updates.coalesced + updates.discarded
    )


def test_an_ack_in_the_middle_of_a_burst_does_not_send_the_half_applied_book(
    start_burst_rig: StartBurstRig,
) -> None:
    rig = start_burst_rig()  # both snapshots in flight, unacknowledged
    seq, before = rig.seq(), len(rig.updates())

    resume = rig.pause()
    rig.place(_prices(10))
    rig.wait_queued(10)
    rig.tree.tell("strategy", AckAll())  # one BookConsumed per market, behind the 10 frames
    rig.wait_queued(12)
    rig.place(_prices(20)[10:])
    rig.wait_queued(22)
    resume.set()

    first = rig.wait_for_book(after=before)
    assert _after(rig, before) == [first]
    assert first.book.seq == seq + 20
    assert len(first.book.yes_bids) == 20


def test_a_never_ending_burst_is_cut_after_the_frame_bound(
    start_burst_rig: StartBurstRig,
) -> None:
    rig = start_burst_rig()
    rig.acked()
    seq, before = rig.seq(), len(rig.updates())
    flood = BURST_MAX_FRAMES + 44

    resume = rig.pause()
    rig.place(_prices(flood))
    rig.wait_queued(flood)
    resume.set()

    eventually(lambda: rig.seq() == seq + flood, what="the whole flood read")
    first = _first_after(rig, before)
    assert first.book.seq == seq + BURST_MAX_FRAMES  # offered while frames still waited
    assert rig.status().updates.coalesced == BURST_MAX_FRAMES - 1
    assert rig.status().markets["SIM-001"].pending is True  # the flood's end, behind it

    rig.tree.tell("strategy", AckAll())
    assert rig.wait_for_book(after=before + 1).book.seq == seq + flood


def test_a_slow_burst_is_cut_after_ten_milliseconds_of_the_feeds_clock(
    start_burst_rig: StartBurstRig,
) -> None:
    rig = start_burst_rig(slow=True)
    rig.acked()
    seq, before = rig.seq(), len(rig.updates())

    resume = rig.pause()
    frames = BURST_CLOCK_EVERY + 4
    rig.place(_prices(frames))
    rig.wait_queued(frames)
    resume.set()

    eventually(lambda: rig.seq() == seq + frames, what="the whole burst read")
    first = _first_after(rig, before)
    # 10 ms have passed by the 4th held frame (4 ms each), but the burst reads the
    # clock every BURST_CLOCK_EVERY frames: the first read after 10 ms ends it.
    assert first.book.seq == seq + BURST_CLOCK_EVERY
    rig.tree.tell("strategy", AckAll())
    assert rig.wait_for_book(after=before + 1).book.seq == seq + frames


def test_a_status_request_behind_the_last_frame_does_not_keep_the_book_held(
    start_burst_rig: StartBurstRig,
) -> None:
    rig = start_burst_rig()
    rig.acked()
    seq, before = rig.seq(), len(rig.updates())

    resume = rig.pause()
    rig.place(_prices(20))
    rig.wait_queued(20)
    rig.tree.snapshot(summary_timeout=0.0)  # queues a summary request behind the burst
    rig.wait_queued(21)
    resume.set()

    # No tick comes on the manual clock and the venue sends no heartbeat: only the
    # end of the burst itself can offer this book.
    assert rig.wait_for_book(after=before).book.seq == seq + 20
