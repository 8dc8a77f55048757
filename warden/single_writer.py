"""One daemon per ledger (DESIGN.md §6 invariant 12): an OS lock held for the process's life.

::

    with hold_single_writer(Path("var/warden.db"), Path("var")):
        ...  # the only process that may trade this ledger or own this runtime_dir

Two locks, both exclusive and non-blocking ``fcntl.flock`` on a lock file
created 0600:

- ``<db>.lock`` beside the ledger: two daemons on one ledger would each
  reconcile and trade the same account with separate risk books, so every
  exposure limit would hold per process, not per account;
- ``<runtime_dir>/warden.lock``: two daemons in one runtime directory would
  overwrite each other's runtime file and control token, and ``warden halt``
  would stop the wrong one.

The kernel drops a ``flock`` when the process that holds it dies, SIGKILL
included, so a lock file left behind never blocks the next start; the pid
written into it names the holder for the refusal message and is never trusted
for anything else. The lock files themselves are never removed (removing one
while another process opens it would let two holders exist).

Failure behaviour: :class:`LockHeld` (one line naming what is locked, the
holder's pid and the lock file) when another process holds either lock; an
``OSError`` as the OS reports it when a lock file cannot be opened. Either way
nothing is held on return.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

RUNTIME_LOCK = "warden.lock"


class LockHeld(Exception):
    """Another live process holds the lock; the message is one line for the operator."""

    def __init__(self, what: str, path: Path, lock: Path, pid: int | None) -> None:
        self.what, self.path, self.lock, self.pid = what, path, lock, pid
        holder = f"pid {pid}" if pid is not None else "another process (pid not yet written)"
        super().__init__(f"{what} {path} is held by {holder} (lock {lock}); refusing to start")


def ledger_lock_path(db: Path) -> Path:
    """The lock file beside ``db``."""
    return db.with_name(db.name + ".lock")


def holder_pid(lock: Path) -> int | None:
    """The pid written in ``lock`` (None if absent or unreadable): information only."""
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):
        return None


def _take(what: str, path: Path, lock: Path) -> int:
    """Lock ``lock`` for this process and write our pid into it; returns the descriptor."""
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(what, path, lock, holder_pid(lock)) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        os.close(descriptor)  # closing drops our flock, if we took it
        raise
    return descriptor


@contextlib.contextmanager
def hold_single_writer(db: Path, runtime_dir: Path) -> Iterator[None]:
    """Hold the ledger lock and the runtime-directory lock until the block exits.

    Both directories must exist. Raises :class:`LockHeld` or ``OSError``.
    """
    db, runtime_dir = db.resolve(), runtime_dir.resolve()
    held: list[int] = []
    try:
        held.append(_take("ledger", db, ledger_lock_path(db)))
        if ledger_lock_path(db) != runtime_dir / RUNTIME_LOCK:  # a ledger named "warden"
            held.append(_take("runtime_dir", runtime_dir, runtime_dir / RUNTIME_LOCK))
        yield
    finally:
        for descriptor in reversed(held):
            os.close(descriptor)
