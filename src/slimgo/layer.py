"""Reproducible layer tars: sorted entries, fixed owners, modes and mtimes, streamed through the compressor."""

from __future__ import annotations

__all__ = ["Entry", "build_layer", "write_tar"]

import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

from slimgo.compression import cache_name, compressing_writer, layer_media_type
from slimgo.errors import ImageFormatError
from slimgo.oci.descriptor import Descriptor
from slimgo.oci.digest import Digest, HashingWriter
from slimgo.oci.image import BlobLayer

_MEMO_FORMAT = 1
_IN_MEMORY = 128 << 20
_HEX = re.compile(r"[0-9a-f]{64}")
_RACY_NS = 2_000_000_000


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
                cache: Path | None = None, source_ids: Mapping[Path, str] | None = None) -> BlobLayer:
    """Write a reproducible layer blob into ``workdir`` and return it as a layer.

    With ``cache`` (a directory), compressed blobs are kept by the digest of their uncompressed tar (and the codec
    that made them): an unchanged layer (the same binary rebuilt, the embedded base) is never compressed again;
    while its source files keep their inode, size and times, or the content identity the caller vouches for in
    ``source_ids`` (a Go build ID: `go build` touches an up-to-date binary), it is not even read again.
    """
    media_type = layer_media_type(compression)
    if cache is None:
        return _write_compressed(entries, workdir, compression, mtime, media_type)
    complete = with_parents(entries)
    store = cache / "layers" / cache_name(compression)
    memo = _memo_path(store, complete, mtime, source_ids or {})
    diff_hex = _read_small(memo) if memo is not None else None
    known = _known_blob(store, diff_hex, media_type) if diff_hex else None
    if known is not None:
        return known
    with _scratch(complete, workdir) as sink:
        uncompressed = HashingWriter(sink)
        write_tar(complete, uncompressed, mtime)  # type: ignore[arg-type]
        diff_hex = uncompressed.digest.hex
        layer = _known_blob(store, diff_hex, media_type)
        if layer is None:
            sink.seek(0)
            _compress_into_cache(sink, store / diff_hex, compression, uncompressed.size)
            layer = _known_blob(store, diff_hex, media_type)
            assert layer is not None
    if memo is not None:
        _write_small(memo, diff_hex)
    return layer


def _memo_path(store: Path, entries: list[Entry], mtime: int, source_ids: Mapping[Path, str]) -> Path | None:
    """Where the tar digest of ``entries`` is remembered, keyed by every header field and each source file's
    size and content identity, else its device, inode, size and times; None when a source without an identity
    changed in the last two seconds (it may change again within one timestamp tick, unseen by its stat)."""
    now = time.time_ns()
    parts: list[object] = [_MEMO_FORMAT, mtime]
    for entry in entries:
        source: list[object] | None = None
        if entry.source is not None:
            st = os.stat(entry.source)
            if entry.source in source_ids:
                source = [str(entry.source), st.st_size, source_ids[entry.source]]
            elif now - max(st.st_mtime_ns, st.st_ctime_ns) < _RACY_NS:
                return None
            else:
                source = [str(entry.source), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        data = hashlib.sha256(entry.data).hexdigest() if entry.data is not None else None
        parts.append([entry.path, entry.kind, entry.mode, entry.uid, entry.gid, entry.linkname, data, source])
    return store / "by-stat" / hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _known_blob(store: Path, diff_hex: str, media_type: str) -> BlobLayer | None:
    """The kept blob of the tar ``diff_hex`` with its descriptor (hashed once, then read from its record)."""
    blob = store / diff_hex
    if not _HEX.fullmatch(diff_hex) or not blob.is_file():
        return None
    record = _read_small(store / f"{diff_hex}.json")
    try:
        fields = json.loads(record or "null")
        digest, size, uncompressed = Digest.parse(fields["digest"]), int(fields["size"]), int(fields["tar_size"])
    except (ValueError, KeyError, TypeError, ImageFormatError):
        return None
    if blob.stat().st_size != size:
        return None
    return BlobLayer(Descriptor(media_type, digest, size), Digest("sha256", diff_hex), lambda: open(blob, "rb"),
                     uncompressed)


def _read_small(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(4096).decode()
    except (OSError, UnicodeDecodeError):
        return None


def _write_small(path: Path, text: str) -> None:
    """Write ``text`` by rename (another build may read it at the same time); a cache that cannot be written is
    skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.replace(name, path)
    except OSError:
        return


def _scratch(entries: list[Entry], workdir: Path) -> BinaryIO:
    """Where the tar is written before it is compressed: memory for a layer of up to _IN_MEMORY bytes (every Go
    binary in practice; the compressor holds that much anyway), else an unnamed file in ``workdir``."""
    if sum(entry.size for entry in entries) <= _IN_MEMORY:
        return io.BytesIO()
    return cast(BinaryIO, tempfile.TemporaryFile(dir=workdir, suffix=".tar"))


def _compress_into_cache(src: BinaryIO, cached: Path, compression: str, tar_size: int) -> None:
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as sink:
            compressed = HashingWriter(sink)
            compressor = compressing_writer(compressed, compression)  # type: ignore[arg-type]
            while chunk := src.read(1 << 20):
                compressor.write(chunk)
            compressor.close()
        os.replace(name, cached)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    record = {"digest": str(compressed.digest), "size": compressed.size, "tar_size": tar_size}
    _write_small(cached.with_name(f"{cached.name}.json"), json.dumps(record))


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
