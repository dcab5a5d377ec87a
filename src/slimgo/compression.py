"""Layer codecs: the pinned compressors (gzip: zlib level 6, header mtime 0, no name; zstd: level 3) and the
reader that turns any layer blob into its uncompressed tar stream."""

from __future__ import annotations

__all__ = ["COMPRESSIONS", "compressing_writer", "layer_media_type", "open_tar"]

import gzip
import io
import sys
from types import ModuleType
from typing import IO, Any, BinaryIO, cast

from slimgo.errors import UsageError
from slimgo.oci import mediatype
from slimgo.oci.image import Layer

GZIP_LEVEL = 6
ZSTD_LEVEL = 3
COMPRESSIONS = ("gzip", "zstd")


def _zstd() -> ModuleType:
    """The zstd module, imported on first use (most builds only need gzip)."""
    if sys.version_info >= (3, 14):  # pragma: no cover - depends on the interpreter
        from compression import zstd
    else:
        from backports import zstd
    return zstd


def layer_media_type(compression: str) -> str:
    if compression == "gzip":
        return mediatype.OCI_LAYER_GZIP
    if compression == "zstd":
        return mediatype.OCI_LAYER_ZSTD
    raise UsageError(f"--compression {compression}", "is not a supported layer compression",
                     "use --compression gzip or --compression zstd")


def compressing_writer(sink: IO[bytes], compression: str) -> BinaryIO:
    """A writable stream that compresses into ``sink``; close it to flush the trailer."""
    if compression == "gzip":
        # filename="" and mtime=0 make the gzip header identical on every run and machine.
        return cast(BinaryIO, gzip.GzipFile(filename="", mode="wb", compresslevel=GZIP_LEVEL, fileobj=sink, mtime=0))
    if compression == "zstd":
        return cast(BinaryIO, _zstd().ZstdFile(sink, mode="wb", level=ZSTD_LEVEL))
    layer_media_type(compression)  # raises the usage error
    raise AssertionError("unreachable")


def zstd_reader(blob: IO[bytes]) -> BinaryIO:
    return cast(BinaryIO, _zstd().ZstdFile(blob, mode="rb"))


def open_tar(layer: Layer) -> BinaryIO:
    """The uncompressed tar stream of a layer."""
    kind = mediatype.layer_compression(layer.descriptor.media_type)
    blob = layer.open_blob()
    if kind == "gzip":
        return _closing_both(cast(IO[bytes], gzip.GzipFile(fileobj=blob, mode="rb")), blob)
    if kind == "zstd":
        return _closing_both(zstd_reader(blob), blob)
    return blob


class _Decompressed(io.RawIOBase):
    """A decompressing reader that also closes the blob under it (gzip and zstd readers leave it open)."""

    def __init__(self, outer: IO[bytes], inner: IO[bytes]) -> None:
        self._outer, self._inner = outer, inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._outer.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._outer.close()
        finally:
            self._inner.close()
            super().close()


def _closing_both(outer: IO[bytes], inner: IO[bytes]) -> BinaryIO:
    return cast(BinaryIO, io.BufferedReader(_Decompressed(outer, inner), buffer_size=1 << 20))
