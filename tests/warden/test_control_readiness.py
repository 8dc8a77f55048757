"""Readiness and metrics are pure functions of a tree snapshot: built here by hand."""

from __future__ import annotations

import copy
from typing import Any

import attrs
import pytest
from prometheus_client.parser import text_string_to_metric_families

from supervision import ActorSnapshot
from tests.warden.snapshot_nodes import node as _node
from warden.control import readiness, render_metrics

PERMANENT = ("persistence", "risk", "execution", "strategy", "feed")
READY_SUMMARIES: dict[str, dict[str, Any]] = {
    "persistence": {"open": True, "last_error": None},
    "risk": {
        "halted": False,
        "halt_reason": None,
        "reconciled": True,
        "breaker": {"state": "closed", "times_opened": 2},
        "reservations": {"held": [{"id": "a"}], "in_doubt": [{"id": "b"}, {"id": "c"}]},
        "exposure_cents": {"by_market": {"SIM-001": 120, "SIM-002": 30}, "total": 150},
        "limits": {"max_total_exposure_cents": 20_000, "max_concurrent_markets": 5},
        "rejections": {"halted": 4, "total_exposure": 1},
        "counts": {"fills": 3},
    },
    "execution": {"reconciled": True, "counts": {"orders_sent": 7, "venue_errors": 1}},
    "strategy": {},
    "feed": {
        "markets": {
            "SIM-001": {"seq": 5, "stale": False, "last_update_age_s": 0.25},
            "SIM-002": {"seq": 9, "stale": False, "last_update_age_s": 1.5},
        }
    },
}


def _tree(changes: dict[str, dict[str, Any]] | None = None, **node_fields: Any) -> ActorSnapshot:
    """The ready tree; ``changes`` updates summaries, ``node_fields[name]`` a node's fields."""
    summaries = copy.deepcopy(READY_SUMMARIES)
    for name, update in (changes or {}).items():
        summaries[name].update(update)
    children = tuple(
        _node(name, summaries[name], **node_fields.get(name, {})) for name in PERMANENT
    )
    root = _node("warden", {}, path="warden", kind="supervisor", processed=0)
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
            {"execution": {"reconciled": False}},
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
            {"feed": {"markets": {"SIM-001": {"stale": True, "last_update_age_s": 7.5}}}},
            {},
            "feed",
            "feed: SIM-001 is stale (last update 7.5s ago)",
        ),
        (
            {"feed": {"markets": {}, "connection": {"state": "connecting"}}},
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
    changes: dict[str, Any], fields: dict[str, Any], check: str, reason: str
) -> None:
    ready = readiness(_tree(changes, **fields), PERMANENT)
    assert ready.ready is False
    assert ready.reasons == (reason,)
    assert [name for name, passed in ready.checks.items() if not passed] == [check]


def test_a_summary_that_lacks_a_key_fails_closed() -> None:
    tree = _tree()
    bare = attrs.evolve(tree, children=tuple(attrs.evolve(c, summary={}) for c in tree.children))
    ready = readiness(bare, PERMANENT)
    assert ready.ready is False
    assert ready.checks == {
        "actors": True,
        "reconciliation": False,
        "halt": False,
        "feed": False,
        "persistence": False,
    }
    missing = readiness(attrs.evolve(tree, children=tree.children[:-1]), PERMANENT)
    assert "feed is not in the tree" in missing.reasons


def _families(tree: ActorSnapshot) -> dict[str, Any]:
    text = render_metrics(tree, readiness(tree, PERMANENT)).decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def _samples(family: Any) -> dict[tuple[tuple[str, str], ...], float]:
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
    assert _samples(families["warden_risk_rejections"]) == {
        (("reason", "halted"),): 4.0,
        (("reason", "total_exposure"),): 1.0,
    }
    assert _samples(families["warden_exposure_cents"]) == {
        (("market", "SIM-001"),): 120.0,
        (("market", "SIM-002"),): 30.0,
    }
    assert _samples(families["warden_exposure_total_cents"]) == {(): 150.0}
    assert _samples(families["warden_exposure_limit_cents"]) == {
        (("limit", "max_total_exposure"),): 20_000.0,
    }
    assert _samples(families["warden_risk_limit"]) == {(("limit", "max_concurrent_markets"),): 5.0}
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


def test_what_an_actor_does_not_publish_is_left_out_of_the_metrics_not_zeroed() -> None:
    tree = _tree()
    bare = attrs.evolve(tree, children=tuple(attrs.evolve(c, summary={}) for c in tree.children))
    families = _families(bare)
    for absent in ("warden_orders_sent", "warden_fills", "warden_halted", "warden_exposure_cents"):
        assert absent not in families
    assert "warden_actor_restarts" in families
