"""Resolve paths inside a root filesystem the way the container will see them, never through the host's paths."""

from __future__ import annotations

__all__ = ["Escape", "NotDirectory", "components", "read_file", "resolve"]

import os
import stat
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

from slimgo.linkwalk import Escape, walk


class NotDirectory(Escape):
    """A path that runs through something that is not a directory: a broken layer, not an escaping one."""


def components(name: str) -> list[str]:
    """The parts of a slash-separated path, without empty and "." parts."""
    return [part for part in name.split("/") if part not in ("", ".")]


def resolve(root: Path, parts: Sequence[str], follow_last: bool = True,
            known_dirs: AbstractSet[str] = frozenset()) -> list[str]:
    """The components of ``parts`` inside ``root`` after following symlinks as the container would.

    An absolute symlink target starts again at ``root`` (it names a path of the image, not of the host); a ``..``
    that would climb above ``root`` raises :class:`Escape` (the walk is slimgo.linkwalk's, which the layer judge
    uses on its links in memory). Every returned prefix that exists is a real directory or the final entry, so
    ``root.joinpath(*result)`` can be written without following any symlink of the host. ``known_dirs`` holds host
    paths already known to be real directories (no lstat needed for them).
    """
    base = os.fspath(root)

    def readlink(resolved: list[str], part: str) -> str | None:
        candidate = "/".join((base, *resolved, part))
        if candidate in known_dirs:
            return None
        try:
            info = os.lstat(candidate)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            raise NotDirectory(f"/{'/'.join(resolved)} is not a directory") from None
        return os.readlink(candidate) if stat.S_ISLNK(info.st_mode) else None

    return walk(parts, readlink, follow_last)


def read_file(root: Path, name: str, limit: int = 1 << 20) -> bytes | None:
    """The contents of the regular file ``name`` of the rootfs (symlinks resolved inside it), or None."""
    try:
        path = root.joinpath(*resolve(root, components(name)))
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (Escape, OSError):
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read(limit)
