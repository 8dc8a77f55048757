"""The daemon's one-line human status, computed from tree snapshots.

It reads only what actors publish in their ``state_summary()`` (their typed
status, via the snapshot), never their private state. A value of an actor that
publishes no status of its kind (absent, or a new incarnation that has not
answered yet) shows as ``?`` rather than a made-up zero.

The line has two kinds of numbers, and says which is which::

    baskets 12 proposed / 5 reserved, orders 10, fills 9, restarts 1 since start
        | exposure $1.20 / $200.00 | pnl today $0.50 total $3.10

(one line; wrapped here). State (exposure, P&L, breaker, halt) is what risk
says now. The counters before ``since start`` are **process totals**: an
actor's own counters start again from zero in each new incarnation, so
:class:`LifetimeCounters` keeps, per actor and counter, the sum over the
incarnations that ended plus the current one's. An incarnation is recognised
by its epoch in the snapshot; when the epoch changes, the last value seen from
the old one is carried forward. What an incarnation counted after the last
snapshot before it ended is not seen, so the totals are a lower bound (off by
at most one status interval's worth per restart) -- never reset by a restart.

:class:`StatusLine` holds those totals for one tree. :func:`status_line` is the
process's own: one daemon runs per process, so its totals are the process's.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import attrs

from actors.execution import ExecutionStatus
from actors.feed import FeedStatus
from actors.risk import RiskStatus
from actors.strategy import StrategyStatus
from supervision import ActorSnapshot


def _opportunities(snapshot: ActorSnapshot) -> int | None:
    status = snapshot.status_of("strategy", StrategyStatus)
    return status.counts.opportunities if status is not None else None


def _reserved(snapshot: ActorSnapshot) -> int | None:
    status = snapshot.status_of("risk", RiskStatus)
    return status.counts.reserved if status is not None else None


def _orders_sent(snapshot: ActorSnapshot) -> int | None:
    status = snapshot.status_of("execution", ExecutionStatus)
    return status.counts.orders_sent if status is not None else None


def _fills(snapshot: ActorSnapshot) -> int | None:
    status = snapshot.status_of("risk", RiskStatus)
    return status.counts.fills if status is not None else None


# counter -> (the actor that counts it, its value in that actor's current status or None)
COUNTERS: dict[str, tuple[str, Callable[[ActorSnapshot], int | None]]] = {
    "opportunities": ("strategy", _opportunities),
    "reserved": ("risk", _reserved),
    "orders_sent": ("execution", _orders_sent),
    "fills": ("risk", _fills),
}


def dollars(value: Decimal | None) -> str:
    """An exact amount of dollars as an operator reads it: ``$1,234.50``, ``-$0.0175``
    (at least 2 decimals, more when the amount has them: never rounded); ``?`` for None."""
    if value is None:
        return "?"
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{'-' if value < 0 else ''}${abs(value):,.{places}f}"


@attrs.define
class LifetimeCounters:
    """Counters summed over every incarnation of an actor seen so far.

    :meth:`observe` takes one incarnation's (``epoch``) current value; a new
    epoch folds the previous incarnation's last value into the total.
    """

    _ended: dict[str, int] = attrs.field(factory=dict)
    _current: dict[str, tuple[int, int]] = attrs.field(factory=dict)  # name -> (epoch, value)

    def observe(self, name: str, epoch: int, value: int) -> None:
        seen = self._current.get(name)
        if seen is not None and seen[0] != epoch:
            self._ended[name] = self._ended.get(name, 0) + seen[1]
        self._current[name] = (epoch, value)

    def total(self, name: str) -> int | None:
        """Ended incarnations plus the current one; None if never observed."""
        if name not in self._current:
            return None
        return self._ended.get(name, 0) + self._current[name][1]


LAG_SHOWN_S = 0.5
"""The feed's lag behind venue time (:mod:`actors.feed._venue_time`) the status line names."""


@attrs.define
class StatusLine:
    """Renders status lines for one tree, keeping its counters' process totals."""

    counters: LifetimeCounters = attrs.field(factory=LifetimeCounters)

    def observe(self, snapshot: ActorSnapshot) -> None:
        for name, (actor, read) in COUNTERS.items():
            node = snapshot.get(actor)
            value = read(snapshot)
            if node is not None and value is not None:
                self.counters.observe(name, node.epoch, value)

    def total(self, name: str) -> int | str:
        total = self.counters.total(name)
        return "?" if total is None else total

    def __call__(self, snapshot: ActorSnapshot) -> str:
        """e.g. ``baskets 12 proposed / 5 reserved, ... | exposure $1.20 / $200.00 | ...``"""
        self.observe(snapshot)
        risk = snapshot.status_of("risk", RiskStatus)
        restarts = sum(node.restarts for node in snapshot.walk())
        down = [n.name for n in snapshot.walk() if n.kind == "worker" and n.status != "running"]
        parts = [
            f"baskets {self.total('opportunities')} proposed / {self.total('reserved')} reserved,"
            f" orders {self.total('orders_sent')}, fills {self.total('fills')},"
            f" restarts {restarts} since start",
            _risk_state(risk),
        ]
        if risk is not None and risk.breaker.state != "closed":
            halt = f" ({risk.breaker.halt_reason})" if risk.breaker.halt_reason else ""
            parts.append(f"breaker {risk.breaker.state}{halt}")
        if risk is not None and risk.halted:
            parts.append(f"HALTED ({risk.halt_reason})")
        feed = snapshot.status_of("feed", FeedStatus)
        if feed is not None and feed.venue_lag_s is not None and feed.venue_lag_s >= LAG_SHOWN_S:
            parts.append(f"feed {feed.venue_lag_s:.1f}s behind the venue")
        if down:
            parts.append(f"not running: {', '.join(down)}")
        return " | ".join(parts)


def _risk_state(risk: RiskStatus | None) -> str:
    """``exposure $1.20 / $200.00 | pnl today $0.50 total $3.10``; ``?`` for each while
    risk publishes no status."""
    if risk is None:
        return "exposure ? / ? | pnl today ? total ?"
    return (
        f"exposure {dollars(risk.exposure.total)}"
        f" / {dollars(risk.limits.max_total_exposure)}"
        f" | pnl today {dollars(risk.realised_pnl_today)}"
        f" total {dollars(risk.realised_pnl_total)}"
    )


_PROCESS = StatusLine()


def status_line(snapshot: ActorSnapshot) -> str:
    """The process's status line for ``snapshot`` (totals kept across calls; see the module)."""
    return _PROCESS(snapshot)
