"""The vocabulary of a binary contract: which side, and whether an order buys or sells it."""

from __future__ import annotations

import enum


class Side(enum.Enum):
    """Which contract of a binary market: YES pays out if the event happens, NO if not."""

    YES = "yes"
    NO = "no"

    @property
    def other(self) -> Side:
        """The complementary side: holding one YES and one NO always pays the payout."""
        return Side.NO if self is Side.YES else Side.YES


class Action(enum.Enum):
    """Whether an order buys or sells contracts of its side."""

    BUY = "buy"
    SELL = "sell"
