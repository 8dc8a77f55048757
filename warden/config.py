"""warden's configuration: TOML structured by cattrs into frozen attrs classes.

Every section is a frozen class with one validator per field. Loading is
strict: an unknown key, a wrong type (no silent ``"5"`` → 5 or 1.5 → 1) or an
out-of-range value raises :class:`ConfigError`, whose message names the full
key path (``risk.max_concurrent_markets = -1: must be an integer >= 1``).
Money keys are exact dollar amounts written as strings (``max_total_exposure
= "200.00"``) and become ``decimal.Decimal``; a float, a number or a malformed
string is refused naming the key. A count (``strategy.max_count``) may be a
string or an integer and becomes a ``Decimal`` of contracts. The old
``*_cents`` keys are refused naming the new key and the converted value
(``risk.max_total_exposure_cents is gone: use max_total_exposure = "200.00"
(dollars)``).
Every key is checked before anything is reported, so one :class:`ConfigError`
lists every bad key of every section, and the rules that relate two keys.

Paths (``daemon.db``, ``daemon.runtime_dir``, ``venue.private_key_path``) are
made absolute when loaded: relative to the directory of the config file, or to
the current directory for the built-in defaults (``~`` in the key path is the
home directory). :func:`check_daemon_paths` checks the daemon's against the
filesystem (``warden check-config``) or prepares them (``warden run``).

``[venue]`` has a ``kind``: ``"sim"`` (the simulated venue), ``"kalshi"`` or
``"polymarket"``; a key of another kind is an error naming the key and the kinds
it belongs to. A problem never quotes what looks like a private key (PEM armour,
or 64 hex digits: a secp256k1 key or a Polymarket passphrase), whichever key it
was put in. ``check_config_file`` also reads and parses a kalshi venue's private
key, and a polymarket venue's wallet key and API credentials
(:mod:`warden.venue_target`), offline.

docs/configuration.md lists every key, its default and its range; a test keeps
the two in step.
"""

from __future__ import annotations

import errno
import ipaddress
import operator
import os
import re
import tempfile
import tomllib
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TypeAlias, TypeGuard

import attrs
import cattrs

from actors.fees import FeeModel
from actors.strategy import StrategySettings, check_strategies, largest_event
from supervision import validators

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "default.toml"
PRIVATE_KEY_ENV = "WARDEN_KALSHI_PRIVATE_KEY"
"""Holds the Kalshi private key's PEM text when ``venue.private_key_path`` is unset."""
POLYMARKET_PRIVATE_KEY_ENV = "WARDEN_POLYMARKET_PRIVATE_KEY"
"""Holds the Polymarket wallet key (``0x`` + 64 hex) when ``venue.private_key_path``
is unset (the names are :mod:`actors.venues.polymarket._keys`'; a test keeps them equal)."""
POLYMARKET_API_ENV = (
    "WARDEN_POLYMARKET_API_KEY",
    "WARDEN_POLYMARKET_API_SECRET",
    "WARDEN_POLYMARKET_API_PASSPHRASE",
)
"""Hold the CLOB API credentials when ``venue.api_credentials_path`` is unset."""

RawTable: TypeAlias = Mapping[str, object]
"""A TOML table as ``tomllib`` parsed it (or a test wrote it): values not yet checked;
the loader narrows each one before it builds a section."""


class ConfigError(ValueError):
    """The configuration is unusable; ``problems`` lists each bad key with its path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@attrs.frozen
class _Rule:
    """A rule between two keys of one section: ``holds(section.key, section.other)``."""

    section: str
    key: str
    other: str
    holds: Callable[[Decimal | float, Decimal | float], bool]
    wording: str  # "must not exceed"

    def broken(self, values: RawTable) -> str | None:
        """The problem (full key path) if the rule fails on ``values`` (or either value
        is not a number), else None."""
        value, other = values[self.key], values[self.other]
        if value is None:  # an optional key left unset: nothing to compare
            return None
        if _number(value) and _number(other) and self.holds(value, other):
            return None
        where = f"{self.section}.{self.key} = {_shown(value)}"
        return f"{where}: {self.wording} {self.section}.{self.other} ({_shown(other)})"


def _shown(value: object) -> str:
    """A value as the config file writes it: a ``Decimal`` as its string (``"200.00"``)."""
    return f'"{value}"' if isinstance(value, Decimal) else repr(value)


def _number(value: object) -> TypeGuard[Decimal | float]:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _enforce(section: object, rules: tuple[_Rule, ...]) -> None:
    """Raise :class:`ValueError` listing each broken rule (for direct construction)."""
    values = attrs.asdict(section)  # type: ignore[arg-type]
    problems = [problem for rule in rules if (problem := rule.broken(values)) is not None]
    if problems:
        raise ValueError("; ".join(problems))


# Each field's rule is a generic one of supervision.validators; it raises FieldError,
# which the loader turns into "section.key = value: rule".
_positive_s = validators.seconds(0.0)
_non_negative_s = validators.seconds(0.0, inclusive=True)
_http = validators.url("http", "https")


def _base_url(value: object, *, prefix: bool = False) -> bool:
    """``http(s)://host[:port]`` (a trailing ``/`` allowed): the venue's API paths are
    appended to it, so a path (unless ``prefix``: a proxy's, the simulated venue's
    ``/gamma``), query, fragment or user name would be wrong."""
    if not isinstance(value, str) or not _http.check(value):
        return False
    parts = urllib.parse.urlsplit(value)
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return False
    return (
        bool(parts.hostname)
        and "@" not in parts.netloc
        and (prefix or parts.path in ("", "/"))
        and not parts.query
        and not parts.fragment
    )


_url = validators.rule(
    lambda v: v == "" or (_base_url(v) and not _maybe_key_material(v)),
    'must be "" (the embedded simulator; for kalshi and polymarket, the venue\'s documented'
    " URLs) or a URL http://host[:port] or https://host[:port], with no path",
)
_path = validators.text("path")
_flag = validators.flag()

_DOLLAR_PLACES = 4  # Kalshi's finest money unit is $0.0001
_COUNT_PLACES = 2  # Kalshi's lot: 0.01 contract
_FIXED_POINT = re.compile(r"(?:0|[1-9][0-9]*)(?:\.([0-9]+))?")
_MAX_TEXT = 24  # longer than any sensible amount; bounds the work on a hostile file
_KIND = "warden.config.kind"  # attrs metadata: "money" or "count" for a Decimal key


def _decimal(low: Decimal, *, inclusive: bool, high: Decimal | None = None) -> validators.Rule:
    """A finite ``Decimal`` > ``low`` (>= if ``inclusive``) and < ``high`` if given."""
    sign = ">=" if inclusive else ">"
    wording = (
        f"must be {sign} {low}" + (f" and < {high}" if high is not None else "") + " (dollars)"
    )

    def check(value: object) -> bool:
        if not isinstance(value, Decimal) or not value.is_finite():
            return False
        above = value >= low if inclusive else value > low
        return above and (high is None or value < high)

    return validators.rule(check, wording)


_MONEY = {_KIND: "money"}  # read from a string of dollars (see _dollars)
_COUNT = {_KIND: "count"}  # read from an integer or a string of contracts (see _contracts)
_ENTRIES = {_KIND: "entries"}  # a TOML array of strings (see _entries)
_TICKERS = {_KIND: "tickers"}  # a TOML array of strings (see _ticker_entries)
_TABLES = {_KIND: "tables"}  # a TOML table of tables (see _tables)
_positive_dollars = _decimal(Decimal(0), inclusive=False)
_overlap_dollars = _decimal(Decimal(0), inclusive=True, high=Decimal(1))
_slippage_dollars = _decimal(Decimal(0), inclusive=True, high=Decimal(1))
_MAX_COMPLETE_ATTEMPTS = 9  # client order ids carry the attempt in one digit
_non_empty = validators.rule(
    lambda v: isinstance(v, tuple) and len(v) > 0, "must name at least one strategy"
)
_MAX_COUNT = Decimal(10_000)
_contract_count = validators.rule(
    lambda v: _positive_dollars.check(v) and v <= _MAX_COUNT and _fits(v, _COUNT_PLACES),
    f"must be > 0 and <= {_MAX_COUNT}, with at most {_COUNT_PLACES} decimals (contracts)",
)


def _fits(value: Decimal, places: int) -> bool:
    """``value`` needs at most ``places`` decimals (trailing zeros do not count)."""
    return value == value.quantize(Decimal(1).scaleb(-places))


@attrs.frozen
class DaemonSection:
    """``db`` and ``runtime_dir`` are absolute once loaded (see :func:`parse_config`)."""

    db: str = attrs.field(default="var/warden.db", validator=_path)
    runtime_dir: str = attrs.field(default="var", validator=_path)
    status_interval_s: float = attrs.field(default=5.0, validator=_positive_s)
    shutdown_timeout_s: float = attrs.field(default=10.0, validator=_positive_s)
    log_json: bool = attrs.field(default=False, validator=_flag)
    dry_run: bool = attrs.field(default=False, validator=_flag)
    intent_sync: str = attrs.field(default="full", validator=validators.choice("full", "normal"))


_KALSHI_TIERS = ("basic", "advanced", "expert", "premier", "paragon", "prime", "prestige")
_COMMON_KEYS = ("kind", "url")
_SIM_KEYS = ("realism", "seed", "markets", "opportunity_every_s", "opportunity_lifetime_s")
_KALSHI_KEYS = ("environment", "key_id", "private_key_path", "tier", "tickers", "series", "events")
_POLYMARKET_KEYS = (
    "private_key_path",
    "tickers",
    "events",
    "paper",
    "api_credentials_path",
    "signature_type",
    "funder",
    "heartbeat_s",
    "paper_cash",
    "market_ws_url",
    "gamma_url",
)
_VENUE_KEYS: Mapping[str, tuple[str, ...]] = {
    "sim": _SIM_KEYS,
    "kalshi": _KALSHI_KEYS,
    "polymarket": _POLYMARKET_KEYS,
}
"""Each kind's own keys (besides ``kind`` and ``url``): any other key is an error."""
_SELECTORS = ("tickers", "series", "events")
# Kalshi's documented key id (getting_started/quick_start_authenticated_requests.md):
# "a952bcbe-ec3b-4b5b-b8f9-11dae589608c", sent as-is in KALSHI-ACCESS-KEY.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Tickers in Kalshi's examples ("FED-23DEC-T3.00", "HIGHNY-22DEC23-B53.5", "KXHIGHNY"):
# upper-case letters, digits, '-' and '.'; asyncapi's pattern ^[A-Z0-9-]+$ contradicts its
# own examples, so '.' is taken, and '_' too (no example shows one; refusing a real
# ticker would be worse than letting the venue say it does not know it).
_TICKER = re.compile(r"[A-Z0-9][A-Z0-9._-]*")
_TICKER_WORDING = "must be a Kalshi ticker: upper-case letters, digits, '-', '.' or '_'"
# A Polymarket market is named by its condition id, a bytes32 in hex: every recorded
# Gamma answer and market-channel frame writes it "0x" + 64 lower-case hex digits
# (/work/shared/venues/polymarket/frames/rest/market_slug.json "conditionId"). warden
# matches markets as text, so a condition id in another case would never match one.
_CONDITION_ID = re.compile(r"0x[0-9a-f]{64}")
_CONDITION_ID_ANY_CASE = re.compile(r"0x[0-9a-fA-F]{64}")
_CONDITION_ID_WORDING = 'must be a condition id: "0x" and 64 hex digits (Gamma\'s conditionId)'
# Event slugs as Gamma writes them ("highest-temperature-in-nyc-on-january-26",
# frames/rest/event.json) and polymarket.com/event/<slug> shows them; a numeric event id
# ("185377") fits too. Permissive for the reason given for Kalshi's tickers.
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_MAX_SLUG = 200
_SLUG_WORDING = (
    "must be a Polymarket event slug: lower-case letters, digits and '-'"
    " (as in https://polymarket.com/event/<slug>)"
)
_MAX_KEY_ID_SHOWN = 64  # a longer bad key id is not echoed: it may be a pasted key
# 64 hex digits in a row: a secp256k1 private key (with or without "0x") or a CLOB API
# passphrase. A condition id has that shape too, which is why no problem quotes one.
_HEX_SECRET = re.compile(r"[0-9a-fA-F]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_SIGNATURE_TYPES = {0: "EOA", 1: "POLY_PROXY", 2: "POLY_GNOSIS_SAFE"}
# Third-party clients agree that the CLOB cancels every open order when no heartbeat came
# for about 10 s; Polymarket's page says only "regularly"
# (docs.polymarket.com/api-reference/trade/send-heartbeat). An interval at or beyond it
# would let the venue cancel warden's orders between two heartbeats.
_HEARTBEAT_DEADLINE_S = 10.0


def _pem_armour(text: str) -> bool:
    """PEM armour or the words of a private key (Kalshi's keys are PEM)."""
    return "-----BEGIN" in text or "-----END" in text or "PRIVATE KEY" in text.upper()


def _maybe_key_material(text: str) -> bool:
    """Text an error must not echo: PEM armour, or 64 hex digits in a row (a secp256k1
    key, a passphrase)."""
    return _pem_armour(text) or _HEX_SECRET.search(text) is not None


_key_id = validators.rule(
    lambda v: isinstance(v, str) and (v == "" or _UUID.fullmatch(v) is not None),
    'must be a Kalshi API key id, a UUID such as "a952bcbe-ec3b-4b5b-b8f9-11dae589608c"',
)


def _file_path(value: object) -> bool:
    """``""`` or one line naming a file (never key material, never JSON)."""
    return isinstance(value, str) and (
        value == ""
        or (
            bool(value.strip())
            and "\n" not in value
            and "{" not in value
            and not _maybe_key_material(value)
        )
    )


_key_path = validators.rule(
    _file_path,
    f'must be "" (the key is in {PRIVATE_KEY_ENV}, or for polymarket in'
    f" {POLYMARKET_PRIVATE_KEY_ENV}) or the path of a key file, not the key itself",
)
_credentials_path = validators.rule(
    _file_path,
    f'must be "" (the credentials are in {", ".join(POLYMARKET_API_ENV)}) or the path'
    " of a JSON file, not the credentials themselves",
)


def _is_address(value: object) -> bool:
    """``0x`` + 40 hex digits; in mixed case, a valid EIP-55 checksum (a typo caught)."""
    if not isinstance(value, str) or _ADDRESS.fullmatch(value) is None:
        return False
    digits = value[2:]
    if digits.islower() or digits.isupper() or digits.isdigit():
        return True
    from actors.venues.polymarket._eth import (  # noqa: PLC0415 - keccak: polymarket
        is_checksum_address,
    )

    return bool(is_checksum_address(value))


_funder = validators.rule(
    lambda v: v == "" or _is_address(v),
    'must be "" (signature_type = 0) or an address: "0x" and 40 hex digits'
    " (in mixed case, with a valid EIP-55 checksum)",
)
_signature_type = validators.rule(
    lambda v: type(v) is int and v in _SIGNATURE_TYPES,
    "must be 0 (EOA), 1 (POLY_PROXY) or 2 (POLY_GNOSIS_SAFE);"
    " 3 (POLY_1271, deposit wallets) is not supported",
)
_heartbeat = validators.rule(
    lambda v: _positive_s.check(v) and v < _HEARTBEAT_DEADLINE_S,
    f"must be a finite number of seconds > 0 and < {_HEARTBEAT_DEADLINE_S:g}"
    f" (Polymarket cancels every open order when heartbeats stop for about"
    f" {_HEARTBEAT_DEADLINE_S:g} s)",
)


def _ws_url(value: object) -> bool:
    """``ws(s)://host[:port][/path]``: a websocket URL as the venue documents it."""
    if not isinstance(value, str) or not value.startswith(("ws://", "wss://")):
        return False
    if any(character.isspace() for character in value):
        return False
    parts = urllib.parse.urlsplit(value)
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return False
    return (
        bool(parts.hostname) and "@" not in parts.netloc and not parts.query and not parts.fragment
    )


_market_ws_url = validators.rule(
    lambda v: v == "" or (_ws_url(v) and not _maybe_key_material(v)),
    'must be "" (Polymarket\'s market channel) or a URL ws://host[:port][/path] or'
    " wss://host[:port][/path]",
)


_gamma_url = validators.rule(
    lambda v: v == "" or (_base_url(v, prefix=True) and not _maybe_key_material(v)),
    'must be "" (Polymarket\'s Gamma API) or a URL http://host[:port][/path] or'
    " https://host[:port][/path]",
)


def _selector(_: object, attribute: attrs.Attribute[tuple[str, ...]], value: object) -> None:
    """An array of strings; each entry's syntax depends on the kind (:func:`_venue_problems`)."""
    if not isinstance(value, tuple) or not all(isinstance(entry, str) for entry in value):
        raise validators.FieldError(
            "VenueSection", attribute.name, value, "must be an array of tickers"
        )


@attrs.frozen
class VenueSection:
    """Which venue warden trades on: ``kind = "sim"`` (default), the simulated venue;
    ``kind = "kalshi"``, Kalshi's Trade API v2 (docs/venues/kalshi.md);
    ``kind = "polymarket"``, Polymarket's CLOB V2 on Polygon (docs/venues/polymarket.md).

    ``url``, every kind: ``""`` is the embedded simulator (sim) or the venue's
    documented URLs (kalshi: the ``environment``'s; polymarket: the CLOB's); else
    ``http(s)://host[:port]``: for sim and kalshi a venue speaking Kalshi's wire there
    (:mod:`warden.venue_target` derives the REST and websocket URLs), for polymarket
    the CLOB REST base. For kalshi and polymarket, plain ``http://`` only to a loopback
    host.

    Sim only: ``realism`` (default) makes the embedded simulator serve what a real
    exchange shows (events of mutually exclusive markets, reciprocal books that never
    cross: docs/venue-sim.md), ``false`` the legacy mode (``markets`` independent
    markets whose house quotes cross every ``opportunity_every_s``).

    Kalshi only: ``environment`` (demo or production), ``key_id`` (required),
    ``tier`` (rate-limit tier), ``series``. Kalshi and polymarket:
    ``private_key_path`` (absolute once loaded; ``""``: the key is in the environment
    variable ``WARDEN_KALSHI_PRIVATE_KEY``, or ``WARDEN_POLYMARKET_PRIVATE_KEY``), and
    the markets ``tickers`` and ``events`` (kalshi: also ``series``; at least one
    entry in all). Kalshi tickers are Kalshi's; Polymarket's are condition ids
    (``"0x"`` + 64 lower-case hex) and its events are event slugs.

    Polymarket only: ``paper`` (default true: real market data, simulated fills, no
    order reaches the venue, no key needed; false trades the wallet's real funds),
    ``api_credentials_path`` (absolute once loaded; ``""``: the three
    ``WARDEN_POLYMARKET_API_*`` variables), ``signature_type`` (0 EOA, 1 POLY_PROXY, 2
    POLY_GNOSIS_SAFE), ``funder`` (the address holding the funds: required for 1 and
    2, an error for 0), ``heartbeat_s`` (the dead-man switch's interval; always on when
    live), ``paper_cash`` (paper only: an error with ``paper = false``),
    ``market_ws_url`` and ``gamma_url`` (overrides, for tests). Key files given in a
    paper venue are allowed, unused, and still checked by ``warden check-config``.

    A key of another kind is an error naming the key and its kinds, so a config
    never carries a setting that silently does nothing.
    """

    kind: str = attrs.field(default="sim", validator=validators.choice(*_VENUE_KEYS))
    url: str = attrs.field(default="", validator=_url)
    realism: bool = attrs.field(default=True, validator=_flag)
    seed: int = attrs.field(default=1, validator=validators.integer(0))
    markets: int = attrs.field(default=3, validator=validators.integer(1, 50))
    opportunity_every_s: float = attrs.field(default=2.0, validator=_positive_s)
    opportunity_lifetime_s: float = attrs.field(default=1.0, validator=_positive_s)
    environment: str = attrs.field(
        default="demo", validator=validators.choice("demo", "production")
    )
    key_id: str = attrs.field(default="", validator=_key_id)
    private_key_path: str = attrs.field(default="", validator=_key_path)
    tier: str = attrs.field(default="basic", validator=validators.choice(*_KALSHI_TIERS))
    tickers: tuple[str, ...] = attrs.field(default=(), validator=_selector, metadata=_TICKERS)
    series: tuple[str, ...] = attrs.field(default=(), validator=_selector, metadata=_TICKERS)
    events: tuple[str, ...] = attrs.field(default=(), validator=_selector, metadata=_TICKERS)
    paper: bool = attrs.field(default=True, validator=_flag)
    api_credentials_path: str = attrs.field(default="", validator=_credentials_path)
    signature_type: int = attrs.field(default=0, validator=_signature_type)
    funder: str = attrs.field(default="", validator=_funder)
    heartbeat_s: float = attrs.field(default=5.0, validator=_heartbeat)
    paper_cash: Decimal = attrs.field(
        default=Decimal("1000.00"), validator=_positive_dollars, metadata=_MONEY
    )
    market_ws_url: str = attrs.field(default="", validator=_market_ws_url)
    gamma_url: str = attrs.field(default="", validator=_gamma_url)

    def __attrs_post_init__(self) -> None:
        # built directly (not loaded): a key counts as given when it differs from its default
        values = {f.name: getattr(self, f.name) for f in attrs.fields(VenueSection)}
        given = {f.name for f in attrs.fields(VenueSection) if values[f.name] != f.default}
        problems = _venue_problems(values, given)
        if problems:
            raise ValueError("; ".join(problems))


def _venue_problems(values: Mapping[str, object], given: Collection[str]) -> list[str]:
    """The rules of ``[venue]`` between keys, on the keys valid on their own
    (``values``; ``given``: the keys the file set): no key of another kind, each
    market entry's syntax for the kind, and the kind's own rules
    (:func:`_kalshi_problems`, :func:`_polymarket_problems`)."""
    kind = values.get("kind")
    if not isinstance(kind, str) or kind not in _VENUE_KEYS:
        return []
    own = _VENUE_KEYS[kind]
    problems = [
        _wrong_kind(field.name, kind)
        for field in attrs.fields(VenueSection)
        if field.name in given and field.name not in _COMMON_KEYS and field.name not in own
    ]
    problems.extend(_selector_problems(kind, values))
    if kind == "kalshi":
        problems.extend(_kalshi_problems(values))
    elif kind == "polymarket":
        problems.extend(_polymarket_problems(values, given))
    return problems


def _wrong_kind(key: str, kind: str) -> str:
    kinds = " or ".join(f'"{name}"' for name, keys in _VENUE_KEYS.items() if key in keys)
    return f'venue.{key} is only for kind = {kinds} (this venue is kind = "{kind}")'


def _entry_shown(entry: str) -> str:
    """A bad market entry as a problem shows it: its repr, unless it may be a key."""
    if _maybe_key_material(entry):
        return f"<{len(entry)} characters, not shown>"
    return repr(entry)


def _kalshi_entry(entry: str) -> str | None:
    if _TICKER.fullmatch(entry) is not None:
        return None
    return f" = {_entry_shown(entry)}: {_TICKER_WORDING}"


def _condition_id(entry: str) -> str | None:
    if _CONDITION_ID.fullmatch(entry) is not None:
        return None
    if _CONDITION_ID_ANY_CASE.fullmatch(entry) is not None:
        return ": must be written in lower case, as Polymarket writes condition ids"
    return f" = {_entry_shown(entry)}: {_CONDITION_ID_WORDING}"


def _event_slug(entry: str) -> str | None:
    if (
        _SLUG.fullmatch(entry) is not None
        and len(entry) <= _MAX_SLUG
        and not _maybe_key_material(entry)
    ):
        return None
    return f" = {_entry_shown(entry)}: {_SLUG_WORDING}"


def _selector_problems(kind: str, values: Mapping[str, object]) -> list[str]:
    """Each market entry of ``kind``'s selectors that is malformed (named by its
    index), else each entry listed twice; keys of another kind are not looked at."""
    problems: list[str] = []
    for key in _SELECTORS:
        entries = values.get(key)
        if key not in _VENUE_KEYS[kind] or not isinstance(entries, tuple):
            continue
        if kind == "kalshi":
            check = _kalshi_entry
        else:
            check = _condition_id if key == "tickers" else _event_slug
        bad = [f"venue.{key}[{i}]{reason}" for i, e in enumerate(entries) if (reason := check(e))]
        if bad:
            problems.extend(bad)
            continue
        for i, entry in enumerate(entries):
            if entry in entries[:i]:
                first = entries.index(entry)
                problems.append(
                    f"venue.{key}[{i}]: must be listed once (it repeats venue.{key}[{first}])"
                    if _maybe_key_material(entry)
                    else f"venue.{key}[{i}] = {entry!r}: must be listed once"
                )
    return problems


def _cleartext_problem(key: str, url: object, scheme: str, why: str) -> list[str]:
    """``venue.<key>`` in plain ``scheme`` to a host that is not loopback (else ``[]``)."""
    if isinstance(url, str) and url.startswith(f"{scheme}://") and not _loopback_url(url):
        return [
            f"venue.{key} = {url!r}: plain {scheme}:// only to a loopback host (127.0.0.1,"
            f" ::1, localhost); {why}"
        ]
    return []


def _kalshi_problems(values: Mapping[str, object]) -> list[str]:
    """A key id, at least one market, and TLS to any host but loopback."""
    problems = []
    if values.get("key_id") == "":
        problems.append(
            'venue.key_id: required for kind = "kalshi": the Key ID Kalshi shows beside'
            ' the API key, e.g. "a952bcbe-ec3b-4b5b-b8f9-11dae589608c"'
        )
    selected = [values.get(key) for key in _SELECTORS]
    if all(isinstance(chosen, tuple) for chosen in selected) and not any(selected):
        problems.append(
            'venue.tickers, venue.series, venue.events: kind = "kalshi" needs at least one'
            " market: list tickers, series or events"
        )
    problems.extend(
        _cleartext_problem(
            "url", values.get("url"), "http", "signed requests to any other host need https://"
        )
    )
    return problems


def _polymarket_problems(values: Mapping[str, object], given: Collection[str]) -> list[str]:
    """At least one market; a funder exactly for the proxy and Safe signature types;
    ``paper_cash`` only in paper; TLS to any host but loopback."""
    problems = []
    selected = [values.get("tickers"), values.get("events")]
    if all(isinstance(chosen, tuple) for chosen in selected) and not any(selected):
        problems.append(
            'venue.tickers, venue.events: kind = "polymarket" needs at least one market:'
            " list condition ids (tickers) or event slugs (events)"
        )
    signature_type, funder = values.get("signature_type"), values.get("funder")
    if signature_type in (1, 2) and funder == "":
        problems.append(
            f"venue.funder: required for signature_type = {signature_type}"
            f" ({_SIGNATURE_TYPES[signature_type]}): the address of the"
            f" {'proxy wallet' if signature_type == 1 else 'Safe'} that holds the funds"
        )
    if signature_type == 0 and isinstance(funder, str) and funder:
        problems.append(
            "venue.funder is only for signature_type = 1 or 2 (this venue has signature_type"
            " = 0, EOA: the wallet of venue.private_key_path holds the funds)"
        )
    if values.get("paper") is False and "paper_cash" in given:
        problems.append(
            "venue.paper_cash is only for paper = true (this venue has paper = false: it"
            " trades the wallet's real funds, which paper_cash does not limit)"
        )
    problems.extend(
        _cleartext_problem(
            "url", values.get("url"), "http", "requests to any other host need https://"
        )
    )
    problems.extend(
        _cleartext_problem(
            "gamma_url", values.get("gamma_url"), "http", "any other host needs https://"
        )
    )
    problems.extend(
        _cleartext_problem(
            "market_ws_url", values.get("market_ws_url"), "ws", "any other host needs wss://"
        )
    )
    return problems


def _loopback_url(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


MAX_FEED_WORKERS = 64
"""The most feed worker processes ``[feed] workers`` may ask for."""


@attrs.frozen
class FeedSection:
    stale_after_s: float = attrs.field(default=5.0, validator=_positive_s)
    silence_timeout_s: float = attrs.field(default=3.0, validator=_positive_s)
    ping_interval_s: float = attrs.field(default=2.0, validator=_positive_s)
    max_overlap: Decimal = attrs.field(
        default=Decimal("0.20"), validator=_overlap_dollars, metadata=_MONEY
    )
    reconnect_base_s: float = attrs.field(default=0.1, validator=_positive_s)
    reconnect_cap_s: float = attrs.field(default=5.0, validator=_positive_s)
    process: bool = attrs.field(default=False, validator=_flag)
    workers: int = attrs.field(default=1, validator=validators.integer(1, MAX_FEED_WORKERS))
    max_pending_subscriptions: int = attrs.field(default=1_000, validator=validators.integer(1))
    max_backlog_frames: int = attrs.field(default=2_000, validator=validators.integer(1))

    def __attrs_post_init__(self) -> None:
        problems = _feed_problems({"process": self.process, "workers": self.workers})
        if problems:
            raise ValueError("; ".join(problems))


def _feed_problems(values: Mapping[str, object]) -> list[str]:
    """``[feed] workers`` above 1 runs the feed in that many worker processes, so it
    needs ``process = true``."""
    workers = values.get("workers")
    if isinstance(workers, int) and workers > 1 and values.get("process") is False:
        return [
            f"feed.workers = {workers}: needs feed.process = true (the workers are"
            " processes; without it the feed runs in the daemon's process)"
        ]
    return []


StrategyOptions: TypeAlias = dict[str, dict[str, object]]
"""``[strategy.options."<entry>"]`` tables: each ``strategy.use`` entry's options."""


@attrs.frozen
class StrategySection:
    """``use``: the strategies, in order (built-in names or ``"package.module:Class"``;
    by default both arbitrage built-ins: baskets trade the books real venues show,
    the two-leg complement only ever fires on a book that lets YES + NO cost less
    than the payout, as the simulator's legacy mode serves);
    ``options``: per entry, its keyword options. ``min_edge`` and ``max_count`` feed the
    arbitrage built-ins (an entry's own options override them). The entries are checked
    (built) when the config is loaded: see :func:`actors.strategy.check_strategies`."""

    use: tuple[str, ...] = attrs.field(
        default=("basket_arbitrage", "complement_arbitrage"),
        validator=_non_empty,
        metadata=_ENTRIES,
    )
    options: StrategyOptions = attrs.field(factory=dict, hash=False, metadata=_TABLES)
    min_edge: Decimal = attrs.field(
        default=Decimal("0.01"), validator=_positive_dollars, metadata=_MONEY
    )
    max_count: Decimal = attrs.field(
        default=Decimal(10), validator=_contract_count, metadata=_COUNT
    )
    max_book_age_s: float = attrs.field(default=1.0, validator=_positive_s)
    repeat_after_s: float = attrs.field(default=1.0, validator=_non_negative_s)


@attrs.frozen
class RiskSection:
    max_market_exposure: Decimal = attrs.field(
        default=Decimal("50.00"), validator=_positive_dollars, metadata=_MONEY
    )
    max_total_exposure: Decimal = attrs.field(
        default=Decimal("200.00"), validator=_positive_dollars, metadata=_MONEY
    )
    # unset: no limit of its own, the total limit applies to each event
    max_event_exposure: Decimal | None = attrs.field(
        default=None, validator=validators.optional(_positive_dollars), metadata=_MONEY
    )
    max_concurrent_markets: int = attrs.field(default=5, validator=validators.integer(1))
    max_reservations_per_event: int = attrs.field(default=1, validator=validators.integer(1))
    max_daily_loss: Decimal = attrs.field(
        default=Decimal("50.00"), validator=_positive_dollars, metadata=_MONEY
    )
    breaker_failures: int = attrs.field(default=5, validator=validators.integer(1))
    breaker_window_s: float = attrs.field(default=10.0, validator=_positive_s)
    breaker_cooldown_s: float = attrs.field(default=5.0, validator=_positive_s)
    breaker_half_open_max: int = attrs.field(default=1, validator=validators.integer(1))

    def __attrs_post_init__(self) -> None:
        _enforce(self, _RULES[RiskSection])


@attrs.frozen
class BasketsSection:
    """How a basket whose legs filled unevenly is completed (risk writes these into each
    reservation; execution follows them): within ``complete_within_s`` of placing, up to
    ``max_complete_attempts`` buys of the short legs at most ``complete_slippage`` dollars
    above each leg's price; then the excess is unwound. 0 attempts: unwind at once."""

    complete_within_s: float = attrs.field(default=2.0, validator=_non_negative_s)
    complete_slippage: Decimal = attrs.field(
        default=Decimal("0.02"), validator=_slippage_dollars, metadata=_MONEY
    )
    max_complete_attempts: int = attrs.field(
        default=1, validator=validators.integer(0, _MAX_COMPLETE_ATTEMPTS)
    )


@attrs.frozen
class ExecutionSection:
    request_timeout_s: float = attrs.field(default=2.0, validator=_positive_s)
    max_retries: int = attrs.field(default=3, validator=validators.integer(0, 20))
    retry_base_s: float = attrs.field(default=0.05, validator=_positive_s)
    retry_cap_s: float = attrs.field(default=1.0, validator=_positive_s)
    orders_per_second: float = attrs.field(default=20.0, validator=validators.number(0.0))


@attrs.frozen
class LedgerSection:
    """How risk and execution write to the ledger, each through its ledger client
    (:class:`actors.ledger_client.LedgerClient`): how long a Record may go unanswered
    before it counts as failed (trading halts, fail closed), and the full-jitter
    backoff before what failed Records lost is written again."""

    record_timeout_s: float = attrs.field(default=10.0, validator=_positive_s)
    retry_base_s: float = attrs.field(default=0.5, validator=_positive_s)
    retry_cap_s: float = attrs.field(default=10.0, validator=_positive_s)

    def __attrs_post_init__(self) -> None:
        _enforce(self, _RULES[LedgerSection])


@attrs.frozen
class SupervisionSection:
    intensity: int = attrs.field(default=5, validator=validators.integer(0))
    period_s: float = attrs.field(default=30.0, validator=_positive_s)
    backoff_base_s: float = attrs.field(default=0.1, validator=_non_negative_s)
    backoff_cap_s: float = attrs.field(default=5.0, validator=_non_negative_s)
    hang_timeout_s: float = attrs.field(default=10.0, validator=_positive_s)

    def __attrs_post_init__(self) -> None:
        _enforce(self, _RULES[SupervisionSection])


_RULES: dict[type, tuple[_Rule, ...]] = {
    RiskSection: (
        _Rule(
            "risk",
            "max_market_exposure",
            "max_total_exposure",
            operator.le,
            "must not exceed",
        ),
        _Rule(
            "risk",
            "max_event_exposure",
            "max_total_exposure",
            operator.le,
            "must not exceed",
        ),
    ),
    LedgerSection: (_Rule("ledger", "retry_cap_s", "retry_base_s", operator.ge, "must be >="),),
    SupervisionSection: (
        _Rule("supervision", "backoff_cap_s", "backoff_base_s", operator.ge, "must be >="),
    ),
}


@attrs.frozen
class Config:
    """The whole configuration; each rule relating two keys lives in their section."""

    daemon: DaemonSection = attrs.field(factory=DaemonSection)
    venue: VenueSection = attrs.field(factory=VenueSection)
    feed: FeedSection = attrs.field(factory=FeedSection)
    strategy: StrategySection = attrs.field(factory=StrategySection)
    risk: RiskSection = attrs.field(factory=RiskSection)
    baskets: BasketsSection = attrs.field(factory=BasketsSection)
    execution: ExecutionSection = attrs.field(factory=ExecutionSection)
    ledger: LedgerSection = attrs.field(factory=LedgerSection)
    supervision: SupervisionSection = attrs.field(factory=SupervisionSection)


def _strict(kind: type, name: str) -> Callable[[object, type], object]:
    def structure(value: object, _type: type) -> object:
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = type(value) is kind
        if not ok:
            raise TypeError(f"expected {name}, got {type(value).__name__} {value!r}")
        return value

    return structure


def _fixed_point(value: object, places: int, expected: str) -> Decimal:
    """``value`` (plain fixed-point text, at most ``places`` decimals) as a ``Decimal``;
    raises :class:`TypeError` saying what was ``expected`` otherwise."""
    match = (
        _FIXED_POINT.fullmatch(value)
        if isinstance(value, str) and len(value) <= _MAX_TEXT
        else None
    )
    if match is None or len(match.group(1) or "") > places:
        raise TypeError(f"expected {expected}, got {type(value).__name__} {value!r}")
    return Decimal(match.string)


def _dollars(value: object, _type: type = Decimal) -> Decimal:
    """A money key: a string of dollars such as ``"200.00"`` (never a TOML number: a
    float is inexact and an integer would be ambiguous with the old cents keys)."""
    return _fixed_point(
        value,
        _DOLLAR_PLACES,
        f'dollars as a string such as "200.00" (at most {_DOLLAR_PLACES} decimals)',
    )


def _contracts(value: object, _type: type = Decimal) -> Decimal:
    """A count key: an integer, or a string of contracts with at most 2 decimals."""
    if type(value) is int:
        return Decimal(value)
    return _fixed_point(
        value,
        _COUNT_PLACES,
        f'an integer or a string such as "10.00" (at most {_COUNT_PLACES} decimals)',
    )


def _entries(value: object, _type: type = tuple) -> tuple[str, ...]:
    """``strategy.use``: a TOML array of strings, as a tuple."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise TypeError(
            f'expected an array of strings such as ["basket_arbitrage"],'
            f" got {type(value).__name__} {value!r}"
        )
    return tuple(value)


def _ticker_entries(value: object, _type: type = tuple) -> tuple[str, ...]:
    """``venue.tickers``, ``series``, ``events``: a TOML array of strings, as a tuple.
    A bad value is not shown if it holds 64 hex digits (a condition id written without
    its brackets looks like a key, and the problem would otherwise be withheld whole)."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        shown = repr(value)
        if _maybe_key_material(shown):
            shown = "(not shown: it holds 64 hex digits)"
        raise TypeError(
            f'expected an array of strings such as ["HIGHNY-22DEC23-B53.5"] or ["0x<64 hex>"],'
            f" got {type(value).__name__} {shown}"
        )
    return tuple(value)


def _tables(value: object, _type: type = dict) -> StrategyOptions:
    """``strategy.options``: a table of tables (``[strategy.options."<entry>"]``)."""
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, Mapping) for k, v in value.items()
    ):
        raise TypeError(
            'expected tables such as [strategy.options."basket_arbitrage"],'
            f" got {type(value).__name__} {value!r}"
        )
    return {entry: dict(options) for entry, options in value.items()}


def _either(value: object, _type: type) -> Decimal:
    """cattrs' hook for every ``Decimal`` key, run only after each key passed its own
    check (:func:`_section_problems`): an integer is a count, a string either kind."""
    return _contracts(value) if type(value) is int else _dollars(value)


_HOOKS: dict[type, Callable[[object, type], object]] = {
    int: _strict(int, "an integer"),
    float: _strict(float, "a number"),
    str: _strict(str, "a string"),
    bool: _strict(bool, "true or false"),
}


def _hook(field: attrs.Attribute[object]) -> Callable[[object, type], object]:
    """The loader's check and conversion of one key's raw TOML value."""
    kind = field.metadata.get(_KIND)
    if kind == "money":
        return _dollars
    if kind == "count":
        return _contracts
    if kind == "entries":
        return _entries
    if kind == "tickers":
        return _ticker_entries
    if kind == "tables":
        return _tables
    assert isinstance(field.type, type)  # resolved by attrs.resolve_types
    return _HOOKS[field.type]


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    for kind, hook in _HOOKS.items():
        converter.register_structure_hook(kind, hook)
    converter.register_structure_hook(Decimal, _either)
    converter.register_structure_hook_func(lambda kind: kind == StrategyOptions, _tables)
    return converter


def _gone(section: str, key: str, value: object, fields: set[str]) -> str | None:
    """The problem of an old ``*_cents`` key whose dollar key is in ``fields``: names the
    new key and, for an integer, the converted value; None for any other key."""
    new = key.removesuffix("_cents")
    if new == key or new not in fields:
        return None
    if type(value) is int:
        dollars = (Decimal(value) / 100).quantize(Decimal("0.01"))
        use = f'{new} = "{dollars}" (dollars)'
    else:
        use = f'{new} as a string of dollars (e.g. "2.50" for 250 cents)'
    return f"{section}.{key} is gone: use {use}"


def _section_types() -> list[tuple[str, type]]:
    attrs.resolve_types(Config)
    return [(field.name, field.type) for field in attrs.fields(Config)]  # type: ignore[misc]


def _unknown_problems(name: str, raw: RawTable, names: set[str]) -> list[str]:
    """Each old ``*_cents`` key (naming its replacement), then every other unknown key."""
    problems, unknown = [], []
    for key in sorted(set(raw) - names):
        gone = _gone(name, key, raw[key], names)
        if gone is None:
            unknown.append(key)
        else:
            problems.append(gone)
    if unknown:
        problems.append(f"unknown key(s) {unknown} in [{name}]")
    return problems


def _default_of(field: attrs.Attribute[object]) -> object:
    """A field's default; for one a factory makes (``strategy.options``), what it makes."""
    factory = getattr(field.default, "factory", None)
    return factory() if callable(factory) else field.default


def _section_problems(name: str, section_type: type, raw: RawTable) -> list[str]:
    """Every bad key of one section: unknown keys, each field's type and range, then
    each rule between two keys that are both valid (given or defaulted)."""
    attrs.resolve_types(section_type)
    fields = attrs.fields(section_type)
    problems = _unknown_problems(name, raw, {field.name for field in fields})
    valid: dict[str, object] = {}
    for field in fields:
        if field.name not in raw:
            valid[field.name] = _default_of(field)
            continue
        value = raw[field.name]
        try:
            converted = _hook(field)(value, field.type)
            if field.validator is not None:
                field.validator(None, field, converted)
        except TypeError as error:
            problems.append(f"{name}.{field.name}: {error}")
        except validators.FieldError as error:
            problems.append(f"{name}.{field.name} = {_echo(field.name, value)}: {error.rule}")
        else:
            valid[field.name] = converted
    for rule in _RULES.get(section_type, ()):
        if rule.key in valid and rule.other in valid:
            broken = rule.broken(valid)
            if broken is not None:
                problems.append(broken)
    if section_type is StrategySection:
        problems.extend(_strategy_problems(valid))
    if section_type is VenueSection:
        problems.extend(_venue_problems(valid, raw.keys()))
    if section_type is FeedSection:
        problems.extend(_feed_problems(valid))
    # a private key pasted into the wrong key must not reach a terminal or a log
    return [_unechoed(name, problem) for problem in problems]


def _echo(key: str, value: object) -> str:
    """A bad value as a problem shows it: its repr, except a long bad ``key_id`` (it
    may be a pasted key; a real one is 36 characters) and a bad credentials path
    holding JSON (it may be the pasted credentials)."""
    if key == "key_id" and isinstance(value, str) and len(value) > _MAX_KEY_ID_SHOWN:
        return f"<{len(value)} characters, not shown>"
    if key == "api_credentials_path" and isinstance(value, str) and "{" in value:
        return f"<{len(value)} characters, not shown>"
    return repr(value)


def _unechoed(section: str, problem: str) -> str:
    """``problem``, or, if it may quote key material, a line that does not."""
    if not _maybe_key_material(problem):
        return problem
    key = problem.split(" ", 1)[0].split(":", 1)[0].split("[", 1)[0]
    where = key if key.startswith(f"{section}.") else f"[{section}]"
    if _pem_armour(problem):
        return f"{where}: holds what looks like a private key (not shown); keys go in a PEM file"
    return (
        f"{where}: holds what looks like a private key or secret (64 hex digits, not shown);"
        " keys go in an owner-only file named by venue.private_key_path"
    )


_STRATEGY_KEYS = ("use", "options", "min_edge", "max_count")


def _strategy_settings(valid: Mapping[str, object]) -> StrategySettings:
    min_edge, max_count = valid["min_edge"], valid["max_count"]
    assert isinstance(min_edge, Decimal)
    assert isinstance(max_count, Decimal)
    return StrategySettings(FeeModel(), min_edge, max_count)


def _strategy_problems(valid: Mapping[str, object]) -> list[str]:
    """Each ``strategy.use`` entry built (when the keys it needs are valid): every entry
    that cannot be, and every options table for no entry, named by its key."""
    if not all(key in valid for key in _STRATEGY_KEYS):
        return []
    use, options = valid["use"], valid["options"]
    assert isinstance(use, tuple)
    assert isinstance(options, dict)
    return check_strategies(use, options, _strategy_settings(valid))[1]


def _concurrency_problems(strategy_raw: RawTable, risk_raw: RawTable) -> list[str]:
    """``risk.max_concurrent_markets`` against the largest event a strategy in use may
    trade (where the strategy says: :func:`actors.strategy.largest_event`). Both sections
    are valid on their own."""
    converter = _converter()
    strategy = converter.structure(strategy_raw, StrategySection)
    risk = converter.structure(risk_raw, RiskSection)
    built, problems = check_strategies(
        strategy.use, strategy.options, _strategy_settings(attrs.asdict(strategy))
    )
    bounds = [(bound, index) for index, s in enumerate(built) if (bound := largest_event(s))]
    if problems or not bounds:
        return []
    largest, index = max(bounds, key=lambda pair: (pair[0], -pair[1]))
    if risk.max_concurrent_markets >= largest:
        return []
    return [
        f"risk.max_concurrent_markets = {risk.max_concurrent_markets}: must be >= {largest},"
        f" the markets of the largest event strategy.use[{index}] = {strategy.use[index]!r}"
        " may trade (a basket holds every leg market at once)"
    ]


def _structure_problems(name: str, section_type: type, raw: RawTable) -> list[str]:
    """Every problem found in ``raw`` as section ``name`` (none: cattrs builds it)."""
    problems = _section_problems(name, section_type, raw)
    if problems:
        return problems
    try:
        _converter().structure(raw, section_type)
    except cattrs.BaseValidationError as error:  # a check above missed it: still one line
        return [f"{name}: {leaf}" for leaf in error.exceptions]
    return []


def _table_problem(name: str, raw: object) -> str:
    return f"{name}: must be a table ([{name}] with keys), got {type(raw).__name__} {raw!r}"


def _absolute(path: str, base_dir: Path) -> str:
    return os.path.normpath(base_dir.absolute() / path)


def _with_absolute_paths(daemon: DaemonSection, base_dir: Path) -> DaemonSection:
    return attrs.evolve(
        daemon,
        db=_absolute(daemon.db, base_dir),
        runtime_dir=_absolute(daemon.runtime_dir, base_dir),
    )


def _absolute_key_path(path: str, base_dir: Path) -> str:
    """``venue.private_key_path`` (or ``api_credentials_path``) made absolute: ``~`` is
    the user's home (key files usually live there), any other relative path the config
    file's directory; ``""`` (unset: the environment holds the secret) stays ``""``."""
    return _absolute(str(Path(path).expanduser()), base_dir) if path else ""


def _with_absolute_key_path(venue: VenueSection, base_dir: Path) -> VenueSection:
    return attrs.evolve(
        venue,
        private_key_path=_absolute_key_path(venue.private_key_path, base_dir),
        api_credentials_path=_absolute_key_path(venue.api_credentials_path, base_dir),
    )


def _build(data: RawTable, base_dir: Path) -> tuple[Config | None, list[str], dict[str, str]]:
    """Check every key of ``data``; return the config (None if anything is bad), every
    problem, and the daemon's path keys that are valid on their own, made absolute
    (so the filesystem can be checked even when another key is bad)."""
    problems: list[str] = []
    sections = _section_types()
    unknown = sorted(set(data) - {name for name, _ in sections})
    if unknown:
        problems.append(f"unknown key(s) {unknown} at the top level")
    valid: dict[str, RawTable] = {}
    for name, section_type in sections:
        raw = data.get(name, {})
        if not isinstance(raw, dict):
            problems.append(_table_problem(name, raw))
            continue
        found = _structure_problems(name, section_type, raw)
        problems.extend(found)
        if not found:
            valid[name] = raw
    if "strategy" in valid and "risk" in valid:
        problems.extend(_concurrency_problems(valid["strategy"], valid["risk"]))
    paths = _valid_paths(data.get("daemon", {}), base_dir)
    if problems:
        return None, problems, paths
    # every section is valid on its own, so the whole document structures as one
    config = _converter().structure(data, Config)
    return (
        attrs.evolve(
            config,
            daemon=_with_absolute_paths(config.daemon, base_dir),
            venue=_with_absolute_key_path(config.venue, base_dir),
        ),
        [],
        paths,
    )


def _valid_paths(raw: object, base_dir: Path) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    defaults = DaemonSection()
    valid = {}
    for key in ("db", "runtime_dir"):
        value = raw.get(key, getattr(defaults, key))
        if isinstance(value, str) and value.strip():
            valid[f"daemon.{key}"] = _absolute(value, base_dir)
    return valid


def parse_config(
    data: RawTable, *, source: str = "<config>", base_dir: Path | None = None
) -> Config:
    """Structure a parsed TOML document; raises :class:`ConfigError` naming every bad key.

    Relative paths resolve against ``base_dir`` (the current directory if None);
    the returned config holds absolute, normalised paths.
    """
    config, problems, _ = _build(data, base_dir if base_dir is not None else Path.cwd())
    if config is None:
        raise ConfigError(source, problems)
    return config


def _read_toml(path: Path) -> RawTable:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read: {exc.strerror}"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None


def load_config(path: Path) -> Config:
    """Read and validate ``path``; relative paths in it resolve against its directory.

    Raises :class:`ConfigError` (unreadable file, bad TOML with its line, or every
    bad key with its path). Nothing on disk is checked or created.
    """
    return parse_config(_read_toml(path), source=str(path), base_dir=path.parent)


def resolve_run_config(path: Path | None) -> Config:
    """The config ``warden run`` uses: ``path`` if given, else ``config/default.toml``
    of the installation if it exists, else the built-in defaults (paths relative
    to the current directory). Raises :class:`ConfigError`.

    Every command that must find what ``run`` writes (the ledger, the runtime
    file in ``daemon.runtime_dir``) calls this with the same ``--config``, so
    the paths agree whatever the current directory.
    """
    if path is not None:
        return load_config(path)
    if DEFAULT_CONFIG.exists():
        return load_config(DEFAULT_CONFIG)
    return parse_config({}, source="built-in defaults")


def check_config_file(path: Path, *, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every problem of the config at ``path``: its keys, its paths against the
    filesystem (as :func:`check_daemon_paths` with ``create=False``; nothing is
    created) and its venue's secrets, read and parsed offline, from ``environ``
    (default ``os.environ``) where no file is named: for ``kind = "kalshi"`` its
    private key (:func:`warden.venue_target.key_problems`), for ``kind =
    "polymarket"`` its wallet key and API credentials
    (:func:`warden.venue_target.polymarket_key_problems`: with ``paper = true`` only
    the files the config names). A secret whose key is itself bad is not read. An
    empty list means ``warden run --config path`` would accept it. No problem quotes
    key material."""
    try:
        data = _read_toml(path)
    except ConfigError as error:
        return error.problems
    _, problems, paths = _build(data, path.parent)
    targets = [(key, Path(value)) for key, value in paths.items()]
    problems.extend(str(problem) for problem in _check_paths(targets, create=False))
    environ = os.environ if environ is None else environ
    venue = data.get("venue", {})
    key_path = _kalshi_key_path(venue, path.parent)
    if key_path is not None:
        from warden.venue_target import key_problems  # noqa: PLC0415 - cryptography: kalshi only

        problems.extend(key_problems(key_path, environ))
    secrets = _polymarket_secret_paths(venue, path.parent)
    if secrets is not None:
        from warden.venue_target import polymarket_key_problems  # noqa: PLC0415 - eth: polymarket

        wallet, credentials, paper = secrets
        problems.extend(polymarket_key_problems(wallet, credentials, paper=paper, environ=environ))
    return problems


def _kalshi_key_path(raw: object, base_dir: Path) -> str | None:
    """For a kalshi ``[venue]`` whose ``private_key_path`` is valid on its own, that
    path made absolute, or ``""`` when unset (the environment holds the key); None
    for any other venue (nothing to read)."""
    if not isinstance(raw, dict) or raw.get("kind") != "kalshi":
        return None
    value = raw.get("private_key_path", "")
    if not _key_path.check(value):
        return None
    return _absolute_key_path(value, base_dir)


def _polymarket_secret_paths(
    raw: object, base_dir: Path
) -> tuple[str | None, str | None, bool] | None:
    """For a polymarket ``[venue]``: ``(private_key_path, api_credentials_path,
    paper)``, each path absolute, ``""`` when unset, None when invalid on its own
    (reported already: not read); ``paper`` unless the file says ``paper = false``
    exactly. None for any other venue."""
    if not isinstance(raw, dict) or raw.get("kind") != "polymarket":
        return None
    wallet, credentials = raw.get("private_key_path", ""), raw.get("api_credentials_path", "")
    return (
        _absolute_key_path(wallet, base_dir) if _key_path.check(wallet) else None,
        _absolute_key_path(credentials, base_dir) if _credentials_path.check(credentials) else None,
        raw.get("paper", True) is not False,
    )


@attrs.frozen
class PathProblem:
    """A configured path the daemon could not use: which key, where, and the OS's reason."""

    key: str
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.key} {self.path}: {self.reason}"


def check_daemon_paths(
    daemon: DaemonSection, *, create: bool, db_key: str = "daemon.db"
) -> list[PathProblem]:
    """Can the daemon use its ledger (``daemon.db``) and ``daemon.runtime_dir``?

    ``create=True`` (``warden run``): create the runtime directory and the
    ledger's directory if missing, then prove each writable by creating and
    removing a temporary file. ``create=False`` (``warden check-config``):
    change nothing; a missing directory must be creatable (its nearest existing
    ancestor a writable directory), an existing one a writable directory.
    Either way a ledger that exists must be a writable file. Returns every
    problem; ``db_key`` names the ledger in them (``--db`` when overridden).
    """
    targets = [
        ("daemon.runtime_dir", Path(daemon.runtime_dir)),
        (db_key, Path(daemon.db)),
    ]
    return _check_paths(targets, create=create)


def _check_paths(targets: Iterable[tuple[str, Path]], *, create: bool) -> list[PathProblem]:
    problems = []
    for key, path in targets:
        is_ledger = not key.endswith("runtime_dir")
        try:
            reason = _ledger_reason(path, create) if is_ledger else _directory_reason(path, create)
        except OSError as error:  # e.g. a parent we may not even look into
            reason = _os_reason(error, path)
        if reason is not None:
            problems.append(PathProblem(key, path, reason))
    return problems


def _os_reason(error: OSError, path: Path) -> str:
    """``[Errno 13] Permission denied`` (plus the file the OS names, if not ``path``)."""
    text = f"[Errno {error.errno}] {error.strerror}"
    if error.filename is not None and Path(os.fsdecode(error.filename)) != path:
        text += f": {os.fsdecode(error.filename)}"
    return text


def _errno_reason(number: int, where: Path, path: Path) -> str:
    return _os_reason(OSError(number, os.strerror(number), str(where)), path)


def _ledger_reason(db: Path, create: bool) -> str | None:
    if db.is_dir():
        return "is a directory, not a ledger file"
    if db.exists() and not os.access(db, os.R_OK | os.W_OK):
        return f"ledger not writable: {_errno_reason(errno.EACCES, db, db)}"
    directory_reason = _directory_reason(db.parent, create)
    if directory_reason is not None:
        return f"its directory {db.parent}: {directory_reason}"
    return None


def _directory_reason(directory: Path, create: bool) -> str | None:
    if directory.exists():
        if not directory.is_dir():
            return "not a directory (a file is in the way)"
        return _write_probe(directory) if create else _access(directory)
    if create:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            return f"cannot create directory: {_os_reason(error, directory)}"
        return _write_probe(directory)
    return _creatable(directory)


def _creatable(directory: Path) -> str | None:
    """Could ``mkdir -p`` make ``directory``? Its nearest existing ancestor decides."""
    ancestor = directory.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"cannot create directory: {_errno_reason(errno.ENOTDIR, ancestor, directory)}"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"cannot create directory: {_errno_reason(errno.EACCES, ancestor, directory)}"
    return None


def _access(directory: Path) -> str | None:
    if os.access(directory, os.W_OK | os.X_OK):
        return None
    return f"not writable: {_errno_reason(errno.EACCES, directory, directory)}"


def _write_probe(directory: Path) -> str | None:
    """Create and remove a file: the only proof of writability (ACLs, read-only mounts)."""
    try:
        handle, name = tempfile.mkstemp(prefix=".warden-probe-", dir=directory)
    except OSError as error:  # the probe's random name would only add noise
        return f"not writable: [Errno {error.errno}] {error.strerror}"
    os.close(handle)
    Path(name).unlink()
    return None


def config_reference() -> list[tuple[str, object]]:
    """Every key as ``(section.key, default)``, in declaration order (for docs and tests);
    a default made by a factory is given as what the factory makes."""
    rows: list[tuple[str, object]] = []
    for name, section_type in _section_types():
        attrs.resolve_types(section_type)
        rows.extend((f"{name}.{f.name}", _default_of(f)) for f in attrs.fields(section_type))
    return rows
