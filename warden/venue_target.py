"""Where warden trades: a ``[venue]`` section turned into URLs and credentials.

Kalshi's documented environments (docs.kalshi.com/getting_started/api_environments,
mirrored in /work/shared/venues/kalshi/docs/getting_started/api_environments.md;
the "Recommended" column; the demo ones also on .../getting_started/demo_env)::

    production  REST https://external-api.kalshi.com/trade-api/v2
                WS   wss://external-api-ws.kalshi.com/trade-api/ws/v2
    demo        REST https://external-api.demo.kalshi.co/trade-api/v2
                WS   wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2

"Credentials are not shared between environments, so demo API keys only work
against demo endpoints and production API keys only work against production
endpoints" (same page). ``venue.url`` overrides the environment's URLs with a
venue speaking Kalshi's wire at ``http(s)://host[:port]``
(:func:`urls_from_base`), e.g. the simulated venue on loopback.

The private key is the PEM file ``venue.private_key_path`` if set, else the PEM
text in the environment variable ``WARDEN_KALSHI_PRIVATE_KEY``: the file wins,
and :func:`venue_notices` says so when both are set. It is read by
:mod:`actors.venues.kalshi._signing` (owner-only file mode, RSA, unencrypted);
nothing here ever puts key material into a message, a repr or a log line.

Polymarket's documented URLs (/work/shared/venues/polymarket.md §1 and §2; the
Gamma host from https://docs.polymarket.com/api-reference/introduction)::

    CLOB REST        https://clob.polymarket.com
    market channel   wss://ws-subscriptions-clob.polymarket.com/ws/market
    user channel     wss://ws-subscriptions-clob.polymarket.com/ws/user
    Gamma            https://gamma-api.polymarket.com

on Polygon (chain id 137, fixed: the CLOB V2 order domain's ``chainId``, §3).
``venue.url``, ``venue.market_ws_url`` and ``venue.gamma_url`` each override one of
them (a fake venue on loopback in tests). The wallet key is the file
``venue.private_key_path`` or ``WARDEN_POLYMARKET_PRIVATE_KEY``; the API credentials
the JSON file ``venue.api_credentials_path`` or ``WARDEN_POLYMARKET_API_KEY`` /
``_SECRET`` / ``_PASSPHRASE``; both are read by :mod:`actors.venues.polymarket._keys`
(owner-only file mode), only when a factory is called, and only for ``paper = false``.

Public: :func:`venue_target` (→ :class:`VenueTarget`), :func:`polymarket_target`
(→ :class:`PolymarketTarget`), :func:`urls_from_base`, :func:`key_problems`,
:func:`polymarket_key_problems`, :func:`venue_notices`, :data:`KALSHI_ENVIRONMENTS`,
:data:`KALSHI_TIERS`, :data:`POLYMARKET_CLOB_URL`, :data:`POLYMARKET_MARKET_WS_URL`,
:data:`POLYMARKET_USER_WS_URL`, :data:`POLYMARKET_GAMMA_URL`, :data:`POLYGON_CHAIN_ID`.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from warden.config import (
    POLYMARKET_API_ENV,
    POLYMARKET_PRIVATE_KEY_ENV,
    PRIVATE_KEY_ENV,
    VenueSection,
)

if TYPE_CHECKING:
    from decimal import Decimal

    from actors.venues.kalshi._signing import KalshiSigner
    from actors.venues.polymarket._eth import LocalAccount
    from actors.venues.polymarket._keys import ApiCredentials

__all__ = [
    "KALSHI_ENVIRONMENTS",
    "KALSHI_TIERS",
    "POLYGON_CHAIN_ID",
    "POLYMARKET_CLOB_URL",
    "POLYMARKET_GAMMA_URL",
    "POLYMARKET_MARKET_WS_URL",
    "POLYMARKET_USER_WS_URL",
    "KalshiEnvironment",
    "KalshiSignerFactory",
    "PolymarketCredentialsFactory",
    "PolymarketTarget",
    "PolymarketWalletFactory",
    "TierBudget",
    "VenueTarget",
    "key_problems",
    "polymarket_key_problems",
    "polymarket_target",
    "urls_from_base",
    "venue_notices",
    "venue_target",
]

REST_PATH = "/trade-api/v2"
WS_PATH = "/trade-api/ws/v2"

POLYMARKET_CLOB_URL = "https://clob.polymarket.com"
"""The CLOB's REST base (polymarket.md §2): orders, books, tick sizes, the heartbeat."""
POLYMARKET_MARKET_WS_URL = "wss://ws-subscriptions-clob.polymarket.com/ws/market"
"""The public market channel: books and their changes per token (polymarket.md §1)."""
POLYMARKET_USER_WS_URL = "wss://ws-subscriptions-clob.polymarket.com/ws/user"
"""The authenticated user channel: the account's orders and trades (polymarket.md §1)."""
POLYMARKET_GAMMA_URL = "https://gamma-api.polymarket.com"
"""Gamma, the public market metadata API: events, markets, their condition and token ids
(https://docs.polymarket.com/api-reference/introduction)."""
POLYGON_CHAIN_ID = 137
"""Polygon mainnet: the ``chainId`` of the CLOB V2 order domain and of ClobAuth (§3)."""


@attrs.frozen
class KalshiEnvironment:
    """One of Kalshi's environments: its REST base URL and websocket URL."""

    name: str
    rest_url: str
    ws_url: str


KALSHI_ENVIRONMENTS: Mapping[str, KalshiEnvironment] = MappingProxyType(
    {
        "production": KalshiEnvironment(
            "production",
            "https://external-api.kalshi.com/trade-api/v2",
            "wss://external-api-ws.kalshi.com/trade-api/ws/v2",
        ),
        "demo": KalshiEnvironment(
            "demo",
            "https://external-api.demo.kalshi.co/trade-api/v2",
            "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2",
        ),
    }
)
"""``venue.environment`` → its documented URLs
(docs.kalshi.com/getting_started/api_environments)."""


@attrs.frozen
class TierBudget:
    """A rate-limit tier's refill, in tokens per second, of the Read and Write buckets
    (most requests cost 10 tokens: docs.kalshi.com/getting_started/rate_limits)."""

    read: int
    write: int


KALSHI_TIERS: Mapping[str, TierBudget] = MappingProxyType(
    {
        "basic": TierBudget(200, 100),
        "advanced": TierBudget(300, 300),
        "expert": TierBudget(600, 600),
        "premier": TierBudget(1000, 1000),
        "paragon": TierBudget(2000, 2000),
        "prime": TierBudget(4000, 4000),
        "prestige": TierBudget(10000, 8000),
    }
)
"""``venue.tier`` → its budgets, from the table "Tiers and budgets" of
docs.kalshi.com/getting_started/rate_limits (event contracts)."""


def urls_from_base(base: str) -> tuple[str, str]:
    """``(rest_url, ws_url)`` of a venue speaking Kalshi's wire at ``base``:
    ``http://h:p`` → ``http://h:p/trade-api/v2`` and ``ws://h:p/trade-api/ws/v2``
    (``https`` → ``wss``). Raises ``ValueError`` unless ``base`` is
    ``http(s)://host[:port]`` with no path (a trailing ``/`` is dropped)."""
    parts = urllib.parse.urlsplit(base)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(f"a venue base URL is http(s)://host[:port] with no path, got {base!r}")
    root = f"{parts.scheme}://{parts.netloc}"
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{root}{REST_PATH}", f"{ws_scheme}://{parts.netloc}{WS_PATH}"


@attrs.frozen
class KalshiSignerFactory:
    """Loads the private key and builds a :class:`~actors.venues.kalshi._signing.KalshiSigner`
    each time it is called: from the file ``private_key_path`` if not ``""``, else from
    ``WARDEN_KALSHI_PRIVATE_KEY`` in ``environ`` (read at the call). Raises
    :class:`~actors.venues.kalshi._signing.KalshiKeyError` (a ``ValueError``) naming the
    file or the variable and what is wrong, never the key. Its repr shows the key id
    and where the key comes from, nothing else."""

    key_id: str
    private_key_path: str
    environ: Mapping[str, str] = attrs.field(default=os.environ, repr=False, eq=False)

    @property
    def source(self) -> str:
        """Where the key is read: the file's path, or the environment variable's name."""
        return self.private_key_path or PRIVATE_KEY_ENV

    def __reduce__(self) -> tuple[type[KalshiSignerFactory], tuple[str, str]]:
        """Pickled as where the key is, never the environment: the process that
        unpickles it (the feed's worker) reads its own, inherited environment."""
        if self.environ is not os.environ:
            raise TypeError("a KalshiSignerFactory reading a given environment cannot be pickled")
        return (KalshiSignerFactory, (self.key_id, self.private_key_path))

    def __call__(self) -> KalshiSigner:
        from actors.venues.kalshi._signing import (  # noqa: PLC0415 - cryptography: kalshi only
            KalshiSigner,
            load_private_key,
            private_key_from_env,
        )

        if self.private_key_path:
            key = load_private_key(Path(self.private_key_path))
        else:
            key = private_key_from_env(PRIVATE_KEY_ENV, self.environ)
        return KalshiSigner(self.key_id, key)


@attrs.frozen
class PolymarketWalletFactory:
    """Loads the wallet key each time it is called, as an ``eth_account``
    ``LocalAccount`` (it signs orders and ClobAuth; ``.address`` is the public
    wallet address): from the file ``private_key_path`` if not ``""``, else from
    ``WARDEN_POLYMARKET_PRIVATE_KEY`` in ``environ`` (read at the call). Raises
    :class:`~actors.venues.polymarket._keys.PolymarketKeyError` (a ``ValueError``)
    naming the file or the variable and what is wrong, never the key. Its repr shows
    where the key comes from, nothing else."""

    private_key_path: str
    environ: Mapping[str, str] = attrs.field(default=os.environ, repr=False, eq=False)

    @property
    def source(self) -> str:
        """Where the key is read: the file's path, or the environment variable's name."""
        return self.private_key_path or POLYMARKET_PRIVATE_KEY_ENV

    def __call__(self) -> LocalAccount:
        from actors.venues.polymarket._keys import load_wallet_key  # noqa: PLC0415 - eth: polymarket

        path = Path(self.private_key_path) if self.private_key_path else None
        return load_wallet_key(path, environ=self.environ)


@attrs.frozen
class PolymarketCredentialsFactory:
    """Loads the CLOB API credentials each time it is called, as
    :class:`~actors.venues.polymarket._keys.ApiCredentials`: from the JSON file
    ``api_credentials_path`` if not ``""``, else from ``WARDEN_POLYMARKET_API_KEY`` /
    ``_SECRET`` / ``_PASSPHRASE`` in ``environ`` (read at the call). Raises
    :class:`~actors.venues.polymarket._keys.PolymarketKeyError` naming the file or the
    variable, never a secret. Its repr shows where they come from, nothing else."""

    api_credentials_path: str
    environ: Mapping[str, str] = attrs.field(default=os.environ, repr=False, eq=False)

    @property
    def source(self) -> str:
        """Where the credentials are read: the file's path, or the variables' names."""
        return self.api_credentials_path or ", ".join(POLYMARKET_API_ENV)

    def __call__(self) -> ApiCredentials:
        from actors.venues.polymarket._keys import (  # noqa: PLC0415 - eth: polymarket
            load_api_credentials,
        )

        path = Path(self.api_credentials_path) if self.api_credentials_path else None
        return load_api_credentials(path, environ=self.environ)


@attrs.frozen
class PolymarketTarget:
    """What a ``kind = "polymarket"`` section points at.

    ``rest_url``: the CLOB REST base (no trailing ``/``; the CLOB's paths such as
    ``/order`` are appended); ``market_ws_url``: the market channel; ``gamma_url``:
    Gamma's base (``/events``, ``/markets`` appended). Each is the documented URL
    unless the section overrides it. ``paper``: true trades on paper (real market
    data, simulated fills, ``paper_cash`` dollars to start with; nothing is signed
    and ``wallet`` and ``credentials`` are None); false trades the wallet's funds:
    ``wallet`` and ``credentials`` load the secrets when called, the orders are
    signed with ``signature_type`` (0 EOA, 1 POLY_PROXY, 2 POLY_GNOSIS_SAFE) for
    ``funder`` (None for 0: the wallet itself), on ``chain_id`` 137, and the
    dead-man switch (``POST /v1/heartbeats``) is sent every ``heartbeat_s``.
    """

    rest_url: str
    market_ws_url: str
    gamma_url: str
    paper: bool
    signature_type: int
    funder: str | None
    heartbeat_s: float
    paper_cash: Decimal | None
    wallet: PolymarketWalletFactory | None
    credentials: PolymarketCredentialsFactory | None
    chain_id: int = POLYGON_CHAIN_ID

    @property
    def real_money(self) -> bool:
        """True when orders go to Polymarket's own CLOB (``polymarket.com``) with
        ``paper = false``: they trade the wallet's real funds."""
        return not self.paper and _is_host_of(self.rest_url, "polymarket.com")


@attrs.frozen
class VenueTarget:
    """What a ``[venue]`` section points at.

    ``kind``: ``"sim"``, ``"kalshi"`` or ``"polymarket"``. ``rest_url`` /
    ``ws_url``: the REST base (for sim and kalshi ending ``/trade-api/v2``; for
    polymarket the CLOB's) and the (market) websocket URL. ``environment``:
    ``"demo"`` or ``"production"`` for Kalshi's own URLs, None for a ``venue.url``
    override, the simulator or polymarket. ``tier``: the Kalshi rate-limit tier
    (None otherwise). ``signer``: for kalshi, a :class:`KalshiSignerFactory` (call it
    to load the key); None otherwise. ``polymarket``: for polymarket, everything
    else about it (:class:`PolymarketTarget`); None otherwise.
    """

    kind: str
    rest_url: str
    ws_url: str
    environment: str | None = None
    tier: TierBudget | None = None
    signer: Callable[[], KalshiSigner] | None = None
    polymarket: PolymarketTarget | None = None

    @property
    def real_money(self) -> bool:
        """True when orders trade real money: the REST URL is on Kalshi's production
        domain (``kalshi.com``; demo is ``kalshi.co``), or a polymarket venue is live
        on Polymarket's CLOB (:attr:`PolymarketTarget.real_money`)."""
        if self.polymarket is not None:
            return self.polymarket.real_money
        return _is_production_host(self.rest_url)


def _is_host_of(url: str, domain: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").rstrip(".")
    return host == domain or host.endswith(f".{domain}")


def _is_production_host(url: str) -> bool:
    return _is_host_of(url, "kalshi.com")


def venue_target(
    venue: VenueSection,
    *,
    embedded_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> VenueTarget:
    """The venue ``venue`` (a loaded, hence valid, section) points at.

    ``kind = "sim"``: the URLs of ``venue.url``, or, when that is ``""``, of
    ``embedded_url`` (the embedded simulator's ``http://127.0.0.1:port``, known once
    it listens; ``ValueError`` if not given). ``kind = "kalshi"``: the URLs of
    ``venue.url`` if set (``environment`` is then ignored for URLs), else of
    ``venue.environment``; and a signer factory reading the key from
    ``venue.private_key_path`` or from ``environ`` (default ``os.environ``).
    ``kind = "polymarket"``: the CLOB and its market channel, with everything else in
    ``polymarket`` (:func:`polymarket_target`). Nothing is read here: call
    :func:`key_problems` (or :func:`polymarket_key_problems`) first to refuse a bad
    key before anything starts.
    """
    if venue.kind == "polymarket":
        target = polymarket_target(venue, environ=environ)
        return VenueTarget("polymarket", target.rest_url, target.market_ws_url, polymarket=target)
    if venue.kind == "sim":
        base = venue.url or embedded_url
        if not base:
            raise ValueError(
                'venue.url = "": the embedded simulator\'s URL is known once it listens;'
                " pass embedded_url"
            )
        rest, ws = urls_from_base(base)
        return VenueTarget("sim", rest, ws)
    if venue.url:
        rest, ws = urls_from_base(venue.url)
        environment = None
    else:
        known = KALSHI_ENVIRONMENTS[venue.environment]
        rest, ws, environment = known.rest_url, known.ws_url, known.name
    factory = KalshiSignerFactory(
        venue.key_id, venue.private_key_path, os.environ if environ is None else environ
    )
    return VenueTarget("kalshi", rest, ws, environment, KALSHI_TIERS[venue.tier], factory)


def polymarket_target(
    venue: VenueSection, *, environ: Mapping[str, str] | None = None
) -> PolymarketTarget:
    """Where a ``kind = "polymarket"`` section (loaded, hence valid) points: the
    documented URLs unless ``venue.url`` (the CLOB), ``venue.market_ws_url`` or
    ``venue.gamma_url`` override them; for ``paper = false``, factories that read the
    wallet key and the API credentials from the section's files or from ``environ``
    (default ``os.environ``) when called. Nothing is read here. ``ValueError`` for
    another kind."""
    if venue.kind != "polymarket":
        raise ValueError(f'venue.kind = "{venue.kind}": not a polymarket venue')
    environ = os.environ if environ is None else environ
    live = not venue.paper
    return PolymarketTarget(
        rest_url=(venue.url or POLYMARKET_CLOB_URL).rstrip("/"),
        market_ws_url=venue.market_ws_url or POLYMARKET_MARKET_WS_URL,
        gamma_url=(venue.gamma_url or POLYMARKET_GAMMA_URL).rstrip("/"),
        paper=venue.paper,
        signature_type=venue.signature_type,
        funder=venue.funder or None,
        heartbeat_s=venue.heartbeat_s,
        paper_cash=None if live else venue.paper_cash,
        wallet=PolymarketWalletFactory(venue.private_key_path, environ) if live else None,
        credentials=(
            PolymarketCredentialsFactory(venue.api_credentials_path, environ) if live else None
        ),
    )


def polymarket_key_problems(
    private_key_path: str | None,
    api_credentials_path: str | None,
    *,
    paper: bool,
    environ: Mapping[str, str],
) -> list[str]:
    """Why a polymarket venue's secrets cannot be used, offline (``[]``: they load).

    Each path is absolute as loaded, ``""`` when unset, or None when its key is bad
    on its own (reported elsewhere: not read). A file is read with
    :mod:`actors.venues.polymarket._keys`: it must exist and be a regular file of mode
    0600 or stricter, the wallet key file holding ``0x`` + 64 hex digits of a valid
    secp256k1 key, the credentials file a JSON object with non-empty ``apiKey``,
    ``secret`` (base64) and ``passphrase``. ``paper = false``: an unset path means the
    secret must be in the environment (``WARDEN_POLYMARKET_PRIVATE_KEY``; the three
    ``WARDEN_POLYMARKET_API_*``), and is read from there. ``paper = true``: only the
    files named are read (the daemon uses neither; a broken file is still a broken
    config), the environment never. Each problem names the key and the file or
    variable; none quotes a secret or anything derived from one."""
    from actors.venues.polymarket._keys import (  # noqa: PLC0415 - eth: polymarket only
        PolymarketKeyError,
        load_api_credentials,
        load_wallet_key,
    )

    wallet_env, api_env = POLYMARKET_PRIVATE_KEY_ENV, POLYMARKET_API_ENV
    secrets = (
        _Secret(
            "private_key_path",
            private_key_path,
            wallet_env in environ,
            f"{wallet_env} holds the wallet's private key",
            load_wallet_key,
        ),
        _Secret(
            "api_credentials_path",
            api_credentials_path,
            any(name in environ for name in api_env),
            f"{', '.join(api_env[:-1])} and {api_env[-1]} hold the API credentials",
            load_api_credentials,
        ),
    )
    problems = []
    for secret in secrets:
        if secret.path is None or (paper and not secret.path):
            continue
        if not secret.path and not secret.in_environment:
            problems.append(
                f'venue.{secret.key}: required for kind = "polymarket" with paper = false'
                f" unless {secret.environment}"
            )
            continue
        try:
            secret.load(Path(secret.path) if secret.path else None, environ=environ)
        except PolymarketKeyError as error:
            where = secret.path or f'"" (unset), so {error.source}'
            problems.append(f"venue.{secret.key} {where}: {error.reason}")
    return problems


@attrs.frozen
class _Secret:
    """One polymarket secret to check: its key, its path (``""`` unset, None bad), whether
    the environment holds it, what the environment must hold, and its loader."""

    key: str
    path: str | None
    in_environment: bool
    environment: str
    load: Callable[..., object]


def key_problems(private_key_path: str, environ: Mapping[str, str]) -> list[str]:
    """Why the Kalshi private key cannot be used, offline (``[]``: it loads).

    ``private_key_path`` (absolute, as loaded) is read with
    :func:`~actors.venues.kalshi._signing.load_private_key`: it must exist, be a
    regular file of mode 0600 or stricter, and hold an unencrypted RSA private key.
    ``""``: the key must be in ``WARDEN_KALSHI_PRIVATE_KEY`` in ``environ``. Each
    problem names ``venue.private_key_path`` (and the file or the variable) and
    what is wrong; none quotes the key.
    """
    from actors.venues.kalshi._signing import (  # noqa: PLC0415 - cryptography: kalshi only
        KalshiKeyError,
        load_private_key,
        private_key_from_env,
    )

    if not private_key_path and PRIVATE_KEY_ENV not in environ:
        return [
            f'venue.private_key_path: required for kind = "kalshi" unless {PRIVATE_KEY_ENV}'
            " holds the PEM text of the private key"
        ]
    try:
        if private_key_path:
            load_private_key(Path(private_key_path))
        else:
            private_key_from_env(PRIVATE_KEY_ENV, environ)
    except KalshiKeyError as error:
        where = private_key_path or f'"" (unset), so {error.source}'
        return [f"venue.private_key_path {where}: {error.reason}"]
    return []


def venue_notices(venue: VenueSection, environ: Mapping[str, str] | None = None) -> list[str]:
    """Lines an operator must read about a valid ``venue`` (``warden check-config``
    prints them): trading real money on Kalshi's production exchange or on
    Polymarket (with the public address of the wallet, the only thing derived from a
    key that warden ever prints); a key file that overrides a set environment
    variable; keys a polymarket paper venue does not use. ``[]`` for sim."""
    environ = os.environ if environ is None else environ
    if venue.kind == "polymarket":
        return _polymarket_notices(venue, environ)
    if venue.kind != "kalshi":
        return []
    notices = []
    if venue.url:
        rest, setting = urls_from_base(venue.url)[0], f'venue.url = "{venue.url}"'
    else:
        rest = KALSHI_ENVIRONMENTS[venue.environment].rest_url
        setting = f'venue.environment = "{venue.environment}"'
    if _is_production_host(rest):
        notices.append(
            f"notice: {setting}: warden run will trade REAL MONEY on Kalshi's production"
            f" exchange ({rest})"
        )
    if venue.private_key_path and environ.get(PRIVATE_KEY_ENV):
        notices.append(
            f"notice: {PRIVATE_KEY_ENV} is set but ignored: venue.private_key_path"
            f" {venue.private_key_path} is used"
        )
    return notices


_LIVE_ONLY = ("private_key_path", "api_credentials_path", "signature_type", "funder", "heartbeat_s")
_SIGNATURE_NAMES = {0: "EOA", 1: "POLY_PROXY", 2: "POLY_GNOSIS_SAFE"}


def _polymarket_notices(venue: VenueSection, environ: Mapping[str, str]) -> list[str]:
    target = polymarket_target(venue, environ=environ)
    if venue.paper:
        defaults = {field.name: field.default for field in attrs.fields(VenueSection)}
        unused = [f"venue.{key}" for key in _LIVE_ONLY if getattr(venue, key) != defaults[key]]
        if not unused:
            return []
        return [
            "notice: venue.paper = true (paper trading: no order reaches Polymarket):"
            f" {', '.join(unused)} {'is' if len(unused) == 1 else 'are'} not used until"
            " paper = false"
        ]
    notices = []
    if target.real_money:
        line = (
            "notice: venue.paper = false: warden run will trade REAL MONEY on Polymarket"
            f" ({target.rest_url})"
        )
        address = _wallet_address(target)
        if address is not None:
            line += f" from wallet {address}"
        if target.funder is not None:
            line += f", funds held by {target.funder} ({_SIGNATURE_NAMES[target.signature_type]})"
        notices.append(line)
    if venue.private_key_path and environ.get(POLYMARKET_PRIVATE_KEY_ENV):
        notices.append(
            f"notice: {POLYMARKET_PRIVATE_KEY_ENV} is set but ignored: venue.private_key_path"
            f" {venue.private_key_path} is used"
        )
    set_api = [name for name in POLYMARKET_API_ENV if environ.get(name)]
    if venue.api_credentials_path and set_api:
        notices.append(
            f"notice: {', '.join(set_api)} {'is' if len(set_api) == 1 else 'are'} set but"
            f" ignored: venue.api_credentials_path {venue.api_credentials_path} is used"
        )
    return notices


def _wallet_address(target: PolymarketTarget) -> str | None:
    """The wallet's public address (EIP-55), or None when the key does not load
    (:func:`polymarket_key_problems` says why)."""
    from actors.venues.polymarket._keys import PolymarketKeyError  # noqa: PLC0415 - eth

    if target.wallet is None:
        return None
    try:
        return str(target.wallet().address)
    except PolymarketKeyError:
        return None
