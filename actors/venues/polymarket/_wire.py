"""Polymarket's CLOB JSON, read strictly: order answers, open orders, trades, books.

Money arrives as decimal strings: prices (``"0.5"``, ``"0.5000"``: at most 4
decimals, inside ``(0, 1)``) and share sizes (``"100.0000"``, ``"192.3"``: at
most 6 decimals) as the recorded responses send them
(/work/shared/venues/polymarket/frames/); the collateral balance in 6-decimal
base units (``"1000000000"`` is $1000). A JSON number where a string is
required, a malformed string or a missing field raises :class:`Malformed`
naming the field and the record; the client turns it into a
:class:`~actors.errors.VenueServerError` (fail closed, like any unreadable
answer). :func:`error_for` maps a non-2xx answer onto the typed venue errors
(table in :mod:`._client`).

Statuses:

- ``POST /order`` (lowercase, TSV2 ``OrderResponse``; docs "post a new order"):
  ``live`` rests; ``matched`` filled at once: all of it is ``executed``, part of
  it is ``canceled`` for a FAK (the venue kills the rest) and ``resting`` for a
  GTC; ``delayed`` (a marketable order held by the matching delay) and
  ``unmatched`` (marketable, the delay failed, placement successful) are
  ``resting`` with nothing filled yet: not final, so the caller's settle cancels
  them and reads the trades; so is an answer without ``status`` (the recorded
  ``http_order_response_ok`` has none). Filled shares are ``takingAmount`` of a BUY and
  ``makingAmount`` of a SELL (read as decimal shares, ``""`` = 0); more than the
  order's size is refused as malformed (it cannot be shares).
- Open orders (``GET /data/order/{id}``, ``/data/orders``; OpenAPI enum
  ``ORDER_STATUS_*``, recorded short forms ``LIVE``/``MATCHED``):
  LIVE/DELAYED/UNMATCHED rest; MATCHED is executed; CANCELED,
  CANCELED_MARKET_RESOLVED and INVALID are canceled.
- Trades: every status but ``FAILED`` counts as filled (MATCHED, MINED,
  CONFIRMED, RETRYING: NT doc "Trades").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from actors.domain import Action, Fill, Side
from actors.errors import (
    CriticalVenueError,
    InsufficientBalance,
    InvalidFieldError,
    InvalidOrder,
    VenueAuthError,
    VenueError,
    VenueRateLimited,
    VenueServerError,
    VenueTradingHalted,
)
from actors.money import EXACT, ONE, LotSize, PolymarketFees, PriceGrid, parse_price, parse_size
from actors.venues._trading import VenueBook, VenueOrder
from actors.venues._wire import Malformed, get, naming, retry_after_seconds
from actors.venues.polymarket._markets import TICKS, PolymarketMarket

__all__ = [
    "FAILED_TRADE",
    "TRADING_HALTED",
    "DigestMismatch",
    "Malformed",
    "OrderAnswer",
    "TokenSide",
    "TradeFill",
    "TradingHalted",
    "balance_from_wire",
    "book_from_wire",
    "clob_market",
    "error_for",
    "get",
    "is_no_order",
    "not_canceled",
    "order_answer_from_wire",
    "order_from_wire",
    "refusal_for",
    "token_balance_from_wire",
    "trade_fills",
]

_WIRE_PRICES = PriceGrid(Decimal("0.0001"), places=4)
_WIRE_SIZES = LotSize(Decimal("0.000001"), places=6)
_BASE_UNITS = Decimal(10) ** 6
_INTEGER = re.compile(r"0|[1-9][0-9]{0,30}")

FAILED_TRADE = "FAILED"
"""The one trade status that moved nothing (TSV2 ``FAILED_TRADE_STATUS``)."""

_ORDER_STATUSES = {
    "LIVE": "resting",
    "DELAYED": "resting",
    "UNMATCHED": "resting",
    "MATCHED": "executed",
    "CANCELED": "canceled",
    "CANCELED_MARKET_RESOLVED": "canceled",
    "INVALID": "canceled",
}

TRADING_HALTED = (
    "trading is currently disabled",
    "trading is currently cancel-only",
)
"""The starts of the 503 texts of a venue-wide halt (docs: resources/error-codes)."""

_NO_MONEY = ("not enough balance", "insufficient balance")
"""Order refusals for lack of funds: ``not enough balance / allowance`` (NT doc, NT
responses.rs tests) and the recorded ``Insufficient balance``."""


class DigestMismatch(CriticalVenueError):
    """The venue accepted an order under an id that is not the digest we signed: our
    lookups by digest cannot find it, so trading halts for an operator (the order
    may be live under ``venue_order_id``)."""

    def __init__(
        self, *, venue_order_id: str, digest: str, endpoint: str, client_order_id: str
    ) -> None:
        super().__init__(
            f"the venue's orderID {venue_order_id[:80]!r} is not the signed order's digest"
            f" {digest!r}: the order may be live under the venue's id",
            endpoint=endpoint,
            client_order_id=client_order_id,
        )
        self.venue_order_id = venue_order_id
        self.digest = digest


TradingHalted = VenueTradingHalted
"""503 "Trading is currently disabled…" / "…cancel-only…": the venue-wide halt, raised
as :class:`~actors.errors.VenueTradingHalted` itself (risk knows it by that class
name; ``cancel_only`` says which of the two). The name stays for this package's
callers."""


@attrs.frozen
class TokenSide:
    """Which market and side an outcome token is."""

    ticker: str
    side: Side


# -- reading -----------------------------------------------------------------------------


def _checked(key: str, value: object, parse: Callable[[object], Decimal]) -> Decimal:
    try:
        return parse(value)
    except InvalidFieldError as error:
        raise Malformed(f"{key!r} {error.rule}, got {value!r}") from None


def _trim(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (``40``, ``0.5``)."""
    if value == value.to_integral_value():
        return value.quantize(ONE)
    return value.normalize(EXACT)


def _price(record: Any, key: str = "price") -> Decimal:
    value = get(record, key, str)
    return _trim(_checked(key, value, lambda v: parse_price(v, _WIRE_PRICES)))


def _size(record: Any, key: str) -> Decimal:
    value = get(record, key, str)
    return _trim(_checked(key, value, lambda v: parse_size(v, _WIRE_SIZES)))


def _action(record: Any, key: str = "side") -> Action:
    value = get(record, key, str)
    if value not in ("BUY", "SELL"):
        raise Malformed(f"{key!r} is not BUY or SELL: {value!r}")
    return Action.BUY if value == "BUY" else Action.SELL


def _token_side(
    record: Any, tokens: Mapping[str, TokenSide], *, asset_key: str = "asset_id"
) -> TokenSide:
    """The market and side of ``record``'s token: from the markets the client trades,
    else from its ``market`` (condition id) and ``outcome`` (``Yes``/``No``)."""
    token = get(record, asset_key, str)
    known = tokens.get(token)
    if known is not None:
        return known
    outcome = get(record, "outcome", str).lower()
    if outcome not in ("yes", "no"):
        raise Malformed(f"token {token!r} of no known market has outcome {outcome!r}")
    return TokenSide(get(record, "market", str), Side(outcome))


# -- orders ------------------------------------------------------------------------------


@attrs.frozen
class OrderAnswer:
    """``POST /order``'s answer: ``success`` with ``order_id``, ``status`` and the
    amounts as sent, or a refusal with ``error_msg``."""

    success: bool
    error_msg: str
    order_id: str
    status: str
    making: str
    taking: str


def order_answer_from_wire(answer: Any) -> OrderAnswer:
    """Read ``POST /order``'s answer; absent or null optional fields are empty."""
    if not isinstance(answer, dict):
        raise Malformed(f"order answer is not an object: {answer!r}")
    success = get(answer, "success", bool)

    def text(key: str) -> str:
        value = answer.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise Malformed(f"{key!r} is not a string: {value!r}")
        return value

    return OrderAnswer(
        success=success,
        error_msg=text("errorMsg"),
        order_id=text("orderID"),
        status=text("status"),
        making=text("makingAmount"),
        taking=text("takingAmount"),
    )


def created_order(
    answer: OrderAnswer,
    *,
    digest: str,
    client_order_id: str,
    ticker: str,
    side: Side,
    action: Action,
    price: Decimal,
    count: Decimal,
    order_type: str,
) -> VenueOrder:
    """The order a successful ``POST /order`` answer describes (see the module
    docstring for the statuses); raises :class:`Malformed` for an order id that is
    not our digest, an unknown status or amounts that are not shares of it (the
    caller checks the id first: :class:`DigestMismatch`)."""
    status = answer.status.lower()
    if status not in ("", "live", "matched", "delayed", "unmatched"):
        raise Malformed(f"unknown order status {answer.status!r}")
    key, amount = (
        ("takingAmount", answer.taking)
        if action is Action.BUY
        else (
            "makingAmount",
            answer.making,
        )
    )
    filled = Decimal(0)
    if amount:
        filled = _trim(_checked(key, amount, lambda v: parse_size(v, _WIRE_SIZES)))
    if filled > count:
        raise Malformed(f"{key} {amount!r} is more than the order's {count} shares")
    if status == "matched" and not filled:
        raise Malformed(f"status matched with {key} {amount!r}")
    if filled == count:
        state = "executed"
    elif status == "matched" and order_type != "GTC":
        state = "canceled"  # FAK/FOK: the venue killed the rest
    else:
        state = "resting"
    return VenueOrder(
        order_id=digest,
        client_order_id=client_order_id,
        ticker=ticker,
        side=side,
        action=action,
        status=state,
        price=price,
        initial_count=count,
        fill_count=filled,
        remaining_count=count - filled if state == "resting" else Decimal(0),
    )


def is_no_order(answer: Any) -> bool:
    """``GET /data/order/{id}``'s answer for an order that is not live: empty, null,
    ``{}`` or an empty string (the venue lists only live orders)."""
    return answer in (None, "", {}) or (isinstance(answer, dict) and not answer.get("id"))


def order_from_wire(
    record: Any,
    tokens: Mapping[str, TokenSide],
    *,
    client_order_id: str | None = None,
    signed_count: Decimal | None = None,
) -> VenueOrder:
    """An open order (``OpenOrder``); ``signed_count`` (our journal's size, when the
    order is ours) must equal ``original_size``: a size in other units (the OpenAPI
    page says "fixed-math with 6 decimals", the recorded answers decimal shares) is
    refused rather than guessed. Raises :class:`Malformed` naming the order."""
    try:
        return _order(record, tokens, client_order_id, signed_count)
    except Malformed as error:
        raise Malformed(f"{naming(record, 'order', 'id')}: {error}") from None


def _order(
    record: Any,
    tokens: Mapping[str, TokenSide],
    client_order_id: str | None,
    signed_count: Decimal | None,
) -> VenueOrder:
    where = _token_side(record, tokens)
    raw = get(record, "status", str).upper().removeprefix("ORDER_STATUS_")
    status = _ORDER_STATUSES.get(raw)
    if status is None:
        raise Malformed(f"unknown order status {record['status']!r}")
    initial = _size(record, "original_size")
    filled = _size(record, "size_matched")
    if signed_count is not None and initial != signed_count:
        raise Malformed(f"original_size {initial} is not the signed order's {signed_count} shares")
    if filled > initial:
        raise Malformed(f"size_matched {filled} > original_size {initial}")
    return VenueOrder(
        order_id=get(record, "id", str),
        client_order_id=client_order_id,
        ticker=where.ticker,
        side=where.side,
        action=_action(record),
        status=status,
        price=_price(record),
        initial_count=initial,
        fill_count=filled,
        remaining_count=initial - filled if status == "resting" else Decimal(0),
        cancel_reason=None if status != "canceled" else raw.lower(),
    )


# -- trades ------------------------------------------------------------------------------


@attrs.frozen
class TradeFill:
    """One of our fills in a trade, with the venue order id it belongs to."""

    order_id: str
    fill: Fill


def trade_fills(
    record: Any,
    tokens: Mapping[str, TokenSide],
    *,
    ours: Callable[[str, dict[str, Any]], bool],
    client_order_id: Callable[[str], str | None],
) -> list[TradeFill]:
    """Our fills in one ``/data/trades`` record (none for a ``FAILED`` trade).

    As taker (``trader_side`` TAKER: the venue lists the trade from our side, so
    its taker order is ours): one fill of ``taker_order_id``, ``size`` at ``price``
    on ``asset_id``, id = the trade id, fee = the taker fee at the trade's
    ``fee_rate_bps`` (:func:`taker_fee`). As maker: one fill per ``maker_orders``
    entry that ``ours(order_id, entry)`` claims, ``matched_amount`` at its
    ``price`` on its ``asset_id``, id = ``<trade id>:<order id>``, fee 0 (makers pay
    none: polymarket.md §5). ``client_order_id(order_id)`` names the order's client
    id (``venue-<order id>`` when None). Raises :class:`Malformed` naming the trade.
    """
    try:
        return _trade(record, tokens, ours, client_order_id)
    except (Malformed, ValueError) as error:
        raise Malformed(f"{naming(record, 'trade', 'id', 'taker_order_id')}: {error}") from None


def _trade(
    record: Any,
    tokens: Mapping[str, TokenSide],
    ours: Callable[[str, dict[str, Any]], bool],
    client_order_id: Callable[[str], str | None],
) -> list[TradeFill]:
    trade_id = get(record, "id", str)
    if get(record, "status", str).upper() == FAILED_TRADE:
        return []
    role = get(record, "trader_side", str).upper()
    fills: list[TradeFill] = []
    if role == "TAKER":
        order_id = get(record, "taker_order_id", str)
        price, size = _price(record), _size(record, "size")
        fee = taker_fee(get(record, "fee_rate_bps", str), size, price)
        fills.append(_fill(trade_id, order_id, record, tokens, (price, size, fee), client_order_id))
    elif role == "MAKER":
        makers = get(record, "maker_orders", list)
        for entry in makers:
            order_id = get(entry, "order_id", str)
            if not ours(order_id, entry):
                continue
            amounts = (_price(entry), _size(entry, "matched_amount"), Decimal(0))
            entry_in_market = {"market": get(record, "market", str), **entry}
            fills.append(
                _fill(
                    f"{trade_id}:{order_id}",
                    order_id,
                    entry_in_market,
                    tokens,
                    amounts,
                    client_order_id,
                )
            )
    else:
        raise Malformed(f"trader_side is not TAKER or MAKER: {role!r}")
    return fills


def _fill(  # noqa: PLR0917 - private, called twice
    fill_id: str,
    order_id: str,
    record: dict[str, Any],
    tokens: Mapping[str, TokenSide],
    amounts: tuple[Decimal, Decimal, Decimal],
    client_order_id: Callable[[str], str | None],
) -> TradeFill:
    price, size, fee = amounts
    where = _token_side(record, tokens)
    return TradeFill(
        order_id,
        Fill(
            fill_id=fill_id,
            client_order_id=client_order_id(order_id) or f"venue-{order_id}",
            ticker=where.ticker,
            side=where.side,
            action=_action(record),
            price=price,
            count=size,
            fee=fee,
        ),
    )


def taker_fee(fee_rate_bps: str, size: Decimal, price: Decimal) -> Decimal:
    """The taker fee of ``size`` shares at ``price``: ``size x rate x p x (1 - p)`` with
    ``rate = fee_rate_bps / 10000`` (the rate the trade applied: NT
    ``compute_commission`` notes), rounded up to $0.00001
    (:class:`~actors.money.PolymarketFees`, exponent 1)."""
    if not _INTEGER.fullmatch(fee_rate_bps):
        raise Malformed(f"'fee_rate_bps' is not an integer string: {fee_rate_bps!r}")
    rate = EXACT.divide(Decimal(fee_rate_bps), Decimal(10_000))
    if not rate:
        return Decimal(0)
    if rate >= 1:
        raise Malformed(f"'fee_rate_bps' {fee_rate_bps!r} is 100% or more")
    return PolymarketFees(taker_rate=rate).trade_fee(size, price)


# -- money and books ---------------------------------------------------------------------


def _base_units(answer: Any, key: str) -> Decimal:
    value = get(answer, key, str)
    if not _INTEGER.fullmatch(value):
        raise Malformed(f"{key!r} is not an integer of 6-decimal base units: {value!r}")
    return EXACT.divide(Decimal(value), _BASE_UNITS)


def balance_from_wire(answer: Any) -> Decimal:
    """Free pUSD in dollars: ``balance`` in 6-decimal base units (TSV2
    ``BalanceAllowanceResponse``; recorded ``"1000000000"`` = $1000). A balance with
    a decimal point is refused: its unit cannot be told."""
    return _base_units(answer, "balance")


def token_balance_from_wire(answer: Any) -> Decimal:
    """Shares of one outcome token held (``asset_type=CONDITIONAL``): base units too."""
    return _base_units(answer, "balance")


def book_from_wire(answer: Any) -> VenueBook:
    """``GET /book`` of a market's YES token as the domain's book: YES bids are its
    bids; NO bids are its asks at ``1 - price`` (the YES and NO books mirror each
    other: polymarket.md contract). Levels as listed."""
    if not isinstance(answer, dict):
        raise Malformed(f"book is not an object: {answer!r}")
    yes = tuple(_level(level, "bids") for level in get(answer, "bids", list))
    asks = tuple(_level(level, "asks") for level in get(answer, "asks", list))
    no = tuple((EXACT.subtract(ONE, price), size) for price, size in asks)
    return VenueBook(yes, no)


def _level(level: Any, key: str) -> tuple[Decimal, Decimal]:
    try:
        return _price(level), _size(level, "size")
    except Malformed as error:
        raise Malformed(f"{key} level {level!r}: {error}") from None


# -- cancels and markets ---------------------------------------------------------------


def not_canceled(answer: Any, order_id: str) -> str | None:
    """None if ``DELETE /order`` cancelled ``order_id``, else the venue's reason."""
    canceled = get(answer, "canceled", list)
    reasons = answer.get("not_canceled") or {}
    if not isinstance(reasons, dict):
        raise Malformed(f"'not_canceled' is not an object: {reasons!r}")
    if any(isinstance(c, str) and c.lower() == order_id.lower() for c in canceled):
        return None
    for key, reason in reasons.items():
        if isinstance(key, str) and key.lower() == order_id.lower():
            return str(reason)
    raise Malformed(f"{order_id!r} is neither canceled nor not_canceled")


def clob_market(answer: Any, market: PolymarketMarket) -> PolymarketMarket:
    """``market`` with the tick (``mts``) and negative-risk flag (``nr``) of ``GET
    /clob-markets/{condition_id}`` (TSV2 ``MarketDetails``); its tokens ``t`` must be
    the market's YES and NO tokens, in that order."""
    cid = market.condition_id
    tokens = get(answer, "t", list)
    ids = [token.get("t") if isinstance(token, dict) else None for token in tokens]
    if ids != [market.yes_token, market.no_token]:
        raise Malformed(f"market {cid}: tokens {ids!r} are not its YES and NO tokens")
    tick = answer.get("mts")
    tick = Decimal(tick) if isinstance(tick, (str, Decimal)) else tick
    if not isinstance(tick, Decimal) or tick.normalize() not in TICKS:
        raise Malformed(f"market {cid}: 'mts' {answer.get('mts')!r} is not a Polymarket tick")
    neg_risk = answer.get("nr", False)
    if not isinstance(neg_risk, bool):
        raise Malformed(f"market {cid}: 'nr' is not a boolean: {neg_risk!r}")
    return attrs.evolve(market, tick=tick.normalize(), neg_risk=neg_risk)


# -- errors ------------------------------------------------------------------------------


def _error_text(body: Any) -> str | None:
    """The ``error`` of CLOB's ``{"error": "<message>"}`` (docs: resources/error-codes),
    cut short; None if absent."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, str) and error:
            return error[:200]
    return None


def error_for(
    status: int,
    body: Any,
    *,
    endpoint: str,
    client_order_id: str | None = None,
    retry_after: str | None = None,
) -> VenueError:
    """The typed error for a non-2xx answer (table in :mod:`._client`)."""
    message = _error_text(body)
    text = f"HTTP {status}" + (f": {message}" if message else "")
    cid = client_order_id
    if status == 429:
        seconds = retry_after_seconds(retry_after)
        return VenueRateLimited(text, endpoint=endpoint, retry_after=seconds, client_order_id=cid)
    lowered = (message or "").lower()
    if status == 503 and lowered.startswith(TRADING_HALTED):
        cancel_only = lowered.startswith(TRADING_HALTED[1])
        return VenueTradingHalted(
            text, endpoint=endpoint, cancel_only=cancel_only, client_order_id=cid, status=status
        )
    if status >= 500:
        return VenueServerError(text, endpoint=endpoint, status=status, client_order_id=cid)
    if status in (401, 403):
        return VenueAuthError(text, endpoint=endpoint, client_order_id=cid)
    if 400 <= status < 500:
        return refusal_for(message or "", text, endpoint=endpoint, client_order_id=cid)
    unexpected = f"unexpected HTTP {status}"
    return VenueServerError(unexpected, endpoint=endpoint, status=status, client_order_id=cid)


def refusal_for(
    reason: str, text: str, *, endpoint: str, client_order_id: str | None
) -> VenueError:
    """An order refusal (``errorMsg``, or a 4xx ``error``): ``InsufficientBalance`` for
    the texts of :data:`_NO_MONEY`, else ``InvalidOrder``."""
    if reason.lower().startswith(_NO_MONEY):
        return InsufficientBalance(text, endpoint=endpoint, client_order_id=client_order_id)
    return InvalidOrder(text, endpoint=endpoint, client_order_id=client_order_id)
