"""Where the Polymarket secrets come from: the wallet key and the CLOB API credentials.

Two secrets, each from an owner-only file or from the environment:

- the **wallet key** (signs orders and the L1 ``ClobAuth`` message): a file
  holding one ``0x``-hex secp256k1 private key (64 hex digits; the ``0x`` is
  optional, surrounding whitespace ignored), or ``WARDEN_POLYMARKET_PRIVATE_KEY``;
  :func:`load_wallet_key` gives an ``eth_account`` ``LocalAccount``;
- the **API credentials** (sign every L2 request): a JSON file shaped as
  ``GET /auth/derive-api-key`` answers, ``{"apiKey", "secret", "passphrase"}``
  (other keys ignored), or ``WARDEN_POLYMARKET_API_KEY`` / ``_SECRET`` /
  ``_PASSPHRASE``; :func:`load_api_credentials` gives :class:`ApiCredentials`.

A file must be a regular file with no group or other permission bits
(``mode & 0o077 == 0``), checked on the opened file before a byte is read.
Every failure is a :class:`PolymarketKeyError` naming where the secret was
looked for (a path or a variable) and what is wrong, with the ``chmod 600`` fix
for a loose mode.  No key, secret or passphrase ever reaches a message or a
repr: errors are raised outside the handlers of the parsers, so no exception
holding key material is chained to them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

import attrs

from actors.venues._secrets import read_owner_only
from actors.venues.polymarket._eth import Account, LocalAccount

__all__ = [
    "API_KEY_ENV",
    "API_PASSPHRASE_ENV",
    "API_SECRET_ENV",
    "PRIVATE_KEY_ENV",
    "ApiCredentials",
    "PolymarketKeyError",
    "decode_secret",
    "load_api_credentials",
    "load_wallet_key",
    "wallet_key_from_text",
]

PRIVATE_KEY_ENV = "WARDEN_POLYMARKET_PRIVATE_KEY"
API_KEY_ENV = "WARDEN_POLYMARKET_API_KEY"
API_SECRET_ENV = "WARDEN_POLYMARKET_API_SECRET"  # noqa: S105 - a variable name, no secret
API_PASSPHRASE_ENV = "WARDEN_POLYMARKET_API_PASSPHRASE"  # noqa: S105 - a name

# A key file is 66 bytes and a credentials file a few hundred: anything far
# larger is not one of them, and is not read into memory.
_MAX_FILE_BYTES = 16 * 1024

_HEX_KEY = re.compile(r"(?:0[xX])?([0-9a-fA-F]{64})")
_BASE64URL = re.compile(r"[A-Za-z0-9_\-+/]+={0,2}")


class PolymarketKeyError(ValueError):
    """A Polymarket secret cannot be used.  ``source`` says where it was looked
    for (a file path or an environment variable), ``reason`` what is wrong;
    neither holds key material.  Fatal: fix the file or the variable and start again."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"Polymarket secret {source}: {reason}")
        self.source = source
        self.reason = reason


def decode_secret(secret: str) -> bytes:
    """The bytes of an API secret: base64, URL-safe or standard alphabet, padding
    optional (as the official clients accept it).  Raises ``ValueError`` (without
    the secret in the message) when it is not base64."""
    if not isinstance(secret, str) or not secret or not _BASE64URL.fullmatch(secret):
        raise ValueError("the API secret is not base64 text")
    normalized = secret.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(normalized + "=" * (-len(normalized) % 4), validate=True)
    except (binascii.Error, ValueError):
        pass  # raised below, outside the handler: the decoder's error is not chained
    raise ValueError("the API secret is not base64 text")


def _not_blank(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value or value != value.strip():
        raise ValueError(
            f"ApiCredentials.{attribute.name} must be a non-empty string without "
            "surrounding whitespace"
        )


def _base64_secret(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    _not_blank(_, attribute, value)
    assert isinstance(value, str)
    decode_secret(value)


@attrs.frozen
class ApiCredentials:
    """One CLOB API key: ``api_key`` (also the ``owner`` of every order), and the
    ``secret`` (base64) and ``passphrase`` that sign L2 requests.  The repr shows
    the key only.  Construction raises ``ValueError`` for an empty field or a
    secret that is not base64, naming the field and never its value."""

    api_key: str = attrs.field(validator=_not_blank)
    secret: str = attrs.field(validator=_base64_secret, repr=False)
    passphrase: str = attrs.field(validator=_not_blank, repr=False)


def _read_owner_only(path: Path) -> bytes:
    return read_owner_only(path, max_bytes=_MAX_FILE_BYTES, error=PolymarketKeyError)


def wallet_key_from_text(text: str, *, source: str = "text") -> LocalAccount:
    """The account of the private key ``text`` (64 hex digits, ``0x`` optional,
    surrounding whitespace ignored).  Raises :class:`PolymarketKeyError` with
    ``source`` when it is not such a key or not a valid secp256k1 scalar."""
    match = _HEX_KEY.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise PolymarketKeyError(source, "not a private key (expected 0x and 64 hex digits)")
    account: LocalAccount | None = None
    # Refused below, outside the handler: no exception of the parser is chained to ours.
    with contextlib.suppress(ValueError, TypeError):
        account = Account.from_key("0x" + match.group(1))
    if account is None:
        raise PolymarketKeyError(source, "not a valid secp256k1 private key")
    return account


def load_wallet_key(
    path: Path | None = None, *, environ: Mapping[str, str] | None = None
) -> LocalAccount:
    """The wallet account whose private key is in the file ``path``, or, with no
    path, in the environment variable ``WARDEN_POLYMARKET_PRIVATE_KEY`` (``environ``
    defaults to ``os.environ``).  Raises :class:`PolymarketKeyError` naming the
    path (with its mode and ``chmod 600`` when others may read it) or the variable."""
    if path is not None:
        data = _read_owner_only(path)
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            text = ""  # not a key: refused by the parser below
        return wallet_key_from_text(text, source=str(path))
    source = f"environment variable {PRIVATE_KEY_ENV}"
    value = (os.environ if environ is None else environ).get(PRIVATE_KEY_ENV)
    if not value or not value.strip():
        raise PolymarketKeyError(source, "is not set" if value is None else "is empty")
    return wallet_key_from_text(value, source=source)


_CREDENTIAL_FIELDS = (("apiKey", "api_key"), ("secret", "secret"), ("passphrase", "passphrase"))


def _credentials(
    values: Mapping[str, object], source: str, names: Mapping[str, str]
) -> ApiCredentials:
    fields: dict[str, str] = {}
    for wire, attribute in _CREDENTIAL_FIELDS:
        value = values.get(wire)
        if not isinstance(value, str) or not value.strip():
            missing = value is None
            raise PolymarketKeyError(
                source, f"{names[wire]} is {'missing' if missing else 'not a non-empty string'}"
            )
        fields[attribute] = value.strip()
    problem = None
    try:
        return ApiCredentials(**fields)
    except ValueError:
        problem = "secret is not base64 text"
    raise PolymarketKeyError(source, problem)


def load_api_credentials(
    path: Path | None = None, *, environ: Mapping[str, str] | None = None
) -> ApiCredentials:
    """The API credentials in the JSON file ``path`` (``{"apiKey", "secret",
    "passphrase"}``, the answer of ``/auth/derive-api-key``), or, with no path,
    in ``WARDEN_POLYMARKET_API_KEY`` / ``_SECRET`` / ``_PASSPHRASE``.  Raises
    :class:`PolymarketKeyError` naming the path or the variable when the file
    is missing, readable by others, not a JSON object, or a field is missing,
    empty or (the secret) not base64."""
    if path is not None:
        source = str(path)
        data = _read_owner_only(path)
        wire: object = None
        # Refused below, outside the handler: the parser's message may quote the file.
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            wire = json.loads(data)
        if not isinstance(wire, dict):
            raise PolymarketKeyError(source, "not a JSON object with apiKey, secret, passphrase")
        return _credentials(
            wire, source, {name: f"field {name!r}" for name, _ in _CREDENTIAL_FIELDS}
        )
    env = os.environ if environ is None else environ
    variables = {"apiKey": API_KEY_ENV, "secret": API_SECRET_ENV, "passphrase": API_PASSPHRASE_ENV}
    values = {wire_name: env.get(variable) for wire_name, variable in variables.items()}
    names = {wire_name: f"variable {variable}" for wire_name, variable in variables.items()}
    return _credentials(values, "environment", names)
