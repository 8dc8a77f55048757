"""Hypothesis strategies for the domain types: valid values and the bad values a feed sees.

Money is exact (docs/money.md): prices are ``Decimal`` dollars with at most 4
decimals in ``(0, payout)``, counts ``Decimal`` contracts with at most 2
decimals.  ``PRICE_STEP`` and ``SIZE_STEP`` are the smallest steps.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from actors.domain import Action, Side

PAYOUT = Decimal(1)
PRICE_STEP = Decimal("0.0001")
SIZE_STEP = Decimal("0.01")


def price_units(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Prices ``low x 0.0001`` to ``high x 0.0001``, printed with 4 decimals."""
    return st.integers(min_value=low, max_value=high).map(lambda n: Decimal(n).scaleb(-4))


def prices_between(low: Decimal, high: Decimal) -> st.SearchStrategy[Decimal]:
    """4-decimal prices in ``[low, high]`` (both multiples of 0.0001)."""
    return price_units(int(low / PRICE_STEP), int(high / PRICE_STEP))


def size_units(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Sizes ``low x 0.01`` to ``high x 0.01``, printed with 2 decimals."""
    return st.integers(min_value=low, max_value=high).map(lambda n: Decimal(n).scaleb(-2))


tickers = st.from_regex(r"[A-Z][A-Z0-9\-]{0,20}", fullmatch=True)
order_ids = st.from_regex(r"[a-z0-9][a-z0-9\-]{0,30}", fullmatch=True)
prices = prices_between(PRICE_STEP, PAYOUT - PRICE_STEP)
"""Any price for a payout of $1: 0.0001 to 0.9999."""
cent_prices = st.integers(min_value=1, max_value=99).map(lambda n: Decimal(n).scaleb(-2))
"""Whole-cent prices ($0.01 to $0.99), Kalshi's ``linear_cent`` grid."""
counts = size_units(1, 1_000_000)
"""Any count: 0.01 to 10,000.00 contracts."""
whole_counts = st.integers(min_value=1, max_value=10_000).map(Decimal)
"""Whole contracts, 1 to 10,000."""
sides = st.sampled_from(Side)
actions = st.sampled_from(Action)
fee_rates = st.decimals(min_value=0, max_value=Decimal("0.9999"), places=4)
payouts = st.integers(min_value=2, max_value=1_000).map(lambda n: Decimal(n).scaleb(-2))
"""Payouts $0.02 to $10.00."""

not_a_decimal = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1.0, 0.5]),
    st.booleans(),
    st.integers(),
    st.sampled_from([Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity")]),
    st.text(max_size=3),
    st.none(),
)
"""Values that are never a price, size or amount, whatever their numeric value."""

not_an_int = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.none(),
)
"""Values that are never a sequence number."""

too_many_price_decimals = (
    st.integers(min_value=1, max_value=99_999)
    .filter(lambda n: n % 10 != 0)
    .map(lambda n: Decimal(n).scaleb(-5))
)
"""Prices in (0, 1) with a fifth decimal."""

bad_prices = st.one_of(
    not_a_decimal,
    st.decimals(max_value=0, places=4, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=PAYOUT, places=4, allow_nan=False, allow_infinity=False),
    too_many_price_decimals,
)
"""Values that are never a price for a payout of $1."""

bad_counts = st.one_of(
    not_a_decimal,
    st.decimals(max_value=0, places=2, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=9_999)
    .filter(lambda n: n % 10 != 0)
    .map(lambda n: Decimal(n).scaleb(-3)),
)
"""Values that are never a count or a size (including a third decimal)."""


@st.composite
def uncrossed_sides(
    draw: st.DrawFn,
) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
    """YES and NO bid levels whose best bids add up to less than the payout."""
    yes = draw(st.dictionaries(prices, counts, max_size=8))
    if yes:
        ceiling = PAYOUT - max(yes) - PRICE_STEP  # the highest NO bid that does not cross
        no = (
            draw(st.dictionaries(prices_between(PRICE_STEP, ceiling), counts, max_size=8))
            if ceiling >= PRICE_STEP
            else {}
        )
    else:
        no = draw(st.dictionaries(prices, counts, max_size=8))
    return yes, no
