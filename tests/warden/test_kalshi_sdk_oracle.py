"""Kalshi's official SDK (``kalshi-python-sync`` 3.2.0) drives the simulated venue.

The SDK signs every request with its own code (RSA-PSS, a key generated here)
and deserialises every answer into its own pydantic models; a field it
requires that the venue does not send, or sends with the wrong type, raises
``pydantic.ValidationError`` out of the call, so it fails the test.  The venue
runs on loopback in this trio test; the SDK (blocking, urllib3) runs in a
worker thread.

SDK 3.2.0 predates the fixed-point migration: its models require the integer
fields Kalshi stopped sending (docs/venue-sim.md, "Kalshi's SDK"), so the venue
runs with ``legacy_fields=True``; without it the SDK cannot read a market
(:func:`test_without_legacy_fields_the_sdk_cannot_read_the_documented_market`).
It has no V2 order endpoints, so orders go through the legacy
``/portfolio/orders`` ones.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import kalshi_python_sync as kalshi
import pydantic
import pytest
import trio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.warden.conftest import quiet_config, rest_bid
from warden.venue import VenueServer, open_venue

KEY_ID = "sdk-oracle-key"
_T = TypeVar("_T")


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pems(key: rsa.RSAPrivateKey) -> tuple[str, str]:
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def _client(venue: VenueServer, private_pem: str) -> kalshi.KalshiClient:
    configuration = kalshi.Configuration(host=venue.rest_url)
    # KalshiClient signs with these two attributes when the configuration has them
    configuration.api_key_id = KEY_ID
    configuration.private_key_pem = private_pem
    return kalshi.KalshiClient(configuration)


def _pages(fetch: Callable[[str | None], Any], items: str) -> list[Any]:
    """Every item of a cursor-paged SDK list call, following ``cursor`` until empty."""
    collected: list[Any] = []
    cursor: str | None = None
    for _ in range(100):
        page = fetch(cursor)
        collected.extend(getattr(page, items))
        if not page.cursor:
            return collected
        cursor = page.cursor
    pytest.fail("more than 100 pages")


async def _in_thread(work: Callable[[], _T]) -> _T:
    with trio.fail_after(60):
        return await trio.to_thread.run_sync(work)


async def test_the_sdk_reads_markets_orderbooks_and_the_portfolio_and_trades_through_the_venue(
    key: rsa.RSAPrivateKey,
) -> None:
    private, public = _pems(key)
    config = quiet_config(legacy_fields=True, kalshi_public_keys={KEY_ID: public})
    async with open_venue(config) as venue:
        rest_bid(venue, "no", "0.60", "2")  # YES ask 0.40
        rest_bid(venue, "yes", "0.35", "4")
        client = _client(venue, private)

        def drive() -> dict[str, Any]:
            seen: dict[str, Any] = {
                "markets": _pages(lambda c: client.get_markets(limit=1, cursor=c), "markets"),
                "market": client.get_market("SIM-001").market,
                "book": client.get_market_orderbook("SIM-001").orderbook,
            }
            created = [
                client.create_order(
                    ticker="SIM-001",
                    side="yes",
                    action="buy",
                    count=3,
                    type="limit",
                    yes_price=40,
                    client_order_id="sdk-1",
                ).order,
                client.create_order(
                    ticker="SIM-002",
                    side="no",
                    action="buy",
                    count=2,
                    no_price_dollars="0.2500",
                    time_in_force="good_till_canceled",
                ).order,
                client.create_order(
                    ticker="SIM-001", side="yes", action="buy", count=1, yes_price=10
                ).order,
            ]
            seen["created"] = created
            seen["got"] = client.get_order(created[0].order_id).order
            seen["orders"] = _pages(lambda c: client.get_orders(limit=2, cursor=c), "orders")
            seen["resting"] = client.get_orders(status="resting", ticker="SIM-001").orders
            seen["canceled"] = client.cancel_order(created[2].order_id)
            seen["fills"] = _pages(lambda c: client.get_fills(limit=1, cursor=c), "fills")
            seen["positions"] = _pages(
                lambda c: client.get_positions(limit=1, cursor=c), "market_positions"
            )
            seen["event_positions"] = client.get_positions().event_positions
            seen["balance"] = client.get_balance()
            return seen

        seen = await _in_thread(drive)
        engine_cash = venue.sim.engine.cash("trader")

    assert [m.ticker for m in seen["markets"]] == ["SIM-001", "SIM-002"]
    market = seen["market"]
    assert (market.yes_bid_dollars, market.yes_ask_dollars, market.yes_ask) == (
        "0.3500",
        "0.4000",
        40,
    )
    assert [r.step for r in market.price_ranges] == ["0.0100"]
    assert seen["book"].no_dollars == [["0.6000", "2.00"]]
    first, second, third = seen["created"]
    assert (first.status, first.fill_count, first.remaining_count) == ("resting", 2, 1)
    assert (second.side, second.no_price_dollars, second.client_order_id) == ("no", "0.2500", "")
    assert seen["got"].taker_fill_cost_dollars == "0.8000"
    assert [o.order_id for o in seen["orders"]] == [o.order_id for o in seen["created"]]
    assert {o.order_id for o in seen["resting"]} == {first.order_id, third.order_id}
    assert (seen["canceled"].order.status, seen["canceled"].reduced_by) == ("canceled", 1)
    assert [(f.count, f.yes_price, f.is_taker) for f in seen["fills"]] == [(2, 40, True)]
    assert [(p.ticker, p.position) for p in seen["positions"]] == [("SIM-001", 2), ("SIM-002", 0)]
    assert [e.event_ticker for e in seen["event_positions"]] == ["SIM"]
    balance = seen["balance"]
    assert Decimal(balance.balance) == (engine_cash[0] * 100).to_integral_value(
        rounding="ROUND_FLOOR"
    )


async def test_without_legacy_fields_the_sdk_cannot_read_the_documented_market(
    key: rsa.RSAPrivateKey,
) -> None:
    """SDK 3.2.0 requires fields the docs no longer have (``yes_bid``, ``volume``,
    ``response_price_units``, ...): the venue follows the docs, so it needs the switch."""
    private, public = _pems(key)
    config = quiet_config(kalshi_public_keys={KEY_ID: public})
    async with open_venue(config) as venue:
        client = _client(venue, private)
        with pytest.raises(pydantic.ValidationError, match="yes_bid"):
            await _in_thread(lambda: client.get_market("SIM-001"))
        balance = await _in_thread(client.get_balance)  # no integer field involved
    assert balance.balance == 100_000


async def test_the_sdk_signed_with_another_key_is_refused_with_401(key: rsa.RSAPrivateKey) -> None:
    private, _public = _pems(key)
    _other_private, other_public = _pems(
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    config = quiet_config(legacy_fields=True, kalshi_public_keys={KEY_ID: other_public})
    async with open_venue(config) as venue:
        client = _client(venue, private)
        with pytest.raises(kalshi.UnauthorizedException) as caught:
            await _in_thread(client.get_balance)
    assert caught.value.status == 401
    assert '"details":"bad signature"' in str(caught.value.body)
