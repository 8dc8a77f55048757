"""The feed's book state machine without any network: seq tracking, resyncs, staleness."""

from __future__ import annotations

import json
import math
import random
from decimal import Decimal

import pytest

from actors.domain import Side
from actors.feed import FeedBooks, MarketPhase, parse_frame
from actors.feed._books import Effect, GoStale, Publish, SendCommand
from actors.venues import Delta, ErrorReply, Rejected, RejectReason, Snapshot, Subscribed
from actors.venues.kalshi import KalshiMarketData
from supervision import BackoffPolicy, Jitter

D = Decimal
NO_DELAY = BackoffPolicy(Jitter.NONE, base=0.0, cap=0.0, reset_after=10.0)


def _books(**overrides: object) -> FeedBooks:
    settings: dict[str, object] = {
        "payout": D(1),
        "max_overlap": D("0.20"),
        "stale_after_s": 5.0,
        "subscribe_timeout_s": 2.0,
        "resync_backoff": NO_DELAY,
        "rng": random.Random(1),
    }
    settings.update(overrides)
    return FeedBooks(**settings)  # type: ignore[arg-type]


class NoResync(KalshiMarketData):
    """A venue with no way to ask for a snapshot on a live subscription."""

    def resync_command(self, request_id: int, sid: int, ticker: str) -> str | None:  # noqa: ARG002 (the protocol's signature)
        return None


def _commands(effects: list[Effect]) -> list[dict[str, object]]:
    return [json.loads(e.text) for e in effects if isinstance(e, SendCommand)]


def _live(books: FeedBooks, ticker: str = "A", sid: int = 1) -> None:
    """Connect (again) and bring ``ticker`` live on subscription ``sid``."""
    commands = _commands(books.connected([ticker], now=0.0))
    (subscribe,) = [c for c in commands if c["params"]["market_tickers"] == [ticker]]  # type: ignore[index]
    books.on_frame(Subscribed(int(subscribe["id"]), "orderbook_delta", sid), 0.0)  # type: ignore[call-overload]
    effects = books.on_frame(
        Snapshot(sid, 1, ticker, ((D("0.40"), D(5)),), ((D("0.50"), D(2)),)), 1.0
    )
    assert [type(e) for e in effects] == [Publish]


def test_a_snapshot_and_contiguous_deltas_publish_each_book() -> None:
    books = _books()
    _live(books)
    effects = books.on_frame(Delta(1, 2, "A", Side.YES, D("0.41"), D(3)), 2.0)
    assert effects == [Publish(books.markets["A"].book, 2.0)]  # type: ignore[arg-type]
    book = books.markets["A"].book
    assert book is not None
    assert (book.seq, book.yes_bids, book.no_bids) == (
        2,
        ((D("0.40"), D(5)), (D("0.41"), D(3))),
        ((D("0.50"), D(2)),),
    )
    assert books.markets["A"].phase is MarketPhase.LIVE


def test_a_gap_asks_for_a_fresh_snapshot_on_the_same_subscription() -> None:
    books = _books()
    _live(books)
    effects = books.on_frame(Delta(1, 3, "A", Side.YES, D("0.41"), D(3)), 2.0)
    assert effects[0] == GoStale("A", "gap: expected seq 2, got 3")
    (resync,) = _commands(effects)
    assert resync["cmd"] == "update_subscription"
    assert resync["params"] == {"sids": [1], "market_tickers": ["A"], "action": "get_snapshot"}
    market = books.markets["A"]
    assert (market.phase, market.book, market.sid, market.gaps) == (
        MarketPhase.RESYNCING,
        None,
        1,
        1,
    )
    assert (books.counts.resyncs, books.counts.snapshot_requests) == (1, 1)

    # deltas while the snapshot is on its way are dropped, counted, never published
    assert books.on_frame(Delta(1, 4, "A", Side.YES, D("0.41"), D(3)), 2.1) == []
    assert books.on_frame(Delta(1, 5, "A", Side.NO, D("0.30"), D(1)), 2.2) == []
    assert books.counts.resync_dropped == 2

    # the snapshot continues the sid's seq and replaces the book; deltas follow it
    (publish,) = books.on_frame(Snapshot(1, 6, "A", ((D("0.42"), D(1)),), ()), 2.3)
    assert isinstance(publish, Publish)
    assert (publish.book.seq, publish.book.yes_bids) == (6, ((D("0.42"), D(1)),))
    assert market.phase is MarketPhase.LIVE
    (publish,) = books.on_frame(Delta(1, 7, "A", Side.YES, D("0.42"), D(2)), 2.4)
    assert isinstance(publish, Publish)
    assert publish.book.yes_bids == ((D("0.42"), D(3)),)
    assert books.check_staleness(100.0) != []  # only the quiet market's staleness
    assert books.counts.resync_timeouts == 0


def test_a_resync_without_a_snapshot_in_time_falls_back_to_a_new_subscription() -> None:
    books = _books(subscribe_timeout_s=2.0)
    _live(books)
    books.on_frame(Delta(1, 3, "A", Side.YES, D("0.41"), D(3)), 2.0)
    assert books.check_staleness(4.0) == []
    effects = books.check_staleness(4.5)
    assert _commands(effects) == [
        {"id": 3, "cmd": "unsubscribe", "params": {"sids": [1]}},
        {
            "id": 4,
            "cmd": "subscribe",
            "params": {"channels": ["orderbook_delta"], "market_tickers": ["A"]},
        },
    ]
    assert books.counts.resync_timeouts == 1
    assert books.markets["A"].phase is MarketPhase.SUBSCRIBING
    # the snapshot that comes too late, on the retired sid, is ignored
    assert books.on_frame(Snapshot(1, 4, "A", (), ()), 4.6) == []
    assert books.counts.retired_frames == 1


def test_a_snapshot_in_the_middle_of_a_subscription_replaces_the_book() -> None:
    books = _books()
    _live(books)
    (publish,) = books.on_frame(Snapshot(1, 5, "A", (), ((D("0.51"), D(4)),)), 2.0)
    assert isinstance(publish, Publish)
    assert (publish.book.seq, publish.book.yes_bids, publish.book.no_bids) == (
        5,
        (),
        ((D("0.51"), D(4)),),
    )
    # ... but one that does not continue the sid is a duplicate or reordered frame
    effects = books.on_frame(Snapshot(1, 5, "A", (), ()), 2.1)
    assert isinstance(effects[0], GoStale)
    assert books.counts.out_of_order == 1


def test_without_a_resync_command_a_gap_unsubscribes_and_subscribes_again() -> None:
    books = _books(protocol=NoResync())
    _live(books)
    effects = books.on_frame(Delta(1, 3, "A", Side.YES, D("0.41"), D(3)), 2.0)
    assert effects[0] == GoStale("A", "gap: expected seq 2, got 3")
    unsubscribe, subscribe = _commands(effects)
    assert unsubscribe["cmd"] == "unsubscribe"
    assert unsubscribe["params"] == {"sids": [1]}
    assert subscribe["cmd"] == "subscribe"
    market = books.markets["A"]
    assert (market.phase, market.book, market.gaps, books.counts.resyncs) == (
        MarketPhase.SUBSCRIBING,
        None,
        1,
        1,
    )
    # frames still in flight on the old subscription are ignored, not errors
    assert books.on_frame(Delta(1, 4, "A", Side.YES, D("0.41"), D(3)), 2.1) == []
    assert books.counts.retired_frames == 1


def test_a_duplicate_is_out_of_order_and_resyncs() -> None:
    books = _books()
    _live(books)
    books.on_frame(Delta(1, 2, "A", Side.YES, D("0.41"), D(3)), 2.0)
    effects = books.on_frame(Delta(1, 2, "A", Side.YES, D("0.41"), D(3)), 2.0)
    assert isinstance(effects[0], GoStale)
    assert books.counts.out_of_order == 1
    assert books.counts.gaps == 0


def test_a_delta_before_any_snapshot_means_the_snapshot_was_lost() -> None:
    books = _books()
    (subscribe,) = _commands(books.connected(["A"], now=0.0))
    books.on_frame(Subscribed(int(subscribe["id"]), "orderbook_delta", 1), 0.0)  # type: ignore[call-overload]
    effects = books.on_frame(Delta(1, 2, "A", Side.YES, D("0.41"), D(3)), 1.0)
    assert [c["cmd"] for c in _commands(effects)] == ["update_subscription"]
    assert not any(isinstance(e, GoStale) for e in effects)  # it was never tradeable
    assert books.markets["A"].phase is MarketPhase.RESYNCING


def test_a_book_crossed_beyond_the_overlap_or_a_negative_level_is_refused_and_resynced() -> None:
    books = _books(max_overlap=D("0.05"))
    _live(books)
    crossed = books.on_frame(Delta(1, 2, "A", Side.YES, D("0.56"), D(1)), 2.0)  # 0.56 + 0.50 = 1.06
    assert crossed[0] == GoStale("A", "bad book: crossed")
    assert books.counts.rejected == {"crossed": {"A": 1}}

    _live(books, sid=2)
    negative = books.on_frame(Delta(2, 2, "A", Side.NO, D("0.50"), D(-3)), 3.0)
    assert negative[0] == GoStale("A", "bad book: negative_level")
    assert books.counts.rejected["negative_level"] == {"A": 1}


@pytest.mark.parametrize(
    ("price", "change"),
    [
        (D(1), D(1)),
        (D(0), D(1)),
        (D("0.41"), D(0)),
        (D("0.41"), 1.0),
        (D("0.41"), 1),
        (0.41, D(1)),
        (True, D(1)),
        (D("0.41"), D("0.001")),
        (D("0.41005"), D(1)),
    ],
)
def test_a_delta_the_parser_would_refuse_is_still_refused_by_the_book(
    price: object, change: object
) -> None:
    books = _books()
    _live(books)
    before = books.markets["A"].book
    effects = books.on_frame(Delta(1, 2, "A", Side.YES, price, change), 2.0)  # type: ignore[arg-type]
    assert effects[0] == GoStale("A", "bad book: out_of_range")
    assert books.counts.rejected == {"out_of_range": {"A": 1}}
    assert books.counts.books_accepted == 1  # the snapshot only
    assert before is not None
    assert before.yes_bids == ((D("0.40"), D(5)),)


def test_an_overlap_within_the_tolerance_is_published() -> None:
    books = _books(max_overlap=D("0.10"))
    _live(books)
    (publish,) = books.on_frame(
        Delta(1, 2, "A", Side.YES, D("0.55"), D(1)), 2.0
    )  # 0.55 + 0.50 = 1.05
    assert isinstance(publish, Publish)
    assert publish.book.crossing_tolerance == D("0.10")


def test_a_rejected_frame_of_a_live_market_resyncs_it_and_is_counted_under_it() -> None:
    books = _books(protocol=NoResync())
    _live(books)
    rejected = parse_frame('{"type": "orderbook_delta", "sid": 1, "seq": 2, "msg": {"mar')
    assert isinstance(rejected, Rejected)
    effects = books.on_frame(rejected, 2.0)
    assert effects[0] == GoStale("A", "bad frame: bad_json in frame")
    # the cut-off frame had no ticker: the sid named the market
    assert books.counts.rejected == {"bad_json": {"A": 1}}
    # a later bad frame of the retired subscription is counted under its market, no resync
    late = Rejected(RejectReason.NOT_FINITE, "price", "NaN", sid=1)
    assert books.on_frame(late, 2.1) == []
    assert books.counts.rejected["not_finite"] == {"A": 1}
    assert books.counts.resyncs == 1


def test_a_quiet_market_goes_stale_once_and_is_fresh_again_with_its_next_frame() -> None:
    books = _books(stale_after_s=5.0)
    _live(books)
    assert books.check_staleness(6.0) == []  # last update at 1.0: 5.0 s old, not more
    (stale,) = books.check_staleness(6.5)
    assert isinstance(stale, GoStale)
    assert stale.reason == "not confirmed current for 5.5s"
    assert books.check_staleness(60.0) == []  # reported once
    (publish,) = books.on_frame(Delta(1, 2, "A", Side.YES, D("0.41"), D(1)), 61.0)
    assert isinstance(publish, Publish)
    assert books.markets["A"].fresh


def test_a_subscription_without_a_snapshot_in_time_is_sent_again() -> None:
    books = _books(subscribe_timeout_s=2.0)
    books.connected(["A"], now=0.0)
    assert books.check_staleness(2.0) == []
    effects = books.check_staleness(2.5)
    assert [c["cmd"] for c in _commands(effects)] == ["subscribe"]
    assert books.counts.subscribe_timeouts == 1


def test_a_disconnect_makes_every_fresh_market_stale_and_offline() -> None:
    books = _books()
    _live(books, "B", sid=1)
    reconnected = books.connected(["A"], now=1.0)  # without a disconnect: B is not fresh now
    assert GoStale("B", "resubscribing on a new connection") in reconnected
    assert books.markets["B"].phase is MarketPhase.SUBSCRIBING
    _live(books, "A", sid=2)
    effects = books.disconnected("closed: 1011")
    assert effects == [GoStale("A", "disconnected: closed: 1011")]  # B was not fresh
    assert {m.phase for m in books.markets.values()} == {MarketPhase.OFFLINE}
    assert books.markets["A"].book is None


def test_resync_delays_grow_with_the_markets_backoff_and_reset_after_a_stable_book() -> None:
    policy = BackoffPolicy(Jitter.NONE, base=0.1, cap=1.0, reset_after=10.0)
    books = _books(resync_backoff=policy)
    _live(books)
    delays = []
    for sid in (1, 2, 3):
        effects = books.on_frame(Delta(sid, 9, "A", Side.YES, D("0.41"), D(1)), 2.0)
        delays.append([e.delay for e in effects if isinstance(e, SendCommand)][-1])
        _live(books, sid=sid + 1)
    assert delays == [0.1, 0.2, 0.4]
    # live (from t=1.0) for 20 s: the next resync starts the backoff over
    effects = books.on_frame(Delta(4, 9, "A", Side.YES, D("0.41"), D(1)), 21.0)
    assert [e.delay for e in effects if isinstance(e, SendCommand)][-1] == 0.1


# -- venue errors: classified by the protocol ------------------------------------------


def _error(
    code: int | None, *, request_id: int | None = None, sid: int | None = None
) -> ErrorReply:
    return ErrorReply(request_id, code, "from the venue", sid)


@pytest.mark.parametrize("code", [10, 17, 25])
def test_a_terminal_error_of_a_live_subscription_resubscribes_its_market(code: int) -> None:
    books = _books()
    for sid, subscribe in enumerate(_commands(books.connected(["A", "B"], now=0.0)), start=1):
        ticker = subscribe["params"]["market_tickers"][0]  # type: ignore[index]
        books.on_frame(Subscribed(int(subscribe["id"]), "orderbook_delta", sid), 0.0)  # type: ignore[call-overload]
        books.on_frame(Snapshot(sid, 1, ticker, (), ()), 1.0)
    assert books.markets["A"].phase is books.markets["B"].phase is MarketPhase.LIVE
    effects = books.on_frame(_error(code, sid=1), 2.0)
    assert effects[0] == GoStale("A", f"subscription failed: venue error {code}")
    assert [(c["cmd"], c["params"]) for c in _commands(effects)] == [
        ("unsubscribe", {"sids": [1]}),
        ("subscribe", {"channels": ["orderbook_delta"], "market_tickers": ["A"]}),
    ]
    assert books.markets["B"].phase is MarketPhase.LIVE  # only the market it concerns
    assert books.counts.venue_error_codes == {str(code): 1}


def test_a_terminal_error_without_a_sid_is_matched_by_the_pending_request_id() -> None:
    books = _books()
    (subscribe,) = _commands(books.connected(["A"], now=0.0))
    effects = books.on_frame(_error(17, request_id=int(subscribe["id"])), 0.5)  # type: ignore[call-overload]
    assert [c["cmd"] for c in _commands(effects)] == ["subscribe"]
    assert books.markets["A"].request_id != subscribe["id"]


def test_unknown_subscription_to_a_resync_request_subscribes_anew_without_unsubscribing() -> None:
    books = _books()
    _live(books)
    (resync,) = _commands(books.on_frame(Delta(1, 3, "A", Side.YES, D("0.41"), D(3)), 2.0))
    effects = books.on_frame(_error(7, request_id=int(resync["id"])), 2.1)  # type: ignore[call-overload]
    assert [c["cmd"] for c in _commands(effects)] == ["subscribe"]
    assert books.markets["A"].phase is MarketPhase.SUBSCRIBING


def test_a_refused_resync_request_falls_back_to_a_new_subscription() -> None:
    books = _books()
    _live(books)
    (resync,) = _commands(books.on_frame(Delta(1, 3, "A", Side.YES, D("0.41"), D(3)), 2.0))
    effects = books.on_frame(_error(27, request_id=int(resync["id"])), 2.1)  # type: ignore[call-overload]
    assert [c["cmd"] for c in _commands(effects)] == ["unsubscribe", "subscribe"]


def test_an_error_about_nothing_pending_is_counted_and_changes_nothing() -> None:
    books = _books()
    _live(books)
    assert books.on_frame(_error(7, request_id=999), 2.0) == []  # e.g. an unsubscribe's
    assert books.on_frame(_error(None), 2.0) == []
    assert books.on_frame(_error(11, sid=1), 2.0) == []  # not fatal to a live subscription
    assert books.markets["A"].phase is MarketPhase.LIVE
    assert books.counts.venue_errors == 3
    assert books.counts.venue_error_codes == {"7": 1, "?": 1, "11": 1}


def test_already_subscribed_waits_and_the_orphan_subscription_is_unsubscribed() -> None:
    books = _books(subscribe_timeout_s=2.0)
    (subscribe,) = _commands(books.connected(["A"], now=0.0))
    assert books.on_frame(_error(6, request_id=int(subscribe["id"])), 0.1) == []  # type: ignore[call-overload]
    assert books.markets["A"].phase is MarketPhase.SUBSCRIBING
    # the subscription whose reply was lost shows itself with its frames
    effects = books.on_frame(Delta(9, 4, "A", Side.YES, D("0.41"), D(1)), 0.2)
    assert [(c["cmd"], c["params"]) for c in _commands(effects)] == [("unsubscribe", {"sids": [9]})]
    assert books.on_frame(Delta(9, 5, "A", Side.YES, D("0.41"), D(1)), 0.3) == []  # once
    assert (books.counts.orphan_subscriptions, books.counts.retired_frames) == (1, 1)
    assert [c["cmd"] for c in _commands(books.check_staleness(2.5))] == ["subscribe"]


def test_a_quiet_market_stays_fresh_while_the_stream_is_confirmed_by_other_markets_frames() -> None:
    books = _books(stale_after_s=5.0)
    _both_live(books)
    for seq, t in enumerate((2.0, 4.0, 6.0, 8.0), start=2):  # only B changes; read in order
        books.on_frame(Delta(2, seq, "B", Side.YES, D("0.41"), D(1 if seq % 2 == 0 else -1)), t)
    assert books.check_staleness(12.9) == []  # A unchanged since 1.0, stream current at 8.0
    assert books.markets["A"].fresh
    (stale_a, stale_b) = books.check_staleness(13.5)  # the stream quiet for 5.5 s: both
    assert {s.ticker for s in (stale_a, stale_b) if isinstance(s, GoStale)} == {"A", "B"}
    assert isinstance(stale_a, GoStale)
    assert stale_a.reason == "not confirmed current for 5.5s (its last update 12.5s ago)"


def test_a_pong_confirms_every_quiet_book_and_brings_a_stale_one_back_with_its_book() -> None:
    books = _books(stale_after_s=5.0)
    _live(books)
    books.stream_confirmed(4.0)  # a pong for a ping sent at 4.0
    assert books.check_staleness(9.0) == []
    (stale,) = books.check_staleness(9.5)
    assert isinstance(stale, GoStale)
    book = books.markets["A"].book

    books.stream_confirmed(9.4)
    (publish,) = books.check_staleness(10.0)  # fresh again, its unchanged book published
    assert isinstance(publish, Publish)
    assert (publish.book, publish.received_at) == (book, 9.4)
    assert books.markets["A"].fresh
    assert books.counts.confirmed_fresh == 1
    assert books.check_staleness(10.1) == []  # once


def test_a_stream_behind_the_venue_confirms_nothing_newer_than_what_it_delivers() -> None:
    books = _books(stale_after_s=5.0)
    books.wall_minus_monotonic = 1_000.0  # wall = monotonic + 1000 in this test
    _both_live(books)
    stamp = lambda t: int((t + 1_000.0) * 1000)  # noqa: E731 - the venue's ms for our time t
    books.on_frame(Delta(2, 2, "B", Side.YES, D("0.41"), D(1), venue_ts_ms=stamp(2.0)), 2.0)
    # B's next frames arrive ever later behind the venue: sent at 3.0, read at 9.0 and on
    for seq, read in ((3, 9.0), (4, 10.0)):
        books.on_frame(
            Delta(
                2, seq, "B", Side.YES, D("0.41"), D(1 if seq % 2 else -1), venue_ts_ms=stamp(3.0)
            ),
            read,
        )
    stale = books.check_staleness(10.0)  # current only up to 3.0 by venue time: 7 s old
    assert {e.ticker for e in stale if isinstance(e, GoStale)} == {"A", "B"}


def test_a_disconnect_forgets_the_streams_confirmation() -> None:
    books = _books(stale_after_s=5.0)
    _live(books)
    books.stream_confirmed(4.0)
    books.disconnected("closed: code 1011")
    assert books.stream_current_at is None
    _live(books)  # a new connection: only its own frames and pongs confirm anything
    assert books.stream_current_at == 1.0


def _both_live(books: FeedBooks) -> None:
    """Connect and bring markets A (sid 1) and B (sid 2) live at 1.0 on one connection."""
    commands = _commands(books.connected(["A", "B"], now=0.0))
    for sid, ticker in ((1, "A"), (2, "B")):
        (subscribe,) = [c for c in commands if c["params"]["market_tickers"] == [ticker]]  # type: ignore[index]
        books.on_frame(Subscribed(int(subscribe["id"]), "orderbook_delta", sid), 0.0)  # type: ignore[call-overload]
        snapshot = Snapshot(sid, 1, ticker, ((D("0.40"), D(5)),), ((D("0.50"), D(2)),))
        assert [type(e) for e in books.on_frame(snapshot, 1.0)] == [Publish]


def test_a_feed_reading_behind_the_venue_waits_that_much_longer_before_resubscribing() -> None:
    books = _books(subscribe_timeout_s=2.0)
    books.connected(["A"], now=0.0)
    assert books.check_staleness(4.0, behind_s=3.0) == []  # its answer may be in the 3 s
    assert books.check_staleness(4.0, behind_s=math.inf) == []  # reading paused
    effects = books.check_staleness(5.5, behind_s=3.0)
    assert [c["cmd"] for c in _commands(effects)] == ["subscribe"]
    assert books.counts.subscribe_timeouts == 1


def _subscribed_tickers(effects: list[Effect]) -> list[str]:
    return [
        c["params"]["market_tickers"][0]  # type: ignore[index]
        for c in _commands(effects)
        if c["cmd"] == "subscribe"
    ]


def _bring_live(books: FeedBooks, ticker: str, sid: int, at: float) -> list[Effect]:
    """Answer ``ticker``'s pending subscription (sid ``sid``) and its snapshot."""
    request = books.markets[ticker].request_id
    assert request is not None, f"{ticker} has no subscription out"
    books.on_frame(Subscribed(request, "orderbook_delta", sid), at)
    return books.on_frame(Snapshot(sid, 1, ticker, ((D("0.40"), D(5)),), ()), at)


def test_a_new_connection_subscribes_through_a_window_of_pending_subscriptions() -> None:
    books = _books(max_pending_subscriptions=2)
    tickers = ["A", "B", "C", "D", "E"]
    assert _subscribed_tickers(books.connected(tickers, now=0.0)) == ["A", "B"]
    assert [books.markets[t].phase for t in tickers] == [
        MarketPhase.SUBSCRIBING,
        MarketPhase.SUBSCRIBING,
        MarketPhase.OFFLINE,
        MarketPhase.OFFLINE,
        MarketPhase.OFFLINE,
    ]
    # A's snapshot frees its slot: C goes out with A's book.
    effects = _bring_live(books, "A", sid=1, at=0.5)
    assert type(effects[0]) is Publish
    assert _subscribed_tickers(effects) == ["C"]
    assert _subscribed_tickers(books.check_staleness(0.6)) == []  # the window is full
    # B never answers: its timeout resubscribes it at once, in its own slot.
    assert _subscribed_tickers(books.check_staleness(2.1)) == ["B"]
    assert books.markets["D"].phase is MarketPhase.OFFLINE
    effects = _bring_live(books, "C", sid=3, at=2.2)
    assert _subscribed_tickers(effects) == ["D"]
    # A disconnect forgets the queue; the next connection starts the window again.
    books.disconnected("closed")
    assert _subscribed_tickers(books.check_staleness(3.0)) == []
    assert _subscribed_tickers(books.connected(tickers, now=4.0)) == ["A", "B"]


def test_a_resubscription_keeps_its_slot_until_its_snapshot_comes() -> None:
    books = _books(max_pending_subscriptions=1)
    assert _subscribed_tickers(books.connected(["A", "B"], now=0.0)) == ["A"]
    # A's answer is lost: its timeout resubscribes it, and B still waits for the slot.
    assert _subscribed_tickers(books.check_staleness(2.1)) == ["A"]
    assert books.markets["B"].phase is MarketPhase.OFFLINE
    effects = _bring_live(books, "A", sid=2, at=2.5)
    assert _subscribed_tickers(effects) == ["B"]
    assert books.markets["B"].phase is MarketPhase.SUBSCRIBING
