"""The HTTP front of the Polymarket dialect: routing, L2 authentication, faults, JSON.

:func:`claims` tells the venue's app (:mod:`warden.venue._http`) which requests
are Polymarket's: the CLOB paths of :data:`~._polymarket_rest.ROUTES` at the
root, and Gamma under ``/gamma`` (a client's ``gamma_url`` is
``http://127.0.0.1:<port>/gamma``).  :func:`serve` answers them:

1. the dead-man switch is checked (:meth:`PolymarketDialect.check_heartbeat`);
2. a trading route needs ``VenueConfig.polymarket`` and valid L2 headers over
   the path without its query and the exact body bytes, else 401
   ``{"error": "Unauthorized/Invalid api key"}`` (docs: resources/error-codes);
3. the route's fault knobs apply as on the Kalshi paths (same endpoint names:
   ``create_order``, ``cancel_order``, ``get_order``, ``list_orders``,
   ``list_fills``, ``get_orderbook``, ``get_balance``, ...), a 429 being
   ``{"error": "Too Many Requests"}`` and a 5xx ``{"error": "..."}``;
4. the handler runs; an unexpected exception is a logged 500.

A body over 64 KiB is a 413; an unknown method on a known path a 405.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import trio
from loguru import logger

from warden.asgi import Message, Receive, Send, read_body
from warden.venue import _auth
from warden.venue._model import http_date
from warden.venue._polymarket_auth import l2_problem
from warden.venue._polymarket_gamma import PREFIX as GAMMA_PREFIX
from warden.venue._polymarket_gamma import gamma
from warden.venue._polymarket_rest import PolymarketRequest, Route, resolve
from warden.venue._polymarket_state import PolymarketDialect, dialect
from warden.venue._venue import SimVenue

__all__ = ["claims", "serve"]

MAX_BODY = 64 * 1024
UNAUTHORIZED = "Unauthorized/Invalid api key"
_HTTP_ERRORS = (500, 502, 503)


def _gamma_path(path: str, _query: str) -> str | None:
    """The Gamma path a request is for (under ``/gamma``), or None (a CLOB request)."""
    if path == GAMMA_PREFIX or path.startswith(GAMMA_PREFIX + "/"):
        return path
    return None


def claims(method: str, path: str) -> bool:
    """Whether ``path`` is one of the dialect's (any method)."""
    return _gamma_path(path, "") is not None or resolve(method, path)[2]


async def serve(sim: SimVenue, scope: Message, receive: Receive, send: Send) -> None:
    """Answer one Polymarket request (see the module docstring)."""
    answer = await _answer(dialect(sim), scope, receive)
    if answer is None:
        return
    status, body, headers = answer
    payload = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"date", http_date(sim.clock.now())),  # the venue's clock (see _http)
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


_Response = tuple[int, object, list[tuple[bytes, bytes]]]


async def _answer(pm: PolymarketDialect, scope: Message, receive: Receive) -> _Response | None:
    pm.check_heartbeat()
    method, path = str(scope["method"]), str(scope["path"])
    raw_query = scope.get("query_string", b"")
    query_text = raw_query.decode("latin-1") if isinstance(raw_query, bytes) else ""
    query = parse_qs(query_text)
    body = await read_body(receive, MAX_BODY)
    if body is None:
        return 413, {"error": f"body over {MAX_BODY} bytes"}, []
    gamma_path = _gamma_path(path, query_text)
    if gamma_path is not None:
        if method != "GET":
            return 405, {"error": "method not allowed"}, []
        status, answer = gamma(pm.catalog, gamma_path, query)
        return status, answer, []
    route, params, _ = resolve(method, path)
    if route is None:
        return 405, {"error": "method not allowed"}, []
    if route.trading:
        problem = (
            "no Polymarket account is configured"
            if pm.account is None
            else l2_problem(
                _auth.headers_of(scope),
                pm.account,
                method=method,
                path=_auth.request_path(scope),
                body=body,
                now_s=pm.sim.clock.now(),
            )
        )
        if problem is not None:
            logger.bind(event="polymarket_unauthorized").info(
                "venue: polymarket {} {} refused: {}", method, path, problem
            )
            return 401, {"error": UNAUTHORIZED}, []
    request = PolymarketRequest(method, path, query, body, params)
    return await _faulted(pm, route, request, receive)


async def _faulted(
    pm: PolymarketDialect, route: Route, request: PolymarketRequest, receive: Receive
) -> _Response | None:
    dice = pm.sim.dice
    rule = dice.faults.for_endpoint(route.endpoint)
    delay = dice.latency_seconds(rule)
    if delay > 0:
        with trio.CancelScope(shield=True):  # a received request is applied (see _http)
            await trio.sleep(delay)
    if dice.roll(rule.hang_rate):
        await _until_disconnect(receive)
        return None
    if dice.roll(rule.error_429_rate):
        retry = [(b"retry-after", str(rule.retry_after_s).encode())]
        return 429, {"error": "Too Many Requests"}, retry if rule.retry_after_s > 0 else []
    if dice.roll(rule.error_5xx_rate):
        return dice.rng.choice(_HTTP_ERRORS), {"error": "injected server error"}, []
    try:
        status, body = route.handler(pm, request)
    except Exception:  # noqa: BLE001 - the venue answers 500 and keeps serving
        logger.exception("venue: polymarket handler {} failed", route.handler.__name__)
        return 500, {"error": "Internal server error"}, []
    if dice.roll(rule.timeout_after_apply_rate):
        await _until_disconnect(receive)
        return None
    return status, body, []


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
