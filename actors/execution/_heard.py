"""What execution has heard on the venue's private channel, kept on its trio loop.

:class:`Heard` is the ``deliver`` callback of
:meth:`~actors.venues.PrivateChannel.serve_private` and what the loop's
procedures (:mod:`actors.execution._workflows`) ask:

- :meth:`Heard.session` before an order is first sent: the channel's
  connection if it is up, else None;
- :meth:`Heard.order`: the latest state heard of the order with a client order
  id (``user_orders``), at once if already heard, else when it comes;
- :meth:`Heard.fills_of`: an order's fills (``fill``), de-duplicated by fill
  (trade) id, once they add up to the order's filled count — only if the
  channel has stayed on the connection the order was sent under, so that no
  fill can have fallen into a gap between connections. Otherwise, or if they
  do not add up within the deadline, None: the caller lists the order's fills
  from the venue instead (the fills are then complete by construction).

It lives on the loop thread only (every call and every delivery is on it), so it
needs no lock; it is not actor state but a cache of the venue's statements, lost
with the incarnation (a new one resolves by paging). Memory is bounded: what an
order's procedure has used is forgotten (:meth:`Heard.forget`), and what is
heard of an order after it was forgotten (its ``user_order`` frame usually comes
after the answer that settled it) is dropped: the ids of the last :data:`KEEP`
orders forgotten are kept for that. At most :data:`KEEP` orders of anything else
(orders placed by hand, late repeats) are kept, the oldest dropped first. A
one-hour soak at 22 fills/s found the late frames filling the whole cache
(3.6 MB of orders nobody would ask for again) before this rule.
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal
from typing import TypeVar

import attrs
import trio

from actors.domain import Fill
from actors.money import EXACT
from actors.venues import VenueOrder
from actors.venues._trading import (
    ChannelDown,
    ChannelUp,
    FillHeard,
    OrderHeard,
    PrivateEvent,
)

__all__ = ["KEEP", "Heard"]

KEEP = 1_024
"""Orders (by client order id), fill lists (by order id) and forgotten orders' ids
kept at most: an order's update is asked for within seconds of its arrival."""


class Heard:
    """See the module docstring. Use on one trio loop."""

    def __init__(self) -> None:
        self._connection: int | None = None  # the connection that is up, if one is
        self._orders: OrderedDict[str, VenueOrder] = OrderedDict()  # by client order id
        self._fills: OrderedDict[str, dict[str, Fill]] = OrderedDict()  # by order id
        self._forgotten: OrderedDict[str, None] = OrderedDict()  # client and venue order ids
        self._changed = trio.Event()

    # -- delivery (the channel's callback) --------------------------------------------

    def __call__(self, event: PrivateEvent) -> None:
        if isinstance(event, ChannelUp):
            self._connection = event.connection
        elif isinstance(event, ChannelDown):
            if self._connection == event.connection:
                self._connection = None
        elif isinstance(event, OrderHeard):
            cid = event.order.client_order_id
            if cid is not None and cid not in self._forgotten:
                self._orders[cid] = event.order
                self._orders.move_to_end(cid)
                _trim(self._orders)
        elif isinstance(event, FillHeard) and event.order_id not in self._forgotten:
            fills = self._fills.setdefault(event.order_id, {})
            fills.setdefault(event.fill.fill_id, event.fill)  # a repeat changes nothing
            self._fills.move_to_end(event.order_id)
            _trim(self._fills)
        self._changed.set()
        self._changed = trio.Event()

    # -- questions (the procedures') ----------------------------------------------------

    @property
    def up(self) -> bool:
        return self._connection is not None

    def session(self) -> int | None:
        """The connection that is up now, or None."""
        return self._connection

    def order_now(self, client_order_id: str) -> VenueOrder | None:
        """The latest state heard of the order placed under ``client_order_id``."""
        return self._orders.get(client_order_id)

    async def order(self, client_order_id: str) -> VenueOrder:
        """:meth:`order_now`, waiting for it (forever: the caller bounds the wait)."""
        while True:
            found = self._orders.get(client_order_id)
            if found is not None:
                return found
            await self._changed.wait()

    async def fills_of(
        self, order: VenueOrder, session: int | None, *, timeout: float
    ) -> tuple[Fill, ...] | None:
        """The fills of ``order`` (named by its client order id, in the order heard),
        once they add up exactly to ``order.fill_count``; None if the channel is not up
        on ``session`` (or leaves it meanwhile), if ``timeout`` seconds pass first, or
        if they add up to more (see the module docstring)."""
        if session is None:
            return None
        with trio.move_on_after(timeout):
            while self._connection == session:
                heard = tuple(self._fills.get(order.order_id, {}).values())
                total = Decimal(0)
                for fill in heard:
                    total = EXACT.add(total, fill.count)
                if total == order.fill_count:
                    return tuple(_named(fill, order) for fill in heard)
                if total > order.fill_count:
                    return None
                await self._changed.wait()
        return None

    def forget(self, order: VenueOrder) -> None:
        """Drop what was heard of ``order`` (its procedure is done with it), and what
        will be heard of it from now on."""
        self._fills.pop(order.order_id, None)
        self._forgotten[order.order_id] = None
        if order.client_order_id is not None:
            self._orders.pop(order.client_order_id, None)
            self._forgotten[order.client_order_id] = None
        while len(self._forgotten) > 2 * KEEP:  # two ids an order
            self._forgotten.popitem(last=False)


def _named(fill: Fill, order: VenueOrder) -> Fill:
    """``fill`` named by its order's client id (Kalshi's fill frames may lack it)."""
    cid = order.client_order_id
    if cid is None or fill.client_order_id == cid:
        return fill
    return attrs.evolve(fill, client_order_id=cid)


_V = TypeVar("_V")


def _trim(kept: OrderedDict[str, _V]) -> None:
    while len(kept) > KEEP:
        kept.popitem(last=False)
