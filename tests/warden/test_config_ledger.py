"""``[ledger]``: how risk and execution write to the ledger, one setting for both."""

from __future__ import annotations

import pytest

import warden.wiring
from actors.ledger_client import DEFAULT_LEDGER_RETRY, DEFAULT_RECORD_TIMEOUT
from supervision import BackoffPolicy, Jitter
from warden.config import ConfigError, LedgerSection, parse_config
from warden.wiring import VenueUrls, build_children, execution_config, ledger_client_settings

URLS = VenueUrls.from_base("http://127.0.0.1:1")


@pytest.mark.parametrize(
    ("ledger", "problem"),
    [
        (
            {"record_timeout_s": 0},
            "ledger.record_timeout_s = 0: must be a finite number of seconds > 0.0",
        ),
        (
            {"record_timeout_s": float("nan")},
            "ledger.record_timeout_s = nan: must be a finite number of seconds > 0.0",
        ),
        (
            {"retry_base_s": -1},
            "ledger.retry_base_s = -1: must be a finite number of seconds > 0.0",
        ),
        ({"retry_cap_s": "10"}, "ledger.retry_cap_s: expected a number, got str '10'"),
        (
            {"retry_base_s": 2.0, "retry_cap_s": 1.0},
            "ledger.retry_cap_s = 1.0: must be >= ledger.retry_base_s (2.0)",
        ),
        ({"record_timeout": 5.0}, "unknown key(s) ['record_timeout'] in [ledger]"),
    ],
)
def test_a_bad_ledger_key_is_refused_naming_it(ledger: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"ledger": ledger}, source="test.toml")
    assert caught.value.problems == [problem]


def test_the_ledger_defaults_are_the_ledger_clients_own() -> None:
    # a config that says nothing of [ledger] changes nothing the actors did before
    assert ledger_client_settings(parse_config({})) == (
        DEFAULT_RECORD_TIMEOUT,
        DEFAULT_LEDGER_RETRY,
    )
    assert LedgerSection() == parse_config({}).ledger


def test_the_ledger_keys_reach_execution_and_risk(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config(
        {"ledger": {"record_timeout_s": 3.5, "retry_base_s": 0.25, "retry_cap_s": 4.0}}
    )
    retry = BackoffPolicy(Jitter.FULL, base=0.25, cap=4.0)
    execution = execution_config(config, URLS)
    assert (execution.record_timeout, execution.ledger_retry) == (3.5, retry)

    built: dict[str, object] = {}

    def risk_actor(*_args: object, **kwargs: object) -> object:
        built.update(kwargs)
        return object()

    monkeypatch.setattr(warden.wiring, "RiskActor", risk_actor)
    (risk,) = [spec for spec in build_children(config, URLS) if spec.name == "risk"]
    risk.factory()
    assert (built["record_timeout"], built["ledger_retry"]) == (3.5, retry)


def test_risk_may_take_minutes_to_rebuild_its_books_at_start() -> None:
    # Risk rebuilds from every fill in the ledger before it answers (3.6 s for 100,000
    # on the 2-core VM); the runtime's default 5 s would fail every start of a daemon
    # with a long history, and the supervisor would give up.
    specs = {spec.name: spec for spec in build_children(parse_config({}), URLS)}
    assert specs["risk"].start_timeout >= 60.0
    assert specs["persistence"].start_timeout == 5.0  # the others keep the default
