"""The feed's frame reader (actors/feed/_frames.py) reads what wsproto's server side
writes, however the bytes are split into reads, and refuses what RFC 6455 forbids."""

from __future__ import annotations

import random

import pytest
from wsproto.connection import Connection, ConnectionType
from wsproto.events import CloseConnection, Message, Ping, Pong

from actors.feed._frames import FrameReader, ProtocolViolation, Received


def _server() -> Connection:
    return Connection(ConnectionType.SERVER)


def _read(wire: bytes, rng: random.Random, reader: FrameReader | None = None) -> Received:
    """Everything ``wire`` holds, fed in reads of random sizes (1 byte to 4 KiB)."""
    reader = reader or FrameReader(max_message_bytes=1 << 20)
    total = Received()
    position = 0
    while position < len(wire):
        size = rng.randint(1, 4096)
        got = reader.feed(wire[position : position + size])
        position += size
        total.messages += got.messages
        total.pings += got.pings
        total.pongs += got.pongs
        total.close = total.close or got.close
    return total


@pytest.mark.parametrize("seed", range(20))
def test_what_a_server_writes_is_read_back_in_order_however_it_is_split(seed: int) -> None:
    rng = random.Random(seed)
    server = _server()
    wire, messages, pings, pongs = bytearray(), [], [], []
    for n in range(300):
        text = f'{{"n": {n}, "pad": "{"é" * rng.randint(0, 300)}"}}' + "x" * rng.choice(
            (0, 10, 200, 70_000)  # one- , two- and eight-byte lengths
        )
        messages.append(text)
        if rng.random() < 0.2:  # fragmented, with a ping between its fragments
            cut = rng.randint(0, len(text))
            wire += server.send(Message(data=text[:cut], message_finished=False))
            payload = f"p{n}".encode()
            wire += server.send(Ping(payload=payload))
            pings.append(payload)
            wire += server.send(Message(data=text[cut:], message_finished=True))
        else:
            wire += server.send(Message(data=text))
        if rng.random() < 0.1:
            payload = f"q{n}".encode()
            wire += server.send(Pong(payload=payload))
            pongs.append(payload)
    wire += server.send(CloseConnection(code=1001, reason="going away"))
    read = _read(bytes(wire), rng)
    assert read.messages == messages
    assert (read.pings, read.pongs) == (pings, pongs)
    assert read.close == (1001, "going away")


def test_a_binary_message_is_read_as_utf8_text_and_nothing_after_a_close() -> None:
    server = _server()
    wire = server.send(Message(data=b'{"b": 1}')) + server.send(CloseConnection(code=1000))
    reader = FrameReader(max_message_bytes=1000)
    read = reader.feed(wire + b"\x81\x05hello")  # a frame after the close
    assert (read.messages, read.close) == (['{"b": 1}'], (1000, ""))
    assert reader.feed(b"\x81\x05hello").messages == []


@pytest.mark.parametrize(
    ("wire", "rule"),
    [
        (b"\x81\x85abcd" + b"xxxxx", "masked"),
        (b"\xc1\x01x", "reserved bits"),
        (b"\x83\x01x", "unknown opcode 0x3"),
        (b"\x80\x01x", "no message to continue"),
        (b"\x01\x01x\x01\x01y", "inside a fragmented one"),
        (b"\x09\x01x", "control frame is fragmented"),
        (b"\x89\x7e\x00\x7e" + b"x" * 126, "control frame is fragmented or over 125"),
        (b"\x81\x02\xc3\x28", "not UTF-8"),
        (b"\x88\x01\x03", "one-byte payload"),
        (b"\x81\x7f" + (1 << 40).to_bytes(8, "big"), "exceeded 1000 bytes"),
    ],
)
def test_what_rfc_6455_forbids_is_refused_naming_the_rule(wire: bytes, rule: str) -> None:
    with pytest.raises(ProtocolViolation, match=rule):
        FrameReader(max_message_bytes=1000).feed(wire)


def test_a_fragmented_message_over_the_limit_is_refused_before_it_is_whole() -> None:
    reader = FrameReader(max_message_bytes=1000)
    assert reader.feed(b"\x01\x7e\x02\x58" + b"x" * 600).messages == []  # 600 bytes, not final
    with pytest.raises(ProtocolViolation, match="exceeded 1000 bytes"):
        reader.feed(b"\x00\x7e\x02\x58" + b"x" * 600)


def test_a_partial_frame_waits_for_its_bytes() -> None:
    frame = b"\x81\x05hello"
    for cut in range(len(frame)):
        reader = FrameReader(max_message_bytes=1000)
        assert reader.feed(frame[:cut]).messages == []
        assert reader.feed(frame[cut:]).messages == ["hello"]
