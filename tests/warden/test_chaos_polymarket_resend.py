"""The live Polymarket client against the simulated venue's dialect, where the chaos run
found it wanting: a resent order whose first answer was lost.

Found by ``warden chaos run --venue polymarket`` (seed 11, docs/chaos.md): a FAK
killed with nothing filled whose answer was withheld (``timeout_after_apply``) was
resent; the venue refused the resend as a duplicate, nothing was live or traded to
look up, so the client believed the refusal (``InvalidOrder``, a critical venue
error) and risk halted trading. The venue holding the very digest means the order
landed and finished: a cancelled order with nothing filled.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from actors.domain import Action, OrderIntent, Side
from actors.errors import VenueTimeout
from actors.venues import Deadlines, RateLimit
from actors.venues.polymarket._client import PolymarketAccount, PolymarketTrading
from actors.venues.polymarket._markets import PolymarketMarket
from tests.warden.venue.polymarket_sim import CREDS, WALLET, Sim, best_ask, polymarket_sim
from warden.venue import TRADER


@attrs.frozen
class _Settings:
    rest_url: str
    deadlines: Deadlines = attrs.field(factory=lambda: Deadlines(submit=1.0, query=2.0, cancel=2.0))
    rate_limits: dict[str, RateLimit] = attrs.field(factory=lambda: {"*": RateLimit(1e6, 10**6)})


def _trading(sim: Sim, tmp_path: Path) -> tuple[PolymarketTrading, PolymarketMarket]:
    listed = sim.pm.catalog.by_ticker["SIM-001"]
    market = PolymarketMarket(
        condition_id=listed.condition_id,
        yes_token=listed.yes_token,
        no_token=listed.no_token,
        tick=sim.pm.catalog.tick(listed),
        neg_risk=listed.neg_risk,
        event=None,
        min_order_size=Decimal(0),
        fee_rate=Decimal("0.04"),
        active=True,
    )
    account = PolymarketAccount(CREDS, WALLET, tmp_path / "orders.sqlite")
    trading = PolymarketTrading({market.condition_id: market}, account, clock=sim.clock.now)
    return trading, market


async def test_a_resent_order_the_venue_calls_a_duplicate_is_the_order_that_landed(
    tmp_path: Path,
) -> None:
    async with polymarket_sim() as sim:
        trading, market = _trading(sim, tmp_path)
        book = (await sim.http.get("/book", params={"token_id": market.yes_token})).json()
        below = best_ask(book) - Decimal("0.05")  # meets no ask: the FAK is killed unfilled
        intent = OrderIntent("leg-1", market.condition_id, Side.YES, Action.BUY, below, Decimal(5))
        withheld = {"http": {"create_order": {"timeout_after_apply_rate": 1.0}}}
        assert (await sim.http.post("/sim/faults", json=withheld)).status_code == 200
        async with trading.open_client(_Settings(sim.venue.url)) as client:
            with pytest.raises(VenueTimeout):
                await client.create_order(intent)
            assert (await sim.http.delete("/sim/faults")).status_code == 200
            (state,) = sim.venue.sim.engine.order_states(TRADER)  # it landed, and was killed
            assert (state.status.value, state.fill_count) == ("canceled", Decimal(0))
            order = await client.create_order(intent)  # the same signed order, refused
            assert client.journal.get("leg-1").acknowledged  # type: ignore[union-attr]
        refusals = [
            e.to_wire()["record"].get("message")
            for e in sim.venue.sim.engine.truth
            if e.kind == "order_rejected"
        ]
    assert refusals == [f"order {order.order_id} is invalid. Duplicated."]
    assert (order.status, order.fill_count) == ("canceled", Decimal(0))
    assert order.client_order_id == "leg-1"
    assert len(sim.venue.sim.engine.order_states(TRADER)) == 1  # nothing else was sent
