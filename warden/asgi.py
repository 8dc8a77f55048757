"""The few ASGI helpers both of warden's HTTP apps (venue simulator, control plane) need."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeAlias

Message: TypeAlias = dict[str, object]
"""An ASGI event or scope: string keys, values narrowed by the reader (bytes, str, bool)."""
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]


async def read_body(receive: Receive, max_bytes: int) -> bytes | None:
    """The whole request body, or ``None`` as soon as it exceeds ``max_bytes``
    (the caller answers 413). A disconnect ends the body early."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        if not isinstance(chunk, bytes):
            chunk = b""
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def serve_lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge the server's startup and shutdown; neither app has work to do there."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        else:
            await send({"type": "lifespan.shutdown.complete"})
            return
