"""The venue's ASGI application: a tiny router over the REST handlers, plus the websocket hand-off.

The Kalshi Trade API v2 lives under ``/trade-api/v2`` (handlers in
:mod:`warden.venue._rest`, shapes as Kalshi documents them) and the
simulator's own controls and ground truth under ``/sim``.  Every answer is
JSON.  An error on a Kalshi path is Kalshi's ``ErrorResponse``
(``{"code", "message", "details"?}``, the components/responses of every
page in api-reference/), except a 429, which is ``{"error": "too many
requests"}`` as getting_started/rate_limits.md shows.  An unexpected
exception in a handler is logged and answered with a 500, and the server
keeps serving.  Bodies over ``MAX_BODY`` bytes get a 413.

With ``VenueConfig.kalshi_public_keys`` every ``/trade-api`` request must be
signed (:mod:`warden.venue._auth`): a missing or bad signature is a 401
before anything else happens.  Kalshi endpoints then pass through the HTTP
fault knobs of their endpoint name (see :class:`HttpFaults`); ``/sim`` is
never signed nor faulted.

Polymarket's paths (its CLOB at the root, Gamma under ``/gamma``, the channels
``/ws/market`` and ``/ws/user``) are handed to :mod:`warden.venue._polymarket_http`
and :mod:`warden.venue._polymarket_stream` before any of the above.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs

import trio
from attrs import frozen
from loguru import logger

from warden.asgi import Message, Receive, Send, read_body, serve_lifespan
from warden.json_types import Json
from warden.venue import _auth, _polymarket_http, _polymarket_stream, _rest
from warden.venue._errors import BadRequest, DuplicateClientOrderId, VenueError
from warden.venue._events import EventDynamics
from warden.venue._faults import parse_faults
from warden.venue._model import http_date
from warden.venue._rest import Answer, Body, Request
from warden.venue._truth import TruthKind
from warden.venue._venue import SimVenue
from warden.venue._wire import dump_json, load_json, query_int

REST = "/trade-api/v2"
MAX_BODY = 64 * 1024
HTTP_ERRORS = (500, 502, 503)
RATE_LIMITED: Body = {"error": "too many requests"}
"""The 429 body of getting_started/rate_limits.md (no Retry-After header either)."""


@frozen
class Response:
    status: int
    body: Body
    headers: tuple[tuple[bytes, bytes], ...] = ()


Handler = Callable[[SimVenue, Request], Answer]


@frozen
class Route:
    method: str
    pattern: re.Pattern[str]
    endpoint: str | None  # None: a /sim route, never faulted
    handler: Handler


def error_body(code: str, message: str, details: str | None = None) -> Body:
    """Kalshi's ErrorResponse: ``code``, ``message`` and, when there is one, ``details``."""
    body: dict[str, str] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return body


def _error(status: int, code: str, message: str, details: str | None = None) -> Response:
    return Response(status, error_body(code, message, details))


# ------------------------------------------------------------------ /sim handlers


def _truth(sim: SimVenue, request: Request) -> Answer:
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
    next_after = entries[-1].seq if entries else after
    return Answer({"entries": [e.to_wire() for e in entries], "next_after": next_after})


def _get_faults(sim: SimVenue, _request: Request) -> Answer:
    return Answer({"faults": sim.dice.faults.to_wire()})


def _set_faults(sim: SimVenue, request: Request) -> Answer:
    body = request.json()
    patch = parse_faults(body)  # BadRequest unless body is an object of known knobs
    if isinstance(body, dict):
        sim.dice.faults = sim.dice.faults.merged(patch, body)
    return _get_faults(sim, request)


def _reset_faults(sim: SimVenue, request: Request) -> Answer:
    sim.dice.faults = sim.dice.faults.reset(request.query.get("scope", "all"))
    return _get_faults(sim, request)


def _step(sim: SimVenue, request: Request) -> Answer:
    for _ in range(query_int("n", request.query.get("n"), 1, 1, 10_000)):
        sim.dynamics.step()
    return Answer(sim.stats())


def _stats(sim: SimVenue, _request: Request) -> Answer:
    return Answer(sim.stats())


def _accounts(sim: SimVenue, _request: Request) -> Answer:
    """Every account's exact cash, free cash and the cash its resting orders hold."""
    return Answer({"accounts": sim.engine.accounts()})


def _fair_values(sim: SimVenue, _request: Request) -> Answer:
    if not isinstance(sim.dynamics, EventDynamics):
        return Answer(error_body("not_found", "no fair values: not the realistic mode"), 404)
    return Answer(sim.dynamics.to_wire())


def _route(method: str, path: str, endpoint: str | None, handler: Handler) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return Route(method, re.compile(f"^{regex}$"), endpoint, handler)


ROUTES = (
    _route("GET", f"{REST}/markets", "list_markets", _rest.list_markets),
    _route("GET", f"{REST}/markets/{{ticker}}", "get_market", _rest.get_market),
    _route("GET", f"{REST}/markets/{{ticker}}/orderbook", "get_orderbook", _rest.get_orderbook),
    _route("POST", f"{REST}/portfolio/orders", "create_order", _rest.create_order),
    _route("GET", f"{REST}/portfolio/orders", "list_orders", _rest.list_orders),
    _route("GET", f"{REST}/portfolio/orders/{{order_id}}", "get_order", _rest.get_order),
    _route("DELETE", f"{REST}/portfolio/orders/{{order_id}}", "cancel_order", _rest.cancel_order),
    # the V2 order endpoints share the fault knobs of their legacy twins: one knob per action
    _route("POST", f"{REST}/portfolio/events/orders", "create_order", _rest.create_order_v2),
    _route(
        "DELETE",
        f"{REST}/portfolio/events/orders/{{order_id}}",
        "cancel_order",
        _rest.cancel_order_v2,
    ),
    _route("GET", f"{REST}/portfolio/fills", "list_fills", _rest.list_fills),
    _route("GET", f"{REST}/portfolio/positions", "list_positions", _rest.list_positions),
    _route("GET", f"{REST}/portfolio/balance", "get_balance", _rest.get_balance),
    _route("GET", f"{REST}/events", "get_events", _rest.get_events),
    _route("GET", f"{REST}/events/{{event_ticker}}", "get_event", _rest.get_event),
    _route("GET", f"{REST}/historical/cutoff", "historical_cutoff", _rest.historical_cutoff),
    _route("GET", "/sim/truth", None, _truth),
    _route("GET", "/sim/faults", None, _get_faults),
    _route("POST", "/sim/faults", None, _set_faults),
    _route("DELETE", "/sim/faults", None, _reset_faults),
    _route("POST", "/sim/step", None, _step),
    _route("GET", "/sim/stats", None, _stats),
    _route("GET", "/sim/accounts", None, _accounts),
    _route("GET", "/sim/fair_values", None, _fair_values),
)


def _status_of(error: VenueError) -> int:
    if isinstance(error, DuplicateClientOrderId):
        return 409
    return 404 if isinstance(error, LookupError) else 400


def _apply(sim: SimVenue, route: Route, request: Request) -> Response:
    """Run a handler, turning every failure into an ErrorResponse."""
    try:
        answer = route.handler(sim, request)
    except BadRequest as error:
        return _error(400, error.code, str(error), error.field)
    except VenueError as error:
        return _error(_status_of(error), error.code, str(error))
    except Exception:  # noqa: BLE001 - the venue answers 500 and keeps serving
        logger.exception("venue: handler {} failed", route.handler.__name__)
        return _error(500, "internal_server_error", "internal error")
    return Response(answer.status, answer.body)


def _json_of(body: bytes) -> Callable[[], Json]:
    """The body as JSON (``{}`` when empty); ``BadRequest`` if it is not valid JSON."""
    return lambda: load_json(body) if body else {}


class VenueApp:
    """The ASGI callable for one :class:`SimVenue`."""

    def __init__(self, sim: SimVenue) -> None:
        self.sim = sim
        _polymarket_stream.hub(sim)  # the Polymarket dialect follows the engine from the start

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket" and _polymarket_stream.claims(str(scope["path"])):
            await _polymarket_stream.hub(self.sim).serve(scope, receive, send)
        elif scope["type"] == "websocket":
            reason = self._unsigned(scope, "GET")
            if reason is None:
                await self.sim.hub.serve(scope, receive, send)
            else:
                await _refuse_handshake(scope, receive, send, reason)
        elif scope["type"] == "lifespan":
            await serve_lifespan(receive, send)

    def _unsigned(self, scope: Message, method: str) -> str | None:
        """Why the request is not validly signed, or None (signed, or no keys configured)."""
        return _auth.problem(
            self.sim.public_keys,
            method,
            _auth.request_path(scope),
            _auth.headers_of(scope),
            now_ms=_auth.wall_ms(),
        )

    async def _http(self, scope: Message, receive: Receive, send: Send) -> None:
        if _polymarket_http.claims(str(scope["method"]), str(scope["path"])):
            await _polymarket_http.serve(self.sim, scope, receive, send)
            return
        response = await self._answer(scope, receive)
        if response is not None:
            # stamped when answered, on the venue's clock (the clock of its orders'
            # and fills' times), as RFC 9110 asks of an origin server with a clock
            await _respond(send, response, date=http_date(self.sim.clock.now()))

    async def _answer(self, scope: Message, receive: Receive) -> Response | None:
        """The response to send, or None to send nothing at all (an injected hang)."""
        reason = self._unsigned(scope, str(scope["method"]))
        if reason is not None:
            return _error(401, "unauthorized", "authentication failed", reason)
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
        request = Request(match.groupdict(), query, body, _json_of(body))
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
            # Kalshi sends no Retry-After; the knob adds one only when set above 0
            headers = ((b"retry-after", str(rule.retry_after_s).encode()),)
            return Response(429, RATE_LIMITED, headers if rule.retry_after_s > 0 else ())
        if dice.roll(rule.error_5xx_rate):
            status = dice.rng.choice(HTTP_ERRORS)
            return _error(status, "internal_server_error", "injected server error")
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


async def _respond(send: Send, response: Response, *, date: bytes) -> None:
    payload = dump_json(response.body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"date", date),
        *response.headers,
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _refuse_handshake(scope: Message, receive: Receive, send: Send, reason: str) -> None:
    """Answer a websocket handshake with HTTP 401 and an ErrorResponse (ASGI's
    websocket.http.response extension, which hypercorn implements); a server
    without it can only close, which the client sees as 403."""
    if (await receive())["type"] != "websocket.connect":
        return
    extensions = scope.get("extensions")
    if isinstance(extensions, dict) and "websocket.http.response" in extensions:
        payload = dump_json(error_body("unauthorized", "authentication failed", reason))
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ]
        await send({"type": "websocket.http.response.start", "status": 401, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": payload})
    else:
        await send({"type": "websocket.close", "code": 1008})
