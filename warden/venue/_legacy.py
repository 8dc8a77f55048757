"""Transition-era integer fields, added beside the fixed-point ones when ``legacy_fields`` is on.

Kalshi stopped sending integer-cent prices and integer counts on 2026-03-05
(getting_started/fixed_point_contracts.md, subpenny_pricing.md); clients
written before that, Kalshi's own ``kalshi-python-sync`` 3.2.0 among them,
still require them.  With :attr:`VenueConfig.legacy_fields` the venue adds
them under the names the SDK's models use, computed from the fixed-point
strings it already sends: cents are the dollar amount times 100 and counts
the contract count, both **truncated toward zero** to an integer (a
sub-penny price or a fractional count has no exact integer form; these
fields cannot say more).  The fixed-point fields stay the truth.

Every function takes a wire dict and returns a new one with the extra keys;
it never removes or changes a documented key.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal

LegacyWire = dict[str, object]


def _whole(text: object, scale: int = 1) -> int:
    """``text`` (a fixed-point string) times ``scale``, truncated toward zero."""
    assert isinstance(text, str), text
    return int((Decimal(text) * scale).to_integral_value(rounding=ROUND_DOWN))


def _cents(text: object) -> int:
    return _whole(text, 100)


def order(wire: Mapping[str, object]) -> LegacyWire:
    """The SDK's Order: ``yes_price``/``no_price``, counts, fees and costs in cents."""
    return {
        **wire,
        "yes_price": _cents(wire["yes_price_dollars"]),
        "no_price": _cents(wire["no_price_dollars"]),
        "fill_count": _whole(wire["fill_count_fp"]),
        "remaining_count": _whole(wire["remaining_count_fp"]),
        "initial_count": _whole(wire["initial_count_fp"]),
        "taker_fees": _cents(wire["taker_fees_dollars"]),
        "maker_fees": _cents(wire["maker_fees_dollars"]),
        "taker_fill_cost": _cents(wire["taker_fill_cost_dollars"]),
        "maker_fill_cost": _cents(wire["maker_fill_cost_dollars"]),
        "queue_position": 0,  # "deprecated and will always return 0" (SDK model)
    }


def fill(wire: Mapping[str, object]) -> LegacyWire:
    """The SDK's Fill: ``count``, ``price`` (the YES price in cents), ``*_price_fixed``."""
    return {
        **wire,
        "count": _whole(wire["count_fp"]),
        "price": _cents(wire["yes_price_dollars"]),
        "yes_price": _cents(wire["yes_price_dollars"]),
        "no_price": _cents(wire["no_price_dollars"]),
        "yes_price_fixed": wire["yes_price_dollars"],
        "no_price_fixed": wire["no_price_dollars"],
    }


def market(wire: Mapping[str, object], tick: Decimal) -> LegacyWire:
    """The SDK's Market: integer-cent prices, integer counts and its other old fields."""
    return {
        **wire,
        "response_price_units": "usd_cent",
        "yes_bid": _cents(wire["yes_bid_dollars"]),
        "yes_ask": _cents(wire["yes_ask_dollars"]),
        "no_bid": _cents(wire["no_bid_dollars"]),
        "no_ask": _cents(wire["no_ask_dollars"]),
        "last_price": _cents(wire["last_price_dollars"]),
        "volume": _whole(wire["volume_fp"]),
        "volume_24h": _whole(wire["volume_24h_fp"]),
        "open_interest": _whole(wire["open_interest_fp"]),
        "notional_value": _cents(wire["notional_value_dollars"]),
        "previous_yes_bid": _cents(wire["previous_yes_bid_dollars"]),
        "previous_yes_ask": _cents(wire["previous_yes_ask_dollars"]),
        "previous_price": _cents(wire["previous_price_dollars"]),
        "liquidity": 0,
        "liquidity_dollars": "0.0000",
        "category": "Simulated",
        "risk_limit_cents": 0,
        "tick_size": max(1, _cents(str(tick))),
    }


def position(wire: Mapping[str, object], resting_orders: int) -> LegacyWire:
    """The SDK's MarketPosition: cents, an integer ``position`` and ``resting_orders_count``."""
    return {
        **wire,
        "total_traded": _cents(wire["total_traded_dollars"]),
        "position": _whole(wire["position_fp"]),
        "market_exposure": _cents(wire["market_exposure_dollars"]),
        "realized_pnl": _cents(wire["realized_pnl_dollars"]),
        "resting_orders_count": resting_orders,
        "fees_paid": _cents(wire["fees_paid_dollars"]),
    }


def event_position(wire: Mapping[str, object]) -> LegacyWire:
    """The SDK's EventPosition: cents and an integer ``total_cost_shares``."""
    return {
        **wire,
        "total_cost": _cents(wire["total_cost_dollars"]),
        "total_cost_shares": _whole(wire["total_cost_shares_fp"]),
        "event_exposure": _cents(wire["event_exposure_dollars"]),
        "realized_pnl": _cents(wire["realized_pnl_dollars"]),
        "fees_paid": _cents(wire["fees_paid_dollars"]),
    }
