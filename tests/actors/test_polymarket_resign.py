"""``order_version_mismatch``: the client re-reads the exchange version and re-signs the
same order, journalled under its new digest before it is sent; never two orders for
one leg.

The venue is a loopback stand-in (hypercorn on 127.0.0.1, in the test's trio loop)
that runs exchange version 3: it checks each posted order's EIP-712 signature in
its own version's domain, answers ``order_version_mismatch`` to an order signed for
another version (as the CLOB does: /work/shared/venues/polymarket.md §2-§3), and
names an accepted order by the digest it computes itself.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve

from actors.errors import InvalidOrder, VenueTimeout
from actors.venues import Deadlines
from actors.venues.polymarket._client import PolymarketClient, PolymarketTrading
from actors.venues.polymarket._journal import OrderJournal
from actors.venues.polymarket._signing import (
    SignedOrder,
    order_digest,
    order_from_json,
    recover_order_signer,
    sign_order,
)
from tests.actors.test_polymarket_client import (
    CID,
    MARKET,
    NOW,
    YES,
    Settings,
    account,
    intent,
)

MISMATCH = {"error": "order_version_mismatch"}


class StandIn:
    """The CLOB's order surface at exchange ``version``: ``POST /order``, ``GET
    /version``, ``GET /data/order/{id}`` (live orders only), ``GET /data/trades``
    (none). ``hang`` holds the answer to an accepted order until the test ends (the
    order is live all the same: a submit whose answer is lost)."""

    def __init__(self, version: int, *, hang: bool = False) -> None:
        self.version = version
        self.hang = hang
        self.release = trio.Event()
        self.posted: list[dict[str, Any]] = []  # each POST /order's "order" object
        self.live: dict[str, dict[str, Any]] = {}  # digest -> the order object
        self.requests: list[str] = []  # "METHOD path", in order

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method, path = scope["method"], scope["path"]
        self.requests.append(f"{method} {path}")
        status, answer = await self._answer(method, path, body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})

    async def _answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        if (method, path) == ("GET", "/version"):
            return 200, {"version": self.version}
        if (method, path) == ("GET", "/data/trades"):
            return 200, {"data": [], "next_cursor": "LTE="}
        if method == "GET" and path.startswith("/data/order/"):
            digest = path.removeprefix("/data/order/")
            return 200, self._open_order(digest) if digest in self.live else {}
        if (method, path) == ("POST", "/order"):
            return await self._post(json.loads(body)["order"])
        return 404, {"error": f"no route {method} {path}"}

    async def _post(self, wire: dict[str, Any]) -> tuple[int, Any]:
        self.posted.append(wire)
        order = order_from_json(wire)
        signed = SignedOrder(order, wire["signature"], "", neg_risk=MARKET.neg_risk)
        signer = recover_order_signer(signed, neg_risk=MARKET.neg_risk, version=self.version)
        if signer != order.signer:
            return 400, MISMATCH  # signed in another exchange version's domain
        digest = order_digest(order, neg_risk=MARKET.neg_risk, version=self.version)
        if digest in self.live:
            return 400, {"error": "duplicate order"}
        self.live[digest] = wire
        if self.hang:
            await self.release.wait()
        return 200, {"success": True, "errorMsg": "", "orderID": digest, "status": "live"}

    def _open_order(self, digest: str) -> dict[str, Any]:
        wire = self.live[digest]
        return {
            "id": digest,
            "status": "LIVE",
            "market": CID,
            "asset_id": wire["tokenId"],
            "side": wire["side"],
            "original_size": "100",
            "size_matched": "0",
            "price": "0.5",
            "outcome": "Yes",
        }


@asynccontextmanager
async def serving(app: StandIn) -> AsyncIterator[str]:
    """``app`` on an ephemeral loopback port; its base URL."""
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    config.errorlog = logging.getLogger("tests.polymarket_resign")
    config.graceful_timeout = 0.5
    stop = trio.Event()
    asgi: Any = app  # an ASGI 3 app; hypercorn's type names its own scope classes
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(
            lambda task_status: serve(
                asgi, config, shutdown_trigger=stop.wait, task_status=task_status
            )
        )
        try:
            yield binds[0]
        finally:
            app.release.set()
            stop.set()


def client_at(url: str, tmp_path: Path, *, submit: float = 5.0) -> PolymarketClient:
    trading = PolymarketTrading({CID: MARKET}, account(tmp_path), clock=lambda: NOW)
    settings = Settings(rest_url=url, deadlines=Deadlines(submit=submit, query=5.0, cancel=5.0))
    return trading.open_client(settings)


def _signed_part(wire: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in wire.items() if k != "signature"}


async def test_a_mismatch_re_signs_the_same_order_for_the_new_version_and_sends_it_once(
    tmp_path: Path,
) -> None:
    venue = StandIn(version=3)
    async with serving(venue) as url, client_at(url, tmp_path) as client:
        order = await client.create_order(intent())
        entry = client.journal.get("leg-1")
        again = await client.create_order(intent("leg-2"))

    assert entry is not None
    v2, v3 = venue.posted[:2]
    first_digest = order_digest(order_from_json(v2), neg_risk=MARKET.neg_risk)  # version 2
    assert _signed_part(v2) == _signed_part(v3)  # the same order: salt, amounts, timestamp
    assert v2["signature"] != v3["signature"]
    assert (entry.version, entry.acknowledged) == (3, True)
    assert order.order_id == entry.digest != first_digest
    assert list(venue.live) == [entry.digest, again.order_id]  # one order per leg
    # the old digest was looked up before the new one was sent, and the version read once
    leg_1 = venue.requests[: venue.requests.index("POST /order", 1) + 1]
    assert leg_1 == [
        "POST /order",
        "GET /version",
        f"GET /data/order/{first_digest}",
        "GET /data/trades",
        "POST /order",
    ]
    # the client remembers the version: the next leg is signed for it at once
    assert venue.requests[len(leg_1) :] == ["POST /order"]


async def test_a_re_signed_order_whose_answer_is_lost_is_found_by_its_new_digest(
    tmp_path: Path,
) -> None:
    venue = StandIn(version=3, hang=True)
    async with serving(venue) as url:
        async with client_at(url, tmp_path, submit=1.0) as client:
            with pytest.raises(VenueTimeout):
                await client.create_order(intent())
            entry = client.journal.get("leg-1")
            assert entry is not None
            found = await client.find_order("leg-1")
        assert entry.version == 3
        assert found is not None
        assert (found.order_id, found.client_order_id) == (entry.digest, "leg-1")
        assert list(venue.live) == [entry.digest]

        async with client_at(url, tmp_path) as restarted:  # a restart retries the leg
            retried = await restarted.create_order(intent())
        assert retried.order_id == entry.digest

    assert len(venue.posted) == 3  # v2 (mismatch), v3 (answer lost), v3 again (duplicate)
    assert venue.posted[1] == venue.posted[2]  # the same signed order, not a third one
    assert list(venue.live) == [entry.digest]


async def test_a_second_mismatch_after_re_signing_is_refused_not_looped(tmp_path: Path) -> None:
    class AlwaysMismatch(StandIn):
        async def _post(self, wire: dict[str, Any]) -> tuple[int, Any]:
            self.posted.append(wire)
            return 400, MISMATCH

    venue = AlwaysMismatch(version=3)
    async with serving(venue) as url, client_at(url, tmp_path) as client:
        with pytest.raises(InvalidOrder, match="again after re-signing for exchange version 3"):
            await client.create_order(intent())
        entry = client.journal.get("leg-1")
    assert entry is not None
    assert (entry.version, entry.acknowledged) == (3, False)
    assert len(venue.posted) == 2
    assert venue.requests.count("GET /version") == 1


def test_an_order_signed_for_version_2_does_not_verify_in_version_3s_domain() -> None:
    """What makes the stand-in answer a mismatch: version 3's domain (its version and
    contract) gives the same order another digest, and a version-2 signature recovers
    another address in it."""
    wallet = account(Path("unused")).wallet
    order = order_from_json(
        {
            "salt": 1,
            "maker": wallet.address,
            "signer": wallet.address,
            "tokenId": YES,
            "makerAmount": "50000000",
            "takerAmount": "100000000",
            "side": "BUY",
            "signatureType": 0,
            "timestamp": str(int(NOW * 1000)),
            "metadata": "0x" + "00" * 32,
            "builder": "0x" + "00" * 32,
            "expiration": "0",
        }
    )
    v2 = sign_order(order, wallet, neg_risk=False)
    v3 = sign_order(order, wallet, neg_risk=False, version=3)
    assert v2.digest == order_digest(order, neg_risk=False) != v3.digest
    assert recover_order_signer(v3, neg_risk=False, version=3) == wallet.address
    assert recover_order_signer(v2, neg_risk=False, version=3) != wallet.address


def test_a_journal_written_before_versions_were_recorded_reads_its_orders_as_version_2(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as old:  # the schema before the version column
        old.execute(
            "CREATE TABLE signed_orders (client_order_id TEXT PRIMARY KEY, digest TEXT NOT NULL"
            " UNIQUE, ticker TEXT NOT NULL, token_id TEXT NOT NULL, side TEXT NOT NULL,"
            " action TEXT NOT NULL, price TEXT NOT NULL, count TEXT NOT NULL, order_type TEXT"
            " NOT NULL, signed_order TEXT NOT NULL, acknowledged INTEGER NOT NULL DEFAULT 0)"
            " STRICT"
        )
        old.execute(
            "INSERT INTO signed_orders VALUES"
            " ('leg-1', '0xaa', ?, ?, 'yes', 'buy', '0.5', '100', 'FAK', '{}', 0)",
            (CID, YES),
        )
    old.close()
    journal = OrderJournal(path)
    try:
        entry = journal.get("leg-1")
        assert entry is not None
        assert (entry.digest, entry.version) == ("0xaa", 2)
        journal.replace(attrs.evolve(entry, digest="0xbb", version=3))
        assert journal.get("leg-1") == attrs.evolve(entry, digest="0xbb", version=3)
        assert journal.by_digest("0xaa") is None
    finally:
        journal.close()
