"""Messages the runtime defines: what actors receive from it, and what it hears from them."""

from __future__ import annotations

import enum
from typing import Any

import attrs


class DownReason(enum.Enum):
    """Why an incarnation ended."""

    CRASH = "crash"  # a tell handler raised, or on_stop raised
    HANG = "hang"  # one message outlived the hang deadline; the incarnation was fenced
    START_FAILURE = "start_failure"  # on_start raised or outlived start_timeout
    NORMAL = "normal"  # the actor stopped itself
    SHUTDOWN = "shutdown"  # its supervisor stopped it (shutdown, sibling restart, manual restart)
    KILLED = "killed"  # it ignored a stop past shutdown_timeout and was abandoned

    @property
    def abnormal(self) -> bool:
        """True for the reasons a TRANSIENT child is restarted after."""
        return self in (DownReason.CRASH, DownReason.HANG, DownReason.START_FAILURE)


@attrs.frozen
class Down:
    """Sent to every monitor of ``name`` when incarnation ``epoch`` of it ends."""

    name: str
    epoch: int
    reason: DownReason
    detail: str = ""


@attrs.frozen
class Tagged:
    """A message between actors, stamped with the sender's name and epoch.

    Receivers drop it (and count it as stale) when ``epoch`` is no longer the
    sender's running incarnation: a fenced or dead incarnation cannot speak.
    """

    sender: str
    epoch: int
    body: Any


# Lifecycle reports, from an incarnation to its supervisor (internal).


@attrs.frozen
class Started:
    name: str
    epoch: int


@attrs.frozen
class Ended:
    name: str
    epoch: int
    reason: DownReason
    error: BaseException | None
    processed: int
    stale_dropped: int
    dead_letters: int
    latency_counts: tuple[int, ...] = ()
    latency_sum: float = 0.0
    received: int = 0  # envelopes put in its mailbox while it could still take them
    runtime_handled: int = 0  # stop and summary requests among them


class SummaryRequest:
    """Asks an actor for its ``state_summary()``; not counted as a processed message."""
