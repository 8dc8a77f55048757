"""FeedConfig is validated data: every bad field is named."""

from __future__ import annotations

from decimal import Decimal

import pytest

import actors.feed
from actors.errors import InvalidFieldError
from actors.feed import FeedConfig

WS = "ws://127.0.0.1:1/trade-api/ws/v2"


def test_defaults_need_only_a_websocket_and_a_market_list_source() -> None:
    config = FeedConfig(ws_url=WS, tickers=["SIM-001"])  # type: ignore[arg-type]
    assert config.tickers == ("SIM-001",)
    assert config.max_overlap == Decimal("0.20")
    assert config.payout == Decimal(1)
    assert config.price_grids().grid("SIM-001").tick == Decimal("0.01")
    assert config.tick_interval_s == min(config.stale_after_s, config.subscribe_timeout_s) / 4


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ws_url", "http://x"),
        ("rest_url", "ftp://x"),
        ("tickers", ("A", "A")),
        ("tickers", ("bad ticker",)),
        ("series", ("KX", "KX")),
        ("series", ("bad series",)),
        ("events", (1,)),
        ("ping_interval_s", -1.0),
        ("max_overlap", Decimal("-0.01")),
        ("max_overlap", 0.2),
        ("max_overlap", 20),
        ("max_overlap", "0.20"),
        ("max_overlap", Decimal("NaN")),
        ("payout", Decimal(0)),
        ("payout", 1),
        ("ticks", {"SIM-001": 0.001}),
        ("ticks", {"SIM-001": Decimal("0.003")}),
        ("ticks", {"bad ticker": Decimal("0.001")}),
        ("stale_after_s", 0),
        ("silence_timeout_s", float("nan")),
        ("subscribe_timeout_s", float("inf")),
        ("connect_timeout_s", True),
        ("reconnect_backoff", 1.0),
    ],
)
def test_a_bad_field_is_rejected_by_name(field: str, value: object) -> None:
    settings: dict[str, object] = {"ws_url": WS, "tickers": ("SIM-001",), field: value}
    with pytest.raises(InvalidFieldError) as caught:
        FeedConfig(**settings)  # type: ignore[arg-type]
    assert (caught.value.owner, caught.value.field) == ("FeedConfig", field)


def test_ticks_give_their_markets_a_grid_and_the_rest_keep_kalshis_cent_grid() -> None:
    config = FeedConfig(ws_url=WS, tickers=("A", "B"), ticks={"A": Decimal("0.001")})
    grids = config.price_grids()
    assert (grids.grid("A").tick, grids.grid("A").places) == (Decimal("0.001"), 4)
    assert grids.grid("B").tick == Decimal("0.01")
    assert grids.grid("B") == grids.default


def test_without_tickers_the_market_list_url_is_required() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        FeedConfig(ws_url=WS)
    assert caught.value.field == "rest_url"


def test_series_and_events_need_the_market_list_url_and_become_the_selection() -> None:
    for selector in ("series", "events"):
        with pytest.raises(InvalidFieldError) as caught:
            FeedConfig(ws_url=WS, tickers=("A",), **{selector: ["KX"]})  # type: ignore[arg-type]
        assert caught.value.field == "rest_url"
    config = FeedConfig(
        ws_url=WS, rest_url="http://x", tickers=("A",), series=["KXS"], events=("KXE",)
    )  # type: ignore[arg-type]
    assert (config.series, config.events) == (("KXS",), ("KXE",))
    assert config.selection.by_ticker_only is False
    assert (config.selection.tickers, config.selection.series, config.selection.events) == (
        ("A",),
        ("KXS",),
        ("KXE",),
    )


def test_the_feed_package_exports_its_public_names() -> None:
    assert sorted(actors.feed.__all__) == [
        "ConnectionStatus",
        "Delivery",
        "DeliveryCounts",
        "FeedActor",
        "FeedBooks",
        "FeedConfig",
        "FeedCounts",
        "FeedLoopFailed",
        "FeedProcessActor",
        "FeedProcessUnavailable",
        "FeedStatus",
        "FeedWorkerLost",
        "Frame",
        "MarketFeedStatus",
        "MarketPhase",
        "PriceGrids",
        "RejectReason",
        "Rejected",
        "parse_frame",
    ]
    assert all(hasattr(actors.feed, name) for name in actors.feed.__all__)
