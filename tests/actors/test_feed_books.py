"""The feed's book state machine without any network: seq tracking, resyncs, staleness."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest

from actors.domain import Side
from actors.feed import FeedBooks, MarketPhase, parse_frame
from actors.feed._books import Effect, GoStale, Publish, SendCommand
from actors.venues import Delta, Rejected, RejectReason, Snapshot, Subscribed
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


def test_a_gap_goes_stale_unsubscribes_and_subscribes_again() -> None:
    books = _books()
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
    assert [c["cmd"] for c in _commands(effects)] == ["unsubscribe", "subscribe"]
    assert not any(isinstance(e, GoStale) for e in effects)  # it was never tradeable


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
    books = _books()
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
    assert stale.reason.startswith("no update for 5.5s")
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
