"""Basket arbitrage money logic: a proposed basket pays at least min_edge whoever wins."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Side
from actors.errors import InvalidFieldError
from actors.fees import FeeModel
from actors.money import KalshiFees, LotSize, PolymarketFees, PriceGrid
from actors.strategy._basket import (
    Ask,
    BasketKind,
    BasketProposal,
    OutcomeBook,
    price_basket,
    propose_basket,
)

ONE = Decimal(1)
TICKS = [Decimal(t) for t in ("0.01", "0.005", "0.001", "0.0001")]
LOTS = [
    LotSize(Decimal("0.01")),
    LotSize(Decimal(1), places=2),
    LotSize(Decimal("0.01"), min_size=Decimal(5)),
]
FEES: list[KalshiFees | PolymarketFees] = [
    KalshiFees(),
    KalshiFees(taker_rate=Decimal("0.035"), balance_precision=Decimal("0.0001")),
    PolymarketFees(taker_rate=Decimal("0.04")),
    PolymarketFees(taker_rate=Decimal("0.072"), exponent=2),
    PolymarketFees(taker_rate=Decimal(0)),
]


def round_to(value: Fraction, step: Fraction, *, up: bool) -> Fraction:
    units = value / step
    return (math.ceil(units) if up else math.floor(units)) * step


def leg_cost(fees: KalshiFees | PolymarketFees, size: Decimal, price: Decimal) -> Fraction:
    """What buying one leg costs, from the venues' rules, independently of actors.money."""
    p, c = Fraction(price), Fraction(size)
    if isinstance(fees, KalshiFees):
        trade_fee = round_to(
            Fraction(fees.taker_rate) * c * p * (1 - p), Fraction(1, 10**4), up=True
        )
        return round_to(c * p + trade_fee, Fraction(fees.balance_precision), up=True)
    raw = Fraction(fees.taker_rate) * c * (p * (1 - p)) ** fees.exponent
    return c * p + round_to(raw, Fraction(1, 10**5), up=True)


def settlement(proposal: BasketProposal, winner: str) -> Fraction:
    """What the legs pay when ``winner`` settles YES and every other outcome settles NO."""
    paid = Fraction(0)
    for leg in proposal.legs:
        if (leg.side is Side.YES and leg.ticker == winner) or (
            leg.side is Side.NO and leg.ticker != winner
        ):
            paid += Fraction(leg.size)
    return paid


def snap(grid: PriceGrid, target: Fraction) -> Decimal:
    """The grid price at or below ``target``, clamped into the grid."""
    index = math.floor((target - Fraction(grid.min_price)) / Fraction(grid.tick))
    return grid.price_at(min(max(index, 0), grid.steps))


@st.composite
def events(draw: st.DrawFn) -> tuple[list[OutcomeBook], Decimal | None]:
    """2-6 outcomes whose YES and NO asks sum near their payouts, some below, some above.

    Markets of one event share a venue, so a lot and a fee schedule; ticks may differ.
    """
    n = draw(st.integers(min_value=2, max_value=6))
    lot = draw(st.sampled_from(LOTS))
    fees = draw(st.sampled_from(FEES))
    yes_total = Fraction(draw(st.integers(min_value=80, max_value=104)), 100)
    no_total = Fraction(draw(st.integers(min_value=80, max_value=104)), 100) * (n - 1)
    weights = draw(st.lists(st.integers(1, 10), min_size=n, max_size=n))
    depths = st.decimals(min_value=0, max_value=Decimal(500), places=2)
    outcomes = []
    for index, weight in enumerate(weights):
        grid = PriceGrid(draw(st.sampled_from(TICKS)), places=4, ticker=f"EV-{index}")
        yes = snap(grid, yes_total * weight / sum(weights))
        no = snap(grid, no_total * (sum(weights) - weight) / (sum(weights) * (n - 1)))
        outcomes.append(
            OutcomeBook(
                f"EV-{index}",
                Ask(yes, draw(depths)) if draw(st.integers(0, 20)) else None,
                Ask(no, draw(depths)) if draw(st.integers(0, 20)) else None,
                grid,
                lot,
                fees,
            )
        )
    max_size = draw(st.none() | st.decimals(min_value=1, max_value=Decimal(300), places=0))
    return outcomes, max_size


min_edges = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(2), places=4)


@given(events(), min_edges)
def test_a_proposed_basket_pays_at_least_min_edge_whichever_outcome_wins(
    event: tuple[list[OutcomeBook], Decimal | None], min_edge: Decimal
) -> None:
    outcomes, max_size = event
    proposal = propose_basket(outcomes, payout=ONE, min_edge=min_edge, max_size=max_size)
    if proposal is None:
        return
    by_ticker = {outcome.ticker: outcome for outcome in outcomes}
    cost = Fraction(0)
    for leg in proposal.legs:
        fees = by_ticker[leg.ticker].fees
        assert isinstance(fees, KalshiFees | PolymarketFees)
        cost += leg_cost(fees, leg.size, leg.price)
    assert Fraction(proposal.total_cost) == cost
    edges = [settlement(proposal, winner) - cost for winner in by_ticker]
    assert all(edge >= Fraction(min_edge) for edge in edges)
    assert Fraction(proposal.worst_case_edge) == min(edges)
    assert all(Fraction(proposal.guaranteed_payout) == edge + cost for edge in edges)


@given(events(), min_edges)
def test_legs_keep_the_book_prices_and_share_one_size_on_every_lot_within_every_depth(
    event: tuple[list[OutcomeBook], Decimal | None], min_edge: Decimal
) -> None:
    outcomes, max_size = event
    proposal = propose_basket(outcomes, payout=ONE, min_edge=min_edge, max_size=max_size)
    if proposal is None:
        return
    assert [leg.ticker for leg in proposal.legs] == [outcome.ticker for outcome in outcomes]
    depths = []
    for leg, outcome in zip(proposal.legs, outcomes, strict=True):
        ask = outcome.ask(proposal.kind.side)
        assert ask is not None
        assert leg.side is proposal.kind.side
        assert leg.price == ask.price
        assert outcome.grid.contains(leg.price)
        assert leg.size == proposal.size
        assert outcome.lot.contains(leg.size)
        assert leg.size <= ask.size
        depths.append(ask.size)
    thinnest = min(depths) if max_size is None else min([*depths, max_size])
    assert proposal.size == outcomes[0].lot.round_down(thinnest)  # one lot per event here


@given(events(), min_edges, st.data())
def test_no_basket_of_a_kind_is_proposed_when_any_of_its_legs_lacks_depth(
    event: tuple[list[OutcomeBook], Decimal | None], min_edge: Decimal, data: st.DataObject
) -> None:
    outcomes, max_size = event
    proposal = propose_basket(outcomes, payout=ONE, min_edge=min_edge, max_size=max_size)
    if proposal is None:
        return
    side = proposal.kind.side
    victim = data.draw(st.integers(0, len(outcomes) - 1))
    ask = outcomes[victim].ask(side)
    assert ask is not None
    below_lot = outcomes[victim].lot.min_size - outcomes[victim].lot.step
    for thin in (None, attrs.evolve(ask, size=Decimal(0)), attrs.evolve(ask, size=below_lot)):
        starved = list(outcomes)
        if side is Side.YES:
            starved[victim] = attrs.evolve(outcomes[victim], yes_ask=thin)
        else:
            starved[victim] = attrs.evolve(outcomes[victim], no_ask=thin)
        assert price_basket(starved, proposal.kind, payout=ONE, max_size=max_size) is None
        again = propose_basket(starved, payout=ONE, min_edge=min_edge, max_size=max_size)
        assert again is None or again.kind is not proposal.kind


@given(events(), min_edges)
def test_the_proposal_is_the_better_of_the_two_kinds_and_none_only_when_neither_clears(
    event: tuple[list[OutcomeBook], Decimal | None], min_edge: Decimal
) -> None:
    outcomes, max_size = event
    proposal = propose_basket(outcomes, payout=ONE, min_edge=min_edge, max_size=max_size)
    priced = [price_basket(outcomes, kind, payout=ONE, max_size=max_size) for kind in BasketKind]
    clearing = [basket for basket in priced if basket and basket.worst_case_edge >= min_edge]
    if not clearing:
        assert proposal is None
    else:
        assert proposal is not None
        assert proposal.worst_case_edge == max(basket.worst_case_edge for basket in clearing)


@given(
    st.integers(min_value=1, max_value=98),
    st.integers(min_value=1, max_value=98),
    st.integers(min_value=1, max_value=200),
    st.integers(min_value=1, max_value=200),
)
def test_the_two_leg_complement_is_the_degenerate_basket(
    yes_cents: int, no_cents: int, yes_depth: int, no_depth: int
) -> None:
    """YES and NO of one market are two exclusive, exhaustive outcomes.

    Buying both is the ALL_YES basket of the pair; its edge is the complement
    arbitrage's classic integer-cent arithmetic (Kalshi fee ceil'd to the cent).
    """
    grid, lot, fees = PriceGrid(Decimal("0.01")), LotSize(Decimal(1), places=2), KalshiFees()
    yes, no = Decimal(yes_cents) / 100, Decimal(no_cents) / 100
    market_yes = OutcomeBook("MKT.yes", Ask(yes, Decimal(yes_depth)), None, grid, lot, fees)
    market_no = OutcomeBook("MKT.no", Ask(no, Decimal(no_depth)), None, grid, lot, fees)
    count = min(yes_depth, no_depth)

    def fee_cents(cents: int) -> int:
        return math.ceil(Fraction(7, 100) * count * cents * (100 - cents) / 100)

    edge_cents = 100 * count - (yes_cents + no_cents) * count - fee_cents(yes_cents)
    edge_cents -= fee_cents(no_cents)
    basket = price_basket([market_yes, market_no], BasketKind.ALL_YES, payout=ONE)
    assert basket is not None
    assert basket.size == count
    assert basket.worst_case_edge * 100 == edge_cents
    proposal = propose_basket([market_yes, market_no], payout=ONE, min_edge=Decimal("0.01"))
    assert (proposal is not None) == (edge_cents >= 1)


@given(
    st.integers(min_value=1, max_value=9_998),
    st.integers(min_value=1, max_value=9_998),
    st.integers(min_value=1, max_value=100_000),
    st.integers(min_value=1, max_value=100_000),
)
def test_the_basket_and_the_complement_fee_model_agree_on_any_price_and_size(
    yes_units: int, no_units: int, yes_depth: int, no_depth: int
) -> None:
    """One fee implementation: the two-leg basket built on ``FeeModel().schedule`` has
    exactly the edge :meth:`FeeModel.complement_edge` computes, sub-penny and fractional."""
    model = FeeModel()
    grid, lot = PriceGrid(Decimal("0.0001")), LotSize(Decimal("0.01"))
    yes, no = Decimal(yes_units).scaleb(-4), Decimal(no_units).scaleb(-4)
    depths = Decimal(yes_depth).scaleb(-2), Decimal(no_depth).scaleb(-2)
    market_yes = OutcomeBook("MKT.yes", Ask(yes, depths[0]), None, grid, lot, model.schedule)
    market_no = OutcomeBook("MKT.no", Ask(no, depths[1]), None, grid, lot, model.schedule)
    basket = price_basket([market_yes, market_no], BasketKind.ALL_YES, payout=ONE)
    assert basket is not None
    assert basket.size == min(depths)
    assert basket.worst_case_edge == model.complement_edge(basket.size, yes, no)


def test_a_three_way_event_sized_by_its_thinnest_leg() -> None:
    grid, lot, fees = PriceGrid(Decimal("0.01"), places=4), LotSize(Decimal("0.01")), KalshiFees()
    outcomes = [
        OutcomeBook(t, Ask(Decimal("0.30"), d), Ask(Decimal("0.75"), Decimal(100)), grid, lot, fees)
        for t, d in [("A", Decimal(10)), ("B", Decimal("7.5")), ("C", Decimal(20))]
    ]
    proposal = propose_basket(outcomes, payout=ONE, min_edge=Decimal("0.01"))
    assert proposal is not None
    assert proposal.kind is BasketKind.ALL_YES
    assert proposal.size == Decimal("7.5")
    # each leg: 7.5 x 0.30 = 2.25, fee 0.07 x 7.5 x 0.21 = 0.11025 -> 0.1103; 2.3603 -> 2.37
    assert [leg.cost for leg in proposal.legs] == [Decimal("2.37")] * 3
    assert proposal.total_cost == Decimal("7.11")
    assert proposal.guaranteed_payout == Decimal("7.5")
    assert proposal.worst_case_edge == Decimal("0.39")
    assert propose_basket(outcomes, payout=ONE, min_edge=Decimal("0.40")) is None
    capped = propose_basket(outcomes, payout=ONE, min_edge=Decimal("0.01"), max_size=Decimal(2))
    assert capped is not None
    assert capped.size == 2


def test_the_no_basket_pays_n_minus_one_payouts() -> None:
    grid, lot, fees = PriceGrid(Decimal("0.001")), LotSize(Decimal(1), places=2), PolymarketFees()
    depths = {"A": Decimal(10), "B": Decimal("12.5"), "C": Decimal(30), "D": Decimal(40)}
    yes, no = Decimal("0.400"), Decimal("0.600")
    outcomes = [
        OutcomeBook(t, Ask(yes, Decimal(50)), Ask(no, d), grid, lot, fees)
        for t, d in depths.items()
    ]
    proposal = propose_basket(outcomes, payout=ONE, min_edge=Decimal("0.01"))
    assert proposal is not None
    assert proposal.kind is BasketKind.ALL_NO
    assert proposal.size == 10
    assert proposal.guaranteed_payout == 30  # 3 of the 4 NOs pay $1 x 10
    fee = Decimal("0.04") * 10 * Decimal("0.24")  # 0.096 per leg
    assert proposal.total_cost == 4 * (6 + fee)
    assert proposal.worst_case_edge == 30 - 4 * (6 + fee)


def test_mixed_lots_take_a_size_valid_on_every_lot() -> None:
    grid, fees = PriceGrid(Decimal("0.01")), PolymarketFees(taker_rate=Decimal(0))
    fractional = LotSize(Decimal("0.01"))
    whole = LotSize(Decimal(1), places=2)
    half = LotSize(Decimal("0.25"))
    outcomes = [
        OutcomeBook("A", Ask(Decimal("0.2"), Decimal("7.99")), None, grid, fractional, fees),
        OutcomeBook("B", Ask(Decimal("0.3"), Decimal("9.5")), None, grid, whole, fees),
        OutcomeBook("C", Ask(Decimal("0.4"), Decimal("8.75")), None, grid, half, fees),
    ]
    proposal = propose_basket(outcomes, payout=ONE, min_edge=Decimal("0.01"))
    assert proposal is not None
    assert proposal.size == 7
    assert all(outcome.lot.contains(proposal.size) for outcome in outcomes)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"payout": 1}, "payout"),
        ({"min_edge": Decimal(0)}, "min_edge"),
        ({"min_edge": 0.01}, "min_edge"),
        ({"max_size": Decimal(0)}, "max_size"),
        ({"max_size": 5}, "max_size"),
        ({"outcomes": "one"}, "outcomes"),
        ({"outcomes": "duplicate"}, "outcomes"),
        ({"payout": Decimal(2)}, "grid.payout"),
    ],
)
def test_bad_basket_inputs_are_refused_naming_the_field(
    change: dict[str, object], field: str
) -> None:
    grid, lot, fees = PriceGrid(Decimal("0.01")), LotSize(Decimal("0.01")), KalshiFees()
    a = OutcomeBook("A", Ask(Decimal("0.3"), ONE), None, grid, lot, fees)
    b = OutcomeBook("B", Ask(Decimal("0.3"), ONE), None, grid, lot, fees)
    outcomes = {"one": [a], "duplicate": [a, a]}.get(str(change.get("outcomes")), [a, b])
    kwargs: dict[str, object] = {"payout": ONE, "min_edge": Decimal("0.01"), "max_size": None}
    kwargs.update({key: value for key, value in change.items() if key != "outcomes"})
    with pytest.raises(InvalidFieldError) as raised:
        propose_basket(outcomes, **kwargs)  # type: ignore[arg-type]  # bad values on purpose
    assert raised.value.field == field


def test_an_ask_off_the_grid_is_refused_naming_the_tick() -> None:
    grid = PriceGrid(Decimal("0.01"), ticker="KX-A")
    with pytest.raises(InvalidFieldError, match=r"tick 0\.01") as raised:
        OutcomeBook("KX-A", Ask(Decimal("0.305"), ONE), None, grid, LotSize(ONE), KalshiFees())
    assert raised.value.field == "yes_ask.price"
    with pytest.raises(InvalidFieldError, match="size"):
        Ask(Decimal("0.3"), Decimal(-1))
