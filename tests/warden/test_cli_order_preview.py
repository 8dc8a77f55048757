"""``warden order preview``: the published signing vectors come out of the command line
byte for byte, the Polymarket body is the one the client posts, the Kalshi signature
verifies (and the simulated venue checking signatures accepts the previewed request),
no key, secret or passphrase is ever printed, and bad input exits 2 naming its flag.

Vectors: tests/fixtures/polymarket/vectors.json (see SOURCES.md) and the three CLOB V2
cases of tests/test_polymarket_signing.py (builder code, proxy wallet, Gnosis Safe).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from actors.domain import Action, OrderIntent, Side
from actors.venues import Deadlines, RateLimit
from actors.venues.kalshi._signing import verify_headers
from actors.venues.polymarket._client import PolymarketAccount, PolymarketTrading
from actors.venues.polymarket._eth import Account
from actors.venues.polymarket._keys import ApiCredentials
from actors.venues.polymarket._markets import PolymarketMarket
from actors.venues.polymarket._signing import POLY_PASSPHRASE, verify_l2
from tests.test_polymarket_signing import NAUTILUS_CASES
from tests.warden.conftest import served
from warden.cli import build_parser, main
from warden.cli_order import preview_order

FIXTURE = Path(__file__).parent.parent / "fixtures" / "polymarket" / "vectors.json"
VECTORS: dict[str, Any] = json.loads(FIXTURE.read_text())
KEY = VECTORS["private_key"]
ADDRESS = VECTORS["address"]
TOKEN = VECTORS["order_v2"]["token_id"]
API_KEY = "00000000-1111-2222-3333-444444444444"
SECRET = VECTORS["l2_hmac"]["secret"]
PASSPHRASE = "correct-horse-battery-staple-0123456789"  # noqa: S105 - a test passphrase
KEY_ID = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c"
ORDERS_PATH = "/trade-api/v2/portfolio/events/orders"
ROOT = Path(__file__).parent.parent.parent

CASES = [pytest.param(case, id=case["name"]) for case in VECTORS["order_v2"]["cases"]] + [
    pytest.param(
        dict(
            zip(
                ("name", "salt", "side", "signature_type", "maker_amount", "taker_amount",
                 "timestamp", "builder", "neg_risk", "order_hash", "signature"),
                row,
                strict=True,
            )
        ),
        id=row[0],
    )
    for row in NAUTILUS_CASES
]  # fmt: skip


def owner_only(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.fixture
def wallet_file(tmp_path: Path) -> Path:
    return owner_only(tmp_path / "wallet.key", KEY + "\n")


@pytest.fixture
def creds_file(tmp_path: Path) -> Path:
    creds = {"apiKey": API_KEY, "secret": SECRET, "passphrase": PASSPHRASE}
    return owner_only(tmp_path / "clob.json", json.dumps(creds))


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def kalshi_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    return owner_only(tmp_path / "kalshi.pem", pem(rsa_key))


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``warden order preview argv`` in this process: exit code, stdout, stderr."""
    try:
        code = main(["order", "preview", *argv])
    except SystemExit as exit_:  # argparse refusing a flag
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def vector_argv(case: dict[str, Any], key_file: Path) -> list[str]:
    argv = [
        "--venue", "polymarket", "--key-file", str(key_file), "--token-id", TOKEN,
        "--side", case["side"], "--maker-amount", str(case["maker_amount"]),
        "--taker-amount", str(case["taker_amount"]), "--salt", str(case["salt"]),
        "--timestamp", str(case["timestamp"]),
        "--signature-type", str(case["signature_type"]), "--builder", case["builder"],
    ]  # fmt: skip
    if case["signature_type"] in (1, 2):  # the vectors' maker is the signer's own address
        argv += ["--funder", ADDRESS]
    if case["neg_risk"]:
        argv.append("--neg-risk")
    return argv


def kalshi_argv(key_file: Path, *extra: str, timestamp: int = 1_764_633_600_000) -> list[str]:
    return [
        "--venue", "kalshi", "--key-file", str(key_file), "--key-id", KEY_ID,
        "--ticker", "KXHIGHNY-25JAN01-B50", "--side", "no", "--action", "buy",
        "--count", "3", "--price", "0.42", "--client-order-id", "leg-1",
        "--timestamp", str(timestamp), *extra,
    ]  # fmt: skip


# -- Polymarket: the vectors -------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_a_polymarket_preview_reproduces_every_published_order_vector(
    capsys: pytest.CaptureFixture[str], wallet_file: Path, case: dict[str, Any]
) -> None:
    code, out, err = cli(capsys, *vector_argv(case, wallet_file), "--json")

    assert (code, err) == (0, "")
    preview = json.loads(out)
    assert preview["order_id"] == case["order_hash"]
    assert preview["signature"] == case["signature"]
    assert preview["sent"] is False
    sent = preview["body"]["order"]
    assert sent["signature"] == case["signature"]
    assert (sent["salt"], sent["timestamp"]) == (case["salt"], str(case["timestamp"]))
    assert (
        preview["exchange"]
        == VECTORS["order_v2"]["neg_risk_exchange" if case["neg_risk"] else "exchange"]
    )
    assert preview["body_text"] == json.dumps(preview["body"], separators=(",", ":"))


def test_the_vector_comes_out_of_python_dash_m_warden_without_the_key(
    wallet_file: Path,
) -> None:
    case = VECTORS["order_v2"]["cases"][0]
    done = subprocess.run(
        [sys.executable, "-m", "warden", "order", "preview", *vector_argv(case, wallet_file)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert f"order id        {case['order_hash']}" in done.stdout
    assert f"signature       {case['signature']}" in done.stdout
    assert "NOT SENT" in done.stdout
    assert KEY[2:].lower() not in done.stdout.lower()


# -- Polymarket: the client's bytes and the L2 headers -----------------------------------


class Stop(Exception):
    """Raised by the test transport: the client's request is kept and nothing is answered."""


async def test_the_polymarket_preview_is_the_body_and_hmac_the_client_sends(
    capsys: pytest.CaptureFixture[str], wallet_file: Path, creds_file: Path, tmp_path: Path
) -> None:
    now = 1_713_398_400.0
    cid = "0x" + "dd" * 32
    market = PolymarketMarket(
        condition_id=cid,
        yes_token=TOKEN,
        no_token="1234",  # noqa: S106 - an outcome token id, no secret
        tick=Decimal("0.01"),
        neg_risk=False,
        event=None,
        min_order_size=Decimal(5),
        fee_rate=Decimal(0),
        active=True,
    )
    account = PolymarketAccount(
        credentials=ApiCredentials(API_KEY, SECRET, PASSPHRASE),
        wallet=Account.from_key(KEY),
        journal_path=tmp_path / "orders.sqlite",
    )
    kept: list[httpx.Request] = []

    def keep(request: httpx.Request) -> httpx.Response:
        kept.append(request)
        raise Stop

    class Settings:
        rest_url = "https://clob.test"
        deadlines = Deadlines()
        rate_limits = {"*": RateLimit(1e6, 10**6)}  # noqa: RUF012 - read-only here

    trading = PolymarketTrading(
        {cid: market}, account, transport=httpx.MockTransport(keep), clock=lambda: now
    )
    async with trading.open_client(Settings()) as client:
        intent = OrderIntent("leg-1", cid, Side.YES, Action.BUY, Decimal("0.50"), Decimal(100))
        with pytest.raises(Stop):
            await client.create_order(intent)
    (request,) = kept

    argv = [
        "--venue", "polymarket", "--key-file", str(wallet_file), "--api-key-file",
        str(creds_file), "--token-id", TOKEN, "--side", "BUY", "--maker-amount", "50000000",
        "--taker-amount", "100000000", "--client-order-id", "leg-1",
        "--timestamp", str(int(now * 1000)), "--json",
    ]  # fmt: skip
    code, out, err = await trio.to_thread.run_sync(lambda: cli(capsys, *argv))

    assert (code, err) == (0, "")
    preview = json.loads(out)
    assert preview["body_text"].encode() == request.content
    sent = {name: request.headers[name] for name in preview["headers"] if name != POLY_PASSPHRASE}
    assert sent == {k: v for k, v in preview["headers"].items() if k != POLY_PASSPHRASE}
    assert preview["headers"][POLY_PASSPHRASE] == "<redacted>"
    assert request.headers[POLY_PASSPHRASE] == PASSPHRASE
    assert PASSPHRASE not in out
    assert SECRET not in out


def test_the_l2_headers_verify_with_the_credentials_and_never_show_them(
    capsys: pytest.CaptureFixture[str], wallet_file: Path, creds_file: Path
) -> None:
    case = VECTORS["order_v2"]["cases"][1]
    argv = [*vector_argv(case, wallet_file), "--api-key-file", str(creds_file), "--json"]
    code, out, err = cli(capsys, *argv, "--l2-timestamp", "1764633600")

    assert (code, err) == (0, "")
    preview = json.loads(out)
    headers = {**preview["headers"], POLY_PASSPHRASE: PASSPHRASE}
    creds = ApiCredentials(API_KEY, SECRET, PASSPHRASE)
    verdict = verify_l2(
        headers, creds, method="POST", path="/order", body=preview["body_text"],
        now_s=1_764_633_600, address=ADDRESS,
    )  # fmt: skip
    assert verdict is None
    assert preview["body"]["owner"] == API_KEY
    for secret in (PASSPHRASE, SECRET, KEY[2:]):
        assert secret not in out


def test_without_api_credentials_the_owner_is_a_placeholder_and_no_headers_are_shown(
    capsys: pytest.CaptureFixture[str], wallet_file: Path
) -> None:
    case = VECTORS["order_v2"]["cases"][0]
    code, out, _ = cli(capsys, *vector_argv(case, wallet_file), "--json")

    preview = json.loads(out)
    assert code == 0
    assert preview["headers"] is None
    assert preview["body"]["owner"].startswith("<api key")


def test_a_passphrase_that_would_appear_in_the_output_stops_the_output(
    capsys: pytest.CaptureFixture[str], wallet_file: Path, tmp_path: Path
) -> None:
    creds = {"apiKey": API_KEY, "secret": SECRET, "passphrase": ADDRESS}  # printed as POLY_ADDRESS
    creds_file = owner_only(tmp_path / "leaky.json", json.dumps(creds))
    case = VECTORS["order_v2"]["cases"][0]
    argv = [*vector_argv(case, wallet_file), "--api-key-file", str(creds_file)]
    code, out, err = cli(capsys, *argv)

    assert code == 1
    assert out == ""
    assert "would hold a secret" in err


# -- Kalshi ------------------------------------------------------------------------------


def test_the_kalshi_signature_verifies_with_the_public_key_over_the_printed_message(
    capsys: pytest.CaptureFixture[str], kalshi_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    timestamp = 1_764_633_600_000
    code, out, err = cli(capsys, *kalshi_argv(kalshi_file), "--json")

    assert (code, err) == (0, "")
    preview = json.loads(out)
    assert preview["signed_message"] == f"{timestamp}POST{ORDERS_PATH}"
    assert preview["path"] == ORDERS_PATH
    assert preview["url"] == "https://external-api.demo.kalshi.co" + ORDERS_PATH
    rsa_key.public_key().verify(
        base64.b64decode(preview["signature"]),
        preview["signed_message"].encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
        hashes.SHA256(),
    )
    verdict = verify_headers(
        rsa_key.public_key(), "POST", preview["path"], preview["headers"],
        now_ms=timestamp, max_skew_ms=1,
    )  # fmt: skip
    assert verdict is None
    assert preview["headers"]["KALSHI-ACCESS-KEY"] == KEY_ID
    assert preview["body"] == {
        "ticker": "KXHIGHNY-25JAN01-B50",
        "client_order_id": "leg-1",
        "side": "ask",  # buying NO at 0.42 asks YES at 0.58
        "count": "3.00",
        "price": "0.5800",
        "time_in_force": "immediate_or_cancel",
        "self_trade_prevention_type": "taker_at_cross",
    }
    assert json.loads(preview["body_text"]) == preview["body"]


def test_a_kalshi_preview_signs_again_each_run_over_the_same_message(
    capsys: pytest.CaptureFixture[str], kalshi_file: Path
) -> None:
    first = json.loads(cli(capsys, *kalshi_argv(kalshi_file), "--json")[1])
    second = json.loads(cli(capsys, *kalshi_argv(kalshi_file), "--json")[1])

    assert first["signed_message"] == second["signed_message"]
    assert first["body_text"] == second["body_text"]
    assert first["signature"] != second["signature"]  # RSA-PSS is salted
    assert any("randomised" in note for note in first["notes"])


async def test_the_simulated_venue_checking_signatures_accepts_the_previewed_request(
    kalshi_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    public = (
        rsa_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    async with served(kalshi_public_keys={KEY_ID: public}) as (venue, rest):
        argv = [
            "order", "preview", "--venue", "sim", "--url", venue.url.rstrip("/"),
            "--key-file", str(kalshi_file), "--key-id", KEY_ID, "--ticker", "SIM-001",
            "--side", "yes", "--action", "buy", "--count", "1", "--price", "0.10",
            "--client-order-id", "preview-1", "--timestamp", str(time.time_ns() // 10**6),
        ]  # fmt: skip
        args = build_parser().parse_args(argv)
        preview, _ = await trio.to_thread.run_sync(preview_order, args)
        answer = await rest.post(
            preview["path"], content=preview["body_text"].encode(), headers=preview["headers"]
        )
        unsigned = await rest.post(preview["path"], content=preview["body_text"].encode())

    assert preview["url"] == venue.url.rstrip("/") + ORDERS_PATH
    assert answer.status_code == 201, answer.text
    assert answer.json()["client_order_id"] == "preview-1"
    assert unsigned.status_code == 401


def test_an_unsigned_sim_preview_is_the_kalshi_body_without_headers(
    capsys: pytest.CaptureFixture[str], kalshi_file: Path
) -> None:
    kalshi = json.loads(cli(capsys, *kalshi_argv(kalshi_file), "--json")[1])
    argv = [
        "--venue", "sim", "--ticker", "KXHIGHNY-25JAN01-B50", "--side", "no", "--action",
        "buy", "--count", "3", "--price", "0.42", "--client-order-id", "leg-1", "--json",
    ]  # fmt: skip
    code, out, _ = cli(capsys, *argv)

    sim = json.loads(out)
    assert code == 0
    assert sim["body_text"] == kalshi["body_text"]
    assert sim["headers"] is None
    assert sim["url"] == "http://127.0.0.1:8700" + ORDERS_PATH


# -- bad input ---------------------------------------------------------------------------


def test_no_key_material_reaches_the_output_on_success_or_refusal(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    kalshi_file: Path,
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    almost = owner_only(tmp_path / "almost.key", KEY[:-1] + "\n")  # one digit short
    wallet = owner_only(tmp_path / "wallet.key", KEY)
    case = VECTORS["order_v2"]["cases"][0]
    pem_lines = [line for line in pem(rsa_key).splitlines() if "-----" not in line]
    outputs = [
        cli(capsys, *vector_argv(case, wallet)),
        cli(capsys, *vector_argv(case, almost)),
        cli(capsys, *kalshi_argv(kalshi_file)),
        cli(capsys, *kalshi_argv(kalshi_file), "--json"),
        cli(capsys, *kalshi_argv(wallet)),  # a wallet key given as the Kalshi PEM
        cli(capsys, *vector_argv(case, kalshi_file)),  # and the other way round
    ]

    assert [code for code, _, _ in outputs] == [0, 2, 0, 0, 2, 2]
    for _, out, err in outputs:
        text = (out + err).lower()
        assert KEY[2:-1].lower() not in text
        assert not any(line.lower() in text for line in pem_lines)
        assert "traceback" not in text


@pytest.mark.parametrize(
    ("change", "flag"),
    [
        pytest.param({"--maker-amount": "1.5"}, "--maker-amount", id="amount-not-an-integer"),
        pytest.param({"--taker-amount": "-3"}, "--taker-amount", id="negative-amount"),
        pytest.param({"--builder": "0x12zz"}, "--builder", id="bad-builder-hex"),
        pytest.param({"--salt": "0x10"}, "--salt", id="salt-not-decimal"),
        pytest.param({"--token-id": "0xabc"}, "--token-id", id="token-id-not-decimal"),
        pytest.param({"--side": "HOLD"}, "--side", id="unknown-side"),
        pytest.param({"--key-file": "/nonexistent/wallet.key"}, "--key-file", id="missing-key"),
        pytest.param({"--signature-type": "1"}, "--funder", id="proxy-without-funder"),
        pytest.param({"--funder": "0x" + "ab" * 20}, "--funder", id="funder-with-eoa"),
        pytest.param({"--order-type": "GTD"}, "--expiration", id="gtd-without-expiration"),
        pytest.param({"--ticker": "KX"}, "--ticker", id="a-kalshi-flag"),
    ],
)
def test_bad_polymarket_input_exits_2_naming_the_flag(
    capsys: pytest.CaptureFixture[str], wallet_file: Path, change: dict[str, str], flag: str
) -> None:
    argv = vector_argv(VECTORS["order_v2"]["cases"][0], wallet_file)
    for name, value in change.items():
        if name in argv:
            argv[argv.index(name) + 1] = value
        else:
            argv += [name, value]
    code, out, err = cli(capsys, *argv)

    assert code == 2
    assert out == ""
    assert flag in err
    assert "Traceback" not in err
    assert KEY[2:] not in err


def test_a_group_readable_key_file_exits_2_with_the_chmod_fix(
    capsys: pytest.CaptureFixture[str], wallet_file: Path, kalshi_file: Path
) -> None:
    wallet_file.chmod(0o640)
    kalshi_file.chmod(0o644)
    poly = cli(capsys, *vector_argv(VECTORS["order_v2"]["cases"][0], wallet_file))
    kalshi = cli(capsys, *kalshi_argv(kalshi_file))

    for code, out, err in (poly, kalshi):
        assert (code, out) == (2, "")
        assert "--key-file" in err
        assert "chmod 600" in err
    assert "0640" in poly[2]
    assert "0644" in kalshi[2]


@pytest.mark.parametrize(
    ("change", "flag"),
    [
        pytest.param({"--price": "0.425"}, "--price", id="price-off-the-tick"),
        pytest.param({"--price": "1.20"}, "--price", id="price-above-the-payout"),
        pytest.param({"--price": "abc"}, "--price", id="price-not-a-number"),
        pytest.param({"--count": "1.234"}, "--count", id="count-with-three-decimals"),
        pytest.param({"--side": "BUY"}, "--side", id="polymarket-side"),
        pytest.param({"--action": "hold"}, "--action", id="unknown-action"),
        pytest.param({"--key-id": None}, "--key-id", id="missing-key-id"),
        pytest.param({"--client-order-id": None}, "--client-order-id", id="missing-order-id"),
        pytest.param({"--token-id": "5"}, "--token-id", id="a-polymarket-flag"),
        pytest.param({"--url": "ftp://x"}, "--url", id="bad-url"),
    ],
)
def test_bad_kalshi_input_exits_2_naming_the_flag(
    capsys: pytest.CaptureFixture[str], kalshi_file: Path, change: dict[str, str | None], flag: str
) -> None:
    argv = kalshi_argv(kalshi_file)
    for name, value in change.items():
        if name in argv:
            at = argv.index(name)
            argv[at : at + 2] = [name, value] if value is not None else []
        elif value is not None:
            argv += [name, value]
    code, out, err = cli(capsys, *argv)

    assert code == 2
    assert out == ""
    assert flag in err
    assert "Traceback" not in err
