"""Helpers for the venue tests, in exact money (no tests here).

They mirror tests/warden/conftest.py's ``quiet_config``/``rest_bid``/``order_body``
with Decimal dollars and Kalshi's fixed-point wire fields.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import httpx

from warden.venue import HOUSE, DynamicsConfig, OrderRequest, VenueConfig, VenueServer, open_venue

QUIET = DynamicsConfig(tick_seconds=0, seed_books=False)
D = Decimal


def quiet_config(**overrides: object) -> VenueConfig:
    """Two empty markets, no dynamics, no heartbeats: only the test moves the books."""
    settings: dict[str, object] = {
        "seed": 1,
        "markets": 2,
        "trader_cash": D("1000.00"),
        "dynamics": QUIET,
        "heartbeat_seconds": 0,
    }
    settings.update(overrides)
    return VenueConfig(**settings)  # type: ignore[arg-type]


@asynccontextmanager
async def served(**overrides: object) -> AsyncIterator[tuple[VenueServer, httpx.AsyncClient]]:
    """A quiet venue on loopback and an HTTP client for it."""
    async with (
        open_venue(quiet_config(**overrides)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as client,
    ):
        yield server, client


def rest_bid(
    server: VenueServer, side: str, price: str, count: str, ticker: str = "SIM-001"
) -> str:
    """Rest a house bid straight through the engine; returns its order id."""
    order = server.sim.engine.place(HOUSE, OrderRequest(ticker, side, "buy", D(count), D(price)))
    assert order["status"] == "resting"
    return str(order["order_id"])


def order_body(**fields: object) -> dict[str, object]:
    """A ``POST /portfolio/orders`` body: one YES contract at 0.50 unless overridden."""
    body: dict[str, object] = {
        "ticker": "SIM-001",
        "side": "yes",
        "action": "buy",
        "count_fp": "1.00",
        "type": "limit",
        "yes_price_dollars": "0.5000",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}
