"""The value types of the trading domain: sides, books, events, baskets, orders, fills.

Every type is a frozen attrs class whose constructor validates each field:
prices, payouts, cash and fees are ``Decimal`` dollars and sizes ``Decimal``
contracts (never ``float``, ``int`` or ``bool``; docs/money.md), prices lie
strictly between 0 and the payout with at most 4 decimals, sizes have at most
2 decimals, and a bad value raises
a subclass of :class:`~actors.errors.DomainError` (a ``ValueError``) naming the
field, the value, and the ticker and order id when known.  Operations that
"change" a value (applying a book delta, an order transition, a fill to a
position) return a new value and leave the old one untouched.
"""

from actors.domain._basket import MAX_LEGS, Basket, Leg, OrderRole, Purpose
from actors.domain._book import BookDelta, BookSnapshot, Level, Levels, TopOfBook
from actors.domain._event import Event
from actors.domain._opportunity import Opportunity
from actors.domain._orders import TRANSITIONS, Fill, FillRow, Order, OrderIntent, OrderState
from actors.domain._position import Position
from actors.domain._sides import Action, Side

__all__ = [
    "MAX_LEGS",
    "TRANSITIONS",
    "Action",
    "Basket",
    "BookDelta",
    "BookSnapshot",
    "Event",
    "Fill",
    "FillRow",
    "Leg",
    "Level",
    "Levels",
    "Opportunity",
    "Order",
    "OrderIntent",
    "OrderRole",
    "OrderState",
    "Position",
    "Purpose",
    "Side",
    "TopOfBook",
]
