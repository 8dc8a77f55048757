"""A synthetic Kalshi market-data stream: N markets on 127.0.0.1, at a set rate.

For scale tests and ``benchmarks/scale.py`` (issue 15), where the simulated
venue itself would be the bottleneck. :class:`SyntheticKalshi` runs in a process
of its own (so neither its CPU nor its interpreter lock is counted against the
client) and speaks the part of Kalshi's market-data wire the feed uses:
``subscribe`` (``market_tickers``, one sid per market) answered by ``subscribed``
and an ``orderbook_snapshot``; then ``orderbook_delta`` frames (with ``ts_ms``)
round-robin over the subscribed markets, ``rate`` a second on each connection
(0: as fast as it can; two feed workers, each a connection, get ``2 * rate`` in
all); ``update_subscription`` re-sends a snapshot; ``unsubscribe`` ends one.
Every book stays valid: one YES level at 0.40 and one NO level at 0.50, 10
contracts each, the YES level moving by one contract per delta.  It checks no
signature and serves no REST: give the feed explicit tickers.  It writes with
wsproto straight onto the TCP stream, many frames per write, so that it can
out-run a client (trio-websocket sends one frame per call, about 10k a second).
``stop()`` ends the process; nothing outlives it.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from typing import Any

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Message,
    Ping,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError

__all__ = ["SyntheticKalshi", "synthetic_tickers"]

PRICE, NO_PRICE = "0.4000", "0.5000"


def synthetic_tickers(n: int) -> tuple[str, ...]:
    """``n`` market tickers: ``SCALE-00000`` onwards."""
    return tuple(f"SCALE-{i:05d}" for i in range(n))


class SyntheticKalshi:
    """Kalshi's market-data wire for N markets on 127.0.0.1, in a process of its own (so
    neither its CPU nor its interpreter lock is counted against the client)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._sent = multiprocessing.Value("q", 0)
        self._port = multiprocessing.Value("i", 0)
        self._process = multiprocessing.Process(target=self._run, daemon=True)

    @property
    def sent(self) -> int:
        """Deltas sent so far (all connections)."""
        return int(self._sent.value)

    @property
    def port(self) -> int:
        return int(self._port.value)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/trade-api/ws/v2"

    def start(self) -> SyntheticKalshi:
        self._process.start()
        deadline = time.monotonic() + 10
        while not self.port:
            if time.monotonic() > deadline:
                raise RuntimeError("the synthetic venue did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(10)

    def _run(self) -> None:
        trio.run(self._main)

    async def _main(self) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self._port.value = listeners[0].socket.getsockname()[1]
        await trio.serve_listeners(self._serve, listeners)

    async def _serve(self, stream: trio.SocketStream) -> None:
        session = _Session(stream, self)
        try:
            await session.run()
        except* (trio.BrokenResourceError, trio.ClosedResourceError, LocalProtocolError):
            pass  # the client left (a frame queued after its close is refused by wsproto)
        finally:
            await trio.aclose_forcefully(stream)


class _Session:
    """One client connection: its subscriptions and the frames owed to it."""

    def __init__(self, stream: trio.SocketStream, venue: SyntheticKalshi) -> None:
        self.stream = stream
        self.venue = venue
        self.ws = WSConnection(ConnectionType.SERVER)
        self.seqs: dict[int, int] = {}  # sid -> last seq sent
        self.tickers: dict[int, str] = {}
        self.next_sid = 0
        self.outgoing: list[bytes] = []
        self.wake = trio.Event()
        self.drained = trio.Event()  # set by the writer after each write
        self.partial: list[str] = []  # a text message's fragments, until its last one

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._write)
            nursery.start_soon(self._deltas)
            await self._read()
            nursery.cancel_scope.cancel()

    def _queue(self, text: str) -> None:
        self.outgoing.append(self.ws.send(Message(data=text)))
        self.wake.set()

    async def _write(self) -> None:
        while True:
            await self.wake.wait()
            self.wake = trio.Event()
            batch, self.outgoing = self.outgoing, []
            if batch:
                await self.stream.send_all(b"".join(batch))
            self.drained.set()

    async def _read(self) -> None:
        while True:
            data = await self.stream.receive_some(65536)
            if not data:
                return
            self.ws.receive_data(data)
            for event in self.ws.events():
                if isinstance(event, Request):
                    self.outgoing.append(self.ws.send(AcceptConnection()))
                    self.wake.set()
                elif isinstance(event, TextMessage):
                    self.partial.append(event.data)  # wsproto splits a message across reads
                    if event.message_finished:
                        self._command(json.loads("".join(self.partial)))
                        self.partial.clear()
                elif isinstance(event, Ping):
                    self.outgoing.append(self.ws.send(event.response()))
                    self.wake.set()
                elif isinstance(event, CloseConnection):
                    return

    def _command(self, command: dict[str, Any]) -> None:
        params = command.get("params", {})
        if command.get("cmd") == "subscribe":
            for ticker in params.get("market_tickers", []):
                self.next_sid += 1
                sid = self.next_sid
                msg = {"channel": "orderbook_delta", "sid": sid}
                self._queue(json.dumps({"id": command["id"], "type": "subscribed", "msg": msg}))
                self.seqs[sid], self.tickers[sid] = 0, ticker
                self._snapshot(sid)
        elif command.get("cmd") == "update_subscription":
            for sid in params.get("sids", []):
                if sid in self.seqs:
                    self._snapshot(sid)
        elif command.get("cmd") == "unsubscribe":
            for sid in params.get("sids", []):
                self.seqs.pop(sid, None)
                self.tickers.pop(sid, None)

    def _snapshot(self, sid: int) -> None:
        self.seqs[sid] += 1
        frame = {
            "type": "orderbook_snapshot",
            "sid": sid,
            "seq": self.seqs[sid],
            "msg": {
                "market_ticker": self.tickers[sid],
                "yes_dollars_fp": [[PRICE, "10.00"]],
                "no_dollars_fp": [[NO_PRICE, "10.00"]],
            },
        }
        self._queue(json.dumps(frame))

    async def _deltas(self) -> None:
        """``rate`` deltas a second round-robin over the subscribed markets, one
        contract on and off the YES level (so every book stays valid); 0: flat out,
        a thousand per write while the client keeps reading."""
        step = 0.005
        while not self.seqs:
            await trio.sleep(step)
        rate = self.venue.rate
        started, sent = trio.current_time(), 0
        while True:
            due = int((trio.current_time() - started) * rate) - sent if rate else 1_000
            sids = list(self.seqs)
            stamp = int(time.time() * 1000)
            for i in range(max(due, 0)):
                sid = sids[(sent + i) % len(sids)]
                if sid not in self.seqs:
                    continue
                seq = self.seqs[sid] = self.seqs[sid] + 1
                change = "1.00" if seq % 2 == 0 else "-1.00"
                self.outgoing.append(
                    _text_frame(
                        f'{{"type":"orderbook_delta","sid":{sid},"seq":{seq},"msg":'
                        f'{{"market_ticker":"{self.tickers[sid]}","price_dollars":"{PRICE}",'
                        f'"delta_fp":"{change}","side":"yes","ts_ms":{stamp}}}}}'
                    )
                )
            sent += max(due, 0)
            self.wake.set()
            with self.venue._sent.get_lock():
                self.venue._sent.value += max(due, 0)
            if rate:
                await trio.sleep(step)
            else:  # flat out, but never more than the socket takes (no spinning)
                while self.outgoing:
                    self.drained = trio.Event()
                    await self.drained.wait()


def _text_frame(text: str) -> bytes:
    """One unfragmented, unmasked text frame (RFC 6455 section 5.2), as a server sends
    it: built here rather than by wsproto, whose per-frame cost made the stream, not
    the client, the bottleneck of benchmarks/scale.py."""
    payload = text.encode()
    length = len(payload)
    if length < 126:
        return bytes((0x81, length)) + payload
    if length < 1 << 16:
        return bytes((0x81, 126)) + length.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + length.to_bytes(8, "big") + payload
