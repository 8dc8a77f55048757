"""A checkpoint of risk's books: what a ledger's fills up to a mark add up to.

A new risk incarnation books every fill the ledger holds (positions, cost basis,
the realised P&L per UTC day, the fills it remembers for de-duplication): a cost
that grows with every fill ever recorded. With a checkpoint it loads what the
fills up to a :class:`~actors.persistence.FillMark` added up to, and books only
the fills recorded after it; then it writes a new checkpoint at the last fill it
booked. So a start costs the fills since the last checkpoint, not the history.

The checkpoint is derived data, never a record: the ledger stays the truth.
Booking from a checkpoint gives exactly what booking every fill would give
because (a) the mark is checked against the ledger before use (the fill at its
rowid and the count up to it), (b) fills are only appended, and (c) a checkpoint
is written only by a booking in which every fill fitted in the order recorded
(:attr:`RecordedBooked.in_order`): the fills up to the mark were then booked in
one pass, in order, so a later booking's passes over the fills after it are the
ones a booking of every fill would make.

The file (:func:`encode`) is one line of JSON -- ``format``, the mark, each
market's holding, the realised P&L per day and in total, amounts as ``Decimal``
text (exact, digits and exponent kept) -- then the remembered fingerprints, 16
raw bytes each (:meth:`SeenKeys.dump <actors.risk._seen.SeenKeys.dump>`).
:func:`decode` raises :class:`CheckpointUnreadable` naming what is wrong; the
caller then books every fill instead.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import attrs

from actors.domain import FillRow, Position
from actors.errors import DomainError
from actors.persistence import FillMark
from actors.risk._holdings import Holding

FORMAT = 1
"""The layout :func:`encode` writes; a file of another is ignored (read again)."""

_WIDTH = 16  # bytes a remembered fingerprint (actors.risk._seen)


class CheckpointUnreadable(ValueError):
    """The checkpoint's bytes are not one :func:`decode` can read; says why."""


@attrs.frozen
class Checkpoint:
    """Risk's books after booking a ledger's fills up to ``mark``: ``holdings`` by
    ticker, ``realised_by_day`` (UTC ISO date -> dollars) and ``realised_total``, and
    ``keys``, the fingerprints of the fills remembered (16 bytes each, oldest first)."""

    mark: FillMark
    holdings: Mapping[str, Holding]
    realised_by_day: Mapping[str, Decimal]
    realised_total: Decimal
    keys: bytes

    def fingerprints(self) -> list[bytes]:
        """``keys`` split into its fingerprints, oldest first."""
        keys = self.keys
        return [keys[at : at + _WIDTH] for at in range(0, len(keys), _WIDTH)]


class FillSource(Protocol):
    """A ledger's fills as risk's start reads them with a checkpoint (the daemon's:
    :class:`actors.persistence.LedgerFills`). Any method may raise: ``rows_after``
    :class:`~actors.persistence.FillMarkMismatch` for a mark not of this ledger, any
    read a :class:`~actors.errors.LedgerError`, the checkpoint's file ``OSError``."""

    def rows_after(
        self, mark: FillMark | None
    ) -> tuple[tuple[FillRow, ...], FillMark | None]: ...  # pragma: no cover - protocol

    def rows_of_orders(
        self, client_order_ids: Collection[str]
    ) -> tuple[FillRow, ...]: ...  # pragma: no cover - protocol

    def read_checkpoint(self) -> bytes | None: ...  # pragma: no cover - protocol

    def write_checkpoint(self, data: bytes) -> None: ...  # pragma: no cover - protocol


def encode(checkpoint: Checkpoint) -> bytes:
    """The checkpoint's bytes (module doc): a JSON line, then the raw fingerprints."""
    mark = checkpoint.mark
    head = {
        "format": FORMAT,
        "mark": [mark.rowid, mark.count, mark.fill_id, mark.client_order_id],
        "holdings": [
            [
                h.position.ticker,
                str(h.position.payout),
                str(h.position.yes_count),
                str(h.position.no_count),
                str(h.position.cash),
                str(h.open_cost),
                str(h.realised),
            ]
            for h in checkpoint.holdings.values()
        ],
        "realised_by_day": {day: str(amount) for day, amount in checkpoint.realised_by_day.items()},
        "realised_total": str(checkpoint.realised_total),
        "keys": len(checkpoint.keys) // _WIDTH,
    }
    line = json.dumps(head, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return line + b"\n" + checkpoint.keys


def decode(data: bytes) -> Checkpoint:
    """The :class:`Checkpoint` in ``data``; raises :class:`CheckpointUnreadable`
    naming the part that is wrong (nothing is guessed: any doubt, and the caller
    books every fill)."""
    line, newline, keys = data.partition(b"\n")
    if not newline:
        raise CheckpointUnreadable("no header line")
    try:
        head = json.loads(line)
    except ValueError as error:
        raise CheckpointUnreadable(f"header is not JSON: {error}") from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        found = head.get("format") if isinstance(head, dict) else None
        raise CheckpointUnreadable(f"format {found!r}, this build reads {FORMAT}")
    if head.get("keys") != len(keys) // _WIDTH or len(keys) % _WIDTH:
        raise CheckpointUnreadable(
            f"{len(keys)} bytes of fingerprints, header says {head.get('keys')!r}"
        )
    try:
        return Checkpoint(
            mark=FillMark(*head["mark"]),
            holdings=_holdings(head["holdings"]),
            realised_by_day={
                _text(day, "day"): _amount(amount, f"realised_by_day[{day}]")
                for day, amount in head["realised_by_day"].items()
            },
            realised_total=_amount(head["realised_total"], "realised_total"),
            keys=keys,
        )
    except CheckpointUnreadable:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, DomainError) as error:
        raise CheckpointUnreadable(f"{type(error).__name__}: {error}") from None


def _holdings(rows: Any) -> dict[str, Holding]:
    holdings: dict[str, Holding] = {}
    for row in rows:
        ticker, payout, yes, no, cash, open_cost, realised = row
        position = Position(
            _text(ticker, "ticker"),
            _amount(yes, f"{ticker}.yes_count"),
            _amount(no, f"{ticker}.no_count"),
            _amount(cash, f"{ticker}.cash"),
            payout=_amount(payout, f"{ticker}.payout"),
        )
        holdings[ticker] = Holding(
            position,
            _amount(open_cost, f"{ticker}.open_cost"),
            _amount(realised, f"{ticker}.realised"),
        )
    return holdings


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise CheckpointUnreadable(f"{name} is not text: {value!r}")
    return value


def _amount(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(_text(value, name))
    except InvalidOperation:
        raise CheckpointUnreadable(f"{name} is not a number: {value!r}") from None
    if not amount.is_finite():
        raise CheckpointUnreadable(f"{name} is not finite: {value!r}")
    return amount
