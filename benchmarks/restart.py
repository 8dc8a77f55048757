"""Restart-to-ready with a long history: a 100,000-fill ledger, the same fills at the venue.

    python benchmarks/restart.py [--fills 100000] [--fills-per-order 1] [--runs 3] [--baseline]

The simulated venue runs in its own process (a remote venue shares no interpreter
with the daemon) and is given ``--fills`` fills of the trader account before it
serves: ``fills / fills-per-order`` IOC orders (``bench-<n>``), each taking
``fills-per-order`` one-contract house bids, on a venue clock stepping evenly
through the 30 days before now. The ledger is built by the daemon's own path: the
orders' intents are recorded (``IntentRecorded``, 1,000 per Record, through
:meth:`Ledger.write`), then a first start of execution + persistence on it
reconciles with the venue and records every fill and order (printed as
``first start``). Then, in turn, ``--runs`` restarts of each kind:

- ``daemon``: what ``warden run`` restarts: the real
  :class:`~actors.risk.RiskActor` as ``warden.wiring`` builds it (its books loaded
  from the checkpoint of the ledger's fills, :class:`~actors.persistence.LedgerFills`,
  and only the fills after its mark booked) and execution given the ledger's path
  (``ExecutionConfig.ledger_path``): it reads the venue point the last
  reconciliation recorded (:func:`actors.persistence.reconcile_basis`: the venue's
  ``Date`` when it began listing), lists fills and orders from there less
  :data:`~actors.execution._workflows.RECONCILE_MARGIN_S`, and looks up the orders
  the ledger holds open that it did not list (none here: every order filled).
  Ready is risk having handled the ``Reconciled``: from then on it reserves. The
  first such start finds no checkpoint, books every fill and writes one (printed
  on its own line);
- ``no-checkpoint``: the same, but risk books every fill the ledger holds at start
  (``recorded_fill_rows``, the wiring before the checkpoint);
- ``bounded``: execution as in ``daemon`` beside a stand-in for risk that notes
  when ``Reconciled`` arrives (execution's part alone);
- ``baseline`` (with ``--baseline``): the stand-in, and execution without the
  ledger's path: it lists every fill and order (about a minute at 100,000).

A restart is a new supervision tree on the same ledger file: the real
:class:`~actors.persistence.PersistenceActor`, risk (or its stand-in), the real
:class:`~actors.execution.ExecutionActor` (the daemon's wiring settings: request
deadline 5 s, 20 requests/s). Restart-to-ready is from starting the tree to ready,
printed with the settle period (``--settle``, the wait before reconciling) taken
off: the figure issue 15 asks to be within 1.5 s. Also printed: the venue requests
each start made.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import httpx
import trio
from loguru import logger

from actors.domain import Action, OrderIntent, OrderRole, Side
from actors.execution import ExecutionActor, ExecutionConfig, RateLimit, RetryPolicy
from actors.messages import IntentRecorded, Reconciled
from actors.persistence import (
    Ledger,
    LedgerFills,
    PersistenceActor,
    checkpoint_path,
    open_reservations,
    recorded_events,
    recorded_fill_rows,
    standing_halt,
)
from actors.risk import RiskActor
from actors.venues import Deadlines
from actors.venues.kalshi import KalshiClient, KalshiTrading
from supervision import (
    NO_BACKOFF,
    ChildSpec,
    SupervisedActor,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
)
from warden.config import Config
from warden.venue import (
    HOUSE,
    TRADER,
    DynamicsConfig,
    OrderRequest,
    TimeInForce,
    VenueConfig,
    open_venue,
)
from warden.venue._model import ManualClock
from warden.wiring import basket_policy, risk_limits

DEFAULTS = Config()

DAYS_30 = 30 * 86_400.0
TICKER = "SIM-001"


# -- the venue process ----------------------------------------------------------------


def serve_venue(fills: int, per_order: int) -> None:
    """The venue with ``fills`` trader fills over the last 30 days; prints ``url <base>``
    once serving, then serves until stdin closes."""
    clock = ManualClock(current=time.time() - DAYS_30)
    config = VenueConfig(
        port=0,
        seed=1,
        markets=2,
        trader_cash=Decimal(10_000_000),
        dynamics=DynamicsConfig(tick_seconds=0, seed_books=False),
        heartbeat_seconds=0,
    )

    async def main() -> None:
        async with open_venue(config, clock=clock) as server:
            engine = server.sim.engine
            orders = fills // per_order
            step = DAYS_30 / orders
            one = Decimal(1)
            for n in range(orders):
                for _ in range(per_order):
                    engine.place(HOUSE, OrderRequest(TICKER, "no", "buy", one, Decimal("0.58")))
                engine.place(
                    TRADER,
                    OrderRequest(
                        TICKER,
                        "yes",
                        "buy",
                        Decimal(per_order),
                        Decimal("0.42"),
                        time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL,
                        client_order_id=f"bench-{n}",
                    ),
                )
                clock.advance(step)
            clock.advance(max(0.0, time.time() - clock.now()))
            held = len(engine.fill_values(TRADER))
            print(f"url {server.rest_url} fills {held} orders {orders}", flush=True)
            done = trio.Event()
            token = trio.lowlevel.current_trio_token()

            def wait_for_stdin() -> None:
                sys.stdin.read()
                trio.from_thread.run_sync(done.set, trio_token=token)

            threading.Thread(target=wait_for_stdin, daemon=True).start()
            await done.wait()

    trio.run(main)


# -- the daemon side ------------------------------------------------------------------


class Counting(httpx.AsyncHTTPTransport):
    """The real transport, counting requests per path (shared by a start's clients)."""

    counts: ClassVar[Counter[str]] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        Counting.counts[request.url.path.rsplit("/trade-api/v2", 1)[-1]] += 1
        return await super().handle_async_request(request)


class CountingKalshi(KalshiTrading):
    def open_client(self, settings: Any, *, on_rate_limit_wait: Any = None) -> KalshiClient:
        return KalshiClient(settings, on_rate_limit_wait=on_rate_limit_wait, transport=Counting())


class RiskStandIn(SupervisedActor):
    """Notes when ``Reconciled`` arrives; ignores everything else."""

    def __init__(self, arrived: list[tuple[float, Reconciled]], done: threading.Event) -> None:
        super().__init__()
        self.arrived = arrived
        self.done = done

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Reconciled):
            self.arrived.append((time.perf_counter(), message))
            self.done.set()
        return None


def config_for(rest_url: str, settle_s: float, ledger_path: Path | None) -> ExecutionConfig:
    """The daemon's wiring (``warden.wiring.execution_config``) at its defaults, with
    ``ledger_path`` (the daemon's: the ledger; None: the baseline, list everything)."""
    rate = RateLimit(20.0, 20)
    return ExecutionConfig(
        rest_url=rest_url,
        deadlines=Deadlines(submit=5.0, query=5.0, cancel=5.0),
        retry=RetryPolicy(max_attempts=4, base=0.1, cap=2.0),
        rate_limits={"create_order": rate, "cancel_order": rate, "*": RateLimit(20.0, 20)},
        venue=CountingKalshi(),
        record_timeout=120.0,  # the baseline's Record carries every fill
        reconcile_settle_s=settle_s,
        ledger_path=ledger_path,
    )


class TimedRisk(RiskActor):
    """The real risk actor (the daemon's wiring), noting when it has handled ``Reconciled``:
    from then on it reserves, the daemon's "ready"."""

    def __init__(
        self,
        arrived: list[tuple[float, Reconciled]],
        done: threading.Event,
        db: Path,
        *,
        checkpoint: bool,
    ) -> None:
        limits, breaker = risk_limits(DEFAULTS)
        super().__init__(
            limits,
            breaker,
            basket_policy=basket_policy(DEFAULTS),
            recorded_events=lambda: recorded_events(db),
            standing_halt=lambda: standing_halt(db),
            open_reservations=lambda: open_reservations(db),
            recorded_fill_rows=None if checkpoint else lambda: recorded_fill_rows(db),
            ledger_fills=LedgerFills(db) if checkpoint else None,
        )
        self.arrived, self.done = arrived, done

    def _on_reconciled(self, message: Reconciled) -> None:
        super()._on_reconciled(message)
        status = self.state_summary()
        if status.halted or not status.reconciled:
            message = Reconciled(ok=False, detail=f"risk not ready: {status.halt_reason}")
        self.arrived.append((time.perf_counter(), message))
        self.done.set()


KINDS = ("daemon", "no-checkpoint", "bounded", "baseline")


def start_once(
    db: Path, rest_url: str, *, kind: str, settle_s: float
) -> tuple[float, Reconciled, Counter[str]]:
    """One start of persistence + risk + execution on ``db``: seconds to ready.

    ``daemon``: the real risk with its checkpoint and execution listing from the venue
    point, as ``warden.wiring`` builds them; ready is risk's handling of ``Reconciled``.
    ``no-checkpoint``: the same, risk booking every fill the ledger holds.
    ``bounded`` / ``baseline``: a stand-in for risk (execution alone; ready is
    ``Reconciled`` arriving), execution listing from the venue point or everything."""
    arrived: list[tuple[float, Reconciled]] = []
    done = threading.Event()
    config = config_for(rest_url, settle_s, None if kind == "baseline" else db)
    risk: Any
    if kind in ("daemon", "no-checkpoint"):
        risk = lambda: TimedRisk(arrived, done, db, checkpoint=kind == "daemon")  # noqa: E731
    else:
        risk = lambda: RiskStandIn(arrived, done)  # noqa: E731

    spec = SupervisorSpec(
        name="root",
        children=(
            ChildSpec("persistence", lambda: PersistenceActor(db)),
            ChildSpec("risk", risk, start_timeout=600.0),
            ChildSpec("execution", lambda: ExecutionActor(config)),
        ),
        backoff=NO_BACKOFF,
        intensity=3,
    )
    Counting.counts = Counter()
    began = time.perf_counter()
    host = TreeThread(SupervisionTree(spec, seed=7)).start()
    try:
        if not done.wait(600):
            raise SystemExit("no Reconciled within 600 s")
    finally:
        host.stop()
    at, reconciled = arrived[0]
    if not reconciled.ok:
        raise SystemExit(f"reconciliation failed: {reconciled.detail}")
    return at - began, reconciled, Counter(Counting.counts)


def record_intents(db: Path, orders: int, per_order: int) -> None:
    """The orders' intents, as execution records them before sending (1,000 per Record)."""
    with Ledger.open(db, wall=time.time) as ledger:
        for first in range(0, orders, 1000):
            events = tuple(
                IntentRecorded(
                    OrderIntent(
                        f"bench-{n}",
                        TICKER,
                        Side.YES,
                        Action.BUY,
                        Decimal("0.42"),
                        Decimal(per_order),
                    ),
                    f"res-{n}",
                    0,
                    OrderRole.ENTRY,
                )
                for n in range(first, min(first + 1000, orders))
            )
            ledger.write(f"intents-{first}", events)


def pages(counts: Counter[str]) -> str:
    return ", ".join(f"{path} {n}" for path, n in sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fills", type=int, default=100_000)
    parser.add_argument("--fills-per-order", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=0.5)
    parser.add_argument(
        "--baseline", action="store_true", help="also restarts that list the venue's whole history"
    )
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")

    built = time.perf_counter()
    venue = subprocess.Popen(
        [sys.executable, __file__, "--serve-venue", str(args.fills), str(args.fills_per_order)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert venue.stdout is not None
        words = venue.stdout.readline().split()
        if not words or words[0] != "url":
            raise SystemExit(f"venue did not start: {words}")
        rest_url, held, orders = words[1], int(words[3]), int(words[5])
        print(
            f"venue: {held} trader fills in {orders} orders over 30 days "
            f"(built in {time.perf_counter() - built:.1f} s)"
        )
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "ledger.sqlite"
            record_intents(db, orders, args.fills_per_order)
            took, reconciled, counts = start_once(
                db, rest_url, kind="baseline", settle_s=args.settle
            )
            with Ledger.open_read_only(db) as ledger:
                in_ledger = len(ledger.fills())
            print(
                f"first start (empty ledger, every fill): {took - args.settle:.2f} s "
                f"after the settle period; {reconciled.fills_recovered} fills listed, "
                f"{in_ledger} in the ledger; requests: {pages(counts)}"
            )
            kinds = [k for k in KINDS if k != "baseline" or args.baseline]
            results: dict[str, list[float]] = {kind: [] for kind in kinds}
            for run in range(args.runs):
                for kind in kinds:
                    if not checkpoint_path(db).exists() and kind == "daemon":
                        took, _, _ = start_once(db, rest_url, kind=kind, settle_s=args.settle)
                        print(
                            f"daemon's first start with no checkpoint (books every fill, writes"
                            f" one): {took - args.settle:.2f} s after the settle period"
                        )
                    took, reconciled, counts = start_once(
                        db, rest_url, kind=kind, settle_s=args.settle
                    )
                    ready = took - args.settle
                    results[kind].append(ready)
                    print(
                        f"run {run + 1} {kind:13}: restart-to-ready {ready:.2f} s after the "
                        f"{args.settle} s settle period; {reconciled.fills_recovered} fills "
                        f"listed; requests: {pages(counts)}"
                    )
        for kind, figures in results.items():
            print(
                f"{kind:13}: median {statistics.median(figures):.2f} s, "
                f"runs {', '.join(f'{f:.2f}' for f in figures)}"
            )
    finally:
        if venue.stdin is not None:
            venue.stdin.close()
        venue.wait(30)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-venue":
        serve_venue(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
