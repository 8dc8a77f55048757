"""A supervisor node: a trio task that starts, watches and restarts its children.

All of a supervisor's state lives on the tree's trio thread. Actor threads
reach it only through ``TrioToken.run_sync_soon`` (lifecycle reports), so the
supervisor never blocks on an actor and an actor never blocks on the supervisor.
Decisions (restart, escalate) are taken one at a time from a queue, in the
order failures were observed.
"""

from __future__ import annotations

import collections
import contextlib
import math
import random
from collections.abc import Callable
from typing import Any, TypedDict

import attrs
import pykka
import trio
from loguru import logger

from supervision._actor import (
    LATENCY_BOUNDS_S,
    LATENCY_SAMPLE_MASK,
    Binding,
    CountingInbox,
    SupervisedActor,
)
from supervision._backoff import Backoff
from supervision._clock import Clock
from supervision._directory import Directory
from supervision._errors import Escalation, IncarnationHung, StartTimedOut
from supervision._messages import Down, DownReason, Ended, Started
from supervision._snapshot import ActorSnapshot, FailureInfo, LatencyHistogram
from supervision._spec import ChildSpec, RestartType, Strategy, SupervisorSpec

Report = Started | Ended

# Child statuses, as shown by introspection.
IDLE = "idle"  # not started yet
STARTING = "starting"
RUNNING = "running"
STOPPING = "stopping"
RESTARTING = "restarting"  # ended; waiting out its backoff
STOPPED = "stopped"  # ended normally or shut down; will not be restarted
FAILED = "failed"  # ended abnormally; its restart type says not to restart it


@attrs.define
class _Child:
    """The supervisor's record of one child across its incarnations."""

    spec: ChildSpec | SupervisorSpec
    backoff: Backoff
    epoch: int = 0
    live_epoch: int | None = None  # the incarnation whose end has not been handled yet
    status: str = IDLE
    restarts: int = 0
    started_at: float | None = None
    last_failure: FailureInfo | None = None
    actor: SupervisedActor | None = None
    node: Supervisor | None = None
    previous_node: Supervisor | None = None  # a restarted subtree inherits its history
    scope: trio.CancelScope | None = None
    changed: trio.Event = attrs.field(factory=trio.Event)
    stop_reason: DownReason | None = None
    pending: object | None = None  # token of the restart scheduled for this child
    processed: int = 0
    stale_dropped: int = 0
    dead_letters: int = 0
    latency_counts: tuple[int, ...] = ()
    latency_sum: float = 0.0
    received: int = 0  # envelopes the ended incarnations' mailboxes took in time
    runtime_handled: int = 0
    # mailboxes of ended incarnations, with what they had received at the end: a
    # tell racing an incarnation's end can still land there (lost after end)
    ended_inboxes: list[tuple[CountingInbox, int]] = attrs.field(factory=list)
    lost_folded: int = 0  # lost after end, in mailboxes no longer watched
    # incarnations fenced before they ended: counted live (see _accounting) until
    # their own Ended report comes, if ever
    fenced: list[SupervisedActor] = attrs.field(factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def active(self) -> bool:
        """Running, starting, or meant to run again (a group restart takes it along)."""
        return self.live_epoch is not None or self.status in (IDLE, RESTARTING)


@attrs.frozen
class _Failure:
    name: str
    epoch: int
    reason: DownReason


@attrs.frozen
class _RestartDue:
    names: tuple[str, ...]
    token: object


@attrs.frozen(eq=False)
class _ManualRestart:
    name: str
    done: trio.Event


def _should_restart(restart: RestartType, reason: DownReason) -> bool:
    if restart is RestartType.PERMANENT:
        return True
    if restart is RestartType.TRANSIENT:
        return reason.abnormal
    return False


class Supervisor:
    """Runs one :class:`SupervisorSpec`: start children in order, restart per strategy
    with backoff, escalate past the intensity limit, stop children in reverse order.
    """

    def __init__(
        self,
        spec: SupervisorSpec,
        *,
        path: str,
        directory: Directory,
        clock: Clock,
        seed: int,
        token: trio.lowlevel.TrioToken,
        report: Callable[[Report], None],
        epoch: int = 1,
        on_spawn: Callable[[str, Supervisor], None] | None = None,
        previous: Supervisor | None = None,
    ) -> None:
        self.spec = spec
        self.path = path
        self.epoch = epoch
        self._directory = directory
        self._clock = clock
        self._seed = seed
        self._token = token
        self._report = report
        self._on_spawn = on_spawn
        self._children = [
            _Child(spec=child, backoff=Backoff(spec.backoff, random.Random(f"{seed}:{child.name}")))
            for child in spec.children
        ]
        self._by_name = {child.name: child for child in self._children}
        if previous is not None:
            for child in self._children:
                self._inherit(child, previous._by_name.get(child.name))
        self._restart_times: collections.deque[float] = collections.deque()
        self._decisions_tx, self._decisions_rx = trio.open_memory_channel[Any](math.inf)
        self._nursery: trio.Nursery | None = None

    @staticmethod
    def _inherit(child: _Child, old: _Child | None) -> None:
        """Carry epochs and counters over from the previous incarnation of this subtree,
        so epochs keep rising and stale messages stay recognisable across it."""
        if old is None:
            return
        child.epoch = old.epoch
        child.restarts = old.restarts
        child.last_failure = old.last_failure
        child.processed = old.processed
        child.stale_dropped = old.stale_dropped
        child.dead_letters = old.dead_letters
        child.received = old.received
        child.runtime_handled = old.runtime_handled
        child.ended_inboxes = old.ended_inboxes
        child.lost_folded = old.lost_folded
        child.fenced = old.fenced
        child.previous_node = old.node or old.previous_node

    @property
    def child_names(self) -> list[str]:
        return [child.name for child in self._children]

    # -- the main task -------------------------------------------------------------

    async def run(self) -> None:
        """Supervise until cancelled (then stop children in reverse order and return)
        or until the restart intensity is exceeded (stop children, raise :class:`Escalation`).
        """
        escalation: Escalation | None = None
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(self._watchdog)
            try:
                await self._start_group(self._children, token=None)
                self._report(Started(self.spec.name, self.epoch))
                async for decision in self._decisions_rx:
                    await self._decide(decision)
            except Escalation as exc:
                escalation = exc
            finally:
                with trio.CancelScope(shield=True):
                    await self._stop_all()
                nursery.cancel_scope.cancel()
        if escalation is not None:
            raise escalation

    def post(self, report: Report) -> None:
        """Thread-safe entry for actor threads; a report after the loop ended is moot."""
        with contextlib.suppress(trio.RunFinishedError):
            self._token.run_sync_soon(self.on_report, report)

    def on_report(self, report: Report) -> None:
        """Handle a lifecycle report on the trio thread (no awaiting here)."""
        child = self._by_name.get(report.name)
        if child is None or child.live_epoch != report.epoch:
            if isinstance(report, Ended):
                if child is not None:
                    _settle_fenced(child, report)
                logger.bind(
                    event="fenced_exit", supervisor=self.path, child=report.name, epoch=report.epoch
                ).info("{}#{} (fenced) finally returned; ignored", report.name, report.epoch)
            return
        if isinstance(report, Started):
            child.status = RUNNING
            child.started_at = self._clock.monotonic()
            if child.actor is not None:
                self._directory.set_status(child.name, report.epoch, RUNNING, child.actor.actor_ref)
            child.changed.set()
            return
        self._finish(child, report.reason, report.error, report)

    def request_restart(self, name: str) -> trio.Event:
        """Queue a manual restart of ``name`` (not counted against intensity)."""
        done = trio.Event()
        self._decisions_tx.send_nowait(_ManualRestart(name, done))
        return done

    # -- starting ------------------------------------------------------------------

    async def _start_group(self, group: list[_Child], token: object | None) -> None:
        for child in group:
            if token is not None and child.pending is not token:
                continue
            child.pending = None
            started = await self._spawn(child)
            if not started and self.spec.strategy is not Strategy.ONE_FOR_ONE:
                # The failure's own decision restarts this child with the rest of its group.
                return

    async def _spawn(self, child: _Child) -> bool:
        """Start a new incarnation and wait for it to be running; False if it failed."""
        child.epoch += 1
        epoch = child.epoch
        if epoch > 1:
            child.restarts += 1
        child.live_epoch = epoch
        child.status = STARTING
        child.started_at = None
        child.stop_reason = None
        child.changed = trio.Event()
        if isinstance(child.spec, SupervisorSpec):
            self._spawn_subtree(child, child.spec, epoch)
            await child.changed.wait()
        else:
            if not self._spawn_actor(child, child.spec, epoch):
                return False
            with trio.move_on_after(child.spec.start_timeout):
                await child.changed.wait()
            if child.live_epoch == epoch and child.status == STARTING:
                assert child.actor is not None
                child.actor._fence()
                self._finish(
                    child,
                    DownReason.START_FAILURE,
                    StartTimedOut(child.name, epoch, child.spec.start_timeout),
                )
        return child.live_epoch == epoch and child.status == RUNNING

    def _spawn_actor(self, child: _Child, spec: ChildSpec, epoch: int) -> bool:
        try:
            actor: object = spec.factory()  # checked below: factories are user code
        except Exception as exc:  # noqa: BLE001 - a failing factory is a start failure
            self._finish(child, DownReason.START_FAILURE, exc)
            return False
        if not isinstance(actor, SupervisedActor):
            wrong = TypeError(f"factory of {spec.name!r} returned {actor!r}, not a SupervisedActor")
            self._finish(child, DownReason.START_FAILURE, wrong)
            return False
        actor._bind(
            Binding(
                name=spec.name,
                path=f"{self.path}/{spec.name}",
                epoch=epoch,
                clock=self._clock,
                rng=random.Random(f"{self._seed}:{spec.name}:{epoch}"),
                directory=self._directory,
                report=self.post,
            )
        )
        child.actor = actor
        # Published while starting: messages queue behind on_start and are not lost.
        self._directory.set_status(spec.name, epoch, STARTING, actor.actor_ref)
        pykka.ActorRegistry.register(actor.actor_ref)
        actor._start_actor_loop()
        return True

    def _spawn_subtree(self, child: _Child, spec: SupervisorSpec, epoch: int) -> None:
        assert self._nursery is not None
        node = Supervisor(
            spec,
            path=f"{self.path}/{spec.name}",
            directory=self._directory,
            clock=self._clock,
            seed=self._seed,
            token=self._token,
            report=self.on_report,
            epoch=epoch,
            on_spawn=self._on_spawn,
            previous=child.previous_node,
        )
        child.node = node
        # Shielded: a subtree stops when this supervisor cancels it, in reverse start
        # order with its siblings, not all at once when an outer scope is cancelled.
        child.scope = trio.CancelScope(shield=True)
        self._directory.set_status(spec.name, epoch, STARTING)
        if self._on_spawn is not None:
            self._on_spawn(spec.name, node)
        self._nursery.start_soon(self._run_subtree, child, node, child.scope, epoch)

    async def _run_subtree(
        self, child: _Child, node: Supervisor, scope: trio.CancelScope, epoch: int
    ) -> None:
        reason, error = DownReason.NORMAL, None
        try:
            with scope:
                try:
                    await node.run()
                except Exception as exc:  # noqa: BLE001 - a subtree's failure is this child's crash
                    reason, error = DownReason.CRASH, exc
        finally:
            if child.live_epoch == epoch:
                self._finish(child, reason, error)

    # -- ending --------------------------------------------------------------------

    def _finish(
        self,
        child: _Child,
        reason: DownReason,
        error: BaseException | None,
        report: Ended | None = None,
    ) -> None:
        """Record the end of ``child``'s live incarnation, tell monitors, queue a decision."""
        epoch = child.live_epoch
        assert epoch is not None
        if report is not None:
            child.processed += report.processed
            child.stale_dropped += report.stale_dropped
            child.dead_letters += report.dead_letters
            child.runtime_handled += report.runtime_handled
            _fold_latency(child, report.latency_counts, report.latency_sum)
            if child.actor is not None:
                _watch_ended_inbox(child, child.actor.actor_inbox, report.received)
        elif child.actor is not None:  # fenced: its own report will be ignored
            # Its thread may still be running (a slow stop, a handler that returns
            # later) and draining its mailbox: its counters are read live, never
            # snapshotted here, or a message it takes meanwhile is in no book.
            child.fenced.append(child.actor)
            actor = child.actor
            _fold_latency(child, tuple(actor._latency_counts), actor._latency_sum)
        child.live_epoch = None
        child.actor = None
        child.previous_node = child.node or child.previous_node
        child.node = None
        child.scope = None
        intended = child.stop_reason
        final = intended if intended is not None and reason is DownReason.NORMAL else reason
        detail = "" if error is None else f"{type(error).__name__}: {error}"
        if final.abnormal or final is DownReason.KILLED:
            child.last_failure = FailureInfo(
                reason=final.value,
                type=type(error).__name__ if error is not None else final.value,
                message=str(error) if error is not None else "",
                at=self._clock.wall(),
            )
        child.status = STOPPED if intended is not None else RESTARTING
        self._directory.set_status(child.name, epoch, child.status)
        self._directory.notify_down(Down(child.name, epoch, final, detail))
        logger.bind(
            event="down", supervisor=self.path, child=child.name, epoch=epoch, reason=final.value
        ).info("{}#{} down: {} {}", child.name, epoch, final.value, detail)
        child.changed.set()
        if intended is None:
            self._decisions_tx.send_nowait(_Failure(child.name, epoch, final))

    async def _stop_child(self, child: _Child, reason: DownReason) -> None:
        """Stop the live incarnation; past ``shutdown_timeout`` fence and abandon it."""
        child.pending = None
        epoch = child.live_epoch
        if epoch is None:
            if child.status in (IDLE, RESTARTING):
                child.status = STOPPED
            return
        child.stop_reason = reason
        child.status = STOPPING
        child.changed = trio.Event()
        actor = child.actor
        if actor is not None:
            self._directory.set_status(child.name, epoch, STOPPING)
            with contextlib.suppress(pykka.ActorDeadError):
                actor.actor_ref.stop(block=False)
        elif child.scope is not None:
            child.scope.cancel()
        hung = False
        with trio.move_on_after(child.spec.shutdown_timeout):
            hung = await self._until_stopped_or_hung(child, actor)
        if child.live_epoch == epoch:
            why = "hung past its hang deadline while stopping" if hung else "shutdown_timeout"
            logger.bind(
                event="abandoned", supervisor=self.path, child=child.name, epoch=epoch, reason=why
            ).error(
                "{}#{} {}; fenced and abandoned",
                child.name,
                epoch,
                why if hung else f"ignored stop for {child.spec.shutdown_timeout}s",
            )
            if actor is not None:
                actor._fence()
            self._finish(child, DownReason.KILLED, None)

    async def _until_stopped_or_hung(self, child: _Child, actor: SupervisedActor | None) -> bool:
        """Wait for the stop to land; ``True`` early if the message in flight outlives
        the hang deadline (a hung actor will not take its stop: why wait the whole
        shutdown timeout for it?)."""
        deadline = child.spec.hang_timeout if isinstance(child.spec, ChildSpec) else None
        changed = child.changed
        while True:
            with trio.move_on_after(self.spec.watchdog_interval):
                await changed.wait()
                return False
            since = actor._inflight_since if actor is not None else None
            age = None if since is None else self._clock.monotonic() - since
            if deadline is not None and age is not None and age > deadline:
                return True

    async def _stop_all(self) -> None:
        for child in reversed(self._children):
            await self._stop_child(child, DownReason.SHUTDOWN)

    # -- deciding ------------------------------------------------------------------

    async def _decide(self, decision: _Failure | _RestartDue | _ManualRestart) -> None:
        if isinstance(decision, _Failure):
            await self._on_failure(decision)
        elif isinstance(decision, _RestartDue):
            group = [self._by_name[name] for name in decision.names]
            await self._start_group(group, decision.token)
        else:
            child = self._by_name[decision.name]
            await self._stop_child(child, DownReason.SHUTDOWN)
            await self._spawn(child)
            decision.done.set()

    async def _on_failure(self, failure: _Failure) -> None:
        child = self._by_name[failure.name]
        if child.epoch != failure.epoch or child.live_epoch is not None:
            return  # superseded: a newer incarnation exists already
        if not _should_restart(child.spec.restart, failure.reason):
            child.status = FAILED if failure.reason.abnormal else STOPPED
            self._directory.set_status(child.name, child.epoch, child.status)
            return
        now = self._clock.monotonic()
        self._restart_times.append(now)
        while self._restart_times and self._restart_times[0] < now - self.spec.period:
            self._restart_times.popleft()
        if len(self._restart_times) > self.spec.intensity:
            logger.bind(
                event="escalation",
                supervisor=self.path,
                child=child.name,
                epoch=child.epoch,
                reason=failure.reason.value,
            ).error(
                "{} exceeded {} restarts in {}s (last: {}#{} {}); escalating",
                self.path,
                self.spec.intensity,
                self.spec.period,
                child.name,
                child.epoch,
                failure.reason.value,
            )
            raise Escalation(self.spec.name, child.name, self.spec.intensity, self.spec.period)
        if (
            child.started_at is not None
            and now - child.started_at >= child.backoff.policy.reset_after
        ):
            child.backoff.reset()
        attempt = child.backoff.attempt
        delay = child.backoff.next_delay()
        group = self._restart_group(child)
        for sibling in reversed(group):
            if sibling is not child:
                await self._stop_child(sibling, DownReason.SHUTDOWN)
        logger.bind(
            event="restart",
            supervisor=self.path,
            child=child.name,
            epoch=child.epoch,
            reason=failure.reason.value,
            delay=delay,
            attempt=attempt,
            group=[c.name for c in group],
        ).warning(
            "restarting {} after {}#{} {} in {:.3f}s (attempt {})",
            [c.name for c in group],
            child.name,
            child.epoch,
            failure.reason.value,
            delay,
            attempt,
        )
        await self._restart_after(group, delay)

    def _restart_group(self, failed: _Child) -> list[_Child]:
        """The failed child plus the siblings its strategy restarts with it, in start order."""
        if self.spec.strategy is Strategy.ONE_FOR_ONE:
            return [failed]
        index = self._children.index(failed)
        scope = (
            self._children if self.spec.strategy is Strategy.ONE_FOR_ALL else self._children[index:]
        )
        return [
            c
            for c in scope
            if c is failed or (c.active and c.spec.restart is not RestartType.TEMPORARY)
        ]

    async def _restart_after(self, group: list[_Child], delay: float) -> None:
        token = object()
        for child in group:
            child.pending = token
            child.status = RESTARTING
        if delay <= 0:
            await self._start_group(group, token)
            return
        assert self._nursery is not None
        self._nursery.start_soon(self._wake_after, delay, tuple(c.name for c in group), token)

    async def _wake_after(self, delay: float, names: tuple[str, ...], token: object) -> None:
        await trio.sleep(delay)
        self._decisions_tx.send_nowait(_RestartDue(names, token))

    # -- hang detection ------------------------------------------------------------

    async def _watchdog(self) -> None:
        while True:
            await trio.sleep(self.spec.watchdog_interval)
            now = self._clock.monotonic()
            for child in self._children:
                deadline = child.spec.hang_timeout if isinstance(child.spec, ChildSpec) else None
                actor = child.actor
                if deadline is None or actor is None or child.status != RUNNING:
                    continue
                since = actor._inflight_since
                if since is not None and now - since > deadline:
                    self._declare_hung(child, actor, now - since, deadline)

    def _declare_hung(
        self, child: _Child, actor: SupervisedActor, age: float, deadline: float
    ) -> None:
        epoch = child.live_epoch
        assert epoch is not None
        actor._fence()
        logger.bind(
            event="hang", supervisor=self.path, child=child.name, epoch=epoch, reason="hang"
        ).error(
            "{}#{} hung: one message has run {:.3f}s (deadline {}s); fenced, thread abandoned",
            child.name,
            epoch,
            age,
            deadline,
        )
        self._finish(child, DownReason.HANG, IncarnationHung(child.name, epoch, age, deadline))

    # -- introspection -------------------------------------------------------------

    def running_actors(self) -> dict[str, SupervisedActor]:
        """Every running worker under this supervisor, by name (trio thread only)."""
        found: dict[str, SupervisedActor] = {}
        for child in self._children:
            if child.actor is not None and child.status == RUNNING:
                found[child.name] = child.actor
            if child.node is not None:
                found.update(child.node.running_actors())
        return found

    def describe_children(self, now: float) -> tuple[ActorSnapshot, ...]:
        """Snapshots of this supervisor's children (trio thread only)."""
        return tuple(self._describe(child, now) for child in self._children)

    def _describe(self, child: _Child, now: float) -> ActorSnapshot:
        actor = child.actor
        uptime = (
            None if child.started_at is None or child.live_epoch is None else now - child.started_at
        )
        since = actor._inflight_since if actor is not None else None
        return ActorSnapshot(
            name=child.name,
            path=f"{self.path}/{child.name}",
            kind="supervisor" if isinstance(child.spec, SupervisorSpec) else "worker",
            status=child.status,
            epoch=child.epoch,
            restarts=child.restarts,
            uptime_s=uptime,
            mailbox=_mailbox_depth(actor),
            processed=child.processed
            + (actor._processed if actor is not None else 0)
            + sum(f._processed for f in child.fenced),
            inflight_age_s=None if since is None else max(0.0, now - since),
            stale_dropped=child.stale_dropped
            + (actor._stale_dropped if actor is not None else 0)
            + sum(f._stale_dropped for f in child.fenced),
            dead_letters=child.dead_letters + sum(_fenced_dead(f) for f in child.fenced),
            last_failure=child.last_failure,
            handler_latency=_latency(child, actor),
            children=child.node.describe_children(now) if child.node is not None else (),
            **_accounting(child, actor),
        )


def _mailbox_depth(actor: SupervisedActor | None) -> int:
    """Messages waiting, not counting the runtime's own pending summary request."""
    if actor is None:
        return 0
    depth: int = actor.actor_inbox.qsize()  # type: ignore[attr-defined]
    return max(0, depth - 1) if actor._summary_pending else depth


ENDED_INBOXES_WATCHED = 64
"""Ended incarnations' mailboxes watched per child for late arrivals; older ones are
folded (what reached them by then stays counted; later arrivals there go uncounted)."""


def _watch_ended_inbox(child: _Child, inbox: Any, received_at_end: int) -> None:
    child.received += received_at_end
    child.ended_inboxes.append((inbox, received_at_end))
    while len(child.ended_inboxes) > ENDED_INBOXES_WATCHED:
        old, at_end = child.ended_inboxes.pop(0)
        late = old.counts()[0] - at_end
        child.lost_folded += late
        child.received += late


def _settle_fenced(child: _Child, report: Ended) -> None:
    """A fenced incarnation finally ended: its counters are final, fold them in and
    stop holding on to it (its latency was folded when it was fenced)."""
    for actor in child.fenced:
        if actor._binding is not None and actor._binding.epoch == report.epoch:
            child.fenced.remove(actor)
            child.processed += report.processed
            child.stale_dropped += report.stale_dropped
            child.dead_letters += report.dead_letters
            child.runtime_handled += report.runtime_handled
            _watch_ended_inbox(child, actor.actor_inbox, report.received)
            return


class _Accounting(TypedDict):
    received: int
    runtime_handled: int
    queued: int
    lost_after_end: int


def _fenced_dead(actor: SupervisedActor) -> int:
    """A fenced incarnation's dead letters: what it drained, plus what it never will."""
    inbox: CountingInbox = actor.actor_inbox  # type: ignore[assignment]
    return actor._dead_letters + inbox.counts()[1] - inbox.queued_runtime()


def _accounting(child: _Child, actor: SupervisedActor | None) -> _Accounting:
    """Message accounting of a name over all its incarnations (DESIGN.md §6 inv. 10):
    ``received = processed + stale_dropped + runtime_handled + dead_letters + queued
    + lost_after_end``. Exact once every incarnation has ended; for a live one the
    counters are read without stopping it, so they may be a message apart."""
    lost = child.lost_folded
    received = child.received
    for inbox, at_end in child.ended_inboxes:
        late = inbox.counts()[0] - at_end
        lost += late
        received += late
    queued = 0
    runtime = child.runtime_handled
    for fenced in child.fenced:  # what is still in its mailbox counts as dead letters
        received += fenced.actor_inbox.counts()[0]  # type: ignore[attr-defined]
        runtime += fenced._runtime_handled + fenced.actor_inbox.queued_runtime()  # type: ignore[attr-defined]
    if actor is not None:
        live_received, queued = actor.actor_inbox.counts()  # type: ignore[attr-defined]
        received += live_received
        runtime += actor._runtime_handled
    return {
        "received": received,
        "runtime_handled": runtime,
        "queued": queued,
        "lost_after_end": lost,
    }


def _fold_latency(child: _Child, counts: tuple[int, ...], total: float) -> None:
    """Add an ended incarnation's latency samples to the child's lifetime totals."""
    if not counts:
        return
    mine = child.latency_counts or (0,) * len(counts)
    child.latency_counts = tuple(a + b for a, b in zip(mine, counts, strict=True))
    child.latency_sum += total


def _latency(child: _Child, actor: SupervisedActor | None) -> LatencyHistogram | None:
    """Lifetime handler latency of a worker: ended incarnations plus the live one."""
    if isinstance(child.spec, SupervisorSpec):
        return None
    counts = list(child.latency_counts or (0,) * (len(LATENCY_BOUNDS_S) + 1))
    total = child.latency_sum
    if actor is not None:
        counts = [a + b for a, b in zip(counts, actor._latency_counts, strict=True)]
        total += actor._latency_sum
    return LatencyHistogram(
        bounds=LATENCY_BOUNDS_S,
        counts=tuple(counts),
        sum_s=total,
        sample_every=LATENCY_SAMPLE_MASK + 1,
    )
