"""The partial-fill policy as a pure function: one case per row of docs/baskets.md §4,
the orders it builds, and the grid checks made before anything is recorded."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.domain import Action, Fill, OrderRole, Side
from actors.errors import InvalidFieldError
from actors.execution._orders import entry_intents, limit_at_most, priced_for
from actors.execution._outcome import Complete, Settle, Step, Unwind, next_step, shortfall
from actors.messages import (
    MAX_UNWIND_ATTEMPTS,
    MissingLeg,
    Outcome,
    Reservation,
    leg_client_order_id,
)
from actors.money import PriceGrid
from tests.actors.execution_harness import basket, exit_reservation

CENT = PriceGrid(Decimal("0.01"), places=4)
D = Decimal
PLACED = 100.0
CWS = 2.0

THREE = basket(
    "b-1",
    [
        ("SIM-001", Side.YES, "0.30", "5"),
        ("SIM-002", Side.YES, "0.30", "5"),
        ("SIM-003", Side.YES, "0.30", "5"),
    ],
    max_prices=["0.32", "0.33", "0.34"],
    complete_within_s=CWS,
    max_complete_attempts=2,
)


def step(
    held: tuple[str, ...],
    *,
    reservation: Reservation = THREE,
    now: float = PLACED,
    completions_used: int = 0,
    unwinds_used: int = 0,
    may_complete: bool = True,
    errored: bool = False,
    unwound: bool = False,
    may_unwind: bool = True,
) -> Step:
    return next_step(
        reservation,
        tuple(D(h) for h in held),
        now=now,
        deadline=PLACED + CWS,
        completions_used=completions_used,
        unwinds_used=unwinds_used,
        may_complete=may_complete,
        errored=errored,
        unwound=unwound,
        may_unwind=may_unwind,
    )


def missing(index: int, short: str) -> MissingLeg:
    leg = THREE.legs[index]
    return MissingLeg(index, leg.ticker, leg.side, D(short), leg.client_order_id)


# -- one case per row of the table --------------------------------------------------------


def test_every_leg_holding_its_count_settles_filled() -> None:
    assert step(("5", "5", "5")) == Settle(Outcome.FILLED, (), "every leg filled")


def test_balanced_below_the_count_settles_partial() -> None:
    assert step(("2", "2", "2")) == Settle(Outcome.PARTIAL, (), "balanced at 2")


def test_nothing_filled_with_every_leg_placed_settles_none() -> None:
    assert step(("0", "0", "0")).outcome is Outcome.NONE  # type: ignore[union-attr]


def test_nothing_filled_and_a_leg_that_errored_settles_failed() -> None:
    assert step(("0", "0", "0"), errored=True).outcome is Outcome.FAILED  # type: ignore[union-attr]


def test_unbalanced_within_the_deadline_completes_the_short_legs_at_their_max_price() -> None:
    decided = step(("5", "2", "0"), now=PLACED + 0.1)

    assert isinstance(decided, Complete)
    assert (decided.attempt, decided.due_at) == (0, PLACED)  # attempt 0 is due at once
    assert [(i.client_order_id, i.ticker, i.side, i.action, i.price, i.count)
            for i in decided.intents] == [
        (leg_client_order_id("b-1", 1, OrderRole.COMPLETE, 0), "SIM-002", Side.YES,
         Action.BUY, D("0.33"), D(3)),
        (leg_client_order_id("b-1", 2, OrderRole.COMPLETE, 0), "SIM-003", Side.YES,
         Action.BUY, D("0.34"), D(5)),
    ]  # fmt: skip


def test_a_later_completion_attempt_is_due_at_its_share_of_the_window() -> None:
    decided = step(("5", "4", "5"), now=PLACED + 0.5, completions_used=1)

    assert isinstance(decided, Complete)
    assert (decided.attempt, decided.due_at) == (1, PLACED + CWS / 2)
    (intent,) = decided.intents
    assert (intent.client_order_id, intent.count) == (
        leg_client_order_id("b-1", 1, OrderRole.COMPLETE, 1),
        D(1),
    )


@pytest.mark.parametrize(
    "why",
    [
        {"now": PLACED + CWS},  # the deadline has come
        {"completions_used": 2},  # every completion attempt used
        {"may_complete": False},  # halted, or an in-doubt resolution
        {"unwound": True, "may_unwind": True},  # after an unwind, never buy again
    ],
    ids=["deadline", "attempts", "may_not_complete", "unwound"],
)
def test_unbalanced_otherwise_unwinds_every_leg_down_to_the_lowest(why: dict[str, object]) -> None:
    decided = step(("5", "2", "3"), unwinds_used=1, **why)  # type: ignore[arg-type]

    assert decided == Unwind(1, ((0, D(3)), (2, D(1))))


def test_unbalanced_with_no_unwind_attempt_left_settles_unhedged_naming_the_short_legs() -> None:
    decided = step(("5", "2", "3"), may_complete=False, unwinds_used=MAX_UNWIND_ATTEMPTS)

    assert decided == Settle(
        Outcome.UNHEDGED, (missing(1, "3"), missing(2, "2")), "no unwind attempt left"
    )


def test_still_unbalanced_after_its_own_unwind_settles_unhedged() -> None:
    decided = step(("3", "2", "2"), unwound=True, may_unwind=False, unwinds_used=1)

    assert decided == Settle(Outcome.UNHEDGED, (missing(1, "1"), missing(2, "1")),
                             "unwind left it unhedged")  # fmt: skip


@pytest.mark.parametrize(("level", "why"), [("2", "unwound to 2"), ("0", "unwound to 0")])
def test_balanced_after_an_unwind_settles_partial_even_at_zero(level: str, why: str) -> None:
    decided = step((level,) * 3, unwound=True, may_unwind=False, unwinds_used=1)

    assert decided == Settle(Outcome.PARTIAL, (), why)


@pytest.mark.parametrize(
    ("sold", "errored", "outcome"),
    [
        ("4", False, Outcome.FILLED),
        ("1", False, Outcome.PARTIAL),
        ("0", False, Outcome.NONE),
        ("0", True, Outcome.FAILED),
    ],
)
def test_an_exit_settles_on_what_it_sold_and_is_never_unhedged(
    sold: str, errored: bool, outcome: Outcome
) -> None:
    exit_ = exit_reservation("x-1", "SIM-001", Side.YES, "0.60", "4")

    decided = step((sold,), reservation=exit_, errored=errored)

    assert isinstance(decided, Settle)
    assert (decided.outcome, decided.missing) == (outcome, ())


def test_held_must_name_every_leg() -> None:
    with pytest.raises(ValueError, match="3 legs"):
        step(("5", "5"))


# -- properties -------------------------------------------------------------------------------

held_counts = st.lists(
    st.integers(min_value=0, max_value=500).map(lambda n: D(n) / 100), min_size=3, max_size=3
)


@given(held=held_counts)
def test_what_the_policy_sends_would_balance_the_basket(held: list[Decimal]) -> None:
    levels = tuple(held)
    top, low = max(levels), min(levels)
    for used in (0, 2):
        decided = next_step(
            THREE, levels, now=PLACED, deadline=PLACED + CWS, completions_used=used,
            unwinds_used=0, may_complete=True,
        )  # fmt: skip
        if top == low:
            assert isinstance(decided, Settle)
            assert decided.missing == ()
        elif used == 0:  # completing brings every short leg up to the top
            assert isinstance(decided, Complete)
            after = list(levels)
            for intent in decided.intents:
                index = int(intent.client_order_id[-3:-1])
                after[index] += intent.count
                assert intent.price == THREE.legs[index].max_price
            assert after == [top] * 3
        else:  # unwinding brings every leg down to the lowest
            assert isinstance(decided, Unwind)
            after = list(levels)
            for index, count in decided.need:
                after[index] -= count
            assert after == [low] * 3


@given(held=held_counts)
def test_the_short_legs_are_those_settlement_names_from_the_same_fills(held: list[Decimal]) -> None:
    fills = tuple(
        Fill(f"t{leg.index}", leg.client_order_id, leg.ticker, leg.side, Action.BUY,
             leg.price, count)
        for leg, count in zip(THREE.legs, held, strict=True)
        if count > 0
    )  # fmt: skip

    settlement = THREE.settlement(fills)

    assert settlement.held == tuple(held)
    assert shortfall(THREE, held) == settlement.missing


# -- prices on the grid ---------------------------------------------------------------------------


def test_max_price_is_floored_onto_the_grid_never_above_what_risk_reserved() -> None:
    assert limit_at_most(D("0.349"), CENT) == D("0.34")
    assert limit_at_most(D("0.34"), CENT) == D("0.34")
    assert limit_at_most(D("0.995"), CENT) == D("0.99")  # at most the grid's top
    with pytest.raises(InvalidFieldError, match="max_price"):
        limit_at_most(D("0.005"), CENT)


def test_priced_for_floors_every_max_price_and_keeps_the_entry_prices() -> None:
    fine = PriceGrid(D("0.001"), places=4)
    res = attrs.evolve(THREE, legs=tuple(
        attrs.evolve(leg, max_price=D("0.3375")) for leg in THREE.legs
    ))  # fmt: skip

    priced = priced_for(res, {"SIM-001": CENT, "SIM-002": fine, "SIM-003": CENT})

    assert [leg.max_price for leg in priced.legs] == [D("0.33"), D("0.337"), D("0.33")]
    assert [leg.price for leg in priced.legs] == [D("0.30")] * 3
    assert entry_intents(priced) == entry_intents(res)


def test_one_leg_off_its_grid_fails_the_whole_reservation_naming_the_leg() -> None:
    res = attrs.evolve(
        THREE, legs=(THREE.legs[0], attrs.evolve(THREE.legs[1], price=D("0.305")), THREE.legs[2])
    )

    with pytest.raises(InvalidFieldError, match=r"legs\[1\]\.price"):
        priced_for(res, {"SIM-001": CENT, "SIM-002": CENT, "SIM-003": CENT})


def test_entry_orders_go_out_under_each_legs_own_entry_id() -> None:
    intents = entry_intents(THREE)

    assert [i.client_order_id for i in intents] == [
        leg_client_order_id("b-1", index) for index in range(3)
    ]
    assert all(i.action is Action.BUY and i.count == D(5) for i in intents)
