"""Helpers of the Polymarket-dialect tests: a venue with a Polymarket account, signed
orders and L2-signed requests, built with warden's adapter's signing code (so these
tests also check that the adapter and the simulator agree on the documented rules)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, Literal

import attrs
import httpx
import trio

from actors.money import PolymarketFees
from actors.venues.polymarket._amounts import order_amounts
from actors.venues.polymarket._eth import Account, LocalAccount
from actors.venues.polymarket._keys import ApiCredentials
from actors.venues.polymarket._signing import (
    BUY,
    SELL,
    OrderV2,
    SignedOrder,
    deterministic_salt,
    l2_headers,
    order_json,
    sign_order,
)
from warden.venue import (
    DynamicsConfig,
    ManualClock,
    PolymarketConfig,
    PolymarketDialect,
    VenueConfig,
    VenueServer,
    open_venue,
    polymarket_dialect,
)

WALLET: LocalAccount = Account.from_key("0x" + "11" * 32)
OTHER_WALLET: LocalAccount = Account.from_key("0x" + "22" * 32)
SECRET = base64.urlsafe_b64encode(b"warden-sim-test-secret-32-bytes!").decode()
CREDS = ApiCredentials("sim-api-key-1", SECRET, "sim-passphrase")
DEADLINE = 10.0


def account(**changes: Any) -> PolymarketConfig:
    return PolymarketConfig(
        address=WALLET.address,
        api_key=CREDS.api_key,
        secret=CREDS.secret,
        passphrase=CREDS.passphrase,
        **changes,
    )


@attrs.define
class Sim:
    """A running venue with its dialect, an HTTP client on it and the venue's clock."""

    venue: VenueServer
    http: httpx.AsyncClient
    clock: ManualClock

    @property
    def pm(self) -> PolymarketDialect:
        return polymarket_dialect(self.venue.sim)

    def headers(self, method: str, path: str, body: str | None = None, **kw: Any) -> dict[str, str]:
        creds = kw.get("creds", CREDS)
        return l2_headers(creds, WALLET.address, method, path, body, int(self.clock.now()))

    async def signed(
        self, method: str, path: str, body: str | None = None, **params: str
    ) -> httpx.Response:
        return await self.http.request(
            method,
            path,
            content=body,
            params=params or None,
            headers=self.headers(method, path, body),
        )

    async def post_order(
        self, signed: SignedOrder, order_type: str = "GTC", **kw: Any
    ) -> httpx.Response:
        body = json.dumps(
            order_json(signed, owner_api_key=CREDS.api_key, order_type=order_type, **kw),  # type: ignore[arg-type]
            separators=(",", ":"),
        )
        return await self.signed("POST", "/order", body)

    def order(
        self,
        ticker: str,
        side: Literal["BUY", "SELL"],
        price: str,
        size: str,
        *,
        outcome: str = "yes",
        wallet: LocalAccount = WALLET,
        salt_of: str = "",
    ) -> SignedOrder:
        market = self.pm.catalog.by_ticker[ticker]
        token = market.yes_token if outcome == "yes" else market.no_token
        tick = self.pm.catalog.tick(market)
        maker, taker = order_amounts(side, Decimal(size), Decimal(price), tick)
        order = OrderV2(
            salt=deterministic_salt(
                salt_of or f"{ticker}:{side}:{price}:{size}:{time.monotonic_ns()}"
            ),
            maker=wallet.address,
            signer=wallet.address,
            token_id=token,
            maker_amount=maker,
            taker_amount=taker,
            side=BUY if side == "BUY" else SELL,
            signature_type=0,
            timestamp_ms=int(self.clock.now() * 1000),
        )
        return sign_order(order, wallet, neg_risk=market.neg_risk)


@asynccontextmanager
async def polymarket_sim(**config: Any) -> AsyncIterator[Sim]:
    """A venue on loopback with the test account, frozen dynamics and Polymarket fees."""
    clock = ManualClock(time.time())
    settings = {
        "port": 0,
        "seed": 7,
        "dynamics": DynamicsConfig(tick_seconds=0),
        "fees": PolymarketFees(),
        "polymarket": account(),
        **config,
    }
    async with (
        open_venue(VenueConfig(**settings), clock=clock) as venue,
        httpx.AsyncClient(base_url=venue.url, timeout=DEADLINE) as http,
    ):
        yield Sim(venue, http, clock)


async def eventually(
    predicate: Callable[[], Any], what: str = "", timeout: float = DEADLINE
) -> Any:
    """Poll ``predicate`` (on trio's clock) until it is truthy; fail after ``timeout``."""
    with trio.move_on_after(timeout):
        while True:
            result = predicate()
            if result:
                return result
            await trio.sleep(0.01)
    raise AssertionError(f"not met within {timeout}s: {what or predicate}")


def best_ask(book: dict[str, Any]) -> Decimal:
    return Decimal(book["asks"][-1]["price"])


def best_bid(book: dict[str, Any]) -> Decimal:
    return Decimal(book["bids"][-1]["price"])
