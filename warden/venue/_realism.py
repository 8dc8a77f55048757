"""The realistic mode's configuration and its market layout: events of outcome markets.

Opt-in through ``VenueConfig(realism=RealismConfig(...))``; without it the
venue behaves exactly as before (markets ``SIM-001`` ..., a bids-only book
that the house can keep crossed).  With it:

- the book is reciprocal and never crossed (:class:`~warden.venue._engine.MatchingEngine`
  with ``reciprocal=True``; Kalshi's self-trade prevention, default ``taker_at_cross``);
- markets come in events (:class:`EventSpec`): event ``SIMEV-01`` has markets
  ``SIMEV-01-A``, ``SIMEV-01-B``, ...; an event is mutually exclusive and
  exhaustive (exactly one outcome settles YES) or not;
- the books move by :class:`~warden.venue._events.EventDynamics` (fair values per
  event, lagging makers, competitors), not by :class:`~warden.venue._dynamics.MarketDynamics`.

Every knob is data with one validator per field; money knobs are ``Decimal``
dollars and times are seconds of the venue clock.  See docs/venue-sim.md.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
from attrs import field, frozen

from actors import money
from supervision import validators
from warden.venue._model import PAYOUT
from warden.venue._shapes import EventWire, MarketWire

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SERIES_TICKER = "SIMEV"
"""The ``series_ticker`` of every event of the realistic mode."""
_probability = validators.probability()
_seconds = validators.number(0, inclusive=True, finite=True, unit="seconds")


def _amount(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    """A finite ``Decimal`` > 0 with at most 4 decimals (dollars or score units)."""
    if (
        type(value) is not Decimal
        or not value.is_finite()
        or value <= 0
        or money.decimals_of(value) > 4
    ):
        rule = 'must be a Decimal > 0 with at most 4 decimals (e.g. Decimal("0.02"))'
        raise validators.FieldError(type(instance).__name__, attribute.name, value, rule)


def _tick(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    _amount(instance, attribute, value)
    if not value < PAYOUT or PAYOUT % value:
        rule = "must divide one dollar (0.01, 0.001, 0.0001, ...)"
        raise validators.FieldError(type(instance).__name__, attribute.name, value, rule)


def _lag_range(
    instance: object, attribute: attrs.Attribute[tuple[float, float]], value: tuple[float, float]
) -> None:
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not 0 <= value[0] <= value[1] < float("inf")
    ):
        rule = "must be a (low, high) pair of seconds with 0 <= low <= high"
        raise validators.FieldError(type(instance).__name__, attribute.name, value, rule)


@frozen
class EventSpec:
    """One event: ``outcomes`` markets on one tick grid, mutually exclusive or not.

    A mutually exclusive event is also exhaustive: exactly one of its markets
    settles YES, so its fair values sum to the payout.  The markets of a
    non-exclusive event move independently (each its own fair value).
    """

    outcomes: int = field(validator=validators.integer(2, 26))
    mutually_exclusive: bool = field(default=True, validator=validators.instance_of(bool))
    tick: Decimal = field(default=Decimal("0.01"), validator=_tick)


def _events(
    instance: object,
    attribute: attrs.Attribute[tuple[EventSpec, ...]],
    value: tuple[EventSpec, ...],
) -> None:
    if (
        not isinstance(value, tuple)
        or not value
        or not all(isinstance(v, EventSpec) for v in value)
    ):
        rule = "must be a non-empty tuple of EventSpec"
        raise validators.FieldError(type(instance).__name__, attribute.name, value, rule)


DEFAULT_EVENTS = (
    EventSpec(3),
    EventSpec(4, tick=Decimal("0.001")),
    EventSpec(2, mutually_exclusive=False),
)
"""Two exclusive events (one on a sub-penny grid) and one that is not."""


@frozen
class RealismConfig:
    """The realistic mode (see the module docstring and docs/venue-sim.md).

    ``events``: the event layout.  Dynamics, per step (``DynamicsConfig.tick_seconds``):
    every outcome's score walks by a normal step of ``volatility``; with
    probability ``jump_rate`` per event one outcome's score jumps by
    ``jump_size`` (either sign); fair values are the softmax of the scores
    (exclusive events) or the logistic of each score (others), in steps of
    $0.0001, so an exclusive event's sum is exactly the payout.  Each market's
    maker re-quotes ``levels`` bids per side, ``half_spread`` either side of
    fair (rounded away from fair to the market's tick), ``level_gap`` apart,
    ``lag`` seconds after its fair value moved by ``requote_threshold`` or more,
    or after some of its ladder traded away (each market draws its own lag,
    uniform in ``lag_seconds``, at start).
    Sizes are whole contracts in ``[size_min, size_max]``.  A basket
    mispricing (sum of YES asks < payout, or sum of NO asks < (N - 1) x
    payout, in an exclusive event) seen for ``competitor_delay_seconds`` is
    taken by the competitor.
    """

    events: tuple[EventSpec, ...] = field(default=DEFAULT_EVENTS, validator=_events)
    volatility: Decimal = field(default=Decimal("0.02"), validator=_amount)
    jump_rate: float = field(default=0.05, validator=_probability)
    jump_size: Decimal = field(default=Decimal("1.2"), validator=_amount)
    half_spread: Decimal = field(default=Decimal("0.01"), validator=_amount)
    level_gap: Decimal = field(default=Decimal("0.01"), validator=_amount)
    levels: int = field(default=3, validator=validators.integer(1, 20))
    size_min: int = field(default=10, validator=validators.integer(1))
    size_max: int = field(default=50, validator=validators.integer(1))
    requote_threshold: Decimal = field(default=Decimal("0.005"), validator=_amount)
    lag_seconds: tuple[float, float] = field(default=(0.5, 3.0), validator=_lag_range)
    competitor_delay_seconds: float = field(default=2.0, validator=_seconds)

    def __attrs_post_init__(self) -> None:
        if self.size_max < self.size_min:
            raise validators.FieldError(
                "RealismConfig", "size_max", self.size_max, f"must be >= size_min {self.size_min}"
            )

    @property
    def layout(self) -> tuple[Event, ...]:
        return layout(self.events)


@frozen
class Event:
    """One event as the venue serves it: ``event_ticker``, its market tickers, exclusivity."""

    event_ticker: str
    tickers: tuple[str, ...]
    mutually_exclusive: bool
    tick: Decimal

    def to_wire(self, markets: list[MarketWire] | None = None) -> EventWire:
        """Kalshi's Event object (``markets`` nested only when given)."""
        wire: EventWire = {
            "event_ticker": self.event_ticker,
            "series_ticker": SERIES_TICKER,
            "title": f"Simulated event {self.event_ticker}",
            "sub_title": f"{len(self.tickers)} outcomes",
            "category": "Simulated",
            "mutually_exclusive": self.mutually_exclusive,
            "strike_period": "",
        }
        if markets is not None:
            wire["markets"] = markets
        return wire


def layout(specs: tuple[EventSpec, ...]) -> tuple[Event, ...]:
    """Events ``SIMEV-01`` ... with markets ``SIMEV-01-A`` ... in config order."""
    events = []
    for number, spec in enumerate(specs, start=1):
        event_ticker = f"SIMEV-{number:02d}"
        tickers = tuple(f"{event_ticker}-{_LETTERS[i]}" for i in range(spec.outcomes))
        events.append(Event(event_ticker, tickers, spec.mutually_exclusive, spec.tick))
    return tuple(events)
