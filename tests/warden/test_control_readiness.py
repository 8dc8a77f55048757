"""Readiness and metrics are pure functions of a tree snapshot: built here by hand."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import attrs
import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from actors.risk import RejectionCounts, RejectReason, RiskCounts
from supervision import ActorSnapshot
from tests.warden import statuses
from tests.warden.snapshot_nodes import node as _node
from warden.control import Readiness, readiness, render_metrics

PERMANENT = ("persistence", "risk", "execution", "strategy", "feed")
READY_STATUSES: dict[str, object] = {
    "persistence": statuses.persistence(),
    "risk": statuses.risk(
        breaker=statuses.breaker(times_opened=2),
        reservations=statuses.reservations(
            held=(statuses.reservation("a"),),
            in_doubt=(statuses.reservation("b"), statuses.reservation("c")),
        ),
        exposure=statuses.exposure({"SIM-001": Decimal("1.20"), "SIM-002": Decimal("0.30")}),
        rejections=RejectionCounts(halted=4, total_exposure=1),
        counts=RiskCounts(fills=3),
        limits=attrs.evolve(statuses.LIMITS, max_concurrent_markets=5),
    ),
    "execution": statuses.execution(
        counts=attrs.evolve(statuses.execution().counts, orders_sent=7, venue_errors=1)
    ),
    "strategy": statuses.strategy(),
    "feed": statuses.feed(
        {
            "SIM-001": statuses.market(seq=5, last_update_age_s=0.25),
            "SIM-002": statuses.market(seq=9, last_update_age_s=1.5),
        }
    ),
}


def _tree(
    changes: dict[str, dict[str, object]] | None = None, **node_fields: dict[str, object]
) -> ActorSnapshot:
    """The ready tree; ``changes[name]`` replaces fields of a status, ``node_fields[name]``
    a node's fields."""
    published = dict(READY_STATUSES)
    for name, update in (changes or {}).items():
        published[name] = attrs.evolve(published[name], **update)
    children = tuple(
        _node(name, published[name], **node_fields.get(name, {})) for name in PERMANENT
    )
    root = _node("warden", None, path="warden", kind="supervisor", processed=0)
    return attrs.evolve(root, children=children)


def test_a_tree_with_every_check_passing_is_ready() -> None:
    ready = readiness(_tree(), PERMANENT)
    assert ready.ready is True
    assert ready.reasons == ()
    assert set(ready.checks.values()) == {True}


@pytest.mark.parametrize(
    ("changes", "fields", "check", "reason"),
    [
        ({}, {"execution": {"status": "restarting"}}, "actors", "execution is restarting"),
        (
            {"risk": {"reconciled": False, "reconcile_detail": "venue unreachable"}},
            {},
            "reconciliation",
            "reconciliation has not completed (risk: venue unreachable)",
        ),
        (
            {"execution": {"reconciled": False, "reconcile_detail": None}},
            {},
            "reconciliation",
            "reconciliation has not completed (execution: not yet)",
        ),
        (
            {"risk": {"halted": True, "halt_reason": "ledger write failed: disk full"}},
            {},
            "halt",
            "trading is halted: ledger write failed: disk full",
        ),
        (
            {"feed": {"markets": {"SIM-001": statuses.market(stale=True, last_update_age_s=7.5)}}},
            {},
            "feed",
            "feed: SIM-001 is stale (last update 7.5s ago)",
        ),
        (
            {"feed": {"markets": {}, "connection": statuses.connection("connecting", 0)}},
            {},
            "feed",
            "feed has no market books yet (connection connecting)",
        ),
        (
            {"persistence": {"open": False, "last_error": "unable to open database file"}},
            {},
            "persistence",
            "persistence cannot write: ledger unable to open database file",
        ),
        (
            {},
            {"persistence": {"summary_stale": True}},
            "persistence",
            "persistence did not answer in time (busy or hung)",
        ),
    ],
)
def test_each_failing_check_makes_the_daemon_unready_and_says_why(
    changes: dict[str, dict[str, object]],
    fields: dict[str, dict[str, object]],
    check: str,
    reason: str,
) -> None:
    ready = readiness(_tree(changes, **fields), PERMANENT)
    assert ready.ready is False
    assert ready.reasons == (reason,)
    assert [name for name, passed in ready.checks.items() if not passed] == [check]


Strip = Callable[[ActorSnapshot], ActorSnapshot]


def _without_statuses(tree: ActorSnapshot) -> ActorSnapshot:
    """Every worker of ``tree`` publishing no status (a new incarnation that has not
    answered yet)."""
    return attrs.evolve(tree, children=tuple(attrs.evolve(c, summary=None) for c in tree.children))


@attrs.frozen
class RenamedStatus:
    """A status of a class no reader asks for (as if an actor renamed its class), with
    fields named as the readers' own: it must count as no status at all."""

    halted: bool = False
    reconciled: bool = True
    open: bool = True


def _with_renamed_statuses(tree: ActorSnapshot) -> ActorSnapshot:
    return attrs.evolve(
        tree, children=tuple(attrs.evolve(c, summary=RenamedStatus()) for c in tree.children)
    )


@pytest.mark.parametrize("strip", [_without_statuses, _with_renamed_statuses])
def test_an_absent_or_renamed_status_fails_closed(strip: Strip) -> None:
    ready = readiness(strip(_tree()), PERMANENT)
    assert ready.ready is False
    assert ready.checks == {
        "actors": True,
        "reconciliation": False,
        "halt": False,
        "feed": False,
        "persistence": False,
    }
    assert "risk publishes no halt state" in ready.reasons
    assert "persistence cannot write: ledger not open" in ready.reasons


def test_an_actor_missing_from_the_tree_fails_closed() -> None:
    tree = _tree()
    missing = readiness(attrs.evolve(tree, children=tree.children[:-1]), PERMANENT)
    assert "feed is not in the tree" in missing.reasons
    assert missing.checks["feed"] is False


def _families(tree: ActorSnapshot) -> dict[str, Metric]:
    text = render_metrics(tree, readiness(tree, PERMANENT)).decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def _samples(family: Metric) -> dict[tuple[tuple[str, str], ...], float]:
    return {tuple(sorted(s.labels.items())): s.value for s in family.samples}


def test_metrics_carry_the_runtime_counters_of_every_actor() -> None:
    tree = _tree(execution={"restarts": 3, "epoch": 4, "mailbox": 2, "status": "restarting"})
    families = _families(tree)
    restarts = _samples(families["warden_actor_restarts"])
    assert restarts[(("actor", "execution"),)] == 3.0
    assert restarts[(("actor", "risk"),)] == 0.0
    assert families["warden_actor_restarts"].type == "counter"
    assert _samples(families["warden_actor_epoch"])[(("actor", "execution"),)] == 4.0
    assert _samples(families["warden_actor_mailbox_depth"])[(("actor", "execution"),)] == 2.0
    status = _samples(families["warden_actor_status"])
    assert status[(("actor", "execution"), ("status", "restarting"))] == 1.0
    assert status[(("actor", "execution"), ("status", "running"))] == 0.0
    assert _samples(families["warden_ready"]) == {(): 0.0}


def test_metrics_carry_the_trading_state_from_the_summaries() -> None:
    families = _families(_tree())
    assert _samples(families["warden_orders_sent"]) == {(): 7.0}
    assert _samples(families["warden_venue_errors"]) == {(): 1.0}
    assert _samples(families["warden_fills"]) == {(): 3.0}
    rejections = _samples(families["warden_risk_rejections"])
    assert {labels: n for labels, n in rejections.items() if n} == {
        (("reason", "halted"),): 4.0,
        (("reason", "total_exposure"),): 1.0,
    }
    assert {dict(labels)["reason"] for labels in rejections} == {r.value for r in RejectReason}
    # Decimal dollars become floats only here, at exposition
    assert _samples(families["warden_exposure_dollars"]) == {
        (("market", "SIM-001"),): 1.2,
        (("market", "SIM-002"),): 0.3,
    }
    assert _samples(families["warden_exposure_event_dollars"]) == {
        (("event", "SIM-001"),): 1.2,
        (("event", "SIM-002"),): 0.3,
    }
    assert _samples(families["warden_exposure_total_dollars"]) == {(): 1.5}
    assert _samples(families["warden_exposure_limit_dollars"]) == {
        (("limit", "max_market_exposure"),): 50.0,
        (("limit", "max_total_exposure"),): 200.0,
        (("limit", "max_daily_loss"),): 50.0,
    }
    assert _samples(families["warden_risk_limit"]) == {
        (("limit", "max_concurrent_markets"),): 5.0,
        (("limit", "max_reservations_per_event"),): 1.0,
        (("limit", "max_reservations_per_market"),): 1.0,
    }
    assert _samples(families["warden_breaker_state"])[(("state", "closed"),)] == 1.0
    assert _samples(families["warden_breaker_opened"]) == {(): 2.0}
    assert _samples(families["warden_halted"]) == {(): 0.0}
    assert _samples(families["warden_reservations"]) == {
        (("state", "held"),): 1.0,
        (("state", "in_doubt"),): 2.0,
    }
    assert _samples(families["warden_feed_staleness_seconds"]) == {
        (("market", "SIM-001"),): 0.25,
        (("market", "SIM-002"),): 1.5,
    }
    assert _samples(families["warden_ready"]) == {(): 1.0}


def test_the_feeds_lag_behind_venue_time_is_a_gauge_once_measured() -> None:
    assert "warden_feed_venue_lag_seconds" not in _families(_tree())  # nothing stamped yet
    families = _families(_tree({"feed": {"venue_lag_s": 8.5}}))
    assert _samples(families["warden_feed_venue_lag_seconds"]) == {(): 8.5}


@pytest.mark.parametrize("strip", [_without_statuses, _with_renamed_statuses])
def test_what_an_actor_does_not_publish_is_left_out_of_the_metrics_not_zeroed(
    strip: Strip,
) -> None:
    families = _families(strip(_tree()))
    for absent in (
        "warden_orders_sent",
        "warden_venue_errors",
        "warden_fills",
        "warden_risk_rejections",
        "warden_halted",
        "warden_exposure_dollars",
        "warden_exposure_total_dollars",
        "warden_breaker_state",
        "warden_reservations",
        "warden_feed_staleness_seconds",
        "warden_feed_market_stale",
    ):
        assert absent not in families
    assert "warden_actor_restarts" in families
    assert _samples(families["warden_ready"]) == {(): 0.0}


def test_the_series_of_one_silent_actor_are_omitted_and_the_others_kept() -> None:
    tree = _tree()
    silent = tuple(attrs.evolve(c, summary=None) if c.name == "risk" else c for c in tree.children)
    families = _families(attrs.evolve(tree, children=silent))
    assert "warden_fills" not in families
    assert "warden_halted" not in families
    assert _samples(families["warden_orders_sent"]) == {(): 7.0}
    assert (("market", "SIM-001"),) in _samples(families["warden_feed_market_stale"])


def test_readiness_comes_back_from_its_json_and_an_error_body_is_refused() -> None:
    ready = readiness(_tree(risk={"status": "restarting"}), PERMANENT)
    assert Readiness.from_json(ready.to_json()) == ready
    with pytest.raises(ValueError, match="not a readiness"):
        Readiness.from_json({"error": "the supervision tree is not running"})
