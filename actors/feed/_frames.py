"""Websocket frames a server sends, read straight from the bytes (RFC 6455 section 5).

wsproto, which the feed's socket drives for the upgrade and for everything it
sends, parses a received frame in ~10-20 us of Python (objects per frame, an
incremental UTF-8 decoder); at tens of thousands of frames a second that was the
largest single cost of the feed (issue 15).  :class:`FrameReader` reads the
server-to-client subset of the framing directly: ~1.4 us a frame.  It is sans-IO:
:meth:`FrameReader.feed` takes the bytes of a read and returns what they complete,
keeping a partial frame for the next read.

What it accepts, and what it refuses (:class:`ProtocolViolation`, naming the rule;
the socket then closes, as a client must on a protocol error):

- text (UTF-8, checked) and binary messages, whole or fragmented (continuation
  frames), with control frames between fragments;
- ping, pong and close control frames (FIN set, at most 125 bytes); a close
  frame's code and UTF-8 reason; nothing after a close is read;
- refused: a masked frame (a server never masks), reserved bits set (no
  extension is negotiated), an unknown opcode, a continuation with nothing to
  continue, a new message inside a fragmented one, a message over
  ``max_message_bytes`` (refused from its header, before it is buffered),
  text that is not UTF-8.
"""

from __future__ import annotations

import attrs

__all__ = ["FrameReader", "ProtocolViolation", "Received"]

_TEXT, _BINARY, _CONTINUATION = 0x1, 0x2, 0x0
_CLOSE, _PING, _PONG = 0x8, 0x9, 0xA
_WHOLE_TEXT = 0x80 | _TEXT  # FIN, no reserved bits, text: the hot path


class ProtocolViolation(Exception):
    """The server broke RFC 6455; the message says which rule."""


@attrs.define
class Received:
    """What one read completed, in the order it matters: the messages (text; a binary
    message decoded as UTF-8), the pings to answer, the pongs heard, and the close
    frame's ``(code, reason)`` if one came (code None: the frame carried none)."""

    messages: list[str] = attrs.Factory(list)
    pings: list[bytes] = attrs.Factory(list)
    pongs: list[bytes] = attrs.Factory(list)
    close: tuple[int | None, str] | None = None


class FrameReader:
    """Reads a server's frames from the bytes of successive reads; see the module doc."""

    def __init__(self, max_message_bytes: int) -> None:
        self.max_message_bytes = max_message_bytes
        self._buffer = bytearray()
        self._parts: list[bytes] = []  # a fragmented message's payloads so far
        self._part_bytes = 0
        self._part_opcode: int | None = None
        self._closed = False

    def feed(self, data: bytes | bytearray) -> Received:
        """The messages and control frames ``data`` completes (with what earlier reads
        left). Raises :class:`ProtocolViolation`; after a close frame, reads nothing."""
        received = Received()
        if self._closed:
            return received
        buffer = self._buffer
        buffer += data
        end = len(buffer)
        position = 0
        messages = received.messages
        while end - position >= 2:
            first, second = buffer[position], buffer[position + 1]
            length, header = second & 0x7F, 2
            if length == 126:
                if end - position < 4:
                    break
                length, header = int.from_bytes(buffer[position + 2 : position + 4], "big"), 4
            elif length == 127:
                if end - position < 10:
                    break
                length, header = int.from_bytes(buffer[position + 2 : position + 10], "big"), 10
            if second & 0x80:
                raise ProtocolViolation("a server frame is masked")
            if length > self.max_message_bytes:
                raise ProtocolViolation(f"a message exceeded {self.max_message_bytes} bytes")
            start, stop = position + header, position + header + length
            if stop > end:
                break
            position = stop
            if first == _WHOLE_TEXT and self._part_opcode is None:
                messages.append(_utf8(buffer[start:stop]))
            elif self._frame(first, bytes(buffer[start:stop]), received):
                self._closed = True
                break
        del buffer[:position]
        return received

    def _frame(self, first: int, payload: bytes, received: Received) -> bool:
        """Any frame but a whole text message; True for a close frame."""
        if first & 0x70:
            raise ProtocolViolation("reserved bits set (no extension was negotiated)")
        final, opcode = bool(first & 0x80), first & 0x0F
        if opcode >= _CLOSE:
            if not final or len(payload) > 125:
                raise ProtocolViolation("a control frame is fragmented or over 125 bytes")
            return self._control(opcode, payload, received)
        if opcode == _CONTINUATION:
            if self._part_opcode is None:
                raise ProtocolViolation("a continuation frame with no message to continue")
        elif opcode in (_TEXT, _BINARY):
            if self._part_opcode is not None:
                raise ProtocolViolation("a new message inside a fragmented one")
            self._part_opcode = opcode
        else:
            raise ProtocolViolation(f"unknown opcode {opcode:#x}")
        self._part_bytes += len(payload)
        if self._part_bytes > self.max_message_bytes:
            raise ProtocolViolation(f"a message exceeded {self.max_message_bytes} bytes")
        self._parts.append(payload)
        if final:
            whole = b"".join(self._parts)
            self._parts, self._part_bytes, self._part_opcode = [], 0, None
            received.messages.append(_utf8(whole))
        return False

    @staticmethod
    def _control(opcode: int, payload: bytes, received: Received) -> bool:
        """A ping, pong or close frame; True for a close frame."""
        if opcode == _PING:
            received.pings.append(payload)
        elif opcode == _PONG:
            received.pongs.append(payload)
        elif opcode == _CLOSE:
            received.close = _close(payload)
            return True
        else:
            raise ProtocolViolation(f"unknown opcode {opcode:#x}")
        return False


def _utf8(payload: bytes | bytearray) -> str:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolViolation(f"a message is not UTF-8 text: {error}") from None


def _close(payload: bytes) -> tuple[int | None, str]:
    if not payload:
        return None, ""
    if len(payload) == 1:
        raise ProtocolViolation("a close frame with a one-byte payload")
    return int.from_bytes(payload[:2], "big"), _utf8(payload[2:])
