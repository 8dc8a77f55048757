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

Public: :func:`venue_target` (→ :class:`VenueTarget`), :func:`urls_from_base`,
:func:`key_problems`, :func:`venue_notices`, :data:`KALSHI_ENVIRONMENTS`,
:data:`KALSHI_TIERS`.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from warden.config import PRIVATE_KEY_ENV, VenueSection

if TYPE_CHECKING:
    from actors.venues.kalshi._signing import KalshiSigner

__all__ = [
    "KALSHI_ENVIRONMENTS",
    "KALSHI_TIERS",
    "KalshiEnvironment",
    "KalshiSignerFactory",
    "TierBudget",
    "VenueTarget",
    "key_problems",
    "urls_from_base",
    "venue_notices",
    "venue_target",
]

REST_PATH = "/trade-api/v2"
WS_PATH = "/trade-api/ws/v2"


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
class VenueTarget:
    """What a ``[venue]`` section points at.

    ``kind``: ``"sim"`` or ``"kalshi"``. ``rest_url`` / ``ws_url``: the REST base
    (ending ``/trade-api/v2``) and the websocket URL. ``environment``: ``"demo"``
    or ``"production"`` for Kalshi's own URLs, None for a ``venue.url`` override
    or the simulator. ``tier``: the Kalshi rate-limit tier (None for sim).
    ``signer``: for kalshi, a :class:`KalshiSignerFactory` (call it to load the
    key); None for sim, whose venue takes unsigned requests.
    """

    kind: str
    rest_url: str
    ws_url: str
    environment: str | None = None
    tier: TierBudget | None = None
    signer: Callable[[], KalshiSigner] | None = None

    @property
    def real_money(self) -> bool:
        """True when the REST URL is on Kalshi's production domain (``kalshi.com``;
        demo is ``kalshi.co``): orders there trade real money."""
        return _is_production_host(self.rest_url)


def _is_production_host(url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").rstrip(".")
    return host == "kalshi.com" or host.endswith(".kalshi.com")


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
    ``venue.private_key_path`` or from ``environ`` (default ``os.environ``). Nothing
    is read here: call :func:`key_problems` first to refuse a bad key before
    anything starts.
    """
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
    prints them): trading real money on Kalshi's production exchange; a private key
    file that overrides a set ``WARDEN_KALSHI_PRIVATE_KEY``. ``[]`` for sim."""
    if venue.kind != "kalshi":
        return []
    environ = os.environ if environ is None else environ
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
