"""Kalshi request signing: RSA-PSS over ``timestamp + METHOD + path``.

Kalshi authenticates every REST request and the websocket handshake with three
headers (docs: getting_started/api_keys.md, quick_start_websockets.md):

- ``KALSHI-ACCESS-KEY``: the key id;
- ``KALSHI-ACCESS-TIMESTAMP``: the wall-clock time in milliseconds, decimal;
- ``KALSHI-ACCESS-SIGNATURE``: base64 of RSA-PSS (SHA-256, MGF1(SHA-256), salt
  length = digest length) over the UTF-8 text ``timestamp + METHOD + path``,
  where ``path`` is the full path from the API root without the query string
  and without the host (:func:`signing_path`).  The websocket handshake signs
  ``GET`` and ``/trade-api/ws/v2``.

PSS is randomised, so two signatures of the same text differ; check one with
:func:`verify_headers` (what the simulated venue does), never by comparing bytes.

The private key comes from a PEM file (:func:`load_private_key`, PKCS#1 or
PKCS#8, unencrypted, mode 0600 or stricter) or from the environment variable
``WARDEN_KALSHI_PRIVATE_KEY`` (:func:`private_key_from_env`).  Every failure is a
:class:`KalshiKeyError` naming where the key was looked for and what is wrong
with it; no key material, signature or underlying exception text ever reaches a
message, a repr or a log line (the errors are raised with no chained cause).
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import attrs
import httpx
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from actors.venues._secrets import read_owner_only

__all__ = [
    "ACCESS_KEY",
    "ACCESS_SIGNATURE",
    "ACCESS_TIMESTAMP",
    "PRIVATE_KEY_ENV",
    "WEBSOCKET_PATH",
    "KalshiAuth",
    "KalshiKeyError",
    "KalshiSigner",
    "load_private_key",
    "private_key_from_env",
    "private_key_from_pem",
    "signing_path",
    "verify_headers",
]

ACCESS_KEY = "KALSHI-ACCESS-KEY"
ACCESS_TIMESTAMP = "KALSHI-ACCESS-TIMESTAMP"
ACCESS_SIGNATURE = "KALSHI-ACCESS-SIGNATURE"
WEBSOCKET_PATH = "/trade-api/ws/v2"
PRIVATE_KEY_ENV = "WARDEN_KALSHI_PRIVATE_KEY"

# A PEM RSA key of 16384 bits is under 13 KiB: anything far larger is not a key,
# and is not read into memory.
_MAX_KEY_BYTES = 64 * 1024


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


class KalshiKeyError(ValueError):
    """The Kalshi private key cannot be used.  ``source`` says where it was looked
    for (a file path or an environment variable), ``reason`` what is wrong; neither
    holds key material.  Fatal: fix the file or the variable and start again."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"Kalshi private key {source}: {reason}")
        self.source = source
        self.reason = reason


def load_private_key(path: Path) -> RSAPrivateKey:
    """The RSA private key in the PEM file ``path`` (PKCS#1 or PKCS#8, unencrypted).

    The file must be a regular file with no group or other permission bits
    (``mode & 0o077 == 0``); that is checked on the opened file before a byte is
    read, whoever runs the process (root included).  Raises :class:`KalshiKeyError`
    naming ``path`` when the file is missing, unreadable, readable by others (with
    its octal mode and the ``chmod 600`` fix), not PEM, encrypted, or not an RSA
    private key.
    """
    data = read_owner_only(path, max_bytes=_MAX_KEY_BYTES, error=KalshiKeyError)
    return private_key_from_pem(data, source=str(path))


def private_key_from_env(
    name: str = PRIVATE_KEY_ENV, environ: Mapping[str, str] | None = None
) -> RSAPrivateKey:
    """The RSA private key whose PEM text is the value of the environment variable
    ``name`` (default ``WARDEN_KALSHI_PRIVATE_KEY``).  A value written on one line
    with literal ``\\n`` escapes (as ``.env`` files and container settings often
    hold it) is accepted too.  Raises :class:`KalshiKeyError` naming the variable
    when it is unset, empty, or does not hold a usable key."""
    source = f"environment variable {name}"
    value = (os.environ if environ is None else environ).get(name)
    if not value or not value.strip():
        raise KalshiKeyError(source, "is not set" if value is None else "is empty")
    if "\n" not in value and "\\n" in value:
        value = value.replace("\\n", "\n")
    return private_key_from_pem(value.encode("utf-8"), source=source)


def _pem_problem(data: bytes) -> str | None:
    """Why ``data`` is plainly not an unencrypted PEM private key, judged from its
    armour and header lines only, never the base64 body (None: let the parser decide)."""
    armour = b"\n".join(
        line.strip()
        for line in data.splitlines()
        if line.lstrip().startswith(b"-----") or b":" in line
    )
    if b"-----BEGIN " not in armour:
        return "not a PEM file (no '-----BEGIN' line)"
    if b"-----BEGIN CERTIFICATE" in armour:
        return "holds a certificate, not a private key"
    if b"PUBLIC KEY-----" in armour and b"PRIVATE KEY-----" not in armour:
        return "holds a public key, not a private key"
    if b"ENCRYPTED" in armour:
        return "is encrypted; store it unencrypted with mode 0600"
    if b"PRIVATE KEY-----" not in armour:
        return "not a PEM private key (no '-----BEGIN ... PRIVATE KEY' line)"
    return None


def private_key_from_pem(data: bytes, *, source: str = "PEM text") -> RSAPrivateKey:
    """Parse PEM ``data`` (PKCS#1 ``RSA PRIVATE KEY`` or PKCS#8 ``PRIVATE KEY``).
    Raises :class:`KalshiKeyError` with ``source`` and a reason of our own words:
    the parser's message is dropped, and raised outside the handler so no
    exception from the parser is chained to it."""
    reason = _pem_problem(data)
    if reason is not None:
        raise KalshiKeyError(source, reason)
    key: object = None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        reason = "is encrypted; store it unencrypted with mode 0600"
    except (ValueError, UnsupportedAlgorithm):
        reason = "not a readable PEM private key (expected PKCS#1 or PKCS#8)"
    if reason is not None:
        raise KalshiKeyError(source, reason)
    if not isinstance(key, RSAPrivateKey):
        kind = type(key).__name__.lstrip("_")
        raise KalshiKeyError(source, f"holds a {kind}, not an RSA private key")
    return key


def signing_path(url_or_path: str) -> str:
    """The path Kalshi signs: the full path from the API root, no host, no query,
    no fragment.  ``https://h/trade-api/v2/portfolio/orders?limit=5`` and
    ``/trade-api/v2/portfolio/orders?limit=5`` both give
    ``/trade-api/v2/portfolio/orders``.  The path is kept exactly as given (no
    percent-decoding or normalising): pass what goes on the wire.  Raises
    ``ValueError`` for a path that does not start with ``/`` (a path relative to
    ``/trade-api/v2`` would be signed wrongly)."""
    if "://" in url_or_path:
        path = urlsplit(url_or_path).path or "/"
    else:
        path = url_or_path.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        raise ValueError(
            f"a Kalshi signing path starts with '/' (the full path from the API root, "
            f"e.g. /trade-api/v2/portfolio/orders), got {path!r}"
        )
    return path


def _message(timestamp: str, method: str, path: str) -> bytes:
    return f"{timestamp}{method.upper()}{signing_path(path)}".encode()


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


def _key_id(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value or value != value.strip() or not value.isprintable():
        raise ValueError(
            f"KalshiSigner.{attribute.name} must be a non-empty printable string "
            "without surrounding whitespace"
        )


def _rsa_private_key(_: object, attribute: attrs.Attribute[RSAPrivateKey], value: object) -> None:
    if not isinstance(value, RSAPrivateKey):
        raise TypeError(
            f"KalshiSigner.{attribute.name.lstrip('_')} must be an RSA private key, "
            f"got {type(value).__name__}"
        )


@attrs.frozen(eq=False)
class KalshiSigner:
    """Signs Kalshi requests with one API key.  ``clock_ms`` is the wall clock in
    integer milliseconds (injected by tests).  Its repr shows the key id only."""

    key_id: str = attrs.field(validator=_key_id)
    _private_key: RSAPrivateKey = attrs.field(validator=_rsa_private_key, repr=False)
    _clock_ms: Callable[[], int] = attrs.field(default=_wall_ms, repr=False)

    def headers(self, method: str, path: str) -> dict[str, str]:
        """The three ``KALSHI-ACCESS-*`` headers for ``method`` on ``path`` (a path
        or a whole URL; the query string is dropped before signing, the method
        upper-cased)."""
        if not method.isalpha():
            raise ValueError(f"an HTTP method is letters only, got {method!r}")
        timestamp = str(self._clock_ms())
        signature = self._private_key.sign(
            _message(timestamp, method, path), _pss(), hashes.SHA256()
        )
        return {
            ACCESS_KEY: self.key_id,
            ACCESS_TIMESTAMP: timestamp,
            ACCESS_SIGNATURE: base64.b64encode(signature).decode("ascii"),
        }

    def websocket_headers(self) -> dict[str, str]:
        """The handshake headers of the websocket API: ``GET`` ``/trade-api/ws/v2``."""
        return self.headers("GET", WEBSOCKET_PATH)


class KalshiAuth(httpx.Auth):
    """An ``httpx`` auth flow that signs each request just before it is sent, with
    the path as it goes on the wire (``request.url.raw_path``, percent-encoded,
    query dropped).  Use with ``httpx.AsyncClient(auth=KalshiAuth(signer))``."""

    def __init__(self, signer: KalshiSigner) -> None:
        self._signer = signer

    def __repr__(self) -> str:
        return f"KalshiAuth({self._signer!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raw_path = request.url.raw_path.decode("ascii")
        request.headers.update(self._signer.headers(request.method, raw_path))
        yield request


def verify_headers(
    public_key: RSAPublicKey,
    method: str,
    path: str,
    headers: Mapping[str, str],
    *,
    now_ms: int,
    max_skew_ms: int,
) -> str | None:
    """Check a request's ``KALSHI-ACCESS-*`` headers against ``public_key`` (for
    the simulated venue).  Header names match case-insensitively.  Returns None
    when the signature is good and the timestamp is within ``max_skew_ms`` of
    ``now_ms`` either way, else a short reason that never echoes the signature:
    ``missing <header>``, ``malformed KALSHI-ACCESS-TIMESTAMP``, ``timestamp too
    old``, ``timestamp in the future``, ``malformed KALSHI-ACCESS-SIGNATURE``,
    ``bad signature``.  Whether the key id is known is the caller's business."""
    lowered = {name.lower(): value for name, value in headers.items()}
    for name in (ACCESS_KEY, ACCESS_TIMESTAMP, ACCESS_SIGNATURE):
        if not lowered.get(name.lower()):
            return f"missing {name}"
    timestamp = lowered[ACCESS_TIMESTAMP.lower()]
    return _timestamp_problem(timestamp, now_ms, max_skew_ms) or _signature_problem(
        public_key, timestamp, method, path, lowered[ACCESS_SIGNATURE.lower()]
    )


def _timestamp_problem(timestamp: str, now_ms: int, max_skew_ms: int) -> str | None:
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 20):
        return f"malformed {ACCESS_TIMESTAMP}"
    if now_ms - int(timestamp) > max_skew_ms:
        return "timestamp too old"
    if int(timestamp) - now_ms > max_skew_ms:
        return "timestamp in the future"
    return None


def _signature_problem(
    public_key: RSAPublicKey, timestamp: str, method: str, path: str, encoded: str
) -> str | None:
    try:
        signature = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return f"malformed {ACCESS_SIGNATURE}"
    try:
        message = _message(timestamp, method, path)
    except ValueError:
        return "bad path"
    try:
        public_key.verify(signature, message, _pss(), hashes.SHA256())
    except InvalidSignature:
        return "bad signature"
    return None
