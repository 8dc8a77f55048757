"""Basket arbitrage, the money logic: pure values in, at most one proposal out.

In an event whose markets are mutually exclusive and exhaustive, exactly one
market settles YES.  So, for ``N`` outcomes and contracts that pay ``payout``:

* **all YES** — one YES of every outcome pays ``payout`` whatever happens;
  worth buying when the asks plus fees cost less;
* **all NO** — one NO of every outcome pays ``(N - 1) x payout`` whatever
  happens (every outcome but the winner settles NO); worth buying when the
  NO asks plus fees cost less.

Every leg has the same size (otherwise the payout would depend on the
winner), taken at the best ask, so the size is the thinnest leg's depth,
capped by ``max_size`` and rounded down to a size valid on every leg's lot.
Fees are taker fees for one fill per leg (:class:`~actors.money.FeeSchedule`);
for Kalshi pass :attr:`actors.fees.FeeModel.schedule`, the same
:class:`~actors.money.KalshiFees` the complement strategy and risk price with,
so a two-leg basket's edge is exactly :meth:`FeeModel.complement_edge`.
The two-leg complement (YES and NO of one market) is the case ``N = 2``.

Nothing here checks that the event *is* mutually exclusive and exhaustive:
the caller vouches for that; every guarantee below rests on it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import Any, NoReturn, TypeGuard

from attrs import field, frozen

from actors.domain import Side
from actors.errors import InvalidFieldError
from actors.money import EXACT, FeeSchedule, LotSize, PriceGrid

__all__ = [
    "Ask",
    "BasketKind",
    "BasketLeg",
    "BasketProposal",
    "OutcomeBook",
    "price_basket",
    "propose_basket",
]


def _fail(owner: object, name: str, value: object, rule: str) -> NoReturn:
    ticker = getattr(owner, "ticker", None)
    raise InvalidFieldError(
        type(owner).__name__ if not isinstance(owner, str) else owner,
        name,
        value,
        rule,
        ticker=ticker if isinstance(ticker, str) else None,
    )


def _is_decimal(value: object) -> TypeGuard[Decimal]:
    return type(value) is Decimal and value.is_finite()


def _non_negative(instance: object, attribute: Any, value: Any) -> None:
    if not _is_decimal(value) or value < 0:
        _fail(instance, attribute.name, value, "must be a finite Decimal >= 0")


class BasketKind(enum.Enum):
    """Which basket: the side bought of every outcome, and how many outcomes pay."""

    ALL_YES = "all_yes"
    """One YES of every outcome: pays ``payout`` per basket."""
    ALL_NO = "all_no"
    """One NO of every outcome: pays ``(N - 1) x payout`` per basket."""

    @property
    def side(self) -> Side:
        """The side every leg buys."""
        return Side.YES if self is BasketKind.ALL_YES else Side.NO

    def paying_legs(self, outcomes: int) -> int:
        """How many legs settle in the money whatever the winner is."""
        return 1 if self is BasketKind.ALL_YES else outcomes - 1


@frozen
class Ask:
    """The best ask of one side of a market: its price and the size shown there."""

    price: Decimal = field()
    size: Decimal = field(validator=_non_negative)

    @price.validator
    def _price(self, _attribute: Any, value: Any) -> None:
        if not _is_decimal(value) or value <= 0:
            _fail(self, "price", value, "must be a finite Decimal > 0")


@frozen
class OutcomeBook:
    """What the basket needs of one outcome's market: best asks, grid, lot and fees.

    ``yes_ask`` / ``no_ask`` are ``None`` when that side has no ask.
    Construction raises :class:`~actors.errors.InvalidFieldError` when an ask's
    price is off ``grid`` (the book should never hold one).
    """

    ticker: str
    yes_ask: Ask | None
    no_ask: Ask | None
    grid: PriceGrid
    lot: LotSize
    fees: FeeSchedule

    def __attrs_post_init__(self) -> None:
        for name in ("yes_ask", "no_ask"):
            ask = getattr(self, name)
            if ask is not None:
                self.grid.check(ask.price, f"{name}.price")

    def ask(self, side: Side) -> Ask | None:
        """The best ask of ``side``."""
        return self.yes_ask if side is Side.YES else self.no_ask


@frozen
class BasketLeg:
    """Buy ``size`` of ``side`` of ``ticker`` at ``price``; ``cost`` includes its fee."""

    ticker: str
    side: Side
    price: Decimal
    size: Decimal
    cost: Decimal


@frozen
class BasketProposal:
    """A basket worth buying: one leg per outcome, all of one size.

    ``guaranteed_payout`` is what the legs pay at settlement whichever outcome
    wins; ``worst_case_edge`` is the smallest, over the outcomes, of what they
    pay minus ``total_cost`` (the legs' prices times size plus their fees).
    """

    kind: BasketKind
    legs: tuple[BasketLeg, ...]
    size: Decimal
    total_cost: Decimal
    guaranteed_payout: Decimal
    worst_case_edge: Decimal


def _common_step(lots: Sequence[LotSize]) -> Decimal:
    """The smallest size that is a multiple of every lot's step (their LCM)."""
    places = max(-int(lot.step.normalize().as_tuple().exponent) for lot in lots)
    places = max(places, 0)
    scaled = [int(lot.step.scaleb(places)) for lot in lots]
    return Decimal(math.lcm(*scaled)).scaleb(-places)


def _check_event(
    outcomes: Sequence[OutcomeBook], payout: object, max_size: object
) -> tuple[OutcomeBook, ...]:
    event = tuple(outcomes)
    if len(event) < 2:
        _fail("basket", "outcomes", len(event), "must hold at least 2 outcomes")
    tickers = [outcome.ticker for outcome in event]
    if len(set(tickers)) != len(tickers):
        _fail("basket", "outcomes", tickers, "must name each ticker once")
    if not _is_decimal(payout) or payout <= 0:
        _fail("basket", "payout", payout, "must be a finite Decimal > 0")
    for outcome in event:
        if outcome.grid.payout != payout:
            _fail(outcome, "grid.payout", outcome.grid.payout, f"must equal payout {payout}")
    if max_size is not None and (not _is_decimal(max_size) or max_size <= 0):
        _fail("basket", "max_size", max_size, "must be None or a finite Decimal > 0")
    return event


def price_basket(
    outcomes: Sequence[OutcomeBook],
    kind: BasketKind,
    *,
    payout: Decimal,
    max_size: Decimal | None = None,
) -> BasketProposal | None:
    """The ``kind`` basket at the largest size the books allow, whatever its edge.

    ``None`` when a leg has no ask, or when the thinnest depth (capped by
    ``max_size``) rounds down to no size valid on every leg's lot.  The edge
    may be zero or negative: :func:`propose_basket` filters.  Raises
    :class:`~actors.errors.InvalidFieldError` for fewer than 2 outcomes, a
    repeated ticker, a grid whose payout differs, or a bad payout or cap.
    """
    event = _check_event(outcomes, payout, max_size)
    with localcontext(EXACT):
        return _price(event, kind, payout, max_size)


def _price(
    event: tuple[OutcomeBook, ...], kind: BasketKind, payout: Decimal, max_size: Decimal | None
) -> BasketProposal | None:
    asks = [outcome.ask(kind.side) for outcome in event]
    depths = [ask.size for ask in asks if ask is not None]
    if len(depths) < len(event):
        return None
    depth = min(depths) if max_size is None else min([*depths, max_size])
    step = _common_step([outcome.lot for outcome in event])
    size = (depth // step) * step
    if not all(outcome.lot.contains(size) for outcome in event):
        return None  # zero, or below some leg's minimum
    legs = tuple(
        BasketLeg(
            outcome.ticker,
            kind.side,
            ask.price,
            size,
            outcome.fees.buy_cost(size, ask.price, payout),
        )
        for outcome, ask in zip(event, asks, strict=True)
        if ask is not None
    )
    total = sum((leg.cost for leg in legs), Decimal(0))
    settlements = [_settlement(legs, winner.ticker, payout) for winner in event]
    return BasketProposal(
        kind=kind,
        legs=legs,
        size=size,
        total_cost=total,
        guaranteed_payout=payout * size * kind.paying_legs(len(event)),
        worst_case_edge=min(settlements) - total,
    )


def _settlement(legs: Sequence[BasketLeg], winner: str, payout: Decimal) -> Decimal:
    """What the legs pay when ``winner`` settles YES and every other outcome NO."""
    paid = Decimal(0)
    for leg in legs:
        wins = (leg.ticker == winner) == (leg.side is Side.YES)
        paid += payout * leg.size if wins else Decimal(0)
    return paid


def propose_basket(
    outcomes: Sequence[OutcomeBook],
    *,
    payout: Decimal,
    min_edge: Decimal,
    max_size: Decimal | None = None,
) -> BasketProposal | None:
    """The best basket that pays at least ``min_edge`` in every outcome after fees, or ``None``.

    Prices both kinds with :func:`price_basket` (skipping a kind whose asks
    alone reach its payout) and returns the one with the larger worst-case
    edge; ALL_YES on a tie.  Legs keep the book's prices; the size is on every
    leg's lot and within every leg's depth and ``max_size``.  Only the largest
    size is tried: the edge grows with the size whenever it is positive per
    contract, and fee rounding moves it by less than a balance step per leg,
    so a smaller size clears ``min_edge`` only where the largest barely
    misses it.  Raises
    :class:`~actors.errors.InvalidFieldError` for a ``min_edge`` that is not a
    positive ``Decimal``, or for the inputs :func:`price_basket` refuses.
    """
    if not _is_decimal(min_edge) or min_edge <= 0:
        _fail("basket", "min_edge", min_edge, "must be a finite Decimal > 0")
    event = _check_event(outcomes, payout, max_size)
    with localcontext(EXACT):
        return _best(event, payout, min_edge, max_size)


def _best(
    event: tuple[OutcomeBook, ...], payout: Decimal, min_edge: Decimal, max_size: Decimal | None
) -> BasketProposal | None:
    best: BasketProposal | None = None
    for kind in BasketKind:
        asks = [outcome.ask(kind.side) for outcome in event]
        prices = [ask.price for ask in asks if ask is not None]
        if len(prices) < len(event) or sum(prices) >= payout * kind.paying_legs(len(event)):
            continue  # a side is empty, or no edge even before fees
        basket = _price(event, kind, payout, max_size)
        if basket is None or basket.worst_case_edge < min_edge:
            continue
        if best is None or basket.worst_case_edge > best.worst_case_edge:
            best = basket
    return best
