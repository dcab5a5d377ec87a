"""Layer codecs: the pinned compressors (gzip: level 6, header mtime 0, no name; zstd: level 3) and the reader
that turns any layer blob into its uncompressed tar stream.

gzip output is part of every layer digest, so it must be the same bytes on every machine: a layer up to
GZIP_IN_MEMORY bytes (every Go binary in practice) is compressed whole by libdeflate, pinned through the `deflate`
package's exact version (its own copy of libdeflate; 4-6x faster than zlib at the same level and a little smaller);
a larger one streams through zlib (Python's gzip framing). Which of the two is used depends only on the size."""

from __future__ import annotations

__all__ = ["COMPRESSIONS", "GZIP_RECIPE", "Compressor", "cache_name", "compressing_writer", "layer_media_type",
           "open_tar"]

import gzip
import io
import sys
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any, BinaryIO, cast

import deflate

from slimgo.errors import UsageError
from slimgo.oci import mediatype

if TYPE_CHECKING:  # the image model loads with the first layer, not with the codec names a CLI shows
    from slimgo.oci.image import Layer

GZIP_LEVEL = 6
GZIP_IN_MEMORY = 256 << 20
ZSTD_LEVEL = 3
COMPRESSIONS = ("gzip", "zstd")
# What decides the gzip bytes: a cache of compressed sizes or blobs keyed by content must include it.
GZIP_RECIPE = f"gzip-{GZIP_LEVEL}-deflate-{deflate.__version__}-{GZIP_IN_MEMORY}"


def _zstd() -> ModuleType:
    """The zstd module, imported on first use (most builds only need gzip)."""
    if sys.version_info >= (3, 14):  # pragma: no cover - depends on the interpreter
        from compression import zstd
    else:
        from backports import zstd
    return zstd


def cache_name(compression: str) -> str:
    """The directory name for blobs of ``compression`` kept by content: it changes when the bytes would."""
    return GZIP_RECIPE if compression == "gzip" else compression


def layer_media_type(compression: str) -> str:
    if compression == "gzip":
        return mediatype.OCI_LAYER_GZIP
    if compression == "zstd":
        return mediatype.OCI_LAYER_ZSTD
    raise UsageError(f"--compression {compression}", "is not a supported layer compression",
                     "use --compression gzip or --compression zstd")


class _GzipWriter(io.RawIOBase):
    """Holds what is written up to ``limit`` bytes and compresses it whole with libdeflate on close; past the
    limit, streams everything through zlib instead."""

    def __init__(self, sink: IO[bytes], limit: int) -> None:
        self._sink, self._limit = sink, limit
        self._held = bytearray()
        self._stream: gzip.GzipFile | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self._stream is not None:
            return self._stream.write(data)
        self._held += data
        if len(self._held) > self._limit:
            # filename="" and mtime=0 make the gzip header identical on every run and machine.
            self._stream = gzip.GzipFile(filename="", mode="wb", compresslevel=GZIP_LEVEL, fileobj=self._sink,
                                         mtime=0)
            self._stream.write(self._held)
            self._held = bytearray()
        return len(data)

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._stream is not None:
                self._stream.close()
            else:
                self._sink.write(deflate.gzip_compress(self._held, GZIP_LEVEL))  # header: mtime 0, no name
                self._held = bytearray()
        finally:
            super().close()


def compressing_writer(sink: IO[bytes], compression: str, gzip_in_memory: int = GZIP_IN_MEMORY) -> BinaryIO:
    """A writable stream that compresses into ``sink``; close it to write the compressed data (gzip) or flush
    the trailer (zstd)."""
    if compression == "gzip":
        return cast(BinaryIO, _GzipWriter(sink, gzip_in_memory))
    if compression == "zstd":
        return cast(BinaryIO, _zstd().ZstdFile(sink, mode="wb", level=ZSTD_LEVEL))
    layer_media_type(compression)  # raises the usage error
    raise AssertionError("unreachable")


class Compressor:
    """compress()/flush() over compressing_writer, for a caller that counts or forwards the bytes itself."""

    def __init__(self, compression: str) -> None:
        self._sink = io.BytesIO()
        self._writer = compressing_writer(self._sink, compression)

    def compress(self, data: bytes) -> bytes:
        self._writer.write(data)
        return self._take()

    def flush(self) -> bytes:
        self._writer.close()
        return self._take()

    def _take(self) -> bytes:
        out = self._sink.getvalue()
        self._sink.seek(0)
        self._sink.truncate()
        return out


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
