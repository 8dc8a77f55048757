"""``[feed] process = true`` end to end: ``warden run`` (``--chaos`` too: its offset
clock's monotonic time is the machine's) trades with its feed in worker processes,
and no worker outlives the daemon."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from actors.venues.kalshi import KalshiMarketData
from tests.supervision.conftest import eventually
from tests.warden.daemon_harness import REST, start_daemon, venue_get, venue_sim
from tests.warden.daemon_harness import write_config as write
from warden.chaos._rig import feed_worker_pids, process_running
from warden.config import parse_config
from warden.venue_target import PRIVATE_KEY_ENV, KalshiSignerFactory
from warden.wiring import FeedRecipe, VenueUrls, feed_factory

pytestmark = pytest.mark.slow

FAST_MARKET = ("--seed", "7", "--markets", "3", "--tick", "0.1", "--arb-rate", "0.05")


def _config(tmp_path: Path, workers: int = 1) -> Path:
    return write(
        tmp_path / "warden.toml",
        daemon={"status_interval_s": 1.0},
        feed={"process": True, "workers": workers},
        risk={"max_market_exposure": "20.00", "max_total_exposure": "30.00"},
        supervision={"backoff_base_s": 0.05, "backoff_cap_s": 0.5},
    )


@pytest.mark.parametrize(("workers", "chaos"), [(1, False), (2, False), (2, True)])
def test_a_daemon_trades_with_its_feed_workers_that_die_with_it(
    tmp_path: Path, workers: int, chaos: bool
) -> None:
    extra = ("--chaos",) if chaos else ()
    with venue_sim(*FAST_MARKET) as (_venue, base):
        daemon = start_daemon(base, tmp_path / "warden.db", _config(tmp_path, workers), *extra)
        try:

            def all_started() -> list[int]:
                found = feed_worker_pids(daemon.popen.pid)
                return found if len(found) == workers else []

            pids = eventually(all_started, timeout=60, what=f"{workers} feed worker(s)")
            eventually(
                lambda: venue_get(base, f"{REST}/portfolio/fills?limit=10")["fills"],
                timeout=90,
                what="a fill: books crossed from a worker to the strategy",
            )
            assert any("feed: connection 1 up" in line for line in daemon.lines), daemon.output
            if workers > 1:
                assert any("(worker 1 of 2)" in line for line in daemon.lines), daemon.output
        finally:
            daemon.close()  # SIGKILL: each worker is left to notice its pipe closed
        for pid in pids:
            eventually(
                lambda pid=pid: not process_running(pid), timeout=30, what=f"worker {pid} exits"
            )


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_the_feed_recipe_carries_where_the_key_is_never_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem = _pem()
    monkeypatch.setenv(PRIVATE_KEY_ENV, pem)
    source = KalshiSignerFactory("key-id-1", "")
    config = parse_config({"feed": {"process": True}})
    urls = VenueUrls.from_base("http://127.0.0.1:9", signer=source())
    with pytest.raises(ValueError, match="no source"):
        feed_factory(config, urls)  # a key loaded from nowhere the worker could load it

    urls = VenueUrls.of(urls.rest, urls.ws, signer=source(), tier=None, signer_source=source)
    actor = feed_factory(config, urls)()
    recipe = actor.recipe  # type: ignore[attr-defined]
    assert isinstance(recipe, FeedRecipe)
    sent = pickle.dumps(recipe)
    body = "".join(pem.splitlines()[1:-1])
    assert body[:64].encode() not in sent
    assert pem.encode() not in sent
    rebuilt = pickle.loads(sent)()  # noqa: S301 - as the worker does, from its own environment
    assert isinstance(rebuilt.market_data, KalshiMarketData)
    headers = dict(rebuilt.market_data.handshake_headers())
    assert headers["KALSHI-ACCESS-KEY"] == "key-id-1"
    assert body[:64] not in repr(recipe) + repr(rebuilt)


def test_a_signer_factory_reading_a_given_environment_is_not_sent() -> None:
    factory = KalshiSignerFactory("key-id-1", "", environ={PRIVATE_KEY_ENV: _pem()})
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(factory)
