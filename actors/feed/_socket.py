r"""The feed's websocket: a trio stream read a whole buffer at a time.

trio-websocket (which the rest of warden uses) hands out one message per
``get_message``: its reader task reads 4 KiB at a time and hands each message
through a memory channel, a scheduler round trip per message, and wsproto
parses each received frame in ~10-20 us of Python.  At thousands of markets
that was the feed's ceiling (issue 15: a bare trio-websocket client decoded
16-21k frames/s on one core).  :class:`FrameSocket` starts no task and opens no
channel: wsproto makes the upgrade and every frame we send (client frames are
masked), and :class:`~actors.feed._frames.FrameReader` reads the venue's frames
straight from the bytes (~1.4 us a frame).  :meth:`FrameSocket.receive_batch`
reads what the kernel has (up to ``RECEIVE_BYTES``) and returns every complete
message in it, so the feed hands one batch per wake-up to its actor.

Contract:

- :func:`open_frame_socket` connects (TLS for ``wss://``), sends the upgrade
  with the given headers and returns once the venue accepted it.  A refused
  upgrade raises :class:`HandshakeRefused` (with the status code; header
  values, which may be signatures, are never part of it).
- :meth:`FrameSocket.receive_batch` returns at least one message (text, or
  binary decoded as UTF-8).  Pings are answered as they are read; a pong
  completes the :meth:`FrameSocket.ping` waiting for it once the whole read
  is processed, with no checkpoint before the read's messages are returned, so
  a caller that hands them on at once hands them on before the pinging task
  runs (a pong confirms what was read before it).  It raises
  :class:`SocketClosed` when the venue closes (a close frame, or the TCP
  stream ending), and when the venue breaks the protocol (a message over
  ``MAX_MESSAGE_BYTES``, text that is not UTF-8: see
  :mod:`actors.feed._frames`); ``trio.BrokenResourceError`` when the stream
  fails.  Only one task may read.
- :meth:`FrameSocket.send_text` and :meth:`FrameSocket.ping` may be called by
  several tasks; writes are serialised.  After the socket closed they raise
  :class:`SocketClosed`.
- :meth:`FrameSocket.abort` closes the TCP stream without a closing handshake
  (see :mod:`actors.feed._connection` for why).  Nothing here starts a task, so
  nothing outlives the caller's cancel scope.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from urllib.parse import urlsplit

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    Event,
    Ping,
    Pong,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.utilities import RemoteProtocolError

from actors.feed._frames import FrameReader, ProtocolViolation

__all__ = [
    "MAX_MESSAGE_BYTES",
    "RECEIVE_BYTES",
    "FrameSocket",
    "HandshakeRefused",
    "SocketClosed",
    "open_frame_socket",
]

RECEIVE_BYTES = 65_536
"""Bytes asked of the kernel per read: one read holds hundreds of deltas."""

MAX_HEAD_BYTES = 65_536
"""The upgrade's answer (status line and headers) is refused past this."""

MAX_MESSAGE_BYTES = 16 * 2**20
"""A message longer than this (a venue gone wrong) closes the socket rather than
growing without bound."""


class SocketClosed(Exception):
    """The socket is closed; ``reason`` says by whom and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HandshakeRefused(Exception):
    """The venue answered the upgrade with ``status`` instead of accepting it."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the venue refused the websocket upgrade with HTTP {status}")
        self.status = status


async def open_frame_socket(url: str, headers: Sequence[tuple[str, str]]) -> FrameSocket:
    """Connect to ``url`` (``ws://`` or ``wss://``) and complete the upgrade; see the
    module docstring. Raises ``OSError`` (cannot connect), :class:`HandshakeRefused`,
    :class:`SocketClosed` (closed during the upgrade) or ``ValueError`` (not a
    websocket URL)."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a websocket URL: {url!r}")
    secure = parts.scheme == "wss"
    port = parts.port or (443 if secure else 80)
    stream: trio.abc.Stream
    if secure:
        stream = await trio.open_ssl_over_tcp_stream(
            parts.hostname, port, ssl_context=ssl.create_default_context(), https_compatible=True
        )
    else:
        stream = await trio.open_tcp_stream(parts.hostname, port)
    socket = FrameSocket(stream)
    try:
        host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        encoded = [(name.encode(), value.encode()) for name, value in headers]
        await socket._handshake(Request(host=host, target=target, extra_headers=encoded))
    except BaseException:
        await socket.abort()
        raise
    return socket


class FrameSocket:
    """A client websocket read in batches; see the module docstring."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self._stream = stream
        self._protocol = WSConnection(ConnectionType.CLIENT)  # the upgrade; what we send
        self._reader = FrameReader(MAX_MESSAGE_BYTES)  # what the venue sends, after it
        self._send_lock = trio.Lock()
        self._pongs: dict[bytes, trio.Event] = {}
        self._closed: str | None = None
        self._early = b""  # frames read with the upgrade's answer

    async def _handshake(self, request: Request) -> None:
        """Send the upgrade and read its answer: only the answer's head goes to wsproto,
        the bytes after it are frames, read by the :class:`FrameReader`."""
        await self._write(request)
        head = bytearray()
        while (end := head.find(b"\r\n\r\n")) < 0:
            if len(head) > MAX_HEAD_BYTES:
                raise SocketClosed(f"the upgrade's answer has no end in {MAX_HEAD_BYTES} bytes")
            data = await self._stream.receive_some(RECEIVE_BYTES)
            if not data:
                raise SocketClosed("the TCP stream ended during the upgrade")
            head += data
        self._early = bytes(head[end + 4 :])
        try:
            self._protocol.receive_data(bytes(head[: end + 4]))
            events = list(self._protocol.events())
        except RemoteProtocolError as error:
            raise SocketClosed(f"the upgrade's answer is not one: {error}") from None
        for event in events:
            if isinstance(event, AcceptConnection):
                return
            if isinstance(event, RejectConnection):
                raise HandshakeRefused(event.status_code)
        raise SocketClosed("the upgrade's answer neither accepted nor refused it")

    async def receive_batch(self) -> list[str]:
        """Every complete message of the next read(s), at least one; see the module
        docstring for what it raises. Messages read before a close frame are returned
        first; the close is raised by the next call."""
        while True:
            if self._closed is not None:
                raise SocketClosed(self._closed)
            data: bytes | bytearray
            if self._early:
                data, self._early = self._early, b""
            else:
                data = await self._stream.receive_some(RECEIVE_BYTES)
                if not data:
                    self._close("the TCP stream ended without a close frame")
            try:
                received = self._reader.feed(data)
            except ProtocolViolation as violation:
                self._close(f"protocol error: {violation}")
            for payload in received.pings:
                await self._write(Pong(payload=payload))
            if received.close is not None:
                code, reason = received.close
                said = "no code" if code is None else f"code {code}"
                self._mark_closed(said + (f": {reason}" if reason else ""))
            for payload in received.pongs:  # after the read's writes: see the module docstring
                waiter = self._pongs.pop(payload, None)
                if waiter is not None:
                    waiter.set()
            if received.messages:
                return received.messages

    async def send_text(self, text: str) -> None:
        """Send one text message; raises :class:`SocketClosed` once closed."""
        await self._write(TextMessage(data=text))

    async def send_texts(self, texts: list[str]) -> None:
        """Send several text messages, in order, in one write (one pass of the
        scheduler, not one per message); raises :class:`SocketClosed` once closed."""
        await self._write(*(TextMessage(data=text) for text in texts))

    async def ping(self, payload: bytes) -> None:
        """Send a ping and return when its pong has been read (by
        :meth:`receive_batch`); raises :class:`SocketClosed` once closed."""
        answered = self._pongs[payload] = trio.Event()
        await self._write(Ping(payload=payload))
        await answered.wait()
        if self._closed is not None:
            raise SocketClosed(self._closed)

    async def abort(self) -> None:
        """Close the TCP stream, no closing handshake; idempotent."""
        if self._closed is None:
            self._closed = "aborted by us"
        await self._stream.aclose()

    # -- internals ----------------------------------------------------------------

    async def _write(self, *events: Event) -> None:
        if self._closed is not None:
            raise SocketClosed(self._closed)
        # wsproto never sees what we read: always open
        data = b"".join(self._protocol.send(event) for event in events)
        async with self._send_lock:
            await self._stream.send_all(data)

    def _close(self, reason: str) -> None:
        self._mark_closed(reason)
        raise SocketClosed(reason)

    def _mark_closed(self, reason: str) -> None:
        self._closed = reason
        for waiter in self._pongs.values():
            waiter.set()  # a ping waiting for its pong raises SocketClosed
        self._pongs.clear()
