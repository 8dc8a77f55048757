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
from collections.abc import Mapping

import attrs
from attrs import frozen

from warden.chaos._faults import BY_NAME, FAMILIES, INTENSITIES, AnyFault, Intensity
from warden.chaos._params import ActorParams, Params

#: faults per 10 s of chaos, and (min, max) seconds each lasts
BUDGET: dict[Intensity, tuple[float, tuple[float, float]]] = {
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
    """One fault of a schedule: injected at ``at_s``, healed at ``at_s + for_s``, with
    the parameters it drew (of its fault's ``params_type``)."""

    fault: str
    at_s: float
    for_s: float
    params: Params

    @property
    def until_s(self) -> float:
        return self.at_s + self.for_s

    def to_json(self) -> dict[str, object]:
        return {
            "fault": self.fault,
            "at_s": self.at_s,
            "for_s": self.for_s,
            "params": self.params.to_json(),
        }

    @classmethod
    def from_json(cls, raw: object) -> Planned:
        """Raises ``KeyError`` for a missing field, ``ValueError`` for an unknown fault
        or a mistyped field (:class:`~warden.chaos._params.ParamsError` for its params)."""
        if not isinstance(raw, Mapping):
            raise ValueError(f"a schedule entry must be an object, got {raw!r}")  # noqa: TRY004 - from_json's contract: ValueError
        name = raw["fault"]
        if not isinstance(name, str) or name not in BY_NAME:
            raise ValueError(f"unknown fault {name!r} in the schedule")
        params = raw["params"]
        if not isinstance(params, Mapping):
            raise ValueError(f"{name}: params must be an object, got {params!r}")  # noqa: TRY004 - as above
        return cls(
            name,
            _number(raw["at_s"], "at_s"),
            _number(raw["for_s"], "for_s"),
            BY_NAME[name].params_type.from_json(params),
        )


def _number(value: object, key: str) -> float:
    """``float(value)`` of a number or a numeric string, as the schedule was always read."""
    if isinstance(value, str | int | float):
        return float(value)
    raise ValueError(f"{key} must be a number, got {value!r}")


@frozen
class Schedule:
    seed: int
    duration_s: float
    intensity: Intensity
    faults_spec: str
    entries: tuple[Planned, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "seed": self.seed,
            "duration_s": self.duration_s,
            "intensity": self.intensity,
            "faults_spec": self.faults_spec,
            "entries": [entry.to_json() for entry in self.entries],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Schedule:
        """Raises ``KeyError``/``ValueError`` for a malformed or unknown entry."""
        entries = data["entries"]
        if not isinstance(entries, list):
            raise ValueError(f"entries must be a list, got {entries!r}")  # noqa: TRY004 - from_json's contract: ValueError
        seed = data["seed"]
        if not isinstance(seed, str | int | float):
            raise ValueError(f"seed must be an int, got {seed!r}")  # noqa: TRY004 - as above
        return cls(
            int(seed),
            _number(data["duration_s"], "duration_s"),
            _intensity(data["intensity"]),
            str(data.get("faults_spec", "")),
            tuple(Planned.from_json(raw) for raw in entries),
        )


def _intensity(value: object) -> Intensity:
    for level in INTENSITIES:
        if value == level:
            return level
    raise ValueError(f"intensity must be one of {INTENSITIES}, got {value!r}")


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
    faults: tuple[AnyFault, ...],
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
    wanted: list[AnyFault] = [
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
            for_s = max(for_s, round(_own_seconds(params) + 1.0, 3))
            for_s = max(for_s, min(fault.min_for_s, duration_s * 0.8))
            at_s = round(rng.uniform(0.0, max(0.0, duration_s - for_s)), 3)
            entry = Planned(fault.name, at_s, for_s, params)
            if not _overlaps(entry, entries, scopes):
                entries.append(entry)
                break
    entries.sort(key=lambda entry: (entry.at_s, entry.fault))
    return Schedule(seed, duration_s, intensity, faults_spec, _take_turns(entries, faults))


def _own_seconds(params: Params) -> float:
    """How long an actor fault itself lasts (a hang's ``seconds``); 0 for the rest."""
    if isinstance(params, ActorParams) and params.seconds is not None:
        return params.seconds
    return 0.0


def _take_turns(entries: list[Planned], faults: tuple[AnyFault, ...]) -> tuple[Planned, ...]:
    """The i-th entry of a fault with ``turns`` acts on ``turns[i % len(turns)]`` (its
    ``actor``: only actor faults take turns)."""
    turns = {fault.name: fault.turns for fault in faults if fault.turns}
    seen: dict[str, int] = {}
    taken = []
    for entry in entries:
        targets = turns.get(entry.fault)
        if targets and isinstance(entry.params, ActorParams):
            i = seen[entry.fault] = seen.get(entry.fault, -1) + 1
            params = attrs.evolve(entry.params, actor=targets[i % len(targets)])
            entry = Planned(entry.fault, entry.at_s, entry.for_s, params)  # noqa: PLW2901
        taken.append(entry)
    return tuple(taken)
