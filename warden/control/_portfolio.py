"""``GET /portfolio``: the money view of one tree snapshot, for ``warden ps`` and ``watch``.

A pure function of what the actors publish (risk's and execution's typed
statuses) and of the snapshot's readiness; nothing is kept or counted here.
:func:`portfolio` answers a :class:`Portfolio`; :func:`portfolio_to_dict`
serves it as JSON and :func:`portfolio_from_dict` reads it back (the CLI), with
one cattrs converter. Money is exact ``Decimal`` dollars and counts ``Decimal``
contracts; in the JSON each is its exact string, never a number::

    {
      "ready": true, "reasons": [],             # readiness, as GET /readyz
      "reconciled": {"execution": true, "risk": true},
      "halted": false, "halt_reason": null,
      "positions": {"SIM-001": {"yes": "3.00", "no": "3.00", "cash": "-2.7000"}},
      "open_orders": [{"reservation": "r-1", "ticker": "SIM-001", "amount": "0.9500",
                       "phase": "placing", "legs": {"c-1": "sent", "c-2": "sent"}}],
      "reservations": {"held": 1, "in_doubt": 0},
      "exposure": {"total": "0.9500", "max_total": "200.00",
                   "by_market": {"SIM-001": {"amount": "0.9500", "limit": "50.00"}},
                   "markets": 1, "max_markets": 3},
      "pnl": {"today": "0.30", "total": "1.20", "max_daily_loss": "50.00", "day": "..."},
      "stale": []                               # actors whose summary is an old one
    }

A value of an actor that publishes no status of its kind is ``null`` -- never
a made-up zero: e.g. everything of risk's while risk is restarting (its new
incarnation has not answered yet) or absent. ``open_orders`` are
execution's in-flight reservations (both legs with their states), with the
ticker and amount risk holds for them when risk knows the reservation.

Failure behaviour: :func:`portfolio_from_dict` raises :class:`UnreadablePortfolio`
(a ``ValueError``) naming what it could not read; never a half-read view.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import cattrs
from cattrs.errors import BaseValidationError

from actors.execution import ExecutionStatus
from actors.risk import PositionView, ReservationView, RiskStatus
from supervision import ActorSnapshot
from supervision.decimal_json import register_decimal_hooks
from warden.control._readiness import Readiness
from warden.control._statuses import describe
from warden.json_types import JsonObject


@attrs.frozen
class Reconciled:
    """Whether each actor says it has reconciled; ``None`` while it publishes no status."""

    execution: bool | None
    risk: bool | None


@attrs.frozen
class OpenOrder:
    """One reservation execution has in flight: its phase (a ``Phase`` value), each
    leg's state by client order id, and the event ticker and amount risk holds for it
    (``None`` when risk does not know the reservation, or publishes no status)."""

    reservation: str
    event_ticker: str | None
    amount: Decimal | None
    phase: str
    legs: dict[str, str]


@attrs.frozen
class ReservationCounts:
    """How many reservations risk holds, by state (``None``: risk publishes no status)."""

    held: int | None
    in_doubt: int | None


@attrs.frozen
class MarketExposure:
    """One market's exposure and its limit, dollars."""

    amount: Decimal
    limit: Decimal


@attrs.frozen
class Exposure:
    """Exposure (dollars) against the limits; every field ``None`` while risk publishes
    no status. ``markets`` counts the markets with any exposure."""

    total: Decimal | None
    max_total: Decimal | None
    by_market: dict[str, MarketExposure] | None
    markets: int | None
    max_markets: int | None


@attrs.frozen
class Pnl:
    """Realised P&L in dollars (``day``: the UTC day of ``today``) and the daily loss
    limit; every field ``None`` while risk publishes no status."""

    today: Decimal | None
    total: Decimal | None
    max_daily_loss: Decimal | None
    day: str | None


@attrs.frozen
class Portfolio:
    """The money view (see the module docstring); ``stale`` names the actors whose
    status is an old one (they did not answer the snapshot in time)."""

    ready: bool
    reasons: tuple[str, ...]
    reconciled: Reconciled
    halted: bool | None
    halt_reason: str | None
    positions: dict[str, PositionView] | None
    open_orders: tuple[OpenOrder, ...] | None
    reservations: ReservationCounts
    exposure: Exposure
    pnl: Pnl
    stale: tuple[str, ...]


class UnreadablePortfolio(ValueError):
    """A served portfolio this code cannot read (``detail`` says why)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"unreadable portfolio: {detail}")
        self.detail = detail


_converter = cattrs.Converter()
register_decimal_hooks(_converter)


def portfolio_to_dict(view: Portfolio) -> JsonObject:
    """``view`` as JSON-able data (the ``GET /portfolio`` body)."""
    data: JsonObject = _converter.unstructure(view)
    return data


def portfolio_from_dict(data: object) -> Portfolio:
    """The :class:`Portfolio` a :func:`portfolio_to_dict` made; :class:`UnreadablePortfolio`
    for anything else."""
    if not isinstance(data, dict):
        raise UnreadablePortfolio(f"expected a JSON object, got {type(data).__name__}")
    try:
        return _converter.structure(data, Portfolio)
    except (BaseValidationError, ValueError, TypeError, KeyError) as error:
        raise UnreadablePortfolio(describe(error)) from error


def _stale(snapshot: ActorSnapshot, name: str) -> bool:
    node = snapshot.get(name)
    return node is not None and node.summary_stale


def _open_orders(
    execution: ExecutionStatus | None, risk: RiskStatus | None
) -> tuple[OpenOrder, ...] | None:
    if execution is None:
        return None
    reservations: dict[str, ReservationView] = {}
    if risk is not None:
        for view in (*risk.reservations.held, *risk.reservations.in_doubt):
            reservations[view.id] = view
    orders = []
    for rid, flight in sorted(execution.in_flight.items()):
        held = reservations.get(rid)  # risk may not know it (yet, or any more)
        orders.append(
            OpenOrder(
                reservation=rid,
                event_ticker=held.event_ticker if held is not None else None,
                amount=held.amount if held is not None else None,
                phase=flight.phase.value,
                legs=dict(flight.legs),
            )
        )
    return tuple(orders)


def _exposure(risk: RiskStatus | None) -> Exposure:
    if risk is None:
        return Exposure(None, None, None, None, None)
    by_market = risk.exposure.by_market
    per_market_limit = risk.limits.max_market_exposure
    return Exposure(
        total=risk.exposure.total,
        max_total=risk.limits.max_total_exposure,
        by_market={
            ticker: MarketExposure(amount, per_market_limit)
            for ticker, amount in sorted(by_market.items())
        },
        markets=sum(1 for amount in by_market.values() if amount),
        max_markets=risk.limits.max_concurrent_markets,
    )


def _pnl(risk: RiskStatus | None) -> Pnl:
    if risk is None:
        return Pnl(None, None, None, None)
    return Pnl(
        today=risk.realised_pnl_today,
        total=risk.realised_pnl_total,
        max_daily_loss=risk.limits.max_daily_loss,
        day=risk.day,
    )


def portfolio(snapshot: ActorSnapshot, ready: Readiness) -> Portfolio:
    """Positions, open orders, exposure against limits, realised P&L and readiness."""
    risk = snapshot.status_of("risk", RiskStatus)
    execution = snapshot.status_of("execution", ExecutionStatus)
    return Portfolio(
        ready=ready.ready,
        reasons=ready.reasons,
        reconciled=Reconciled(
            execution=execution.reconciled if execution is not None else None,
            risk=risk.reconciled if risk is not None else None,
        ),
        halted=risk.halted if risk is not None else None,
        halt_reason=risk.halt_reason if risk is not None else None,
        positions=None if risk is None else dict(sorted(risk.positions.items())),
        open_orders=_open_orders(execution, risk),
        reservations=ReservationCounts(
            held=len(risk.reservations.held) if risk is not None else None,
            in_doubt=len(risk.reservations.in_doubt) if risk is not None else None,
        ),
        exposure=_exposure(risk),
        pnl=_pnl(risk),
        stale=tuple(name for name in ("risk", "execution") if _stale(snapshot, name)),
    )
