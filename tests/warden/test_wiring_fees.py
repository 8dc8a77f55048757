"""The daemon prices with the venue's own fees: Polymarket's for a Polymarket venue."""

from __future__ import annotations

from decimal import Decimal as D

from actors.money import KalshiFees, PolymarketFees
from actors.venues.polymarket import PolymarketMarket
from warden.wiring import FEES, PolymarketSide, VenueUrls, venue_fees


def _market(cid: str, rate: D) -> PolymarketMarket:
    return PolymarketMarket(
        condition_id=cid,
        yes_token="1",  # noqa: S106 - a token id, not a secret
        no_token="2",  # noqa: S106
        tick=D("0.01"),
        neg_risk=True,
        event="ev",
        min_order_size=D(5),
        fee_rate=rate,
        active=True,
    )


def test_a_polymarket_venue_prices_with_its_highest_market_fee_rate() -> None:
    side = PolymarketSide(target=None, markets=(_market("a", D("0.03")), _market("b", D("0.05"))))  # type: ignore[arg-type]
    base = "http://127.0.0.1:1"
    urls = VenueUrls(base, base, "ws://127.0.0.1:1", polymarket=side)
    assert venue_fees(urls).schedule == PolymarketFees(taker_rate=D("0.05"))


def test_kalshi_and_the_simulated_venue_keep_kalshis_fees() -> None:
    urls = VenueUrls("http://127.0.0.1:1", "http://127.0.0.1:1", "ws://127.0.0.1:1")
    assert venue_fees(urls) is FEES
    assert isinstance(FEES.schedule, KalshiFees)
