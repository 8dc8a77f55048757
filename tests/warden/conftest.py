"""Fixtures for the simulated venue: a real server on loopback, real HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import httpx
import pytest

from warden.venue import HOUSE, DynamicsConfig, OrderRequest, VenueConfig, VenueServer, open_venue

QUIET = DynamicsConfig(tick_seconds=0, seed_books=False)


def quiet_config(**overrides: object) -> VenueConfig:
    """Two empty markets, no dynamics, no heartbeats: only the test moves the books."""
    settings: dict[str, object] = {
        "seed": 1,
        "markets": 2,
        "trader_cash": Decimal("1000.00"),
        "dynamics": QUIET,
        "heartbeat_seconds": 0,
    }
    settings.update(overrides)
    return VenueConfig(**settings)  # type: ignore[arg-type]


@asynccontextmanager
async def served(**overrides: object) -> AsyncIterator[tuple[VenueServer, httpx.AsyncClient]]:
    """A quiet venue (``quiet_config(**overrides)``) on loopback and an HTTP client for it."""
    async with (
        open_venue(quiet_config(**overrides)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as client,
    ):
        yield server, client


@pytest.fixture
async def venue() -> AsyncIterator[VenueServer]:
    async with open_venue(quiet_config()) as server:
        yield server


@pytest.fixture
async def rest(venue: VenueServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=venue.url, timeout=10) as client:
        yield client


def rest_bid(
    server: VenueServer,
    side: str,
    price: str | Decimal,
    count: str | Decimal,
    ticker: str = "SIM-001",
) -> str:
    """Rest a house bid straight through the engine (``price`` dollars, ``count``
    contracts, each a ``Decimal`` or its string, e.g. ``"0.40"``, ``"5"``); returns
    its order id."""
    request = OrderRequest(ticker, side, "buy", Decimal(count), Decimal(price))
    order = server.sim.engine.place(HOUSE, request)
    assert order["status"] == "resting"
    return str(order["order_id"])


def order_body(**fields: object) -> dict[str, object]:
    """A valid ``POST /portfolio/orders`` body (Kalshi's fixed-point strings: one
    contract at $0.50), ``fields`` added or replacing; a field given as ``None`` is
    left out (e.g. ``yes_price_dollars=None`` with a ``no_price_dollars``)."""
    body: dict[str, object] = {
        "ticker": "SIM-001",
        "side": "yes",
        "action": "buy",
        "count_fp": "1.00",
        "type": "limit",
        "yes_price_dollars": "0.5000",
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}
