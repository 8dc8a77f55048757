"""Five thousand markets on one connection (issue 15): all go live, and a connection
whose command queue overflows ends, is reported and is followed by one that works."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import actors.feed._connection as connection_module
from actors.feed import FeedActor, FeedConfig, FeedStatus
from supervision import ChildSpec, SupervisionTree, SupervisorSpec, TreeThread
from tests.actors.feed_harness import FAST, RecordingConsumer
from tests.supervision.conftest import eventually
from warden.venue.synthetic import SyntheticKalshi, synthetic_tickers

MARKETS = 5_000


@pytest.fixture
def venue() -> Iterator[SyntheticKalshi]:
    synthetic = SyntheticKalshi(rate=1_000).start()
    yield synthetic
    synthetic.stop()


def _status(host: TreeThread) -> FeedStatus:
    status = host.tree.snapshot().status_of("feed", FeedStatus)
    assert status is not None, "the feed published no FeedStatus"
    return status


def _live(host: TreeThread) -> int:
    return sum(1 for m in _status(host).markets.values() if m.phase == "live")


def test_five_thousand_markets_recover_from_a_command_queue_overflow(
    venue: SyntheticKalshi, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No room at all for commands: the first connections overflow at once.
    monkeypatch.setattr(connection_module, "COMMAND_QUEUE_SIZE", -2 * MARKETS)
    config = FeedConfig(
        ws_url=venue.url,
        rest_url="http://127.0.0.1:9/unused",  # explicit tickers: no listing
        tickers=synthetic_tickers(MARKETS),
        stale_after_s=600.0,
        subscribe_timeout_s=60.0,
        reconnect_backoff=FAST,
    )
    received: list[Any] = []
    spec = SupervisorSpec(
        name="root",
        children=(
            ChildSpec("strategy", lambda: RecordingConsumer(received, auto_ack=True)),
            ChildSpec("feed", lambda: FeedActor(config)),
        ),
    )
    host = TreeThread(SupervisionTree(spec)).start()
    try:
        eventually(
            lambda: _status(host).connection.last_disconnect == "command queue overflow",
            timeout=60,
            what="a connection ended by its command queue's overflow",
        )
        monkeypatch.setattr(connection_module, "COMMAND_QUEUE_SIZE", 4_096)
        eventually(lambda: _live(host) == MARKETS, timeout=180, what="every market live")
        status = _status(host)
        assert status.connection.state == "connected"
        assert status.connection.reconnects >= 1
    finally:
        host.stop()
