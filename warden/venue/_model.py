"""Value types of the simulated venue: sides, orders as requested, fills, book deltas, clocks.

Prices are integer cents in ``[1, 99]`` and sizes integer contracts; nothing
here is a float except clock readings.  Every class is frozen: the engine
hands these out and never mutates them afterwards.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from typing import Any, Protocol

from attrs import define, field, frozen

from supervision import validators

PAYOUT_CENTS = 100
MIN_PRICE = 1
MAX_PRICE = PAYOUT_CENTS - 1


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


class OrderStatus(enum.StrEnum):
    RESTING = "resting"
    EXECUTED = "executed"
    CANCELED = "canceled"


_price = validators.integer(MIN_PRICE, MAX_PRICE)
_count = validators.integer(1)


@frozen
class OrderRequest:
    """A limit order as the client asked for it.

    ``price`` is the price of ``side`` (the ``yes_price`` of a YES order, the
    ``no_price`` of a NO order).  The engine books every order as a *bid* on
    one side: buying YES at p bids YES at p; selling YES at p bids NO at
    ``100 - p`` (and symmetrically for NO) — see :attr:`book_side`.
    """

    ticker: str = field(validator=validators.instance_of(str))
    side: WireSide = field(converter=WireSide)
    action: WireAction = field(converter=WireAction)
    count: int = field(validator=_count)
    price: int = field(validator=_price)
    time_in_force: TimeInForce = field(
        default=TimeInForce.GOOD_TILL_CANCELED, converter=TimeInForce
    )
    client_order_id: str | None = None

    @property
    def book_side(self) -> WireSide:
        return self.side if self.action is WireAction.BUY else self.side.other

    @property
    def book_price(self) -> int:
        return self.price if self.action is WireAction.BUY else PAYOUT_CENTS - self.price


@frozen
class Fill:
    """One side of one trade, as seen by the account that owned the order.

    ``yes_price + no_price == 100``; ``fee`` is what this account paid in cents
    (taker fee if ``is_taker``, else maker fee).
    """

    trade_id: str
    order_id: str
    client_order_id: str | None
    account: str
    ticker: str
    side: WireSide
    action: WireAction
    count: int
    yes_price: int
    no_price: int
    is_taker: bool
    fee: int
    ts: float

    def to_wire(self) -> dict[str, Any]:
        return {
            "trade_id": self.trade_id,
            "order_id": self.order_id,
            "client_order_id": self.client_order_id,
            "ticker": self.ticker,
            "side": str(self.side),
            "action": str(self.action),
            "count": self.count,
            "yes_price": self.yes_price,
            "no_price": self.no_price,
            "is_taker": self.is_taker,
            "fee": self.fee,
            "created_time": iso_time(self.ts),
        }


@frozen
class BookDelta:
    """The resting size at ``price`` on the ``side`` bid book changed by ``delta`` (signed)."""

    ticker: str
    side: WireSide
    price: int
    delta: int


@frozen
class FillEvent:
    fill: Fill


@frozen
class OrderEvent:
    """An order of ``account`` changed; ``order`` is its wire form after the change."""

    account: str
    order: dict[str, Any]


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
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat().replace("+00:00", "Z")
