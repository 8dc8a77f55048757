"""How far behind the venue the stream runs, measured from the venue's own time stamps.

Kalshi stamps each ``orderbook_delta`` with ``ts_ms`` and Polymarket each
``price_change`` with ``timestamp`` (Unix milliseconds; both parsers hand it on as
:attr:`~actors.venues.Delta.venue_ts_ms`). For such a frame, ``behind`` is our wall
clock when the message was read minus the venue's stamp: the stream's lag plus
the difference between the two clocks plus the network's one-way latency. The
clocks' difference is not known, so it is measured: the smallest ``behind`` seen
on the connection (a frame read at once) is taken as the offset, and a frame's
lag is how much more than that it is behind. A stream that falls behind the
venue (a feed that cannot keep up, a venue that buffers) shows its lag at once,
whatever the clocks say; a stream already behind from its very first frame does
not (its lag is taken for offset), and a stamp-free frame (Kalshi's snapshots)
has no lag (receive time is its age). The floor is reset per connection, and
:meth:`VenueLag.behind_by` is cheap: one subtraction and one comparison.
"""

from __future__ import annotations

import math

__all__ = ["VenueLag"]


class VenueLag:
    """The connection's clock offset (the floor of ``behind``) and the last lag seen."""

    def __init__(self) -> None:
        self._floor = math.inf
        self.last_s: float | None = None
        self.worst_s: float = 0.0

    def reset(self) -> None:
        """A new connection: its frames may take another path, so measure again."""
        self._floor = math.inf
        self.last_s = None
        self.worst_s = 0.0

    def behind_by(self, received_wall: float, venue_ts_ms: int) -> float:
        """The lag (>= 0 s) of a frame read at ``received_wall`` (our wall clock, s)
        that the venue stamped ``venue_ts_ms``."""
        behind = received_wall - venue_ts_ms / 1000
        self._floor = min(self._floor, behind)
        lag = behind - self._floor
        self.last_s = lag
        self.worst_s = max(self.worst_s, lag)
        return lag
