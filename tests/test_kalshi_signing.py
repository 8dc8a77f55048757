"""Kalshi request signing: RSA-PSS signatures that verify, key files that are refused
loudly, and no secret in any repr or error message.

PSS is randomised, so there are no byte-exact vectors: every signature is checked
with the public key and the padding Kalshi documents (getting_started/api_keys.md).
"""

from __future__ import annotations

import base64
import os
import string
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.venues.kalshi._signing import (
    ACCESS_KEY,
    ACCESS_SIGNATURE,
    ACCESS_TIMESTAMP,
    PRIVATE_KEY_ENV,
    KalshiAuth,
    KalshiKeyError,
    KalshiSigner,
    load_private_key,
    private_key_from_env,
    signing_path,
    verify_headers,
)

KEY_ID = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c"  # the key id of api_keys.md's example
NOW_MS = 1_764_633_600_123
DOCUMENTED_PSS = padding.PSS(
    mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH
)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signer(key: rsa.RSAPrivateKey) -> KalshiSigner:
    return KalshiSigner(KEY_ID, key, clock_ms=lambda: NOW_MS)


def _pem(key: rsa.RSAPrivateKey, form: serialization.PrivateFormat) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption())


def _secret_lines(key: rsa.RSAPrivateKey) -> list[str]:
    """The base64 body lines of the key in both PEM forms: none may ever be shown."""
    lines = []
    for form in (serialization.PrivateFormat.TraditionalOpenSSL, serialization.PrivateFormat.PKCS8):
        lines += [line for line in _pem(key, form).decode().splitlines() if "-----" not in line]
    return lines


def _assert_no_secret(text: str, key: rsa.RSAPrivateKey, signatures: Sequence[str] = ()) -> None:
    assert "PRIVATE KEY" not in text
    for line in _secret_lines(key):
        assert line not in text
    for signature in signatures:
        assert signature not in text
        assert signature[:16] not in text


def _write(path: Path, data: bytes, mode: int = 0o600) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


def _documented_verify(public_key: rsa.RSAPublicKey, headers: Mapping[str, str], text: str) -> None:
    public_key.verify(
        base64.b64decode(headers[ACCESS_SIGNATURE]), text.encode(), DOCUMENTED_PSS, hashes.SHA256()
    )


# -- signatures ------------------------------------------------------------------------


def test_a_signature_verifies_with_the_public_key_under_the_documented_padding(
    key: rsa.RSAPrivateKey, signer: KalshiSigner
) -> None:
    headers = signer.headers("GET", "/trade-api/v2/portfolio/balance")

    assert set(headers) == {ACCESS_KEY, ACCESS_TIMESTAMP, ACCESS_SIGNATURE}
    assert headers[ACCESS_KEY] == KEY_ID
    assert headers[ACCESS_TIMESTAMP] == str(NOW_MS)
    _documented_verify(key.public_key(), headers, f"{NOW_MS}GET/trade-api/v2/portfolio/balance")


def test_two_signatures_of_the_same_request_differ_but_both_verify(
    key: rsa.RSAPrivateKey, signer: KalshiSigner
) -> None:
    first = signer.headers("POST", "/trade-api/v2/portfolio/events/orders")
    second = signer.headers("POST", "/trade-api/v2/portfolio/events/orders")

    assert first[ACCESS_SIGNATURE] != second[ACCESS_SIGNATURE]
    for headers in (first, second):
        _documented_verify(
            key.public_key(), headers, f"{NOW_MS}POST/trade-api/v2/portfolio/events/orders"
        )


def test_the_method_is_signed_upper_case(key: rsa.RSAPrivateKey, signer: KalshiSigner) -> None:
    headers = signer.headers("delete", "/trade-api/v2/portfolio/events/orders/abc")

    _documented_verify(
        key.public_key(), headers, f"{NOW_MS}DELETE/trade-api/v2/portfolio/events/orders/abc"
    )


@pytest.mark.parametrize(
    ("method", "path", "timestamp"),
    [
        ("GET", "/trade-api/v2/portfolio/orders", NOW_MS),  # path tampered
        ("POST", "/trade-api/v2/portfolio/balance", NOW_MS),  # method tampered
        ("GET", "/trade-api/v2/portfolio/balance", NOW_MS + 1),  # timestamp tampered
    ],
)
def test_a_tampered_path_method_or_timestamp_fails_verification(
    key: rsa.RSAPrivateKey, signer: KalshiSigner, method: str, path: str, timestamp: int
) -> None:
    headers = signer.headers("GET", "/trade-api/v2/portfolio/balance")
    tampered = {**headers, ACCESS_TIMESTAMP: str(timestamp)}

    with pytest.raises(InvalidSignature):
        _documented_verify(key.public_key(), tampered, f"{timestamp}{method}{path}")
    reason = verify_headers(
        key.public_key(), method, path, tampered, now_ms=NOW_MS, max_skew_ms=5_000
    )
    assert reason == "bad signature"


def test_the_documented_example_path_is_signed_without_its_query_string(
    key: rsa.RSAPrivateKey, signer: KalshiSigner
) -> None:
    # api_keys.md: "if your request is to /trade-api/v2/portfolio/orders?limit=5,
    # sign only /trade-api/v2/portfolio/orders"; api_environments.md: not the host.
    url = "https://external-api.kalshi.com/trade-api/v2/portfolio/orders?limit=5"
    assert signing_path(url) == "/trade-api/v2/portfolio/orders"
    assert (
        signing_path("/trade-api/v2/portfolio/orders?limit=5") == "/trade-api/v2/portfolio/orders"
    )

    headers = signer.headers("GET", url)
    _documented_verify(key.public_key(), headers, f"{NOW_MS}GET/trade-api/v2/portfolio/orders")


_SEGMENT = st.text(alphabet=string.ascii_letters + string.digits + "-._~%:@!$&'()*+,;=", min_size=1)
_QUERY = st.text(
    alphabet=string.ascii_letters + string.digits + "-._~%:@!$&'()*+,;=/?", max_size=40
)


@settings(max_examples=60, deadline=None)
@given(
    segments=st.lists(_SEGMENT, min_size=1, max_size=5),
    query=_QUERY,
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "get", "Post"]),
    host=st.sampled_from(["", "https://external-api.demo.kalshi.co", "http://127.0.0.1:8080"]),
)
def test_no_query_string_or_host_is_ever_signed(
    key: rsa.RSAPrivateKey,
    signer: KalshiSigner,
    *,
    segments: list[str],
    query: str,
    method: str,
    host: str,
) -> None:
    path = "/" + "/".join(segments)
    target = f"{host}{path}?{query}"

    assert signing_path(target) == path
    headers = signer.headers(method, target)
    _documented_verify(key.public_key(), headers, f"{NOW_MS}{method.upper()}{path}")
    assert (
        verify_headers(key.public_key(), method, path, headers, now_ms=NOW_MS, max_skew_ms=0)
        is None
    )


def test_websocket_headers_sign_get_and_the_websocket_path(
    key: rsa.RSAPrivateKey, signer: KalshiSigner
) -> None:
    headers = signer.websocket_headers()

    assert headers[ACCESS_KEY] == KEY_ID
    _documented_verify(key.public_key(), headers, f"{NOW_MS}GET/trade-api/ws/v2")


def test_the_timestamp_is_the_injected_wall_clock_in_milliseconds(key: rsa.RSAPrivateKey) -> None:
    ticks = iter([1_000, 1_001])
    signer = KalshiSigner(KEY_ID, key, clock_ms=lambda: next(ticks))

    assert signer.headers("GET", "/a")[ACCESS_TIMESTAMP] == "1000"
    assert signer.headers("GET", "/a")[ACCESS_TIMESTAMP] == "1001"


def test_the_default_clock_is_the_wall_clock_in_milliseconds(key: rsa.RSAPrivateKey) -> None:
    import time  # noqa: PLC0415 - this one test reads the wall clock on purpose

    before = time.time_ns() // 1_000_000
    stamp = int(KalshiSigner(KEY_ID, key).headers("GET", "/a")[ACCESS_TIMESTAMP])
    after = time.time_ns() // 1_000_000

    assert before <= stamp <= after


def test_a_path_that_is_not_from_the_api_root_is_refused(signer: KalshiSigner) -> None:
    with pytest.raises(ValueError, match="starts with '/'"):
        signer.headers("GET", "portfolio/orders")
    with pytest.raises(ValueError, match="letters only"):
        signer.headers("GET /x HTTP/1.1\r\n", "/a")


def test_a_signer_needs_an_rsa_private_key_and_a_clean_key_id(key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(TypeError, match="RSA private key"):
        KalshiSigner(KEY_ID, ec.generate_private_key(ec.SECP256R1()))  # type: ignore[arg-type]
    for bad in ("", " padded ", "line\r\nbreak"):
        with pytest.raises(ValueError, match="key_id"):
            KalshiSigner(bad, key)


# -- the simulated venue's check ---------------------------------------------------------


def test_verify_headers_accepts_a_fresh_request_whatever_the_header_case(
    key: rsa.RSAPrivateKey, signer: KalshiSigner
) -> None:
    headers = signer.headers("GET", "/trade-api/v2/markets?status=open")
    lowered = {name.lower(): value for name, value in headers.items()}

    for given_headers in (headers, lowered):
        assert (
            verify_headers(
                key.public_key(),
                "GET",
                "/trade-api/v2/markets?limit=1",
                given_headers,
                now_ms=NOW_MS + 4_000,
                max_skew_ms=5_000,
            )
            is None
        )


@pytest.mark.parametrize(
    ("change", "now_ms", "reason"),
    [
        ({ACCESS_KEY: ""}, NOW_MS, "missing KALSHI-ACCESS-KEY"),
        ({ACCESS_TIMESTAMP: ""}, NOW_MS, "missing KALSHI-ACCESS-TIMESTAMP"),
        ({ACCESS_SIGNATURE: ""}, NOW_MS, "missing KALSHI-ACCESS-SIGNATURE"),
        ({ACCESS_TIMESTAMP: "12e3"}, NOW_MS, "malformed KALSHI-ACCESS-TIMESTAMP"),
        ({}, NOW_MS + 5_001, "timestamp too old"),
        ({}, NOW_MS - 5_001, "timestamp in the future"),
        ({ACCESS_SIGNATURE: "not base64!"}, NOW_MS, "malformed KALSHI-ACCESS-SIGNATURE"),
        ({ACCESS_SIGNATURE: base64.b64encode(b"x" * 256).decode()}, NOW_MS, "bad signature"),
    ],
)
def test_verify_headers_names_what_is_wrong_without_echoing_the_signature(
    key: rsa.RSAPrivateKey,
    signer: KalshiSigner,
    change: dict[str, str],
    now_ms: int,
    reason: str,
) -> None:
    headers = {**signer.headers("GET", "/trade-api/v2/portfolio/balance"), **change}
    got = verify_headers(
        key.public_key(),
        "GET",
        "/trade-api/v2/portfolio/balance",
        headers,
        now_ms=now_ms,
        max_skew_ms=5_000,
    )

    assert got == reason
    _assert_no_secret(got, key, [headers[ACCESS_SIGNATURE]] if headers[ACCESS_SIGNATURE] else [])


def test_a_signature_from_another_key_is_a_bad_signature(signer: KalshiSigner) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = signer.headers("GET", "/trade-api/v2/portfolio/balance")

    assert (
        verify_headers(
            other.public_key(),
            "GET",
            "/trade-api/v2/portfolio/balance",
            headers,
            now_ms=NOW_MS,
            max_skew_ms=1_000,
        )
        == "bad signature"
    )


# -- httpx ------------------------------------------------------------------------------


async def test_the_httpx_auth_signs_the_path_as_sent_without_its_query(
    key: rsa.RSAPrivateKey, signer: KalshiSigner
) -> None:
    seen: list[httpx.Request] = []

    def venue(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    async with httpx.AsyncClient(
        base_url="https://external-api.demo.kalshi.co/trade-api/v2",
        transport=httpx.MockTransport(venue),
        auth=KalshiAuth(signer),
    ) as client:
        await client.get("/portfolio/orders", params={"limit": "5", "ticker": "A B"})
        await client.delete("/portfolio/events/orders/ord 1")

    first, second = seen
    _documented_verify(
        key.public_key(), first.headers, f"{NOW_MS}GET/trade-api/v2/portfolio/orders"
    )
    assert second.url.raw_path == b"/trade-api/v2/portfolio/events/orders/ord%201"
    _documented_verify(
        key.public_key(),
        second.headers,
        f"{NOW_MS}DELETE/trade-api/v2/portfolio/events/orders/ord%201",
    )
    assert KEY_ID in repr(KalshiAuth(signer))


# -- key files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form", [serialization.PrivateFormat.TraditionalOpenSSL, serialization.PrivateFormat.PKCS8]
)
@pytest.mark.parametrize("mode", [0o600, 0o400], ids=oct)
def test_an_owner_only_pem_file_in_pkcs1_or_pkcs8_is_loaded(
    tmp_path: Path, key: rsa.RSAPrivateKey, form: serialization.PrivateFormat, mode: int
) -> None:
    path = _write(tmp_path / "kalshi.key", _pem(key, form), mode)

    loaded = load_private_key(path)

    assert loaded.private_numbers() == key.private_numbers()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o610, 0o601], ids=oct)
def test_a_key_file_others_may_touch_is_refused_before_it_is_read(
    tmp_path: Path, key: rsa.RSAPrivateKey, mode: int
) -> None:
    # Garbage content: the mode check must speak before any parsing would.
    path = _write(tmp_path / "kalshi.key", b"not a key at all", mode)

    with pytest.raises(KalshiKeyError) as refused:
        load_private_key(path)

    message = str(refused.value)
    assert str(path) in message
    assert f"mode {mode:04o}" in message
    assert f"chmod 600 {path}" in message
    assert refused.value.source == str(path)


def test_a_readable_key_with_a_group_bit_is_refused_without_showing_it(
    tmp_path: Path, key: rsa.RSAPrivateKey
) -> None:
    path = _write(tmp_path / "kalshi.key", _pem(key, serialization.PrivateFormat.PKCS8), 0o640)

    with pytest.raises(KalshiKeyError, match="0640") as refused:
        load_private_key(path)
    _assert_no_secret(str(refused.value), key)


def _rejections(tmp_path: Path, key: rsa.RSAPrivateKey) -> Iterator[tuple[Path, str]]:
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pkcs1_public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
    )
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = _pem(key, serialization.PrivateFormat.PKCS8)
    body = pem.split(b"\n")
    corrupt = b"\n".join([body[0], *(line[::-1] for line in body[1:-2]), *body[-2:]])
    cases = {
        "garbage.key": (b"hello, I am a text file\n", "not a PEM file"),
        "empty.key": (b"", "not a PEM file"),
        "public.pem": (public_pem, "public key, not a private key"),
        "rsa-public.pem": (pkcs1_public, "public key, not a private key"),
        "encrypted.pem": (encrypted, "encrypted"),
        "ec.pem": (ec_pem, "not an RSA private key"),
        "corrupt.pem": (corrupt, "not a readable PEM private key"),
    }
    for name, (data, reason) in cases.items():
        yield _write(tmp_path / name, data), reason
    yield _write(tmp_path / "huge.key", b"-----BEGIN PRIVATE KEY-----\n" * 4096), "too large"
    yield tmp_path / "absent.key", "no such file"
    fifo = tmp_path / "a-fifo"
    os.mkfifo(fifo, 0o600)
    yield fifo, "not a regular file"  # and no hang waiting for a writer
    directory = tmp_path / "a-directory"
    directory.mkdir(mode=0o700)
    yield directory, "not a regular file"


def test_a_file_that_is_not_an_unencrypted_rsa_private_key_is_refused_clearly(
    tmp_path: Path, key: rsa.RSAPrivateKey
) -> None:
    for path, reason in _rejections(tmp_path, key):
        with pytest.raises(KalshiKeyError) as refused:
            load_private_key(path)
        message = str(refused.value)
        assert str(path) in message, message
        assert reason in message, message
        _assert_no_secret(message, key)
        # Nothing from the parser rides along to a traceback or a log line.
        assert refused.value.__cause__ is None
        assert refused.value.__suppress_context__ or refused.value.__context__ is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file anyway")
def test_an_unreadable_key_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "kalshi.key", b"x", 0o000)

    with pytest.raises(KalshiKeyError, match="cannot open") as refused:
        load_private_key(path)
    assert str(path) in str(refused.value)


# -- the environment variable ---------------------------------------------------------


def test_a_key_in_the_environment_is_loaded_with_real_or_escaped_newlines(
    key: rsa.RSAPrivateKey,
) -> None:
    pem = _pem(key, serialization.PrivateFormat.TraditionalOpenSSL).decode()
    escaped = pem.replace("\n", "\\n")

    for value in (pem, escaped):
        loaded = private_key_from_env(environ={PRIVATE_KEY_ENV: value})
        assert loaded.private_numbers() == key.private_numbers()
    assert PRIVATE_KEY_ENV == "WARDEN_KALSHI_PRIVATE_KEY"


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({}, "is not set"),
        ({PRIVATE_KEY_ENV: "  "}, "is empty"),
        ({PRIVATE_KEY_ENV: "/home/me/kalshi.key"}, "not a PEM file"),
    ],
)
def test_a_missing_or_bad_key_in_the_environment_is_refused_naming_the_variable(
    environ: dict[str, str], reason: str
) -> None:
    with pytest.raises(KalshiKeyError) as refused:
        private_key_from_env(environ=environ)

    assert "environment variable WARDEN_KALSHI_PRIVATE_KEY" in str(refused.value)
    assert reason in str(refused.value)


def test_a_broken_key_in_the_environment_is_not_echoed(key: rsa.RSAPrivateKey) -> None:
    pem = _pem(key, serialization.PrivateFormat.PKCS8).decode()
    broken = pem[: len(pem) // 2] + "\n-----END PRIVATE KEY-----\n"

    with pytest.raises(KalshiKeyError) as refused:
        private_key_from_env("MY_KALSHI_KEY", environ={"MY_KALSHI_KEY": broken})

    assert "environment variable MY_KALSHI_KEY" in str(refused.value)
    _assert_no_secret(str(refused.value), key)


# -- nothing secret in a repr ----------------------------------------------------------


def test_a_signer_shows_its_key_id_and_nothing_else(
    key: rsa.RSAPrivateKey, signer: KalshiSigner
) -> None:
    signatures = [signer.headers("GET", "/trade-api/v2/portfolio/balance")[ACCESS_SIGNATURE]]
    signatures.append(signer.websocket_headers()[ACCESS_SIGNATURE])

    for text in (repr(signer), str(signer), repr(KalshiAuth(signer))):
        assert KEY_ID in text
        assert "RSAPrivateKey" not in text
        assert "object at" not in text
        _assert_no_secret(text, key, signatures)
