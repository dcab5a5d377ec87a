"""Layers read in place from a byte range of an archive file, checked against their digest on first read."""

from __future__ import annotations

__all__ = ["ArchiveFile", "ArchivedLayer", "verify_layers"]

import hashlib
import os
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, cast

from slimgo.errors import ImageFormatError
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest

CHUNK = 1 << 20
WINDOW = 128 << 10


class ArchiveFile:
    """An archive opened once for reading by offset; its descriptor closes when the last layer using it goes.

    The file's identity (inode, size, change times) is recorded when it is opened: a layer read later refuses
    an archive that was rewritten since, so bytes checked once are the bytes read afterwards.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self.fd)
        self._identity = self._stat()

    def _stat(self) -> tuple[int, int, int, int, int]:
        st = os.fstat(self.fd)
        return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns

    def check(self) -> None:
        if self._stat() != self._identity:
            raise ImageFormatError(str(self.path), "changed while slimgo was reading it",
                                   "let whatever writes the archive finish, then run again")

    def pread(self, size: int, offset: int) -> bytes:
        return os.pread(self.fd, size, offset)

    def hash_range(self, offset: int, size: int, stop: threading.Event | None = None) -> Digest | None:
        """The SHA-256 of ``size`` bytes at ``offset`` (None when stopped, or when the file is shorter)."""
        hashing = hashlib.sha256()
        done = 0
        while done < size:
            if stop is not None and stop.is_set():
                return None
            data = os.pread(self.fd, min(CHUNK, size - done), offset + done)
            if not data:
                return None
            hashing.update(data)  # releases the GIL: the reader's consumer keeps running meanwhile
            done += len(data)
        return Digest("sha256", hashing.hexdigest())


class _RangeReader:
    """A seekable, read-only view of ``size`` bytes at ``offset`` of an archive (no fileno: it is not a file).

    Small reads (tar headers, tarfile's 10 KiB records) are served from a read-ahead window, as a buffered file
    would; large ones go straight to the file.
    """

    def __init__(self, archive: ArchiveFile, offset: int, size: int) -> None:
        self._archive, self._offset, self._size = archive, offset, size
        self._pos = 0
        self._window = b""
        self._window_at = 0  # range position of the window's first byte
        self.closed = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("read of a closed layer stream")
        left = self._size - self._pos
        want = left if size is None or size < 0 else min(size, left)
        if size == 0:
            return b""
        if want <= 0:
            self._at_end()
            return b""
        start = self._pos - self._window_at
        if start >= 0 and start + want <= len(self._window):
            data = self._window[start:start + want]
        elif want < WINDOW:
            self._window = self._pread(min(WINDOW, left), self._pos)
            self._window_at = self._pos
            data = self._window[:want]
        else:
            data = self._pread(want, self._pos)
        self._pos += len(data)
        return data

    def _pread(self, size: int, at: int) -> bytes:
        data = self._archive.pread(size, self._offset + at)
        if not data:
            raise ImageFormatError(str(self._archive.path), "ends inside a layer",
                                   "the archive is truncated; copy or save it again")
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _at_end(self) -> None:
        """Called when a read finds no more bytes."""

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> _RangeReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _VerifyingReader(_RangeReader):
    """A range reader whose bytes are hashed by a thread of their own from the moment it opens.

    Whoever reads reaches the end only through the check: the read that would return EOF (or ``close``, for a
    consumer that stopped early or skipped ahead) waits for the hash and raises when it does not match. The
    layer counts as checked only once the hash of its whole range matched.
    """

    def __init__(self, layer: ArchivedLayer) -> None:
        super().__init__(layer.archive, layer.offset, layer.descriptor.size)
        self._layer = layer
        self._stop = threading.Event()
        self._result: list[Digest | None] = []
        # The thread holds no reference to this reader: one dropped unclosed is collected and stops the hash.
        self._thread = threading.Thread(target=_hash_into, daemon=True, name="slimgo-layer-hash",
                                        args=(layer, self._stop, self._result))
        self._thread.start()
        self._checked = False
        self._failure: ImageFormatError | None = None

    def _at_end(self) -> None:
        if self._failure is not None:
            raise self._failure  # every later read at the end too: a swallowed error never turns into EOF
        if self._checked:
            return
        self._thread.join()
        try:
            self._layer.settle(self._result[0] if self._result else None)
        except ImageFormatError as err:
            self._failure = err
            raise
        self._checked = True

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._failure is None:  # one that failed has said so already
                self._at_end()
        finally:
            super().close()

    def __del__(self) -> None:
        # Collected without a close: nobody is waiting for the answer, so stop hashing and check nothing.
        self._stop.set()


def _hash_into(layer: ArchivedLayer, stop: threading.Event, result: list[Digest | None]) -> None:
    try:
        result.append(layer.archive.hash_range(layer.offset, layer.descriptor.size, stop))
    except OSError:
        result.append(None)


class ArchivedLayer:
    """An uncompressed layer that is a byte range of an archive: its digest is its diff_id, what the range must
    hash to."""

    def __init__(self, archive: ArchiveFile, offset: int, descriptor: Descriptor, diff_id: Digest, where: str,
                 verified: bool = False) -> None:
        self.archive = archive
        self.offset = offset
        self.descriptor = descriptor
        self.diff_id = diff_id
        self.where = where
        self.uncompressed_size: int | None = None
        self._verified = verified
        self._lock = threading.Lock()

    @property
    def verified(self) -> bool:
        with self._lock:
            return self._verified

    def open_blob(self) -> BinaryIO:
        self.archive.check()
        if self.verified:
            return cast(BinaryIO, _RangeReader(self.archive, self.offset, self.descriptor.size))
        return cast(BinaryIO, _VerifyingReader(self))

    def settle(self, digest: Digest | None) -> None:
        """Record the hash of the whole range: a match marks the layer checked, anything else raises."""
        if digest != self.descriptor.digest:
            got = f"hashes to {digest}" if digest is not None else "could not be read to its end"
            raise ImageFormatError(self.where, f"{got}, not the diff_id {self.diff_id} its config names",
                                   "the archive is corrupt or was tampered with; recreate it")
        self.archive.check()  # what was hashed is what every reader of this range saw
        with self._lock:
            self._verified = True

    def verify(self) -> None:
        """Check the layer now (a no-op once checked): for writers that pass its bytes on without reading them."""
        self.archive.check()
        if not self.verified:
            self.settle(self.archive.hash_range(self.offset, self.descriptor.size))


def verify_layers(layers: Iterable[object]) -> None:
    """Check every layer that is read lazily (see `ArchivedLayer`) before any of it is written anywhere."""
    for layer in layers:
        verify = getattr(layer, "verify", None)
        if callable(verify):
            verify()
