"""Types for JSON at warden's edges (HTTP bodies, report files, the history).

``Json`` is any value ``json.loads`` returns; ``JsonObject`` a decoded object.
Use them where data really is open JSON on its way in or out, and turn it into
a typed attrs class (with cattrs) as soon as its shape is known. They replace
``Any``, so mypy still checks that a reader narrows (``isinstance``) before use.
"""

from __future__ import annotations

from typing import TypeAlias

Json: TypeAlias = dict[str, "Json"] | list["Json"] | str | int | float | bool | None
JsonObject: TypeAlias = dict[str, Json]

__all__ = ["Json", "JsonObject"]
