"""Reading a venue's JSON strictly: what every adapter's answer parsers share.

A 2xx answer the client cannot read is :class:`Malformed`, naming the field (and,
through :func:`naming`, the record); the client turns it into a
:class:`~actors.errors.VenueServerError`, so malformed venue data fails closed
like any other unreadable answer.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["Malformed", "get", "load_strict", "naming", "retry_after_seconds"]


class Malformed(Exception):
    """The venue answered 2xx with a body we cannot read."""


def get(record: Any, key: str, kind: type) -> Any:
    """``record[key]`` if ``record`` is an object holding a ``kind`` there (an ``int``
    exactly: not a ``bool``); else :class:`Malformed` naming ``key``."""
    if not isinstance(record, dict) or key not in record:
        raise Malformed(f"missing {key!r}")
    value = record[key]
    if kind is int and type(value) is not int:
        raise Malformed(f"{key!r} is not an integer: {value!r}")
    if not isinstance(value, kind):
        raise Malformed(f"{key!r} is not {kind.__name__}: {value!r}")
    return value


def naming(record: Any, kind: str, *keys: str) -> str:
    """``order order_id 'o1', client_order_id 'c1'``: how an error names its record
    (only the ``keys`` it holds as strings)."""
    if not isinstance(record, dict):
        return kind
    parts = [f"{key} {record[key]!r}" for key in keys if isinstance(record.get(key), str)]
    return f"{kind} {', '.join(parts)}" if parts else kind


def _refuse_constant(literal: str) -> object:
    raise ValueError(f"{literal} is not JSON")


load_strict = json.JSONDecoder(parse_constant=_refuse_constant).decode
"""``text`` as JSON, refusing ``NaN`` / ``Infinity`` (``ValueError``, as for any text
that is not JSON): what a venue sends is JSON, and JSON has no such numbers."""


def retry_after_seconds(header: str | None) -> float:
    """Retry-After in seconds; an HTTP-date or garbage counts as 0 (caller backs off)."""
    if header is None:
        return 0.0
    try:
        seconds = float(header)
    except ValueError:
        return 0.0
    return seconds if 0 <= seconds < float("inf") else 0.0
