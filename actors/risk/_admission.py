"""Whether a basket may be reserved, once trading is open (docs/baskets.md §3).

:func:`admit` is the pure part of risk's ``Reserve`` handler, after the closed
reasons (halted, not reconciled, breaker, duplicate id) the actor checks itself.
All legs or none: every check runs against the books *with all legs added*, and
nothing here changes anything (the caller books the reservation it returns, or
answers the reason).  Checks in order:

1. busy: ``MARKET_BUSY`` if any leg market has ``max_reservations_per_market``
   live reservations (a reservation counts once per market it touches),
   ``EVENT_BUSY`` at ``max_reservations_per_event`` live ones in the event;
2. invalid: the basket re-priced with risk's own fee schedule (its edge
   re-derived) and its legs' amounts; a ``DomainError`` or ``ArithmeticError``
   is ``INVALID``;
3. an ARBITRAGE basket: :func:`~actors.risk.limit_breached` against the
   exposure with the basket's event learned; an EXIT: ``NOT_HELD`` unless it
   sells at most the unbound contracts of its ``(ticker, side)`` (less what
   live exits of them sell), then the daily loss with ``max(0, their average
   cost - sell_proceeds)`` as its term (selling them only lowers exposure, so no
   exposure limit applies).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from actors.domain import Basket, Purpose
from actors.errors import DomainError
from actors.fees import VenueFees
from actors.messages import Reservation
from actors.money import EXACT
from actors.risk._amounts import BasketPolicy, reservation_for
from actors.risk._book import ReservationBook
from actors.risk._exposure import EventMap, exposure_of, unbound_contracts, unbound_of
from actors.risk._holdings import Holding, share_up
from actors.risk._limits import RejectReason, RiskLimits, limit_breached

ZERO = Decimal(0)


@attrs.frozen
class Books:
    """What risk holds when a basket arrives: live reservations, holdings by market,
    the events it knows, and today's realised loss (dollars, >= 0)."""

    book: ReservationBook
    holdings: Mapping[str, Holding]
    events: EventMap
    realised_loss: Decimal


def admit(
    basket: Basket,
    books: Books,
    *,
    limits: RiskLimits,
    policy: BasketPolicy,
    schedule: VenueFees,
) -> Reservation | RejectReason:
    """The (unowned, HELD) reservation of ``basket``, or the first reason it cannot
    be made (module docstring); never raises for a bad basket."""
    busy = _busy(basket, books.book, limits)
    if busy is not None:
        return busy
    try:
        # risk's own fees: an edge the strategy's schedule saw is re-derived here
        priced = attrs.evolve(basket, schedule=schedule)
        reservation = reservation_for(priced, policy, schedule)
    except (DomainError, ArithmeticError):  # decimal signals are ArithmeticErrors
        return RejectReason.INVALID
    events = books.events.with_event(basket.event)
    if reservation.purpose is Purpose.EXIT:
        refused = _exit_refusal(reservation, books, events, limits, schedule)
    else:
        refused = limit_breached(
            limits,
            exposure_of(events, books.holdings, books.book),
            reservation,
            realised_loss_today=books.realised_loss,
        )
    return reservation if refused is None else refused


def _busy(basket: Basket, book: ReservationBook, limits: RiskLimits) -> RejectReason | None:
    tickers = {leg.ticker for leg in basket.legs}
    if any(book.in_market(t) >= limits.max_reservations_per_market for t in tickers):
        return RejectReason.MARKET_BUSY
    if book.in_event(basket.event_ticker) >= limits.max_reservations_per_event:
        return RejectReason.EVENT_BUSY
    return None


def _exit_refusal(
    reservation: Reservation,
    books: Books,
    events: EventMap,
    limits: RiskLimits,
    schedule: VenueFees,
) -> RejectReason | None:
    leg = reservation.legs[0]
    held = unbound_of(unbound_contracts(events, books.holdings), leg.ticker, leg.side)
    selling = ZERO
    for live in books.book.live():
        if live.purpose is Purpose.EXIT:
            for other in live.legs:
                if (other.ticker, other.side) == (leg.ticker, leg.side):
                    selling = EXACT.add(selling, other.count)
    if held is None or leg.count > EXACT.subtract(held.count, selling):
        return RejectReason.NOT_HELD
    try:
        cost = share_up(held.cost, leg.count, held.count)
        proceeds = schedule.sell_proceeds(leg.count, leg.price, leg.payout)
    except (DomainError, ArithmeticError):
        return RejectReason.INVALID
    loss = max(ZERO, EXACT.subtract(cost, proceeds))
    if EXACT.add(books.realised_loss, loss) > limits.max_daily_loss:
        return RejectReason.DAILY_LOSS
    return None
