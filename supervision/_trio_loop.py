"""A private trio loop on a daemon thread, for an actor that needs async I/O.

The actor stays a non-blocking state machine: it starts the loop in
``on_start``, hands it work with :meth:`TrioLoop.spawn`, hears back through its
own mailbox (the tasks ``tell`` it), and stops the loop in ``on_stop`` /
``on_failure``. A task that raises does not take the loop down: the exception
goes to ``on_error`` (typically ``lambda exc: ref.tell(LoopTaskFailed(exc))``
so the actor crashes in its own thread and the supervisor restarts it).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from supervision._errors import SupervisionError


class LoopNotRunning(SupervisionError):
    """Work was handed to a loop that is not running (never started, or stopped)."""


class TrioLoop:
    """Owns one ``trio.run`` on a daemon thread. Thread-safe: ``spawn``, ``call`` and
    ``stop`` may be called from any thread other than the loop's own."""

    def __init__(self, name: str, on_error: Callable[[BaseException], None]) -> None:
        self.name = name
        self._on_error = on_error
        self._token: trio.lowlevel.TrioToken | None = None
        self._nursery: trio.Nursery | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=f"trio-{name}", daemon=True)

    def start(self, timeout: float = 5.0) -> None:
        """Start the loop; returns once it accepts work. Raises ``TimeoutError``."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"trio loop {self.name!r} did not start within {timeout}s")

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self._token is not None

    def spawn(self, async_fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Start ``async_fn(*args)`` as a task; its exception goes to ``on_error``."""
        self.call(self._start_task, async_fn, args)

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop thread soon (it must not block)."""
        token = self._token
        if token is None or not self._thread.is_alive():
            raise LoopNotRunning(f"trio loop {self.name!r} is not running")
        try:
            token.run_sync_soon(fn, *args)
        except trio.RunFinishedError:
            raise LoopNotRunning(f"trio loop {self.name!r} has finished") from None

    def stop(self, timeout: float = 2.0) -> bool:
        """Cancel every task and end the loop; True if it ended within ``timeout``.

        Callable from any thread but the loop's own, any number of times.
        """
        nursery, token = self._nursery, self._token
        if nursery is not None and token is not None and self._thread.is_alive():
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(nursery.cancel_scope.cancel)
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _start_task(self, async_fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        assert self._nursery is not None
        self._nursery.start_soon(self._guard, async_fn, args)

    async def _guard(self, async_fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        try:
            await async_fn(*args)
        except trio.Cancelled:
            raise
        except BaseException as exc:  # noqa: BLE001 - reported to the owning actor
            self._on_error(exc)

    def _main(self) -> None:
        async def host() -> None:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                self._token = trio.lowlevel.current_trio_token()
                self._ready.set()
                await trio.sleep_forever()

        try:
            trio.run(host)
        except BaseException as exc:  # noqa: BLE001 - the loop itself failed: report it
            self._on_error(exc)
        finally:
            self._token = None
            self._ready.set()
