"""Kalshi's private websocket channels ``user_orders`` and ``fill``, as a
:class:`~actors.venues.PrivateChannel` session.

One connection at a time to ``/trade-api/ws/v2``, its upgrade signed like the
market channel's (:meth:`~actors.venues.kalshi._signing.KalshiSigner.websocket_headers`:
``GET /trade-api/ws/v2``), then one command for both channels, every market::

    -> {"id": 1, "cmd": "subscribe", "params": {"channels": ["fill", "user_orders"]}}
    <- {"type": "subscribed", "id": 1, "msg": {"channel": "fill", "sid": 1}}
    <- {"type": "subscribed", "id": 1, "msg": {"channel": "user_orders", "sid": 2}}
    <- {"type": "user_order", "sid": 2, "msg": {"order_id", "client_order_id", "ticker",
        "status", "outcome_side", "yes_price_dollars", "fill_count_fp", ...}}
    <- {"type": "fill", "sid": 1, "msg": {"trade_id", "order_id", "market_ticker",
        "outcome_side", "yes_price_dollars", "count_fp", "fee_cost", ...}}

(asyncapi ``fillPayload``/``userOrderPayload``; payloads read strictly by
:func:`~actors.venues.kalshi._wire.user_order_from_wire` and
:func:`~actors.venues.kalshi._wire.private_fill_from_wire`.)  Once both channels are
subscribed the session delivers :class:`~actors.venues.ChannelUp`, then each order
update and fill as :class:`~actors.venues.OrderHeard` / :class:`~actors.venues.FillHeard`
in the order read.

The session ends, delivering :class:`~actors.venues.ChannelDown` (with why), when
the venue closes it, when a ping of ours goes unanswered for ``silence_timeout_s``
(liveness like the feed's: a websocket ping every ``ping_interval_s``, each pong
moves the deadline on; Kalshi pings us every 10 s too, which trio-websocket
answers), when the venue answers with an error frame, when a private frame cannot
be read, and when a frame's ``seq`` (optional on these channels; the simulated
venue sends it) skips one: a frame repeated (``seq`` already seen) is dropped, a
gap ends the session. It then reconnects after a jittered, growing backoff
(``reconnect``; reset once a session lasted ``reconnect.reset_after``).

**What a reconnect misses is not replayed**: Kalshi has no resume for these
channels. The consumer must treat the time between a ``ChannelDown`` and the next
``ChannelUp`` as unheard and read what it needs by REST paging (execution: an
unknown submit by paging ``GET /portfolio/orders``, an order's fills by
``GET /portfolio/fills?order_id=``; reconciliation lists everything anyway).

No header value (signature) reaches a reason, a log line or a repr.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import attrs
import trio
from loguru import logger
from trio_websocket import (
    ConnectionClosed,
    ConnectionRejected,
    HandshakeError,
    WebSocketConnection,
    open_websocket_url,
)

from actors.venues._trading import ChannelDown, ChannelUp, FillHeard, OrderHeard, PrivateEvent
from actors.venues._wire import Malformed, get, load_strict
from actors.venues.kalshi._stream import StreamSigner
from actors.venues.kalshi._wire import private_fill_from_wire, user_order_from_wire
from supervision import Backoff, BackoffPolicy, Jitter
from supervision.validators import instance_of, seconds, url

__all__ = [
    "CHANNELS",
    "KalshiPrivateChannel",
    "PrivateSettings",
    "parse_private",
    "subscribe_private_command",
]

FILL = "fill"
USER_ORDERS = "user_orders"
CHANNELS = (FILL, USER_ORDERS)

_positive = seconds(0)


@attrs.frozen
class PrivateSettings:
    """Where the private channels are and how their connection is kept alive.

    - ``ws_url``: Kalshi's websocket (``wss://…/trade-api/ws/v2``);
    - ``ping_interval_s`` / ``silence_timeout_s``: a ping every interval; the session
      ends when a pong is ``silence_timeout_s`` late;
    - ``connect_timeout_s``: the opening handshake's deadline (and the closing one's);
    - ``reconnect``: the backoff between sessions.
    """

    ws_url: str = attrs.field(validator=url("ws", "wss"))
    ping_interval_s: float = attrs.field(default=10.0, validator=_positive)
    silence_timeout_s: float = attrs.field(default=10.0, validator=_positive)
    connect_timeout_s: float = attrs.field(default=10.0, validator=_positive)
    reconnect: BackoffPolicy = attrs.field(
        default=BackoffPolicy(Jitter.FULL, base=0.1, cap=5.0, reset_after=10.0),
        validator=instance_of(BackoffPolicy),
    )


def subscribe_private_command(request_id: int) -> str:
    """Subscribe ``fill`` and ``user_orders`` for every market (one sid each)."""
    params = {"channels": list(CHANNELS)}
    return json.dumps({"id": request_id, "cmd": "subscribe", "params": params})


@attrs.frozen
class Heard:
    """A private event read from the frame of ``sid`` numbered ``seq`` (if it had one)."""

    event: OrderHeard | FillHeard
    sid: int
    seq: int | None


@attrs.frozen
class SubscribedTo:
    channel: str
    sid: int


@attrs.frozen
class Broken:
    """A frame that ends the session: an error answer, or one that cannot be read."""

    reason: str


PrivateFrame = Heard | SubscribedTo | Broken


def parse_private(text: str | bytes) -> PrivateFrame | None:
    """One frame of the private connection: an event, a subscription's answer, a
    :class:`Broken` (never raises), or None for frames of no consequence here
    (``ok``, ``unsubscribed``, other channels' frames)."""
    try:
        data = load_strict(text.decode("utf-8") if isinstance(text, bytes) else text)
        kind = get(data, "type", str)
        if kind == "user_order":
            order = user_order_from_wire(get(data, "msg", dict))
            return Heard(OrderHeard(order), get(data, "sid", int), _seq(data))
        if kind == FILL:
            order_id, fill = private_fill_from_wire(get(data, "msg", dict))
            return Heard(FillHeard(order_id, fill), get(data, "sid", int), _seq(data))
        if kind == "subscribed":
            msg = get(data, "msg", dict)
            return SubscribedTo(get(msg, "channel", str), get(msg, "sid", int))
        if kind == "error":
            msg = data.get("msg")
            code = msg.get("code") if isinstance(msg, dict) else None
            words = msg.get("msg") if isinstance(msg, dict) else None
            return Broken(f"error {code!r}: {str(words)[:120]}")
    except (ValueError, RecursionError, Malformed) as error:
        return Broken(f"unreadable private frame: {str(error)[:200]}")
    return None


def _seq(data: dict[str, Any]) -> int | None:
    if "seq" not in data:
        return None
    seq: int = get(data, "seq", int)
    if seq < 1:
        raise Malformed(f"'seq' below 1: {seq}")
    return seq


_NETWORK_ERRORS = (OSError, HandshakeError, trio.BrokenResourceError, trio.ClosedResourceError)


class KalshiPrivateChannel:
    """Runs the private session and reconnects it (see the module docstring)."""

    def __init__(
        self,
        settings: PrivateSettings,
        *,
        signer: StreamSigner | None,
        rng: random.Random,
    ) -> None:
        self.settings = settings
        self._signer = signer
        self._backoff = Backoff(settings.reconnect, rng)
        self._connection = 0

    async def run(self, deliver: Callable[[PrivateEvent], None]) -> None:
        """Sessions until cancelled; each one that came up ends with a ``ChannelDown``."""
        while True:
            started = trio.current_time()
            self._connection += 1
            up, reason = await self._session(deliver)
            if up:
                deliver(ChannelDown(self._connection, reason))
            if trio.current_time() - started >= self.settings.reconnect.reset_after:
                self._backoff.reset()
            delay = self._backoff.next_delay()
            logger.bind(event="private_channel_down").info(
                "kalshi private channel {}: {}; reconnecting in {:.2f}s",
                self._connection,
                reason,
                delay,
            )
            await trio.sleep(delay)

    async def _session(self, deliver: Callable[[PrivateEvent], None]) -> tuple[bool, str]:
        state = _SessionState(self._connection, deliver)
        settings = self.settings
        headers = self._signer.websocket_headers() if self._signer is not None else {}
        try:
            async with open_websocket_url(
                settings.ws_url,
                extra_headers=[(name.encode(), value.encode()) for name, value in headers.items()],
                connect_timeout=settings.connect_timeout_s,
                disconnect_timeout=settings.connect_timeout_s,
            ) as ws:
                try:
                    reason = await self._serve(ws, state)
                finally:
                    # Abort rather than hand-shake the close (see actors.feed._connection:
                    # trio-websocket 0.12's closing handshake can hang or leak).
                    with trio.CancelScope(shield=True):
                        await ws._stream.aclose()
        except ConnectionClosed as closed:
            return state.up, f"closed: {closed.reason}"
        except ConnectionRejected as rejected:
            return state.up, f"handshake refused: HTTP {rejected.status_code}"
        except _NETWORK_ERRORS as error:
            return state.up, type(error).__name__
        return state.up, reason

    async def _serve(self, ws: WebSocketConnection, state: _SessionState) -> str:
        settings = self.settings
        window = settings.ping_interval_s + settings.silence_timeout_s
        reason = f"silence: a ping went unanswered for {settings.silence_timeout_s}s"
        # Sent before the nursery: an error here must not come out as an exception group.
        await ws.send_message(subscribe_private_command(1))
        async with trio.open_nursery() as nursery:
            scope = nursery.cancel_scope
            scope.deadline = trio.current_time() + window
            nursery.start_soon(self._keepalive, ws, scope, window)
            reason = await _read(ws, state)
            scope.cancel()
        return reason

    async def _keepalive(
        self, ws: WebSocketConnection, scope: trio.CancelScope, window: float
    ) -> None:
        sent = 0
        while True:
            await trio.sleep(self.settings.ping_interval_s)
            sent += 1
            try:
                await ws.ping(sent.to_bytes(8, "big"))  # returns when its pong arrives
            except (ConnectionClosed, trio.BrokenResourceError, trio.ClosedResourceError):
                return  # the reader sees it too
            scope.deadline = trio.current_time() + window


@attrs.define
class _SessionState:
    connection: int
    deliver: Callable[[PrivateEvent], None]
    up: bool = False
    sids: dict[str, int] = attrs.field(factory=dict)
    last_seq: dict[int, int] = attrs.field(factory=dict)


async def _read(ws: WebSocketConnection, state: _SessionState) -> str:
    """Deliver what the connection says until it ends; returns why it ended."""
    while True:
        try:
            message = await ws.get_message()
        except ConnectionClosed as closed:
            return f"closed by the venue: {closed.reason}"
        frame = parse_private(message)
        if frame is None:
            continue
        if isinstance(frame, Broken):
            return frame.reason
        if isinstance(frame, SubscribedTo):
            state.sids[frame.channel] = frame.sid
            if not state.up and all(channel in state.sids for channel in CHANNELS):
                state.up = True
                state.deliver(ChannelUp(state.connection))
            continue
        if frame.seq is not None:
            expected = state.last_seq.get(frame.sid, 0) + 1
            if frame.seq < expected:
                continue  # a repeat of a frame already delivered
            if frame.seq > expected:
                return f"gap: sid {frame.sid} seq {frame.seq}, expected {expected}"
            state.last_seq[frame.sid] = frame.seq
        state.deliver(frame.event)
