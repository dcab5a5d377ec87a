"""File-system helpers of the stores: atomic writes, bounded reads and inter-process locks."""

from __future__ import annotations

__all__ = ["atomic_write", "atomic_write_bytes", "copy_stream", "file_lock", "link_or_copy", "os_error", "read_capped"]

import errno
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from slimgo.errors import ImageFormatError, StoreError

LOCK_TIMEOUT = 120.0  # seconds a writer waits for another one holding the same lock


def os_error(path: Path | str, err: OSError, what: str = "cannot write") -> StoreError:
    reason = err.strerror or str(err)
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreError(str(path), f"{what}: {reason}",
                          "the disk (or your quota) is full: free space on it, or write somewhere else")
    return StoreError(str(path), f"{what}: {reason}",
                      "choose a path you can write to (check the directory exists and its permissions)")


def read_capped(path: Path, limit: int, subject: str) -> bytes:
    """The bytes of a file that must be small (a manifest, an index, a config): refused past ``limit``."""
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ImageFormatError(subject, f"is larger than {limit} bytes, more than a valid one can be",
                               "this is not an image file slimgo reads; rebuild or copy the image again")
    return data


@contextmanager
def file_lock(path: Path, subject: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive `flock` on ``path`` (a file created when missing, or a directory) for the block.

    Waits at most ``timeout`` for another holder.
    """
    try:
        if path.is_dir():  # a directory can be locked too, leaving nothing behind in it
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        else:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise os_error(path, err, "cannot create the lock file") from None
    try:
        deadline = time.monotonic() + timeout
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(subject, f"stayed locked by another process for {timeout:.0f} s "
                                     f"({path})", "wait for the other slimgo to finish, then try again") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def atomic_write(path: Path, write: Callable[[BinaryIO], None], mode: int = 0o644) -> None:
    """Create ``path`` from ``write(file)``; on any failure the old file (or its absence) is left as it was."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file 0600: it is widened to ``mode`` only once written, never narrowed after.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise os_error(path, err) from None
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
            os.fchmod(out.fileno(), mode)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise os_error(path, err) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o644) -> None:
    def write(out: BinaryIO) -> None:
        out.write(data)

    atomic_write(path, write, mode)


def link_or_copy(source: Path, path: Path) -> None:
    """Make ``path`` hold the bytes of the durable file ``source``: a hard link, else a kernel copy; atomically."""
    tmp = path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp"  # a name only: os.link will not overwrite
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, tmp)
        except OSError:  # another file system, or one without hard links
            shutil.copyfile(source, tmp)
            with open(tmp, "rb") as done:
                os.fsync(done.fileno())
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise os_error(path, err) from None


def copy_stream(src: BinaryIO, dst: BinaryIO, chunk: int = 1 << 20) -> None:
    shutil.copyfileobj(src, dst, chunk)
