"""The chaos harness as a Kalshi operator: a key for the run, the venue checking it.

``warden chaos run --venue kalshi`` runs the daemon with ``[venue] kind =
"kalshi"`` against the simulated venue speaking Kalshi's wire with signature
checking on (``warden venue-sim --kalshi-public-key``): every request the daemon
makes (REST and the websocket handshake) must carry a valid RSA-PSS signature of
a key generated for the run, kept in an owner-only PEM file in the run's
directory, as docs/venues/kalshi.md tells an operator to keep theirs. The
harness signs its own reads of the venue's ``/trade-api`` paths with the same
key; ``/sim/`` paths are the simulator's and are never checked.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from actors.venues.kalshi._signing import KalshiAuth, KalshiSigner, load_private_key
from warden.venue import RealismConfig, VenueConfig

KEY_ID = "c4a1f3d2-7b6e-4e59-9a0c-1d2e3f4a5b6c"
"""The run's key id: any UUID (the simulated venue knows the key by it)."""


@attrs.frozen
class KalshiAccess:
    """The run's key files and the markets the daemon selects (the venue's events)."""

    private_path: Path
    public_path: Path
    events: tuple[str, ...]

    @classmethod
    def create(cls, workdir: Path, seed: int) -> KalshiAccess:
        """A fresh 2048-bit RSA key in ``workdir`` (private: mode 0600); the events of
        the realistic venue ``warden venue-sim --realism --seed seed`` serves."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_path, public_path = workdir / "kalshi.pem", workdir / "kalshi.pub.pem"
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        public_path.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        layout = VenueConfig(seed=seed, realism=RealismConfig()).events
        return cls(private_path, public_path, tuple(e.event_ticker for e in layout))

    @property
    def public_key_arg(self) -> str:
        """``--kalshi-public-key`` for ``warden venue-sim``."""
        return f"{KEY_ID}={self.public_path}"

    def venue_section(self) -> dict[str, int | float | str | list[str]]:
        """The ``[venue]`` table of the daemon's config."""
        return {
            "kind": "kalshi",
            "key_id": KEY_ID,
            "private_key_path": str(self.private_path),
            "events": list(self.events),
        }

    def auth(self) -> httpx.Auth:
        """Signs the harness's own requests to the venue with the run's key."""
        return KalshiAuth(KalshiSigner(KEY_ID, load_private_key(self.private_path)))
