"""The daemon's history: an append-only JSONL file of what it did, for the chaos checkers.

``warden run`` always writes ``<daemon.runtime_dir>/history.jsonl`` (appended
to across restarts of the daemon; one JSON object per line, each line flushed
as it is written, so a SIGKILL loses at most the line being written). It is a
loguru sink: actors never touch the file, they log with
``logger.bind(history="<kind>", ...)`` and the sink turns the record's bound
fields into a line. The supervision runtime's own ``down``, ``restart``,
``hang`` and ``escalation`` events become lines too, without any change to it.

Every line has ``"t"`` (the REAL wall time of the log call, never the chaos
clock's), ``"pid"`` (the process that wrote it: with one daemon per ledger, which
process sent an order is a fact in the file, not an inference) and ``"kind"``.
For a ``history=...`` record the other keys are the record's bound fields (so
also ``child``/``epoch`` of the actor incarnation that logged it, when it logged
from its own thread). Each line is read into its typed record of
:mod:`actors.history` (one class per kind: the fields, their types and what they
mean are documented there) and written back through the same converter, so the
file holds exactly the shape the chaos harness reads, every field present
(``null`` when absent).

Failure behaviour: the sink never raises into the code that logged (loguru
catches and reports a sink error on stderr). A record that is not exactly one
history record (a renamed or missing field, a value of the wrong type) is
written as it came, each value that is not JSON-able as its ``str``: the reader
counts it as malformed and reports it, never takes it as evidence.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, TYPE_CHECKING

from loguru import logger

from actors.history import RUNTIME_KINDS, MalformedLine, read_line, write_line

if TYPE_CHECKING:
    from loguru import Message, Record

HISTORY_FILE = "history.jsonl"
RUNTIME_EVENTS = RUNTIME_KINDS
_RUNTIME_FIELDS = ("reason", "supervisor", "delay", "attempt", "group")


def is_history(record: Record) -> bool:
    """The loguru filter: a ``history=`` record, or one of the runtime's life events."""
    extra = record["extra"]
    return "history" in extra or (extra.get("event") in RUNTIME_EVENTS and "supervisor" in extra)


def history_entry(record: Record) -> dict[str, object]:
    """The flat fields of one (filtered) loguru record, before they are typed (the
    values are whatever the logging call bound: :func:`history_line` types them)."""
    extra = record["extra"]
    entry: dict[str, object] = {"t": record["time"].timestamp(), "pid": record["process"].id}
    kind = extra.get("history")
    if kind is not None:
        entry["kind"] = kind
        entry.update((key, value) for key, value in extra.items() if key != "history")
        return entry
    entry["kind"] = extra["event"]
    entry["actor"] = extra.get("child")
    entry["epoch"] = extra.get("epoch")
    entry.update((key, extra[key]) for key in _RUNTIME_FIELDS if key in extra)
    entry["message"] = record["message"]
    return entry


def history_line(record: Record) -> str:
    """The line (no newline) of one (filtered) loguru record: its typed record written
    by :func:`actors.history.write_line`, or, when it is not one, its fields as they
    came (the reader reports it as malformed)."""
    entry = history_entry(record)
    try:
        return write_line(read_line(entry))
    except MalformedLine:
        return json.dumps(entry, default=str, separators=(",", ":"))


class History:
    """The open history file and its loguru handler; :meth:`close` removes both."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Owner-only whatever the umask (it names orders and reasons); an existing
        # file's looser mode is tightened. Line-buffered: each write of a whole line
        # reaches the OS at once.
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(descriptor, 0o600)
        self._file: IO[str] | None = os.fdopen(descriptor, "a", buffering=1, encoding="utf-8")
        self._handler = logger.add(
            self._write, level="DEBUG", filter=is_history, format="{message}", catch=True
        )

    def _write(self, message: Message) -> None:
        file = self._file
        if file is None:
            return
        file.write(history_line(message.record) + "\n")

    def close(self) -> None:
        """Stop writing; idempotent."""
        if self._file is None:
            return
        logger.remove(self._handler)  # waits for a line being written by another thread
        file, self._file = self._file, None
        file.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_history(runtime_dir: Path) -> History:
    """Start appending to ``runtime_dir/history.jsonl`` (creating the directory)."""
    return History(runtime_dir / HISTORY_FILE)
