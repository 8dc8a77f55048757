"""The ``process.second_daemon`` fault against the real daemon and venue-sim: a second
``warden run`` on the same config and ledger is refused naming the first's pid, the
first trades on, and the one-writer checker holds on the evidence the rig journaled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.supervision.conftest import eventually
from warden.chaos import Evidence
from warden.chaos._faults import SECOND_DAEMON_DEADLINE_S
from warden.chaos._history import fetch_truth, read_history
from warden.chaos._rig import Journal, Rig
from warden.chaos._runner import TRADER_CASH, VENUE_MODE, _write_config
from warden.chaos._writers import REFUSAL, one_writer_per_ledger

# the harness's venue mode
VENUE = ["--seed", "5", *VENUE_MODE, "--tick", "0.1"]
VENUE += ["--heartbeat", "1", "--trader-cash", str(TRADER_CASH)]


@pytest.mark.slow
def test_a_second_daemon_on_the_ledger_is_refused_naming_the_first_which_trades_on(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "harness.jsonl")
    rig = Rig(tmp_path, journal, venue_args=VENUE, chaos=False)
    _write_config(rig.config, rig.runtime_dir)
    try:
        rig.start_venue()
        rig.start_daemon()
        assert rig.daemon is not None
        first = rig.daemon.pid
        eventually(rig.ready, timeout=60, what="the first daemon ready", interval=0.1)

        rig.start_second_daemon()
        end = rig.finish_second_daemon(SECOND_DAEMON_DEADLINE_S)
        refused_at = journal.events[-1]["t"]

        assert (end["by"], end["code"], end["stderr_lines"]) == ("itself", 2, 1), end
        assert end["lived_s"] < SECOND_DAEMON_DEADLINE_S
        refusal = REFUSAL.match(end["stderr"][0])
        assert refusal is not None, end["stderr"]
        assert int(refusal["pid"]) == first
        assert refusal["db"] in (str(rig.db.absolute()), str(rig.db.resolve()))
        assert end["first_alive"]
        # ready still: polled (one /readyz can miss its 3 s on a loaded machine; it did once)
        eventually(rig.ready, timeout=30, what="the first daemon still ready", interval=0.2)

        def traded_since_refusal() -> bool:
            truth = fetch_truth(rig.venue_url)
            return any(e["kind"] == "order_accepted" and e["ts"] > refused_at for e in truth)

        eventually(
            traded_since_refusal, timeout=60, what="an order after the refusal", interval=0.2
        )
        rig.stop_daemon(30.0)
        history = read_history(rig.runtime_dir / "history.jsonl")
        assert history is not None
        assert history.unreadable == ()
        evidence = Evidence(
            truth=tuple(fetch_truth(rig.venue_url)),
            harness=tuple(journal.events),
            daemon=history.lines,
            ledger=None,
            venue_final={},
        )
    finally:
        rig.close()
        journal.close()

    result = one_writer_per_ledger(evidence)
    assert result.status == "held", result
    assert result.counts["second_daemons_refused"] == 1
    assert result.counts["refused_processes"] == 1
