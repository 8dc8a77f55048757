"""``warden run --chaos``: the chaos routes of the control plane, against a real daemon.

The daemon and the venue-sim are real subprocesses; faults go in through
HTTP, effects are read back from ``/actors``. Every wait polls with a deadline.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from actors.persistence import PersistenceStatus
from actors.risk import RiskStatus
from supervision import ActorSnapshot
from tests.supervision.conftest import eventually
from tests.warden.control_harness import FAST_MARKET, Daemon, _runtime, poll, running_daemon
from tests.warden.daemon_harness import start_daemon, venue_sim, write_config

HANG_TIMEOUT_S = 3.0


@contextmanager
def chaos_daemon(tmp_path: Path, *extra: str) -> Iterator[Daemon]:
    """A trading daemon started with ``--chaos`` (hang deadline 3 s, fast restarts)."""
    runtime_dir = tmp_path / "run"
    config = write_config(
        tmp_path / "warden.toml",
        daemon={"runtime_dir": str(runtime_dir), "status_interval_s": 1.0},
        supervision={
            "backoff_base_s": 0.05,
            "backoff_cap_s": 0.5,
            "hang_timeout_s": HANG_TIMEOUT_S,
            "intensity": 50,
        },
    )
    db = tmp_path / "warden.db"
    with venue_sim(*FAST_MARKET) as (_venue, base):
        process = start_daemon(base, db, config, "--control-port", "0", "--chaos", *extra)
        try:
            process.wait_for_line("warden: control plane at ")
            runtime_file = runtime_dir / "warden.json"
            info = eventually(lambda: _runtime(runtime_file), what="the runtime file")
            yield Daemon(process, base, db, runtime_file, info["url"], Path(info["token_file"]))
        finally:
            process.close()


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    with chaos_daemon(tmp_path_factory.mktemp("chaos")) as daemon:
        yield daemon


def token(daemon: Daemon) -> str:
    return daemon.token_file.read_text().strip()


def get(daemon: Daemon, path: str, secret: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {secret}"}
    return httpx.get(f"{daemon.url}{path}", headers=headers, timeout=10, trust_env=False)


def inject(daemon: Daemon, **body: Any) -> dict[str, Any]:
    answer = daemon.post("/chaos/actor", token(daemon), json=body)
    assert answer.status_code == 202, answer.text
    result: dict[str, Any] = answer.json()
    return result


def running(daemon: Daemon, name: str, epoch: int) -> ActorSnapshot | None:
    node = daemon.actor(name)
    return node if node.status == "running" and node.epoch == epoch else None


CHAOS_CALLS = (
    ("POST", "/chaos/actor", {"name": "strategy", "fault": "slow", "seconds": 0.01}),
    ("GET", "/chaos/clock", None),
    ("POST", "/chaos/clock", {"offset_s": 0.0}),
    ("POST", "/chaos/storage", {"max_page_count": None}),
)


def test_without_the_chaos_flag_no_chaos_route_exists(tmp_path: Path) -> None:
    with running_daemon(tmp_path) as daemon:
        secret = token(daemon)
        for method, path, body in CHAOS_CALLS:
            answer = (
                get(daemon, path, secret)
                if method == "GET"
                else daemon.post(path, secret, json=body)
            )
            assert answer.status_code == 404, (path, answer.text)
        assert daemon.get("/healthz").status_code == 200


def test_every_chaos_route_refuses_a_caller_without_the_token(chaos: Daemon) -> None:
    for method, path, body in CHAOS_CALLS:
        answer = chaos.get(path) if method == "GET" else chaos.post(path, json=body)
        assert answer.status_code == 401, (path, answer.text)
        if method == "POST":
            assert chaos.post(path, "wrong-token", json=body).status_code == 401


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/chaos/actor", {"name": "risk", "fault": "explode"}, "fault"),
        ("/chaos/actor", {"fault": "crash"}, "name"),
        ("/chaos/actor", {"name": "risk", "fault": "hang", "seconds": "long"}, "seconds"),
        ("/chaos/actor", {"name": "risk", "fault": "slow", "seconds": -1}, "seconds"),
        ("/chaos/actor", {"name": "risk", "fault": "flood", "count": 0}, "count"),
        ("/chaos/actor", [1, 2], "body"),
        ("/chaos/clock", {"offset": 5}, "offset_s"),
        ("/chaos/clock", {"offset_s": True}, "offset_s"),
        ("/chaos/storage", {}, "max_page_count"),
        ("/chaos/storage", {"max_page_count": 0}, "max_page_count"),
        ("/chaos/storage", {"max_page_count": "1"}, "max_page_count"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field(
    chaos: Daemon, path: str, body: Any, field: str
) -> None:
    answer = chaos.post(path, token(chaos), json=body)
    assert answer.status_code == 400, answer.text
    assert field in answer.json()["error"]


def test_a_fault_for_an_unknown_actor_is_a_404(chaos: Daemon) -> None:
    answer = chaos.post("/chaos/actor", token(chaos), json={"name": "nobody", "fault": "crash"})
    assert answer.status_code == 404
    assert "nobody" in answer.json()["error"]


def test_a_crash_fault_ends_that_incarnation_and_the_supervisor_starts_the_next(
    chaos: Daemon,
) -> None:
    before = poll(lambda: (node := chaos.actor("strategy")).status == "running" and node)
    answer = inject(chaos, name="strategy", fault="crash")
    assert answer == {"name": "strategy", "epoch": before.epoch, "fault": "crash"}
    after = poll(lambda: running(chaos, "strategy", before.epoch + 1), what="a new strategy")
    assert after.last_failure.type == "InjectedCrash"
    assert after.last_failure.reason == "crash"


def test_a_hang_past_the_deadline_gets_the_actor_fenced_and_replaced(chaos: Daemon) -> None:
    before = poll(lambda: (node := chaos.actor("feed")).status == "running" and node)
    inject(chaos, name="feed", fault="hang", seconds=HANG_TIMEOUT_S * 10)
    after = poll(lambda: running(chaos, "feed", before.epoch + 1), timeout=60, what="a new feed")
    assert after.last_failure.reason == "hang"
    assert after.last_failure.type == "IncarnationHung"


def test_a_flood_behind_a_slow_handler_fills_the_mailbox_and_then_drains(
    chaos: Daemon,
) -> None:
    node = poll(lambda: (found := chaos.actor("risk")).status == "running" and found)
    inject(chaos, name="risk", fault="slow", seconds=HANG_TIMEOUT_S * 0.8)  # below the deadline
    answer = inject(chaos, name="risk", fault="flood", count=20_000)
    assert answer["epoch"] == node.epoch
    assert chaos.actor("risk").mailbox >= 10_000  # still stuck behind the slow handler
    drained = poll(lambda: (n := chaos.actor("risk")).mailbox < 100 and n, what="drain")
    assert drained.processed >= node.processed + 20_000
    assert drained.epoch == node.epoch  # slow, not hung: no restart


def _utc_day(wall: float) -> str:
    return datetime.datetime.fromtimestamp(wall, tz=datetime.UTC).date().isoformat()


def test_a_clock_offset_moves_the_wall_clock_that_risk_counts_its_day_by(
    chaos: Daemon,
) -> None:
    secret = token(chaos)
    assert get(chaos, "/chaos/clock", secret).json() == {"offset_s": 0.0}
    offset = 3 * 86_400.0
    answer = chaos.post("/chaos/clock", secret, json={"offset_s": offset})
    assert answer.status_code == 200
    assert answer.json() == {"offset_s": offset}
    try:
        expected = {_utc_day(time.time() + offset), _utc_day(time.time() + offset + 60)}
        poll(lambda: chaos.status("risk", RiskStatus).day in expected, what="risk's day")
        assert get(chaos, "/chaos/clock", secret).json() == {"offset_s": offset}
    finally:
        assert chaos.post("/chaos/clock", secret, json={"offset_s": 0}).status_code == 200
    today = {_utc_day(time.time()), _utc_day(time.time() - 60)}
    poll(lambda: chaos.status("risk", RiskStatus).day in today, what="back to today")


def test_a_full_ledger_halts_risk_and_lifting_the_cap_lets_a_resume_write_again(
    tmp_path: Path,
) -> None:
    with chaos_daemon(tmp_path) as daemon:
        secret = token(daemon)
        poll(lambda: daemon.get("/readyz").status_code == 200, timeout=60, what="ready")
        answer = daemon.post("/chaos/storage", secret, json={"max_page_count": 1})
        assert answer.status_code == 200, answer.text
        assert answer.json()["max_page_count"] == 1
        assert answer.json()["pages"] >= 1  # SQLite raised the cap to the file's size

        def halted_by_ledger() -> RiskStatus | None:
            # Operator restarts write audit records too, so the file must grow soon.
            daemon.post("/actors/strategy/restart", secret)
            risk = daemon.status("risk", RiskStatus)
            return risk if risk.halted and "ledger" in (risk.halt_reason or "") else None

        poll(halted_by_ledger, timeout=60, what="risk halted by the ledger")
        # Auditing the halt fails too; persistence answers with another Halt, which
        # risk (already halted) must absorb rather than audit again: no halt loop.
        poll(
            lambda: daemon.status("persistence", PersistenceStatus).failures >= 2,
            what="failures",
        )
        counts = daemon.status("risk", RiskStatus).counts
        assert counts.halts == 1
        assert counts.ledger_halts_while_halted >= 1

        lifted = daemon.post("/chaos/storage", secret, json={"max_page_count": None})
        assert lifted.status_code == 200, lifted.text
        assert lifted.json()["pages"] > 1_000_000
        committed = daemon.status("persistence", PersistenceStatus).transactions
        assert daemon.post("/resume", secret).status_code == 202
        poll(lambda: daemon.status("risk", RiskStatus).halted is False, what="resumed")
        poll(
            lambda: daemon.status("persistence", PersistenceStatus).transactions > committed,
            what="a write after the cap was lifted",
        )
