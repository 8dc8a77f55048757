"""The daemon's one-line human status, computed from a tree snapshot.

It reads only what actors publish in their ``state_summary()`` (via the
snapshot), never their private state. A key an actor does not (yet) publish
shows as ``?`` rather than a made-up zero.
"""

from __future__ import annotations

from typing import Any

from supervision import ActorSnapshot


def _get(node: ActorSnapshot | None, *path: str) -> Any:
    value: Any = node.summary if node is not None else None
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return "?"
        value = value[key]
    return value


def _find(snapshot: ActorSnapshot, name: str) -> ActorSnapshot | None:
    try:
        return snapshot.find(name)
    except KeyError:
        return None


def _count(node: ActorSnapshot | None, key: str) -> Any:
    """A counter from the actor's ``counts``: absent from a present dict means 0."""
    counts = _get(node, "counts")
    return counts.get(key, 0) if isinstance(counts, dict) else "?"


def _cents(value: Any) -> str:
    return f"${value / 100:,.2f}" if isinstance(value, int) else "?"


def status_line(snapshot: ActorSnapshot) -> str:
    """e.g. ``opps 12 seen / 5 taken | orders 10 fills 9 | exposure $1.20 / $200.00 | ...``"""
    strategy = _find(snapshot, "strategy")
    risk = _find(snapshot, "risk")
    execution = _find(snapshot, "execution")
    restarts = sum(node.restarts for node in snapshot.walk())
    down = [n.name for n in snapshot.walk() if n.kind == "worker" and n.status != "running"]
    parts = [
        f"opps {_get(strategy, 'opportunities')} seen / {_count(risk, 'reserved')} taken",
        f"orders {_count(execution, 'orders_sent')} fills {_count(risk, 'fills')}",
        f"exposure {_cents(_get(risk, 'exposure_cents', 'total'))}"
        f" / {_cents(_get(risk, 'limits', 'max_total_exposure_cents'))}",
        f"pnl {_cents(_get(risk, 'realised_pnl_today_cents'))}",
        f"restarts {restarts}",
    ]
    breaker = _get(risk, "breaker", "state")
    if breaker not in ("closed", "?"):
        parts.append(f"breaker {breaker}")
    if _get(risk, "halted") is True:
        parts.append(f"HALTED ({_get(risk, 'halt_reason')})")
    if down:
        parts.append(f"not running: {', '.join(down)}")
    return " | ".join(parts)
