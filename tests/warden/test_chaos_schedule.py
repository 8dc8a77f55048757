"""The fault catalogue and the seeded schedule."""

from __future__ import annotations

import argparse
import json
import random
from typing import cast

import pytest

from warden.chaos import CATALOGUE, FAMILIES, FaultError, Schedule, plan, select_faults
from warden.chaos._faults import ACTORS, BY_NAME, INTENSITIES, RESTART_SLOT_S, Targets
from warden.chaos._params import ActorParams, EndpointKnobs, NoParams, ParamsError, VenueKnobs
from warden.chaos._schedule import GAP_S, Planned, related
from warden.cli_chaos import _cmd_list


def test_every_family_has_a_fault_and_every_fault_a_family() -> None:
    assert {fault.family for fault in CATALOGUE} == set(FAMILIES)
    assert len(BY_NAME) == len(CATALOGUE)


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    first = plan(11, 30.0, "medium", CATALOGUE)
    assert plan(11, 30.0, "medium", CATALOGUE) == first
    assert plan(12, 30.0, "medium", CATALOGUE) != first


def test_a_schedule_survives_its_json_form() -> None:
    schedule = plan(5, 60.0, "high", CATALOGUE, faults_spec="venue,process")
    assert Schedule.from_json(schedule.to_json()) == schedule


def test_a_schedule_reads_back_the_json_an_earlier_report_holds() -> None:
    entries = [
        {"fault": "actor.restart", "at_s": 1.0, "for_s": 12.0, "params": {"actor": "risk"}},
        {
            "fault": "actor.flood",
            "at_s": 2.0,
            "for_s": 3.0,
            "params": {"actor": "feed", "seconds": 0.0, "count": 1000},
        },
        {
            "fault": "venue.latency",
            "at_s": 3.0,
            "for_s": 2.5,
            "params": {"endpoint": "*", "knobs": {"latency_ms": 120.5, "jitter_ms": 40.0}},
        },
        {"fault": "venue.ws_silence", "at_s": 4.0, "for_s": 2.0, "params": {"silence": True}},
        {"fault": "process.sigkill", "at_s": 9.0, "for_s": 2.0, "params": {}},
    ]
    data = {
        "seed": 7,
        "duration_s": 30.0,
        "intensity": "high",
        "faults_spec": "",
        "entries": entries,
    }
    schedule = Schedule.from_json(data)
    assert [e.params for e in schedule.entries] == [
        ActorParams("risk"),
        ActorParams("feed", 0.0, 1000),
        EndpointKnobs("*", {"latency_ms": 120.5, "jitter_ms": 40.0}),
        VenueKnobs({"silence": True}),
        NoParams(),
    ]
    assert json.dumps(schedule.to_json()) == json.dumps(data)  # byte for byte, key order too


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"actor": 3}, "actor"),
        ({"actor": "risk", "seconds": "long"}, "seconds"),
        ({"actor": "risk", "colour": "red"}, "colour"),
    ],
)
def test_a_schedule_entry_with_params_its_fault_does_not_take_is_refused(
    params: dict[str, object], field: str
) -> None:
    entry = {"fault": "actor.hang", "at_s": 1.0, "for_s": 2.0, "params": params}
    data = {"seed": 7, "duration_s": 30.0, "intensity": "low", "entries": [entry]}
    with pytest.raises(ParamsError, match=field):
        Schedule.from_json(data)


def test_every_fault_draws_parameters_of_its_own_type_that_survive_their_json_form() -> None:
    rng = random.Random(3)
    for fault in CATALOGUE:
        for intensity in INTENSITIES:
            params = fault.draw(rng, intensity)
            assert isinstance(params, fault.params_type), fault.name
            assert fault.params_type.from_json(json.loads(json.dumps(params.to_json()))) == params


def test_a_fault_refuses_the_parameters_of_another_fault() -> None:
    with pytest.raises(FaultError, match="parameters of another fault"):
        BY_NAME["process.second_daemon"].heal(UNREACHABLE, NoParams())
    with pytest.raises(FaultError, match="deadline_s"):
        BY_NAME["process.second_daemon"].heal(UNREACHABLE, {"deadline": 1.0})


class _Unreachable:
    """Targets no fault may reach: parameters are checked before anything is touched."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the fault acted ({name}) on parameters it should refuse")


#: any attribute fails the test, so it stands for every method of Targets
UNREACHABLE = cast("Targets", _Unreachable())


def _related(a: Planned, b: Planned) -> bool:
    return any(related(x, y) for x in BY_NAME[a.fault].scopes for y in BY_NAME[b.fault].scopes)


def test_faults_on_related_scopes_never_overlap_and_all_end_within_the_duration() -> None:
    overlapping = 0
    for seed in range(20):
        entries = plan(seed, 40.0, "high", CATALOGUE).entries
        for i, a in enumerate(entries):
            assert a.at_s >= 0
            assert a.until_s <= 40.0
            # a hang of 8 s holds its lane for 8 s, whatever slot length was drawn
            seconds = a.params.seconds if isinstance(a.params, ActorParams) else None
            assert a.for_s >= (seconds or 0.0) + 1.0 - 1e-9, a
            for b in entries[i + 1 :]:
                apart = a.until_s <= b.at_s or b.until_s <= a.at_s
                if _related(a, b):
                    assert apart, (seed, a, b)
                    if "process.sigkill" in (a.fault, b.fault):  # a restart needs its gap
                        first, second = sorted((a, b), key=lambda e: e.at_s)
                        assert second.at_s >= first.until_s + GAP_S, (seed, a, b)
                overlapping += not apart
    assert overlapping > 0  # independent lanes (venue, actors, ledger, clock) do overlap


def test_scopes_are_dotted_lanes_under_the_daemon() -> None:
    assert related("daemon", "daemon.actors")
    assert related("daemon.actors", "daemon")
    assert not related("daemon.actors", "daemon.trading")
    assert not related("daemon", "venue.stream")
    assert not related("daemon.act", "daemon.actors")


def test_a_ten_minute_high_intensity_schedule_plans_at_least_500_faults() -> None:
    for seed in (1, 4, 11):
        entries = plan(seed, 600.0, "high", CATALOGUE).entries
        assert len(entries) >= 500, (seed, len(entries))
        assert {BY_NAME[e.fault].family for e in entries} == set(FAMILIES)


def test_higher_intensity_schedules_more_faults() -> None:
    low = sum(len(plan(s, 60.0, "low", CATALOGUE).entries) for s in range(10))
    high = sum(len(plan(s, 60.0, "high", CATALOGUE).entries) for s in range(10))
    assert high > low


def test_every_selected_family_is_scheduled_when_there_is_room() -> None:
    schedule = plan(3, 60.0, "medium", CATALOGUE)
    assert {BY_NAME[e.fault].family for e in schedule.entries} == set(FAMILIES)


def test_the_faults_filter_takes_families_and_names_and_refuses_unknown_ones() -> None:
    chosen = select_faults("venue, process.sigkill")
    assert {f.family for f in chosen} == {"venue", "process"}
    assert [f.name for f in chosen if f.family == "process"] == ["process.sigkill"]
    entries = plan(1, 30.0, "high", chosen).entries
    assert {e.fault for e in entries} <= {f.name for f in chosen}
    with pytest.raises(ValueError, match="nosuch"):
        select_faults("venue,nosuch")


def test_operator_restarts_take_each_of_the_five_actors_in_turn() -> None:
    entries = plan(11, 600.0, "high", CATALOGUE).entries
    restarts = [e.params for e in entries if e.fault == "actor.restart"]
    actors = [params.actor for params in restarts if isinstance(params, ActorParams)]
    assert len(actors) == len(restarts)
    assert len(actors) >= 10
    assert actors[:5] == ["persistence", "risk", "execution", "strategy", "feed"]
    assert actors == [actors[i % 5] for i in range(len(actors))]


def test_a_second_daemon_is_never_scheduled_while_the_first_is_killed() -> None:
    assert related(BY_NAME["process.second_daemon"].scopes[0], "daemon")
    assert not related(BY_NAME["process.second_daemon"].scopes[0], "daemon.actors")
    entries = plan(11, 600.0, "high", CATALOGUE).entries
    assert any(e.fault == "process.second_daemon" for e in entries)


def test_no_other_actor_fault_lands_within_the_readiness_bound_of_an_operator_restart() -> None:
    for seed in (1, 11):
        entries = plan(seed, 600.0, "high", CATALOGUE).entries
        restarts = [e for e in entries if e.fault == "actor.restart"]
        assert all(e.for_s >= RESTART_SLOT_S for e in restarts)
        for restart in restarts:
            others = [
                e
                for e in entries
                if e is not restart
                and BY_NAME[e.fault].family == "actor"
                and restart.at_s <= e.at_s < restart.at_s + RESTART_SLOT_S
            ]
            assert others == [], (seed, restart, others)


def test_the_listing_names_the_new_faults_and_what_they_may_fail(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _cmd_list(argparse.Namespace(json=True)) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["actor.restart"]["targets_in_turn"] == list(ACTORS)
    assert rows["process.second_daemon"]["may_fail_readiness_checks"] == []
    assert rows["venue.ws_silence"]["may_fail_readiness_checks"] == ["feed"]
    assert rows["process.feed_worker"]["needs_feed_workers"] is True
    assert rows["process.feed_worker"]["may_fail_readiness_checks"] == ["actors", "feed"]
    assert not any(
        row["needs_feed_workers"] for name, row in rows.items() if name != "process.feed_worker"
    )
