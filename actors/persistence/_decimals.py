"""Exact amounts as the ledger stores them: canonical fixed-point TEXT.

SQLite has no exact decimal type (``NUMERIC`` and ``REAL`` are binary
floating point), so every price, count, fee, amount and money total is stored
as TEXT holding its exact ``Decimal`` value in one canonical spelling:

- plain fixed point, an optional ``-`` (only on signed totals), no exponent,
  no leading zeros, no ``-0``;
- at least ``places`` decimals (4 for dollars, 2 for contract counts), more
  only when the value needs them (``0.577181`` = 0.4213 x 1.37), trailing
  zeros beyond ``places`` dropped.

One spelling per value means equal values are equal strings, so a duplicate
intent or fill is recognised by comparing its columns as text.
:func:`column_check` writes the SQL ``CHECK`` that holds a column to this
shape.
"""

from __future__ import annotations

import re
from decimal import Decimal

from actors.money import EXACT

DOLLAR_PLACES = 4
"""Dollars are stored with at least 4 decimals (Kalshi's price precision)."""

COUNT_PLACES = 2
"""Contract counts are stored with at least 2 decimals (Kalshi's ``_fp`` counts)."""

_STORED = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
_ZERO = Decimal(0)


def to_text(value: object, places: int) -> str:
    """The canonical stored text of ``value`` with at least ``places`` decimals.

    Raises ``TypeError`` for anything but a finite ``Decimal`` (a ``float``,
    ``int`` or ``bool`` is never guessed at); never rounds.
    """
    if type(value) is not Decimal or not value.is_finite():
        raise TypeError(f"expected a finite Decimal, got {type(value).__name__} {value!r}")
    if value == _ZERO:
        value = _ZERO  # no "-0.00"
    normal = value.normalize(EXACT)
    exponent = normal.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if exponent > -places:
        normal = normal.quantize(Decimal(1).scaleb(-places), context=EXACT)
    return f"{normal:f}"


def from_text(text: object) -> Decimal:
    """The value of a stored text; raises ``ValueError`` if ``text`` is not one
    (a hand-edited row, a number where TEXT belongs)."""
    if not isinstance(text, str) or not _STORED.fullmatch(text):
        raise ValueError(f"not a stored decimal: {type(text).__name__} {text!r}")
    return Decimal(text)


def column_check(column: str, places: int, *, exact: bool, signed: bool = False) -> str:
    """SQL that is true iff ``column`` holds canonical fixed-point TEXT with exactly
    (``exact``) or at least ``places`` decimals; ``signed`` allows a leading ``-``.

    The shape check is exact. Range checks elsewhere in the schema compare
    ``CAST(x AS REAL)``: binary floating point keeps the order of these short
    decimals, and the exact rules are enforced by the domain types on write.
    """
    body = f"(CASE WHEN {column} GLOB '-*' THEN substr({column}, 2) ELSE {column} END)"
    if not signed:
        body = column
    digits = "[0-9]" * places + ("" if exact else "*")
    return (
        f"(typeof({column}) = 'text' AND {body} GLOB '[0-9]*.{digits}'"
        f" AND {body} NOT GLOB '*[^0-9.]*' AND {body} NOT GLOB '*.*.*'"
        f" AND {body} NOT GLOB '0[0-9]*')"
    )
