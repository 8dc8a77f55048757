"""The feed actor against the real simulated venue on loopback: books, faults, conflation."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from actors.domain import Event
from actors.feed import FeedActor, FeedConfig, FeedStatus
from actors.messages import BookStale, BookUpdate, EventsListed
from supervision import ManualClock, snapshot_from_dict, snapshot_to_dict
from tests.actors.feed_harness import AckAll, FeedRig, levels, quiet_venue, start_rig
from tests.supervision.conftest import DEADLINE, eventually
from warden.venue import RealismConfig

__all__ = ["start_rig"]  # the fixture, re-exported so pytest finds it here

StartRig = Callable[..., FeedRig]
D = Decimal


def test_a_snapshot_then_deltas_give_the_consumer_the_venues_book(start_rig: StartRig) -> None:
    rig = start_rig(tickers=())  # no tickers configured: the feed lists the markets itself
    rig.venue.bid("yes", "0.40", 5)
    rig.venue.bid("no", "0.55", 7)
    first = rig.wait_for_book()
    assert first.book.ticker == "SIM-001"

    rig.venue.bid("yes", "0.41", 2)
    rig.venue.bid("no", "0.50", 1)
    rig.venue.bid("yes", "0.41", 3, ticker="SIM-002")
    book = rig.wait_for_book().book
    assert levels(book) == (
        ((D("0.40"), D(5)), (D("0.41"), D(2))),
        ((D("0.50"), D(1)), (D("0.55"), D(7))),
    )
    assert levels(rig.wait_for_book("SIM-002").book) == (((D("0.41"), D(3)),), ())
    status = rig.status()
    assert status.connection.state == "connected"
    assert status.markets["SIM-001"].phase == "live"
    assert status.markets["SIM-001"].seq == book.seq
    assert status.counts.gaps == 0
    assert status.counts.rejected == {}
    assert rig.stales() == []


def _live(rig: FeedRig) -> int:
    """Wait for SIM-001 to be live with one resting bid; returns how many updates it had."""
    rig.venue.bid("yes", "0.40", 5)
    rig.wait_for_book()
    return len(rig.updates())


def test_a_sequence_gap_makes_the_market_stale_then_resyncs_it_from_a_fresh_snapshot(
    start_rig: StartRig,
) -> None:
    rig = start_rig(subscribe_timeout_s=30.0)  # the snapshot asked for comes, no fallback
    before = _live(rig)
    sid = rig.status().markets["SIM-001"].sid

    rig.venue.faults(gap_rate=1.0)
    rig.venue.bid("yes", "0.30", 1)  # its delta is never sent: the next one shows a gap
    rig.venue.faults()
    rig.venue.bid("yes", "0.31", 2)

    stale = rig.wait_for_stale()
    assert "gap" in stale.reason
    update = rig.wait_for_book(after=before)
    assert levels(update.book) == (((D("0.30"), D(1)), (D("0.31"), D(2)), (D("0.40"), D(5))), ())
    assert update.book.seq > 1  # get_snapshot: the same subscription, its seq continues
    assert rig.status().markets["SIM-001"].sid == sid
    counts = rig.counts()
    assert counts.gaps == 1
    assert counts.resyncs == 1
    assert (counts.snapshot_requests, counts.resync_timeouts) == (1, 0)
    assert rig.status().markets["SIM-001"].resyncs == 1
    assert rig.stales("SIM-002") == []  # one market's broken stream costs only that market


def test_a_duplicated_frame_is_treated_as_a_broken_stream_and_resynced(
    start_rig: StartRig,
) -> None:
    rig = start_rig()
    before = _live(rig)

    rig.venue.faults(duplicate_rate=1.0)
    rig.venue.bid("no", "0.20", 4)
    stale = rig.wait_for_stale()
    rig.venue.faults()

    assert "duplicate or reordered" in stale.reason
    assert levels(rig.wait_for_book(after=before).book) == (
        ((D("0.40"), D(5)),),
        ((D("0.20"), D(4)),),
    )
    assert rig.counts().out_of_order >= 1


def test_a_reordered_frame_is_detected_and_the_market_resynced(start_rig: StartRig) -> None:
    rig = start_rig()
    before = _live(rig)

    rig.venue.faults(reorder_rate=1.0)
    rig.venue.bid("yes", "0.30", 1)  # held back by the venue ...
    rig.venue.bid("yes", "0.31", 1)  # ... and sent after this one
    rig.venue.faults()

    stale = rig.wait_for_stale()
    assert "expected seq" in stale.reason
    assert levels(rig.wait_for_book(after=before).book) == (
        ((D("0.30"), D(1)), (D("0.31"), D(1)), (D("0.40"), D(5))),
        (),
    )
    assert rig.counts().resyncs >= 1


def test_malformed_frames_are_rejected_counted_per_market_and_never_forwarded(
    start_rig: StartRig,
) -> None:
    rig = start_rig()
    before = _live(rig)

    rig.venue.faults(malformed_rate=1.0)
    wanted = {"bad_json", "not_finite", "negative"}
    price = 10

    def every_kind_rejected() -> bool:
        nonlocal price
        rejected = rig.counts().rejected
        if wanted <= {r for r, markets in rejected.items() if markets.get("SIM-001")}:
            return True
        price += 1  # each resync's snapshot is spoiled too; deltas keep coming
        rig.venue.bid("no", f"0.{price % 50 + 1:02d}", 1)
        return False

    eventually(every_kind_rejected, what="bad JSON, NaN and negative size all rejected")
    assert len(rig.updates()) == before  # nothing spoiled reached the consumer
    assert "bad frame" in rig.stales()[0].reason
    rig.venue.faults()
    rig.venue.bid("yes", "0.41", 1)

    update = rig.wait_for_book(after=before)
    assert levels(update.book) == rig.venue.book()
    rejected = rig.counts().rejected
    assert set(rejected) <= wanted
    assert all(set(markets) == {"SIM-001"} for markets in rejected.values())


def test_a_crossed_book_within_the_allowed_overlap_is_forwarded_beyond_it_rejected(
    start_rig: StartRig,
) -> None:
    rig = start_rig(max_overlap=D("0.10"))
    rig.venue.bid("yes", "0.60", 3)
    rig.venue.bid("no", "0.45", 2)  # 0.60 + 0.45 = 1.05: an arbitrage opportunity, not an error
    book = rig.wait_for_book().book
    assert levels(book) == (((D("0.60"), D(3)),), ((D("0.45"), D(2)),))
    top = book.top_of_book()
    assert top.yes_ask is not None
    assert top.no_ask is not None
    assert top.yes_ask.price + top.no_ask.price == D("0.95")

    rig.venue.bid("yes", "0.40", 1, ticker="SIM-002")
    rig.wait_for_book("SIM-002")
    rig.venue.bid("no", "0.75", 1, ticker="SIM-002")  # 0.40 + 0.75 = 1.15: corrupt for this feed
    stale = rig.wait_for_stale("SIM-002")
    assert "crossed" in stale.reason
    eventually(lambda: rig.counts().rejected.get("crossed", {}).get("SIM-002", 0) >= 2)
    assert all(u.book.no_bids == () for u in rig.updates("SIM-002"))  # never the bad book


def test_a_dropped_connection_is_reconnected_and_every_market_resubscribed(
    start_rig: StartRig,
) -> None:
    rig = start_rig()
    before = _live(rig)
    rig.venue.bid("yes", "0.20", 1, ticker="SIM-002")
    before_2 = len(rig.wait_for_book("SIM-002", after=0) and rig.updates("SIM-002"))

    rig.venue.faults(drop_rate=1.0)
    rig.venue.bid("yes", "0.41", 1)  # the venue closes the socket instead of sending this
    stale = rig.wait_for_stale()
    rig.venue.faults()

    assert "disconnected" in stale.reason
    assert "disconnected" in rig.wait_for_stale("SIM-002").reason
    assert levels(rig.wait_for_book(after=before).book) == (
        ((D("0.40"), D(5)), (D("0.41"), D(1))),
        (),
    )
    assert levels(rig.wait_for_book("SIM-002", after=before_2).book) == (((D("0.20"), D(1)),), ())
    connection = rig.status().connection
    assert connection.reconnects >= 1
    assert connection.state == "connected"
    assert "closed" in (connection.last_disconnect or "")


PING_FRAME_BYTES = 14
"""A client's ping with our 8-byte payload: 2 header bytes, a 4-byte mask, the payload."""


def test_a_venue_that_stops_answering_pings_is_declared_dead_and_replaced(
    start_rig: StartRig,
) -> None:
    rig = start_rig(proxied=True, ping_interval_s=0.1, silence_timeout_s=0.5)
    before = _live(rig)

    frozen_at = time.monotonic()
    rig.venue.freeze()  # the path goes dead: the socket stays open, no pong comes back
    stale = rig.wait_for_stale()
    # within ping_interval_s + silence_timeout_s (0.6 s) of the last pong; slack for a busy host
    assert time.monotonic() - frozen_at < 0.6 + 2.0
    assert "silence" in stale.reason
    assert rig.status().connection.last_disconnect == "silence: a ping went unanswered for 0.5s"
    rig.venue.thaw()
    rig.venue.bid("no", "0.30", 2)

    assert levels(rig.wait_for_book(after=before).book) == (
        ((D("0.40"), D(5)),),
        ((D("0.30"), D(2)),),
    )
    assert rig.status().connection.reconnects >= 1


def test_a_silent_venue_that_answers_pings_stays_connected(start_rig: StartRig) -> None:
    # Far more pings than the deadline allows without pongs, and not one data frame.
    rig = start_rig(proxied=True, ping_interval_s=0.02, silence_timeout_s=0.1)
    _live(rig)
    proxy = rig.venue.proxy
    assert proxy is not None

    rig.venue.faults(silence=True)  # no frame at all; the venue still answers pings
    counted = rig.venue.run(lambda: proxy.client_bytes)
    eventually(
        lambda: rig.venue.run(lambda: proxy.client_bytes) >= counted + 10 * PING_FRAME_BYTES,
        what="ten pings sent, each after the pong of the one before",
    )
    status = rig.status()
    assert status.connection.state == "connected"
    assert (status.connection.reconnects, status.connection.last_disconnect) == (0, None)
    assert status.markets["SIM-001"].phase == "live"
    assert rig.stales() == []


def test_a_market_without_updates_for_the_staleness_window_is_reported_stale(
    start_rig: StartRig,
) -> None:
    rig = start_rig(stale_after_s=0.3, ping_interval_s=60.0)  # no pong confirms the stream
    before = _live(rig)

    stale = rig.wait_for_stale()
    assert "not confirmed current" in stale.reason
    assert rig.status().markets["SIM-001"].stale is True
    assert rig.status().connection.reconnects == 0  # the book stays good, only old

    rig.venue.bid("no", "0.30", 2)
    assert levels(rig.wait_for_book(after=before).book) == (
        ((D("0.40"), D(5)),),
        ((D("0.30"), D(2)),),
    )


def test_a_quiet_market_stays_fresh_while_the_venue_answers_pings(
    start_rig: StartRig,
) -> None:
    rig = start_rig(stale_after_s=0.5, ping_interval_s=0.1)
    _live(rig)
    # Its own last update is four staleness windows old; pongs confirmed the stream since.
    eventually(
        lambda: (rig.status().markets["SIM-001"].last_update_age_s or 0.0) > 2.0,
        what="the quiet market's book two seconds old",
    )
    status = rig.status()
    assert status.markets["SIM-001"].stale is False
    assert status.stream_confirmed_age_s is not None
    assert status.stream_confirmed_age_s < 0.5
    assert rig.stales() == []


def test_a_consumer_that_does_not_ack_gets_one_update_per_market_then_the_latest(
    start_rig: StartRig,
) -> None:
    rig = start_rig(auto_ack=False)
    first = rig.wait_for_book()  # the empty snapshot, never acknowledged
    for price in range(10, 15):
        rig.venue.bid("yes", f"0.{price}", 1)
    eventually(lambda: rig.status().markets["SIM-001"].seq == 6, what="all deltas read")

    assert rig.updates() == [first]
    assert rig.status().updates.conflated == 4  # deltas 3..6 each replaced a pending book
    assert rig.status().markets["SIM-001"].pending is True

    rig.tree.tell("strategy", AckAll())
    latest = rig.wait_for_book(after=1)
    assert latest.book.seq == 6
    assert levels(latest.book) == (
        (
            (D("0.10"), D(1)),
            (D("0.11"), D(1)),
            (D("0.12"), D(1)),
            (D("0.13"), D(1)),
            (D("0.14"), D(1)),
        ),
        (),
    )
    assert len(rig.updates()) == 2
    assert rig.status().updates.sent == 3  # SIM-001 twice, SIM-002 once


def test_a_restarted_consumer_is_sent_the_latest_book_its_predecessor_never_acked(
    start_rig: StartRig,
) -> None:
    rig = start_rig(auto_ack=False)
    rig.wait_for_book()  # the empty snapshot, never acknowledged
    rig.venue.bid("yes", "0.40", 5)
    eventually(lambda: rig.status().markets["SIM-001"].seq == 2, what="bid seen")

    rig.tree.restart("strategy")
    again = rig.wait_for_book(after=1)
    assert again.book.seq == 2
    assert rig.status().updates.requeued >= 1


def test_before_it_starts_the_feed_publishes_a_starting_status_with_nothing_counted() -> None:
    config = FeedConfig(ws_url="ws://127.0.0.1:9/never", tickers=("SIM-001",))
    status = FeedActor(config).state_summary()
    assert status.connection.state == "starting"
    assert (status.consumer, status.markets, status.reconnects) == ("strategy", {}, 0)
    assert status.counts.frames == status.updates.sent == status.unknown_messages == 0


def test_the_status_crosses_json_as_itself_and_counts_messages_it_does_not_take(
    start_rig: StartRig,
) -> None:
    rig = start_rig()
    _live(rig)
    rig.tree.tell("feed", "not a feed message")
    eventually(lambda: rig.status().unknown_messages == 1, what="the odd message counted")

    snapshot = rig.tree.snapshot(summary_timeout=DEADLINE)
    status = snapshot.status_of("feed", FeedStatus)
    assert status is not None
    assert status.markets["SIM-001"].phase == "live"
    assert snapshot_from_dict(snapshot_to_dict(snapshot)).status_of("feed", FeedStatus) == status


def test_an_unanswered_ping_is_declared_dead_on_the_injected_clock_not_on_real_time(
    start_rig: StartRig,
) -> None:
    clock = ManualClock()
    # Every window far beyond the test's DEADLINE, and only the pong deadline reached.
    rig = start_rig(
        clock=clock,
        proxied=True,
        ping_interval_s=10.0,
        silence_timeout_s=300.0,
        stale_after_s=1_000.0,
        subscribe_timeout_s=1_000.0,
    )
    before = _live(rig)

    rig.venue.freeze()
    clock.advance(10.0)  # the ping goes out (and is held) ...
    clock.advance(300.0)  # ... and its deadline passes on this clock
    stale = rig.wait_for_stale()
    assert "silence" in stale.reason
    assert rig.status().connection.last_disconnect == "silence: a ping went unanswered for 300.0s"
    rig.venue.thaw()
    rig.venue.bid("no", "0.30", 2)

    def reconnected() -> bool:
        clock.advance(0.05)  # the reconnect backoff (at most 0.05 s) sleeps on it too
        return rig.status().connection.state == "connected"

    eventually(reconnected, what="the feed reconnected once the clock passed its backoff")
    assert levels(rig.wait_for_book(after=before).book) == (
        ((D("0.40"), D(5)),),
        ((D("0.30"), D(2)),),
    )
    assert rig.status().connection.reconnects == 1


# -- EventsListed: the venue's events, before any book of the session ------------------


def _first_listed_precedes_every_book(rig: FeedRig) -> EventsListed:
    listed: EventsListed = eventually(lambda: rig.listed() and rig.listed()[0], what="listed")
    first_book = next(
        (i for i, m in enumerate(list(rig.received)) if isinstance(m, BookUpdate)), None
    )
    assert first_book is None or list(rig.received).index(listed) < first_book
    return listed


def test_the_realistic_venues_events_are_listed_to_the_consumer_before_any_book(
    start_rig: StartRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("actors.venues.kalshi._discovery.EVENTS_PAGE", 2)  # 3 events: two pages
    rig = start_rig(quiet_venue(realism=RealismConfig()), tickers=())
    rig.wait_for_book("SIMEV-01-A")
    listed = _first_listed_precedes_every_book(rig)

    assert [(e.event_ticker, e.markets, e.exclusive) for e in listed.events] == [
        ("SIMEV-01", ("SIMEV-01-A", "SIMEV-01-B", "SIMEV-01-C"), True),
        ("SIMEV-02", ("SIMEV-02-A", "SIMEV-02-B", "SIMEV-02-C", "SIMEV-02-D"), True),
        ("SIMEV-03", ("SIMEV-03-A", "SIMEV-03-B"), False),
    ]
    markets = {m.ticker: m for m in listed.markets}
    assert len(markets) == 9
    assert markets["SIMEV-01-B"].event_ticker == "SIMEV-01"
    assert markets["SIMEV-01-B"].grid.tick == D("0.01")
    assert markets["SIMEV-02-D"].grid.tick == D("0.001")  # the sub-penny event's grid
    assert markets["SIMEV-03-A"].lot.step == D("0.01")
    assert rig.status().connection.state == "connected"


def test_a_venue_without_events_404_lists_every_market_as_its_own_event(
    start_rig: StartRig,
) -> None:
    rig = start_rig(tickers=())  # the legacy venue answers GET /events with 404
    rig.wait_for_book("SIM-002")
    listed = _first_listed_precedes_every_book(rig)

    assert listed.events == (Event.single("SIM-001"), Event.single("SIM-002"))
    assert [(m.ticker, m.event_ticker, m.grid.tick) for m in listed.markets] == [
        ("SIM-001", "SIM-001", D("0.01")),
        ("SIM-002", "SIM-002", D("0.01")),
    ]


def test_configured_tickers_are_listed_as_single_events_without_asking_the_venue(
    start_rig: StartRig,
) -> None:
    rig = start_rig(quiet_venue(realism=RealismConfig()), tickers=("SIMEV-01-A",))
    rig.wait_for_book("SIMEV-01-A")
    listed = _first_listed_precedes_every_book(rig)
    assert listed.events == (Event.single("SIMEV-01-A"),)
    assert [m.event_ticker for m in listed.markets] == ["SIMEV-01-A"]


def test_each_session_lists_the_events_again_before_resubscribing(start_rig: StartRig) -> None:
    rig = start_rig(tickers=())
    before = _live(rig)
    assert len(rig.listed()) == 1

    rig.venue.faults(drop_rate=1.0)
    rig.venue.bid("yes", "0.41", 1)  # the venue closes the socket instead of sending this
    rig.wait_for_stale()
    rig.venue.faults()
    rig.wait_for_book(after=before)

    received = list(rig.received)
    assert len(rig.listed()) >= 2  # one per session (under load the drop may strike twice)
    dropped = max(
        i for i, m in enumerate(received) if isinstance(m, BookStale) and "disconnected" in m.reason
    )
    after = received[dropped + 1 :]
    listed_at = next(i for i, m in enumerate(after) if isinstance(m, EventsListed))
    first_book = next(i for i, m in enumerate(after) if isinstance(m, BookUpdate))
    assert listed_at < first_book
    assert after[first_book].book.seq == 1  # the new session's snapshot


def test_a_restarted_consumer_is_sent_the_events_again_before_its_books(
    start_rig: StartRig,
) -> None:
    rig = start_rig(auto_ack=False)
    rig.wait_for_book()
    rig.venue.bid("yes", "0.40", 5)
    eventually(lambda: rig.status().markets["SIM-001"].seq == 2, what="bid seen")

    rig.tree.restart("strategy")
    again = rig.wait_for_book(after=1)
    received = list(rig.received)
    listed_at = [i for i, m in enumerate(received) if isinstance(m, EventsListed)]
    first_book = next(i for i, m in enumerate(received) if isinstance(m, BookUpdate))
    assert len(listed_at) >= 2
    assert first_book < listed_at[-1] < received.index(again)  # told again, before its books


def test_markets_selected_by_event_are_expanded_listed_and_followed(start_rig: StartRig) -> None:
    rig = start_rig(quiet_venue(realism=RealismConfig()), tickers=(), events=("SIMEV-02",))
    rig.wait_for_book("SIMEV-02-D")
    listed = _first_listed_precedes_every_book(rig)
    assert [(e.event_ticker, e.markets, e.exclusive) for e in listed.events] == [
        ("SIMEV-02", ("SIMEV-02-A", "SIMEV-02-B", "SIMEV-02-C", "SIMEV-02-D"), True)
    ]
    assert sorted(rig.status().markets) == ["SIMEV-02-A", "SIMEV-02-B", "SIMEV-02-C", "SIMEV-02-D"]
    assert {m.ticker: m.grid.tick for m in listed.markets}["SIMEV-02-D"] == D("0.001")


def test_markets_selected_by_series_are_every_market_of_its_events(start_rig: StartRig) -> None:
    rig = start_rig(quiet_venue(realism=RealismConfig()), tickers=(), series=("SIMEV",))
    rig.wait_for_book("SIMEV-03-B")
    listed = _first_listed_precedes_every_book(rig)
    assert [e.event_ticker for e in listed.events] == ["SIMEV-01", "SIMEV-02", "SIMEV-03"]
    assert len(rig.status().markets) == 9
