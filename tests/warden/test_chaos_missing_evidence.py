"""Every checker answers ``unknown`` when a piece of evidence it needs is absent, never
``held`` (DESIGN.md §6): each case removes one piece from a history on which the
checker holds."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from tests.warden.test_chaos_checkers import T0, D, Venue, healthy
from tests.warden.test_chaos_one_writer import refusal, run, second_daemon
from warden.chaos import CHECKERS, Evidence, check_all
from warden.chaos._exposure import exposure_within_limits
from warden.chaos._history import UnreadableLine
from warden.chaos._verdicts import CheckResult
from warden.chaos._writers import one_writer_per_ledger

Checker = Callable[[Evidence], CheckResult]
Remove = Callable[[Evidence], Evidence]


def without_config(key: str) -> Remove:
    def remove(ev: Evidence) -> Evidence:
        return attrs.evolve(ev, config={k: v for k, v in ev.config.items() if k != key})

    remove.__name__ = f"config_without_{key}"
    return remove


def unreadable(kind: str | None) -> Remove:
    """One daemon history line of ``kind`` that could not be read into its record."""

    def remove(ev: Evidence) -> Evidence:
        line = UnreadableLine(3, kind, "required field missing @ $.phase", "{...}")
        return attrs.evolve(ev, daemon_unreadable=(line,))

    remove.__name__ = f"an_unreadable_{kind}_line"
    return remove


def no_truth(ev: Evidence) -> Evidence:
    return attrs.evolve(ev, truth=())


def no_ledger(ev: Evidence) -> Evidence:
    return attrs.evolve(ev, ledger=None)


def no_venue_final(ev: Evidence) -> Evidence:
    return attrs.evolve(ev, venue_final={})


def no_daemon_history(ev: Evidence) -> Evidence:
    return attrs.evolve(ev, daemon=None)


def no_polls(ev: Evidence) -> Evidence:
    return attrs.evolve(ev, harness=tuple(e for e in ev.harness if e["kind"] != "poll"))


def no_reservation_amounts(ev: Evidence) -> Evidence:
    return attrs.evolve(ev, ledger=None, daemon=None)


def no_lifetimes(ev: Evidence) -> Evidence:
    return attrs.evolve(ev, harness=(), daemon=None)


def no_venue_events(ev: Evidence) -> Evidence:
    return attrs.evolve(ev, venue_events=None)


CASES: dict[str, tuple[Remove, ...]] = {
    "exposure_within_limits": (
        without_config("max_market_exposure"),
        without_config("max_event_exposure"),
        without_config("max_total_exposure"),
        no_truth,
        no_venue_events,
    ),
    "client_order_id_accepted_once": (no_truth,),
    "intent_before_order": (no_ledger,),
    "ledger_fills_equal_venue": (no_ledger,),
    "positions_and_cash_equal": (no_ledger, no_venue_final, without_config("trader_cash")),
    "kill_switch_honoured": (no_ledger, without_config("shutdown_timeout_s")),
    "no_order_before_reconciliation": (
        no_daemon_history,
        unreadable("reconciled"),
        unreadable("order"),
        unreadable("daemon"),
        unreadable("restart"),
        unreadable(None),
    ),
    "no_open_orders_after_stop": (no_ledger, no_venue_final),
    "no_reservation_after_quiescence": (
        no_ledger,
        unreadable("reservation"),
        unreadable("daemon"),
    ),
    "restart_intensity_bounded": (
        without_config("intensity"),
        without_config("period_s"),
        no_polls,
    ),
    "message_accounting": (no_daemon_history, unreadable("accounting"), unreadable("daemon")),
    "daily_loss_within_limit": (
        without_config("max_daily_loss"),
        no_truth,
        no_reservation_amounts,
        unreadable("reservation"),
    ),
    "one_writer_per_ledger": (no_lifetimes, unreadable("daemon"), unreadable("order")),
    "ready_after_restart": (
        without_config("hang_timeout_s"),
        without_config("backoff_cap_s"),
        without_config("request_timeout_s"),
    ),
    "baskets_hedged_or_named": (
        without_config("basket_grace_s"),
        no_truth,
        no_ledger,
        no_daemon_history,
        unreadable("basket"),
        unreadable("reservation"),
        unreadable("reconciled"),
        unreadable("daemon"),
        unreadable(None),
    ),
}
BY_NAME: dict[str, Checker] = {checker.__name__: checker for checker in CHECKERS}


def test_every_checker_has_its_missing_evidence_cases() -> None:
    assert set(CASES) == set(BY_NAME)


@pytest.mark.parametrize(
    ("name", "remove"),
    [(name, remove) for name, removes in CASES.items() for remove in removes],
    ids=lambda value: value if isinstance(value, str) else value.__name__,
)
def test_a_checker_without_a_piece_of_its_evidence_is_unknown_not_held(
    name: str, remove: Remove
) -> None:
    checker = BY_NAME[name]
    assert checker(healthy()).status == "held"
    result = checker(remove(healthy()))
    assert result.status == "unknown", result
    assert result.detail
    (through_all,) = [r for r in check_all(remove(healthy())) if r.name == name]
    assert through_all.status == "unknown"


def test_a_renamed_exposure_limit_leaves_an_order_over_it_unknown_not_held() -> None:
    """Issue 11: the limits were read with ``config.get(..., 0)`` and a 0 limit skipped
    the comparison, so a renamed config key made invariant 1 'held'."""
    venue = Venue()
    big = venue.order(T0, "big", "yes", D("0.60"), D(100))  # $60.00 + fee worst case > $50.00
    venue.cancel(T0 + 0.1, big)
    ev = attrs.evolve(healthy(), truth=tuple(venue.entries))
    assert exposure_within_limits(ev).status == "violated"
    config = dict(ev.config)
    config["max_market_exposure_cents"] = config.pop("max_market_exposure")
    result = exposure_within_limits(attrs.evolve(ev, config=config))
    assert result.status == "unknown"
    assert "max_market_exposure" in result.detail


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_market_exposure", 5000),  # a cents-era integer
        ("max_event_exposure", 100),  # an integer: cents or dollars?
        ("max_total_exposure", 200.0),  # a float is not exact money
        ("max_daily_loss", "5e1"),  # not fixed point
        ("trader_cash", True),
    ],
)
def test_a_money_limit_that_is_not_a_decimal_dollar_string_is_as_good_as_absent(
    key: str, value: object
) -> None:
    ev = healthy()
    results = {r.name: r for r in check_all(attrs.evolve(ev, config=ev.config | {key: value}))}
    undecided = {name for name, r in results.items() if r.status == "unknown"}
    assert len(undecided) == 1, undecided
    (name,) = undecided
    assert key in results[name].detail


def test_a_mistyped_config_value_is_as_good_as_absent() -> None:
    ev = healthy()
    config = ev.config | {"shutdown_timeout_s": "10", "intensity": True}
    results = {r.name: r.status for r in check_all(attrs.evolve(ev, config=config))}
    assert results["kill_switch_honoured"] == "unknown"
    assert results["restart_intensity_bounded"] == "unknown"


def test_a_second_daemon_whose_exit_does_not_say_if_the_first_was_alive_is_unknown() -> None:
    """Whether the first daemon was alive decides if a takeover was allowed: without
    it in the journal the second daemon was not 'not judged' (held) but unknown."""
    start, end = second_daemon(T0 + 5, T0 + 7, code=2, stderr=[refusal()])
    assert one_writer_per_ledger(run(start, {**end, "first_alive": False})).status == "held"
    del end["first_alive"]
    result = one_writer_per_ledger(run(start, end))
    assert result.status == "unknown"
    assert result.counts["second_daemons_unfinished"] == 1
