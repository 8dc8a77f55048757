"""The fault catalogue: every fault the harness can inject, as named, resettable data.

A :class:`Fault` says what it breaks (``family``: actor, venue, process,
storage, clock), which parameters it draws for an intensity (an instance of
its ``params_type``, see :mod:`warden.chaos._params`), how to inject and how
to heal it through a :class:`Targets` (the running venue and daemon), and how
recovery is measured (``recovery``):

- ``epoch``: the actor's new incarnation shows ``running`` in ``/actors``
  (timed from injection);
- ``ready``: ``/readyz`` answers 200 again (timed from the heal);
- ``reconciled``: the restarted daemon's first ``reconciled ok`` history line
  (timed from the restart; ``/readyz`` when the daemon writes no history).

``blocks`` names the readiness checks of ``/readyz`` (actors, reconciliation,
halt, feed, persistence) the fault may fail while it lasts and for a while
after its heal: a restart that is slow to be ready again is excused only by a
fault that blocks the check that is failing. ``min_for_s`` is the shortest
slot the schedule gives the fault (its lanes stay taken that long).

A fault with ``turns`` takes its target from that tuple in turn: the i-th
instance of it in a schedule (in time order) acts on ``turns[i % len(turns)]``
(``actor.restart`` restarts persistence, risk, execution, strategy, feed, and
round again).

Faults never overlap a fault sharing one of their ``scopes`` (a venue knob
section is replaced as a whole; the daemon takes one fault at a time).
``needs_chaos`` faults use the daemon's ``--chaos`` routes and are
unavailable when the daemon has none. ``needs_feed_workers`` faults act on the
feed's worker processes (``[feed] process``, ``warden chaos run --feed-workers
N``): :func:`select` leaves them out of a run whose feed runs in the daemon.
Injection or heal failures raise :class:`FaultError`; the runner records them
and carries on.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Generic, Literal, Protocol, TypeAlias, TypeVar

from attrs import frozen

from warden.chaos._params import (
    ActorParams,
    EndpointKnobs,
    NoParams,
    Params,
    ParamsError,
    SecondDaemonParams,
    VenueKnobs,
)
from warden.json_types import JsonObject

Intensity = Literal["low", "medium", "high"]
INTENSITIES: tuple[Intensity, ...] = ("low", "medium", "high")
FAMILIES = ("actor", "venue", "process", "storage", "clock")
ACTORS = ("persistence", "risk", "execution", "strategy", "feed")
#: the checks of /readyz (warden.control._readiness)
CHECKS = ("actors", "reconciliation", "halt", "feed", "persistence")
#: an operator restart keeps the actor lane this long: the readiness bound of the
#: chaos config (11.5 s, see warden.chaos._readiness) and a little, so no other actor
#: fault restarts the tree again before the daemon must be ready
RESTART_SLOT_S = 12.0
#: seconds a second daemon gets, from its start, to refuse the held ledger and exit
#: (python start-up and imports included, on a loaded machine)
SECOND_DAEMON_DEADLINE_S = 10.0


class FaultError(Exception):
    """A fault could not be injected or healed; carries the fault name."""

    def __init__(self, fault: str, message: str) -> None:
        self.fault = fault
        super().__init__(f"{fault}: {message}")


P = TypeVar("P", NoParams, ActorParams, EndpointKnobs, VenueKnobs, SecondDaemonParams)


class Targets(Protocol):
    """What faults act on; implemented by the runner over real processes."""

    def venue_faults(self, knobs: JsonObject) -> None: ...
    def venue_reset(self, scope: str) -> None: ...
    def daemon_post(self, path: str, body: JsonObject) -> Mapping[str, object]: ...
    def wait_in_flight(self, timeout_s: float) -> bool: ...
    def kill_daemon(self) -> None: ...
    def restart_daemon(self) -> None: ...
    def lock_ledger(self) -> None: ...
    def unlock_ledger(self) -> None: ...
    def resume_if_halted_by(self, reason_part: str) -> None: ...
    def seconds_to_midnight(self) -> float: ...
    def seconds_since_midnight(self) -> float: ...
    def start_second_daemon(self) -> Mapping[str, object]: ...
    def kill_feed_worker(self) -> Mapping[str, object]: ...
    def finish_second_daemon(self, deadline_s: float) -> Mapping[str, object]: ...


#: an injection's or heal's answer, JSON-able (journaled; the runner reads ``epoch``,
#: ``sent_t``, the report ``first_alive``)
Answer: TypeAlias = dict[str, object] | None


@frozen
class Fault(Generic[P]):
    """One fault of the catalogue, drawing and acting on parameters of ``params_type``.

    :meth:`inject` and :meth:`heal` take the typed parameters or their JSON form
    (as journaled and replayed); parameters that do not parse, or are of another
    fault's type, raise :class:`FaultError` as a failed injection does.
    """

    name: str
    family: str
    summary: str
    params_doc: str
    scopes: tuple[str, ...]
    recovery: Literal["epoch", "ready", "reconciled"]
    params_type: type[P]
    draw: Callable[[random.Random, Intensity], P]
    on_inject: Callable[[Targets, P], Answer]
    on_heal: Callable[[Targets, P], Answer]
    needs_chaos: bool = False
    needs_feed_workers: bool = False
    turns: tuple[str, ...] = ()
    blocks: tuple[str, ...] = CHECKS
    min_for_s: float = 0.0

    def parse(self, params: Params | Mapping[str, object]) -> P:
        """``params`` as this fault's type. Raises :class:`FaultError`."""
        if isinstance(params, Mapping):
            try:
                return self.params_type.from_json(params)
            except (KeyError, ValueError) as error:
                raise FaultError(self.name, f"bad parameters {params!r}: {error}") from None
        if not isinstance(params, self.params_type):
            raise FaultError(self.name, f"parameters of another fault: {params!r}")
        return params

    def inject(self, targets: Targets, params: Params | Mapping[str, object]) -> Answer:
        """Break it; the answer is journaled. Raises :class:`FaultError`."""
        return self.on_inject(targets, self.parse(params))

    def heal(self, targets: Targets, params: Params | Mapping[str, object]) -> Answer:
        """Undo it. Raises :class:`FaultError`."""
        return self.on_heal(targets, self.parse(params))


#: any fault of the catalogue
AnyFault: TypeAlias = (
    Fault[NoParams]
    | Fault[ActorParams]
    | Fault[EndpointKnobs]
    | Fault[VenueKnobs]
    | Fault[SecondDaemonParams]
)


def _pick(rng: random.Random, intensity: Intensity, table: dict[str, tuple[float, float]]) -> float:
    low, high = table[intensity]
    return round(rng.uniform(low, high), 3)


def _rate(low: float, medium: float, high: float) -> dict[str, tuple[float, float]]:
    return {"low": (low / 2, low), "medium": (medium / 2, medium), "high": (high / 2, high)}


def _actor(rng: random.Random) -> str:
    # execution is drawn most: a fault there hits orders in flight
    return rng.choice(("execution", "execution", "execution", "risk", "feed", "strategy"))


# --- venue -------------------------------------------------------------------------------

KnobDraw = Callable[[random.Random, Intensity], VenueKnobs]


def _http(endpoint: str, knobs: KnobDraw) -> Callable[[random.Random, Intensity], EndpointKnobs]:
    def draw(rng: random.Random, intensity: Intensity) -> EndpointKnobs:
        return EndpointKnobs(endpoint, knobs(rng, intensity).knobs)

    return draw


def _inject_http(targets: Targets, params: EndpointKnobs) -> None:
    targets.venue_faults({"http": {params.endpoint: dict(params.knobs)}})


def _heal_http(targets: Targets, params: EndpointKnobs) -> None:
    targets.venue_reset(f"http.{params.endpoint}")


def _inject_stream(targets: Targets, params: VenueKnobs) -> None:
    targets.venue_faults({"stream": params.to_json()})


def _heal_stream(targets: Targets, _params: VenueKnobs) -> None:
    targets.venue_reset("stream")


def _venue_http(
    name: str, summary: str, doc: str, endpoint: str, knobs: KnobDraw
) -> Fault[EndpointKnobs]:
    # reconciliation waits for orders in flight and reads the venue over REST; a
    # critical venue error halts; every endpoint ("*") includes the feed's snapshots
    blocks = ("reconciliation", "halt", "feed") if endpoint == "*" else ("reconciliation", "halt")
    return Fault(
        name,
        "venue",
        summary,
        doc,
        (f"venue.http.{endpoint}",),
        "ready",
        EndpointKnobs,
        _http(endpoint, knobs),
        _inject_http,
        _heal_http,
        blocks=blocks,
    )


def _venue_stream(name: str, summary: str, doc: str, draw: KnobDraw) -> Fault[VenueKnobs]:
    return Fault(
        name,
        "venue",
        summary,
        doc,
        ("venue.stream",),
        "ready",
        VenueKnobs,
        draw,
        _inject_stream,
        _heal_stream,
        blocks=("feed",),
    )


def _partial_fills_inject(targets: Targets, params: VenueKnobs) -> None:
    targets.venue_faults(params.to_json())


def _partial_fills_heal(targets: Targets, _params: VenueKnobs) -> None:
    targets.venue_reset("matching")


# --- actor (control plane; --chaos routes) -----------------------------------------------


def _restart_inject(targets: Targets, params: ActorParams) -> dict[str, object]:
    in_flight = targets.wait_in_flight(2.0) if params.actor == "execution" else False
    sent_t = time.time()  # time to recover counts from here, not from the wait above
    answer = targets.daemon_post(f"/actors/{params.actor}/restart", {})
    return {"epoch": answer.get("epoch"), "in_flight": in_flight, "sent_t": sent_t}


def _chaos_actor(kind: str) -> Callable[[Targets, ActorParams], dict[str, object]]:
    def inject(targets: Targets, params: ActorParams) -> dict[str, object]:
        in_flight = targets.wait_in_flight(2.0) if params.actor == "execution" else False
        body: JsonObject = {"name": params.actor, "fault": kind, "seconds": params.seconds}
        body["count"] = params.count if params.count is not None else 1
        sent_t = time.time()  # time to recover counts from here, not from the wait above
        answer = targets.daemon_post("/chaos/actor", body)
        return {"epoch": answer.get("epoch"), "in_flight": in_flight, "sent_t": sent_t}

    return inject


def _nothing(_targets: Targets, _params: ActorParams) -> None:
    return None


def _actor_draw(
    seconds: dict[str, tuple[float, float]], count: int = 1
) -> Callable[[random.Random, Intensity], ActorParams]:
    def draw(rng: random.Random, intensity: Intensity) -> ActorParams:
        actor, drawn = _actor(rng), _pick(rng, intensity, seconds)
        if count > 1:
            return ActorParams(actor, drawn, count * (1 + INTENSITIES.index(intensity)))
        return ActorParams(actor, drawn)

    return draw


# --- process, storage, clock -------------------------------------------------------------


def _sigkill_inject(targets: Targets, _params: NoParams) -> None:
    targets.kill_daemon()


def _sigkill_heal(targets: Targets, _params: NoParams) -> None:
    targets.restart_daemon()


def _feed_worker_inject(targets: Targets, _params: ActorParams) -> dict[str, object]:
    return dict(targets.kill_feed_worker())


def _second_daemon_inject(targets: Targets, _params: SecondDaemonParams) -> dict[str, object]:
    return dict(targets.start_second_daemon())


def _second_daemon_heal(targets: Targets, params: SecondDaemonParams) -> dict[str, object]:
    return dict(targets.finish_second_daemon(params.deadline_s))


def _halt_inject(targets: Targets, _params: NoParams) -> None:
    targets.daemon_post("/halt", {"reason": "chaos: kill switch"})


def _halt_heal(targets: Targets, _params: NoParams) -> None:
    targets.daemon_post("/resume", {})


def _lock_inject(targets: Targets, _params: NoParams) -> None:
    targets.lock_ledger()


def _lock_heal(targets: Targets, _params: NoParams) -> None:
    targets.unlock_ledger()
    targets.resume_if_halted_by("ledger")


def _disk_full_inject(targets: Targets, _params: NoParams) -> None:
    targets.daemon_post("/chaos/storage", {"max_page_count": 1})


def _disk_full_heal(targets: Targets, _params: NoParams) -> None:
    targets.daemon_post("/chaos/storage", {"max_page_count": None})
    targets.resume_if_halted_by("ledger")


def _clock_inject(direction: int) -> Callable[[Targets, NoParams], dict[str, object]]:
    def inject(targets: Targets, _params: NoParams) -> dict[str, object]:
        # land 5 s past the next midnight, or 5 s before the last one
        if direction > 0:
            offset = targets.seconds_to_midnight() + 5.0
        else:
            offset = -(targets.seconds_since_midnight() + 5.0)
        targets.daemon_post("/chaos/clock", {"offset_s": offset})
        return {"offset_s": offset}

    return inject


def _clock_heal(targets: Targets, _params: NoParams) -> None:
    targets.daemon_post("/chaos/clock", {"offset_s": 0.0})


def _empty(_rng: random.Random, _intensity: Intensity) -> NoParams:
    return NoParams()


def _knobs(**tables: dict[str, tuple[float, float]]) -> KnobDraw:
    def draw(rng: random.Random, intensity: Intensity) -> VenueKnobs:
        return VenueKnobs({name: _pick(rng, intensity, table) for name, table in tables.items()})

    return draw


CATALOGUE: tuple[AnyFault, ...] = (
    Fault(
        "actor.restart",
        "actor",
        "operator restart (POST /actors/NAME/restart) of each actor in turn, execution mid-order",
        "actor (persistence, risk, execution, strategy, feed in turn)",
        ("daemon.actors",),
        "epoch",
        ActorParams,
        lambda _rng, _i: ActorParams(ACTORS[0]),
        _restart_inject,
        _nothing,
        turns=ACTORS,
        min_for_s=RESTART_SLOT_S,
    ),
    Fault(
        "actor.crash",
        "actor",
        "the actor's handler raises; the supervisor restarts it (rest_for_one)",
        "actor, seconds (unused), count",
        ("daemon.actors",),
        "epoch",
        ActorParams,
        _actor_draw({"low": (0.0, 0.0), "medium": (0.0, 0.0), "high": (0.0, 0.0)}),
        _chaos_actor("crash"),
        _nothing,
        needs_chaos=True,
    ),
    Fault(
        "actor.hang",
        "actor",
        "the actor's handler blocks for `seconds`; hang detection replaces it",
        "actor, seconds",
        ("daemon.actors",),
        "epoch",
        ActorParams,
        _actor_draw({"low": (4.0, 5.0), "medium": (4.0, 6.0), "high": (5.0, 8.0)}),
        _chaos_actor("hang"),
        _nothing,
        needs_chaos=True,
    ),
    Fault(
        "actor.slow",
        "actor",
        "every handler of the actor takes longer for `seconds`",
        "actor, seconds",
        ("daemon.actors",),
        "ready",
        ActorParams,
        _actor_draw({"low": (1.0, 2.0), "medium": (2.0, 4.0), "high": (3.0, 6.0)}),
        _chaos_actor("slow"),
        _nothing,
        needs_chaos=True,
    ),
    Fault(
        "actor.flood",
        "actor",
        "`count` junk messages into the actor's mailbox (they must be dead-lettered)",
        "actor, count",
        ("daemon.actors",),
        "ready",
        ActorParams,
        _actor_draw({"low": (0.0, 0.0), "medium": (0.0, 0.0), "high": (0.0, 0.0)}, count=500),
        _chaos_actor("flood"),
        _nothing,
        needs_chaos=True,
    ),
    _venue_http(
        "venue.latency",
        "every REST answer is delayed by latency_ms + uniform jitter_ms",
        "latency_ms, jitter_ms",
        "*",
        _knobs(latency_ms=_rate(50, 200, 600), jitter_ms=_rate(50, 200, 600)),
    ),
    _venue_http(
        "venue.rate_limit",
        "create_order answers 429 with Retry-After (not applied)",
        "error_429_rate, retry_after_s",
        "create_order",
        _knobs(error_429_rate=_rate(0.2, 0.4, 0.7), retry_after_s=_rate(1, 1, 2)),
    ),
    _venue_http(
        "venue.server_error",
        "create_order answers 500/502/503 (not applied)",
        "error_5xx_rate",
        "create_order",
        _knobs(error_5xx_rate=_rate(0.2, 0.4, 0.7)),
    ),
    _venue_http(
        "venue.hang",
        "create_order never answers (the client times out; not applied)",
        "hang_rate",
        "create_order",
        _knobs(hang_rate=_rate(0.2, 0.4, 0.6)),
    ),
    _venue_http(
        "venue.timeout_after_apply",
        "create_order is applied but its answer withheld: an unknown outcome",
        "timeout_after_apply_rate",
        "create_order",
        _knobs(timeout_after_apply_rate=_rate(0.3, 0.5, 0.8)),
    ),
    Fault(
        "venue.partial_fill",
        "venue",
        "a competitor takes all but k of the liquidity an order crosses",
        "partial_fill_rate",
        ("venue.matching",),
        "ready",
        VenueKnobs,
        _knobs(partial_fill_rate=_rate(0.3, 0.6, 1.0)),
        _partial_fills_inject,
        _partial_fills_heal,
        blocks=(),  # matching only
    ),
    _venue_stream(
        "venue.ws_drop",
        "the websocket is closed (1011) at random frames",
        "drop_rate",
        _knobs(drop_rate=_rate(0.005, 0.02, 0.05)),
    ),
    _venue_stream(
        "venue.ws_silence",
        "the websocket stays open and sends nothing, heartbeats included",
        "silence",
        lambda _rng, _i: VenueKnobs({"silence": True}),
    ),
    _venue_stream(
        "venue.seq_gap",
        "sequenced frames are dropped (seq skipped)",
        "gap_rate",
        _knobs(gap_rate=_rate(0.02, 0.05, 0.15)),
    ),
    _venue_stream(
        "venue.bad_frames",
        "frames duplicated, reordered, or malformed",
        "duplicate_rate, reorder_rate, malformed_rate",
        _knobs(
            duplicate_rate=_rate(0.02, 0.05, 0.1),
            reorder_rate=_rate(0.02, 0.05, 0.1),
            malformed_rate=_rate(0.01, 0.03, 0.06),
        ),
    ),
    Fault(
        "process.sigkill",
        "process",
        "SIGKILL the daemon; after the fault's duration restart it on the same ledger",
        "(duration = time down)",
        ("daemon",),
        "reconciled",
        NoParams,
        _empty,
        _sigkill_inject,
        _sigkill_heal,
    ),
    Fault(
        "process.feed_worker",
        "process",
        "SIGKILL one of the feed's worker processes (each a shard of the markets); the"
        " feed actor crashes naming it and its restart starts every worker again",
        "actor (feed; the worker is the next in turn, by pid)",
        ("daemon.actors",),
        "epoch",
        ActorParams,
        lambda _rng, _i: ActorParams("feed"),
        _feed_worker_inject,
        _nothing,
        needs_feed_workers=True,
        blocks=("actors", "feed"),
    ),
    Fault(
        "process.second_daemon",
        "process",
        "a second `warden run` on the same config and ledger; it must exit 2 naming the"
        " first's pid (killed if it has not exited `deadline_s` after its start)",
        "deadline_s",
        ("daemon.ledger",),
        "ready",
        SecondDaemonParams,
        lambda _rng, _i: SecondDaemonParams(SECOND_DAEMON_DEADLINE_S),
        _second_daemon_inject,
        _second_daemon_heal,
        blocks=(),  # refused before it opens anything
    ),
    Fault(
        "process.halt",
        "process",
        "the kill switch (POST /halt) for the fault's duration, then POST /resume",
        "(duration = time halted)",
        ("daemon.trading",),
        "ready",
        NoParams,
        _empty,
        _halt_inject,
        _halt_heal,
        blocks=("halt",),
    ),
    Fault(
        "storage.locked",
        "storage",
        "the harness holds BEGIN EXCLUSIVE on the ledger (SQLite busy); heal resumes a ledger halt",
        "(duration = lock held)",
        ("daemon.trading",),
        "ready",
        NoParams,
        _empty,
        _lock_inject,
        _lock_heal,
        blocks=("halt", "persistence", "reconciliation"),
    ),
    Fault(
        "storage.disk_full",
        "storage",
        "the ledger may not grow (max_page_count); heal restores it and resumes",
        "(duration = disk full)",
        ("daemon.trading",),
        "ready",
        NoParams,
        _empty,
        _disk_full_inject,
        _disk_full_heal,
        needs_chaos=True,
        blocks=("halt", "persistence", "reconciliation"),
    ),
    Fault(
        "clock.forward",
        "clock",
        "the daemon's wall clock jumps forward across the next UTC midnight",
        "offset_s (computed at injection)",
        ("daemon.clock",),
        "ready",
        NoParams,
        _empty,
        _clock_inject(+1),
        _clock_heal,
        needs_chaos=True,
        blocks=("feed", "reconciliation", "halt"),
    ),
    Fault(
        "clock.backward",
        "clock",
        "the daemon's wall clock jumps back across the last UTC midnight",
        "offset_s (computed at injection)",
        ("daemon.clock",),
        "ready",
        NoParams,
        _empty,
        _clock_inject(-1),
        _clock_heal,
        needs_chaos=True,
        blocks=("feed", "reconciliation", "halt"),
    ),
)

BY_NAME = {fault.name: fault for fault in CATALOGUE}


def select(spec: str | None, *, feed_workers: int = 0) -> tuple[AnyFault, ...]:
    """The faults named by a comma-separated list of families and/or fault names.

    ``None`` or ``""`` selects every fault. With ``feed_workers = 0`` (the feed runs
    in the daemon) a family or "every fault" leaves out the faults that need feed
    workers. Raises :class:`ValueError` naming an unknown entry, or a fault named
    on its own that needs feed workers the run has none of.
    """
    available = tuple(f for f in CATALOGUE if feed_workers or not f.needs_feed_workers)
    if not spec:
        return available
    chosen: list[AnyFault] = []
    for raw in spec.split(","):
        item = raw.strip()
        if item in FAMILIES:
            matches = [fault for fault in available if fault.family == item]
        elif item in BY_NAME:
            matches = [BY_NAME[item]]
            if matches[0] not in available:
                raise ValueError(
                    f"{item} needs the feed in worker processes (--feed-workers N, N >= 1)"
                )
        else:
            known = ", ".join((*FAMILIES, *BY_NAME))
            raise ValueError(f"unknown fault or family {item!r} (known: {known})")
        chosen.extend(fault for fault in matches if fault not in chosen)
    return tuple(fault for fault in CATALOGUE if fault in chosen)


__all__ = [
    "ACTORS",
    "BY_NAME",
    "CATALOGUE",
    "CHECKS",
    "FAMILIES",
    "INTENSITIES",
    "RESTART_SLOT_S",
    "SECOND_DAEMON_DEADLINE_S",
    "ActorParams",
    "Answer",
    "AnyFault",
    "EndpointKnobs",
    "Fault",
    "FaultError",
    "Intensity",
    "NoParams",
    "Params",
    "ParamsError",
    "SecondDaemonParams",
    "Targets",
    "VenueKnobs",
    "select",
]
