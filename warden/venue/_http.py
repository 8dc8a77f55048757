"""The venue's ASGI application: a tiny router over REST handlers, plus the websocket hand-off.

REST lives under ``/trade-api/v2`` (Kalshi shapes with its fixed-point fields:
prices ``*_dollars`` with 4 decimals, counts ``*_fp`` with 2) and the
simulator's own controls under ``/sim``.  Every answer is JSON.  Errors are
``{"error": {"code": ..., "message": ..., "field": ...}}`` with a 4xx; an
unexpected exception in a handler is logged and answered with a 500, and
the server keeps serving.  Bodies over ``MAX_BODY`` bytes get a 413.

REST endpoints (not ``/sim``) pass through the HTTP fault knobs of their
endpoint name first (see :class:`HttpFaults`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypeAlias
from urllib.parse import parse_qs

import trio
from attrs import frozen
from loguru import logger

from warden.asgi import Message, Receive, Send, read_body, serve_lifespan
from warden.json_types import Json
from warden.venue._engine import TRADER
from warden.venue._errors import (
    BadRequest,
    DuplicateClientOrderId,
    VenueError,
)
from warden.venue._events import EventDynamics
from warden.venue._faults import parse_faults
from warden.venue._model import WireSide
from warden.venue._realism import Event
from warden.venue._shapes import EventWire
from warden.venue._stream import wire_levels
from warden.venue._truth import TruthKind
from warden.venue._venue import SimVenue
from warden.venue._wire import dump_json, load_json, parse_order, query_int, query_status

REST = "/trade-api/v2"
MAX_BODY = 64 * 1024
HTTP_ERRORS = (500, 502, 503)

Body: TypeAlias = Mapping[str, object]
"""A JSON object to send: built from the shapes of :mod:`warden.venue._shapes`, plain
dicts and lists, strings, numbers, booleans and None (:func:`dump_json` encodes it)."""


@frozen
class Request:
    path_params: dict[str, str]
    query: dict[str, str]
    body: bytes

    def json(self) -> Json:
        """The body as JSON (``{}`` when empty); ``BadRequest`` if it is not valid JSON."""
        return load_json(self.body) if self.body else {}


@frozen
class Response:
    status: int
    body: Body
    headers: tuple[tuple[bytes, bytes], ...] = ()


Handler = Callable[[SimVenue, Request], Response]


@frozen
class Route:
    method: str
    pattern: re.Pattern[str]
    endpoint: str | None  # None: a /sim route, never faulted
    handler: Handler


def _ok(body: Body, status: int = 200) -> Response:
    return Response(status, body)


def _error(status: int, code: str, message: str, **extra: str) -> Response:
    return Response(status, {"error": {"code": code, "message": message, **extra}})


# ------------------------------------------------------------------ handlers


def _list_markets(sim: SimVenue, request: Request) -> Response:
    tickers = sim.engine.tickers
    event_ticker = request.query.get("event_ticker")
    if sim.events and event_ticker is not None:  # realistic mode: Kalshi's event filter
        tickers = [t for t in tickers if sim.event_of[t].event_ticker == event_ticker]
    return _ok({"markets": [sim.market(t) for t in tickers], "cursor": ""})


def _get_market(sim: SimVenue, request: Request) -> Response:
    return _ok({"market": sim.market(request.path_params["ticker"])})


def _event_wire(sim: SimVenue, event: Event, *, nested: bool) -> EventWire:
    return event.to_wire([sim.market(t) for t in event.tickers] if nested else None)


def _get_events(sim: SimVenue, request: Request) -> Response:
    """Kalshi's ``GET /events``: ``limit`` (1-200, default 100), ``cursor``, and
    ``with_nested_markets``; the answer's ``cursor`` is ``""`` on the last page."""
    if not sim.events:
        return _error(404, "not_found", "no events: the venue is not in the realistic mode")
    events = list(sim.events.values())
    limit = query_int("limit", request.query.get("limit"), 100, 1, 200)
    cursor = request.query.get("cursor") or ""
    start = 0
    if cursor:
        if not cursor.startswith("ev") or not cursor[2:].isdigit():
            raise BadRequest("cursor", "not a cursor this venue returned")
        start = int(cursor[2:])
        if not 0 < start < len(events):
            raise BadRequest("cursor", "not a cursor this venue returned")
    page = events[start : start + limit]
    end = start + len(page)
    nested = _flag("with_nested_markets", request.query.get("with_nested_markets"))
    return _ok(
        {
            "events": [_event_wire(sim, event, nested=nested) for event in page],
            "cursor": f"ev{end}" if end < len(events) else "",
        }
    )


def _get_event(sim: SimVenue, request: Request) -> Response:
    """Kalshi's ``GET /events/{event_ticker}``: markets nested in the event with
    ``with_nested_markets=true``, else as a top-level ``markets`` field."""
    event = sim.events.get(request.path_params["event_ticker"])
    if event is None:
        return _error(404, "not_found", f"unknown event {request.path_params['event_ticker']!r}")
    if _flag("with_nested_markets", request.query.get("with_nested_markets")):
        return _ok({"event": _event_wire(sim, event, nested=True)})
    markets = [sim.market(t) for t in event.tickers]
    return _ok({"event": _event_wire(sim, event, nested=False), "markets": markets})


def _flag(field: str, value: str | None) -> bool:
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise BadRequest(field, "must be true or false")


def _get_orderbook(sim: SimVenue, request: Request) -> Response:
    book = sim.engine.book(request.path_params["ticker"])
    levels = {f"{side}_dollars": wire_levels(book, side) for side in WireSide}
    return _ok({"orderbook_fp": levels})


def _create_order(sim: SimVenue, request: Request) -> Response:
    try:
        order = parse_order(request.json(), sim.engine.grids, stp=sim.engine.reciprocal)
    except BadRequest as error:
        sim.engine.reject(TRADER, error.code, str(error), field=error.field)
        raise
    return _ok({"order": sim.place_order(order)}, 201)


def _list_orders(sim: SimVenue, request: Request) -> Response:
    orders = sim.engine.orders(
        TRADER,
        client_order_id=request.query.get("client_order_id"),
        status=query_status(request.query.get("status")),
        ticker=request.query.get("ticker"),
    )
    return _ok({"orders": orders, "cursor": ""})


def _get_order(sim: SimVenue, request: Request) -> Response:
    return _ok({"order": sim.engine.order(TRADER, request.path_params["order_id"])})


def _cancel_order(sim: SimVenue, request: Request) -> Response:
    order_id = request.path_params["order_id"]
    before = sim.engine.order(TRADER, order_id)["remaining_count_fp"]
    order = sim.engine.cancel(TRADER, order_id)
    return _ok({"order": order, "reduced_by_fp": before})


def _list_fills(sim: SimVenue, request: Request) -> Response:
    fills = sim.engine.fills(
        TRADER, ticker=request.query.get("ticker"), order_id=request.query.get("order_id")
    )
    return _ok({"fills": fills, "cursor": ""})


def _list_positions(sim: SimVenue, _request: Request) -> Response:
    return _ok({"market_positions": sim.engine.positions(TRADER), "cursor": ""})


def _get_balance(sim: SimVenue, _request: Request) -> Response:
    return _ok(sim.engine.balance(TRADER))


def _truth(sim: SimVenue, request: Request) -> Response:
    kind = request.query.get("kind")
    if kind is not None and kind not in {k.value for k in TruthKind}:
        raise BadRequest("kind", f"must be one of {sorted(k.value for k in TruthKind)}")
    after = query_int("after", request.query.get("after"), 0, 0, 2**62)
    entries = sim.engine.truth.select(
        after=after,
        account=request.query.get("account"),
        kind=None if kind is None else TruthKind(kind),
        limit=query_int("limit", request.query.get("limit"), 10_000, 1, 100_000),
    )
    next_after = (
        entries[-1].seq if entries else query_int("after", request.query.get("after"), 0, 0, 2**62)
    )
    return _ok({"entries": [e.to_wire() for e in entries], "next_after": next_after})


def _get_faults(sim: SimVenue, _request: Request) -> Response:
    return _ok({"faults": sim.dice.faults.to_wire()})


def _set_faults(sim: SimVenue, request: Request) -> Response:
    body = request.json()
    patch = parse_faults(body)  # BadRequest unless body is an object of known knobs
    if isinstance(body, dict):
        sim.dice.faults = sim.dice.faults.merged(patch, body)
    return _get_faults(sim, request)


def _reset_faults(sim: SimVenue, request: Request) -> Response:
    sim.dice.faults = sim.dice.faults.reset(request.query.get("scope", "all"))
    return _get_faults(sim, request)


def _step(sim: SimVenue, request: Request) -> Response:
    for _ in range(query_int("n", request.query.get("n"), 1, 1, 10_000)):
        sim.dynamics.step()
    return _ok(sim.stats())


def _stats(sim: SimVenue, _request: Request) -> Response:
    return _ok(sim.stats())


def _fair_values(sim: SimVenue, _request: Request) -> Response:
    if not isinstance(sim.dynamics, EventDynamics):
        return _error(404, "not_found", "no fair values: the venue is not in the realistic mode")
    return _ok(sim.dynamics.to_wire())


def _route(method: str, path: str, endpoint: str | None, handler: Handler) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return Route(method, re.compile(f"^{regex}$"), endpoint, handler)


ROUTES = (
    _route("GET", f"{REST}/markets", "list_markets", _list_markets),
    _route("GET", f"{REST}/markets/{{ticker}}", "get_market", _get_market),
    _route("GET", f"{REST}/markets/{{ticker}}/orderbook", "get_orderbook", _get_orderbook),
    _route("POST", f"{REST}/portfolio/orders", "create_order", _create_order),
    _route("GET", f"{REST}/portfolio/orders", "list_orders", _list_orders),
    _route("GET", f"{REST}/portfolio/orders/{{order_id}}", "get_order", _get_order),
    _route("DELETE", f"{REST}/portfolio/orders/{{order_id}}", "cancel_order", _cancel_order),
    _route("GET", f"{REST}/portfolio/fills", "list_fills", _list_fills),
    _route("GET", f"{REST}/portfolio/positions", "list_positions", _list_positions),
    _route("GET", f"{REST}/portfolio/balance", "get_balance", _get_balance),
    _route("GET", f"{REST}/events", "get_events", _get_events),
    _route("GET", f"{REST}/events/{{event_ticker}}", "get_event", _get_event),
    _route("GET", "/sim/truth", None, _truth),
    _route("GET", "/sim/faults", None, _get_faults),
    _route("POST", "/sim/faults", None, _set_faults),
    _route("DELETE", "/sim/faults", None, _reset_faults),
    _route("POST", "/sim/step", None, _step),
    _route("GET", "/sim/stats", None, _stats),
    _route("GET", "/sim/fair_values", None, _fair_values),
)


def _status_of(error: VenueError) -> int:
    if isinstance(error, DuplicateClientOrderId):
        return 409
    return 404 if isinstance(error, LookupError) else 400


def _apply(sim: SimVenue, route: Route, request: Request) -> Response:
    """Run a handler, turning every failure into a JSON answer."""
    try:
        return route.handler(sim, request)
    except DuplicateClientOrderId as error:
        return Response(
            409, {"error": {"code": error.code, "message": str(error)}, "order": error.order}
        )
    except BadRequest as error:
        return _error(400, error.code, str(error), field=error.field)
    except VenueError as error:
        return _error(_status_of(error), error.code, str(error))
    except Exception:  # noqa: BLE001 - the venue answers 500 and keeps serving
        logger.exception("venue: handler {} failed", route.handler.__name__)
        return _error(500, "internal", "internal error")


class VenueApp:
    """The ASGI callable for one :class:`SimVenue`."""

    def __init__(self, sim: SimVenue) -> None:
        self.sim = sim

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.sim.hub.serve(scope, receive, send)
        elif scope["type"] == "lifespan":
            await serve_lifespan(receive, send)

    async def _http(self, scope: Message, receive: Receive, send: Send) -> None:
        response = await self._answer(scope, receive)
        if response is not None:
            await _respond(send, response)

    async def _answer(self, scope: Message, receive: Receive) -> Response | None:
        """The response to send, or None to send nothing at all (an injected hang)."""
        body = await read_body(receive, MAX_BODY)
        if body is None:
            return _error(413, "body_too_large", f"body over {MAX_BODY} bytes")
        path = str(scope["path"])
        route, match, allowed = _resolve(str(scope["method"]), path)
        if route is None or match is None:
            if allowed:
                return _error(405, "method_not_allowed", f"allowed: {allowed}")
            return _error(404, "not_found", f"no route {path}")
        raw_query = scope.get("query_string", b"")
        query_string = raw_query.decode("latin-1") if isinstance(raw_query, bytes) else ""
        query = {k: v[0] for k, v in parse_qs(query_string).items()}
        request = Request(match.groupdict(), query, body)
        if route.endpoint is None:
            return _apply(self.sim, route, request)
        return await self._faulted(route, route.endpoint, request, receive)

    async def _faulted(
        self, route: Route, endpoint: str, request: Request, receive: Receive
    ) -> Response | None:
        dice = self.sim.dice
        rule = dice.faults.for_endpoint(endpoint)
        delay = dice.latency_seconds(rule)
        if delay > 0:
            # Shielded: a request the venue has received is still applied if the client
            # goes away while it waits (a real venue does not see the client leave),
            # so an order sent just before a crash can land after its sender died.
            with trio.CancelScope(shield=True):
                await trio.sleep(delay)
        if dice.roll(rule.hang_rate):
            await _until_disconnect(receive)
            return None
        if dice.roll(rule.error_429_rate):
            retry = (b"retry-after", str(rule.retry_after_s).encode())
            limited = _error(429, "rate_limited", "too many requests (injected)")
            return Response(429, limited.body, (retry,))
        if dice.roll(rule.error_5xx_rate):
            status = dice.rng.choice(HTTP_ERRORS)
            return _error(status, "server_error", "injected server error")
        response = _apply(self.sim, route, request)
        if dice.roll(rule.timeout_after_apply_rate):
            await _until_disconnect(receive)
            return None
        return response


def _resolve(method: str, path: str) -> tuple[Route | None, re.Match[str] | None, list[str]]:
    allowed = []
    for route in ROUTES:
        match = route.pattern.match(path)
        if match is None:
            continue
        if route.method == method:
            return route, match, []
        allowed.append(route.method)
    return None, None, allowed


async def _until_disconnect(receive: Receive) -> None:
    """Never answer: wait until the client goes away (or the server stops)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _respond(send: Send, response: Response) -> None:
    payload = dump_json(response.body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *response.headers,
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
