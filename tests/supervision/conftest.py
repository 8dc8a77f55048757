"""Light actors and helpers for runtime tests. Nothing here sleeps blindly:
waits poll a condition against a deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from loguru import logger

from supervision import (
    NO_BACKOFF,
    ChildSpec,
    Clock,
    SupervisedActor,
    SupervisionTree,
    SupervisorSpec,
    TreeThread,
    status_type,
)

DEADLINE = 10.0  # generous: a loaded 2-core machine must still pass
POLL_INTERVAL = 0.002


def eventually(
    predicate: Callable[[], Any],
    *,
    timeout: float = DEADLINE,
    what: str = "",
    interval: float = POLL_INTERVAL,
) -> Any:
    """Poll ``predicate`` every ``interval`` s until it returns something truthy;
    fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s: {what or predicate}")
        time.sleep(interval)  # between checks of a deadline-bounded poll


class Journal:
    """An append-only record of what actors did, shared across threads."""

    def __init__(self) -> None:
        self.entries: list[tuple[Any, ...]] = []

    def add(self, *entry: Any) -> None:
        self.entries.append(entry)  # list.append is atomic in CPython

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [e for e in list(self.entries) if e[0] == kind]

    def names(self, kind: str) -> list[str]:
        return [e[1] for e in self.of(kind)]


@attrs.frozen
class Crash:
    """Raise this exception from the handler."""

    error: BaseException


@attrs.frozen(eq=False)
class Block:
    """Block the handler until ``release`` is set (stands in for a hung network call)."""

    release: threading.Event
    then_send: tuple[str, Any] | None = None


@attrs.frozen
class Forward:
    """Send ``body`` to ``to`` through the runtime (tagged with our epoch)."""

    to: str
    body: Any


class Recorder(SupervisedActor):
    """Journals its lifecycle and every message; obeys Crash / Block / Forward."""

    def __init__(
        self,
        journal: Journal,
        *,
        fail_start: BaseException | None = None,
        monitors: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.journal = journal
        self.fail_start = fail_start
        self.monitors = monitors
        self.received: list[Any] = []

    def on_start(self) -> None:
        self.journal.add("start", self.name, self.epoch)
        for name in self.monitors:
            self.monitor(name)
        if self.fail_start is not None:
            raise self.fail_start

    def on_stop(self) -> None:
        self.journal.add("stop", self.name, self.epoch)

    def on_failure(self, *_exc_info: object) -> None:
        self.journal.add("failure", self.name, self.epoch)

    def on_receive(self, message: Any) -> Any:
        self.received.append(message)
        self.journal.add("got", self.name, self.epoch, message, self.message_sender)
        if isinstance(message, Crash):
            raise message.error
        if isinstance(message, Block):
            message.release.wait(DEADLINE * 3)
            if message.then_send is not None:
                self.send(*message.then_send)
            return "released"
        if isinstance(message, Forward):
            self.send(message.to, message.body)
        return ("echo", self.name, self.epoch, message)

    def state_summary(self) -> RecorderStatus:
        return RecorderStatus(received=len(self.received))


@status_type
@attrs.frozen
class RecorderStatus:
    """What a :class:`Recorder` publishes: how many messages it has handled."""

    received: int


def is_running(tree: SupervisionTree, name: str, epoch: int | None = None) -> bool:
    """True when ``name`` is running (as incarnation ``epoch``, if given)."""
    node = tree.snapshot().find(name)
    return node.status == "running" and (epoch is None or node.epoch == epoch)


def recorder(name: str, journal: Journal, **kwargs: Any) -> ChildSpec:
    actor_kwargs = {k: kwargs.pop(k) for k in ("fail_start", "monitors") if k in kwargs}
    return ChildSpec(name=name, factory=lambda: Recorder(journal, **actor_kwargs), **kwargs)


def tree_spec(*children: ChildSpec | SupervisorSpec, **flags: Any) -> SupervisorSpec:
    flags.setdefault("backoff", NO_BACKOFF)
    flags.setdefault("intensity", 10)
    flags.setdefault("watchdog_interval", 0.01)
    return SupervisorSpec(name=flags.pop("name", "root"), children=children, **flags)


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
def start_tree() -> Iterator[Callable[..., SupervisionTree]]:
    """Start trees in background threads; every one is stopped at test end."""
    hosts: list[TreeThread] = []

    def start(
        spec: SupervisorSpec, *, clock: Clock | None = None, seed: int = 0
    ) -> SupervisionTree:
        host = TreeThread(SupervisionTree(spec, clock=clock, seed=seed)).start()
        hosts.append(host)
        return host.tree

    yield start
    for host in reversed(hosts):
        host.stop()


@pytest.fixture
def log_events() -> Iterator[list[dict[str, Any]]]:
    """Every structured runtime log event (the record's ``extra`` plus level and message)."""
    events: list[dict[str, Any]] = []

    def sink(message: Any) -> None:
        record = message.record
        events.append(
            {**record["extra"], "level": record["level"].name, "message": record["message"]}
        )

    handler = logger.add(sink, level="DEBUG")
    yield events
    logger.remove(handler)
