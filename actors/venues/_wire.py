"""Reading a venue's JSON strictly: what every adapter's answer parsers share.

A 2xx answer the client cannot read is :class:`Malformed`, naming the field (and,
through :func:`naming`, the record); the client turns it into a
:class:`~actors.errors.VenueServerError`, so malformed venue data fails closed
like any other unreadable answer.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Malformed", "get", "naming"]


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
