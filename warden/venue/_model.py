"""Value types of the simulated venue: sides, orders as requested, fills, book deltas, clocks.

Money is exact: every price, cost and fee is a :class:`decimal.Decimal` in
dollars and every size a ``Decimal`` count of contracts (multiples of
:data:`LOT`, 0.01).  A price lies in ``(0, PAYOUT)`` with at most
:data:`PRICE_PLACES` decimals; whether it is on a market's tick grid is
checked where the market is known (:mod:`warden.venue._wire`,
:mod:`warden.venue._engine`).  Nothing here is a float except clock
readings.  Every class is frozen: the engine hands these out and never
mutates them afterwards.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import enum
import time
from decimal import Decimal
from typing import Protocol

import attrs
from attrs import converters, define, field, frozen

from actors import money
from supervision import validators
from warden.venue._shapes import FillWire, OrderWire

PAYOUT = money.ONE
"""What one contract pays at settlement: one dollar (Kalshi)."""
PRICE_PLACES = 4
"""Prices go out with exactly 4 decimals (``"0.4200"``) and come in with 1 to 4."""
COUNT_PLACES = 2
"""Counts go out with exactly 2 decimals (``"10.00"``) and come in with 0 to 2."""
DEFAULT_TICK = Decimal("0.01")
"""Kalshi's ``linear_cent`` grid: the tick of a market whose config gives none."""
LOT = money.LotSize(Decimal("0.01"), places=COUNT_PLACES)
"""Every market takes fractional contracts in steps of 0.01 (Kalshi's granularity)."""
ZERO = Decimal(0)


def grid_for(tick: Decimal, ticker: str | None = None) -> money.PriceGrid:
    """The price grid of a market with this tick: multiples of ``tick`` in ``[tick, 1 - tick]``."""
    return money.PriceGrid(tick, PAYOUT, places=PRICE_PLACES, ticker=ticker)


_FORMATTED_AT_MOST = 100_000
"""Wire strings a formatting cache holds before it starts again (a bound on memory)."""
_DOLLARS: dict[Decimal, str] = {}
_COUNTS: dict[Decimal, str] = {}
_PRICES: dict[Decimal, str] = {}
_TIMES: dict[float, str] = {}
_TIMES_AT_MOST = 4_096
"""Clock readings :func:`iso_time` keeps the text of (an order's created and updated
times are usually one reading, and a dynamics step on a manual clock is one)."""


def _cached(cache: dict[Decimal, str], value: Decimal, text: str) -> str:
    if len(cache) >= _FORMATTED_AT_MOST:
        cache.clear()
    cache[value] = text
    return text


def dollars(value: Decimal) -> str:
    """A money amount as a wire string: 4 decimals, or up to 6 when it needs them.

    Prices always fit 4 decimals; a fee on a fractional count at a sub-penny
    price can need 6 (Kalshi's own example: a rounding fee of $0.009597).  The
    text depends on the value only (equal Decimals format alike), so it is kept:
    the venue writes the same prices and sizes over and over (formatting was
    most of a dynamics step at 2,000 markets).
    """
    if type(value) is Decimal and value.is_finite() and (text := _DOLLARS.get(value)):
        return text
    places = max(PRICE_PLACES, money.decimals_of(value))
    return _cached(_DOLLARS, value, money.format_price(value, places))


def signed_dollars(value: Decimal) -> str:
    """Like :func:`dollars`, with a leading ``-`` for a negative amount (P&L)."""
    return f"-{dollars(-value)}" if value < 0 else dollars(value)


def count_fp(value: Decimal) -> str:
    """A count as a wire string with exactly 2 decimals (``"10.00"``), kept like
    :func:`dollars`'s."""
    if type(value) is Decimal and value.is_finite() and (text := _COUNTS.get(value)):
        return text
    return _cached(_COUNTS, value, money.format_size(value, COUNT_PLACES))


def signed_count_fp(value: Decimal) -> str:
    """Like :func:`count_fp`, with a leading ``-`` for a negative count (a delta, a position)."""
    return f"-{count_fp(-value)}" if value < 0 else count_fp(value)


def price_fp(value: Decimal) -> str:
    """A price as a wire string with exactly 4 decimals (``"0.4200"``), kept like
    :func:`dollars`'s (every order's wire form carries two)."""
    if type(value) is Decimal and value.is_finite() and (text := _PRICES.get(value)):
        return text
    return _cached(_PRICES, value, money.format_price(value, PRICE_PLACES))


class WireSide(enum.StrEnum):
    """A side as the venue's JSON spells it (the domain's is :class:`actors.domain.Side`)."""

    YES = "yes"
    NO = "no"

    @property
    def other(self) -> WireSide:
        return WireSide.NO if self is WireSide.YES else WireSide.YES


class WireAction(enum.StrEnum):
    """An action as the venue's JSON spells it (the domain's is :class:`actors.domain.Action`)."""

    BUY = "buy"
    SELL = "sell"


class TimeInForce(enum.StrEnum):
    GOOD_TILL_CANCELED = "good_till_canceled"
    IMMEDIATE_OR_CANCEL = "immediate_or_cancel"
    FILL_OR_KILL = "fill_or_kill"


class SelfTradePrevention(enum.StrEnum):
    """Kalshi's ``self_trade_prevention_type``: what happens when an order meets its own account.

    ``taker_at_cross`` (Kalshi's default when unset) cancels the incoming order: matching
    stops and fills already matched stand.  ``maker`` cancels the resting order and matching
    goes on.  Only the realistic mode (:class:`~warden.venue._realism.RealismConfig`) applies
    it; the default mode skips the account's own orders and leaves them resting.
    """

    TAKER_AT_CROSS = "taker_at_cross"
    MAKER = "maker"


class OrderStatus(enum.StrEnum):
    RESTING = "resting"
    EXECUTED = "executed"
    CANCELED = "canceled"


def _count(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not LOT.contains(value):
        rule = f"must be a Decimal multiple of {LOT.step} > 0"
        raise validators.FieldError(type(instance).__name__, attribute.name, value, rule)


def _price(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if (
        type(value) is not Decimal
        or not value.is_finite()
        or not ZERO < value < PAYOUT
        or money.decimals_of(value) > PRICE_PLACES
    ):
        rule = f"must be a Decimal in (0, {PAYOUT}) with at most {PRICE_PLACES} decimals"
        raise validators.FieldError(type(instance).__name__, attribute.name, value, rule)


@frozen
class OrderRequest:
    """A limit order as the client asked for it.

    ``price`` is the price of ``side`` in dollars (the YES price of a YES
    order, the NO price of a NO order); ``count`` is in contracts.  The engine
    books every order as a *bid* on one side: buying YES at p bids YES at p;
    selling YES at p bids NO at ``1 - p`` (and symmetrically for NO) — see
    :attr:`book_side`.  Construction raises a ``ValueError`` naming the field
    for an int, float or off-range value.
    """

    ticker: str = field(validator=validators.instance_of(str))
    side: WireSide = field(converter=WireSide)
    action: WireAction = field(converter=WireAction)
    count: Decimal = field(validator=_count)
    price: Decimal = field(validator=_price)
    time_in_force: TimeInForce = field(
        default=TimeInForce.GOOD_TILL_CANCELED, converter=TimeInForce
    )
    client_order_id: str | None = None
    self_trade_prevention: SelfTradePrevention | None = field(
        default=None, converter=converters.optional(SelfTradePrevention)
    )

    @property
    def book_side(self) -> WireSide:
        return self.side if self.action is WireAction.BUY else self.side.other

    @property
    def book_price(self) -> Decimal:
        return self.price if self.action is WireAction.BUY else PAYOUT - self.price


@frozen
class Fill:
    """One side of one trade, as seen by the account that owned the order.

    ``trade_id`` is unique per fill (Kalshi: "same as fill_id"); ``client_order_id``
    is kept for the venue's own use and never sent in a fill.  ``yes_price + no_price == 1``;
    ``fee`` is what this account paid beyond
    ``count x its price`` (Kalshi's trade fee plus rounding fee, see
    :mod:`warden.venue._engine`).
    """

    trade_id: str
    order_id: str
    client_order_id: str | None
    account: str
    ticker: str
    side: WireSide
    action: WireAction
    count: Decimal
    yes_price: Decimal
    no_price: Decimal
    is_taker: bool
    fee: Decimal
    ts: float

    @property
    def outcome_side(self) -> WireSide:
        """The side this fill positioned the account for: buy-yes and sell-no give YES."""
        return self.side if self.action is WireAction.BUY else self.side.other

    def to_wire(self) -> FillWire:
        """Kalshi's Fill object (get-fills.md); ``trade_id`` is ``fill_id`` (its legacy name)."""
        outcome = self.outcome_side
        return {
            "fill_id": self.trade_id,
            "exchange_index": 0,
            "trade_id": self.trade_id,
            "order_id": self.order_id,
            "ticker": self.ticker,
            "market_ticker": self.ticker,
            "side": str(self.side),
            "action": str(self.action),
            "outcome_side": str(outcome),
            "book_side": book_side_of(outcome),
            "count_fp": count_fp(self.count),
            "yes_price_dollars": price_fp(self.yes_price),
            "no_price_dollars": price_fp(self.no_price),
            "is_taker": self.is_taker,
            "created_time": iso_time(self.ts),
            "fee_cost": dollars(self.fee),
            "subaccount_number": 0,
            "ts": int(self.ts),
        }


def book_side_of(outcome: WireSide) -> str:
    """Kalshi's ``book_side`` of an outcome side: ``bid`` is YES, ``ask`` is NO.

    (getting_started/order_direction.md)"""
    return "bid" if outcome is WireSide.YES else "ask"


@frozen
class BookDelta:
    """The resting size at ``price`` on the ``side`` bid book changed by ``delta`` (signed)."""

    ticker: str
    side: WireSide
    price: Decimal
    delta: Decimal
    account: str | None = None  # whose order caused the change, when one did
    client_order_id: str | None = None  # that order's client id


@frozen
class FillEvent:
    """A fill, and the account's position (YES - NO contracts) right after it."""

    fill: Fill
    post_position: Decimal = ZERO


@frozen
class OrderEvent:
    """An order of ``account`` changed; ``order`` is its wire form after the change."""

    account: str
    order: OrderWire
    created: float = 0.0
    updated: float = 0.0


VenueEvent = BookDelta | FillEvent | OrderEvent


class Clock(Protocol):
    """What the venue reads the time from: seconds since the epoch."""

    def now(self) -> float: ...


class WallClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()


@define
class ManualClock:
    """A clock that moves only when told to; for tests and replays."""

    current: float = 1_700_000_000.0

    def now(self) -> float:
        return self.current

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock never goes back")
        self.current += seconds


def iso_time(ts: float) -> str:
    """A clock reading as ISO 8601 UTC text ending in ``Z``; the text of recent
    readings is kept (it depends on the reading only)."""
    text = _TIMES.get(ts)
    if text is None:
        if len(_TIMES) >= _TIMES_AT_MOST:
            _TIMES.clear()
        text = dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat().replace("+00:00", "Z")
        _TIMES[ts] = text
    return text


def ts_ms(ts: float) -> int:
    """A clock reading as Unix epoch milliseconds (Kalshi's ``ts_ms``)."""
    return int(ts * 1000)


def http_date(ts: float) -> bytes:
    """A clock reading as an HTTP ``Date`` value (RFC 9110 section 5.6.7's
    IMF-fixdate, e.g. ``Wed, 02 Dec 2026 12:00:00 GMT``): whole seconds, rounded
    down, so never later than the reading."""
    return email.utils.formatdate(ts, usegmt=True).encode("ascii")
