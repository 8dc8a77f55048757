"""End to end: ``warden run`` paper-trading Polymarket, on a loopback stand-in.

``[venue] kind = "polymarket"``, ``paper = true``: no wallet, no key. The daemon
lists the configured event on "Gamma", follows the YES token of each market on
the "market channel", and fills its orders locally against the "CLOB"'s public
book (tests/warden/polymarket_replay.py serves all three on 127.0.0.1 in
Polymarket's shapes). The event is negative-risk (mutually exclusive) and its
YES asks sum to $0.90: basket arbitrage buys YES of every outcome, the paper
venue fills each leg from the book's real depth, and the ledger records the
paper fills. A second daemon (``--dry-run``: it sends nothing) on the same ledger and paper
account reconciles to exactly the same fills.
"""

from __future__ import annotations

import signal
from decimal import Decimal
from pathlib import Path

import pytest

from actors.domain import Action, Side
from actors.messages import Outcome, ReservationState
from tests.supervision.conftest import eventually
from tests.warden.daemon_harness import Process, write_config
from tests.warden.polymarket_replay import ReplayEvent, ReplayMarket, polymarket_replay
from tests.warden.test_daemon_baskets import (
    STOP_WITHIN_S,
    _fills,
    _reservations,
    _while_written,
    ready_then_stopped,
)

pytestmark = pytest.mark.slow

EVENT = ReplayEvent(
    "synthetic-three-way-race",
    tuple(
        ReplayMarket(
            condition_id=f"0x{n:064x}",
            yes_token=str(71_000_000_000_000_000_000 + 2 * n),
            no_token=str(71_000_000_000_000_000_000 + 2 * n + 1),
            yes_ask=Decimal("0.30"),
        )
        for n in range(1, 4)
    ),
)


def _config(tmp_path: Path, url: str, ws_url: str) -> Path:
    return write_config(
        tmp_path / "warden.toml",
        daemon={"runtime_dir": str(tmp_path / "run"), "status_interval_s": 1.0},
        supervision={"backoff_base_s": 0.05, "backoff_cap_s": 0.5},
        venue={
            "kind": "polymarket",
            "paper": True,
            "events": [EVENT.slug],
            "url": url,
            "gamma_url": url,
            "market_ws_url": ws_url,
            "paper_cash": "1000.00",
        },
        strategy={"use": ["basket_arbitrage"]},
    )


def _run(db: Path, config: Path, *extra: str) -> Process:
    return Process(
        ["run", "--db", str(db), "--config", str(config), "--control-port", "0", *extra],
        name="warden run",
    )


def _filled_basket(db: Path) -> bool:
    reservations, fills = _while_written(db)
    return any(
        r.state is ReservationState.RELEASED and r.outcome is Outcome.FILLED for r in reservations
    ) and len(fills) >= len(EVENT.markets)


def test_a_paper_daemon_buys_the_mispriced_event_from_the_books_real_depth(
    tmp_path: Path,
) -> None:
    db = tmp_path / "warden.db"
    with polymarket_replay(EVENT) as venue:
        config = _config(tmp_path, venue.url, venue.ws_url)
        first = _run(db, config)
        try:
            eventually(lambda: _filled_basket(db), timeout=90, what="a paper basket filled")
            first.popen.send_signal(signal.SIGTERM)
            assert first.wait(timeout=STOP_WITHIN_S) == 0, first.output
        finally:
            first.close()
        assert "warden: Polymarket PAPER" in first.output, first.output

        fills = _fills(db)
        yes_tokens = {market.yes_token for market in EVENT.markets}
        assert set(venue.app.book_reads) >= yes_tokens  # each leg read its token's book
        (basket,) = [r for r in _reservations(db) if r.outcome is Outcome.FILLED]
        assert set(basket.tickers) == {market.condition_id for market in EVENT.markets}
        own = [fill for fill in fills if fill.client_order_id in basket.order_ids()]
        assert {fill.ticker for fill in own} == set(basket.tickers)
        for fill in own:
            assert fill.fill_id.startswith("paper-"), fill  # a paper fill, named so
            assert (fill.side, fill.action, fill.price) == (Side.YES, Action.BUY, Decimal("0.3"))
            assert fill.count <= 100  # never more than the book showed
        assert basket.settlement(fills).balanced

        # a restart (dry: it sends nothing) reconciles with the same paper account
        second = _run(db, config, "--dry-run")
        ready_then_stopped(second, tmp_path / "run", "the restarted paper daemon ready")
    assert {f.fill_id for f in _fills(db)} == {f.fill_id for f in fills}
    assert (tmp_path / "polymarket-paper.db").exists()
