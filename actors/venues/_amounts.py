"""Exact amounts from the venue's wire text: prices on each market's grid, contract counts.

Kalshi sends a price as a dollar string with up to 4 decimals (``"0.4200"``)
on the market's tick grid, and a count as a string with up to 2 decimals
(``"10.00"``; a delta's change is signed: ``"-5.00"``).  Each becomes a
``decimal.Decimal`` printed with the wire's full precision (a price with 4
decimals, a count with 2), so ``"0.4200" -> Decimal("0.4200") -> "0.4200"``
exactly.  Nothing is ever rounded: a value with too many decimals or off its
market's grid is refused, and every refusal is an :class:`AmountError` naming
its :class:`~actors.feed._reasons.RejectReason`:

- a JSON number, bool, null or container where a string belongs: ``not_string``
  (a ``NaN`` / ``Infinity`` literal or an infinite float: ``not_finite``);
- a string spelling NaN or infinity: ``not_finite``; any other string that is
  not plain fixed point (sign, exponent, space, ``_``, leading zeros):
  ``bad_number``;
- more decimals than the wire allows: ``too_precise``;
- a negative price or size: ``negative``; a price outside ``(0, payout)`` or
  its grid's bounds, a zero size or change, more than 18 integer digits:
  ``out_of_range``; a price between the bounds but not a multiple of the tick:
  ``off_grid``.

The parse is on the feed's hot path.  The valid price texts of one grid are
few (a few spellings of each of at most 10 000 prices), so each grid's
:class:`PriceParser` remembers the texts it accepted; sizes and changes repeat
too and share two bounded caches (cleared when full).  Only accepted texts are
cached, so a flood of bad data cannot grow them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from actors.errors import InvalidFieldError
from actors.money import EXACT, ONE, PriceGrid, decimals_of, parse_price
from actors.venues._reasons import RejectReason

KALSHI_TICK = Decimal("0.01")
"""The tick of Kalshi's ``linear_cent`` markets: the grid of a market nobody says more about."""

KALSHI_PRICE_PLACES = 4
"""Kalshi prints every price with 4 decimals and accepts 1 to 4."""

SIZE_PLACES = 2
"""Kalshi prints every count with 2 decimals (fractional contracts: 0.01) and accepts 0 to 2."""

_MAX_TEXT = 40
_MAX_INTEGER_DIGITS = 18
_CACHE_LIMIT = 65_536
_QUANTA = tuple(Decimal(1).scaleb(-places) for places in range(19))

_NUMBER = re.compile(r"(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?")
"""Plain fixed point, optionally negative; the sign is judged by the caller."""


class AmountError(Exception):
    """A wire amount the feed refuses: ``reason`` and a ``detail`` naming the text."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class NonFinite:
    """What a ``NaN`` / ``Infinity`` JSON literal parses to, so the field holding it is named."""

    __slots__ = ("literal",)

    def __init__(self, literal: str) -> None:
        self.literal = literal

    def __repr__(self) -> str:
        return self.literal


decode_frame = json.JSONDecoder(parse_constant=NonFinite).decode
"""A stream frame's text as JSON, ``NaN`` / ``Infinity`` as :class:`NonFinite` (so the
field holding one is refused by name). One decoder for every frame: ``json.loads``
with ``parse_constant`` builds a new decoder per call, which cost more than the
parse itself (5.0 vs 2.8 µs for a Kalshi delta, issue 15). orjson decodes the same
delta in 0.6-0.9 µs but turns an integer beyond 64 bits into a float, silently (a
property test against the stdlib found ``-9223372036854775809`` read as
``-9.223372036854776e+18``): a frame would no longer be parsed as sent, so it is not
used. Raises ``ValueError`` (``json.JSONDecodeError``) for text that is not JSON."""


def kalshi_grid(
    tick: Decimal = KALSHI_TICK, payout: Decimal = ONE, ticker: str | None = None
) -> PriceGrid:
    """The grid of a Kalshi market with ``tick`` (printed with 4 decimals, or the tick's own).

    Raises :class:`~actors.errors.InvalidFieldError` for a bad tick or payout.
    """
    places = KALSHI_PRICE_PLACES
    if type(tick) is Decimal and tick.is_finite():
        places = max(places, decimals_of(tick))
    return PriceGrid(tick, payout, places=places, ticker=ticker)


def grid_of_price_ranges(ranges: object, *, payout: Decimal, ticker: str) -> PriceGrid:
    """The grid of a market from Kalshi's ``price_ranges`` (``[{"start", "end", "step"}]``).

    More than one band (a tapered grid) gives the finest step over the whole
    range: every valid price is then accepted, and a price between two coarse
    ticks of a band is not refused (per-band grids come with issue 13).
    Raises :class:`~actors.errors.InvalidFieldError` (a ``ValueError``) for a
    missing or malformed list or step.
    """
    if not isinstance(ranges, list) or not ranges:
        raise InvalidFieldError("Market", "price_ranges", ranges, "must be a non-empty list")
    coarse = kalshi_grid(payout=payout, ticker=ticker)
    any_step = PriceGrid(Decimal("0.0001"), payout, places=KALSHI_PRICE_PLACES, ticker=ticker)
    steps = []
    for band in ranges:
        if not isinstance(band, dict):
            rule = "must be an object with a step"
            raise InvalidFieldError("Market", "price_ranges", band, rule, ticker=ticker)
        steps.append(parse_price(band.get("step"), any_step))
    finest = min(steps)
    return coarse if finest == coarse.tick else kalshi_grid(finest, payout, ticker)


def _non_string(text: object) -> AmountError:
    if isinstance(text, NonFinite) or (isinstance(text, float) and not math.isfinite(text)):
        return AmountError(RejectReason.NOT_FINITE, f"{text!r} is not a finite number")
    return AmountError(RejectReason.NOT_STRING, f"{text!r} is not a decimal string")


def _number(text: object, places: int) -> Decimal:
    """``text`` (plain fixed point, maybe negative, at most ``places`` decimals) as a
    ``Decimal`` printed with ``places`` decimals; :class:`AmountError` otherwise."""
    if type(text) is not str:
        raise _non_string(text)
    match = _NUMBER.fullmatch(text) if len(text) <= _MAX_TEXT else None
    if match is None:
        try:
            finite = Decimal(text).is_finite()
        except (InvalidOperation, ValueError):
            finite = True  # not a number at all
        if not finite:
            raise AmountError(RejectReason.NOT_FINITE, f"{text!r} is not a finite number")
        raise AmountError(RejectReason.BAD_NUMBER, f"{text!r} is not plain fixed-point text")
    _sign, whole, fraction = match.groups()
    decimals = len(fraction) if fraction else 0
    if decimals > places:
        detail = f"{text!r} has {decimals} decimals, more than the {places} allowed"
        raise AmountError(RejectReason.TOO_PRECISE, detail)
    if len(whole) > _MAX_INTEGER_DIGITS:
        raise AmountError(RejectReason.OUT_OF_RANGE, f"{text!r} is too large")
    value = Decimal(text)
    return value if decimals == places else value.quantize(_QUANTA[places], context=EXACT)


class PriceParser:
    """Price texts of one market's :class:`~actors.money.PriceGrid` to ``Decimal``."""

    __slots__ = ("accepted", "grid")

    def __init__(self, grid: PriceGrid) -> None:
        self.grid = grid
        self.accepted: dict[str, Decimal] = {}
        """Every text accepted so far (bounded by the grid; the hot path reads it directly)."""

    def parse(self, text: object) -> Decimal:
        """The price ``text`` holds, on the grid, with the grid's decimals; never rounded.

        Raises :class:`AmountError` (see the module docstring for the reasons).
        """
        if type(text) is str:
            known = self.accepted.get(text)
            if known is not None:
                return known
        grid = self.grid
        value = _number(text, grid.places)
        if value.is_signed():
            raise AmountError(RejectReason.NEGATIVE, f"{text!r} is negative")
        if not 0 < value < grid.payout:
            detail = f"{text!r} is not in (0, payout {grid.payout})"
            raise AmountError(RejectReason.OUT_OF_RANGE, detail)
        if EXACT.remainder(value, grid.tick):
            raise AmountError(RejectReason.OFF_GRID, f"{text!r} is not a multiple of {grid.tick}")
        if not grid.min_price <= value <= grid.max_price:
            detail = f"{text!r} is not in [{grid.min_price}, {grid.max_price}]"
            raise AmountError(RejectReason.OUT_OF_RANGE, detail)
        if len(self.accepted) < _CACHE_LIMIT:
            self.accepted[text] = value  # type: ignore[index]  # _number checked it is a str
        return value


SIZES: dict[str, Decimal] = {}
"""Accepted level size texts (> 0); the hot path reads it directly. Cleared when full."""

CHANGES: dict[str, Decimal] = {}
"""Accepted signed change texts (!= 0); the hot path reads it directly. Cleared when full."""


def parse_size(text: object) -> Decimal:
    """A level's size: ``text`` > 0 with at most 2 decimals, as a 2-decimal ``Decimal``.

    Raises :class:`AmountError`: ``negative`` for a negative size, ``out_of_range``
    for zero, and the format reasons of the module docstring.
    """
    if type(text) is str:
        known = SIZES.get(text)
        if known is not None:
            return known
    value = _number(text, SIZE_PLACES)
    if value.is_signed():
        raise AmountError(RejectReason.NEGATIVE, f"{text!r} is negative")
    if not value:
        raise AmountError(RejectReason.OUT_OF_RANGE, f"{text!r} is not a size > 0")
    _remember(SIZES, text, value)
    return value


def parse_change(text: object) -> Decimal:
    """A delta's signed change: ``text`` != 0 with at most 2 decimals, as a 2-decimal ``Decimal``.

    Raises :class:`AmountError`: ``out_of_range`` for zero (it changes nothing),
    and the format reasons of the module docstring.
    """
    if type(text) is str:
        known = CHANGES.get(text)
        if known is not None:
            return known
    value = _number(text, SIZE_PLACES)
    if not value:
        raise AmountError(RejectReason.OUT_OF_RANGE, f"{text!r} changes nothing")
    _remember(CHANGES, text, value)
    return value


def _remember(cache: dict[str, Decimal], text: object, value: Decimal) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[text] = value  # type: ignore[index]  # only a str gets this far


class PriceGrids:
    """Each market's price grid: its own where one is known, ``default`` for the rest.

    Holds one :class:`PriceParser` (and so one cache) per grid.  Not shared
    between threads by design: the feed's connection owns its instance.
    """

    def __init__(
        self, default: PriceGrid | None = None, grids: Mapping[str, PriceGrid] | None = None
    ) -> None:
        self.default = kalshi_grid() if default is None else default
        self._default = PriceParser(self.default)
        self._parsers = {ticker: PriceParser(grid) for ticker, grid in (grids or {}).items()}

    @property
    def grids(self) -> dict[str, PriceGrid]:
        """The markets with a grid of their own."""
        return {ticker: parser.grid for ticker, parser in self._parsers.items()}

    def grid(self, ticker: str) -> PriceGrid:
        return self.parser(ticker).grid

    def parser(self, ticker: str) -> PriceParser:
        return self._parsers.get(ticker, self._default)

    def with_grids(self, grids: Mapping[str, PriceGrid]) -> PriceGrids:
        """A copy in which ``grids`` replace the grids of their markets."""
        return PriceGrids(self.default, {**self.grids, **grids})
