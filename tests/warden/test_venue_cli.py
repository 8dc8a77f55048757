"""`warden venue-sim` as a real subprocess."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import httpx
import pytest
import trio

DEADLINE = 30  # seconds: a cold interpreter on a loaded 2-core machine


@asynccontextmanager
async def venue_sim(*flags: str) -> AsyncIterator[httpx.AsyncClient]:
    """``warden venue-sim --port 0 --seed 5 *flags`` as a subprocess, and a client for
    the URL it prints; on leaving, Ctrl-C must stop it with exit 0."""
    command = [sys.executable, "-m", "warden", "venue-sim", "--port", "0", "--seed", "5"]
    process = await trio.lowlevel.open_process([*command, *flags], stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        output = b""
        with trio.fail_after(DEADLINE):
            while b"\n" not in output:
                output += await process.stdout.receive_some()
        match = re.match(rb"venue-sim listening on (http://127\.0\.0\.1:\d+)\n", output)
        assert match is not None, output
        async with httpx.AsyncClient(base_url=match.group(1).decode()) as client:
            yield client
        process.send_signal(signal.SIGINT)
        with trio.fail_after(DEADLINE):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        if process.stdout is not None:
            await process.stdout.aclose()


@pytest.mark.slow
async def test_venue_sim_serves_on_the_port_it_reports_and_exits_0_on_ctrl_c() -> None:
    async with venue_sim("--markets", "2", "--tick", "0") as client:
        markets = (await client.get("/trade-api/v2/markets")).json()["markets"]
    assert [m["ticker"] for m in markets] == ["SIM-001", "SIM-002"]


@pytest.mark.slow
async def test_venue_sim_realism_serves_events_and_an_uncrossed_book() -> None:
    async with venue_sim("--realism") as client:
        events = (await client.get("/trade-api/v2/events")).json()["events"]
        assert any(event["mutually_exclusive"] for event in events)
        markets = (await client.get("/trade-api/v2/markets")).json()["markets"]
        assert markets
        assert all(m["event_ticker"] for m in markets)
        for market in markets:
            url = f"/trade-api/v2/markets/{market['ticker']}/orderbook"
            book = (await client.get(url)).json()["orderbook_fp"]
            yes = max((Decimal(p) for p, _ in book.get("yes_dollars") or ()), default=None)
            no = max((Decimal(p) for p, _ in book.get("no_dollars") or ()), default=None)
            if yes is not None and no is not None:
                assert yes + no < 1, (market["ticker"], yes, no)  # never crossed


def test_venue_sim_refuses_a_bad_faults_argument_with_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warden", "venue-sim", "--faults", '{"stream": {"gap_rate": 9}}'],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert result.returncode == 2
    assert "gap_rate" in result.stderr
