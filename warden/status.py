"""The daemon's one-line human status, computed from tree snapshots.

It reads only what actors publish in their ``state_summary()`` (via the
snapshot), never their private state. A key an actor does not (yet) publish
shows as ``?`` rather than a made-up zero.

The line has two kinds of numbers, and says which is which::

    opps 12 seen / 5 taken, orders 10, fills 9, restarts 1 since start
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

from typing import Any

import attrs

from supervision import ActorSnapshot

# (actor, path in its summary); a key missing from a published ``counts`` dict is 0.
COUNTERS = {
    "opportunities": ("strategy", ("opportunities",)),
    "reserved": ("risk", ("counts", "reserved")),
    "orders_sent": ("execution", ("counts", "orders_sent")),
    "fills": ("risk", ("counts", "fills")),
}


def _get(node: ActorSnapshot | None, *path: str) -> Any:
    value: Any = node.summary if node is not None else None
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return "?"
        value = value[key]
    return value


def _counter(node: ActorSnapshot | None, path: tuple[str, ...]) -> int | None:
    """The counter's value in this incarnation's summary; None when not published."""
    if path[0] == "counts":
        counts = _get(node, "counts")
        value = counts.get(path[1], 0) if isinstance(counts, dict) else None
    else:
        value = _get(node, *path)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _cents(value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return "?"
    return f"{'-' if value < 0 else ''}${abs(value) / 100:,.2f}"


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


@attrs.define
class StatusLine:
    """Renders status lines for one tree, keeping its counters' process totals."""

    counters: LifetimeCounters = attrs.field(factory=LifetimeCounters)

    def observe(self, snapshot: ActorSnapshot) -> None:
        for name, (actor, path) in COUNTERS.items():
            node = snapshot.get(actor)
            value = _counter(node, path)
            if node is not None and value is not None:
                self.counters.observe(name, node.epoch, value)

    def total(self, name: str) -> Any:
        total = self.counters.total(name)
        return "?" if total is None else total

    def __call__(self, snapshot: ActorSnapshot) -> str:
        """e.g. ``opps 12 seen / 5 taken, ... since start | exposure $1.20 / $200.00 | ...``"""
        self.observe(snapshot)
        risk = snapshot.get("risk")
        restarts = sum(node.restarts for node in snapshot.walk())
        down = [n.name for n in snapshot.walk() if n.kind == "worker" and n.status != "running"]
        parts = [
            f"opps {self.total('opportunities')} seen / {self.total('reserved')} taken,"
            f" orders {self.total('orders_sent')}, fills {self.total('fills')},"
            f" restarts {restarts} since start",
            f"exposure {_cents(_get(risk, 'exposure_cents', 'total'))}"
            f" / {_cents(_get(risk, 'limits', 'max_total_exposure_cents'))}",
            f"pnl today {_cents(_get(risk, 'realised_pnl_today_cents'))}"
            f" total {_cents(_get(risk, 'realised_pnl_total_cents'))}",
        ]
        breaker = _get(risk, "breaker", "state")
        if breaker not in ("closed", "?"):
            parts.append(f"breaker {breaker}")
        if _get(risk, "halted") is True:
            parts.append(f"HALTED ({_get(risk, 'halt_reason')})")
        if down:
            parts.append(f"not running: {', '.join(down)}")
        return " | ".join(parts)


_PROCESS = StatusLine()


def status_line(snapshot: ActorSnapshot) -> str:
    """The process's status line for ``snapshot`` (totals kept across calls; see the module)."""
    return _PROCESS(snapshot)
