"""Configuration of the execution actor: data, one validator per field.

Every class is frozen; a bad value raises
:class:`~supervision.validators.FieldError` (a ``ValueError``) naming the class,
the field, the value and the rule it breaks (the validators are the shared
generic ones of :mod:`supervision.validators`).  Times are seconds (``float``), money and
prices integer cents.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import attrs

from actors.ledger_client import DEFAULT_LEDGER_RETRY
from actors.money import decimals_of
from actors.venues import Deadlines, RateLimit, TradingVenue
from actors.venues.kalshi import KALSHI_TRADING
from supervision import BackoffPolicy
from supervision.validators import (
    FieldError,
    flag,
    instance_of,
    integer,
    optional,
    rule,
    seconds,
    url,
)

__all__ = ["Deadlines", "ExecutionConfig", "RateLimit", "RetryPolicy"]

_positive_seconds = seconds(0)
_non_negative_seconds = seconds(0, inclusive=True)


@attrs.frozen
class RetryPolicy:
    """How a failed venue call is retried: at most ``max_attempts`` calls in all
    (``None``: until it succeeds or the loop is cancelled), waiting a full-jitter
    delay ``U(0, min(cap, base * 2**attempt))`` between them (a 429's Retry-After
    replaces the delay when it is longer)."""

    max_attempts: int | None = attrs.field(
        default=5, validator=optional(integer(1), none="None (no limit)")
    )
    base: float = attrs.field(default=0.05, validator=_non_negative_seconds)
    cap: float = attrs.field(default=2.0, validator=_non_negative_seconds)

    def __attrs_post_init__(self) -> None:
        if self.cap < self.base:
            raise FieldError("RetryPolicy", "cap", self.cap, f"must be >= base ({self.base!r})")

    def exhausted(self, attempts: int) -> bool:
        """True once ``attempts`` calls have been made and no more are allowed."""
        return self.max_attempts is not None and attempts >= self.max_attempts

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The wait after the ``attempt``-th failure (0-based), drawn from ``rng``."""
        return rng.uniform(0.0, min(self.cap, self.base * 2 ** min(attempt, 62)))


DEFAULT_RATE_LIMITS: Mapping[str, RateLimit] = MappingProxyType(
    {
        # Kalshi's basic tier: 10 writes/s and 20 reads/s.
        "create_order": RateLimit(10.0, 10),
        "cancel_order": RateLimit(10.0, 10),
        "*": RateLimit(20.0, 20),
    }
)


_rate_limits = rule(
    lambda v: (
        isinstance(v, Mapping)
        and all(isinstance(k, str) and isinstance(r, RateLimit) for k, r in v.items())
        and "*" in v
    ),
    "must map endpoint names (and '*') to RateLimit",
)


_MAX_SLIPPAGE_PLACES = 4

_slippage = rule(
    lambda v: (
        type(v) is Decimal
        and v.is_finite()
        and 0 <= v < 1
        and decimals_of(v) <= _MAX_SLIPPAGE_PLACES
    ),
    f"must be a Decimal of dollars in [0, 1) with at most {_MAX_SLIPPAGE_PLACES} decimals"
    ' (e.g. Decimal("0.05"))',
)


def _freeze_mapping(value: Mapping[str, RateLimit]) -> Mapping[str, RateLimit]:
    return MappingProxyType(dict(value)) if isinstance(value, Mapping) else value


@attrs.frozen
class ExecutionConfig:
    """Everything the execution actor needs to know.

    - ``rest_url``: the venue's REST base, e.g. ``http://127.0.0.1:8700/trade-api/v2``.
    - ``deadlines``: per call kind; a call past its deadline is a :class:`VenueTimeout`.
    - ``retry``: transient failures of one order submit (and of queries made for it).
    - ``resolve_retry``: lookups that decide the fate of an order (unknown outcome,
      fills of a known order, in-doubt resolution); unlimited by default, because
      giving up would leave an order possibly live and unrecorded.
    - ``reconcile_retry``: backoff between start-up reconciliation attempts.
    - ``rate_limits``: token bucket per endpoint name (``"*"`` for the rest).
    - ``unwind_slippage``: dollars (``Decimal``); an unwind sells at ``best bid - this``,
      moved up onto the market's price grid and at least its lowest price.
    - ``record_timeout``: how long to wait for persistence's answer to a ``Record``
      before treating it as failed.
    - ``ledger_retry``: the jittered backoff between ledger repairs after a failed
      ``Record`` (the ledger client's retry schedule).
    - ``dry_run``: record intents, send nothing that changes venue state.
    - ``reconcile_settle_s``: how long a new incarnation waits before its first
      reconciliation, so that requests a previous incarnation (or a killed
      process) had in flight have landed at the venue or died: an order that
      lands *after* reconciliation listed the venue would be unknown to the
      ledger (found by a 10-minute chaos run: SIGKILL during venue latency).
      Set it above the submit deadline plus the venue's worst latency.
    - ``hear_fills_s``: how long a filled order's fills may take to add up on the
      venue's private channel (when it has one and it is up) before they are
      listed from the venue instead; they normally arrive with the order's answer.
    - ``ledger_path``: the ledger file reconciliation reads its start from
      (:func:`actors.persistence.reconcile_basis`: the venue's clock when the
      last completed reconciliation began listing, and the orders the ledger
      holds open); it lists the venue's fills and orders from that point, less a
      margin, and looks up the open orders it did not list (see
      :mod:`actors.execution._workflows`). The point is the venue's clock, read
      from its answers and recorded with each reconciliation, never the
      daemon's: a clock that jumped (a 10-minute chaos run moved it by 26,000 s)
      cannot shrink the window. None: it lists everything at every start.
    """

    rest_url: str = attrs.field(validator=url("http", "https"))
    deadlines: Deadlines = attrs.field(
        factory=Deadlines,
        validator=instance_of(Deadlines),
    )
    retry: RetryPolicy = attrs.field(
        factory=RetryPolicy,
        validator=instance_of(RetryPolicy),
    )
    resolve_retry: RetryPolicy = attrs.field(
        factory=lambda: RetryPolicy(max_attempts=None, base=0.1, cap=5.0),
        validator=instance_of(RetryPolicy),
    )
    reconcile_retry: RetryPolicy = attrs.field(
        factory=lambda: RetryPolicy(max_attempts=None, base=0.2, cap=10.0),
        validator=instance_of(RetryPolicy),
    )
    rate_limits: Mapping[str, RateLimit] = attrs.field(
        default=DEFAULT_RATE_LIMITS,
        converter=_freeze_mapping,
        validator=_rate_limits,
        eq=False,
    )
    unwind_slippage: Decimal = attrs.field(default=Decimal("0.05"), validator=_slippage)
    record_timeout: float = attrs.field(default=10.0, validator=_positive_seconds)
    ledger_retry: BackoffPolicy = attrs.field(
        default=DEFAULT_LEDGER_RETRY,
        validator=instance_of(BackoffPolicy),
    )
    reconcile_settle_s: float = attrs.field(default=0.0, validator=_non_negative_seconds)
    dry_run: bool = attrs.field(default=False, validator=flag())
    hear_fills_s: float = attrs.field(default=1.0, validator=_positive_seconds)
    venue: TradingVenue = attrs.field(default=KALSHI_TRADING, eq=False)
    ledger_path: Path | None = attrs.field(
        default=None, validator=optional(instance_of(Path), none="None (list everything)")
    )
