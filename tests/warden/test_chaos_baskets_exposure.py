"""Invariant 1 per event: venue truth aggregated over the venue's events (docs/baskets.md §6).

The basket buys 10 YES of each market of SIMEV, an exclusive event of three
markets, at $0.30 (fee $0.01 a fill): a complete set pays $10.00 whatever
wins, so once the third leg fills the event's exposure is 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, localcontext
from typing import Any

import attrs
import httpx
import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.domain import Event
from actors.fees import FeeModel
from actors.money import EXACT
from actors.risk import Holding
from tests.warden.conftest import quiet_config
from tests.warden.test_chaos_checkers import T0, D, Venue, healthy
from warden.chaos import Evidence
from warden.chaos._exposure import aggregate, exposure_within_limits
from warden.chaos._money import venue_fill
from warden.chaos._venue_events import event_from_wire, events_by_market, fetch_venue_events
from warden.venue import RealismConfig, open_venue

MARKETS = ("SIMEV-A", "SIMEV-B", "SIMEV-C")
SIMEV = Event("SIMEV", MARKETS, True)
PRICE = D("0.30")
LEG_COST = D("3.01")  # 10 x $0.30 + the $0.01 fee
OPEN_WORST = FeeModel().buy_cost(D(10), PRICE)  # an open order: price x count + taker fee


def basket_truth(legs: int = 3) -> Venue:
    """Each leg's order accepted, then filled in full, one after the other."""
    venue = Venue()
    for i, ticker in enumerate(MARKETS[:legs]):
        order = venue.order(T0 + i, f"c{i}", "yes", PRICE, D(10), ticker=ticker)
        venue.fill(T0 + i + 0.5, order, D(10))
    return venue


def holdings(entries: Iterable[dict[str, Any]]) -> dict[str, Holding]:
    held: dict[str, Holding] = {}
    for entry in entries:
        if entry["kind"] == "fill":
            fill = venue_fill(entry["record"])
            held[fill.ticker] = (held.get(fill.ticker) or Holding.empty(fill.ticker, D(1))).apply(
                fill
            )
    return held


def evidence(venue: Venue, events: tuple[Event, ...] | None = (SIMEV,), **config: str) -> Evidence:
    base = healthy()
    return attrs.evolve(
        base, truth=tuple(venue.entries), venue_events=events, config={**base.config, **config}
    )


def test_a_complete_basket_counts_zero_and_a_partial_one_the_cost_of_its_filled_legs() -> None:
    events = events_by_market((SIMEV,))
    complete = aggregate(holdings(basket_truth().entries), {}, events)
    assert complete.by_event == {"SIMEV": D(0)}
    assert complete.by_market == dict.fromkeys(MARKETS, D(0))
    assert complete.total == D(0)
    partial = aggregate(holdings(basket_truth(2).entries), {"SIMEV-C": OPEN_WORST}, events)
    assert partial.by_event == {"SIMEV": 2 * LEG_COST + OPEN_WORST}
    assert partial.by_market == {"SIMEV-A": LEG_COST, "SIMEV-B": LEG_COST, "SIMEV-C": OPEN_WORST}
    assert partial.total == 2 * LEG_COST + OPEN_WORST


def test_without_the_event_every_market_is_its_own_and_nothing_hedges() -> None:
    alone = aggregate(holdings(basket_truth().entries), {}, {})
    assert alone.by_event == dict.fromkeys(MARKETS, LEG_COST)
    assert alone.total == 3 * LEG_COST


def test_an_event_over_its_limit_is_witnessed_at_the_entry_that_crossed_it() -> None:
    venue = basket_truth()
    result = exposure_within_limits(evidence(venue, max_event_exposure="6.50"))
    assert result.status == "violated"
    (witness,) = result.witnesses
    assert witness["entry"] == venue.entries[4]  # the third leg's order, before it filled
    assert witness["exposure_by_event"] == {"SIMEV": 2 * LEG_COST + OPEN_WORST}
    assert result.counts["peak_event"] == 2 * LEG_COST + OPEN_WORST
    # each market alone never passed $6.50: the same truth without the event holds
    alone = exposure_within_limits(evidence(venue, (), max_event_exposure="6.50"))
    assert alone.status == "held", alone
    assert alone.counts["peak_event"] == OPEN_WORST


def test_a_complete_basket_frees_the_total_limit_for_the_next_order() -> None:
    """After the set is complete, a $9.35 worst-case buy in another market fits
    under a $9.50 total; counted market by market, the basket's $9.03 is still there."""
    venue = basket_truth()
    venue.order(T0 + 10, "other", "yes", D("0.45"), D(20), ticker="SIM-001")
    worst = FeeModel().buy_cost(D(20), D("0.45"))
    result = exposure_within_limits(evidence(venue, max_total_exposure="9.50"))
    assert result.status == "held", result
    assert result.counts["peak_total"] == worst
    alone = exposure_within_limits(evidence(venue, (), max_total_exposure="9.50"))
    assert alone.status == "violated"
    assert alone.witnesses[0]["total"] == 3 * LEG_COST + worst


def test_exposure_is_unknown_without_the_venues_events_or_the_event_limit() -> None:
    unread = exposure_within_limits(evidence(basket_truth(), None))
    assert (unread.status, unread.detail) == (
        "unknown",
        "the venue's events were not read (GET /events)",
    )
    ev = evidence(basket_truth())
    config = {k: v for k, v in ev.config.items() if k != "max_event_exposure"}
    assert exposure_within_limits(attrs.evolve(ev, config=config)).status == "unknown"


def test_a_market_in_two_events_is_refused() -> None:
    other = Event("OTHER", ("SIMEV-A", "X-1"), True)
    with pytest.raises(ValueError, match="SIMEV-A is in two events"):
        events_by_market((SIMEV, other))
    assert events_by_market((SIMEV, SIMEV)) == dict.fromkeys(MARKETS, SIMEV)


def test_an_event_of_the_wrong_shape_is_refused() -> None:
    wire: dict[str, Any] = {
        "event_ticker": "E",
        "mutually_exclusive": True,
        "markets": [{"ticker": "E-A"}, {"ticker": "E-B"}],
    }
    assert event_from_wire(wire) == Event("E", ("E-A", "E-B"), True)
    with pytest.raises(KeyError):
        event_from_wire({k: v for k, v in wire.items() if k != "markets"})
    with pytest.raises(TypeError):
        event_from_wire(wire | {"mutually_exclusive": "yes"})
    with pytest.raises(ValueError, match="markets"):
        event_from_wire(wire | {"markets": [{"ticker": "E-A"}]})  # exclusive, one market


async def test_the_realistic_venues_events_are_read_with_their_markets() -> None:
    config = quiet_config(realism=RealismConfig())
    async with open_venue(config) as server:
        events = await trio.to_thread.run_sync(fetch_venue_events, server.url)
    assert [(e.event_ticker, len(e.markets), e.exclusive) for e in events] == [
        ("SIMEV-01", 3, True),
        ("SIMEV-02", 4, True),
        ("SIMEV-03", 2, False),
    ]
    assert events[0].markets == ("SIMEV-01-A", "SIMEV-01-B", "SIMEV-01-C")


async def test_the_legacy_venue_lists_no_events_and_a_dead_one_raises() -> None:
    async with open_venue(quiet_config()) as server:
        events = await trio.to_thread.run_sync(fetch_venue_events, server.url)
        url = server.url
    assert events == ()
    with pytest.raises(httpx.HTTPError):  # the caller records None: unknown, never "no events"
        await trio.to_thread.run_sync(lambda: fetch_venue_events(url, timeout_s=1.0))


_FILLS = st.lists(
    st.tuples(
        st.sampled_from(MARKETS),
        st.sampled_from(("yes", "no")),
        st.integers(1, 99).map(lambda cents: D(cents) / 100),
        st.integers(1, 20).map(D),
    ),
    max_size=12,
)
_BUYS = st.dictionaries(
    st.sampled_from(MARKETS), st.integers(0, 5000).map(lambda cents: D(cents) / 100)
)


def _held(fills: list[tuple[str, str, Decimal, Decimal]]) -> dict[str, Holding]:
    venue = Venue()
    for i, (ticker, side, price, count) in enumerate(fills):
        order = venue.order(T0 + i, f"c{i}", side, price, count, ticker=ticker)
        venue.fill(T0 + i, order, count)
    return holdings(venue.entries)


@given(fills=_FILLS, buys=_BUYS)
@settings(max_examples=200, deadline=None)
def test_with_single_events_the_figures_are_each_markets_own(
    fills: list[tuple[str, str, Decimal, Decimal]], buys: dict[str, Decimal]
) -> None:
    held = _held(fills)
    with localcontext(EXACT):
        now = aggregate(held, buys, {})
        for ticker in set(held) | set(buys):
            own = (held[ticker].open_cost if ticker in held else D(0)) + buys.get(ticker, D(0))
            assert now.by_market[ticker] == own == now.by_event[ticker]
        assert now.total == sum(now.by_market.values(), D(0))


@given(fills=_FILLS, buys=_BUYS)
@settings(max_examples=200, deadline=None)
def test_an_event_never_counts_more_than_its_markets_alone_and_bounds_each_of_them(
    fills: list[tuple[str, str, Decimal, Decimal]], buys: dict[str, Decimal]
) -> None:
    held = _held(fills)
    with localcontext(EXACT):
        grouped = aggregate(held, buys, events_by_market((SIMEV,)))
        alone = aggregate(held, buys, {})
    if not grouped.by_event:
        assert grouped.total == 0
        return
    assert D(0) <= grouped.by_event["SIMEV"] <= alone.total
    assert grouped.total == grouped.by_event["SIMEV"]
    for ticker, exposure in grouped.by_market.items():
        assert exposure <= alone.by_market[ticker]
        assert exposure - buys.get(ticker, D(0)) <= grouped.by_event["SIMEV"]
