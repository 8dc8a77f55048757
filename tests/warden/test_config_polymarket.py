"""``[venue] kind = "polymarket"``: its keys, validated offline, and where they point.

Real key files in tmp_path (modes set with chmod), real secp256k1 keys and API
credentials made for the test, the real ``warden check-config`` in a subprocess; no
key, secret or passphrase ever in a message. Market names are those of the recorded
Gamma answers (/work/shared/venues/polymarket/frames/rest/market_slug.json
``conditionId``, event.json ``slug``).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from actors.venues.polymarket import _keys
from actors.venues.polymarket._eth import Account
from warden.config import (
    POLYMARKET_API_ENV,
    POLYMARKET_PRIVATE_KEY_ENV,
    ConfigError,
    VenueSection,
    check_config_file,
    load_config,
    parse_config,
)
from warden.venue_target import (
    POLYGON_CHAIN_ID,
    POLYMARKET_CLOB_URL,
    POLYMARKET_GAMMA_URL,
    POLYMARKET_MARKET_WS_URL,
    POLYMARKET_USER_WS_URL,
    PolymarketCredentialsFactory,
    PolymarketWalletFactory,
    polymarket_key_problems,
    polymarket_target,
    venue_notices,
    venue_target,
)

ROOT = Path(__file__).resolve().parents[2]
CONDITION = "0x270d5aa3b23be0d4e713361d603b187dd1919c71c74226ad867699f33972c5f2"
OTHER_CONDITION = "0xed7d522e06d2f1f9015a468884cfdb2be7e737a33f130c1237a40f18bc739267"
EVENT = "highest-temperature-in-nyc-on-january-26"
PAPER = {"kind": "polymarket", "tickers": [CONDITION]}
LIVE = {**PAPER, "paper": False}
NO_ENV: dict[str, str] = {}
API_KEY_ENV, API_SECRET_ENV, API_PASSPHRASE_ENV = POLYMARKET_API_ENV
# an address with an EIP-55 checksum (EIP-55's own test vector)
FUNDER = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


@attrs.frozen
class Secrets:
    """A wallet key and API credentials made for one test module."""

    key_hex: str  # 64 hex digits, no 0x
    api_key: str
    secret: str
    passphrase: str

    @property
    def key_text(self) -> str:
        return f"0x{self.key_hex}\n"

    @property
    def address(self) -> str:
        return str(Account.from_key("0x" + self.key_hex).address)

    @property
    def credentials_json(self) -> str:
        return json.dumps(
            {"apiKey": self.api_key, "secret": self.secret, "passphrase": self.passphrase}
        )

    @property
    def env(self) -> dict[str, str]:
        return {
            POLYMARKET_PRIVATE_KEY_ENV: "0x" + self.key_hex,
            API_KEY_ENV: self.api_key,
            API_SECRET_ENV: self.secret,
            API_PASSPHRASE_ENV: self.passphrase,
        }

    def assert_absent(self, *messages: str) -> None:
        """No secret, in either case, with or without its 0x, is in any message."""
        for message in messages:
            for secret in (self.key_hex, self.secret, self.passphrase):
                assert secret.lower() not in message.lower()


@pytest.fixture(scope="module")
def made() -> Secrets:
    return Secrets(
        key_hex=secrets.token_hex(32),
        api_key="3f7a9d2e-1b4c-4e8f-9a6d-2c5b7e1f0a3d",
        secret=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        passphrase=secrets.token_hex(32),
    )


def secret_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def toml_config(tmp_path: Path, venue_lines: str) -> Path:
    config = tmp_path / "warden.toml"
    config.write_text(f'[daemon]\ndb = "var/w.db"\nruntime_dir = "var"\n[venue]\n{venue_lines}')
    return config


PAPER_TOML = f'kind = "polymarket"\ntickers = ["{CONDITION}"]\n'
LIVE_TOML = (
    PAPER_TOML + 'paper = false\nprivate_key_path = "wallet.key"\n'
    'api_credentials_path = "clob.json"\n'
)


def live_files(tmp_path: Path, made: Secrets, mode: int = 0o600) -> tuple[Path, Path]:
    return (
        secret_file(tmp_path / "wallet.key", made.key_text, mode),
        secret_file(tmp_path / "clob.json", made.credentials_json, mode),
    )


def problems_of(venue: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config({"venue": venue}, source="test.toml")
    return caught.value.problems


# --- keys and their rules ---------------------------------------------------------


def test_a_polymarket_venue_trades_on_paper_by_default() -> None:
    venue = parse_config({"venue": PAPER}).venue
    assert (venue.kind, venue.paper, venue.tickers, venue.events) == (
        "polymarket",
        True,
        (CONDITION,),
        (),
    )
    assert (venue.signature_type, venue.funder, venue.heartbeat_s, venue.paper_cash) == (
        0,
        "",
        5.0,
        Decimal("1000.00"),
    )
    assert (venue.private_key_path, venue.api_credentials_path) == ("", "")
    assert (venue.url, venue.market_ws_url, venue.gamma_url) == ("", "", "")


def test_markets_are_chosen_by_condition_ids_or_event_slugs_and_one_is_needed() -> None:
    by_event = parse_config({"venue": {"kind": "polymarket", "events": [EVENT, "185377"]}})
    assert by_event.venue.events == (EVENT, "185377")  # a slug, or Gamma's numeric id
    assert problems_of({"kind": "polymarket"}) == [
        'venue.tickers, venue.events: kind = "polymarket" needs at least one market:'
        " list condition ids (tickers) or event slugs (events)"
    ]


def test_series_is_an_error_for_polymarket_naming_the_key() -> None:
    assert problems_of({**PAPER, "series": ["KXHIGHNY"]}) == [
        'venue.series is only for kind = "kalshi" (this venue is kind = "polymarket")'
    ]


@pytest.mark.parametrize(
    ("key", "value", "kinds"),
    [
        ("environment", "demo", '"kalshi"'),
        ("key_id", "a952bcbe-ec3b-4b5b-b8f9-11dae589608c", '"kalshi"'),
        ("tier", "basic", '"kalshi"'),
        ("realism", False, '"sim"'),
        ("seed", 7, '"sim"'),
        ("markets", 4, '"sim"'),
        ("opportunity_every_s", 1.0, '"sim"'),
    ],
)
def test_a_key_of_another_kind_in_a_polymarket_venue_is_named_with_its_kind(
    key: str, value: object, kinds: str
) -> None:
    assert problems_of({**PAPER, key: value}) == [
        f'venue.{key} is only for kind = {kinds} (this venue is kind = "polymarket")'
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("paper", False),
        ("api_credentials_path", "clob.json"),
        ("signature_type", 1),
        ("funder", FUNDER),
        ("heartbeat_s", 2.0),
        ("paper_cash", "50.00"),
        ("market_ws_url", "ws://127.0.0.1:9/ws/market"),
        ("gamma_url", "http://127.0.0.1:9"),
    ],
)
def test_a_polymarket_key_elsewhere_is_named_with_its_kind(key: str, value: object) -> None:
    kalshi = {"kind": "kalshi", "key_id": "a952bcbe-ec3b-4b5b-b8f9-11dae589608c", "series": ["K"]}
    assert problems_of({**kalshi, key: value}) == [
        f'venue.{key} is only for kind = "polymarket" (this venue is kind = "kalshi")'
    ]
    assert problems_of({key: value}) == [
        f'venue.{key} is only for kind = "polymarket" (this venue is kind = "sim")'
    ]


def test_each_bad_condition_id_is_named_by_its_index_and_never_shown_if_it_may_be_a_key(
    made: Secrets,
) -> None:
    rule = 'must be a condition id: "0x" and 64 hex digits (Gamma\'s conditionId)'
    assert problems_of({**PAPER, "tickers": [CONDITION, "0x1234", "FED-23DEC", made.key_hex]}) == [
        f"venue.tickers[1] = '0x1234': {rule}",
        f"venue.tickers[2] = 'FED-23DEC': {rule}",
        f"venue.tickers[3] = <64 characters, not shown>: {rule}",
    ]
    assert problems_of({**PAPER, "tickers": [CONDITION.upper().replace("0X", "0x")]}) == [
        "venue.tickers[0]: must be written in lower case, as Polymarket writes condition ids"
    ]
    assert problems_of({**PAPER, "tickers": [CONDITION, OTHER_CONDITION, CONDITION]}) == [
        "venue.tickers[2]: must be listed once (it repeats venue.tickers[0])"
    ]


def test_a_condition_id_written_without_brackets_is_named_but_not_shown() -> None:
    assert problems_of({**PAPER, "tickers": CONDITION}) == [
        'venue.tickers: expected an array of strings such as ["HIGHNY-22DEC23-B53.5"] or'
        ' ["0x<64 hex>"], got str (not shown: it holds 64 hex digits)'
    ]


def test_each_bad_event_slug_is_named_by_its_index(made: Secrets) -> None:
    rule = (
        "must be a Polymarket event slug: lower-case letters, digits and '-'"
        " (as in https://polymarket.com/event/<slug>)"
    )
    assert problems_of({**PAPER, "events": [EVENT, "Highest Temp", "-x", made.key_hex]}) == [
        f"venue.events[1] = 'Highest Temp': {rule}",
        f"venue.events[2] = '-x': {rule}",
        f"venue.events[3] = <64 characters, not shown>: {rule}",
    ]
    assert problems_of({**PAPER, "events": [EVENT, EVENT]}) == [
        f"venue.events[1] = '{EVENT}': must be listed once"
    ]


def test_signature_types_0_1_2_are_taken_and_3_is_refused_naming_the_key() -> None:
    for signature_type in (1, 2):
        venue = parse_config(
            {"venue": {**PAPER, "signature_type": signature_type, "funder": FUNDER}}
        ).venue
        assert (venue.signature_type, venue.funder) == (signature_type, FUNDER)
    rule = (
        "must be 0 (EOA), 1 (POLY_PROXY) or 2 (POLY_GNOSIS_SAFE);"
        " 3 (POLY_1271, deposit wallets) is not supported"
    )
    assert problems_of({**PAPER, "signature_type": 3}) == [f"venue.signature_type = 3: {rule}"]
    (problem,) = problems_of({**PAPER, "signature_type": True})
    assert problem == "venue.signature_type: expected an integer, got bool True"


def test_a_funder_is_required_for_proxy_and_safe_wallets_and_refused_for_an_eoa() -> None:
    assert problems_of({**PAPER, "signature_type": 1}) == [
        "venue.funder: required for signature_type = 1 (POLY_PROXY): the address of the"
        " proxy wallet that holds the funds"
    ]
    assert problems_of({**PAPER, "signature_type": 2}) == [
        "venue.funder: required for signature_type = 2 (POLY_GNOSIS_SAFE): the address of"
        " the Safe that holds the funds"
    ]
    assert problems_of({**PAPER, "funder": FUNDER}) == [
        "venue.funder is only for signature_type = 1 or 2 (this venue has signature_type"
        " = 0, EOA: the wallet of venue.private_key_path holds the funds)"
    ]


@pytest.mark.parametrize(
    ("funder", "ok"),
    [
        (FUNDER, True),
        (FUNDER.lower(), True),  # no checksum to check
        ("0x" + FUNDER[2:].upper(), True),
        (FUNDER.replace("aA", "Aa"), False),  # a mixed-case typo: the checksum fails
        ("0x1234", False),
        (FUNDER[2:], False),
    ],
)
def test_a_funder_is_an_address_whose_checksum_is_checked(funder: str, ok: bool) -> None:
    venue = {**PAPER, "signature_type": 2, "funder": funder}
    if ok:
        assert parse_config({"venue": venue}).venue.funder == funder
    else:
        (problem,) = problems_of(venue)
        assert problem.startswith(f'venue.funder = {funder!r}: must be "" (signature_type = 0)')


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (5.0, True),
        (0.5, True),
        (9.9, True),
        (3, True),
        (0.0, False),
        (-1.0, False),
        (10.0, False),
        (30.0, False),
        (float("inf"), False),
    ],
)
def test_the_heartbeat_interval_is_positive_and_below_the_venues_deadline(
    value: float, ok: bool
) -> None:
    venue = {**LIVE, "heartbeat_s": value}
    if ok:
        assert parse_config({"venue": venue}).venue.heartbeat_s == value
    else:
        assert problems_of(venue) == [
            f"venue.heartbeat_s = {value!r}: must be a finite number of seconds > 0 and < 10"
            " (Polymarket cancels every open order when heartbeats stop for about 10 s)"
        ]
    (problem,) = problems_of({**LIVE, "heartbeat_s": False})  # no switch to turn it off
    assert problem == "venue.heartbeat_s: expected a number, got bool False"


def test_paper_cash_is_dollars_and_only_for_paper() -> None:
    assert parse_config({"venue": {**PAPER, "paper_cash": "250.50"}}).venue.paper_cash == Decimal(
        "250.50"
    )
    (problem,) = problems_of({**PAPER, "paper_cash": 250.5})
    assert problem.startswith('venue.paper_cash: expected dollars as a string such as "200.00"')
    assert problems_of({**PAPER, "paper_cash": "0"}) == [
        "venue.paper_cash = '0': must be > 0 (dollars)"
    ]
    assert problems_of({**LIVE, "paper_cash": "1000.00"}) == [
        "venue.paper_cash is only for paper = true (this venue has paper = false: it trades"
        " the wallet's real funds, which paper_cash does not limit)"
    ]
    (problem,) = problems_of({**PAPER, "paper": "false"})
    assert problem == "venue.paper: expected true or false, got str 'false'"


@pytest.mark.parametrize(
    ("key", "url", "ok"),
    [
        ("url", "http://127.0.0.1:8711", True),
        ("url", "https://clob-staging.polymarket.com", True),
        ("url", "http://10.0.0.5:8711", False),
        ("url", "http://127.0.0.1:8711/order", False),
        ("gamma_url", "http://localhost:9/", True),
        ("gamma_url", "https://gamma.example", True),
        ("gamma_url", "http://gamma.example", False),
        ("gamma_url", "https://gamma.example/gamma", True),  # a prefix: the simulator's
        ("gamma_url", "http://127.0.0.1:9/gamma", True),
        ("gamma_url", "https://gamma.example/gamma?x=1", False),
        ("market_ws_url", "ws://127.0.0.1:9/ws/market", True),
        ("market_ws_url", "wss://ws.example/ws/market", True),
        ("market_ws_url", "ws://ws.example/ws/market", False),
        ("market_ws_url", "https://ws.example/ws/market", False),
        ("market_ws_url", "wss://ws.example/ws/market?x=1", False),
    ],
)
def test_url_overrides_take_tls_beyond_loopback(key: str, url: str, ok: bool) -> None:
    if ok:
        assert getattr(parse_config({"venue": {**LIVE, key: url}}).venue, key) == url
    else:
        (problem,) = problems_of({**LIVE, key: url})
        assert problem.startswith(f"venue.{key} = {url!r}: ")


def test_both_secret_paths_resolve_against_the_config_file_or_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "etc").mkdir()
    config = toml_config(
        tmp_path / "etc",
        PAPER_TOML + 'private_key_path = "~/pm/wallet.key"\napi_credentials_path = "clob.json"\n',
    )
    venue = load_config(config).venue
    assert venue.private_key_path == str(tmp_path / "home" / "pm" / "wallet.key")
    assert venue.api_credentials_path == str(tmp_path / "etc" / "clob.json")


def test_secrets_put_in_any_key_are_never_echoed(made: Secrets) -> None:
    key = "0x" + made.key_hex
    problems = problems_of(
        {
            "kind": "polymarket",
            "events": [made.key_hex],
            "private_key_path": key,
            "api_credentials_path": made.credentials_json,
            "funder": key,
            "url": key,
            "gamma_url": made.passphrase,
            "market_ws_url": f"wss://{made.passphrase}.example/{made.secret}",
            "signature_type": 2,
        }
    )
    assert len(problems) == 7
    assert problems[0] == (
        "venue.url: holds what looks like a private key or secret (64 hex digits, not shown);"
        " keys go in an owner-only file named by venue.private_key_path"
    )
    assert "venue.api_credentials_path = <" in " ".join(problems)
    made.assert_absent(*problems)


def test_a_venue_built_directly_keeps_the_rules() -> None:
    venue = VenueSection(kind="polymarket", tickers=(CONDITION,))
    assert venue.paper is True
    with pytest.raises(ValueError, match=r'venue\.series is only for kind = "kalshi"'):
        VenueSection(kind="polymarket", tickers=(CONDITION,), series=("S",))
    with pytest.raises(ValueError, match=r"venue\.funder: required for signature_type = 1"):
        VenueSection(kind="polymarket", tickers=(CONDITION,), signature_type=1)
    with pytest.raises(ValueError, match=r"venue\.tickers\[0\] = 'T'"):
        VenueSection(kind="polymarket", tickers=("T",))
    with pytest.raises(ValueError, match=r"venue\.paper_cash is only for paper = true"):
        VenueSection(kind="polymarket", tickers=(CONDITION,), paper=False, paper_cash=Decimal(5))
    # `warden run --venue-url` evolves the section: still checked
    with pytest.raises(ValueError, match=r"venue\.url = 'http://10\.1\.1\.1:1'"):
        attrs.evolve(venue, url="http://10.1.1.1:1")


def test_the_environment_variable_names_are_the_key_loaders() -> None:
    assert POLYMARKET_PRIVATE_KEY_ENV == _keys.PRIVATE_KEY_ENV
    assert POLYMARKET_API_ENV == (_keys.API_KEY_ENV, _keys.API_SECRET_ENV, _keys.API_PASSPHRASE_ENV)


# --- where the venue is -----------------------------------------------------------


def test_a_paper_venue_points_at_the_documented_urls_and_holds_no_secrets() -> None:
    target = polymarket_target(VenueSection(kind="polymarket", tickers=(CONDITION,)))
    # polymarket.md §1, §2; docs.polymarket.com/api-reference/introduction for Gamma
    assert (target.rest_url, target.market_ws_url, target.gamma_url) == (
        "https://clob.polymarket.com",
        "wss://ws-subscriptions-clob.polymarket.com/ws/market",
        "https://gamma-api.polymarket.com",
    )
    assert POLYMARKET_USER_WS_URL == "wss://ws-subscriptions-clob.polymarket.com/ws/user"
    assert (target.paper, target.paper_cash, target.wallet, target.credentials) == (
        True,
        Decimal("1000.00"),
        None,
        None,
    )
    assert (target.chain_id, target.real_money) == (POLYGON_CHAIN_ID, False) == (137, False)


def test_a_live_venue_loads_its_secrets_only_when_the_factories_are_called(
    tmp_path: Path, made: Secrets
) -> None:
    wallet_path, credentials_path = tmp_path / "wallet.key", tmp_path / "clob.json"
    venue = VenueSection(
        kind="polymarket",
        tickers=(CONDITION,),
        paper=False,
        private_key_path=str(wallet_path),
        api_credentials_path=str(credentials_path),
        signature_type=2,
        funder=FUNDER,
        heartbeat_s=2.5,
    )
    target = polymarket_target(venue, environ=NO_ENV)  # the files do not exist yet
    assert (target.paper, target.paper_cash, target.real_money) == (False, None, True)
    assert (target.signature_type, target.funder, target.heartbeat_s) == (2, FUNDER, 2.5)
    assert target.wallet is not None
    assert target.credentials is not None
    assert (target.wallet.source, target.credentials.source) == (
        str(wallet_path),
        str(credentials_path),
    )
    live_files(tmp_path, made)
    assert target.wallet().address == made.address
    credentials = target.credentials()
    assert (credentials.api_key, credentials.secret, credentials.passphrase) == (
        made.api_key,
        made.secret,
        made.passphrase,
    )
    made.assert_absent(repr(target), repr(target.wallet), repr(credentials))


def test_the_factories_read_the_environment_when_no_file_is_set(made: Secrets) -> None:
    wallet = PolymarketWalletFactory("", made.env)
    credentials = PolymarketCredentialsFactory("", made.env)
    assert wallet.source == POLYMARKET_PRIVATE_KEY_ENV
    assert credentials.source == ", ".join(POLYMARKET_API_ENV)
    assert wallet().address == made.address
    assert credentials().api_key == made.api_key
    with pytest.raises(ValueError, match=POLYMARKET_PRIVATE_KEY_ENV) as caught:
        PolymarketWalletFactory("", NO_ENV)()
    made.assert_absent(str(caught.value), repr(wallet), repr(credentials))


def test_overrides_replace_each_url_and_a_loopback_clob_is_not_real_money() -> None:
    venue = VenueSection(
        kind="polymarket",
        tickers=(CONDITION,),
        paper=False,
        url="http://127.0.0.1:8711/",
        market_ws_url="ws://127.0.0.1:8712/ws/market",
        gamma_url="http://127.0.0.1:8713",
    )
    target = venue_target(venue, environ=NO_ENV)
    assert (target.kind, target.rest_url, target.ws_url, target.real_money) == (
        "polymarket",
        "http://127.0.0.1:8711",
        "ws://127.0.0.1:8712/ws/market",
        False,
    )
    assert target.polymarket is not None
    assert target.polymarket.gamma_url == "http://127.0.0.1:8713"
    assert (target.environment, target.tier, target.signer) == (None, None, None)
    live = venue_target(attrs.evolve(venue, url="", market_ws_url="", gamma_url=""))
    assert (live.rest_url, live.ws_url, live.real_money) == (
        POLYMARKET_CLOB_URL,
        POLYMARKET_MARKET_WS_URL,
        True,
    )
    assert live.polymarket is not None
    assert live.polymarket.gamma_url == POLYMARKET_GAMMA_URL


def test_polymarket_target_is_only_for_a_polymarket_venue() -> None:
    with pytest.raises(ValueError, match=r'venue\.kind = "sim": not a polymarket venue'):
        polymarket_target(VenueSection())


# --- the secrets, checked offline ---------------------------------------------------


def test_owner_only_secret_files_pass_check_config(tmp_path: Path, made: Secrets) -> None:
    live_files(tmp_path, made)
    assert check_config_file(toml_config(tmp_path, LIVE_TOML), environ=NO_ENV) == []


def test_secret_files_others_can_read_are_refused_naming_each_path_and_mode(
    tmp_path: Path, made: Secrets
) -> None:
    wallet, credentials = live_files(tmp_path, made, 0o644)
    assert check_config_file(toml_config(tmp_path, LIVE_TOML), environ=NO_ENV) == [
        f"venue.private_key_path {wallet}: mode 0644 lets group or others read it;"
        f" run `chmod 600 {wallet}`",
        f"venue.api_credentials_path {credentials}: mode 0644 lets group or others read it;"
        f" run `chmod 600 {credentials}`",
    ]


def test_missing_secret_files_are_named(tmp_path: Path) -> None:
    assert check_config_file(toml_config(tmp_path, LIVE_TOML), environ=NO_ENV) == [
        f"venue.private_key_path {tmp_path / 'wallet.key'}: no such file",
        f"venue.api_credentials_path {tmp_path / 'clob.json'}: no such file",
    ]


@pytest.mark.parametrize(
    ("wallet_text", "credentials", "reasons"),
    [
        (
            "not a key\n",
            "[1, 2]",
            (
                "not a private key (expected 0x and 64 hex digits)",
                "not a JSON object with apiKey, secret, passphrase",
            ),
        ),
        (
            "0x" + "0" * 64,  # zero is not a secp256k1 private key
            '{"apiKey": "k", "secret": "c2VjcmV0"}',
            ("not a valid secp256k1 private key", "field 'passphrase' is missing"),
        ),
        (
            "0x" + "f" * 64,  # above the curve's order
            '{"apiKey": "k", "secret": "not base64!", "passphrase": "p"}',
            ("not a valid secp256k1 private key", "secret is not base64 text"),
        ),
    ],
)
def test_secret_files_that_do_not_parse_are_refused(
    tmp_path: Path, wallet_text: str, credentials: str, reasons: tuple[str, str]
) -> None:
    wallet = secret_file(tmp_path / "wallet.key", wallet_text)
    credentials_path = secret_file(tmp_path / "clob.json", credentials)
    assert check_config_file(toml_config(tmp_path, LIVE_TOML), environ=NO_ENV) == [
        f"venue.private_key_path {wallet}: {reasons[0]}",
        f"venue.api_credentials_path {credentials_path}: {reasons[1]}",
    ]


def test_a_live_venue_without_files_reads_the_environment(tmp_path: Path, made: Secrets) -> None:
    config = toml_config(tmp_path, PAPER_TOML + "paper = false\n")
    assert check_config_file(config, environ=made.env) == []
    assert check_config_file(config, environ=NO_ENV) == [
        'venue.private_key_path: required for kind = "polymarket" with paper = false unless'
        " WARDEN_POLYMARKET_PRIVATE_KEY holds the wallet's private key",
        'venue.api_credentials_path: required for kind = "polymarket" with paper = false'
        " unless WARDEN_POLYMARKET_API_KEY, WARDEN_POLYMARKET_API_SECRET and"
        " WARDEN_POLYMARKET_API_PASSPHRASE hold the API credentials",
    ]
    partial = {k: v for k, v in made.env.items() if k != API_PASSPHRASE_ENV}
    partial[POLYMARKET_PRIVATE_KEY_ENV] = "0x1234"
    problems = check_config_file(config, environ=partial)
    assert problems == [
        'venue.private_key_path "" (unset), so environment variable'
        " WARDEN_POLYMARKET_PRIVATE_KEY: not a private key (expected 0x and 64 hex digits)",
        'venue.api_credentials_path "" (unset), so environment: variable'
        " WARDEN_POLYMARKET_API_PASSPHRASE is missing",
    ]
    made.assert_absent(*problems)


def test_a_paper_venue_needs_no_secret_and_ignores_the_environment(tmp_path: Path) -> None:
    garbage = {POLYMARKET_PRIVATE_KEY_ENV: "garbage", API_KEY_ENV: "k"}
    assert check_config_file(toml_config(tmp_path, PAPER_TOML), environ=garbage) == []


def test_a_paper_venue_still_checks_the_files_it_names(tmp_path: Path, made: Secrets) -> None:
    wallet = secret_file(tmp_path / "wallet.key", made.key_text, 0o640)
    config = toml_config(tmp_path, PAPER_TOML + 'private_key_path = "wallet.key"\n')
    assert check_config_file(config, environ=NO_ENV) == [
        f"venue.private_key_path {wallet}: mode 0640 lets group or others read it;"
        f" run `chmod 600 {wallet}`"
    ]
    wallet.chmod(0o600)
    assert check_config_file(config, environ=NO_ENV) == []


def test_the_secrets_are_checked_even_when_another_key_is_bad(
    tmp_path: Path, made: Secrets
) -> None:
    live_files(tmp_path, made, 0o604)
    problems = check_config_file(
        toml_config(tmp_path, LIVE_TOML + "signature_type = 3\n"), environ=NO_ENV
    )
    assert [problem.split(" ", 1)[0] for problem in problems] == [
        "venue.signature_type",
        "venue.private_key_path",
        "venue.api_credentials_path",
    ]


def test_secret_problems_never_quote_a_secret(tmp_path: Path, made: Secrets) -> None:
    loose = secret_file(tmp_path / "loose.key", made.key_text, 0o644)
    truncated = secret_file(tmp_path / "short.key", made.key_text[:-5])
    bad_json = secret_file(tmp_path / "bad.json", made.credentials_json[:-3])
    bad_secret = secret_file(
        tmp_path / "secret.json",
        json.dumps({"apiKey": "k", "secret": made.passphrase + "!", "passphrase": "p"}),
    )
    messages = [
        *polymarket_key_problems(str(loose), str(bad_json), paper=False, environ=NO_ENV),
        *polymarket_key_problems(str(truncated), str(bad_secret), paper=False, environ=NO_ENV),
        *polymarket_key_problems(
            "",
            "",
            paper=False,
            environ={**made.env, POLYMARKET_PRIVATE_KEY_ENV: made.key_hex + "zz"},
        ),
    ]
    assert len(messages) == 5
    made.assert_absent(*messages)


# --- notices -------------------------------------------------------------------------


def test_a_live_venue_notices_real_money_with_the_wallets_public_address(
    tmp_path: Path, made: Secrets
) -> None:
    live_files(tmp_path, made)
    venue = load_config(toml_config(tmp_path, LIVE_TOML)).venue
    assert venue_notices(venue, NO_ENV) == [
        "notice: venue.paper = false: warden run will trade REAL MONEY on Polymarket"
        f" (https://clob.polymarket.com) from wallet {made.address}"
    ]
    safe = attrs.evolve(venue, signature_type=2, funder=FUNDER)
    (line,) = venue_notices(safe, NO_ENV)
    assert line.endswith(f"from wallet {made.address}, funds held by {FUNDER} (POLY_GNOSIS_SAFE)")


def test_files_that_override_set_variables_are_noticed(tmp_path: Path, made: Secrets) -> None:
    wallet, credentials = live_files(tmp_path, made)
    venue = load_config(toml_config(tmp_path, LIVE_TOML + 'url = "http://127.0.0.1:8711"\n')).venue
    notices = venue_notices(venue, {POLYMARKET_PRIVATE_KEY_ENV: "x", API_SECRET_ENV: "y"})
    assert notices == [  # a loopback CLOB: no real money
        f"notice: WARDEN_POLYMARKET_PRIVATE_KEY is set but ignored: venue.private_key_path"
        f" {wallet} is used",
        f"notice: WARDEN_POLYMARKET_API_SECRET is set but ignored: venue.api_credentials_path"
        f" {credentials} is used",
    ]


def test_a_paper_venue_notices_only_the_keys_it_does_not_use() -> None:
    assert venue_notices(VenueSection(kind="polymarket", tickers=(CONDITION,)), NO_ENV) == []
    venue = VenueSection(
        kind="polymarket",
        tickers=(CONDITION,),
        private_key_path="/k/wallet.key",
        heartbeat_s=1.0,
    )
    assert venue_notices(venue, NO_ENV) == [
        "notice: venue.paper = true (paper trading: no order reaches Polymarket):"
        " venue.private_key_path, venue.heartbeat_s are not used until paper = false"
    ]


# --- warden check-config -------------------------------------------------------------


def check_config(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    names = {POLYMARKET_PRIVATE_KEY_ENV, *POLYMARKET_API_ENV}
    environ = {k: v for k, v in os.environ.items() if k not in names} | env
    return subprocess.run(
        [sys.executable, "-m", "warden", "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env=environ,
    )


def test_check_config_of_a_live_venue_prints_one_real_money_notice(
    tmp_path: Path, made: Secrets
) -> None:
    live_files(tmp_path, made)
    config = toml_config(tmp_path, LIVE_TOML)
    done = check_config(config)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        f"{config}: notice: venue.paper = false: warden run will trade REAL MONEY on"
        f" Polymarket (https://clob.polymarket.com) from wallet {made.address}",
        f"{config}: ok",
    ]
    made.assert_absent(done.stdout)


def test_check_config_of_a_paper_venue_prints_only_ok(tmp_path: Path) -> None:
    config = toml_config(tmp_path, PAPER_TOML)
    done = check_config(config)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{config}: ok\n", "")


def test_check_config_refuses_bad_secrets_in_one_line_without_secret_text(
    tmp_path: Path, made: Secrets
) -> None:
    wallet, _ = live_files(tmp_path, made, 0o644)
    config = toml_config(
        tmp_path, LIVE_TOML.replace('"clob.json"', '""') + f'funder = "0x{made.key_hex}"\n'
    )
    done = check_config(config, **{API_KEY_ENV: made.api_key, API_SECRET_ENV: made.secret})
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "venue.funder: holds what looks like a private key or secret" in line
    assert f"venue.private_key_path {wallet}: mode 0644" in line
    assert "variable WARDEN_POLYMARKET_API_PASSPHRASE is missing" in line
    assert "Traceback" not in done.stderr
    made.assert_absent(done.stdout, done.stderr)
