"""The feed's configuration: frozen data, one validator per field.

A bad value raises :class:`~actors.errors.InvalidFieldError` with owner
``FeedConfig``, the field, the value and the rule it broke.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from actors import _checks
from actors.errors import InvalidFieldError
from actors.feed._books import MAX_PENDING_SUBSCRIPTIONS
from actors.money import ONE
from actors.venues._amounts import PriceGrids, kalshi_grid
from actors.venues._frames import TICKER
from actors.venues._market_data import MarketDataProtocol, MarketSelection
from actors.venues.kalshi._stream import KALSHI_MARKET_DATA
from supervision import BackoffPolicy, Jitter, validators


def _error(_instance: object, field: str, value: object, rule: str) -> InvalidFieldError:
    return InvalidFieldError("FeedConfig", field, value, rule)


def _rule(check: Callable[[Any], bool], rule: str) -> validators.Rule:
    return validators.rule(check, rule, error=_error)


def _url(*schemes: str) -> validators.Rule:
    return _rule(
        lambda v: isinstance(v, str) and v.startswith(tuple(f"{s}://" for s in schemes)),
        f"must be a {' or '.join(schemes)} URL",
    )


def _as_tuple(value: Any) -> Any:
    """A list (TOML, JSON, pickle) as a tuple; anything else as given, for its rule to refuse."""
    return tuple(value) if isinstance(value, list | tuple) else value


def _valid_tickers(value: object) -> bool:
    if not isinstance(value, tuple) or len(set(value)) != len(value):
        return False
    return all(isinstance(t, str) and TICKER.fullmatch(t) for t in value)


def _ticks(value: object) -> object:
    """A mapping (or pairs) of ticker -> tick as sorted pairs; anything else is left to fail."""
    items = value.items() if isinstance(value, Mapping) else value
    try:
        return tuple(sorted((ticker, tick) for ticker, tick in items))  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return value


def _valid_ticks(value: object) -> bool:
    if not isinstance(value, tuple) or len({ticker for ticker, _ in value}) != len(value):
        return False
    return all(
        isinstance(ticker, str) and TICKER.fullmatch(ticker) and _checks.is_decimal(tick)
        for ticker, tick in value
    )


def _valid_shard(value: object) -> bool:
    if not isinstance(value, tuple) or len(value) != 2:
        return False
    index, count = value
    return type(index) is int and type(count) is int and 0 <= index < count


def shard_of(event_ticker: str, count: int) -> int:
    """Which of ``count`` shards follows the event ``event_ticker``: the same answer in
    every process and run (CRC-32 of its UTF-8 bytes, not Python's salted ``hash``)."""
    return zlib.crc32(event_ticker.encode()) % count


_seconds = validators.seconds(0, error=_error)
_backoff = validators.instance_of(BackoffPolicy, error=_error)
_non_negative_int = validators.integer(0, error=_error)


@attrs.frozen
class FeedConfig:
    """Where the venue is and how the feed treats its stream.

    - ``ws_url``: the venue's websocket (``ws://…/trade-api/ws/v2``).
    - ``tickers``, ``series``, ``events``: the markets to follow, by market
      ticker, and every market of the named series and events (the venue's
      discovery expands these before each connection, see
      :meth:`~actors.venues.MarketDataProtocol.list_markets`); all empty means
      every market the venue lists. Each: unique names of ``[A-Za-z0-9._:-]``.
      Series and events need ``rest_url``; tickers alone do not (they are
      followed as given, each its own event).
    - ``max_overlap``: how many dollars the best YES bid plus the best NO bid
      may exceed the payout by before the book counts as corrupt (a smaller
      overlap is a complement-arbitrage opportunity, not an error); see
      :class:`~actors.domain.BookSnapshot`.  A ``Decimal`` >= 0.
    - ``payout``: what one contract pays (``Decimal`` dollars, Kalshi's $1).
    - ``ticks``: ticker -> tick (``Decimal`` dollars) of the markets whose price
      grid is not Kalshi's ``linear_cent`` 0.01 (e.g. ``{"X": Decimal("0.001")}``);
      a market the venue's market list describes (``price_ranges``) takes its
      grid from there.  Every price the feed reads is checked against its grid.
    - ``stale_after_s``: a market with no accepted frame for this long is
      reported stale (``BookStale``); see :attr:`tick_interval_s`.
    - ``ping_interval_s``: how often the feed pings the venue's websocket
      (a websocket ping control frame; Kalshi answers each with a pong).
    - ``silence_timeout_s``: the pong deadline: a ping unanswered this long and
      the connection is declared dead (reported as disconnected, reason
      ``silence: a ping went unanswered for …s``), closed and reconnected with the usual
      backoff.  Liveness rests on pongs only: a quiet market legitimately sends
      no data frames for long stretches, and Kalshi sends no JSON heartbeats,
      so a connection that answers its pings stays up however quiet it is.  A
      dead connection is found within ``ping_interval_s + silence_timeout_s``.
    - ``subscribe_timeout_s``: a market whose subscription has not produced a
      snapshot this long after it was sent is re-subscribed (the reply or the
      snapshot was lost).
    - ``reconnect_backoff``: delay before each reconnect (attempts reset once a
      connection has stayed up ``reset_after`` seconds).
    - ``resync_backoff``: delay before a market's re-subscription after a gap or a
      bad frame (per market, same reset rule), so a venue that keeps sending bad
      data for one market is not hammered with subscriptions.
    - ``connect_timeout_s``, ``close_timeout_s``, ``rest_timeout_s``: deadlines of
      the websocket handshake, its closing handshake and the market listing.
    - ``max_backlog_frames``: backpressure. While the feed actor has more than
      this many frames read and not yet handled, the loop stops reading the socket (TCP flow
      control then pushes back on the venue; a venue that drops slow clients
      makes the feed reconnect and resync from fresh snapshots). Bounds the
      feed's mailbox, and so how stale a book can get behind a backlog.
    - ``max_pending_subscriptions``: how many markets may await their first
      snapshot at once; the rest of a new connection's markets are subscribed as
      those snapshots arrive (see :mod:`actors.feed._books`). An int >= 1.
    - ``market_data``: the venue's stream protocol (the venue seam,
      :class:`~actors.venues.MarketDataProtocol`); Kalshi's by default, which the
      embedded simulated venue speaks.
    - ``shard``: ``(index, count)``: follow only the events :func:`shard_of` puts in
      shard ``index`` of ``count`` (a market in no event is its own event), so
      ``count`` feeds, each with its own connection, split the markets between
      them with every event whole in one of them. ``(0, 1)``: every market.
    """

    ws_url: str = attrs.field(validator=_url("ws", "wss"))
    rest_url: str = attrs.field(
        default="",
        validator=_rule(
            lambda v: v == "" or (isinstance(v, str) and v.startswith(("http://", "https://"))),
            "must be an http or https URL, or empty when tickers are given",
        ),
    )
    tickers: tuple[str, ...] = attrs.field(
        default=(),
        converter=_as_tuple,
        validator=_rule(_valid_tickers, "must be unique tickers of [A-Za-z0-9._:-]"),
    )
    series: tuple[str, ...] = attrs.field(
        default=(),
        converter=_as_tuple,
        validator=_rule(_valid_tickers, "must be unique series tickers of [A-Za-z0-9._:-]"),
    )
    events: tuple[str, ...] = attrs.field(
        default=(),
        converter=_as_tuple,
        validator=_rule(_valid_tickers, "must be unique event tickers of [A-Za-z0-9._:-]"),
    )
    max_overlap: Decimal = attrs.field(
        default=Decimal("0.20"),
        validator=_rule(
            lambda v: _checks.is_decimal(v) and v >= 0, "must be a finite Decimal >= 0 (dollars)"
        ),
    )
    payout: Decimal = attrs.field(
        default=ONE,
        validator=_rule(
            lambda v: _checks.is_decimal(v) and v > 0, "must be a finite Decimal > 0 (dollars)"
        ),
    )
    ticks: tuple[tuple[str, Decimal], ...] = attrs.field(
        default=(),
        converter=_ticks,
        validator=_rule(_valid_ticks, "must map unique tickers to Decimal ticks"),
    )
    stale_after_s: float = attrs.field(default=10.0, validator=_seconds)
    ping_interval_s: float = attrs.field(default=5.0, validator=_seconds)
    silence_timeout_s: float = attrs.field(default=10.0, validator=_seconds)
    subscribe_timeout_s: float = attrs.field(default=5.0, validator=_seconds)
    reconnect_backoff: BackoffPolicy = attrs.field(
        factory=lambda: BackoffPolicy(Jitter.FULL, base=0.1, cap=5.0, reset_after=10.0),
        validator=_backoff,
    )
    resync_backoff: BackoffPolicy = attrs.field(
        factory=lambda: BackoffPolicy(Jitter.FULL, base=0.05, cap=2.0, reset_after=10.0),
        validator=_backoff,
    )
    connect_timeout_s: float = attrs.field(default=5.0, validator=_seconds)
    close_timeout_s: float = attrs.field(default=2.0, validator=_seconds)
    rest_timeout_s: float = attrs.field(default=5.0, validator=_seconds)
    max_backlog_frames: int = attrs.field(default=2_000, validator=_non_negative_int)
    max_pending_subscriptions: int = attrs.field(
        default=MAX_PENDING_SUBSCRIPTIONS, validator=validators.integer(1, error=_error)
    )
    market_data: MarketDataProtocol = attrs.field(default=KALSHI_MARKET_DATA, eq=False)
    shard: tuple[int, int] = attrs.field(
        default=(0, 1),
        converter=_as_tuple,
        validator=_rule(_valid_shard, "must be (index, count) with 0 <= index < count"),
    )

    def __attrs_post_init__(self) -> None:
        if not self.selection.by_ticker_only and not self.rest_url:
            raise InvalidFieldError(
                "FeedConfig",
                "rest_url",
                self.rest_url,
                "is needed unless the markets are given as tickers only",
            )
        try:
            self.price_grids()
        except InvalidFieldError as bad:
            raise InvalidFieldError(
                "FeedConfig", "ticks", dict(self.ticks), f"makes no price grid: {bad}"
            ) from None

    @property
    def selection(self) -> MarketSelection:
        """Which markets to follow, as the venue's discovery takes it."""
        return MarketSelection(self.tickers, self.series, self.events)

    def price_grids(self) -> PriceGrids:
        """Kalshi's 0.01 grid for every market, but the ones :attr:`ticks` names."""
        grids = {ticker: kalshi_grid(tick, self.payout, ticker) for ticker, tick in self.ticks}
        return PriceGrids(kalshi_grid(payout=self.payout), grids)

    @property
    def tick_interval_s(self) -> float:
        """How often the feed checks staleness and subscription timeouts and retries
        deliveries: a quarter of the shorter of the two windows."""
        return min(self.stale_after_s, self.subscribe_timeout_s) / 4
