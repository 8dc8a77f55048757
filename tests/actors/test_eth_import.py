"""eth-account's import must not change the process (actors/venues/polymarket/_eth.py).

py_ecc, which eth-account imports, raises the recursion limit to 100,000; with it a
deeply nested JSON frame overflowed the C stack in ``json.loads`` and killed the
whole test run (a segmentation fault) where the feed's parser should have answered
a rejection. A fresh interpreter imports what the daemon imports and must keep its
limit and reject the frame.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import sys
before = sys.getrecursionlimit()
import warden.wiring, actors.venues.polymarket, actors.venues.polymarket._eth
assert sys.getrecursionlimit() == before, (before, sys.getrecursionlimit())
from actors.venues.kalshi import parse_frame
from actors.venues.polymarket import PolymarketMarketData
from actors.venues import PriceGrids
print(type(parse_frame("[" * 100_000)).__name__)
print(type(PolymarketMarketData().session(PriceGrids()).parse("[" * 100_000)[0]).__name__)
"""


def test_importing_eth_account_keeps_the_recursion_limit_and_deep_json_is_rejected() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Rejected", "Rejected"]
