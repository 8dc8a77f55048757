"""Field validators of the frozen value types of :mod:`actors`: the domain's own rules.

Each validator has the attrs signature ``(instance, attribute, value)`` and
raises :class:`~actors.errors.InvalidFieldError` naming the class, the field
and the bad value, plus the ticker and order id of ``instance`` when it has
them.  attrs runs validators after every field is assigned, so a validator may
read sibling fields; it must not trust them, because they may be invalid too.

The generic rules (integers, numbers, seconds, instance-of) are
:mod:`supervision.validators`, bound here to :func:`invalid_field` so they
raise the domain's error: ``validators.seconds(error=_checks.invalid_field)``.
What is left in this module is the domain's own: money, prices below the
payout, sizes, identifiers, fee rates.

Money is exact (docs/money.md): every price, payout, cash amount and fee is a
finite ``decimal.Decimal`` in dollars and every size (contract count) a finite
``Decimal`` in contracts.  A price lies in ``(0, payout)`` with at most
:data:`PRICE_PLACES` decimals; a size is a multiple of :data:`SIZE_STEP` (at
most :data:`SIZE_PLACES` decimals).  ``bool``, ``int`` and ``float`` are
refused wherever a ``Decimal`` is expected (``Decimal(0.1)`` is not a price and
``True`` is never a size), as are NaN and infinity.  The grid of one market
(its tick) is checked where that grid is known: the feed and execution.

Integers (sequence numbers) are checked with ``type(value) is int``: ``bool``
is an ``int`` subclass and ``True`` is never a sequence number.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, TypeGuard

from actors.errors import InvalidFieldError
from actors.money import EXACT, ONE
from supervision import validators

DEFAULT_PAYOUT = ONE
"""What one Kalshi-style contract pays out at settlement: one dollar."""

PRICE_PLACES = 4
"""The most decimals a price may carry (Kalshi's sub-penny grids reach $0.0001)."""

SIZE_PLACES = 2
"""The most decimals a size may carry (Kalshi's fractional contracts: 0.01)."""

PRICE_STEP = Decimal(1).scaleb(-PRICE_PLACES)
SIZE_STEP = Decimal(1).scaleb(-SIZE_PLACES)

_IDENTIFIER = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def context_of(instance: object) -> tuple[str | None, str | None]:
    """The ``(ticker, order_id)`` an error about ``instance`` should name."""
    ticker = getattr(instance, "ticker", None)
    order_id = getattr(instance, "client_order_id", None)
    return (
        ticker if isinstance(ticker, str) else None,
        order_id if isinstance(order_id, str) else None,
    )


def invalid_field(instance: object, field: str, value: object, rule: str) -> InvalidFieldError:
    """The :class:`InvalidFieldError` for ``type(instance).field = value`` breaking ``rule``,
    with the ticker and order id of ``instance`` (a :data:`validators.ErrorFactory`)."""
    ticker, order_id = context_of(instance)
    return InvalidFieldError(
        type(instance).__name__, field, value, rule, ticker=ticker, order_id=order_id
    )


def fail(instance: object, field: str, value: object, rule: str) -> NoReturn:
    """Raise :func:`invalid_field` for ``type(instance).field = value``."""
    raise invalid_field(instance, field, value, rule)


def is_decimal(value: object) -> TypeGuard[Decimal]:
    """A finite ``Decimal``: not ``bool``, ``int``, ``float``, NaN or infinity."""
    return type(value) is Decimal and value.is_finite()


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """True if ``value`` is an exact multiple of ``step`` (no rounding involved)."""
    try:
        return not EXACT.remainder(value, step)
    except InvalidOperation:  # the quotient needs more than 80 digits: no amount is that big
        return False


def is_price(value: object, payout: Decimal) -> TypeGuard[Decimal]:
    """A ``Decimal`` in ``(0, payout)`` with at most :data:`PRICE_PLACES` decimals."""
    return is_decimal(value) and 0 < value < payout and is_multiple(value, PRICE_STEP)


def is_size(value: object) -> TypeGuard[Decimal]:
    """A ``Decimal`` > 0 with at most :data:`SIZE_PLACES` decimals."""
    return is_decimal(value) and value > 0 and is_multiple(value, SIZE_STEP)


def is_size_change(value: object) -> TypeGuard[Decimal]:
    """A non-zero ``Decimal`` with at most :data:`SIZE_PLACES` decimals (a signed book change)."""
    return is_decimal(value) and value != 0 and is_multiple(value, SIZE_STEP)


def price_rule(payout: object) -> str:
    """The wording of a broken price rule."""
    return f"must be a Decimal price in (0, {payout}) with at most {PRICE_PLACES} decimals"


SIZE_RULE = f"must be a Decimal > 0 with at most {SIZE_PLACES} decimals"
SIZE_CHANGE_RULE = f"must be a non-zero Decimal with at most {SIZE_PLACES} decimals"


def payout_of(instance: Any) -> Decimal:
    """``instance.payout``, checked first so a price check can rely on it.

    Raises :class:`InvalidFieldError` naming ``payout`` if it is not a finite
    ``Decimal`` > 0 with at most :data:`PRICE_PLACES` decimals.
    """
    payout: object = instance.payout
    if not is_decimal(payout) or payout <= 0 or not is_multiple(payout, PRICE_STEP):
        fail(
            instance,
            "payout",
            payout,
            f"must be a Decimal > 0 with at most {PRICE_PLACES} decimals",
        )
    return payout


positive_int = validators.integer(1, error=invalid_field)
"""A positive whole number that is not money (a limit on markets, reservations): an ``int``."""

non_negative_int = validators.integer(0, error=invalid_field)
"""A sequence number: an ``int`` of zero or more."""


def payout(instance: object, _attribute: Any, _value: Any) -> None:
    """The settlement value of one contract in dollars: a ``Decimal`` > 0."""
    payout_of(instance)


def price(instance: object, attribute: Any, value: Any) -> None:
    """A price in dollars strictly between 0 and ``instance.payout``, at most 4 decimals."""
    check_price(instance, attribute.name, value)


def check_price(instance: object, field: str, value: object) -> None:
    """Raise unless ``value`` is a ``Decimal`` price in ``(0, instance.payout)``."""
    payout = payout_of(instance)
    if not is_price(value, payout):
        fail(instance, field, value, price_rule(payout))


def size(instance: object, attribute: Any, value: Any) -> None:
    """A count of contracts: a ``Decimal`` > 0 with at most 2 decimals."""
    if not is_size(value):
        fail(instance, attribute.name, value, SIZE_RULE)


def non_negative_size(instance: object, attribute: Any, value: Any) -> None:
    """A count held or filled: a ``Decimal`` >= 0 with at most 2 decimals."""
    if not (is_decimal(value) and value >= 0 and is_multiple(value, SIZE_STEP)):
        fail(
            instance,
            attribute.name,
            value,
            f"must be a Decimal >= 0 with at most {SIZE_PLACES} decimals",
        )


def amount(instance: object, attribute: Any, value: Any) -> None:
    """A signed amount of money such as cash: any finite ``Decimal``."""
    if not is_decimal(value):
        fail(instance, attribute.name, value, "must be a finite Decimal")


def non_negative_amount(instance: object, attribute: Any, value: Any) -> None:
    """An amount of money that cannot be negative (a fee, a tolerance): a ``Decimal`` >= 0."""
    if not is_decimal(value) or value < 0:
        fail(instance, attribute.name, value, "must be a finite Decimal >= 0")


def is_identifier(value: object) -> bool:
    """Whether ``value`` is a ticker or id: 1-128 characters of ``[A-Za-z0-9._:-]``."""
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


identifier = validators.rule(
    is_identifier,
    "must be 1-128 characters of [A-Za-z0-9._:-]",
    error=invalid_field,
)
"""A ticker or id: 1-128 characters of letters, digits and ``. _ : -``."""

optional_identifier = validators.optional(identifier)
"""``None`` or an :data:`identifier`."""


def instance_of(kind: type) -> validators.Rule:
    """Only instances of ``kind``; for an enum, its members, not their values."""
    return validators.instance_of(kind, error=invalid_field)


def fee_rate(instance: object, attribute: Any, value: Any) -> None:
    """A fee rate: a finite ``Decimal`` in ``[0, 1)``."""
    if not is_decimal(value) or not 0 <= value < 1:
        fail(instance, attribute.name, value, "must be a finite Decimal in [0, 1)")
