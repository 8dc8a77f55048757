"""``warden chaos run --venue polymarket``: the run's secrets, its config, and the venue's
evidence named as the daemon names it (so the checkers compare like with like)."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import trio

from actors.domain import Event, Side
from actors.venues.polymarket._keys import load_api_credentials, load_wallet_key
from actors.venues.polymarket._wire import TokenSide, trade_fills
from tests.warden.venue.polymarket_sim import best_ask, best_bid, polymarket_sim
from warden.chaos import (
    EXIT_HARNESS,
    EXIT_HELD,
    build_report,
    plan,
    run,
    select_faults,
    write_report,
)
from warden.chaos._checkers import ledger_fills_equal_venue
from warden.chaos._exposure import exposure_within_limits
from warden.chaos._history import Evidence, fetch_truth
from warden.chaos._ledger import LedgerFill, LedgerRows
from warden.chaos._polymarket import (
    FEED,
    PolymarketAccess,
    in_daemon_names,
    read_order_journal,
    truth_entry_at,
)
from warden.chaos._runner import _write_config
from warden.cli_chaos import _venue_of
from warden.config import load_config
from warden.venue import condition_id
from warden.venue._engine import COMPETITOR
from warden.venue._model import OrderRequest, TimeInForce
from warden.venue._polymarket_state import trade_id_of

DIGEST = "0x" + "ab" * 32
OTHER_DIGEST = "0x" + "cd" * 32


def test_the_run_keeps_its_secrets_owner_only_and_the_daemon_config_loads(
    tmp_path: Path,
) -> None:
    access = PolymarketAccess.create(tmp_path, seed=11)
    for path in (access.key_path, access.credentials_path, access.account_path):
        assert path.stat().st_mode & 0o777 == 0o600, path
    wallet = load_wallet_key(access.key_path)
    credentials = load_api_credentials(access.credentials_path)
    account = json.loads(access.account_path.read_text())
    assert account["address"] == wallet.address == access.address
    assert (account["apiKey"], account["secret"], account["passphrase"]) == (
        credentials.api_key,
        credentials.secret,
        credentials.passphrase,
    )
    # the realistic venue's events, by the slugs its Gamma serves
    assert access.events == ("simev-01", "simev-02", "simev-03")
    assert access.venue_args() == [
        "--polymarket-account",
        str(access.account_path),
        "--polymarket-fee-rate",
        "0.04",
    ]
    url = "http://127.0.0.1:8700"
    sections = _write_config(
        tmp_path / "warden.toml", tmp_path / "run", access.venue_section(url), FEED
    )
    assert sections["feed"]["ping_interval_s"] == 1.0
    config = load_config(tmp_path / "warden.toml")
    venue = config.venue
    assert (venue.kind, venue.paper, tuple(venue.events)) == ("polymarket", False, access.events)
    assert (venue.url, venue.gamma_url, venue.market_ws_url) == (
        url,
        f"{url}/gamma",
        "ws://127.0.0.1:8700/ws/market",
    )
    assert venue.private_key_path == str(access.key_path)
    assert venue.api_credentials_path == str(access.credentials_path)


def _journal(path: Path, rows: dict[str, str]) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE signed_orders (client_order_id TEXT, digest TEXT)")
    db.executemany("INSERT INTO signed_orders VALUES (?, ?)", [(c, d) for d, c in rows.items()])
    db.commit()
    db.close()


def test_the_order_journal_is_read_by_digest_and_absent_is_empty(tmp_path: Path) -> None:
    assert read_order_journal(tmp_path / "none.db") == {}
    _journal(tmp_path / "j.db", {DIGEST.upper().replace("0X", "0x"): "w1"})
    assert read_order_journal(tmp_path / "j.db") == {DIGEST: "w1"}


def _entry(seq: int, kind: str, **record: Any) -> dict[str, Any]:
    return {"seq": seq, "ts": 1000.0 + seq, "kind": kind, "account": "trader", "record": record}


def _fill(seq: int, trade_id: str, order_id: str, client_order_id: str, *, taker: bool) -> Any:
    return _entry(
        seq,
        "fill",
        trade_id=trade_id,
        order_id=order_id,
        client_order_id=client_order_id,
        ticker="SIMEV-01-A",
        side="yes",
        action="buy",
        is_taker=taker,
        count_fp="5.00",
        yes_price_dollars="0.4000",
        no_price_dollars="0.6000",
        fee_cost="0.04800",
    )


def test_the_venue_evidence_is_named_by_condition_id_digest_journal_id_and_trade_id() -> None:
    truth = [
        _entry(3, "order_accepted", order_id="e1", client_order_id=DIGEST, ticker="SIMEV-01-A"),
        _fill(4, "t00000007", "e1", DIGEST, taker=True),
        _entry(
            9, "order_accepted", order_id="e2", client_order_id=OTHER_DIGEST, ticker="SIMEV-01-A"
        ),
        _fill(12, "t00000011", "e2", OTHER_DIGEST, taker=False),
        _entry(
            13, "order_canceled", order_id="e2", client_order_id=OTHER_DIGEST, ticker="SIMEV-01-A"
        ),
        _entry(14, "order_accepted", order_id="e3", client_order_id=None, ticker="SIMEV-01-B"),
    ]
    whole_log = {11: _fill(11, "t00000010", "m9", "", taker=True) | {"account": "competitor"}}
    final = {"positions": {"SIMEV-01-A": "10.00"}, "resting": [], "balance_dollars": "1.00"}
    events = (Event("SIMEV-01", ("SIMEV-01-A", "SIMEV-01-B"), True),)
    named, named_final, named_events = in_daemon_names(
        truth, final, events, {DIGEST: "w-leg-1"}, whole_log.__getitem__
    )
    market_a = condition_id("SIMEV-01-A")
    records = [entry["record"] for entry in named]
    assert [r["ticker"] for r in records] == [market_a] * 5 + [condition_id("SIMEV-01-B")]
    assert records[0]["sim_ticker"] == "SIMEV-01-A"
    # orders: the digest is the order id; the journal names the client order id, an
    # order not signed here is named as the adapter names it, one with no digest by none
    assert [r["order_id"] for r in records] == [DIGEST] * 2 + [OTHER_DIGEST] * 3 + ["e3"]
    assert [r["client_order_id"] for r in records] == [
        "w-leg-1",
        "w-leg-1",
        f"venue-{OTHER_DIGEST}",
        f"venue-{OTHER_DIGEST}",
        f"venue-{OTHER_DIGEST}",
        "",
    ]
    # fills: a taker fill is its trade; a maker fill is its trade (from the taker fill
    # just before it in the whole log) and its order, as the adapter names it
    assert records[1]["trade_id"] == trade_id_of("t00000007")
    assert records[3]["trade_id"] == f"{trade_id_of('t00000010')}:{OTHER_DIGEST}"
    assert (records[1]["engine_trade_id"], records[1]["engine_order_id"]) == ("t00000007", "e1")
    assert named_final["positions"] == {market_a: "10.00"}
    assert named_final["balance_dollars"] == "1.00"
    assert named_events == (Event("simev-01", (market_a, condition_id("SIMEV-01-B")), True),)
    assert truth[1]["record"]["trade_id"] == "t00000007"  # the input is not changed


def test_a_maker_fill_not_preceded_by_its_taker_fill_cannot_be_named() -> None:
    truth = [
        _entry(1, "order_accepted", order_id="e2", client_order_id=DIGEST, ticker="SIMEV-01-A"),
        _fill(3, "t00000011", "e2", DIGEST, taker=False),
    ]
    not_a_fill = {2: _entry(2, "order_accepted", order_id="m", ticker="SIMEV-01-A")}
    with pytest.raises(ValueError, match="not preceded by its taker fill"):
        in_daemon_names(truth, {"positions": {}, "resting": []}, (), {}, not_a_fill.__getitem__)


async def test_the_venue_truth_named_as_the_daemon_equals_the_fills_the_adapter_reads() -> None:
    """Through the real venue: a taker fill and a maker fill of the trader's signed
    orders, read from ``/sim/truth`` and named, are exactly the fills the adapter's
    reader makes of ``GET /data/trades`` (ids, client ids, markets, sides, prices,
    counts, fees), so invariant 4 holds on them; a fill lost from the ledger is a
    witness."""
    async with polymarket_sim() as sim:
        market = sim.pm.catalog.by_ticker["SIM-001"]
        book = (await sim.http.get("/book", params={"token_id": market.yes_token})).json()
        taker = sim.order("SIM-001", "BUY", str(best_ask(book)), "5")
        assert (await sim.post_order(taker, "FAK")).json()["takingAmount"] == "5"
        bid = best_bid(book)
        maker = sim.order("SIM-001", "BUY", str(bid), "3")  # rests behind the bids at bid
        assert (await sim.post_order(maker, "GTC")).json()["status"] == "live"
        engine = sim.venue.sim.engine
        depth = sum(
            (Decimal(level["size"]) for level in book["bids"] if Decimal(level["price"]) >= bid),
            Decimal(0),
        )
        sweep = OrderRequest(
            "SIM-001", "no", "buy", depth + 3, 1 - bid, TimeInForce.IMMEDIATE_OR_CANCEL
        )
        engine.place(COMPETITOR, sweep)
        trades = (await sim.signed("GET", "/data/trades")).json()["data"]
        assert {t["trader_side"] for t in trades} == {"TAKER", "MAKER"}
        journal = {taker.digest: "w-taker", maker.digest: "w-maker"}
        cid = condition_id("SIM-001")
        tokens = {
            market.yes_token: TokenSide(cid, Side.YES),
            market.no_token: TokenSide(cid, Side.NO),
        }
        adapter = [
            fill.fill
            for trade in trades
            for fill in trade_fills(
                trade,
                tokens,
                ours=lambda order_id, _entry: order_id in journal,
                client_order_id=journal.get,
            )
        ]
        url = sim.venue.url
        truth = await trio.to_thread.run_sync(lambda: fetch_truth(url))
        with pytest.raises(LookupError, match="no entry 100000"):
            await trio.to_thread.run_sync(lambda: truth_entry_at(url, 100_000))
        named, _final, _events = await trio.to_thread.run_sync(
            lambda: in_daemon_names(
                truth,
                {"positions": {}, "resting": []},
                None,
                journal,
                lambda seq: truth_entry_at(url, seq),
            )
        )
    ledger_fills = tuple(
        LedgerFill(
            fill_id=fill.fill_id,
            client_order_id=fill.client_order_id,
            ticker=fill.ticker,
            side=fill.side.value,
            action=fill.action.value,
            price=fill.price,
            count=fill.count,
            fee=fill.fee,
            recorded_at=0.0,
        )
        for fill in adapter
    )
    assert sorted(f.client_order_id for f in ledger_fills) == ["w-maker", "w-taker"]
    ledger = LedgerRows(fills=ledger_fills)
    evidence = Evidence(tuple(named), (), None, ledger, {})
    held = ledger_fills_equal_venue(evidence)
    assert (held.status, held.counts) == ("held", {"venue_fills": 2, "ledger_fills": 2})
    lost = Evidence(tuple(named), (), None, LedgerRows(fills=ledger_fills[:1]), {})
    witnessed = ledger_fills_equal_venue(lost)
    assert witnessed.status == "violated"
    missing = [w["missing_in_ledger"] for w in witnessed.witnesses]
    assert [m["fill_id"] for m in missing if isinstance(m, dict)] == [ledger_fills[1].fill_id]
    assert len(missing) == 1


def test_exposure_prices_open_buys_with_the_fee_the_venue_charged() -> None:
    """100 YES at 0.50 resting: with Polymarket's fee at 4% its worst case is $51.00,
    exactly the market limit; Kalshi's 7% (the default when the config names no
    Polymarket rate) would make it $51.75, over it."""
    order = _entry(
        1,
        "order_accepted",
        order_id="e1",
        client_order_id="w1",
        ticker="M",
        side="yes",
        action="buy",
        yes_price_dollars="0.5000",
        no_price_dollars="0.5000",
        initial_count_fp="100.00",
    )
    config: dict[str, object] = {
        "max_market_exposure": "51.00",
        "max_event_exposure": "100.00",
        "max_total_exposure": "200.00",
    }
    kalshi = Evidence((order,), (), None, None, {}, config, venue_events=())
    rated = {**config, "polymarket_taker_rate": "0.04"}
    polymarket = Evidence((order,), (), None, None, {}, rated, venue_events=())
    assert exposure_within_limits(kalshi).status == "violated"
    result = exposure_within_limits(polymarket)
    assert (result.status, result.counts["peak_market"]) == ("held", Decimal("51.00"))


@pytest.mark.slow
def test_a_short_run_as_a_polymarket_operator_violates_nothing_and_leaks_no_secret(
    tmp_path: Path,
) -> None:
    """``--venue polymarket``: the daemon trades live (``paper = false``) through the
    venue's Polymarket dialect with a wallet and API credentials of the run's own; the
    venue refuses any order that wallet did not sign and any call without their L2
    HMAC. Whether the venue misprices an event within 30 s is chance, so this run
    asserts what is certain: no invariant violated or failed to read, the daemon
    reconciled (its signed calls were answered), the secrets owner-only and in no
    log or report. That live trading holds every invariant under every fault is the
    10-minute run's (docs/chaos.md)."""
    report_dir = tmp_path / "report"
    spec = "venue,actor.restart,process.sigkill"
    schedule = plan(5, 30.0, "medium", select_faults(spec), faults_spec=spec)
    outcome = run(schedule, report_dir, chaos_routes=False, venue_kind="polymarket")
    report = build_report(outcome, report_dir)
    write_report(report, report_dir)

    summary = (report_dir / "summary.txt").read_text()
    written = json.loads((report_dir / "report.json").read_text())
    statuses = {r["name"]: r["status"] for r in written["invariants"]}
    assert "violated" not in statuses.values(), summary
    assert not [r for r in written["invariants"] if "checker failed" in (r["detail"] or "")]
    assert outcome.exit_code == EXIT_HELD or (
        outcome.exit_code == EXIT_HARNESS and outcome.error.startswith("not decided (no evidence)")
    ), summary
    config = (report_dir / "warden.toml").read_text()
    assert 'kind = "polymarket"' in config
    assert "paper = false" in config
    log = (report_dir / "daemon.log").read_text()
    assert "Polymarket LIVE" in log
    assert "reconciled: trading allowed" in log  # L2-signed REST calls answered
    secrets = [
        (report_dir / "polymarket-wallet.key").read_text().strip(),
        *(
            json.loads((report_dir / "polymarket-clob.json").read_text())[key]
            for key in ("secret", "passphrase")
        ),
    ]
    for name in ("polymarket-wallet.key", "polymarket-clob.json", "polymarket-account.json"):
        assert (report_dir / name).stat().st_mode & 0o077 == 0, name
    for name in ("daemon.log", "venue.log", "harness.jsonl", "report.json", "summary.txt"):
        text = (report_dir / name).read_text()
        assert not [s for s in secrets if s in text or s.removeprefix("0x") in text], name
    # every order the venue accepted is one the daemon signed and journaled
    for line in (report_dir / "venue-truth.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if entry["kind"] == "order_accepted":
            assert entry["record"]["order_id"].startswith("0x"), entry
            assert not entry["record"]["client_order_id"].startswith("venue-"), entry


def test_a_replay_runs_on_the_venue_its_report_ran_on(tmp_path: Path) -> None:
    setup = {"t": 1.0, "kind": "phase", "name": "setup", "venue_kind": "polymarket"}
    (tmp_path / "harness.jsonl").write_text(json.dumps(setup) + "\n")
    assert _venue_of(tmp_path) == "polymarket"
    (tmp_path / "harness.jsonl").write_text(json.dumps({**setup, "venue_kind": "nasdaq"}) + "\n")
    assert _venue_of(tmp_path) == "sim"
    assert _venue_of(tmp_path / "missing") == "sim"
