"""A bounded, compact memory of keys already seen: risk's fills booked and
reservation ids released.

:class:`SeenKeys` remembers a 16-byte fingerprint of each key (``blake2b`` of
the key's parts, length-prefixed so that no two different keys encode alike),
not the key itself, packed 16 bytes after another into ``bytes`` buckets: about
20 bytes a key instead of the ~300 a tuple of two venue strings costs in a dict,
and the strings of a fill are freed with the fill.  A key never seen is taken for
one seen only if its fingerprint equals one held: probability ``n * 2**-128`` with
``n`` held, below ``1e-32`` for a million.

It forgets in generations: keys are added to the newest generation; when it holds
``ceil(remember / 4)`` keys it is closed and a new one begun, and the oldest of
the five is dropped.  So the most recent ``remember`` keys are always remembered
(four full generations, plus the one being filled), at most ``1.25 * remember``
(rounded up) are held, and the memory stops growing once ``remember`` keys were
added.  A generation is a list of buckets (a key's bucket: its fingerprint modulo
the number of buckets, ~16 keys a bucket), so a lookup is one list index and one
``bytes.find`` per generation; nothing is ever re-sorted or rehashed.  A plain
mutable object; no I/O, never raises for a key.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from hashlib import blake2b as _blake2b

_GENERATIONS = 4  # full generations kept besides the one being filled
_PER_BUCKET = 16  # keys a bucket holds on average when its generation is full
_WIDTH = 16  # bytes a fingerprint


def fingerprint(*parts: str) -> bytes:
    """The 16-byte fingerprint of the key ``parts``: the digest of their count and
    each part but the last length-prefixed (an encoding no two different keys
    share: ``("ab", "c")``, ``("a", "bc")`` and ``("2:abc",)`` all differ)."""
    *first, last = parts
    text = "".join([f"{len(parts)}|", *[f"{len(part)}:{part}" for part in first], last])
    return _blake2b(text.encode("utf-8", "surrogatepass"), digest_size=_WIDTH).digest()


def pair_fingerprint(first: str, second: str) -> bytes:
    """``fingerprint(first, second)``, the same 16 bytes, built with less work: the key
    of a fill (venue fill id, client order id), computed once per fill booked."""
    text = f"2|{len(first)}:{first}{second}"
    return _blake2b(text.encode("utf-8", "surrogatepass"), digest_size=_WIDTH).digest()


class SeenKeys:
    """Fingerprints of the keys seen, the most recent ``remember`` at least (module doc).

    Raises ``ValueError`` for ``remember`` < 1.
    """

    def __init__(self, remember: int) -> None:
        if type(remember) is not int or remember < 1:
            raise ValueError(f"remember must be an int >= 1, got {remember!r}")
        self.remember = remember
        self._size = -(-remember // _GENERATIONS)  # keys per generation, rounded up
        self._buckets = -(-self._size // _PER_BUCKET)
        self._newest = self._generation()
        self._in_newest = 0
        self._older: deque[list[bytes]] = deque(maxlen=_GENERATIONS)

    def __len__(self) -> int:
        """How many keys are remembered now (at most ``1.25 * remember``, rounded up)."""
        return self._in_newest + self._size * len(self._older)

    def __contains__(self, key: bytes) -> bool:
        bucket = int.from_bytes(key, "big") % self._buckets
        if _holds(self._newest[bucket], key):
            return True
        for generation in self._older:  # noqa: SIM110 - a plain loop: this is the hot path
            if _holds(generation[bucket], key):
                return True
        return False

    @property
    def room(self) -> int:
        """How many keys can be added before the first of those held now is forgotten."""
        return self._size * (_GENERATIONS + 1) - len(self)

    def seen(self, *parts: str) -> bool:
        """True if the key ``parts`` was added and is still remembered."""
        return fingerprint(*parts) in self

    def add(self, *parts: str) -> None:
        """Remember the key ``parts`` (one remembered already is not held twice)."""
        key = fingerprint(*parts)
        if key not in self:
            self.add_new(key)

    def add_new(self, key: bytes) -> None:
        """Remember ``key``, a :func:`fingerprint` the caller found not remembered
        (``key not in self``, with nothing added since); the oldest generation goes
        when a sixth would begin."""
        if self._in_newest >= self._size:
            self._older.append(self._newest)  # maxlen: the oldest is dropped
            self._newest, self._in_newest = self._generation(), 0
        bucket = int.from_bytes(key, "big") % self._buckets
        self._newest[bucket] += key
        self._in_newest += 1

    def add_new_many(self, keys: Sequence[bytes]) -> None:
        """:meth:`add_new` of each of ``keys`` in order, with the same result (generations
        closed and dropped at the same keys), in bulk: ``keys`` are distinct fingerprints
        the caller found not remembered."""
        at = 0
        while at < len(keys):
            if self._in_newest >= self._size:
                self._older.append(self._newest)  # maxlen: the oldest is dropped
                self._newest, self._in_newest = self._generation(), 0
            chunk = keys[at : at + self._size - self._in_newest]
            grouped: dict[int, list[bytes]] = {}
            buckets = self._buckets
            for key in chunk:
                found = grouped.get(bucket := int.from_bytes(key, "big") % buckets)
                if found is None:
                    grouped[bucket] = [key]
                else:
                    found.append(key)
            newest = self._newest
            for bucket, found in grouped.items():
                newest[bucket] += b"".join(found)
            self._in_newest += len(chunk)
            at += len(chunk)

    def dump(self) -> bytes:
        """Every fingerprint held, 16 bytes after another, the oldest generation first:
        :meth:`add_new_many` of them (split in 16s) on a new ``SeenKeys`` of the same
        ``remember`` rebuilds the same generations (a checkpoint's keys)."""
        parts = [b"".join(generation) for generation in self._older]
        parts.append(b"".join(self._newest))
        return b"".join(parts)

    def _generation(self) -> list[bytes]:
        return [b""] * self._buckets  # the empty bytes is one shared object


def _holds(bucket: bytes, key: bytes) -> bool:
    """Whether ``key`` is one of the fingerprints packed in ``bucket`` (a match must
    start at a multiple of the width: one straddling two fingerprints is not it)."""
    at = bucket.find(key)
    while at > 0 and at % _WIDTH:
        at = bucket.find(key, at + 1)
    return at >= 0
