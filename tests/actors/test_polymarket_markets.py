"""Polymarket's market listings read strictly: the recorded Gamma and CLOB answers
as sent (tests/fixtures/polymarket/SOURCES.md), and Gamma's live schema, in which
``clobTokenIds`` and ``outcomes`` are JSON-encoded string lists (docs.polymarket.com
Gamma markets; NautilusTrader's ``GammaMarket``: ``clob_token_ids: String``,
``outcomes: String``)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from actors.venues.polymarket._markets import (
    PolymarketDataError,
    PolymarketMarket,
    market_from_clob_market,
    markets_from_gamma_event,
    markets_from_gamma_market,
)

D = Decimal
FIXTURES = Path(__file__).parent.parent / "fixtures" / "polymarket"
TRUMP = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
TRUMP_YES = "21742633143463906290569050155826241533067272736897614950488156847949938836455"
TRUMP_NO = "48331043336612883890938759509493159234755048973500640148014422747788308965732"
HARRIS = "0x270d5aa3b23be0d4e713361d603b187dd1919c71c74226ad867699f33972c5f2"
HARRIS_FIRST = "41731245504777162452560887531170605263832832998797939951071198553974989813715"
HARRIS_SECOND = "72650408556394197703520321372193619642402793204437834561777315032709183100311"


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def live_gamma_market(**changes: Any) -> dict[str, Any]:
    """The recorded Gamma market with the fields live Gamma sends that the recording
    left out, in Gamma's encoding (JSON-encoded lists, numbers)."""
    wire: dict[str, Any] = recorded("gamma_market_slug.json")
    wire.update(
        clobTokenIds=json.dumps(wire["clobTokenIds"]),
        outcomes='["Yes", "No"]',
        orderPriceMinTickSize=0.01,
        orderMinSize=5,
        negRisk=False,
        acceptingOrders=True,
    )
    wire.update(changes)
    return wire


def test_the_recorded_clob_market_is_read_with_yes_from_the_outcomes() -> None:
    market = market_from_clob_market(recorded("clob_market.json"))
    assert market == PolymarketMarket(
        condition_id=TRUMP,
        yes_token=TRUMP_YES,
        no_token=TRUMP_NO,
        tick=D("0.001"),
        neg_risk=True,
        event=None,
        min_order_size=D(5),
        fee_rate=D(0),
        active=True,
    )


def test_the_recorded_gamma_event_lists_no_tokens_and_is_refused_naming_the_market() -> None:
    with pytest.raises(PolymarketDataError) as caught:
        markets_from_gamma_event(recorded("gamma_event.json"))
    assert caught.value.field == "clobTokenIds"
    assert caught.value.missing is True
    assert caught.value.market == (
        "0xed7d522e06d2f1f9015a468884cfdb2be7e737a33f130c1237a40f18bc739267"
    )


def test_the_recorded_gamma_market_lacks_outcomes_and_is_refused_naming_it() -> None:
    with pytest.raises(PolymarketDataError) as caught:
        markets_from_gamma_market(recorded("gamma_market_slug.json"))
    assert (caught.value.field, caught.value.market, caught.value.missing) == (
        "outcomes",
        HARRIS,
        True,
    )
    assert HARRIS in str(caught.value)


def test_a_live_gamma_market_decodes_its_json_encoded_lists() -> None:
    market = markets_from_gamma_market(live_gamma_market(feeSchedule={"rate": 0.04}))
    assert market == PolymarketMarket(
        condition_id=HARRIS,
        yes_token=HARRIS_FIRST,
        no_token=HARRIS_SECOND,
        tick=D("0.01"),
        neg_risk=False,
        event=None,
        min_order_size=D(5),
        fee_rate=D("0.04"),
        active=True,
    )


def test_the_yes_token_is_the_one_paired_with_the_yes_outcome() -> None:
    market = markets_from_gamma_market(live_gamma_market(outcomes='["No", "Yes"]'))
    assert (market.yes_token, market.no_token) == (HARRIS_SECOND, HARRIS_FIRST)


def test_a_market_of_two_named_outcomes_takes_the_first_as_yes() -> None:
    market = markets_from_gamma_market(live_gamma_market(outcomes=["Lakers", "Celtics"]))
    assert (market.yes_token, market.no_token) == (HARRIS_FIRST, HARRIS_SECOND)


def test_no_fee_schedule_means_a_zero_fee_rate_and_the_tick_reads_from_text() -> None:
    market = markets_from_gamma_market(live_gamma_market(orderPriceMinTickSize="0.001"))
    assert (market.fee_rate, market.tick) == (D(0), D("0.001"))


@pytest.mark.parametrize(
    ("changes", "active"),
    [
        ({"closed": True}, False),
        ({"active": False}, False),
        ({"acceptingOrders": False}, False),
        ({"acceptingOrders": None}, True),
    ],
)
def test_a_market_is_active_only_if_open_and_accepting_orders(
    changes: dict[str, Any], active: bool
) -> None:
    assert markets_from_gamma_market(live_gamma_market(**changes)).active is active


def test_an_event_names_its_markets_event_and_lends_them_its_neg_risk() -> None:
    first = live_gamma_market()
    del first["negRisk"]
    second = live_gamma_market(
        conditionId="0x" + "ab" * 32, clobTokenIds='["1", "2"]', negRisk=False
    )
    event = {"id": "185377", "slug": "some-event", "negRisk": True, "markets": [first, second]}
    one, two = markets_from_gamma_event(event)
    assert (one.event, one.neg_risk) == ("some-event", True)
    assert (two.event, two.neg_risk, two.yes_token) == ("some-event", False, "1")


def test_a_gamma_market_names_the_event_it_lists() -> None:
    market = markets_from_gamma_market(live_gamma_market(events=[{"id": "9", "slug": "ev"}]))
    assert market.event == "ev"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"orderPriceMinTickSize": 0.02}, "orderPriceMinTickSize"),
        ({"orderPriceMinTickSize": float("nan")}, "orderPriceMinTickSize"),
        ({"orderPriceMinTickSize": "1e-2"}, "orderPriceMinTickSize"),
        ({"orderPriceMinTickSize": True}, "orderPriceMinTickSize"),
        ({"orderPriceMinTickSize": None}, "orderPriceMinTickSize"),
        ({"orderMinSize": -5}, "orderMinSize"),
        ({"clobTokenIds": '["1", '}, "clobTokenIds"),
        ({"clobTokenIds": '["1", "2", "3"]'}, "clobTokenIds"),
        ({"clobTokenIds": '["1", "1"]'}, "clobTokenIds"),
        ({"clobTokenIds": '["0x12", "3"]'}, "clobTokenIds"),
        ({"outcomes": '["Yes"]'}, "clobTokenIds"),
        ({"outcomes": '["Yes", 7]'}, "outcomes"),
        ({"negRisk": "true"}, "negRisk"),
        ({"active": None}, "active"),
        ({"closed": 0}, "closed"),
        ({"feeSchedule": {"rate": "abc"}}, "rate"),
        ({"feeSchedule": {"rate": 1.5}}, "feeSchedule.rate"),
        ({"conditionId": "0x12"}, "conditionId"),
    ],
)
def test_a_malformed_gamma_market_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(PolymarketDataError) as caught:
        markets_from_gamma_market(live_gamma_market(**changes))
    assert caught.value.field == field


def test_a_listing_that_is_not_an_object_is_refused() -> None:
    for parse in (markets_from_gamma_market, market_from_clob_market, markets_from_gamma_event):
        with pytest.raises(PolymarketDataError):
            parse(["not", "an", "object"])
    with pytest.raises(PolymarketDataError) as caught:
        markets_from_gamma_event({"slug": "ev", "markets": "none"})
    assert (caught.value.field, caught.value.market) == ("markets", "ev")
