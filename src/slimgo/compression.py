"""The pinned layer compressors: gzip (zlib level 6, header mtime 0, no name) and zstd (level 3)."""

from __future__ import annotations

import gzip
import sys
from types import ModuleType
from typing import IO, BinaryIO, cast

from slimgo.errors import UsageError
from slimgo.oci import mediatype

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


def zstd_compress(data: bytes) -> bytes:
    return bytes(_zstd().compress(data, level=ZSTD_LEVEL))
