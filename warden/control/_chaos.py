"""The chaos routes of the control plane: inject faults into a running daemon, on purpose.

They exist only when the daemon runs with ``warden run --chaos`` (without it
every path below answers 404), and every one of them -- GET included --
requires the bearer token (401 without it, before the body is read).

=======  ================  ==========================================================
POST     /chaos/actor      ``{"name", "fault": crash|hang|slow|flood, "seconds", "count"}``
                           -> 202 ``{"name", "epoch", "fault"}`` (delivered to that epoch)
GET      /chaos/clock      -> 200 ``{"offset_s"}``
POST     /chaos/clock      ``{"offset_s": float}`` -> 200 ``{"offset_s"}``: from now on every
                           actor's ``clock.wall()`` is real time + offset (monotonic unaffected)
POST     /chaos/storage    ``{"max_page_count": int | null}`` -> 200 ``{"max_page_count",
                           "pages"}``: persistence caps the ledger (a full disk); null lifts it
=======  ================  ==========================================================

``seconds`` (hang, slow) defaults to 1.0, ``count`` (flood) to 10000. A body
that is not a JSON object, or a field of the wrong type or range, is a 400
naming the field; an unknown actor a 404; an actor that is not running (or
persistence not answering within 5 s) a 503. See :mod:`supervision._faults`
for what each actor fault does. Each accepted call is a ``fault`` line in the
daemon's history and a warning in its log.
"""

from __future__ import annotations

import json
import math
from functools import partial

import trio
from loguru import logger

from actors.persistence import LedgerSizeLimited, LimitLedgerSize
from supervision import AskTimeout, ChildUnavailable, InjectFault
from warden.chaos_clock import OffsetClock
from warden.control._app import (
    ControlApp,
    Handler,
    Request,
    Response,
    Route,
    Unavailable,
    error_response,
    json_response,
    requires_token,
    route,
)
from warden.json_types import Json, JsonObject

STORAGE_TIMEOUT_S = 5.0
MAX_FLOOD = 1_000_000
MAX_PAGES = 4_294_967_294  # SQLite's own ceiling for max_page_count
FAULTS = ("crash", "hang", "slow", "flood")


class _BadField(Exception):
    """A request body field is missing, of the wrong type or out of range (-> 400)."""


def _body(raw: bytes) -> JsonObject:
    try:
        body: Json = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _BadField("body must be a JSON object")
    return body


def _number(body: JsonObject, name: str, default: float | None = None) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _BadField(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _count(body: JsonObject, name: str, default: int | None, most: int) -> int | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise _BadField(f"{name} must be an int in 1..{most}, got {value!r}")
    return value


def _history(fault: str, target: str, **detail: float | None) -> None:
    """A ``kind: fault`` history line (:class:`actors.history.FaultLine`): ``detail`` are
    the route's parameters, each a field of that record (an unknown one makes the
    line unreadable, which the chaos harness reports)."""
    logger.bind(child="control", history="fault", fault=fault, target=target, **detail).warning(
        "chaos: {} -> {} {}", fault, target, detail
    )


class ChaosRoutes:
    """The chaos handlers, bound to the daemon's :class:`OffsetClock`."""

    def __init__(self, clock: OffsetClock) -> None:
        self.clock = clock

    def routes(self) -> tuple[Route, ...]:
        return (
            route("POST", "/chaos/actor", self._guarded(self._actor)),
            route("GET", "/chaos/clock", self._guarded(self._get_clock)),
            route("POST", "/chaos/clock", self._guarded(self._set_clock)),
            route("POST", "/chaos/storage", self._guarded(self._storage)),
        )

    @staticmethod
    def _guarded(handler: Handler) -> Handler:
        async def answer(app: ControlApp, request: Request) -> Response:
            try:
                return await handler(app, request)
            except _BadField as error:
                return error_response(400, str(error))

        answer.__name__ = handler.__name__
        return requires_token(answer)

    async def _actor(self, app: ControlApp, request: Request) -> Response:
        body = _body(request.body)
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise _BadField(f"name must be an actor's name, got {name!r}")
        kind = body.get("fault")
        if kind not in FAULTS:
            raise _BadField(f"fault must be one of {', '.join(FAULTS)}, got {kind!r}")
        try:
            fault = InjectFault(
                kind,
                seconds=_number(body, "seconds", 1.0),
                count=_count(body, "count", 10_000, MAX_FLOOD) or 10_000,
            )
        except (TypeError, ValueError) as error:  # the fault's own checks, e.g. seconds < 0
            raise _BadField(str(error)) from None
        if not app.known_actor(name):
            return error_response(404, f"no actor named {name!r}")
        inject = partial(app.tree.inject_fault, name, fault)
        try:
            epoch = await trio.to_thread.run_sync(inject)
        except ChildUnavailable as error:
            raise Unavailable(f"{name} cannot take a fault now: {error}") from None
        parameters = {"seconds": fault.seconds} if kind in ("hang", "slow") else {}
        if kind == "flood":
            parameters = {"count": fault.count}
        _history(kind, name, epoch=epoch, **parameters)
        return json_response(202, {"name": name, "epoch": epoch, "fault": kind})

    async def _get_clock(self, _app: ControlApp, _request: Request) -> Response:
        return json_response(200, {"offset_s": self.clock.offset})

    async def _set_clock(self, _app: ControlApp, request: Request) -> Response:
        offset = _number(_body(request.body), "offset_s")
        self.clock.set_offset(offset)
        _history("clock", "clock", offset_s=offset)
        return json_response(200, {"offset_s": self.clock.offset})

    async def _storage(self, app: ControlApp, request: Request) -> Response:
        body = _body(request.body)
        if "max_page_count" not in body:
            raise _BadField("max_page_count is required (an int >= 1, or null)")
        pages = _count(body, "max_page_count", None, MAX_PAGES)
        ask = partial(
            app.tree.ask, "persistence", LimitLedgerSize(pages), timeout=STORAGE_TIMEOUT_S
        )
        try:
            answer = await trio.to_thread.run_sync(ask)
        except (ChildUnavailable, AskTimeout) as error:
            raise Unavailable(f"persistence cannot take it now: {error}") from None
        assert isinstance(answer, LedgerSizeLimited)
        _history("storage", "persistence", max_page_count=pages, pages=answer.pages)
        return json_response(200, {"max_page_count": pages, "pages": answer.pages})
