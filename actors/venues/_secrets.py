"""Reading a secret file: a key or credentials only their owner may read.

Every venue adapter reads its keys through :func:`read_owner_only`, so the rule is
one: the file is opened (non-blocking, so a FIFO put where the key should be cannot
hang the start-up), then checked on the open descriptor before a byte is read: a
regular file, no group or other permission bit (whoever runs the process, root
included), at most ``max_bytes``. Each failure raises ``error(path, reason)`` with
the adapter's own error class; no reason ever holds a byte of the file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

__all__ = ["read_owner_only"]


def read_owner_only(path: Path, *, max_bytes: int, error: Callable[[str, str], Exception]) -> bytes:
    """The bytes of ``path`` once its type, mode and size are checked (see the module
    docstring); raises ``error(str(path), reason)``: missing, unopenable, not a
    regular file, readable by others (its octal mode and the ``chmod 600`` fix),
    too large, unreadable."""
    source = str(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise error(source, "no such file") from None
    except OSError as failure:
        raise error(source, f"cannot open: {failure.strerror or 'OS error'}") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise error(source, "not a regular file")
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077:
            raise error(
                source, f"mode {mode:04o} lets group or others read it; run `chmod 600 {path}`"
            )
        if status.st_size > max_bytes:
            raise error(source, f"{status.st_size} bytes is too large")
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := os.read(descriptor, max_bytes + 1 - size):
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    raise error(source, "too large")
        except OSError as failure:
            raise error(source, f"cannot read: {failure.strerror or 'OS error'}") from None
    finally:
        os.close(descriptor)
    return b"".join(chunks)
