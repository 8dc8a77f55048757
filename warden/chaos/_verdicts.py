"""What a checker answers: :class:`CheckResult` (held / violated / unknown, counts,
at most :data:`MAX_WITNESSES` minimal witnesses), shared by every checker module.

Counts and witnesses are JSON-able mappings (numbers, strings, venue truth
entries, ledger rows as ``attrs.asdict``): report.json carries them as given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from attrs import field, frozen

Status = Literal["held", "violated", "unknown"]
MAX_WITNESSES = 5


@frozen
class CheckResult:
    name: str
    invariant: int
    status: Status
    counts: Mapping[str, object] = field(factory=dict)
    witnesses: Sequence[Mapping[str, object]] = field(factory=list)
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "invariant": self.invariant,
            "status": self.status,
            "counts": self.counts,
            "witnesses": self.witnesses,
            "detail": self.detail,
        }


def result(
    name: str,
    invariant: int,
    counts: Mapping[str, object],
    witnesses: Sequence[Mapping[str, object]],
    what: str,
) -> CheckResult:
    """``violated`` with the first witnesses if there are any, else ``held``."""
    status: Status = "violated" if witnesses else "held"
    detail = f"{len(witnesses)} witness(es): {what}" if witnesses else ""
    return CheckResult(name, invariant, status, counts, witnesses[:MAX_WITNESSES], detail)


def unknown(name: str, invariant: int, detail: str, **counts: object) -> CheckResult:
    """The evidence the checker needs is missing: ``detail`` says which."""
    return CheckResult(name, invariant, "unknown", counts, [], detail)
