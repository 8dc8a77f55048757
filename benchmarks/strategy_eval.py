"""What one book costs the daemon's strategies to evaluate (issue 15).

    python benchmarks/strategy_eval.py [--books 20000] [--levels 10] [--runs 3]

Under a saturating feed the strategy actor's mailbox holds up to one book per
market (conflation bounds it at the number of markets), so a crossing book waits
for every book ahead of it to be evaluated: the evaluation rate is what bounds
detection there (docs/benchmarks.md, "What slows the order path under feed load").

Each run builds ``--books`` books of ``--levels`` levels a side over 1,000 tickers,
none crossing (the common case: nothing to propose), and times, per book:

- each strategy of the daemon's default ``strategy.use`` (``warden.wiring``),
  ``on_book`` as the strategy actor calls it;
- ``top_of_book``: building the book's :class:`~actors.domain.TopOfBook`;
- ``floor``: reading both best bids and comparing their sum with the payout, the
  least any evaluation of the book must do (the baseline of the same run).

Best of ``--runs`` (the least disturbed), in µs a book.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from decimal import Decimal

from actors.domain import BookSnapshot
from warden.config import parse_config
from warden.wiring import strategies_of


def books(count: int, levels: int) -> list[BookSnapshot]:
    """``count`` books over 1,000 tickers: YES bids from $0.30 up, NO bids from $0.40
    up, ``levels`` a side (best bids sum below $1: no arbitrage)."""
    yes = tuple((Decimal(30 + n).scaleb(-2), Decimal(10 + n)) for n in range(levels))
    no = tuple((Decimal(40 + n).scaleb(-2), Decimal(20 + n)) for n in range(levels))
    return [BookSnapshot(f"SYN-{n % 1000:04d}", n, yes, no) for n in range(count)]


def per_book(call: Callable[[BookSnapshot], object], made: list[BookSnapshot], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        for book in made:
            call(book)
        best = min(best, time.perf_counter() - began)
    return best / len(made) * 1e6


def floor(book: BookSnapshot) -> bool:
    return book.yes_bids[-1][0] + book.no_bids[-1][0] > book.payout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--books", type=int, default=20_000)
    parser.add_argument("--levels", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    made = books(args.books, args.levels)
    config = parse_config({})
    print(f"{args.books} books, {args.levels} levels a side, best of {args.runs} runs, µs a book")
    base = per_book(floor, made, args.runs)
    print(f"  {'floor (best bids, one comparison)':40} {base:6.2f}")
    print(f"  {'top_of_book':40} {per_book(BookSnapshot.top_of_book, made, args.runs):6.2f}")
    for strategy in strategies_of(config):
        cost = per_book(functools.partial(strategy.on_book, now=0.0), made, args.runs)
        print(f"  {strategy.name:40} {cost:6.2f}  ({cost / base:.1f}x the floor)")


if __name__ == "__main__":
    main()
