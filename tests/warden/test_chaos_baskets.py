"""Invariant 14, ``baskets_hedged_or_named``, on synthetic histories.

The basket is the complement of healthy(): reservation r1 buys 10 YES (leg 0,
id ``cy``) and 10 NO (leg 1, id ``cn``) of SIM-001, placed at T0 + 0.95 with
``complete_within_s`` 2 s; ``basket_grace_s`` is 15 s, so the bound is T0 + 17.95.
Only 4 NO fill: leg 1 is 6 short until it is answered.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from actors.domain import OrderRole
from actors.history import HistoryLine
from actors.messages import leg_client_order_id
from tests.warden.test_chaos_checkers import (
    T0,
    D,
    Venue,
    basket_line,
    daemon_line,
    healthy,
    intent,
    leg,
    reconciled_line,
    reservation,
    reservation_line,
)
from warden.chaos import Evidence, check_all
from warden.chaos._baskets import baskets_hedged_or_named, leg_ids, short_legs
from warden.chaos._history import UnreadableLine
from warden.chaos._ledger import LedgerRows

PLACED = T0 + 0.95
BOUND = PLACED + 2.0 + 15.0
UNWIND = leg_client_order_id("r1", 0, OrderRole.UNWIND, 0)
COMPLETE = leg_client_order_id("r1", 1, OrderRole.COMPLETE, 0)


def partial(
    *,
    no_filled: Decimal = Decimal(4),
    outcome: str = "partial",
    named: dict[int, Decimal] | None = None,
    history: tuple[HistoryLine, ...] = (),
    venue: Venue | None = None,
) -> Evidence:
    """r1 with 10 YES and ``no_filled`` NO at the venue (plus what ``venue`` already
    holds, e.g. an unwind), released with ``outcome`` and the legs' ``missing``
    ``named``; its daemon history ends with ``history``."""
    base = healthy()
    venue = venue or Venue()
    yes = venue.order(T0 + 1.0, "cy", "yes", D("0.40"), D(10))
    venue.fill(T0 + 1.0, yes, D(10))
    no = venue.order(T0 + 1.1, "cn", "no", D("0.55"), D(10))
    venue.fill(T0 + 1.1, no, no_filled)
    venue.cancel(T0 + 1.1, no)
    venue.entries.sort(key=lambda entry: entry["ts"])
    named = named or {}
    ledger = LedgerRows(
        orders=(
            intent("cy", "yes", D("0.40"), D(10), T0 + 0.9, leg=0),
            intent("cn", "no", D("0.55"), D(10), T0 + 0.9, leg=1),
        ),
        reservations=(reservation("released", outcome=outcome),),
        legs=(
            leg(0, "cy", "yes", D("0.40"), missing=named.get(0)),
            leg(1, "cn", "no", D("0.55"), missing=named.get(1)),
        ),
    )
    daemon: tuple[HistoryLine, ...] = (
        daemon_line(T0, "start", 1),
        reconciled_line(T0 + 0.5),
        reservation_line(T0 + 0.8, "r1", "reserve"),
        basket_line(PLACED, "r1", "placing"),
        *history,
    )
    return attrs.evolve(base, truth=tuple(venue.entries), ledger=ledger, daemon=daemon)


def sold(t: float, count: Decimal, order_id: str = UNWIND) -> Venue:
    """A venue whose trader sold ``count`` YES with ``order_id`` at ``t`` (an unwind)."""
    venue = Venue()
    unwind = venue.order(t, order_id, "yes", D("0.38"), count, action="sell")
    venue.fill(t, unwind, count)
    return venue


def judged(ev: Evidence) -> Any:
    return baskets_hedged_or_named(ev)


# --- held ------------------------------------------------------------------------------


def test_a_hedged_basket_holds_and_the_clean_history_holds_every_invariant() -> None:
    result = judged(healthy())
    assert (result.status, result.counts["baskets_filled"]) == ("held", 1)
    assert "unbalanced_at_bound" not in result.counts


def test_a_basket_unwound_in_time_holds() -> None:
    """The unwind order (an id no ledger row names: found by enumerating the
    reservation's ids) sells the 6 YES the NO leg lacks: balanced at 4 by the bound."""
    ev = partial(
        history=(basket_line(T0 + 3.4, "r1", "unwinding"),),
        venue=sold(T0 + 3.5, D(6)),
    )
    result = judged(ev)
    assert (result.status, result.counts["baskets_filled"]) == ("held", 1)
    assert "unbalanced_at_bound" not in result.counts
    assert "unbalanced_final" not in result.counts


def test_an_unwind_sent_in_time_answers_though_it_sold_only_part() -> None:
    ev = partial(
        history=(basket_line(T0 + 3.4, "r1", "unwinding"),),
        venue=sold(T0 + 3.5, D(3)),
    )
    result = judged(ev)
    assert result.status == "held", result
    assert result.counts["answered_at_bound_by_unwinding_line"] == 1
    assert result.counts["unbalanced_final"] == 1


def test_a_partial_recorded_in_time_naming_the_short_leg_holds() -> None:
    ev = partial(
        outcome="unhedged",
        named={1: D(6)},
        history=(reservation_line(T0 + 5.0, "r1", "release", missing=(1,)),),
    )
    result = judged(ev)
    assert result.status == "held", result
    assert result.counts["answered_at_bound_by_release_line"] == 1
    assert result.counts["answered_final_by_release_line"] == 1


def test_the_ledgers_unhedged_row_answers_by_its_existence() -> None:
    """Its times are the daemon's clock: existence only (the release line was lost)."""
    result = judged(partial(outcome="unhedged", named={1: D(6)}))
    assert result.status == "held", result
    assert result.counts["answered_at_bound_by_ledger_unhedged"] == 1


def test_a_basket_placed_by_a_killed_process_is_answered_after_the_next_reconciliation() -> None:
    """SIGKILL at T0 + 2 (before the bound): the bound becomes the next process's
    first ``reconciled ok`` (T0 + 40) + the grace."""
    restart = (daemon_line(T0 + 39.0, "start", 2), attrs.evolve(reconciled_line(T0 + 40.0), pid=2))
    killed = ({"t": T0 + 2.0, "kind": "daemon_exit", "pid": 1, "code": -9, "by": "sigkill"},)

    def answered_at(t: float) -> Any:
        release = attrs.evolve(reservation_line(t, "r1", "release", missing=(1,)), pid=2)
        ev = partial(history=(*restart, release))
        return judged(attrs.evolve(ev, harness=ev.harness + killed))

    result = answered_at(T0 + 50.0)
    assert result.status == "held", result
    assert result.counts["bound_moved_to_reconciliation"] == 1
    late = answered_at(T0 + 56.0)  # past T0 + 40 + 15
    assert late.status == "violated"
    assert late.witnesses[0]["bound_t"] == T0 + 55.0


def test_a_placing_line_lost_with_the_process_takes_the_venues_acceptance_as_placed() -> None:
    """The SIGKILL took the line: placed is the venue's first acceptance (T0 + 1.0),
    by the process alive then (pid 1), whose end moves the bound as before."""
    restart = (daemon_line(T0 + 39.0, "start", 2), attrs.evolve(reconciled_line(T0 + 40.0), pid=2))
    killed = ({"t": T0 + 2.0, "kind": "daemon_exit", "pid": 1, "code": -9, "by": "sigkill"},)
    release = attrs.evolve(reservation_line(T0 + 50.0, "r1", "release", missing=(1,)), pid=2)
    ev = partial(history=(*restart, release))
    assert ev.daemon is not None
    without = tuple(line for line in ev.daemon if type(line).KIND != "basket")
    result = judged(attrs.evolve(ev, daemon=without, harness=ev.harness + killed))
    assert result.status == "held", result
    assert result.counts["placed_from_venue"] == 1
    assert result.counts["bound_moved_to_reconciliation"] == 1
    not_killed = judged(attrs.evolve(ev, daemon=without))  # the bound stays T0 + 18.0
    assert not_killed.status == "violated"
    assert not_killed.witnesses[0]["placed_t"] == T0 + 1.0


def test_exits_and_baskets_that_filled_nothing_are_not_judged() -> None:
    ev = partial()
    assert ev.ledger is not None
    exit_row = reservation("released", purpose="exit")
    result = judged(attrs.evolve(ev, ledger=attrs.evolve(ev.ledger, reservations=(exit_row,))))
    assert result.status == "held"
    assert result.counts["arbitrage_reservations"] == 0
    nothing = attrs.evolve(ev, truth=tuple(e for e in ev.truth if e["kind"] != "fill"))
    result = judged(nothing)
    assert (result.status, result.counts.get("baskets_filled")) == ("held", None)


# --- violated --------------------------------------------------------------------------


def test_an_unhedged_basket_nobody_answered_is_witnessed_with_its_rows_fills_and_lines() -> None:
    ev = partial(history=(reservation_line(T0 + 5.0, "r1", "release", missing=()),))
    result = judged(ev)
    assert result.status == "violated"
    (witness,) = result.witnesses
    assert witness["reservation_id"] == "r1"
    assert witness["problems"] == [
        "legs [1] short at the bound, no answer by then",
        "legs [1] short at the end, never answered",
    ]
    assert (witness["held_at_bound"], witness["held_final"]) == ([D(10), D(4)], [D(10), D(4)])
    assert (witness["placed_t"], witness["bound_t"]) == (PLACED, BOUND)
    assert [fill["record"]["client_order_id"] for fill in witness["fills"]] == ["cy", "cn"]
    history = [(line["kind"], line["phase"]) for line in witness["history"]]
    assert history == [
        ("reservation", "reserve"),
        ("basket", "placing"),
        ("reservation", "release"),
    ]
    assert witness["ledger_reservation"]["reservation_id"] == "r1"
    assert [row["leg"] for row in witness["ledger_legs"]] == [0, 1]


def test_an_answer_past_the_bound_is_witnessed_though_the_end_was_named() -> None:
    late = reservation_line(BOUND + 1.0, "r1", "release", missing=(1,))
    result = judged(partial(history=(late,)))
    assert result.status == "violated"
    assert result.witnesses[0]["problems"] == ["legs [1] short at the bound, no answer by then"]
    assert result.counts["answered_final_by_release_line"] == 1
    late_unwind = basket_line(BOUND + 1.0, "r1", "unwinding")
    assert judged(partial(history=(late_unwind,))).status == "violated"


def test_a_partial_naming_the_wrong_leg_is_witnessed() -> None:
    wrong = reservation_line(T0 + 5.0, "r1", "release", missing=(0,))
    result = judged(partial(outcome="unhedged", named={0: D(6)}, history=(wrong,)))
    assert result.status == "violated"
    assert len(result.witnesses[0]["problems"]) == 2


def test_a_basket_left_short_after_the_bound_must_be_named_at_any_time() -> None:
    """Balanced at the bound (10, 10), then 3 YES sold late: only the end is short."""
    venue = sold(BOUND + 5.0, D(3))
    ev = partial(no_filled=D(10), venue=venue)
    result = judged(ev)
    assert result.status == "violated"
    assert result.witnesses[0]["problems"] == ["legs [0] short at the end, never answered"]
    named = reservation_line(BOUND + 60.0, "r1", "release", missing=(0,))
    ev = partial(no_filled=D(10), venue=sold(BOUND + 5.0, D(3)), history=(named,))
    assert judged(ev).status == "held"


def test_check_all_reports_invariant_14() -> None:
    (result,) = [r for r in check_all(partial()) if r.name == "baskets_hedged_or_named"]
    assert (result.invariant, result.status) == (14, "violated")


# --- unknown ---------------------------------------------------------------------------


def test_without_truth_ledger_history_or_grace_the_checker_is_unknown() -> None:
    ev = partial()
    assert judged(attrs.evolve(ev, truth=())).status == "unknown"
    assert judged(attrs.evolve(ev, ledger=None)).status == "unknown"
    assert judged(attrs.evolve(ev, daemon=None)).status == "unknown"
    config = {key: value for key, value in ev.config.items() if key != "basket_grace_s"}
    no_grace = judged(attrs.evolve(ev, config=config))
    assert (no_grace.status, no_grace.detail) == ("unknown", "the config lacks basket_grace_s")


def test_an_unreadable_basket_line_makes_it_unknown() -> None:
    torn = UnreadableLine(9, "basket", "basket: held: expected a decimal", "{}")
    result = judged(attrs.evolve(partial(), daemon_unreadable=(torn,)))
    assert result.status == "unknown"
    assert "basket" in result.detail


# --- the parts -------------------------------------------------------------------------


def test_short_legs_are_those_below_the_most_held() -> None:
    assert short_legs((D(10), D(4), D(10))) == (1,)
    assert short_legs((D(3), D(3))) == ()
    assert short_legs((D(0), D(2), D(1))) == (0, 2)


def test_a_reservations_ids_are_its_entries_completions_unwinds_and_ledger_orders() -> None:
    ev = partial()
    assert ev.ledger is not None
    ids = leg_ids("r1", ev.ledger.legs, ev.ledger)
    assert (ids["cy"], ids["cn"], ids[UNWIND], ids[COMPLETE]) == (0, 1, 0, 1)
    assert len(ids) == 2 + 2 * 2 * 10
