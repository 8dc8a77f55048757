"""Configuration: strict, with the full key path in every error."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from warden.config import DEFAULT_CONFIG, ConfigError, config_reference, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_file_equals_the_built_in_defaults() -> None:
    assert load_config(DEFAULT_CONFIG) == parse_config({})


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
