"""What one step of the simulator's market dynamics costs, per market count (issue 15).

    python benchmarks/sim_step.py [--markets 100,1000,2000,5000] [--steps 6]

For each market count N the venue is built as ``warden venue-sim`` builds it
(:class:`~warden.venue.SimVenue` from a :class:`~warden.venue.VenueConfig` with
N markets and the default :class:`~warden.venue.DynamicsConfig`, seeded books,
its stream hub subscribed to the engine) except that the dynamics are stepped
by hand on a manual clock advanced by ``tick_seconds`` per step instead of by
the server's timer. No client is connected, so the step's cost excludes
serializing frames (that is the stream's cost, per frame, whatever the
dynamics do). After one warm-up step, ``--steps`` steps are timed; printed per N:

- ``step cpu``: process CPU seconds per step (``time.process_time``), mean and
  max; the simulator keeps up when this is well under ``tick_seconds``;
- ``frames``: ``orderbook_delta`` frames one subscriber to every market would
  receive per step (the engine's book deltas, counted by a listener);
- ``engine ops``: orders accepted plus canceled per step (from the truth log);
- ``--move-rate`` overrides :attr:`DynamicsConfig.move_rate` (1.0: every market
  active every step, as before the knob existed);
- ``baseline``: measured in the same run, the CPU of the same number of bare
  :meth:`MatchingEngine.place` + :meth:`MatchingEngine.cancel` pairs as the step
  made engine operations (a trader bid far from the book, placed and canceled
  again, on a separate engine with the same markets): what the step's engine
  calls cost with no dynamics logic around them. ``floor`` is one dict update
  per frame (the least any book keeper pays to change one level).

Deterministic inputs (seed 3); CPU figures vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import time
from decimal import Decimal

import attrs

from warden.venue import (
    TRADER,
    DynamicsConfig,
    ManualClock,
    MatchingEngine,
    OrderRequest,
    SimVenue,
    TruthKind,
    VenueConfig,
)
from warden.venue._model import BookDelta, VenueEvent


class _Counter:
    """Counts the engine's book deltas."""

    def __init__(self) -> None:
        self.frames = 0

    def __call__(self, event: VenueEvent) -> None:
        if isinstance(event, BookDelta):
            self.frames += 1


def _engine_ops(sim: SimVenue, after: int) -> int:
    """Orders accepted plus canceled since truth entry ``after`` (every account)."""
    kinds = (TruthKind.ORDER_ACCEPTED, TruthKind.ORDER_CANCELED)
    return sum(len(sim.engine.truth.select(after=after, kind=kind)) for kind in kinds)


def _bare_engine(markets: list[str], pairs: int) -> float:
    """CPU seconds of ``pairs`` bare place+cancel pairs of a far-off trader bid."""
    engine = MatchingEngine(markets, accounts={TRADER: Decimal(10**9)}, clock=ManualClock())
    started = time.process_time()
    for number in range(pairs):
        ticker = markets[number % len(markets)]
        order = engine.place(
            TRADER, OrderRequest(ticker, "yes", "buy", Decimal(10), Decimal("0.01"))
        )
        engine.cancel(TRADER, order["order_id"])
    return time.process_time() - started


def _dict_floor(frames: int) -> float:
    levels: dict[int, int] = {}
    started = time.process_time()
    for number in range(frames):
        price = number % 100
        levels[price] = levels.get(price, 0) + 1
    return time.process_time() - started


def measure(markets: int, steps: int, move_rate: float | None) -> dict[str, float]:
    dynamics = DynamicsConfig(tick_seconds=0)
    if move_rate is not None:
        dynamics = attrs.evolve(dynamics, move_rate=move_rate)
    config = VenueConfig(seed=3, markets=markets, dynamics=dynamics)
    clock = ManualClock()
    sim = SimVenue(config, clock)
    tick = DynamicsConfig().tick_seconds
    counter = _Counter()
    sim.engine.subscribe(counter)
    sim.dynamics.step()  # warm-up
    clock.advance(tick)
    frames_before, truth_before = counter.frames, len(sim.engine.truth)
    cpu: list[float] = []
    for _ in range(steps):
        started = time.process_time()
        sim.dynamics.step()
        cpu.append(time.process_time() - started)
        clock.advance(tick)
    frames = (counter.frames - frames_before) / steps
    ops = _engine_ops(sim, truth_before) / steps
    sim.engine.truth.close()
    return {
        "cpu_mean": statistics.fmean(cpu),
        "cpu_max": max(cpu),
        "frames": frames,
        "ops": ops,
        "baseline": _bare_engine(config.tickers, max(1, round(ops / 2))),
        "floor": _dict_floor(round(frames)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", default="100,1000,2000,5000")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument(
        "--move-rate",
        type=float,
        default=None,
        help="DynamicsConfig.move_rate (default: the config's default)",
    )
    args = parser.parse_args()
    print(
        f"{'markets':>8} {'step cpu mean':>14} {'max':>8} {'frames/step':>12}"
        f" {'engine ops/step':>16} {'baseline':>9} {'floor':>8}"
    )
    for markets in (int(n) for n in args.markets.split(",")):
        row = measure(markets, args.steps, args.move_rate)
        print(
            f"{markets:>8} {row['cpu_mean']:>13.3f}s {row['cpu_max']:>7.3f}s"
            f" {row['frames']:>12.0f} {row['ops']:>16.0f}"
            f" {row['baseline']:>8.3f}s {row['floor']:>7.4f}s",
            flush=True,
        )


if __name__ == "__main__":
    main()
