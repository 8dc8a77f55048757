"""Fault parameters: what a fault of the catalogue draws, one frozen class per shape.

Each class's ``to_json`` is the fault's ``params`` in a schedule (report.json,
``inject`` lines of the harness journal) and ``from_json`` reads it back for a
replay, raising :class:`ParamsError` (a ``ValueError`` naming the field) for a
mistyped field or an unknown key and ``KeyError`` for a missing one.

- :class:`NoParams` ``{}``: the fault's duration is all there is;
- :class:`ActorParams` ``{"actor"[, "seconds"][, "count"]}``: actor faults;
- :class:`EndpointKnobs` ``{"endpoint", "knobs": {...}}``: venue REST faults;
- :class:`VenueKnobs` ``{knob: number | bool, ...}``: venue stream and matching faults;
- :class:`SecondDaemonParams` ``{"deadline_s"}``: a second daemon's deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

from attrs import frozen

from warden.json_types import JsonObject


class ParamsError(ValueError):
    """Parameters (a schedule's JSON) that do not fit their fault's class; names the field."""


def _keys(data: Mapping[str, object], allowed: tuple[str, ...]) -> None:
    extra = sorted(set(data) - set(allowed))
    if extra:
        raise ParamsError(f"unknown parameter(s) {extra} (known: {list(allowed)})")


def _text(data: Mapping[str, object], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise ParamsError(f"{key} must be a string, got {value!r}")
    return value


def _seconds(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamsError(f"{key} must be a number, got {value!r}")
    return float(value)


def _knob_values(value: object, key: str) -> dict[str, float | bool]:
    """Knobs as given: numbers stay ints or floats, ``true`` stays a bool."""
    if not isinstance(value, Mapping):
        raise ParamsError(f"{key} must be an object, got {value!r}")
    knobs: dict[str, float | bool] = {}
    for name, knob in value.items():
        if not isinstance(name, str) or not isinstance(knob, int | float):
            raise ParamsError(f"{key}: knob {name!r} must be a number or a bool, got {knob!r}")
        knobs[name] = knob
    return knobs


@frozen
class NoParams:
    """A fault that draws nothing (its duration is all there is): ``{}``."""

    def to_json(self) -> JsonObject:
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> NoParams:
        """Raises ``ValueError`` for any key."""
        _keys(data, ())
        return cls()


@frozen
class ActorParams:
    """An actor fault: which ``actor``; how many ``seconds`` (crash, hang, slow, flood)
    and how many messages (``count``, flood only). ``None`` fields are left out of
    the JSON form (an operator restart is ``{"actor"}``)."""

    actor: str
    seconds: float | None = None
    count: int | None = None

    def to_json(self) -> JsonObject:
        data: JsonObject = {"actor": self.actor}
        if self.seconds is not None:
            data["seconds"] = self.seconds
        if self.count is not None:
            data["count"] = self.count
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ActorParams:
        """Raises ``KeyError`` without ``actor``, ``ValueError`` for a mistyped field."""
        _keys(data, ("actor", "seconds", "count"))
        seconds = data.get("seconds")
        count = data.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            raise ParamsError(f"count must be an int, got {count!r}")
        return cls(
            _text(data, "actor"),
            None if seconds is None else _seconds(seconds, "seconds"),
            count,
        )


@frozen
class EndpointKnobs:
    """A venue REST fault: the ``knobs`` (name -> rate, milliseconds, seconds) the
    venue applies to one ``endpoint`` (``*``: every endpoint)."""

    endpoint: str
    knobs: dict[str, float | bool]

    def to_json(self) -> JsonObject:
        return {"endpoint": self.endpoint, "knobs": dict(self.knobs)}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> EndpointKnobs:
        """Raises ``KeyError`` for a missing field, ``ValueError`` for a mistyped one."""
        _keys(data, ("endpoint", "knobs"))
        return cls(_text(data, "endpoint"), _knob_values(data["knobs"], "knobs"))


@frozen
class VenueKnobs:
    """A venue stream or matching fault: its knobs (name -> rate, or ``silence``:
    true), flat, as the venue's fault section takes them."""

    knobs: dict[str, float | bool]

    def to_json(self) -> JsonObject:
        return dict(self.knobs)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> VenueKnobs:
        """Raises ``ValueError`` for a knob that is not a number or a bool."""
        return cls(_knob_values(data, "params"))


@frozen
class SecondDaemonParams:
    """``deadline_s``: seconds from the second daemon's start to its exit (killed after)."""

    deadline_s: float

    def to_json(self) -> JsonObject:
        return {"deadline_s": self.deadline_s}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> SecondDaemonParams:
        """Raises ``KeyError`` without ``deadline_s``, ``ValueError`` if it is no number."""
        _keys(data, ("deadline_s",))
        return cls(_seconds(data["deadline_s"], "deadline_s"))


#: the parameters of any fault
Params: TypeAlias = NoParams | ActorParams | EndpointKnobs | VenueKnobs | SecondDaemonParams

__all__ = [
    "ActorParams",
    "EndpointKnobs",
    "NoParams",
    "Params",
    "ParamsError",
    "SecondDaemonParams",
    "VenueKnobs",
]
