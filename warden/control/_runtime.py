"""The runtime file and the token file: how the CLI finds a running daemon.

On start the daemon writes two files in its ``runtime_dir``:

- ``warden.json``: ``{"pid": ..., "url": "http://127.0.0.1:PORT", "token_file": "..."}``,
  written to a temporary name and renamed, so a reader never sees half of it;
- ``warden.token``: a random bearer token (``secrets.token_urlsafe``), created
  with mode 0600 and ``O_EXCL`` (a file left behind is unlinked first, so an
  old file's looser mode is never kept).

Both are removed on exit, but only while the runtime file still names this
process: a second daemon pointed at the same directory owns the files it wrote.
A SIGKILLed daemon leaves them behind; :func:`discover` notices the dead pid.

Failure behaviour: :func:`discover` raises :class:`NoDaemon` (one readable
line) for a missing, unreadable or malformed runtime file and for a pid that
is not alive; :func:`read_token` raises :class:`NoDaemon` when the token file
is gone or unreadable. Writing raises ``OSError`` as the OS reports it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path

import attrs

from warden.json_types import JsonObject

RUNTIME_FILE = "warden.json"
TOKEN_FILE = "warden.token"  # noqa: S105 - a file name; the token is random per start
DEFAULT_RUNTIME_FILE = Path("var") / RUNTIME_FILE


class NoDaemon(Exception):
    """No running daemon can be reached; the message is one line for the operator."""


@attrs.frozen
class RuntimeInfo:
    """What the runtime file says: who runs, where to call, where the token is."""

    pid: int
    url: str
    token_file: Path

    def to_json(self) -> JsonObject:
        return {"pid": self.pid, "url": self.url, "token_file": str(self.token_file)}


@attrs.frozen
class RuntimeFiles:
    """The two files one daemon wrote, and the token it holds."""

    runtime_file: Path
    token_file: Path
    token: str = attrs.field(repr=False)  # never in logs or reprs


def new_token() -> str:
    """A random bearer token: 32 bytes from ``secrets``, URL-safe text."""
    return secrets.token_urlsafe(32)


def write_runtime_files(
    runtime_dir: Path, url: str, token: str, *, pid: int | None = None
) -> RuntimeFiles:
    """Create ``runtime_dir`` if needed, write ``token`` to a 0600 file, then the runtime file."""
    if not token:
        raise ValueError("refusing to write an empty control token")
    runtime_dir.mkdir(parents=True, exist_ok=True)
    token_file = (runtime_dir / TOKEN_FILE).resolve()
    with contextlib.suppress(FileNotFoundError):
        token_file.unlink()
    descriptor = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)  # whatever the umask, exactly owner read/write
        handle.write(token + "\n")
    info = RuntimeInfo(os.getpid() if pid is None else pid, url, token_file)
    runtime_file = (runtime_dir / RUNTIME_FILE).resolve()
    partial = runtime_file.with_name(f".{RUNTIME_FILE}.{info.pid}.tmp")
    partial.write_text(json.dumps(info.to_json(), indent=2) + "\n")
    partial.replace(runtime_file)
    return RuntimeFiles(runtime_file, token_file, token)


def remove_runtime_files(files: RuntimeFiles, *, pid: int | None = None) -> None:
    """Remove both files if the runtime file still names ``pid`` (default: this process)."""
    owner = os.getpid() if pid is None else pid
    try:
        current = _parse(files.runtime_file)
    except NoDaemon:
        current = None
    if current is not None and current.pid != owner:
        return  # another daemon took this directory over; its files are not ours to remove
    for path in (files.runtime_file, files.token_file):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _parse(runtime_file: Path) -> RuntimeInfo:
    try:
        data = json.loads(runtime_file.read_text())
        return RuntimeInfo(int(data["pid"]), str(data["url"]), Path(data["token_file"]))
    except FileNotFoundError:
        raise NoDaemon(f"no daemon running (no runtime file at {runtime_file})") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise NoDaemon(f"cannot read runtime file {runtime_file}: {error}") from None


def pid_alive(pid: int) -> bool:
    """True if a process with this id exists (it may belong to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def discover(runtime_file: Path) -> RuntimeInfo:
    """The running daemon named by ``runtime_file``; :class:`NoDaemon` if there is none."""
    info = _parse(runtime_file)
    if not pid_alive(info.pid):
        raise NoDaemon(
            f"no daemon running (runtime file {runtime_file} names pid {info.pid}, "
            "which is not alive)"
        )
    return info


def read_token(token_file: Path) -> str:
    """The bearer token in ``token_file``, without surrounding whitespace."""
    try:
        token = token_file.read_text().strip()
    except OSError as error:
        raise NoDaemon(f"cannot read token file {token_file}: {error.strerror}") from None
    if not token:
        raise NoDaemon(f"token file {token_file} is empty")
    return token
