"""A read-only view of an image's merged filesystem: paths after whiteouts, symlinks resolved inside the rootfs."""

from __future__ import annotations

import posixpath
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass

from slimgo.compression import open_tar
from slimgo.errors import ImageFormatError
from slimgo.oci.image import Layer

_MAX_LINKS = 40  # what the Linux kernel allows when resolving a path


@dataclass(frozen=True)
class Node:
    path: str  # normalised, absolute: "/usr/lib/libc.so.6"
    kind: str  # file | dir | symlink | hardlink | other
    size: int
    mode: int
    uid: int
    gid: int
    linkname: str
    layer: int  # index of the layer that provides this entry
    xattrs: tuple[tuple[str, str], ...] = ()


def _normal(name: str) -> str:
    """Tar member names come as "./etc/passwd", "etc/passwd" or "/etc/passwd"; all mean /etc/passwd."""
    return posixpath.normpath("/" + name.lstrip("/"))


def _kind(member: tarfile.TarInfo) -> str:
    if member.isdir():
        return "dir"
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hardlink"
    if member.isfile():
        return "file"
    return "other"


class Rootfs:
    """Index of every path in the merged layers; file contents are read back from their layer on demand."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        self.layers = list(layers)
        self.nodes: dict[str, Node] = {}
        for index, layer in enumerate(self.layers):
            self._apply(index, layer)

    def _apply(self, index: int, layer: Layer) -> None:
        try:
            with open_tar(layer) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    path = _normal(member.name)
                    base = posixpath.basename(path)
                    parent = posixpath.dirname(path)
                    if base == ".wh..wh..opq":
                        prefix = parent.rstrip("/") + "/"
                        for key in [k for k, n in self.nodes.items() if k.startswith(prefix) and n.layer < index]:
                            del self.nodes[key]
                        continue
                    if base.startswith(".wh."):
                        gone = posixpath.join(parent, base[4:])
                        for key in [k for k in self.nodes if k == gone or k.startswith(gone + "/")]:
                            del self.nodes[key]
                        continue
                    link = member.linkname
                    if member.islnk():
                        link = _normal(link)
                    xattrs = tuple(sorted((k[len("SCHILY.xattr."):], v) for k, v in member.pax_headers.items()
                                          if k.startswith("SCHILY.xattr.")))
                    self.nodes[path] = Node(path, _kind(member), member.size, member.mode, member.uid, member.gid,
                                            link, index, xattrs)
        except (tarfile.TarError, EOFError, OSError, ValueError) as err:
            raise ImageFormatError(f"layer {layer.descriptor.digest}", f"is not a readable tar ({err})",
                                   "the image is corrupt; rebuild or re-pull it") from None

    def resolve(self, path: str) -> Node | None:
        """The node ``path`` names after following symlinks (inside this rootfs only), or None."""
        current = _normal(path)
        for _ in range(_MAX_LINKS):
            node = self._lookup_parents(current)
            if node is None or node.kind != "symlink":
                if node is not None and node.kind == "hardlink":
                    return self.nodes.get(node.linkname, node)
                return node
            target = node.linkname
            current = _normal(target if target.startswith("/") else posixpath.join(posixpath.dirname(current),
                                                                                     target))
        return None

    def _lookup_parents(self, path: str) -> Node | None:
        """Follow symlinks in the parent directories of ``path`` (e.g. /lib -> usr/lib), not the leaf."""
        parts = [p for p in path.split("/") if p]
        current = "/"
        for i, part in enumerate(parts):
            candidate = posixpath.join(current, part)
            node = self.nodes.get(candidate)
            if node is not None and node.kind == "symlink" and i < len(parts) - 1:
                resolved = self.resolve(candidate)
                if resolved is None:
                    return None
                candidate = resolved.path
            current = candidate
        return self.nodes.get(current)

    def exists(self, path: str) -> bool:
        return self.resolve(path) is not None

    def read(self, path: str, limit: int = 512 << 20) -> bytes:
        """The contents of the regular file ``path`` (symlinks followed)."""
        node = self.resolve(path)
        if node is None or node.kind != "file":
            raise ImageFormatError(path, "is not a regular file in the image", "check the path")
        if node.size > limit:
            raise ImageFormatError(path, f"is larger than {limit} bytes", "inspect a smaller file")
        wanted = node.path
        with open_tar(self.layers[node.layer]) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if _normal(member.name) == wanted and member.isfile():
                    data = tar.extractfile(member)
                    assert data is not None
                    return data.read()
        raise ImageFormatError(path, "vanished while reading its layer", "the image is corrupt")
