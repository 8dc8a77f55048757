"""Errors of the simulated venue.

Every error carries the data a client needs to act on it, and each maps to
one HTTP status in :mod:`warden.venue._http`, answered with Kalshi's
``ErrorResponse`` body ``{"code", "message", "details"}``::

    VenueError(Exception)
    ├── BadRequest(VenueError, ValueError)           400  a field is missing or malformed
    ├── OrderRejected(VenueError)                    400  well-formed, but the venue refuses it
    ├── UnknownMarket(VenueError, LookupError)       404  no such ticker (400 on create)
    ├── OrderNotFound(VenueError, LookupError)       404  no such order id
    ├── OrderNotCancelable(VenueError, LookupError)  404  the order is no longer resting
    └── DuplicateClientOrderId(VenueError)           409  names the original order's id

None of them is transient: the simulated venue's transient failures (429,
5xx, hangs) are injected faults, not exceptions.
"""

from __future__ import annotations


class VenueError(Exception):
    """Base class; ``code`` is the machine-readable reason sent on the wire."""

    code = "venue_error"


class BadRequest(VenueError, ValueError):
    """A request field is missing or malformed; ``field`` names it (dotted path)."""

    code = "bad_request"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class OrderRejected(VenueError):
    """A well-formed order the venue refuses, e.g. for insufficient balance."""

    def __init__(self, code: str, reason: str, *, ticker: str, client_order_id: str | None) -> None:
        super().__init__(f"{ticker}: {code}: {reason}")
        self.code = code
        self.reason = reason
        self.ticker = ticker
        self.client_order_id = client_order_id


class UnknownMarket(VenueError, LookupError):
    """No market has this ticker."""

    code = "not_found"

    def __init__(self, ticker: str) -> None:
        super().__init__(f"unknown market ticker {ticker!r}")
        self.ticker = ticker


class OrderNotFound(VenueError, LookupError):
    """No order has this id (for this account)."""

    code = "not_found"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"unknown order id {order_id!r}")
        self.order_id = order_id


class OrderNotCancelable(VenueError, LookupError):
    """The order exists but is executed or already canceled: Kalshi's cancel endpoints
    document only 404 for it (cancel-order.md, cancel-order-v2.md)."""

    code = "not_found"

    def __init__(self, order_id: str, status: str) -> None:
        super().__init__(f"order {order_id!r} is {status}, not resting")
        self.order_id = order_id
        self.status = status


class DuplicateClientOrderId(VenueError):
    """The account already used this client order id; ``order_id`` is the original's.

    The 409 body is Kalshi's ConflictError (an ``ErrorResponse``): no order echo."""

    code = "order_already_exists"

    def __init__(self, client_order_id: str, order_id: str) -> None:
        super().__init__(f"client_order_id {client_order_id!r} already used")
        self.client_order_id = client_order_id
        self.order_id = order_id
