"""Polymarket signing: the venue's vectors byte for byte, the digest as order id, the
L2 HMAC over the exact body, and key files refused loudly with no secret shown.

Vectors: tests/fixtures/polymarket/vectors.json (see SOURCES.md).  Three more
CLOB V2 cases (a builder code, a proxy wallet, a Gnosis Safe) are the ones
NautilusTrader checks against py-clob-client-v2 in
crates/adapters/polymarket/src/signing/eip712.rs (``test_signature_matches_py_clob_client_v2``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.errors import InvalidFieldError
from actors.venues.polymarket._eth import Account
from actors.venues.polymarket._keys import (
    API_KEY_ENV,
    API_PASSPHRASE_ENV,
    API_SECRET_ENV,
    PRIVATE_KEY_ENV,
    ApiCredentials,
    PolymarketKeyError,
    load_api_credentials,
    load_wallet_key,
)
from actors.venues.polymarket._signing import (
    BUY,
    EXCHANGE_V2,
    NEG_RISK_EXCHANGE_V2,
    POLY_ADDRESS,
    POLY_API_KEY,
    POLY_NONCE,
    POLY_PASSPHRASE,
    POLY_SIGNATURE,
    POLY_TIMESTAMP,
    SELL,
    ZERO_BYTES32,
    OrderV2,
    SignedOrder,
    clob_auth_signature,
    deterministic_salt,
    exchange_address,
    l1_headers,
    l2_headers,
    l2_signature,
    order_digest,
    order_json,
    recover_clob_auth_signer,
    recover_order_signer,
    sign_order,
    signing_path,
    verify_l2,
)

FIXTURE = Path(__file__).parent / "fixtures" / "polymarket" / "vectors.json"
VECTORS: dict[str, Any] = json.loads(FIXTURE.read_text())
KEY = VECTORS["private_key"]
ADDRESS = VECTORS["address"]
V2 = VECTORS["order_v2"]
NOW = 1_764_633_600

NAUTILUS_CASES = [
    # name, salt, side, signature type, maker, taker, timestamp, builder, neg_risk, hash, sig
    (
        "buy_with_builder_code_eoa", 1, "BUY", 0, 100000000, 50000000, 1713398500000,
        "0x" + "00" * 31 + "01", False,
        "0x3df0b6f6ddfca837bc36964cae968b34ad35640b5d98f557c104da97e804e36a",
        "0xf4d2b34659e8bc07a9572d40ee5a1639a1157409613b4c21566b1f33fd8fe11a"
        "364b3f306668cae7248ca7cdf72378f9266bc5628585aa939644400030671e081c",
    ),
    (
        "buy_poly_proxy", 111_111_111, "BUY", 1, 100000000, 50000000, 1713398400000,
        ZERO_BYTES32, False,
        "0x8f88fe2fb3448f4b8ba639992029f0a47a01a14d15b5f2bf9833516571efd279",
        "0x71a63c85b730cc934688f23ea6374afffef57a61690eba63dcb97a706c8a8d0f"
        "3d2a8e0280f3e252eb83be088ebae6b461a8eda18e559e079f59050b90057afa1c",
    ),
    (
        "sell_neg_risk_poly_gnosis_safe", 222_222_222, "SELL", 2, 50000000, 100000000,
        1713398400000, ZERO_BYTES32, True,
        "0xb34248702810a1d76580234a33f942a9801c3680de54cb3ef104572a8d482190",
        "0xab9d33aee8b578fe5588c4a4b16bbef6fa05fc757020f95b98212e877a919e36"
        "0a90296f02e97ecbabf3c200271ffe88eb9fd86912e8376cd27237bdad5f3abc1c",
    ),
]  # fmt: skip


def _case(case: dict[str, Any]) -> tuple[OrderV2, bool]:
    order = OrderV2(
        salt=case["salt"],
        maker=ADDRESS,
        signer=ADDRESS,
        token_id=V2["token_id"],
        maker_amount=case["maker_amount"],
        taker_amount=case["taker_amount"],
        side=BUY if case["side"] == "BUY" else SELL,
        signature_type=case["signature_type"],
        timestamp_ms=case["timestamp"],
        metadata=V2["metadata"],
        builder=case["builder"],
    )
    return order, case["neg_risk"]


ALL_CASES = [pytest.param(case, id=case["name"]) for case in V2["cases"]] + [
    pytest.param(
        dict(
            zip(
                [
                    "name", "salt", "side", "signature_type", "maker_amount", "taker_amount",
                    "timestamp", "builder", "neg_risk", "order_hash", "signature",
                ],
                row,
                strict=True,
            )
        ),
        id=row[0],
    )
    for row in NAUTILUS_CASES
]  # fmt: skip


def _order(**changes: Any) -> OrderV2:
    base = OrderV2(
        salt=123456789,
        maker=ADDRESS,
        signer=ADDRESS,
        token_id=V2["token_id"],
        maker_amount=100_000_000,
        taker_amount=50_000_000,
        side=BUY,
        signature_type=0,
        timestamp_ms=1713398400000,
    )
    return attrs.evolve(base, **changes)


# -- the vectors ----------------------------------------------------------------------------


def test_the_vector_key_is_the_vector_address() -> None:
    assert Account.from_key(KEY).address == ADDRESS


def test_the_exchange_addresses_are_the_vectors() -> None:
    assert exchange_address(neg_risk=False) == V2["exchange"] == EXCHANGE_V2
    assert exchange_address(neg_risk=True) == V2["neg_risk_exchange"] == NEG_RISK_EXCHANGE_V2


@pytest.mark.parametrize("case", ALL_CASES)
def test_every_order_vector_gives_the_venues_digest_and_signature(case: dict[str, Any]) -> None:
    order, neg_risk = _case(case)
    assert order_digest(order, neg_risk=neg_risk) == case["order_hash"]
    signed = sign_order(order, KEY, neg_risk=neg_risk)
    assert signed.digest == case["order_hash"]
    assert signed.signature == case["signature"]
    assert recover_order_signer(signed, neg_risk=neg_risk) == ADDRESS


def test_the_clob_auth_vector_signature() -> None:
    vector = VECTORS["clob_auth_l1"]
    assert vector["message"]["message"] == "This message attests that I control the given wallet"
    signature = clob_auth_signature(
        KEY,
        timestamp=int(vector["message"]["timestamp"]),
        nonce=vector["message"]["nonce"],
        chain_id=vector["domain"]["chainId"],
    )
    assert signature == vector["signature"]


def test_the_l2_hmac_vector() -> None:
    vector = VECTORS["l2_hmac"]
    signature = l2_signature(
        vector["secret"], vector["timestamp"], vector["method"], vector["request_path"],
        vector["body"],
    )  # fmt: skip
    assert signature == vector["signature"]
    as_bytes = l2_signature(
        vector["secret"], vector["timestamp"], vector["method"], vector["request_path"],
        vector["body"].encode(),
    )  # fmt: skip
    assert as_bytes == vector["signature"]


# -- the digest is the order id -------------------------------------------------------------

SIGNED_FIELDS: dict[str, Any] = {
    "salt": 123456790,
    "maker": "0x" + "11" * 20,
    "signer": "0x" + "22" * 20,
    "token_id": "1234",
    "maker_amount": 100_000_001,
    "taker_amount": 50_000_001,
    "side": SELL,
    "signature_type": 2,
    "timestamp_ms": 1713398400001,
    "metadata": "0x" + "00" * 31 + "01",
    "builder": "0x" + "00" * 31 + "02",
}


def test_every_signed_field_is_in_the_struct() -> None:
    names = {field.name for field in attrs.fields(OrderV2)}
    assert names - set(SIGNED_FIELDS) == {"expiration"}


@pytest.mark.parametrize(("field", "value"), sorted(SIGNED_FIELDS.items()))
def test_tampering_any_signed_field_changes_the_digest(field: str, value: object) -> None:
    original = order_digest(_order(), neg_risk=False)
    assert order_digest(_order(**{field: value}), neg_risk=False) != original


def test_the_exchange_and_the_chain_are_in_the_digest() -> None:
    digests = {
        order_digest(_order(), neg_risk=False),
        order_digest(_order(), neg_risk=True),
        order_digest(_order(), neg_risk=False, chain_id=80002),
    }
    assert len(digests) == 3


def test_the_expiration_is_not_signed() -> None:
    assert order_digest(_order(expiration=1_900_000_000), neg_risk=False) == order_digest(
        _order(), neg_risk=False
    )
    assert sign_order(_order(expiration=5), KEY, neg_risk=False).signature == (
        sign_order(_order(), KEY, neg_risk=False).signature
    )


@given(st.integers(0, 2**64), st.integers(1, 10**12), st.booleans())
def test_a_signature_recovers_the_keys_address(salt: int, amount: int, neg_risk: bool) -> None:
    signed = sign_order(_order(salt=salt, maker_amount=amount), KEY, neg_risk=neg_risk)
    assert recover_order_signer(signed, neg_risk=neg_risk) == ADDRESS
    assert signed.digest == order_digest(signed.order, neg_risk=neg_risk)


def test_a_signature_over_another_order_recovers_another_address() -> None:
    signed = sign_order(_order(), KEY, neg_risk=False)
    tampered = attrs.evolve(signed, order=_order(taker_amount=1))
    assert recover_order_signer(tampered, neg_risk=False) != ADDRESS
    assert recover_order_signer(signed, neg_risk=True) != ADDRESS


def test_a_malformed_signature_is_refused_without_quoting_it() -> None:
    signed = sign_order(_order(), KEY, neg_risk=False)
    bad = attrs.evolve(signed, signature=signed.signature[:-2])
    with pytest.raises(ValueError, match="130 hex") as raised:
        recover_order_signer(bad, neg_risk=False)
    assert signed.signature[2:20] not in str(raised.value)


def test_signing_is_refused_for_another_signer_and_for_poly_1271() -> None:
    other = Account.create()
    with pytest.raises(ValueError, match="not the order's signer") as raised:
        sign_order(_order(), other, neg_risk=False)
    assert other.key.hex() not in str(raised.value)
    with pytest.raises(ValueError, match="POLY_1271"):
        sign_order(_order(signature_type=3), KEY, neg_risk=False)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("salt", -1),
        ("salt", 2**256),
        ("maker", "0x1234"),
        ("signer", None),
        ("token_id", "0x12"),
        ("token_id", "012"),
        ("token_id", 12),
        ("maker_amount", 1.5),
        ("taker_amount", True),
        ("side", 2),
        ("signature_type", 4),
        ("metadata", "0x00"),
        ("builder", "00" * 32),
        ("expiration", -5),
    ],
)
def test_a_bad_order_field_is_refused_by_name(field: str, value: object) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        _order(**{field: value})
    assert raised.value.field == field


def test_addresses_are_kept_checksummed() -> None:
    order = _order(maker=ADDRESS.lower(), signer=ADDRESS.lower())
    assert order.maker == ADDRESS
    assert order.signer == ADDRESS


def test_the_same_client_order_id_always_gives_the_same_salt() -> None:
    salt = deterministic_salt("basket-7/leg-1")
    assert salt == deterministic_salt("basket-7/leg-1")
    assert salt != deterministic_salt("basket-7/leg-2")
    with pytest.raises(ValueError, match="client order id"):
        deterministic_salt("")


@given(st.text(min_size=1, max_size=64))
def test_a_salt_is_in_the_official_clients_range(client_order_id: str) -> None:
    salt = deterministic_salt(client_order_id)
    assert 0 <= salt < 2**40  # < random() x now_ms of the official clients, < 2**53 for JSON


def test_the_same_leg_signed_twice_is_the_same_signed_order() -> None:
    order = _order(salt=deterministic_salt("cid-1"))
    assert sign_order(order, KEY, neg_risk=True) == sign_order(order, KEY, neg_risk=True)


def test_a_signed_orders_repr_shows_no_signature() -> None:
    signed = sign_order(_order(), KEY, neg_risk=False)
    assert signed.signature[2:] not in repr(signed)
    assert signed.digest in repr(signed)


# -- the POST /order body ---------------------------------------------------------------------


def test_the_order_body_has_the_official_clients_shape() -> None:
    signed = sign_order(_order(side=SELL, expiration=1_900_000_000), KEY, neg_risk=True)
    body = order_json(signed, owner_api_key="key-uuid", order_type="GTD", post_only=True)
    assert body == {
        "order": {
            "salt": 123456789,
            "maker": ADDRESS,
            "signer": ADDRESS,
            "tokenId": V2["token_id"],
            "makerAmount": "100000000",
            "takerAmount": "50000000",
            "side": "SELL",
            "expiration": "1900000000",
            "signatureType": 0,
            "timestamp": "1713398400000",
            "metadata": ZERO_BYTES32,
            "builder": ZERO_BYTES32,
            "signature": signed.signature,
        },
        "owner": "key-uuid",
        "orderType": "GTD",
        "deferExec": False,
        "postOnly": True,
    }
    assert json.loads(json.dumps(body)) == body


@pytest.mark.parametrize(
    ("order_type", "post_only", "expiration", "words"),
    [
        ("IOC", False, 0, "order_type"),
        ("FOK", True, 0, "post_only"),
        ("FAK", True, 0, "post_only"),
        ("GTD", False, 0, "expiration"),
        ("GTC", False, 1_900_000_000, "expiration"),
    ],
)
def test_an_order_body_the_venue_would_refuse_is_not_built(
    order_type: str, post_only: bool, expiration: int, words: str
) -> None:
    signed = sign_order(_order(expiration=expiration), KEY, neg_risk=False)
    with pytest.raises(ValueError, match=words):
        order_json(signed, owner_api_key="k", order_type=order_type, post_only=post_only)  # type: ignore[arg-type]


# -- L1 ---------------------------------------------------------------------------------------


def test_l1_headers_carry_a_clob_auth_signature_of_the_wallet() -> None:
    headers = l1_headers(KEY, now_s=NOW, nonce=3)
    assert set(headers) == {POLY_ADDRESS, POLY_SIGNATURE, POLY_TIMESTAMP, POLY_NONCE}
    assert headers[POLY_ADDRESS] == ADDRESS
    assert headers[POLY_TIMESTAMP] == str(NOW)
    assert headers[POLY_NONCE] == "3"
    assert headers[POLY_SIGNATURE] == clob_auth_signature(KEY, timestamp=NOW, nonce=3)
    assert recover_clob_auth_signer(headers) == ADDRESS
    assert recover_clob_auth_signer({**headers, POLY_NONCE: "4"}) is None
    assert recover_clob_auth_signer({**headers, POLY_ADDRESS: "0x" + "11" * 20}) is None
    assert recover_clob_auth_signer(headers, chain_id=80002) is None
    assert recover_clob_auth_signer({POLY_ADDRESS: ADDRESS}) is None


# -- L2 ---------------------------------------------------------------------------------------

CREDS = ApiCredentials(
    api_key="00000000-0000-0000-0000-000000000000",
    secret="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # noqa: S106 - the vectors' test secret
    passphrase="p" * 64,
)
BODY = b'{"order":{"salt":1},"owner":"k","orderType":"GTC"}'


def test_l2_headers_sign_the_exact_body_and_path_without_query() -> None:
    headers = l2_headers(CREDS, ADDRESS.lower(), "POST", "/order?x=1", BODY, NOW)
    assert headers == {
        POLY_ADDRESS: ADDRESS,
        POLY_SIGNATURE: l2_signature(CREDS.secret, NOW, "POST", "/order", BODY),
        POLY_TIMESTAMP: str(NOW),
        POLY_API_KEY: CREDS.api_key,
        POLY_PASSPHRASE: CREDS.passphrase,
    }
    assert headers[POLY_SIGNATURE].endswith("=")  # the padding is kept
    assert verify_l2(
        headers, CREDS, method="POST", path="/order", body=BODY, now_s=NOW, address=ADDRESS
    ) is None  # fmt: skip


@given(st.integers(0, len(BODY) - 1), st.integers(1, 255))
def test_a_body_byte_changed_breaks_the_hmac(index: int, flip: int) -> None:
    headers = l2_headers(CREDS, ADDRESS, "POST", "/order", BODY, NOW)
    tampered = bytearray(BODY)
    tampered[index] ^= flip
    reason = verify_l2(
        headers, CREDS, method="POST", path="/order", body=bytes(tampered), now_s=NOW
    )
    assert reason == "bad signature"


def test_an_empty_body_signs_like_no_body() -> None:
    assert l2_signature(CREDS.secret, NOW, "GET", "/data/orders", None) == l2_signature(
        CREDS.secret, NOW, "GET", "/data/orders", ""
    )


@pytest.mark.parametrize(
    ("change", "kwargs", "reason"),
    [
        ({POLY_SIGNATURE: ""}, {}, "missing POLY_SIGNATURE"),
        ({POLY_API_KEY: "other"}, {}, "unknown api key"),
        ({POLY_PASSPHRASE: "q" * 64}, {}, "bad passphrase"),
        ({}, {"address": "0x" + "11" * 20}, "wrong address"),
        ({POLY_TIMESTAMP: "12a"}, {}, "malformed POLY_TIMESTAMP"),
        ({}, {"now_s": NOW + 31}, "timestamp too old"),
        ({}, {"now_s": NOW - 31}, "timestamp in the future"),
        ({}, {"method": "DELETE"}, "bad signature"),
        ({}, {"path": "/orders"}, "bad signature"),
    ],
)
def test_verify_l2_names_what_is_wrong_without_echoing_secrets(
    change: dict[str, str], kwargs: dict[str, Any], reason: str
) -> None:
    headers = {**l2_headers(CREDS, ADDRESS, "POST", "/order", BODY, NOW), **change}
    arguments: dict[str, Any] = {
        "method": "POST", "path": "/order", "body": BODY, "now_s": NOW, **kwargs,
    }  # fmt: skip
    assert verify_l2(headers, CREDS, **arguments) == reason


def test_header_names_match_case_insensitively() -> None:
    headers = {k.lower(): v for k, v in l2_headers(CREDS, ADDRESS, "GET", "/x", None, NOW).items()}
    assert verify_l2(headers, CREDS, method="GET", path="/x", body=None, now_s=NOW) is None


def test_the_signing_path_drops_host_query_and_fragment() -> None:
    assert signing_path("https://clob.polymarket.com/data/orders?next_cursor=MA==") == (
        "/data/orders"
    )
    assert signing_path("/order#x") == "/order"
    with pytest.raises(ValueError, match="starts with '/'"):
        signing_path("order")


def test_a_secret_that_is_not_base64_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValueError, match="not base64") as raised:
        l2_signature("!!!not-a-secret!!!", NOW, "GET", "/x", None)
    assert "not-a-secret" not in str(raised.value)


def test_a_secret_without_padding_or_in_the_standard_alphabet_is_accepted() -> None:
    url_safe = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_="
    standard = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+/="
    assert l2_signature(url_safe, NOW, "GET", "/x", None) == l2_signature(
        standard.rstrip("="), NOW, "GET", "/x", None
    )


# -- where the secrets come from ----------------------------------------------------------------

SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="  # noqa: S105 - a made-up test secret
PASSPHRASE = "a-passphrase-nobody-may-see-0123456789abcdef"  # noqa: S105 - made up


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def _assert_secret_free(text: str) -> None:
    assert KEY[2:].lower() not in text.lower()
    assert KEY[2:18].lower() not in text.lower()
    assert SECRET not in text
    assert SECRET[:16] not in text
    assert PASSPHRASE not in text


def test_a_wallet_key_file_gives_its_account(tmp_path: Path) -> None:
    account = load_wallet_key(_write(tmp_path / "wallet.key", KEY + "\n"))
    assert account.address == ADDRESS
    _assert_secret_free(repr(account) + str(account))
    bare = load_wallet_key(_write(tmp_path / "bare.key", KEY[2:]))
    assert bare.address == ADDRESS


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_key_file_others_may_read_is_refused_before_reading(tmp_path: Path, mode: int) -> None:
    path = _write(tmp_path / "wallet.key", KEY, mode)
    with pytest.raises(PolymarketKeyError) as raised:
        load_wallet_key(path)
    message = str(raised.value)
    assert str(path) in message
    assert f"{mode:04o}" in message
    assert "chmod 600" in message
    _assert_secret_free(message)


def test_a_credentials_file_others_may_read_is_refused(tmp_path: Path) -> None:
    body = json.dumps({"apiKey": "k", "secret": SECRET, "passphrase": PASSPHRASE})
    path = _write(tmp_path / "creds.json", body, 0o644)
    with pytest.raises(PolymarketKeyError, match="chmod 600") as raised:
        load_api_credentials(path)
    assert str(path) in str(raised.value)
    _assert_secret_free(str(raised.value))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "not a private key"),
        (KEY[:-1], "not a private key"),
        (KEY + "00", "not a private key"),
        (KEY.replace("a", "g"), "not a private key"),
        ("0x" + "00" * 32, "not a valid secp256k1"),
        ("0x" + "ff" * 32, "not a valid secp256k1"),
        (f"key = {KEY}", "not a private key"),
    ],
)
def test_a_file_that_holds_no_key_is_refused_without_showing_it(
    tmp_path: Path, text: str, words: str
) -> None:
    path = _write(tmp_path / "wallet.key", text)
    with pytest.raises(PolymarketKeyError, match=words) as raised:
        load_wallet_key(path)
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None
    _assert_secret_free(str(raised.value) + repr(raised.value))


def test_a_missing_key_file_or_a_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolymarketKeyError, match="no such file"):
        load_wallet_key(tmp_path / "absent.key")
    directory = tmp_path / "dir"
    directory.mkdir(mode=0o700)
    with pytest.raises(PolymarketKeyError, match="not a regular file"):
        load_wallet_key(directory)


def test_a_fifo_in_place_of_the_key_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "wallet.key"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(PolymarketKeyError, match="not a regular file"):
        load_wallet_key(fifo)


def test_the_wallet_key_comes_from_the_environment_without_a_path() -> None:
    assert load_wallet_key(environ={PRIVATE_KEY_ENV: f"  {KEY}\n"}).address == ADDRESS
    with pytest.raises(PolymarketKeyError, match=f"{PRIVATE_KEY_ENV}: is not set"):
        load_wallet_key(environ={})
    with pytest.raises(PolymarketKeyError, match="is empty"):
        load_wallet_key(environ={PRIVATE_KEY_ENV: " "})
    with pytest.raises(PolymarketKeyError, match=PRIVATE_KEY_ENV) as raised:
        load_wallet_key(environ={PRIVATE_KEY_ENV: KEY[:-2]})
    _assert_secret_free(str(raised.value))


def test_a_credentials_file_in_the_derive_api_key_shape_loads(tmp_path: Path) -> None:
    body = {"apiKey": "key-uuid", "secret": SECRET, "passphrase": PASSPHRASE, "other": 1}
    creds = load_api_credentials(_write(tmp_path / "creds.json", json.dumps(body)))
    assert creds == ApiCredentials(api_key="key-uuid", secret=SECRET, passphrase=PASSPHRASE)
    assert "key-uuid" in repr(creds)
    _assert_secret_free(repr(creds) + str(creds))


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("not json " + SECRET, "not a JSON object"),
        (json.dumps([SECRET]), "not a JSON object"),
        (json.dumps({"secret": SECRET, "passphrase": PASSPHRASE}), "'apiKey' is missing"),
        (json.dumps({"apiKey": "k", "secret": SECRET}), "'passphrase' is missing"),
        (json.dumps({"apiKey": "k", "secret": 5, "passphrase": PASSPHRASE}), "'secret' is not"),
        (json.dumps({"apiKey": "k", "secret": "$" + SECRET, "passphrase": PASSPHRASE}), "base64"),
        (json.dumps({"apiKey": "", "secret": SECRET, "passphrase": PASSPHRASE}), "'apiKey' is"),
    ],
)
def test_a_bad_credentials_file_is_refused_without_showing_secrets(
    tmp_path: Path, body: str, words: str
) -> None:
    path = _write(tmp_path / "creds.json", body)
    with pytest.raises(PolymarketKeyError, match=words) as raised:
        load_api_credentials(path)
    assert str(path) in str(raised.value)
    assert raised.value.__context__ is None
    _assert_secret_free(str(raised.value) + repr(raised.value))


def test_credentials_come_from_the_environment_without_a_path() -> None:
    env = {API_KEY_ENV: "key-uuid", API_SECRET_ENV: SECRET, API_PASSPHRASE_ENV: PASSPHRASE}
    assert load_api_credentials(environ=env) == ApiCredentials("key-uuid", SECRET, PASSPHRASE)
    for name in env:
        partial = {key: value for key, value in env.items() if key != name}
        with pytest.raises(PolymarketKeyError, match=name) as raised:
            load_api_credentials(environ=partial)
        _assert_secret_free(str(raised.value))


def test_credentials_refuse_a_bad_secret_without_quoting_it() -> None:
    with pytest.raises(ValueError, match="secret") as raised:
        ApiCredentials("k", "%%" + SECRET, PASSPHRASE)
    _assert_secret_free(str(raised.value))


def test_no_secret_reaches_a_signed_order_or_an_error() -> None:
    signed = sign_order(_order(), KEY, neg_risk=False)
    assert isinstance(signed, SignedOrder)
    _assert_secret_free(repr(signed) + repr(CREDS))
    with pytest.raises(ValueError, match="not a valid") as raised:
        sign_order(_order(), KEY[:-2] + "zz", neg_risk=False)
    _assert_secret_free(str(raised.value))
    assert raised.value.__context__ is None
