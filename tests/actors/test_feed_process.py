"""The feed in a worker process (``FeedProcessActor``, issue 15): books cross the pipe
conflated end to end, a consumer's new incarnation is caught up, a dead worker is
replaced by the supervisor, and no worker outlives the actor that started it."""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from actors.feed import FeedConfig, FeedProcessActor, FeedProcessUnavailable, FeedStatus
from actors.messages import BookUpdate, EventsListed
from supervision import (
    ChildSpec,
    ManualClock,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
)
from tests.actors.feed_harness import FAST, AckAll, RecordingConsumer
from tests.supervision.conftest import eventually
from warden.venue.synthetic import SyntheticKalshi, synthetic_tickers

MARKETS = 20
WORKER_START_S = 60.0  # a fresh interpreter importing the feed, on a loaded 2-core machine


@pytest.fixture
def venue() -> Iterator[SyntheticKalshi]:
    synthetic = SyntheticKalshi(rate=2_000).start()
    yield synthetic
    synthetic.stop()


def _recipe(venue: SyntheticKalshi) -> functools.partial[FeedConfig]:
    """A picklable recipe (the worker builds the config from it)."""
    return functools.partial(
        FeedConfig,
        ws_url=venue.url,
        rest_url="http://127.0.0.1:9/unused",
        tickers=synthetic_tickers(MARKETS),
        stale_after_s=600.0,
        reconnect_backoff=FAST,
    )


def _workers() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name.endswith("-worker")]


def _tree(
    venue: SyntheticKalshi, received: list[Any], *, auto_ack: bool, workers: int = 1
) -> TreeThread:
    spec = SupervisorSpec(
        name="root",
        children=(
            ChildSpec("strategy", lambda: RecordingConsumer(received, auto_ack=auto_ack)),
            ChildSpec("feed", lambda: FeedProcessActor(_recipe(venue), workers=workers)),
        ),
    )
    return TreeThread(SupervisionTree(spec)).start()


def _status(host: TreeThread) -> FeedStatus | None:
    return host.tree.snapshot().status_of("feed", FeedStatus)


def _live(host: TreeThread) -> int:
    status = _status(host)
    return 0 if status is None else sum(m.phase == "live" for m in status.markets.values())


def _updates(received: list[Any]) -> list[BookUpdate]:
    return [m for m in list(received) if isinstance(m, BookUpdate)]


def _books_of_every_market(received: list[Any], what: str) -> None:
    eventually(
        lambda: len({u.ticker for u in _updates(received)}) == MARKETS,
        timeout=WORKER_START_S,
        what=what,
    )


def test_books_cross_from_the_worker_one_in_flight_per_market(venue: SyntheticKalshi) -> None:
    received: list[Any] = []
    host = _tree(venue, received, auto_ack=False)
    try:
        eventually(lambda: _live(host) == MARKETS, timeout=WORKER_START_S, what="all live")
        assert isinstance(received[0], EventsListed), "the listing comes before any book"
        _books_of_every_market(received, "one book per market")
        # Nothing acknowledged: the stream goes on (2,000 deltas/s) in the worker, but
        # not one more book crosses until the consumer takes the one it has.
        accepted = _status(host).counts.books_accepted  # type: ignore[union-attr]
        eventually(
            lambda: _status(host).counts.books_accepted > accepted + 2_000,  # type: ignore[union-attr]
            what="the worker's books move on",
        )
        assert len(_updates(received)) == MARKETS
        first = {u.ticker: u.book.seq for u in _updates(received)}

        host.tree.tell("strategy", AckAll())
        eventually(lambda: len(_updates(received)) >= 2 * MARKETS, what="the next books")
        later = _updates(received)[MARKETS:]
        assert all(u.book.seq > first[u.ticker] for u in later), "each market's next is newer"
        status = _status(host)
        assert status is not None
        assert status.consumer == "strategy"
        assert set(status.markets) == set(synthetic_tickers(MARKETS))
        assert status.updates.sent >= 2 * MARKETS  # this side's delivery, not the relay's
    finally:
        host.stop()
    eventually(lambda: not _workers(), what="the worker stopped with the tree")


def test_a_new_consumer_incarnation_gets_the_listing_and_every_market_again(
    venue: SyntheticKalshi,
) -> None:
    received: list[Any] = []
    host = _tree(venue, received, auto_ack=False)
    try:
        _books_of_every_market(received, "one book per market")
        received.clear()
        host.tree.restart("strategy")  # it held one book per market, never acknowledged
        _books_of_every_market(received, "every market again, for the new incarnation")
        assert isinstance(received[0], EventsListed)
    finally:
        host.stop()


def test_a_killed_worker_is_replaced_and_books_flow_again(venue: SyntheticKalshi) -> None:
    received: list[Any] = []
    host = _tree(venue, received, auto_ack=True)
    try:
        eventually(lambda: _live(host) == MARKETS, timeout=WORKER_START_S, what="all live")
        (worker,) = _workers()
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)

        def replaced() -> bool:
            workers = _workers()
            return len(workers) == 1 and workers[0].pid != worker.pid

        eventually(replaced, timeout=WORKER_START_S, what="a new worker")
        snapshot = host.tree.snapshot()
        assert snapshot.find("feed").restarts >= 1
        received.clear()
        _books_of_every_market(received, "books from the new worker")
    finally:
        host.stop()
    eventually(lambda: not _workers(), what="no worker left")


def _listings(received: list[Any]) -> list[EventsListed]:
    return [m for m in list(received) if isinstance(m, EventsListed)]


def test_two_workers_split_the_markets_and_are_one_feed(venue: SyntheticKalshi) -> None:
    received: list[Any] = []
    host = _tree(venue, received, auto_ack=True, workers=2)
    try:
        eventually(lambda: _live(host) == MARKETS, timeout=WORKER_START_S, what="all live")
        workers = _workers()
        assert sorted(w.name for w in workers) == ["feed-0-worker", "feed-1-worker"]
        status = _status(host)
        assert status is not None
        assert status.connection.state == "connected"
        assert status.connection.number == 2  # one connection each
        assert set(status.markets) == set(synthetic_tickers(MARKETS))
        _books_of_every_market(received, "books of every market, from both workers")
        # one listing of every market once both workers have listed theirs, none twice:
        # each worker followed its own shard
        merged = _listings(received)[-1]
        assert sorted(m.ticker for m in merged.markets) == sorted(synthetic_tickers(MARKETS))
    finally:
        host.stop()
    eventually(lambda: not _workers(), what="no worker left")


def test_one_of_two_workers_killed_restarts_the_feed_with_both(venue: SyntheticKalshi) -> None:
    received: list[Any] = []
    host = _tree(venue, received, auto_ack=True, workers=2)
    try:
        eventually(lambda: _live(host) == MARKETS, timeout=WORKER_START_S, what="all live")
        before = {w.name: w.pid for w in _workers()}
        victim = before["feed-1-worker"]
        assert victim is not None
        os.kill(victim, signal.SIGKILL)

        def both_replaced() -> bool:
            now = {w.name: w.pid for w in _workers()}
            return sorted(now) == sorted(before) and all(now[n] != before[n] for n in now)

        eventually(both_replaced, timeout=WORKER_START_S, what="two new workers")
        failure = host.tree.snapshot().find("feed").last_failure
        assert failure is not None
        assert "worker process (worker 1 of 2) exited" in failure.message
        received.clear()
        _books_of_every_market(received, "books of every market again")
    finally:
        host.stop()
    eventually(lambda: not _workers(), what="no worker left")


def test_the_feed_process_refuses_a_clock_the_worker_cannot_share(
    venue: SyntheticKalshi,
) -> None:
    spec = SupervisorSpec(
        name="root", children=(ChildSpec("feed", lambda: FeedProcessActor(_recipe(venue))),)
    )
    tree = SupervisionTree(spec, clock=ManualClock())
    host = TreeThread(tree).start(timeout=30)
    eventually(lambda: not host.running, what="the tree gives the feed up")
    final = tree.final_snapshot
    assert final is not None
    failure = final.find("feed").last_failure
    assert failure is not None
    assert failure.type == FeedProcessUnavailable.__name__
    assert "system clock" in failure.message
    assert "ManualClock" in failure.message
    assert not _workers(), "no worker was started"
