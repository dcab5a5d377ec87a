"""Files of an analyzed image, by path: symlinks resolved inside the merged view the analysis already holds, and a
file's contents read back by walking only the layer that holds it (no second pass over every layer)."""

from __future__ import annotations

__all__ = ["MergedView"]

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from slimgo.analyze.merge import Merged
from slimgo.analyze.scan import absolute, go_clean
from slimgo.analyze.tarstream import TarFormatError, TarWalker
from slimgo.compression import open_tar
from slimgo.errors import ImageFormatError
from slimgo.oci import mediatype
from slimgo.oci.image import Layer

MAX_LINKS = 40  # what the Linux kernel follows when resolving a path


@dataclass(frozen=True)
class Found:
    path: str  # where the data is: symlinks followed, a hardlink's target
    kind: str
    mode: int
    layer: int


class MergedView:
    def __init__(self, merged: Merged, layers: Sequence[Layer]) -> None:
        self.live, self.layers = merged.live, list(layers)
        # Directories that exist only because something lives below them (no entry of their own).
        self.implied: set[str] = set()
        for path in self.live:
            parent = posixpath.dirname(path)
            while parent != "/" and parent not in self.implied:
                self.implied.add(parent)
                parent = posixpath.dirname(parent)

    def _parent_resolved(self, path: str, depth: int) -> str | None:
        """``path`` with every symlink among its parent directories followed (/lib/x -> /usr/lib/x)."""
        current = "/"
        parts = [p for p in path.split("/") if p]
        for part in parts[:-1]:
            candidate = posixpath.join(current, part)
            live = self.live.get(candidate)
            if live is not None and live.entry.kind == "symlink":
                found = self._resolve(candidate, depth + 1)
                if found is None:
                    return None
                candidate = found.path
            current = candidate
        return posixpath.join(current, parts[-1]) if parts else "/"

    def _resolve(self, path: str, depth: int) -> Found | None:
        current = posixpath.normpath("/" + path.lstrip("/"))
        for _ in range(MAX_LINKS - depth):
            full = self._parent_resolved(current, depth)
            live = self.live.get(full) if full else None
            if full is None:
                return None
            if live is None:
                return Found(full, "dir", 0o755, -1) if full in self.implied or full == "/" else None
            entry = live.entry
            if entry.kind == "symlink":
                target = entry.linkname
                current = posixpath.normpath(target if target.startswith("/")
                                             else posixpath.join(posixpath.dirname(full), target))
                continue
            if entry.kind == "hardlink":
                linked = self.live.get(absolute(go_clean(entry.linkname)))
                if linked is not None and linked.entry.kind == "file":
                    return Found(linked.entry.path, "file", entry.mode, linked.layer)
            return Found(full, entry.kind, entry.mode, live.layer)
        return None

    def resolve(self, path: str) -> Found | None:
        return self._resolve(path, 0)

    def read(self, path: str, limit: int) -> bytes:
        found = self.resolve(path)
        if found is None or found.kind != "file":
            raise ImageFormatError(path, "is not a regular file in the image", "check the path")
        layer = self.layers[found.layer]
        seekable = mediatype.layer_compression(layer.descriptor.media_type) == "none"
        data: bytes | None = None
        try:
            with open_tar(layer) as stream:
                walker = TarWalker(stream, seekable)
                for member in walker:
                    if member.kind == "file" and absolute(go_clean(member.name)) == found.path:
                        data = walker.read_data(limit + 1)  # the last copy in a layer is the one that counts
        except (TarFormatError, EOFError, OSError, ValueError) as err:
            raise ImageFormatError(f"layer {layer.descriptor.digest}", f"is not a readable tar ({err})",
                                   "the image is corrupt; rebuild or re-pull it") from None
        if data is None:
            raise ImageFormatError(path, "vanished while reading its layer", "the image is corrupt")
        if len(data) > limit:
            raise ImageFormatError(path, f"is larger than {limit} bytes", "slim a smaller program")
        return data
