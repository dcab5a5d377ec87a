"""Reproducible layer tars: sorted entries, fixed owners, modes and mtimes, streamed through the compressor."""

from __future__ import annotations

__all__ = ["Entry", "build_layer", "write_tar"]

import io
import os
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from slimgo.compression import compressing_writer, layer_media_type
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import HashingWriter
from slimgo.oci.image import BlobLayer


@dataclass(frozen=True)
class Entry:
    """One tar member; exactly one of ``data``/``source`` for files, neither for directories and links."""

    path: str  # relative, no leading slash: "app/server"
    kind: str = "file"  # file | dir | symlink
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    data: bytes | None = None
    source: Path | None = None
    linkname: str = ""

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        if self.source is not None:
            return self.source.stat().st_size
        return 0


def with_parents(entries: Iterable[Entry]) -> list[Entry]:
    """Add a 0755 root-owned directory entry for every parent not listed, then sort by path."""
    by_path = {e.path: e for e in entries}
    for path in list(by_path):
        for parent in PurePosixPath(path).parents:
            key = str(parent)
            if key != "." and key not in by_path:
                by_path[key] = Entry(key, kind="dir", mode=0o755)
    return [by_path[k] for k in sorted(by_path)]


def _tarinfo(entry: Entry, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(entry.path + ("/" if entry.kind == "dir" else ""))
    info.mode = entry.mode
    info.uid, info.gid = entry.uid, entry.gid
    info.uname = info.gname = ""
    info.mtime = mtime
    if entry.kind == "dir":
        info.type = tarfile.DIRTYPE
    elif entry.kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.linkname = entry.linkname
    else:
        info.type = tarfile.REGTYPE
        info.size = entry.size
    return info


def write_tar(entries: Iterable[Entry], out: BinaryIO, mtime: int = 0) -> None:
    """Write ``entries`` (already complete and sorted) as a PAX tar to ``out``."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            info = _tarinfo(entry, mtime)
            if entry.kind != "file":
                tar.addfile(info)
            elif entry.data is not None:
                tar.addfile(info, io.BytesIO(entry.data))
            else:
                assert entry.source is not None
                with open(entry.source, "rb") as src:
                    tar.addfile(info, src)


def build_layer(entries: Iterable[Entry], workdir: Path, compression: str = "gzip", mtime: int = 0,
                cache: Path | None = None) -> BlobLayer:
    """Write a reproducible layer blob into ``workdir`` and return it as a layer.

    With ``cache`` (a directory), compressed blobs are kept by the digest of their uncompressed tar: an unchanged
    layer (the same binary rebuilt, the embedded base) is hashed but never compressed again.
    """
    media_type = layer_media_type(compression)
    if cache is None:
        return _write_compressed(entries, workdir, compression, mtime, media_type)
    fd, name = tempfile.mkstemp(dir=workdir, suffix=".tar")
    tar_path = Path(name)
    try:
        with os.fdopen(fd, "wb") as sink:
            uncompressed = HashingWriter(sink)
            write_tar(with_parents(entries), uncompressed, mtime)  # type: ignore[arg-type]
        cached = cache / "layers" / compression / uncompressed.digest.hex
        if not cached.is_file():
            _compress_into_cache(tar_path, cached, compression)
        compressed = HashingWriter()
        with open(cached, "rb") as blob:
            while chunk := blob.read(1 << 20):
                compressed.write(chunk)
    finally:
        tar_path.unlink(missing_ok=True)
    descriptor = Descriptor(media_type, compressed.digest, compressed.size)
    return BlobLayer(descriptor, uncompressed.digest, lambda: open(cached, "rb"), uncompressed.size)


def _compress_into_cache(tar_path: Path, cached: Path, compression: str) -> None:
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as sink, open(tar_path, "rb") as src:
            compressor = compressing_writer(sink, compression)
            while chunk := src.read(1 << 20):
                compressor.write(chunk)
            compressor.close()
        os.replace(name, cached)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _write_compressed(entries: Iterable[Entry], workdir: Path, compression: str, mtime: int,
                      media_type: str) -> BlobLayer:
    fd, name = tempfile.mkstemp(dir=workdir, suffix=".layer")
    blob_path = Path(name)
    with os.fdopen(fd, "wb") as sink:
        compressed = HashingWriter(sink)
        compressor = compressing_writer(compressed, compression)  # type: ignore[arg-type]
        uncompressed = HashingWriter(compressor)
        write_tar(with_parents(entries), uncompressed, mtime)  # type: ignore[arg-type]
        compressor.close()
    descriptor = Descriptor(media_type, compressed.digest, compressed.size)
    return BlobLayer(descriptor, uncompressed.digest, lambda: open(blob_path, "rb"), uncompressed.size)
