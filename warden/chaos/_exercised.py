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
- SIGKILL: the daemon came back; a feed worker's: the feed's epoch rose;
  halt: risk was seen halted;
- second daemon: it ended (refused, or killed at its deadline) while the first
  was alive, so it met the first's hold on the ledger;
- storage: persistence failed, queued work, halted, or was not ready;
- clock: the daemon accepted the offset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from itertools import pairwise

from warden.chaos._history import wire_decimal

#: a JSON object as journaled (a poll, a venue truth entry, a fault record's JSON)
Record = Mapping[str, object]

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


def _section(record: Record, key: str) -> Record:
    """An object-valued field; missing, ``null`` or not an object reads as empty."""
    value = record.get(key)
    return value if isinstance(value, Mapping) else {}


def _time(record: Record, key: str) -> float:
    """A timestamp field. Raises ``KeyError`` if missing, ``TypeError`` if no number."""
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{key} must be a number, got {value!r}")
    return float(value)


def _rose(polls: Sequence[Record], section: str, keys: tuple[str, ...]) -> bool:
    for before, after in pairwise(polls):
        if before.get("pid") != after.get("pid"):
            continue
        old, new = _section(before, section), _section(after, section)
        if any(_amount(new.get(k)) > _amount(old.get(k)) for k in keys):
            return True
    return False


def _amount(value: object) -> int:
    """A counter as published: a number, or a per-reason/per-market dict of them."""
    if isinstance(value, Mapping):
        return sum(_amount(v) for v in value.values())
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _window(record: Record, polls: Sequence[Record]) -> list[Record]:
    inject_t = _time(record, "inject_t")
    start = inject_t - 0.3
    end = (_time(record, "heal_t") if record.get("heal_t") else inject_t) + 2.0
    return [poll for poll in polls if start <= _time(poll, "t") <= end]


def _epoch_rose(window: Sequence[Record], actor: object) -> bool:
    def epoch(poll: Record) -> int:
        return _amount(_section(poll, "epochs").get(str(actor), 0))

    return any(a.get("pid") == b.get("pid") and epoch(b) > epoch(a) for a, b in pairwise(window))


def exercised(  # noqa: PLR0911, PLR0912 - one answer per fault kind, read as a table
    record: Record, polls: Sequence[Record], truth: Sequence[Record]
) -> bool:
    """Whether the fault of ``record`` (a runner fault record's JSON) touched the daemon.
    Raises ``KeyError`` / ``TypeError`` / ``ValueError`` for a record, poll or truth
    entry missing a field it needs or holding it mistyped (a count that is not a
    fixed-point string): a harness bug, never read as "not exercised"."""
    if not record.get("injected"):
        return False
    name = str(record["fault"])
    window = _window(record, polls)
    if name in ("actor.slow", "actor.flood") or name.startswith("clock."):
        return True
    if name.startswith("actor."):
        actor = _section(record, "params").get("actor", "")
        return record.get("recovered_t") is not None or _epoch_rose(window, actor)
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
    if name == "process.feed_worker":
        return record.get("recovered_t") is not None or _epoch_rose(window, "feed")
    if name == "process.sigkill":
        return record.get("heal_t") is not None and any(p.get("up") for p in window)
    if name == "process.second_daemon":
        return bool(_section(record, "heal_answer").get("first_alive"))
    if name == "process.halt":
        return any(p.get("halted") for p in window)
    if name.startswith("storage."):
        return any(
            p.get("halted") or not p.get("ready") or _section(p, "mailboxes").get("persistence")
            for p in window
        ) or _rose_value(window, "persistence_failures")
    return False


def _rose_value(polls: Sequence[Record], key: str) -> bool:
    return any(
        a.get("pid") == b.get("pid") and _amount(b.get(key)) > _amount(a.get(key))
        for a, b in pairwise(polls)
    )


def _partly_filled(record: Record, truth: Sequence[Record]) -> bool:
    inject_t = _time(record, "inject_t")
    start = inject_t
    end = (_time(record, "heal_t") if record.get("heal_t") else inject_t) + 0.5
    accepted: dict[object, Decimal] = {}
    for entry in truth:
        if entry["kind"] == "order_accepted" and start <= _time(entry, "ts") <= end:
            order = _section(entry, "record")
            accepted[order["order_id"]] = _count(order, "initial_count_fp")
    filled: dict[object, Decimal] = {}
    for entry in truth:
        order = _section(entry, "record")
        if entry["kind"] == "fill" and order["order_id"] in accepted:
            order_id = order["order_id"]
            filled[order_id] = filled.get(order_id, Decimal(0)) + _count(order, "count_fp")
    return any(0 < filled.get(o, Decimal(0)) < count for o, count in accepted.items())


def _count(record: Record, key: str) -> Decimal:
    """A count of contracts as the venue writes it (a ``*_fp`` fixed-point string),
    exact. Raises ``KeyError`` if missing, ``ValueError`` if not such a string."""
    return wire_decimal(record, key)
