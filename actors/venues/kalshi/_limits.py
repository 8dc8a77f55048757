"""Kalshi's rate limits as a client-side model: a Read and a Write token bucket.

From Kalshi's docs (getting_started/rate_limits.md, the endpoint pages of
api-reference/orders/, changelog.md):

- Every request costs tokens, 10 unless the endpoint says otherwise; a bucket
  refills continuously at the tier's budget (tokens/s) up to its capacity, and a
  request is allowed whenever the bucket holds its cost.
- Two independent buckets: **Write** for order placement, amends, decreases and
  cancels (batched too), order groups and the RFQ quote flow; **Read** for
  everything else.
- Capacity: two seconds of budget for the Basic and Advanced Read buckets and
  for every Write bucket above Basic; one second otherwise (:data:`TIERS`).
- A batch is billed per item and must fit in the bucket whole.
- A 429 carries no ``Retry-After``; "Apply exponential backoff on 429".

Not modelled: the per-shard Write buckets of single orders with
``exchange_index >= 1`` (everything is charged to the unscoped bucket, which is
conservative) and the perps buckets.  The server's bucket is the truth; after a
429 this model empties its own bucket and holds it back by a jittered delay
(:meth:`KalshiRateLimiter.backoff_after_429`).

The limiter reads trio's clock (``trio.current_time()``), like
:class:`actors.venues._rate_limit.RateLimiter`, whose ``acquire``/``defer``
interface it shares; it lives on one trio loop and needs no locks.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Collection, Mapping
from types import MappingProxyType

import attrs
import trio

__all__ = [
    "DEFAULT_COST",
    "LEGACY_ORDER_COSTS",
    "TIERS",
    "V2_ORDER_COSTS",
    "WRITE_ENDPOINTS",
    "Bucket",
    "BucketSpec",
    "KalshiRateLimiter",
    "RateLimitSnapshot",
    "Tier",
    "tier_named",
]

DEFAULT_COST = 10
"""Tokens per request unless an endpoint costs otherwise ("Most requests cost the
default of 10 tokens")."""

WRITE_ENDPOINTS: frozenset[str] = frozenset(
    {
        "create_order",
        "amend_order",
        "decrease_order",
        "cancel_order",
        "batch_create_orders",
        "batch_cancel_orders",
    }
)
"""Endpoint names that draw from the Write bucket; every other name draws from Read."""

V2_ORDER_COSTS: Mapping[str, int] = MappingProxyType(
    {
        # cancel-order-v2.md "2 tokens per request"; batch-cancel-orders-v2.md
        # "2 tokens per order in the batch"; get-order.md "2 tokens per request".
        # Create, amend, decrease and batch create (per item) cost the default 10.
        "cancel_order": 2,
        "batch_cancel_orders": 2,
        "get_order": 2,
    }
)
"""Non-default costs (per item for the batch endpoints) of the V2 order endpoints,
``/portfolio/events/orders...``: the limiter's default table."""

LEGACY_ORDER_COSTS: Mapping[str, int] = MappingProxyType(
    {
        # changelog.md, June 4, 2026: legacy /portfolio/orders mutation and batch
        # costs are "10x the corresponding V2 ... endpoint costs" (create, amend,
        # decrease, batch create 100; cancel, batch cancel 20).  create-order.md and
        # decrease-order.md say 100 too; cancel-order.md still says 2: the higher
        # figure is taken, since underestimating a cost earns 429s.
        "create_order": 100,
        "amend_order": 100,
        "decrease_order": 100,
        "batch_create_orders": 100,
        "cancel_order": 20,
        "batch_cancel_orders": 20,
        "get_order": 2,
    }
)
"""Costs of the legacy ``/portfolio/orders...`` endpoints (pass as ``costs=``)."""


class Bucket(enum.Enum):
    """Which of the two event-contract buckets a request draws from."""

    READ = "read"
    WRITE = "write"


@attrs.frozen
class BucketSpec:
    """A token bucket: ``refill_per_second`` tokens/s up to ``capacity`` tokens."""

    refill_per_second: int = attrs.field(validator=attrs.validators.gt(0))
    capacity: int = attrs.field(validator=attrs.validators.gt(0))


@attrs.frozen
class Tier:
    """A Kalshi API usage tier: its Read and Write buckets."""

    name: str
    read: BucketSpec
    write: BucketSpec

    def spec(self, bucket: Bucket) -> BucketSpec:
        return self.read if bucket is Bucket.READ else self.write


def _tier(name: str, read: int, write: int, *, read_seconds: int) -> Tier:
    # "Write bucket capacity is twice the per-second budget above the Basic tier."
    write_seconds = 1 if name == "basic" else 2
    return Tier(
        name, BucketSpec(read, read * read_seconds), BucketSpec(write, write * write_seconds)
    )


TIERS: Mapping[str, Tier] = MappingProxyType(
    {
        tier.name: tier
        for tier in (
            # "Basic and Advanced Predictions Read buckets ... hold up to two seconds
            # of budget"; "Predictions Read buckets above Advanced ... and Basic-tier
            # Write buckets hold one second of budget."
            _tier("basic", 200, 100, read_seconds=2),
            _tier("advanced", 300, 300, read_seconds=2),
            _tier("expert", 600, 600, read_seconds=1),
            _tier("premier", 1000, 1000, read_seconds=1),
            _tier("paragon", 2000, 2000, read_seconds=1),
            _tier("prime", 4000, 4000, read_seconds=1),
            _tier("prestige", 10000, 8000, read_seconds=1),
        )
    }
)
"""Kalshi's tiers by lower-case name (rate_limits.md, "Tiers and budgets")."""


def tier_named(name: str) -> Tier:
    """The tier called ``name`` (any case); ``ValueError`` listing the valid names."""
    tier = TIERS.get(name.strip().lower()) if isinstance(name, str) else None
    if tier is None:
        raise ValueError(
            f"unknown Kalshi rate-limit tier {name!r}; valid tiers: {', '.join(TIERS)}"
        )
    return tier


@attrs.frozen
class RateLimitSnapshot:
    """What the limiter believes, for status and /metrics: tokens held and seconds
    of 429 hold left per bucket, and the consecutive 429s behind that hold."""

    tier: str
    read_tokens: float
    write_tokens: float
    read_held_for: float
    write_held_for: float
    read_consecutive_429s: int
    write_consecutive_429s: int


# Float refill can land a hair short of a whole cost; waiting for that hair would
# sleep for a time too small to move the clock.
_EPSILON = 1e-9


class _TokenBucket:
    def __init__(self, spec: BucketSpec, now: float) -> None:
        self.spec = spec
        self.tokens = float(spec.capacity)
        self.updated = now
        self.held_until = now
        self.consecutive_429s = 0

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(
            float(self.spec.capacity), self.tokens + elapsed * self.spec.refill_per_second
        )
        self.updated = now

    def wait_needed(self, cost: int, now: float) -> float:
        self.refill(now)
        short = cost - self.tokens
        token_wait = short / self.spec.refill_per_second if short > _EPSILON else 0.0
        return max(token_wait, self.held_until - now)

    def take(self, cost: int, now: float) -> None:
        self.refill(now)
        self.tokens -= cost


class KalshiRateLimiter:
    """Kalshi's Read and Write buckets for one tier, shared by every endpoint name.

    ``tier``: a :class:`Tier` or a tier name (any case).  ``costs``: endpoint name
    -> tokens (per item for a batch), laid over :data:`V2_ORDER_COSTS`; a name in
    neither costs :data:`DEFAULT_COST`.  ``write_endpoints``: the names that draw
    from Write.  ``backoff_base``/``backoff_cap``: seconds, for 429s.  Raises
    ``ValueError`` for an unknown tier, a cost below 1, or a cost its bucket can
    never hold.
    """

    def __init__(
        self,
        tier: Tier | str = "basic",
        *,
        costs: Mapping[str, int] | None = None,
        write_endpoints: Collection[str] = WRITE_ENDPOINTS,
        backoff_base: float = 0.05,
        backoff_cap: float = 2.0,
    ) -> None:
        self.tier = tier if isinstance(tier, Tier) else tier_named(tier)
        if not 0 < backoff_base <= backoff_cap:
            raise ValueError(
                f"429 backoff needs 0 < base <= cap, got base={backoff_base!r} cap={backoff_cap!r}"
            )
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._write_endpoints = frozenset(write_endpoints)
        self._costs = {**V2_ORDER_COSTS, **(costs or {})}
        for endpoint, cost in self._costs.items():
            if not isinstance(cost, int) or isinstance(cost, bool) or cost < 1:
                raise ValueError(f"the cost of {endpoint!r} must be an integer >= 1, got {cost!r}")
            self._check_fits(endpoint, cost)
        self._buckets: dict[Bucket, _TokenBucket] = {}

    def bucket_of(self, endpoint: str) -> Bucket:
        """The bucket ``endpoint`` draws from."""
        return Bucket.WRITE if endpoint in self._write_endpoints else Bucket.READ

    def cost_of(self, endpoint: str, items: int = 1) -> int:
        """Tokens one request to ``endpoint`` costs (``items``: a batch's size)."""
        if not isinstance(items, int) or isinstance(items, bool) or items < 1:
            raise ValueError(f"a request to {endpoint!r} has at least 1 item, got {items!r}")
        return self._costs.get(endpoint, DEFAULT_COST) * items

    def _check_fits(self, endpoint: str, cost: int) -> None:
        bucket = self.bucket_of(endpoint)
        capacity = self.tier.spec(bucket).capacity
        if cost > capacity:
            raise ValueError(
                f"a request to {endpoint!r} costs {cost} tokens, more than the "
                f"{self.tier.name} {bucket.value} bucket's capacity of {capacity}: "
                "Kalshi would reject it whatever the wait (split the batch)"
            )

    def _bucket(self, endpoint: str) -> _TokenBucket:
        kind = self.bucket_of(endpoint)
        bucket = self._buckets.get(kind)
        if bucket is None:
            bucket = self._buckets[kind] = _TokenBucket(self.tier.spec(kind), trio.current_time())
        return bucket

    async def acquire(self, endpoint: str, items: int = 1) -> float:
        """Wait until ``endpoint``'s bucket holds the request's cost and no 429 hold
        applies, take the tokens, and return the seconds waited (cancellable: a
        cancelled wait takes nothing).  Raises ``ValueError`` at once, without
        waiting, when the cost exceeds the bucket's capacity."""
        cost = self.cost_of(endpoint, items)
        self._check_fits(endpoint, cost)
        bucket = self._bucket(endpoint)
        began = trio.current_time()
        while True:
            now = trio.current_time()
            wait = bucket.wait_needed(cost, now)
            if wait <= 0:
                bucket.take(cost, now)
                return now - began
            await trio.sleep(wait)

    def defer(self, endpoint: str, retry_after: float) -> None:
        """Hold ``endpoint``'s bucket (and so every endpoint sharing it) back for
        ``retry_after`` seconds; a shorter hold never shortens a longer one."""
        if retry_after > 0:
            bucket = self._bucket(endpoint)
            bucket.held_until = max(bucket.held_until, trio.current_time() + retry_after)

    def backoff_after_429(self, endpoint: str, rng: random.Random) -> float:
        """Kalshi answered 429 (it sends no Retry-After): the server's bucket is
        short, so empty ours and hold it back by a full-jitter delay
        ``U(0, min(cap, base * 2**n))``, ``n`` the bucket's consecutive 429s before
        this one.  Returns the delay.  :meth:`succeeded` resets ``n``."""
        bucket = self._bucket(endpoint)
        bucket.refill(trio.current_time())
        bucket.tokens = min(bucket.tokens, 0.0)
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** min(bucket.consecutive_429s, 62))
        bucket.consecutive_429s += 1
        delay = rng.uniform(0.0, ceiling)
        self.defer(endpoint, delay)
        return delay

    def succeeded(self, endpoint: str) -> None:
        """A request to ``endpoint`` was not rate-limited: the 429 streak of its
        bucket is over."""
        self._bucket(endpoint).consecutive_429s = 0

    def snapshot(self) -> RateLimitSnapshot:
        """The current state of both buckets, refilled to now."""
        now = trio.current_time()
        read = self._bucket_state(Bucket.READ, now)
        write = self._bucket_state(Bucket.WRITE, now)
        return RateLimitSnapshot(
            tier=self.tier.name,
            read_tokens=read.tokens,
            write_tokens=write.tokens,
            read_held_for=max(0.0, read.held_until - now),
            write_held_for=max(0.0, write.held_until - now),
            read_consecutive_429s=read.consecutive_429s,
            write_consecutive_429s=write.consecutive_429s,
        )

    def _bucket_state(self, kind: Bucket, now: float) -> _TokenBucket:
        bucket = self._buckets.get(kind) or _TokenBucket(self.tier.spec(kind), now)
        bucket.refill(now)
        return bucket

    def __repr__(self) -> str:
        return f"KalshiRateLimiter(tier={self.tier.name!r})"
