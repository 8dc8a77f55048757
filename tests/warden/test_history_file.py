"""The history file is owner-only whatever the umask, and every line names its process."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from loguru import logger

from warden.history import HISTORY_FILE, open_history


def test_the_history_file_is_0600_and_each_line_names_the_process_that_wrote_it(
    tmp_path: Path,
) -> None:
    before = os.umask(0o002)
    try:
        with open_history(tmp_path):
            logger.bind(history="daemon", phase="start").info("daemon start")
        path = tmp_path / HISTORY_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        (line,) = [json.loads(text) for text in path.read_text().splitlines()]
        assert (line["kind"], line["phase"], line["pid"]) == ("daemon", "start", os.getpid())

        path.chmod(0o664)
        with open_history(tmp_path):
            pass
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(before)
