"""Errors raised by the trading domain.

Every error carries the data that explains it (which field, which bad value,
which market, which order) as attributes, and says the same in its message, so
a log line or a dead-letter record is enough to find the offender::

    ActorsError                      base of everything :mod:`actors` raises on purpose
     └── DomainError(ValueError)     fatal: a value broke a domain rule; never retried
          ├── InvalidFieldError      one field holds a bad value (type, range, shape)
          ├── CrossedBookError       best YES bid + best NO bid >= payout (+ tolerance)
          ├── NegativeLevelError     a book delta would leave a level with size < 0
          ├── SequenceGapError       a book delta is not the next in its subscription
          ├── IllegalTransitionError an order state change the state machine forbids
          └── UnprofitableOpportunityError  cost incl. fees is not below the payout
     ├── VenueError                  a call to the venue failed; carries endpoint and order id
     │    ├── TransientVenueError    retry with backoff (same client order id); breaker counts it
     │    │    ├── VenueTimeout          no answer within the deadline: OUTCOME UNKNOWN for a
     │    │    │                         submit; resolve by client order id, never re-send blind
     │    │    ├── VenueRateLimited      429; carries retry_after seconds
     │    │    ├── VenueServerError      5xx; carries the status
     │    │    ├── VenueDisconnected     connection refused / reset / dropped
     │    │    └── VenueTradingHalted    the venue takes no new orders for now (paused,
     │    │                              cancel-only): risk stops new risk at once until
     │    │                              it clears (see the class)
     │    └── CriticalVenueError     never retried; halts trading
     │         ├── VenueAuthError        401/403
     │         ├── InsufficientBalance   the venue refused for lack of funds
     │         └── InvalidOrder          the venue refused the order as malformed (4xx)
     └── LedgerError                 persistence failed; trading halts (fail closed)
          ├── LedgerWriteError       a transaction could not commit (disk full, read-only, busy)
          └── LedgerSerializationError  an event could not be encoded or decoded; names it

Domain errors are logic or data errors: the fix is to reject the message (and
count it), never to retry it.  Venue errors are classified by type, never by
matching strings: only :class:`TransientVenueError` is retried.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "ActorsError",
    "CriticalVenueError",
    "CrossedBookError",
    "DomainError",
    "IllegalTransitionError",
    "InsufficientBalance",
    "InvalidFieldError",
    "InvalidOrder",
    "LedgerError",
    "LedgerSerializationError",
    "LedgerWriteError",
    "NegativeLevelError",
    "SequenceGapError",
    "TransientVenueError",
    "UnprofitableBasketError",
    "UnprofitableOpportunityError",
    "VenueAuthError",
    "VenueDisconnected",
    "VenueError",
    "VenueRateLimited",
    "VenueServerError",
    "VenueTimeout",
    "VenueTradingHalted",
]


def _context(ticker: str | None, order_id: str | None) -> str:
    parts = []
    if ticker is not None:
        parts.append(f"ticker={ticker!r}")
    if order_id is not None:
        parts.append(f"order_id={order_id!r}")
    return f" ({', '.join(parts)})" if parts else ""


class ActorsError(Exception):
    """Base class of every error the :mod:`actors` package raises on purpose."""


class DomainError(ActorsError, ValueError):
    """A value broke a rule of the trading domain.

    ``field`` names what was wrong and ``value`` holds the offending value;
    ``ticker`` and ``order_id`` are set whenever they were known.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str,
        value: object,
        ticker: str | None = None,
        order_id: str | None = None,
    ) -> None:
        super().__init__(message + _context(ticker, order_id))
        self.field = field
        self.value = value
        self.ticker = ticker
        self.order_id = order_id


class InvalidFieldError(DomainError):
    """``owner.field`` holds ``value``, which breaks ``rule``.

    Raised by every validating constructor in :mod:`actors` for a float, NaN,
    infinity, bool, wrong type, out-of-range price or non-positive quantity.
    """

    def __init__(
        self,
        owner: str,
        field: str,
        value: object,
        rule: str,
        *,
        ticker: str | None = None,
        order_id: str | None = None,
    ) -> None:
        super().__init__(
            f"{owner}.{field}={value!r} {rule}",
            field=field,
            value=value,
            ticker=ticker,
            order_id=order_id,
        )
        self.owner = owner
        self.rule = rule


class CrossedBookError(DomainError):
    """The best YES bid and the best NO bid add up to the payout plus
    ``tolerance`` or more (the tolerance is 0 unless the book's holder
    accepts crossed books, which are complement-arbitrage opportunities).

    With no tolerance: the best YES bid is at or above the YES ask
    (``payout - best NO bid``).  ``value`` is the sum of the two bids.  All
    amounts are ``Decimal`` dollars.
    """

    def __init__(
        self,
        ticker: str | None,
        best_yes_bid: Decimal,
        best_no_bid: Decimal,
        payout: Decimal,
        *,
        tolerance: Decimal = Decimal(0),
    ) -> None:
        total = best_yes_bid + best_no_bid
        limit = f"payout {payout}" + (f" + tolerance {tolerance}" if tolerance else "")
        super().__init__(
            f"crossed book: best_yes_bid={best_yes_bid} + best_no_bid={best_no_bid} = {total}"
            f" >= {limit}",
            field="best_yes_bid+best_no_bid",
            value=total,
            ticker=ticker,
        )
        self.best_yes_bid = best_yes_bid
        self.best_no_bid = best_no_bid
        self.payout = payout
        self.tolerance = tolerance


class NegativeLevelError(DomainError):
    """Applying ``change`` to the level at ``price`` would leave a negative size
    (``Decimal`` dollars and contracts)."""

    def __init__(
        self, ticker: str, side: str, price: Decimal, size: Decimal, change: Decimal
    ) -> None:
        field = f"{side}_bids[{price}]"
        super().__init__(
            f"{field}: size {size} + change {change} = {size + change} < 0",
            field=field,
            value=size + change,
            ticker=ticker,
        )
        self.side = side
        self.price = price
        self.size = size
        self.change = change


class SequenceGapError(DomainError):
    """A book delta's ``seq`` is not ``expected`` (the snapshot's ``seq + 1``).

    A ``received`` below ``expected`` is a duplicate or stale delta; above it,
    deltas were lost and the subscription needs a fresh snapshot.
    """

    def __init__(self, ticker: str, expected: int, received: int) -> None:
        super().__init__(
            f"seq={received} but expected {expected}",
            field="seq",
            value=received,
            ticker=ticker,
        )
        self.expected = expected
        self.received = received


class IllegalTransitionError(DomainError):
    """The order state machine forbids going from ``from_state`` to ``to_state``."""

    def __init__(self, order_id: str, ticker: str | None, from_state: str, to_state: str) -> None:
        super().__init__(
            f"illegal order transition {from_state} -> {to_state}",
            field="state",
            value=to_state,
            ticker=ticker,
            order_id=order_id,
        )
        self.from_state = from_state
        self.to_state = to_state


class UnprofitableOpportunityError(DomainError):
    """Buying both legs costs the payout or more once fees are counted.

    ``value`` is the net edge in ``Decimal`` dollars (zero or negative).
    """

    def __init__(
        self, ticker: str, edge: Decimal, yes_ask: Decimal, no_ask: Decimal, count: Decimal
    ) -> None:
        super().__init__(
            f"edge={edge} is not positive for {count} x (yes_ask={yes_ask}"
            f" + no_ask={no_ask}) incl. fees",
            field="edge",
            value=edge,
            ticker=ticker,
        )
        self.edge = edge
        self.yes_ask = yes_ask
        self.no_ask = no_ask
        self.count = count


class UnprofitableBasketError(DomainError):
    """An arbitrage basket that does not pay more than it costs, fees included, in
    every outcome. ``value`` is its worst-case edge in ``Decimal`` dollars (<= 0)."""

    def __init__(self, basket_id: str, event_ticker: str, edge: Decimal) -> None:
        super().__init__(
            f"basket {basket_id} of event {event_ticker}: worst-case edge={edge} is not"
            " positive incl. fees",
            field="worst_case_edge",
            value=edge,
            ticker=event_ticker,
        )
        self.basket_id = basket_id
        self.event_ticker = event_ticker
        self.edge = edge


class VenueError(ActorsError):
    """A venue call failed. ``endpoint`` is e.g. ``"POST /portfolio/orders"``;
    ``client_order_id`` is set when the call concerned one order."""

    def __init__(self, message: str, *, endpoint: str, client_order_id: str | None = None) -> None:
        where = f" [{endpoint}" + (f" {client_order_id}]" if client_order_id else "]")
        super().__init__(message + where)
        self.endpoint = endpoint
        self.client_order_id = client_order_id


class TransientVenueError(VenueError):
    """Worth retrying after a backoff; counts towards the circuit breaker."""


class VenueTimeout(TransientVenueError):
    """No answer within the deadline. For a submit the outcome is unknown."""


class VenueRateLimited(TransientVenueError):
    """HTTP 429; ``retry_after`` is the venue's Retry-After in seconds (0 if absent)."""

    def __init__(
        self, message: str, *, endpoint: str, retry_after: float, client_order_id: str | None = None
    ) -> None:
        super().__init__(message, endpoint=endpoint, client_order_id=client_order_id)
        self.retry_after = retry_after


class VenueServerError(TransientVenueError):
    """HTTP 5xx; ``status`` is the code."""

    def __init__(
        self, message: str, *, endpoint: str, status: int, client_order_id: str | None = None
    ) -> None:
        super().__init__(message, endpoint=endpoint, client_order_id=client_order_id)
        self.status = status


class VenueDisconnected(TransientVenueError):
    """The connection could not be made or was dropped."""


class VenueTradingHalted(TransientVenueError):
    """The venue is up but refuses every new order for now: trading is paused or
    disabled venue-wide, or the venue is cancel-only. Any venue's adapter raises it
    for its documented answer of that kind (Polymarket: 503 "Trading is currently
    disabled" / "cancel-only").

    Contract:

    - the order it answers was **refused, not placed**: nothing to look up;
    - it is transient (it clears by itself) but is not a blip: risk, told through a
      ``VenueErrorReport`` whose ``error_type`` is this class's name, refuses new
      reservations from the first one (the breaker opens at once, not after
      ``failure_threshold`` failures) and until the venue accepts orders again (a
      probe after the breaker's cooldown succeeds: see :mod:`actors.risk._actor`);
    - ``cancel_only`` is True when the venue still accepts cancels (working orders
      can be cancelled; a halt's ``CancelAll`` still works), False when it said
      trading is disabled outright;
    - ``reason`` is the operator's short text (``"venue is cancel-only"``,
      ``"venue trading is halted"``); the message starts with it, and ``status``
      is the HTTP status when there was one.

    An adapter must raise it under this exact class (not a subclass): risk knows it
    by its class name.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        cancel_only: bool,
        client_order_id: str | None = None,
        status: int | None = None,
    ) -> None:
        self.reason = "venue is cancel-only" if cancel_only else "venue trading is halted"
        super().__init__(
            f"{self.reason}: {message}", endpoint=endpoint, client_order_id=client_order_id
        )
        self.cancel_only = cancel_only
        self.status = status


class CriticalVenueError(VenueError):
    """Never retried; trading halts until an operator resumes."""


class VenueAuthError(CriticalVenueError):
    """HTTP 401/403."""


class InsufficientBalance(CriticalVenueError):
    """The venue refused the order for lack of funds."""


class InvalidOrder(CriticalVenueError):
    """The venue refused the order as malformed (a 4xx other than 401/403/404/409/429)."""


class LedgerError(ActorsError):
    """Persistence failed. ``operation`` says what was being written or read."""

    def __init__(self, message: str, *, operation: str) -> None:
        super().__init__(f"{message} [{operation}]")
        self.operation = operation


class LedgerWriteError(LedgerError):
    """A transaction could not commit (disk full, read-only file, locked database)."""


class LedgerSerializationError(LedgerError):
    """An event could not be encoded or a row decoded; ``field`` names the culprit."""

    def __init__(self, message: str, *, operation: str, field: str) -> None:
        super().__init__(f"{message} (field {field!r})", operation=operation)
        self.field = field
