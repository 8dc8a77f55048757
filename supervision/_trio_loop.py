"""A private trio loop on a daemon thread, for an actor that needs async I/O.

The actor stays a non-blocking state machine: it starts the loop in
``on_start``, hands it work with :meth:`TrioLoop.spawn`, hears back through its
own mailbox (the tasks ``tell`` it), and stops the loop in ``on_stop`` /
``on_failure``. A task that raises does not take the loop down: the exception
goes to ``on_error`` (typically ``lambda exc: ref.tell(LoopTaskFailed(exc))``
so the actor crashes in its own thread and the supervisor restarts it).

One clock per actor: the loop runs trio on the actor's injected
:class:`~supervision.Clock` (through :class:`TrioClock`), so ``trio.current_time()``
is ``clock.monotonic()`` and every trio sleep and timeout (``trio.sleep``,
``move_on_after``, ``fail_after``, a library's connect timeout) is measured on
it. With the :class:`~supervision.SystemClock` that is real time; with a
:class:`~supervision.ManualClock` trio's time stands still until the test
advances the clock (from any thread), and a wait whose deadline the advance
reached wakes then, never before. There is no autojump: a loop on a manual
clock whose tasks all sleep waits for the test to move time.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from supervision._clock import Clock, ManualClock, SystemClock
from supervision._errors import SupervisionError


class LoopNotRunning(SupervisionError):
    """Work was handed to a loop that is not running (never started, or stopped)."""


class TrioClock(trio.abc.Clock):
    """trio's clock read from a supervision :class:`~supervision.Clock`: pass it to
    ``trio.run(..., clock=TrioClock(clock))``; one instance per run.

    ``current_time()`` is ``clock.monotonic()``. How long the run loop may block
    before its next deadline depends on whether the clock moves by itself:

    - a :class:`~supervision.ManualClock` does not: the loop blocks until woken,
      and the clock wakes it on every ``advance`` (subscribed in
      :meth:`start_clock`, removed by :meth:`close` or by the first advance
      after the run ended); the loop then expires every deadline the new time
      reached, exactly like ``trio.testing.MockClock(rate=0)`` after ``jump``;
    - any other clock is taken to move at the rate of real time (the
      :class:`~supervision.SystemClock`): the loop blocks for the time left. A
      clock slower than real time only makes the loop wake early and wait again;
      no wait ever ends before its deadline on the injected clock.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._now = clock.monotonic
        self._manual = isinstance(clock, ManualClock)
        self._unsubscribe: Callable[[], None] | None = None

    def start_clock(self) -> None:
        """Called by ``trio.run`` in the new run: subscribe to a manual clock's advances."""
        clock = self.clock
        if isinstance(clock, ManualClock) and self._unsubscribe is None:
            token = trio.lowlevel.current_trio_token()

            def wake() -> None:
                try:
                    token.run_sync_soon(_nothing)  # the loop wakes and re-reads the time
                except trio.RunFinishedError:
                    self.close()

            self._unsubscribe = clock.on_advance(wake)

    def close(self) -> None:
        """Stop listening to the clock (after the run); idempotent."""
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def current_time(self) -> float:
        return self._now()

    def deadline_to_sleep_time(self, deadline: float) -> float:
        left = deadline - self._now()
        if left <= 0:
            return 0.0
        return math.inf if self._manual else left


def _nothing() -> None:
    """Scheduled only to wake the run loop."""


class TrioLoop:
    """Owns one ``trio.run`` on a daemon thread, on ``clock`` (default: the
    :class:`~supervision.SystemClock`; an actor passes its own ``self.clock``).
    Thread-safe: ``spawn``, ``call`` and ``stop`` may be called from any thread
    other than the loop's own."""

    def __init__(
        self,
        name: str,
        on_error: Callable[[BaseException], None],
        *,
        clock: Clock | None = None,
    ) -> None:
        self.name = name
        self.clock: Clock = clock if clock is not None else SystemClock()
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

        clock = TrioClock(self.clock)
        try:
            trio.run(host, clock=clock)
        except BaseException as exc:  # noqa: BLE001 - the loop itself failed: report it
            self._on_error(exc)
        finally:
            clock.close()
            self._token = None
            self._ready.set()
