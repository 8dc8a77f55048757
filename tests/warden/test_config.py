"""Configuration: strict, with the full key path in every error."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warden.config import (
    DEFAULT_CONFIG,
    ConfigError,
    RiskSection,
    config_reference,
    load_config,
    parse_config,
    resolve_run_config,
)
from warden.wiring import VenueUrls, feed_config, feed_factory

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_file_equals_the_built_in_defaults_run_from_the_repo_root() -> None:
    assert load_config(DEFAULT_CONFIG) == parse_config({}, base_dir=ROOT)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"risk": {"max_total_exposure": "0.00"}},
            "risk.max_total_exposure = '0.00': must be > 0 (dollars)",
        ),
        (
            {"risk": {"max_concurrent_markets": -1}},
            "risk.max_concurrent_markets = -1: must be an integer >= 1",
        ),
        ({"risk": {"max_totl": 1}}, "unknown key(s) ['max_totl'] in [risk]"),
        ({"riskk": {}}, "unknown key(s) ['riskk'] at the top level"),
        (
            {"strategy": {"max_count": 1.5}},
            "strategy.max_count: expected an integer or a string such as",
        ),
        (
            {"risk": {"max_daily_loss": 5}},
            'risk.max_daily_loss: expected dollars as a string such as "200.00"',
        ),
        ({"daemon": {"log_json": 1}}, "daemon.log_json: expected true or false, got int 1"),
        (
            {"feed": {"stale_after_s": float("inf")}},
            "feed.stale_after_s = inf: must be a finite number",
        ),
        (
            {"feed": {"workers": 2}},
            "feed.workers = 2: needs feed.process = true",
        ),
        (
            {"feed": {"workers": 0, "process": True}},
            "feed.workers = 0: must be an integer >= 1 and <= 64",
        ),
        ({"venue": {"url": "ftp://x"}}, "venue.url = 'ftp://x': must be"),
        (
            {"venue": {"url": "http://127.0.0.1:1/trade-api/v2"}},
            "venue.url = 'http://127.0.0.1:1/trade-api/v2': must be",
        ),
        ({"venue": {"kind": "kalshi", "seed": 2}}, 'venue.seed is only for kind = "sim"'),
        ({"venue": {"tier": "basic"}}, 'venue.tier is only for kind = "kalshi"'),
        ({"venue": {"markets": 0}}, "venue.markets = 0: must be an integer >= 1 and <= 50"),
        (
            {"risk": {"max_market_exposure": "300.00"}},
            'risk.max_market_exposure = "300.00": must not exceed risk.max_total_exposure',
        ),
    ],
)
def test_a_bad_key_is_named_by_its_full_path(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, source="test.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("test.toml: ")


def test_broken_toml_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[risk]\nmax_total_exposure = = "3"\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML: .*line 2"):
        load_config(bad)


def test_every_key_is_documented_with_its_default() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    for key, default in config_reference():
        if default is None:  # an optional key, unset by default
            shown = "unset"
        elif isinstance(default, Decimal):  # written as a string in TOML
            shown = f'"{default}"'
        elif isinstance(default, tuple | dict):  # a TOML array or table
            shown = json.dumps(list(default) if isinstance(default, tuple) else default)
        else:
            shown = "true" if default is True else "false" if default is False else repr(default)
        shown = shown.replace("'", '"')
        row = re.search(rf"^\| `{re.escape(key)}` \| `([^`]*)` \|", doc, re.MULTILINE)
        assert row is not None, f"{key} missing from docs/configuration.md"
        assert row.group(1) == shown, f"{key}: documented {row.group(1)}, default {shown}"


def _check_config(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warden", "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_config_exits_0_for_a_good_file_and_2_naming_the_key_for_a_bad_one(
    tmp_path: Path,
) -> None:
    good = _check_config(DEFAULT_CONFIG)
    assert (good.returncode, good.stdout.strip()) == (0, f"{DEFAULT_CONFIG}: ok")
    bad_file = tmp_path / "bad.toml"
    bad_file.write_text("[execution]\nmax_retries = 99\n")
    bad = _check_config(bad_file)
    assert bad.returncode == 2
    assert "execution.max_retries = 99: must be an integer >= 0 and <= 20" in bad.stderr
    assert "Traceback" not in bad.stderr


def problems_of(data: dict, **kwargs: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, source="test.toml", **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def test_every_bad_key_of_every_section_is_reported_at_once() -> None:
    problems = problems_of(
        {
            "daemon": {"status_interval_s": -1, "log_json": "yes", "db": ""},
            "risk": {"max_total_exposure": "-1", "max_daily_loss": "0", "typo": 1},
            "feed": {"max_overlap": "2.00"},
            "supervision": {"intensity": 1.5, "backoff_base_s": 1.0, "backoff_cap_s": 0.5},
            "nonsense": {},
        }
    )
    assert sorted(problems) == sorted(
        [
            "unknown key(s) ['nonsense'] at the top level",
            "daemon.db = '': must be a non-empty path",
            "daemon.status_interval_s = -1: must be a finite number of seconds > 0.0",
            "daemon.log_json: expected true or false, got str 'yes'",
            "unknown key(s) ['typo'] in [risk]",
            'risk.max_total_exposure: expected dollars as a string such as "200.00"'
            " (at most 4 decimals), got str '-1'",
            "risk.max_daily_loss = '0': must be > 0 (dollars)",
            "feed.max_overlap = '2.00': must be >= 0 and < 1 (dollars)",
            "supervision.intensity: expected an integer, got float 1.5",
            "supervision.backoff_cap_s = 0.5: must be >= supervision.backoff_base_s (1.0)",
        ]
    )


def test_a_rule_between_two_keys_is_checked_only_when_both_are_valid() -> None:
    # the total is bad on its own: comparing the market limit with it would be noise
    assert problems_of({"risk": {"max_market_exposure": "300.00", "max_total_exposure": "0"}}) == [
        "risk.max_total_exposure = '0': must be > 0 (dollars)"
    ]
    # a defaulted key takes part in the rule
    assert problems_of({"risk": {"max_market_exposure": "300.00"}}) == [
        'risk.max_market_exposure = "300.00": must not exceed risk.max_total_exposure ("200.00")'
    ]


def test_a_section_of_the_wrong_type_is_named_readably() -> None:
    problems = problems_of({"risk": 5, "feed": [1, 2], "strategy": {"max_count": 0}})
    assert problems == [  # in the sections' order, as docs/configuration.md lists them
        "feed: must be a table ([feed] with keys), got list [1, 2]",
        "strategy.max_count = 0: must be > 0 and <= 10000, with at most 2 decimals (contracts)",
        "risk: must be a table ([risk] with keys), got int 5",
    ]


def test_a_section_built_directly_still_refuses_a_broken_rule() -> None:
    with pytest.raises(ValueError, match=r"must not exceed risk\.max_total_exposure \("):
        RiskSection(max_market_exposure=Decimal("9"), max_total_exposure=Decimal("8"))


def test_relative_paths_resolve_against_the_config_files_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "etc").mkdir()
    config = tmp_path / "etc" / "warden.toml"
    config.write_text('[daemon]\ndb = "../data/ledger.db"\nruntime_dir = "run"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    loaded = load_config(Path("../etc/warden.toml"))
    assert loaded.daemon.db == str(tmp_path / "data" / "ledger.db")
    assert loaded.daemon.runtime_dir == str(tmp_path / "etc" / "run")


def test_absolute_paths_are_kept_and_the_built_in_defaults_resolve_against_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    defaults = parse_config({}, source="built-in defaults")
    assert (defaults.daemon.db, defaults.daemon.runtime_dir) == (
        str(tmp_path / "var" / "warden.db"),
        str(tmp_path / "var"),
    )
    absolute = parse_config({"daemon": {"db": "/srv/w/x.db"}}, base_dir=tmp_path)
    assert absolute.daemon.db == "/srv/w/x.db"


def test_run_uses_the_repos_var_from_any_directory_without_a_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = resolve_run_config(None)
    assert config.daemon.db == str(ROOT / "var" / "warden.db")
    assert config.daemon.runtime_dir == str(ROOT / "var")


def test_run_without_the_repos_config_file_uses_the_built_in_defaults_in_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("warden.config.DEFAULT_CONFIG", tmp_path / "absent.toml")
    monkeypatch.chdir(tmp_path)
    assert resolve_run_config(None).daemon.runtime_dir == str(tmp_path / "var")


def test_run_with_a_config_reads_that_file(tmp_path: Path) -> None:
    config = tmp_path / "w.toml"
    config.write_text('[daemon]\nruntime_dir = "state"\n')
    assert resolve_run_config(config).daemon.runtime_dir == str(tmp_path / "state")


@pytest.mark.parametrize(
    ("section", "old", "cents", "message"),
    [
        (
            "risk",
            "max_total_exposure_cents",
            20_000,
            'risk.max_total_exposure_cents is gone: use max_total_exposure = "200.00" (dollars)',
        ),
        (
            "risk",
            "max_market_exposure_cents",
            5_000,
            'risk.max_market_exposure_cents is gone: use max_market_exposure = "50.00" (dollars)',
        ),
        (
            "risk",
            "max_daily_loss_cents",
            1_234,
            'risk.max_daily_loss_cents is gone: use max_daily_loss = "12.34" (dollars)',
        ),
        (
            "strategy",
            "min_edge_cents",
            1,
            'strategy.min_edge_cents is gone: use min_edge = "0.01" (dollars)',
        ),
        (
            "feed",
            "max_overlap_cents",
            20,
            'feed.max_overlap_cents is gone: use max_overlap = "0.20" (dollars)',
        ),
    ],
)
def test_an_old_cents_key_names_its_dollar_key_and_the_converted_value(
    section: str, old: str, cents: int, message: str
) -> None:
    assert problems_of({section: {old: cents}}) == [message]


def test_an_old_cents_key_that_is_not_an_integer_still_names_its_replacement() -> None:
    assert problems_of({"risk": {"max_daily_loss_cents": "x", "max_dayly_loss": 1}}) == [
        "risk.max_daily_loss_cents is gone: use max_daily_loss as a string of dollars"
        ' (e.g. "2.50" for 250 cents)',
        "unknown key(s) ['max_dayly_loss'] in [risk]",
    ]


def test_money_keys_load_as_exact_decimal_dollars_and_counts_as_decimal_contracts() -> None:
    config = parse_config(
        {
            "risk": {
                "max_market_exposure": "12.5",
                "max_total_exposure": "100.0001",
                "max_daily_loss": "7",
            },
            "strategy": {"min_edge": "0.0050", "max_count": "2.50"},
            "feed": {"max_overlap": "0"},
        }
    )
    assert (
        config.risk.max_market_exposure,
        config.risk.max_total_exposure,
        config.risk.max_daily_loss,
    ) == (Decimal("12.5"), Decimal("100.0001"), Decimal("7"))
    assert all(
        isinstance(value, Decimal)
        for value in (config.strategy.min_edge, config.strategy.max_count, config.feed.max_overlap)
    )
    assert (config.strategy.min_edge, config.strategy.max_count) == (
        Decimal("0.005"),
        Decimal("2.5"),
    )
    assert config.feed.max_overlap == 0
    assert parse_config({"strategy": {"max_count": 25}}).strategy.max_count == Decimal(25)


@pytest.mark.parametrize(
    "value",
    [
        200.0,
        200,
        True,
        "",
        " 200.00",
        "200.00 ",
        "-1.00",
        "+1",
        "1e3",
        "2,00",
        "NaN",
        "inf",
        "200.00001",
        ".5",
        "5.",
        "0x10",
    ],
)
def test_a_money_key_that_is_not_a_plain_dollar_string_is_refused_naming_the_key(
    value: object,
) -> None:
    problems = problems_of({"risk": {"max_total_exposure": value}})
    assert len(problems) == 1
    assert problems[0].startswith("risk.max_total_exposure: expected dollars as a string")
    assert repr(value) in problems[0]


@pytest.mark.parametrize("value", [1.5, "1.234", "-2", True, "ten", 0, "0.00", 10_001])
def test_a_bad_count_is_refused_naming_the_key(value: object) -> None:
    problems = problems_of({"strategy": {"max_count": value}})
    assert len(problems) == 1
    assert problems[0].startswith("strategy.max_count")


@given(
    st.decimals(
        min_value=Decimal("0.0001"), max_value=Decimal("1000000"), places=4, allow_nan=False
    )
)
def test_any_dollar_string_with_up_to_4_decimals_loads_as_exactly_that_decimal(
    amount: Decimal,
) -> None:
    text = f"{amount:f}"
    limit = parse_config(
        {
            "risk": {
                "max_total_exposure": text,
                "max_market_exposure": text,
                "max_event_exposure": text,
            }
        }
    )
    assert limit.risk.max_total_exposure == amount
    assert str(limit.risk.max_total_exposure) == text  # digits kept: nothing was rounded


@given(
    st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("1000"), places=6).filter(
        lambda d: d != d.quantize(Decimal("0.0001"))
    )
)
def test_a_dollar_string_with_more_than_4_decimals_is_refused_never_rounded(
    amount: Decimal,
) -> None:
    (problem,) = problems_of({"strategy": {"min_edge": f"{amount:f}"}})
    assert problem.startswith("strategy.min_edge: expected dollars as a string")


def test_the_feed_keys_reach_the_feed_and_its_workers_recipe() -> None:
    config = parse_config(
        {"feed": {"max_backlog_frames": 300, "process": True, "workers": 3}}, source="test.toml"
    )
    urls = VenueUrls.from_base("http://127.0.0.1:9")
    assert feed_config(config, urls).max_backlog_frames == 300
    actor = feed_factory(config, urls)()
    assert actor.workers == 3  # type: ignore[attr-defined]
    assert actor.recipe().max_backlog_frames == 300  # type: ignore[attr-defined]
