"""The pulled-content cache: verified blobs by digest, and which digest a tag pointed at when last pulled."""

from __future__ import annotations

__all__ = ["BlobCache"]

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from slimgo.errors import ImageFormatError
from slimgo.oci.digest import Digest, HashingWriter
from slimgo.stores.fsutil import atomic_write_bytes, file_lock, os_error
from slimgo.stores.registry.reference import Reference

BLOB_LOCK_TIMEOUT = 3600.0  # another process may be downloading a large layer over a slow link


def default_root() -> Path:
    """`$SLIMGO_CACHE_DIR`, else `$XDG_CACHE_HOME/slimgo`, else `~/.cache/slimgo`."""
    explicit = os.environ.get("SLIMGO_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "slimgo"


class BlobCache:
    """Content-addressed: a file exists under its digest only once its bytes were verified against it."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or default_root()) / "registry"

    def blob_path(self, digest: Digest) -> Path:
        return self.root / "blobs" / digest.algorithm / digest.hex

    def has(self, digest: Digest) -> bool:
        return self.blob_path(digest).is_file()

    def read(self, digest: Digest) -> bytes | None:
        try:
            return self.blob_path(digest).read_bytes()
        except FileNotFoundError:
            return None

    def open(self, digest: Digest) -> BinaryIO:
        return open(self.blob_path(digest), "rb")

    def put_bytes(self, digest: Digest, data: bytes) -> None:
        if Digest.of(data) != digest:  # callers verify first; this guards the cache's own promise
            raise ImageFormatError(str(digest), "content does not match its digest", "re-pull the image")
        if not self.has(digest):
            atomic_write_bytes(self.blob_path(digest), data)

    def ingest(self, digest: Digest, size: int, chunks: Iterable[bytes], where: str) -> Path:
        """Store a stream, verifying size and digest as it passes; nothing is kept unless both match.

        Two processes sharing the cache download a blob once: the second waits on the blob's lock, then finds
        it stored and never starts its own stream.
        """
        path = self.blob_path(digest)
        locks = self.root / "locks"
        try:
            locks.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise os_error(locks, err) from None
        with file_lock(locks / f"{digest.hex}.lock", where, timeout=BLOB_LOCK_TIMEOUT):
            if path.is_file():
                return path
            return self._ingest(path, digest, size, chunks, where)

    def _ingest(self, path: Path, digest: Digest, size: int, chunks: Iterable[bytes], where: str) -> Path:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{digest.hex[:16]}.", suffix=".part")
        except OSError as err:
            raise os_error(path, err) from None
        try:
            with os.fdopen(fd, "wb") as out:
                hashing = HashingWriter(out)
                for chunk in chunks:
                    if hashing.size + len(chunk) > size:
                        raise ImageFormatError(where, f"is longer than the {size} bytes its descriptor announces",
                                               "the registry served different content; the image may have been "
                                               "tampered with, or the registry is broken")
                    hashing.write(chunk)
                # The name is a promise that the bytes are there: keep it after a crash too. Readable like any
                # layout blob, since an OCI layout may hard-link this very file.
                out.flush()
                os.fsync(out.fileno())
                os.fchmod(out.fileno(), 0o644)
            if hashing.size != size:
                raise ImageFormatError(where, f"is {hashing.size} bytes, not the {size} its descriptor announces",
                                       "the download was cut short or the registry is broken; pull again")
            if hashing.digest != digest:
                raise ImageFormatError(where, f"hashes to {hashing.digest}, not {digest}",
                                       "the registry served different content; the image may have been "
                                       "tampered with, or the registry is broken")
            os.replace(tmp, path)
        except OSError as err:  # a full disk, above all: said as such, never a traceback
            Path(tmp).unlink(missing_ok=True)
            raise os_error(path, err) from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    # -- where blobs live (so another process can mount instead of upload) -------------------------
    def _locations_path(self, registry: str, digest: Digest) -> Path:
        return self.root / "locations" / registry.replace(":", "_") / digest.hex

    def locations(self, registry: str, digest: Digest) -> set[str]:
        """Repositories of ``registry`` that held ``digest`` when slimgo last pushed or pulled it there."""
        try:
            text = self._locations_path(registry, digest).read_text()[-8192:]
        except (OSError, UnicodeDecodeError):
            return set()
        return {line for line in text.splitlines() if line}

    def remember(self, registry: str, repository: str, digest: Digest) -> None:
        if repository in self.locations(registry, digest):
            return
        path = self._locations_path(registry, digest)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a") as out:  # appends of one short line: concurrent writers do not tear them
                out.write(repository + "\n")
        except OSError:  # only a hint for mounts: a read-only cache must not fail a push
            return

    # -- tags ----------------------------------------------------------------------------------------
    def _tag_path(self, ref: Reference) -> Path:
        return self.root / "tags" / ref.registry.replace(":", "_") / ref.repository / (ref.tag or "latest")

    def tagged(self, ref: Reference) -> Digest | None:
        try:
            return Digest.parse(self._tag_path(ref).read_text().strip())
        except (OSError, ImageFormatError):
            return None

    def set_tag(self, ref: Reference, digest: Digest) -> None:
        try:
            atomic_write_bytes(self._tag_path(ref), f"{digest}\n".encode())
        except Exception:  # the cache is an optimisation: a read-only cache must not fail a pull
            return
