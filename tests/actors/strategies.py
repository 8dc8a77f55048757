"""Hypothesis strategies for the domain types: valid values and the bad values a feed sees."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from actors.domain import Action, Side

PAYOUT = 100

tickers = st.from_regex(r"[A-Z][A-Z0-9\-]{0,20}", fullmatch=True)
order_ids = st.from_regex(r"[a-z0-9][a-z0-9\-]{0,30}", fullmatch=True)
prices = st.integers(min_value=1, max_value=PAYOUT - 1)
counts = st.integers(min_value=1, max_value=10_000)
sides = st.sampled_from(Side)
actions = st.sampled_from(Action)
fee_rates = st.decimals(min_value=0, max_value=Decimal("0.9999"), places=4)
payouts = st.integers(min_value=2, max_value=1_000)

not_an_int = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1.0, 50.0]),
    st.booleans(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.none(),
)
"""Values that are never a price, size or count, whatever their numeric value."""

bad_prices = st.one_of(
    not_an_int,
    st.integers(max_value=0),
    st.integers(min_value=PAYOUT),
)
"""Values that are never a price for a payout of 100 cents."""

bad_counts = st.one_of(not_an_int, st.integers(max_value=0))
"""Values that are never a count or a size."""


@st.composite
def uncrossed_sides(draw: st.DrawFn) -> tuple[dict[int, int], dict[int, int]]:
    """YES and NO bid levels whose best bids add up to less than the payout."""
    yes = draw(st.dictionaries(prices, counts, max_size=8))
    if yes:
        ceiling = PAYOUT - max(yes) - 1  # the highest NO bid that does not cross
        no_prices = st.integers(min_value=1, max_value=max(ceiling, 1))
        no = draw(st.dictionaries(no_prices, counts, max_size=8)) if ceiling >= 1 else {}
    else:
        no = draw(st.dictionaries(prices, counts, max_size=8))
    return yes, no
