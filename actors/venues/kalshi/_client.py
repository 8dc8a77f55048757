"""An async client for the venue's REST API (Kalshi trade API v2 shapes).

Every call has a deadline (trio's ``fail_after``), passes its endpoint's
token bucket first, and either returns parsed, validated values or raises a
typed :class:`~actors.errors.VenueError`; nothing else escapes::

    no answer within the deadline            VenueTimeout      (outcome unknown)
    connection refused / reset / dropped     VenueDisconnected (outcome unknown)
    429                                      VenueRateLimited(retry_after from Retry-After)
    5xx, or a body that is not what we expect VenueServerError(status)
    401 / 403                                VenueAuthError
    400 "insufficient_balance"               InsufficientBalance
    any other 4xx                            InvalidOrder

Money crosses the wire as Kalshi's fixed-point strings: an order is sent with
``count_fp`` (2 decimals) and ``yes_price_dollars`` or ``no_price_dollars``
(4 decimals), formatted exactly by :mod:`actors.money`, and answers are read
into ``Decimal`` by :mod:`._wire` (malformed money is a ``VenueServerError``
naming the field and the order).  Before anything is sent, the price is checked
against the market's :class:`~actors.money.PriceGrid` (learnt from the venue's
market list by :meth:`VenueClient.list_markets`; Kalshi's ``linear_cent`` until
then): a price off the grid is refused with ``InvalidOrder`` and no request.

Two answers are not errors: a 409 on create (the ``client_order_id`` was
already used) returns the original order, and cancelling an order that is no
longer resting returns the order as it is.  The client never retries; that is
the caller's policy (:mod:`actors.execution._workflows`).  Use it from a trio
task, inside ``async with``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypeVar

import attrs
import httpx
import trio

from actors.domain import Fill, OrderIntent
from actors.errors import (
    InvalidFieldError,
    InvalidOrder,
    VenueDisconnected,
    VenueRateLimited,
    VenueServerError,
    VenueTimeout,
)
from actors.money import PriceGrid, format_price, format_size
from actors.venues._rate_limit import RateLimiter
from actors.venues._trading import ClientSettings, VenueBook, VenueOrder, VenuePosition
from actors.venues.kalshi._wire import (
    DEFAULT_GRID,
    PRICE_PLACES,
    SIZE_PLACES,
    Malformed,
    balance_from_wire,
    error_for,
    fill_from_wire,
    get,
    grids_from_wire,
    levels_from_wire,
    order_from_wire,
    position_from_wire,
)

__all__ = ["ENDPOINTS", "KALSHI_TRADING", "KalshiClient", "KalshiTrading"]

IOC = "immediate_or_cancel"
_T = TypeVar("_T")

ENDPOINTS = {
    "list_markets": "GET /markets",
    "create_order": "POST /portfolio/orders",
    "list_orders": "GET /portfolio/orders",
    "get_order": "GET /portfolio/orders/{order_id}",
    "cancel_order": "DELETE /portfolio/orders/{order_id}",
    "list_fills": "GET /portfolio/fills",
    "list_positions": "GET /portfolio/positions",
    "get_balance": "GET /portfolio/balance",
    "get_orderbook": "GET /markets/{ticker}/orderbook",
}
"""Endpoint name (as in the venue docs and the rate limits) -> ``METHOD path`` for errors."""

# -- the client ------------------------------------------------------------------------


class KalshiClient:
    """Typed calls to the venue at ``config.rest_url``.

    ``transport`` replaces the network (``httpx.MockTransport`` in unit tests);
    ``on_rate_limit_wait(endpoint, seconds)`` hears every wait for a token.
    """

    def __init__(
        self,
        config: ClientSettings,
        *,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_rate_limit_wait: Callable[[str, float], None] | None = None,
    ) -> None:
        self.config = config
        self.limiter = limiter if limiter is not None else RateLimiter(config.rate_limits)
        self._on_wait = on_rate_limit_wait
        self._grids: Mapping[str, PriceGrid] = MappingProxyType({})
        # Each call's deadline is a trio cancel scope around the whole exchange (not the
        # rate-limit wait before it); httpx's per-phase timeouts would only split it up.
        self._http = httpx.AsyncClient(
            base_url=config.rest_url.rstrip("/"),
            transport=transport,
            timeout=None,  # noqa: S113 - bounded by trio.fail_after in _call
        )

    async def __aenter__(self) -> KalshiClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- orders ------------------------------------------------------------------------

    async def create_order(self, intent: OrderIntent, *, time_in_force: str = IOC) -> VenueOrder:
        """Place ``intent`` as a limit order. A 409 (client order id already used)
        returns the original order: the venue accepts each client order id once.

        Raises ``InvalidOrder`` before any request if the price is off the market's
        grid (:meth:`grid`) or the count or price cannot be written exactly."""
        cid = intent.client_order_id
        try:
            price = self.grid(intent.ticker).check(intent.price, f"{intent.side.value}_price")
            body = {
                "ticker": intent.ticker,
                "side": intent.side.value,
                "action": intent.action.value,
                "type": "limit",
                "client_order_id": cid,
                "time_in_force": time_in_force,
                "count_fp": format_size(intent.count, SIZE_PLACES),
                f"{intent.side.value}_price_dollars": format_price(price, PRICE_PLACES),
            }
        except InvalidFieldError as error:
            raise InvalidOrder(
                f"not sent: {intent.ticker}: {error}",
                endpoint=ENDPOINTS["create_order"],
                client_order_id=cid,
            ) from None
        _, answer = await self._call(
            "create_order",
            "POST",
            "/portfolio/orders",
            json_body=body,
            deadline=self.config.deadlines.submit,
            client_order_id=cid,
            accept=(409,),
        )
        return self._parse(
            "create_order", lambda a: order_from_wire(get(a, "order", dict)), answer, cid
        )

    async def find_order(self, client_order_id: str) -> VenueOrder | None:
        """The order placed with ``client_order_id``, or None if the venue has none."""
        orders = await self.list_orders(client_order_id=client_order_id)
        found = [o for o in orders if o.client_order_id == client_order_id]
        return found[-1] if found else None

    async def list_orders(
        self, *, client_order_id: str | None = None, status: str | None = None
    ) -> list[VenueOrder]:
        params = {k: v for k, v in (("client_order_id", client_order_id), ("status", status)) if v}
        _, answer = await self._call(
            "list_orders",
            "GET",
            "/portfolio/orders",
            params=params,
            deadline=self.config.deadlines.query,
            client_order_id=client_order_id,
        )
        records = self._parse("list_orders", lambda a: get(a, "orders", list), answer)
        return [self._parse("list_orders", order_from_wire, r, client_order_id) for r in records]

    async def get_order(self, order_id: str) -> VenueOrder:
        _, answer = await self._call(
            "get_order",
            "GET",
            f"/portfolio/orders/{order_id}",
            deadline=self.config.deadlines.query,
        )
        return self._parse("get_order", lambda a: order_from_wire(get(a, "order", dict)), answer)

    async def cancel_order(self, order: VenueOrder) -> VenueOrder:
        """Cancel the rest of ``order``; returns it afterwards. An order that is no
        longer resting (it filled or was cancelled meanwhile) is returned as it is."""
        status, answer = await self._call(
            "cancel_order",
            "DELETE",
            f"/portfolio/orders/{order.order_id}",
            deadline=self.config.deadlines.cancel,
            client_order_id=order.client_order_id,
            accept=(400,),
            accept_code="order_not_cancelable",
        )
        if status == 400:
            return await self.get_order(order.order_id)
        return self._parse("cancel_order", lambda a: order_from_wire(get(a, "order", dict)), answer)

    # -- portfolio and market data -----------------------------------------------------

    async def list_fills(self, *, order_id: str | None = None) -> list[Fill]:
        params = {"order_id": order_id} if order_id else {}
        _, answer = await self._call(
            "list_fills",
            "GET",
            "/portfolio/fills",
            params=params,
            deadline=self.config.deadlines.query,
        )
        records = self._parse("list_fills", lambda a: get(a, "fills", list), answer)
        return [self._parse("list_fills", fill_from_wire, r) for r in records]

    async def list_positions(self) -> list[VenuePosition]:
        _, answer = await self._call(
            "list_positions", "GET", "/portfolio/positions", deadline=self.config.deadlines.query
        )
        records = self._parse("list_positions", lambda a: get(a, "market_positions", list), answer)
        return [self._parse("list_positions", position_from_wire, r) for r in records]

    async def get_balance(self) -> Decimal:
        """Free cash in dollars (``balance_dollars``)."""
        _, answer = await self._call(
            "get_balance", "GET", "/portfolio/balance", deadline=self.config.deadlines.query
        )
        return self._parse("get_balance", balance_from_wire, answer)

    async def get_orderbook(self, ticker: str) -> VenueBook:
        _, answer = await self._call(
            "get_orderbook",
            "GET",
            f"/markets/{ticker}/orderbook",
            deadline=self.config.deadlines.query,
        )

        def parse(a: Any) -> VenueBook:
            book = get(a, "orderbook_fp", dict)
            return VenueBook(
                levels_from_wire(book, "yes_dollars"), levels_from_wire(book, "no_dollars")
            )

        return self._parse("get_orderbook", parse, answer)

    async def list_markets(self) -> Mapping[str, PriceGrid]:
        """Every market's price grid, from the venue's market list; remembered, so
        :meth:`grid` (and the check before every order) uses it from now on."""
        _, answer = await self._call(
            "list_markets", "GET", "/markets", deadline=self.config.deadlines.query
        )
        grids = self._parse(
            "list_markets", lambda a: grids_from_wire(get(a, "markets", list)), answer
        )
        self._grids = MappingProxyType(dict(grids))
        return self._grids

    def grid(self, ticker: str) -> PriceGrid:
        """The price grid of ``ticker``: as the last market list gave it, else Kalshi's
        ``linear_cent`` (tick $0.01)."""
        return self._grids.get(ticker, DEFAULT_GRID)

    # -- plumbing ----------------------------------------------------------------------

    def _parse(
        self, endpoint: str, parse: Callable[[Any], _T], value: Any, cid: str | None = None
    ) -> _T:
        try:
            return parse(value)
        except Malformed as error:
            raise VenueServerError(
                f"malformed answer: {error}",
                status=200,
                endpoint=ENDPOINTS[endpoint],
                client_order_id=cid,
            ) from None

    async def _call(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        deadline: float,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        client_order_id: str | None = None,
        accept: tuple[int, ...] = (),
        accept_code: str | None = None,
    ) -> tuple[int, Any]:
        """One request: rate limit, deadline, error mapping. Returns (status, json body)
        for a 2xx or an ``accept``-ed status (with ``accept_code``, if given)."""
        label = ENDPOINTS[endpoint]
        waited = await self.limiter.acquire(endpoint)
        if waited > 0 and self._on_wait is not None:
            self._on_wait(endpoint, waited)
        try:
            with trio.fail_after(deadline):
                response = await self._http.request(method, path, params=params, json=json_body)
                await response.aread()
        except (trio.TooSlowError, httpx.TimeoutException):
            raise VenueTimeout(
                f"no answer within {deadline}s", endpoint=label, client_order_id=client_order_id
            ) from None
        except httpx.TransportError as error:
            raise VenueDisconnected(
                f"{type(error).__name__}: {error}", endpoint=label, client_order_id=client_order_id
            ) from None
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        status = response.status_code
        if 200 <= status < 300:
            return status, body
        if status in accept:
            detail = body.get("error") if isinstance(body, dict) else None
            code = detail.get("code") if isinstance(detail, dict) else None
            if accept_code is None or code == accept_code:
                return status, body
        failure = error_for(
            status,
            body,
            endpoint=label,
            client_order_id=client_order_id,
            retry_after=response.headers.get("retry-after"),
        )
        if isinstance(failure, VenueRateLimited):
            self.limiter.defer(endpoint, failure.retry_after)
        raise failure


@attrs.frozen
class KalshiTrading:
    """Kalshi's trading side of the venue seam (:class:`~actors.venues.TradingVenue`)."""

    @property
    def default_grid(self) -> PriceGrid:
        return DEFAULT_GRID

    def open_client(
        self,
        settings: ClientSettings,
        *,
        on_rate_limit_wait: Callable[[str, float], None] | None = None,
    ) -> KalshiClient:
        return KalshiClient(settings, on_rate_limit_wait=on_rate_limit_wait)


KALSHI_TRADING = KalshiTrading()
"""Unsigned: the embedded simulated venue, which speaks Kalshi's wire."""
