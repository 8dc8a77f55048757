"""End to end: ``warden run`` with ``[venue] kind = "polymarket"``, live (not paper).

The simulated venue speaks Polymarket's CLOB V2 (L2 HMAC on every trading call,
EIP-712 orders whose signer it recovers, Gamma under ``/gamma``, the market
channel) over its realistic, reciprocal books. A real daemon subprocess
configured as an operator would configure Polymarket (an owner-only wallet key
file, an owner-only API credentials file, the negative-risk events it trades,
the URLs pointing at the simulator) must find and trade a basket, survive a
SIGKILL and reconcile on restart from the venue's open orders and trades, with
the ledger's fills equal to the venue's trades and no secret in anything it
printed.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from actors.messages import ReservationState
from actors.money import PolymarketFees
from actors.venues.polymarket._eth import Account, LocalAccount
from tests.actors.feed_harness import VenueThread
from tests.supervision.conftest import eventually
from tests.warden.daemon_harness import Process, write_config
from tests.warden.test_daemon_baskets import (
    FAST_BASKETS,
    READY_WITHIN_S,
    STOP_WITHIN_S,
    TRADED_WITHIN_S,
    _fills,
    _reservations,
    _traded_basket,
    assert_every_reservation_settled,
    ready_then_stopped,
)
from warden.venue import PolymarketConfig, polymarket_dialect

pytestmark = pytest.mark.slow


@attrs.frozen
class Operator:
    """What an operator keeps: the wallet key and the CLOB API credentials, in files."""

    wallet: LocalAccount
    key_path: Path
    credentials_path: Path
    secret: str
    passphrase: str


@pytest.fixture
def operator(tmp_path: Path) -> Operator:
    wallet = Account.create()
    key_path = tmp_path / "wallet.key"
    key_path.write_text(wallet.key.hex())
    key_path.chmod(0o600)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    passphrase = secrets.token_hex(16)
    credentials_path = tmp_path / "clob.json"
    credentials_path.write_text(
        json.dumps({"apiKey": "op-key-1", "secret": secret, "passphrase": passphrase})
    )
    credentials_path.chmod(0o600)
    return Operator(wallet, key_path, credentials_path, secret, passphrase)


@pytest.fixture
def venue(operator: Operator) -> Iterator[VenueThread]:
    """The fast-basket venue speaking Polymarket to ``operator``'s account only."""
    config = attrs.evolve(
        FAST_BASKETS,
        polymarket=PolymarketConfig(
            address=operator.wallet.address,
            api_key="op-key-1",
            secret=operator.secret,
            passphrase=operator.passphrase,
        ),
        fees=PolymarketFees(taker_rate=Decimal("0.04")),
    )
    thread = VenueThread(config).start()
    try:
        yield thread
    finally:
        thread.stop()


def _config(tmp_path: Path, operator: Operator, venue: VenueThread) -> Path:
    server = venue.server
    assert server is not None
    return write_config(
        tmp_path / "warden.toml",
        daemon={"runtime_dir": str(tmp_path / "run"), "status_interval_s": 1.0},
        supervision={"backoff_base_s": 0.05, "backoff_cap_s": 0.5},
        venue={
            "kind": "polymarket",
            "paper": False,
            "private_key_path": str(operator.key_path),
            "api_credentials_path": str(operator.credentials_path),
            "url": server.url,
            "gamma_url": f"{server.url}/gamma",
            "market_ws_url": server.polymarket_market_ws_url,
            "events": [event.event_ticker.lower() for event in FAST_BASKETS.events],
        },
    )


def _run(db: Path, config: Path) -> Process:
    return Process(
        ["run", "--db", str(db), "--config", str(config), "--control-port", "0"],
        name="warden run",
    )


def _venue_trades(venue: VenueThread) -> Counter[tuple[str, Decimal]]:
    """The trader's side of every trade at the venue: (trade id, shares)."""
    server = venue.server
    assert server is not None

    def read() -> Counter[tuple[str, Decimal]]:
        trades = polymarket_dialect(server.sim).trader_trades()
        return Counter(
            (trade.trade_id, (trade.taker if taker else trade.maker).count)
            for trade, taker in trades
        )

    return venue.run(read)


# its waits allow up to 120 + 120 + 90 s, beyond the suite's 120 s default
@pytest.mark.timeout(TRADED_WITHIN_S + READY_WITHIN_S + STOP_WITHIN_S + 60)
def test_a_live_polymarket_daemon_trades_a_basket_and_a_killed_one_reconciles(
    tmp_path: Path, operator: Operator, venue: VenueThread
) -> None:
    db = tmp_path / "warden.db"
    config = _config(tmp_path, operator, venue)
    first = _run(db, config)
    try:
        basket = eventually(
            lambda: _traded_basket(db), timeout=TRADED_WITHIN_S, what="a traded basket"
        )
    finally:
        first.close()  # SIGKILL, whatever was in flight

    second = _run(db, config)
    ready_then_stopped(second, tmp_path / "run", "the restarted daemon ready (reconciled)")

    reservations, fills = _reservations(db), _fills(db)
    assert basket.reservation_id in {r.reservation_id for r in reservations}
    assert all(r.state is ReservationState.RELEASED for r in reservations)
    # Every trade of ours at the venue is in the ledger, and nothing else: a taker
    # fill is named by its trade id, a maker fill by "trade id:order id".
    ledger = Counter((f.fill_id.split(":")[0], f.count) for f in fills)
    assert ledger == _venue_trades(venue)
    assert_every_reservation_settled(reservations, fills)
    for output in (first.output, second.output):
        assert operator.wallet.key.hex()[2:34] not in output
        assert operator.secret not in output
        assert operator.passphrase not in output
        assert "POLY_SIGNATURE" not in output
