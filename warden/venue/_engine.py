"""The matching engine: accounts, orders, price-time matching, fees and the truth log.

Single-threaded by contract: the venue calls it from one trio task at a
time and it never awaits, so every call is atomic with respect to the
websocket stream and the market dynamics.

Matching (Kalshi semantics).  Every order is booked as a bid on one side
(see :attr:`OrderRequest.book_side`).  An incoming YES bid at ``p`` trades
with resting NO bids at ``q >= 1 - p``, best ``q`` first and oldest first
within a level; the resting (maker) order sets the price, so the taker pays
``1 - q`` and the maker ``q``: each matched YES+NO pair is backed by
exactly one dollar.  Orders never trade with resting orders of the *same
account* (self-trade prevention: those are skipped and stay resting) —
which is also how the simulated makers can show a crossed book, the only
shape a complement-arbitrage opportunity can take in a bids-only book.

Reciprocal mode (``reciprocal=True``, the venue's realistic mode) is what a
real exchange does: an order that meets its own account applies Kalshi's
self-trade prevention (``taker_at_cross`` unless the order says ``maker``;
see :meth:`MatchingEngine._match`), and a remainder never rests while it
still crosses, so the book is never crossed (:meth:`MatchingEngine.is_crossed`).

Markets.  Each market has a tick grid (:func:`~warden.venue._model.grid_for`;
0.01 unless configured, e.g. 0.001); an order priced off its market's grid
is rejected (``off_grid_price``).  Counts are multiples of 0.01 contracts.

Money is exact ``Decimal`` dollars, computed under :data:`actors.money.EXACT`
(any accidental rounding raises).  Fees follow Kalshi's fee rounding
(:class:`actors.money.KalshiFees`, docs/money.md), per fill: the trade fee
``rate x C x P x (1 - P)`` is rounded up to $0.0001, and the balance change
``-(C x P) - trade fee`` is floored to the balance precision ($0.01).  What
the account pays beyond ``C x P`` (trade fee plus rounding fee) is the fill's
``fee`` (``fee_cost`` on the wire) and goes to the venue's fee account.
Kalshi's per-order rebate of accumulated rounding fees is not modelled: an
order filled in pieces pays each piece's rounding.  A sell is booked as the
complementary buy, so every fill is a buy of the book side.  An account
holding YES and NO of one market has the pairs netted at once: each pair
pays back one dollar.  So at every moment::

    sum(cash of all accounts) + fees collected + 1 x open pairs == constant

exactly, and per market the YES and NO contracts held across accounts both
equal the open pairs (:meth:`MatchingEngine.conservation`).  A resting order
holds what it would cost if it filled in one piece (``remaining x price``
plus maker fee, rounded like a fill) of its account's cash; an order is
rejected (``available_balance_too_low``) unless the free cash covers its cost as
one taker fill at its limit.  A maker filled in many sub-cent pieces pays a
rounding fee per piece, so its free cash can fall below zero by less than a
cent per piece (docs/venue-sim.md).  A sell is rejected
(``insufficient_position``) unless the account holds ``count`` of that side
when it arrives.

Failures: :class:`UnknownMarket`, :class:`DuplicateClientOrderId` and
:class:`OrderRejected` are raised after the rejection is logged to truth;
the engine's state is unchanged by a rejected order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, localcontext
from typing import Unpack

from attrs import evolve

from actors import money
from warden.venue._book import OrderBook
from warden.venue._errors import (
    DuplicateClientOrderId,
    OrderNotCancelable,
    OrderNotFound,
    OrderRejected,
    UnknownMarket,
)
from warden.venue._ledger import Account, Conservation, Holding, OrderState
from warden.venue._model import (
    DEFAULT_TICK,
    LOT,
    PAYOUT,
    ZERO,
    BookDelta,
    Clock,
    Fill,
    FillEvent,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    SelfTradePrevention,
    TimeInForce,
    VenueEvent,
    WireAction,
    WireSide,
    count_fp,
    grid_for,
    iso_time,
    price_fp,
)
from warden.venue._shapes import (
    AccountWire,
    BalanceWire,
    CanceledRecord,
    EventPositionWire,
    FillWire,
    MarketWire,
    OrderWire,
    PositionWire,
    Rejection,
    RejectionContext,
)
from warden.venue._truth import TruthKind, TruthLog

TRADER = "trader"
HOUSE = "house"
COMPETITOR = "competitor"

UNLISTED_FILLS = frozenset({HOUSE, COMPETITOR})
"""The simulator's own accounts, whose fills no API lists: they are not kept in the
engine (the truth log has every one), which kept them for as long as the venue ran
(a one-hour soak at 22 fills/s: the venue grew 73 -> 279 MB, issue 15)."""

Listener = Callable[[VenueEvent], None]

_SELF_TRADE = "self_trade_prevention"
"""``cancel_reason`` of an order canceled by self-trade prevention (reciprocal mode)."""

DEFAULT_EVENT = "SIM"
"""The ``event_ticker`` of every market in the default mode (the field is required)."""
_MARKET_LIFETIME = 365 * 24 * 3600.0
"""Seconds from a market's opening to its ``close_time`` (it never closes in fact)."""

_STRUCTURES = {
    Decimal("0.01"): "linear_cent",
    Decimal("0.001"): "deci_cent",
    Decimal("0.0001"): "centi_cent",
}
"""Kalshi's ``price_level_structure`` label of a single-band grid."""
_COSTS_AT_MOST = 100_000
"""Fill costs :meth:`MatchingEngine._cost` keeps before it starts again (a bound on memory)."""


class MatchingEngine:
    """Books, accounts and orders of every market of one simulated venue."""

    def __init__(
        self,
        tickers: Iterable[str],
        *,
        accounts: Mapping[str, Decimal],
        clock: Clock,
        fees: money.KalshiFees | money.PolymarketFees | None = None,
        ticks: Mapping[str, Decimal] | None = None,
        id_prefix: str = "",
        reciprocal: bool = False,
    ) -> None:
        """``accounts`` maps names to starting cash (``Decimal`` dollars).  ``ticks``
        gives a market's tick (default 0.01); a tick must divide one dollar.
        ``id_prefix`` starts every order and trade id (``o00000001`` becomes
        ``<prefix>o00000001``): a venue started afresh for a ledger that outlives it
        must not reuse an earlier venue's ids.  ``reciprocal=True`` is the realistic
        mode: self-trade prevention as Kalshi documents it instead of skipping, and a
        remainder that would still cross the book never rests (so the book is never
        crossed).  Raises ``ValueError`` (an
        :class:`~actors.errors.InvalidFieldError`) for a bad tick or cash."""
        self.fees = fees if fees is not None else money.KalshiFees()
        self.reciprocal = reciprocal
        self._id_prefix = id_prefix
        self.clock = clock
        self.truth = TruthLog()
        self.fees_collected = ZERO
        self._books = {ticker: OrderBook(ticker) for ticker in tickers}
        ticks = ticks or {}
        self.grids = {
            ticker: grid_for(ticks.get(ticker, DEFAULT_TICK), ticker) for ticker in self._books
        }
        self._open_pairs = dict.fromkeys(self._books, ZERO)
        self._volume = dict.fromkeys(self._books, ZERO)
        self._last_price = dict.fromkeys(self._books, ZERO)
        self.started = clock.now()
        self.market_lifetime = _MARKET_LIFETIME
        self._updated = dict.fromkeys(self._books, self.started)
        for name, cash in accounts.items():
            if type(cash) is not Decimal or not cash.is_finite() or cash < 0:
                raise ValueError(f"account {name!r}: cash must be a Decimal >= 0, got {cash!r}")
        self._accounts = {name: Account(name, cash) for name, cash in accounts.items()}
        self._listeners: list[Listener] = []
        self._next_order = 0
        self._next_trade = 0
        self._pending: list[VenueEvent] = []
        self._costs: dict[tuple[Decimal, Decimal, bool], Decimal] = {}

    # ---------------------------------------------------------------- queries

    @property
    def tickers(self) -> list[str]:
        return list(self._books)

    def lists(self, ticker: str) -> bool:
        """Whether ``ticker`` is one of the venue's markets (without copying ``tickers``)."""
        return ticker in self._books

    def book(self, ticker: str) -> OrderBook:
        try:
            return self._books[ticker]
        except KeyError:
            raise UnknownMarket(ticker) from None

    def grid(self, ticker: str) -> money.PriceGrid:
        """The tick grid of ``ticker``; :class:`UnknownMarket` if there is no such market."""
        try:
            return self.grids[ticker]
        except KeyError:
            raise UnknownMarket(ticker) from None

    def market(self, ticker: str, event_ticker: str = DEFAULT_EVENT) -> MarketWire:
        """The market as Kalshi's Market object spells it (get-market.md).

        A side with no bid shows ``"0.0000"`` and no ask ``"1.0000"`` (the fields are
        required strings).  Times: created and opened when the engine started, closing
        a year later; ``previous_*`` (yesterday's prices) are ``"0.0000"`` and
        ``volume_24h_fp`` is the whole volume: the venue keeps no days."""
        book, tick = self.book(ticker), self.grid(ticker).tick
        yes_bid, no_bid = book.best_bid(WireSide.YES), book.best_bid(WireSide.NO)
        opened, closes = iso_time(self.started), iso_time(self.started + _MARKET_LIFETIME)
        nothing = price_fp(ZERO)
        return {
            "ticker": ticker,
            "event_ticker": event_ticker,
            "market_type": "binary",
            "title": f"Simulated market {ticker}",
            "subtitle": "",
            "yes_sub_title": f"{ticker} resolves yes",
            "no_sub_title": f"{ticker} resolves no",
            "created_time": opened,
            "updated_time": iso_time(self._updated[ticker]),
            "open_time": opened,
            "close_time": closes,
            "expiration_time": closes,
            "latest_expiration_time": closes,
            "settlement_timer_seconds": 0,
            "status": "active",
            "notional_value_dollars": price_fp(PAYOUT),
            "yes_bid_dollars": nothing if yes_bid is None else price_fp(yes_bid),
            "yes_ask_dollars": price_fp(PAYOUT if no_bid is None else PAYOUT - no_bid),
            "no_bid_dollars": nothing if no_bid is None else price_fp(no_bid),
            "no_ask_dollars": price_fp(PAYOUT if yes_bid is None else PAYOUT - yes_bid),
            "yes_bid_size_fp": count_fp(
                ZERO if yes_bid is None else book.size_at(WireSide.YES, yes_bid)
            ),
            "yes_ask_size_fp": count_fp(
                ZERO if no_bid is None else book.size_at(WireSide.NO, no_bid)
            ),
            "last_price_dollars": price_fp(self._last_price[ticker]),
            "previous_yes_bid_dollars": nothing,
            "previous_yes_ask_dollars": nothing,
            "previous_price_dollars": nothing,
            "volume_fp": count_fp(self._volume[ticker]),
            "volume_24h_fp": count_fp(self._volume[ticker]),
            "open_interest_fp": count_fp(self._open_pairs[ticker]),
            "result": "",
            "can_close_early": False,
            "expiration_value": "",
            "rules_primary": f"Simulated: {ticker} never settles.",
            "rules_secondary": "",
            "price_level_structure": _STRUCTURES.get(tick, "custom"),
            "price_ranges": [
                {"start": price_fp(ZERO), "end": price_fp(PAYOUT), "step": price_fp(tick)}
            ],
            "exchange_index": 0,
        }

    def order(self, account: str, order_id: str) -> OrderWire:
        try:
            return self._accounts[account].orders[order_id].to_wire()
        except KeyError:
            raise OrderNotFound(order_id) from None

    def order_state(self, account: str, order_id: str) -> OrderState:
        """The live state of one order (read only; for the simulator's own makers)."""
        try:
            return self._accounts[account].orders[order_id]
        except KeyError:
            raise OrderNotFound(order_id) from None

    def order_states(self, account: str) -> list[OrderState]:
        """The account's orders, oldest first (live state: read only)."""
        return list(self._accounts[account].orders.values())

    def orders(
        self,
        account: str,
        *,
        client_order_id: str | None = None,
        status: OrderStatus | None = None,
        ticker: str | None = None,
    ) -> list[OrderWire]:
        """The account's orders, oldest first, filtered by each given criterion."""
        return [
            order.to_wire()
            for order in self._accounts[account].orders.values()
            if (client_order_id is None or order.request.client_order_id == client_order_id)
            and (status is None or order.status is status)
            and (ticker is None or order.request.ticker == ticker)
        ]

    def fills(
        self, account: str, *, ticker: str | None = None, order_id: str | None = None
    ) -> list[FillWire]:
        return [
            fill.to_wire()
            for fill in self._accounts[account].fills
            if (ticker is None or fill.ticker == ticker)
            and (order_id is None or fill.order_id == order_id)
        ]

    def fill_values(self, account: str) -> list[Fill]:
        """The account's fills as values (exact ``Decimal``), oldest first."""
        return list(self._accounts[account].fills)

    def positions(self, account: str) -> list[PositionWire]:
        """Kalshi's ``market_positions``: signed position, exposure, P&L and fees per market."""
        return self._accounts[account].positions_wire()

    def event_position(
        self, account: str, event_ticker: str, tickers: list[str]
    ) -> EventPositionWire:
        """Kalshi's ``event_positions`` entry of ``account`` over ``tickers``."""
        return self._accounts[account].event_position_wire(event_ticker, tickers)

    def resting_orders(self, account: str, ticker: str) -> int:
        return self._accounts[account].resting_orders(ticker)

    def balance(self, account: str) -> BalanceWire:
        """Kalshi's balance: free cash in cents and dollars, ``portfolio_value``, ``updated_ts``.

        A balance is never negative on the wire: the rare sub-cent shortfall of
        a maker filled in pieces (module docstring) shows as 0 (:meth:`cash`
        has the exact figure)."""
        return self._accounts[account].balance_wire(self.clock.now())

    def accounts(self) -> list[AccountWire]:
        """Every account's exact cash, free cash and held cash (``GET /sim/accounts``)."""
        return [state.account_wire() for state in self._accounts.values()]

    def cash(self, account: str) -> tuple[Decimal, Decimal]:
        """(free, held) cash of ``account``, exact dollars."""
        state = self._accounts[account]
        return state.free, state.held

    def holding(self, account: str, ticker: str) -> tuple[Decimal, Decimal]:
        """(YES, NO) contracts ``account`` holds in ``ticker`` (one of them is 0)."""
        holding = self._accounts[account].holdings.get(ticker, Holding())
        return holding.yes, holding.no

    def crossing_quantity(self, account: str, request: OrderRequest) -> Decimal:
        """Contracts other accounts' resting orders offer within ``request``'s limit."""
        return sum(
            (
                entry.remaining
                for _, entry in self.book(request.ticker).makers_for(
                    request.book_side, request.book_price
                )
                if entry.account != account
            ),
            ZERO,
        )

    def conservation(self) -> Conservation:
        with localcontext(money.EXACT):
            yes = no = ZERO
            for state in self._accounts.values():
                for holding in state.holdings.values():
                    yes += holding.yes
                    no += holding.no
            return Conservation(
                cash=sum((state.cash for state in self._accounts.values()), ZERO),
                fees=self.fees_collected,
                open_pairs=sum(self._open_pairs.values(), ZERO),
                yes_held=yes,
                no_held=no,
            )

    # ------------------------------------------------------------- listeners

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every event from now on; returns the unsubscriber.

        Listeners run synchronously after each operation and must not raise.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        for event in pending:
            for listener in list(self._listeners):
                listener(event)

    # -------------------------------------------------------------- commands

    def reject(
        self, account: str, code: str, reason: str, **context: Unpack[RejectionContext]
    ) -> None:
        """Log a refused order request to truth (the HTTP layer uses it for bad fields)."""
        record: Rejection = {"code": code, "message": reason, **context}
        self.truth.append(self.clock.now(), TruthKind.ORDER_REJECTED, account, record)

    def place(self, account: str, request: OrderRequest) -> OrderWire:
        """Accept, match and (for GTC) rest ``request``; return the order's wire form."""
        return self.place_state(account, request).to_wire()

    def place_state(self, account: str, request: OrderRequest) -> OrderState:
        """:meth:`place`, returning the order's live state (read only) instead of its
        wire form: for the simulator's own makers, which only look at its status."""
        state = self._accounts[account]
        if self.reciprocal and request.self_trade_prevention is None:
            request = evolve(request, self_trade_prevention=SelfTradePrevention.TAKER_AT_CROSS)
        with localcontext(money.EXACT):
            try:
                self._check(state, request)
            except (UnknownMarket, OrderRejected, DuplicateClientOrderId) as error:
                self.reject(
                    account,
                    error.code,
                    str(error),
                    ticker=request.ticker,
                    client_order_id=request.client_order_id,
                )
                raise
            now = self.clock.now()
            self._next_order += 1
            order_id = f"{self._id_prefix}o{self._next_order:08d}"
            order = OrderState(order_id, account, request, now, now, request.count)
            state.orders[order.order_id] = order
            if request.client_order_id is not None:
                state.by_client_id[request.client_order_id] = order
            if request.ticker not in state.holdings:
                state.holdings[request.ticker] = Holding()
            accepted = order.to_wire()
            self.truth.append(now, TruthKind.ORDER_ACCEPTED, account, accepted)
            stopped = self._match(state, order)
            self._finish(state, order, stopped, accepted)
        self._flush()
        return order

    def cancel(self, account: str, order_id: str, reason: str = "requested") -> OrderWire:
        """Cancel a resting order for ``reason``; return its wire form.

        :class:`OrderNotFound` if the account has no such order,
        :class:`OrderNotCancelable` if it is no longer resting."""
        return self.cancel_state(account, order_id, reason).to_wire()

    def cancel_state(self, account: str, order_id: str, reason: str = "requested") -> OrderState:
        """:meth:`cancel`, returning the order's live state (read only)."""
        state = self._accounts[account]
        order = state.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if order.status is not OrderStatus.RESTING:
            raise OrderNotCancelable(order_id, str(order.status))
        with localcontext(money.EXACT):
            self._withdraw(state, order, reason)
        self._flush()
        return order

    def forget(self, account: str, order_id: str) -> None:
        """Drop a finished order from ``account``'s order table; its truth records,
        fills and client order id stay.

        For the simulator's own makers, which place and cancel orders for as long
        as the venue runs and never ask about them again: kept, they would grow
        memory (and every garbage collection) without bound.  Afterwards the order
        is unknown (:class:`OrderNotFound`).  Raises :class:`OrderNotFound` if there
        is no such order and ``ValueError`` if it still rests (it is on a book and
        holds cash: cancel it first)."""
        orders = self._accounts[account].orders
        order = orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if order.status is OrderStatus.RESTING:
            raise ValueError(f"order {order_id} of {account!r} still rests: cancel it first")
        del orders[order_id]

    def is_crossed(self, ticker: str) -> bool:
        """Whether some resting YES bid and NO bid of ``ticker`` sum to the payout or more."""
        book = self.book(ticker)
        yes, no = book.best_bid(WireSide.YES), book.best_bid(WireSide.NO)
        return yes is not None and no is not None and yes + no >= PAYOUT

    # ------------------------------------------------------------- internals

    def _cost(self, count: Decimal, price: Decimal, *, maker: bool) -> Decimal:
        """Cash one fill of ``count`` at ``price`` takes: Kalshi's rounded balance change.

        Kept per (count, price, maker): a pure function of its arguments under the
        engine's fixed schedule, and the makers ask for the same few over and over."""
        key = (count, price, maker)
        cost = self._costs.get(key)
        if cost is None:
            if len(self._costs) >= _COSTS_AT_MOST:
                self._costs.clear()
            cost = self._costs[key] = self.fees.buy_cost(count, price, PAYOUT, maker=maker)
        return cost

    def _check(self, state: Account, request: OrderRequest) -> None:
        grid = self.grid(request.ticker)
        cid = request.client_order_id
        if cid is not None and cid in state.by_client_id:
            raise DuplicateClientOrderId(cid, state.by_client_id[cid].order_id)
        if not grid.contains(request.price):
            raise OrderRejected(
                "off_grid_price",
                f"price {request.price} is not a multiple of tick {grid.tick}"
                f" in [{grid.min_price}, {grid.max_price}]",
                ticker=request.ticker,
                client_order_id=cid,
            )
        if request.action is WireAction.SELL:
            holding = state.holdings.get(request.ticker, Holding())
            held = holding.yes if request.side is WireSide.YES else holding.no
            if held < request.count:
                raise OrderRejected(
                    "insufficient_position",
                    f"selling {request.count} {request.side} but holding {held}",
                    ticker=request.ticker,
                    client_order_id=cid,
                )
        needed = self._cost(request.count, request.book_price, maker=False)
        if state.free < needed:
            raise OrderRejected(
                "available_balance_too_low",
                f"needs ${needed}, ${state.free} free",
                ticker=request.ticker,
                client_order_id=cid,
            )

    def _affordable(self, most: Decimal, price: Decimal, free: Decimal) -> Decimal:
        """The largest count ``<= most`` (a multiple of the lot) one taker fill can pay for."""
        if free <= 0:
            return ZERO
        low, high = 0, int(min(most, free // price) / LOT.step)  # in lots; low is affordable
        while low < high:
            middle = (low + high + 1) // 2
            if self._cost(middle * LOT.step, price, maker=False) <= free:
                low = middle
            else:
                high = middle - 1
        return low * LOT.step

    def _match(self, state: Account, order: OrderState) -> str | None:
        """Trade ``order`` against the book; return why matching stopped early, if it did.

        Default mode: the account's own resting orders are skipped.  Reciprocal mode
        applies the order's self-trade prevention on meeting one: ``taker_at_cross``
        stops here (fills already matched stand, the rest of the order is canceled),
        ``maker`` cancels the resting order and goes on.  A fill-or-kill order that
        self-crosses is treated as immediate-or-cancel (Kalshi changelog, Sep 25, 2025).
        """
        request = order.request
        book = self._books[request.ticker]
        plan: list[tuple[Decimal, OrderState, Decimal] | OrderState] = []
        need, free = order.remaining, state.free
        stopped: str | None = None
        for maker_price, entry in book.makers_for(request.book_side, request.book_price):
            if need == 0:
                break
            assert isinstance(entry, OrderState)
            if entry.account == order.account:
                if not self.reciprocal:
                    continue
                stopped = _SELF_TRADE
                if request.self_trade_prevention is SelfTradePrevention.MAKER:
                    plan.append(entry)
                    continue
                break
            price = PAYOUT - maker_price
            count = self._affordable(min(need, entry.remaining), price, free)
            if count == 0:
                break
            plan.append((maker_price, entry, count))
            need -= count
            free -= self._cost(count, price, maker=False)
        if request.time_in_force is TimeInForce.FILL_OR_KILL and need > 0 and stopped is None:
            return None
        for step in plan:
            if isinstance(step, OrderState):
                self._withdraw(self._accounts[step.account], step, _SELF_TRADE)
            else:
                maker_price, maker, count = step
                self._trade(state, order, maker, maker_price, count)
        if request.self_trade_prevention is SelfTradePrevention.MAKER:
            return None if request.time_in_force is not TimeInForce.FILL_OR_KILL else stopped
        return stopped

    def _trade(
        self,
        taker_state: Account,
        taker: OrderState,
        maker: OrderState,
        maker_price: Decimal,
        count: Decimal,
    ) -> None:
        request = taker.request
        ticker, taker_side = request.ticker, request.book_side
        taker_price = PAYOUT - maker_price
        taker_fee = self._cost(count, taker_price, maker=False) - count * taker_price
        maker_fee = self._cost(count, maker_price, maker=True) - count * maker_price
        maker_state = self._accounts[maker.account]
        now = self.clock.now()
        yes_price = taker_price if taker_side is WireSide.YES else maker_price

        self._books[ticker].reduce(taker_side.other, maker_price, maker, count)
        self._pending.append(
            BookDelta(
                ticker,
                taker_side.other,
                maker_price,
                -count,
                taker.account,
                request.client_order_id,
            )
        )
        maker.fill_count += count
        maker.maker_fill_cost += count * maker_price
        maker.maker_fees += maker_fee
        maker.updated = now
        maker_state.held -= maker.held
        maker.held = self._hold(maker.remaining, maker_price)
        maker_state.held += maker.held
        if maker.remaining == 0:
            maker.status = OrderStatus.EXECUTED

        taker.remaining -= count
        taker.fill_count += count
        taker.taker_fill_cost += count * taker_price
        taker.taker_fees += taker_fee
        taker.updated = now

        self._open_pairs[ticker] += count
        self._volume[ticker] += count
        self._last_price[ticker] = yes_price
        self._updated[ticker] = now
        self.fees_collected += taker_fee + maker_fee
        for state, order, side, price, fee, is_taker in (
            (taker_state, taker, taker_side, taker_price, taker_fee, True),
            (maker_state, maker, taker_side.other, maker_price, maker_fee, False),
        ):
            pairs = state.settle(ticker, side, count, price, fee, now=now)
            if pairs:
                self._open_pairs[ticker] -= pairs
            self._next_trade += 1  # one id per fill: Kalshi's trade_id "same as fill_id"
            fill = Fill(
                trade_id=f"{self._id_prefix}t{self._next_trade:08d}",
                order_id=order.order_id,
                client_order_id=order.request.client_order_id,
                account=state.name,
                ticker=ticker,
                side=order.request.side,
                action=order.request.action,
                count=count,
                yes_price=yes_price,
                no_price=PAYOUT - yes_price,
                is_taker=is_taker,
                fee=fee,
                ts=now,
            )
            if state.name not in UNLISTED_FILLS:
                state.fills.append(fill)
            self.truth.append(now, TruthKind.FILL, state.name, fill.to_wire())
            holding = state.holdings[ticker]
            self._pending.append(FillEvent(fill, holding.yes - holding.no))
        self._pending.append(
            OrderEvent(maker.account, maker.to_wire(), maker.created, maker.updated)
        )

    def _finish(
        self,
        state: Account,
        order: OrderState,
        stopped: str | None = None,
        accepted: OrderWire | None = None,
    ) -> None:
        """Close, execute or rest ``order`` after matching; ``accepted`` is its wire form
        when it was accepted (reused for the resting event if nothing traded since)."""
        request = order.request
        book = self._books[request.ticker]
        if order.remaining == 0:
            order.status = OrderStatus.EXECUTED
            self._pending.append(
                OrderEvent(state.name, order.to_wire(), order.created, order.updated)
            )
            return
        if stopped is not None:
            self._close(state, order, stopped)
            return
        if request.time_in_force is TimeInForce.FILL_OR_KILL:
            self._close(state, order, "fill_or_kill_unfilled")
            return
        if request.time_in_force is TimeInForce.IMMEDIATE_OR_CANCEL:
            self._close(state, order, "immediate_or_cancel_remainder")
            return
        hold = self._hold(order.remaining, request.book_price)
        makers = book.makers_for(request.book_side, request.book_price)
        crossing = self.reciprocal and next(makers, None) is not None
        if hold > state.free or crossing:
            # reciprocal mode: a remainder the taker could not pay for must not rest crossed
            self._close(state, order, "insufficient_balance")
            return
        order.held = hold
        state.held += hold
        book.add(request.book_side, request.book_price, order)
        self._pending.append(
            BookDelta(
                request.ticker,
                request.book_side,
                request.book_price,
                order.remaining,
                order.account,
                request.client_order_id,
            )
        )
        # untraded since accepted: the wire form is the accepted one (a copy: events are
        # handed to listeners, truth records kept)
        untouched = accepted is not None and order.fill_count == 0
        wire = accepted.copy() if untouched and accepted is not None else order.to_wire()
        self._pending.append(OrderEvent(state.name, wire, order.created, order.updated))

    def _withdraw(self, state: Account, order: OrderState, reason: str) -> None:
        """Take a resting ``order`` off its book and close it (canceled for ``reason``)."""
        request = order.request
        side, price = request.book_side, request.book_price
        size = self._books[request.ticker].remove(side, price, order)
        self._pending.append(
            BookDelta(request.ticker, side, price, -size, order.account, request.client_order_id)
        )
        self._close(state, order, reason)

    def _close(self, state: Account, order: OrderState, reason: str) -> None:
        state.held -= order.held
        order.held = ZERO
        order.status = OrderStatus.CANCELED
        order.cancel_reason = reason
        order.updated = self.clock.now()
        wire = order.to_wire()
        # OrderState.canceled_record's record, built from the wire form made once here
        record: CanceledRecord = {**wire, "cancel_reason": reason or "requested"}
        self.truth.append(order.updated, TruthKind.ORDER_CANCELED, state.name, record)
        self._pending.append(OrderEvent(state.name, wire, order.created, order.updated))

    def _hold(self, remaining: Decimal, price: Decimal) -> Decimal:
        if remaining == 0:
            return ZERO
        return self._cost(remaining, price, maker=True)
