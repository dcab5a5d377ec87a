"""A read-only view of an image's merged filesystem: paths after whiteouts, symlinks resolved inside the rootfs."""

from __future__ import annotations

__all__ = ["Rootfs"]

import posixpath
import tarfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from slimgo.errors import ImageFormatError
from slimgo.layercheck import EntryJudge, Escape, Limits, Problem, bounded_tar, clean
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
    ordinal: int = -1  # position of the entry in its layer's tar, to read back exactly this one


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
    """Index of every path in the merged layers; file contents are read back from their layer on demand.

    Every entry is judged by :mod:`slimgo.layercheck`; refused ones are left out of the index and kept in
    ``problems`` (lint reports them, inspect refuses the image). Limits on sizes raise as the layers are read.
    """

    def __init__(self, layers: Sequence[Layer], limits: Limits | None = None) -> None:
        self.layers = list(layers)
        self.limits = limits or Limits.from_env()
        self.nodes: dict[str, Node] = {}
        self.problems: list[Problem] = []
        judge = EntryJudge(self.limits)
        for index, layer in enumerate(self.layers):
            self._apply(index, layer, judge)

    def _apply(self, index: int, layer: Layer, judge: EntryJudge) -> None:
        judge.start_layer(layer)
        try:
            with bounded_tar(layer, self.limits) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
                for ordinal, member in enumerate(tar):
                    verdict = judge.judge(member)
                    if verdict.problem is not None:
                        self.problems.append(verdict.problem)
                        continue
                    self._add(index, ordinal, member, verdict.path)
        except (tarfile.TarError, EOFError, OSError, ValueError) as err:
            raise ImageFormatError(f"layer {layer.descriptor.digest}", f"is not a readable tar ({err})",
                                   "the image is corrupt; rebuild or re-pull it") from None

    def _add(self, index: int, ordinal: int, member: tarfile.TarInfo, path: str) -> None:
        base = posixpath.basename(path)
        parent = posixpath.dirname(path)
        if base == ".wh..wh..opq":
            prefix = parent.rstrip("/") + "/"
            for key in [k for k, n in self.nodes.items() if k.startswith(prefix) and n.layer < index]:
                del self.nodes[key]
            return
        if base.startswith(".wh."):
            gone = posixpath.join(parent, base[4:])
            for key in [k for k in self.nodes if k == gone or k.startswith(gone + "/")]:
                del self.nodes[key]
            return
        link = member.linkname
        if member.islnk():
            try:
                link = "/" + "/".join(clean(link))
            except Escape:  # the judge refused these already
                return
        xattrs = tuple(sorted((k[len("SCHILY.xattr."):], v) for k, v in member.pax_headers.items()
                              if k.startswith("SCHILY.xattr.")))
        self.nodes[path] = Node(path, _kind(member), member.size, member.mode, member.uid, member.gid,
                                link, index, xattrs, ordinal)

    def refuse_unsafe(self, where: str) -> None:
        """Raise the first refused entry (for commands that take no unsafe layer at all)."""
        if self.problems:
            first = self.problems[0]
            more = f" ({len(self.problems) - 1} more entries are refused too)" if len(self.problems) > 1 else ""
            err = first.error()
            raise type(err)(f"{where}: {err.subject}", err.cause + more, err.fix)

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
        try:
            with self.member(node) as data:
                return data.read(limit)
        except (tarfile.TarError, EOFError, OSError, ValueError) as err:
            raise ImageFormatError(f"layer {self.layers[node.layer].descriptor.digest}",
                                   f"cannot read {node.path} from it ({err})",
                                   "the image is corrupt; rebuild or re-pull it") from None

    @contextmanager
    def member(self, node: Node) -> Iterator[IO[bytes]]:
        """The contents of the regular file ``node`` as a stream, read from its layer (stops at that entry)."""
        layer = self.layers[node.layer]
        with bounded_tar(layer, self.limits) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for ordinal, member in enumerate(tar):
                if ordinal == node.ordinal:
                    data = tar.extractfile(member) if member.isfile() else None
                    if data is None:
                        break
                    yield data
                    return
        raise ImageFormatError(f"layer {layer.descriptor.digest} entry {node.path}", "vanished while reading it",
                               "the image is corrupt; rebuild or re-pull it")
