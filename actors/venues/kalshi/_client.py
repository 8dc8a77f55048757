"""Kalshi's REST trading API (Trade API v2), as a :class:`~actors.venues.TradingClient`.

Every call has a deadline (trio's ``fail_after``), passes its endpoint's
token bucket first, and either returns parsed, validated values or raises a
typed :class:`~actors.errors.VenueError`; nothing else escapes::

    no answer within the deadline             VenueTimeout      (outcome unknown)
    connection refused / reset / dropped      VenueDisconnected (outcome unknown)
    429                                       VenueRateLimited (Kalshi sends no
                                              Retry-After: the caller backs off, jittered)
    5xx, or a body that is not what we expect VenueServerError(status)
    401 / 403                                 VenueAuthError
    insufficient_balance, available_balance_too_low   InsufficientBalance
    any other 4xx                             InvalidOrder

Orders go to the V2 endpoints (``POST /portfolio/events/orders``, ``DELETE
/portfolio/events/orders/{id}``): one YES book, ``side`` ``bid`` (buy YES, or
sell NO) or ``ask`` (sell YES, or buy NO), ``price`` the YES price and ``count``,
as fixed-point strings formatted exactly by :mod:`actors.money`. Before anything
is sent the price is checked against the market's
:class:`~actors.money.PriceGrid` (learnt by :meth:`KalshiClient.list_markets`;
Kalshi's ``linear_cent`` until then): a price off the grid is refused with
``InvalidOrder`` and no request. Answers are read by :mod:`._wire` (malformed
money is a ``VenueServerError`` naming the field and the order).

Lists follow Kalshi's cursor to the last page (``limit`` at the documented
maximum, at most :data:`MAX_PAGES` pages, else ``VenueServerError``). Kalshi has
no client-order-id filter, so :meth:`KalshiClient.find_order` pages the orders
(of one market when it is known) and matches the id here.

:meth:`KalshiClient.venue_time` reads the venue's clock from an answer's
``Date`` header (execution's reconciliation records it as the point its next
start lists from). Two answers are not errors: a 409 on create (the ``client_order_id`` was used
before, so an earlier submit landed; Kalshi's 409 body carries no order) is
resolved by looking the id up, never by sending again under another id; and
cancelling an order that is no longer resting (404) returns the order as it is.
Fills carry no client order id (Kalshi removed it): the client maps each fill's
``order_id`` to the id it learnt from the orders it has seen (the latest
:data:`CLIENT_IDS_KEPT` to :data:`CLIENT_IDS_KEPT` x 2 of them: memory stays flat
however long it runs), listing the venue's orders once for a listing's owners it
has not seen and asking for each order still unknown after that. With a signer
every request carries Kalshi's three signature headers
(:class:`~actors.venues.kalshi._signing.KalshiAuth`); no header reaches a log or
an error. Opened with :class:`~._private.PrivateSettings`, the
client is also a :class:`~actors.venues.PrivateChannel`: :meth:`KalshiClient.serve_private`
runs the ``user_orders`` and ``fill`` channels (:mod:`._private`), signed by the same
signer. The client never retries; that is the caller's policy
(:mod:`actors.execution._workflows`). Use it from a trio task, inside ``async with``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import json
import math
import random
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypeVar

import attrs
import httpx
import trio

from actors.domain import Action, Fill, OrderIntent, Side
from actors.errors import (
    InvalidFieldError,
    InvalidOrder,
    VenueRateLimited,
    VenueServerError,
)
from actors.money import ONE, PriceGrid, format_price, format_size
from actors.venues._http import Limiter, exchange
from actors.venues._rate_limit import AllLimiters, RateLimiter
from actors.venues._trading import (
    ClientSettings,
    PrivateEvent,
    VenueBook,
    VenueOrder,
    VenuePosition,
)
from actors.venues.kalshi._limits import KalshiRateLimiter
from actors.venues.kalshi._private import KalshiPrivateChannel, PrivateSettings
from actors.venues.kalshi._signing import KalshiAuth, KalshiSigner
from actors.venues.kalshi._wire import (
    DEFAULT_GRID,
    PRICE_PLACES,
    SIZE_PLACES,
    Malformed,
    balance_from_wire,
    created_from_wire,
    cutoff_from_wire,
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
    "create_order": "POST /portfolio/events/orders",
    "list_orders": "GET /portfolio/orders",
    "get_order": "GET /portfolio/orders/{order_id}",
    "cancel_order": "DELETE /portfolio/events/orders/{order_id}",
    "list_fills": "GET /portfolio/fills",
    "list_positions": "GET /portfolio/positions",
    "get_balance": "GET /portfolio/balance",
    "get_orderbook": "GET /markets/{ticker}/orderbook",
    "historical_cutoff": "GET /historical/cutoff",
}
"""Endpoint name (as in the venue docs and the rate limits) -> ``METHOD path`` for errors."""

PAGE_LIMITS = {
    "list_markets": 1000,
    "list_orders": 1000,
    "list_fills": 1000,
    "list_positions": 1000,
}
"""``limit`` asked per page: each list endpoint's documented maximum."""

MAX_PAGES = 1_000
"""Pages followed before a list is refused: a venue whose cursor never ends."""

SELF_TRADE_PREVENTION = "taker_at_cross"
"""Kalshi's ``self_trade_prevention_type`` for every order (required by V2): an
order of ours that would cross one of our own resting orders is cancelled at the
cross, never matched against it."""


# -- the client ------------------------------------------------------------------------


class KalshiClient:
    """Typed calls to Kalshi (or the simulated venue speaking its wire) at
    ``config.rest_url``.

    ``signer`` signs every request (none: unsigned, for the embedded simulated
    venue); ``transport`` replaces the network (``httpx.MockTransport`` in unit
    tests); ``on_rate_limit_wait(endpoint, seconds)`` hears every wait for a token;
    ``private`` (none: no private channel) is where :meth:`serve_private` connects.

    Pacing: without ``limiter``, warden's per-endpoint limits (``config.rate_limits``)
    pace every request. With one (Kalshi's tier buckets, :class:`KalshiRateLimiter`)
    it paces every request, and the endpoints ``config.rate_limits`` names
    (``create_order`` and ``cancel_order``: ``[execution] orders_per_second``) first
    take a token of warden's own limit too: the venue's budget never lifts the
    operator's throttle, and warden's generic ``"*"`` limit does not slow the reads
    a higher tier allows.
    """

    def __init__(
        self,
        config: ClientSettings,
        *,
        signer: KalshiSigner | None = None,
        limiter: Limiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_rate_limit_wait: Callable[[str, float], None] | None = None,
        private: PrivateSettings | None = None,
    ) -> None:
        self.config = config
        self._signer = signer
        self._private = private
        self.limiter: Limiter = (
            RateLimiter(config.rate_limits)
            if limiter is None
            else AllLimiters(RateLimiter(config.rate_limits, named_only=True), limiter)
        )
        self._kalshi_buckets = limiter if isinstance(limiter, KalshiRateLimiter) else None
        self._on_wait = on_rate_limit_wait
        self._grids: Mapping[str, PriceGrid] = MappingProxyType({})
        self._client_ids = ClientIds()  # order id -> client order id, as seen
        self._rng = random.Random()  # the 429 backoff's jitter only
        # Each call's deadline is a trio cancel scope around the whole exchange (not the
        # rate-limit wait before it); httpx's per-phase timeouts would only split it up.
        self._http = httpx.AsyncClient(
            base_url=config.rest_url.rstrip("/"),
            transport=transport,
            auth=KalshiAuth(signer) if signer is not None else None,
            timeout=None,  # noqa: S113 - bounded by trio.fail_after in _call
        )

    async def __aenter__(self) -> KalshiClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def serve(self) -> None:
        """Nothing to do in the background: Kalshi has no dead-man switch."""
        await trio.sleep_forever()

    async def serve_private(self, deliver: Callable[[PrivateEvent], None]) -> None:
        """The ``user_orders`` and ``fill`` channels until cancelled (see
        :mod:`._private`); without ``private`` settings, nothing is ever delivered."""
        if self._private is None:
            await trio.sleep_forever()
        channel = KalshiPrivateChannel(self._private, signer=self._signer, rng=random.Random())
        await channel.run(deliver)

    # -- orders ------------------------------------------------------------------------

    async def create_order(self, intent: OrderIntent, *, time_in_force: str = IOC) -> VenueOrder:
        """Place ``intent`` as a limit order (V2). The answer says what filled at once;
        the returned order is stated as ``intent`` states it (side, action, price).

        A 409 (the client order id was used before: an earlier submit landed) is
        resolved by :meth:`find_order`; if the venue does not list the order (yet),
        the outcome stays unknown: ``VenueServerError`` (transient), never a resend
        under another id. Raises ``InvalidOrder`` before any request if the price is
        off the market's grid or the count or price cannot be written exactly."""
        cid = intent.client_order_id
        try:
            price = self.grid(intent.ticker).check(intent.price, f"{intent.side.value}_price")
            book_side, yes_price = book_side_of(intent.side, intent.action, price)
            body = {
                "ticker": intent.ticker,
                "client_order_id": cid,
                "side": book_side,
                "count": format_size(intent.count, SIZE_PLACES),
                "price": format_price(yes_price, PRICE_PLACES),
                "time_in_force": time_in_force,
                "self_trade_prevention_type": SELF_TRADE_PREVENTION,
            }
        except InvalidFieldError as error:
            raise InvalidOrder(
                f"not sent: {intent.ticker}: {error}",
                endpoint=ENDPOINTS["create_order"],
                client_order_id=cid,
            ) from None
        status, answer = await self._call(
            "create_order",
            "POST",
            "/portfolio/events/orders",
            json_body=body,
            deadline=self.config.deadlines.submit,
            client_order_id=cid,
            accept=(409,),
        )
        if status == 409:
            found = await self.find_order(cid, ticker=intent.ticker)
            if found is None:
                raise VenueServerError(
                    "409: the client order id is taken but no order lists it yet",
                    status=409,
                    endpoint=ENDPOINTS["create_order"],
                    client_order_id=cid,
                )
            return found.as_direction(intent.side, intent.action)
        order = self._parse(
            "create_order", lambda a: created_from_wire(a, intent, time_in_force), answer, cid
        )
        self._client_ids[order.order_id] = cid
        return order

    async def find_order(
        self, client_order_id: str, *, ticker: str | None = None
    ) -> VenueOrder | None:
        """The order placed with ``client_order_id`` (of ``ticker``, when given, which
        keeps the listing to one market), or None if the venue lists none."""
        orders = await self.list_orders(ticker=ticker)
        found = [o for o in orders if o.client_order_id == client_order_id]
        return found[-1] if found else None

    async def list_orders(
        self,
        *,
        client_order_id: str | None = None,
        status: str | None = None,
        ticker: str | None = None,
        since: float | None = None,
    ) -> list[VenueOrder]:
        """Every order (all pages), optionally of one ``status`` and ``ticker``; with
        ``client_order_id`` only the orders carrying it (matched here: Kalshi has no
        such filter); with ``since`` (Unix seconds) those from it on, sent as
        ``min_ts`` (:func:`min_ts`; get-orders.md does not say which of an order's
        times it compares: the simulated venue compares its creation)."""
        params = {k: v for k, v in (("status", status), ("ticker", ticker)) if v}
        if since is not None:
            params["min_ts"] = str(min_ts(since))
        records = await self._pages(
            "list_orders", "/portfolio/orders", "orders", params, client_order_id
        )
        orders = [self._parse("list_orders", order_from_wire, r, client_order_id) for r in records]
        for order in orders:
            self._client_ids[order.order_id] = order.client_order_id
        if client_order_id is not None:
            orders = [o for o in orders if o.client_order_id == client_order_id]
        return orders

    async def get_order(self, order_id: str) -> VenueOrder:
        _, answer = await self._call(
            "get_order",
            "GET",
            f"/portfolio/orders/{order_id}",
            deadline=self.config.deadlines.query,
        )
        order = self._parse("get_order", lambda a: order_from_wire(get(a, "order", dict)), answer)
        self._client_ids[order.order_id] = order.client_order_id
        return order

    async def cancel_order(self, order: VenueOrder) -> VenueOrder:
        """Cancel the rest of ``order`` (V2); returns it afterwards, read back from the
        venue and stated as ``order`` states it. An order that is no longer resting
        (404: it filled or was cancelled meanwhile) is returned as it is."""
        await self._call(
            "cancel_order",
            "DELETE",
            f"/portfolio/events/orders/{order.order_id}",
            deadline=self.config.deadlines.cancel,
            client_order_id=order.client_order_id,
            accept=(404,),
        )
        after = await self.get_order(order.order_id)
        return after.as_direction(order.side, order.action)

    # -- portfolio and market data -----------------------------------------------------

    async def list_fills(
        self, *, order_id: str | None = None, since: float | None = None
    ) -> list[Fill]:
        """Every fill (all pages), or those of ``order_id``; each carries the client
        order id of its order (see the module docstring). ``since`` (Unix seconds) is
        sent as ``min_ts`` (:func:`min_ts`)."""
        params = {"order_id": order_id} if order_id else {}
        if since is not None:
            params["min_ts"] = str(min_ts(since))
        records = await self._pages("list_fills", "/portfolio/fills", "fills", params)
        owners = [self._parse("list_fills", lambda r: get(r, "order_id", str), r) for r in records]
        listed: dict[str, str | None] = {}
        if any(owner not in self._client_ids for owner in owners):
            # one listing of the orders (from the same point) rather than one call per
            # owner not remembered: a first reconciliation meets thousands
            orders = await self.list_orders(since=since)
            listed = {order.order_id: order.client_order_id for order in orders}
        fills = []
        for owner, record in zip(owners, records, strict=True):
            if owner in self._client_ids:
                client_order_id = self._client_ids[owner]
            elif owner in listed:
                client_order_id = listed[owner]
            else:
                try:
                    client_order_id = (await self.get_order(owner)).client_order_id
                except InvalidOrder:  # 404: an order the venue no longer lists
                    client_order_id = self._client_ids[owner] = None
            fills.append(
                self._parse(
                    "list_fills",
                    functools.partial(fill_from_wire, client_order_id=client_order_id),
                    record,
                )
            )
        return fills

    async def list_positions(self) -> list[VenuePosition]:
        records = await self._pages(
            "list_positions", "/portfolio/positions", "market_positions", {}
        )
        return [self._parse("list_positions", position_from_wire, r) for r in records]

    async def get_balance(self) -> Decimal:
        """Free cash in dollars (``balance_dollars``)."""
        _, answer = await self._call(
            "get_balance", "GET", "/portfolio/balance", deadline=self.config.deadlines.query
        )
        return self._parse("get_balance", balance_from_wire, answer)

    async def lists_complete_since(self) -> str | None:
        """The later of Kalshi's ``orders_updated_ts`` and ``trades_created_ts``
        cutoffs (``GET /historical/cutoff``): finished orders and fills older than it
        are only in ``/historical/orders`` and ``/historical/fills``, which
        reconciliation does not read (resting orders never move). Raises
        ``VenueServerError`` if the answer lacks them."""
        cutoffs = await self.historical_cutoff()
        named = [cutoffs.get(name) for name in ("orders_updated_ts", "trades_created_ts")]
        if not all(named):
            raise VenueServerError(
                f"malformed answer: no orders/trades cutoff in {sorted(cutoffs)!r}",
                status=200,
                endpoint=ENDPOINTS["historical_cutoff"],
            )
        return max(text for text in named if text is not None)

    async def venue_time(self) -> float | None:
        """The venue's clock now (Unix seconds), or None when it does not say.

        Read from the ``Date`` header of a ``GET /historical/cutoff`` (a small read
        without side effects): RFC 9110 section 6.6.1 has an origin server with a
        clock send ``Date`` with every answer; Kalshi's docs do not mention it
        either way. ``Date`` is whole seconds, rounded down, so the time returned is
        never later than the venue's clock when it answered. None (logged by the
        caller) for an answer without a ``Date`` or with one that is not an HTTP
        date. Raises the call's :class:`~actors.errors.VenueError` as any call."""
        _, _, headers = await self._request(
            "historical_cutoff", "GET", "/historical/cutoff", deadline=self.config.deadlines.query
        )
        return http_date_seconds(headers.get("date"))

    async def historical_cutoff(self) -> Mapping[str, str]:
        """Kalshi's ``GET /historical/cutoff``: the timestamps before which settled
        orders and fills move to ``/historical/*`` (resting orders never move)."""
        _, answer = await self._call(
            "historical_cutoff", "GET", "/historical/cutoff", deadline=self.config.deadlines.query
        )
        return self._parse("historical_cutoff", cutoff_from_wire, answer)

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
        """Every market's price grid, from the venue's market list (all pages);
        remembered, so :meth:`grid` (and the check before every order) uses it."""
        records = await self._pages("list_markets", "/markets", "markets", {})
        grids = self._parse("list_markets", grids_from_wire, records)
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

    async def _pages(
        self,
        endpoint: str,
        path: str,
        key: str,
        params: Mapping[str, str],
        cid: str | None = None,
    ) -> list[Any]:
        """Every record under ``key`` of every page of ``GET path``."""
        records: list[Any] = []
        cursor = ""
        for _page in range(MAX_PAGES):
            query = {**params, "limit": str(PAGE_LIMITS[endpoint])}
            if cursor:
                query["cursor"] = cursor
            _, answer = await self._call(
                endpoint,
                "GET",
                path,
                params=query,
                deadline=self.config.deadlines.query,
                client_order_id=cid,
            )
            records.extend(self._parse(endpoint, lambda a: get(a, key, list), answer, cid))
            following = answer.get("cursor") if isinstance(answer, dict) else None
            if not following:
                return records
            if not isinstance(following, str) or following == cursor:
                raise VenueServerError(
                    f"malformed answer: bad cursor {following!r}",
                    status=200,
                    endpoint=ENDPOINTS[endpoint],
                    client_order_id=cid,
                )
            cursor = following
        raise VenueServerError(
            f"malformed answer: more than {MAX_PAGES} pages",
            status=200,
            endpoint=ENDPOINTS[endpoint],
            client_order_id=cid,
        )

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
    ) -> tuple[int, Any]:
        """One request: rate limit, deadline, error mapping. Returns (status, json body)
        for a 2xx or an ``accept``-ed status."""
        status, body, _ = await self._request(
            endpoint,
            method,
            path,
            deadline=deadline,
            params=params,
            json_body=json_body,
            client_order_id=client_order_id,
            accept=accept,
        )
        return status, body

    async def _request(
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
    ) -> tuple[int, Any, httpx.Headers]:
        """:meth:`_call`, with the answer's headers."""
        label = ENDPOINTS[endpoint]
        response = await exchange(
            self._http,
            self.limiter,
            endpoint,
            method,
            path,
            on_wait=self._on_wait,
            label=label,
            deadline=deadline,
            client_order_id=client_order_id,
            params=params,
            json=json_body,
        )
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        status = response.status_code
        kalshi_buckets = self._kalshi_buckets
        if status != 429 and kalshi_buckets is not None:
            kalshi_buckets.succeeded(endpoint)
        if 200 <= status < 300 or status in accept:
            return status, body, response.headers
        failure = error_for(
            status,
            body,
            endpoint=label,
            client_order_id=client_order_id,
            retry_after=response.headers.get("retry-after"),
        )
        if isinstance(failure, VenueRateLimited):
            if failure.retry_after > 0:
                self.limiter.defer(endpoint, failure.retry_after)
            elif kalshi_buckets is not None:  # Kalshi sends no Retry-After: a jittered hold
                kalshi_buckets.backoff_after_429(endpoint, self._rng)
        raise failure


def book_side_of(side: Side, action: Action, price: Decimal) -> tuple[str, Decimal]:
    """The V2 ``side`` and YES ``price`` of ``action`` ``side`` at ``price`` (a price of
    ``side``): buying YES or selling NO bids on the YES book; selling YES or buying NO
    asks on it, a NO price ``p`` being the YES price ``1 - p`` (Kalshi's
    getting_started/order_direction.md)."""
    yes_price = price if side is Side.YES else ONE - price
    buys_yes = (side is Side.YES) is (action is Action.BUY)
    return ("bid" if buys_yes else "ask"), yes_price


@attrs.frozen
class KalshiTrading:
    """Kalshi's trading side of the venue seam (:class:`~actors.venues.TradingVenue`);
    ``signer`` (none: unsigned, for the simulated venue), ``limiter_factory`` (none:
    the settings' per-endpoint buckets) and ``private`` (none: no private channel)
    apply to every client it opens."""

    signer: KalshiSigner | None = attrs.field(default=None, repr=False)
    limiter_factory: Callable[[], Limiter] | None = attrs.field(default=None, repr=False)
    private: PrivateSettings | None = None

    @property
    def default_grid(self) -> PriceGrid:
        return DEFAULT_GRID

    def open_client(
        self,
        settings: ClientSettings,
        *,
        on_rate_limit_wait: Callable[[str, float], None] | None = None,
    ) -> KalshiClient:
        limiter = self.limiter_factory() if self.limiter_factory is not None else None
        return KalshiClient(
            settings,
            signer=self.signer,
            limiter=limiter,
            on_rate_limit_wait=on_rate_limit_wait,
            private=self.private,
        )


KALSHI_TRADING = KalshiTrading()
"""Unsigned: the embedded simulated venue, which speaks Kalshi's wire."""


def min_ts(since: float) -> int:
    """Kalshi's ``min_ts`` (whole Unix seconds) that lists every fill (or order) at or
    after ``since``: get-fills.md and get-orders.md say only "Filter items after this
    Unix timestamp", not whether one at that very second is in, so the bound is the
    second before ``since`` rounded down (at worst a second's too many, never one
    too few)."""
    return max(0, math.floor(since) - 1)


def http_date_seconds(text: str | None) -> float | None:
    """An HTTP ``Date`` value (RFC 9110 section 5.6.7: IMF-fixdate, or one of the
    obsolete forms) as Unix seconds; None for none or one that cannot be read."""
    if not text:
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, origin unknown (RFC 5322 section 3.3)
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


CLIENT_IDS_KEPT = 1_024
"""Order ids remembered per generation (:class:`ClientIds`): an order's fills come
with its answer or on the private channel within seconds, and a listing that
meets an order forgotten lists the orders again (see :meth:`KalshiClient.list_fills`)."""


class ClientIds:
    """Order id -> client order id, the latest :data:`CLIENT_IDS_KEPT` to twice that
    many: two generations, the older dropped whole when the newer is full (no
    per-entry bookkeeping on the order path)."""

    def __init__(self) -> None:
        self._new: dict[str, str | None] = {}
        self._old: dict[str, str | None] = {}

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._new or order_id in self._old

    def __getitem__(self, order_id: str) -> str | None:
        if order_id in self._new:
            return self._new[order_id]
        return self._old[order_id]

    def __setitem__(self, order_id: str, client_order_id: str | None) -> None:
        if order_id not in self._new and len(self._new) >= CLIENT_IDS_KEPT:
            self._old, self._new = self._new, {}
        self._new[order_id] = client_order_id

    def __len__(self) -> int:
        return len(self._new) + len(self._old)
