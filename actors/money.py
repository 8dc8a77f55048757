"""Exact money: prices, sizes and fees as ``Decimal`` on each market's grid.

Every amount is a :class:`decimal.Decimal` (never ``float``, never ``int``
cents).  The venues send fixed-point decimal strings (Kalshi ``"0.1200"``,
``"10.00"``; Polymarket ``"0.514"``, ``"2000.76"``) on per-market tick grids
down to ``0.0001``; ``Decimal`` holds each of them exactly with no per-venue
scale to track.  docs/money.md records the decision and what it costs.

The rules this module enforces:

* **Wire strings round-trip exactly.**  :func:`parse_price` and
  :func:`parse_size` accept only plain fixed-point text (``"0.12"``,
  ``"10"``): no sign, exponent, NaN, infinity, whitespace, ``float`` or more
  decimals than the market's wire precision.  :func:`format_price` and
  :func:`format_size` print exactly the requested decimals and refuse a value
  that would need rounding.
* **A price off the grid is rejected, never rounded.**  :meth:`PriceGrid.check`
  raises :class:`~actors.errors.InvalidFieldError` naming the value and the tick.
* **Sizes round down to the lot** (:meth:`LotSize.round_down`): a strategy never
  asks for more than the book shows.
* **Fee math is exact** (``Decimal`` under :data:`EXACT`, which raises
  rather than round) and rounds only as the venue documents, stated on
  :class:`KalshiFees` and :class:`PolymarketFees`.

Every failure is an :class:`~actors.errors.InvalidFieldError` (a
``ValueError``) naming the owner, the field, the bad value and the rule.
"""

from __future__ import annotations

import enum
import re
from decimal import Context, Decimal, Inexact, InvalidOperation, localcontext
from typing import Any, ClassVar, Literal, NoReturn, Protocol, TypeGuard

from attrs import field, frozen

from actors.errors import InvalidFieldError

__all__ = [
    "EXACT",
    "ONE",
    "BreakEven",
    "FeeSchedule",
    "KalshiFees",
    "LotSize",
    "PolymarketFees",
    "PriceGrid",
    "break_even_price",
    "decimals_of",
    "format_price",
    "format_size",
    "parse_price",
    "parse_size",
]

ONE = Decimal(1)
"""What one contract pays at settlement on Kalshi and Polymarket: one dollar."""

MAX_PLACES = 18
"""The most decimals a grid, lot or wire string may carry (venues use at most 6)."""

_MAX_WIRE_LENGTH = 40
"""Longer wire text is refused before parsing: no venue sends such numbers."""

_WIRE = re.compile(r"(?:0|[1-9][0-9]*)(?:\.([0-9]+))?")
"""Plain fixed point: digits, optionally a dot and at least one digit. No sign, no exponent."""

_TICKER = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
"""A ticker named in errors: the identifier alphabet of :mod:`actors`."""

EXACT = Context(prec=80, traps=[InvalidOperation, Inexact])
"""The context for money arithmetic: any rounding raises instead of passing silently.

Use it as ``with decimal.localcontext(EXACT):`` around sums and products of
amounts; rounding is only ever done on purpose, by a fee rule or a lot."""


def decimals_of(value: Decimal) -> int:
    """How many decimals ``value`` needs (``0.010`` -> 2, ``5`` -> 0, ``1E+2`` -> 0)."""
    exponent = value.normalize(EXACT).as_tuple().exponent
    assert isinstance(exponent, int)  # finite values only reach here
    return max(0, -exponent)


_QUANTA = tuple(Decimal(1).scaleb(-places) for places in range(MAX_PLACES + 1))
"""``_QUANTA[n]`` is ``10 ** -n``: the step of ``n`` decimals."""


def _quantum(places: int) -> Decimal:
    return _QUANTA[places]


def _is_decimal(value: object) -> TypeGuard[Decimal]:
    """A finite ``Decimal``: not ``float``, ``int``, ``bool``, NaN or infinity."""
    return type(value) is Decimal and value.is_finite()


def _is_multiple(value: Decimal, step: Decimal) -> bool:
    # Decimal's remainder is exact whenever the integer quotient fits the precision; a
    # quotient too large for 80 digits raises InvalidOperation, which is no multiple here.
    try:
        return not EXACT.remainder(value, step)
    except InvalidOperation:
        return False


def _round_to(value: Decimal, quantum: Decimal, *, up: bool, divisor: Decimal = ONE) -> Decimal:
    """``value / divisor`` rounded up (or down) to a multiple of ``quantum``, exactly.

    ``divisor`` and ``quantum`` are positive.  Integer division of Decimals is
    exact (it raises if the quotient needs more than 80 digits), so no
    intermediate is ever rounded.
    """
    units, rest = EXACT.divmod(value, EXACT.multiply(divisor, quantum))  # truncates to zero
    if rest and up and value > 0:
        units += 1
    elif rest and not up and value < 0:
        units -= 1
    return EXACT.multiply(units, quantum)


def _is_int(value: object) -> TypeGuard[int]:
    """A genuine ``int``: ``True`` is never a count of decimals."""
    return type(value) is int


def _fail(instance: object, field_name: str, value: object, rule: str) -> NoReturn:
    """Raise :class:`InvalidFieldError` for ``type(instance).field_name = value``."""
    ticker = getattr(instance, "ticker", None)
    raise InvalidFieldError(
        type(instance).__name__,
        field_name,
        value,
        rule,
        ticker=ticker if isinstance(ticker, str) else None,
    )


def _positive_decimal(instance: object, attribute: Any, value: Any) -> None:
    if not _is_decimal(value) or value <= 0:
        _fail(instance, attribute.name, value, "must be a finite Decimal > 0")


def _fee_rate(instance: object, attribute: Any, value: Any) -> None:
    if not _is_decimal(value) or not 0 <= value < 1:
        _fail(instance, attribute.name, value, "must be a finite Decimal in [0, 1)")


def _places(instance: object, attribute: Any, value: Any) -> None:
    if not _is_int(value) or not 0 <= value <= MAX_PLACES:
        _fail(instance, attribute.name, value, f"must be an integer in [0, {MAX_PLACES}]")


def _optional_ticker(instance: object, attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not _TICKER.fullmatch(value)):
        _fail(
            instance, attribute.name, value, "must be None or 1-128 characters of [A-Za-z0-9._:-]"
        )


@frozen
class PriceGrid:
    """The valid prices of one market: multiples of ``tick`` in ``[min_price, max_price]``.

    ``payout`` is what one contract pays at settlement; every valid price lies
    strictly inside ``(0, payout)``.  ``min_price`` defaults to ``tick`` and
    ``max_price`` to ``payout - tick`` (Polymarket's ``tick <= p <= 1 - tick``).
    ``places`` is the number of decimals the venue prints (Kalshi always 4;
    Polymarket the tick's own); it defaults to the tick's decimals and may not
    be smaller.  ``ticker`` is named in every error when given.

    Construction raises :class:`~actors.errors.InvalidFieldError` for a
    non-``Decimal`` or non-positive tick or payout, bounds off the tick or
    outside ``(0, payout)``, ``min_price > max_price``, or too few places.
    A Kalshi market with several ``price_ranges`` bands is one grid per band.
    """

    tick: Decimal = field(validator=_positive_decimal)
    payout: Decimal = field(default=ONE, validator=_positive_decimal)
    min_price: Decimal = field()
    max_price: Decimal = field()
    places: int = field(validator=_places)
    ticker: str | None = field(default=None, validator=_optional_ticker)

    @min_price.default
    def _min_price_default(self) -> Decimal:
        return self.tick

    @max_price.default
    def _max_price_default(self) -> Decimal:
        if _is_decimal(self.payout) and _is_decimal(self.tick):
            return EXACT.subtract(self.payout, self.tick)
        return self.payout  # a bad tick or payout: their validators raise

    @places.default
    def _places_default(self) -> int:
        return decimals_of(self.tick) if _is_decimal(self.tick) else 0

    def __attrs_post_init__(self) -> None:
        if self.places < decimals_of(self.tick):
            _fail(self, "places", self.places, f"must be >= the decimals of tick {self.tick}")
        for name in ("min_price", "max_price"):
            bound = getattr(self, name)
            if not _is_decimal(bound) or not 0 < bound < self.payout:
                _fail(self, name, bound, f"must be a Decimal in (0, payout {self.payout})")
            if not _is_multiple(bound, self.tick):
                _fail(self, name, bound, f"must be a multiple of tick {self.tick}")
        if self.min_price > self.max_price:
            _fail(self, "min_price", self.min_price, f"must be <= max_price {self.max_price}")

    @property
    def steps(self) -> int:
        """How many ticks lie between ``min_price`` and ``max_price``."""
        return int(EXACT.divide_int(EXACT.subtract(self.max_price, self.min_price), self.tick))

    def price_at(self, index: int) -> Decimal:
        """The ``index``-th valid price, counting from ``min_price`` (0) to :attr:`steps`."""
        if not _is_int(index) or not 0 <= index <= self.steps:
            _fail(self, "index", index, f"must be an integer in [0, {self.steps}]")
        price = EXACT.add(self.min_price, EXACT.multiply(Decimal(index), self.tick))
        return price.quantize(_quantum(self.places), context=EXACT)

    def contains(self, price: object) -> bool:
        """True if ``price`` is a finite ``Decimal`` on this grid."""
        return (
            _is_decimal(price)
            and self.min_price <= price <= self.max_price
            and _is_multiple(price, self.tick)
        )

    def check(self, price: object, field_name: str = "price") -> Decimal:
        """Return ``price`` if it is on the grid; never rounds.

        Raises :class:`~actors.errors.InvalidFieldError` naming ``field_name``,
        the value, the tick and the bounds otherwise (including for a
        ``float``, ``int``, NaN or infinity).
        """
        if not self.contains(price):
            _fail(
                self,
                field_name,
                price,
                f"must be a Decimal multiple of tick {self.tick}"
                f" in [{self.min_price}, {self.max_price}]",
            )
        assert isinstance(price, Decimal)  # contains() checked it
        return price


@frozen
class LotSize:
    """The valid order sizes of one market: multiples of ``step`` of at least ``min_size``.

    Kalshi: step ``0.01`` on fractional markets, ``1`` otherwise, wire
    ``places`` 2.  Polymarket: step ``0.01``, 5 shares minimum for resting
    orders.  ``min_size`` defaults to ``step`` and must be a multiple of it.
    Construction raises :class:`~actors.errors.InvalidFieldError` for a bad
    step, minimum or places.
    """

    step: Decimal = field(validator=_positive_decimal)
    min_size: Decimal = field()
    places: int = field(validator=_places)
    ticker: str | None = field(default=None, validator=_optional_ticker)

    @min_size.default
    def _min_size_default(self) -> Decimal:
        return self.step

    @places.default
    def _places_default(self) -> int:
        return decimals_of(self.step) if _is_decimal(self.step) else 0

    def __attrs_post_init__(self) -> None:
        if self.places < decimals_of(self.step):
            _fail(self, "places", self.places, f"must be >= the decimals of step {self.step}")
        if not _is_decimal(self.min_size) or self.min_size <= 0:
            _fail(self, "min_size", self.min_size, "must be a finite Decimal > 0")
        if not _is_multiple(self.min_size, self.step):
            _fail(self, "min_size", self.min_size, f"must be a multiple of step {self.step}")

    def round_down(self, size: object) -> Decimal:
        """The largest valid size ``<= size``, or ``Decimal(0)`` if that is below ``min_size``.

        The result is printed with :attr:`places` decimals.  Raises
        :class:`~actors.errors.InvalidFieldError` for anything but a finite,
        non-negative ``Decimal``.
        """
        if not _is_decimal(size) or size.is_signed():
            _fail(self, "size", size, "must be a finite Decimal >= 0")
        rounded = _round_to(size, self.step, up=False)
        if rounded < self.min_size:
            rounded = Decimal(0)
        return rounded.quantize(_quantum(self.places), context=EXACT)

    def contains(self, size: object) -> bool:
        """True if ``size`` is a ``Decimal`` multiple of ``step`` of at least ``min_size``."""
        return _is_decimal(size) and size >= self.min_size and _is_multiple(size, self.step)

    def check(self, size: object, field_name: str = "size") -> Decimal:
        """Return ``size`` if it is a valid order size; raise :class:`InvalidFieldError` if not."""
        if not self.contains(size):
            _fail(
                self,
                field_name,
                size,
                f"must be a Decimal multiple of step {self.step} >= {self.min_size}",
            )
        assert isinstance(size, Decimal)  # contains() checked it
        return size


def _parse(text: object, places: int, owner: str, name: str, ticker: str | None) -> Decimal:
    """``text`` as a ``Decimal`` printed with ``places`` decimals; the format is checked here."""
    match = (
        _WIRE.fullmatch(text) if isinstance(text, str) and len(text) <= _MAX_WIRE_LENGTH else None
    )
    if match is None:
        rule = (
            "must be plain fixed-point digits (no sign, exponent, space, NaN or infinity)"
            if isinstance(text, str)
            else "must be a fixed-point decimal string"
        )
        raise InvalidFieldError(owner, name, text, rule, ticker=ticker)
    decimals = len(match.group(1) or "")
    if decimals > places:
        rule = f"has {decimals} decimals, more than the {places} allowed"
        raise InvalidFieldError(owner, name, text, rule, ticker=ticker)
    value = Decimal(match.string)
    # the common case (Kalshi pads every price to 4 decimals) needs no quantize
    return value if decimals == places else value.quantize(_QUANTA[places], context=EXACT)


def _format(value: object, places: int, owner: str, name: str) -> str:
    if not _is_int(places) or not 0 <= places <= MAX_PLACES:
        raise InvalidFieldError(owner, "places", places, f"must be an integer in [0, {MAX_PLACES}]")
    if not _is_decimal(value) or value.is_signed():
        raise InvalidFieldError(owner, name, value, "must be a finite Decimal >= 0")
    try:
        exact = value.quantize(_QUANTA[places], context=EXACT)
    except (Inexact, InvalidOperation):
        raise InvalidFieldError(
            owner, name, value, f"needs more than {places} decimals (never rounded)"
        ) from None
    # str() is plain fixed point for an exponent <= 0 and an adjusted exponent >= -6
    return str(exact) if exact.adjusted() >= -6 else f"{exact:f}"


def parse_price(text: object, grid: PriceGrid) -> Decimal:
    """The price a venue's wire ``text`` holds, checked against ``grid``.

    Accepts ``"0.12"``, ``"0.1200"``, ``"0.5"`` (up to ``grid.places``
    decimals) and returns the value printed with ``grid.places`` decimals, so
    ``format_price(parse_price(s, g), g.places) == s`` for every canonical
    ``s``.  Raises :class:`~actors.errors.InvalidFieldError` for a non-string,
    a sign, exponent, NaN, infinity, whitespace, extra decimals, or a price
    off the grid (naming the value and the tick).
    """
    value = _parse(text, grid.places, "PriceGrid", "price", grid.ticker)
    if grid.min_price <= value <= grid.max_price and _is_multiple(value, grid.tick):
        return value
    return grid.check(value)  # raises, naming the value and the tick


def format_price(value: object, places: int) -> str:
    """``value`` as fixed-point text with exactly ``places`` decimals (``"0.1200"``).

    Raises :class:`~actors.errors.InvalidFieldError` for a non-``Decimal``,
    NaN, infinity, a negative value, or one that needs more decimals: a
    price is never rounded on its way out.
    """
    return _format(value, places, "wire", "price")


def parse_size(text: object, lot: LotSize) -> Decimal:
    """The size (count of contracts or shares) a venue's wire ``text`` holds.

    A book level may hold any non-negative size with up to ``lot.places``
    decimals (zero removes a Polymarket level), so this checks the format, not
    the lot: use :meth:`LotSize.check` for order sizes.  Returns the value with
    ``lot.places`` decimals.  Raises :class:`~actors.errors.InvalidFieldError`
    like :func:`parse_price`.
    """
    return _parse(text, lot.places, "LotSize", "size", lot.ticker)


def format_size(value: object, places: int) -> str:
    """``value`` as fixed-point text with exactly ``places`` decimals (``"10.00"``).

    Same failures as :func:`format_price`.
    """
    return _format(value, places, "wire", "size")


def _check_trade(owner: object, size: object, price: object, payout: object) -> None:
    """Raise unless ``size`` > 0, ``payout`` > 0 and ``0 < price < payout``, all ``Decimal``."""
    if not _is_decimal(payout) or payout <= 0:
        _fail(owner, "payout", payout, "must be a finite Decimal > 0")
    if not _is_decimal(size) or size <= 0:
        _fail(owner, "size", size, "must be a finite Decimal > 0")
    if not _is_decimal(price) or not 0 < price < payout:
        _fail(owner, "price", price, f"must be a Decimal in (0, payout {payout})")


class FeeSchedule(Protocol):
    """A venue's fees, as the cash a fill moves (all amounts ``Decimal`` dollars).

    ``payout`` scales the formulas (they are written for a one-dollar
    contract); ``maker`` selects the maker rate (resting order filled) over the
    taker rate (order that crossed the spread).
    """

    def trade_fee(
        self, size: Decimal, price: Decimal, payout: Decimal = ONE, *, maker: bool = False
    ) -> Decimal:
        """The venue's fee for one fill of ``size`` at ``price``, rounded as it rounds."""

    def buy_cost(
        self, size: Decimal, price: Decimal, payout: Decimal = ONE, *, maker: bool = False
    ) -> Decimal:
        """How much the balance drops for buying ``size`` at ``price`` in one fill."""

    def sell_proceeds(
        self, size: Decimal, price: Decimal, payout: Decimal = ONE, *, maker: bool = False
    ) -> Decimal:
        """How much the balance rises for selling ``size`` at ``price`` in one fill."""


@frozen
class KalshiFees:
    """Kalshi's quadratic fees with its fee rounding, for one fill.

    Rule (sources: kalshi-fee-schedule via docs/get-series ``fee_type``
    ``quadratic``; the rounding from Kalshi's "Fee Rounding" page,
    ``/work/shared/venues/kalshi/docs/getting_started/fee_rounding.md``):

    1. trade fee = ``rate x C x P x (1 - P)`` dollars, **rounded up to $0.0001**;
       ``rate`` is 0.07 for takers, 0.0175 for makers on series with maker fees
       (0.25 x 0.07; 0.035 for combo maker fees), times the series' multiplier;
    2. the balance change ``revenue - trade fee`` (revenue ``-P x C`` for a buy,
       ``+P x C`` for a sell) is **floored** to the member's balance precision,
       ``$0.01`` (non-direct member, the default) or ``$0.0001`` (direct member);
       the difference is the "rounding fee".

    On whole-cent prices and whole contracts this is the classic
    ``ceil_to_cent(0.07 x C x P x (1 - P))``.  Kalshi rebates accumulated
    rounding fees across the fills of one order in whole cents, so an order
    filled in pieces pays at most what these single-fill figures add up to;
    the actual fee is the fill's ``fee_cost``.  Rates are finite ``Decimal`` in
    ``[0, 1)``; construction raises :class:`~actors.errors.InvalidFieldError`
    otherwise.  Each method raises it for a non-positive or non-``Decimal``
    size, or a price outside ``(0, payout)``.
    """

    taker_rate: Decimal = field(default=Decimal("0.07"), validator=_fee_rate)
    maker_rate: Decimal = field(default=Decimal(0), validator=_fee_rate)
    balance_precision: Decimal = field(default=Decimal("0.01"), validator=_positive_decimal)

    FEE_QUANTUM: ClassVar[Decimal] = Decimal("0.0001")
    """Kalshi rounds the trade fee up to a centicent."""

    def trade_fee(
        self, size: Decimal, price: Decimal, payout: Decimal = ONE, *, maker: bool = False
    ) -> Decimal:
        """Step 1: ``rate x C x P x (1 - P) x payout`` rounded up to $0.0001."""
        _check_trade(self, size, price, payout)
        rate = self.maker_rate if maker else self.taker_rate
        with localcontext(EXACT):
            # rate x C x P x (1 - P) x payout with P = price / payout, divided last
            numerator = rate * size * price * (payout - price)
        return _round_to(numerator, self.FEE_QUANTUM, up=True, divisor=payout)

    def balance_change(self, revenue: Decimal, trade_fee: Decimal) -> Decimal:
        """Step 2: ``revenue - trade_fee`` floored to :attr:`balance_precision`.

        ``revenue`` is signed (negative for a buyer).  Raises
        :class:`~actors.errors.InvalidFieldError` for a non-``Decimal`` or a
        negative fee.
        """
        if not _is_decimal(revenue):
            _fail(self, "revenue", revenue, "must be a finite Decimal")
        if not _is_decimal(trade_fee) or trade_fee < 0:
            _fail(self, "trade_fee", trade_fee, "must be a finite Decimal >= 0")
        return _round_to(EXACT.subtract(revenue, trade_fee), self.balance_precision, up=False)

    def buy_cost(
        self, size: Decimal, price: Decimal, payout: Decimal = ONE, *, maker: bool = False
    ) -> Decimal:
        """Cash out for buying ``size`` at ``price`` in one fill: ``-balance_change``."""
        fee = self.trade_fee(size, price, payout, maker=maker)
        return EXACT.minus(self.balance_change(EXACT.minus(EXACT.multiply(size, price)), fee))

    def sell_proceeds(
        self, size: Decimal, price: Decimal, payout: Decimal = ONE, *, maker: bool = False
    ) -> Decimal:
        """Cash in for selling ``size`` at ``price`` in one fill (may be 0, never negative)."""
        fee = self.trade_fee(size, price, payout, maker=maker)
        return max(Decimal(0), self.balance_change(EXACT.multiply(size, price), fee))


def _exponent(instance: object, attribute: Any, value: Any) -> None:
    if not _is_int(value) or not 1 <= value <= 4:
        _fail(instance, attribute.name, value, "must be an integer in [1, 4]")


@frozen
class PolymarketFees:
    """Polymarket's taker fee, for one fill; makers pay nothing.

    Rule (source: /work/shared/venues/polymarket.md §5, citing
    docs.polymarket.com/trading/fees and Polymarket's TS client
    ``src/fees``): ``fee = C x feeRate x (P x (1 - P))^exponent`` in pUSD,
    rounded to 5 decimals ($0.00001).  The page does not say which way; the
    Nautilus adapter floors.  This model rounds **up**, so the estimate is
    never below the charge under either reading (at most $0.00001 above it).
    ``exponent`` is 1 on current markets (``fd.e`` of ``/clob-markets``).
    Cash moves at the price with no further rounding (6-decimal pUSD).

    Not modelled: the fees page once said buy fees are collected in shares
    (``fee / P`` fewer shares received); see docs/money.md.
    """

    taker_rate: Decimal = field(default=Decimal("0.04"), validator=_fee_rate)
    exponent: int = field(default=1, validator=_exponent)

    FEE_QUANTUM: ClassVar[Decimal] = Decimal("0.00001")
    """Polymarket rounds fees to five decimals."""

    def trade_fee(
        self, size: Decimal, price: Decimal, payout: Decimal = ONE, *, maker: bool = False
    ) -> Decimal:
        """``C x rate x (P(1-P))^exponent x payout`` rounded up to $0.00001; 0 for a maker."""
        _check_trade(self, size, price, payout)
        if maker:
            return Decimal(0)
        with localcontext(EXACT):
            # C x rate x (P(1-P))^e x payout with P = price / payout, divided last
            numerator = self.taker_rate * size * (price * (payout - price)) ** self.exponent
            divisor = payout ** (2 * self.exponent - 1)
        return _round_to(numerator, self.FEE_QUANTUM, up=True, divisor=divisor)

    def buy_cost(
        self, size: Decimal, price: Decimal, payout: Decimal = ONE, *, maker: bool = False
    ) -> Decimal:
        """``size x price`` plus the fee."""
        fee = self.trade_fee(size, price, payout, maker=maker)
        return EXACT.add(EXACT.multiply(size, price), fee)

    def sell_proceeds(
        self, size: Decimal, price: Decimal, payout: Decimal = ONE, *, maker: bool = False
    ) -> Decimal:
        """``size x price`` less the fee (never negative)."""
        fee = self.trade_fee(size, price, payout, maker=maker)
        return max(Decimal(0), EXACT.subtract(EXACT.multiply(size, price), fee))


class BreakEven(enum.Enum):
    """The answer of :func:`break_even_price` when no price on the grid works."""

    IMPOSSIBLE = "impossible"
    """Even the grid's highest price does not recover the cost after fees."""


def break_even_price(
    cost: Decimal,
    size: Decimal,
    grid: PriceGrid,
    fees: FeeSchedule,
    *,
    maker: bool = False,
) -> Decimal | Literal[BreakEven.IMPOSSIBLE]:
    """The lowest price on ``grid`` at which selling ``size`` recovers ``cost`` after fees.

    ``cost`` is what the position cost, fees included (add a target profit to
    it to get a take-profit price).  Returns a grid price ``p`` with
    ``fees.sell_proceeds(size, p) >= cost`` whose tick below does not recover
    the cost (or ``p`` is ``grid.min_price``), or :attr:`BreakEven.IMPOSSIBLE`
    when even ``grid.max_price`` does not.  Proceeds rise with the price
    because fee rates are below 1; the fee's own rounding can wobble them by
    one fee quantum on tiny sizes, which is why the answer is defined by its
    neighbour rather than by a global minimum.

    Raises :class:`~actors.errors.InvalidFieldError` for a negative or
    non-``Decimal`` cost or a non-positive size.
    """
    if not _is_decimal(cost) or cost < 0:
        raise InvalidFieldError("break_even_price", "cost", cost, "must be a finite Decimal >= 0")

    def recovers(index: int) -> bool:
        return fees.sell_proceeds(size, grid.price_at(index), grid.payout, maker=maker) >= cost

    low, high = 0, grid.steps
    if not recovers(high):
        return BreakEven.IMPOSSIBLE
    if recovers(low):
        return grid.price_at(low)
    while high - low > 1:  # invariant: low does not recover the cost, high does
        middle = (low + high) // 2
        if recovers(middle):
            high = middle
        else:
            low = middle
    return grid.price_at(high)
