"""The daemon's control plane: an HTTP server on the daemon's trio loop, and how to find it.

- :func:`serve_control` serves :class:`ControlApp` (probes, metrics, the actor
  tree, operator actions) with hypercorn and writes the runtime and token
  files; see docs/operations.md for the endpoints.
- :class:`ControlClient` (with :func:`discover` / :func:`read_token`) is the
  client side: the CLI reads the runtime file to learn the URL and the token
  file's path.
- :func:`readiness`, :func:`render_metrics` and :func:`portfolio` (``GET
  /portfolio``, a :class:`Portfolio`; :func:`portfolio_from_dict` reads it back)
  are pure functions of a tree snapshot.
- :func:`read_snapshot` turns a served ``GET /actors`` answer back into an
  :class:`~supervision.ActorSnapshot` with typed statuses (importing this
  package registers every actor status class).
- :class:`HostPolicy` is which ``Host`` headers the control plane answers (DNS
  rebinding); :func:`clean_text` is what becomes of operator-typed text.
"""

from warden.control._app import ControlApp, permanent_workers
from warden.control._client import ControlClient, ControlError
from warden.control._hosts import HostPolicy
from warden.control._metrics import render_metrics
from warden.control._portfolio import (
    Portfolio,
    UnreadablePortfolio,
    portfolio,
    portfolio_from_dict,
    portfolio_to_dict,
)
from warden.control._readiness import Readiness, readiness
from warden.control._runtime import (
    DEFAULT_RUNTIME_FILE,
    RUNTIME_FILE,
    TOKEN_FILE,
    NoDaemon,
    RuntimeFiles,
    RuntimeInfo,
    discover,
    new_token,
    pid_alive,
    read_token,
    remove_runtime_files,
    write_runtime_files,
)
from warden.control._server import ControlConfig, ControlServer, serve_control
from warden.control._statuses import STATUS_KINDS, UnreadableSnapshot, read_snapshot
from warden.control._text import clean_text

__all__ = [
    "DEFAULT_RUNTIME_FILE",
    "RUNTIME_FILE",
    "STATUS_KINDS",
    "TOKEN_FILE",
    "ControlApp",
    "ControlClient",
    "ControlConfig",
    "ControlError",
    "ControlServer",
    "HostPolicy",
    "NoDaemon",
    "Portfolio",
    "Readiness",
    "RuntimeFiles",
    "RuntimeInfo",
    "UnreadablePortfolio",
    "UnreadableSnapshot",
    "clean_text",
    "discover",
    "new_token",
    "permanent_workers",
    "pid_alive",
    "portfolio",
    "portfolio_from_dict",
    "portfolio_to_dict",
    "read_snapshot",
    "read_token",
    "readiness",
    "remove_runtime_files",
    "render_metrics",
    "serve_control",
    "write_runtime_files",
]
