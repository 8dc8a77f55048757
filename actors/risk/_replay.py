"""Booking a ledger's recorded fills at start, in bulk: the books
:meth:`PositionBook.book <actors.risk._positions.PositionBook.book>` would make of
them one by one, to the last digit, in a fraction of the time.

A new risk incarnation books every fill the ledger holds (100,000 after a few
days of trading). One by one, each fill builds a new :class:`Position` and
:class:`Holding` (validated attrs values), enters a decimal context and formats
its UTC day: 20-30 µs a fill, seconds of restart-to-ready. :func:`replay` keeps
each market's running figures as plain ``Decimal`` values instead, computes them
with the very operations, in the very order, of :meth:`Position.apply_fill
<actors.domain.Position.apply_fill>` and :meth:`Holding.apply`, under one
:data:`~actors.money.EXACT` context, takes each distinct recorded time's UTC day
once, and builds one ``Holding`` per market at the end. So every amount is the
same ``Decimal`` (value and digits) the per-fill path computes; the tests hold
the two paths equal on random sequences of fills, unfit ones included.

Its rules are :meth:`PositionBook.book_recorded`'s: rows are booked in the order
recorded; a fill that does not fit yet (a sale recorded before the purchase it
sold) waits for the next pass over the ones left, until a pass books none. A fill
that does not fit is never judged here: the per-fill path (``Holding.apply`` on
the market's figures as they stand) decides, and its error is the one reported.
A fill whose key ``seen`` holds was booked before: it is skipped, as ``book`` skips
it (and kept, if its order is one to keep).

The caller guarantees what makes de-duplication against ``seen`` (the keys
remembered before) exact: the fills' keys are distinct, and none of the keys in
``seen`` can be forgotten while these are added (:attr:`SeenKeys.room`). Nothing
is changed here: the result is committed by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from decimal import Decimal, localcontext

import attrs

from actors.domain import Action, Fill, FillRow, Position, Side
from actors.errors import DomainError
from actors.money import EXACT
from actors.risk._holdings import Holding
from actors.risk._holdings import share_in_context as _share
from actors.risk._seen import SeenKeys

ZERO = Decimal(0)
_YES, _NO, _BUY = Side.YES, Side.NO, Action.BUY


def fill_of(row: FillRow) -> Fill:
    """The :class:`Fill` of ``row`` (validated: raises
    :class:`~actors.errors.InvalidFieldError` for values that make no fill)."""
    return Fill(*row[:7], fee=row[7], payout=row[8])


@attrs.frozen
class Replayed:
    """What :func:`replay` computed, for the caller to commit.

    ``holdings``: the markets it booked into, as they end. ``keys``: the fills booked,
    in the order booked. ``realised_by_day`` / ``realised_total``: the realised P&L
    per UTC day and in total after them. ``kept``: the fills of the ``keep`` orders
    (booked or booked before), in the order booked. ``unbooked``: the first fill (in
    row order) of those no pass could book, and why; ``None`` if all were.
    """

    holdings: dict[str, Holding]
    keys: list[bytes]
    realised_by_day: dict[str, Decimal]
    realised_total: Decimal
    kept: list[Fill]
    unbooked: tuple[Fill, DomainError | ArithmeticError] | None
    in_order: bool = True
    """Every fill was booked in the first pass, in the order recorded (none waited)."""


class _Running:
    """One market's figures while replaying (a :class:`Holding`, unpacked)."""

    __slots__ = ("cash", "no", "open_cost", "payout", "realised", "ticker", "yes")

    def __init__(self, holding: Holding) -> None:
        self._take(holding)

    def _take(self, holding: Holding) -> None:
        position = holding.position
        self.ticker, self.payout = position.ticker, position.payout
        self.yes, self.no, self.cash = position.yes_count, position.no_count, position.cash
        self.open_cost, self.realised = holding.open_cost, holding.realised

    def holding(self) -> Holding:
        position = Position(self.ticker, self.yes, self.no, self.cash, payout=self.payout)
        return Holding(position, self.open_cost, self.realised)

    def by_the_book(self, row: FillRow) -> Decimal:
        """Apply ``row``'s fill the per-fill way (``Holding.apply``), whose errors are
        the errors; the profit it realised."""
        before = self.realised
        self._take(self.holding().apply(fill_of(row)))
        return self.realised - before

    def apply(self, row: FillRow) -> Decimal:
        """Apply ``row``'s fill under :data:`EXACT` (the caller's context) and return the
        profit it realised: ``Position.apply_fill`` then ``Holding.apply``, operation
        for operation (``x * y`` under EXACT is ``EXACT.multiply(x, y)``). A fill that
        does not fit, or arithmetic that fails, goes to :meth:`by_the_book` instead,
        with nothing changed."""
        _, _, _, side, action, price, count, fee, payout, _ = row
        yes, no, realised = self.yes, self.no, self.realised
        try:
            if payout != self.payout:
                return self.by_the_book(row)
            notional = price * count
            # the excess side, if any, is the fill's: (yes > no) is (side is YES)
            its_excess = yes != no and (yes > no) == (side is _YES)
            if action is _BUY:
                held = (yes if side is _YES else no) + count
                cash = self.cash + (-notional - fee)
                if yes == no or its_excess:
                    open_cost, after = self.open_cost + (notional + fee), realised
                else:
                    open_cost, after = self._pairing(row, abs(yes - no), notional + fee)
            else:
                held = (yes if side is _YES else no) + (-count)
                if held < 0:
                    return self.by_the_book(row)
                cash = self.cash + (notional - fee)
                open_cost, after = self._selling(row, abs(yes - no) if its_excess else ZERO)
        except ArithmeticError:
            return self.by_the_book(row)
        if side is _YES:
            self.yes = held
        else:
            self.no = held
        self.cash, self.open_cost, self.realised = cash, open_cost, after
        return after - realised

    def _pairing(self, row: FillRow, excess: Decimal, cost: Decimal) -> tuple[Decimal, Decimal]:
        """``Holding._after_buy`` of a purchase of the side short by ``excess``
        (``cost``: its price x count + fee): the open cost and realised profit after."""
        price, count, fee, payout = row[5:9]
        paired = min(count, excess)  # contracts of this fill that complete a pair
        matched_cost = _share(self.open_cost, paired, excess)
        fill_cost_paired = price * paired + _share(fee, paired, count)
        pair_profit = paired * payout - matched_cost - fill_cost_paired
        open_cost = self.open_cost - matched_cost + (cost - fill_cost_paired)
        return open_cost, self.realised + pair_profit

    def _selling(self, row: FillRow, unmatched: Decimal) -> tuple[Decimal, Decimal]:
        """``Holding._after_sell`` (``unmatched``: the excess of the side sold, or 0):
        the open cost and realised profit after."""
        price, count, fee, payout = row[5:9]
        from_excess = min(count, unmatched)
        from_pairs = count - from_excess
        fee_excess = _share(fee, from_excess, count)
        fee_pairs = fee - fee_excess
        open_cost, realised = self.open_cost, self.realised
        if from_excess > 0:
            sold_cost = _share(open_cost, from_excess, unmatched)
            open_cost -= sold_cost
            realised += price * from_excess - fee_excess - sold_cost
        if from_pairs > 0:
            # the other leg of each broken pair stays, worth payout - price to the book
            open_cost += (payout - price) * from_pairs
            realised -= fee_pairs
        return open_cost, realised


def replay(
    holdings: dict[str, Holding],
    recorded: Sequence[FillRow],
    keys: Sequence[bytes],
    *,
    seen: SeenKeys | frozenset[bytes],
    realised_by_day: dict[str, Decimal],
    realised_total: Decimal,
    keep: Collection[str],
    utc_day: Callable[[float], str],
) -> Replayed:
    """Book ``recorded`` (``keys[i]`` the fingerprint of ``recorded[i]``) onto
    ``holdings`` and the realised figures given, without changing them (module doc)."""
    books = _Books(
        holdings,
        seen=seen,
        realised_by_day=realised_by_day,
        realised_total=realised_total,
        keep=keep,
        utc_day=utc_day,
    )
    waiting: Iterable[tuple[FillRow, bytes]] = zip(recorded, keys, strict=True)
    left = len(recorded)
    unbooked: tuple[Fill, DomainError | ArithmeticError] | None = None
    passes = 0
    with localcontext(EXACT):
        while left:
            passes += 1
            unfit, why = books.book_pass(waiting)
            if len(unfit) == left:
                assert why is not None  # every one failed, with its error
                unbooked = (fill_of(unfit[0][0]), why)
                break
            waiting, left = unfit, len(unfit)
    return books.replayed(unbooked, in_order=passes <= 1 and unbooked is None)


class _Books:
    """What :func:`replay` builds up: the markets' running figures, the keys booked,
    the realised P&L per day and in total, the fills kept."""

    def __init__(
        self,
        holdings: dict[str, Holding],
        *,
        seen: SeenKeys | frozenset[bytes],
        realised_by_day: dict[str, Decimal],
        realised_total: Decimal,
        keep: Collection[str],
        utc_day: Callable[[float], str],
    ) -> None:
        self.holdings, self.seen, self.keep, self.utc_day = holdings, seen, keep, utc_day
        self.running: dict[str, _Running] = {}
        self.order: list[bytes] = []
        self.kept: list[Fill] = []
        self.by_day = dict(realised_by_day)
        self.total = realised_total
        self.days: dict[float, str] = {}

    def book_pass(
        self, waiting: Iterable[tuple[FillRow, bytes]]
    ) -> tuple[list[tuple[FillRow, bytes]], DomainError | ArithmeticError | None]:
        """One pass over ``waiting``, in order (under :data:`EXACT`): the entries that
        did not fit, and the first one's error."""
        running, seen, keep, days, by_day = (
            self.running,
            self.seen,
            self.keep,
            self.days,
            self.by_day,
        )
        order, kept, total = self.order, self.kept, self.total
        unfit: list[tuple[FillRow, bytes]] = []
        why: DomainError | ArithmeticError | None = None
        day, day_sum = "", ZERO  # the day being summed, flushed into by_day when it changes
        for entry in waiting:
            row, key = entry
            order_id, ticker, at = row[1], row[2], row[9]
            if key in seen:
                if order_id in keep:
                    kept.append(fill_of(row))
                continue
            market = running.get(ticker)
            if market is None:
                before = self.holdings.get(ticker) or Holding.empty(ticker, row[8])
                market = _Running(before)
            try:
                realised = market.apply(row)
            except (DomainError, ArithmeticError) as error:
                unfit.append(entry)
                why = why or error
                continue
            running[ticker] = market  # a market is kept once a fill is booked in it
            fill_day = days.get(at)
            if fill_day is None:
                fill_day = days[at] = self.utc_day(at)
            if fill_day != day:
                if day:
                    by_day[day] = day_sum
                day, day_sum = fill_day, by_day.get(fill_day, ZERO)
            day_sum = day_sum + realised
            total = total + realised
            order.append(key)
            if order_id in keep:
                kept.append(fill_of(row))
        if day:
            by_day[day] = day_sum
        self.total = total
        return unfit, why

    def replayed(
        self, unbooked: tuple[Fill, DomainError | ArithmeticError] | None, *, in_order: bool
    ) -> Replayed:
        return Replayed(
            holdings={ticker: market.holding() for ticker, market in self.running.items()},
            keys=self.order,
            realised_by_day=self.by_day,
            realised_total=self.total,
            kept=self.kept,
            unbooked=unbooked,
            in_order=in_order,
        )
