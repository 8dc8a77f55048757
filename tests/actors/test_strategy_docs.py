"""The operator's strategy worked in docs/strategies.md runs as written and is accepted."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path

import pytest

from actors.domain import Basket, BookSnapshot
from actors.strategy import StrategySettings, build_strategy
from actors.strategy._protocol import missing_members

DOC = Path(__file__).resolve().parents[2] / "docs" / "strategies.md"


@pytest.fixture
def desk_module() -> Iterator[types.ModuleType]:
    """The doc's ``my_desk/strategies.py`` block, importable as ``my_desk.strategies``."""
    source = re.search(r"```python\n# my_desk/strategies.py\n(.*?)```", DOC.read_text(), re.S)
    assert source is not None, "the worked example is missing from docs/strategies.md"
    package, module = types.ModuleType("my_desk"), types.ModuleType("my_desk.strategies")
    package.__path__ = []
    sys.modules["my_desk"], sys.modules["my_desk.strategies"] = package, module
    exec(compile(source.group(1), str(DOC), "exec"), module.__dict__)  # noqa: S102 - our own doc
    yield module
    del sys.modules["my_desk.strategies"], sys.modules["my_desk"]


def test_the_worked_example_is_built_from_its_options_and_proposes_a_valid_basket(
    desk_module: types.ModuleType,
) -> None:
    strategy = build_strategy(
        "my_desk.strategies:WholeComplement",
        {"per_contract": "0.03", "max_count": 3},
        StrategySettings(),
    )
    assert missing_members(strategy) == []
    # YES ask 1 - 0.55 = 0.45, NO ask 1 - 0.52 = 0.48, 4 deep: 3 whole contracts
    book = BookSnapshot(
        "MKT-1", 1, {D("0.52"): D(4)}, {D("0.55"): D(4)}, crossing_tolerance=D("0.50")
    )
    (proposal,) = strategy.on_book(book, 0.0)
    basket = Basket(basket_id="t", event=proposal.event, legs=proposal.legs)
    assert basket.count == D(3)
    assert basket.worst_case_edge >= D("0.09")
    assert strategy.on_book(book, 0.0) == ()  # once per book
