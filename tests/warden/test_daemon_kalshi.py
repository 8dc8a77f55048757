"""End to end: ``warden run`` with ``[venue] kind = "kalshi"``, signed, on loopback.

The simulated venue speaks Kalshi's wire and checks every request's RSA-PSS
signature against the public key it is given (a missing or bad signature is a
401, REST and websocket). A real daemon subprocess configured as an operator
would configure Kalshi (key id, an owner-only PEM file, the events it trades,
``venue.url`` pointing at the simulator instead of Kalshi's environment) must
find and trade a basket, survive a SIGKILL and reconcile on restart from the
venue's paged orders and fills, with the ledger equal to the venue's truth and
no key material in anything it printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from actors.messages import ReservationState
from tests.actors.feed_harness import VenueThread
from tests.supervision.conftest import eventually
from tests.warden.daemon_harness import Process, write_config
from tests.warden.test_daemon_baskets import (
    FAST_BASKETS,
    READY_WITHIN_S,
    STOP_WITHIN_S,
    TRADED_WITHIN_S,
    _fills,
    _keys,
    _reservations,
    _traded_basket,
    _venue_fills,
    assert_every_reservation_settled,
    ready_then_stopped,
)

pytestmark = pytest.mark.slow

KEY_ID = "5b7f0b8e-3f3c-4f7a-9d77-0e6a2f1c9a11"


@attrs.frozen
class Keys:
    private_path: Path
    private_pem: str
    public_pem: str


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    """A fresh RSA key: the private half in an owner-only PEM file, as Kalshi's docs
    tell an operator to keep it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    path = tmp_path / "kalshi.pem"
    path.write_text(private_pem)
    path.chmod(0o600)
    return Keys(path, private_pem, public_pem)


@pytest.fixture
def signed_venue(keys: Keys) -> Iterator[str]:
    """The fast-basket venue, refusing anything not signed by ``keys``; its base URL."""
    config = attrs.evolve(FAST_BASKETS, kalshi_public_keys={KEY_ID: keys.public_pem})
    venue = VenueThread(config).start()
    try:
        assert venue.server is not None
        yield venue.server.url
    finally:
        venue.stop()


def _kalshi_config(tmp_path: Path, keys: Keys, base: str) -> Path:
    events = [event.event_ticker for event in FAST_BASKETS.events]
    return write_config(
        tmp_path / "warden.toml",
        daemon={"runtime_dir": str(tmp_path / "run"), "status_interval_s": 1.0},
        supervision={"backoff_base_s": 0.05, "backoff_cap_s": 0.5},
        venue={
            "kind": "kalshi",
            "key_id": KEY_ID,
            "private_key_path": str(keys.private_path),
            "url": base,
            "events": events,
        },
    )


def _run(db: Path, config: Path) -> Process:
    return Process(
        ["run", "--db", str(db), "--config", str(config), "--control-port", "0"],
        name="warden run",
    )


def _pem_body(pem: str) -> str:
    """The base64 body of a PEM (the part a leak would show)."""
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


def test_the_venue_refuses_what_is_not_signed(signed_venue: str) -> None:
    unsigned = httpx.get(f"{signed_venue}/trade-api/v2/portfolio/balance", timeout=10)
    assert unsigned.status_code == 401
    assert unsigned.json()["code"] == "unauthorized"


# its waits allow up to 120 + 120 + 90 s, beyond the suite's 120 s default
@pytest.mark.timeout(TRADED_WITHIN_S + READY_WITHIN_S + STOP_WITHIN_S + 60)
def test_a_kalshi_daemon_trades_signed_and_a_killed_one_reconciles_from_the_venue(
    tmp_path: Path, keys: Keys, signed_venue: str
) -> None:
    db = tmp_path / "warden.db"
    config = _kalshi_config(tmp_path, keys, signed_venue)
    first = _run(db, config)
    try:
        basket = eventually(
            lambda: _traded_basket(db), timeout=TRADED_WITHIN_S, what="a traded basket"
        )
    finally:
        first.close()  # SIGKILL, whatever was in flight
    assert "warden: Kalshi" in first.output, first.output

    second = _run(db, config)
    ready_then_stopped(second, tmp_path / "run", "the restarted daemon ready (reconciled)")

    reservations, fills = _reservations(db), _fills(db)
    assert basket.reservation_id in {r.reservation_id for r in reservations}
    assert all(r.state is ReservationState.RELEASED for r in reservations)
    assert _keys(fills) == _venue_fills(signed_venue)  # every fill, and only those
    assert_every_reservation_settled(reservations, fills)
    for output in (first.output, second.output):
        assert _pem_body(keys.private_pem)[:64] not in output
        assert "KALSHI-ACCESS-SIGNATURE" not in output
        assert "PRIVATE KEY" not in output
