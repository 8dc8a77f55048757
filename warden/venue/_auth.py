"""Kalshi request signatures, checked when the venue is given API public keys.

With :attr:`VenueConfig.kalshi_public_keys` (key id -> PEM public key) every
request on a ``/trade-api`` path, REST and the websocket handshake alike,
must carry ``KALSHI-ACCESS-KEY`` (a known key id), ``KALSHI-ACCESS-TIMESTAMP``
(wall-clock milliseconds, within :data:`MAX_SKEW_MS`) and
``KALSHI-ACCESS-SIGNATURE`` (RSA-PSS over ``timestamp + METHOD + path``, the
path without its query: getting_started/api_keys.md).  The check itself is
:func:`actors.venues.kalshi._signing.verify_headers`.  ``/sim`` paths are
never signed.  The reason a request is refused names the header at fault,
never the signature or key.

Without keys (the default) nothing is checked, as before.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

ACCESS_KEY = "KALSHI-ACCESS-KEY"
SIGNED_PREFIX = "/trade-api/"
MAX_SKEW_MS = 30_000
"""How far a request's timestamp may be from the venue's wall clock, either way.
Kalshi documents no window; 30 s is the venue's choice."""


def load_public_keys(pems: Mapping[str, str]) -> dict[str, RSAPublicKey]:
    """Key id -> RSA public key; ``ValueError`` naming the key id for a bad PEM,
    ``TypeError`` for a key that is not RSA."""
    keys = {}
    for key_id, pem in pems.items():
        try:
            key = serialization.load_pem_public_key(pem.encode())
        except (ValueError, TypeError):
            raise ValueError(f"kalshi_public_keys[{key_id!r}]: not a PEM public key") from None
        if not isinstance(key, RSAPublicKey):
            raise TypeError(f"kalshi_public_keys[{key_id!r}]: not an RSA public key")
        keys[key_id] = key
    return keys


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def headers_of(scope: Mapping[str, object]) -> dict[str, str]:
    """An ASGI scope's request headers (lower-case names; the last of a repeated name)."""
    raw = scope.get("headers") or []
    assert isinstance(raw, list | tuple)
    return {bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1") for k, v in raw}


def request_path(scope: Mapping[str, object]) -> str:
    """The path as it came on the wire (``raw_path``, no query), else the decoded one."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        return raw.decode("latin-1").split("?", 1)[0]
    return str(scope.get("path", "/"))


def problem(
    keys: Mapping[str, RSAPublicKey],
    method: str,
    path: str,
    headers: Mapping[str, str],
    *,
    now_ms: int,
) -> str | None:
    """Why this request is not validly signed (None: it is, or no keys are configured)."""
    if not keys or not path.startswith(SIGNED_PREFIX):
        return None
    key_id = headers.get(ACCESS_KEY.lower())
    if not key_id:
        return f"missing {ACCESS_KEY}"
    key = keys.get(key_id)
    if key is None:
        return f"unknown {ACCESS_KEY}"
    # imported here, not at the top: a venue without keys must not depend on the
    # Kalshi client package (its __init__ imports the whole client)
    from actors.venues.kalshi._signing import verify_headers  # noqa: PLC0415

    return verify_headers(key, method, path, headers, now_ms=now_ms, max_skew_ms=MAX_SKEW_MS)
