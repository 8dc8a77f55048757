"""What a new risk incarnation reads its books from when it keeps a checkpoint:
the ledger's fills after a mark, the fills of given orders, and the checkpoint
file beside the ledger.

The checkpoint is a cache, never a record: what the ledger's fills up to a
:class:`~actors.persistence.FillMark` add up to (risk's positions, realised P&L,
the fills it remembers), in a file of its own beside the ledger
(``<ledger>.risk-checkpoint``; risk encodes and decodes its content). The ledger
stays the only truth and persistence its only writer: a checkpoint that is
missing, unreadable or whose mark does not describe the ledger is ignored and
every fill is read again. It is written whole to a temporary file, flushed to
disk, then renamed over the last one, so a crash leaves the old checkpoint or
the new one, never half of one; owner-only (``0600``), like the ledger.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from pathlib import Path

import attrs

from actors.domain import FillRow
from actors.persistence._errors import FillMarkMismatch
from actors.persistence._ledger import Ledger
from actors.persistence._marks import FillMark

CHECKPOINT_SUFFIX = ".risk-checkpoint"


def checkpoint_path(ledger: Path) -> Path:
    """Where the checkpoint of the ledger at ``ledger`` is kept: beside it."""
    return ledger.with_name(ledger.name + CHECKPOINT_SUFFIX)


@attrs.frozen
class LedgerFills:
    """The ledger at ``path`` as risk's start reads its fills with a checkpoint
    (:class:`actors.risk.FillSource`). Each read opens the ledger read-only and
    closes it; no ledger yet reads as no fills.

    Raises :class:`~actors.errors.LedgerError` when the ledger cannot be read,
    :class:`~actors.persistence.FillMarkMismatch` for a mark that is not its own,
    and ``OSError`` when the checkpoint file cannot be read or written."""

    path: Path

    def rows_after(self, mark: FillMark | None) -> tuple[tuple[FillRow, ...], FillMark | None]:
        """:meth:`Ledger.fill_rows_after`."""
        if not self.path.exists():
            if mark is not None:
                raise FillMarkMismatch(f"no ledger at {self.path}")
            return (), None
        with Ledger.open_read_only(self.path) as ledger:
            return ledger.fill_rows_after(mark)

    def rows_of_orders(self, client_order_ids: Collection[str]) -> tuple[FillRow, ...]:
        """:meth:`Ledger.fill_rows_of_orders`."""
        if not client_order_ids or not self.path.exists():
            return ()
        with Ledger.open_read_only(self.path) as ledger:
            return ledger.fill_rows_of_orders(client_order_ids)

    def read_checkpoint(self) -> bytes | None:
        """The checkpoint file's bytes; ``None`` if there is none."""
        try:
            return checkpoint_path(self.path).read_bytes()
        except FileNotFoundError:
            return None

    def write_checkpoint(self, data: bytes) -> None:
        """Replace the checkpoint file with ``data``, atomically (module doc)."""
        target = checkpoint_path(self.path)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f"{target.name}.", suffix=".tmp")
        temporary = Path(name)  # mkstemp: owner-only, a name no other writer has
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            temporary.replace(target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
