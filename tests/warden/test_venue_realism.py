"""The realistic mode: reciprocal never-crossed books, Kalshi's self-trade prevention,
events on the wire, event dynamics with lagging makers and competitors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st
from trio_websocket import open_websocket_url

from tests.warden.conftest import order_body
from warden.venue import (
    COMPETITOR,
    HOUSE,
    TRADER,
    DynamicsConfig,
    EventDynamics,
    EventSpec,
    ManualClock,
    MatchingEngine,
    OrderRejected,
    OrderRequest,
    RealismConfig,
    SelfTradePrevention,
    SimVenue,
    TruthEntry,
    TruthKind,
    VenueConfig,
    VenueServer,
    WireSide,
    open_venue,
)

D = Decimal
DEADLINE = 10  # seconds; generous for a loaded 2-core machine, never waited on when green
STILL = DynamicsConfig(tick_seconds=0, seed_books=False)
MOVING = DynamicsConfig(tick_seconds=0)


def _config(seed: int = 1, dynamics: DynamicsConfig = MOVING, **realism: Any) -> VenueConfig:
    return VenueConfig(
        seed=seed,
        trader_cash=D("1000.00"),
        dynamics=dynamics,
        ping_interval_s=0,
        realism=RealismConfig(**realism),
    )


def _sim(seed: int = 1, dynamics: DynamicsConfig = MOVING, **realism: Any) -> SimVenue:
    return SimVenue(_config(seed, dynamics, **realism), ManualClock())


def _dynamics(sim: SimVenue) -> EventDynamics:
    assert isinstance(sim.dynamics, EventDynamics)
    return sim.dynamics


def _run(sim: SimVenue, steps: int, seconds: float = 0.5) -> None:
    clock = sim.clock
    assert isinstance(clock, ManualClock)
    for _ in range(steps):
        clock.advance(seconds)
        sim.dynamics.step()


@asynccontextmanager
async def _served(
    config: VenueConfig, clock: ManualClock | None = None
) -> AsyncIterator[tuple[VenueServer, httpx.AsyncClient]]:
    async with (
        open_venue(config, clock=clock or ManualClock()) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as client,
    ):
        yield server, client


# ------------------------------------------------------------------ the book

_ACCOUNTS = (TRADER, HOUSE, COMPETITOR)
_PLACEMENTS = st.tuples(
    st.sampled_from(_ACCOUNTS),
    st.sampled_from(["yes", "no"]),
    st.sampled_from(["buy", "sell"]),
    st.integers(1, 99).map(lambda c: D(c) / 100),
    st.integers(1, 20).map(D),
    st.sampled_from(["good_till_canceled", "immediate_or_cancel", "fill_or_kill"]),
    st.sampled_from([None, *SelfTradePrevention]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_PLACEMENTS, max_size=80))
def test_no_order_sequence_of_any_accounts_leaves_a_reciprocal_book_crossed(
    placements: list[tuple[Any, ...]],
) -> None:
    engine = MatchingEngine(
        ["M1"],
        accounts=dict.fromkeys(_ACCOUNTS, D("50.00")),
        clock=ManualClock(),
        reciprocal=True,
    )
    start = engine.conservation().total
    for account, side, action, price, count, tif, prevention in placements:
        request = OrderRequest("M1", side, action, count, price, tif, None, prevention)
        try:
            engine.place(account, request)
        except OrderRejected:
            continue
        assert not engine.is_crossed("M1"), engine.book("M1").levels
        money = engine.conservation()
        assert money.total == start
        assert money.yes_held == money.no_held == money.open_pairs


def test_the_book_is_never_crossed_and_money_is_conserved_over_a_long_seeded_run() -> None:
    sim = _sim(seed=11)
    start = sim.engine.conservation().total
    for _ in range(3000):
        _run(sim, 1)
        for ticker in sim.engine.tickers:
            assert not sim.engine.is_crossed(ticker), (ticker, sim.engine.book(ticker).levels)
    assert sim.engine.conservation().total == start
    assert _dynamics(sim).stats.contracts_taken_by_competitors > 0


async def test_the_served_book_replayed_from_the_websocket_is_never_crossed() -> None:
    clock = ManualClock()
    async with _served(_config(seed=5), clock) as (server, rest):
        sim = server.sim
        books: dict[str, dict[str, dict[str, Decimal]]] = {}
        marker = order_body(
            ticker="SIMEV-01-A", count_fp="0.37", yes_price_dollars="0.0100", client_order_id="m"
        )

        def crossed(ticker: str) -> bool:
            yes, no = books[ticker]["yes"], books[ticker]["no"]
            return bool(yes and no and max(map(D, yes)) + max(map(D, no)) >= 1)

        async with open_websocket_url(server.ws_url) as ws:
            subscribe = {"id": 1, "cmd": "subscribe", "params": {"channels": ["orderbook_delta"]}}
            await ws.send_message(json.dumps(subscribe))
            frames = 0
            with trio.fail_after(DEADLINE):
                assert json.loads(await ws.get_message())["type"] == "subscribed"
                async with trio.open_nursery() as nursery:

                    async def drive() -> None:
                        for _ in range(150):
                            clock.advance(0.5)
                            sim.dynamics.step()
                            await trio.sleep(0)
                        assert (
                            await rest.post("/trade-api/v2/portfolio/orders", json=marker)
                        ).status_code == 201

                    nursery.start_soon(drive)
                    while True:
                        frame = json.loads(await ws.get_message())
                        msg = frame["msg"]
                        ticker = msg["market_ticker"]
                        frames += 1
                        if frame["type"] == "orderbook_snapshot":
                            books[ticker] = {
                                side: {p: D(c) for p, c in msg.get(f"{side}_dollars_fp", [])}
                                for side in ("yes", "no")
                            }
                        else:
                            level = books[ticker][msg["side"]]
                            size = level.get(msg["price_dollars"], D(0)) + D(msg["delta_fp"])
                            assert size >= 0
                            if size:
                                level[msg["price_dollars"]] = size
                            else:
                                del level[msg["price_dollars"]]
                            if msg["delta_fp"] == "0.37":
                                break
                        assert not crossed(ticker), (ticker, books[ticker])
        assert frames > 500
        for ticker in sim.engine.tickers:  # the replayed book is the one REST serves
            served = (await rest.get(f"/trade-api/v2/markets/{ticker}/orderbook")).json()
            for side in ("yes", "no"):
                levels = {p: D(c) for p, c in served["orderbook_fp"][f"{side}_dollars"]}
                assert levels == books[ticker][side]


async def test_a_crossing_bid_of_another_account_is_matched_at_the_resting_price() -> None:
    async with _served(_config(dynamics=STILL)) as (server, rest):
        engine = server.sim.engine
        before = engine.conservation()
        body = order_body(ticker="SIMEV-01-A", count_fp="10.00", yes_price_dollars="0.6000")
        placed = (await rest.post("/trade-api/v2/portfolio/orders", json=body)).json()["order"]
        assert placed["status"] == "resting"
        assert placed["self_trade_prevention_type"] == "taker_at_cross"
        # the house bids NO at 0.45: 0.60 + 0.45 >= 1, so the two bids cross and trade
        house = engine.place(HOUSE, OrderRequest("SIMEV-01-A", "no", "buy", D(10), D("0.45")))
        assert house["status"] == "executed"
        book = (await rest.get("/trade-api/v2/markets/SIMEV-01-A/orderbook")).json()
        assert book["orderbook_fp"] == {"yes_dollars": [], "no_dollars": []}
        truth = (await rest.get("/sim/truth", params={"kind": "fill"})).json()["entries"]
        fills = {e["account"]: e["record"] for e in truth}
        assert set(fills) == {TRADER, HOUSE}
        assert fills[TRADER]["yes_price_dollars"] == fills[HOUSE]["yes_price_dollars"] == "0.6000"
        assert (fills[TRADER]["is_taker"], fills[HOUSE]["is_taker"]) == (False, True)
        assert engine.holding(TRADER, "SIMEV-01-A") == (D(10), D(0))
        assert engine.holding(HOUSE, "SIMEV-01-A") == (D(0), D(10))
        after = engine.conservation()
        assert after.total == before.total
        assert after.open_pairs == D(10)
        assert after.yes_held == after.no_held == D(10)


async def test_a_same_account_cross_cancels_the_incoming_order_taker_at_cross() -> None:
    async with _served(_config(dynamics=STILL)) as (server, rest):
        engine, ticker = server.sim.engine, "SIMEV-01-A"
        engine.place(HOUSE, OrderRequest(ticker, "no", "buy", D(3), D("0.47")))
        mine = order_body(ticker=ticker, side="no", count_fp="5.00", yes_price_dollars=None)
        mine["no_price_dollars"] = "0.4500"
        resting = (await rest.post("/trade-api/v2/portfolio/orders", json=mine)).json()["order"]
        body = order_body(ticker=ticker, count_fp="10.00", yes_price_dollars="0.6000")
        order = (await rest.post("/trade-api/v2/portfolio/orders", json=body)).json()["order"]
        # 3 filled against the house, then it met its own NO bid: the taker is canceled
        assert order["status"] == "canceled"
        reason = engine.order_state(TRADER, order["order_id"]).cancel_reason
        assert reason == "self_trade_prevention"  # the wire Order has no cancel_reason
        assert order["fill_count_fp"] == "3.00"
        again = (await rest.get(f"/trade-api/v2/portfolio/orders/{resting['order_id']}")).json()
        assert again["order"]["status"] == "resting"
        assert not engine.is_crossed(ticker)


async def test_a_same_account_cross_with_maker_prevention_cancels_the_resting_order() -> None:
    async with _served(_config(dynamics=STILL)) as (server, rest):
        engine, ticker = server.sim.engine, "SIMEV-01-A"
        engine.place(HOUSE, OrderRequest(ticker, "no", "buy", D(3), D("0.47")))
        mine = order_body(ticker=ticker, side="no", count_fp="5.00", yes_price_dollars=None)
        mine["no_price_dollars"] = "0.4500"
        resting = (await rest.post("/trade-api/v2/portfolio/orders", json=mine)).json()["order"]
        engine.place(HOUSE, OrderRequest(ticker, "no", "buy", D(4), D("0.42")))
        body = order_body(
            ticker=ticker,
            count_fp="10.00",
            yes_price_dollars="0.6000",
            self_trade_prevention_type="maker",
        )
        order = (await rest.post("/trade-api/v2/portfolio/orders", json=body)).json()["order"]
        assert (order["status"], order["fill_count_fp"]) == ("resting", "7.00")
        assert order["remaining_count_fp"] == "3.00"
        again = (await rest.get(f"/trade-api/v2/portfolio/orders/{resting['order_id']}")).json()
        reason = engine.order_state(TRADER, resting["order_id"]).cancel_reason
        assert (again["order"]["status"], reason) == ("canceled", "self_trade_prevention")
        assert not engine.is_crossed(ticker)


async def test_the_default_mode_records_the_self_trade_prevention_field_and_has_no_events() -> None:
    config = VenueConfig(dynamics=STILL, ping_interval_s=0)
    async with _served(config) as (_server, rest):
        body = order_body(self_trade_prevention_type="maker")
        answer = await rest.post("/trade-api/v2/portfolio/orders", json=body)
        assert answer.status_code == 201  # a documented field of CreateOrderRequest
        assert answer.json()["order"]["self_trade_prevention_type"] == "maker"
        assert (await rest.get("/trade-api/v2/events")).status_code == 404


# ---------------------------------------------------------------- events


async def test_events_are_listed_with_their_markets_and_paged_by_cursor() -> None:
    async with _served(_config()) as (_server, rest):
        first = (await rest.get("/trade-api/v2/events", params={"limit": 2})).json()
        assert [e["event_ticker"] for e in first["events"]] == ["SIMEV-01", "SIMEV-02"]
        assert [e["mutually_exclusive"] for e in first["events"]] == [True, True]
        assert "markets" not in first["events"][0]
        assert first["cursor"]
        params = {"limit": 2, "cursor": first["cursor"], "with_nested_markets": "true"}
        second = (await rest.get("/trade-api/v2/events", params=params)).json()
        assert second["cursor"] == ""
        (last,) = second["events"]
        assert (last["event_ticker"], last["mutually_exclusive"]) == ("SIMEV-03", False)
        assert [m["ticker"] for m in last["markets"]] == ["SIMEV-03-A", "SIMEV-03-B"]
        assert {m["event_ticker"] for m in last["markets"]} == {"SIMEV-03"}

        one = (await rest.get("/trade-api/v2/events/SIMEV-02")).json()
        assert one["event"]["mutually_exclusive"] is True
        assert [m["ticker"] for m in one["markets"]] == [f"SIMEV-02-{c}" for c in "ABCD"]
        assert {m["price_ranges"][0]["step"] for m in one["markets"]} == {"0.0010"}
        market = (await rest.get("/trade-api/v2/markets/SIMEV-01-B")).json()["market"]
        assert market["event_ticker"] == "SIMEV-01"
        listed = await rest.get("/trade-api/v2/markets", params={"event_ticker": "SIMEV-01"})
        assert [m["ticker"] for m in listed.json()["markets"]] == [
            "SIMEV-01-A",
            "SIMEV-01-B",
            "SIMEV-01-C",
        ]

        bad = await rest.get("/trade-api/v2/events", params={"cursor": "nope"})
        assert (bad.status_code, bad.json()["details"]) == (400, "cursor")
        assert (await rest.get("/trade-api/v2/events/SIMEV-99")).status_code == 404


def test_the_markets_of_an_event_quote_on_its_sub_penny_grid() -> None:
    sim = _sim(seed=2)
    _run(sim, 20)
    prices = [
        price
        for ticker in ("SIMEV-02-A", "SIMEV-02-B", "SIMEV-02-C", "SIMEV-02-D")
        for side in WireSide
        for price, _ in sim.engine.book(ticker).levels(side)
    ]
    assert prices
    assert all(price % D("0.001") == 0 for price in prices)
    assert any(price % D("0.01") for price in prices)


def test_a_level_gap_off_some_markets_grid_is_refused_at_start() -> None:
    events = (EventSpec(2, tick=D("0.01")),)
    with pytest.raises(ValueError, match="level_gap"):
        _sim(events=events, level_gap=D("0.005"))


# -------------------------------------------------------------- dynamics


async def test_fair_values_of_an_exclusive_event_sum_to_the_payout_at_every_step() -> None:
    sim = _sim(seed=4, jump_rate=0.3)
    dynamics = _dynamics(sim)
    for _ in range(1000):
        _run(sim, 1)
        fair = dynamics.fair_values()
        for event in dynamics.events:
            if event.mutually_exclusive:
                assert sum(fair[t] for t in event.tickers) == D(1)
            assert all(D(0) < fair[t] < D(1) for t in event.tickers)
    async with _served(_config(seed=4)) as (_server, rest):
        served = (await rest.get("/sim/fair_values")).json()
        sums = {e["event_ticker"]: e["sum_dollars"] for e in served["events"]}
        assert sums["SIMEV-01"] == sums["SIMEV-02"] == "1.0000"
        stats = (await rest.get("/sim/stats")).json()
        assert set(stats["realism"]) == {"requotes", "jumps", "mispricings"}


def test_a_seeded_run_misprices_a_basket_and_competitors_take_it_after_the_delay() -> None:
    delay = 2.0
    sim = _sim(seed=3, competitor_delay_seconds=delay)
    dynamics = _dynamics(sim)
    competitor_fills_before = 0
    seen_in_book = False
    for _ in range(2000):
        _run(sim, 1)
        for record in dynamics.mispricings:
            if record.closed is None:
                event = sim.events[record.event_ticker]
                cost = dynamics.mispriced(event, record.side)
                assert cost is not None  # an open record is a real mispricing in the book
                seen_in_book = True
        taken = [m for m in dynamics.mispricings if m.taken_by_competitor]
        if taken:
            break
        competitor_fills_before = len(_competitor_fills(sim))
    assert seen_in_book
    record = taken[0]
    assert record.closed is not None
    assert record.closed - record.opened >= delay
    event = sim.events[record.event_ticker]
    assert dynamics.mispriced(event, record.side) is None
    fills = _competitor_fills(sim)  # the engine keeps no list of the simulator's own fills
    assert len(fills) > competitor_fills_before
    assert all(f.ts >= record.opened + delay for f in fills[competitor_fills_before:])
    assert {f.record["ticker"] for f in fills[competitor_fills_before:]} == set(event.tickers)
    assert record.cost < (D(1) if record.side == "yes" else D(len(event.tickers) - 1))


def _competitor_fills(sim: SimVenue) -> list[TruthEntry]:
    """The competitors' fills, from the truth log (oldest first)."""
    return [e for e in sim.engine.truth if e.kind is TruthKind.FILL and e.account == COMPETITOR]


def test_the_same_seed_gives_the_same_truth_log() -> None:
    def truth(seed: int) -> list[dict[str, Any]]:
        sim = _sim(seed=seed)
        _run(sim, 400)
        return [entry.to_wire() for entry in sim.engine.truth]

    first = truth(7)
    assert any(e["kind"] == str(TruthKind.FILL) for e in first)
    assert truth(7) == first
    assert truth(8) != first


def test_a_self_crossing_fill_or_kill_keeps_its_fills_like_immediate_or_cancel() -> None:
    accounts = dict.fromkeys(_ACCOUNTS, D("50.00"))
    engine = MatchingEngine(["M1"], accounts=accounts, clock=ManualClock(), reciprocal=True)
    engine.place(HOUSE, OrderRequest("M1", "no", "buy", D(2), D("0.47")))
    engine.place(TRADER, OrderRequest("M1", "no", "buy", D(5), D("0.45")))
    order = engine.place(TRADER, OrderRequest("M1", "yes", "buy", D(10), D("0.60"), "fill_or_kill"))
    # Kalshi changelog, Sep 25, 2025: a self-crossing FoK is not rolled back
    assert (order["status"], order["fill_count_fp"]) == ("canceled", "2.00")
    assert engine.order_state(TRADER, order["order_id"]).cancel_reason == "self_trade_prevention"
    # without a self-cross a fill-or-kill is still all or nothing
    plain = engine.place(
        COMPETITOR, OrderRequest("M1", "yes", "buy", D(50), D("0.60"), "fill_or_kill")
    )
    reason = engine.order_state(COMPETITOR, plain["order_id"]).cancel_reason
    assert (plain["fill_count_fp"], reason) == ("0.00", "fill_or_kill_unfilled")


def test_realism_knobs_are_validated_and_ticks_can_be_overridden_per_market() -> None:
    with pytest.raises(ValueError, match="outcomes"):
        EventSpec(1)
    with pytest.raises(ValueError, match="tick"):
        EventSpec(3, tick=D("0.003"))
    with pytest.raises(ValueError, match="size_max"):
        RealismConfig(size_min=20, size_max=10)
    with pytest.raises(ValueError, match="lag_seconds"):
        RealismConfig(lag_seconds=(3.0, 1.0))
    config = VenueConfig(realism=RealismConfig(), ticks={"SIMEV-01-A": D("0.0001")})
    assert config.tickers[:3] == ["SIMEV-01-A", "SIMEV-01-B", "SIMEV-01-C"]
    sim = SimVenue(config, ManualClock())
    assert sim.engine.grid("SIMEV-01-A").tick == D("0.0001")
    assert sim.engine.grid("SIMEV-01-B").tick == D("0.01")
    assert sim.engine.grid("SIMEV-02-A").tick == D("0.001")
    with pytest.raises(ValueError, match="names no market"):
        VenueConfig(realism=RealismConfig(), ticks={"SIM-001": D("0.001")})
    assert VenueConfig().realism is None
    assert VenueConfig().tickers == ["SIM-001", "SIM-002", "SIM-003"]


def test_no_competitor_trades_before_its_delay() -> None:
    sim = _sim(seed=3, competitor_delay_seconds=10_000.0)
    _run(sim, 600)
    dynamics = _dynamics(sim)
    assert len(dynamics.mispricings) > 3
    assert not any(m.taken_by_competitor for m in dynamics.mispricings)
    assert sim.engine.fill_values(COMPETITOR) == []
