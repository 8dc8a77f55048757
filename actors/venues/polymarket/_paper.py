"""Paper trading on Polymarket: the venue's real public books, fills simulated here.

:class:`PaperTrading` is a :class:`~actors.venues.TradingVenue` that needs no
wallet and no key. Its clients (:class:`PaperClient`) read Polymarket's public
order book, ``GET {rest_url}/book?token_id=<token>``, at the moment of each
order and fill the order locally against that book; the paper account (cash,
shares per token, orders, fills) lives in a SQLite file (WAL,
``synchronous=FULL``), so a restarted daemon reconciles against the same
orders, fills, positions and balance. Nothing is signed; the book read is the
only request.

Matching (immediate orders only: nothing ever rests)::

    BUY  side at p    that side's token's asks at or below p, lowest first
    SELL side at p    that side's token's bids at or above p, highest first,
                      and only shares the account holds of that token

- ``FAK`` (the default) fills what the book shows and cancels the rest; ``FOK``
  fills the whole count or nothing. A level gives at most the size it shows,
  rounded down to the 0.01 share lot. The book's order on the wire is not
  trusted: levels are sorted here. A book whose ``hash`` is the one an earlier
  order of this client filled against has not changed since, so what that order
  took is no longer in it (remembered per token and book side while the client
  lives; a new client, or a changed book, sees the venue's sizes again).
- Each level taken is one fill, ``paper-<cid>-<n>`` (n = 1, 2, ...), at the
  level's price, paying Polymarket's taker fee (makers pay none; a paper order
  is always the taker): ``C x feeRate x p x (1 - p)`` with the market's
  ``fee_rate``, rounded up to $0.00001 by :class:`~actors.money.PolymarketFees`
  (polymarket.md §5: five decimals, at least $0.00001 when not zero). A buy
  pays ``p x C + fee``; a sale receives ``p x C - fee``.
- A BUY is refused with ``InsufficientBalance`` unless the cash covers the whole
  order at its limit plus that amount's fee (what the venue holds against an
  order) and what it actually fills; a SELL of more shares than held is refused
  with ``InvalidOrder("not enough balance / allowance")``, the venue's words.
- One order per client order id, ``paper-<cid>``: a second create for the id
  returns the first order and fills nothing. Status ``executed`` (filled in
  full) or ``canceled`` (the unfilled rest of a FAK, or a killed FOK).

Before any request a create is checked: the market must be configured and
active, the time in force ``FAK`` or ``FOK``, the price on the market's tick
(:class:`~actors.money.PriceGrid`): otherwise ``InvalidOrder``. Every amount is
an exact ``Decimal`` (:data:`~actors.money.EXACT`); the one other rounding is
the cost basis a partial sale takes off a holding (average cost, to $0.000001).

The book read fails as a real client's calls do::

    no answer within the deadline          VenueTimeout      (nothing was filled)
    connection refused / reset / dropped   VenueDisconnected
    429                                    VenueRateLimited (Retry-After honoured)
    5xx, or a book that cannot be read     VenueServerError (naming the field)
    401 / 403                              VenueAuthError
    any other 4xx                          InvalidOrder

A paper state file that cannot be read or written is a ``VenueServerError``
(nothing of the order was kept).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import ROUND_HALF_EVEN, Context, Decimal
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs
import httpx
import trio

from actors.domain import Action, Fill, OrderIntent, Side
from actors.errors import (
    InsufficientBalance,
    InvalidFieldError,
    InvalidOrder,
    VenueAuthError,
    VenueError,
    VenueRateLimited,
    VenueServerError,
)
from actors.money import EXACT, ONE, LotSize, PolymarketFees, PriceGrid, parse_price, parse_size
from actors.venues._http import exchange
from actors.venues._rate_limit import RateLimiter
from actors.venues._trading import ClientSettings, VenueBook, VenueOrder, VenuePosition
from actors.venues.polymarket._markets import PolymarketMarket

if TYPE_CHECKING:
    from actors.venues._trading import TradingClient, TradingVenue

__all__ = [
    "BOOK_ENDPOINT",
    "DEFAULT_GRID",
    "DEFAULT_REST_URL",
    "FAK",
    "FOK",
    "PaperClient",
    "PaperTrading",
]

DEFAULT_REST_URL = "https://clob.polymarket.com"
"""Polymarket's public CLOB, whose ``/book`` the paper venue reads."""

BOOK_ENDPOINT = "GET /book"
"""The one endpoint called (its rate-limit name and the ``endpoint`` of its errors)."""

FAK = "FAK"
"""Fill and kill: take what the book shows, cancel the rest (immediate or cancel)."""

FOK = "FOK"
"""Fill or kill: the whole count or nothing."""

DEFAULT_GRID = PriceGrid(Decimal("0.01"))
"""The grid of a market that is not configured (Polymarket's usual tick)."""

_LOT = LotSize(Decimal("0.01"))
"""Shares trade in hundredths."""

_BOOK_GRID = PriceGrid(Decimal("0.0001"))
_BOOK_SIZES = LotSize(Decimal("0.000001"))
"""A book's prices are on Polymarket's finest tick; its sizes have the token's 6 decimals."""

_MAX_CLIENT_ORDER_ID = 128 - len("paper-") - len("-99999")
"""The longest client order id whose fill ids (``paper-<cid>-<n>``) are identifiers."""

_COST_QUANTUM = Decimal("0.000001")
_ROUNDING = Context(prec=80, rounding=ROUND_HALF_EVEN)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS account (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS holdings (
    token TEXT PRIMARY KEY,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    shares TEXT NOT NULL,
    cost TEXT NOT NULL,
    realized_pnl TEXT NOT NULL,
    fees_paid TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL UNIQUE,
    client_order_id TEXT NOT NULL UNIQUE,
    ticker TEXT NOT NULL,
    token TEXT NOT NULL,
    side TEXT NOT NULL,
    action TEXT NOT NULL,
    time_in_force TEXT NOT NULL,
    status TEXT NOT NULL,
    price TEXT NOT NULL,
    initial_count TEXT NOT NULL,
    fill_count TEXT NOT NULL,
    cancel_reason TEXT
);
CREATE TABLE IF NOT EXISTS fills (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    fill_id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL REFERENCES orders(order_id),
    client_order_id TEXT NOT NULL,
    ticker TEXT NOT NULL,
    side TEXT NOT NULL,
    action TEXT NOT NULL,
    price TEXT NOT NULL,
    count TEXT NOT NULL,
    fee TEXT NOT NULL
);
"""

Level = tuple[Decimal, Decimal]


def _text(value: Decimal) -> str:
    return f"{value:f}"


# -- the venue and its client ------------------------------------------------------------


def _as_markets(markets: Iterable[PolymarketMarket]) -> tuple[PolymarketMarket, ...]:
    return tuple(markets)


@attrs.frozen
class PaperTrading:
    """Paper trading on Polymarket (a :class:`~actors.venues.TradingVenue`): ``markets``
    are the markets it trades, ``path`` its paper account's SQLite file, ``cash`` the
    account's starting cash in dollars (pUSD), used only when the file is created.
    ``transport`` replaces the network for the book reads (tests)."""

    markets: tuple[PolymarketMarket, ...] = attrs.field(converter=_as_markets)
    path: Path = attrs.field(converter=Path)
    cash: Decimal = attrs.field(default=Decimal(0))
    transport: httpx.AsyncBaseTransport | None = attrs.field(default=None, repr=False)

    @markets.validator
    def _check_markets(self, _attribute: Any, value: tuple[PolymarketMarket, ...]) -> None:
        for market in value:
            PolymarketFees(taker_rate=market.fee_rate)  # raises InvalidFieldError naming it

    @cash.validator
    def _check_cash(self, _attribute: Any, value: Any) -> None:
        if type(value) is not Decimal or not value.is_finite() or value < 0:
            raise InvalidFieldError("PaperTrading", "cash", value, "must be a finite Decimal >= 0")

    @property
    def default_grid(self) -> PriceGrid:
        return DEFAULT_GRID

    def open_client(
        self,
        settings: ClientSettings,
        *,
        on_rate_limit_wait: Callable[[str, float], None] | None = None,
    ) -> PaperClient:
        """A client on the paper account (opened, and created with ``cash``, on the
        client's first call)."""
        return PaperClient(
            settings,
            self.markets,
            self.path,
            cash=self.cash,
            transport=self.transport,
            on_rate_limit_wait=on_rate_limit_wait,
        )


class PaperClient:
    """The paper account at :attr:`path`, trading against the public books at
    ``settings.rest_url`` (see the module docstring). Use it from a trio task,
    inside ``async with``."""

    def __init__(
        self,
        settings: ClientSettings,
        markets: Iterable[PolymarketMarket],
        path: Path,
        *,
        cash: Decimal = Decimal(0),
        transport: httpx.AsyncBaseTransport | None = None,
        on_rate_limit_wait: Callable[[str, float], None] | None = None,
    ) -> None:
        self.settings = settings
        self.path = Path(path)
        self._markets = {market.condition_id: market for market in markets}
        self._grids = MappingProxyType(
            {cid: PriceGrid(m.tick, ticker=cid) for cid, m in self._markets.items()}
        )
        self._limiter = RateLimiter(settings.rate_limits)
        self._on_wait = on_rate_limit_wait
        # (token, BUY takes asks / SELL hits bids) -> (book hash, size taken per price)
        self._taken: dict[tuple[str, Action], tuple[str, dict[Decimal, Decimal]]] = {}
        self._fees = {
            cid: PolymarketFees(taker_rate=m.fee_rate) for cid, m in self._markets.items()
        }
        self._cash = cash
        self._opened: _Account | None = None
        self._http = httpx.AsyncClient(
            base_url=settings.rest_url.rstrip("/"),
            transport=transport,
            timeout=None,  # noqa: S113 - bounded by trio.fail_after in _book
        )

    async def __aenter__(self) -> PaperClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._opened is not None:
            self._opened.close()
            self._opened = None
        await self._http.aclose()

    @property
    def _account(self) -> _Account:
        """The paper account, opened (and created) on first use: a file that cannot be
        opened fails that call with ``VenueServerError``."""
        if self._opened is None:
            self._opened = _Account.open(self.path, self._cash)
        return self._opened

    async def serve(self) -> None:
        """Nothing to do in the background: no paper order ever rests."""
        await trio.sleep_forever()

    # -- orders ------------------------------------------------------------------------

    async def create_order(self, intent: OrderIntent, *, time_in_force: str = FAK) -> VenueOrder:
        """Fill ``intent`` against the book of its token now (see the module docstring)
        and keep the order and its fills; returns the order as ``intent`` states it.
        A client order id used before returns its first order and fills nothing."""
        cid = intent.client_order_id
        market = self._checked(intent, time_in_force)
        known = self._account.order(cid)
        if known is not None:
            return known
        token = market.yes_token if intent.side is Side.YES else market.no_token
        if intent.action is Action.SELL:
            self._check_held(intent, token)
        book_hash, bids, asks = await self._book(token, self.settings.deadlines.submit, cid)
        with self._account.transaction() as account:
            known = account.order(cid)
            if known is not None:  # a concurrent create of the same id got there first
                return known
            if intent.action is Action.SELL:
                self._check_held(intent, token)
            side_of_book = asks if intent.action is Action.BUY else bids
            levels = self._available((token, intent.action), book_hash, side_of_book)
            fills = self._match(intent, market, levels, time_in_force)
            self._check_cash(intent, market, fills)
            order = _order_of(intent, fills, time_in_force)
            account.record(order, token, time_in_force, fills, market)
        self._remember((token, intent.action), book_hash, fills)
        return order

    async def find_order(
        self, client_order_id: str, *, ticker: str | None = None
    ) -> VenueOrder | None:
        """The paper order placed under ``client_order_id`` (of ``ticker``, if given), or None."""
        order = self._account.order(client_order_id)
        if order is None or (ticker is not None and order.ticker != ticker):
            return None
        return order

    async def list_orders(
        self,
        *,
        client_order_id: str | None = None,
        status: str | None = None,
        ticker: str | None = None,
        since: float | None = None,
    ) -> list[VenueOrder]:
        """Every paper order, oldest first, optionally of one id, status and market.
        ``since`` is not applied (the paper account keeps no order times)."""
        del since
        return [
            order
            for order in self._account.orders()
            if client_order_id in (None, order.client_order_id)
            and status in (None, order.status)
            and ticker in (None, order.ticker)
        ]

    async def get_order(self, order_id: str) -> VenueOrder:
        """The paper order ``order_id``; ``InvalidOrder`` if there is none."""
        for order in self._account.orders():
            if order.order_id == order_id:
                return order
        raise InvalidOrder(f"no paper order {order_id!r}", endpoint="GET /paper/order")

    async def cancel_order(self, order: VenueOrder) -> VenueOrder:
        """Paper orders never rest: ``order`` as the account holds it (or as given)."""
        known = self._account.order(order.client_order_id) if order.client_order_id else None
        if known is None or known.order_id != order.order_id:
            return order
        return known.as_direction(order.side, order.action)

    # -- portfolio and market data -----------------------------------------------------

    async def list_fills(
        self, *, order_id: str | None = None, since: float | None = None
    ) -> list[Fill]:
        """Every paper fill, oldest first, or those of ``order_id``. ``since`` is not
        applied: the paper account keeps no fill times, so it lists every fill (more
        than asked, never fewer; a local file, not the network)."""
        del since
        return self._account.fills(order_id)

    async def list_positions(self) -> list[VenuePosition]:
        """Per market traded: YES minus NO shares held, the cost of what is held,
        the realised profit of sales (before fees) and the fees paid."""
        return self._account.positions()

    async def get_balance(self) -> Decimal:
        """The paper cash in dollars."""
        return self._account.cash()

    async def lists_complete_since(self) -> str | None:
        """None: the paper account keeps every order and fill."""
        return None

    async def get_orderbook(self, ticker: str) -> VenueBook:
        """The market's public book, from its YES token's: YES bids are its bids, NO
        bids its asks at ``1 - price`` (each side as the venue lists it)."""
        market = self._markets.get(ticker)
        if market is None:
            raise InvalidOrder(f"not a paper market: {ticker}", endpoint=BOOK_ENDPOINT)
        _, bids, asks = await self._book(market.yes_token, self.settings.deadlines.query, None)
        no = tuple((EXACT.subtract(ONE, price), size) for price, size in asks)
        return VenueBook(bids, no)

    async def list_markets(self) -> Mapping[str, PriceGrid]:
        """The configured markets' price grids (their ticks)."""
        return self._grids

    def grid(self, ticker: str) -> PriceGrid:
        """The configured market's grid, else :data:`DEFAULT_GRID`."""
        return self._grids.get(ticker, DEFAULT_GRID)

    # -- matching ----------------------------------------------------------------------

    def _checked(self, intent: OrderIntent, time_in_force: str) -> PolymarketMarket:
        """The intent's market, if the order may be placed at all (no request yet)."""
        cid = intent.client_order_id

        def refuse(reason: str) -> InvalidOrder:
            return InvalidOrder(
                f"not sent: {intent.ticker}: {reason}", endpoint=BOOK_ENDPOINT, client_order_id=cid
            )

        if time_in_force not in (FAK, FOK):
            raise refuse(f"time in force {time_in_force!r}: paper orders are FAK or FOK")
        if len(cid) > _MAX_CLIENT_ORDER_ID:
            raise refuse(f"client order id longer than {_MAX_CLIENT_ORDER_ID} characters")
        market = self._markets.get(intent.ticker)
        if market is None:
            raise refuse("not a configured market")
        if not market.active:
            raise refuse("the market is not accepting orders")
        if intent.payout != ONE:
            raise refuse(f"payout {intent.payout}: Polymarket pays $1")
        try:
            self.grid(intent.ticker).check(intent.price, f"{intent.side.value}_price")
        except InvalidFieldError as error:
            raise refuse(str(error)) from None
        return market

    def _check_held(self, intent: OrderIntent, token: str) -> None:
        held = self._account.holding(token)
        if held < intent.count:
            raise InvalidOrder(
                f"not enough balance / allowance: selling {intent.count}"
                f" {intent.side.value} of {intent.ticker}, {held} held",
                endpoint=BOOK_ENDPOINT,
                client_order_id=intent.client_order_id,
            )

    def _check_cash(self, intent: OrderIntent, market: PolymarketMarket, fills: list[Fill]) -> None:
        if intent.action is not Action.BUY:
            return
        fees = self._fees[market.condition_id]
        whole = fees.buy_cost(intent.count, intent.price)
        spent = Decimal(0)
        for fill in fills:
            spent = EXACT.add(spent, fees.buy_cost(fill.count, fill.price))
        cash = self._account.cash()
        if cash < max(whole, spent):
            raise InsufficientBalance(
                f"not enough balance / allowance: {intent.count} x {intent.price}"
                f" needs {max(whole, spent)} with fees, {cash} held",
                endpoint=BOOK_ENDPOINT,
                client_order_id=intent.client_order_id,
            )

    def _available(
        self, key: tuple[str, Action], book_hash: str | None, levels: tuple[Level, ...]
    ) -> tuple[Level, ...]:
        """``levels`` less what earlier orders took from this very book (same hash)."""
        earlier = self._taken.get(key)
        if book_hash is None or earlier is None or earlier[0] != book_hash:
            return levels
        taken = dict(earlier[1])
        left = []
        for price, size in levels:
            used = min(size, taken.pop(price, Decimal(0)))
            left.append((price, EXACT.subtract(size, used)))
        return tuple(left)

    def _remember(self, key: tuple[str, Action], book_hash: str | None, fills: list[Fill]) -> None:
        if book_hash is None or not fills:
            return
        earlier = self._taken.get(key)
        taken = dict(earlier[1]) if earlier is not None and earlier[0] == book_hash else {}
        for fill in fills:
            taken[fill.price] = EXACT.add(taken.get(fill.price, Decimal(0)), fill.count)
        self._taken[key] = (book_hash, taken)

    def _match(
        self,
        intent: OrderIntent,
        market: PolymarketMarket,
        levels: tuple[Level, ...],
        time_in_force: str,
    ) -> list[Fill]:
        """The fills ``intent`` takes from ``levels`` (one side of its token's book)."""
        buying = intent.action is Action.BUY
        if buying:
            reachable = sorted((lv for lv in levels if lv[0] <= intent.price), key=lambda lv: lv[0])
        else:
            reachable = sorted(
                (lv for lv in levels if lv[0] >= intent.price), key=lambda lv: -lv[0]
            )
        fees = self._fees[market.condition_id]
        fills: list[Fill] = []
        remaining = intent.count
        for price, size in reachable:
            if not remaining:
                break
            take = min(remaining, _LOT.round_down(size))
            if not take:
                continue
            fills.append(
                Fill(
                    f"paper-{intent.client_order_id}-{len(fills) + 1}",
                    intent.client_order_id,
                    intent.ticker,
                    intent.side,
                    intent.action,
                    price,
                    take,
                    fee=fees.trade_fee(take, price),
                )
            )
            remaining = EXACT.subtract(remaining, take)
        if remaining and time_in_force == FOK:
            return []
        return fills

    # -- the book read -----------------------------------------------------------------

    async def _book(
        self, token: str, deadline: float, cid: str | None
    ) -> tuple[str | None, tuple[Level, ...], tuple[Level, ...]]:
        """``GET /book`` of ``token``: (hash, bids, asks) as listed; errors as mapped above."""
        response = await exchange(
            self._http,
            self._limiter,
            BOOK_ENDPOINT,
            "GET",
            "/book",
            on_wait=self._on_wait,
            label=BOOK_ENDPOINT,
            deadline=deadline,
            client_order_id=cid,
            params={"token_id": token},
        )
        status = response.status_code
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        if not 200 <= status < 300:
            raise self._failure(status, body, response.headers.get("retry-after"), cid)
        try:
            return _book_from_wire(body, token)
        except _Malformed as error:
            raise VenueServerError(
                f"malformed book of token {token}: {error}",
                status=status,
                endpoint=BOOK_ENDPOINT,
                client_order_id=cid,
            ) from None

    def _failure(
        self, status: int, body: object, retry_after: str | None, cid: str | None
    ) -> VenueError:
        said = body.get("error") if isinstance(body, dict) else None
        message = f"{status}: {str(said)[:200]}" if said is not None else f"{status}"
        if status == 429:
            seconds = _seconds(retry_after)
            if seconds > 0:
                self._limiter.bucket(BOOK_ENDPOINT).defer(trio.current_time() + seconds)
            return VenueRateLimited(
                message, endpoint=BOOK_ENDPOINT, retry_after=seconds, client_order_id=cid
            )
        if status >= 500:
            return VenueServerError(
                message, status=status, endpoint=BOOK_ENDPOINT, client_order_id=cid
            )
        if status in (401, 403):
            return VenueAuthError(message, endpoint=BOOK_ENDPOINT, client_order_id=cid)
        return InvalidOrder(message, endpoint=BOOK_ENDPOINT, client_order_id=cid)


def _seconds(header: str | None) -> float:
    try:
        seconds = float(header) if header is not None else 0.0
    except ValueError:
        return 0.0
    return seconds if 0 < seconds < float("inf") else 0.0


def _order_of(intent: OrderIntent, fills: list[Fill], time_in_force: str) -> VenueOrder:
    filled = Decimal(0)
    for fill in fills:
        filled = EXACT.add(filled, fill.count)
    done = filled == intent.count
    reason = None
    if not done:
        reason = "FOK: not fully fillable" if time_in_force == FOK else "FAK: unfilled rest"
    return VenueOrder(
        order_id=f"paper-{intent.client_order_id}",
        client_order_id=intent.client_order_id,
        ticker=intent.ticker,
        side=intent.side,
        action=intent.action,
        status="executed" if done else "canceled",
        price=intent.price,
        initial_count=intent.count,
        fill_count=filled,
        remaining_count=Decimal(0),
        cancel_reason=reason,
    )


# -- the book's wire -----------------------------------------------------------------------


class _Malformed(ValueError):
    """A book that cannot be read; the message names the field."""


def _book_from_wire(
    body: object, token: str
) -> tuple[str | None, tuple[Level, ...], tuple[Level, ...]]:
    if not isinstance(body, dict):
        raise _Malformed(f"book: not an object: {type(body).__name__}")
    asset = body.get("asset_id")
    if asset is not None and asset != token:
        raise _Malformed(f"asset_id: {asset!r}, not the token asked for")
    book_hash = body.get("hash")
    if book_hash is not None and not isinstance(book_hash, str):
        raise _Malformed(f"hash: not a string: {book_hash!r}")
    return book_hash, _levels(body, "bids"), _levels(body, "asks")


def _levels(body: dict[str, Any], key: str) -> tuple[Level, ...]:
    levels = body.get(key)
    if not isinstance(levels, list):
        raise _Malformed(f"{key}: missing or not a list")
    parsed = []
    for index, level in enumerate(levels):
        if not isinstance(level, dict):
            raise _Malformed(f"{key}[{index}]: not an object: {level!r}")
        try:
            price = parse_price(level.get("price"), _BOOK_GRID)
        except InvalidFieldError as error:
            raise _Malformed(f"{key}[{index}].price: {error.value!r} {error.rule}") from None
        try:
            size = parse_size(level.get("size"), _BOOK_SIZES)
        except InvalidFieldError as error:
            raise _Malformed(f"{key}[{index}].size: {error.value!r} {error.rule}") from None
        parsed.append((price.normalize(EXACT), size))
    return tuple(parsed)


# -- the paper account ---------------------------------------------------------------------


class _Account:
    """The paper account's SQLite file; every change is one transaction."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, cash: Decimal) -> _Account:
        """Open (or create, with ``cash``) the account at ``path``."""
        try:
            conn = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise _state_error(path, error) from None
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise sqlite3.OperationalError(f"journal mode is {mode!r}, WAL is required")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.executescript(_SCHEMA)  # each statement is its own transaction
            conn.execute(
                "INSERT OR IGNORE INTO account (key, value) VALUES ('cash', ?)", (_text(cash),)
            )
        except sqlite3.Error as error:
            conn.close()
            raise _state_error(path, error) from None
        return cls(conn, path)

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[_Account]:
        """One write transaction; rolled back if the block raises."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise _state_error(self.path, error) from None
        try:
            yield self
        except BaseException:
            self._conn.rollback()
            raise
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as error:
            self._conn.rollback()
            raise _state_error(self.path, error) from None

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[Any]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as error:
            raise _state_error(self.path, error) from None

    def cash(self) -> Decimal:
        ((value,),) = self._rows("SELECT value FROM account WHERE key = 'cash'")
        return Decimal(value)

    def holding(self, token: str) -> Decimal:
        rows = self._rows("SELECT shares FROM holdings WHERE token = ?", (token,))
        return Decimal(rows[0][0]) if rows else Decimal(0)

    def order(self, client_order_id: str) -> VenueOrder | None:
        rows = self._rows(f"{_ORDERS} WHERE client_order_id = ?", (client_order_id,))
        return _order_row(rows[0]) if rows else None

    def orders(self) -> list[VenueOrder]:
        return [_order_row(row) for row in self._rows(f"{_ORDERS} ORDER BY seq")]

    def fills(self, order_id: str | None) -> list[Fill]:
        rows = self._rows(
            "SELECT fill_id, client_order_id, ticker, side, action, price, count, fee"
            " FROM fills WHERE ?1 IS NULL OR order_id = ?1 ORDER BY seq",
            (order_id,),
        )
        return [
            Fill(
                fill_id,
                cid,
                ticker,
                Side(side),
                Action(action),
                Decimal(price),
                Decimal(count),
                fee=Decimal(fee),
            )
            for fill_id, cid, ticker, side, action, price, count, fee in rows
        ]

    def positions(self) -> list[VenuePosition]:
        zero = Decimal(0)
        totals: dict[str, list[Decimal]] = {}
        rows = self._rows(
            "SELECT market, side, shares, cost, realized_pnl, fees_paid FROM holdings"
            " ORDER BY market, side"
        )
        for market, side, shares, cost, realized, fees in rows:
            net, exposure, pnl, paid = totals.setdefault(market, [zero, zero, zero, zero])
            held = Decimal(shares) if side == Side.YES.value else EXACT.minus(Decimal(shares))
            totals[market] = [
                EXACT.add(net, held),
                EXACT.add(exposure, Decimal(cost)),
                EXACT.add(pnl, Decimal(realized)),
                EXACT.add(paid, Decimal(fees)),
            ]
        return [VenuePosition(market, *values) for market, values in totals.items()]

    def record(
        self,
        order: VenueOrder,
        token: str,
        time_in_force: str,
        fills: Iterable[Fill],
        market: PolymarketMarket,
    ) -> None:
        """Keep ``order`` and its ``fills`` and move cash and shares (in a transaction)."""
        self._rows(
            "INSERT INTO orders (order_id, client_order_id, ticker, token, side, action,"
            " time_in_force, status, price, initial_count, fill_count, cancel_reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                order.order_id,
                order.client_order_id,
                order.ticker,
                token,
                order.side.value,
                order.action.value,
                time_in_force,
                order.status,
                _text(order.price),
                _text(order.initial_count),
                _text(order.fill_count),
                order.cancel_reason,
            ),
        )
        for fill in fills:
            self._rows(
                "INSERT INTO fills (fill_id, order_id, client_order_id, ticker, side, action,"
                " price, count, fee) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fill.fill_id,
                    order.order_id,
                    fill.client_order_id,
                    fill.ticker,
                    fill.side.value,
                    fill.action.value,
                    _text(fill.price),
                    _text(fill.count),
                    _text(fill.fee),
                ),
            )
            self._apply(fill, token, market)

    def _apply(self, fill: Fill, token: str, market: PolymarketMarket) -> None:
        zero = Decimal(0)
        rows = self._rows(
            "SELECT shares, cost, realized_pnl, fees_paid FROM holdings WHERE token = ?", (token,)
        )
        shares, cost, realized, fees = (Decimal(v) for v in rows[0]) if rows else (zero,) * 4
        notional = EXACT.multiply(fill.price, fill.count)
        if fill.action is Action.BUY:
            shares, cost = EXACT.add(shares, fill.count), EXACT.add(cost, notional)
            change = EXACT.minus(EXACT.add(notional, fill.fee))
        else:
            sold_cost = cost if fill.count == shares else _share_of(cost, fill.count, shares)
            shares, cost = EXACT.subtract(shares, fill.count), EXACT.subtract(cost, sold_cost)
            realized = EXACT.add(realized, EXACT.subtract(notional, sold_cost))
            change = max(zero, EXACT.subtract(notional, fill.fee))
        fees = EXACT.add(fees, fill.fee)
        self._rows(
            "INSERT OR REPLACE INTO holdings (token, market, side, shares, cost, realized_pnl,"
            " fees_paid) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                token,
                market.condition_id,
                fill.side.value,
                _text(shares),
                _text(cost),
                _text(realized),
                _text(fees),
            ),
        )
        cash = EXACT.add(self.cash(), change)
        self._rows("UPDATE account SET value = ? WHERE key = 'cash'", (_text(cash),))


_ORDERS = (
    "SELECT order_id, client_order_id, ticker, side, action, status, price, initial_count,"
    " fill_count, cancel_reason FROM orders"
)


def _order_row(row: Sequence[Any]) -> VenueOrder:
    order_id, cid, ticker, side, action, status, price, initial, filled, reason = row
    return VenueOrder(
        order_id=order_id,
        client_order_id=cid,
        ticker=ticker,
        side=Side(side),
        action=Action(action),
        status=status,
        price=Decimal(price),
        initial_count=Decimal(initial),
        fill_count=Decimal(filled),
        remaining_count=Decimal(0),
        cancel_reason=reason,
    )


def _share_of(cost: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``cost x part / whole`` (the cost basis of a partial sale) to $0.000001."""
    return _ROUNDING.divide(EXACT.multiply(cost, part), whole).quantize(
        _COST_QUANTUM, context=_ROUNDING
    )


def _state_error(path: Path, error: sqlite3.Error) -> VenueServerError:
    return VenueServerError(f"paper account {path}: {error}", status=500, endpoint="paper account")


if TYPE_CHECKING:  # the seam's protocols, checked by mypy

    def _venue(venue: PaperTrading) -> TradingVenue:
        return venue

    def _client(client: PaperClient) -> TradingClient:
        return client
