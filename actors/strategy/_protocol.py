"""The strategy interface: what a strategy is given and what it may answer.

A strategy is a plain object the :class:`~actors.strategy.StrategyActor` feeds
with what it hears (the venue's events, books, staleness, holdings) and asks
for :class:`Proposal`\\ s.  It decides *what* is worth trading; the actor
decides *whether* it may be traded now (freshness, repeats), prices the
proposal into a :class:`~actors.domain.Basket` with the configured fees and
hands it to risk.

Contract of every method: no I/O, no threads, no clock but the ``now`` it is
given (the actor's ``clock.monotonic()``); it may keep state (books,
holdings, events) between calls.  It must not raise on valid input: an
exception is counted by the actor (``strategy_errors``), logged, and that
call proposes nothing; the actor and the other strategies carry on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import attrs

from actors import _checks
from actors.domain import BookSnapshot, Event, Leg, Purpose
from actors.messages import EventsListed, Holdings


def _legs(instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, tuple) or not value:
        _checks.fail(instance, "legs", value, "must be a non-empty tuple of Leg")
    for index, leg in enumerate(value):
        if not isinstance(leg, Leg):
            _checks.fail(instance, f"legs[{index}]", leg, "must be a Leg")


@attrs.frozen
class Proposal:
    """Trade ``legs`` of ``event`` for ``purpose``; ``reason`` is for the log line
    (``"all_no edge $0.03"``).

    Only the shapes are checked here (an :class:`~actors.domain.Event`, a
    non-empty tuple of :class:`~actors.domain.Leg`, a
    :class:`~actors.domain.Purpose`, a string: else
    :class:`~actors.errors.InvalidFieldError`); the basket rules (legs in the
    event, one count, a positive edge ...) are checked when the actor builds
    the :class:`~actors.domain.Basket`, which counts a refusal as
    ``invalid_proposals``.
    """

    event: Event = attrs.field(validator=_checks.instance_of(Event))
    legs: tuple[Leg, ...] = attrs.field(validator=_legs)
    purpose: Purpose = attrs.field(
        default=Purpose.ARBITRAGE, validator=_checks.instance_of(Purpose)
    )
    reason: str = attrs.field(default="", validator=_checks.instance_of(str))

    @property
    def tickers(self) -> tuple[str, ...]:
        """The markets the legs touch, each once, in leg order."""
        return tuple(dict.fromkeys(leg.ticker for leg in self.legs))


class Strategy(Protocol):
    """Anything that turns what the actor hears into proposals (see the module docstring)."""

    @property
    def name(self) -> str:
        """A short name for logs and introspection, unique among the strategies in use."""

    @property
    def wants_holdings(self) -> bool:
        """True: the actor asks risk for ``Holdings`` at its start and passes them on."""

    def on_events(self, listed: EventsListed) -> None:
        """The venue's events and markets, sent by the feed before it subscribes (each
        session): the latest word replaces any earlier one."""

    def on_book(self, book: BookSnapshot, now: float) -> Sequence[Proposal]:
        """The latest book of ``book.ticker``: what to trade now (often nothing)."""

    def on_stale(self, ticker: str) -> None:
        """``ticker``'s book can no longer be trusted until its next ``on_book``."""

    def on_holdings(self, holdings: Holdings) -> None:
        """What risk says is held (only for a strategy that ``wants_holdings``)."""


@runtime_checkable
class Counting(Protocol):
    """Optional: a strategy with counters of its own (``exits_impossible`` ...), which the
    actor publishes in its status under the strategy's name."""

    def counts(self) -> Mapping[str, int]:
        """A copy of the counters."""


@runtime_checkable
class Bounded(Protocol):
    """Optional: a strategy that never trades an event of more than ``max_event_markets``
    markets (``None``: any size). Config refuses ``risk.max_concurrent_markets`` below it."""

    @property
    def max_event_markets(self) -> int | None:
        """The most markets one proposal of this strategy may touch, if known."""


REQUIRED = ("on_events", "on_book", "on_stale", "on_holdings")
"""The methods every strategy has (:func:`missing_members` checks them)."""


def missing_members(candidate: object) -> list[str]:
    """What ``candidate`` lacks to be a :class:`Strategy`: a ``name`` that is a non-empty
    string, a ``wants_holdings`` that is a bool, and the four methods."""
    missing = []
    name = getattr(candidate, "name", None)
    if not isinstance(name, str) or not name:
        missing.append("name (a non-empty str)")
    if not isinstance(getattr(candidate, "wants_holdings", None), bool):
        missing.append("wants_holdings (a bool)")
    missing.extend(
        f"{method}()" for method in REQUIRED if not callable(getattr(candidate, method, None))
    )
    return missing
