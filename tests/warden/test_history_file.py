"""The history file is owner-only whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from loguru import logger

from warden.history import HISTORY_FILE, open_history


def test_the_history_file_is_created_0600_and_an_existing_one_is_tightened(
    tmp_path: Path,
) -> None:
    before = os.umask(0o002)
    try:
        with open_history(tmp_path):
            logger.bind(history="daemon", phase="start").info("daemon start")
        path = tmp_path / HISTORY_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert '"phase":"start"' in path.read_text()

        path.chmod(0o664)
        with open_history(tmp_path):
            pass
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(before)
