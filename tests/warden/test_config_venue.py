"""``[venue] kind = "kalshi"``: its keys, validated offline, and where they point.

Real key files in tmp_path (modes set with chmod), real RSA keys, the real
``warden check-config`` in a subprocess; no key text ever in a message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from actors.venues.kalshi import _signing
from warden.config import (
    PRIVATE_KEY_ENV,
    ConfigError,
    VenueSection,
    check_config_file,
    load_config,
    parse_config,
)
from warden.venue_target import (
    KALSHI_ENVIRONMENTS,
    KALSHI_TIERS,
    KalshiSignerFactory,
    key_problems,
    urls_from_base,
    venue_notices,
    venue_target,
)

ROOT = Path(__file__).resolve().parents[2]
KEY_ID = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c"  # quick_start_authenticated_requests.md
KALSHI = {"kind": "kalshi", "key_id": KEY_ID, "tickers": ["FED-23DEC-T3.00"]}
NO_ENV: dict[str, str] = {}


@attrs.frozen
class Key:
    pem: bytes
    private: rsa.RSAPrivateKey

    @property
    def body(self) -> list[str]:
        """The base64 lines of the PEM: none may appear in any message."""
        return [line for line in self.pem.decode().splitlines() if not line.startswith("-----")]


@pytest.fixture(scope="module")
def key() -> Key:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return Key(pem, private)


def key_file(path: Path, data: bytes, mode: int = 0o600) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


def toml_config(tmp_path: Path, venue_lines: str) -> Path:
    config = tmp_path / "warden.toml"
    config.write_text(f'[daemon]\ndb = "var/w.db"\nruntime_dir = "var"\n[venue]\n{venue_lines}')
    return config


KALSHI_TOML = (
    f'kind = "kalshi"\nkey_id = "{KEY_ID}"\nprivate_key_path = "kalshi.pem"\n'
    'tickers = ["FED-23DEC-T3.00"]\n'
)


def problems_of(venue: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config({"venue": venue}, source="test.toml")
    return caught.value.problems


def assert_no_key_text(key: Key, *messages: str) -> None:
    for message in messages:
        assert "PRIVATE KEY" not in message
        for line in key.body:
            assert line not in message


# --- keys and their rules ---------------------------------------------------------


def test_the_default_venue_is_still_the_embedded_simulator() -> None:
    venue = parse_config({}).venue
    assert (venue.kind, venue.url, venue.realism) == ("sim", "", True)


def test_a_kalshi_venue_loads_with_demo_and_basic_by_default(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    config = toml_config(tmp_path / "etc", KALSHI_TOML + 'series = ["KXHIGHNY"]\n')
    venue = load_config(config).venue
    assert (venue.kind, venue.environment, venue.tier, venue.key_id) == (
        "kalshi",
        "demo",
        "basic",
        KEY_ID,
    )
    assert (venue.tickers, venue.series, venue.events) == (("FED-23DEC-T3.00",), ("KXHIGHNY",), ())
    # relative to the config file's directory, as daemon.db is
    assert venue.private_key_path == str(tmp_path / "etc" / "kalshi.pem")


def test_a_key_path_under_home_expands_and_an_absolute_one_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    home = parse_config({"venue": {**KALSHI, "private_key_path": "~/.kalshi/k.pem"}})
    assert home.venue.private_key_path == str(tmp_path / "home" / ".kalshi" / "k.pem")
    absolute = parse_config({"venue": {**KALSHI, "private_key_path": "/srv/k.pem"}})
    assert absolute.venue.private_key_path == "/srv/k.pem"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("realism", False),
        ("seed", 7),
        ("markets", 4),
        ("opportunity_every_s", 1.0),
        ("opportunity_lifetime_s", 1.0),
    ],
)
def test_a_simulator_key_in_a_kalshi_venue_is_named_with_its_kind(key: str, value: object) -> None:
    assert problems_of({**KALSHI, key: value}) == [
        f'venue.{key} is only for kind = "sim" (this venue is kind = "kalshi")'
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("environment", "demo"),
        ("private_key_path", "k.pem"),
        ("tier", "basic"),
        ("tickers", ["FED-23DEC-T3.00"]),
        ("series", ["KXHIGHNY"]),
        ("events", ["FED-23DEC"]),
        ("key_id", KEY_ID),
    ],
)
def test_a_kalshi_key_in_a_simulator_venue_is_named_with_its_kind(key: str, value: object) -> None:
    # private_key_path, tickers and events are polymarket's keys too
    kinds = (
        '"kalshi" or "polymarket"'
        if key in ("private_key_path", "tickers", "events")
        else '"kalshi"'
    )
    assert problems_of({key: value}) == [
        f'venue.{key} is only for kind = {kinds} (this venue is kind = "sim")'
    ]


def test_url_belongs_to_both_kinds() -> None:
    assert parse_config({"venue": {"url": "http://127.0.0.1:8711"}}).venue.url
    kalshi = parse_config({"venue": {**KALSHI, "url": "http://127.0.0.1:8711"}})
    assert kalshi.venue.url == "http://127.0.0.1:8711"


def test_a_kalshi_venue_needs_a_key_id_and_at_least_one_market() -> None:
    assert problems_of({"kind": "kalshi"}) == [
        'venue.key_id: required for kind = "kalshi": the Key ID Kalshi shows beside the'
        ' API key, e.g. "a952bcbe-ec3b-4b5b-b8f9-11dae589608c"',
        'venue.tickers, venue.series, venue.events: kind = "kalshi" needs at least one'
        " market: list tickers, series or events",
    ]
    for selector, entry in (("tickers", "FED-23DEC-T3.00"), ("series", "KX"), ("events", "E-1")):
        venue = parse_config({"venue": {"kind": "kalshi", "key_id": KEY_ID, selector: [entry]}})
        assert getattr(venue.venue, selector) == (entry,)


@pytest.mark.parametrize(
    "ticker",
    ["FED-23DEC-T3.00", "HIGHNY-22DEC23-B53.5", "KXBTC-25APR30-T0915-B95000", "A_B", "KXHIGHNY"],
)
def test_tickers_of_kalshis_examples_are_accepted(ticker: str) -> None:
    assert parse_config({"venue": {**KALSHI, "tickers": [ticker]}}).venue.tickers == (ticker,)


def test_each_bad_ticker_is_named_by_its_index() -> None:
    rule = "must be a Kalshi ticker: upper-case letters, digits, '-', '.' or '_'"
    assert problems_of({**KALSHI, "tickers": ["OK-1", "kxhighny", "A B", "-X", ""]}) == [
        f"venue.tickers[1] = 'kxhighny': {rule}",
        f"venue.tickers[2] = 'A B': {rule}",
        f"venue.tickers[3] = '-X': {rule}",
        f"venue.tickers[4] = '': {rule}",
    ]
    assert problems_of({**KALSHI, "events": ["E-1", "E-1"]}) == [
        "venue.events[1] = 'E-1': must be listed once"
    ]
    (problem,) = problems_of({**KALSHI, "series": "KXHIGHNY"})
    assert problem.startswith("venue.series: expected an array of strings such as")


@pytest.mark.parametrize(
    ("venue", "problem"),
    [
        (
            {**KALSHI, "key_id": "a952bcbe"},
            "venue.key_id = 'a952bcbe': must be a Kalshi API key id, a UUID such as",
        ),
        ({**KALSHI, "environment": "prod"}, "venue.environment = 'prod': must be one of"),
        ({**KALSHI, "tier": "gold"}, "venue.tier = 'gold': must be one of ['basic', 'advanced',"),
        (
            {"kind": "hyperliquid"},
            "venue.kind = 'hyperliquid': must be one of ['sim', 'kalshi', 'polymarket']",
        ),
        ({**KALSHI, "private_key_path": " "}, "venue.private_key_path = ' ': must be"),
        ({**KALSHI, "typo": 1}, "unknown key(s) ['typo'] in [venue]"),
    ],
)
def test_a_bad_kalshi_key_is_named_by_its_full_path(venue: dict[str, object], problem: str) -> None:
    (found,) = problems_of(venue)
    assert found.startswith(problem)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:8711", True),
        ("http://localhost:8711/", True),
        ("http://[::1]:8711", True),
        ("https://external-api.demo.kalshi.co", True),
        ("http://10.0.0.5:8711", False),  # signed requests in clear across a network
        ("ftp://127.0.0.1", False),
        ("http://127.0.0.1:8711/trade-api/v2", False),  # the paths are appended
        ("http://127.0.0.1:99999", False),
        ("https://user@host", False),
    ],
)
def test_a_kalshi_url_override_is_a_base_url_with_tls_beyond_loopback(url: str, ok: bool) -> None:
    if ok:
        assert parse_config({"venue": {**KALSHI, "url": url}}).venue.url == url
    else:
        (problem,) = problems_of({**KALSHI, "url": url})
        assert problem.startswith(f"venue.url = {url!r}: ")


def test_a_venue_built_directly_keeps_the_rules() -> None:
    with pytest.raises(ValueError, match=r'venue\.seed is only for kind = "sim"'):
        VenueSection(kind="kalshi", key_id=KEY_ID, tickers=("T",), seed=9)
    with pytest.raises(ValueError, match=r"venue\.key_id: required"):
        VenueSection(kind="kalshi", tickers=("T",))
    with pytest.raises(ValueError, match="needs at least one market"):
        VenueSection(kind="kalshi", key_id=KEY_ID)
    kalshi = VenueSection(kind="kalshi", key_id=KEY_ID, tickers=("T",))
    # `warden run --venue-url` evolves the section: still valid, still checked
    assert attrs.evolve(kalshi, url="http://127.0.0.1:1").url == "http://127.0.0.1:1"
    with pytest.raises(ValueError, match=r"venue\.url = "):
        attrs.evolve(kalshi, url="http://10.1.1.1:1")


def test_key_material_put_in_any_key_is_never_echoed(key: Key) -> None:
    pem = key.pem.decode()
    problems = problems_of(
        {
            "kind": "kalshi",
            "key_id": pem,
            "private_key_path": pem,
            "tickers": [pem],
            "url": pem,
            "environment": pem,
        }
    )
    assert len(problems) == 5
    assert problems[0] == (
        "venue.url: holds what looks like a private key (not shown); keys go in a PEM file"
    )
    assert_no_key_text(key, *problems)
    # the base64 body alone (no armour) in key_id is not echoed either
    (problem,) = problems_of({**KALSHI, "key_id": "".join(key.body)})
    assert problem.startswith("venue.key_id = <")
    assert_no_key_text(key, problem)


def test_the_env_variable_name_is_the_signers() -> None:
    assert PRIVATE_KEY_ENV == _signing.PRIVATE_KEY_ENV == "WARDEN_KALSHI_PRIVATE_KEY"


# --- where the venue is -----------------------------------------------------------


def test_the_documented_environments_are_the_urls() -> None:
    # docs.kalshi.com/getting_started/api_environments, "Recommended"
    demo = venue_target(VenueSection(kind="kalshi", key_id=KEY_ID, tickers=("T",)))
    assert (demo.kind, demo.environment, demo.rest_url, demo.ws_url, demo.real_money) == (
        "kalshi",
        "demo",
        "https://external-api.demo.kalshi.co/trade-api/v2",
        "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2",
        False,
    )
    production = venue_target(
        VenueSection(kind="kalshi", environment="production", key_id=KEY_ID, tickers=("T",))
    )
    assert (production.rest_url, production.ws_url, production.real_money) == (
        "https://external-api.kalshi.com/trade-api/v2",
        "wss://external-api-ws.kalshi.com/trade-api/ws/v2",
        True,
    )
    assert set(KALSHI_ENVIRONMENTS) == {"demo", "production"}


def test_a_url_override_replaces_the_environments_urls() -> None:
    venue = VenueSection(
        kind="kalshi",
        environment="production",
        key_id=KEY_ID,
        tickers=("T",),
        url="http://127.0.0.1:8711",
    )
    target = venue_target(venue)
    assert (target.environment, target.rest_url, target.ws_url, target.real_money) == (
        None,
        "http://127.0.0.1:8711/trade-api/v2",
        "ws://127.0.0.1:8711/trade-api/ws/v2",
        False,
    )
    assert urls_from_base("https://h.example:9/") == (
        "https://h.example:9/trade-api/v2",
        "wss://h.example:9/trade-api/ws/v2",
    )
    with pytest.raises(ValueError, match="no path"):
        urls_from_base("http://h/trade-api/v2")


def test_a_simulated_venue_has_no_signer_and_needs_its_url() -> None:
    embedded = venue_target(VenueSection(), embedded_url="http://127.0.0.1:4000")
    assert (embedded.kind, embedded.rest_url, embedded.ws_url, embedded.signer) == (
        "sim",
        "http://127.0.0.1:4000/trade-api/v2",
        "ws://127.0.0.1:4000/trade-api/ws/v2",
        None,
    )
    separate = venue_target(VenueSection(url="http://127.0.0.1:8711"))
    assert separate.rest_url == "http://127.0.0.1:8711/trade-api/v2"
    with pytest.raises(ValueError, match="embedded_url"):
        venue_target(VenueSection())


def test_the_tier_gives_kalshis_documented_budgets() -> None:
    target = venue_target(VenueSection(kind="kalshi", key_id=KEY_ID, tickers=("T",), tier="expert"))
    assert target.tier == KALSHI_TIERS["expert"]
    for tier in KALSHI_TIERS:  # every documented tier is a valid venue.tier, and no other
        assert VenueSection(kind="kalshi", key_id=KEY_ID, tickers=("T",), tier=tier).tier == tier
    (problem,) = problems_of({**KALSHI, "tier": "platinum"})
    assert problem == f"venue.tier = 'platinum': must be one of {list(KALSHI_TIERS)}"
    assert (KALSHI_TIERS["basic"].read, KALSHI_TIERS["basic"].write) == (200, 100)
    assert (KALSHI_TIERS["prestige"].read, KALSHI_TIERS["prestige"].write) == (10000, 8000)


def test_the_signer_factory_loads_the_key_file_and_signs(tmp_path: Path, key: Key) -> None:
    path = key_file(tmp_path / "k.pem", key.pem)
    venue = VenueSection(kind="kalshi", key_id=KEY_ID, tickers=("T",), private_key_path=str(path))
    factory = venue_target(venue, environ=NO_ENV).signer
    assert factory is not None
    signer = factory()
    assert signer.key_id == KEY_ID
    headers = signer.headers("GET", "/trade-api/v2/portfolio/balance")
    now = int(headers[_signing.ACCESS_TIMESTAMP])
    verdict = _signing.verify_headers(
        key.private.public_key(),
        "GET",
        "/trade-api/v2/portfolio/balance",
        headers,
        now_ms=now,
        max_skew_ms=0,
    )
    assert verdict is None
    assert_no_key_text(key, repr(factory), repr(signer))


def test_the_signer_factory_reads_the_environment_when_no_file_is_set(key: Key) -> None:
    factory = KalshiSignerFactory(KEY_ID, "", {PRIVATE_KEY_ENV: key.pem.decode()})
    assert factory.source == PRIVATE_KEY_ENV
    assert factory().key_id == KEY_ID
    assert_no_key_text(key, repr(factory))


def test_the_signer_factory_refuses_a_readable_key_naming_the_file(
    tmp_path: Path, key: Key
) -> None:
    path = key_file(tmp_path / "k.pem", key.pem, 0o644)
    factory = KalshiSignerFactory(KEY_ID, str(path), NO_ENV)
    with pytest.raises(ValueError, match="0644") as caught:
        factory()
    assert str(path) in str(caught.value)
    assert_no_key_text(key, str(caught.value))


# --- the key, checked offline -------------------------------------------------------


def test_an_owner_only_key_file_passes_check_config(tmp_path: Path, key: Key) -> None:
    key_file(tmp_path / "kalshi.pem", key.pem)
    assert check_config_file(toml_config(tmp_path, KALSHI_TOML), environ=NO_ENV) == []


def test_a_key_file_others_can_read_is_refused_naming_the_path_and_mode(
    tmp_path: Path, key: Key
) -> None:
    path = key_file(tmp_path / "kalshi.pem", key.pem, 0o644)
    (problem,) = check_config_file(toml_config(tmp_path, KALSHI_TOML), environ=NO_ENV)
    assert problem == (
        f"venue.private_key_path {path}: mode 0644 lets group or others read it;"
        f" run `chmod 600 {path}`"
    )


def test_a_missing_key_file_is_named(tmp_path: Path) -> None:
    (problem,) = check_config_file(toml_config(tmp_path, KALSHI_TOML), environ=NO_ENV)
    assert problem == f"venue.private_key_path {tmp_path / 'kalshi.pem'}: no such file"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not a key at all\n", "not a PEM file (no '-----BEGIN' line)"),
        (
            b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
            "not a readable PEM private key (expected PKCS#1 or PKCS#8)",
        ),
        ("ec", "not an RSA private key"),
    ],
)
def test_a_file_that_is_not_an_rsa_private_key_is_refused(
    tmp_path: Path, content: bytes | str, reason: str
) -> None:
    if content == "ec":
        content = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    assert isinstance(content, bytes)
    path = key_file(tmp_path / "kalshi.pem", content)
    (problem,) = check_config_file(toml_config(tmp_path, KALSHI_TOML), environ=NO_ENV)
    assert problem.startswith(f"venue.private_key_path {path}: ")
    assert reason in problem


def test_the_environment_variable_holds_the_key_when_no_file_is_set(
    tmp_path: Path, key: Key
) -> None:
    no_path = KALSHI_TOML.replace('private_key_path = "kalshi.pem"\n', "")
    config = toml_config(tmp_path, no_path)
    assert check_config_file(config, environ={PRIVATE_KEY_ENV: key.pem.decode()}) == []
    assert check_config_file(config, environ=NO_ENV) == [
        'venue.private_key_path: required for kind = "kalshi" unless'
        " WARDEN_KALSHI_PRIVATE_KEY holds the PEM text of the private key"
    ]
    (bad,) = check_config_file(config, environ={PRIVATE_KEY_ENV: "garbage"})
    assert bad == (
        'venue.private_key_path "" (unset), so environment variable WARDEN_KALSHI_PRIVATE_KEY:'
        " not a PEM file (no '-----BEGIN' line)"
    )


def test_the_file_wins_over_the_environment_and_a_notice_says_so(tmp_path: Path, key: Key) -> None:
    path = key_file(tmp_path / "kalshi.pem", key.pem)
    config = toml_config(tmp_path, KALSHI_TOML)
    environ = {PRIVATE_KEY_ENV: "garbage that would not parse"}
    assert check_config_file(config, environ=environ) == []
    assert venue_notices(load_config(config).venue, environ) == [
        f"notice: WARDEN_KALSHI_PRIVATE_KEY is set but ignored: venue.private_key_path {path}"
        " is used"
    ]


def test_key_problems_never_quote_the_key(tmp_path: Path, key: Key) -> None:
    readable = key_file(tmp_path / "r.pem", key.pem, 0o640)
    messages = [
        *key_problems(str(readable), NO_ENV),
        *key_problems("", {PRIVATE_KEY_ENV: key.pem.decode()[:-40]}),  # truncated key
        *key_problems("", {PRIVATE_KEY_ENV: "".join(key.body)}),  # body without armour
    ]
    assert len(messages) == 3
    assert_no_key_text(key, *messages)


def test_the_key_is_checked_even_when_another_key_is_bad(tmp_path: Path, key: Key) -> None:
    path = key_file(tmp_path / "kalshi.pem", key.pem, 0o604)
    problems = check_config_file(
        toml_config(tmp_path, KALSHI_TOML + 'tier = "gold"\n'), environ=NO_ENV
    )
    assert [problem.split(" ", 1)[0] for problem in problems] == [
        "venue.tier",
        "venue.private_key_path",
    ]
    assert str(path) in problems[1]


# --- warden check-config -------------------------------------------------------------


def check_config(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != PRIVATE_KEY_ENV} | env
    return subprocess.run(
        [sys.executable, "-m", "warden", "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env=environ,
    )


def test_check_config_of_a_production_venue_prints_one_real_money_notice(
    tmp_path: Path, key: Key
) -> None:
    key_file(tmp_path / "kalshi.pem", key.pem)
    config = toml_config(tmp_path, KALSHI_TOML + 'environment = "production"\n')
    done = check_config(config)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        f'{config}: notice: venue.environment = "production": warden run will trade REAL MONEY'
        " on Kalshi's production exchange (https://external-api.kalshi.com/trade-api/v2)",
        f"{config}: ok",
    ]


def test_check_config_of_a_demo_venue_or_a_loopback_override_prints_only_ok(
    tmp_path: Path, key: Key
) -> None:
    key_file(tmp_path / "kalshi.pem", key.pem)
    demo = check_config(toml_config(tmp_path, KALSHI_TOML))
    assert (demo.returncode, demo.stdout) == (0, f"{tmp_path / 'warden.toml'}: ok\n")
    override = check_config(
        toml_config(
            tmp_path,
            KALSHI_TOML + 'environment = "production"\nurl = "http://127.0.0.1:8711"\n',
        )
    )
    assert (override.returncode, override.stdout) == (0, f"{tmp_path / 'warden.toml'}: ok\n")


def test_check_config_refuses_a_bad_key_in_one_line_without_key_text(
    tmp_path: Path, key: Key
) -> None:
    path = key_file(tmp_path / "kalshi.pem", key.pem, 0o644)
    config = toml_config(tmp_path, KALSHI_TOML.replace(KEY_ID, "not-a-uuid"))
    done = check_config(config, **{PRIVATE_KEY_ENV: key.pem.decode()})
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "venue.key_id = 'not-a-uuid': must be a Kalshi API key id" in line
    assert f"venue.private_key_path {path}: mode 0644" in line
    assert "Traceback" not in done.stderr
    assert_no_key_text(key, done.stdout, done.stderr)
