"""The simulated venue in its own process, for benchmarks that must not share a GIL with it.

    python benchmarks/venue_process.py MARKETS

Prints ``url <base>`` once serving (127.0.0.1, ephemeral port, markets frozen),
then for every ``cross TICKER`` line on stdin makes the house account post a
YES bid and a NO bid that each overlap the other side's best bid by $0.04 (an
arbitrage), and answers ``ok``. Exits when stdin closes.
"""

from __future__ import annotations

import sys
import threading
from decimal import Decimal

import trio

from warden.venue import HOUSE, DynamicsConfig, OrderRequest, VenueConfig, open_venue


def _cross(sim: object, ticker: str) -> None:
    engine = sim.engine  # type: ignore[attr-defined]
    book = engine.book(ticker)
    best_yes = max(price for price, _ in book.levels("yes"))
    best_no = max(price for price, _ in book.levels("no"))
    crossed = Decimal("1.04")  # payout $1 plus the $0.04 overlap
    for side, price in (("yes", crossed - best_no), ("no", crossed - best_yes)):
        engine.place(HOUSE, OrderRequest(ticker, side, "buy", Decimal(10), price))


async def main(markets: int) -> None:
    config = VenueConfig(port=0, seed=3, markets=markets, dynamics=DynamicsConfig(tick_seconds=0))
    async with open_venue(config) as server:
        token = trio.lowlevel.current_trio_token()
        done = trio.Event()

        def commands() -> None:
            for line in sys.stdin:
                verb, _, ticker = line.strip().partition(" ")
                if verb == "cross":
                    trio.from_thread.run_sync(_cross, server.sim, ticker, trio_token=token)
                    print("ok", flush=True)
            trio.from_thread.run_sync(done.set, trio_token=token)

        print(f"url {server.url}", flush=True)
        threading.Thread(target=commands, daemon=True).start()
        await done.wait()


if __name__ == "__main__":
    trio.run(main, int(sys.argv[1]))
