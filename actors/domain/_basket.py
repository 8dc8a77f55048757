"""A basket: legs that together pay a known amount whatever the outcome (docs/baskets.md §1).

The two-leg complement (YES and NO of one market) is the smallest basket;
buying YES (or NO) of every market of a mutually exclusive, exhaustive event
is the general one.  An exit is a one-leg basket that sells what is held.
"""

from __future__ import annotations

import enum
from decimal import Decimal, localcontext

from attrs import field, frozen

from actors import _checks
from actors.domain._event import Event
from actors.domain._sides import Action, Side
from actors.errors import UnprofitableBasketError
from actors.money import EXACT, ONE, FeeSchedule, KalshiFees

MAX_LEGS = 64
"""The most legs one basket may have (client order ids carry the index in 2 digits)."""


class Purpose(enum.Enum):
    """Why a basket is traded: for a guaranteed edge, or to sell what is held."""

    ARBITRAGE = "arbitrage"
    EXIT = "exit"


class OrderRole(enum.Enum):
    """What an order of a basket is for: its first try, completing a short leg, or unwinding."""

    ENTRY = "entry"
    COMPLETE = "complete"
    UNWIND = "unwind"


@frozen
class Leg:
    """``action`` ``count`` contracts of ``side`` of ``ticker`` at limit ``price`` (dollars).

    Raises :class:`~actors.errors.InvalidFieldError` like
    :class:`~actors.domain.OrderIntent`: a price not in ``(0, payout)`` with at
    most 4 decimals, a count not > 0 with at most 2 decimals, a bad ticker.
    """

    ticker: str = field(validator=_checks.identifier)
    side: Side = field(validator=_checks.instance_of(Side))
    action: Action = field(validator=_checks.instance_of(Action))
    price: Decimal = field(validator=_checks.price)
    count: Decimal = field(validator=_checks.size)
    payout: Decimal = field(default=ONE, kw_only=True, validator=_checks.payout)

    def pays_if(self, winner: str) -> bool:
        """Whether this leg's contract settles in the money when ``winner`` settles YES
        (and every other market of an exclusive event settles NO)."""
        return (self.ticker == winner) == (self.side is Side.YES)


def _legs(instance: Basket, _attribute: object, legs: object) -> None:
    if not isinstance(legs, tuple) or not 1 <= len(legs) <= MAX_LEGS:
        _checks.fail(instance, "legs", legs, f"must be a tuple of 1..{MAX_LEGS} legs")
    for index, leg in enumerate(legs):
        if not isinstance(leg, Leg):
            _checks.fail(instance, f"legs[{index}]", leg, "must be a Leg")
    event = instance.event  # valid: its validator runs first
    keys = [(leg.ticker, leg.side) for leg in legs]
    if len(set(keys)) != len(keys):
        _checks.fail(instance, "legs", keys, "must hold each (ticker, side) once")
    for index, leg in enumerate(legs):
        if leg.ticker not in event.markets:
            _checks.fail(
                instance, f"legs[{index}].ticker", leg.ticker, "must be a market of the event"
            )
        if leg.payout != event.payout:
            _checks.fail(
                instance, f"legs[{index}].payout", leg.payout, f"must be the event's {event.payout}"
            )


@frozen
class Basket:
    """A proposal to trade ``legs`` of ``event``, identified by ``basket_id``.

    ``basket_id`` is stable: the same id always gives the same client order ids,
    so a basket re-sent after a restart is never placed twice.

    Derived, exact, with ``schedule`` (the venue's fees; every leg pays the
    taker fee of one fill): ``cost`` (sum of price x count), ``fees`` (BUY legs:
    what they cost above their notional; SELL legs: what their proceeds fall
    short of it), ``payout_by_outcome`` (per outcome, what the legs pay),
    ``guaranteed_payout`` (its minimum) and ``worst_case_edge``
    (``guaranteed_payout - cost - fees``).

    Outcomes: in an exclusive event one per market (``"<ticker>"``: that market
    settles YES, every other NO); otherwise the legs lie in one market ``T``
    and the outcomes are ``"T=yes"`` and ``"T=no"``.  EXIT baskets have no
    outcomes (``()``, payout and edge 0).

    Rules, each an :class:`~actors.errors.InvalidFieldError` naming the field:
    1..64 legs, each ``(ticker, side)`` once, every leg's ticker a market of
    the event and its payout the event's.  ARBITRAGE: at least 2 legs, all BUY,
    one count for every leg, all in one market unless the event is exclusive;
    :class:`~actors.errors.UnprofitableBasketError` unless ``worst_case_edge > 0``.
    EXIT: exactly one SELL leg.
    """

    # first: the derivations use it
    schedule: FeeSchedule = field(kw_only=True, factory=KalshiFees)
    basket_id: str = field(validator=_checks.identifier)
    event: Event = field(validator=_checks.instance_of(Event))
    legs: tuple[Leg, ...] = field(validator=_legs)
    purpose: Purpose = field(default=Purpose.ARBITRAGE, validator=_checks.instance_of(Purpose))
    payout_by_outcome: tuple[tuple[str, Decimal], ...] = field(init=False)
    cost: Decimal = field(init=False)
    fees: Decimal = field(init=False)
    guaranteed_payout: Decimal = field(init=False)
    worst_case_edge: Decimal = field(init=False)

    def __attrs_post_init__(self) -> None:
        if self.purpose is Purpose.EXIT:
            self._check_exit()
        else:
            self._check_arbitrage()
        payout = self.event.payout
        with localcontext(EXACT):
            cost = sum((leg.price * leg.count for leg in self.legs), Decimal(0))
            fees = sum((self._fee(leg) for leg in self.legs), Decimal(0))
            outcomes = self._outcomes(payout) if self.purpose is Purpose.ARBITRAGE else ()
            guaranteed = min((paid for _, paid in outcomes), default=Decimal(0))
            edge = guaranteed - cost - fees if outcomes else Decimal(0)
        # frozen: the derived fields are set once, here, and never again
        object.__setattr__(self, "payout_by_outcome", outcomes)
        object.__setattr__(self, "cost", cost)
        object.__setattr__(self, "fees", fees)
        object.__setattr__(self, "guaranteed_payout", guaranteed)
        object.__setattr__(self, "worst_case_edge", edge)
        if self.purpose is Purpose.ARBITRAGE and edge <= 0:
            raise UnprofitableBasketError(self.basket_id, self.event.event_ticker, edge)

    @property
    def event_ticker(self) -> str:
        return self.event.event_ticker

    @property
    def count(self) -> Decimal:
        """The size of every leg of an arbitrage basket (the one leg's of an exit)."""
        return self.legs[0].count

    def _fee(self, leg: Leg) -> Decimal:
        notional = leg.price * leg.count
        if leg.action is Action.BUY:
            return self.schedule.buy_cost(leg.count, leg.price, leg.payout) - notional
        return notional - self.schedule.sell_proceeds(leg.count, leg.price, leg.payout)

    def _outcomes(self, payout: Decimal) -> tuple[tuple[str, Decimal], ...]:
        if self.event.exclusive:
            return tuple(
                (
                    winner,
                    sum(
                        (leg.count * payout for leg in self.legs if leg.pays_if(winner)), Decimal(0)
                    ),
                )
                for winner in self.event.markets
            )
        ticker = self.legs[0].ticker
        return tuple(
            (
                f"{ticker}={side.value}",
                sum((leg.count * payout for leg in self.legs if leg.side is side), Decimal(0)),
            )
            for side in (Side.YES, Side.NO)
        )

    def _check_arbitrage(self) -> None:
        legs = self.legs
        if len(legs) < 2:
            _checks.fail(self, "legs", len(legs), "an arbitrage basket needs at least 2 legs")
        for index, leg in enumerate(legs):
            if leg.action is not Action.BUY:
                _checks.fail(self, f"legs[{index}].action", leg.action, "arbitrage legs must BUY")
            if leg.count != legs[0].count:
                _checks.fail(
                    self, f"legs[{index}].count", leg.count, f"must equal legs[0]'s {legs[0].count}"
                )
        if not self.event.exclusive and len({leg.ticker for leg in legs}) != 1:
            _checks.fail(
                self,
                "legs",
                [leg.ticker for leg in legs],
                "must lie in one market unless the event is exclusive",
            )

    def _check_exit(self) -> None:
        if len(self.legs) != 1 or self.legs[0].action is not Action.SELL:
            _checks.fail(self, "legs", self.legs, "an exit basket is exactly one SELL leg")
