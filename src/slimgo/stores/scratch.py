"""Scratch directories under the slimgo cache that a killed process does not leave behind for ever.

Each directory is named `<prefix><pid>-<random>` and has a sibling `<name>.lock` that its process holds with
`fcntl.flock` while it lives. Opening a new one first removes the directories of processes that are gone: a
directory is stale only when the process named in it no longer exists *and* nobody holds its lock (the lock
covers a pid reused, or one from another pid namespace sharing the cache).
"""

from __future__ import annotations

__all__ = ["make_scratch", "release", "scratch"]

import atexit
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from slimgo.cachedir import cache_root
from slimgo.stores.fsutil import os_error

_HELD: dict[Path, int] = {}  # scratch dir -> the fd of its held lock, for this process's lifetime
_ROOTS: set[Path] = set()  # where this process makes scratch directories (swept for its own at exit)


def scratch_root() -> Path:
    return cache_root() / "tmp"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _owner_pid(name: str) -> int | None:
    head = name.rsplit("-", 1)[0]
    digits = head.rsplit("-", 1)[-1]
    return int(digits) if digits.isdigit() else None


def clean_stale(root: Path | None = None) -> list[Path]:
    """Remove scratch directories whose process is gone; returns what was removed. Never raises."""
    root = root or scratch_root()
    removed: list[Path] = []
    try:
        locks = sorted(root.glob("slimgo-*.lock"))
    except OSError:
        return removed
    for lock in locks[:1000]:  # bounded: the rest waits for the next start
        directory = lock.with_suffix("")
        pid = _owner_pid(directory.name)
        if pid is None or pid == os.getpid() or _pid_alive(pid):
            continue
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: its owner lives (in another pid namespace)
            os.close(fd)
            continue
        try:
            shutil.rmtree(directory, ignore_errors=True)
            lock.unlink(missing_ok=True)
            removed.append(directory)
        finally:
            os.close(fd)
    return removed


def _watch(root: Path) -> None:
    """Sweep ``root`` for this process's scratch directories at exit (registered before one is made)."""
    if not _ROOTS:
        atexit.register(_cleanup)
    _ROOTS.add(root)


def make_scratch(prefix: str) -> Path:
    """A new private directory under the cache's tmp/, locked for this process; removed at exit.

    Removed at exit even when an interrupt lands between its creation and the caller's ``try``: the exit sweep
    goes by the pid in the name, not only by what this function had time to record.
    """
    root = scratch_root()
    try:
        try:
            root.mkdir(parents=True, exist_ok=True)
            _watch(root)
            path = Path(tempfile.mkdtemp(dir=root, prefix=f"{prefix}{os.getpid()}-"))
        except OSError:  # a read-only cache: the system's temporary directory will do
            root = Path(tempfile.gettempdir())
            _watch(root)
            path = Path(tempfile.mkdtemp(dir=root, prefix=f"{prefix}{os.getpid()}-"))
        fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        _HELD[path] = fd
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as err:
        raise os_error(root, err, "cannot create a scratch directory") from None
    clean_stale(root)  # after making ours: the pid in its name keeps it safe from this very sweep
    return path


def release(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    fd = _HELD.pop(path, None)
    Path(f"{path}.lock").unlink(missing_ok=True)
    if fd is not None:
        os.close(fd)


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    path = make_scratch(prefix)
    try:
        yield path
    finally:
        release(path)


def _cleanup() -> None:
    for path in list(_HELD):
        release(path)
    pid = os.getpid()
    for root in _ROOTS:
        try:
            mine = [p for p in root.glob(f"slimgo-*{pid}-*") if not p.name.endswith(".lock")]
        except OSError:
            continue
        for path in mine[:1000]:  # bounded, as the sweep of dead processes is
            if _owner_pid(path.name) == pid:
                release(path)
