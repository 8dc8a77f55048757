"""``warden run``: the supervised trading daemon.

One trio loop hosts, in order: the embedded simulated venue (unless
``venue.url`` points at a separate one), the supervision tree
(persistence → risk → execution → strategy → feed, ``rest_for_one``), the
control plane (an HTTP server on this same loop, see :mod:`warden.control`;
its runtime and token files are written in ``daemon.runtime_dir`` once it
listens and removed when it stops; a port it cannot bind exits 1), and a
status line printer. It runs until ``--duration`` elapses, SIGINT or SIGTERM
arrives, or the root supervisor escalates.

Graceful stop (duration or signal): halt risk (no new risk; risk tells
execution to cancel working orders), wait up to ``daemon.shutdown_timeout_s``
for execution to report no working orders, then stop the actors in reverse
start order (persistence last, so the ledger is flushed) and exit 0.
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

import math
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import trio
from loguru import logger

from actors.messages import Halt
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
from warden.config import Config
from warden.control import ControlConfig, ControlServer, serve_control
from warden.history import open_history
from warden.status import status_line
from warden.venue import DynamicsConfig, VenueConfig, serve_venue
from warden.wiring import VenueUrls, build_children

EXIT_OK = 0
EXIT_ESCALATED = 1
EXIT_FAILURE = 1


class ControlPlaneFailed(Exception):
    """The control plane could not listen (e.g. the port is taken); the daemon stops."""


def venue_config(config: Config) -> VenueConfig:
    """The embedded simulator's settings, from the ``[venue]`` section."""
    tick = 0.25
    per_market_per_tick = tick / (config.venue.opportunity_every_s * config.venue.markets)
    return VenueConfig(
        port=0,
        seed=config.venue.seed,
        markets=config.venue.markets,
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
        Path(self.config.daemon.db).parent.mkdir(parents=True, exist_ok=True)
        with open_history(self.control.runtime_dir):
            _daemon_line("start", chaos=self.chaos_clock is not None)
            code, reason = self._run(duration)
            if self.tree is not None and self.tree.final_snapshot is not None:
                _accounting_lines(self.tree.final_snapshot)
            _daemon_line("stop", exit_code=code, reason=reason)
        return code

    def _run(self, duration: float | None) -> tuple[int, str]:
        try:
            trio.run(self._main, duration)
        except BaseException as exc:
            error = _single(exc)
            if isinstance(error, Escalation):
                self._say(f"warden: root supervisor gave up ({error}); stopped, exit 1")
                return EXIT_ESCALATED, f"escalation: {error}"
            if isinstance(error, ControlPlaneFailed):
                self._say(f"warden: {error}; stopped, exit 1")
                return EXIT_FAILURE, str(error)
            raise
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
                tree_scope = trio.CancelScope()

                async def run_tree(task_status: trio.TaskStatus[None]) -> None:
                    with tree_scope:
                        await self.tree.run(task_status=task_status)  # type: ignore[union-attr]

                await services.start(run_tree)
                self._say(f"warden: trading on {urls.base} (ledger {self.config.daemon.db})")
                control = await self._start_control(services)
                self._say(
                    f"warden: control plane at {control.url} "
                    f"(runtime file {control.files.runtime_file})"
                )
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
        if self.config.venue.url:
            return VenueUrls.from_base(self.config.venue.url)
        venue = await services.start(serve_venue, venue_config(self.config))
        self._say(f"warden: embedded simulated venue at {venue.url}")
        return VenueUrls.from_base(venue.url)

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
        with trio.move_on_after(self.config.daemon.shutdown_timeout_s) as waited:
            while not await trio.to_thread.run_sync(_no_working_orders, tree.snapshot):
                await trio.sleep(0.05)
        if waited.cancelled_caught:
            logger.bind(child="daemon").error(
                "working orders still open after {}s; stopping anyway (reconciliation "
                "on the next start cancels them)",
                self.config.daemon.shutdown_timeout_s,
            )


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


def _no_working_orders(snapshot: Callable[[], Any]) -> bool:
    """Execution sends IOC orders only: nothing works once no reservation is in flight.

    A freshly restarted execution must also have reconciled (and repaired the
    ledger): its reconciliation is what settles intents a crashed incarnation
    left NEW, so stopping before it would leave them open in the ledger.
    """
    node = snapshot().find("execution")
    summary = node.summary
    return node.status != "running" or (
        not summary.get("in_flight")
        and not summary.get("resolving_in_doubt")
        and summary.get("reconciled") is not False
        and not summary.get("ledger_repair_pending")
    )


async def _wait_for_stop(signals: Any, duration: float | None) -> str:
    with trio.move_on_after(math.inf if duration is None else duration):
        async for signum in signals:
            return signal.Signals(signum).name
    return f"duration {duration}s elapsed"


def _single(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc
