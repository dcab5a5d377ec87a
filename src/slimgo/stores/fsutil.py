"""Atomic file writes: content goes to a temp file beside the target and is renamed into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from slimgo.errors import StoreError


def os_error(path: Path | str, err: OSError, what: str = "cannot write") -> StoreError:
    reason = err.strerror or str(err)
    return StoreError(str(path), f"{what}: {reason}",
                      "choose a path you can write to (check the directory exists and its permissions)")


def atomic_write(path: Path, write: Callable[[BinaryIO], None], mode: int = 0o644) -> None:
    """Create ``path`` from ``write(file)``; on any failure the old file (or its absence) is left as it was."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise os_error(path, err) from None
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise os_error(path, err) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    def write(out: BinaryIO) -> None:
        out.write(data)

    atomic_write(path, write)


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
