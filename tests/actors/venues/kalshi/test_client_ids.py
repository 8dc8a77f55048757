"""The Kalshi client remembers order id -> client order id in bounded memory, and a
listing of fills whose orders it forgot still names each fill's client order id."""

from __future__ import annotations

from actors.venues.kalshi import _client
from actors.venues.kalshi._client import ClientIds


def test_client_ids_keep_the_latest_one_to_two_generations(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(_client, "CLIENT_IDS_KEPT", 3)
    ids = ClientIds()
    for n in range(10):
        ids[f"o{n}"] = f"c{n}"
        assert len(ids) <= 6
    assert [f"o{n}" in ids for n in range(10)] == [False] * 6 + [True] * 4
    assert ids["o9"] == "c9"
    ids["o9"] = None  # rewriting one kept does not start a generation
    assert (ids["o9"], len(ids)) == (None, 4)
