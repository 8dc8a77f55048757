"""Market dynamics, stepped by hand on a manual clock (and once by the server's ticker)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import trio
from trio_websocket import open_websocket_url

from actors.money import KalshiFees
from tests.warden.conftest import quiet_config
from warden.venue import (
    TRADER,
    DynamicsConfig,
    ManualClock,
    OrderRequest,
    SimVenue,
    open_venue,
)

FEES = KalshiFees()
D = Decimal


def _sim(
    seed: int = 3, ticks: dict[str, Decimal] | None = None, **dynamics: object
) -> tuple[SimVenue, ManualClock]:
    clock = ManualClock()
    config = quiet_config(
        seed=seed,
        dynamics=DynamicsConfig(tick_seconds=0, **dynamics),
        ticks=ticks or {},
    )
    return SimVenue(config, clock), clock


def _books(sim: SimVenue) -> list[list[list[Decimal]]]:
    return [sim.engine.book(t).levels(s) for t in sim.engine.tickers for s in ("yes", "no")]


def test_the_same_seed_moves_the_books_the_same_way() -> None:
    runs = []
    for seed in (3, 3, 4):
        sim, clock = _sim(seed, arb_rate=0.2)
        path = []
        for _ in range(40):
            sim.dynamics.step()
            clock.advance(0.5)
            path.append(_books(sim))
        runs.append(path)
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_the_house_quotes_an_uncrossed_ladder_around_fair() -> None:
    sim, _ = _sim(arb_rate=0.0)
    for _ in range(25):
        sim.dynamics.step()
        for ticker in sim.engine.tickers:
            book = sim.engine.book(ticker)
            assert len(book.levels("yes")) == len(book.levels("no")) == 5
            assert book.best_bid("yes") + book.best_bid("no") < 1


def test_a_sub_penny_market_is_quoted_on_its_own_grid() -> None:
    sim, _ = _sim(ticks={"SIM-002": D("0.001")})
    for _ in range(25):
        sim.dynamics.step()
        cents, mills = (sim.engine.book(t) for t in ("SIM-001", "SIM-002"))
        for side in ("yes", "no"):
            assert all(p % D("0.01") == 0 for p, _ in cents.levels(side))
            assert all(p % D("0.001") == 0 for p, _ in mills.levels(side))
    assert any(p % D("0.01") for s in ("yes", "no") for p, _ in mills.levels(s))


def test_a_money_knob_off_a_markets_grid_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="half_spread"):
        _sim(half_spread=D("0.005"))
    with pytest.raises(ValueError, match="half_spread"):
        DynamicsConfig(half_spread=1)


def test_an_opportunity_crosses_the_book_until_competitors_take_it() -> None:
    sim, clock = _sim(arb_rate=1.0, arb_edge=D("0.06"), arb_lifetime_seconds=2.0)
    sim.dynamics.step()
    book = sim.engine.book("SIM-001")
    assert book.best_ask("yes") + book.best_ask("no") == D("0.94")

    clock.advance(1.0)
    sim.dynamics.step()  # not yet expired
    assert sim.dynamics.stats.opportunities_expired == 0
    clock.advance(1.0)
    sim.dynamics.step()

    assert sim.dynamics.stats.opportunities_expired == 2  # both markets
    assert sim.dynamics.stats.contracts_taken_by_competitors == 2 * 2 * 10


def test_a_trader_taking_an_opportunity_earns_the_edge_minus_taker_fees() -> None:
    sim, _ = _sim(arb_rate=1.0, arb_edge=D("0.06"), arb_size=D(10))
    sim.dynamics.step()
    book = sim.engine.book("SIM-001")
    yes_ask, no_ask = book.best_ask("yes"), book.best_ask("no")
    assert yes_ask is not None
    assert no_ask is not None
    cash, _ = sim.engine.cash(TRADER)

    for side, price in (("yes", yes_ask), ("no", no_ask)):
        order = sim.engine.place(
            TRADER, OrderRequest("SIM-001", side, "buy", D(10), price, "fill_or_kill")
        )
        assert order["status"] == "executed"

    fees = sum(FEES.buy_cost(D(10), p) - 10 * p for p in (yes_ask, no_ask))
    assert sim.engine.cash(TRADER)[0] == cash + 10 * D("0.06") - fees
    assert sim.engine.holding(TRADER, "SIM-001") == (0, 0)


def test_money_is_conserved_while_the_market_moves_and_the_trader_trades() -> None:
    sim, clock = _sim(arb_rate=0.3, arb_lifetime_seconds=1.0)
    total = sim.engine.conservation().total
    for number in range(150):
        sim.dynamics.step()
        clock.advance(0.4)
        ticker = sim.engine.tickers[number % 2]
        ask = sim.engine.book(ticker).best_ask("yes")
        if ask is not None and number % 3 == 0:
            sim.engine.place(
                TRADER, OrderRequest(ticker, "yes", "buy", D("3.25"), ask, "immediate_or_cancel")
            )
        money = sim.engine.conservation()
        assert money.total == total
        assert money.yes_held == money.no_held == money.open_pairs
    assert sim.dynamics.stats.opportunities_opened > 0


async def test_a_ticking_server_streams_the_market_moving_on_its_own() -> None:
    config = quiet_config(dynamics=DynamicsConfig(tick_seconds=0.01))
    async with open_venue(config) as venue, open_websocket_url(venue.ws_url) as ws:
        params = {"channels": ["orderbook_delta"], "market_tickers": ["SIM-001"]}
        await ws.send_message(json.dumps({"id": 1, "cmd": "subscribe", "params": params}))
        with trio.fail_after(10):
            frames = [json.loads(await ws.get_message()) for _ in range(3)]
    assert [f["type"] for f in frames] == ["subscribed", "orderbook_snapshot", "orderbook_delta"]
    assert frames[2]["seq"] == 2
