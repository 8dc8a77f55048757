"""Who trades on the simulated venue's Polymarket dialect, and the dialect's knobs.

:class:`PolymarketConfig` is ``VenueConfig.polymarket``: the one account the
dialect serves (it is the engine's ``trader``), named as Polymarket names it —
the wallet ``address`` that signs orders (``POLY_ADDRESS``, the order's
``signer``), the CLOB API credentials (``api_key``, ``secret``, ``passphrase``:
L2 HMAC on every trading call), the ``signature_type`` (0 EOA, 1 POLY_PROXY, 2
POLY_GNOSIS_SAFE) and, for types 1 and 2, the ``funder`` that holds the funds
(the order's ``maker``).  The secret and passphrase never appear in a repr.

:func:`load_polymarket_config` reads the JSON file ``warden venue-sim
--polymarket-account`` names: ``{"address", "apiKey", "secret", "passphrase",
"signatureType"?, "funder"?}`` (the credentials as Polymarket's clients save
them).  Any problem raises ``ValueError`` naming the key, never quoting a
secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from pathlib import Path

from attrs import field, frozen

from actors.venues.polymarket._eth import is_address, to_checksum_address
from supervision import validators

__all__ = ["PolymarketConfig", "load_polymarket_config"]


def _address(value: object) -> object:
    return to_checksum_address(value) if isinstance(value, str) and is_address(value) else value


def _optional_address(value: object) -> object:
    return None if value is None else _address(value)


_is_address = validators.rule(
    lambda v: isinstance(v, str) and is_address(v), "must be a 0x address of 20 bytes"
)
_text = validators.rule(lambda v: isinstance(v, str) and v != "", "must be a non-empty string")


def _is_secret(value: object) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return False
    return True


def _redacted(instance: object, name: str, _value: object, rule: str) -> validators.FieldError:
    return validators.FieldError(type(instance).__name__, name, "<redacted>", rule)


_secret = validators.rule(_is_secret, "must be base64 (url-safe) text", error=_redacted)
_private_text = validators.rule(
    lambda v: isinstance(v, str) and v != "", "must be a non-empty string", error=_redacted
)
_seconds = validators.rule(
    lambda v: (
        isinstance(v, int | float) and not isinstance(v, bool) and v > 0 and not math.isnan(v)
    ),
    "must be seconds > 0 (inf: never)",
)


@frozen
class PolymarketConfig:
    """The Polymarket account of the simulated venue (see the module docstring).

    ``heartbeat_timeout_s``: after the first ``POST /v1/heartbeats``, a gap
    longer than this cancels every open order of the account (Polymarket's page
    gives no figure; third-party clients put it at 10 s).  ``page_size``: records
    per page of ``GET /data/orders`` and ``GET /data/trades`` (simulator knob).
    ``chain_id`` is the EIP-712 domain's chain (Polygon, 137).
    """

    address: str = field(converter=_address, validator=_is_address)
    api_key: str = field(validator=_text)
    secret: str = field(validator=_secret, repr=False)
    passphrase: str = field(validator=_private_text, repr=False)
    signature_type: int = field(default=0, validator=validators.integer(0, 2))
    funder: str | None = field(
        default=None,
        converter=_optional_address,
        validator=validators.optional(_is_address),
    )
    heartbeat_timeout_s: float = field(default=10.0, validator=_seconds)
    page_size: int = field(default=100, validator=validators.integer(1, 1000))
    chain_id: int = field(default=137, validator=validators.integer(1))

    def __attrs_post_init__(self) -> None:
        if (self.signature_type == 0) != (self.funder is None):
            raise ValueError(
                "PolymarketConfig.funder: required with signature_type 1 or 2, and only then"
            )

    @property
    def maker(self) -> str:
        """The address holding the funds: ``funder``, or ``address`` for an EOA."""
        return self.funder if self.funder is not None else self.address


def load_polymarket_config(path: Path) -> PolymarketConfig:
    """The account of the JSON file ``path`` (see the module docstring); ``ValueError``
    (or ``OSError``) naming the problem, never quoting the secret."""
    try:
        data = json.loads(Path(path).read_text())
    except ValueError:
        raise ValueError(f"{path}: not JSON") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a JSON object")  # noqa: TRY004 - a bad file, not a type
    known = {"address", "apiKey", "secret", "passphrase", "signatureType", "funder"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown}; known: {sorted(known)}")
    missing = sorted({"address", "apiKey", "secret", "passphrase"} - set(data))
    if missing:
        raise ValueError(f"{path}: missing {missing}")
    try:
        return PolymarketConfig(
            address=data["address"],
            api_key=data["apiKey"],
            secret=data["secret"],
            passphrase=data["passphrase"],
            signature_type=data.get("signatureType", 0),
            funder=data.get("funder"),
        )
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: {error}") from None
