"""Field validators shared by the frozen value types of :mod:`actors`.

Each validator has the attrs signature ``(instance, attribute, value)`` and
raises :class:`~actors.errors.InvalidFieldError` naming the class, the field
and the bad value, plus the ticker and order id of ``instance`` when it has
them.  attrs runs validators after every field is assigned, so a validator may
read sibling fields; it must not trust them, because they may be invalid too.

Integers are checked with ``type(value) is int``: ``bool`` is an ``int``
subclass and ``True`` is never a price or a size.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, NoReturn, TypeGuard

from actors.errors import InvalidFieldError

DEFAULT_PAYOUT_CENTS = 100
"""What one Kalshi-style contract pays out at settlement: one dollar."""

_IDENTIFIER = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def is_int(value: object) -> TypeGuard[int]:
    """True for a genuine ``int``: not ``bool``, not ``float``, not ``Decimal``."""
    return type(value) is int


def context_of(instance: object) -> tuple[str | None, str | None]:
    """The ``(ticker, order_id)`` an error about ``instance`` should name."""
    ticker = getattr(instance, "ticker", None)
    order_id = getattr(instance, "client_order_id", None)
    return (
        ticker if isinstance(ticker, str) else None,
        order_id if isinstance(order_id, str) else None,
    )


def fail(instance: object, field: str, value: object, rule: str) -> NoReturn:
    """Raise :class:`InvalidFieldError` for ``type(instance).field = value``."""
    ticker, order_id = context_of(instance)
    raise InvalidFieldError(
        type(instance).__name__, field, value, rule, ticker=ticker, order_id=order_id
    )


def payout_of(instance: Any) -> int:
    """``instance.payout_cents``, checked first so a price check can rely on it.

    Raises :class:`InvalidFieldError` naming ``payout_cents`` if it is not an
    integer of at least 2 (the smallest payout that leaves room for a price).
    """
    payout: object = instance.payout_cents
    if not is_int(payout) or payout < 2:
        fail(instance, "payout_cents", payout, "must be an integer >= 2")
    return payout


def positive_int(instance: object, attribute: Any, value: Any) -> None:
    """A count or size: an ``int`` greater than zero."""
    if not is_int(value) or value <= 0:
        fail(instance, attribute.name, value, "must be a positive integer")


def non_negative_int(instance: object, attribute: Any, value: Any) -> None:
    """A sequence number, a filled quantity or a fee: an ``int`` of zero or more."""
    if not is_int(value) or value < 0:
        fail(instance, attribute.name, value, "must be a non-negative integer")


def any_int(instance: object, attribute: Any, value: Any) -> None:
    """A signed amount such as cash: any ``int``."""
    if not is_int(value):
        fail(instance, attribute.name, value, "must be an integer")


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


def identifier(instance: object, attribute: Any, value: Any) -> None:
    """A ticker or id: 1-128 characters of letters, digits and ``. _ : -``."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        fail(instance, attribute.name, value, "must be 1-128 characters of [A-Za-z0-9._:-]")


def optional_identifier(instance: object, attribute: Any, value: Any) -> None:
    """``None`` or an :func:`identifier`."""
    if value is not None:
        identifier(instance, attribute, value)


def instance_of(kind: type) -> Any:
    """A validator accepting only instances of ``kind``; for an enum, members, not their values."""

    def check(instance: object, attribute: Any, value: Any) -> None:
        if not isinstance(value, kind):
            fail(instance, attribute.name, value, f"must be of type {kind.__name__}")

    return check


def fee_rate(instance: object, attribute: Any, value: Any) -> None:
    """A fee rate: a finite ``Decimal`` in ``[0, 1)``."""
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value < 1:
        fail(instance, attribute.name, value, "must be a finite Decimal in [0, 1)")
