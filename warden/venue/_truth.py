"""The ground-truth log: every accepted order, fill, cancel and rejection, in order.

Append-only: entries are frozen and numbered from 1 without gaps, so a
reader can page through it with ``after=<last seq seen>``.  The records are
the same wire dicts the trader receives (an order as ``POST
/portfolio/orders`` returns it, a fill as ``GET /portfolio/fills`` returns
it), so a trader's ledger can be compared with venue truth field by field.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

from attrs import frozen

from warden.venue._shapes import TruthEntryWire, TruthRecord


class TruthKind(enum.StrEnum):
    ORDER_ACCEPTED = "order_accepted"
    ORDER_REJECTED = "order_rejected"
    FILL = "fill"
    ORDER_CANCELED = "order_canceled"


@frozen
class TruthEntry:
    seq: int
    ts: float
    kind: TruthKind
    account: str
    record: TruthRecord

    def to_wire(self) -> TruthEntryWire:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "kind": str(self.kind),
            "account": self.account,
            "record": self.record,
        }


class TruthLog:
    """An append-only sequence of :class:`TruthEntry`."""

    def __init__(self) -> None:
        self._entries: list[TruthEntry] = []

    def append(self, ts: float, kind: TruthKind, account: str, record: TruthRecord) -> None:
        self._entries.append(TruthEntry(len(self._entries) + 1, ts, kind, account, record))

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[TruthEntry]:
        return iter(self._entries)

    def select(
        self,
        *,
        after: int = 0,
        account: str | None = None,
        kind: TruthKind | None = None,
        limit: int | None = None,
    ) -> list[TruthEntry]:
        """Entries with ``seq > after``, optionally of one account and kind, oldest first."""
        chosen = []
        for entry in self._entries[max(after, 0) :]:
            if (account is None or entry.account == account) and (
                kind is None or entry.kind is kind
            ):
                chosen.append(entry)
                if limit is not None and len(chosen) >= limit:
                    break
        return chosen
