"""What the execution actor does at the venue, as trio procedures on its private loop.

The actor decides; these procedures carry out one decision each and return
plain values (the actor's loop tasks tell them back to it).  Retry rules:

- only :class:`~actors.errors.TransientVenueError` is retried; a
  :class:`~actors.errors.CriticalVenueError` ends the procedure (a leg
  returns it in :class:`LegResult`, anything else raises it);
- every failure, retried or not, is reported (``reporter.venue_error``) so
  risk's circuit breaker sees it;
- a submit whose outcome is unknown (timeout, dropped connection, 5xx) is
  resolved by whichever answers first: the venue's private channel reporting
  the order under its client order id (:class:`~actors.execution._heard.Heard`;
  often already heard by the time the submit fails), or looking the id up at
  the venue (paging its orders); never re-sent under a new id. If the lookup
  finds no such order the same intent (same id) is sent again, and if that
  races with a late arrival of the first the venue's 409 hands back the original;
- an order's fills come from the private channel when it stayed up on one
  connection from before the order was first sent until its fills add up to
  the order's filled count (within ``hear_fills_s``); otherwise they are listed
  from the venue (``list_fills(order_id=)``), as they always are for orders
  found after the fact (in-doubt resolution, ledger repair) and at
  reconciliation;
- a 429 holds the endpoint back for its Retry-After (in the client's rate
  limiter) before the next attempt;
- reconciliation lists the venue's fills and orders from the venue point the
  ledger holds (:class:`~actors.persistence.ReconcileBasis`: the *venue's*
  clock, read when the last completed reconciliation began listing, and
  recorded with it) less :data:`RECONCILE_MARGIN_S`; everything when there is
  none (a new ledger, a venue whose clock could not be read) or the ledger
  cannot be read. Resting orders are always listed in full, and every order the
  ledger holds open that the bounded listing did not return is looked up on its
  own (by venue order id, else by client order id in its market's full list)
  before the ledger finishes what the venue did not list: an order is never
  expired only because it lies before the window. The ledger then finishes
  exactly what a full listing would have had it finish. What is listed again is
  a no-op in the ledger (fills by fill id, orders by client order id). The point
  is the venue's, never the daemon's wall clock: a skewed daemon clock moves
  neither the window nor the venue's ``min_ts`` comparison.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal
from typing import Protocol, TypeVar, runtime_checkable

import attrs
import trio
from loguru import logger

from actors.domain import Fill, Order, OrderIntent, Side
from actors.errors import (
    CriticalVenueError,
    InvalidOrder,
    TransientVenueError,
    VenueError,
    VenueRateLimited,
    VenueTradingHalted,
)
from actors.execution._config import RetryPolicy
from actors.execution._heard import Heard
from actors.execution._history import order_line, resolved_line
from actors.execution._status import CountName
from actors.money import EXACT, PriceGrid
from actors.persistence import ReconcileBasis
from actors.venues import TradingClient, VenueOrder, VenuePosition

__all__ = [
    "RECONCILE_MARGIN_S",
    "LegResult",
    "ReconcileResult",
    "Reporter",
    "Resolution",
    "VenueClock",
    "Workflows",
    "limit_below",
]

T = TypeVar("T")

RECONCILE_MARGIN_S = 300.0
"""Seconds before the last venue point that reconciliation lists fills and orders from.

The point is the venue's clock (the ``Date`` of one of its answers, whole
seconds rounded down) just before the last reconciliation began listing; a fill
is stamped by the venue too, but perhaps by another of its clocks (its matching
engine's), and a venue may publish a fill in its list some time after it
happened (Kalshi: "a short delay before exchange events are reflected in the
API endpoints"). The margin covers both: the venue's clocks disagreeing by up to
this much, and a fill listed late. Too wide costs only fills listed twice
(no-ops in the ledger); too narrow would lose a fill, so it is minutes, not
seconds."""


@runtime_checkable
class VenueClock(Protocol):
    """A client that can read the venue's clock (Kalshi's: the ``Date`` header)."""

    async def venue_time(self) -> float | None:
        """The venue's time now (Unix seconds), None when it does not say; raises a
        :class:`~actors.errors.VenueError` as any call."""
        ...


class Reporter(Protocol):
    """Where loop-side procedures report as they go (the actor's mailbox, via tells)."""

    def venue_error(self, error: VenueError) -> None: ...

    def count(self, counter: CountName, n: int = 1) -> None: ...

    def leg_state(self, reservation_id: str, client_order_id: str, state: str) -> None: ...


@attrs.frozen
class LegResult:
    """What became of one order: the venue's final view of it and its fills, or the
    error that kept it from being placed (then no order with its id is at the venue)."""

    intent: OrderIntent
    order: VenueOrder | None
    fills: tuple[Fill, ...] = ()
    error: VenueError | None = None

    @property
    def filled(self) -> Decimal:
        """Contracts filled, summed exactly."""
        total = Decimal(0)
        for fill in self.fills:
            total = EXACT.add(total, fill.count)
        return total


@attrs.frozen
class Resolution:
    """In-doubt orders looked up by client order id: final views (after cancelling
    any still resting), how many were cancelled, and their fills."""

    orders: tuple[VenueOrder, ...]
    cancelled: int
    fills: tuple[Fill, ...]


@attrs.frozen
class ReconcileResult:
    """The venue after start-up reconciliation, with every market's price grid."""

    cancelled: tuple[VenueOrder, ...]
    orders: tuple[VenueOrder, ...]
    fills: tuple[Fill, ...]
    positions: tuple[VenuePosition, ...]
    grids: Mapping[str, PriceGrid] = attrs.field(factory=dict)
    complete_since: str | None = None  # the venue's lists hold nothing older than this
    listed_since: float | None = None  # fills and orders listed from (Unix s); None: all
    venue_point: float | None = None  # the venue's clock before listing (None: not read)
    looked_up: tuple[str, ...] = ()  # open ledger orders not listed, looked up one by one


class Workflows:
    """The procedures, bound to one client, retry policies and random generator."""

    def __init__(
        self,
        client: TradingClient,
        *,
        retry: RetryPolicy,
        resolve_retry: RetryPolicy,
        rng: random.Random,
        reporter: Reporter,
        heard: Heard | None = None,
        hear_fills_s: float = 1.0,
        reconcile_basis: Callable[[], ReconcileBasis] | None = None,
    ) -> None:
        """``heard``: what the venue's private channel said (none: a channel never up,
        so lookups page and fills are listed); ``hear_fills_s``: how long an order's
        fills may take to add up on the channel before they are listed instead;
        ``reconcile_basis``: reads the ledger's last venue point and open orders
        (e.g. :func:`actors.persistence.reconcile_basis`), in a worker thread at
        each reconciliation (none given: every fill and order is listed)."""
        self.client = client
        self.reconcile_basis = reconcile_basis
        self.retry = retry
        self.resolve_retry = resolve_retry
        self.rng = rng
        self.reporter = reporter
        self.heard = heard if heard is not None else Heard()
        self.hear_fills_s = hear_fills_s

    # -- placing orders -------------------------------------------------------------------

    async def place_all(
        self, reservation_id: str, intents: tuple[OrderIntent, ...]
    ) -> tuple[LegResult, ...]:
        """Every order concurrently (each as :meth:`place`); returns their results in
        the order of ``intents`` once all are settled."""
        results: dict[int, LegResult] = {}

        async def one(index: int) -> None:
            results[index] = await self.place(reservation_id, intents[index])

        async with trio.open_nursery() as nursery:
            for index in range(len(intents)):
                nursery.start_soon(one, index)
        return tuple(results[index] for index in range(len(intents)))

    async def place(self, reservation_id: str, intent: OrderIntent) -> LegResult:
        """Place one IOC order and find out exactly what it did (see the module rules)."""
        cid = intent.client_order_id
        attempts = 0
        last: VenueError | None = None
        session = self.heard.session()  # the channel's connection before anything is sent
        while True:
            attempts += 1
            self.reporter.leg_state(reservation_id, cid, f"submitting (attempt {attempts})")
            wait = self.retry.delay(attempts - 1, self.rng)
            order_line("invoke", reservation_id, intent, detail=f"attempt {attempts}")
            try:
                order = await self.client.create_order(intent)
                order_line("ok", reservation_id, intent, order=order)
                break
            except VenueRateLimited as error:
                order_line("fail", reservation_id, intent, error=type(error).__name__)
                self.reporter.venue_error(error)
                last = error
                if error.retry_after > 0:
                    wait = 0.0  # the limiter holds create_order back for Retry-After
            except VenueTradingHalted as error:
                # refused, not placed (the venue is paused or cancel-only): risk stops new
                # risk on its report; retrying or looking it up would only load the venue
                order_line("fail", reservation_id, intent, error=type(error).__name__)
                self.reporter.venue_error(error)
                self.reporter.leg_state(reservation_id, cid, f"refused: {error.reason}")
                return LegResult(intent, None, (), error)
            except TransientVenueError as error:
                order_line("unknown", reservation_id, intent, error=type(error).__name__)
                self.reporter.venue_error(error)
                last = error
                self.reporter.leg_state(reservation_id, cid, "outcome unknown: looking up")
                found = await self.find_or_hear(cid, ticker=intent.ticker)
                resolved_line(reservation_id, cid, found, "after an unknown outcome")
                if found is not None:
                    self.reporter.count(CountName.UNKNOWN_OUTCOMES_RESOLVED)
                    order = found.as_direction(intent.side, intent.action)
                    break
            except CriticalVenueError as error:
                order_line("fail", reservation_id, intent, error=type(error).__name__)
                self.reporter.venue_error(error)
                self.reporter.leg_state(reservation_id, cid, f"refused: {type(error).__name__}")
                return LegResult(intent, None, (), error)
            if self.retry.exhausted(attempts):
                self.reporter.leg_state(reservation_id, cid, f"gave up: {type(last).__name__}")
                return LegResult(intent, None, (), last)
            self.reporter.count(CountName.RETRIES)
            await trio.sleep(wait)
        self.reporter.count(CountName.ORDERS_SENT)
        order, fills = await self.settle(order, session)
        self.reporter.leg_state(
            reservation_id, cid, f"{order.status}: filled {order.fill_count}/{intent.count}"
        )
        return LegResult(intent, order, fills)

    async def settle(
        self, order: VenueOrder, session: int | None = None
    ) -> tuple[VenueOrder, tuple[Fill, ...]]:
        """Cancel what still rests of ``order``, then collect its fills, stated as the
        order is (a venue that reports only the outcome a fill is long says "bought
        NO" for a sale of YES: :meth:`~actors.domain.Fill.as_direction`): heard on
        the private channel if it stayed on ``session`` (the connection that was up
        before the order was first sent) and they add up, else listed from the venue."""
        if order.is_resting:
            order = await self.resolving(lambda: self.client.cancel_order(order))
        fills: tuple[Fill, ...] = ()
        if order.fill_count:
            heard = await self.heard.fills_of(order, session, timeout=self.hear_fills_s)
            if heard is not None:
                self.reporter.count(CountName.FILLS_HEARD)
                got = heard
            else:
                self.reporter.count(CountName.FILLS_LISTED)
                listed = await self.resolving(
                    lambda: self.client.list_fills(order_id=order.order_id)
                )
                got = tuple(listed)
            fills = tuple(fill.as_direction(order.side, order.action) for fill in got)
        self.heard.forget(order)
        return order, fills

    async def find_or_hear(self, client_order_id: str, *, ticker: str) -> VenueOrder | None:
        """The order placed under ``client_order_id`` after a submit with an unknown
        outcome: as the private channel reported it (already, or while the lookup
        runs), or as the lookup (:meth:`find`) found it, whichever comes first; None
        if the lookup answered first that the venue has no such order."""
        heard = self.heard.order_now(client_order_id)
        if heard is None and self.heard.up:
            answers: list[tuple[VenueOrder | None, bool]] = []
            failed: list[VenueError] = []
            async with trio.open_nursery() as nursery:

                async def hear() -> None:
                    answers.append((await self.heard.order(client_order_id), True))
                    nursery.cancel_scope.cancel()

                async def look_up() -> None:
                    # caught here, raised below: out of a nursery it would come wrapped
                    # in a group, past every caller's ``except VenueError``
                    try:
                        answers.append((await self.find(client_order_id, ticker=ticker), False))
                    except VenueError as error:
                        failed.append(error)
                    nursery.cancel_scope.cancel()

                nursery.start_soon(hear)
                nursery.start_soon(look_up)
            if not answers:
                raise failed[0]
            found, by_channel = answers[0]
            if not by_channel:
                return found
            heard = found
        if heard is None:
            return await self.find(client_order_id, ticker=ticker)
        self.reporter.count(CountName.UNKNOWN_OUTCOMES_HEARD)
        return heard

    async def find(self, client_order_id: str, *, ticker: str | None = None) -> VenueOrder | None:
        """The order with ``client_order_id`` (of ``ticker``, when known) at the venue,
        or None (lookup retried)."""
        return await self.resolving(lambda: self.client.find_order(client_order_id, ticker=ticker))

    async def held_at_venue(self) -> dict[str, Decimal] | None:
        """Each market's net position at the venue (YES minus NO contracts: the venue
        nets a YES against a NO of one market at once), or None when the read failed
        (reported; the caller goes on without it)."""
        try:
            positions = await self.reported(self.client.list_positions())
        except VenueError:
            return None
        return {position.ticker: position.position for position in positions}

    async def unwind_price(self, ticker: str, side: Side, slippage: Decimal) -> Decimal | None:
        """The limit for selling ``side``, or None when nobody bids for it.

        ``best bid - slippage`` (dollars), moved up to the market's grid (so the
        sale never goes below ``best bid - slippage``) and at least the grid's
        lowest price. The book read is tried once per ``retry`` attempt (a venue
        error of the last one is raised): an unwind waits for no one."""
        attempts = 0
        while True:
            attempts += 1
            try:
                book = await self.reported(self.client.get_orderbook(ticker))
                break
            except TransientVenueError:
                if self.retry.exhausted(attempts):
                    raise
            self.reporter.count(CountName.RETRIES)
            await trio.sleep(self.retry.delay(attempts - 1, self.rng))
        best = book.best_bid(side)
        return None if best is None else limit_below(best, slippage, self.client.grid(ticker))

    # -- looking back ----------------------------------------------------------------------

    async def resolve(
        self, client_order_ids: Iterable[str], reservation_id: str | None = None
    ) -> Resolution:
        """Look each id up; cancel what rests; collect the final orders and their fills
        (in the order of ``client_order_ids``; ids the venue does not know are skipped)."""
        orders: list[VenueOrder] = []
        fills: list[Fill] = []
        cancelled = 0
        for cid in client_order_ids:
            order = await self.find(cid)
            resolved_line(reservation_id, cid, order, "in-doubt lookup")
            if order is None:
                continue
            resting = order.is_resting
            order, order_fills = await self.settle(order)
            cancelled += resting and not order.is_resting
            orders.append(order)
            fills.extend(order_fills)
        return Resolution(tuple(orders), cancelled, tuple(fills))

    async def cancel_resting(self, *, persist: bool) -> tuple[VenueOrder, ...]:
        """Cancel every resting order now; returns them as cancelled. With ``persist``
        each call is retried under ``resolve_retry`` (the kill switch must get
        through); without, the first venue error is raised."""

        async def once(call: Callable[[], Awaitable[T]]) -> T:
            return await self.reported(call())

        call = self.resolving if persist else once
        resting = await call(lambda: self.client.list_orders(status="resting"))
        done = []
        for order in resting:
            done.append(await call(functools.partial(self.client.cancel_order, order)))
        return tuple(done)

    async def reconcile(self, *, cancel: bool) -> ReconcileResult:
        """One reconciliation attempt: read the markets' price grids, cancel resting
        orders (if ``cancel``), read the venue's clock (:attr:`ReconcileResult.venue_point`,
        the next reconciliation's point), then the orders and fills since the
        ledger's point (:meth:`basis`; with every resting order, those just
        cancelled, and the ledger's open orders not listed, looked up one by one:
        :meth:`look_up`), every position, and since when the venue's lists are
        complete. Any venue error ends the attempt (raised)."""
        grids = await self.reported(self.client.list_markets())
        cancelled = await self.cancel_resting(persist=False) if cancel else ()
        basis = await self.basis()
        from_point = None
        if basis is not None and basis.venue_point is not None:
            from_point = basis.venue_point - RECONCILE_MARGIN_S
            logger.bind(event="reconcile_bounded", since=from_point).info(
                "listing fills and orders from {} s (the last venue point less {} s);"
                " {} orders open in the ledger",
                from_point,
                RECONCILE_MARGIN_S,
                len(basis.open_orders),
            )
        venue_point = await self.venue_time()  # before listing: all it held is listed
        orders = await self.reported(self.client.list_orders(since=from_point))
        found: list[VenueOrder] = []
        found_fills: list[Fill] = []
        if basis is not None and from_point is not None:  # open orders in full, however old
            resting = await self.reported(self.client.list_orders(status="resting"))
            orders = _by_order_id((*cancelled, *resting, *orders))
            found, found_fills = await self.look_up(basis.open_orders, orders)
            orders = _by_order_id((*orders, *found))
        fills = await self.reported(self.client.list_fills(since=from_point))
        positions = await self.reported(self.client.list_positions())
        since = await self.reported(self.client.lists_complete_since())
        return ReconcileResult(
            cancelled,
            tuple(orders),
            _by_fill_id((*fills, *found_fills)),
            tuple(positions),
            grids,
            since,
            from_point,
            venue_point,
            tuple(order.client_order_id or order.order_id for order in found),
        )

    async def basis(self) -> ReconcileBasis | None:
        """What the ledger says reconciliation starts from, or None (list everything)
        when it was given no reader or the ledger cannot be read (logged: listing
        everything is slow, never wrong)."""
        source = self.reconcile_basis
        if source is None:
            return None
        try:
            return await trio.to_thread.run_sync(source)
        except Exception as error:  # noqa: BLE001 - any failure to read: list everything
            logger.bind(event="reconciled_point_unread").warning(
                "the ledger's last venue point is unreadable ({}: {}); listing every fill"
                " and order",
                type(error).__name__,
                error,
            )
            return None

    async def venue_time(self) -> float | None:
        """The venue's clock now (:class:`VenueClock`), or None when the client cannot
        read it or the venue does not say (logged: the next reconciliation then lists
        everything). A venue error is reported and raised."""
        client = self.client
        if not isinstance(client, VenueClock):
            logger.bind(event="venue_point_unread").info(
                "{} cannot read the venue's clock: no venue point is recorded, and the"
                " next reconciliation lists every fill and order",
                type(client).__name__,
            )
            return None
        point = await self.reported(client.venue_time())
        if point is None:
            logger.bind(event="venue_point_unread").warning(
                "the venue's answer carries no readable Date: no venue point is recorded,"
                " and the next reconciliation lists every fill and order"
            )
        return point

    async def look_up(
        self, open_orders: Iterable[Order], listed: Iterable[VenueOrder]
    ) -> tuple[list[VenueOrder], list[Fill]]:
        """The venue's view of each order in ``open_orders`` (the ledger's open ones)
        that ``listed`` lacks, and its fills: by its venue order id, else (none, or
        the venue answers 4xx for it) by its client order id in its market's full
        order list, as a full listing would have found it. An order the venue lists
        nowhere is left out: the ledger finishes it as after a full listing. Any
        other venue error is reported and raised."""
        seen = {order.client_order_id for order in listed}
        found: list[VenueOrder] = []
        fills: list[Fill] = []
        for order in open_orders:
            cid = order.client_order_id
            if cid in seen:
                continue
            venue = None
            if order.venue_order_id is not None:
                try:
                    venue = await self.client.get_order(order.venue_order_id)
                except InvalidOrder:
                    pass  # not reported: an answer (no such order here), not a failure
                except VenueError as error:
                    self.reporter.venue_error(error)
                    raise
            if venue is None:
                venue = await self.reported(self.client.find_order(cid, ticker=order.intent.ticker))
            resolved_line(None, cid, venue, "reconciliation: open in the ledger, not listed")
            if venue is None:
                continue
            seen.add(cid)
            found.append(venue)
            if venue.fill_count:
                fills.extend(await self.reported(self.client.list_fills(order_id=venue.order_id)))
        if found:
            logger.bind(event="reconcile_looked_up", orders=len(found)).info(
                "{} orders open in the ledger from before the listed window looked up at the venue",
                len(found),
            )
        return found, fills

    # -- retry plumbing ----------------------------------------------------------------------

    async def reported(self, call: Awaitable[T]) -> T:
        """Await ``call``; report a venue error before re-raising it."""
        try:
            return await call
        except VenueError as error:
            self.reporter.venue_error(error)
            raise

    async def resolving(self, call: Callable[[], Awaitable[T]]) -> T:
        """``call()`` retried on transient errors under ``resolve_retry``; critical ones
        (and the last transient one, if the policy runs out) are raised."""
        attempts = 0
        while True:
            attempts += 1
            try:
                return await self.reported(call())
            except TransientVenueError as error:
                if self.resolve_retry.exhausted(attempts):
                    raise
                limited = isinstance(error, VenueRateLimited) and error.retry_after > 0
            self.reporter.count(CountName.RETRIES)
            # after a 429 the client's limiter already holds the endpoint for Retry-After
            await trio.sleep(0 if limited else self.resolve_retry.delay(attempts - 1, self.rng))


def _by_fill_id(fills: Iterable[Fill]) -> tuple[Fill, ...]:
    """Each fill once (the first listed of it), in the order first listed."""
    first: dict[str, Fill] = {}
    for fill in fills:
        first.setdefault(fill.fill_id, fill)
    return tuple(first.values())


def _by_order_id(orders: Iterable[VenueOrder]) -> list[VenueOrder]:
    """Each venue order once, the last listed of it kept (the latest view), in the
    order first listed."""
    latest: dict[str, VenueOrder] = {}
    for order in orders:
        latest[order.order_id] = order
    return list(latest.values())


def limit_below(best: Decimal, slippage: Decimal, grid: PriceGrid) -> Decimal:
    """The lowest limit on ``grid`` at or above ``best - slippage``, within the grid's
    bounds: ``best - slippage`` rounded *up* to a tick (exactly), at least
    ``grid.min_price`` and at most ``grid.max_price``."""
    units, rest = EXACT.divmod(EXACT.subtract(best, slippage), grid.tick)
    if rest > 0:
        units += 1
    limit = EXACT.multiply(units, grid.tick)
    return min(max(limit, grid.min_price), grid.max_price)
