"""``warden run``: the supervised trading daemon.

Before anything starts, the daemon takes the single-writer locks (see
:mod:`warden.single_writer`): a second daemon on the same ledger or runtime
directory exits 2 with one line naming the ledger and the pid that holds it,
having touched nothing. The locks are held until after the last ledger and
history write.

Then one trio loop hosts, in order: the embedded simulated venue (unless
``venue.url`` points at a separate one), the control plane (an HTTP server on
this same loop, see :mod:`warden.control`; it binds and writes its runtime and
token files in ``daemon.runtime_dir`` before any actor starts, so the kill
switch exists before the first order could; a port it cannot bind exits 1
before any actor or venue call), the supervision tree (persistence → risk →
execution → strategy → feed, ``rest_for_one``), and a status line printer. It
runs until ``--duration`` elapses, SIGINT or SIGTERM arrives, or the root
supervisor escalates.

Graceful stop (duration or signal): halt risk (no new risk; risk tells
execution to cancel working orders), wait up to ``daemon.shutdown_timeout_s``
for execution to report no working orders (not for a venue that could never
be reached: see :mod:`warden.shutdown`), print what is known and what is in
doubt about the venue, then stop the actors in reverse start order
(persistence last, so the ledger is flushed) and exit 0.
Escalation at the root exits 1. A bad configuration exits 2 before anything
starts.

History: every run appends to ``<daemon.runtime_dir>/history.jsonl`` (see
:mod:`warden.history`): a ``daemon`` start line, then orders, reservations,
restarts, halts ... as they happen, and a ``daemon`` stop line on a graceful
stop or an escalation (a SIGKILLed daemon writes none).

Chaos (``chaos=True``, ``warden run --chaos``): the tree is built with
``fault_injection=True`` and an :class:`~warden.chaos_clock.OffsetClock`, and
the control plane serves the ``/chaos/...`` routes (see
:mod:`warden.control._chaos`). Never use it for real trading.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

import httpx
import trio
from loguru import logger

from actors.messages import Halt
from actors.money import ONE
from actors.venues import MarketListError, MarketSelection
from actors.venues.polymarket._discovery import list_markets as list_polymarket_markets
from supervision import (
    ActorSnapshot,
    BackoffPolicy,
    ChildSpec,
    ChildUnavailable,
    Escalation,
    Jitter,
    Strategy,
    SupervisionTree,
    SupervisorSpec,
)
from warden.chaos_clock import OffsetClock
from warden.config import Config, VenueSection
from warden.control import ControlConfig, ControlServer, serve_control
from warden.history import open_history
from warden.shutdown import nothing_working, shutdown_report
from warden.single_writer import LockHeld, hold_single_writer
from warden.status import status_line
from warden.venue import DynamicsConfig, RealismConfig, VenueConfig, serve_venue
from warden.venue_target import venue_target
from warden.wiring import PolymarketSide, VenueUrls, build_children

GIL_SWITCH_INTERVAL_S = 0.0005
"""How long a thread may hold the interpreter before another that is ready gets it
(Python's default: 5 ms). The order path's threads block on SQLite, sockets and
queues many times per order, and each time wait up to this long to run again while
a feed thread parses frames: benchmarks/order_load.py measured detect-to-order p50
75-81 ms at 5 ms and 37 ms at 0.5 ms with a feed flat out beside it, idle unchanged
(issue 15)."""

EXIT_OK = 0
EXIT_ESCALATED = 1
EXIT_FAILURE = 1
EXIT_REFUSED = 2


class ControlPlaneFailed(Exception):
    """The control plane could not listen (e.g. the port is taken); the daemon stops."""


class VenueUnusable(Exception):
    """The venue's markets could not be listed at start (Polymarket: the configured
    events or condition ids); the daemon stops before anything trades."""


def venue_config(config: Config) -> VenueConfig:
    """The embedded simulator's settings, from the ``[venue]`` section."""
    tick = 0.25
    per_market_per_tick = tick / (config.venue.opportunity_every_s * config.venue.markets)
    return VenueConfig(
        port=0,
        seed=config.venue.seed,
        # A fresh exchange each start, for a ledger that outlives it: its order and
        # trade ids must not repeat an earlier start's (the ledger refuses a fill id
        # reused for another fill, and halts).
        id_prefix=secrets.token_hex(4),
        markets=config.venue.markets,
        realism=RealismConfig() if config.venue.realism else None,
        dynamics=DynamicsConfig(
            tick_seconds=tick,
            arb_rate=min(1.0, per_market_per_tick),
            arb_lifetime_seconds=config.venue.opportunity_lifetime_s,
        ),
    )


def tree_spec(config: Config, urls: VenueUrls) -> SupervisorSpec:
    """The daemon's supervision tree.

    ``rest_for_one``: each actor depends on those started before it (risk on
    persistence, execution on risk, ...), so when one restarts, everything
    after it restarts too and re-synchronises from a clean state (execution
    reconciles with the venue again, the feed takes fresh snapshots).
    """
    sup = config.supervision
    children: tuple[ChildSpec | SupervisorSpec, ...] = build_children(config, urls)
    return SupervisorSpec(
        name="warden",
        children=children,
        strategy=Strategy.REST_FOR_ONE,
        intensity=sup.intensity,
        period=sup.period_s,
        backoff=BackoffPolicy(jitter=Jitter.FULL, base=sup.backoff_base_s, cap=sup.backoff_cap_s),
    )


class Daemon:
    """Runs one daemon lifetime; :meth:`run` returns the process exit code."""

    def __init__(
        self,
        config: Config,
        *,
        out: TextIO = sys.stdout,
        control_host: str = "127.0.0.1",
        control_port: int = 0,
        chaos: bool = False,
    ) -> None:
        self.config = config
        self.out = out
        self.control = ControlConfig(
            Path(config.daemon.runtime_dir), host=control_host, port=control_port
        )
        self.chaos_clock = OffsetClock() if chaos else None
        self.tree: SupervisionTree | None = None
        self.stop_reason = ""

    def run(self, *, duration: float | None = None) -> int:
        """Run until stopped; the exit code. 2 (one line on stderr, nothing started)
        when another process holds this ledger or runtime directory, or a lock file
        cannot be made. Both directories must exist: ``warden run`` checks and
        creates them first (:func:`warden.config.check_daemon_paths`)."""
        db, runtime_dir = Path(self.config.daemon.db), self.control.runtime_dir
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(hold_single_writer(db, runtime_dir))
            except (LockHeld, OSError) as error:
                print(f"warden run: {error}", file=sys.stderr, flush=True)
                return EXIT_REFUSED
            with open_history(runtime_dir):
                _daemon_line("start", chaos=self.chaos_clock is not None)
                code, reason = self._run(duration)
                if self.tree is not None and self.tree.final_snapshot is not None:
                    _accounting_lines(self.tree.final_snapshot)
                _daemon_line("stop", exit_code=code, reason=reason)
        return code

    def _run(self, duration: float | None) -> tuple[int, str]:
        previous = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        try:
            trio.run(self._main, duration)
        except BaseException as exc:
            error = _single(exc)
            if isinstance(error, Escalation):
                self._say(f"warden: root supervisor gave up ({error}); stopped, exit 1")
                return EXIT_ESCALATED, f"escalation: {error}"
            if isinstance(error, ControlPlaneFailed | VenueUnusable):
                self._say(f"warden: {error}; stopped, exit 1")
                return EXIT_FAILURE, str(error)
            raise
        finally:
            sys.setswitchinterval(previous)
        self._say(f"warden: stopped ({self.stop_reason}), exit 0")
        return EXIT_OK, self.stop_reason

    def _say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    async def _main(self, duration: float | None) -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with trio.open_nursery() as services:
                urls = await self._venue(services)
                spec = tree_spec(self.config, urls)
                self.tree = SupervisionTree(
                    spec,
                    seed=self.config.venue.seed,
                    clock=self.chaos_clock,
                    fault_injection=self.chaos_clock is not None,
                )
                # The control plane first: the kill switch exists before any actor
                # can trade, and a port that cannot be bound stops us before any
                # venue call. Until the tree runs it answers 503.
                control = await self._start_control(services)
                self._say(
                    f"warden: control plane at {control.url} "
                    f"(runtime file {control.files.runtime_file})"
                )
                tree_scope = trio.CancelScope()

                async def run_tree(task_status: trio.TaskStatus[None]) -> None:
                    with tree_scope:
                        await self.tree.run(task_status=task_status)  # type: ignore[union-attr]

                await services.start(run_tree)
                self._say(f"warden: trading on {urls.base} (ledger {self.config.daemon.db})")
                if self.chaos_clock is not None:
                    self._say("warden: CHAOS MODE: fault injection routes at /chaos/")
                services.start_soon(self._print_status)
                self.stop_reason = await _wait_for_stop(signals, duration)
                logger.bind(child="daemon").info("stopping: {}", self.stop_reason)
                await self._wind_down()
                tree_scope.cancel()
                services.cancel_scope.cancel()

    async def _start_control(self, services: trio.Nursery) -> ControlServer:
        try:
            server: ControlServer = await services.start(
                serve_control, self.tree, self.control, self.chaos_clock
            )
        except* OSError as group:  # the bind failed (port taken, address not ours)
            where = f"{self.control.host}:{self.control.port}"
            error = _single(group)
            raise ControlPlaneFailed(f"control plane cannot listen on {where}: {error}") from None
        return server

    async def _venue(self, services: trio.Nursery) -> VenueUrls:
        """The venue's URLs (and, for Kalshi, its signer, loaded from the key now:
        ``warden run`` checked the key before anything started)."""
        venue = self.config.venue
        if venue.kind == "polymarket":
            return await self._polymarket(venue)
        if venue.kind == "kalshi":
            target = venue_target(venue)
            assert target.signer is not None, "kind = kalshi has a signer"
            where = target.environment or target.rest_url
            self._say(f"warden: Kalshi ({where}), key {venue.key_id}, tier {venue.tier}")
            return VenueUrls.of(
                target.rest_url,
                target.ws_url,
                signer=target.signer(),
                tier=venue.tier,
                signer_source=target.signer,
            )
        if venue.url:
            return VenueUrls.from_base(venue.url)
        embedded = await services.start(serve_venue, venue_config(self.config))
        self._say(f"warden: embedded simulated venue at {embedded.url}")
        return VenueUrls.from_base(embedded.url)

    async def _polymarket(self, venue: VenueSection) -> VenueUrls:
        """Polymarket: its markets listed once, now (Gamma, then the CLOB where Gamma
        leaves fields out), for both sides; paper or live as configured."""
        target = venue_target(venue).polymarket
        assert target is not None, "kind = polymarket has a Polymarket target"
        selection = MarketSelection(tuple(venue.tickers), (), tuple(venue.events))
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                listed = await list_polymarket_markets(
                    client,
                    selection,
                    payout=ONE,
                    gamma_url=target.gamma_url,
                    clob_url=target.rest_url,
                )
        except (MarketListError, httpx.HTTPError) as error:
            raise VenueUnusable(f"cannot list the Polymarket markets: {error}") from None
        mode = "PAPER (simulated fills, no key)" if target.paper else "LIVE (real money)"
        self._say(
            f"warden: Polymarket {mode}: {len(listed.markets)} markets"
            f" ({target.rest_url}, {target.market_ws_url})"
        )
        return VenueUrls.of(
            target.rest_url,
            target.market_ws_url,
            signer=None,
            tier=None,
            polymarket=PolymarketSide(target, listed.markets),
        )

    async def _print_status(self) -> None:
        assert self.tree is not None
        while True:
            await trio.sleep(self.config.daemon.status_interval_s)
            try:
                snapshot = await trio.to_thread.run_sync(self.tree.snapshot)
            except ChildUnavailable:
                return
            self._say(status_line(snapshot))

    async def _wind_down(self) -> None:
        """Stop new risk and cancel working orders before the actors stop."""
        assert self.tree is not None
        tree = self.tree
        try:
            tree.tell("risk", Halt(reason=f"shutdown: {self.stop_reason}", source="daemon"))
        except ChildUnavailable:
            return
        snapshot: ActorSnapshot | None = None
        with trio.move_on_after(self.config.daemon.shutdown_timeout_s) as waited:
            while True:
                try:
                    snapshot = await trio.to_thread.run_sync(tree.snapshot)
                except ChildUnavailable:
                    return
                if nothing_working(snapshot):
                    break
                await trio.sleep(0.05)
        if waited.cancelled_caught:
            logger.bind(child="daemon").error(
                "orders may still be working after {}s; stopping anyway (reconciliation "
                "on the next start cancels them)",
                self.config.daemon.shutdown_timeout_s,
            )
        if snapshot is not None:
            for line in shutdown_report(snapshot):
                logger.bind(child="daemon").info("at stop: {}", line)
                self._say(f"warden: at stop: {line}")


def _daemon_line(phase: str, **detail: object) -> None:
    logger.bind(child="daemon", history="daemon", phase=phase, pid=os.getpid(), **detail).info(
        "daemon {} (pid {})", phase, os.getpid()
    )


ACCOUNTING_FIELDS = (
    "received",
    "processed",
    "stale_dropped",
    "runtime_handled",
    "dead_letters",
    "queued",
    "lost_after_end",
)


def _accounting_lines(final: ActorSnapshot) -> None:
    """One ``accounting`` history line per worker, from the stopped tree: its
    message books over every incarnation of this process (exact, all ended)."""
    for node in final.walk():
        if node.kind != "worker":
            continue
        books = {name: getattr(node, name) for name in ACCOUNTING_FIELDS}
        logger.bind(child="daemon", history="accounting", actor=node.name, **books).info(
            "{} message accounting: {}", node.name, books
        )


async def _wait_for_stop(signals: AsyncIterator[int], duration: float | None) -> str:
    with trio.move_on_after(math.inf if duration is None else duration):
        async for signum in signals:
            return signal.Signals(signum).name
    return f"duration {duration}s elapsed"


def _single(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc
