"""Exact decimals in JSON: a ``Decimal`` travels as its fixed-point string.

One rule for every converter that writes or reads money (actor statuses, the
ledger's event payloads, history lines, the portfolio, reports): written as
``f"{value:f}"`` (``"0.4200"``, never ``"4.2E-1"`` and never a JSON number);
read back from such a string, or taken as is when it is already a finite
``Decimal`` (a writer's value not yet serialised). Anything else -- a JSON
number (a float is inexact), an exponent, spaces, NaN or an infinity -- raises
``TypeError`` naming the value, which cattrs reports with the field's path.
"""

from __future__ import annotations

import re
from decimal import Decimal

import cattrs

__all__ = ["FIXED_POINT", "decimal_from_json", "decimal_to_json", "register_decimal_hooks"]

#: an optional minus, digits without a leading zero, an optional fraction
FIXED_POINT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
#: longest text read as a decimal (any real amount is far shorter)
MAX_TEXT = 64


def decimal_to_json(value: object) -> str:
    """``value``'s exact fixed-point text; ``TypeError`` for anything but a finite Decimal."""
    if type(value) is not Decimal or not value.is_finite():
        raise TypeError(f"expected a finite Decimal, got {type(value).__name__} {value!r}")
    return f"{value:f}"


def decimal_from_json(value: object, _type: object = Decimal) -> Decimal:
    """The Decimal ``value`` spells (or ``value`` itself if it is a finite Decimal)."""
    if type(value) is Decimal and value.is_finite():
        return value
    if type(value) is str and len(value) <= MAX_TEXT and FIXED_POINT.fullmatch(value):
        return Decimal(value)
    raise TypeError(
        f"expected a fixed-point decimal string, got {type(value).__name__} {value!r}"[:200]
    )


def register_decimal_hooks(converter: cattrs.Converter) -> None:
    """Make ``converter`` write and read ``Decimal`` by the rule above."""
    converter.register_unstructure_hook(Decimal, decimal_to_json)
    converter.register_structure_hook(Decimal, decimal_from_json)
