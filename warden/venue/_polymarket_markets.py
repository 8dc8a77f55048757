"""The simulated venue's markets as Polymarket names and shows them.

Each sim market (ticker ``SIM-001``, ``SIMEV-01-A``, ...) is one Polymarket
binary market: a condition id (``0x`` + 64 hex digits) and two outcome tokens
(decimal uint256 ids), all derived from the ticker by SHA-256, so they are
stable across runs and seeds.  The sim's YES/NO books are exactly Polymarket's
reciprocal books: the YES token's bids are the YES bids, its asks the NO bids
at ``1 - price`` (and the NO token mirrors that).

Events: in the realistic mode each sim event is a Gamma event whose slug is its
ticker in lower case (``simev-01``), ``negRisk`` when it is mutually exclusive;
otherwise each market is its own event (slug ``sim-001``, not negative-risk).

Shapes served (every money figure a decimal string with no trailing zeros,
as the recorded answers in /work/shared/venues/polymarket/frames/ show):

- ``book``: ``{market, asset_id, timestamp, hash, bids, asks, min_order_size,
  tick_size, neg_risk, last_trade_price}``; levels ``{"price", "size"}`` worst to
  best (bids ascending, asks descending: the best level last, as recorded);
  ``hash`` is the SHA-1 of the summary's compact JSON with ``hash`` empty
  (clob-client-v2 ``generateOrderBookSummaryHash`` hashes its own JSON
  serialisation; the bytes may differ, so treat it as opaque).
- Gamma events and markets (camelCase, ``outcomes`` / ``clobTokenIds`` as
  JSON-encoded lists), the CLOB market (``GET /markets/{cid}``, snake_case) and
  the compact ``GET /clob-markets/{cid}`` (``t``, ``mts``, ``nr``, ``fd``).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from attrs import frozen

from actors import money
from warden.venue._model import PAYOUT, WireSide
from warden.venue._venue import SimVenue

__all__ = [
    "PolymarketCatalog",
    "PolymarketEvent",
    "PolymarketMarket",
    "condition_id",
    "plain",
    "token_id",
]

Json = dict[str, object]


def condition_id(ticker: str) -> str:
    """The condition id of the sim market ``ticker``."""
    return "0x" + hashlib.sha256(f"warden-sim-condition:{ticker}".encode()).hexdigest()


def token_id(ticker: str, side: WireSide) -> str:
    """The outcome token id (decimal) of ``side`` of the sim market ``ticker``."""
    digest = hashlib.sha256(f"warden-sim-token:{ticker}:{side}".encode()).digest()
    return str(int.from_bytes(digest, "big"))


def plain(value: Decimal) -> str:
    """``value`` as plain decimal text without trailing zeros (``"0.5"``, ``"40"``)."""
    if value == value.to_integral_value():
        return str(value.quantize(money.ONE))
    return format(value.normalize(), "f")


@frozen
class PolymarketMarket:
    """One sim market under its Polymarket names."""

    ticker: str
    condition_id: str
    yes_token: str
    no_token: str
    event_slug: str
    neg_risk: bool

    def token(self, side: WireSide) -> str:
        return self.yes_token if side is WireSide.YES else self.no_token


@frozen
class PolymarketEvent:
    slug: str
    event_id: str
    neg_risk: bool
    markets: tuple[PolymarketMarket, ...]


class PolymarketCatalog:
    """Every market of ``sim`` under its Polymarket names, and the shapes that show them."""

    def __init__(self, sim: SimVenue) -> None:
        self.sim = sim
        self.events: dict[str, PolymarketEvent] = {}
        self.markets: dict[str, PolymarketMarket] = {}  # condition id -> market
        self.by_ticker: dict[str, PolymarketMarket] = {}
        self.by_token: dict[str, tuple[PolymarketMarket, WireSide]] = {}
        groups = [
            (e.event_ticker.lower(), e.tickers, e.mutually_exclusive) for e in sim.config.events
        ] or [(ticker.lower(), (ticker,), False) for ticker in sim.config.tickers]
        for number, (slug, tickers, exclusive) in enumerate(groups, start=1):
            markets = tuple(
                PolymarketMarket(
                    ticker,
                    condition_id(ticker),
                    token_id(ticker, WireSide.YES),
                    token_id(ticker, WireSide.NO),
                    slug,
                    exclusive,
                )
                for ticker in tickers
            )
            self.events[slug] = PolymarketEvent(slug, str(90_000 + number), exclusive, markets)
            for market in markets:
                self.markets[market.condition_id] = market
                self.by_ticker[market.ticker] = market
                self.by_token[market.yes_token] = (market, WireSide.YES)
                self.by_token[market.no_token] = (market, WireSide.NO)

    # ---- fees and ticks

    @property
    def fee_rate(self) -> Decimal:
        """The taker fee rate of every market (the engine's taker rate)."""
        return self.sim.config.fees.taker_rate

    @property
    def fee_exponent(self) -> int:
        return getattr(self.sim.config.fees, "exponent", 1)

    @property
    def fee_rate_bps(self) -> str:
        """The taker rate in basis points, as trades report it (``"400"`` for 0.04)."""
        return plain((self.fee_rate * 10_000).to_integral_value())

    def tick(self, market: PolymarketMarket) -> Decimal:
        return self.sim.engine.grid(market.ticker).tick

    # ---- books

    def levels(self, market: PolymarketMarket, side: WireSide) -> tuple[list[Json], list[Json]]:
        """(bids, asks) of ``side``'s token, worst level first."""
        book = self.sim.engine.book(market.ticker)
        bids: list[Json] = [{"price": plain(p), "size": plain(s)} for p, s in book.levels(side)]
        asks: list[Json] = [
            {"price": plain(PAYOUT - p), "size": plain(s)}
            for p, s in book.levels(side.other)  # ascending bids: descending asks
        ]
        return bids, asks

    def book(self, token: str, now_ms: int) -> Json | None:
        """``GET /book``'s answer for ``token``; None for an unknown token."""
        found = self.by_token.get(token)
        if found is None:
            return None
        market, side = found
        bids, asks = self.levels(market, side)
        last = self.sim.engine.market(market.ticker)["last_price_dollars"]
        last_yes = Decimal(str(last))
        summary: Json = {
            "market": market.condition_id,
            "asset_id": token,
            "timestamp": str(now_ms),
            "hash": "",
            "bids": bids,
            "asks": asks,
            "min_order_size": "0",
            "tick_size": plain(self.tick(market)),
            "neg_risk": market.neg_risk,
            "last_trade_price": plain(
                last_yes if side is WireSide.YES or not last_yes else PAYOUT - last_yes
            ),
        }
        text = json.dumps(summary, separators=(",", ":"))
        summary["hash"] = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
        return summary

    def best(self, market: PolymarketMarket, side: WireSide) -> tuple[str, str]:
        """(best bid, best ask) of ``side``'s token as text (``"0"`` / ``"1"`` when none)."""
        book = self.sim.engine.book(market.ticker)
        bid, other = book.best_bid(side), book.best_bid(side.other)
        return (
            plain(bid) if bid is not None else "0",
            plain(PAYOUT - other) if other is not None else "1",
        )

    # ---- listings

    def gamma_market(self, market: PolymarketMarket) -> Json:
        """A Gamma market (``GET /markets`` item, and nested in an event)."""
        yes_bid, yes_ask = self.best(market, WireSide.YES)
        return {
            "id": str(int(market.condition_id[2:10], 16)),
            "conditionId": market.condition_id,
            "questionID": "0x" + hashlib.sha256(market.ticker.encode()).hexdigest(),
            "question": f"Simulated market {market.ticker}: yes?",
            "slug": market.ticker.lower(),
            "outcomes": json.dumps(["Yes", "No"]),
            "outcomePrices": json.dumps([yes_bid, plain(PAYOUT - Decimal(yes_bid))]),
            "clobTokenIds": json.dumps([market.yes_token, market.no_token]),
            "orderPriceMinTickSize": float(self.tick(market)),
            "orderMinSize": 0,
            "negRisk": market.neg_risk,
            "active": True,
            "closed": False,
            "archived": False,
            "acceptingOrders": True,
            "enableOrderBook": True,
            "bestBid": float(yes_bid),
            "bestAsk": float(yes_ask),
            "feesEnabled": bool(self.fee_rate),
            "feeSchedule": {"rate": float(self.fee_rate), "exponent": self.fee_exponent},
            "events": [{"id": self.events[market.event_slug].event_id, "slug": market.event_slug}],
        }

    def gamma_event(self, event: PolymarketEvent) -> Json:
        """A Gamma event with its markets nested (``GET /events/slug/{slug}``)."""
        return {
            "id": event.event_id,
            "slug": event.slug,
            "title": f"Simulated event {event.slug}",
            "active": True,
            "closed": False,
            "archived": False,
            "negRisk": event.neg_risk,
            "enableNegRisk": event.neg_risk,
            "markets": [
                {k: v for k, v in self.gamma_market(m).items() if k != "events"}
                for m in event.markets
            ],
        }

    def clob_market(self, market: PolymarketMarket) -> Json:
        """The CLOB's ``GET /markets/{condition_id}``."""
        yes_bid, _ = self.best(market, WireSide.YES)
        return {
            "enable_order_book": True,
            "active": True,
            "closed": False,
            "archived": False,
            "accepting_orders": True,
            "minimum_order_size": 0,
            "minimum_tick_size": float(self.tick(market)),
            "condition_id": market.condition_id,
            "question": f"Simulated market {market.ticker}: yes?",
            "market_slug": market.ticker.lower(),
            "neg_risk": market.neg_risk,
            "maker_base_fee": 0,
            "taker_base_fee": 0,
            "tokens": [
                {"token_id": market.yes_token, "outcome": "Yes", "price": float(yes_bid)},
                {
                    "token_id": market.no_token,
                    "outcome": "No",
                    "price": float(PAYOUT - Decimal(yes_bid)),
                },
            ],
        }

    def clob_market_info(self, market: PolymarketMarket) -> Json:
        """The compact ``GET /clob-markets/{condition_id}`` (clob-client-v2 ``MarketDetails``)."""
        return {
            "c": market.condition_id,
            "t": [{"t": market.yes_token, "o": "Yes"}, {"t": market.no_token, "o": "No"}],
            "mts": float(self.tick(market)),
            "nr": market.neg_risk,
            "fd": {"r": float(self.fee_rate), "e": self.fee_exponent},
        }
