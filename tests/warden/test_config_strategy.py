"""strategy.use / strategy.options, [baskets] and the new risk keys: errors name the key."""

from __future__ import annotations

import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from actors.strategy import (
    BasketArbitrage,
    BreakEvenExit,
    ComplementArbitrage,
    build_strategies,
)
from warden.config import ConfigError, load_config, parse_config
from warden.wiring import basket_policy, risk_limits, strategies_of, strategy_settings

OPERATOR_MODULE = '''
from decimal import Decimal


class Exit:
    """An operator's strategy: takes one option and proposes nothing."""

    wants_holdings = True

    def __init__(self, *, trail: str = "0.01", name: str = "trailing_exit") -> None:
        self.trail = Decimal(trail)
        self.name = name

    def on_events(self, listed): pass
    def on_book(self, book, now): return ()
    def on_stale(self, ticker): pass
    def on_holdings(self, holdings): pass


class NotAStrategy:
    name = "half"

    def on_book(self, book, now): return ()


def broken(**options):
    raise RuntimeError("cannot start")
'''


@pytest.fixture
def operator_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module ``desk_strategies`` importable from a temporary directory."""
    (tmp_path / "desk_strategies.py").write_text(textwrap.dedent(OPERATOR_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "desk_strategies"
    sys.modules.pop("desk_strategies", None)


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, source="test.toml")
    return caught.value.problems


def test_the_defaults_trade_baskets_with_the_documented_limits() -> None:
    config = parse_config({})
    assert (config.strategy.use, config.strategy.options) == (
        ("basket_arbitrage", "complement_arbitrage"),
        {},
    )
    baskets = config.baskets
    assert (
        baskets.complete_within_s,
        baskets.complete_slippage,
        baskets.max_complete_attempts,
    ) == (2.0, Decimal("0.02"), 1)
    # no event limit of its own: the total limit applies to each event
    assert (config.risk.max_event_exposure, config.risk.max_reservations_per_event) == (None, 1)
    basket, complement = strategies_of(config)
    assert isinstance(basket, BasketArbitrage)
    assert isinstance(complement, ComplementArbitrage)
    assert (basket.min_edge, basket.max_count) == (Decimal("0.01"), Decimal(10))


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (
            {"use": ["basket_arbitrage", "nope"]},
            "strategy.use[1] = 'nope': unknown strategy: neither a built-in (basket_arbitrage,"
            ' complement_arbitrage, break_even_exit) nor "package.module:Class"',
        ),
        (
            {"use": ["no_such_package.module:Thing"]},
            "strategy.use[0] = 'no_such_package.module:Thing': cannot import"
            " no_such_package.module: ModuleNotFoundError(",
        ),
        (
            {"use": ["break_even_exit"], "options": {"break_even_exit": {"loss": "1"}}},
            "strategy.use[0] = 'break_even_exit': unknown option(s) ['loss']; it takes ['profit']",
        ),
        (
            {"use": ["break_even_exit"], "options": {"break_even_exit": {"profit": 0.05}}},
            "strategy.use[0] = 'break_even_exit': option profit = 0.05: must be dollars as a"
            ' string such as "0.01"',
        ),
        (
            {"options": {"basket_arbitrage": {"max_markets": 1}}},
            "strategy.use[0] = 'basket_arbitrage': bad option: BasketArbitrage.max_markets=1"
            " must be None or an integer >= 2",
        ),
        (
            {"use": ["complement_arbitrage", "complement_arbitrage"]},
            "strategy.use[1] = 'complement_arbitrage': repeats strategy.use[0]",
        ),
        (
            {"options": {"break_even_exit": {"profit": "0.01"}}},
            'strategy.options."break_even_exit": names no entry of strategy.use',
        ),
        ({"use": []}, "strategy.use = []: must name at least one strategy"),
        (
            {"use": "basket_arbitrage"},
            'strategy.use: expected an array of strings such as ["basket_arbitrage"],'
            " got str 'basket_arbitrage'",
        ),
        (
            {"options": {"basket_arbitrage": 3}},
            'strategy.options: expected tables such as [strategy.options."basket_arbitrage"]',
        ),
    ],
)
def test_a_bad_strategy_entry_is_named_by_its_index(strategy: dict, message: str) -> None:
    problems = problems_of({"strategy": strategy})
    assert any(message in problem for problem in problems), problems


def test_an_operators_class_is_built_with_its_options(operator_module: str) -> None:
    entry = f"{operator_module}:Exit"
    config = parse_config(
        {"strategy": {"use": ["basket_arbitrage", entry], "options": {entry: {"trail": "0.03"}}}}
    )
    basket, exit_ = strategies_of(config)
    assert isinstance(basket, BasketArbitrage)
    assert (exit_.name, exit_.wants_holdings, exit_.trail) == (  # type: ignore[attr-defined]
        "trailing_exit",
        True,
        Decimal("0.03"),
    )
    assert strategies_of(config)[1] is not exit_  # a fresh object for every incarnation


@pytest.mark.parametrize(
    ("entry", "options", "message"),
    [
        ("{m}:Exit", {"speed": 1}, "Exit(**options) raised TypeError("),
        ("{m}:NotAStrategy", {}, "NotAStrategy is not a strategy: it lacks wants_holdings"),
        ("{m}:Missing", {}, "desk_strategies has no class Missing"),
        ("{m}:broken", {}, "broken(**options) raised RuntimeError('cannot start')"),
    ],
)
def test_an_operators_entry_that_cannot_be_built_is_named(
    operator_module: str, entry: str, options: dict, message: str
) -> None:
    entry = entry.format(m=operator_module)
    problems = problems_of(
        {"strategy": {"use": ["basket_arbitrage", entry], "options": {entry: options}}}
    )
    assert len(problems) == 1
    assert problems[0].startswith(f"strategy.use[1] = '{entry}': ")
    assert message in problems[0]


def test_two_strategies_with_one_name_are_refused(operator_module: str) -> None:
    entry = f"{operator_module}:Exit"
    problems = problems_of(
        {
            "strategy": {
                "use": ["break_even_exit", entry],
                "options": {entry: {"name": "break_even_exit"}},
            }
        }
    )
    assert problems == [
        f"strategy.use[1] = '{entry}': its name 'break_even_exit' is taken by strategy.use[0]"
    ]


def test_min_edge_and_max_count_feed_the_arbitrage_built_ins_unless_their_options_say() -> None:
    config = parse_config(
        {
            "strategy": {
                "use": ["complement_arbitrage", "basket_arbitrage", "break_even_exit"],
                "min_edge": "0.02",
                "max_count": 4,
                "options": {
                    "basket_arbitrage": {"min_edge": "0.05", "max_markets": 3},
                    "break_even_exit": {"profit": "0.10"},
                },
            }
        }
    )
    complement, basket, exit_ = strategies_of(config)
    assert (complement.min_edge, complement.max_count) == (Decimal("0.02"), Decimal(4))  # type: ignore[attr-defined]
    assert isinstance(basket, BasketArbitrage)
    assert (basket.min_edge, basket.max_count, basket.max_markets) == (
        Decimal("0.05"),
        Decimal(4),
        3,
    )
    assert isinstance(exit_, BreakEvenExit)
    assert exit_.profit == Decimal("0.10")


def test_max_concurrent_markets_below_the_largest_event_a_strategy_trades_is_refused() -> None:
    data = {
        "strategy": {
            "use": ["complement_arbitrage", "basket_arbitrage"],
            "options": {"basket_arbitrage": {"max_markets": 6}},
        },
        "risk": {"max_concurrent_markets": 5},
    }
    assert problems_of(data) == [
        "risk.max_concurrent_markets = 5: must be >= 6, the markets of the largest event"
        " strategy.use[1] = 'basket_arbitrage' may trade (a basket holds every leg market"
        " at once)"
    ]
    data["risk"] = {"max_concurrent_markets": 6}
    assert parse_config(data).risk.max_concurrent_markets == 6
    # unknown size (no max_markets): nothing to compare, the default stands
    assert parse_config({"risk": {"max_concurrent_markets": 1}}).strategy.use == (
        "basket_arbitrage",
        "complement_arbitrage",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"baskets": {"max_complete_attempts": 10}},
            "baskets.max_complete_attempts = 10: must be an integer >= 0 and <= 9",
        ),
        (
            {"baskets": {"complete_slippage": 0.02}},
            'baskets.complete_slippage: expected dollars as a string such as "200.00"',
        ),
        (
            {"baskets": {"complete_slippage": "1.00"}},
            "baskets.complete_slippage = '1.00': must be >= 0 and < 1 (dollars)",
        ),
        (
            {"baskets": {"complete_within_s": -1.0}},
            "baskets.complete_within_s = -1.0: must be a finite number of seconds >= 0.0",
        ),
        (
            {"baskets": {"complete_after_s": 1.0}},
            "unknown key(s) ['complete_after_s'] in [baskets]",
        ),
        (
            {"risk": {"max_reservations_per_event": 0}},
            "risk.max_reservations_per_event = 0: must be an integer >= 1",
        ),
        (
            {"risk": {"max_event_exposure": "300.00"}},
            'risk.max_event_exposure = "300.00": must not exceed risk.max_total_exposure'
            ' ("200.00")',
        ),
    ],
)
def test_a_bad_basket_or_event_key_is_named(data: dict, message: str) -> None:
    problems = problems_of(data)
    assert any(message in problem for problem in problems), problems


def test_strategy_problems_are_reported_with_every_other_bad_key() -> None:
    problems = problems_of(
        {"strategy": {"use": ["nope"]}, "baskets": {"max_complete_attempts": -1}}
    )
    assert [p.split(" ", 1)[0] for p in problems] == [
        "strategy.use[0]",
        "baskets.max_complete_attempts",
    ]


def test_a_toml_file_names_options_tables_by_quoted_entry(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        textwrap.dedent(
            """
            [strategy]
            use = ["basket_arbitrage", "break_even_exit"]

            [strategy.options."break_even_exit"]
            profit = "0.05"

            [baskets]
            complete_within_s = 0.5
            complete_slippage = "0.01"
            max_complete_attempts = 2
            """
        )
    )
    config = load_config(path)
    assert config.strategy.options == {"break_even_exit": {"profit": "0.05"}}
    assert (config.baskets.complete_within_s, config.baskets.max_complete_attempts) == (0.5, 2)
    _, exit_ = build_strategies(
        config.strategy.use, config.strategy.options, strategy_settings(config)
    )
    assert isinstance(exit_, BreakEvenExit)
    assert exit_.profit == Decimal("0.05")


def test_the_wiring_hands_the_basket_policy_and_event_limits_to_risk() -> None:
    config = parse_config(
        {
            "baskets": {"complete_within_s": 1.5, "complete_slippage": "0.03"},
            "risk": {"max_event_exposure": "80.00", "max_reservations_per_event": 2},
        }
    )
    policy = basket_policy(config)
    assert (policy.complete_within_s, policy.complete_slippage, policy.max_complete_attempts) == (
        1.5,
        Decimal("0.03"),
        1,
    )
    limits, _breaker = risk_limits(config)
    assert (limits.max_event_exposure, limits.max_reservations_per_event) == (Decimal("80.00"), 2)
