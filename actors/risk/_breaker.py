"""The circuit breaker: venue health from classified errors, as a pure state machine.

::

             failure_threshold transient failures within window_s
    CLOSED ───────────────────────────────────────────────────────▶ OPEN
      ▲                                                     │  ▲
      │ a success         cooldown_s after the last failure │  │ a failure
      │                           (seen on the next event)  ▼  │
      └──────────────────────────────────────────────── HALF_OPEN
                           up to half_open_max_reservations probes in flight

    any state ──── trip(reason): the venue says it takes no new orders ────▶ OPEN

:class:`CircuitBreaker` is a frozen value: every event returns the next
breaker and never reads a clock; the caller passes ``now`` (monotonic seconds).
OPEN turns into HALF_OPEN lazily, when the next event arrives after the
cooldown; there are no timers.  A failure while OPEN re-arms the cooldown (the
venue is still failing); a success while OPEN changes nothing (only a probe
made after the cooldown may close the breaker).

A venue halt (:class:`~actors.errors.VenueTradingHalted`: paused, cancel-only)
trips the breaker (:meth:`CircuitBreaker.trip`): OPEN at once, whatever the count,
with ``halt_reason`` set.  The reason stays through OPEN and HALF_OPEN (a
failure then re-opens with it) and is cleared only when a probe succeeds and the
breaker closes: the venue accepting an order again is what "cleared" means.
"""

from __future__ import annotations

import enum

import attrs
from attrs import field, frozen

from actors import _checks
from supervision import validators

# A duration: a finite int or float > 0 (not bool, not NaN). _checks.fail raises the
# InvalidFieldError itself, so the rule never gets an exception back to raise.
_positive_seconds = validators.seconds(0, error=_checks.fail)


@frozen
class BreakerConfig:
    """When the breaker opens and how it recovers.

    ``failure_threshold`` transient failures within ``window_s`` seconds open
    it; ``cooldown_s`` after the last failure it lets ``half_open_max_reservations``
    probe reservations through at a time.  Construction raises
    :class:`~actors.errors.InvalidFieldError` naming the field for a count that
    is not a positive ``int`` or a duration that is not a finite number > 0.
    """

    failure_threshold: int = field(default=5, validator=_checks.positive_int)
    window_s: float = field(default=10.0, validator=_positive_seconds)
    cooldown_s: float = field(default=30.0, validator=_positive_seconds)
    half_open_max_reservations: int = field(default=1, validator=_checks.positive_int)


class BreakerState(enum.Enum):
    CLOSED = "closed"  # trading normally; failures are counted in a sliding window
    OPEN = "open"  # no new reservation until the cooldown has passed
    HALF_OPEN = "half_open"  # a few probe reservations may go; their fate decides


@frozen
class CircuitBreaker:
    """The breaker's state at one moment; events return the next one.

    ``failures`` are the monotonic times of the transient failures still in the
    window (CLOSED only); ``opened_at`` is when it last opened or re-armed;
    ``probes`` counts probe reservations in flight while HALF_OPEN;
    ``times_opened`` counts CLOSED/HALF_OPEN -> OPEN transitions, for introspection;
    ``halt_reason`` is set from a :meth:`trip` until the breaker closes again (the
    venue said it takes no new orders, e.g. ``"venue is cancel-only: ..."``).
    """

    config: BreakerConfig
    state: BreakerState = BreakerState.CLOSED
    failures: tuple[float, ...] = ()
    opened_at: float | None = None
    probes: int = 0
    times_opened: int = 0
    halt_reason: str | None = None

    def at(self, now: float) -> CircuitBreaker:
        """The breaker as of ``now``: OPEN becomes HALF_OPEN once the cooldown has passed."""
        if (
            self.state is BreakerState.OPEN
            and self.opened_at is not None
            and now - self.opened_at >= self.config.cooldown_s
        ):
            return attrs.evolve(self, state=BreakerState.HALF_OPEN, probes=0)
        return self

    def allows_reservation(self, now: float) -> bool:
        """Whether a new reservation may be made at ``now`` (does not take a probe)."""
        current = self.at(now)
        if current.state is BreakerState.CLOSED:
            return True
        if current.state is BreakerState.HALF_OPEN:
            return current.probes < self.config.half_open_max_reservations
        return False

    def reserve(self, now: float) -> CircuitBreaker:
        """The breaker after a reservation was made at ``now``: HALF_OPEN takes a probe.

        Raises ``ValueError`` if :meth:`allows_reservation` is false: the caller
        must ask first (that it did not is a logic error, never a venue fault).
        """
        if not self.allows_reservation(now):
            raise ValueError(f"breaker is {self.at(now).state.value}: no reservation allowed")
        current = self.at(now)
        if current.state is BreakerState.HALF_OPEN:
            return attrs.evolve(current, probes=current.probes + 1)
        return current

    def probe_abandoned(self, now: float) -> CircuitBreaker:
        """A probe ended with neither success nor failure (e.g. nothing could be placed
        for a reason that is not the venue's): its slot is free again."""
        current = self.at(now)
        if current.state is BreakerState.HALF_OPEN and current.probes > 0:
            return attrs.evolve(current, probes=current.probes - 1)
        return current

    def record_success(self, now: float) -> CircuitBreaker:
        """The venue served a request well. HALF_OPEN closes; OPEN waits for its cooldown."""
        current = self.at(now)
        if current.state is BreakerState.HALF_OPEN:
            return attrs.evolve(
                current,
                state=BreakerState.CLOSED,
                failures=(),
                opened_at=None,
                probes=0,
                halt_reason=None,
            )
        return current

    def record_failure(self, now: float) -> CircuitBreaker:
        """A transient venue failure at ``now``.

        CLOSED: counted; the threshold within the window opens the breaker.
        HALF_OPEN: reopens at once.  OPEN: re-arms the cooldown from ``now``.
        """
        current = self.at(now)
        if current.state is BreakerState.OPEN:
            return attrs.evolve(current, opened_at=now)
        if current.state is BreakerState.HALF_OPEN:
            return current._opened(now, current.halt_reason)
        horizon = now - self.config.window_s
        recent = (*(t for t in current.failures if t > horizon), now)
        if len(recent) >= self.config.failure_threshold:
            return current._opened(now)
        return attrs.evolve(current, failures=recent)

    def trip(self, now: float, reason: str) -> CircuitBreaker:
        """The venue said at ``now`` that it takes no new orders (``reason``): OPEN at
        once whatever the count (from OPEN: the cooldown re-armed), ``halt_reason``
        set until a probe succeeds."""
        current = self.at(now)
        if current.state is BreakerState.OPEN:
            return attrs.evolve(current, opened_at=now, halt_reason=reason)
        return current._opened(now, reason)

    def failures_in_window(self, now: float) -> int:
        """Transient failures counted in the window ending at ``now`` (0 unless CLOSED)."""
        horizon = now - self.config.window_s
        return sum(1 for t in self.failures if t > horizon)

    def _opened(self, now: float, halt_reason: str | None = None) -> CircuitBreaker:
        return CircuitBreaker(
            self.config,
            state=BreakerState.OPEN,
            opened_at=now,
            times_opened=self.times_opened + 1,
            halt_reason=halt_reason,
        )
