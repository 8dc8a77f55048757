"""The Polymarket dialect's CLOB REST API, over the real venue on loopback."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

from actors.venues.polymarket._keys import ApiCredentials
from actors.venues.polymarket._signing import order_digest
from tests.warden.venue.polymarket_sim import (
    OTHER_WALLET,
    account,
    best_ask,
    best_bid,
    eventually,
    polymarket_sim,
)
from warden.venue import TRADER


async def test_a_trading_call_with_a_wrong_hmac_is_refused_with_401() -> None:
    async with polymarket_sim() as sim:
        wrong = ApiCredentials(
            "sim-api-key-1", base64.urlsafe_b64encode(b"x" * 32).decode(), "sim-passphrase"
        )
        headers = sim.headers("GET", "/data/orders", creds=wrong)
        answer = await sim.http.get("/data/orders", headers=headers)
        assert (answer.status_code, answer.json()) == (
            401,
            {"error": "Unauthorized/Invalid api key"},
        )
        good = sim.headers("GET", "/data/orders")
        assert (await sim.http.get("/data/orders", headers=good)).status_code == 200
        # the signature covers the exact body: the same headers over another body fail
        body = json.dumps({"orderID": "0x" + "ab" * 32})
        headers = sim.headers("DELETE", "/order", body)
        tampered = await sim.http.request("DELETE", "/order", content=body + " ", headers=headers)
        assert tampered.status_code == 401
        assert (await sim.http.get("/data/orders")).status_code == 401  # no headers at all


async def test_an_order_signed_by_another_key_is_refused() -> None:
    async with polymarket_sim() as sim:
        forged = sim.order("SIM-001", "BUY", "0.10", "5", wallet=OTHER_WALLET)
        answer = await sim.post_order(forged)
        assert answer.status_code == 400
        assert answer.json() == {"error": "invalid signature"}
        assert sim.venue.sim.engine.order_states(TRADER) == []


async def test_the_order_id_is_the_eip712_digest_and_a_resend_is_refused() -> None:
    async with polymarket_sim() as sim:
        signed = sim.order("SIM-001", "BUY", "0.10", "5")
        answer = (await sim.post_order(signed)).json()
        assert answer["success"] is True
        assert answer["orderID"] == signed.digest == order_digest(signed.order, neg_risk=False)
        assert answer["status"] == "live"
        again = await sim.post_order(signed)
        assert again.status_code == 400
        assert len(sim.venue.sim.engine.order_states(TRADER)) == 1


async def test_place_list_cancel_and_trade_round_trip() -> None:
    async with polymarket_sim() as sim:
        market = sim.pm.catalog.by_ticker["SIM-001"]
        book = (await sim.http.get("/book", params={"token_id": market.yes_token})).json()
        low = best_bid(book) - Decimal("0.05")
        resting = sim.order("SIM-001", "BUY", str(low), "7")
        assert (await sim.post_order(resting)).json()["status"] == "live"

        live = (await sim.signed("GET", f"/data/order/{resting.digest}")).json()
        assert (live["id"], live["status"], live["original_size"], live["size_matched"]) == (
            resting.digest,
            "LIVE",
            "7",
            "0",
        )
        assert (live["asset_id"], live["side"], Decimal(live["price"])) == (
            market.yes_token,
            "BUY",
            low,
        )
        listed = (await sim.signed("GET", "/data/orders", next_cursor="MA==")).json()
        assert [o["id"] for o in listed["data"]] == [resting.digest]
        assert listed["next_cursor"] == "LTE="

        body = json.dumps({"orderID": resting.digest}, separators=(",", ":"))
        canceled = (await sim.signed("DELETE", "/order", body)).json()
        assert canceled == {"canceled": [resting.digest], "not_canceled": {}}
        again = (await sim.signed("DELETE", "/order", body)).json()
        assert again == {
            "canceled": [],
            "not_canceled": {resting.digest: "already canceled or matched"},
        }
        gone = await sim.signed("GET", f"/data/order/{resting.digest}")
        assert (gone.status_code, gone.json()) == (200, None)  # only live orders are listed

        ask = best_ask(book)
        taker = sim.order("SIM-001", "BUY", str(ask), "5")
        placed = (await sim.post_order(taker, "FAK")).json()
        assert (placed["status"], placed["takingAmount"]) == ("matched", "5")
        assert Decimal(placed["makingAmount"]) == 5 * ask
        trades = (await sim.signed("GET", "/data/trades", next_cursor="MA==")).json()["data"]
        assert len(trades) == len(placed["tradeIDs"]) == 1
        trade = trades[0]
        assert (trade["id"], trade["taker_order_id"], trade["trader_side"]) == (
            placed["tradeIDs"][0],
            taker.digest,
            "TAKER",
        )
        assert (trade["size"], Decimal(trade["price"]), trade["fee_rate_bps"]) == ("5", ask, "400")
        assert trade["maker_orders"][0]["asset_id"] == market.no_token  # a NO bid filled it
        # the ground truth agrees: the trader's one fill, with Polymarket's taker fee
        fills = sim.venue.sim.engine.fill_values(TRADER)
        assert [(f.count, f.is_taker) for f in fills] == [(Decimal(5), True)]
        fee = Decimal("0.04") * 5 * ask * (1 - ask)
        assert fills[0].fee == fee.quantize(Decimal("0.00001"))
        balance = (await sim.signed("GET", "/balance-allowance", asset_type="COLLATERAL")).json()
        free, _ = sim.venue.sim.engine.cash(TRADER)
        assert Decimal(balance["balance"]) == free * 10**6
        shares = await sim.signed(
            "GET", "/balance-allowance", asset_type="CONDITIONAL", token_id=market.yes_token
        )
        assert shares.json()["balance"] == "5000000"


async def test_heartbeats_that_stop_cancel_every_open_order() -> None:
    async with polymarket_sim() as sim:
        for price in ("0.10", "0.11"):
            assert (
                await sim.post_order(sim.order("SIM-001", "BUY", price, "5"))
            ).status_code == 200
        sim.clock.advance(60)  # no heartbeat yet: the switch is not armed
        sim.pm.check_heartbeat()
        assert len((await sim.signed("GET", "/data/orders")).json()["data"]) == 2
        answer = await sim.signed("POST", "/v1/heartbeats", '{"heartbeat_id":""}')
        assert answer.json() == {"status": "ok"}
        sim.clock.advance(9)
        await sim.signed("POST", "/v1/heartbeats", '{"heartbeat_id":""}')
        sim.clock.advance(9)  # 18 s after the first, 9 after the last: still alive
        sim.pm.check_heartbeat()
        assert len((await sim.signed("GET", "/data/orders")).json()["data"]) == 2
        sim.clock.advance(2)  # 11 s without a heartbeat: the server's watchdog fires

        def none_resting() -> bool:
            return all(s.status != "resting" for s in sim.venue.sim.engine.order_states(TRADER))

        await eventually(none_resting, "the dead-man switch canceled the orders")
        assert (await sim.signed("GET", "/data/orders")).json()["data"] == []
        reasons = [
            dict(e.record)["cancel_reason"]
            for e in sim.venue.sim.engine.truth.select(account=TRADER)
            if e.kind == "order_canceled"
        ]
        assert reasons == ["heartbeat_expired", "heartbeat_expired"]


async def test_open_orders_and_trades_page_with_next_cursor_until_lte() -> None:
    async with polymarket_sim(polymarket=None) as plain_sim:
        assert (await plain_sim.signed("GET", "/data/orders")).status_code == 401  # no account
    async with polymarket_sim(polymarket=account(page_size=2)) as sim:
        digests = []
        for n in range(5):
            signed = sim.order("SIM-002", "BUY", f"0.0{n + 1}", "5")
            digests.append((await sim.post_order(signed)).json()["orderID"])
        seen, cursor, pages = [], "MA==", 0
        while cursor != "LTE=":
            page = (await sim.signed("GET", "/data/orders", next_cursor=cursor)).json()
            assert page["count"] == len(page["data"]) <= 2
            seen += [o["id"] for o in page["data"]]
            cursor, pages = page["next_cursor"], pages + 1
        assert (seen, pages) == (digests, 3)
        bad = await sim.signed("GET", "/data/orders", next_cursor="not-a-cursor")
        assert bad.status_code == 400


async def test_fok_that_cannot_fill_and_a_crossing_post_only_order_are_refused() -> None:
    async with polymarket_sim() as sim:
        market = sim.pm.catalog.by_ticker["SIM-001"]
        book = (await sim.http.get("/book", params={"token_id": market.yes_token})).json()
        huge = sim.order("SIM-001", "BUY", str(best_ask(book)), "10000")
        answer = await sim.post_order(huge, "FOK")
        assert answer.status_code == 400
        assert answer.json()["error"].startswith("order couldn't be fully filled")
        crossing = sim.order("SIM-001", "BUY", str(best_ask(book)), "5")
        refused = await sim.post_order(crossing, "GTC", post_only=True)
        assert refused.json() == {"error": "invalid post-only order: order crosses book"}
        assert sim.venue.sim.engine.fill_values(TRADER) == []


async def test_selling_shares_held_and_a_fak_that_meets_nothing() -> None:
    async with polymarket_sim() as sim:
        market = sim.pm.catalog.by_ticker["SIM-001"]
        book = (await sim.http.get("/book", params={"token_id": market.yes_token})).json()
        buy = sim.order("SIM-001", "BUY", str(best_ask(book)), "5")
        assert (await sim.post_order(buy, "FAK")).json()["takingAmount"] == "5"
        unheld = sim.order("SIM-001", "SELL", str(best_bid(book)), "6")
        refused = await sim.post_order(unheld, "FAK")
        assert refused.json() == {"error": "not enough balance / allowance"}

        sell = sim.order("SIM-001", "SELL", str(best_bid(book)), "5")
        sold = (await sim.post_order(sell, "FAK")).json()
        assert (sold["status"], sold["makingAmount"]) == ("matched", "5")  # SELL: making = shares
        assert Decimal(sold["takingAmount"]) == 5 * best_bid(book)
        trades = (await sim.signed("GET", "/data/trades")).json()["data"]
        assert [(t["side"], t["asset_id"], t["trader_side"]) for t in trades] == [
            ("BUY", market.yes_token, "TAKER"),
            ("SELL", market.yes_token, "TAKER"),
        ]
        held = await sim.signed(
            "GET", "/balance-allowance", asset_type="CONDITIONAL", token_id=market.yes_token
        )
        assert held.json()["balance"] == "0"
        assert sim.venue.sim.engine.holding(TRADER, "SIM-001") == (Decimal(0), Decimal(0))

        nothing = sim.order("SIM-001", "BUY", "0.01", "5")
        killed = await sim.post_order(nothing, "FAK")
        assert killed.status_code == 400
        assert killed.json()["error"].startswith("no orders found to match with FAK order")
        assert killed.json()["orderID"] == nothing.digest
        assert sim.pm.engine_order(nothing.digest) is not None  # accepted, then killed
        assert (await sim.signed("GET", f"/data/order/{nothing.digest}")).json() is None


async def test_gamma_answers_under_gamma_and_the_root_is_the_clobs() -> None:
    async with polymarket_sim(polymarket=account(page_size=2)) as sim:
        market = sim.pm.catalog.by_ticker["SIM-002"]
        assert (await sim.http.get("/events/slug/sim-002")).status_code == 404  # not Gamma's
        for base in ("/gamma",):
            found = await sim.http.get(
                f"{base}/markets", params={"condition_ids": market.condition_id}
            )
            assert [m["conditionId"] for m in found.json()] == [market.condition_id]
            event = (await sim.http.get(f"{base}/events/slug/sim-002")).json()
            assert [m["conditionId"] for m in event["markets"]] == [market.condition_id]
            assert json.loads(event["markets"][0]["clobTokenIds"]) == [
                market.yes_token,
                market.no_token,
            ]
        assert (await sim.http.get("/gamma/events/slug/nope")).status_code == 404
        clob = (await sim.http.get("/markets", params={"next_cursor": "MA=="})).json()
        assert (len(clob["data"]), clob["next_cursor"]) == (2, "Mg==")
        last = (await sim.http.get("/markets", params={"next_cursor": "Mg=="})).json()
        assert [m["condition_id"] for m in clob["data"] + last["data"]] == [
            sim.pm.catalog.by_ticker[t].condition_id for t in ("SIM-001", "SIM-002", "SIM-003")
        ]
        assert last["next_cursor"] == "LTE="
