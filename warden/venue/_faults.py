"""Fault knobs: what the venue does wrong, on purpose, and the seeded dice that decide when.

Knobs are data (:class:`Faults`, frozen, one validator per field) and are
set at start (:attr:`VenueConfig.faults`) or at run time through ``POST
/sim/faults``; ``DELETE /sim/faults?scope=...`` resets one scope (``all``,
``http``, ``http.<endpoint>``, ``stream``, ``matching``).  Scopes:

- ``http``: per REST endpoint name (see :data:`ENDPOINTS`), with ``"*"``
  as the rule for endpoints that have none of their own.  ``/sim/*`` is
  never faulted.
- ``stream``: every websocket connection.
- ``matching``: ``partial_fill_rate``.

Decisions draw from one ``random.Random`` seeded from the venue seed, never
the global generator, so a run is reproducible for a given request order.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import attrs
import cattrs
from attrs import evolve, field, frozen
from cattrs.v import format_exception

from supervision import validators
from warden.json_types import Json, JsonObject
from warden.venue._errors import BadRequest

ENDPOINTS = frozenset(
    {
        "list_markets",
        "get_market",
        "get_orderbook",
        "create_order",
        "cancel_order",
        "get_order",
        "list_orders",
        "list_fills",
        "list_positions",
        "get_balance",
        "get_events",
        "get_event",
        "historical_cutoff",
    }
)
SCOPES = ("all", "http", "stream", "matching")


_rate = validators.probability()
_non_negative = validators.integer(0)


def _endpoints(
    _instance: object,
    _attribute: attrs.Attribute[Mapping[str, HttpFaults]],
    value: Mapping[str, HttpFaults],
) -> None:
    unknown = sorted(set(value) - ENDPOINTS - {"*"})
    if unknown:
        raise ValueError(f"unknown endpoint(s) {unknown}; known: {sorted(ENDPOINTS)} or '*'")


@frozen
class HttpFaults:
    """Faults of one REST endpoint; each request draws independently.

    Order of effects: latency (``latency_ms`` plus uniform ``[0,
    jitter_ms]``), then hang (never answer until the client goes away), then
    429 (with ``Retry-After: retry_after_s``), then 5xx (500/502/503), then
    the request is applied and, with ``timeout_after_apply_rate``, its
    response is withheld (the client times out although the venue acted).
    """

    latency_ms: int = field(default=0, validator=_non_negative)
    jitter_ms: int = field(default=0, validator=_non_negative)
    hang_rate: float = field(default=0.0, validator=_rate)
    error_429_rate: float = field(default=0.0, validator=_rate)
    retry_after_s: int = field(default=0, validator=_non_negative)
    error_5xx_rate: float = field(default=0.0, validator=_rate)
    timeout_after_apply_rate: float = field(default=0.0, validator=_rate)


@frozen
class StreamFaults:
    """Faults of the websocket stream, drawn per outgoing frame.

    ``silence`` withholds every frame (heartbeats too) while the socket stays
    open; withheld data frames still use up their ``seq``.  ``gap_rate``
    drops a sequenced frame (its ``seq`` is skipped).  ``malformed_rate``
    replaces a data frame with bad JSON, a NaN price, or (snapshots) a
    negative size; the replaced content is lost, like a gap.
    """

    drop_rate: float = field(default=0.0, validator=_rate)
    silence: bool = field(default=False, validator=validators.instance_of(bool))
    gap_rate: float = field(default=0.0, validator=_rate)
    duplicate_rate: float = field(default=0.0, validator=_rate)
    reorder_rate: float = field(default=0.0, validator=_rate)
    malformed_rate: float = field(default=0.0, validator=_rate)


@frozen
class Faults:
    """Every knob; the default is a well-behaved venue."""

    http: Mapping[str, HttpFaults] = field(factory=dict, validator=_endpoints)
    stream: StreamFaults = field(factory=StreamFaults)
    partial_fill_rate: float = field(default=0.0, validator=_rate)

    def for_endpoint(self, endpoint: str) -> HttpFaults:
        return self.http.get(endpoint) or self.http.get("*") or HttpFaults()

    def merged(self, patch: Faults, given: Mapping[str, object]) -> Faults:
        """``self`` with the sections named in ``given`` (a parsed body) taken from ``patch``."""
        result = self
        if "http" in given:
            result = evolve(result, http={**result.http, **patch.http})
        if "stream" in given:
            result = evolve(result, stream=patch.stream)
        if "partial_fill_rate" in given:
            result = evolve(result, partial_fill_rate=patch.partial_fill_rate)
        return result

    def reset(self, scope: str) -> Faults:
        """``self`` with one scope back to defaults; ``BadRequest`` names an unknown scope."""
        if scope == "all":
            return Faults()
        if scope == "http":
            return evolve(self, http={})
        if scope.startswith("http."):
            endpoint = scope.removeprefix("http.")
            if endpoint not in ENDPOINTS | {"*"}:
                raise BadRequest("scope", f"unknown endpoint {endpoint!r}")
            return evolve(self, http={k: v for k, v in self.http.items() if k != endpoint})
        if scope == "stream":
            return evolve(self, stream=StreamFaults())
        if scope == "matching":
            return evolve(self, partial_fill_rate=0.0)
        raise BadRequest("scope", f"must be one of {SCOPES} or http.<endpoint>")

    def to_wire(self) -> JsonObject:
        """The knobs as ``GET /sim/faults`` shows them (every field, defaults too)."""
        wire: JsonObject = _converter.unstructure(self)
        return wire


_converter = cattrs.Converter(forbid_extra_keys=True)


def _strict_bool(value: object, _target: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


_converter.register_structure_hook(bool, _strict_bool)


def parse_faults(body: Json) -> Faults:
    """Structure a JSON body into :class:`Faults`; ``BadRequest`` names the bad key's path."""
    if not isinstance(body, dict):
        raise BadRequest("body", "must be a JSON object")
    try:
        return _converter.structure(body, Faults)
    except Exception as error:  # noqa: BLE001 - cattrs raises groups of arbitrary errors
        messages = (
            cattrs.transform_error(error, format_exception=_describe)
            if isinstance(error, ExceptionGroup)
            else []
        )
        where = messages[0] if messages else str(error)
        raise BadRequest("faults", where) from None


def _describe(error: BaseException, target: type | None) -> str:
    if type(error) is ValueError or isinstance(error, validators.FieldError):
        return str(error)
    return format_exception(error, target)


class FaultDice:
    """The current :class:`Faults` and the seeded generator that rolls them."""

    def __init__(self, faults: Faults, rng: random.Random) -> None:
        self.faults = faults
        self.rng = rng

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def latency_seconds(self, rule: HttpFaults) -> float:
        jitter = self.rng.uniform(0, rule.jitter_ms) if rule.jitter_ms else 0.0
        return (rule.latency_ms + jitter) / 1000
