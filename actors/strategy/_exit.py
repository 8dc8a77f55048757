"""Break-even exit: sell held contracts once the best bid recovers what they cost.

Risk tells the strategy what is held and not bound in a complete set
(``Holdings``); on each book of a market with such contracts the strategy
asks :func:`actors.money.break_even_price` for the lowest grid price at which
selling them recovers their cost (plus ``profit``) after fees, and proposes
an EXIT when the best bid is at or above it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, Decimal
from typing import Any

import attrs

from actors import _checks
from actors.domain import Action, BookSnapshot, Leg, Purpose, Side
from actors.messages import EventsListed, HeldContracts, Holdings
from actors.money import EXACT, BreakEven, FeeSchedule, KalshiFees, break_even_price
from actors.strategy._catalog import Catalog
from actors.strategy._protocol import Proposal

COST_QUANTUM = Decimal("0.0001")
"""A part's share of the cost is rounded up to this (Kalshi's finest money unit)."""


def _profit(instance: Any, attribute: Any, value: Any) -> None:
    if not _checks.is_decimal(value) or value < 0:
        _checks.fail(instance, attribute.name, value, "must be a finite Decimal >= 0 (dollars)")


@attrs.define
class BreakEvenExit:
    """For each held ``(ticker, side)``: when a book of ``ticker`` arrives, ``part`` = the
    held count capped by the best bid's size, rounded down to the market's lot;
    ``target = break_even_price(cost x part / count (rounded up to $0.0001) + profit,
    part, grid, schedule)``.  ``IMPOSSIBLE`` (no grid price recovers it): nothing,
    counted in ``exits_impossible``.  Best bid >= ``target``: an EXIT proposal
    selling ``part`` at ``target`` (``exits_proposed``).  Nothing either for a
    market the venue did not list (no grid or lot), with no bid, or whose part
    rounds down to no lot.

    ``profit`` is dollars per exit on top of break-even, a ``Decimal`` >= 0
    (else :class:`~actors.errors.InvalidFieldError`).
    """

    schedule: FeeSchedule = attrs.field(factory=KalshiFees)
    profit: Decimal = attrs.field(default=Decimal(0), validator=_profit)
    name: str = "break_even_exit"
    wants_holdings: bool = attrs.field(default=True, init=False)
    max_event_markets: int | None = attrs.field(default=1, init=False)
    _catalog: Catalog = attrs.field(factory=Catalog, init=False)
    _held: dict[str, tuple[HeldContracts, ...]] = attrs.field(factory=dict, init=False)
    _counts: dict[str, int] = attrs.field(
        factory=lambda: {"exits_proposed": 0, "exits_impossible": 0}, init=False
    )

    def counts(self) -> Mapping[str, int]:
        return dict(self._counts)

    def on_events(self, listed: EventsListed) -> None:
        self._catalog.update(listed)

    def on_stale(self, ticker: str) -> None:
        """Nothing to forget: every proposal is made from the book just given."""

    def on_holdings(self, holdings: Holdings) -> None:
        held: dict[str, list[HeldContracts]] = {}
        for contracts in holdings.contracts:
            if contracts.count > 0:
                held.setdefault(contracts.ticker, []).append(contracts)
        self._held = {ticker: tuple(items) for ticker, items in held.items()}

    # `now` is the protocol's; this strategy needs no clock
    def on_book(self, book: BookSnapshot, now: float) -> Sequence[Proposal]:  # noqa: ARG002
        proposals = []
        for contracts in self._held.get(book.ticker, ()):
            proposal = self._exit(book, contracts)
            if proposal is not None:
                proposals.append(proposal)
        return proposals

    def _exit(self, book: BookSnapshot, held: HeldContracts) -> Proposal | None:
        market = self._catalog.market(held.ticker)
        if market is None:
            return None
        top = book.top_of_book()
        bid = top.best_yes_bid if held.side is Side.YES else top.best_no_bid
        if bid is None:
            return None
        bid_price = bid.price
        part = market.lot.round_down(min(held.count, bid.size))
        if part <= 0 or not market.lot.contains(part):
            return None
        share = EXACT.divide(EXACT.multiply(held.cost, part), held.count)
        cost = share.quantize(COST_QUANTUM, rounding=ROUND_CEILING) + self.profit
        target = break_even_price(cost, part, market.grid, self.schedule)
        if target is BreakEven.IMPOSSIBLE:
            self._counts["exits_impossible"] += 1
            return None
        if bid_price < target:
            return None
        self._counts["exits_proposed"] += 1
        event = self._catalog.event_of(held.ticker, market.grid.payout)
        leg = Leg(held.ticker, held.side, Action.SELL, target, part, payout=event.payout)
        reason = (
            f"exit {part}x {held.side.value} at ${target} (bid ${bid_price}, held {held.count})"
        )
        return Proposal(event, (leg,), Purpose.EXIT, reason)
