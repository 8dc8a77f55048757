"""What a checker answers: :class:`CheckResult` (held / violated / unknown, counts,
at most :data:`MAX_WITNESSES` minimal witnesses), shared by every checker module."""

from __future__ import annotations

from typing import Any, Literal

from attrs import field, frozen

Status = Literal["held", "violated", "unknown"]
MAX_WITNESSES = 5


@frozen
class CheckResult:
    name: str
    invariant: int
    status: Status
    counts: dict[str, Any] = field(factory=dict)
    witnesses: list[dict[str, Any]] = field(factory=list)
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "invariant": self.invariant,
            "status": self.status,
            "counts": self.counts,
            "witnesses": self.witnesses,
            "detail": self.detail,
        }


def result(
    name: str, invariant: int, counts: dict[str, Any], witnesses: list[dict[str, Any]], what: str
) -> CheckResult:
    """``violated`` with the first witnesses if there are any, else ``held``."""
    status: Status = "violated" if witnesses else "held"
    detail = f"{len(witnesses)} witness(es): {what}" if witnesses else ""
    return CheckResult(name, invariant, status, counts, witnesses[:MAX_WITNESSES], detail)


def unknown(name: str, invariant: int, detail: str, **counts: Any) -> CheckResult:
    """The evidence the checker needs is missing: ``detail`` says which."""
    return CheckResult(name, invariant, "unknown", counts, [], detail)
