"""Operator-typed text (the halt reason) is cleaned where it enters the daemon."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from actors.risk import RiskStatus
from tests.warden.control_harness import Plane, serving_plane
from warden.control import read_snapshot
from warden.control._text import ELLIPSIS, REASON_LIMIT, clean_text, is_unsafe

ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from("\x1b\r\n\t\x7f\x85\x9b\u2028\u202e\x00 "),
    ),
    max_size=600,
)


def _control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or is_unsafe(char)


@given(ANY_TEXT, st.integers(min_value=1, max_value=400))
def test_cleaned_text_never_holds_a_control_character_nor_exceeds_the_bound(
    text: str, limit: int
) -> None:
    cleaned = clean_text(text, limit)
    assert not any(_control(c) for c in cleaned)
    assert len(cleaned) <= limit


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Zs", "Zl", "Zp"))))
def test_ordinary_text_within_the_bound_passes_unchanged(text: str) -> None:
    ordinary = "".join(c for c in text if not is_unsafe(c))[:REASON_LIMIT]
    assert clean_text(ordinary) == ordinary


@given(ANY_TEXT)
def test_text_over_the_bound_ends_with_an_ellipsis_marker(text: str) -> None:
    cleaned = clean_text("x" * REASON_LIMIT + text + "y")
    assert len(cleaned) == REASON_LIMIT
    assert cleaned.endswith(ELLIPSIS)


def test_escapes_and_line_breaks_are_removed_and_spaces_kept() -> None:
    assert clean_text("venue  down\x1b[31m\r\nERROR forged\x7f\x9b line") == (
        "venue  down[31m  ERROR forged line"
    )
    assert clean_text("\u202eevil\u2028text\x00") == "evil text"
    assert clean_text("\x1b\x1b\n") == ""
    with pytest.raises(ValueError, match="at least 1"):
        clean_text("x", 0)


async def _risk(plane: Plane) -> RiskStatus:
    """Risk's status as the control plane serves it, read back typed."""
    node = read_snapshot((await plane.http.get("/actors/risk")).json())
    status = node.status_of("risk", RiskStatus)
    assert status is not None
    return status


async def test_a_halt_reason_with_escapes_comes_back_clean_from_risk(tmp_path: Path) -> None:
    async with serving_plane(tmp_path) as plane:
        typed = "maint\x1b[31m\nERROR: forged line\x07 " + "z" * 500
        response = await plane.http.post("/halt", json={"reason": typed}, headers=plane.auth())
        assert response.status_code == 202
        expected = clean_text(typed)
        assert expected.startswith("maint[31m ERROR: forged line zzz")
        assert response.json()["reason"] == expected
        with trio.fail_after(10):
            while not (risk := await _risk(plane)).halted:
                await trio.sleep(0.01)
        assert risk.halt_reason == expected
        assert len(expected) == REASON_LIMIT
        ready = (await plane.http.get("/readyz")).json()
        assert ready["reasons"] == [f"trading is halted: {expected}"]


async def test_a_halt_reason_of_only_control_characters_becomes_the_default(
    tmp_path: Path,
) -> None:
    async with serving_plane(tmp_path) as plane:
        response = await plane.http.post("/halt", json={"reason": "\x1b\n"}, headers=plane.auth())
        assert response.json()["reason"] == "operator halt"
