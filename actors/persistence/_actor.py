"""The persistence actor: the ledger's only writer. Fails closed.

Contract:
- ``on_start`` opens (creates, migrates) the ledger; if it cannot, the start
  fails with a :class:`~actors.errors.LedgerError` naming the path, and the
  supervisor retries with backoff.
- ``Record(request_id, events)``: all events are written in ONE transaction,
  with the day's statistics. The answer -- ``Recorded(request_id)`` or
  ``RecordFailed(request_id, error)`` -- goes to ``message_sender`` through
  ``send`` when the Record came from another actor, and is also the return
  value, so ``ask`` works too. A sender that is gone is logged, not retried.
- On ANY failure (cannot encode, conflict, SQLite error) nothing of the Record
  is written, the sender gets ``RecordFailed`` and ``Halt(source="persistence")``
  goes to ``halt_target``: a ledger that cannot write stops trading. The actor
  keeps serving; a later Record may succeed (the halt stays until an operator
  resumes); a connection that broke is reopened for the next Record. An
  unexpected error (a bug) is answered and halted the same way, then re-raised:
  a ``tell`` crashes the incarnation, an ``ask`` fails.
- After a Record, when nothing else waits in its mailbox, the WAL frames that
  ``NORMAL`` commits left unsynced are fsynced (:meth:`Ledger.sync_wal`), so the
  next intents Record's commit flushes only its own. A sync that fails is a failed
  write: logged, counted and halted as above (there is no Record to answer).
- ``LimitLedgerSize(max_page_count)`` (chaos testing: a full disk on demand):
  caps the ledger file at that many pages, or with ``None`` restores the cap
  it was opened with; the cap also applies to a reopened connection. The
  answer (also the ``ask`` value) is :class:`LedgerSizeLimited` with the cap
  in force. A cap SQLite refuses raises: an ``ask`` fails, a ``tell`` crashes.
- Other messages are logged and counted (``unknown_messages``), never guessed
  at: dispatch is the runtime's table (:meth:`PersistenceActor.handlers`).
- ``state_summary()`` returns a :class:`~actors.persistence.PersistenceStatus`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
from loguru import logger

from actors.errors import LedgerError
from actors.messages import Halt, Record, Recorded, RecordFailed
from actors.persistence._ledger import Ledger
from actors.persistence._status import PersistenceStatus
from supervision import ChildUnavailable, SupervisedActor, validators


@attrs.frozen
class LimitLedgerSize:
    """Cap the ledger file at ``max_page_count`` pages; ``None`` lifts the cap again."""

    max_page_count: int | None = attrs.field(validator=validators.optional(validators.integer(1)))


@attrs.frozen
class LedgerSizeLimited:
    """The answer to :class:`LimitLedgerSize`: the cap asked for and the one in force."""

    max_page_count: int | None
    pages: int


class PersistenceActor(SupervisedActor):
    """Writes ``Record`` messages to the SQLite ledger at ``db_path``.

    ``halt_target`` is the actor told to ``Halt`` when a write fails.
    ``max_page_count`` and ``busy_timeout_s`` are passed to :meth:`Ledger.open`.
    """

    def __init__(
        self,
        db_path: Path,
        *,
        halt_target: str = "risk",
        max_page_count: int | None = None,
        busy_timeout_s: float = 1.0,
        intent_sync: Literal["FULL", "NORMAL"] = "FULL",
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.intent_sync: Literal["FULL", "NORMAL"] = intent_sync
        self.halt_target = halt_target
        self.max_page_count = max_page_count
        self.busy_timeout_s = busy_timeout_s
        self._ledger: Ledger | None = None
        self._transactions = 0
        self._events = 0
        self._failures = 0
        self._last_commit_at: float | None = None
        self._last_error: str | None = None
        self._size_cap: int | None = None  # set by LimitLedgerSize; kept across reopening

    # -- lifecycle -------------------------------------------------------------------

    def on_start(self) -> None:
        self._ledger = self._open()

    def _open(self) -> Ledger:
        ledger = Ledger.open(
            self.db_path,
            wall=self.clock.wall,
            max_page_count=self.max_page_count,
            busy_timeout_s=self.busy_timeout_s,
            intent_sync=self.intent_sync,
        )
        if self._size_cap is not None:
            try:
                ledger.set_max_page_count(self._size_cap)
            except BaseException:
                ledger.close()
                raise
        return ledger

    def on_stop(self) -> None:
        self._close()

    def on_failure(self, *_exc_info: object) -> None:
        self._close()

    def _close(self) -> None:
        ledger, self._ledger = self._ledger, None
        if ledger is not None:
            ledger.close()

    # -- messages ----------------------------------------------------------------------

    def handlers(self) -> Mapping[type[Any], Callable[[Any], Any]]:
        return {Record: self._record, LimitLedgerSize: self._limit}

    def _record(self, record: Record) -> Recorded | RecordFailed:
        try:
            if self._ledger is None or not self._ledger.is_open:
                self._ledger = self._open()  # the connection broke on an earlier failure
            result = self._ledger.write(record.request_id, record.events)
        except LedgerError as error:
            self._fail(record, error)
            return RecordFailed(record.request_id, str(error))
        except Exception as error:
            self._fail(record, error)
            raise  # a bug: answered and halted; now crash (tell) or fail the ask
        self._transactions += 1
        self._events += result.events
        self._last_commit_at = result.committed_at
        reply = Recorded(record.request_id)
        self._reply(reply)
        if self.mailbox_waiting() == 0:
            self._sync_wal()
        return reply

    def _sync_wal(self) -> None:
        """Nothing else to write: sync what ``NORMAL`` commits left in the WAL (see
        :meth:`Ledger.sync_wal`). A sync that fails halts trading as a failed Record
        does, and the connection is reopened for the next Record."""
        if self._ledger is None:
            return
        try:
            self._ledger.sync_wal()
        except LedgerError as error:
            self._close()
            self._halt_on_failure(str(error), request_id=None)

    def _limit(self, message: LimitLedgerSize) -> LedgerSizeLimited:
        max_page_count = message.max_page_count
        self._size_cap = max_page_count
        if self._ledger is None or not self._ledger.is_open:
            self._ledger = self._open()  # applies the new cap
        pages = self._ledger.set_max_page_count(max_page_count)
        logger.bind(event="ledger_size_limited", child=self.name, epoch=self.epoch).warning(
            "ledger size cap {}: {} pages in force",
            "lifted" if max_page_count is None else f"set to {max_page_count}",
            pages,
        )
        return LedgerSizeLimited(max_page_count, pages)

    def _fail(self, record: Record, error: Exception) -> None:
        text = str(error) if isinstance(error, LedgerError) else f"{type(error).__name__}: {error}"
        self._halt_on_failure(text, request_id=record.request_id)

    def _halt_on_failure(self, text: str, *, request_id: str | None) -> None:
        """Count and log a failed write (Record ``request_id``, or with ``None`` the
        WAL's sync), answer the Record's sender, and tell ``halt_target`` to halt."""
        self._failures += 1
        self._last_error = text
        logger.bind(
            event="record_failed",
            child=self.name,
            epoch=self.epoch,
            request_id=request_id,
            reason=text,
        ).error("ledger write failed for {}: {}", request_id or "the WAL's sync", text)
        if request_id is not None:
            self._reply(RecordFailed(request_id, text))
        halt = Halt(reason=f"ledger write failed: {text}", source="persistence")
        try:
            self.send(self.halt_target, halt)
        except ChildUnavailable as unavailable:
            logger.bind(event="halt_undelivered", child=self.name, epoch=self.epoch).critical(
                "could not tell {} to halt: {}", self.halt_target, unavailable
            )

    def _reply(self, reply: Recorded | RecordFailed) -> None:
        sender = self.message_sender
        if sender is None:
            return
        try:
            self.send(sender, reply)
        except ChildUnavailable as unavailable:
            logger.bind(event="reply_undelivered", child=self.name, epoch=self.epoch).warning(
                "{} for {} not delivered: {}", type(reply).__name__, reply.request_id, unavailable
            )

    def state_summary(self) -> PersistenceStatus:
        ledger = self._ledger
        return PersistenceStatus(
            db_path=str(self.db_path),
            open=ledger is not None and ledger.is_open,
            schema_version=ledger.schema_version if ledger is not None else None,
            last_commit_at=self._last_commit_at,
            transactions=self._transactions,
            events=self._events,
            failures=self._failures,
            last_error=self._last_error,
            pending=0,
            unknown_messages=self.unknown_messages,
        )
