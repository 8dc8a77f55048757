"""Text an operator (or any client) typed, made safe to log, print and record.

A halt reason travels from ``POST /halt`` to the daemon's log, the status
line, risk's summary (``GET /actors/risk``, ``warden health``) and the
ledger's audit trail. Raw, it could carry terminal escapes (``\\x1b[2J``
clears the operator's screen), forged log lines (``\\n`` then a fake
``ERROR ...``) or a megabyte of text. :func:`clean_text` is applied once,
where the text enters the daemon (the control plane's handler), so every
consumer downstream sees the same safe string.

What is removed: every C0 and C1 control character and DEL (Unicode category
``Cc``: ``\\x00``-``\\x1f``, ``\\x7f``-``\\x9f``, which includes ESC, CR, LF and
TAB), the line and paragraph separators (U+2028, U+2029) and the bidirectional
overrides and isolates (U+202A-U+202E, U+2066-U+2069) that reorder what a
terminal shows. Whitespace controls (TAB, LF, CR, VT, FF) and the separators
become one ordinary space, so words on two lines stay two words; the rest are
dropped. Ordinary spaces are kept; the result is stripped at both ends. Text
longer than ``limit`` characters is cut to ``limit`` characters, the last of
which is ``…`` so a reader sees it was cut.
"""

from __future__ import annotations

import unicodedata

REASON_LIMIT = 200
ELLIPSIS = "…"
_AS_SPACE = frozenset("\t\n\r\x0b\x0c\u2028\u2029")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_unsafe(char: str) -> bool:
    """True for a character :func:`clean_text` never lets through."""
    return char in _AS_SPACE or char in _BIDI or unicodedata.category(char) == "Cc"


def clean_text(text: str, limit: int = REASON_LIMIT) -> str:
    """``text`` without control characters, at most ``limit`` (>= 1) characters long."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    kept = "".join(" " if c in _AS_SPACE else c for c in text if not is_unsafe(c) or c in _AS_SPACE)
    kept = kept.strip()
    if len(kept) > limit:
        kept = kept[: limit - 1] + ELLIPSIS
    return kept
