"""What a reservation sets aside: each leg's worst-case cash (docs/baskets.md §3).

:class:`BasketPolicy` is the partial-fill policy risk hands execution with each
reservation: how long completion may take, how far above a leg's entry price a
completion order may pay, and how many completion orders a leg may send.

A BUY leg of ``count`` at entry limit ``price`` may be bought in up to ``1 +
max_complete_attempts`` orders (the entry, then completions), each at a price at
most ``max_price = min(price + complete_slippage, payout - PRICE_STEP)`` (just
``price`` when no completion is allowed).  Its ``amount`` bounds what any such
split can cost, fees and Kalshi's roundings included::

    amount = buy_cost(count, max_price)                         no completion
           = buy_cost(count, max_price) + k x balance_precision
             + round_up((k + 1) x FEE_QUANTUM, balance_precision)   k >= 1 attempts

Why: a piece of ``c_i`` at ``p_i`` costs ``ceil_bp(c_i p_i + ceil_q(fee_i))``;
``c p + rate c p (1 - p)`` rises with ``p`` (fee rates < 1), the trade-fee
roundings of ``n`` pieces add less than ``n x FEE_QUANTUM`` and the balance
roundings of ``n`` pieces at most ``(n - 1) x balance_precision`` more than the
whole's.  (The design's ``k x (balance_precision + FEE_QUANTUM)`` is one
rounding short: two pieces at $0.8991 of 14.49 and 11.74 contracts cost $23.77,
one of 26.23 $23.75.)  With Polymarket's fees (:class:`~actors.money.PolymarketFees`:
no balance rounding, each piece's fee rounded up to ``FEE_QUANTUM`` $0.00001) the
same argument gives ``amount = buy_cost(count, max_price) + (k + 1) x FEE_QUANTUM``
for k >= 1 attempts.  A SELL leg sets nothing aside (``amount`` 0): selling
what is held only lowers exposure.  Everything is exact (:data:`actors.money.EXACT`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from attrs import field, frozen

from actors import _checks
from actors.domain import Action, Basket, Leg, Purpose
from actors.fees import VenueFees
from actors.messages import (
    MAX_COMPLETE_ATTEMPTS,
    Reservation,
    ReservedLeg,
    leg_client_order_id,
)
from actors.money import EXACT, KalshiFees
from supervision import validators

ZERO = Decimal(0)


def _slippage(instance: object, attribute: Any, value: Any) -> None:
    if (
        not _checks.is_decimal(value)
        or value < 0
        or not _checks.is_multiple(value, _checks.PRICE_STEP)
    ):
        _checks.fail(
            instance, attribute.name, value, "must be a Decimal >= 0 with at most 4 decimals"
        )


@frozen
class BasketPolicy:
    """How a reservation's short legs may be completed (execution follows it).

    - ``complete_within_s``: seconds after the entry orders settle within which
      completion must end (finite, >= 0);
    - ``complete_slippage``: dollars a completion order may pay above the leg's
      entry price (a ``Decimal`` >= 0, at most 4 decimals);
    - ``max_complete_attempts``: completion orders per leg, ``0`` (none) to
      ``MAX_COMPLETE_ATTEMPTS`` (9).

    Construction raises :class:`~actors.errors.InvalidFieldError` naming the field.
    """

    complete_within_s: float = field(
        validator=validators.seconds(inclusive=True, error=_checks.invalid_field)
    )
    complete_slippage: Decimal = field(validator=_slippage)
    max_complete_attempts: int = field(
        validator=validators.integer(0, MAX_COMPLETE_ATTEMPTS, error=_checks.invalid_field)
    )


NO_COMPLETION = BasketPolicy(complete_within_s=0.0, complete_slippage=ZERO, max_complete_attempts=0)
"""Each leg bought in its entry order only: the amounts are the legs' ``buy_cost``."""


def max_price(leg: Leg, policy: BasketPolicy) -> Decimal:
    """The most a completion order of ``leg`` may pay: ``price + complete_slippage``,
    below the payout by at least one price step; ``price`` without completion."""
    if policy.max_complete_attempts == 0:
        return leg.price
    ceiling = EXACT.subtract(leg.payout, _checks.PRICE_STEP)
    return min(EXACT.add(leg.price, policy.complete_slippage), ceiling)


def split_allowance(schedule: VenueFees, attempts: int) -> Decimal:
    """What up to ``attempts`` extra orders can add to one order's ``buy_cost`` in
    rounding (module docstring); 0 for none."""
    if attempts <= 0:
        return ZERO
    if not isinstance(schedule, KalshiFees):  # Polymarket's: fee roundings only
        return EXACT.multiply(Decimal(attempts + 1), schedule.FEE_QUANTUM)
    step = schedule.balance_precision
    fee_roundings = EXACT.multiply(Decimal(attempts + 1), schedule.FEE_QUANTUM)
    units, rest = EXACT.divmod(fee_roundings, step)
    rounded = EXACT.multiply(units + (1 if rest else 0), step)
    return EXACT.add(EXACT.multiply(Decimal(attempts), step), rounded)


def leg_amount(schedule: VenueFees, leg: Leg, policy: BasketPolicy) -> Decimal:
    """The worst-case cash of ``leg`` under ``policy`` (0 for a SELL).

    Raises :class:`~actors.errors.InvalidFieldError` for a count or price the
    schedule refuses."""
    if leg.action is Action.SELL:
        return ZERO
    ceiling = max_price(leg, policy)
    whole = schedule.buy_cost(leg.count, ceiling, leg.payout)
    return EXACT.add(whole, split_allowance(schedule, policy.max_complete_attempts))


def reservation_for(basket: Basket, policy: BasketPolicy, schedule: VenueFees) -> Reservation:
    """The HELD reservation of ``basket`` (not yet owned): every leg with its
    ``max_price``, ``amount`` and ENTRY client order id; an EXIT takes no
    completion policy.

    Raises :class:`~actors.errors.DomainError` (a ``ValueError``) for a leg the
    schedule refuses, ``ArithmeticError`` for a sum beyond 80 digits."""
    if basket.purpose is Purpose.EXIT:
        policy = NO_COMPLETION
    legs = tuple(
        ReservedLeg(
            index=index,
            ticker=leg.ticker,
            side=leg.side,
            action=leg.action,
            count=leg.count,
            price=leg.price,
            max_price=max_price(leg, policy),
            amount=leg_amount(schedule, leg, policy),
            client_order_id=leg_client_order_id(basket.basket_id, index),
            payout=leg.payout,
        )
        for index, leg in enumerate(basket.legs)
    )
    amount = ZERO
    for reserved in legs:
        amount = EXACT.add(amount, reserved.amount)
    return Reservation(
        reservation_id=basket.basket_id,
        event=basket.event,
        purpose=basket.purpose,
        legs=legs,
        amount=amount,
        complete_within_s=policy.complete_within_s,
        max_complete_attempts=policy.max_complete_attempts,
    )
