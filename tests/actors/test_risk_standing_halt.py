"""A halt outlives the risk incarnation that took it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from actors.messages import AuditEvent, Halt
from actors.persistence import Ledger, standing_halt
from actors.risk import Rejected, RejectReason
from tests.actors.risk_harness import risk_tree
from tests.supervision.conftest import eventually


def _audit(db: Path, *entries: tuple[str, str, str]) -> None:
    with Ledger.open(db, wall=time.time) as ledger:
        for n, (kind, detail, source) in enumerate(entries):
            ledger.write(f"a{n}", (AuditEvent(kind, detail, source),))


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ((), None),
        ((("halt", "operator says stop", "control"),), ("operator says stop", "control")),
        ((("halt", "stop", "control"), ("resume", "was halted: stop", "control")), None),
        ((("halt", "shutdown: SIGTERM", "daemon"),), None),  # ends with the process
        (
            (("halt", "ledger cannot write", "persistence"), ("halt", "shutdown", "daemon")),
            ("ledger cannot write", "persistence"),
        ),
        ((("breaker", "opened", "risk"),), None),
    ],
)
def test_the_standing_halt_is_replayed_from_the_audit_trail(
    tmp_path: Path, entries: tuple[tuple[str, str, str], ...], expected: object
) -> None:
    db = tmp_path / "ledger.db"
    _audit(db, *entries)
    assert standing_halt(db) == expected


def test_no_ledger_yet_means_no_halt(tmp_path: Path) -> None:
    assert standing_halt(tmp_path / "missing.db") is None


def test_a_new_risk_incarnation_starts_halted_when_a_halt_stands() -> None:
    with risk_tree(standing_halt=lambda: ("operator says stop", "control")) as risk:
        risk.reconcile()
        refused = risk.reserve("opp-1")
        assert isinstance(refused, Rejected)
        assert refused.reason is RejectReason.HALTED
        assert risk.summary().halt_reason == "operator says stop"


def test_risk_starts_halted_when_the_halt_state_cannot_be_read() -> None:
    def unreadable() -> tuple[str, str] | None:
        raise OSError("disk on fire")

    with risk_tree(standing_halt=unreadable) as risk:
        risk.reconcile()
        assert isinstance(risk.reserve("opp-1"), Rejected)
        assert "halt state unknown" in str(risk.summary().halt_reason)


def test_a_halt_survives_a_restart_of_risk(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    _audit(db)  # an empty ledger: no halt yet
    with risk_tree(standing_halt=lambda: standing_halt(db)) as risk:
        risk.reconcile()
        assert not isinstance(risk.reserve("opp-1", ticker="KX-A"), Rejected)
        risk.ask(Halt("operator says stop", "control"))
        # The fake persistence does not write; record the audit as the real one would.
        _audit(db, ("halt", "operator says stop", "control"))
        eventually(lambda: risk.summary().halted)
        risk.tree.restart("risk")
        risk.reconcile()
        assert risk.summary().halted is True
        refused = risk.reserve("opp-2", ticker="KX-B")
        assert isinstance(refused, Rejected)
        assert refused.reason is RejectReason.HALTED
