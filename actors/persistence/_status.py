"""The persistence actor's status: what ``PersistenceActor.state_summary()`` publishes."""

from __future__ import annotations

import attrs

from supervision import status_type


@status_type
@attrs.frozen
class PersistenceStatus:
    """The ledger file and what was written to it by this incarnation.

    ``open``: the writer's connection is open (a connection that broke on a
    failure is reopened by the next Record). ``schema_version`` is ``None``
    until the ledger was opened. ``last_commit_at`` is the wall-clock time of
    the last committed Record; ``transactions``/``events`` count committed
    Records and their events; ``failures`` counts failed Records, the last
    one's error in ``last_error``. ``pending`` is always 0 between messages
    (each Record commits or fails inside its handler; the queue is the
    runtime's ``mailbox``).
    """

    db_path: str
    open: bool
    schema_version: int | None
    last_commit_at: float | None = None
    transactions: int = 0
    events: int = 0
    failures: int = 0
    last_error: str | None = None
    pending: int = 0
    unknown_messages: int = 0
