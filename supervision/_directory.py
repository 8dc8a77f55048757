"""Stable addresses: who is the running incarnation of each name, and who monitors it.

Written by supervisors (on the tree's trio thread), read from any thread. A
registration is an immutable record swapped whole, so a reader sees an old or a
new one, never half of each; the lock only serialises writers and the monitor
table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import attrs
import pykka
from pykka._envelope import Envelope

from supervision._errors import AskTimeout, ChildUnavailable
from supervision._messages import Down


@attrs.frozen
class Registration:
    name: str
    epoch: int
    status: str
    ref: pykka.ActorRef[Any] | None = None
    # The ref's inbox and stop flag, held directly: every message by name goes
    # through tell(), and two fewer calls there are measurable (docs/benchmarks.md).
    put: Callable[[Envelope[Any]], None] | None = None
    stopped: threading.Event | None = None


class Directory:
    """Name -> running incarnation; the only way messages are routed by name."""

    def __init__(self) -> None:
        self._entries: dict[str, Registration] = {}
        self._monitors: dict[str, set[tuple[str, int]]] = {}
        self._lock = threading.Lock()

    # -- written by supervisors -------------------------------------------------

    def set_status(
        self, name: str, epoch: int, status: str, ref: pykka.ActorRef[Any] | None = None
    ) -> None:
        """Replace ``name``'s record. Only a record with a ``ref`` accepts messages."""
        with self._lock:
            if ref is None:
                self._entries[name] = Registration(name, epoch, status)
            else:
                self._entries[name] = Registration(
                    name, epoch, status, ref, ref.actor_inbox.put, ref.actor_stopped
                )

    # -- read from anywhere -----------------------------------------------------

    def lookup(self, name: str) -> Registration | None:
        return self._entries.get(name)

    def is_current(self, name: str, epoch: int) -> bool:
        """True if incarnation ``epoch`` of ``name`` is the one accepting messages."""
        entry = self._entries.get(name)
        return entry is not None and entry.ref is not None and entry.epoch == epoch

    def _ref(self, name: str) -> pykka.ActorRef[Any]:
        entry = self._entries.get(name)
        if entry is None or entry.ref is None:
            raise ChildUnavailable(name, "unknown" if entry is None else entry.status)
        return entry.ref

    def tell(self, name: str, message: Any) -> int:
        """Deliver to the running incarnation of ``name`` and return its epoch,
        or raise :class:`ChildUnavailable`.

        A message that races the end of the incarnation may be accepted and then
        dead-lettered (counted by that incarnation, never handed to its successor).
        """
        entry = self._entries.get(name)  # ActorRef.tell inlined: this is every message's path
        if entry is None or entry.put is None or entry.stopped is None:
            raise ChildUnavailable(name, "unknown" if entry is None else entry.status)
        if entry.stopped.is_set():
            raise ChildUnavailable(name, "stopping")
        entry.put(Envelope(message))
        return entry.epoch

    def ask(self, name: str, message: Any, *, timeout: float) -> Any:
        """Ask the running incarnation of ``name``; the timeout is mandatory.

        Raises :class:`ChildUnavailable` if there is none (or it dies first),
        :class:`AskTimeout` if no reply comes in time, or whatever the handler raised.
        """
        try:
            return self._ref(name).ask(message, timeout=timeout)
        except pykka.Timeout:
            raise AskTimeout(name, timeout) from None
        except pykka.ActorDeadError:
            raise ChildUnavailable(name, "stopping") from None

    # -- monitors ---------------------------------------------------------------

    def monitor(self, watched: str, watcher: str, watcher_epoch: int) -> None:
        """``watcher``'s incarnation ``watcher_epoch`` gets a Down for every end of ``watched``.

        The monitor belongs to that watcher incarnation: it is dropped when the
        watcher's incarnation is no longer current (a restarted watcher monitors again).
        """
        with self._lock:
            self._monitors.setdefault(watched, set()).add((watcher, watcher_epoch))

    def demonitor(self, watched: str, watcher: str, watcher_epoch: int) -> None:
        with self._lock:
            self._monitors.get(watched, set()).discard((watcher, watcher_epoch))

    def notify_down(self, down: Down) -> int:
        """Tell ``down`` to each current monitor of ``down.name``; returns how many got it."""
        with self._lock:
            watchers = sorted(self._monitors.get(down.name, set()))
        delivered = 0
        for watcher, epoch in watchers:
            entry = self._entries.get(watcher)
            if entry is None or entry.epoch != epoch or entry.ref is None:
                self.demonitor(down.name, watcher, epoch)
                continue
            try:
                entry.ref.tell(down)
                delivered += 1
            except pykka.ActorDeadError:
                self.demonitor(down.name, watcher, epoch)
        return delivered
