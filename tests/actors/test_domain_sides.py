"""The sides of a binary contract."""

from __future__ import annotations

from actors.domain import Side


def test_each_side_has_the_other_as_complement() -> None:
    assert Side.YES.other is Side.NO
    assert Side.NO.other is Side.YES
