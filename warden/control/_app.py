"""The control plane's ASGI application: probes, metrics, introspection, operator actions.

It runs on the daemon's own trio loop, the loop that hosts the supervision
tree. ``tree.describe()`` is called directly (trio thread only); everything
that blocks -- ``snapshot()`` (which waits for the actors' summaries),
``restart()``, ``ask()`` -- goes through ``trio.to_thread.run_sync``.

Routes (JSON unless stated; errors are ``{"error": "..."}``):

=======  =========================  ===========================================
GET      /healthz                   200 while the root supervisor runs, else 503
GET      /readyz                    200 when ready, else 503; body: readiness
GET      /metrics                   Prometheus text format
GET      /actors                    the whole tree snapshot
GET      /actors/{name}             one node, with its state summary; 404 unknown
GET      /portfolio                 positions, open orders, exposure vs limits, P&L, readiness
POST     /halt  {"reason": "..."}   kill switch on  (token) -> 202
POST     /resume                    kill switch off (token) -> 202
POST     /actors/{name}/restart     restart one actor (token) -> 200; 404 unknown
=======  =========================  ===========================================

With ``warden run --chaos`` the ``/chaos/...`` routes of :mod:`warden.control._chaos`
are served too (``extra_routes``); without it they do not exist (404).

Every route first checks the ``Host`` header against the listening socket
(:mod:`warden.control._hosts`, the defence against DNS rebinding) and answers
421 to any other name, before looking at the request any further. The POST
routes then require ``Authorization: Bearer <token>`` (compared with
``hmac.compare_digest``) and answer 401 without it. Each accepted action is
logged; halt and resume are audited in the ledger by risk (source
``control``); a restart is audited here with an ``AuditEvent("restart", ...)``
recorded through persistence. The halt reason is cleaned of control characters
and bounded in length here, where it enters the daemon
(:func:`~warden.control._text.clean_text`), so the log, the status line,
risk's summary and the audit trail all get the clean text.

Halt and resume are *delivered* (``tell``) when the answer is sent, not yet
applied: the answer carries risk's epoch, and ``GET /actors/risk`` shows when
``halted`` changed. When risk is not running they answer 503 and nothing was
delivered. A tree that is not running answers 503 everywhere but /healthz's
own 503. An unexpected error in a handler is logged and answered with a 500;
the server keeps serving.
"""

from __future__ import annotations

import hmac
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from functools import partial

import attrs
import trio
from loguru import logger

from actors.messages import AuditEvent, Halt, Record, Recorded, Resume
from supervision import (
    ActorSnapshot,
    ChildSpec,
    ChildUnavailable,
    RestartType,
    SupervisionTree,
    SupervisorSpec,
    snapshot_to_dict,
)
from warden.asgi import Message, Receive, Send, read_body, serve_lifespan
from warden.control._hosts import HostPolicy
from warden.control._metrics import CONTENT_TYPE, render_metrics
from warden.control._portfolio import portfolio, portfolio_to_dict
from warden.control._readiness import Readiness, readiness
from warden.control._text import clean_text
from warden.json_types import Json

MAX_BODY = 16 * 1024
RESTART_TIMEOUT_S = 30.0
AUDIT_TIMEOUT_S = 5.0
SOURCE = "control"
JSON = b"application/json"


@attrs.frozen
class Response:
    status: int
    body: bytes
    content_type: bytes = JSON
    headers: tuple[tuple[bytes, bytes], ...] = ()


def json_response(status: int, body: Json, *headers: tuple[bytes, bytes]) -> Response:
    return Response(status, json.dumps(body, sort_keys=True).encode(), JSON, headers)


def error_response(status: int, message: str, *headers: tuple[bytes, bytes]) -> Response:
    return json_response(status, {"error": message}, *headers)


class Unavailable(Exception):
    """The tree (or the actor asked for) is not running; answered with a 503."""


def permanent_workers(spec: SupervisorSpec) -> tuple[str, ...]:
    """Names of every permanent worker under ``spec``, in start order."""
    names: list[str] = []
    for child in spec.children:
        if isinstance(child, SupervisorSpec):
            names.extend(permanent_workers(child))
        elif isinstance(child, ChildSpec) and child.restart is RestartType.PERMANENT:
            names.append(child.name)
    return tuple(names)


@attrs.frozen
class Request:
    method: str
    path: str
    path_params: dict[str, str]
    headers: dict[bytes, bytes]
    body: bytes


Handler = Callable[["ControlApp", Request], Awaitable[Response]]
Route = tuple[str, re.Pattern[str], Handler]


class ControlApp:
    """The ASGI callable serving one :class:`SupervisionTree` with one bearer ``token``.

    ``extra_routes`` are served after the standard ones (the chaos routes of
    ``warden run --chaos``, see :mod:`warden.control._chaos`). ``hosts`` says
    which ``Host`` headers are answered; until :meth:`listening` names the
    bound socket, none is (fail closed).
    """

    def __init__(
        self, tree: SupervisionTree, token: str, *, extra_routes: tuple[Route, ...] = ()
    ) -> None:
        if not token:
            raise ValueError("the control plane needs a non-empty token")
        self.tree = tree
        self.routes = ROUTES + extra_routes
        self._token = token.encode()
        self.permanent = permanent_workers(tree.spec)
        self.hosts = HostPolicy()

    def listening(self, url: str) -> None:
        """The server is bound at ``url``: answer the Host names of that socket."""
        self.hosts = HostPolicy.for_url(url)

    # -- helpers the handlers share ------------------------------------------------

    async def snapshot(self) -> ActorSnapshot:
        try:
            return await trio.to_thread.run_sync(self.tree.snapshot)
        except ChildUnavailable as error:
            raise Unavailable(f"supervision tree is not running ({error})") from None

    def readiness(self, snapshot: ActorSnapshot) -> Readiness:
        return readiness(snapshot, self.permanent)

    def known_actor(self, name: str) -> bool:
        if name == self.tree.spec.name:
            return False  # the root supervisor is the daemon itself
        return any(node.name == name for node in self.tree.describe().walk())

    def authorized(self, request: Request) -> bool:
        given = request.headers.get(b"authorization", b"")
        scheme, _, token = given.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self._token)

    async def tell(self, name: str, message: object) -> int:
        try:
            return await trio.to_thread.run_sync(self.tree.tell, name, message)
        except ChildUnavailable as error:
            raise Unavailable(f"{name} cannot take it now: {error}") from None

    async def audit(self, kind: str, detail: str) -> bool:
        """Record an audit event through persistence; False (and logged) if it did not commit."""
        record = Record(f"control-{kind}-{uuid.uuid4().hex}", (AuditEvent(kind, detail, SOURCE),))
        ask = partial(self.tree.ask, "persistence", record, timeout=AUDIT_TIMEOUT_S)
        try:
            answer = await trio.to_thread.run_sync(ask)
        except Exception as error:  # noqa: BLE001 - reported, not raised: the action is done
            answer = error
        if isinstance(answer, Recorded):
            return True
        logger.bind(child="control", event="audit_failed").error(
            "audit event {} ({}) not recorded: {}", kind, detail, answer
        )
        return False

    # -- ASGI ------------------------------------------------------------------------

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response = await self._answer(scope, receive)
            await _respond(send, response)
        elif scope["type"] == "lifespan":
            await serve_lifespan(receive, send)

    async def _answer(self, scope: Message, receive: Receive) -> Response:
        headers = _headers(scope.get("headers"))
        host = headers.get(b"host")
        if not self.hosts.allows(host.decode("latin-1") if host is not None else None):
            return self._misdirected(host)
        return await self._route(scope, headers, receive)

    async def _route(
        self, scope: Message, headers: dict[bytes, bytes], receive: Receive
    ) -> Response:
        body = await read_body(receive, MAX_BODY)
        if body is None:
            return error_response(413, f"body over {MAX_BODY} bytes")
        method, path = str(scope["method"]), str(scope["path"])
        handler, params, allowed = _resolve(self.routes, method, path)
        if handler is None:
            if allowed:
                return error_response(405, f"allowed: {', '.join(allowed)}")
            return error_response(404, f"no route {path}")
        request = Request(method, path, params, headers, body)
        try:
            return await handler(self, request)
        except Unavailable as error:
            return error_response(503, str(error))
        except Exception:  # noqa: BLE001 - the control plane answers 500 and keeps serving
            logger.bind(child="control").exception("control: {} {} failed", method, path)
            return error_response(500, "internal error")

    def _misdirected(self, host: bytes | None) -> Response:
        shown = (
            "no Host header" if host is None else f"Host {clean_text(host.decode('latin-1'), 80)!r}"
        )
        logger.bind(child="control", event="wrong_host").warning(
            "control: refused a request with {} (not this control plane's address)", shown
        )
        accepted = ", ".join(self.hosts.accepted) or "none yet (not listening)"
        return error_response(
            421,
            f"{shown} is not this control plane's address (accepted: {accepted}); "
            "refused to protect against DNS rebinding",
        )


# -- handlers ------------------------------------------------------------------------


def requires_token(handler: Handler) -> Handler:
    async def guarded(app: ControlApp, request: Request) -> Response:
        if not app.authorized(request):
            logger.bind(child="control", event="unauthorized").warning(
                "control: refused {} {} without a valid token", request.method, request.path
            )
            return error_response(
                401, "missing or wrong bearer token", (b"www-authenticate", b"Bearer")
            )
        return await handler(app, request)

    guarded.__name__ = handler.__name__
    return guarded


async def _healthz(app: ControlApp, _request: Request) -> Response:
    status = app.tree.describe().status
    return json_response(200 if status == "running" else 503, {"status": status})


async def _readyz(app: ControlApp, _request: Request) -> Response:
    ready = app.readiness(await app.snapshot())
    return json_response(200 if ready.ready else 503, ready.to_json())


async def _metrics(app: ControlApp, _request: Request) -> Response:
    snapshot = await app.snapshot()
    return Response(200, render_metrics(snapshot, app.readiness(snapshot)), CONTENT_TYPE.encode())


async def _actors(app: ControlApp, _request: Request) -> Response:
    return json_response(200, snapshot_to_dict(await app.snapshot()))


async def _actor(app: ControlApp, request: Request) -> Response:
    name = request.path_params["name"]
    snapshot = await app.snapshot()
    try:
        node = snapshot.find(name)
    except KeyError:
        return error_response(404, f"no actor named {name!r}")
    return json_response(200, snapshot_to_dict(node))


async def _portfolio(app: ControlApp, _request: Request) -> Response:
    snapshot = await app.snapshot()
    return json_response(200, portfolio_to_dict(portfolio(snapshot, app.readiness(snapshot))))


async def _halt(app: ControlApp, request: Request) -> Response:
    try:
        body = json.loads(request.body) if request.body else {}
    except ValueError:
        body = None
    reason = (body.get("reason") or "operator halt") if isinstance(body, dict) else None
    if not isinstance(reason, str):
        return error_response(400, 'body must be JSON like {"reason": "text"}')
    reason = clean_text(reason) or "operator halt"
    epoch = await app.tell("risk", Halt(reason=reason, source=SOURCE))
    logger.bind(child="control", event="halt").warning("control: halt ({})", reason)
    return json_response(202, {"action": "halt", "reason": reason, "risk_epoch": epoch})


async def _resume(app: ControlApp, _request: Request) -> Response:
    epoch = await app.tell("risk", Resume(source=SOURCE))
    logger.bind(child="control", event="resume").warning("control: resume")
    return json_response(202, {"action": "resume", "risk_epoch": epoch})


async def _restart(app: ControlApp, request: Request) -> Response:
    name = request.path_params["name"]
    if not app.known_actor(name):
        return error_response(404, f"no actor named {name!r}")
    before = app.tree.describe().find(name).epoch
    restart = partial(app.tree.restart, name, timeout=RESTART_TIMEOUT_S)
    try:
        epoch = await trio.to_thread.run_sync(restart)
    except ChildUnavailable as error:
        raise Unavailable(f"cannot restart {name}: {error}") from None
    except trio.TooSlowError:
        raise Unavailable(f"{name} did not restart within {RESTART_TIMEOUT_S}s") from None
    detail = f"{name} restarted by operator: epoch {before} -> {epoch}"
    logger.bind(child="control", event="restart").warning("control: {}", detail)
    audited = await app.audit("restart", detail)
    return json_response(
        200, {"action": "restart", "name": name, "epoch": epoch, "audited": audited}
    )


def route(method: str, path: str, handler: Handler) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return method, re.compile(f"^{regex}$"), handler


ROUTES = (
    route("GET", "/healthz", _healthz),
    route("GET", "/readyz", _readyz),
    route("GET", "/metrics", _metrics),
    route("GET", "/actors", _actors),
    route("GET", "/actors/{name}", _actor),
    route("GET", "/portfolio", _portfolio),
    route("POST", "/halt", requires_token(_halt)),
    route("POST", "/resume", requires_token(_resume)),
    route("POST", "/actors/{name}/restart", requires_token(_restart)),
)


def _resolve(
    routes: tuple[Route, ...], method: str, path: str
) -> tuple[Handler | None, dict[str, str], list[str]]:
    allowed = []
    for route_method, pattern, handler in routes:
        match = pattern.match(path)
        if match is None:
            continue
        if route_method == method:
            return handler, match.groupdict(), []
        allowed.append(route_method)
    return None, {}, allowed


def _headers(raw: object) -> dict[bytes, bytes]:
    """The scope's ``headers`` (a list of ``[name, value]`` byte pairs) as a dict;
    anything that is not such a pair is ignored."""
    pairs: dict[bytes, bytes] = {}
    if isinstance(raw, (list, tuple)):
        for pair in raw:
            if isinstance(pair, (list, tuple)) and len(pair) == 2:
                name, value = pair
                if isinstance(name, bytes) and isinstance(value, bytes):
                    pairs[name] = value
    return pairs


async def _respond(send: Send, response: Response) -> None:
    headers = [
        (b"content-type", response.content_type),
        (b"content-length", str(len(response.body)).encode()),
        (b"cache-control", b"no-store"),
        *response.headers,
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
