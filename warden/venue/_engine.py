"""The matching engine: accounts, orders, price-time matching, fees and the truth log.

Single-threaded by contract: the venue calls it from one trio task at a
time and it never awaits, so every call is atomic with respect to the
websocket stream and the market dynamics.

Matching (Kalshi semantics).  Every order is booked as a bid on one side
(see :attr:`OrderRequest.book_side`).  An incoming YES bid at ``p`` trades
with resting NO bids at ``q >= 100 - p``, best ``q`` first and oldest first
within a level; the resting (maker) order sets the price, so the taker pays
``100 - q`` and the maker ``q``: each matched YES+NO pair is backed by
exactly 100 cents.  Orders never trade with resting orders of the *same
account* (self-trade prevention: those are skipped and stay resting) —
which is also how the simulated makers can show a crossed book, the only
shape a complement-arbitrage opportunity can take in a bids-only book.

Money.  Taker fees (and maker fees, zero by default) follow
:class:`actors.fees.FeeModel`, charged per fill and paid into the venue's
fee account.  An account holding YES and NO of one market has the pairs
netted at once: each pair pays back 100 cents.  So at every moment::

    sum(cash of all accounts) + fees collected + 100 * open pairs == constant

and per market the YES and NO contracts held across accounts both equal the
open pairs (:meth:`MatchingEngine.conservation`).  A resting order holds
``remaining * price + maker fee`` of its account's cash; an order is
rejected (``insufficient_balance``) unless the free cash covers
``count * price + taker fee`` at its limit.  A sell is booked as the
complementary buy and collateralised like one; it is rejected
(``insufficient_position``) unless the account holds ``count`` of that side
when it arrives.

Failures: :class:`UnknownMarket`, :class:`DuplicateClientOrderId` and
:class:`OrderRejected` are raised after the rejection is logged to truth;
the engine's state is unchanged by a rejected order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from actors.fees import FeeModel
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
    PAYOUT_CENTS,
    BookDelta,
    Clock,
    Fill,
    FillEvent,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    TimeInForce,
    VenueEvent,
    WireAction,
    WireSide,
)
from warden.venue._truth import TruthKind, TruthLog

TRADER = "trader"
HOUSE = "house"
COMPETITOR = "competitor"

Listener = Callable[[VenueEvent], None]


class MatchingEngine:
    """Books, accounts and orders of every market of one simulated venue."""

    def __init__(
        self,
        tickers: Iterable[str],
        *,
        accounts: Mapping[str, int],
        clock: Clock,
        fees: FeeModel | None = None,
        id_prefix: str = "",
    ) -> None:
        """``id_prefix`` starts every order and trade id (``o00000001`` becomes
        ``<prefix>o00000001``): a venue started afresh for a ledger that outlives it
        must not reuse an earlier venue's ids."""
        self.fees = fees if fees is not None else FeeModel()
        self._id_prefix = id_prefix
        self.clock = clock
        self.truth = TruthLog()
        self.fees_collected = 0
        self._books = {ticker: OrderBook(ticker) for ticker in tickers}
        self._open_pairs = dict.fromkeys(self._books, 0)
        self._volume = dict.fromkeys(self._books, 0)
        self._accounts = {name: Account(name, cash) for name, cash in accounts.items()}
        self._listeners: list[Listener] = []
        self._next_order = 0
        self._next_trade = 0
        self._pending: list[VenueEvent] = []

    # ---------------------------------------------------------------- queries

    @property
    def tickers(self) -> list[str]:
        return list(self._books)

    def book(self, ticker: str) -> OrderBook:
        try:
            return self._books[ticker]
        except KeyError:
            raise UnknownMarket(ticker) from None

    def market(self, ticker: str) -> dict[str, Any]:
        book = self.book(ticker)
        return {
            "ticker": ticker,
            "title": f"Simulated market {ticker}",
            "status": "open",
            "yes_bid": book.best_bid(WireSide.YES),
            "yes_ask": book.best_ask(WireSide.YES),
            "no_bid": book.best_bid(WireSide.NO),
            "no_ask": book.best_ask(WireSide.NO),
            "volume": self._volume[ticker],
            "open_interest": self._open_pairs[ticker],
        }

    def order(self, account: str, order_id: str) -> dict[str, Any]:
        try:
            return self._accounts[account].orders[order_id].to_wire()
        except KeyError:
            raise OrderNotFound(order_id) from None

    def orders(
        self,
        account: str,
        *,
        client_order_id: str | None = None,
        status: OrderStatus | None = None,
        ticker: str | None = None,
    ) -> list[dict[str, Any]]:
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
    ) -> list[dict[str, Any]]:
        return [
            fill.to_wire()
            for fill in self._accounts[account].fills
            if (ticker is None or fill.ticker == ticker)
            and (order_id is None or fill.order_id == order_id)
        ]

    def positions(self, account: str) -> list[dict[str, Any]]:
        state = self._accounts[account]
        resting: dict[str, int] = {}
        for order in state.orders.values():
            if order.status is OrderStatus.RESTING:
                resting[order.request.ticker] = resting.get(order.request.ticker, 0) + 1
        return [
            {
                "ticker": ticker,
                "position": holding.yes - holding.no,
                "fees_paid": holding.fees_paid,
                "total_traded": holding.traded,
                "resting_orders_count": resting.get(ticker, 0),
            }
            for ticker, holding in state.holdings.items()
        ]

    def balance(self, account: str) -> dict[str, int]:
        """``balance`` is free cash (Kalshi's meaning); ``reserved`` is held by resting orders."""
        state = self._accounts[account]
        return {"balance": state.free, "reserved": state.held}

    def holding(self, account: str, ticker: str) -> tuple[int, int]:
        """(YES, NO) contracts ``account`` holds in ``ticker`` (one of them is 0)."""
        holding = self._accounts[account].holdings.get(ticker, Holding())
        return holding.yes, holding.no

    def crossing_quantity(self, account: str, request: OrderRequest) -> int:
        """Contracts other accounts' resting orders offer within ``request``'s limit."""
        return sum(
            entry.remaining
            for _, entry in self.book(request.ticker).makers_for(
                request.book_side, request.book_price
            )
            if entry.account != account
        )

    def conservation(self) -> Conservation:
        yes = no = 0
        for state in self._accounts.values():
            for holding in state.holdings.values():
                yes += holding.yes
                no += holding.no
        return Conservation(
            cash=sum(state.cash for state in self._accounts.values()),
            fees=self.fees_collected,
            open_pairs=sum(self._open_pairs.values()),
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

    def reject(self, account: str, code: str, reason: str, **context: Any) -> None:
        """Log a refused order request to truth (the HTTP layer uses it for bad fields)."""
        record = {"code": code, "message": reason, **context}
        self.truth.append(self.clock.now(), TruthKind.ORDER_REJECTED, account, record)

    def place(self, account: str, request: OrderRequest) -> dict[str, Any]:
        """Accept, match and (for GTC) rest ``request``; return the order's wire form."""
        state = self._accounts[account]
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
        order = OrderState(
            f"{self._id_prefix}o{self._next_order:08d}", account, request, now, now, request.count
        )
        state.orders[order.order_id] = order
        if request.client_order_id is not None:
            state.by_client_id[request.client_order_id] = order
        state.holdings.setdefault(request.ticker, Holding())
        self.truth.append(now, TruthKind.ORDER_ACCEPTED, account, order.to_wire())
        self._match(state, order)
        self._finish(state, order)
        self._flush()
        return order.to_wire()

    def cancel(self, account: str, order_id: str, reason: str = "requested") -> dict[str, Any]:
        state = self._accounts[account]
        order = state.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if order.status is not OrderStatus.RESTING:
            raise OrderNotCancelable(order_id, str(order.status))
        request = order.request
        side, price = request.book_side, request.book_price
        size = self._books[request.ticker].remove(side, price, order)
        self._pending.append(BookDelta(request.ticker, side, price, -size))
        self._close(state, order, reason)
        self._flush()
        return order.to_wire()

    # ------------------------------------------------------------- internals

    def _check(self, state: Account, request: OrderRequest) -> None:
        self.book(request.ticker)
        cid = request.client_order_id
        if cid is not None and cid in state.by_client_id:
            raise DuplicateClientOrderId(cid, state.by_client_id[cid].to_wire())
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
        price = request.book_price
        needed = request.count * price + self.fees.taker_fee(request.count, price)
        if state.free < needed:
            raise OrderRejected(
                "insufficient_balance",
                f"needs {needed} cents, {state.free} free",
                ticker=request.ticker,
                client_order_id=cid,
            )

    def _match(self, state: Account, order: OrderState) -> None:
        request = order.request
        book = self._books[request.ticker]
        plan: list[tuple[int, OrderState, int]] = []
        need, free = order.remaining, state.free
        for maker_price, entry in book.makers_for(request.book_side, request.book_price):
            if need == 0:
                break
            if entry.account == order.account:
                continue
            assert isinstance(entry, OrderState)
            price = PAYOUT_CENTS - maker_price
            count = min(need, entry.remaining, free // price)
            while count > 0 and count * price + self.fees.taker_fee(count, price) > free:
                count -= 1
            if count == 0:
                break
            plan.append((maker_price, entry, count))
            need -= count
            free -= count * price + self.fees.taker_fee(count, price)
        if request.time_in_force is TimeInForce.FILL_OR_KILL and need > 0:
            return
        for maker_price, maker, count in plan:
            self._trade(state, order, maker, maker_price, count)

    def _trade(
        self,
        taker_state: Account,
        taker: OrderState,
        maker: OrderState,
        maker_price: int,
        count: int,
    ) -> None:
        request = taker.request
        ticker, taker_side = request.ticker, request.book_side
        taker_price = PAYOUT_CENTS - maker_price
        taker_fee = self.fees.taker_fee(count, taker_price)
        maker_fee = self.fees.maker_fee(count, maker_price)
        maker_state = self._accounts[maker.account]
        now = self.clock.now()
        self._next_trade += 1
        trade_id = f"{self._id_prefix}t{self._next_trade:08d}"
        yes_price = taker_price if taker_side is WireSide.YES else maker_price

        self._books[ticker].reduce(taker_side.other, maker_price, maker, count)
        self._pending.append(BookDelta(ticker, taker_side.other, maker_price, -count))
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
        self.fees_collected += taker_fee + maker_fee
        for state, order, side, price, fee, is_taker in (
            (taker_state, taker, taker_side, taker_price, taker_fee, True),
            (maker_state, maker, taker_side.other, maker_price, maker_fee, False),
        ):
            state.cash -= count * price + fee
            holding = state.holdings.setdefault(ticker, Holding())
            holding.fees_paid += fee
            holding.traded += count
            if side is WireSide.YES:
                holding.yes += count
            else:
                holding.no += count
            pairs = min(holding.yes, holding.no)
            if pairs:
                holding.yes -= pairs
                holding.no -= pairs
                state.cash += PAYOUT_CENTS * pairs
                self._open_pairs[ticker] -= pairs
            fill = Fill(
                trade_id=trade_id,
                order_id=order.order_id,
                client_order_id=order.request.client_order_id,
                account=state.name,
                ticker=ticker,
                side=order.request.side,
                action=order.request.action,
                count=count,
                yes_price=yes_price,
                no_price=PAYOUT_CENTS - yes_price,
                is_taker=is_taker,
                fee=fee,
                ts=now,
            )
            state.fills.append(fill)
            self.truth.append(now, TruthKind.FILL, state.name, fill.to_wire())
            self._pending.append(FillEvent(fill))
        self._pending.append(OrderEvent(maker.account, maker.to_wire()))

    def _finish(self, state: Account, order: OrderState) -> None:
        request = order.request
        if order.remaining == 0:
            order.status = OrderStatus.EXECUTED
            self._pending.append(OrderEvent(state.name, order.to_wire()))
            return
        if request.time_in_force is TimeInForce.FILL_OR_KILL:
            self._close(state, order, "fill_or_kill_unfilled")
            return
        if request.time_in_force is TimeInForce.IMMEDIATE_OR_CANCEL:
            self._close(state, order, "immediate_or_cancel_remainder")
            return
        hold = self._hold(order.remaining, request.book_price)
        if hold > state.free:
            self._close(state, order, "insufficient_balance")
            return
        order.held = hold
        state.held += hold
        self._books[request.ticker].add(request.book_side, request.book_price, order)
        self._pending.append(
            BookDelta(request.ticker, request.book_side, request.book_price, order.remaining)
        )
        self._pending.append(OrderEvent(state.name, order.to_wire()))

    def _close(self, state: Account, order: OrderState, reason: str) -> None:
        state.held -= order.held
        order.held = 0
        order.status = OrderStatus.CANCELED
        order.cancel_reason = reason
        order.updated = self.clock.now()
        wire = order.to_wire()
        self.truth.append(order.updated, TruthKind.ORDER_CANCELED, state.name, wire)
        self._pending.append(OrderEvent(state.name, wire))

    def _hold(self, remaining: int, price: int) -> int:
        if remaining == 0:
            return 0
        return remaining * price + self.fees.maker_fee(remaining, price)
