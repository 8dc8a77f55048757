"""The exposure model of one event (actors.risk._events): complete sets hedge, nothing
else does, and the figure is never below what the holdings can really lose."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from actors.domain import Action, Event, Fill, Side
from actors.risk import Holding, complete_sets, event_exposure

TICK = D("0.0001")
CENT = D("0.01")
EVENT = Event("KX-EV", ("KX-A", "KX-B", "KX-C"), True)


def _bought(holdings: dict[str, Holding], ticker: str, side: Side, price: D, count: D) -> None:
    """Book a buy of ``count`` ``side`` of ``ticker`` at ``price`` (fee 1% of notional)."""
    fee = (price * count / 100).quantize(TICK)
    fill = Fill(
        f"f-{len(holdings)}-{ticker}-{side.value}-{price}-{count}",
        "w-order",
        ticker,
        side,
        Action.BUY,
        price,
        count,
        fee=fee,
    )
    before = holdings.get(ticker) or Holding.empty(ticker, D(1))
    holdings[ticker] = before.apply(fill)


def _true_worst_loss(event: Event, holdings: dict[str, Holding]) -> D:
    """``max(0, open cost - min over outcomes of what the excess contracts pay)``,
    outcome by outcome (brute force)."""
    open_cost = sum((holdings[t].open_cost for t in event.markets if t in holdings), D(0))
    if event.exclusive:
        outcomes = [{t: t == winner for t in event.markets} for winner in event.markets]
    else:
        outcomes = [dict.fromkeys(event.markets, yes) for yes in (True, False)]
    paid = []
    for settles_yes in outcomes:
        total = D(0)
        for ticker, holding in holdings.items():
            if ticker not in event.markets or holding.excess_side is None:
                continue
            if settles_yes[ticker] == (holding.excess_side is Side.YES):
                total += holding.excess * event.payout
        paid.append(total)
    return max(D(0), open_cost - min(paid))


def test_a_single_market_events_exposure_is_its_open_cost() -> None:
    holdings: dict[str, Holding] = {}
    _bought(holdings, "KX-A", Side.YES, D("0.40"), D(10))
    _bought(holdings, "KX-A", Side.NO, D("0.55"), D(4))
    _bought(holdings, "KX-B", Side.YES, D("0.30"), D(5))  # another event: ignored
    single = Event.single("KX-A")

    assert complete_sets(single, holdings) == (None, D(0))
    assert event_exposure(single, holdings) == holdings["KX-A"].open_cost > 0


def test_a_partly_filled_basket_is_exposed_by_the_cost_of_its_filled_legs() -> None:
    holdings: dict[str, Holding] = {}
    _bought(holdings, "KX-A", Side.YES, D("0.30"), D(10))
    _bought(holdings, "KX-B", Side.YES, D("0.30"), D(10))

    assert complete_sets(EVENT, holdings) == (None, D(0))
    assert event_exposure(EVENT, holdings) == D("3.03") + D("3.03")  # notional + 1% fee each


def test_a_complete_yes_set_bought_below_its_payout_is_exposed_by_nothing() -> None:
    holdings: dict[str, Holding] = {}
    for ticker in EVENT.markets:
        _bought(holdings, ticker, Side.YES, D("0.30"), D(10))

    assert complete_sets(EVENT, holdings) == (Side.YES, D(10))
    assert event_exposure(EVENT, holdings) == 0


def test_a_complete_set_bought_above_its_payout_is_exposed_by_its_loss_only() -> None:
    holdings: dict[str, Holding] = {}
    for ticker in EVENT.markets:
        _bought(holdings, ticker, Side.YES, D("0.40"), D(10))  # 12.00 + 0.12 fees for 10.00

    assert event_exposure(EVENT, holdings) == D("2.12")


def test_no_sets_pay_all_but_one_market_and_leftovers_count_in_full() -> None:
    holdings: dict[str, Holding] = {}
    for ticker in EVENT.markets:
        _bought(holdings, ticker, Side.NO, D("0.60"), D(10))  # each NO set pays 2.00
    _bought(holdings, "KX-A", Side.NO, D("0.50"), D(4))  # 14 NO of KX-A cost 8.08 in all

    assert complete_sets(EVENT, holdings) == (Side.NO, D(10))
    # the sets (10/14 of KX-A's cost, rounded down, and the others' 6.06) pay 20.00:
    # hedged; the 4 NO of KX-A beyond them are not: 4/14 of 8.08, rounded up
    assert event_exposure(EVENT, holdings) == D("2.308572")


def test_mixed_sides_form_no_set() -> None:
    holdings: dict[str, Holding] = {}
    _bought(holdings, "KX-A", Side.YES, D("0.30"), D(10))
    _bought(holdings, "KX-B", Side.NO, D("0.70"), D(10))
    _bought(holdings, "KX-C", Side.YES, D("0.30"), D(10))

    assert complete_sets(EVENT, holdings) == (None, D(0))
    assert event_exposure(EVENT, holdings) == sum(h.open_cost for h in holdings.values())


_prices = st.integers(min_value=1, max_value=9_999).map(lambda n: n * TICK)
_counts = st.integers(min_value=1, max_value=5_000).map(lambda n: n * CENT)
_buys = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(Side), _prices, _counts), min_size=0, max_size=12
)


@settings(max_examples=300)
@given(buys=_buys, markets=st.integers(2, 4), exclusive=st.booleans())
def test_event_exposure_is_never_below_the_true_worst_case_nor_above_the_open_cost(
    buys: list[tuple[int, Side, D, D]], markets: int, exclusive: bool
) -> None:
    tickers = tuple(f"KX-{i}" for i in range(markets))
    event = Event("KX-EV", tickers, True) if exclusive else Event.single(tickers[0])
    holdings: dict[str, Holding] = {}
    for index, side, price, count in buys:
        _bought(holdings, tickers[index % markets], side, price, count)

    exposure = event_exposure(event, holdings)

    open_cost = sum((holdings[t].open_cost for t in event.markets if t in holdings), D(0))
    assert _true_worst_loss(event, holdings) <= exposure <= open_cost
    assert exposure >= 0


@settings(max_examples=200)
@given(
    prices=st.lists(st.integers(1, 3_000).map(lambda n: n * TICK), min_size=3, max_size=3),
    count=_counts,
    filled=st.integers(0, 3),
    side=st.sampled_from(Side),
)
def test_a_basket_is_exposed_by_its_filled_legs_until_every_leg_is_held(
    prices: list[D], count: D, filled: int, side: Side
) -> None:
    holdings: dict[str, Holding] = {}
    for ticker, price in list(zip(EVENT.markets, prices, strict=True))[:filled]:
        _bought(holdings, ticker, side, price if side is Side.YES else 1 - price, count)
    cost = sum((h.open_cost for h in holdings.values()), D(0))

    exposure = event_exposure(EVENT, holdings)

    if filled < len(EVENT.markets):
        assert exposure == cost  # nothing hedged until every leg is held
    else:
        paid = count * (1 if side is Side.YES else len(EVENT.markets) - 1)
        assert exposure == max(D(0), cost - paid)  # only a loss above the payout is left
