"""Configuration: strict, with the full key path in every error."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from warden.config import (
    DEFAULT_CONFIG,
    ConfigError,
    RiskSection,
    config_reference,
    load_config,
    parse_config,
    resolve_run_config,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_file_equals_the_built_in_defaults_run_from_the_repo_root() -> None:
    assert load_config(DEFAULT_CONFIG) == parse_config({}, base_dir=ROOT)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"risk": {"max_total_exposure_cents": -1}},
            "risk.max_total_exposure_cents = -1: must be an integer >= 1",
        ),
        ({"risk": {"max_totl": 1}}, "unknown key(s) ['max_totl'] in [risk]"),
        ({"riskk": {}}, "unknown key(s) ['riskk'] at the top level"),
        (
            {"strategy": {"max_count": 1.5}},
            "strategy.max_count: expected an integer, got float 1.5",
        ),
        (
            {"risk": {"max_daily_loss_cents": "5"}},
            "risk.max_daily_loss_cents: expected an integer, got str '5'",
        ),
        ({"daemon": {"log_json": 1}}, "daemon.log_json: expected true or false, got int 1"),
        (
            {"feed": {"stale_after_s": float("inf")}},
            "feed.stale_after_s = inf: must be a finite number",
        ),
        ({"venue": {"url": "ftp://x"}}, "venue.url = 'ftp://x': must be"),
        ({"venue": {"markets": 0}}, "venue.markets = 0: must be an integer >= 1 and <= 50"),
        (
            {"risk": {"max_market_exposure_cents": 30_000}},
            "risk.max_market_exposure_cents = 30000: must not exceed risk.max_total_exposure_cents",
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
    bad.write_text("[risk]\nmax_total_exposure_cents = = 3\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML: .*line 2"):
        load_config(bad)


def test_every_key_is_documented_with_its_default() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    for key, default in config_reference():
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
            "risk": {"max_total_exposure_cents": -1, "max_daily_loss_cents": 0, "typo": 1},
            "feed": {"max_overlap_cents": 200},
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
            "risk.max_total_exposure_cents = -1: must be an integer >= 1",
            "risk.max_daily_loss_cents = 0: must be an integer >= 1",
            "feed.max_overlap_cents = 200: must be an integer >= 0 and <= 99",
            "supervision.intensity: expected an integer, got float 1.5",
            "supervision.backoff_cap_s = 0.5: must be >= supervision.backoff_base_s (1.0)",
        ]
    )


def test_a_rule_between_two_keys_is_checked_only_when_both_are_valid() -> None:
    # the total is bad on its own: comparing the market limit with it would be noise
    assert problems_of(
        {"risk": {"max_market_exposure_cents": 30_000, "max_total_exposure_cents": -1}}
    ) == ["risk.max_total_exposure_cents = -1: must be an integer >= 1"]
    # a defaulted key takes part in the rule
    assert problems_of({"risk": {"max_market_exposure_cents": 30_000}}) == [
        "risk.max_market_exposure_cents = 30000: must not exceed "
        "risk.max_total_exposure_cents (20000)"
    ]


def test_a_section_of_the_wrong_type_is_named_readably() -> None:
    problems = problems_of({"risk": 5, "feed": [1, 2], "strategy": {"max_count": 0}})
    assert problems == [  # in the sections' order, as docs/configuration.md lists them
        "feed: must be a table ([feed] with keys), got list [1, 2]",
        "strategy.max_count = 0: must be an integer >= 1 and <= 10000",
        "risk: must be a table ([risk] with keys), got int 5",
    ]


def test_a_section_built_directly_still_refuses_a_broken_rule() -> None:
    with pytest.raises(ValueError, match=r"must not exceed risk\.max_total_exposure_cents"):
        RiskSection(max_market_exposure_cents=9, max_total_exposure_cents=8)


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
