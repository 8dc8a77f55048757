"""The seeded fault schedule: which faults, when, for how long, with which parameters.

:func:`plan` is a pure function of ``(seed, duration, intensity, faults)``:
it draws everything from one ``random.Random(seed)``, so a seed names one
schedule (VOPR-style). Every family among the selected faults is scheduled at
least once, then more faults are drawn until the intensity's budget is spent.
Faults on related scopes never overlap: a scope is a dotted lane, and ``daemon``
(SIGKILL: the whole process) is related to every ``daemon.*`` lane (actors,
trading = kill switch and ledger, clock), which are independent of each other
and of the venue's lanes. A fault that finds no free slot after a few tries is
left out (and so is absent from the schedule, not silently lost).
Times are seconds from the start of the chaos phase; every fault ends by
``duration``. A fault with ``turns`` (operator restarts) takes its targets in
turn, in time order, once the schedule is drawn.
"""

from __future__ import annotations

import random
from typing import Any

from attrs import frozen

from warden.chaos._faults import BY_NAME, FAMILIES, Fault, Intensity

#: faults per 10 s of chaos, and (min, max) seconds each lasts
BUDGET: dict[str, tuple[float, tuple[float, float]]] = {
    "low": (1.0, (2.0, 4.0)),
    "medium": (2.0, (2.0, 5.0)),
    "high": (11.0, (1.5, 4.0)),
}
_TRIES = 40
#: seconds between a SIGKILL and any other daemon fault (a restarted daemon comes up)
GAP_S = 3.0
#: seconds between two faults of one lane otherwise (the heal lands first)
LANE_GAP_S = 0.5


@frozen
class Planned:
    """One fault of a schedule: injected at ``at_s``, healed at ``at_s + for_s``."""

    fault: str
    at_s: float
    for_s: float
    params: dict[str, Any]

    @property
    def until_s(self) -> float:
        return self.at_s + self.for_s

    def to_json(self) -> dict[str, Any]:
        return {"fault": self.fault, "at_s": self.at_s, "for_s": self.for_s, "params": self.params}


@frozen
class Schedule:
    seed: int
    duration_s: float
    intensity: Intensity
    faults_spec: str
    entries: tuple[Planned, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "duration_s": self.duration_s,
            "intensity": self.intensity,
            "faults_spec": self.faults_spec,
            "entries": [entry.to_json() for entry in self.entries],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Schedule:
        """Raises ``KeyError``/``ValueError`` for a malformed or unknown entry."""
        entries = []
        for raw in data["entries"]:
            if raw["fault"] not in BY_NAME:
                raise ValueError(f"unknown fault {raw['fault']!r} in the schedule")
            entries.append(
                Planned(raw["fault"], float(raw["at_s"]), float(raw["for_s"]), dict(raw["params"]))
            )
        return cls(
            int(data["seed"]),
            float(data["duration_s"]),
            data["intensity"],
            str(data.get("faults_spec", "")),
            tuple(entries),
        )


def related(a: str, b: str) -> bool:
    """Two scopes share a resource: equal, or one is the other's dotted parent."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _gap(mine: tuple[str, ...], theirs: tuple[str, ...]) -> float | None:
    """Seconds two faults must keep apart, or ``None`` if they may overlap."""
    pairs = [(a, b) for a in mine for b in theirs if related(a, b)]
    if not pairs:
        return None
    return GAP_S if any("daemon" in (a, b) for a, b in pairs) else LANE_GAP_S


def _overlaps(entry: Planned, others: list[Planned], scopes: dict[str, tuple[str, ...]]) -> bool:
    for other in others:
        gap = _gap(scopes[entry.fault], scopes[other.fault])
        if (
            gap is not None
            and entry.at_s < other.until_s + gap
            and other.at_s < entry.until_s + gap
        ):
            return True
    return False


def plan(
    seed: int,
    duration_s: float,
    intensity: Intensity,
    faults: tuple[Fault, ...],
    *,
    faults_spec: str = "",
) -> Schedule:
    """The schedule for ``seed``; raises :class:`ValueError` if ``faults`` is empty."""
    if not faults:
        raise ValueError("no faults to schedule")
    rng = random.Random(seed)
    per_10s, (shortest, longest) = BUDGET[intensity]
    families = [family for family in FAMILIES if any(f.family == family for f in faults)]
    budget = max(len(families), round(per_10s * duration_s / 10.0))
    scopes = {fault.name: fault.scopes for fault in faults}
    wanted: list[Fault] = [
        rng.choice([f for f in faults if f.family == family]) for family in families
    ]
    wanted += [rng.choice(faults) for _ in range(budget - len(wanted))]
    entries: list[Planned] = []
    for fault in wanted:
        for _ in range(_TRIES):
            for_s = round(min(rng.uniform(shortest, longest), duration_s * 0.8), 3)
            params = fault.draw(rng, intensity)
            # an actor fault lasts as long as its own seconds (a hang outlives a short
            # slot), plus a second: its lane stays taken until it is over
            for_s = max(for_s, round(float(params.get("seconds", 0.0)) + 1.0, 3))
            for_s = max(for_s, min(fault.min_for_s, duration_s * 0.8))
            at_s = round(rng.uniform(0.0, max(0.0, duration_s - for_s)), 3)
            entry = Planned(fault.name, at_s, for_s, params)
            if not _overlaps(entry, entries, scopes):
                entries.append(entry)
                break
    entries.sort(key=lambda entry: (entry.at_s, entry.fault))
    return Schedule(seed, duration_s, intensity, faults_spec, _take_turns(entries, faults))


def _take_turns(entries: list[Planned], faults: tuple[Fault, ...]) -> tuple[Planned, ...]:
    """The i-th entry of a fault with ``turns`` acts on ``turns[i % len(turns)]``."""
    turns = {fault.name: fault.turns for fault in faults if fault.turns}
    seen: dict[str, int] = {}
    taken = []
    for entry in entries:
        targets = turns.get(entry.fault)
        if targets:
            i = seen[entry.fault] = seen.get(entry.fault, -1) + 1
            params = entry.params | {"actor": targets[i % len(targets)]}
            entry = Planned(entry.fault, entry.at_s, entry.for_s, params)  # noqa: PLW2901
        taken.append(entry)
    return tuple(taken)
