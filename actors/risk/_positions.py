"""Risk's books of what is held: one :class:`Holding` per market, fills booked
once each, and the profit or loss realised today (UTC day of the wall clock).

A plain mutable object owned by the risk actor; no I/O, no clock reads (the
caller passes wall time).  Amounts are exact ``Decimal`` dollars and counts
``Decimal`` contracts, summed under :data:`actors.money.EXACT`.  Fills are
de-duplicated by (venue fill id, client order id): the same fill may reach risk
twice, in an ``ExecutionReport`` and in an ``InDoubtResolved``, and must count
once.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from collections.abc import Iterable
from decimal import Decimal, localcontext

from actors.domain import Fill, Position
from actors.money import EXACT
from actors.risk._holdings import Holding

ZERO = Decimal(0)


class PositionBook:
    """Holdings by ticker, the fills already booked, and the realised P&L (today's
    and in total)."""

    def __init__(self, *, remember_fills: int = 200_000) -> None:
        self._holdings: dict[str, Holding] = {}
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._remember = remember_fills
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
        key = (fill.fill_id, fill.client_order_id)
        if key in self._seen:
            return False
        before = self._holdings.get(fill.ticker) or Holding.empty(fill.ticker, fill.payout)
        after = before.apply(fill)
        day = _utc_day(wall)
        with localcontext(EXACT):  # everything computed before anything changes
            realised = after.realised - before.realised
            today = self._realised_by_day.get(day, ZERO) + realised
            in_total = self._realised_total + realised
        self._seen[key] = None
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        self._holdings[fill.ticker] = after
        self._realised_by_day[day] = today
        self._realised_total = in_total
        return True

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
