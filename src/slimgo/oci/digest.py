"""Content digests (`sha256:<hex>`) and a writer that hashes what passes through it."""

from __future__ import annotations

__all__ = ["Digest", "HashingWriter"]

import hashlib
import re
from dataclasses import dataclass
from typing import BinaryIO

from slimgo.errors import ImageFormatError

_DIGEST = re.compile(r"^(sha256|sha512):([a-f0-9]+)$")
_LENGTHS = {"sha256": 64, "sha512": 128}


@dataclass(frozen=True, order=True)
class Digest:
    algorithm: str
    hex: str

    @classmethod
    def parse(cls, text: str) -> Digest:
        m = _DIGEST.match(text)
        if not m or len(m.group(2)) != _LENGTHS[m.group(1)]:
            raise ImageFormatError(
                repr(text), "is not a valid digest", "a digest looks like sha256:<64 lowercase hex digits>"
            )
        return cls(m.group(1), m.group(2))

    @classmethod
    def of(cls, data: bytes) -> Digest:
        return cls("sha256", hashlib.sha256(data).hexdigest())

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    @property
    def short(self) -> str:
        return self.hex[:12]


class HashingWriter:
    """Counts and hashes bytes on their way to ``sink`` (which may be None to only hash)."""

    def __init__(self, sink: BinaryIO | None = None) -> None:
        self._sink = sink
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:  # the file-like protocol tarfile/gzip expect
        self._hash.update(data)
        self.size += len(data)
        if self._sink is not None:
            self._sink.write(data)
        return len(data)

    def flush(self) -> None:
        if self._sink is not None:
            self._sink.flush()

    @property
    def digest(self) -> Digest:
        return Digest("sha256", self._hash.hexdigest())
