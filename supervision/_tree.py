"""The public front of the runtime: run a supervision tree, address its actors, look at it.

Two ways to host a tree:

- inside your own trio program: ``await tree.run()`` (returns when cancelled,
  after stopping everything in reverse order; raises :class:`Escalation` when
  the root gives up);
- from synchronous code: :class:`TreeThread` runs ``tree.run()`` in a trio loop
  on a background thread, and :func:`run_until_signalled` runs it in the main
  thread of a process until SIGINT/SIGTERM, returning the process exit code.

``tell``, ``ask``, ``snapshot`` and ``restart`` are thread-safe and may be called
from any thread except the tree's own trio thread (from there, wrap them in
``trio.to_thread.run_sync``).
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from typing import Any

import attrs
import pykka
import trio
from loguru import logger

from supervision._actor import SupervisedActor
from supervision._clock import Clock, SystemClock
from supervision._directory import Directory
from supervision._errors import ChildUnavailable, Escalation, SupervisionError
from supervision._faults import FLOOD_MESSAGE, FaultInjectionOff, FaultKind, InjectFault, armed
from supervision._messages import Started, SummaryRequest
from supervision._snapshot import ActorSnapshot
from supervision._spec import SupervisorSpec, check_tree
from supervision._supervisor import RUNNING, STARTING, STOPPED, Report, Supervisor

EXIT_OK = 0
EXIT_ESCALATED = 1


class SupervisionTree:
    """One supervision tree built from a validated :class:`SupervisorSpec`.

    ``seed`` feeds every backoff generator and every actor's ``rng`` (derived
    per child name and epoch), so a seeded run draws the same delays.
    ``fault_injection`` enables :meth:`inject_fault` (chaos testing only).
    """

    def __init__(
        self,
        spec: SupervisorSpec,
        *,
        clock: Clock | None = None,
        seed: int = 0,
        fault_injection: bool = False,
    ) -> None:
        check_tree(spec)
        self.spec = spec
        self.fault_injection = fault_injection
        self.clock: Clock = clock or SystemClock()
        self.seed = seed
        self.directory = Directory()
        self._token: trio.lowlevel.TrioToken | None = None
        self._root: Supervisor | None = None
        self._final: ActorSnapshot | None = None
        self._owners: dict[str, Supervisor] = {}
        self._status = "idle"
        self._started_at: float | None = None

    # -- running -------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Start the tree and supervise it until cancelled or escalated.

        ``task_status.started()`` fires once every child has had its first start.
        On cancellation the children stop in reverse order and this returns
        normally (cancellation propagates); on escalation the children have
        already been stopped and :class:`Escalation` is raised.
        """
        if self._root is not None:
            raise SupervisionError(f"tree {self.spec.name!r} is already running")
        self._token = trio.lowlevel.current_trio_token()

        def on_root_report(report: Report) -> None:
            # Called synchronously from inside root.run(), i.e. from this very task.
            if isinstance(report, Started):
                self._status = RUNNING
                self._started_at = self.clock.monotonic()
                task_status.started()

        root = Supervisor(
            self.spec,
            path=self.spec.name,
            directory=self.directory,
            clock=self.clock,
            seed=self.seed,
            token=self._token,
            report=on_root_report,
            on_spawn=self._register_owner,
        )
        self._register_owner(self.spec.name, root)
        self._root = root
        self._status = STARTING
        try:
            await root.run()
        except Escalation as exc:
            logger.bind(
                event="escalation",
                supervisor=self.spec.name,
                child=exc.child,
                epoch=1,
                reason="root",
            ).critical("root supervisor {} gave up: {}; tree stopped", self.spec.name, exc)
            raise
        finally:
            self._status = STOPPED
            self._final = self._describe()
            self._root = None

    def _register_owner(self, name: str, node: Supervisor) -> None:
        self._owners[name] = node
        for child in node.child_names:
            self._owners[child] = node

    # -- addressing (any thread but the tree's) -----------------------------------

    def tell(self, name: str, message: Any) -> int:
        """Deliver to the running incarnation of ``name`` and return its epoch,
        or raise :class:`ChildUnavailable`."""
        return self.directory.tell(name, message)

    def ask(self, name: str, message: Any, *, timeout: float = 5.0) -> Any:
        """Ask the running incarnation of ``name``.

        Raises ``ChildUnavailable``, ``AskTimeout``, or what the handler raised.
        """
        if not 0 < timeout < math.inf:
            raise ValueError(f"ask timeout must be a finite number > 0, got {timeout!r}")
        return self.directory.ask(name, message, timeout=timeout)

    def inject_fault(self, name: str, fault: InjectFault) -> int:
        """Deliver ``fault`` to the running incarnation of ``name``; returns its epoch.

        See :mod:`supervision._faults` for what each fault does. Raises
        :class:`FaultInjectionOff` unless the tree was built with
        ``fault_injection=True``, and ``ChildUnavailable`` as :meth:`tell` does
        (a flood that races a restart may be cut short by it).
        """
        if not self.fault_injection:
            raise FaultInjectionOff(self.spec.name)
        if fault.kind is not FaultKind.FLOOD:
            return self.directory.tell(name, armed(fault))
        epoch = 0
        for _ in range(fault.count):
            epoch = self.directory.tell(name, FLOOD_MESSAGE)
        return epoch

    def restart(self, name: str, *, timeout: float = 30.0) -> int:
        """Stop ``name`` (reason SHUTDOWN) and start a new incarnation at once; returns its epoch.

        A manual restart does not count against the restart intensity.
        Raises ``ChildUnavailable`` for an unknown name or a tree that is not running.
        """
        owner = self._owners.get(name)
        if owner is None or name == self.spec.name:
            raise ChildUnavailable(name, "unknown")

        async def restart_and_wait() -> None:
            with trio.fail_after(timeout):
                await owner.request_restart(name).wait()

        self._call(lambda: trio.from_thread.run(restart_and_wait, trio_token=self._token))
        entry = self.directory.lookup(name)
        return entry.epoch if entry is not None else 0

    # -- introspection -------------------------------------------------------------

    def snapshot(self, *, summary_timeout: float = 0.5) -> ActorSnapshot:
        """The whole tree now, with each running worker's ``state_summary()``.

        Waits at most ``summary_timeout`` for summaries in all; a worker that is
        busy or hung keeps at most one summary request queued and is shown with
        its last known summary, marked ``summary_stale``.
        """

        def structure() -> tuple[ActorSnapshot, dict[str, SupervisedActor]]:
            root = self._root
            return self._describe(), root.running_actors() if root is not None else {}

        tree, actors = self._call(
            lambda: trio.from_thread.run_sync(structure, trio_token=self._token)
        )
        return _attach(tree, _collect_summaries(actors, summary_timeout))

    @property
    def final_snapshot(self) -> ActorSnapshot | None:
        """The tree as it stood when ``run`` ended (every incarnation ended, so its
        message accounting is exact); ``None`` before that. No summaries."""
        return self._final

    def describe(self) -> ActorSnapshot:
        """The tree's structure and counters, without summaries; trio thread only."""
        return self._describe()

    def _describe(self) -> ActorSnapshot:
        now = self.clock.monotonic()
        root = self._root
        return ActorSnapshot(
            name=self.spec.name,
            path=self.spec.name,
            kind="supervisor",
            status=self._status,
            epoch=1,
            restarts=0,
            uptime_s=None if self._started_at is None else now - self._started_at,
            mailbox=0,
            processed=0,
            inflight_age_s=None,
            stale_dropped=0,
            dead_letters=0,
            last_failure=None,
            children=root.describe_children(now) if root is not None else (),
        )

    def _call(self, fn: Any) -> Any:
        if self._token is None or self._root is None:
            raise ChildUnavailable(self.spec.name, "tree not running")
        try:
            return fn()
        except trio.RunFinishedError:
            raise ChildUnavailable(self.spec.name, "tree not running") from None


class TreeThread:
    """Host a :class:`SupervisionTree` in a trio loop on a daemon thread.

    ``start()`` returns once every child has had its first start. ``stop()``
    cancels the tree (children stop in reverse order) and joins the thread.
    ``error`` holds what ended the tree abnormally (e.g. :class:`Escalation`).
    """

    def __init__(self, tree: SupervisionTree) -> None:
        self.tree = tree
        self.error: BaseException | None = None
        self._started = threading.Event()
        self._cancel: trio.CancelScope | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._thread = threading.Thread(
            target=self._main, name=f"tree-{tree.spec.name}", daemon=True
        )

    def start(self, timeout: float = 30.0) -> TreeThread:
        self._thread.start()
        if not self._started.wait(timeout):
            raise TimeoutError(f"tree {self.tree.spec.name!r} did not start within {timeout}s")
        if self.error is not None:
            raise self.error
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Cancel the tree and wait for it to finish stopping."""
        cancel, token = self._cancel, self._token
        if cancel is not None and token is not None and self._thread.is_alive():
            with contextlib.suppress(trio.RunFinishedError):
                trio.from_thread.run_sync(cancel.cancel, trio_token=token)
        self.join(timeout)

    def join(self, timeout: float) -> BaseException | None:
        """Wait for the tree to end by itself (e.g. escalation); returns ``error``."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"tree {self.tree.spec.name!r} still running after {timeout}s")
        return self.error

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> SupervisionTree:
        self.start()
        return self.tree

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _main(self) -> None:
        async def host() -> None:
            self._token = trio.lowlevel.current_trio_token()
            with trio.CancelScope() as scope:
                self._cancel = scope
                async with trio.open_nursery() as nursery:
                    await nursery.start(self.tree.run)
                    self._started.set()

        try:
            trio.run(host)
        except BaseException as exc:  # noqa: BLE001 - handed to the owner thread
            self.error = _unwrap(exc)
        finally:
            self._started.set()


def _collect_summaries(
    actors: dict[str, SupervisedActor], timeout: float
) -> dict[str, tuple[object | None, bool]]:
    """Ask every actor at once; wait ``timeout`` in all. Value: (summary, stale)."""
    pending: dict[str, Any] = {}
    for name, actor in actors.items():
        if actor._summary_pending:
            continue  # one request is already queued; do not pile more behind a busy actor
        actor._summary_pending = True
        try:
            pending[name] = actor.actor_ref.ask(SummaryRequest(), block=False)
        except pykka.ActorDeadError:
            continue
    deadline = time.monotonic() + timeout
    fresh: dict[str, object | None] = {}
    for name, future in pending.items():
        try:
            fresh[name] = future.get(timeout=max(0.0, deadline - time.monotonic()))
        except Exception:  # noqa: BLE001, S112 - busy, hung or gone: fall back to the last summary
            continue
    return {
        name: (fresh[name], False) if name in fresh else (actor._last_summary, True)
        for name, actor in actors.items()
    }


def _attach(
    node: ActorSnapshot, summaries: dict[str, tuple[object | None, bool]]
) -> ActorSnapshot:
    summary, stale = summaries.get(node.name, (node.summary, False))
    return attrs.evolve(
        node,
        summary=summary,
        summary_stale=stale,
        children=tuple(_attach(child, summaries) for child in node.children),
    )


def _unwrap(exc: BaseException) -> BaseException:
    """Strip single-exception groups that trio's nurseries wrap errors in."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def run_until_signalled(tree: SupervisionTree) -> int:
    """Run ``tree`` in this (main) thread until SIGINT/SIGTERM or escalation.

    Returns :data:`EXIT_OK` after a signal-initiated orderly shutdown, and
    :data:`EXIT_ESCALATED` when the root supervisor gave up (the tree has then
    been stopped in reverse order). Use it as a process's exit code.
    """

    async def main() -> None:
        # Handlers go in before the first child starts: a signal during startup
        # must still mean an orderly stop, not the default kill.
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with trio.open_nursery() as nursery:
                await nursery.start(tree.run)
                async for signum in signals:
                    logger.bind(
                        event="shutdown",
                        supervisor=tree.spec.name,
                        child="",
                        epoch=0,
                        reason="signal",
                    ).info("signal {}: stopping {}", signal.Signals(signum).name, tree.spec.name)
                    nursery.cancel_scope.cancel()
                    break

    try:
        trio.run(main)
    except BaseException as exc:
        error = _unwrap(exc)
        if isinstance(error, Escalation):
            return EXIT_ESCALATED
        raise
    return EXIT_OK
