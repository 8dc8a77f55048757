"""Whether an injected fault was actually exercised: did the daemon run into it?

A fault whose knob was set while nothing used the broken path proves nothing,
so the report counts "injected" and "exercised" apart. The signals, read
from the harness's polls between injection and two seconds after the heal
(and from venue truth for partial fills):

- actor crash/hang/restart: the actor's epoch rose; slow/flood: accepted;
- venue REST faults: execution's error, retry, rate-limit or unknown-outcome
  counters rose (latency: an order was sent);
- venue stream faults: a feed gap/resync/reconnect/reject counter rose, or
  the daemon was not ready;
- partial fills: a trader order in the window filled partly;
- SIGKILL: the daemon came back; halt: risk was seen halted;
- second daemon: it ended (refused, or killed at its deadline) while the first
  was alive, so it met the first's hold on the ledger;
- storage: persistence failed, queued work, halted, or was not ready;
- clock: the daemon accepted the offset.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

_EXEC_ERRORS = ("venue_errors", "retries", "rate_limit_waits", "unknown_outcomes_resolved")
_FEED = (
    "gaps",
    "resyncs",
    "reconnects",
    "rejected",
    "out_of_order",
    "late_messages",
    "stale_reported",
    "connection_number",
)


def _rose(polls: list[dict[str, Any]], section: str, keys: tuple[str, ...]) -> bool:
    for before, after in pairwise(polls):
        if before.get("pid") != after.get("pid"):
            continue
        old, new = before.get(section) or {}, after.get(section) or {}
        if any(_amount(new.get(k)) > _amount(old.get(k)) for k in keys):
            return True
    return False


def _amount(value: Any) -> int:
    """A counter as published: a number, or a per-reason/per-market dict of them."""
    if isinstance(value, dict):
        return sum(_amount(v) for v in value.values())
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _window(record: dict[str, Any], polls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    start = record["inject_t"] - 0.3
    end = (record.get("heal_t") or record["inject_t"]) + 2.0
    return [poll for poll in polls if start <= poll["t"] <= end]


def exercised(  # noqa: PLR0911 - one answer per fault kind, read as a table
    record: dict[str, Any], polls: list[dict[str, Any]], truth: list[dict[str, Any]]
) -> bool:
    """Whether the fault of ``record`` (a runner fault record) touched the daemon."""
    if not record.get("injected"):
        return False
    name = record["fault"]
    window = _window(record, polls)
    if name in ("actor.slow", "actor.flood") or name.startswith("clock."):
        return True
    if name.startswith("actor."):
        actor = record["params"].get("actor", "")
        return record.get("recovered_t") is not None or any(
            a.get("pid") == b.get("pid")
            and (b.get("epochs") or {}).get(actor, 0) > (a.get("epochs") or {}).get(actor, 0)
            for a, b in pairwise(window)
        )
    if name == "venue.latency":
        return _rose(window, "execution", ("orders_sent",))
    if name in ("venue.rate_limit", "venue.server_error", "venue.hang"):
        return _rose(window, "execution", _EXEC_ERRORS)
    if name == "venue.timeout_after_apply":
        return _rose(window, "execution", _EXEC_ERRORS)
    if name == "venue.partial_fill":
        return _partly_filled(record, truth)
    if name.startswith("venue."):
        return _rose(window, "feed", _FEED) or any(not p.get("ready") for p in window)
    if name == "process.sigkill":
        return record.get("heal_t") is not None and any(p.get("up") for p in window)
    if name == "process.second_daemon":
        return bool((record.get("heal_answer") or {}).get("first_alive"))
    if name == "process.halt":
        return any(p.get("halted") for p in window)
    if name.startswith("storage."):
        return any(
            p.get("halted") or not p.get("ready") or (p.get("mailboxes") or {}).get("persistence")
            for p in window
        ) or _rose_value(window, "persistence_failures")
    return False


def _rose_value(polls: list[dict[str, Any]], key: str) -> bool:
    return any(
        a.get("pid") == b.get("pid") and int(b.get(key) or 0) > int(a.get(key) or 0)
        for a, b in pairwise(polls)
    )


def _partly_filled(record: dict[str, Any], truth: list[dict[str, Any]]) -> bool:
    start, end = record["inject_t"], (record.get("heal_t") or record["inject_t"]) + 0.5
    accepted = {
        e["record"]["order_id"]: int(e["record"]["initial_count"])
        for e in truth
        if e["kind"] == "order_accepted" and start <= e["ts"] <= end
    }
    filled: dict[str, int] = {}
    for entry in truth:
        if entry["kind"] == "fill" and entry["record"]["order_id"] in accepted:
            order_id = entry["record"]["order_id"]
            filled[order_id] = filled.get(order_id, 0) + int(entry["record"]["count"])
    return any(0 < filled.get(o, 0) < count for o, count in accepted.items())
