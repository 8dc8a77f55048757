"""The venue's side of Polymarket's signatures: L2 HMAC headers and EIP-712 orders.

Written from the documented rules (/work/shared/venues/polymarket.md §3), not
from warden's adapter, so the simulator checks the adapter rather than
agreeing with it by construction:

- **L2** (every trading call): headers ``POLY_ADDRESS``, ``POLY_SIGNATURE``,
  ``POLY_TIMESTAMP`` (unix s), ``POLY_API_KEY``, ``POLY_PASSPHRASE``;
  ``POLY_SIGNATURE = urlsafe_b64(HMAC_SHA256(urlsafe_b64decode(secret),
  timestamp + METHOD + path + body))``, the path without its query string,
  the body the exact bytes received.  :func:`l2_problem` says what is wrong.
- **Orders** (CLOB V2): the EIP-712 struct ``Order(uint256 salt,address maker,
  address signer,uint256 tokenId,uint256 makerAmount,uint256 takerAmount,uint8
  side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)``
  in the domain ``{name: "Polymarket CTF Exchange", version: "2", chainId,
  verifyingContract}`` (CTF Exchange V2, or the Neg-Risk CTF Exchange V2 for a
  negative-risk market).  :func:`order_digest` is the order id;
  :func:`recover_signer` the address that signed it.

No function puts a secret, a passphrase or a signature into its answer.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import re
from collections.abc import Mapping

from actors.venues.polymarket._eth import Account, SignableMessage, encode_typed_data, keccak
from warden.venue._polymarket_config import PolymarketConfig

__all__ = [
    "EXCHANGE_V2",
    "MAX_SKEW_S",
    "NEG_RISK_EXCHANGE_V2",
    "SignedOrderFields",
    "l2_problem",
    "order_digest",
    "recover_signer",
]

EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59"
MAX_SKEW_S = 30
"""How far ``POLY_TIMESTAMP`` may be from the venue's clock (the page gives no figure)."""

_HEADERS = ("POLY_ADDRESS", "POLY_SIGNATURE", "POLY_TIMESTAMP", "POLY_API_KEY", "POLY_PASSPHRASE")
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")


def l2_problem(  # noqa: PLR0911 - one return per reason, in checking order
    headers: Mapping[str, str],
    account: PolymarketConfig,
    *,
    method: str,
    path: str,
    body: bytes,
    now_s: float,
) -> str | None:
    """Why the L2 headers of this request do not authenticate ``account`` (None: they
    do).  ``headers`` are lower-case names as ASGI gives them."""
    values = {name: headers.get(name.lower(), "") for name in _HEADERS}
    missing = [name for name, value in values.items() if not value]
    if missing:
        return f"missing {', '.join(missing)}"
    if not hmac.compare_digest(values["POLY_API_KEY"].encode(), account.api_key.encode()):
        return "unknown api key"
    if not hmac.compare_digest(values["POLY_PASSPHRASE"].encode(), account.passphrase.encode()):
        return "bad passphrase"
    if values["POLY_ADDRESS"].lower() != account.address.lower():
        return "POLY_ADDRESS is not the api key's address"
    stamp = values["POLY_TIMESTAMP"]
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        return "malformed POLY_TIMESTAMP"
    if abs(int(stamp) - now_s) > MAX_SKEW_S:
        return "POLY_TIMESTAMP too far from the venue's clock"
    secret = account.secret
    key = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    message = f"{stamp}{method}{path}".encode() + body
    expected = base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest())
    if not hmac.compare_digest(values["POLY_SIGNATURE"].encode(), expected):
        return "bad signature"
    return None


class SignedOrderFields:
    """The signed fields of a ``POST /order`` body's ``order``, read strictly.

    Raises ``ValueError`` naming the field (never the signature's value)."""

    def __init__(self, order: Mapping[str, object]) -> None:
        self.salt = _uint(order, "salt", allow_int=True)
        self.maker = _address(order, "maker")
        self.signer = _address(order, "signer")
        self.token_id = _uint(order, "tokenId")
        self.maker_amount = _uint(order, "makerAmount")
        self.taker_amount = _uint(order, "takerAmount")
        side = order.get("side")
        if side not in ("BUY", "SELL"):
            raise ValueError("side must be BUY or SELL")
        self.side = str(side)
        kind = order.get("signatureType")
        if type(kind) is not int or kind not in (0, 1, 2, 3):
            raise ValueError("signatureType must be 0, 1, 2 or 3")
        self.signature_type = kind
        self.timestamp = _uint(order, "timestamp")
        self.metadata = _bytes32(order, "metadata")
        self.builder = _bytes32(order, "builder")
        self.expiration = _uint(order, "expiration") if "expiration" in order else 0
        signature = order.get("signature")
        if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
            raise ValueError("signature must be 0x and 130 hex digits")
        self.signature = signature

    def message(self, *, neg_risk: bool, chain_id: int) -> SignableMessage:
        return encode_typed_data(
            full_message={
                "types": {
                    "EIP712Domain": [
                        {"name": "name", "type": "string"},
                        {"name": "version", "type": "string"},
                        {"name": "chainId", "type": "uint256"},
                        {"name": "verifyingContract", "type": "address"},
                    ],
                    "Order": [
                        {"name": "salt", "type": "uint256"},
                        {"name": "maker", "type": "address"},
                        {"name": "signer", "type": "address"},
                        {"name": "tokenId", "type": "uint256"},
                        {"name": "makerAmount", "type": "uint256"},
                        {"name": "takerAmount", "type": "uint256"},
                        {"name": "side", "type": "uint8"},
                        {"name": "signatureType", "type": "uint8"},
                        {"name": "timestamp", "type": "uint256"},
                        {"name": "metadata", "type": "bytes32"},
                        {"name": "builder", "type": "bytes32"},
                    ],
                },
                "primaryType": "Order",
                "domain": {
                    "name": "Polymarket CTF Exchange",
                    "version": "2",
                    "chainId": chain_id,
                    "verifyingContract": NEG_RISK_EXCHANGE_V2 if neg_risk else EXCHANGE_V2,
                },
                "message": {
                    "salt": self.salt,
                    "maker": self.maker,
                    "signer": self.signer,
                    "tokenId": self.token_id,
                    "makerAmount": self.maker_amount,
                    "takerAmount": self.taker_amount,
                    "side": 0 if self.side == "BUY" else 1,
                    "signatureType": self.signature_type,
                    "timestamp": self.timestamp,
                    "metadata": self.metadata,
                    "builder": self.builder,
                },
            }
        )


def order_digest(order: SignedOrderFields, *, neg_risk: bool, chain_id: int) -> str:
    """The EIP-712 typed-data hash of ``order``: ``0x`` + 64 lower-case hex digits."""
    message = order.message(neg_risk=neg_risk, chain_id=chain_id)
    return "0x" + keccak(b"\x19" + message.version + message.header + message.body).hex()


def recover_signer(order: SignedOrderFields, *, neg_risk: bool, chain_id: int) -> str | None:
    """The checksummed address whose key signed ``order``; None if none can be recovered."""
    message = order.message(neg_risk=neg_risk, chain_id=chain_id)
    with contextlib.suppress(ValueError, TypeError, binascii.Error):
        address: str = Account.recover_message(
            message, signature=bytes.fromhex(order.signature[2:])
        )
        return address
    return None


def _uint(order: Mapping[str, object], key: str, *, allow_int: bool = False) -> int:
    value = order.get(key)
    if allow_int and type(value) is int and 0 <= value < 2**256:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 78:
        number = int(value)
        if number < 2**256:
            return number
    kind = "an integer or a decimal string" if allow_int else "a decimal string"
    raise ValueError(f"{key} must be {kind} of a uint256")


def _address(order: Mapping[str, object], key: str) -> str:
    value = order.get(key)
    if not isinstance(value, str) or not re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
        raise ValueError(f"{key} must be a 0x address of 20 bytes")
    return value


def _bytes32(order: Mapping[str, object], key: str) -> str:
    value = order.get(key)
    if not isinstance(value, str) or not re.fullmatch(r"0x[0-9a-fA-F]{64}", value):
        raise ValueError(f"{key} must be 0x and 64 hex digits")
    return value
