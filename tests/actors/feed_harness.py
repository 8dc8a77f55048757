"""A real simulated venue on a background trio thread, and a consumer that records books.

Sync tests drive the feed actor through a supervision tree; the venue runs in
its own trio loop so the test thread can poll with ``eventually`` while both
run.  Every venue mutation goes through :meth:`VenueThread.run`, on the
venue's own thread, because the venue is single-threaded by design.

:class:`FreezableProxy` sits between the feed and a websocket server when a
test needs a venue that stops answering pings: frozen, it holds every byte in
both directions (a dead network path: the socket stays open, nothing arrives).
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import httpx
import pytest
import trio

from actors.domain import BookSnapshot
from actors.feed import FeedActor, FeedConfig, FeedCounts, FeedStatus
from actors.messages import BookConsumed, BookStale, BookUpdate, EventsListed
from supervision import (
    NO_BACKOFF,
    BackoffPolicy,
    ChildSpec,
    Clock,
    Jitter,
    SupervisedActor,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
)
from tests.supervision.conftest import DEADLINE, eventually
from warden.venue import (
    HOUSE,
    DynamicsConfig,
    OrderRequest,
    VenueConfig,
    VenueServer,
    open_venue,
)

T = TypeVar("T")

QUIET = DynamicsConfig(tick_seconds=0, seed_books=False)
FAST = BackoffPolicy(Jitter.FULL, base=0.01, cap=0.05, reset_after=10.0)


def quiet_venue(**overrides: object) -> VenueConfig:
    """Two empty markets, no dynamics, heartbeats every 0.1 s: only the test moves the books."""
    settings: dict[str, object] = {
        "seed": 3,
        "markets": 2,
        "dynamics": QUIET,
        "heartbeat_seconds": 0.1,
    }
    settings.update(overrides)
    return VenueConfig(**settings)  # type: ignore[arg-type]


class FreezableProxy:
    """A TCP forwarder on 127.0.0.1 to ``host:port``; :meth:`freeze` holds every byte
    (both directions, every connection, new ones included) until :meth:`thaw`.
    ``client_bytes`` counts what it forwarded from clients to the server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.listen_port = 0
        self.client_bytes = 0
        self._open = trio.Event()
        self._open.set()

    def url(self, url: str) -> str:
        """``url`` (a ``ws://`` URL of the target) pointed at the proxy instead."""
        parts = urllib.parse.urlsplit(url)
        return parts._replace(netloc=f"127.0.0.1:{self.listen_port}").geturl()

    def freeze(self) -> None:
        self._open = trio.Event()

    def thaw(self) -> None:
        self._open.set()

    async def serve(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.listen_port = listeners[0].socket.getsockname()[1]  # type: ignore[attr-defined]
        task_status.started(self.listen_port)
        await trio.serve_listeners(self._handle, listeners)

    async def _handle(self, client: trio.SocketStream) -> None:
        async with client:
            await self._open.wait()
            try:
                server = await trio.open_tcp_stream(self.host, self.port)
            except OSError:
                return
            async with server, trio.open_nursery() as nursery:
                nursery.start_soon(self._pump, client, server, nursery, True)
                nursery.start_soon(self._pump, server, client, nursery, False)

    async def _pump(
        self, source: trio.SocketStream, sink: trio.SocketStream, nursery: trio.Nursery, up: bool
    ) -> None:
        try:
            while data := await source.receive_some(65_536):
                await self._open.wait()
                if up:
                    self.client_bytes += len(data)
                await sink.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        nursery.cancel_scope.cancel()  # one side closed: close both


class VenueThread:
    """``open_venue`` in a trio loop of its own; ``stop`` ends it. With ``proxied``, a
    :class:`FreezableProxy` in the same loop forwards to its websocket."""

    def __init__(self, config: VenueConfig, *, proxied: bool = False) -> None:
        self.config = config
        self.proxied = proxied
        self.proxy: FreezableProxy | None = None
        self._server: VenueServer | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="venue", daemon=True)

    @property
    def server(self) -> VenueServer:
        assert self._server is not None
        return self._server

    def start(self) -> VenueThread:
        self._thread.start()
        if not self._ready.wait(DEADLINE):
            raise TimeoutError("the venue did not start")
        if self._error is not None:
            raise self._error
        return self

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Call ``fn(*args)`` on the venue's thread and return its result."""
        return trio.from_thread.run_sync(fn, *args, trio_token=self._token)

    def stop(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            self.run(self._stop.set)
        self._thread.join(DEADLINE)

    def _main(self) -> None:
        async def host() -> None:
            self._stop = trio.Event()
            async with open_venue(self.config) as server, trio.open_nursery() as nursery:
                self._server = server
                if self.proxied:
                    target = urllib.parse.urlsplit(server.ws_url)
                    assert target.hostname is not None
                    assert target.port is not None
                    self.proxy = FreezableProxy(target.hostname, target.port)
                    await nursery.start(self.proxy.serve)
                self._token = trio.lowlevel.current_trio_token()
                self._ready.set()
                await self._stop.wait()
                nursery.cancel_scope.cancel()

        try:
            trio.run(host)
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()

    # -- what tests do to the venue -------------------------------------------------

    def bid(self, side: str, price: str, count: int | str, ticker: str = "SIM-001") -> None:
        """Rest a house bid of ``count`` contracts at ``price`` dollars (``"0.40"``); the
        house never trades with itself, so books may cross."""

        def place() -> None:
            request = OrderRequest(ticker, side, "buy", Decimal(count), Decimal(price))
            order = self.server.sim.engine.place(HOUSE, request)
            assert order["status"] == "resting", order

        self.run(place)

    def book(self, ticker: str = "SIM-001") -> tuple[tuple[tuple[Decimal, Decimal], ...], ...]:
        """The venue's own book of ``ticker`` as (yes levels, no levels), ``Decimal`` pairs."""

        def read() -> tuple[tuple[tuple[Decimal, Decimal], ...], ...]:
            book = self.server.sim.engine.book(ticker)
            return tuple(
                tuple((Decimal(p), Decimal(s)) for p, s in book.levels(side))
                for side in ("yes", "no")
            )

        return self.run(read)

    def freeze(self) -> None:
        """Hold every byte between the feed and the venue's websocket (needs ``proxied``)."""
        assert self.proxy is not None, "start the venue with proxied=True"
        self.run(self.proxy.freeze)

    def thaw(self) -> None:
        assert self.proxy is not None, "start the venue with proxied=True"
        self.run(self.proxy.thaw)

    def faults(self, **stream: object) -> None:
        """Set the stream fault knobs (``{}`` resets them), through the venue's own API."""
        url = f"{self.server.url}/sim/faults"
        with httpx.Client(timeout=DEADLINE) as client:
            if stream:
                response = client.post(url, json={"stream": stream})
            else:
                response = client.delete(url, params={"scope": "stream"})
        response.raise_for_status()


def levels(book: BookSnapshot) -> tuple[tuple[tuple[Decimal, Decimal], ...], ...]:
    return (book.yes_bids, book.no_bids)


@attrs.frozen
class AckAll:
    """Tell the recording consumer to acknowledge every update it has not yet acknowledged."""


class RecordingConsumer(SupervisedActor):
    """Stands in for the strategy: records what the feed sends; acks at once if ``auto_ack``."""

    def __init__(self, received: list[Any], *, auto_ack: bool) -> None:
        super().__init__()
        self.received = received
        self.auto_ack = auto_ack
        self._unacked: dict[str, int] = {}

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {
            BookUpdate: self._on_update,
            BookStale: self.received.append,
            EventsListed: self.received.append,
            AckAll: self._ack_all,
        }

    def _on_update(self, message: BookUpdate) -> None:
        self.received.append(message)  # list.append is atomic in CPython
        self._unacked[message.ticker] = message.book.seq
        if self.auto_ack:
            self._ack_all()

    def _ack_all(self, _message: object = None) -> None:
        for ticker, seq in self._unacked.items():
            self.send("feed", BookConsumed(ticker, seq))
        self._unacked.clear()


class FeedRig:
    """A venue, a tree with a feed and a recording consumer, and ways to look at them."""

    def __init__(self, venue: VenueThread, tree: SupervisionTree, received: list[Any]) -> None:
        self.venue = venue
        self.tree = tree
        self.received = received

    def status(self) -> FeedStatus:
        """The feed's published status (fails the test if it published none)."""
        status = self.tree.snapshot(summary_timeout=DEADLINE).status_of("feed", FeedStatus)
        assert status is not None, "the feed published no FeedStatus"
        return status

    def counts(self) -> FeedCounts:
        return self.status().counts

    def updates(self, ticker: str = "SIM-001") -> list[BookUpdate]:
        return [m for m in list(self.received) if isinstance(m, BookUpdate) and m.ticker == ticker]

    def stales(self, ticker: str = "SIM-001") -> list[BookStale]:
        return [m for m in list(self.received) if isinstance(m, BookStale) and m.ticker == ticker]

    def listed(self) -> list[EventsListed]:
        """Every ``EventsListed`` the consumer got, in order."""
        return [m for m in list(self.received) if isinstance(m, EventsListed)]

    def latest(self, ticker: str = "SIM-001") -> Any:
        """The last thing the consumer got about ``ticker`` (update or stale), or None."""
        books = (m for m in list(self.received) if isinstance(m, BookUpdate | BookStale))
        mine = [m for m in books if m.ticker == ticker]
        return mine[-1] if mine else None

    def wait_for_book(self, ticker: str = "SIM-001", *, after: int = 0) -> BookUpdate:
        """Wait until the consumer's latest word on ``ticker`` is a book equal to the venue's
        (and it has had more than ``after`` updates of it); returns that update."""

        def matches() -> BookUpdate | None:
            latest = self.latest(ticker)
            if not isinstance(latest, BookUpdate) or len(self.updates(ticker)) <= after:
                return None
            return latest if levels(latest.book) == self.venue.book(ticker) else None

        result: BookUpdate = eventually(matches, what=f"{ticker}'s book reaches the consumer")
        return result

    def wait_for_stale(self, ticker: str = "SIM-001", *, after: int = 0) -> BookStale:
        result: BookStale = eventually(
            lambda: len(self.stales(ticker)) > after and self.stales(ticker)[-1],
            what=f"BookStale for {ticker}",
        )
        return result


def feed_config(
    venue: VenueServer, proxy: FreezableProxy | None = None, **overrides: Any
) -> FeedConfig:
    settings: dict[str, Any] = {
        "ws_url": venue.ws_url if proxy is None else proxy.url(venue.ws_url),
        "rest_url": venue.rest_url,
        "tickers": ("SIM-001", "SIM-002"),
        "stale_after_s": 60.0,
        "ping_interval_s": 0.5,
        "silence_timeout_s": 5.0,
        "subscribe_timeout_s": 1.0,
        "reconnect_backoff": FAST,
        "resync_backoff": FAST,
    }
    settings.update(overrides)
    return FeedConfig(**settings)


@pytest.fixture
def start_rig() -> Iterator[Callable[..., FeedRig]]:
    """Start a venue and a feed tree; both are stopped at test end (tree first)."""
    started: list[tuple[VenueThread, TreeThread]] = []

    def start(
        venue_config: VenueConfig | None = None,
        *,
        auto_ack: bool = True,
        clock: Clock | None = None,
        proxied: bool = False,
        **feed: Any,
    ) -> FeedRig:
        """``clock`` is the tree's (so the feed's, and its trio loop's); default real time.
        ``proxied`` puts a :class:`FreezableProxy` between the feed and the venue."""
        venue = VenueThread(venue_config or quiet_venue(), proxied=proxied).start()
        received: list[Any] = []
        config = feed_config(venue.server, venue.proxy, **feed)
        spec = SupervisorSpec(
            name="root",
            children=(
                ChildSpec("strategy", lambda: RecordingConsumer(received, auto_ack=auto_ack)),
                ChildSpec("feed", lambda: FeedActor(config, consumer="strategy")),
            ),
            backoff=NO_BACKOFF,
            intensity=10,
        )
        host = TreeThread(SupervisionTree(spec, seed=11, clock=clock))
        started.append((venue, host))
        host.start()
        return FeedRig(venue, host.tree, received)

    yield start
    for venue, host in reversed(started):
        host.stop()
        venue.stop()
