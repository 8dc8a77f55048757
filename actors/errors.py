"""Errors raised by the trading domain.

Every error carries the data that explains it (which field, which bad value,
which market, which order) as attributes, and says the same in its message, so
a log line or a dead-letter record is enough to find the offender::

    ActorsError                      base of everything :mod:`actors` raises on purpose
     └── DomainError(ValueError)     fatal: a value broke a domain rule; never retried
          ├── InvalidFieldError      one field holds a bad value (type, range, shape)
          ├── CrossedBookError       best YES bid + best NO bid >= payout
          ├── NegativeLevelError     a book delta would leave a level with size < 0
          ├── SequenceGapError       a book delta is not the next in its subscription
          ├── IllegalTransitionError an order state change the state machine forbids
          └── UnprofitableOpportunityError  cost incl. fees is not below the payout

Domain errors are logic or data errors: the fix is to reject the message (and
count it), never to retry it.  Transient failures of venue I/O (timeouts, 429,
5xx, disconnects) belong in a separate branch next to :class:`DomainError`
when the venue adapters arrive; they are not value errors.
"""

from __future__ import annotations

__all__ = [
    "ActorsError",
    "CrossedBookError",
    "DomainError",
    "IllegalTransitionError",
    "InvalidFieldError",
    "NegativeLevelError",
    "SequenceGapError",
    "UnprofitableOpportunityError",
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
    """The best YES bid and the best NO bid add up to the payout or more.

    Equivalently the best YES bid is at or above the YES ask
    (``payout - best NO bid``).  ``value`` is the sum of the two bids.
    """

    def __init__(
        self, ticker: str | None, best_yes_bid: int, best_no_bid: int, payout: int
    ) -> None:
        total = best_yes_bid + best_no_bid
        super().__init__(
            f"crossed book: best_yes_bid={best_yes_bid} + best_no_bid={best_no_bid} = {total}"
            f" >= payout {payout}",
            field="best_yes_bid+best_no_bid",
            value=total,
            ticker=ticker,
        )
        self.best_yes_bid = best_yes_bid
        self.best_no_bid = best_no_bid
        self.payout = payout


class NegativeLevelError(DomainError):
    """Applying ``change`` to the level at ``price`` would leave a negative size."""

    def __init__(self, ticker: str, side: str, price: int, size: int, change: int) -> None:
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

    ``value`` is the net edge in cents (zero or negative).
    """

    def __init__(self, ticker: str, edge_cents: int, yes_ask: int, no_ask: int, count: int) -> None:
        super().__init__(
            f"edge_cents={edge_cents} is not positive for {count} x (yes_ask={yes_ask}"
            f" + no_ask={no_ask}) incl. fees",
            field="edge_cents",
            value=edge_cents,
            ticker=ticker,
        )
        self.edge_cents = edge_cents
        self.yes_ask = yes_ask
        self.no_ask = no_ask
        self.count = count
