"""eth-account, imported without its side effect on the whole process.

Importing eth-account imports py_ecc, whose package ``__init__`` raises the
interpreter's recursion limit to 100,000 (``sys.setrecursionlimit(max(100000,
...))``). With that limit a deeply nested JSON frame overflows the C stack inside
``json.loads`` and kills the daemon (a segmentation fault, found by the test suite:
``"[" * 100_000`` given to Kalshi's frame parser once a Polymarket module had been
imported) instead of raising the ``RecursionError`` that every frame parser turns
into a rejection. Every module of warden imports eth-account through this one,
which puts the limit back; nothing warden uses from eth-account (secp256k1 keys,
EIP-712 hashing) recurses deeply.
"""

from __future__ import annotations

import sys

_LIMIT = sys.getrecursionlimit()
try:
    from eth_account import Account
    from eth_account.messages import SignableMessage, encode_typed_data
    from eth_account.signers.local import LocalAccount
    from eth_utils.address import is_address, is_checksum_address, to_checksum_address
    from eth_utils.crypto import keccak
finally:
    sys.setrecursionlimit(_LIMIT)

__all__ = [
    "Account",
    "LocalAccount",
    "SignableMessage",
    "encode_typed_data",
    "is_address",
    "is_checksum_address",
    "keccak",
    "to_checksum_address",
]
