"""Polymarket's CLOB V2 REST API, as a :class:`~actors.venues.TradingClient`.

Every call has a deadline (trio's ``fail_after``), passes its endpoint's token
bucket first, carries the five L2 headers (HMAC over the exact body bytes sent,
serialised once with ``separators=(",", ":")``) when it is a trading call, and
either returns parsed values or raises a typed :class:`~actors.errors.VenueError`;
nothing else escapes::

    no answer within the deadline               VenueTimeout      (outcome unknown)
    connection refused / reset / dropped        VenueDisconnected (outcome unknown)
    429                                         VenueRateLimited (Retry-After honoured)
    503 "Trading is currently disabled…" /      VenueTradingHalted (transient; risk
        "…cancel-only…"                            stops new risk at once until it clears)
    other 5xx, or a body we cannot read         VenueServerError(status)
    401 / 403                                   VenueAuthError
    "not enough balance / allowance"            InsufficientBalance
    any other refusal (4xx, success=false)      InvalidOrder
    the journal cannot be written               OrderJournalError (critical; not sent)
    accepted under an id that is not our digest DigestMismatch (critical)

**Orders.** A warden market is a binary market named by its condition id;
BUY/SELL of ``Side.YES`` is a BUY/SELL order on the YES token, of ``Side.NO`` on
the NO token, at the intent's price, amounts by :func:`._amounts.order_amounts`
on the market's tick. Polymarket has no client order id: the venue's order id is
the EIP-712 digest of the signed order. Before it is sent, each signed order is
written to the :class:`~._journal.OrderJournal` under its client order id; a later
``create_order`` for that id (a retry, or a new client after a restart) sends the
SAME signed order (same digest), never a new signature. IOC maps to ``FAK``, GTC
to ``GTC``.

A resend that the venue refuses (a duplicate's text is not documented) is looked
up before the refusal is believed: if the venue lists the order (live, or
trades), that order is the answer (as Kalshi's 409).

**Exchange version.** Orders are signed for exchange version 2 until the venue
answers ``order_version_mismatch`` (the exchange contract changed; the order was
refused, so it is not live). Then ``GET /version`` is read again; for a version
:mod:`._signing` signs (2, 3) that the order is not signed for, the SAME order
(salt, amounts, timestamp: only the EIP-712 domain changes, so its digest, the
venue's order id, changes) is signed for it, and the journal entry of the leg is
replaced by it in one durable transaction **before** it is sent, once. From then
on the leg has one order id, the new digest: a timeout is resolved by looking it
up, a retry or a restart resends it, and never a second order for the leg. Before
re-signing, the old digest is looked up once (live or traded): an order that
landed after all is the answer. Later orders of the client are signed for the new
version. Another version (1: the V1 struct, not built; or one the order is
already signed for), or a second mismatch, raises ``InvalidOrder`` naming it.

**Lookups.** ``GET /data/order/{digest}`` lists only live orders; a finished order
is rebuilt from ``GET /data/trades`` (its market's trades, every page: cursor
``MA==`` .. ``LTE=``): filled shares are the sum of its fills. No journal entry:
never signed, so never sent (``find_order`` is None). A journalled order the venue
never acknowledged and shows no trade of is None too (it may never have arrived;
resending sends the same signed order). Cancelling: ``DELETE /order``; the
documented ``not_canceled`` reason "already canceled or matched" is no error: the
order is returned as its trades show it.

**Fills** (``list_fills``): our trades as :class:`~actors.domain.Fill` (see
:func:`._wire.trade_fills`: taker fills by trade id with the taker fee
``size x fee_rate_bps/10000 x p(1-p)`` rounded up to $0.00001, maker fills by
``<trade id>:<order id>`` with fee 0); the client order id is the journal's for the
order's digest, ``venue-<digest>`` for an order not signed here. Fewer fills than
an answer already reported for that order is ``VenueServerError`` (the venue has
not listed them yet: transient).

**Positions** are the CLOB's conditional-token balances (``GET
/balance-allowance?asset_type=CONDITIONAL&token_id=…``, 6-decimal base units) of
each traded market's YES and NO token: position = YES - NO shares, exposure, PnL
and fees 0 (not reported there). The Data API (``/positions``) lives on another
host the settings do not name. **Balance**: ``asset_type=COLLATERAL``, base units
to dollars.

**Heartbeat** (:meth:`PolymarketClient.heartbeat`): ``POST /v1/heartbeats``; "If
heartbeats are not sent regularly, all open orders for the user will be
automatically canceled" (docs: api-reference/trade/send-heartbeat). The
interval is not documented; the caller sends one every few seconds.

No key, secret, passphrase or signature reaches a log, a repr or an error. The
client never retries; that is the caller's policy. Use it from a trio task,
inside ``async with``.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar

import attrs
import httpx
import trio
from loguru import logger

from actors.domain import Action, Fill, OrderIntent, Side
from actors.errors import (
    InsufficientBalance,
    InvalidFieldError,
    InvalidOrder,
    VenueError,
    VenueRateLimited,
    VenueServerError,
)
from actors.money import EXACT, PriceGrid
from actors.venues._http import Limiter, exchange
from actors.venues._rate_limit import AllLimiters, RateLimiter
from actors.venues._trading import ClientSettings, VenueBook, VenueOrder, VenuePosition
from actors.venues.polymarket._amounts import order_amounts
from actors.venues.polymarket._eth import LocalAccount
from actors.venues.polymarket._journal import JournalEntry, OrderJournal
from actors.venues.polymarket._keys import ApiCredentials
from actors.venues.polymarket._limits import POLYMARKET_LIMITS
from actors.venues.polymarket._markets import PolymarketMarket
from actors.venues.polymarket._signing import (
    BUY,
    POLYGON,
    SELL,
    SIGNABLE_VERSIONS,
    OrderV2,
    SignatureType,
    deterministic_salt,
    l2_headers,
    order_from_json,
    order_json,
    sign_order,
)
from actors.venues.polymarket._wire import (
    DigestMismatch,
    Malformed,
    TokenSide,
    TradeFill,
    balance_from_wire,
    book_from_wire,
    clob_market,
    created_order,
    error_for,
    get,
    is_no_order,
    not_canceled,
    order_answer_from_wire,
    order_from_wire,
    refusal_for,
    token_balance_from_wire,
    trade_fills,
)

__all__ = [
    "DEFAULT_GRID",
    "ENDPOINTS",
    "END_CURSOR",
    "INITIAL_CURSOR",
    "PolymarketAccount",
    "PolymarketClient",
    "PolymarketTrading",
]

_T = TypeVar("_T")

ENDPOINTS = {
    "create_order": "POST /order",
    "cancel_order": "DELETE /order",
    "get_order": "GET /data/order/{order_id}",
    "list_orders": "GET /data/orders",
    "list_fills": "GET /data/trades",
    "list_positions": "GET /balance-allowance (CONDITIONAL)",
    "get_balance": "GET /balance-allowance (COLLATERAL)",
    "get_orderbook": "GET /book",
    "list_markets": "GET /clob-markets/{condition_id}",
    "version": "GET /version",
    "heartbeat": "POST /v1/heartbeats",
}
"""Endpoint name (as in the rate limits) -> ``METHOD path`` for errors."""

INITIAL_CURSOR = "MA=="
END_CURSOR = "LTE="
"""The CLOB's first and past-the-last page cursors (TSV2 ``src/constants.ts``)."""

MAX_PAGES = 1_000
"""Pages followed before a list is refused: a venue whose cursor never ends."""

DEFAULT_GRID = PriceGrid(Decimal("0.01"))
"""A market's grid until it is known: Polymarket's most common tick."""

ALREADY_DONE = "already canceled or matched"
"""``not_canceled`` reason of an order that no longer rests (NT ``CANCEL_ALREADY_DONE``)."""

VERSION_MISMATCH = "order_version_mismatch"

KILLED_UNFILLED = (
    "no orders found to match with fak order",
    "order couldn't be fully filled",
)
"""The 400 answers (lower-cased) to a FAK that met no liquidity and a FOK that could not
fill whole: the order was killed with nothing filled, an outcome rather than an error.
Undocumented by Polymarket; the texts as public CLOB clients record and classify them
(e.g. "no orders found to match with FAK order. FAK orders are partially filled or
killed if no match is found.")."""
SIGNED_VERSION = 2
"""The exchange version a client signs for until ``order_version_mismatch`` says another."""

_ORDER_TYPES: Mapping[str, Literal["FAK", "GTC"]] = MappingProxyType(
    {
        "immediate_or_cancel": "FAK",
        "ioc": "FAK",
        "fak": "FAK",
        "good_till_canceled": "GTC",
        "gtc": "GTC",
    }
)


@attrs.frozen
class PolymarketAccount:
    """Who trades: the CLOB API credentials (L2), the wallet that signs orders, the
    journal file of signed orders, the ``signature_type`` (0 EOA, 1 proxy, 2 Gnosis
    safe) and the ``funder`` (the maker address holding the funds; None: the
    wallet's own address, as for an EOA). The repr shows no secret."""

    credentials: ApiCredentials
    wallet: LocalAccount = attrs.field(repr=False)
    journal_path: Path = attrs.field(converter=Path)
    signature_type: int = SignatureType.EOA
    funder: str | None = None
    chain_id: int = POLYGON

    @property
    def maker(self) -> str:
        return self.funder if self.funder is not None else str(self.wallet.address)


DUPLICATE = ("duplicated", "already exists")
"""Texts (lower-cased) of the 400 to an order the venue already holds: the very signed
order (same digest) landed before, though its answer was lost. Undocumented by
Polymarket; the simulator's "order 0x... is invalid. Duplicated." and the wording
the client's tests record. With such a refusal, a resent order that is neither live
nor traded was killed or cancelled with nothing filled: a finished order."""


def _duplicate(refusal: InvalidOrder | InsufficientBalance) -> bool:
    text = str(refusal).lower()
    return any(duplicate in text for duplicate in DUPLICATE)


def _killed_unfilled(refusal: InvalidOrder) -> bool:
    text = str(refusal).lower()
    return any(killed in text for killed in KILLED_UNFILLED)


class PolymarketClient:
    """Typed calls to the CLOB at ``config.rest_url`` for the ``markets`` it trades
    (condition id -> :class:`PolymarketMarket`), as ``account``. ``transport``
    replaces the network (``httpx.MockTransport`` in tests); ``clock`` gives unix
    seconds (the L2 timestamp and the order's ms timestamp)."""

    def __init__(
        self,
        config: ClientSettings,
        *,
        markets: Mapping[str, PolymarketMarket],
        account: PolymarketAccount,
        limiter: Limiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_rate_limit_wait: Callable[[str, float], None] | None = None,
        clock: Callable[[], float] = time.time,
        heartbeat_s: float | None = None,
    ) -> None:
        self.config = config
        self.account = account
        self.heartbeat_s = heartbeat_s
        self.limiter: Limiter = (
            limiter
            if limiter is not None
            else AllLimiters(RateLimiter(POLYMARKET_LIMITS), RateLimiter(config.rate_limits))
        )
        self._on_wait = on_rate_limit_wait
        self._clock = clock
        self._markets: dict[str, PolymarketMarket] = dict(markets)
        self._tokens = self._token_index()
        self._filled: dict[str, Decimal] = {}  # digest -> shares an answer said were filled
        self._heartbeat_id = ""
        self._version = SIGNED_VERSION  # the exchange version new orders are signed for
        self.journal = OrderJournal(account.journal_path)
        self._http = httpx.AsyncClient(
            base_url=config.rest_url.rstrip("/"),
            transport=transport,
            timeout=None,  # noqa: S113 - bounded by trio.fail_after in _call
        )

    def __repr__(self) -> str:
        return f"PolymarketClient({self.config.rest_url!r}, {len(self._markets)} markets)"

    async def __aenter__(self) -> PolymarketClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self.journal.close()
        await self._http.aclose()

    # -- orders ------------------------------------------------------------------------

    async def create_order(
        self, intent: OrderIntent, *, time_in_force: str = "immediate_or_cancel"
    ) -> VenueOrder:
        """Place ``intent`` (see the module docstring): the journalled signed order for
        its client order id if there is one, else a new one, signed and journalled
        first. Raises ``InvalidOrder`` before any request for an unknown market, a
        price off its grid, an unknown time in force, or a client order id journalled
        for another order."""
        cid = intent.client_order_id
        entry, resend = self._entry_for(intent, time_in_force)
        try:
            return await self._send(entry, intent)
        except (InvalidOrder, InsufficientBalance) as refusal:
            if VERSION_MISMATCH in str(refusal):
                return await self._resigned(entry, intent)
            if isinstance(refusal, InvalidOrder) and _killed_unfilled(refusal):
                self.journal.acknowledge(cid)  # the venue took it, and killed it
                return self._finished(entry, Decimal(0))
            if resend:  # a duplicate of a landed order? (its refusal text is undocumented)
                if _duplicate(refusal):  # the venue holds this very digest: it landed
                    self.journal.acknowledge(cid)
                found = await self.find_order(cid, ticker=intent.ticker)
                if found is not None:
                    return found.as_direction(intent.side, intent.action)
            raise

    async def find_order(
        self,
        client_order_id: str,
        *,
        ticker: str | None = None,  # noqa: ARG002 - the seam's; the journal knows the market
    ) -> VenueOrder | None:
        """The order signed for ``client_order_id``: live (``/data/order``) or as its
        trades show it; None if none was signed, or it was never acknowledged and has
        no trade (``ticker`` is known from the journal)."""
        entry = self.journal.get(client_order_id)
        if entry is None:
            return None
        live = await self._live_order(entry.digest, client_order_id)
        if live is not None:
            return live
        filled = await self._filled_shares(entry.digest, entry.ticker, client_order_id)
        if not filled and not entry.acknowledged:
            return None
        return self._finished(entry, filled)

    async def list_orders(
        self,
        *,
        client_order_id: str | None = None,
        status: str | None = None,
        since: float | None = None,
    ) -> list[VenueOrder]:
        """Every open order (all pages of ``GET /data/orders``: the venue lists only
        live ones, so ``status`` other than ``resting`` gives none), or those of
        ``client_order_id``. ``since`` is not applied: open orders are few, and
        listed in full."""
        del since
        if status not in (None, "resting"):
            return []
        params: dict[str, str] = {}
        if client_order_id is not None:
            entry = self.journal.get(client_order_id)
            if entry is None:
                return []
            params["id"] = entry.digest
        records = await self._pages("list_orders", "/data/orders", params, client_order_id)
        return [self._open_order("list_orders", record) for record in records]

    async def get_order(self, order_id: str) -> VenueOrder:
        """The order ``order_id``: live, or (one of ours) as its trades show it.
        Raises ``InvalidOrder`` for an order that is neither live nor journalled."""
        live = await self._live_order(order_id, None)
        if live is not None:
            return live
        entry = self.journal.by_digest(order_id)
        if entry is None:
            raise InvalidOrder(
                "not live and not signed here: unknown order", endpoint=ENDPOINTS["get_order"]
            )
        filled = await self._filled_shares(entry.digest, entry.ticker, entry.client_order_id)
        return self._finished(entry, filled)

    async def cancel_order(self, order: VenueOrder) -> VenueOrder:
        """Cancel the rest of ``order``; returns it afterwards as its trades show it
        (stated as ``order`` states it). "already canceled or matched" is no error;
        another ``not_canceled`` reason is ``InvalidOrder`` naming it."""
        cid = order.client_order_id
        body = json.dumps({"orderID": order.order_id}, separators=(",", ":"))
        _, answer = await self._call(
            "cancel_order",
            "DELETE",
            "/order",
            body=body,
            deadline=self.config.deadlines.cancel,
            client_order_id=cid,
        )
        reason = self._parse("cancel_order", lambda a: not_canceled(a, order.order_id), answer)
        if reason is not None and reason.lower() != ALREADY_DONE:
            raise InvalidOrder(
                f"not canceled: {reason[:200]}",
                endpoint=ENDPOINTS["cancel_order"],
                client_order_id=cid,
            )
        filled = await self._filled_shares(order.order_id, order.ticker, cid)
        if filled < order.fill_count:
            raise VenueServerError(
                f"trades list {filled} of the {order.fill_count} shares filled: not all listed",
                status=200,
                endpoint=ENDPOINTS["list_fills"],
                client_order_id=cid,
            )
        status = "executed" if filled >= order.initial_count else "canceled"
        return attrs.evolve(order, status=status, fill_count=filled, remaining_count=Decimal(0))

    # -- portfolio and market data -----------------------------------------------------

    async def list_fills(
        self, *, order_id: str | None = None, since: float | None = None
    ) -> list[Fill]:
        """Our fills (every page of ``GET /data/trades``), or those of ``order_id``
        (only its market's trades are read when it is journalled); with ``since``
        (Unix seconds), the trades ``after`` it (:func:`after_param`)."""
        params: dict[str, str] = {}
        if since is not None:
            params["after"] = str(after_param(since))
        entry = self.journal.by_digest(order_id) if order_id is not None else None
        if entry is not None:
            params["market"] = entry.ticker
        fills = await self._trade_fills(params, entry.client_order_id if entry else None)
        if order_id is not None:
            fills = [f for f in fills if f.order_id.lower() == order_id.lower()]
            total = sum((f.fill.count for f in fills), Decimal(0))
            if total < self._filled.get(order_id.lower(), Decimal(0)):
                raise VenueServerError(
                    f"trades list {total} of the {self._filled[order_id.lower()]} shares filled",
                    status=200,
                    endpoint=ENDPOINTS["list_fills"],
                )
        return [f.fill for f in fills]

    async def list_positions(self) -> list[VenuePosition]:
        """Each traded market's YES minus NO shares held (see the module docstring);
        markets holding neither are left out."""
        positions = []
        for market in self._markets.values():
            yes = await self._token_balance(market.yes_token)
            no = await self._token_balance(market.no_token)
            if yes or no:
                zero = Decimal(0)
                positions.append(
                    VenuePosition(market.condition_id, EXACT.subtract(yes, no), zero, zero, zero)
                )
        return positions

    async def get_balance(self) -> Decimal:
        """Free pUSD in dollars."""
        params = {"asset_type": "COLLATERAL", "signature_type": str(self.account.signature_type)}
        _, answer = await self._call(
            "get_balance",
            "GET",
            "/balance-allowance",
            params=params,
            deadline=self.config.deadlines.query,
        )
        return self._parse("get_balance", balance_from_wire, answer)

    async def get_orderbook(self, ticker: str) -> VenueBook:
        """The market's book from its YES token's (``GET /book``): YES bids, and NO bids
        = YES asks at ``1 - price``."""
        market = self._market(ticker, "get_orderbook")
        _, answer = await self._call(
            "get_orderbook",
            "GET",
            "/book",
            params={"token_id": market.yes_token},
            deadline=self.config.deadlines.query,
            auth=False,
        )
        return self._parse("get_orderbook", book_from_wire, answer)

    async def list_markets(self) -> Mapping[str, PriceGrid]:
        """Every traded market's grid, its tick and negative-risk flag re-read from
        ``GET /clob-markets/{condition_id}`` (``mts``, ``nr``; tokens checked)."""
        for cid, market in list(self._markets.items()):
            _, answer = await self._call(
                "list_markets",
                "GET",
                f"/clob-markets/{cid}",
                deadline=self.config.deadlines.query,
                auth=False,
            )
            self._markets[cid] = self._parse(
                "list_markets", functools.partial(clob_market, market=market), answer
            )
        return MappingProxyType({cid: self.grid(cid) for cid in self._markets})

    def grid(self, ticker: str) -> PriceGrid:
        """The market's grid: its tick, ``[tick, 1 - tick]``; :data:`DEFAULT_GRID` for a
        market this client does not trade."""
        market = self._markets.get(ticker)
        if market is None:
            return DEFAULT_GRID
        return PriceGrid(market.tick, ticker=ticker)

    @property
    def markets(self) -> Mapping[str, PolymarketMarket]:
        return MappingProxyType(self._markets)

    async def serve(self) -> None:
        """The dead-man switch while the client is open: :meth:`heartbeat` every
        ``heartbeat_s`` (None: none, e.g. no order will rest). A failed heartbeat is
        logged and retried at the next beat; should they keep failing, the venue
        cancels every open order of the account, which is the switch's purpose."""
        if self.heartbeat_s is None:
            await trio.sleep_forever()
        while True:
            await trio.sleep(self.heartbeat_s)
            try:
                await self.heartbeat()
            except VenueError as error:
                logger.bind(event="heartbeat_failed", error=type(error).__name__).warning(
                    "polymarket: the dead-man heartbeat failed: {}", error
                )

    async def lists_complete_since(self) -> str | None:
        """Polymarket's open orders and trades lists keep everything: None."""
        return None

    async def heartbeat(self) -> None:
        """One dead-man heartbeat (``POST /v1/heartbeats`` with the id of the last
        answer, ``""`` at first). Stopping them makes the venue cancel every open
        order of the account (see the module docstring)."""
        body = json.dumps({"heartbeat_id": self._heartbeat_id}, separators=(",", ":"))
        _, answer = await self._call(
            "heartbeat", "POST", "/v1/heartbeats", body=body, deadline=self.config.deadlines.query
        )
        if isinstance(answer, dict) and isinstance(answer.get("heartbeat_id"), str):
            self._heartbeat_id = answer["heartbeat_id"]

    # -- orders: plumbing --------------------------------------------------------------

    def _entry_for(self, intent: OrderIntent, time_in_force: str) -> tuple[JournalEntry, bool]:
        """The journalled order of ``intent`` (and True: it was signed before), or a new
        one signed and journalled now (and False)."""
        cid = intent.client_order_id
        label = ENDPOINTS["create_order"]
        order_type = _ORDER_TYPES.get(time_in_force.lower())
        if order_type is None:
            raise InvalidOrder(
                f"not sent: unknown time in force {time_in_force!r}",
                endpoint=label,
                client_order_id=cid,
            )
        stored = self.journal.get(cid)
        if stored is not None:
            if (stored.ticker, stored.side, stored.action, stored.price, stored.count) != (
                intent.ticker,
                intent.side.value,
                intent.action.value,
                intent.price,
                intent.count,
            ):
                raise InvalidOrder(
                    "not sent: the client order id was signed for another order",
                    endpoint=label,
                    client_order_id=cid,
                )
            return stored, True
        market = self._market(intent.ticker, "create_order", cid)
        token = market.yes_token if intent.side is Side.YES else market.no_token
        side: Literal["BUY", "SELL"] = "BUY" if intent.action is Action.BUY else "SELL"
        try:
            price = self.grid(intent.ticker).check(intent.price, f"{intent.side.value}_price")
            maker_amount, taker_amount = order_amounts(side, intent.count, price, market.tick)
            order = OrderV2(
                salt=deterministic_salt(cid),
                maker=self.account.maker,
                signer=self.account.wallet.address,
                token_id=token,
                maker_amount=maker_amount,
                taker_amount=taker_amount,
                side=BUY if side == "BUY" else SELL,
                signature_type=self.account.signature_type,
                timestamp_ms=int(self._clock() * 1000),
            )
            signed = sign_order(
                order,
                self.account.wallet,
                neg_risk=market.neg_risk,
                chain_id=self.account.chain_id,
                version=self._version,
            )
            wire = order_json(signed, owner_api_key=self.account.credentials.api_key)
        except (InvalidFieldError, ValueError) as error:
            raise InvalidOrder(
                f"not sent: {intent.ticker}: {error}", endpoint=label, client_order_id=cid
            ) from None
        entry = JournalEntry(
            client_order_id=cid,
            digest=signed.digest,
            ticker=intent.ticker,
            token_id=token,
            side=intent.side.value,
            action=intent.action.value,
            price=intent.price,
            count=intent.count,
            order_type=order_type,
            signed_order=json.dumps(wire["order"], separators=(",", ":")),
            version=self._version,
        )
        stored = self.journal.record(entry)
        return stored, stored.digest != entry.digest

    def _order_body(self, entry: JournalEntry) -> str:
        """``POST /order``'s body for the journalled order, serialised once."""
        return json.dumps(
            {
                "order": json.loads(entry.signed_order),
                "owner": self.account.credentials.api_key,
                "orderType": entry.order_type,
                "deferExec": False,
                "postOnly": False,
            },
            separators=(",", ":"),
        )

    def _refusal(self, error_msg: str, cid: str) -> VenueError:
        text = f"refused: {error_msg[:200]}" if error_msg else "refused without a reason"
        return refusal_for(error_msg, text, endpoint=ENDPOINTS["create_order"], client_order_id=cid)

    async def _send(self, entry: JournalEntry, intent: OrderIntent) -> VenueOrder:
        """``POST /order`` of the journalled ``entry``; the order it made, or the typed
        refusal (``InvalidOrder``, ``InsufficientBalance``), or ``DigestMismatch``."""
        cid = entry.client_order_id
        _, answer = await self._call(
            "create_order",
            "POST",
            "/order",
            body=self._order_body(entry),
            deadline=self.config.deadlines.submit,
            client_order_id=cid,
        )
        parsed = self._parse("create_order", order_answer_from_wire, answer, cid)
        if not parsed.success:
            raise self._refusal(parsed.error_msg, cid)
        if parsed.order_id and parsed.order_id.lower() != entry.digest.lower():
            raise DigestMismatch(
                venue_order_id=parsed.order_id,
                digest=entry.digest,
                endpoint=ENDPOINTS["create_order"],
                client_order_id=cid,
            )
        self.journal.acknowledge(cid)
        order = self._parse(
            "create_order",
            lambda a: created_order(
                a,
                digest=entry.digest,
                client_order_id=cid,
                ticker=intent.ticker,
                side=intent.side,
                action=intent.action,
                price=intent.price,
                count=intent.count,
                order_type=entry.order_type,
            ),
            parsed,
            cid,
        )
        self._note_filled(order.order_id, order.fill_count)
        return order

    async def _resigned(self, entry: JournalEntry, intent: OrderIntent) -> VenueOrder:
        """After ``order_version_mismatch`` for ``entry``: re-read ``GET /version``; for a
        version this client signs and ``entry`` is not signed for, the same order (same
        salt, amounts, timestamp) signed for it replaces ``entry`` in the journal, durably,
        before it is sent once (module docstring). First, the leg's order is looked up
        by the old digest: had it landed after all, it is the answer and nothing is
        re-signed. Raises ``InvalidOrder`` naming the version when it cannot re-sign, or
        when the re-signed order is refused as mismatched too (never a loop)."""
        cid = entry.client_order_id
        version = await self._exchange_version(cid)
        if not isinstance(version, int) or version not in SIGNABLE_VERSIONS:
            why = f"this client signs versions {', '.join(map(str, SIGNABLE_VERSIONS))} only"
        elif version == entry.version:
            why = "the order is already signed for it"
        else:
            why = ""
        if why or not isinstance(version, int):
            raise InvalidOrder(
                f"{VERSION_MISMATCH}: the venue's exchange version is {version!r}; {why}:"
                " not re-sent",
                endpoint=ENDPOINTS["create_order"],
                client_order_id=cid,
            )
        found = await self.find_order(cid, ticker=intent.ticker)
        if found is not None:
            return found.as_direction(intent.side, intent.action)
        resigned = self._signed_for(entry, version)
        self.journal.replace(resigned)  # durable before it is sent: the old one was refused
        self._version = version
        logger.bind(event="order_resigned", client_order_id=cid, version=version).warning(
            "{}: {} re-signed for exchange version {} after {} (order id {} -> {})",
            ENDPOINTS["create_order"],
            cid,
            version,
            VERSION_MISMATCH,
            entry.digest,
            resigned.digest,
        )
        try:
            return await self._send(resigned, intent)
        except (InvalidOrder, InsufficientBalance) as refusal:
            if VERSION_MISMATCH in str(refusal):
                raise InvalidOrder(
                    f"{VERSION_MISMATCH} again after re-signing for exchange version"
                    f" {version}: not re-sent",
                    endpoint=ENDPOINTS["create_order"],
                    client_order_id=cid,
                ) from None
            raise

    async def _exchange_version(self, cid: str) -> object:
        """``GET /version``'s ``version`` (2 when absent, as the official clients read it)."""
        _, answer = await self._call(
            "version",
            "GET",
            "/version",
            deadline=self.config.deadlines.query,
            client_order_id=cid,
            auth=False,
        )
        return answer.get("version", SIGNED_VERSION) if isinstance(answer, dict) else None

    def _signed_for(self, entry: JournalEntry, version: int) -> JournalEntry:
        """``entry``'s order, unchanged but signed for exchange ``version``: a new digest."""
        market = self._market(entry.ticker, "create_order", entry.client_order_id)
        try:
            order = order_from_json(json.loads(entry.signed_order))
            signed = sign_order(
                order,
                self.account.wallet,
                neg_risk=market.neg_risk,
                chain_id=self.account.chain_id,
                version=version,
            )
        except ValueError as error:
            raise InvalidOrder(
                f"not re-signed for exchange version {version}: {error}",
                endpoint=ENDPOINTS["create_order"],
                client_order_id=entry.client_order_id,
            ) from None
        wire = order_json(signed, owner_api_key=self.account.credentials.api_key)
        return attrs.evolve(
            entry,
            digest=signed.digest,
            signed_order=json.dumps(wire["order"], separators=(",", ":")),
            acknowledged=False,
            version=version,
        )

    async def _live_order(self, digest: str, cid: str | None) -> VenueOrder | None:
        _, answer = await self._call(
            "get_order",
            "GET",
            f"/data/order/{digest}",
            deadline=self.config.deadlines.query,
            client_order_id=cid,
            accept=(404,),
        )
        if is_no_order(answer):
            return None
        return self._open_order("get_order", answer)

    def _open_order(self, endpoint: str, record: Any) -> VenueOrder:
        order_id = record.get("id") if isinstance(record, dict) else None
        entry = self.journal.by_digest(order_id) if isinstance(order_id, str) else None
        return self._parse(
            endpoint,
            lambda r: order_from_wire(
                r,
                self._tokens,
                client_order_id=entry.client_order_id if entry else None,
                signed_count=entry.count if entry else None,
            ),
            record,
        )

    def _finished(self, entry: JournalEntry, filled: Decimal) -> VenueOrder:
        if filled > entry.count:
            raise VenueServerError(
                f"malformed answer: trades fill {filled} of a {entry.count}-share order",
                status=200,
                endpoint=ENDPOINTS["list_fills"],
                client_order_id=entry.client_order_id,
            )
        return VenueOrder(
            order_id=entry.digest,
            client_order_id=entry.client_order_id,
            ticker=entry.ticker,
            side=Side(entry.side),
            action=Action(entry.action),
            status="executed" if filled == entry.count else "canceled",
            price=entry.price,
            initial_count=entry.count,
            fill_count=filled,
            remaining_count=Decimal(0),
        )

    def _note_filled(self, order_id: str, filled: Decimal) -> None:
        key = order_id.lower()
        self._filled[key] = max(self._filled.get(key, Decimal(0)), filled)

    async def _filled_shares(self, digest: str, ticker: str, cid: str | None) -> Decimal:
        """Shares of ``digest`` its market's trades fill; fewer than an answer already
        reported is ``VenueServerError`` (not all listed yet: transient)."""
        fills = await self._trade_fills({"market": ticker}, cid)
        total = Decimal(0)
        for found in fills:
            if found.order_id.lower() == digest.lower():
                total = EXACT.add(total, found.fill.count)
        known = self._filled.get(digest.lower(), Decimal(0))
        if total < known:
            raise VenueServerError(
                f"trades list {total} of the {known} shares filled: not all listed yet",
                status=200,
                endpoint=ENDPOINTS["list_fills"],
                client_order_id=cid,
            )
        self._note_filled(digest, total)
        return total

    async def _trade_fills(self, params: dict[str, str], cid: str | None) -> list[TradeFill]:
        records = await self._pages("list_fills", "/data/trades", params, cid)
        maker = self.account.maker.lower()
        api_key = self.account.credentials.api_key

        def ours(order_id: str, record: dict[str, Any]) -> bool:
            return (
                self.journal.by_digest(order_id) is not None
                or record.get("owner") == api_key
                or str(record.get("maker_address", "")).lower() == maker
            )

        def client_id(order_id: str) -> str | None:
            entry = self.journal.by_digest(order_id)
            return entry.client_order_id if entry else None

        fills: list[TradeFill] = []
        for record in records:
            fills.extend(
                self._parse(
                    "list_fills",
                    lambda r: trade_fills(r, self._tokens, ours=ours, client_order_id=client_id),
                    record,
                    cid,
                )
            )
        return fills

    async def _token_balance(self, token: str) -> Decimal:
        params = {
            "asset_type": "CONDITIONAL",
            "token_id": token,
            "signature_type": str(self.account.signature_type),
        }
        _, answer = await self._call(
            "list_positions",
            "GET",
            "/balance-allowance",
            params=params,
            deadline=self.config.deadlines.query,
        )
        return self._parse("list_positions", token_balance_from_wire, answer)

    # -- plumbing ----------------------------------------------------------------------

    def _token_index(self) -> dict[str, TokenSide]:
        index: dict[str, TokenSide] = {}
        for cid, market in self._markets.items():
            index[market.yes_token] = TokenSide(cid, Side.YES)
            index[market.no_token] = TokenSide(cid, Side.NO)
        return index

    def _market(self, ticker: str, endpoint: str, cid: str | None = None) -> PolymarketMarket:
        market = self._markets.get(ticker)
        if market is None:
            raise InvalidOrder(
                f"not sent: {ticker!r} is not a market this client trades",
                endpoint=ENDPOINTS[endpoint],
                client_order_id=cid,
            )
        return market

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
        self, endpoint: str, path: str, params: Mapping[str, str], cid: str | None = None
    ) -> list[Any]:
        """Every record under ``data`` of every page of ``GET path``, from cursor
        ``MA==`` until ``LTE=`` (or an empty cursor)."""
        records: list[Any] = []
        cursor = INITIAL_CURSOR
        seen = {cursor}
        for _page in range(MAX_PAGES):
            _, answer = await self._call(
                endpoint,
                "GET",
                path,
                params={**params, "next_cursor": cursor},
                deadline=self.config.deadlines.query,
                client_order_id=cid,
            )
            records.extend(self._parse(endpoint, lambda a: get(a, "data", list), answer, cid))
            following = answer.get("next_cursor") if isinstance(answer, dict) else None
            if following in (END_CURSOR, "", None):
                return records
            if not isinstance(following, str) or following in seen:
                raise VenueServerError(
                    f"malformed answer: bad cursor {following!r}",
                    status=200,
                    endpoint=ENDPOINTS[endpoint],
                    client_order_id=cid,
                )
            seen.add(following)
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
        body: str | None = None,
        client_order_id: str | None = None,
        accept: tuple[int, ...] = (),
        auth: bool = True,
    ) -> tuple[int, Any]:
        """One request: rate limit, L2 headers over ``body`` exactly as sent,
        deadline, error mapping. Returns (status, JSON with exact decimals)."""
        label = ENDPOINTS[endpoint]
        content = body.encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else {}
        if auth:
            headers.update(
                l2_headers(
                    self.account.credentials,
                    str(self.account.wallet.address),
                    method,
                    path,
                    body,
                    int(self._clock()),
                )
            )
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
            content=content,
            headers=headers,
        )
        try:
            answer = json.loads(response.content, parse_float=Decimal) if response.content else None
        except ValueError:
            answer = None
        status = response.status_code
        if 200 <= status < 300 or status in accept:
            return status, answer
        failure = error_for(
            status,
            answer,
            endpoint=label,
            client_order_id=client_order_id,
            retry_after=response.headers.get("retry-after"),
        )
        if isinstance(failure, VenueRateLimited) and failure.retry_after > 0:
            self.limiter.defer(endpoint, failure.retry_after)
        raise failure


def _frozen(markets: Mapping[str, PolymarketMarket]) -> Mapping[str, PolymarketMarket]:
    return MappingProxyType(dict(markets))


@attrs.frozen
class PolymarketTrading:
    """Polymarket's trading side of the venue seam (:class:`~actors.venues.TradingVenue`):
    every client it opens trades ``markets`` as ``account``."""

    markets: Mapping[str, PolymarketMarket] = attrs.field(converter=_frozen)
    account: PolymarketAccount
    limiter_factory: Callable[[], Limiter] | None = attrs.field(default=None, repr=False)
    transport: httpx.AsyncBaseTransport | None = attrs.field(default=None, repr=False)
    clock: Callable[[], float] = attrs.field(default=time.time, repr=False)
    heartbeat_s: float | None = 5.0

    @property
    def default_grid(self) -> PriceGrid:
        return DEFAULT_GRID

    def open_client(
        self,
        settings: ClientSettings,
        *,
        on_rate_limit_wait: Callable[[str, float], None] | None = None,
    ) -> PolymarketClient:
        limiter = self.limiter_factory() if self.limiter_factory is not None else None
        return PolymarketClient(
            settings,
            markets=self.markets,
            account=self.account,
            limiter=limiter,
            transport=self.transport,
            on_rate_limit_wait=on_rate_limit_wait,
            clock=self.clock,
            heartbeat_s=self.heartbeat_s,
        )


def after_param(since: float) -> int:
    """The ``after`` (whole Unix seconds) of ``GET /data/trades`` that lists every
    trade matched at or after ``since``. The parameter is the official clients'
    (py-clob-client ``TradeParams.after``, sent as given); neither they nor the
    fact sheet say which time it compares or whether its edge is in, so the bound
    is the second before ``since`` rounded down (a second's trades too many at
    worst: fills are recorded by id, so a repeat is a no-op)."""
    return max(0, math.floor(since) - 1)
