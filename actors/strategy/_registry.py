"""From the configured ``strategy.use`` entries to strategy objects.

An entry is a built-in name (:data:`BUILT_IN`) or ``"package.module:Class"``,
an operator's class built as ``Class(**options)``.  A built-in takes its
money settings from :class:`StrategySettings` (``strategy.min_edge``,
``strategy.max_count``, the fees) and its options from the TOML table
``[strategy.options."<entry>"]``, each checked here (money as a string of
dollars, as everywhere in the config).

Every failure raises :class:`StrategyLoadError`, whose message says what is
wrong with the entry; the config loader prefixes it with ``strategy.use[i]``.
Building is cheap and has no side effect beyond importing the operator's
module, so the loader builds each entry once to check it, and the daemon
builds fresh ones for every incarnation of the strategy actor (strategies
keep state).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

import attrs

from actors.errors import DomainError
from actors.fees import FeeModel
from actors.strategy._arbitrage import ComplementArbitrage
from actors.strategy._basket_arbitrage import BasketArbitrage
from actors.strategy._exit import BreakEvenExit
from actors.strategy._protocol import Bounded, Strategy, missing_members

_FIXED_POINT = re.compile(r"(?:0|[1-9][0-9]*)(?:\.([0-9]+))?")
_ENTRY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*")


class StrategyLoadError(ValueError):
    """A ``strategy.use`` entry that cannot be built: unknown, not importable, a bad
    option, or not a strategy. The message names what, not where (the caller does)."""


@attrs.frozen
class StrategySettings:
    """What built-ins take from the rest of the config: the fees, ``strategy.min_edge``
    (dollars) and ``strategy.max_count`` (contracts per leg)."""

    fees: FeeModel = attrs.field(factory=FeeModel)
    min_edge: Decimal = Decimal("0.01")
    max_count: Decimal = Decimal(10)


Options = Mapping[str, object]
"""One ``[strategy.options."<entry>"]`` table as TOML parsed it."""


def _dollars(key: str, value: object, places: int = 4) -> Decimal:
    match = _FIXED_POINT.fullmatch(value) if isinstance(value, str) and len(value) <= 24 else None
    if match is None or len(match.group(1) or "") > places:
        raise StrategyLoadError(
            f"option {key} = {value!r}: must be dollars as a string such as"
            f' "0.01" (at most {places} decimals)'
        )
    return Decimal(value)  # type: ignore[arg-type]  # matched: a str


def _count(key: str, value: object) -> Decimal:
    if type(value) is int:
        return Decimal(value)
    try:
        return _dollars(key, value, places=2)
    except StrategyLoadError:
        raise StrategyLoadError(
            f"option {key} = {value!r}: must be contracts, an integer or a string"
            ' such as "2.50" (at most 2 decimals)'
        ) from None


def _integer(key: str, value: object) -> int:
    if type(value) is not int:
        raise StrategyLoadError(f"option {key} = {value!r}: must be an integer")
    return value


_Parser = Callable[[str, object], object]


@attrs.frozen
class BuiltIn:
    """A built-in strategy: its options (name -> parser) and how to build it."""

    options: Mapping[str, _Parser]
    build: Callable[[StrategySettings, dict[str, object]], Strategy]
    summary: str


def _arbitrage_settings(settings: StrategySettings, given: dict[str, object]) -> dict[str, object]:
    return {"min_edge": settings.min_edge, "max_count": settings.max_count, **given}


BUILT_IN: Mapping[str, BuiltIn] = {
    "basket_arbitrage": BuiltIn(
        {"min_edge": _dollars, "max_count": _count, "max_markets": _integer},
        lambda s, given: BasketArbitrage(
            s.fees.schedule,
            **_arbitrage_settings(s, given),  # type: ignore[arg-type]
        ),
        "every market of an exclusive event, all YES or all NO",
    ),
    "complement_arbitrage": BuiltIn(
        {"min_edge": _dollars, "max_count": _count},
        lambda s, given: ComplementArbitrage(
            s.fees,
            **_arbitrage_settings(s, given),  # type: ignore[arg-type]
        ),
        "YES and NO of one market",
    ),
    "break_even_exit": BuiltIn(
        {"profit": _dollars},
        lambda s, given: BreakEvenExit(s.fees.schedule, **given),  # type: ignore[arg-type]
        "sell held contracts once the bid recovers their cost",
    ),
}
"""The built-in strategies by name (docs/strategies.md)."""


def build_strategy(entry: str, options: Options, settings: StrategySettings) -> Strategy:
    """The strategy ``entry`` names, built with ``options``; raises :class:`StrategyLoadError`."""
    built_in = BUILT_IN.get(entry)
    if built_in is not None:
        return _build_built_in(built_in, options, settings)
    if not _ENTRY.fullmatch(entry):
        raise StrategyLoadError(
            f"unknown strategy: neither a built-in ({', '.join(BUILT_IN)})"
            ' nor "package.module:Class"'
        )
    return _build_imported(entry, options)


def _build_built_in(built_in: BuiltIn, options: Options, settings: StrategySettings) -> Strategy:
    unknown = sorted(set(options) - set(built_in.options))
    if unknown:
        raise StrategyLoadError(f"unknown option(s) {unknown}; it takes {sorted(built_in.options)}")
    given = {key: built_in.options[key](key, value) for key, value in options.items()}
    try:
        return built_in.build(settings, given)
    except DomainError as bad:  # the strategy's own validator: names the field and the rule
        raise StrategyLoadError(f"bad option: {bad}") from None


def _build_imported(entry: str, options: Options) -> Strategy:
    module_name, _, class_name = entry.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - any failure of operator code is reported
        raise StrategyLoadError(f"cannot import {module_name}: {error!r}") from None
    factory = getattr(module, class_name, None)
    if not callable(factory):
        raise StrategyLoadError(f"{module_name} has no class {class_name}")
    try:
        strategy = factory(**options)
    except Exception as error:  # noqa: BLE001 - a bad option, or a bug in its __init__
        raise StrategyLoadError(f"{class_name}(**options) raised {error!r}") from None
    missing = missing_members(strategy)
    if missing:
        raise StrategyLoadError(f"{class_name} is not a strategy: it lacks {', '.join(missing)}")
    return strategy  # type: ignore[no-any-return]  # checked member by member above


def check_strategies(
    use: Sequence[str], options: Mapping[str, Options], settings: StrategySettings
) -> tuple[tuple[Strategy, ...], list[str]]:
    """Build every entry of ``use``; answer those built and every problem, each naming
    its key: ``strategy.use[i] = "entry": ...`` (unknown, not importable, a bad option,
    not a strategy, an entry repeated, a name another entry's strategy has) or
    ``strategy.options."entry": ...`` (a table for no entry of ``use``)."""
    built: list[Strategy] = []
    problems: list[str] = []
    first_of: dict[str, int] = {}
    named: dict[str, int] = {}
    for index, entry in enumerate(use):
        where = f"strategy.use[{index}] = {entry!r}"
        if entry in first_of:
            problems.append(f"{where}: repeats strategy.use[{first_of[entry]}]")
            continue
        first_of[entry] = index
        try:
            strategy = build_strategy(entry, options.get(entry, {}), settings)
        except StrategyLoadError as error:
            problems.append(f"{where}: {error}")
            continue
        if strategy.name in named:
            taken = named[strategy.name]
            problems.append(
                f"{where}: its name {strategy.name!r} is taken by strategy.use[{taken}]"
            )
            continue
        named[strategy.name] = index
        built.append(strategy)
    problems.extend(
        f'strategy.options."{entry}": names no entry of strategy.use'
        for entry in options
        if entry not in first_of
    )
    return tuple(built), problems


def build_strategies(
    use: Sequence[str], options: Mapping[str, Options], settings: StrategySettings
) -> tuple[Strategy, ...]:
    """Every entry of ``use`` built, in order (fresh objects each call: strategies keep
    state); raises :class:`StrategyLoadError` listing every problem
    (:func:`check_strategies`). The daemon's config was checked when it was loaded, so
    this fails only if operator code changed since."""
    built, problems = check_strategies(use, options, settings)
    if problems:
        raise StrategyLoadError("; ".join(problems))
    return built


def largest_event(strategy: Strategy) -> int | None:
    """The most markets ``strategy`` may trade in one proposal, if it says (:class:`Bounded`)."""
    if not isinstance(strategy, Bounded):
        return None
    bound = strategy.max_event_markets
    return bound if type(bound) is int else None
