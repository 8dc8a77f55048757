"""The chaos harness as a Polymarket operator: its own wallet, the truth in the daemon's names.

``warden chaos run --venue polymarket`` runs the daemon live (``[venue] kind =
"polymarket"``, ``paper = false``) against the simulated venue speaking
Polymarket's CLOB V2 (``warden venue-sim --polymarket-account``): every order is
EIP-712 signed by a wallet key generated for the run, every trading call carries
the L2 HMAC of API credentials generated for the run, and the venue refuses
anything else. The key, the credentials and the venue's account file are kept
owner-only (0600) in the run's directory, as docs/venues/polymarket.md tells an
operator to keep theirs. The venue charges Polymarket's taker-only fee
(:data:`FEE_RATE`), which the daemon reads from Gamma's ``feeSchedule``.

**Names.** The checkers read the venue's ground truth (``/sim/truth``, the
engine's records) and its final state (Kalshi's ``/trade-api/v2`` paths, served
unsigned beside the Polymarket dialect: same engine, same ``trader`` account),
and compare them with the ledger, which holds what the daemon saw through
Polymarket's dialect. :func:`in_daemon_names` restates the venue's evidence in
the ledger's terms, so like is compared with like:

- a market: its condition id (:func:`warden.venue.condition_id` of the sim
  ticker; the sim ticker stays as ``sim_ticker``);
- an order: its Polymarket id, the EIP-712 digest (the dialect gives it to the
  engine as the order's client order id, so the truth log names it), and its
  client order id the one the daemon's order journal (``polymarket-orders.db``,
  written before each order is sent) holds for that digest, or
  ``venue-<digest>`` as the adapter names an order it did not sign; the engine's
  id stays as ``engine_order_id``;
- a fill: the adapter's fill id, the Polymarket trade id (derived from the
  match's taker fill, :func:`warden.venue._polymarket_state.trade_id_of`) for a
  taker fill, ``<trade id>:<order digest>`` for a maker fill (its match's taker
  fill is the truth entry just before it: the engine appends them in that
  order); the engine's id stays as ``engine_trade_id``.

An order the engine holds without a digest (not placed through ``POST /order``)
keeps an empty client order id: the checkers then witness a venue order no
intent explains. A malformed record raises ``KeyError`` / ``TypeError`` /
``ValueError``; the caller reports the evidence unreadable.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx

from actors.domain import Event
from actors.venues.polymarket._eth import Account
from warden.venue import RealismConfig, VenueConfig, condition_id
from warden.venue._polymarket_state import trade_id_of

#: the venue's taker fee rate (Polymarket's fee: ``C x rate x p(1-p)``, makers pay none)
FEE_RATE = Decimal("0.04")
#: the order journal of the live Polymarket client, beside the ledger (warden.wiring)
JOURNAL_NAME = "polymarket-orders.db"
#: the daemon's ``[feed]`` beyond the harness's: Polymarket's market channel sends
#: nothing unasked, and the client's ``PING`` (answered ``PONG``) must come well within
#: the harness's 2 s ``silence_timeout_s`` on a quiet market
FEED = {"ping_interval_s": 1.0}

TruthEntry = dict[str, Any]  # open JSON, as :func:`warden.chaos._history.fetch_truth` gives
#: the truth entry numbered ``seq`` (the whole log, every account), for a maker fill's taker
EntryAt = Callable[[int], TruthEntry]


def _owner_only(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


@attrs.frozen
class PolymarketAccess:
    """The run's secrets (paths only: nothing secret is held here) and the events
    the daemon selects (the realistic venue's, by slug)."""

    key_path: Path
    credentials_path: Path
    account_path: Path
    address: str
    events: tuple[str, ...]

    @classmethod
    def create(cls, workdir: Path, seed: int) -> PolymarketAccess:
        """A fresh wallet key and API credentials in ``workdir`` (each file mode 0600),
        and the venue's account file naming them; the event slugs of the realistic
        venue ``warden venue-sim --realism --seed seed`` serves (its Gamma's slugs
        are the event tickers in lower case)."""
        key = "0x" + secrets.token_bytes(32).hex()
        address = Account.from_key(key).address
        api_key = f"chaos-{secrets.token_hex(8)}"
        secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        passphrase = secrets.token_hex(16)
        key_path = workdir / "polymarket-wallet.key"
        credentials_path = workdir / "polymarket-clob.json"
        account_path = workdir / "polymarket-account.json"
        _owner_only(key_path, key + "\n")
        _owner_only(
            credentials_path,
            json.dumps({"apiKey": api_key, "secret": secret, "passphrase": passphrase}) + "\n",
        )
        _owner_only(
            account_path,
            json.dumps(
                {"address": address, "apiKey": api_key, "secret": secret, "passphrase": passphrase}
            )
            + "\n",
        )
        layout = VenueConfig(seed=seed, realism=RealismConfig()).events
        events = tuple(event.event_ticker.lower() for event in layout)
        return cls(key_path, credentials_path, account_path, address, events)

    def venue_args(self) -> list[str]:
        """``warden venue-sim`` flags: this account, Polymarket's fee."""
        return [
            "--polymarket-account",
            str(self.account_path),
            "--polymarket-fee-rate",
            f"{FEE_RATE:f}",
        ]

    def venue_section(self, venue_url: str) -> dict[str, int | float | str | list[str]]:
        """The daemon's ``[venue]`` table, live against the venue at ``venue_url``."""
        ws = "ws" + venue_url.removeprefix("http")
        return {
            "kind": "polymarket",
            "paper": False,
            "private_key_path": str(self.key_path),
            "api_credentials_path": str(self.credentials_path),
            "url": venue_url,
            "gamma_url": f"{venue_url}/gamma",
            "market_ws_url": f"{ws}/ws/market",
            "events": list(self.events),
        }


def read_order_journal(path: Path) -> dict[str, str]:
    """Digest (lower case) -> client order id of every order the daemon signed, from
    its order journal, read-only; ``{}`` when there is none (nothing was signed).
    Raises ``sqlite3.Error`` for a journal that cannot be read."""
    if not path.exists():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT digest, client_order_id FROM signed_orders").fetchall()
    finally:
        db.close()
    return {str(digest).lower(): str(client_order_id) for digest, client_order_id in rows}


def truth_entry_at(venue_url: str, seq: int, *, timeout_s: float = 10.0) -> TruthEntry:
    """The truth entry numbered ``seq``, of whichever account (``/sim/truth`` numbers
    every entry from 1 without gaps). Raises ``httpx.HTTPError``, or ``LookupError``
    when the venue has no such entry."""
    with httpx.Client(base_url=venue_url, timeout=timeout_s, trust_env=False) as client:
        answer = client.get("/sim/truth", params={"after": seq - 1, "limit": 1})
        answer.raise_for_status()
        entries = answer.json()["entries"]
    if not entries or entries[0].get("seq") != seq:
        raise LookupError(f"/sim/truth has no entry {seq}")
    found: TruthEntry = entries[0]
    return found


def in_daemon_names(
    truth: list[TruthEntry],
    venue_final: Mapping[str, Any],
    events: tuple[Event, ...] | None,
    journal: Mapping[str, str],
    entry_at: EntryAt,
) -> tuple[list[TruthEntry], dict[str, Any], tuple[Event, ...] | None]:
    """The venue's truth, final state and events in the daemon's names (see the
    module docstring); the inputs are not changed."""
    digests: dict[str, str] = {}  # engine order id -> digest
    for entry in truth:
        record = entry["record"]
        if entry["kind"] == "order_accepted":
            digests[str(record["order_id"])] = str(record.get("client_order_id") or "")

    def client_id(digest: str) -> str:
        if not digest:
            return ""
        return journal.get(digest.lower(), f"venue-{digest}")

    renamed = []
    for entry in truth:
        record = dict(entry["record"])
        kind = entry["kind"]
        _rename_market(record)
        if kind in ("order_accepted", "order_canceled", "fill"):
            engine_id = str(record["order_id"])
            digest = digests.get(engine_id, "")
            record["engine_order_id"] = engine_id
            record["order_id"] = digest or engine_id
            record["client_order_id"] = client_id(digest)
        elif kind == "order_rejected" and record.get("client_order_id"):
            record["client_order_id"] = client_id(str(record["client_order_id"]))
        if kind == "fill":
            record["engine_trade_id"] = record["trade_id"]
            record["trade_id"] = _fill_id(entry, entry_at)
        renamed.append({**entry, "record": record})
    final = dict(venue_final)
    final["positions"] = {condition_id(t): p for t, p in venue_final["positions"].items()}
    resting = []
    for order in venue_final["resting"]:
        named = dict(order)
        _rename_market(named)
        if named.get("client_order_id"):
            named["client_order_id"] = client_id(str(named["client_order_id"]))
        resting.append(named)
    final["resting"] = resting
    named_events = None
    if events is not None:
        named_events = tuple(
            Event(
                event.event_ticker.lower(),
                tuple(condition_id(m) for m in event.markets),
                event.exclusive,
                payout=event.payout,
            )
            for event in events
        )
    return renamed, final, named_events


def _rename_market(record: dict[str, Any]) -> None:
    if "ticker" in record:
        record["sim_ticker"] = record["ticker"]
        record["ticker"] = condition_id(str(record["ticker"]))
    if "market_ticker" in record:
        record["market_ticker"] = condition_id(str(record["market_ticker"]))


def _fill_id(entry: TruthEntry, entry_at: EntryAt) -> str:
    """The adapter's id of the fill ``entry``, as the venue recorded it (see the
    module docstring)."""
    record = entry["record"]
    if record["is_taker"] is True:
        return trade_id_of(str(record["trade_id"]))
    if record["is_taker"] is not False:
        raise TypeError(f"truth entry {entry['seq']}: is_taker {record['is_taker']!r}")
    taker = entry_at(int(entry["seq"]) - 1)
    taker_record = taker["record"]
    if taker["kind"] != "fill" or taker_record.get("is_taker") is not True:
        raise ValueError(f"truth entry {entry['seq']}: a maker fill not preceded by its taker fill")
    return f"{trade_id_of(str(taker_record['trade_id']))}:{record['client_order_id']}"
