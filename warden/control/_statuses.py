"""Reading a served tree snapshot back into typed statuses: :func:`read_snapshot`.

``GET /actors`` (and ``/actors/{name}``) serve :func:`supervision.snapshot_to_dict`:
each actor's status crosses as its fields plus ``"type": "<class name>"``.
:func:`supervision.snapshot_from_dict` turns that back into the same classes,
but only those registered when it runs; importing this module imports every
actor package whose status the daemon's tree publishes
(:data:`STATUS_KINDS`), so a reader in another process (the CLI, the chaos
harness) gets the same typed statuses as one inside the daemon.

Failure behaviour: anything that is not a snapshot this code can read -- not a
JSON object, a missing field, a status type it does not know (a daemon of
another version) -- raises :class:`UnreadableSnapshot` saying why; never a
half-read snapshot.
"""

from __future__ import annotations

from cattrs.errors import BaseValidationError
from cattrs.v import format_exception, transform_error

from actors.execution import ExecutionStatus
from actors.feed import FeedStatus
from actors.persistence import PersistenceStatus
from actors.risk import RiskStatus
from actors.strategy import StrategyStatus
from supervision import ActorSnapshot, snapshot_from_dict

STATUS_KINDS = (ExecutionStatus, FeedStatus, PersistenceStatus, RiskStatus, StrategyStatus)


class UnreadableSnapshot(ValueError):
    """A served snapshot this code cannot read (``detail`` says why)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"unreadable actor snapshot: {detail}")
        self.detail = detail


def read_snapshot(data: object) -> ActorSnapshot:
    """The :class:`ActorSnapshot` that ``data`` (parsed JSON of ``GET /actors`` or
    ``/actors/{name}``) describes, statuses typed; :class:`UnreadableSnapshot` if not."""
    if not isinstance(data, dict):
        raise UnreadableSnapshot(f"expected a JSON object, got {type(data).__name__}")
    try:
        return snapshot_from_dict(data)
    except (BaseValidationError, ValueError, TypeError, KeyError) as error:
        raise UnreadableSnapshot(describe(error)) from error


def describe(error: Exception) -> str:
    """What cattrs could not structure, and where (``... @ $.children[0].summary``); a
    ``ValueError`` keeps its own words (e.g. the unknown status type it names)."""
    if not isinstance(error, BaseValidationError):
        return f"{type(error).__name__}: {error}"
    return "; ".join(transform_error(error, format_exception=_why))


def _why(error: BaseException, kind: type | None) -> str:
    if type(error) is ValueError:
        return str(error)
    return format_exception(error, kind)
