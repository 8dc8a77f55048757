"""Field validators of the frozen value types of :mod:`actors`: the domain's own rules.

Each validator has the attrs signature ``(instance, attribute, value)`` and
raises :class:`~actors.errors.InvalidFieldError` naming the class, the field
and the bad value, plus the ticker and order id of ``instance`` when it has
them.  attrs runs validators after every field is assigned, so a validator may
read sibling fields; it must not trust them, because they may be invalid too.

The generic rules (integers, numbers, seconds, instance-of) are
:mod:`supervision.validators`, bound here to :func:`invalid_field` so they
raise the domain's error: ``validators.seconds(error=_checks.invalid_field)``.
What is left in this module is the domain's own: prices below the payout,
identifiers, fee rates.

Integers are checked with ``type(value) is int``: ``bool`` is an ``int``
subclass and ``True`` is never a price or a size.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, NoReturn

from actors.errors import InvalidFieldError
from supervision import validators
from supervision.validators import is_int

DEFAULT_PAYOUT_CENTS = 100
"""What one Kalshi-style contract pays out at settlement: one dollar."""

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


def payout_of(instance: Any) -> int:
    """``instance.payout_cents``, checked first so a price check can rely on it.

    Raises :class:`InvalidFieldError` naming ``payout_cents`` if it is not an
    integer of at least 2 (the smallest payout that leaves room for a price).
    """
    payout: object = instance.payout_cents
    if not is_int(payout) or payout < 2:
        fail(instance, "payout_cents", payout, "must be an integer >= 2")
    return payout


positive_int = validators.integer(1, error=invalid_field)
"""A count or size: an ``int`` of at least 1."""

non_negative_int = validators.integer(0, error=invalid_field)
"""A sequence number, a filled quantity or a fee: an ``int`` of zero or more."""

any_int = validators.integer(error=invalid_field)
"""A signed amount such as cash: any ``int``."""


def payout_cents(instance: object, _attribute: Any, _value: Any) -> None:
    """The settlement value of one contract in cents: an ``int`` >= 2."""
    payout_of(instance)


def price(instance: object, attribute: Any, value: Any) -> None:
    """A price in cents strictly between 0 and ``instance.payout_cents``."""
    check_price(instance, attribute.name, value)


def check_price(instance: object, field: str, value: object) -> None:
    """Raise unless ``value`` is an ``int`` in ``(0, instance.payout_cents)``."""
    payout = payout_of(instance)
    if not is_int(value) or not 0 < value < payout:
        fail(instance, field, value, f"must be an integer price in (0, {payout})")


identifier = validators.rule(
    lambda v: isinstance(v, str) and _IDENTIFIER.fullmatch(v) is not None,
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
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value < 1:
        fail(instance, attribute.name, value, "must be a finite Decimal in [0, 1)")
