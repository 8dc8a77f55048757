"""Which ``Host`` headers the control plane answers: the defence against DNS rebinding.

A web page the operator opens can make the browser send requests to
``http://attacker.example:PORT/``, whose name the attacker later re-points
(rebinds) at 127.0.0.1. The browser then treats the control plane as the
attacker's own origin and lets the page read ``/actors`` or ``/portfolio``.
Such a request always carries the attacker's name in ``Host``; a request from a
local tool (curl, the CLI, Prometheus) carries the address it dialled.

So every request, GET and POST alike, must name the listening socket:

- a loopback name or address with the listening port: ``127.0.0.1:PORT``,
  ``localhost:PORT``, ``[::1]:PORT`` (``localhost`` in any case);
- when bound to a non-loopback address (``warden run --control-allow-remote``),
  that address with the port as well; when bound to a wildcard (``0.0.0.0``,
  ``::``), any IP *literal* with the port -- a literal cannot be rebound, only a
  name can.

The port must match (no port means 80). Anything else -- another name, another
port, no ``Host`` at all -- is refused. :class:`HostPolicy` is built from the
URL hypercorn reports after the bind; until then it accepts nothing.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import attrs

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::")  # noqa: S104 - recognised, not bound here


def split_host(host: str) -> tuple[str, int] | None:
    """``("localhost", 8790)`` from ``LocalHost:8790``, ``("::1", 80)`` from ``[::1]``.

    None for a value that is not ``name[:port]`` or ``[ipv6][:port]``.
    """
    if host.startswith("["):
        name, bracket, rest = host[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else ""
    else:
        name, colon, port_text = host.rpartition(":")
        if not colon:
            name, port_text = host, ""
        elif ":" in name:
            return None  # an IPv6 literal must be bracketed
    if not name:
        return None
    if not port_text:
        return name.lower(), 80
    if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        return None
    return name.lower(), int(port_text)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@attrs.frozen
class HostPolicy:
    """The Host names one listening socket answers to (see the module docstring)."""

    port: int | None = None
    bound: str | None = None

    @classmethod
    def for_url(cls, url: str) -> HostPolicy:
        """The policy for a socket hypercorn reports as ``url`` (``http://127.0.0.1:39959``)."""
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"not a listening URL: {url!r}")
        return cls(parts.port, parts.hostname.lower())

    @property
    def accepted(self) -> tuple[str, ...]:
        """The accepted Host values, for the error message."""
        if self.port is None:
            return ()
        names = [f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}"]
        if self.bound in WILDCARDS:
            names.append(f"<any IP address>:{self.port}")
        elif self.bound is not None and self.bound not in LOOPBACK_NAMES:
            bound = f"[{self.bound}]" if ":" in self.bound else self.bound
            names.append(f"{bound}:{self.port}")
        return tuple(names)

    def allows(self, host: str | None) -> bool:
        """True if a request with this ``Host`` header (None: absent) is for this socket."""
        if self.port is None or host is None:
            return False
        parsed = split_host(host.strip())
        if parsed is None or parsed[1] != self.port:
            return False
        name = parsed[0]
        if name in LOOPBACK_NAMES or name == self.bound:
            return True
        return self.bound in WILDCARDS and _is_ip(name)
