"""Venue clients for tests against the simulated venue on loopback: the settings a
client takes, a transport that keeps what was asked, and the Polymarket adapter's
client for the markets its own discovery finds on the simulator's Gamma."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import httpx

from actors.venues import Deadlines, MarketSelection, RateLimit
from actors.venues.polymarket import PolymarketAccount, PolymarketClient, PolymarketTrading
from actors.venues.polymarket._discovery import list_markets
from tests.warden.venue.polymarket_sim import CREDS, WALLET, Sim


@attrs.frozen
class Settings:
    """What a client needs of the execution config: generous deadlines and limits."""

    rest_url: str
    deadlines: Deadlines = attrs.field(factory=lambda: Deadlines(submit=5.0, query=5.0, cancel=5.0))
    rate_limits: dict[str, RateLimit] = attrs.field(factory=lambda: {"*": RateLimit(1e6, 10**6)})


class RecordingTransport(httpx.AsyncHTTPTransport):
    """The real HTTP transport, keeping every request's URL (what the venue was asked)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[httpx.URL] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        return await super().handle_async_request(request)

    def queries(self, path: str) -> list[dict[str, str]]:
        """The query of every request sent to a URL ending in ``path``, in order."""
        return [dict(url.params) for url in self.urls if url.path.endswith(path)]


async def polymarket_client(
    sim: Sim, tmp_path: Path, events: tuple[str, ...], **settings: object
) -> PolymarketClient:
    """The adapter's client for the markets of ``events`` its discovery finds on the
    simulator's Gamma, its order journal under ``tmp_path``."""
    async with httpx.AsyncClient() as http:
        found = await list_markets(
            http,
            MarketSelection(events=events),
            payout=Decimal(1),
            gamma_url=f"{sim.venue.url}/gamma",
            clob_url=sim.venue.url,
        )
    account = PolymarketAccount(
        credentials=CREDS, wallet=WALLET, journal_path=tmp_path / "orders.sqlite"
    )
    trading = PolymarketTrading(
        {m.condition_id: m for m in found.markets}, account, clock=sim.clock.now
    )
    return trading.open_client(Settings(sim.venue.url, **settings))  # type: ignore[arg-type]
