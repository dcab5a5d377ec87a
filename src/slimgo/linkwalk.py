"""Resolving a path inside a root by following its symlinks, bounded as the kernel bounds it, wherever links live."""

from __future__ import annotations

__all__ = ["MAX_LINKS", "Escape", "ReadLink", "walk"]

from collections.abc import Callable, Sequence

MAX_LINKS = 40  # what the Linux kernel follows when resolving one path

# readlink(resolved, part): the target of the symlink named ``part`` in the directory ``resolved`` (components
# from the root), or None when that is no symlink.
ReadLink = Callable[[list[str], str], "str | None"]


class Escape(Exception):
    """A path that leaves the root filesystem, or that runs through more symlinks than the kernel follows."""


def walk(parts: Sequence[str], readlink: ReadLink, follow_last: bool = True, max_links: int = MAX_LINKS) -> list[str]:
    """The components ``parts`` lead to inside the root, after following the symlinks ``readlink`` reports.

    An absolute target starts again at the root (it names a path of the image, not of the host); a ``..`` that would
    climb above the root raises :class:`Escape`, and so does a chain of more than ``max_links`` symlinks (a loop).
    The last component is followed only with ``follow_last``; ``readlink`` is asked about every component, so it
    may raise for a parent that cannot be a directory.
    """
    pending = list(reversed(parts))
    resolved: list[str] = []
    hops = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                raise Escape("climbs above the root filesystem")
            resolved.pop()
            continue
        target = readlink(resolved, part)
        if target is not None and (pending or follow_last):
            hops += 1
            if hops > max_links:
                raise Escape(f"has more than {max_links} levels of symlinks")
            if target.startswith("/"):
                resolved = []
            pending.extend(reversed(target.split("/")))
            continue
        resolved.append(part)
    return resolved
