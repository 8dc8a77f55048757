"""Synthetic tree snapshots for tests of pure functions of a snapshot (readiness,
the shutdown report, the portfolio, the status line): one worker node with a
status (see :mod:`tests.warden.statuses`), defaults for the rest, and a root over
some of them."""

from __future__ import annotations

from typing import Any

import attrs

from supervision import ActorSnapshot


def node(name: str, summary: object | None, **fields: Any) -> ActorSnapshot:
    """A running worker ``warden/<name>`` publishing the status ``summary`` (None: no
    status yet); ``fields`` override."""
    values: dict[str, Any] = {
        "name": name,
        "path": f"warden/{name}",
        "kind": "worker",
        "status": "running",
        "epoch": 1,
        "restarts": 0,
        "uptime_s": 3.0,
        "mailbox": 0,
        "processed": 10,
        "inflight_age_s": None,
        "stale_dropped": 0,
        "dead_letters": 0,
        "last_failure": None,
        "summary": summary,
    }
    values.update(fields)
    return ActorSnapshot(**values)


def tree(*children: ActorSnapshot) -> ActorSnapshot:
    """The root supervisor ``warden`` over ``children``."""
    root = node("warden", None, path="warden", kind="supervisor")
    return attrs.evolve(root, children=children)
