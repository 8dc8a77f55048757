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
    HOUSE,
    TRADER,
    BookDelta,
    DynamicsConfig,
    ManualClock,
    OrderEvent,
    OrderNotFound,
    OrderRequest,
    SimVenue,
    WireSide,
    open_venue,
)
from warden.venue._truth import TruthKind

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


def _house_ladder(sim: SimVenue, ticker: str) -> dict[tuple[str, Decimal], list[str]]:
    """The house's resting orders of ``ticker`` by (side, price): their order ids."""
    ladder: dict[tuple[str, Decimal], list[str]] = {}
    for order in sim.engine.order_states(HOUSE):
        if order.request.ticker == ticker and order.status == "resting":
            ladder.setdefault((order.request.side, order.request.price), []).append(order.order_id)
    return ladder


def _full_ladder(sim: SimVenue, ticker: str) -> set[tuple[str, Decimal]]:
    """The levels a full re-quote around the book's fair gives: 5 a side, a tick apart."""
    book, tick = sim.engine.book(ticker), D("0.01")
    yes, no = book.best_bid(WireSide.YES), book.best_bid(WireSide.NO)
    assert yes is not None
    assert no is not None
    assert yes + no == 1 - 2 * tick  # half_spread either side of one fair price
    return {(side, top - k * tick) for side, top in (("yes", yes), ("no", no)) for k in range(5)}


def test_a_requote_leaves_the_ladder_a_full_requote_would_give_and_keeps_untouched_orders() -> None:
    sim, clock = _sim(arb_rate=0.0, resize_rate=0.0, move_rate=1.0)
    deltas: list[BookDelta] = []
    sim.engine.subscribe(lambda e: deltas.append(e) if isinstance(e, BookDelta) else None)
    moves = 0
    for _ in range(60):
        before = {t: _house_ladder(sim, t) for t in sim.engine.tickers}
        deltas.clear()
        sim.dynamics.step()
        clock.advance(0.5)
        for ticker in sim.engine.tickers:
            after = _house_ladder(sim, ticker)
            assert set(after) == _full_ladder(sim, ticker)
            assert all(len(ids) == 1 for ids in after.values())  # one order per level
            if after == before[ticker]:
                continue
            moves += 1
            kept = set(after) & set(before[ticker])
            assert len(kept) == 8  # a one-tick move (walk 0.01) shifts each side one level
            assert all(after[level] == before[ticker][level] for level in kept)
            # two levels canceled and two placed, not the whole ladder of ten re-placed
            assert sum(1 for d in deltas if d.ticker == ticker) == 4
    assert moves > 20


def test_a_level_that_traded_is_refreshed_at_the_next_requote() -> None:
    outcomes = set()
    for seed in range(1, 12):
        sim, clock = _sim(seed, arb_rate=0.0, resize_rate=0.0, move_rate=1.0)
        ticker = "SIM-001"
        best_yes = sim.engine.book(ticker).best_bid(WireSide.YES)
        assert best_yes is not None
        (level_id,) = _house_ladder(sim, ticker)[("yes", best_yes)]
        taken = sim.engine.place(
            TRADER, OrderRequest(ticker, "no", "buy", D(1), 1 - best_yes, "immediate_or_cancel")
        )
        assert taken["fill_count_fp"] == "1.00"
        partial = sim.engine.order_state(HOUSE, level_id)
        assert partial.status == "resting"

        while sim.engine.book(ticker).best_bid(WireSide.YES) == best_yes:  # until fair moves
            sim.dynamics.step()
            clock.advance(0.5)
        assert partial.status == "canceled"  # not kept, though its price may still be wanted
        ladder = _house_ladder(sim, ticker)
        if ("yes", best_yes) in ladder:  # fair moved up: the level is still wanted
            (fresh_id,) = ladder[("yes", best_yes)]
            fresh = sim.engine.order_state(HOUSE, fresh_id)
            assert fresh_id != level_id
            assert fresh.fill_count == 0
            assert fresh.remaining == fresh.request.count
            outcomes.add("refreshed")
        else:
            outcomes.add("dropped")
    assert outcomes == {"refreshed", "dropped"}


def test_quiet_markets_keep_their_books_and_send_nothing() -> None:
    def deltas_over(steps: int, move_rate: float) -> list[int]:
        sim, clock = _sim(seed=5, arb_rate=0.0, move_rate=move_rate)
        per_step = [0]
        sim.engine.subscribe(
            lambda e: per_step.__setitem__(0, per_step[0] + 1) if isinstance(e, BookDelta) else None
        )
        counts, seeded = [], _books(sim)
        for _ in range(steps):
            per_step[0] = 0
            sim.dynamics.step()
            clock.advance(0.5)
            counts.append(per_step[0])
        if move_rate == 0.0:
            assert _books(sim) == seeded
        return counts

    assert sum(deltas_over(50, 0.0)) == 0
    busy, default = deltas_over(50, 1.0), deltas_over(50, DynamicsConfig().move_rate)
    assert all(count > 0 for count in busy[:10])
    assert 0 < sum(default) < sum(busy) / 3


def test_the_makers_shortcuts_record_and_announce_what_place_and_cancel_would() -> None:
    sim, _ = _sim(arb_rate=0.0)
    events: list[OrderEvent] = []
    sim.engine.subscribe(lambda e: events.append(e) if isinstance(e, OrderEvent) else None)
    request = OrderRequest("SIM-001", "yes", "buy", D(7), D("0.05"))

    order = sim.engine.place_state(HOUSE, request)
    assert events[-1].order == order.to_wire() == sim.engine.order(HOUSE, order.order_id)
    accepted = sim.engine.truth.select(kind=TruthKind.ORDER_ACCEPTED)[-1]
    assert accepted.record == order.to_wire()
    assert events[-1].order is not accepted.record  # an event never shares a truth record

    sim.engine.cancel_state(HOUSE, order.order_id, reason="requote")
    assert events[-1].order == order.to_wire()
    canceled = sim.engine.truth.select(kind=TruthKind.ORDER_CANCELED)[-1]
    assert canceled.record == order.canceled_record()
    assert canceled.record["cancel_reason"] == "requote"


def test_the_makers_finished_orders_are_forgotten_but_stay_in_truth() -> None:
    sim, clock = _sim(arb_rate=0.3, arb_lifetime_seconds=1.0, move_rate=1.0)
    for _ in range(100):
        sim.dynamics.step()
        clock.advance(0.5)
    for account in (HOUSE, "competitor"):
        orders = sim.engine.order_states(account)
        assert all(order.status == "resting" for order in orders)
    house = sim.engine.order_states(HOUSE)
    assert len(house) <= 2 * (10 + 2)  # two markets: a ladder and an opportunity each
    accepted = sim.engine.truth.select(account=HOUSE, kind=TruthKind.ORDER_ACCEPTED)
    canceled = sim.engine.truth.select(account=HOUSE, kind=TruthKind.ORDER_CANCELED)
    assert len(accepted) > 10 * len(house)
    assert len(canceled) > 0
    with pytest.raises(OrderNotFound):
        sim.engine.order_state(HOUSE, str(dict(canceled[0].record)["order_id"]))
    with pytest.raises(ValueError, match="still rests"):
        sim.engine.forget(HOUSE, house[0].order_id)
