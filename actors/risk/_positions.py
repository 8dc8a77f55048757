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
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, localcontext

from actors.domain import Fill, Position
from actors.money import EXACT
from actors.risk._holdings import Holding
from actors.risk._seen import SeenKeys, fingerprint

ZERO = Decimal(0)


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
        key = fingerprint(fill.fill_id, fill.client_order_id)
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
