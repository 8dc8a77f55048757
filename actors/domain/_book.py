"""Order books of a binary market: snapshots, sequenced deltas, top of book.

A binary book has two bid sides.  A NO bid at ``p`` is an offer to sell YES
at ``payout - p``, so the YES ask is ``payout - best NO bid`` and the NO ask is
``payout - best YES bid``; the book is crossed when the best YES bid plus the
best NO bid reaches the payout.

Prices and the payout are ``Decimal`` dollars (a price in ``(0, payout)``
with at most 4 decimals) and sizes ``Decimal`` contracts (> 0, at most 2
decimals); ``bool``, ``int`` and ``float`` are refused (see
:mod:`actors._checks`).  Sizes are added exactly (:data:`actors.money.EXACT`):
applying a change never rounds.

A crossed binary book is exactly a complement-arbitrage opportunity (YES ask
plus NO ask below the payout), and a venue whose makers never trade with
themselves can show one for a while.  A holder of a book that must accept such
books sets ``crossing_tolerance`` (dollars): the book is then rejected as
crossed only when the best bids reach ``payout + crossing_tolerance``, and a
larger overlap is treated as corrupt data.  The default ``0`` rejects every
crossed book.

Levels are stored as a tuple of ``(price, size)`` pairs sorted by ascending
price with unique prices, so the best bid of a side is its last level.  The
constructors accept any mapping or iterable of pairs and sort it.

Updating a book is on the feed's hot path (tens of thousands of deltas a
second), so :meth:`BookSnapshot.apply` and :meth:`BookSnapshot.with_level_change`
validate only what a delta changes and build the result with
:meth:`BookSnapshot._trusted`, which skips re-validating the untouched levels:
they were validated when the old snapshot was built, and a snapshot is frozen.
The result is exactly what the validating constructor would build, and every
bad change raises the same typed error (a property test holds both to that).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from decimal import Decimal
from itertools import pairwise
from operator import itemgetter
from typing import Any, NoReturn, TypeAlias

from attrs import field, frozen

from actors import _checks
from actors.domain._sides import Side
from actors.errors import CrossedBookError, InvalidFieldError, NegativeLevelError, SequenceGapError
from actors.money import EXACT

Levels: TypeAlias = tuple[tuple[Decimal, Decimal], ...]
"""``(price, size)`` pairs in ascending price order, prices unique."""

LevelsInput: TypeAlias = Mapping[Decimal, Decimal] | Iterable[tuple[Decimal, Decimal]]

_ZERO = Decimal(0)
_add = EXACT.add  # exact: raises rather than round
_sub = EXACT.subtract
_remainder = EXACT.remainder

_price_of = itemgetter(0)

_CHECKED_PRICES: dict[Decimal, set[Decimal]] = {}
"""Prices :meth:`BookSnapshot.with_level_change` found valid, per payout. Validity is
a property of the value (equal Decimals are equally valid), so a value once checked
passes again without the arithmetic."""

_CHECKED_CHANGES: set[Decimal] = set()
"""Size changes found valid (non-zero, at most 2 decimals) by the same method."""

_CHECKED_AT_MOST = 100_000
"""Values a cache holds before it starts again: a bound on memory, never on validity."""


def _remember(checked: set[Decimal], value: Decimal) -> None:
    if len(checked) >= _CHECKED_AT_MOST:
        checked.clear()
    checked.add(value)


_set = object.__setattr__  # how a frozen attrs instance is filled in, as its __init__ does


def _as_levels(value: LevelsInput) -> Any:
    """Best-effort canonical form: a price-sorted tuple of pairs.

    Anything that cannot be canonicalised is passed through unchanged so the
    validator rejects it with a typed error instead of a bare ``TypeError``.
    """
    items = value.items() if isinstance(value, Mapping) else value
    try:
        pairs = tuple((price, size) for price, size in items)
    except (TypeError, ValueError):
        return value
    if all(_checks.is_decimal(price) for price, _ in pairs):
        return tuple(sorted(pairs, key=lambda pair: pair[0]))
    return pairs


def _valid_side(*, signed: bool) -> Any:
    """Validate a side: unique in-range prices, sizes > 0 (or, if ``signed``, != 0)."""
    rule = _checks.SIZE_CHANGE_RULE if signed else _checks.SIZE_RULE
    valid = _checks.is_size_change if signed else _checks.is_size

    def check(instance: Any, attribute: Any, value: Any) -> None:
        name = attribute.name
        if not isinstance(value, tuple):
            _checks.fail(instance, name, value, "must be a mapping or iterable of (price, size)")
        for level in value:
            if not isinstance(level, tuple) or len(level) != 2:
                _checks.fail(instance, name, level, "must hold (price, size) pairs")
            price, size = level
            _checks.check_price(instance, f"{name}.price", price)
            if not valid(size):
                _checks.fail(instance, f"{name}[{price}].size", size, rule)
        # every price is a Decimal now, so the converter sorted them: repeats are adjacent
        for (earlier, _), (later, _) in pairwise(value):
            if earlier == later:
                _checks.fail(instance, f"{name}.price", later, "appears more than once")

    return check


def _positive_price(instance: Any, attribute: Any, value: Any) -> None:
    """A level's price: a ``Decimal`` > 0 with at most 4 decimals (its holder checks the payout)."""
    if not (
        _checks.is_decimal(value) and value > 0 and _checks.is_multiple(value, _checks.PRICE_STEP)
    ):
        _checks.fail(
            instance,
            attribute.name,
            value,
            f"must be a Decimal > 0 with at most {_checks.PRICE_PLACES} decimals",
        )


def _best(levels: Levels) -> Level | None:
    if not levels:
        return None
    price, size = levels[-1]
    return Level(price, size)


def _check_not_crossed(
    ticker: str,
    yes_bid: Level | None,
    no_bid: Level | None,
    payout: Decimal,
    tolerance: Decimal,
) -> None:
    if (
        yes_bid is not None
        and no_bid is not None
        and _add(yes_bid.price, no_bid.price) >= _add(payout, tolerance)
    ):
        raise CrossedBookError(ticker, yes_bid.price, no_bid.price, payout, tolerance=tolerance)


def _bid(instance: Any, attribute: Any, value: Any) -> None:
    """``None`` or a :class:`Level` priced below the payout."""
    if value is None:
        return
    if not isinstance(value, Level):
        _checks.fail(instance, attribute.name, value, "must be a Level or None")
    _checks.check_price(instance, f"{attribute.name}.price", value.price)


@frozen
class Level:
    """One price level: ``size`` contracts at ``price`` dollars, both positive ``Decimal``.

    ``price`` has at most 4 decimals, ``size`` at most 2.  The upper bound of
    ``price`` is the payout, checked by whoever holds the level.  Raises
    :class:`~actors.errors.InvalidFieldError` otherwise (``bool``, ``int`` and
    ``float`` included).
    """

    price: Decimal = field(validator=_positive_price)
    size: Decimal = field(validator=_checks.size)


@frozen
class BookSnapshot:
    """The full book of one market as of subscription sequence number ``seq``.

    Raises :class:`~actors.errors.InvalidFieldError` for a bad ticker, a
    negative or non-``int`` ``seq``, a price that is not a ``Decimal`` in
    ``(0, payout)`` with at most 4 decimals, a duplicated price, a size that
    is not a ``Decimal`` > 0 with at most 2 decimals, or a
    ``crossing_tolerance`` that is not a ``Decimal`` >= 0; raises
    :class:`~actors.errors.CrossedBookError` if the best bids add up to
    ``payout + crossing_tolerance`` or more (see the module docstring).
    """

    ticker: str = field(validator=_checks.identifier)
    seq: int = field(validator=_checks.non_negative_int)
    yes_bids: Levels = field(converter=_as_levels, validator=_valid_side(signed=False))
    no_bids: Levels = field(converter=_as_levels, validator=_valid_side(signed=False))
    payout: Decimal = field(kw_only=True, default=_checks.DEFAULT_PAYOUT, validator=_checks.payout)
    crossing_tolerance: Decimal = field(
        kw_only=True, default=_ZERO, validator=_checks.non_negative_amount
    )

    def __attrs_post_init__(self) -> None:
        _check_not_crossed(
            self.ticker,
            _best(self.yes_bids),
            _best(self.no_bids),
            self.payout,
            self.crossing_tolerance,
        )

    def apply(self, delta: BookDelta) -> BookSnapshot:
        """The snapshot after ``delta``: sizes change by the delta's signed amounts.

        A level whose size reaches 0 is removed.  Raises
        :class:`~actors.errors.InvalidFieldError` if the delta is for another
        ticker or payout, :class:`~actors.errors.SequenceGapError` unless
        ``delta.seq == self.seq + 1``, :class:`~actors.errors.NegativeLevelError`
        if a size would drop below 0, and
        :class:`~actors.errors.CrossedBookError` if the result is crossed beyond
        ``self.crossing_tolerance`` (which the result keeps).
        ``self`` is never changed.
        """
        for name in ("ticker", "payout"):
            if getattr(delta, name) != getattr(self, name):
                raise InvalidFieldError(
                    "BookDelta",
                    name,
                    getattr(delta, name),
                    f"does not match the snapshot's {getattr(self, name)!r}",
                    ticker=self.ticker,
                )
        if delta.seq != self.seq + 1:
            raise SequenceGapError(self.ticker, self.seq + 1, delta.seq)
        return self._trusted(
            delta.seq,
            self._merge("yes", self.yes_bids, delta.yes_changes),
            self._merge("no", self.no_bids, delta.no_changes),
        )

    def with_level_change(
        self, side: Side, price: Decimal, change: Decimal, seq: int
    ) -> BookSnapshot:
        """The snapshot after ``change`` contracts at ``price`` on ``side``'s bids, as of ``seq``.

        The same as ``self.apply(BookDelta(self.ticker, seq, ...))`` with that one
        change on ``side``, payout ``self.payout``, and the same errors in
        the same order: :class:`~actors.errors.InvalidFieldError` (owner
        ``BookDelta``) for a ``seq`` that is not a non-negative ``int``, a
        ``price`` that is not a ``Decimal`` in ``(0, payout)`` with at most 4
        decimals or a ``change`` that is not a non-zero ``Decimal`` with at most
        2 decimals, then :class:`~actors.errors.SequenceGapError`,
        :class:`~actors.errors.NegativeLevelError` and
        :class:`~actors.errors.CrossedBookError`; but no delta is built.  Raises
        :class:`~actors.errors.InvalidFieldError` (owner ``BookSnapshot``) if
        ``side`` is not a :class:`~actors.domain.Side`.
        """
        if type(seq) is not int or seq < 0:
            self._bad_change("seq", seq, _checks.non_negative_int.wording)
        if side is Side.YES:
            name = "yes"
        elif side is Side.NO:
            name = "no"
        else:
            _checks.fail(self, "side", side, "must be a Side")
        payout = self.payout
        # The feed's hot path: a price or change checked before is not checked again
        # (a venue parser hands the same Decimal objects for the same texts, whose
        # hashes Python keeps). _checks.is_price inlined below: the range check comes
        # first, so the remainder's quotient is small and exact.
        checked = _CHECKED_PRICES.get(payout)
        if checked is None:
            checked = _CHECKED_PRICES[payout] = set()
        if not (type(price) is Decimal and not price.is_snan() and price in checked):
            if not (
                type(price) is Decimal
                and price.is_finite()
                and 0 < price < payout
                and not _remainder(price, _checks.PRICE_STEP)
            ):
                self._bad_change(f"{name}_changes.price", price, _checks.price_rule(payout))
            _remember(checked, price)
        if not (type(change) is Decimal and not change.is_snan() and change in _CHECKED_CHANGES):
            if not _checks.is_size_change(change):
                self._bad_change(f"{name}_changes[{price}].size", change, _checks.SIZE_CHANGE_RULE)
            _remember(_CHECKED_CHANGES, change)
        if seq != self.seq + 1:
            raise SequenceGapError(self.ticker, self.seq + 1, seq)
        if name == "yes":
            return self._trusted(seq, self._change_level("yes", self.yes_bids, price, change), None)
        return self._trusted(seq, None, self._change_level("no", self.no_bids, price, change))

    def top_of_book(self) -> TopOfBook:
        """The best YES and NO bids (and so the asks) of this snapshot."""
        return TopOfBook(
            self.ticker,
            self.seq,
            _best(self.yes_bids),
            _best(self.no_bids),
            payout=self.payout,
            crossing_tolerance=self.crossing_tolerance,
        )

    def _trusted(self, seq: int, yes_bids: Levels | None, no_bids: Levels | None) -> BookSnapshot:
        """A copy of this book at ``seq`` with new sides (``None`` keeps a side), checked
        only for crossing.

        Trusted, not validated: the caller guarantees ``seq`` is a non-negative
        ``int`` and each new side holds unique ascending in-range ``Decimal``
        prices with valid positive ``Decimal`` sizes, which holds for a side of
        this (validated, frozen) snapshot with validated changes merged in.
        Fills the slots the way the attrs ``__init__`` does, minus converters
        and validators.  Raises :class:`~actors.errors.CrossedBookError` like
        the constructor.
        """
        yes = self.yes_bids if yes_bids is None else yes_bids
        no = self.no_bids if no_bids is None else no_bids
        payout, tolerance = self.payout, self.crossing_tolerance
        if (
            yes
            and no
            and _add(yes[-1][0], no[-1][0]) >= (_add(payout, tolerance) if tolerance else payout)
        ):
            raise CrossedBookError(self.ticker, yes[-1][0], no[-1][0], payout, tolerance=tolerance)
        book = object.__new__(BookSnapshot)
        _set(book, "ticker", self.ticker)
        _set(book, "seq", seq)
        _set(book, "yes_bids", yes)
        _set(book, "no_bids", no)
        _set(book, "payout", payout)
        _set(book, "crossing_tolerance", tolerance)
        return book

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its fields with each side as one text (``"price size price size
        ..."``), rebuilt without validating again (:func:`_unpickle_book`): a pickle of
        this library's own, and two to three times cheaper both ways than attrs' default
        (one ``Decimal`` reduction per price and size), which the feed's worker process
        pays for every book it hands the daemon."""
        return (
            _unpickle_book,
            (
                self.ticker,
                self.seq,
                _side_text(self.yes_bids),
                _side_text(self.no_bids),
                str(self.payout),
                str(self.crossing_tolerance),
            ),
        )

    def _merge(self, side: str, levels: Levels, changes: Levels) -> Levels:
        """``levels`` with validated ``changes`` (unique prices, ascending) applied in order."""
        if len(changes) == 1:
            price, change = changes[0]
            return self._change_level(side, levels, price, change)
        if not changes:
            return levels
        sizes = dict(levels)
        for price, change in changes:
            size = sizes.get(price, _ZERO)
            new_size = _add(size, change)
            if new_size < 0:
                raise NegativeLevelError(self.ticker, side, price, size, change)
            if new_size == 0:
                sizes.pop(price, None)
            else:
                sizes[price] = new_size
        return tuple(sorted(sizes.items()))

    def _change_level(self, side: str, levels: Levels, price: Decimal, change: Decimal) -> Levels:
        """``levels`` with the size at ``price`` changed by ``change``; a level at 0 is removed."""
        at = bisect_left(levels, price, key=_price_of)
        if at < len(levels) and levels[at][0] == price:
            size = _add(levels[at][1], change)
            if size > 0:
                return (*levels[:at], (price, size), *levels[at + 1 :])
            if size == 0:
                return levels[:at] + levels[at + 1 :]
            raise NegativeLevelError(self.ticker, side, price, levels[at][1], change)
        if change < 0:
            raise NegativeLevelError(self.ticker, side, price, _ZERO, change)
        return (*levels[:at], (price, change), *levels[at:])

    def _bad_change(self, field_name: str, value: object, rule: str) -> NoReturn:
        """Raise the error :class:`BookDelta`'s constructor raises for ``field_name = value``."""
        raise InvalidFieldError("BookDelta", field_name, value, rule, ticker=self.ticker)


@frozen
class BookDelta:
    """Signed size changes to the levels of one market, message ``seq`` of its subscription.

    ``yes_changes`` and ``no_changes`` map ``Decimal`` prices to non-zero
    ``Decimal`` changes (at most 2 decimals).  Raises
    :class:`~actors.errors.InvalidFieldError` for a bad ticker or ``seq``, a
    price that is not a ``Decimal`` in ``(0, payout)`` with at most 4
    decimals, a duplicated price, or a bad change.
    """

    ticker: str = field(validator=_checks.identifier)
    seq: int = field(validator=_checks.non_negative_int)
    yes_changes: Levels = field(
        default=(), converter=_as_levels, validator=_valid_side(signed=True)
    )
    no_changes: Levels = field(default=(), converter=_as_levels, validator=_valid_side(signed=True))
    payout: Decimal = field(kw_only=True, default=_checks.DEFAULT_PAYOUT, validator=_checks.payout)


@frozen
class TopOfBook:
    """The best bid of each side of one market at ``seq``; the asks follow from them.

    ``best_yes_bid`` / ``best_no_bid`` are ``None`` when that side is empty.
    Raises :class:`~actors.errors.InvalidFieldError` for a bid that is not a
    :class:`Level` with a price below the payout or a bad
    ``crossing_tolerance``, and :class:`~actors.errors.CrossedBookError`
    if the bids add up to ``payout + crossing_tolerance`` or more.  Within
    the tolerance a YES ask may lie below the YES bid: that is the opportunity.
    """

    ticker: str = field(validator=_checks.identifier)
    seq: int = field(validator=_checks.non_negative_int)
    best_yes_bid: Level | None = field(validator=_bid)
    best_no_bid: Level | None = field(validator=_bid)
    payout: Decimal = field(kw_only=True, default=_checks.DEFAULT_PAYOUT, validator=_checks.payout)
    crossing_tolerance: Decimal = field(
        kw_only=True, default=_ZERO, validator=_checks.non_negative_amount
    )

    def __attrs_post_init__(self) -> None:
        _check_not_crossed(
            self.ticker,
            self.best_yes_bid,
            self.best_no_bid,
            self.payout,
            self.crossing_tolerance,
        )

    @property
    def yes_ask(self) -> Level | None:
        """The cheapest YES offered: ``payout - best NO bid`` at its size; ``None`` if none."""
        return self._complement(self.best_no_bid)

    @property
    def no_ask(self) -> Level | None:
        """The cheapest NO offered: ``payout - best YES bid`` at its size; ``None`` if none."""
        return self._complement(self.best_yes_bid)

    def _complement(self, bid: Level | None) -> Level | None:
        return None if bid is None else Level(_sub(self.payout, bid.price), bid.size)


def _side_text(levels: Levels) -> str:
    return " ".join([f"{price} {size}" for price, size in levels])


def _unpickle_book(  # noqa: PLR0917 - pickle calls it with its arguments in order
    ticker: str, seq: int, yes: str, no: str, payout: str, tolerance: str
) -> BookSnapshot:
    """A :class:`BookSnapshot` from :meth:`BookSnapshot.__reduce__`'s fields, trusted:
    it was validated when it was built, before it was pickled."""
    book = object.__new__(BookSnapshot)
    _set(book, "ticker", ticker)
    _set(book, "seq", seq)
    _set(book, "yes_bids", _side_of(yes))
    _set(book, "no_bids", _side_of(no))
    _set(book, "payout", Decimal(payout))
    _set(book, "crossing_tolerance", Decimal(tolerance))
    return book


def _side_of(text: str) -> Levels:
    numbers = [Decimal(n) for n in text.split()]
    return tuple(zip(numbers[::2], numbers[1::2], strict=True))
