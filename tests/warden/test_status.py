"""The status line: state as risk says it now, counters as process totals that survive restarts."""

from __future__ import annotations

from decimal import Decimal

import attrs

from actors.execution import ExecutionCounts
from actors.risk import RiskCounts
from supervision import ActorSnapshot
from tests.warden import statuses
from tests.warden.snapshot_nodes import node as snapshot_node
from tests.warden.snapshot_nodes import tree
from warden.status import LifetimeCounters, StatusLine, dollars

RISK = statuses.risk(
    exposure=statuses.exposure({"SIM-001": Decimal("1.20")}),
    realised_pnl_today=Decimal("0.50"),
    realised_pnl_total=Decimal(0),
    counts=RiskCounts(reserved=5, fills=9),
)


def node(name: str, summary: object | None, *, epoch: int = 1) -> ActorSnapshot:
    return snapshot_node(name, summary, epoch=epoch, restarts=epoch - 1)


def snapshot(
    *, orders: int, fills: int, opportunities: int, execution: int = 1, risk: int = 1
) -> ActorSnapshot:
    return tree(
        node(
            "risk", attrs.evolve(RISK, counts=RiskCounts(reserved=fills, fills=fills)), epoch=risk
        ),
        node(
            "execution",
            statuses.execution(counts=ExecutionCounts(orders_sent=orders)),
            epoch=execution,
        ),
        node("strategy", statuses.strategy(opportunities=opportunities)),
    )


def test_counters_survive_a_restart_of_the_actor_that_keeps_them() -> None:
    line = StatusLine()
    before = line(snapshot(orders=10, fills=9, opportunities=12))
    assert before.startswith(
        "baskets 12 proposed / 9 reserved, orders 10, fills 9, restarts 0 since start |"
    )
    line(snapshot(orders=14, fills=9, opportunities=15))
    after = line(snapshot(orders=2, fills=1, opportunities=16, execution=2, risk=2))
    assert "orders 16, fills 10" in after  # 14 from epoch 1, 2 from epoch 2
    assert "/ 10 reserved" in after
    assert "restarts 2 since start" in after
    again = line(snapshot(orders=5, fills=3, opportunities=17, execution=2, risk=2))
    assert "orders 19, fills 12" in again


def test_each_ended_incarnation_adds_its_last_seen_value() -> None:
    counters = LifetimeCounters()
    for epoch, value in ((1, 3), (1, 7), (2, 4), (3, 0), (3, 2), (5, 1)):
        counters.observe("orders", epoch, value)
    assert counters.total("orders") == 7 + 4 + 2 + 1
    assert counters.total("fills") is None


def test_a_restarting_actor_that_publishes_nothing_keeps_the_total_shown() -> None:
    line = StatusLine()
    line(snapshot(orders=10, fills=9, opportunities=12))
    away = tree(
        node("risk", RISK),
        node("execution", None, epoch=2),  # the new incarnation has not answered yet
        node("strategy", statuses.strategy(opportunities=12)),
    )
    assert "orders 10," in line(away)
    assert "orders 13," in line(snapshot(orders=3, fills=9, opportunities=12, execution=2))


def test_values_not_published_are_question_marks_and_total_pnl_is_read_when_present() -> None:
    line = StatusLine()
    bare = line(tree(node("risk", None), node("execution", None)))
    assert bare == (
        "baskets ? proposed / ? reserved, orders ?, fills ?, restarts 0 since start"
        " | exposure ? / ? | pnl today ? total ?"
    )
    full = StatusLine()(
        tree(
            node(
                "risk",
                attrs.evolve(
                    RISK, realised_pnl_total=Decimal("-3.10"), halted=True, halt_reason="lunch"
                ),
            ),
            node("execution", statuses.execution()),
        )
    )
    assert "| exposure $1.20 / $200.00 | pnl today $0.50 total -$3.10 |" in full
    assert "orders 0," in full  # a published status that has counted nothing: nothing sent yet
    assert full.endswith("| HALTED (lunch)")


def test_money_is_shown_as_exact_dollars_never_rounded() -> None:
    assert dollars(None) == "?"
    assert dollars(Decimal(0)) == "$0.00"
    assert dollars(Decimal("1234.5")) == "$1,234.50"
    assert dollars(Decimal("-0.0175")) == "-$0.0175"  # a fee to the $0.0001: never rounded
    assert dollars(Decimal("200.00")) == "$200.00"
    assert dollars(Decimal("1E+3")) == "$1,000.00"
    line = StatusLine()(
        tree(node("risk", attrs.evolve(RISK, realised_pnl_today=Decimal("-0.0175"))))
    )
    assert "pnl today -$0.0175 total $0.00" in line


def test_a_feed_behind_the_venue_is_named_and_a_feed_on_time_is_not() -> None:
    def line(lag: float | None) -> str:
        return StatusLine()(
            tree(node("risk", RISK), node("feed", statuses.feed({}, venue_lag_s=lag)))
        )

    assert "feed 8.2s behind the venue" in line(8.24)
    assert "behind the venue" not in line(0.1)
    assert "behind the venue" not in line(None)
