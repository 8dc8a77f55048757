"""Log setup for the daemon: one loguru sink on stderr, human or JSON.

``diagnose`` is off: loguru's default prints local variables in tracebacks,
which is how secrets (keys, tokens, account data) end up in log files.
"""

from __future__ import annotations

import sys

from loguru import logger

HUMAN_FORMAT = (
    "<green>{time:HH:mm:ss.SSS}</green> <level>{level: <7}</level> "
    "<cyan>{extra[child]}</cyan> {message}"
)


def configure_logging(*, json: bool, level: str = "INFO") -> None:
    """Replace every loguru sink with one stderr sink (JSON lines if ``json``)."""
    logger.remove()
    logger.configure(extra={"child": "-"})
    if json:
        logger.add(sys.stderr, level=level, serialize=True, diagnose=False, backtrace=False)
    else:
        logger.add(sys.stderr, level=level, format=HUMAN_FORMAT, diagnose=False, backtrace=False)
