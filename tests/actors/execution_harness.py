"""Shared parts of the execution tests (this module holds no tests).

- :class:`VenueThread`: the simulated venue in a trio loop on a background
  thread, with a sync httpx client and engine access on the venue's thread;
- :class:`FakeRisk` / :class:`FakePersistence`: light supervised actors that
  journal what they receive; the fake persistence answers ``Recorded`` at once
  or withholds / fails on demand;
- :func:`start_execution`: a real supervision tree (persistence, risk,
  execution) hosted by a ``TreeThread``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import httpx
import trio

from actors.domain import Action, Event, Fill, Purpose, Side
from actors.execution import (
    Deadlines,
    ExecutionActor,
    ExecutionConfig,
    ExecutionStatus,
    RateLimit,
    RetryPolicy,
)
from actors.messages import (
    Record,
    Recorded,
    RecordFailed,
    Reservation,
    ReservedLeg,
    leg_client_order_id,
)
from supervision import (
    NO_BACKOFF,
    ChildSpec,
    Clock,
    SupervisedActor,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
)
from tests.supervision.conftest import eventually
from tests.warden.conftest import quiet_config
from warden.venue import HOUSE, OrderRequest, VenueConfig, VenueServer, open_venue

REST = "/trade-api/v2"


class VenueThread:
    """A venue served from its own trio loop; ``stop()`` ends it."""

    def __init__(self, config: VenueConfig | None = None) -> None:
        self._config = config if config is not None else quiet_config()
        self._ready = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None
        self.server: VenueServer | None = None
        self._thread = threading.Thread(target=self._main, name="venue", daemon=True)
        self.http: httpx.Client | None = None

    def _main(self) -> None:
        async def serve() -> None:
            async with open_venue(self._config) as server:
                self.server = server
                self._stop = trio.Event()
                self._token = trio.lowlevel.current_trio_token()
                self._ready.set()
                await self._stop.wait()

        try:
            trio.run(serve)
        finally:
            self._ready.set()

    def start(self) -> VenueThread:
        self._thread.start()
        assert self._ready.wait(10), "venue did not start"
        assert self.server is not None
        self.http = httpx.Client(base_url=self.server.url, timeout=10)
        return self

    def stop(self) -> None:
        if self.http is not None:
            self.http.close()
        if self._token is not None and self._stop is not None:
            trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(10)

    @property
    def rest_url(self) -> str:
        assert self.server is not None
        return self.server.rest_url

    def on_venue(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the venue's thread (the engine is single-threaded)."""
        return trio.from_thread.run_sync(fn, trio_token=self._token)

    def house_bid(self, side: str, price: str, count: int, ticker: str = "SIM-001") -> None:
        """The house bids ``count`` contracts of ``side`` at ``price`` dollars (``"0.58"``)."""
        assert self.server is not None
        engine = self.server.sim.engine
        request = OrderRequest(ticker, side, "buy", Decimal(count), Decimal(price))
        order = self.on_venue(lambda: engine.place(HOUSE, request))
        assert order["status"] == "resting"

    # -- over HTTP, as any client would --------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        assert self.http is not None
        reply = self.http.get(path, params=params)
        reply.raise_for_status()
        return reply.json()

    def place(self, **fields: Any) -> httpx.Response:
        """POST an order for the trader account (GTC unless ``time_in_force`` given);
        ``fields`` are wire fields (``yes_price_dollars="0.42"``, ``count_fp="3"``)."""
        assert self.http is not None
        body: dict[str, Any] = {
            "ticker": "SIM-001",
            "type": "limit",
            "action": "buy",
            "count_fp": "1.00",
        }
        body.update(fields)
        return self.http.post(f"{REST}/portfolio/orders", json=body)

    def faults(self, body: dict[str, Any]) -> None:
        assert self.http is not None
        self.http.post("/sim/faults", json=body).raise_for_status()

    def clear_faults(self) -> None:
        """Safe from any thread: uses a client of its own."""
        assert self.server is not None
        httpx.delete(f"{self.server.url}/sim/faults", timeout=10).raise_for_status()

    def truth(self, kind: str) -> list[dict[str, Any]]:
        entries = self.get("/sim/truth", account="trader", kind=kind)["entries"]
        return [entry["record"] for entry in entries]

    def orders(self, **params: Any) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = self.get(f"{REST}/portfolio/orders", **params)["orders"]
        return orders

    def fills(self) -> list[Fill]:
        """The trader's fills in the venue's ground truth, each stated as Kalshi states
        it (a BUY of the outcome it is long) and named by its order's client id."""
        client_ids = {
            order["order_id"]: order["client_order_id"] for order in self.truth("order_accepted")
        }
        return sorted(
            (venue_fill(record, client_ids) for record in self.truth("fill")),
            key=lambda fill: fill.fill_id,
        )


def venue_fill(record: dict[str, Any], client_ids: dict[str, str]) -> Fill:
    """A fill of the venue's ground truth as a domain :class:`Fill` (read independently
    of the client: ``Decimal`` of each fixed-point string; Kalshi's fills carry no
    client order id, so it is their order's)."""
    side = Side(record["outcome_side"])
    order_id = record["order_id"]
    return Fill(
        fill_id=record["fill_id"],
        client_order_id=client_ids.get(order_id) or f"venue-{order_id}",
        ticker=record["ticker"],
        side=side,
        action=Action.BUY,
        price=Decimal(record[f"{side.value}_price_dollars"]),
        count=Decimal(record["count_fp"]),
        fee=Decimal(record["fee_cost"]),
    )


def as_bought(fills: Iterable[Fill]) -> list[Fill]:
    """``fills`` by fill id, each stated as a BUY (a sale of YES at p is a purchase of
    NO at 1 - p): how the venue states them, whatever the intent said."""
    return sorted(
        (
            fill
            if fill.action is Action.BUY
            else fill.as_direction(Side.NO if fill.side is Side.YES else Side.YES, Action.BUY)
            for fill in fills
        ),
        key=lambda fill: fill.fill_id,
    )


@attrs.frozen
class Release:
    """Tell the fake persistence: answer the withheld records (``fail``: with RecordFailed)."""

    fail: bool = False


@attrs.frozen
class SetMode:
    mode: str  # "auto" | "hold" | "fail"


@attrs.frozen
class CrashPersistence:
    """Makes the fake persistence's handler raise: its incarnation ends with ``Down``."""


class PersistenceCrashed(Exception):
    """What the fake persistence raises on :class:`CrashPersistence`."""


class Inbox:
    """What a fake actor received, in order, with the monotonic time it arrived."""

    def __init__(self) -> None:
        self.entries: list[tuple[float, Any]] = []
        self.hooks: list[Callable[[Any], None]] = []

    def add(self, message: Any) -> None:
        self.entries.append((time.monotonic(), message))  # list.append is atomic
        for hook in list(self.hooks):
            hook(message)

    def of(self, kind: type) -> list[Any]:
        return [m for _, m in list(self.entries) if isinstance(m, kind)]

    def timed(self, kind: type) -> list[tuple[float, Any]]:
        return [(t, m) for t, m in list(self.entries) if isinstance(m, kind)]

    def wait_for(self, kind: type, count: int = 1, timeout: float = 20.0) -> list[Any]:
        eventually(
            lambda: len(self.of(kind)) >= count,
            timeout=timeout,
            what=f"{count} x {kind.__name__}; got {[m for _, m in self.entries]}",
        )
        return self.of(kind)


class FakeRisk(SupervisedActor):
    """Journals everything it receives (so it takes any type: ``on_receive`` itself)."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox

    def on_receive(self, message: Any) -> Any:
        self.inbox.add(message)
        return None


class FakePersistence(SupervisedActor):
    """Journals every ``Record``; answers per mode: auto (Recorded), hold, fail."""

    def __init__(self, inbox: Inbox, mode: str) -> None:
        super().__init__()
        self.inbox = inbox
        self.mode = mode
        self.held: list[tuple[str, str]] = []

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {
            CrashPersistence: self._on_crash,
            SetMode: self._on_set_mode,
            Release: self._on_release,
            Record: self._on_record,
        }

    def _on_crash(self, _message: CrashPersistence) -> None:
        raise PersistenceCrashed

    def _on_set_mode(self, message: SetMode) -> None:
        self.mode = message.mode

    def _on_release(self, message: Release) -> None:
        held, self.held = self.held, []
        for sender, request_id in held:
            answer = RecordFailed(request_id, "disk full") if message.fail else None
            self.send(sender, answer or Recorded(request_id))

    def _on_record(self, message: Record) -> None:
        self.inbox.add(message)
        sender = self.message_sender
        assert sender is not None
        if self.mode == "auto":
            self.send(sender, Recorded(message.request_id))
        elif self.mode == "fail":
            self.send(sender, RecordFailed(message.request_id, "disk full"))
        else:
            self.held.append((sender, message.request_id))


@attrs.define
class Harness:
    tree: SupervisionTree
    risk: Inbox
    ledger: Inbox
    venue: VenueThread | None

    def events(self, kind: type) -> list[Any]:
        return [
            e for record in self.ledger.of(Record) for e in record.events if isinstance(e, kind)
        ]

    def summary(self) -> ExecutionStatus:
        """Execution's published status (fails the test if it has published none)."""
        status = self.tree.snapshot().status_of("execution", ExecutionStatus)
        assert status is not None, "execution published no ExecutionStatus"
        return status


def fast_config(rest_url: str, **overrides: Any) -> ExecutionConfig:
    """Short deadlines and backoffs, so fault tests finish in seconds."""
    settings: dict[str, Any] = {
        "rest_url": rest_url,
        "deadlines": Deadlines(submit=1.0, query=2.0, cancel=2.0),
        "retry": RetryPolicy(max_attempts=5, base=0.02, cap=0.2),
        "resolve_retry": RetryPolicy(max_attempts=None, base=0.02, cap=0.2),
        "reconcile_retry": RetryPolicy(max_attempts=None, base=0.05, cap=0.3),
        "rate_limits": {"*": RateLimit(1000.0, 1000)},
    }
    settings.update(overrides)
    return ExecutionConfig(**settings)


def start_execution(
    config: ExecutionConfig,
    *,
    persistence_mode: str = "auto",
    venue: VenueThread | None = None,
    clock: Clock | None = None,
) -> Iterator[Harness]:
    """Generator for a fixture: the tree runs until the fixture is torn down
    (on ``clock``, the real one by default)."""
    risk, ledger = Inbox(), Inbox()
    spec = SupervisorSpec(
        name="root",
        children=(
            ChildSpec("persistence", lambda: FakePersistence(ledger, persistence_mode)),
            ChildSpec("risk", lambda: FakeRisk(risk)),
            ChildSpec("execution", lambda: ExecutionActor(config)),
        ),
        backoff=NO_BACKOFF,
        intensity=10,
    )
    host = TreeThread(SupervisionTree(spec, clock=clock, seed=7)).start()
    try:
        yield Harness(host.tree, risk, ledger, venue)
    finally:
        host.stop()


def basket(
    rid: str,
    legs: Sequence[tuple[str, Side, str, str]],
    *,
    max_prices: Sequence[str] | None = None,
    complete_within_s: float = 0.0,
    max_complete_attempts: int = 0,
    exclusive: bool | None = None,
) -> Reservation:
    """An ARBITRAGE reservation of BUY legs ``(ticker, side, price, count)`` (dollars and
    contracts as strings); ``max_prices`` per leg (default: each leg's price). The
    event is exclusive over the legs' markets when they are several (``exclusive``
    overrides), else the single market's own. Amounts: each leg's ``max_price x
    count`` plus $0.05 (the fake risk does not check them)."""
    tickers = tuple(dict.fromkeys(ticker for ticker, *_ in legs))
    if exclusive is None:
        exclusive = len(tickers) > 1
    event = Event("EV-" + tickers[0], tickers, exclusive) if exclusive else Event.single(tickers[0])
    reserved = []
    for index, (ticker, side, price, count) in enumerate(legs):
        ceiling = Decimal(max_prices[index]) if max_prices is not None else Decimal(price)
        reserved.append(
            ReservedLeg(
                index=index,
                ticker=ticker,
                side=side,
                action=Action.BUY,
                count=Decimal(count),
                price=Decimal(price),
                max_price=ceiling,
                amount=ceiling * Decimal(count) + Decimal("0.05"),
                client_order_id=leg_client_order_id(rid, index),
            )
        )
    return Reservation(
        rid,
        event,
        Purpose.ARBITRAGE,
        tuple(reserved),
        sum((leg.amount for leg in reserved), Decimal(0)),
        complete_within_s,
        max_complete_attempts,
    )


def reservation(
    rid: str = "opp-1",
    *,
    count: str = "5",
    yes_price: str = "0.42",
    no_price: str = "0.55",
    ticker: str = "SIM-001",
    **policy: Any,
) -> Reservation:
    """The two-leg complement on ``ticker``: leg 0 buys YES at ``yes_price``, leg 1 NO
    at ``no_price``, ``count`` contracts each; no completion unless ``policy``
    (:func:`basket`'s keywords) asks for it."""
    legs = [(ticker, Side.YES, yes_price, count), (ticker, Side.NO, no_price, count)]
    return basket(rid, legs, **policy)


def exit_reservation(rid: str, ticker: str, side: Side, price: str, count: str) -> Reservation:
    """An EXIT: sell ``count`` of ``side`` at ``price``."""
    leg = ReservedLeg(
        index=0,
        ticker=ticker,
        side=side,
        action=Action.SELL,
        count=Decimal(count),
        price=Decimal(price),
        max_price=Decimal(price),
        amount=Decimal(0),
        client_order_id=leg_client_order_id(rid, 0),
    )
    return Reservation(rid, Event.single(ticker), Purpose.EXIT, (leg,), Decimal(0), 0.0, 0)
