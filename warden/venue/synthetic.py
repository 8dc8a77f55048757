"""A synthetic Kalshi market-data stream: N markets on 127.0.0.1, at a set rate.

For scale tests and ``benchmarks/scale.py`` (issue 15), where the simulated
venue itself would be the bottleneck. :class:`SyntheticKalshi` runs in a process
of its own (so neither its CPU nor its interpreter lock is counted against the
client) and speaks the part of Kalshi's market-data wire the feed uses:
``subscribe`` (``market_tickers``, one sid per market) answered by ``subscribed``
and an ``orderbook_snapshot``; then ``orderbook_delta`` frames (with ``ts_ms``)
round-robin over the subscribed markets, ``rate`` a second (0: as fast as it
can); ``update_subscription`` re-sends a snapshot; ``unsubscribe`` ends one.
Every book stays valid: one YES level at 0.40 and one NO level at 0.50, 10
contracts each, the YES level moving by one contract per delta.  It checks no
signature and serves no REST: give the feed explicit tickers.  ``stop()`` ends
the process; nothing outlives it.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from typing import Any

import trio
from trio_websocket import ConnectionClosed, WebSocketRequest, serve_websocket

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
        return int(self._sent.value)

    @property
    def port(self) -> int:
        return int(self._port.value)

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

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/trade-api/ws/v2"

    async def _main(self) -> None:
        async with trio.open_nursery() as nursery:
            server = await nursery.start(serve_websocket, self._serve, "127.0.0.1", 0, None)
            self._port.value = server.port

    async def _serve(self, request: WebSocketRequest) -> None:
        ws = await request.accept()
        seqs: dict[int, int] = {}  # sid -> last seq sent
        tickers: dict[int, str] = {}
        next_sid = [0]
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._deltas, ws, seqs, tickers)
                while True:
                    command = json.loads(await ws.get_message())
                    await self._command(ws, command, seqs, tickers, next_sid)
        except* ConnectionClosed:
            pass  # the client left

    async def _command(
        self,
        ws: Any,
        command: dict[str, Any],
        seqs: dict[int, int],
        tickers: dict[int, str],
        next_sid: list[int],
    ) -> None:
        params = command.get("params", {})
        if command.get("cmd") == "subscribe":
            for ticker in params.get("market_tickers", []):
                next_sid[0] += 1
                sid = next_sid[0]
                await ws.send_message(
                    json.dumps(
                        {
                            "id": command["id"],
                            "type": "subscribed",
                            "msg": {"channel": "orderbook_delta", "sid": sid},
                        }
                    )
                )
                seqs[sid], tickers[sid] = 0, ticker
                await self._snapshot(ws, sid, seqs, tickers)
        elif command.get("cmd") == "update_subscription":
            for sid in params.get("sids", []):
                if sid in seqs:
                    await self._snapshot(ws, sid, seqs, tickers)
        elif command.get("cmd") == "unsubscribe":
            for sid in params.get("sids", []):
                seqs.pop(sid, None)
                tickers.pop(sid, None)

    async def _snapshot(
        self, ws: Any, sid: int, seqs: dict[int, int], tickers: dict[int, str]
    ) -> None:
        seqs[sid] += 1
        frame = {
            "type": "orderbook_snapshot",
            "sid": sid,
            "seq": seqs[sid],
            "msg": {
                "market_ticker": tickers[sid],
                "yes_dollars_fp": [[PRICE, "10.00"]],
                "no_dollars_fp": [[NO_PRICE, "10.00"]],
            },
        }
        await ws.send_message(json.dumps(frame))

    async def _deltas(self, ws: Any, seqs: dict[int, int], tickers: dict[int, str]) -> None:
        """``rate`` deltas a second round-robin over the subscribed markets, +1 then -1
        contract at the YES level (so every book stays valid)."""
        step = 0.01
        while not seqs:
            await trio.sleep(step)
        started, sent_here = trio.current_time(), 0
        while True:
            due = int((trio.current_time() - started) * self.rate) - sent_here if self.rate else 200
            sids = list(seqs)
            for i in range(max(due, 0)):
                sid = sids[(sent_here + i) % len(sids)]
                if sid not in seqs:
                    continue
                seqs[sid] += 1
                change = "1.00" if seqs[sid] % 2 == 0 else "-1.00"
                msg = (
                    f'{{"market_ticker":"{tickers[sid]}","price_dollars":"{PRICE}",'
                    f'"delta_fp":"{change}","side":"yes","ts_ms":{int(time.time() * 1000)}}}'
                )
                await ws.send_message(
                    f'{{"type":"orderbook_delta","sid":{sid},"seq":{seqs[sid]},"msg":{msg}}}'
                )
            sent_here += max(due, 0)
            self._sent.value = sent_here
            await trio.sleep(step if self.rate else 0)
