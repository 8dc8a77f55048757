"""The harness's daemon config names the runtime directory the harness watches, even
when the report directory is relative (the default ``var/chaos/...``, and replays)."""

from __future__ import annotations

from pathlib import Path

import pytest

from warden.chaos._runner import _write_config
from warden.config import load_config


def test_a_relative_report_directory_gives_the_daemon_the_runtime_dir_the_harness_watches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    workdir = Path("var/chaos/20261201T000000-seed3")
    workdir.mkdir(parents=True)
    _write_config(workdir / "warden.toml", workdir / "run")
    config = load_config(workdir / "warden.toml")
    assert Path(config.daemon.runtime_dir) == tmp_path / workdir / "run"
