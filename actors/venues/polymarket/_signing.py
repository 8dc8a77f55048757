"""Polymarket CLOB V2 signing: orders (EIP-712), L1 ``ClobAuth`` headers, L2 HMAC headers.

Sources: /work/shared/venues/polymarket.md §2-§3, checked against
Polymarket/clob-client-v2 (``src/order-utils/exchangeOrderBuilderV2.ts``,
``src/types/ordersV2.ts``, ``src/headers/index.ts``, ``src/signing/``) and
py-clob-client-v2; the vectors of tests/fixtures/polymarket/vectors.json pass.

**Orders.**  A V2 order is the EIP-712 struct ``Order(uint256 salt,address
maker,address signer,uint256 tokenId,uint256 makerAmount,uint256 takerAmount,
uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32
builder)`` in the domain ``{name: "Polymarket CTF Exchange", version: "2",
chainId, verifyingContract}``, the contract being the CTF Exchange V2 or, for a
negative-risk market, the Neg-Risk CTF Exchange V2.  ``expiration`` is sent
but not signed.  The typed-data digest (:func:`order_digest`) **is the
venue's order id**, known before the order is sent: sign a leg once
(:func:`sign_order`, with :func:`deterministic_salt` of its client order id)
and resend the same :class:`SignedOrder` on a retry, never a fresh signature.

**L1** (create or derive API keys): an EIP-712 ``ClobAuth(address address,
string timestamp,uint256 nonce,string message)`` signature in the domain
``{name: "ClobAuthDomain", version: "1", chainId}``, sent as ``POLY_ADDRESS``,
``POLY_SIGNATURE``, ``POLY_TIMESTAMP`` (unix s), ``POLY_NONCE`` (:func:`l1_headers`).

**L2** (every trading call): ``POLY_SIGNATURE = urlsafe_b64(HMAC_SHA256(
b64decode(secret), str(ts) + method + path + body))`` with the ``=`` padding
kept, ``path`` without its query string and ``body`` the exact bytes sent
(:func:`l2_signature`, :func:`l2_headers`); :func:`verify_l2` and
:func:`recover_order_signer` are the simulated venue's side.

**Exchange versions.**  The venue's ``GET /version`` names the exchange its
orders settle on; an order signed for another answers ``order_version_mismatch``.
The same V2 struct is signed for versions 2 and 3 (:data:`SIGNABLE_VERSIONS`):
version 2 in domain version ``"2"`` on the CTF Exchange V2 or the Neg-Risk CTF
Exchange V2; version 3 in domain version ``"3"`` on the ExchangeV3 for every
market (Polymarket/clob-client-v2 @ f3e1a05 ``src/order-builder/helpers/createOrder.ts``
``case 3``, ``src/config.ts`` ``exchangeV3``, ``CTF_EXCHANGE_V3_DOMAIN_VERSION``;
its test checks only the domain: no published digest vector for version 3).
Version 1 (the V1 struct) is not built.

Signature type 3 (``POLY_1271``, deposit wallets) needs an ERC-7739 wrapped
signature that is not built here: :func:`sign_order` refuses it (its digest is
computed like the others).  Errors are ``ValueError``\\s (``InvalidFieldError``
for an order field) naming the field; no key, secret, passphrase or
signature is ever put in a message or a repr.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any, Final, Literal

import attrs

from actors.errors import InvalidFieldError
from actors.venues.polymarket._eth import (
    Account,
    LocalAccount,
    SignableMessage,
    encode_typed_data,
    is_address,
    keccak,
    to_checksum_address,
)
from actors.venues.polymarket._keys import ApiCredentials, decode_secret

__all__ = [
    "BUY",
    "CLOB_AUTH_MESSAGE",
    "EXCHANGE_V2",
    "EXCHANGE_V3",
    "NEG_RISK_EXCHANGE_V2",
    "POLYGON",
    "POLY_ADDRESS",
    "POLY_API_KEY",
    "POLY_NONCE",
    "POLY_PASSPHRASE",
    "POLY_SIGNATURE",
    "POLY_TIMESTAMP",
    "SELL",
    "SIGNABLE_VERSIONS",
    "ZERO_BYTES32",
    "OrderV2",
    "SignatureType",
    "SignedOrder",
    "clob_auth_signature",
    "deterministic_salt",
    "exchange_address",
    "l1_headers",
    "l2_headers",
    "l2_signature",
    "order_digest",
    "order_from_json",
    "order_json",
    "recover_clob_auth_signer",
    "recover_order_signer",
    "sign_order",
    "signing_path",
    "verify_l2",
]

POLYGON: Final = 137
EXCHANGE_V2: Final = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_EXCHANGE_V2: Final = "0xe2222d279d744050d28e00520010520000310F59"
EXCHANGE_V3: Final = {
    POLYGON: "0xe3333700cA9d93003F00f0F71f8515005F6c00Aa",
    80002: "0x9fE6e61422AdB6F610d8597F9684b16912D50C3D",  # Amoy, the official test chain
}
"""ExchangeV3 by chain id (TSV2 ``src/config.ts``); used for every market."""
SIGNABLE_VERSIONS: Final = (2, 3)
"""Exchange versions whose orders this module signs (module docstring)."""
ZERO_BYTES32: Final = "0x" + "00" * 32
BUY: Final = 0
SELL: Final = 1
CLOB_AUTH_MESSAGE: Final = "This message attests that I control the given wallet"

POLY_ADDRESS: Final = "POLY_ADDRESS"
POLY_SIGNATURE: Final = "POLY_SIGNATURE"
POLY_TIMESTAMP: Final = "POLY_TIMESTAMP"
POLY_NONCE: Final = "POLY_NONCE"
POLY_API_KEY: Final = "POLY_API_KEY"
POLY_PASSPHRASE: Final = "POLY_PASSPHRASE"  # noqa: S105 - a header name


class SignatureType:
    """``signatureType`` values: who signs for the maker (PYV2 ``signature_type_v2.py``)."""

    EOA: Final = 0
    POLY_PROXY: Final = 1
    POLY_GNOSIS_SAFE: Final = 2
    POLY_1271: Final = 3


_UINT256 = 2**256
_SALT_BITS = 40
"""Salts below ``2**40`` (~1.1e12): inside the official clients' range, ``random() x now_ms``
(< 1.8e12), and an exact integer in the JSON body (the TS client ``parseInt``\\s it)."""

_BYTES32 = re.compile(r"0x[0-9a-fA-F]{64}")
_DIGITS = re.compile(r"[1-9][0-9]{0,77}|0")
_ORDER_TYPES: Final = ("GTC", "GTD", "FOK", "FAK")

_EIP712_DOMAIN = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
_ORDER_STRUCT = [
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
]
_CLOB_AUTH_STRUCT = [
    {"name": "address", "type": "address"},
    {"name": "timestamp", "type": "string"},
    {"name": "nonce", "type": "uint256"},
    {"name": "message", "type": "string"},
]


def _fail(field: str, value: object, rule: str) -> None:
    raise InvalidFieldError("OrderV2", field, value, rule)


def _uint(limit: int) -> Any:
    def check(_: object, attribute: attrs.Attribute[int], value: object) -> None:
        if type(value) is not int or not 0 <= value < limit:
            _fail(attribute.name, value, f"must be an integer in [0, {limit})")

    return check


def _address(value: object) -> str:
    """A checksummed address; the validator below refuses anything else."""
    return to_checksum_address(value) if isinstance(value, str) and is_address(value) else value  # type: ignore[return-value]


def _checksummed(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not is_address(value):
        _fail(attribute.name, value, "must be a 0x-hex address of 20 bytes")


def _token_id(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _DIGITS.fullmatch(value) or int(value) >= _UINT256:
        _fail(attribute.name, value, "must be a decimal string of a uint256")


def _bytes32(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _BYTES32.fullmatch(value):
        _fail(attribute.name, value, "must be 0x and 64 hex digits")


def _one_of(*allowed: int) -> Any:
    def check(_: object, attribute: attrs.Attribute[int], value: object) -> None:
        if type(value) is not int or value not in allowed:
            _fail(attribute.name, value, f"must be one of {allowed}")

    return check


@attrs.frozen
class OrderV2:
    """A CLOB V2 order before signing.  Every field but ``expiration`` is signed.

    ``maker`` holds the funds, ``signer`` signs (the same EOA for signature
    type 0); both are kept checksummed.  ``token_id`` is the outcome token's
    decimal id; the amounts are 6-decimal base units (see ``_amounts``);
    ``side`` is :data:`BUY` (0) or :data:`SELL` (1); ``timestamp_ms`` the
    creation time in ms (per-address uniqueness in V2); ``metadata`` and
    ``builder`` bytes32 hex; ``expiration`` unix seconds, 0 for none (GTD only).
    Construction raises :class:`~actors.errors.InvalidFieldError` naming a bad field.
    """

    salt: int = attrs.field(validator=_uint(_UINT256))
    maker: str = attrs.field(converter=_address, validator=_checksummed)
    signer: str = attrs.field(converter=_address, validator=_checksummed)
    token_id: str = attrs.field(validator=_token_id)
    maker_amount: int = attrs.field(validator=_uint(_UINT256))
    taker_amount: int = attrs.field(validator=_uint(_UINT256))
    side: int = attrs.field(validator=_one_of(BUY, SELL))
    signature_type: int = attrs.field(validator=_one_of(0, 1, 2, 3))
    timestamp_ms: int = attrs.field(validator=_uint(_UINT256))
    metadata: str = attrs.field(default=ZERO_BYTES32, validator=_bytes32)
    builder: str = attrs.field(default=ZERO_BYTES32, validator=_bytes32)
    expiration: int = attrs.field(default=0, validator=_uint(_UINT256))


@attrs.frozen
class SignedOrder:
    """An order, its 65-byte signature (``0x`` hex; not in the repr) and its
    digest (``0x`` hex, the venue's order id), for one exchange contract."""

    order: OrderV2
    signature: str = attrs.field(repr=False)
    digest: str
    neg_risk: bool
    chain_id: int = POLYGON
    version: int = 2


def _check_version(version: object) -> int:
    if type(version) is not int or version not in SIGNABLE_VERSIONS:
        raise ValueError(f"exchange version {version!r} is not one of {SIGNABLE_VERSIONS}")
    return version


def exchange_address(*, neg_risk: bool, version: int = 2, chain_id: int = POLYGON) -> str:
    """The verifying contract of orders: for version 2 the Neg-Risk CTF Exchange V2 or
    the CTF Exchange V2; for version 3 the chain's ExchangeV3 (any market). Raises
    ``ValueError`` for another version, or version 3 on a chain without one."""
    if _check_version(version) == 3:
        address = EXCHANGE_V3.get(chain_id)
        if address is None:
            raise ValueError(f"no ExchangeV3 is known on chain {chain_id}")
        return address
    return NEG_RISK_EXCHANGE_V2 if neg_risk else EXCHANGE_V2


def _check_chain(chain_id: object) -> int:
    if type(chain_id) is not int or chain_id <= 0:
        raise ValueError(f"chain_id must be a positive integer, got {chain_id!r}")
    return chain_id


def _order_message(
    order: OrderV2, *, neg_risk: bool, chain_id: int, version: int = 2
) -> SignableMessage:
    if not isinstance(order, OrderV2):
        raise TypeError(f"an OrderV2 is signed, got {type(order).__name__}")
    chain_id = _check_chain(chain_id)
    return encode_typed_data(
        full_message={
            "types": {"EIP712Domain": _EIP712_DOMAIN, "Order": _ORDER_STRUCT},
            "primaryType": "Order",
            "domain": {
                "name": "Polymarket CTF Exchange",
                "version": str(_check_version(version)),
                "chainId": chain_id,
                "verifyingContract": exchange_address(
                    neg_risk=neg_risk, version=version, chain_id=chain_id
                ),
            },
            "message": {
                "salt": order.salt,
                "maker": order.maker,
                "signer": order.signer,
                "tokenId": int(order.token_id),
                "makerAmount": order.maker_amount,
                "takerAmount": order.taker_amount,
                "side": order.side,
                "signatureType": order.signature_type,
                "timestamp": order.timestamp_ms,
                "metadata": order.metadata,
                "builder": order.builder,
            },
        }
    )


def _digest(message: SignableMessage) -> str:
    return "0x" + keccak(b"\x19" + message.version + message.header + message.body).hex()


def order_digest(
    order: OrderV2, *, neg_risk: bool, chain_id: int = POLYGON, version: int = 2
) -> str:
    """The EIP-712 typed-data hash of ``order`` (``0x`` + 64 hex) for exchange
    ``version``: the venue's order id."""
    return _digest(_order_message(order, neg_risk=neg_risk, chain_id=chain_id, version=version))


def _account(private_key: LocalAccount | str) -> LocalAccount:
    if isinstance(private_key, LocalAccount):
        return private_key
    account: LocalAccount | None = None
    # Refused below, outside the handler: the key is in no chained exception.
    with contextlib.suppress(ValueError, TypeError):
        account = Account.from_key(private_key)
    if account is None:
        raise ValueError("the private key is not a valid secp256k1 key")
    return account


def _signature_hex(signature: bytes) -> str:
    return "0x" + bytes(signature).hex()


def sign_order(
    order: OrderV2,
    private_key: LocalAccount | str,
    *,
    neg_risk: bool,
    chain_id: int = POLYGON,
    version: int = 2,
) -> SignedOrder:
    """``order`` signed by ``private_key`` (an account or a 0x-hex key) for the
    exchange of a (negative-risk or standard) market on ``chain_id``, in exchange
    ``version`` (2 or 3: module docstring).

    Deterministic (RFC 6979): the same order and key give the same signature.
    Raises ``ValueError`` when the key's address is not ``order.signer`` (the
    exchange would reject it) or for signature type 3 (``POLY_1271``, whose
    wrapped signature is not built here).
    """
    account = _account(private_key)
    if order.signature_type == SignatureType.POLY_1271:
        raise ValueError("signature type 3 (POLY_1271) orders are not supported")
    if account.address != order.signer:
        raise ValueError(
            f"the key's address {account.address} is not the order's signer {order.signer}"
        )
    message = _order_message(order, neg_risk=neg_risk, chain_id=chain_id, version=version)
    signed = account.sign_message(message)
    return SignedOrder(
        order=order,
        signature=_signature_hex(signed.signature),
        digest=_digest(message),
        neg_risk=neg_risk,
        chain_id=chain_id,
        version=version,
    )


def _recover(message: SignableMessage, signature: str) -> str:
    if not isinstance(signature, str) or not re.fullmatch(r"0x[0-9a-fA-F]{130}", signature):
        raise ValueError("a signature is 0x and 130 hex digits (65 bytes)")
    address: str | None = None
    # Refused below, outside the handler: the library's text may quote the signature.
    with contextlib.suppress(ValueError, TypeError):
        address = Account.recover_message(message, signature=bytes.fromhex(signature[2:]))
    if address is None:
        raise ValueError("the signature recovers no address")
    return address


def recover_order_signer(
    signed: SignedOrder, *, neg_risk: bool, chain_id: int = POLYGON, version: int = 2
) -> str:
    """The checksummed address whose key made ``signed.signature`` over the order
    for that exchange, chain and exchange version (compare it with
    ``signed.order.signer``). Raises ``ValueError`` for a malformed or
    unrecoverable signature."""
    message = _order_message(signed.order, neg_risk=neg_risk, chain_id=chain_id, version=version)
    return _recover(message, signed.signature)


def deterministic_salt(client_order_id: str) -> int:
    """The salt of the order for ``client_order_id``: the first 40 bits of the
    SHA-256 of ``"warden-polymarket-salt:" + client_order_id``, so the same leg
    always yields the same salt, in the range the official clients draw from."""
    if not isinstance(client_order_id, str) or not client_order_id:
        raise ValueError("a client order id is a non-empty string")
    seed = hashlib.sha256(("warden-polymarket-salt:" + client_order_id).encode()).digest()
    return int.from_bytes(seed, "big") >> (256 - _SALT_BITS)


def order_json(
    signed: SignedOrder,
    *,
    owner_api_key: str,
    order_type: Literal["FAK", "FOK", "GTC", "GTD"] = "GTC",
    post_only: bool = False,
    defer_exec: bool = False,
) -> dict[str, Any]:
    """The body of ``POST /order`` for ``signed``, as the official clients build it
    (``orderToJsonV2`` / ``order_to_json_v2``): ``salt`` and ``signatureType`` are
    JSON integers, the amounts, ``tokenId``, ``timestamp`` and ``expiration``
    strings, ``side`` ``"BUY"`` / ``"SELL"``.  No ``taker`` field: V2 orders have
    none and neither client sends one.  Serialize it once and sign and send those
    exact bytes.  Raises ``ValueError`` for an unknown order type, ``post_only``
    with FOK/FAK (the clients refuse it), a GTD order without an expiration or
    another type with one, or an empty api key.
    """
    if order_type not in _ORDER_TYPES:
        raise ValueError(f"order_type must be one of {_ORDER_TYPES}, got {order_type!r}")
    if post_only and order_type in ("FOK", "FAK"):
        raise ValueError(f"post_only is not supported for {order_type} orders")
    order = signed.order
    if (order_type == "GTD") != (order.expiration > 0):
        raise ValueError(
            f"a GTD order needs an expiration and only a GTD order has one "
            f"(order_type {order_type}, expiration {order.expiration})"
        )
    if not isinstance(owner_api_key, str) or not owner_api_key:
        raise ValueError("owner_api_key must be the non-empty API key")
    return {
        "order": {
            "salt": order.salt,
            "maker": order.maker,
            "signer": order.signer,
            "tokenId": order.token_id,
            "makerAmount": str(order.maker_amount),
            "takerAmount": str(order.taker_amount),
            "side": "BUY" if order.side == BUY else "SELL",
            "expiration": str(order.expiration),
            "signatureType": order.signature_type,
            "timestamp": str(order.timestamp_ms),
            "metadata": order.metadata,
            "builder": order.builder,
            "signature": signed.signature,
        },
        "owner": owner_api_key,
        "orderType": order_type,
        "deferExec": defer_exec,
        "postOnly": post_only,
    }


def order_from_json(order: Mapping[str, Any]) -> OrderV2:
    """The unsigned :class:`OrderV2` of an ``order`` object as :func:`order_json` built
    it (its ``signature`` is ignored): what re-signing the same order for another
    exchange version starts from. Raises ``ValueError`` (``InvalidFieldError`` naming
    a field) for an object that is not such an order."""
    try:
        return OrderV2(
            salt=order["salt"],
            maker=order["maker"],
            signer=order["signer"],
            token_id=order["tokenId"],
            maker_amount=int(order["makerAmount"]),
            taker_amount=int(order["takerAmount"]),
            side={"BUY": BUY, "SELL": SELL}[order["side"]],
            signature_type=order["signatureType"],
            timestamp_ms=int(order["timestamp"]),
            metadata=order["metadata"],
            builder=order["builder"],
            expiration=int(order["expiration"]),
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"not an order object: {type(error).__name__} {error}") from None


def _clob_auth_message(address: str, timestamp: int, nonce: int, chain_id: int) -> SignableMessage:
    if type(timestamp) is not int or timestamp < 0:
        raise ValueError(f"timestamp must be a unix time in seconds, got {timestamp!r}")
    if type(nonce) is not int or not 0 <= nonce < _UINT256:
        raise ValueError(f"nonce must be a uint256, got {nonce!r}")
    if not isinstance(address, str) or not is_address(address):
        raise ValueError(f"address must be a 0x-hex address, got {address!r}")
    return encode_typed_data(
        full_message={
            "types": {"EIP712Domain": _EIP712_DOMAIN[:3], "ClobAuth": _CLOB_AUTH_STRUCT},
            "primaryType": "ClobAuth",
            "domain": {"name": "ClobAuthDomain", "version": "1", "chainId": _check_chain(chain_id)},
            "message": {
                "address": to_checksum_address(address),
                "timestamp": str(timestamp),
                "nonce": nonce,
                "message": CLOB_AUTH_MESSAGE,
            },
        }
    )


def clob_auth_signature(
    private_key: LocalAccount | str, *, timestamp: int, nonce: int = 0, chain_id: int = POLYGON
) -> str:
    """The L1 ``ClobAuth`` EIP-712 signature (``0x`` + 130 hex) of the key's address
    at ``timestamp`` (unix s) with ``nonce``."""
    account = _account(private_key)
    message = _clob_auth_message(account.address, timestamp, nonce, chain_id)
    return _signature_hex(account.sign_message(message).signature)


def recover_clob_auth_signer(headers: Mapping[str, str], *, chain_id: int = POLYGON) -> str | None:
    """The address that signed L1 ``headers`` when it is the ``POLY_ADDRESS`` they
    claim, else None (a missing or malformed header, a bad signature).  The
    caller judges the timestamp's age."""
    lowered = {name.upper(): value for name, value in headers.items()}
    try:
        address = lowered[POLY_ADDRESS]
        timestamp = int(lowered[POLY_TIMESTAMP])
        nonce = int(lowered.get(POLY_NONCE, "0"))
        message = _clob_auth_message(address, timestamp, nonce, chain_id)
        signer = _recover(message, lowered[POLY_SIGNATURE])
    except (KeyError, ValueError):
        return None
    return signer if signer == to_checksum_address(address) else None


def l1_headers(
    private_key: LocalAccount | str, *, now_s: int, nonce: int = 0, chain_id: int = POLYGON
) -> dict[str, str]:
    """The L1 headers (``POLY_ADDRESS``, ``POLY_SIGNATURE``, ``POLY_TIMESTAMP``,
    ``POLY_NONCE``) of ``POST /auth/api-key`` and ``GET /auth/derive-api-key``."""
    account = _account(private_key)
    return {
        POLY_ADDRESS: account.address,
        POLY_SIGNATURE: clob_auth_signature(
            account, timestamp=now_s, nonce=nonce, chain_id=chain_id
        ),
        POLY_TIMESTAMP: str(now_s),
        POLY_NONCE: str(nonce),
    }


def signing_path(path_or_url: str) -> str:
    """The path L2 signs: no scheme, host, query or fragment
    (``https://clob.polymarket.com/data/orders?id=1`` -> ``/data/orders``).
    Raises ``ValueError`` for one that does not start with ``/``."""
    path = path_or_url
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    path = path.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        raise ValueError(f"an L2 request path starts with '/', got {path_or_url!r}")
    return path


def _hmac_message(timestamp: int, method: str, path: str, body: str | bytes | None) -> bytes:
    if type(timestamp) is not int:
        raise ValueError(f"timestamp must be an integer of unix seconds, got {timestamp!r}")
    head = f"{timestamp}{method}{signing_path(path)}".encode()
    if body is None:
        return head
    return head + (body.encode() if isinstance(body, str) else bytes(body))


def l2_signature(
    secret_b64url: str, timestamp: int, method: str, request_path: str, body: str | bytes | None
) -> str:
    """``urlsafe_b64(HMAC_SHA256(b64decode(secret), str(timestamp) + method +
    path + body))`` with the ``=`` padding kept.  ``method`` is used as given
    (pass ``"POST"``); the query string of ``request_path`` is dropped; ``body``
    is the exact text or bytes sent (None or empty: nothing appended).  Raises
    ``ValueError`` for a secret that is not base64 (without quoting it)."""
    key = decode_secret(secret_b64url)
    digest = hmac.new(key, _hmac_message(timestamp, method, request_path, body), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii")


def l2_headers(  # noqa: PLR0917 - the shared contract's positional signature
    creds: ApiCredentials,
    address: str,
    method: str,
    path: str,
    body: str | bytes | None,
    now_s: int,
) -> dict[str, str]:
    """The five L2 headers of a request by the wallet ``address`` at ``now_s``:
    ``POLY_ADDRESS``, ``POLY_SIGNATURE``, ``POLY_TIMESTAMP``, ``POLY_API_KEY``,
    ``POLY_PASSPHRASE``.  ``body`` must be the exact bytes sent."""
    if not isinstance(address, str) or not is_address(address):
        raise ValueError(f"address must be a 0x-hex address, got {address!r}")
    return {
        POLY_ADDRESS: to_checksum_address(address),
        POLY_SIGNATURE: l2_signature(creds.secret, now_s, method, path, body),
        POLY_TIMESTAMP: str(now_s),
        POLY_API_KEY: creds.api_key,
        POLY_PASSPHRASE: creds.passphrase,
    }


def verify_l2(  # noqa: PLR0911 - one return per reason, in checking order
    headers: Mapping[str, str],
    creds: ApiCredentials,
    *,
    method: str,
    path: str,
    body: str | bytes | None,
    now_s: int,
    max_skew_s: int = 30,
    address: str | None = None,
) -> str | None:
    """Check a request's L2 headers against ``creds`` (the simulated venue's side;
    the caller found ``creds`` by ``POLY_API_KEY``).  Header names match
    case-insensitively.  None when all is well, else a short reason that never
    echoes a secret: ``missing <header>``, ``unknown api key``, ``bad
    passphrase``, ``wrong address`` (when ``address`` is given), ``malformed
    POLY_TIMESTAMP``, ``timestamp too old``, ``timestamp in the future``,
    ``bad path`` (not starting with ``/``), ``bad signature``."""
    lowered = {name.upper(): value for name, value in headers.items()}
    for name in (POLY_ADDRESS, POLY_SIGNATURE, POLY_TIMESTAMP, POLY_API_KEY, POLY_PASSPHRASE):
        if not lowered.get(name):
            return f"missing {name}"
    if not hmac.compare_digest(lowered[POLY_API_KEY].encode(), creds.api_key.encode()):
        return "unknown api key"
    if not hmac.compare_digest(lowered[POLY_PASSPHRASE].encode(), creds.passphrase.encode()):
        return "bad passphrase"
    if address is not None and lowered[POLY_ADDRESS].lower() != address.lower():
        return "wrong address"
    text = lowered[POLY_TIMESTAMP]
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        return f"malformed {POLY_TIMESTAMP}"
    timestamp = int(text)
    if now_s - timestamp > max_skew_s:
        return "timestamp too old"
    if timestamp - now_s > max_skew_s:
        return "timestamp in the future"
    try:
        expected = l2_signature(creds.secret, timestamp, method, path, body)
    except ValueError:
        return "bad path"
    if not hmac.compare_digest(lowered[POLY_SIGNATURE].encode(), expected.encode()):
        return "bad signature"
    return None
