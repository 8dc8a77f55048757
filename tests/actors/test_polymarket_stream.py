"""Polymarket's ``market`` channel read through :class:`PolymarketSession`: every
recorded frame as sent (tests/fixtures/polymarket/SOURCES.md), the Kalshi-shaped
frames the feed expects (a subscription answered by its first book, contiguous
seqs, deltas that rebuild the venue's absolute book), the wire of the commands,
and the feed's own book state machine driven by the session end to end."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from actors.domain import BookSnapshot, Side
from actors.feed import FeedBooks
from actors.feed._books import Publish, SendCommand
from actors.money import PriceGrid
from actors.venues import (
    Delta,
    ErrorAction,
    ErrorReply,
    Heartbeat,
    PriceGrids,
    Rejected,
    RejectReason,
    Snapshot,
    Subscribed,
)
from actors.venues.polymarket._markets import PolymarketMarket, market_from_clob_market
from actors.venues.polymarket._stream import (
    TICK_CHANGED,
    PolymarketMarketData,
    PolymarketSession,
)
from supervision import BackoffPolicy, Jitter

D = Decimal
FIXTURES = Path(__file__).parent.parent / "fixtures" / "polymarket"

# The recorded market-channel frames follow these tokens (see each fixture's
# asset_id and market): the registry below follows each through that token.
TRUMP = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
TRUMP_NO = "48331043336612883890938759509493159234755048973500640148014422747788308965732"
V2_MARKET = "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"
V2_ASSET = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
TICK_MARKET = "0xbacdf04bf7f22a670dc4fb408878ec56b76f9934599829455b9371693ba84b8b"
TICK_ASSET = "115474063863764126958837769719736461272619491980773624567012766320777398670353"


def text(name: str) -> str:
    return (FIXTURES / name).read_text()


def market(cid: str, token: str, tick: str) -> PolymarketMarket:
    return PolymarketMarket(cid, token, "1", D(tick), False, None, D(5), D(0), True)


def registry() -> dict[str, PolymarketMarket]:
    """The recorded frames' markets, each followed through the token its frames name."""
    return {
        TRUMP: market(TRUMP, TRUMP_NO, "0.001"),
        V2_MARKET: market(V2_MARKET, V2_ASSET, "0.01"),
        TICK_MARKET: market(TICK_MARKET, TICK_ASSET, "0.01"),
    }


def subscribed(
    *tickers: str, markets: dict[str, PolymarketMarket] | None = None
) -> tuple[PolymarketMarketData, PolymarketSession]:
    protocol = PolymarketMarketData(registry() if markets is None else markets)
    session = protocol.session(PriceGrids())
    for request_id, ticker in enumerate(tickers, start=1):
        assert session.outgoing(protocol.subscribe_command(request_id, ticker)) is not None
    return protocol, session


def book(
    token: str, cid: str, bids: list[tuple[str, str]], asks: list[tuple[str, str]]
) -> dict[str, Any]:
    """A ``book`` event in the venue's schema (levels worst first, strings)."""
    return {
        "event_type": "book",
        "market": cid,
        "asset_id": token,
        "bids": [{"price": p, "size": s} for p, s in bids],
        "asks": [{"price": p, "size": s} for p, s in asks],
        "timestamp": "1729084877000",
        "hash": "0" * 40,
    }


def v2_book() -> str:
    return json.dumps(
        book(V2_ASSET, V2_MARKET, [("0.5", "100"), ("0.6", "3000")], [("0.8", "5"), ("0.7", "10")])
    )


# ---- the recorded frames, as sent --------------------------------------------------


def test_the_recorded_book_answers_the_subscription_and_is_the_snapshot_in_ascending_order() -> (
    None
):
    _protocol, session = subscribed(TRUMP)
    recorded = json.loads(text("market_book.json"))
    subscribed_frame, snapshot = session.parse(text("market_book.json"))
    assert subscribed_frame == Subscribed(1, "market", 1)
    assert isinstance(snapshot, Snapshot)
    assert (snapshot.sid, snapshot.seq, snapshot.ticker) == (1, 1, TRUMP)
    bids = {D(level["price"]): D(level["size"]) for level in recorded["bids"]}
    asks = {D(level["price"]): D(level["size"]) for level in recorded["asks"]}
    assert snapshot.yes == tuple(sorted(bids.items()))
    assert snapshot.no == tuple(sorted((1 - price, size) for price, size in asks.items()))
    assert snapshot.yes[-1] == (D("0.511"), D("1304.72"))  # the best bid, listed last
    assert snapshot.no[-1] == (D("0.486"), D("20230.87"))  # 1 - the best ask 0.514
    assert snapshot.no[0] == (D("0.001"), D("10500100"))  # 1 - the worst ask 0.999
    BookSnapshot(TRUMP, snapshot.seq, snapshot.yes, snapshot.no)  # a valid, uncrossed book


def test_the_recorded_book_of_a_token_not_followed_is_ignored() -> None:
    clob = market_from_clob_market(json.loads(text("clob_market.json")))
    assert clob.no_token == TRUMP_NO  # the recorded book is the NO token's
    _protocol, session = subscribed(TRUMP, markets={TRUMP: clob})
    assert session.parse(text("market_book.json")) == []


def test_the_recorded_legacy_price_change_is_the_change_of_its_level() -> None:
    _protocol, session = subscribed(TRUMP)
    session.parse(text("market_book.json"))
    (delta,) = session.parse(text("market_price_change.json"))
    # SELL 0.514 now 21574.08, was 20230.87: the NO bid at 0.486 grows by 1343.21
    assert delta == Delta(1, 2, TRUMP, Side.NO, D("0.486"), D("1343.21"), 1723967931411)


def test_the_recorded_current_price_change_yields_one_delta_per_changed_level() -> None:
    _protocol, session = subscribed(V2_MARKET)
    session.parse(v2_book())
    frames = session.parse(text("market_price_change_v2.json"))
    ts = 1729084877448
    assert frames == [
        Delta(1, 2, V2_MARKET, Side.YES, D("0.60"), D(300), ts),  # 3000 -> 3300
        Delta(1, 3, V2_MARKET, Side.YES, D("0.50"), D(3300), ts),  # 100 -> 3400
        Delta(1, 4, V2_MARKET, Side.YES, D("0.70"), D(3400), ts),  # new level
    ]


def test_a_price_change_before_the_book_is_dropped() -> None:
    _protocol, session = subscribed(V2_MARKET)
    assert session.parse(text("market_price_change_v2.json")) == []


def test_the_recorded_tick_size_change_makes_the_feed_resync_and_drops_deltas_until_a_book() -> (
    None
):
    _protocol, session = subscribed(TICK_MARKET)
    session.parse(json.dumps(book(TICK_ASSET, TICK_MARKET, [("0.40", "10")], [])))
    (rejected,) = session.parse(text("market_tick_size_change.json"))
    assert isinstance(rejected, Rejected)
    assert (rejected.reason, rejected.field) == (TICK_CHANGED, "new_tick_size")
    assert (rejected.ticker, rejected.sid) == (TICK_MARKET, 1)
    change = {
        "event_type": "price_change",
        "market": TICK_MARKET,
        "price_changes": [{"asset_id": TICK_ASSET, "price": "0.405", "side": "BUY", "size": "3"}],
        "timestamp": "1739068041900",
    }
    assert session.parse(json.dumps(change)) == []  # stale: dropped
    assert session.grids.grid(TICK_MARKET).tick == D("0.001")
    fresh = book(TICK_ASSET, TICK_MARKET, [("0.405", "3")], [("0.999", "1")])
    (snapshot,) = session.parse(json.dumps(fresh))  # now on the new grid
    assert snapshot == Snapshot(1, 2, TICK_MARKET, ((D("0.405"), D(3)),), ((D("0.001"), D(1)),))
    assert (
        len(
            session.parse(
                json.dumps(
                    change
                    | {
                        "price_changes": [
                            {"asset_id": TICK_ASSET, "price": "0.405", "side": "BUY", "size": "4"}
                        ]
                    }
                )
            )
        )
        == 1
    )


@pytest.mark.parametrize(
    "name",
    [
        "market_last_trade_price.json",
        "market_best_bid_ask.json",
        "market_new_market.json",
        "market_resolved.json",
    ],
)
def test_the_recorded_events_without_level_sizes_yield_no_frame(name: str) -> None:
    data = json.loads(text(name))
    cid = data.get("market")
    markets = {cid: market(cid, data.get("asset_id") or data["assets_ids"][0], "0.01")}
    _protocol, session = subscribed(cid, markets=markets)
    assert session.parse(text(name)) == []


# ---- the book the venue describes ---------------------------------------------------


def test_a_replayed_book_and_price_changes_rebuild_exactly_the_venues_book() -> None:
    _protocol, session = subscribed(V2_MARKET)
    bids = {"0.50": "100", "0.60": "3000"}
    asks = {"0.70": "10", "0.80": "5"}
    frames = list(session.parse(v2_book()))
    changes = [
        ("BUY", "0.60", "3300"),
        ("BUY", "0.50", "0"),
        ("SELL", "0.80", "7.5"),
        ("SELL", "0.90", "12.25"),
        ("SELL", "0.70", "0"),
        ("BUY", "0.55", "1"),
        ("BUY", "0.55", "1"),  # unchanged: no frame
    ]
    for side, price, size in changes:
        (bids if side == "BUY" else asks)[price] = size
        event = {
            "event_type": "price_change",
            "market": V2_MARKET,
            "price_changes": [{"asset_id": V2_ASSET, "price": price, "side": side, "size": size}],
            "timestamp": "1",
        }
        frames.extend(session.parse(json.dumps(event)))
    snapshot = frames[1]
    assert isinstance(snapshot, Snapshot)
    rebuilt = BookSnapshot(V2_MARKET, snapshot.seq, snapshot.yes, snapshot.no)
    for frame in frames[2:]:
        assert isinstance(frame, Delta)
        assert frame.seq == rebuilt.seq + 1  # contiguous, as the feed demands
        rebuilt = rebuilt.with_level_change(frame.side, frame.price, frame.change, frame.seq)
    venue_yes = sorted((D(p), D(s)) for p, s in bids.items() if D(s))
    venue_no = sorted((1 - D(p), D(s)) for p, s in asks.items() if D(s))
    assert list(rebuilt.yes_bids) == venue_yes
    assert list(rebuilt.no_bids) == venue_no
    assert rebuilt.seq == 7  # the snapshot and six changes


def test_an_array_message_yields_its_frames_in_order() -> None:
    _protocol, session = subscribed(TRUMP, V2_MARKET)
    message = f"[{text('market_book.json')}, {v2_book()}, {text('market_last_trade_price.json')}]"
    frames = session.parse(message)
    assert [type(frame) for frame in frames] == [Subscribed, Snapshot, Subscribed, Snapshot]
    assert frames[0] == Subscribed(1, "market", 1)
    assert frames[2] == Subscribed(2, "market", 2)
    assert [frames[1].ticker, frames[3].ticker] == [TRUMP, V2_MARKET]  # type: ignore[union-attr]


# ---- commands -----------------------------------------------------------------------


def test_the_first_subscription_of_a_connection_and_later_ones_have_their_two_shapes() -> None:
    protocol = PolymarketMarketData(registry())
    session = protocol.session(PriceGrids())
    first = session.outgoing(protocol.subscribe_command(1, TRUMP))
    later = session.outgoing(protocol.subscribe_command(2, V2_MARKET))
    assert json.loads(first or "") == {"assets_ids": [TRUMP_NO], "type": "market"}
    assert json.loads(later or "") == {"assets_ids": [V2_ASSET], "operation": "subscribe"}
    again = protocol.session(PriceGrids()).outgoing(protocol.subscribe_command(3, V2_MARKET))
    assert json.loads(again or "") == {"assets_ids": [V2_ASSET], "type": "market"}


def test_an_unsubscribe_ends_the_token_of_its_sid_and_only_a_current_sid() -> None:
    protocol, session = subscribed(TRUMP)
    session.parse(text("market_book.json"))
    assert session.outgoing(protocol.unsubscribe_command(5, 2)) is None  # no such sid
    wire = session.outgoing(protocol.unsubscribe_command(6, 1))
    assert json.loads(wire or "") == {"assets_ids": [TRUMP_NO], "operation": "unsubscribe"}
    assert session.parse(text("market_price_change.json")) == []  # no longer followed
    assert session.outgoing(protocol.unsubscribe_command(7, 1)) is None


def test_a_subscription_of_a_market_not_listed_sends_nothing_and_is_refused() -> None:
    protocol = PolymarketMarketData({})
    session = protocol.session(PriceGrids())
    assert session.outgoing(protocol.subscribe_command(4, TRUMP)) is None
    (reply,) = session.parse("PONG")[:1]
    assert isinstance(reply, ErrorReply)
    assert (reply.request_id, reply.ticker) == (4, TRUMP)
    assert protocol.error_action(reply) is ErrorAction.REFUSED


def test_the_protocol_is_public_pings_with_text_and_has_no_resync_command() -> None:
    protocol = PolymarketMarketData()
    assert protocol.keepalive_text() == "PING"
    assert protocol.handshake_headers() == []
    assert protocol.rest_headers("GET", "/markets") == []
    assert protocol.resync_command(1, 1, TRUMP) is None
    session = protocol.session(PriceGrids())
    assert session.parse("PONG") == [Heartbeat()]
    assert session.parse(b"NO NEW ASSETS") == [Heartbeat()]
    assert protocol.parse_frame("PONG", grids=PriceGrids()) == Heartbeat()


# ---- bad data -----------------------------------------------------------------------


def _change(price: object = "0.6", size: object = "1", side: object = "BUY") -> str:
    return json.dumps(
        {
            "event_type": "price_change",
            "market": V2_MARKET,
            "price_changes": [{"asset_id": V2_ASSET, "price": price, "side": side, "size": size}],
            "timestamp": "1",
        }
    )


@pytest.mark.parametrize(
    ("message", "reason", "field"),
    [
        (_change(price="0.605"), RejectReason.TOO_PRECISE, "price"),
        (_change(price="0.6").replace('"0.6"', "NaN"), RejectReason.NOT_FINITE, "price"),
        (_change(size="-3"), RejectReason.NEGATIVE, "size"),
        (_change(size="Infinity"), RejectReason.NOT_FINITE, "size"),
        (_change(size=3), RejectReason.NOT_STRING, "size"),
        (_change(price="1.0"), RejectReason.OUT_OF_RANGE, "price"),
        (_change(side="ASK"), RejectReason.BAD_SHAPE, "side"),
        (
            _change().replace('"timestamp": "1"', '"timestamp": "soon"'),
            RejectReason.BAD_NUMBER,
            "timestamp",
        ),
        (_change().replace(V2_MARKET, "0x" + "1" * 64), RejectReason.WRONG_MARKET, "market"),
    ],
)
def test_a_bad_price_change_is_rejected_naming_field_and_market_and_drops_deltas_until_a_book(
    message: str, reason: RejectReason, field: str
) -> None:
    _protocol, session = subscribed(V2_MARKET)
    session.parse(v2_book())
    (rejected,) = session.parse(message)
    assert isinstance(rejected, Rejected)
    assert (rejected.reason, rejected.field) == (reason, field)
    assert (rejected.ticker, rejected.sid) == (V2_MARKET, 1)
    assert session.parse(_change(size="5")) == []
    assert [type(f) for f in session.parse(v2_book())] == [Snapshot]


def test_a_book_off_its_markets_tick_or_with_a_price_twice_is_rejected() -> None:
    _protocol, session = subscribed(V2_MARKET)
    session.parse(v2_book())
    off = book(V2_ASSET, V2_MARKET, [("0.555", "1")], [])
    (rejected,) = session.parse(json.dumps(off))
    assert (rejected.reason, rejected.ticker, rejected.sid) == (  # type: ignore[union-attr]
        RejectReason.TOO_PRECISE,
        V2_MARKET,
        1,
    )
    twice = book(V2_ASSET, V2_MARKET, [("0.5", "1"), ("0.50", "2")], [])
    (rejected,) = session.parse(json.dumps(twice))
    assert rejected.reason is RejectReason.DUPLICATE_PRICE  # type: ignore[union-attr]


def test_a_price_off_a_coarse_tick_is_off_grid() -> None:
    markets = {V2_MARKET: market(V2_MARKET, V2_ASSET, "0.005")}
    _protocol, session = subscribed(V2_MARKET, markets=markets)
    session.parse(json.dumps(book(V2_ASSET, V2_MARKET, [("0.5", "1")], [])))
    (rejected,) = session.parse(_change(price="0.507"))
    assert (rejected.reason, rejected.field) == (RejectReason.OFF_GRID, "price")  # type: ignore[union-attr]


def test_text_that_is_not_json_is_rejected_naming_the_followed_market_it_mentions() -> None:
    _protocol, session = subscribed(TRUMP)
    session.parse(text("market_book.json"))
    (rejected,) = session.parse(text("market_price_change.json")[:200])
    assert isinstance(rejected, Rejected)
    assert (rejected.reason, rejected.field) == (RejectReason.BAD_JSON, "frame")
    assert (rejected.ticker, rejected.sid) == (TRUMP, 1)
    assert session.parse(text("market_price_change.json")) == []  # stale until a book


def test_an_unknown_event_type_or_shape_is_rejected_never_raised() -> None:
    _protocol, session = subscribed(TRUMP)
    for message in (
        '{"event_type": "surprise"}',
        "[1]",
        '"text"',
        "[[]]",
        '{"event_type": "book"}',
    ):
        frames = session.parse(message)
        assert frames, message
        assert all(isinstance(frame, Rejected) for frame in frames), message


# ---- the feed's book state machine, driven by the session ---------------------------


def test_the_feed_follows_a_market_resyncs_it_after_a_tick_change_and_publishes_again() -> None:
    protocol = PolymarketMarketData(registry())
    session = protocol.session(PriceGrids())
    books = FeedBooks(
        payout=D(1),
        max_overlap=D(0),
        stale_after_s=60.0,
        subscribe_timeout_s=10.0,
        resync_backoff=BackoffPolicy(Jitter.NONE, base=0.0, cap=0.0, reset_after=10.0),
        rng=random.Random(1),
        protocol=protocol,
    )

    def send(effects: list[Any]) -> list[dict[str, Any]]:
        wires = [session.outgoing(e.text) for e in effects if isinstance(e, SendCommand)]
        return [json.loads(wire) for wire in wires if wire is not None]

    def receive(message: str) -> list[Any]:
        effects: list[Any] = []
        for frame in session.parse(message):
            effects.extend(books.on_frame(frame, 1.0))
        return effects

    assert send(books.connected([TICK_MARKET], 0.0)) == [
        {"assets_ids": [TICK_ASSET], "type": "market"}
    ]
    first = book(TICK_ASSET, TICK_MARKET, [("0.40", "10")], [("0.45", "2")])
    (published,) = receive(json.dumps(first))
    assert isinstance(published, Publish)
    assert published.book.yes_bids == ((D("0.40"), D(10)),)
    assert published.book.no_bids == ((D("0.55"), D(2)),)
    effects = receive(text("market_tick_size_change.json"))
    assert send(effects) == [
        {"assets_ids": [TICK_ASSET], "operation": "unsubscribe"},
        {"assets_ids": [TICK_ASSET], "operation": "subscribe"},
    ]
    fresh = book(TICK_ASSET, TICK_MARKET, [("0.405", "10")], [("0.45", "2")])
    (published,) = receive(json.dumps(fresh))
    assert isinstance(published, Publish)
    assert published.book.yes_bids == ((D("0.405"), D(10)),)
    assert books.counts.books_accepted == 2
    assert session.grids.grid(TICK_MARKET) == PriceGrid(D("0.001"), ticker=TICK_MARKET)
