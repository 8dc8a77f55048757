"""Book age from venue time (issue 15): a stream that falls behind the venue shows it.

The feed measures each time-stamped frame against the venue's stamp: the smallest
gap on a connection is the clocks' offset, anything more is the stream's lag, and
a book's age counts from when the venue sent it.
"""

from __future__ import annotations

import pytest

from actors.domain import Side
from actors.feed._books import Publish
from actors.feed._venue_time import VenueLag
from actors.venues import Delta
from tests.actors.test_feed_books import D, _books, _live

WALL_AT_ZERO = 1_800_000_000.0
"""Our wall clock when the feed's monotonic clock read 0."""

VENUE_AHEAD_S = 3.25
"""How far the venue's clock runs ahead of ours: any offset is measured away."""


def _stamp(at: float, late_by: float = 0.0) -> int:
    """The venue's ms stamp of a change it made ``late_by`` s before we read it at ``at``."""
    return round((WALL_AT_ZERO + at - late_by + VENUE_AHEAD_S) * 1000)


def test_the_smallest_gap_is_the_offset_and_the_rest_is_lag() -> None:
    lag = VenueLag()
    assert lag.behind_by(100.0, 96_750) == 0.0  # 3.25 s: the first is the floor
    assert lag.behind_by(101.0, 97_750) == 0.0
    assert lag.behind_by(110.0, 98_750) == pytest.approx(8.0)  # read 8 s later than sent
    assert (lag.last_s, lag.worst_s) == (pytest.approx(8.0), pytest.approx(8.0))
    assert lag.behind_by(111.0, 107_800) == 0.0  # a faster one lowers the floor
    lag.reset()
    assert (lag.last_s, lag.worst_s) == (None, 0.0)


def test_a_book_the_venue_sent_8_s_before_it_was_read_is_8_s_old() -> None:
    books = _books(stale_after_s=5.0)
    books.wall_minus_monotonic = WALL_AT_ZERO
    _live(books)
    (fresh,) = books.on_frame(Delta(1, 2, "A", Side.YES, D("0.41"), D(3), _stamp(2.0)), 2.0)
    assert isinstance(fresh, Publish)
    assert fresh.received_at == 2.0  # the floor: read as soon as sent
    (late,) = books.on_frame(
        Delta(1, 3, "A", Side.YES, D("0.41"), D(-1), _stamp(10.0, late_by=8.0)), 10.0
    )
    assert isinstance(late, Publish)
    assert late.received_at == pytest.approx(2.0)  # its age counts from the venue's send
    assert books.venue_lag.last_s == pytest.approx(8.0)
    # Stale by venue time: 8 s old already, past stale_after_s, at once.
    (stale,) = books.check_staleness(10.0)
    assert stale.ticker == "A"  # type: ignore[union-attr]


def test_a_frame_without_a_stamp_is_aged_from_when_it_was_read() -> None:
    books = _books()
    books.wall_minus_monotonic = WALL_AT_ZERO
    _live(books)
    (update,) = books.on_frame(Delta(1, 2, "A", Side.YES, D("0.41"), D(3)), 7.0)
    assert isinstance(update, Publish)
    assert update.received_at == 7.0
    assert books.venue_lag.last_s is None
