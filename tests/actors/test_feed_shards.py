"""Feeds that split the markets (``FeedConfig.shard``, ``[feed] workers``): every market
in exactly one shard with its whole event, the same split in every process, and one
status for all of them (``merged_status``)."""

from __future__ import annotations

import multiprocessing
import pickle
import random
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Event
from actors.errors import InvalidFieldError
from actors.feed import FeedConfig, FeedProcessActor, FeedStatus
from actors.feed._books import FeedCounts
from actors.feed._config import shard_of
from actors.feed._connection import FeedConnection
from actors.feed._delivery import DeliveryCounts
from actors.feed._status import ConnectionStatus, MarketFeedStatus, merged_status
from actors.feed._worker import WorkerLog, run_feed_worker
from actors.messages import EventsListed
from actors.venues._market_data import MarketListing
from supervision import ManualClock

WS = "ws://127.0.0.1:1/trade-api/ws/v2"


def _listed(listing: MarketListing, shard: tuple[int, int]) -> EventsListed:
    """What a feed of ``shard`` tells its consumer of ``listing``."""
    config = FeedConfig(ws_url=WS, rest_url="http://127.0.0.1:9", series=("EV",), shard=shard)
    connection = FeedConnection(
        config, clock=ManualClock(), rng=random.Random(0), report=lambda _m: None
    )
    connection._grids = config.price_grids()  # what _list_markets sets before listing
    return connection._listed(listing)


def _listing(events: int, per_event: int, singles: int) -> MarketListing:
    grouped = tuple(
        Event(f"EV{e}", tuple(f"EV{e}-M{m}" for m in range(per_event)), True, payout=Decimal(1))
        for e in range(events)
    )
    tickers = tuple(t for event in grouped for t in event.markets) + tuple(
        f"SOLO{s}" for s in range(singles)
    )
    return MarketListing(tickers, grouped)


@given(
    events=st.integers(0, 12),
    per_event=st.integers(2, 4),
    singles=st.integers(0, 12),
    count=st.integers(1, 5),
)
def test_shards_partition_the_markets_with_every_event_whole(
    events: int, per_event: int, singles: int, count: int
) -> None:
    listing = _listing(events, per_event, singles)
    parts = [_listed(listing, (index, count)) for index in range(count)]
    followed = [m.ticker for part in parts for m in part.markets]
    assert sorted(followed) == sorted(listing.tickers)  # every market, none twice
    for index, part in enumerate(parts):
        mine = {m.ticker for m in part.markets}
        for event in part.events:
            assert set(event.markets) <= mine  # an event's markets all in its shard
            assert shard_of(event.event_ticker, count) == index
        for market in part.markets:
            assert shard_of(market.event_ticker, count) == index
    assert sum(len(part.events) for part in parts) == events + singles


def test_one_shard_follows_everything_as_before() -> None:
    listing = _listing(3, 2, 2)
    whole = _listed(listing, (0, 1))
    assert [m.ticker for m in whole.markets] == list(listing.tickers)
    assert len(whole.events) == 5


def test_the_split_is_the_same_in_another_interpreter() -> None:
    """Python's ``hash`` of a str is salted per process; the shard must not be."""
    names = [f"KXEVENT-{i}" for i in range(50)]
    here = [shard_of(name, 3) for name in names]
    code = f"from actors.feed._config import shard_of;print([shard_of(n, 3) for n in {names!r}])"
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert there.strip() == str(here)
    assert set(here) == {0, 1, 2}  # and it spreads


@pytest.mark.parametrize("shard", [(1, 1), (-1, 2), (0, 0), (0,), "0/2", (0.0, 2), (True, 2)])
def test_a_bad_shard_is_refused_by_name(shard: object) -> None:
    with pytest.raises(InvalidFieldError, match="shard"):
        FeedConfig(ws_url=WS, tickers=("A",), shard=shard)  # type: ignore[arg-type]


def _market(stale: bool = False) -> MarketFeedStatus:
    return MarketFeedStatus("live", 1, 5, 0.1, stale, 0, 0, None, False)


def _status(
    markets: dict[str, MarketFeedStatus],
    *,
    state: str = "connected",
    accepted: int = 0,
    rejected: dict[str, dict[str, int]] | None = None,
    lag: float | None = None,
    confirmed: float | None = 0.5,
    last_disconnect: str | None = None,
) -> FeedStatus:
    return FeedStatus(
        "strategy",
        ConnectionStatus(state=state, number=1, reconnects=1, last_disconnect=last_disconnect),
        markets=markets,
        counts=FeedCounts(books_accepted=accepted, rejected=rejected or {}),
        updates=DeliveryCounts(offered=accepted),
        venue_lag_s=lag,
        venue_lag_worst_s=lag or 0.0,
        stream_confirmed_age_s=confirmed,
    )


def test_merged_status_adds_the_markets_and_the_counts() -> None:
    a = _status({"A": _market()}, accepted=3, rejected={"bad_shape": {"A": 1}}, lag=0.2)
    b = _status(
        {"B": _market(stale=True)},
        accepted=4,
        rejected={"bad_shape": {"B": 2}, "gap": {"B": 1}},
        lag=0.7,
        confirmed=2.0,
        last_disconnect="silence",
    )
    merged = merged_status([a, b])
    assert set(merged.markets) == {"A", "B"}
    assert merged.markets["B"].stale
    assert merged.counts.books_accepted == 7
    assert merged.counts.rejected == {"bad_shape": {"A": 1, "B": 2}, "gap": {"B": 1}}
    assert merged.updates.offered == 7
    assert merged.connection.state == "connected"
    assert merged.connection.number == 2
    assert merged.connection.reconnects == 2
    assert merged.connection.last_disconnect == "worker 1: silence"  # whose it was
    assert merged.venue_lag_s == 0.7  # the worst
    assert merged.stream_confirmed_age_s == 2.0  # the oldest
    assert a.counts.rejected == {"bad_shape": {"A": 1}}  # the parts are left as they were


def test_merged_status_is_only_as_connected_as_its_least_connected_part() -> None:
    up = _status({"A": _market()})
    assert merged_status([up, _status({}, state="waiting")]).connection.state == "waiting"
    assert merged_status([_status({}, state="connecting"), up]).connection.state == "connecting"
    unconfirmed = _status({"B": _market()}, confirmed=None, lag=None)
    merged = merged_status([up, unconfirmed])
    assert merged.stream_confirmed_age_s is None  # one stream never confirmed: no age
    assert merged.venue_lag_s is None  # no lag measured by either


def test_merged_status_of_one_part_is_that_part_and_of_none_an_error() -> None:
    one = _status({"A": _market()})
    assert merged_status([one]) is one
    with pytest.raises(ValueError, match="at least one"):
        merged_status([])


def test_a_feed_process_needs_at_least_one_worker() -> None:
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        FeedProcessActor(lambda: FeedConfig(ws_url=WS, tickers=("A",)), workers=0)


def test_a_worker_sent_an_unreadable_recipe_says_so_and_exits_1() -> None:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=True)
    process = context.Process(target=run_feed_worker, args=(theirs, 0), daemon=True)
    process.start()
    theirs.close()
    try:
        ours.send_bytes(b"not a pickle")
        said: list[str] = []
        while True:  # until the worker's end closes
            try:
                message = pickle.loads(ours.recv_bytes())  # noqa: S301 - our child
            except EOFError:
                break
            if isinstance(message, WorkerLog):
                said.append(message.text)
        process.join(30)
        assert process.exitcode == 1
        assert any("cannot build the feed's config" in text for text in said), said
    finally:
        if process.is_alive():
            process.kill()
        ours.close()
