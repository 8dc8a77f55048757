"""Invariant 1, exposure within limits: venue truth replayed, judged per market, event and in total.

The replay is risk's own bookkeeping over the venue's record: after every truth
entry, each market's fills so far go through risk's
:class:`~actors.risk.Holding` (YES+NO pairs in one market netted, the excess
side at its cost), and every buy order still open at the venue counts its
worst case, ``FeeModel.buy_cost(remaining, price)`` (price x count + taker fee
as Kalshi rounds it; as Polymarket charges it when the run's config names a
``polymarket_taker_rate``, the rate the venue charged: ``--venue polymarket``).
Then, per event of the venue
(:attr:`~warden.chaos._history.Evidence.venue_events`; a market in none is its
own), as risk aggregates (docs/baskets.md §3)::

    event  = event_exposure(E, holdings) + open buys in E's markets
    market = min(open_cost_m, event_exposure(E_m)) + open buys in m
    total  = sum over events

``actors.risk.event_exposure`` hedges only complete sets: a basket with every
leg held is 0 (or its loss, if bought above its payout), a partly filled one
the cost of its filled legs. With single events only the three figures are
the per-market figures of before. The limits are ``max_market_exposure``,
``max_event_exposure`` and ``max_total_exposure`` (decimal-dollar config
strings); ``unknown`` without one of them, without venue truth, or when the
venue's events were not read (``venue_events is None``: which markets hedge
which cannot be known). Money is exact (:data:`actors.money.EXACT`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext

import attrs
from attrs import define, frozen

from actors import money
from actors.domain import Event
from actors.fees import FeeModel
from actors.risk import Holding, event_exposure
from warden.chaos._history import Entry, Evidence, wire_decimal, wire_price
from warden.chaos._money import venue_fill
from warden.chaos._venue_events import events_by_market
from warden.chaos._verdicts import CheckResult, result, unknown

NAME = "exposure_within_limits"
INVARIANT = 1
ZERO = Decimal(0)
_LIMITS = ("max_market_exposure", "max_event_exposure", "max_total_exposure")


@define
class _OpenBuy:
    """A buy order resting at the venue, as the exposure replay tracks it."""

    ticker: str
    price: Decimal
    remaining: Decimal
    client_order_id: str


@frozen
class Limits:
    market: Decimal
    event: Decimal
    total: Decimal


@frozen
class Exposure:
    """One moment's exposure: per market, per event (by event ticker) and in total."""

    by_market: dict[str, Decimal]
    by_event: dict[str, Decimal]
    total: Decimal


def aggregate(
    holdings: Mapping[str, Holding],
    open_buys: Mapping[str, Decimal],
    events: Mapping[str, Event],
) -> Exposure:
    """Exposure from each market's holding and the worst case of its open buys
    (``open_buys``: ticker -> dollars), grouped by ``events`` (ticker -> its event; a
    market absent there is its own event). Exact under the caller's context."""
    touched: dict[str, Event] = {}
    for ticker in (*holdings, *open_buys):
        if ticker in events:
            event = events[ticker]
        else:
            held = holdings.get(ticker)
            payout = held.position.payout if held is not None else money.ONE
            event = Event.single(ticker, payout)
        touched.setdefault(event.event_ticker, event)
    by_market: dict[str, Decimal] = {}
    by_event: dict[str, Decimal] = {}
    for event in touched.values():
        exposure = event_exposure(event, holdings)  # only complete sets hedge
        buys = ZERO
        for ticker in event.markets:
            if ticker not in holdings and ticker not in open_buys:
                continue
            holding = holdings.get(ticker)
            open_cost = holding.open_cost if holding is not None else ZERO
            bought = open_buys.get(ticker, ZERO)
            by_market[ticker] = min(open_cost, exposure) + bought
            buys += bought
        by_event[event.event_ticker] = exposure + buys
    return Exposure(by_market, by_event, sum(by_event.values(), ZERO))


def exposure_within_limits(ev: Evidence) -> CheckResult:
    """Replays venue truth (see the module docstring); violated at every entry after
    which a market, an event or the total is over its limit."""
    values = [ev.config_money(key) for key in _LIMITS]
    market, event, total = values
    if market is None or event is None or total is None:
        return unknown(NAME, INVARIANT, f"the config lacks {' / '.join(_LIMITS)} (decimal dollars)")
    if not ev.truth:
        return unknown(NAME, INVARIANT, "no venue truth (nothing traded, or it was not read)")
    if ev.venue_events is None:
        return unknown(NAME, INVARIANT, "the venue's events were not read (GET /events)")
    events = events_by_market(ev.venue_events)  # ValueError: unknown (check_all)
    with localcontext(money.EXACT):  # an inexact sum raises, never rounds
        return _replay(ev, Limits(market, event, total), events)


def _fees(ev: Evidence) -> FeeModel:
    """The venue's fees: Polymarket's at ``polymarket_taker_rate`` if the config names
    one, else Kalshi's (the higher of the two at every price: absent, the stricter)."""
    rate = ev.config_money("polymarket_taker_rate")
    return FeeModel() if rate is None else FeeModel.polymarket([rate])


def _replay(ev: Evidence, limits: Limits, events: Mapping[str, Event]) -> CheckResult:
    fees = _fees(ev)
    holdings: dict[str, Holding] = {}
    open_buys: dict[str, _OpenBuy] = {}
    peak_total, peak_market, peak_event = ZERO, ZERO, ZERO
    witnesses: list[dict[str, object]] = []
    for entry in ev.truth:
        try:
            _apply(entry, holdings, open_buys)
            worst: dict[str, Decimal] = {}
            for order in open_buys.values():
                cost = fees.buy_cost(order.remaining, order.price)  # price x count + taker fee
                worst[order.ticker] = worst.get(order.ticker, ZERO) + cost
        except ValueError as error:
            return unknown(NAME, INVARIANT, f"cannot replay entry {entry['seq']}: {error}")
        now = aggregate(holdings, worst, events)
        top_market = max(now.by_market.values(), default=ZERO)
        top_event = max(now.by_event.values(), default=ZERO)
        peak_total = max(peak_total, now.total)
        peak_market = max(peak_market, top_market)
        peak_event = max(peak_event, top_event)
        if top_market > limits.market or top_event > limits.event or now.total > limits.total:
            witnesses.append(
                {
                    "entry": entry,
                    "exposure_by_market": now.by_market,
                    "exposure_by_event": now.by_event,
                    "total": now.total,
                    "open_orders": [attrs.asdict(o) for o in open_buys.values()],
                }
            )
    counts = {
        "venue_entries": len(ev.truth),
        "venue_events": len(ev.venue_events or ()),
        "peak_total": peak_total,
        "peak_event": peak_event,
        "peak_market": peak_market,
        "max_total_exposure": limits.total,
        "max_event_exposure": limits.event,
        "max_market_exposure": limits.market,
        "events_over_limit": len(witnesses),
    }
    return result(NAME, INVARIANT, counts, witnesses, "exposure over a limit")


def _apply(entry: Entry, holdings: dict[str, Holding], open_buys: dict[str, _OpenBuy]) -> None:
    """One truth entry into the replay's holdings and open buys. Raises
    ``KeyError`` / ``ValueError`` for an entry of the wrong shape."""
    record, kind = entry["record"], entry["kind"]
    if kind == "order_accepted" and record["action"] == "buy":
        open_buys[record["order_id"]] = _OpenBuy(
            ticker=record["ticker"],
            price=wire_price(record),
            remaining=wire_decimal(record, "initial_count_fp"),
            client_order_id=record["client_order_id"],
        )
    elif kind == "order_canceled":
        open_buys.pop(record["order_id"], None)
    elif kind == "fill":
        fill = venue_fill(record)
        holding = holdings.get(fill.ticker) or Holding.empty(fill.ticker, fill.payout)
        holdings[fill.ticker] = holding.apply(fill)
        order = open_buys.get(record["order_id"])
        if order is not None:
            order.remaining -= fill.count
            if order.remaining <= 0:
                del open_buys[record["order_id"]]
