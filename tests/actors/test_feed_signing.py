"""The feed signs its market discovery and its websocket handshake through the venue
protocol, against the real simulated venue checking Kalshi signatures; no header
value reaches a status or a log line."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from loguru import logger

from actors.venues.kalshi import KalshiMarketData
from actors.venues.kalshi._signing import KalshiSigner
from tests.actors.feed_harness import FeedRig, quiet_venue, start_rig
from tests.supervision.conftest import eventually

__all__ = ["start_rig"]  # the fixture, re-exported so pytest finds it here

StartRig = Callable[..., FeedRig]
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = (
    KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


@pytest.fixture
def logged() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), format="{message} {extra}")
    yield lines
    logger.remove(sink)


class LeakySigner:
    """Wrong signatures whose values are easy to spot if anything prints them."""

    def websocket_headers(self) -> dict[str, str]:
        return self.headers("GET", "/trade-api/ws/v2")

    def headers(self, method: str, path: str) -> dict[str, str]:
        return {
            "KALSHI-ACCESS-KEY": "key-1",
            "KALSHI-ACCESS-TIMESTAMP": "1",
            "KALSHI-ACCESS-SIGNATURE": f"TOPSECRET{method}{path}",
        }


def test_a_signing_venue_serves_books_to_a_feed_that_signs(start_rig: StartRig) -> None:
    venue = quiet_venue(kalshi_public_keys={"key-1": PUBLIC_PEM})
    signed = KalshiMarketData(signer=KalshiSigner("key-1", KEY))
    rig = start_rig(venue, tickers=(), market_data=signed)  # discovery over REST, signed
    rig.venue.bid("yes", "0.40", 5)
    assert rig.wait_for_book().book.yes_bids[0][1] == 5
    assert rig.status().connection.connect_failures == 0


def test_an_unsigned_feed_is_refused_and_keeps_retrying(start_rig: StartRig) -> None:
    venue = quiet_venue(kalshi_public_keys={"key-1": PUBLIC_PEM})
    rig = start_rig(venue, tickers=())
    eventually(lambda: rig.status().connection.connect_failures >= 2, what="refused twice")
    assert "401" in (rig.status().connection.last_disconnect or "")
    assert rig.updates() == []


@pytest.mark.parametrize("tickers", [(), ("SIM-001",)])  # REST refused; handshake refused
def test_no_header_value_reaches_the_status_or_the_log(
    start_rig: StartRig,
    logged: list[str],
    tickers: tuple[str, ...],
) -> None:
    venue = quiet_venue(kalshi_public_keys={"key-1": PUBLIC_PEM})
    rig = start_rig(venue, tickers=tickers, market_data=KalshiMarketData(signer=LeakySigner()))
    eventually(lambda: rig.status().connection.connect_failures >= 2, what="refused twice")
    status = rig.status()
    assert "TOPSECRET" not in repr(status)
    assert "TOPSECRET" not in (status.connection.last_disconnect or "")
    assert any("cannot connect" in line for line in logged)
    assert not [line for line in logged if "TOPSECRET" in line]
