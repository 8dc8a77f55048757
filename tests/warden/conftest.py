"""Fixtures for the simulated venue: a real server on loopback, real HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from warden.venue import HOUSE, DynamicsConfig, OrderRequest, VenueConfig, VenueServer, open_venue

QUIET = DynamicsConfig(tick_seconds=0, seed_books=False)


def quiet_config(**overrides: object) -> VenueConfig:
    """Two empty markets, no dynamics, no heartbeats: only the test moves the books."""
    settings: dict[str, object] = {
        "seed": 1,
        "markets": 2,
        "trader_cash": 100_000,
        "dynamics": QUIET,
        "heartbeat_seconds": 0,
    }
    settings.update(overrides)
    return VenueConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
async def venue() -> AsyncIterator[VenueServer]:
    async with open_venue(quiet_config()) as server:
        yield server


@pytest.fixture
async def rest(venue: VenueServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=venue.url, timeout=10) as client:
        yield client


def rest_bid(
    server: VenueServer, side: str, price: int, count: int, ticker: str = "SIM-001"
) -> str:
    """Rest a house bid straight through the engine; returns its order id."""
    order = server.sim.engine.place(HOUSE, OrderRequest(ticker, side, "buy", count, price))
    assert order["status"] == "resting"
    return str(order["order_id"])


def order_body(**fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "ticker": "SIM-001",
        "side": "yes",
        "action": "buy",
        "count": 1,
        "type": "limit",
        "yes_price": 50,
    }
    body.update(fields)
    return body
