"""The market-data half of the venue seam: what the feed asks of a venue's stream.

A venue adapter provides a :class:`MarketDataProtocol`; the feed holds one in its
config and never reads a venue's wire itself. Everything here is pure (text in,
text or frames out): the feed owns the sockets, the clocks and the books.
"""

from __future__ import annotations

from typing import Protocol

from actors.venues._amounts import PriceGrids
from actors.venues._frames import Frame

__all__ = ["MarketDataProtocol"]


class MarketDataProtocol(Protocol):
    """One venue's order-book stream.

    - :meth:`parse_frame` turns one websocket message into a frame of
      :mod:`actors.venues._frames`, checking every price against its market's
      grid in ``grids``; it never raises for bad input (a :class:`Rejected`
      names what is wrong).
    - :meth:`subscribe_command` / :meth:`unsubscribe_command` are the text of
      the commands that start and end one market's book subscription; the
      venue answers with ``Subscribed`` / ``Unsubscribed`` frames carrying
      ``request_id``.
    """

    def parse_frame(self, text: str | bytes, *, grids: PriceGrids) -> Frame: ...

    def subscribe_command(self, request_id: int, ticker: str) -> str: ...

    def unsubscribe_command(self, request_id: int, sid: int) -> str: ...
