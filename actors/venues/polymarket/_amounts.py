"""The integer amounts of a Polymarket CLOB V2 limit order, computed exactly.

A signed order carries no price and no size: it carries ``makerAmount`` (what
the maker gives) and ``takerAmount`` (what it wants), both integers in base
units of 6 decimals (pUSD and the outcome tokens both have 6 decimals):

- BUY ``size`` shares at ``price``: maker = ``size x price`` pUSD, taker = ``size`` shares;
- SELL ``size`` shares at ``price``: maker = ``size`` shares, taker = ``size x price`` pUSD.

The rounding is the official client's (``getOrderRawAmounts`` with
``ROUNDING_CONFIG`` in Polymarket/clob-client-v2 ``src/order-builder/helpers/``,
and ``OrderBuilder.get_order_amounts`` in Polymarket/py-clob-client-v2), done
in ``Decimal`` instead of floats:

1. the size is rounded DOWN to the tick's size decimals (always 2): an order
   never asks for more shares than requested;
2. the product ``shares x price`` is kept as it is when it has at most the
   tick's amount decimals; otherwise it is rounded UP at ``amount + 4``
   decimals and then, if still longer, DOWN to ``amount`` decimals
   (:func:`round_amount`; the clients do this to shed float noise).

For a price on the tick, ``price`` has at most ``price`` decimals and
``amount = price + 2``, so the product is exact and step 2 never rounds: the
amounts are exactly ``shares x 10**6`` and ``shares x price x 10**6``.

The official clients round the price to the nearest price decimal; here a
price is never rounded: a price off the tick, or outside ``[tick, 1 - tick]``,
raises :class:`~actors.errors.InvalidFieldError` (a ``ValueError``) naming the
price and the tick.  So do an unknown tick, a side other than ``"BUY"`` /
``"SELL"``, a non-``Decimal`` amount, and a size that rounds down to zero.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal

from attrs import frozen

from actors.errors import InvalidFieldError
from actors.money import EXACT, ONE, decimals_of

__all__ = [
    "ROUNDING_CONFIG",
    "TOKEN_DECIMALS",
    "RoundingConfig",
    "amounts_price",
    "order_amounts",
    "round_amount",
    "rounding_config",
]

TOKEN_DECIMALS = 6
"""pUSD and every outcome token have 6 decimals (clob-client-v2 ``src/config.ts``)."""

_SCALE = Decimal(10) ** TOKEN_DECIMALS
_OWNER = "PolymarketOrder"


@frozen
class RoundingConfig:
    """Decimals of one tick's prices, sizes (shares) and amounts (pUSD notional)."""

    price: int
    size: int
    amount: int


ROUNDING_CONFIG: dict[Decimal, RoundingConfig] = {
    Decimal("0.1"): RoundingConfig(price=1, size=2, amount=3),
    Decimal("0.01"): RoundingConfig(price=2, size=2, amount=4),
    Decimal("0.005"): RoundingConfig(price=3, size=2, amount=5),
    Decimal("0.0025"): RoundingConfig(price=4, size=2, amount=6),
    Decimal("0.001"): RoundingConfig(price=3, size=2, amount=5),
    Decimal("0.0001"): RoundingConfig(price=4, size=2, amount=6),
}
"""The official clients' table, keyed by tick (``Decimal("0.010")`` finds ``0.01``)."""


def _is_decimal(value: object) -> bool:
    return type(value) is Decimal and value.is_finite()


def rounding_config(tick: object) -> RoundingConfig:
    """The :data:`ROUNDING_CONFIG` entry of ``tick``; ``InvalidFieldError`` for another tick."""
    config = ROUNDING_CONFIG.get(tick) if type(tick) is Decimal and tick.is_finite() else None
    if config is None:
        ticks = ", ".join(str(known) for known in ROUNDING_CONFIG)
        raise InvalidFieldError(_OWNER, "tick", tick, f"is not a Polymarket tick ({ticks})")
    return config


def round_amount(value: Decimal, places: int) -> Decimal:
    """``value`` (>= 0) as the official client rounds a notional to ``places`` decimals.

    Unchanged with at most ``places`` decimals; otherwise rounded up at
    ``places + 4`` decimals, then (if still longer) down to ``places``.  So
    ``0.123456789`` -> ``0.1234`` and ``0.12349999999`` -> ``0.1235`` for 4 places.
    """
    if decimals_of(value) <= places:
        return value
    value = value.quantize(Decimal(1).scaleb(-(places + 4)), rounding=ROUND_CEILING)
    rounding = ROUND_CEILING if decimals_of(value) <= places else ROUND_FLOOR  # exact, or down
    return value.quantize(Decimal(1).scaleb(-places), rounding=rounding)


def _check_price(price: object, tick: Decimal, config: RoundingConfig) -> Decimal:
    if not _is_decimal(price):
        raise InvalidFieldError(_OWNER, "price", price, "must be a finite Decimal")
    assert isinstance(price, Decimal)
    if not tick <= price <= ONE - tick:
        rule = f"is outside [tick, 1 - tick] = [{tick}, {ONE - tick}] (tick {tick})"
        raise InvalidFieldError(_OWNER, "price", price, rule)
    if EXACT.remainder(price, tick) or decimals_of(price) > config.price:
        raise InvalidFieldError(_OWNER, "price", price, f"is off the tick {tick}")
    return price


def _units(value: Decimal) -> int:
    scaled = EXACT.multiply(value, _SCALE)
    assert scaled == scaled.to_integral_value(), value  # every amount has <= 6 decimals
    return int(scaled)


def order_amounts(
    side: Literal["BUY", "SELL"], size: Decimal, price: Decimal, tick: Decimal
) -> tuple[int, int]:
    """``(makerAmount, takerAmount)`` in 6-decimal base units of a limit order.

    ``size`` shares (rounded down to the tick's size decimals) at ``price``
    (exactly on ``tick``, in ``[tick, 1 - tick]``); see the module docstring
    for the rule.  ``order_amounts("BUY", Decimal("16.9"), Decimal("0.30"),
    Decimal("0.01")) == (5_070_000, 16_900_000)``.  Raises
    :class:`~actors.errors.InvalidFieldError` as the module docstring says.
    """
    if side not in ("BUY", "SELL"):
        raise InvalidFieldError(_OWNER, "side", side, "must be 'BUY' or 'SELL'")
    config = rounding_config(tick)
    price = _check_price(price, tick, config)
    if not _is_decimal(size) or size <= 0:
        raise InvalidFieldError(_OWNER, "size", size, "must be a finite Decimal > 0")
    shares = size.quantize(Decimal(1).scaleb(-config.size), rounding=ROUND_FLOOR)
    if not shares:
        rule = f"rounds down to 0 shares at {config.size} decimals"
        raise InvalidFieldError(_OWNER, "size", size, rule)
    notional = round_amount(EXACT.multiply(shares, price), config.amount)
    if side == "BUY":
        return _units(notional), _units(shares)
    return _units(shares), _units(notional)


def amounts_price(side: Literal["BUY", "SELL"], maker_amount: int, taker_amount: int) -> Decimal:
    """The price an order's amounts stand for: pUSD per share, exact.

    BUY: ``maker / taker``; SELL: ``taker / maker``.  Raises ``ValueError`` for
    a side other than ``"BUY"`` / ``"SELL"``, a non-positive amount, or amounts
    whose ratio is not a terminating decimal (no order :func:`order_amounts` builds).
    """
    if side not in ("BUY", "SELL"):
        raise InvalidFieldError(_OWNER, "side", side, "must be 'BUY' or 'SELL'")
    for name, amount in (("maker_amount", maker_amount), ("taker_amount", taker_amount)):
        if type(amount) is not int or amount <= 0:
            raise InvalidFieldError(_OWNER, name, amount, "must be an integer > 0")
    pusd, shares = (maker_amount, taker_amount) if side == "BUY" else (taker_amount, maker_amount)
    try:
        quotient = EXACT.divide(Decimal(pusd), Decimal(shares))
    except ArithmeticError:
        quotient = None  # not a terminating decimal: raised below, outside the handler
    if quotient is None:
        raise InvalidFieldError(
            _OWNER, "amounts", (maker_amount, taker_amount), "is no exact price"
        )
    return quotient.normalize(EXACT)
