"""Risk's books of what is held: one :class:`Holding` per market, fills booked
once each, and the profit or loss realised today (UTC day of the wall clock).

A plain mutable object owned by the risk actor; no I/O, no clock reads (the
caller passes wall time).  Amounts are exact ``Decimal`` dollars and counts
``Decimal`` contracts, summed under :data:`actors.money.EXACT`.

Fills are de-duplicated by (venue fill id, client order id) and must count once,
however often they come: in an ``ExecutionReport`` and again in an
``InDoubtResolved`` (an in-doubt reservation's fills); in a ``Reconciled``, which
lists every fill since the ledger's last reconciled point less
execution's ``RECONCILE_MARGIN_S`` (5 minutes); and from the ledger, whose fills
are booked at start before the first ``Reconciled`` lists the venue's again.  The
reconciled point moves only when execution or risk (re)starts, so a
reconciliation after an hour of trading lists that whole hour again, and a
``Fill`` carries no venue time risk could window by: no time window shorter than
"since the last reconciliation" is safe.  The memory is therefore a count,
``remember_fills`` (200,000 by default: 2.8 hours at 20 fills/s), kept compact
(:class:`~actors.risk._seen.SeenKeys`, ~20 bytes a fill, at most 1.25 times the
count: about 5 MB when full); it is the most fills between two reconciliations
risk de-duplicates, and a fill re-listed from before them would be booked twice.

At start, the ledger's fills are booked together (:meth:`PositionBook.book_recorded`),
with the same result as booking each, in a fraction of the time
(:mod:`actors.risk._replay`).
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal, localcontext

import attrs

from actors.domain import Fill, FillRow, Position
from actors.errors import DomainError
from actors.money import EXACT
from actors.persistence import FillMark
from actors.risk._checkpoint import Checkpoint
from actors.risk._holdings import Holding
from actors.risk._replay import fill_of, replay
from actors.risk._seen import SeenKeys, pair_fingerprint

ZERO = Decimal(0)


@attrs.frozen
class RecordedBooked:
    """What :meth:`PositionBook.book_recorded` did: the fills of the orders it was
    asked to ``keep`` (booked now or before), in the order booked, and the first
    fill (in row order) of those that fit in no order, with why (``None``: none)."""

    kept: tuple[Fill, ...]
    unbooked: tuple[Fill, DomainError | ArithmeticError] | None
    in_order: bool = True
    """Every fill was booked in the order recorded, none waiting for a later one."""


class PositionBook:
    """Holdings by ticker, the fills already booked (the most recent
    ``remember_fills`` at least; module doc), and the realised P&L (today's and in
    total).  Raises ``ValueError`` for ``remember_fills`` < 1."""

    def __init__(self, *, remember_fills: int = 200_000) -> None:
        self._holdings: dict[str, Holding] = {}
        self._seen = SeenKeys(remember_fills)
        self._day: str | None = None
        self._realised_by_day: dict[str, Decimal] = {}
        self._realised_total = ZERO

    def book(self, fill: Fill, wall: float) -> bool:
        """Book ``fill`` at wall time ``wall``; False if it was booked before.

        Raises :class:`~actors.errors.DomainError` (and books nothing) for a fill
        that does not fit the holding: another payout, or a sale of more than is held;
        a ``decimal.DecimalException`` (and books nothing) if an amount would need
        rounding (beyond 80 digits: never a real fill).
        """
        key = pair_fingerprint(fill.fill_id, fill.client_order_id)
        if key in self._seen:
            return False
        before = self._holdings.get(fill.ticker) or Holding.empty(fill.ticker, fill.payout)
        after = before.apply(fill)
        day = _utc_day(wall)
        with localcontext(EXACT):  # everything computed before anything changes
            realised = after.realised - before.realised
            today = self._realised_by_day.get(day, ZERO) + realised
            in_total = self._realised_total + realised
        self._seen.add_new(key)  # not seen: checked above, nothing added since
        self._holdings[fill.ticker] = after
        self._realised_by_day[day] = today
        self._realised_total = in_total
        return True

    def book_recorded(
        self, recorded: Sequence[tuple[Fill, float]], *, keep: Collection[str] = frozenset()
    ) -> RecordedBooked:
        """:meth:`book_recorded_rows` of ``(fill, wall time recorded)`` pairs."""
        return self.book_recorded_rows([fill.recorded_row(at) for fill, at in recorded], keep=keep)

    def book_recorded_rows(
        self, rows: Sequence[FillRow], *, keep: Collection[str] = frozenset(), new: bool = False
    ) -> RecordedBooked:
        """Book a ledger's fills (:data:`~actors.domain.FillRow`: a fill's values,
        then the wall time it was recorded), as a new incarnation does at start;
        ``keep``: client order ids whose fills are handed back.

        The rule: in the order recorded, each fill as :meth:`book` books it (once; one
        that does not fit changes nothing). Rows are in the order written, not always
        the order things happened (a purchase whose Record failed is written by the
        repair after the sale of it), so a fill that does not fit waits for the next
        pass over those left, until a pass books none: the first of those is handed
        back with its error, and what was booked stays booked. Raises
        :class:`~actors.errors.InvalidFieldError` only for a row whose values make no
        ``Fill`` at all (never one a ledger read gives).

        When the keys are distinct and none remembered can be forgotten meanwhile (a
        new incarnation's empty memory, a ledger's fills: always), the fills are booked
        together by :func:`~actors.risk._replay.replay` (the same figures, digit for
        digit, several times faster); otherwise one by one with :meth:`book`. ``new``:
        the caller knows none of the rows was booked before (a ledger's fills after the
        mark of the checkpoint this book was loaded from): they are not looked up.
        """
        keys = [pair_fingerprint(row[0], row[1]) for row in rows]
        empty = new or len(self._seen) == 0
        if len(set(keys)) != len(keys) or not (empty or self._seen.room >= len(keys)):
            return self._book_each([(fill_of(row), row[9]) for row in rows], keep)
        replayed = replay(
            self._holdings,
            rows,
            keys,
            seen=frozenset() if empty else self._seen,
            realised_by_day=self._realised_by_day,
            realised_total=self._realised_total,
            keep=keep,
            utc_day=_utc_day,
        )
        self._holdings.update(replayed.holdings)
        self._seen.add_new_many(replayed.keys)
        self._realised_by_day = replayed.realised_by_day
        self._realised_total = replayed.realised_total
        return RecordedBooked(tuple(replayed.kept), replayed.unbooked, replayed.in_order)

    def _book_each(
        self, recorded: Sequence[tuple[Fill, float]], keep: Collection[str]
    ) -> RecordedBooked:
        """:meth:`book_recorded_rows`'s rule, one :meth:`book` at a time."""
        kept: list[Fill] = []
        waiting = list(recorded)
        in_order = True
        while waiting:
            unfit: list[tuple[Fill, float]] = []
            why: DomainError | ArithmeticError | None = None
            for fill, at in waiting:
                try:
                    self.book(fill, at)
                except (DomainError, ArithmeticError) as error:  # decimal signals too
                    unfit.append((fill, at))
                    why = why or error
                    continue
                if fill.client_order_id in keep:
                    kept.append(fill)
            if len(unfit) == len(waiting):
                assert why is not None  # every one failed, with its error
                return RecordedBooked(tuple(kept), (unfit[0][0], why), in_order=False)
            waiting, in_order = unfit, in_order and not unfit
        return RecordedBooked(tuple(kept), None, in_order)

    def checkpoint(self, mark: FillMark) -> Checkpoint:
        """What this book holds, as the :class:`Checkpoint` of a ledger's fills up to
        ``mark`` (the caller's word: the book must hold exactly those)."""
        return Checkpoint(
            mark=mark,
            holdings=dict(self._holdings),
            realised_by_day=dict(self._realised_by_day),
            realised_total=self._realised_total,
            keys=self._seen.dump(),
        )

    def load(self, checkpoint: Checkpoint) -> None:
        """Start from ``checkpoint``: its holdings, realised P&L and the fills it
        remembers. Raises ``ValueError`` for a book that has booked anything."""
        if self._holdings or self._realised_by_day or len(self._seen):
            raise ValueError("only an empty PositionBook loads a checkpoint")
        self._holdings = dict(checkpoint.holdings)
        self._realised_by_day = dict(checkpoint.realised_by_day)
        self._realised_total = checkpoint.realised_total
        self._seen.add_new_many(checkpoint.fingerprints())

    @property
    def fills_remembered(self) -> int:
        """How many booked fills are remembered for de-duplication now."""
        return len(self._seen)

    def realised_today(self, wall: float) -> Decimal:
        """Profit in dollars (negative: loss) realised by fills booked during the UTC
        day of ``wall``.

        Kept per day, so a clock that steps back (or a ledger replayed at start with
        fills of earlier days) never resets or mixes another day's total."""
        self._day = _utc_day(wall)
        return self._realised_by_day.get(self._day, ZERO)

    @property
    def realised_total(self) -> Decimal:
        """Profit in dollars (negative: loss) realised by every fill booked, whatever its day."""
        return self._realised_total

    @property
    def day(self) -> str | None:
        """The UTC day (ISO date) ``realised_today`` belongs to."""
        return self._day

    def exposure_by_market(self) -> dict[str, Decimal]:
        """Cost basis (dollars) of unmatched contracts per market, for markets that have any."""
        return {t: h.exposure for t, h in self._holdings.items() if h.exposure > 0}

    def holdings(self) -> dict[str, Holding]:
        """Every market's holding by ticker (a fresh dict of frozen values)."""
        return dict(self._holdings)

    def positions(self) -> dict[str, Position]:
        """Non-flat positions by ticker."""
        return {
            t: h.position for t, h in self._holdings.items() if _counts(h.position) != (ZERO, ZERO)
        }

    def differences(self, venue: Iterable[Position]) -> list[str]:
        """Tickers whose net position (YES minus NO) differs between ``venue`` and ours.

        Net, because a Kalshi-style venue nets a YES+NO pair into cash at once while
        risk's positions keep both legs; only the unmatched contracts carry risk.
        """
        theirs = {p.ticker: _net(p) for p in venue if _net(p) != 0}
        ours = {t: _net(p) for t, p in self.positions().items() if _net(p) != 0}
        return sorted(t for t in theirs.keys() | ours.keys() if theirs.get(t) != ours.get(t))

    def adopt(self, venue: Iterable[Position]) -> list[str]:
        """Take the venue's positions as the truth; returns the tickers that changed.

        Markets whose net positions agree keep risk's exact cost basis; the others
        are replaced by :meth:`Holding.seeded` (costed conservatively) or dropped.
        Today's realised P&L is kept.
        """
        venue = list(venue)
        changed = self.differences(venue)
        by_ticker = {p.ticker: p for p in venue}
        for ticker in changed:
            if ticker in by_ticker:
                self._holdings[ticker] = Holding.seeded(by_ticker[ticker])
            else:
                self._holdings.pop(ticker, None)
        return changed


def _utc_day(wall: float) -> str:
    return datetime.datetime.fromtimestamp(wall, tz=datetime.UTC).date().isoformat()


def _counts(position: Position) -> tuple[Decimal, Decimal]:
    return position.yes_count, position.no_count


def _net(position: Position) -> Decimal:
    with localcontext(EXACT):
        return position.yes_count - position.no_count
